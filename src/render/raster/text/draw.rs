//! Drawing laid-out text with tiny-skia: background box, border, glyph fill or gradient,
//! stroke, shadow, and the per-group looks of animation frames.

use std::collections::HashMap;

use cosmic_text::fontdb;
use tiny_skia::{
    FillRule, GradientStop, LinearGradient, Paint, PathBuilder, Pixmap, PixmapPaint, Point,
    RadialGradient, Rect, Shader, SpreadMode, Stroke, Transform,
};

use super::super::fonts::Face;
use super::super::paint::{blur, rounded_rect, tint};
use super::colr::ColorLayer;
use super::glyphs::{decorate, outline_glyphs};
use super::layout::{Laid, LineBox};
use super::{Fill, TextStyle};
use crate::diagnostics::Diagnostic;

/// How a group of glyphs looks in one frame of an animation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Look {
    /// Shift right, in pixels.
    pub(crate) dx: f32,
    /// Shift down, in pixels.
    pub(crate) dy: f32,
    /// Scale about the group's centre.
    pub(crate) scale: f32,
    /// Opacity 0..1.
    pub(crate) alpha: f32,
}

impl Look {
    /// In place, fully visible.
    pub(crate) const REST: Look = Look {
        dx: 0.0,
        dy: 0.0,
        scale: 1.0,
        alpha: 1.0,
    };
}

/// What to draw of laid-out text: groups of glyphs (index ranges into [`Laid::glyphs`]) with
/// their look, an optional caret, and whether to draw decorations.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Frame {
    /// Glyph ranges and how each looks; glyphs in no group are hidden.
    pub(crate) groups: Vec<(std::ops::Range<usize>, Look)>,
    /// A typewriter caret, in layer pixels.
    pub(crate) caret: Option<Rect>,
    /// Draw underline / line-through.
    pub(crate) decorations: bool,
}

impl Frame {
    /// Every glyph at rest: the static layer.
    pub(crate) fn rest(laid: &Laid) -> Frame {
        Frame {
            groups: vec![(0..laid.glyphs.len(), Look::REST)],
            caret: None,
            decorations: true,
        }
    }
}

/// Draws laid-out text as `frame` describes.
pub(crate) fn draw(
    faces: &[Face],
    style: &TextStyle,
    laid: &Laid,
    frame: &Frame,
) -> Result<Pixmap, Diagnostic> {
    let (w, h) = style.box_size;
    let mut pixmap = Pixmap::new(w.max(1), h.max(1))
        .ok_or_else(|| Diagnostic::error(format!("cannot make a {w}×{h} text layer")))?;
    draw_background(&mut pixmap, style, laid);
    if let Some((glyphs, x, y)) = glyph_layer(faces, style, laid, frame) {
        let paint = PixmapPaint {
            opacity: style.opacity.clamp(0.0, 1.0),
            ..PixmapPaint::default()
        };
        if let Some(shadow) = &style.shadow {
            let mut s = tint(&glyphs, shadow.color);
            blur(&mut s, shadow.blur / 2.0);
            let (dx, dy) = (shadow.dx.round() as i32, shadow.dy.round() as i32);
            pixmap.draw_pixmap(
                x + dx,
                y + dy,
                s.as_ref(),
                &paint,
                Transform::identity(),
                None,
            );
        }
        pixmap.draw_pixmap(x, y, glyphs.as_ref(), &paint, Transform::identity(), None);
    }
    draw_border(&mut pixmap, style);
    if super::super::cancelled() {
        return Err(super::super::cancelled_error());
    }
    Ok(pixmap)
}

fn draw_background(pixmap: &mut Pixmap, style: &TextStyle, laid: &Laid) {
    let Some(bg) = &style.background else { return };
    let (w, h) = (pixmap.width() as f32, pixmap.height() as f32);
    let rect = if bg.wrap {
        let Some(ink) = block_box(laid) else { return };
        let p = bg.padding;
        (
            ink.left() - p,
            ink.top() - p,
            ink.width() + 2.0 * p,
            ink.height() + 2.0 * p,
        )
    } else {
        (0.0, 0.0, w, h)
    };
    if let Some(path) = rounded_rect(rect.0, rect.1, rect.2, rect.3, bg.radius) {
        let mut paint = Paint::default();
        paint.set_color(bg.color);
        paint.anti_alias = true;
        pixmap.fill_path(
            &path,
            &paint,
            FillRule::Winding,
            Transform::identity(),
            None,
        );
    }
}

fn draw_border(pixmap: &mut Pixmap, style: &TextStyle) {
    let Some(b) = &style.border else { return };
    if b.width <= 0.0 {
        return;
    }
    let (w, h) = (pixmap.width() as f32, pixmap.height() as f32);
    let half = b.width / 2.0;
    let r = (b.radius - half).max(0.0);
    let Some(path) = rounded_rect(half, half, w - b.width, h - b.width, r) else {
        return;
    };
    let mut paint = Paint::default();
    paint.set_color(b.color);
    paint.anti_alias = true;
    let stroke = Stroke {
        width: b.width,
        ..Stroke::default()
    };
    pixmap.stroke_path(&path, &paint, &stroke, Transform::identity(), None);
}

