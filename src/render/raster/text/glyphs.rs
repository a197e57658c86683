//! Glyph ink: outlines (in layer pixels), colour layers ([`super::colr`]) and colour bitmap
//! images of placed glyphs, and the underline / line-through bars.

use std::collections::HashMap;

use cosmic_text::fontdb;
use tiny_skia::{Color, PathBuilder, Pixmap, Rect};

use super::super::fonts::{Face, face_by_id};
use super::colr::{self, ColorLayer};
use super::layout::{Laid, PlacedGlyph};
use super::{Decoration, TextStyle};

/// A colour bitmap glyph (CBDT/sbix emoji) placed in layer pixels.
pub(super) struct Bitmap {
    /// The glyph image.
    pub(super) image: Pixmap,
    /// Top-left corner in layer pixels.
    pub(super) x: f32,
    pub(super) y: f32,
    /// Layer pixels per image pixel.
    pub(super) scale: f32,
}

impl Bitmap {
    pub(super) fn rect(&self) -> Option<Rect> {
        Rect::from_xywh(
            self.x,
            self.y,
            self.image.width() as f32 * self.scale,
            self.image.height() as f32 * self.scale,
        )
    }
}

/// Adds the outlines of `glyphs` to `pb`, in layer pixels; returns the colour layers of
/// glyphs the font has in colour (COLR, drawn in `foreground` where a layer asks for the text
/// colour) and the colour bitmaps of glyphs that have no outline but an embedded image
/// (colour emoji), scaled to the font size.
pub(super) fn outline_glyphs<'a>(
    pb: &mut PathBuilder,
    faces: &'a [Face],
    parsed: &mut HashMap<fontdb::ID, Option<ttf_parser::Face<'a>>>,
    glyphs: &[PlacedGlyph],
    foreground: Color,
) -> (Vec<ColorLayer>, Vec<Bitmap>) {
    let mut bitmaps = Vec::new();
    let mut colored = Vec::new();
    for (i, g) in glyphs.iter().enumerate() {
        if i % super::super::CANCEL_EVERY == 0 && super::super::cancelled() {
            break;
        }
        let face = parsed
            .entry(g.font)
            .or_insert_with(|| face_by_id(faces, g.font).and_then(|f| f.parse()));
        if let Some(face) = face {
            let scale = g.size / face.units_per_em() as f32;
            let mut sink = Outline {
                pb: &mut *pb,
                scale,
                x: g.x,
                y: g.y,
            };
            let id = ttf_parser::GlyphId(g.glyph);
            if let Some(layers) = colr::layers(face, id, (g.x, g.y, g.size), foreground) {
                colored.extend(layers);
            } else if face.outline_glyph(id, &mut sink).is_none()
                && let Some(b) = bitmap_glyph(face, id, g)
            {
                bitmaps.push(b);
            }
        }
    }
    (colored, bitmaps)
}

/// The embedded PNG image of a glyph (CBDT, sbix), placed at the glyph's pen position.
fn bitmap_glyph(
    face: &ttf_parser::Face,
    id: ttf_parser::GlyphId,
    g: &PlacedGlyph,
) -> Option<Bitmap> {
    let ppem = g.size.ceil().clamp(1.0, u16::MAX as f32) as u16;
    let img = face.glyph_raster_image(id, ppem)?;
    if img.format != ttf_parser::RasterImageFormat::PNG {
        return None;
    }
    let image = Pixmap::decode_png(img.data).ok()?;
    let scale = g.size / img.pixels_per_em.max(1) as f32;
    // The image's box in font pixels: `x` right of the pen, `y` its bottom above the baseline.
    let (w, h) = (img.width.max(1) as f32, img.height.max(1) as f32);
    let sx = w * scale / image.width() as f32;
    Some(Bitmap {
        x: g.x + img.x as f32 * scale,
        y: g.y - (img.y as f32 + h) * scale,
        scale: sx,
        image,
    })
}

/// Adds underline / line-through bars under or through each line.
pub(super) fn decorate(pb: &mut PathBuilder, faces: &[Face], style: &TextStyle, laid: &Laid) {
    let Some(face) = face_by_id(faces, laid.primary).and_then(|f| f.parse()) else {
        return;
    };
    let upem = face.units_per_em() as f32;
    let metrics = match style.decoration {
        Decoration::None => return,
        Decoration::Underline => face.underline_metrics(),
        Decoration::LineThrough => face.strikeout_metrics(),
    };
    let m = metrics.unwrap_or(ttf_parser::LineMetrics {
        position: (upem * 0.3) as i16,
        thickness: (upem / 14.0) as i16,
    });
    let scale = style.size / upem;
    let thickness = (m.thickness as f32 * scale).max(1.0);
    for line in laid.lines.iter().filter(|l| l.right > l.left) {
        let y = line.baseline - m.position as f32 * scale - thickness / 2.0;
        if let Some(r) = Rect::from_xywh(line.left, y, line.right - line.left, thickness) {
            pb.push_rect(r);
        }
    }
}

/// Converts font-unit outlines (y up) to layer pixels (y down) at a pen position.
struct Outline<'a> {
    /// Where the outline goes.
    pb: &'a mut PathBuilder,
    /// Pixels per font unit.
    scale: f32,
    /// Pen x in layer pixels.
    x: f32,
    /// Baseline y in layer pixels.
    y: f32,
}

impl Outline<'_> {
    fn p(&self, x: f32, y: f32) -> (f32, f32) {
        (self.x + x * self.scale, self.y - y * self.scale)
    }
}

impl ttf_parser::OutlineBuilder for Outline<'_> {
    fn move_to(&mut self, x: f32, y: f32) {
        let (x, y) = self.p(x, y);
        self.pb.move_to(x, y);
    }
    fn line_to(&mut self, x: f32, y: f32) {
        let (x, y) = self.p(x, y);
        self.pb.line_to(x, y);
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        let ((x1, y1), (x, y)) = (self.p(x1, y1), self.p(x, y));
        self.pb.quad_to(x1, y1, x, y);
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let ((x1, y1), (x2, y2), (x, y)) = (self.p(x1, y1), self.p(x2, y2), self.p(x, y));
        self.pb.cubic_to(x1, y1, x2, y2, x, y);
    }
    fn close(&mut self) {
        self.pb.close();
    }
}