/// The union of the line boxes (the text block), if there is any text.
pub(crate) fn block_box(laid: &Laid) -> Option<Rect> {
    let lines: Vec<&LineBox> = laid.lines.iter().filter(|l| l.right > l.left).collect();
    let left = lines.iter().map(|l| l.left).fold(f32::MAX, f32::min);
    let right = lines.iter().map(|l| l.right).fold(f32::MIN, f32::max);
    let top = lines.first()?.top;
    let bottom = lines.last().map(|l| l.top + l.height)?;
    Rect::from_ltrb(left, top, right, bottom)
}

/// Glyphs (fill over stroke, decorations, caret) at full opacity on a transparent pixmap
/// cropped to their ink (plus room for the shadow's blur), with its position in the layer.
fn glyph_layer(
    faces: &[Face],
    style: &TextStyle,
    laid: &Laid,
    frame: &Frame,
) -> Option<(Pixmap, i32, i32)> {
    let mut parsed: HashMap<fontdb::ID, Option<ttf_parser::Face>> = HashMap::new();
    let mut items: Vec<(tiny_skia::Path, Transform, f32)> = Vec::new();
    let mut images: Vec<(Pixmap, Transform, f32)> = Vec::new();
    let mut colored: Vec<(ColorLayer, Transform, f32)> = Vec::new();
    let foreground = match &style.fill {
        Fill::Solid(c) => *c,
        Fill::Gradient(g) => g.stops.first().map_or(tiny_skia::Color::WHITE, |s| s.1),
    };
    for (range, look) in &frame.groups {
        let glyphs = laid.glyphs.get(range.clone()).unwrap_or_default();
        let mut pb = PathBuilder::new();
        let (layers, bitmaps) = outline_glyphs(&mut pb, faces, &mut parsed, glyphs, foreground);
        let path = pb.finish();
        let b = path
            .as_ref()
            .map(|p| p.bounds())
            .into_iter()
            .chain(layers.iter().map(|l| l.path.bounds()))
            .chain(bitmaps.iter().filter_map(|b| b.rect()))
            .reduce(union);
        let Some(b) = b else { continue };
        let (cx, cy) = (b.x() + b.width() / 2.0, b.y() + b.height() / 2.0);
        let t = Transform::from_translate(look.dx + cx, look.dy + cy)
            .pre_scale(look.scale, look.scale)
            .pre_translate(-cx, -cy);
        if let Some(path) = path {
            items.push((path, t, look.alpha));
        }
        colored.extend(layers.into_iter().map(|l| (l, t, look.alpha)));
        for bm in bitmaps {
            let placed = t.pre_translate(bm.x, bm.y).pre_scale(bm.scale, bm.scale);
            images.push((bm.image, placed, look.alpha));
        }
    }
    let mut extra = PathBuilder::new();
    if frame.decorations {
        decorate(&mut extra, faces, style, laid);
    }
    if let Some(caret) = frame.caret {
        extra.push_rect(caret);
    }
    if let Some(path) = extra.finish() {
        items.push((path, Transform::identity(), 1.0));
    }
    let image_bounds = images
        .iter()
        .filter_map(|(img, t, _)| {
            let r = Rect::from_xywh(0.0, 0.0, img.width() as f32, img.height() as f32)?;
            r.transform(*t)
        })
        .chain(
            colored
                .iter()
                .filter_map(|(l, t, _)| l.path.bounds().transform(*t)),
        );
    let (mut layer, x0, y0) = ink_pixmap(style, &items, image_bounds)?;
    for (path, t, alpha) in &items {
        let t = t.post_translate(-x0 as f32, -y0 as f32);
        if *alpha >= 1.0 {
            paint_path(&mut layer, style, path, t, 1.0);
        } else {
            paint_faded(&mut layer, style, path, t, *alpha);
        }
    }
    for (l, t, alpha) in &colored {
        let mut paint = Paint::default();
        paint.set_color(super::super::paint::with_opacity(l.color, *alpha));
        paint.anti_alias = true;
        let t = t.post_translate(-x0 as f32, -y0 as f32);
        layer.fill_path(&l.path, &paint, FillRule::Winding, t, None);
    }
    for (image, t, alpha) in &images {
        let paint = PixmapPaint {
            opacity: alpha.clamp(0.0, 1.0),
            quality: tiny_skia::FilterQuality::Bicubic,
            ..PixmapPaint::default()
        };
        let t = t.post_translate(-x0 as f32, -y0 as f32);
        layer.draw_pixmap(0, 0, image.as_ref(), &paint, t, None);
    }
    Some((layer, x0, y0))
}

fn union(a: Rect, b: Rect) -> Rect {
    let (l, t) = (a.left().min(b.left()), a.top().min(b.top()));
    Rect::from_ltrb(l, t, a.right().max(b.right()), a.bottom().max(b.bottom())).unwrap_or(a)
}

/// A transparent pixmap covering every item's ink, widened by the stroke and shadow blur and
/// kept within the box; with its top-left corner in layer pixels.
fn ink_pixmap(
    style: &TextStyle,
    items: &[(tiny_skia::Path, Transform, f32)],
    images: impl Iterator<Item = Rect>,
) -> Option<(Pixmap, i32, i32)> {
    let bounds = items
        .iter()
        .filter_map(|(p, t, _)| p.clone().transform(*t).map(|p| p.bounds()))
        .chain(images)
        .reduce(union)?;
    let stroke = style.stroke.as_ref().map_or(0.0, |s| s.width);
    let blur = style.shadow.as_ref().map_or(0.0, |s| s.blur.max(0.0));
    let margin = stroke + 2.0 * blur + 2.0;
    let (bw, bh) = (style.box_size.0 as f32, style.box_size.1 as f32);
    let x0 = (bounds.left() - margin).floor().max(-margin);
    let y0 = (bounds.top() - margin).floor().max(-margin);
    let x1 = (bounds.right() + margin).ceil().min(bw + margin);
    let y1 = (bounds.bottom() + margin).ceil().min(bh + margin);
    let pixmap = Pixmap::new((x1 - x0).max(1.0) as u32, (y1 - y0).max(1.0) as u32)?;
    Some((pixmap, x0 as i32, y0 as i32))
}

/// Paints `path` opaque on a scratch pixmap the size of its ink, then composites that at
/// `alpha`, so a fading stroke does not show through its fill.
fn paint_faded(
    layer: &mut Pixmap,
    style: &TextStyle,
    path: &tiny_skia::Path,
    t: Transform,
    alpha: f32,
) {
    if alpha <= 0.0 {
        return;
    }
    let margin = style.stroke.as_ref().map_or(0.0, |s| s.width) + 2.0;
    let Some(b) = path.clone().transform(t).map(|p| p.bounds()) else {
        return;
    };
    let (x0, y0) = ((b.left() - margin).floor(), (b.top() - margin).floor());
    let w = (b.right() + margin - x0).ceil().max(1.0) as u32;
    let h = (b.bottom() + margin - y0).ceil().max(1.0) as u32;
    let Some(mut scratch) = Pixmap::new(w, h) else {
        return;
    };
    paint_path(&mut scratch, style, path, t.post_translate(-x0, -y0), 1.0);
    let paint = PixmapPaint {
        opacity: alpha.clamp(0.0, 1.0),
        ..PixmapPaint::default()
    };
    layer.draw_pixmap(
        x0 as i32,
        y0 as i32,
        scratch.as_ref(),
        &paint,
        Transform::identity(),
        None,
    );
}

/// Strokes (if any) then fills `path` with the text's paint at `alpha`.
fn paint_path(
    layer: &mut Pixmap,
    style: &TextStyle,
    path: &tiny_skia::Path,
    t: Transform,
    alpha: f32,
) {
    if alpha <= 0.0 {
        return;
    }
    if let Some(stroke) = style.stroke.as_ref().filter(|s| s.width > 0.0) {
        let mut paint = Paint::default();
        paint.set_color(super::super::paint::with_opacity(stroke.color, alpha));
        paint.anti_alias = true;
        let s = Stroke {
            width: stroke.width * 2.0,
            line_join: tiny_skia::LineJoin::Round,
            ..Stroke::default()
        };
        layer.stroke_path(path, &paint, &s, t, None);
    }
    let mut shader = fill_shader(&style.fill, path.bounds());
    shader.apply_opacity(alpha.clamp(0.0, 1.0));
    let paint = Paint {
        shader,
        anti_alias: true,
        ..Paint::default()
    };
    layer.fill_path(path, &paint, FillRule::Winding, t, None);
}

fn fill_shader(fill: &Fill, bounds: Rect) -> Shader<'static> {
    let g = match fill {
        Fill::Solid(c) => return Shader::SolidColor(*c),
        Fill::Gradient(g) => g,
    };
    let stops: Vec<GradientStop> = g
        .stops
        .iter()
        .map(|(o, c)| GradientStop::new(*o, *c))
        .collect();
    let fallback = g.stops.first().map_or(tiny_skia::Color::WHITE, |s| s.1);
    let (cx, cy) = (
        bounds.x() + bounds.width() / 2.0,
        bounds.y() + bounds.height() / 2.0,
    );
    let shader = if g.radial {
        let r = bounds.width().max(bounds.height()) / 2.0;
        let c = Point::from_xy(cx, cy);
        RadialGradient::new(c, 0.0, c, r, stops, SpreadMode::Pad, Transform::identity())
    } else {
        let (s, co) = g.angle.to_radians().sin_cos();
        // Half the extent of the box along the gradient direction.
        let half = (bounds.width() * co.abs() + bounds.height() * s.abs()) / 2.0;
        let start = Point::from_xy(cx - co * half, cy - s * half);
        let end = Point::from_xy(cx + co * half, cy + s * half);
        LinearGradient::new(start, end, stops, SpreadMode::Pad, Transform::identity())
    };
    shader.unwrap_or(Shader::SolidColor(fallback))
}
