//! Maps the typed `text`, `rich-text` and `title` assets onto the text engine's [`TextStyle`],
//! applying the defaults documented in `docs/text.md`.
//!
//! Only reads the assets; drawing is [`super::text`]'s job.

use tiny_skia::Color;

use super::paint::{parse_color, with_opacity};
use super::text::{
    Background, Border, Decoration, Fill, Gradient, HAlign, Shadow, Sides, TextStroke, TextStyle,
    TextTransform, VAlign,
};
use crate::diagnostics::Diagnostic;
use crate::edit::{
    self, FontStyle, HorizontalAlign, Position, RichTextAsset, RichVerticalAlign, TextAsset,
    TitleAsset, TitleSize, TitleStyle, VerticalAlign,
};

/// Parses the colour at `field`, or `default` when absent.
pub(crate) fn color_field(
    field: &str,
    value: Option<&str>,
    default: Color,
) -> Result<Color, Diagnostic> {
    match value {
        None => Ok(default),
        Some(v) => parse_color(v).map_err(|_| {
            Diagnostic::error(format!("`{field}` is not a colour: `{v}`"))
                .with_help("write `#RRGGBB`, `#RGB` or `#AARRGGBB`")
        }),
    }
}

fn opacity(v: Option<f64>) -> f32 {
    v.unwrap_or(1.0).clamp(0.0, 1.0) as f32
}

fn h_align(h: Option<HorizontalAlign>) -> HAlign {
    match h {
        Some(HorizontalAlign::Left) => HAlign::Left,
        Some(HorizontalAlign::Right) => HAlign::Right,
        _ => HAlign::Center,
    }
}

/// The `text` asset in `box_size` (clip box, else asset width/height, else canvas).
pub(crate) fn text_style(a: &TextAsset, box_size: (u32, u32)) -> Result<TextStyle, Diagnostic> {
    let mut s = TextStyle::new(a.text.clone(), box_size);
    s.ellipsis = a.ellipsis.clone().filter(|e| !e.is_empty());
    if let Some(f) = &a.font {
        s.family = f.family.clone().unwrap_or(s.family);
        s.size = f.size.and_then(|v| v.px()).map_or(s.size, |v| v as f32);
        if f.size == Some(edit::FontSize::Auto) {
            s.auto_size = Some(f.min_size.map_or(12.0, |v| v as f32).max(1.0));
        }
        s.weight = f.weight.map(|w| w.clamp(1, 1000) as u16);
        s.line_height = f.line_height.map_or(s.line_height, |v| v as f32);
        s.opacity = opacity(f.opacity);
        let c = color_field("font.color", f.color.as_deref(), Color::WHITE)?;
        s.fill = Fill::Solid(c);
    }
    if let Some(al) = &a.alignment {
        s.h_align = h_align(al.horizontal);
        s.v_align = match al.vertical {
            Some(VerticalAlign::Top) => VAlign::Top,
            Some(VerticalAlign::Bottom) => VAlign::Bottom,
            _ => VAlign::Middle,
        };
    }
    if let Some(st) = a.stroke.as_ref().filter(|st| st.width.unwrap_or(0.0) > 0.0) {
        s.stroke = Some(TextStroke {
            width: st.width.unwrap_or(0.0) as f32,
            color: color_field("stroke.color", st.color.as_deref(), Color::BLACK)?,
        });
    }
    if let Some(bg) = &a.background {
        let padding = bg.padding.unwrap_or(0.0) as f32;
        s.padding = Sides::all(padding);
        if let Some(c) = bg.color.as_deref() {
            let c = color_field("background.color", Some(c), Color::BLACK)?;
            s.background = Some(Background {
                color: with_opacity(c, opacity(bg.opacity)),
                radius: bg.border_radius.unwrap_or(0.0) as f32,
                wrap: bg.wrap.unwrap_or(false),
                padding,
            });
        }
    }
    Ok(s)
}

/// The `rich-text` asset in `box_size` (clip box, else canvas).
pub(crate) fn rich_text_style(
    a: &RichTextAsset,
    box_size: (u32, u32),
) -> Result<TextStyle, Diagnostic> {
    let mut s = TextStyle {
        size: 24.0,
        line_height: 1.2,
        fill: Fill::Solid(Color::BLACK),
        ..TextStyle::new(a.text.clone(), box_size)
    };
    if let Some(f) = &a.font {
        rich_font(&mut s, f)?;
    }
    if let Some(st) = &a.style {
        rich_style(&mut s, st)?;
    }
    let stroke = a
        .stroke
        .as_ref()
        .or(a.font.as_ref().and_then(|f| f.stroke.as_ref()));
    if let Some(st) = stroke.filter(|st| st.width.unwrap_or(0.0) > 0.0) {
        let c = color_field("stroke.color", st.color.as_deref(), Color::BLACK)?;
        s.stroke = Some(TextStroke {
            width: st.width.unwrap_or(0.0) as f32,
            color: with_opacity(c, opacity(st.opacity)),
        });
    }
    if let Some(sh) = &a.shadow {
        let c = color_field("shadow.color", sh.color.as_deref(), Color::BLACK)?;
        s.shadow = Some(Shadow {
            dx: sh.offset_x.unwrap_or(0.0) as f32,
            dy: sh.offset_y.unwrap_or(0.0) as f32,
            blur: sh.blur.unwrap_or(0.0) as f32,
            color: with_opacity(c, sh.opacity.unwrap_or(0.5).clamp(0.0, 1.0) as f32),
        });
    }
    rich_box(&mut s, a)?;
    if let Some(al) = &a.align {
        s.h_align = h_align(al.horizontal);
        s.v_align = match al.vertical {
            Some(RichVerticalAlign::Top) => VAlign::Top,
            Some(RichVerticalAlign::Bottom) => VAlign::Bottom,
            _ => VAlign::Middle,
        };
    }
    Ok(s)
}

fn rich_font(s: &mut TextStyle, f: &edit::RichTextFont) -> Result<(), Diagnostic> {
    s.family = f.family.clone().unwrap_or(s.family.clone());
    s.size = f.size.and_then(|v| v.px()).map_or(s.size, |v| v as f32);
    if f.size == Some(edit::FontSize::Auto) {
        s.auto_size = Some(f.min_size.map_or(12.0, |v| v as f32).max(1.0));
    }
    s.weight = f
        .weight
        .as_ref()
        .and_then(|w| w.value())
        .map(|w| w.clamp(1.0, 1000.0) as u16);
    s.italic = f.style == Some(FontStyle::Italic);
    s.opacity = opacity(f.opacity);
    s.fill = Fill::Solid(color_field("font.color", f.color.as_deref(), Color::BLACK)?);
    if let Some(bg) = f.background.as_deref() {
        // A highlight behind the glyphs: a background hugging the text.
        s.background = Some(Background {
            color: color_field("font.background", Some(bg), Color::BLACK)?,
            radius: 0.0,
            wrap: true,
            padding: 0.0,
        });
    }
    Ok(())
}

fn rich_style(s: &mut TextStyle, st: &edit::RichTextStyle) -> Result<(), Diagnostic> {
    s.letter_spacing = st.letter_spacing.unwrap_or(0.0) as f32;
    s.word_spacing = st.word_spacing.unwrap_or(0.0).max(0.0) as f32;
    s.line_height = st.line_height.map_or(s.line_height, |v| v as f32);
    s.transform = match st.text_transform {
        Some(edit::TextTransform::Uppercase) => TextTransform::Uppercase,
        Some(edit::TextTransform::Lowercase) => TextTransform::Lowercase,
        Some(edit::TextTransform::Capitalize) => TextTransform::Capitalize,
        _ => TextTransform::None,
    };
    s.decoration = match st.text_decoration {
        Some(edit::TextDecoration::Underline) => Decoration::Underline,
        Some(edit::TextDecoration::LineThrough) => Decoration::LineThrough,
        _ => Decoration::None,
    };
    if let Some(g) = &st.gradient {
        let mut stops = Vec::with_capacity(g.stops.len());
        for (i, stop) in g.stops.iter().enumerate() {
            let field = format!("style.gradient.stops[{i}].color");
            let c = color_field(&field, Some(&stop.color), Color::BLACK)?;
            stops.push((stop.offset.clamp(0.0, 1.0) as f32, c));
        }
        s.fill = Fill::Gradient(Gradient {
            radial: g.kind == Some(edit::GradientType::Radial),
            angle: g.angle.unwrap_or(0.0) as f32,
            stops,
        });
    }
    Ok(())
}

/// Background, border and padding of rich text.
fn rich_box(s: &mut TextStyle, a: &RichTextAsset) -> Result<(), Diagnostic> {
    if let Some(p) = &a.padding {
        let [top, right, bottom, left] = p.sides().map(|v| v.max(0.0) as f32);
        s.padding = Sides {
            top,
            right,
            bottom,
            left,
        };
    }
    if let Some(bg) = &a.background
        && let Some(c) = bg.color.as_deref()
    {
        let c = color_field("background.color", Some(c), Color::BLACK)?;
        s.background = Some(Background {
            color: with_opacity(c, opacity(bg.opacity)),
            radius: bg.border_radius.unwrap_or(0.0) as f32,
            wrap: bg.wrap.unwrap_or(false),
            padding: bg.padding.unwrap_or(0) as f32,
        });
    }
    if let Some(b) = a.border.as_ref().filter(|b| b.width.unwrap_or(0.0) > 0.0) {
        let c = color_field("border.color", b.color.as_deref(), Color::BLACK)?;
        s.border = Some(Border {
            width: b.width.unwrap_or(0.0) as f32,
            color: with_opacity(c, opacity(b.opacity)),
            radius: b.radius.unwrap_or(0.0) as f32,
        });
    }
    Ok(())
}

/// Font size of a title size preset, as a fraction of the canvas height.
pub(crate) fn title_size_fraction(size: Option<TitleSize>) -> f32 {
    match size.unwrap_or(TitleSize::Medium) {
        TitleSize::XxSmall => 0.025,
        TitleSize::XSmall => 0.035,
        TitleSize::Small => 0.045,
        TitleSize::Medium => 0.06,
        TitleSize::Large => 0.08,
        TitleSize::XLarge => 0.10,
        TitleSize::XxLarge => 0.13,
    }
}

/// Font, weight, case, letter spacing (em) and size factor of each title style.
fn title_look(style: TitleStyle) -> (&'static str, u16, TextTransform, f32, f32) {
    use TextTransform::{None as Plain, Uppercase as Caps};
    match style {
        TitleStyle::Minimal => ("Open Sans", 400, Plain, 0.0, 1.0),
        TitleStyle::Blockbuster => ("Bebas Neue", 400, Caps, 0.02, 1.4),
        TitleStyle::Vogue => ("Arapey", 400, Caps, 0.12, 1.0),
        TitleStyle::Sketchy => ("Sue Ellen Francisco", 400, Plain, 0.0, 1.3),
        TitleStyle::Skinny => ("Didact Gothic", 400, Plain, 0.05, 1.0),
        TitleStyle::Chunk => ("Montserrat", 700, Caps, 0.0, 1.0),
        TitleStyle::ChunkLight => ("Montserrat", 400, Caps, 0.0, 1.0),
        TitleStyle::Marker => ("Permanent Marker", 400, Plain, 0.0, 1.0),
        TitleStyle::Future => ("Clear Sans", 400, Caps, 0.15, 1.0),
        TitleStyle::Subtitle => ("Open Sans", 400, Plain, 0.0, 0.8),
    }
}

/// The `title` asset drawn into the whole `canvas`, placed by its `position` and `offset`.
pub(crate) fn title_style(a: &TitleAsset, canvas: (u32, u32)) -> Result<TextStyle, Diagnostic> {
    let style = a.style.unwrap_or(TitleStyle::Minimal);
    let (family, weight, transform, spacing_em, factor) = title_look(style);
    let (w, h) = (canvas.0 as f32, canvas.1 as f32);
    let size = (h * title_size_fraction(a.size) * factor).max(1.0);
    let mut s = TextStyle {
        family: family.into(),
        weight: Some(weight),
        size,
        line_height: 1.2,
        letter_spacing: spacing_em * size,
        transform,
        fill: Fill::Solid(color_field("color", a.color.as_deref(), Color::WHITE)?),
        ..TextStyle::new(a.text.clone(), canvas)
    };
    let default_bg = (style == TitleStyle::Subtitle).then(|| Color::from_rgba8(0, 0, 0, 153));
    let bg = match a.background.as_deref() {
        Some(c) => Some(color_field("background", Some(c), Color::BLACK)?),
        None => default_bg,
    };
    s.background = bg.map(|color| Background {
        color,
        radius: size * 0.15,
        wrap: true,
        padding: size * 0.3,
    });
    let default_pos = if style == TitleStyle::Subtitle {
        Position::Bottom
    } else {
        Position::Center
    };
    place(&mut s, a.position.unwrap_or(default_pos), (w, h));
    let ox = a
        .offset
        .as_ref()
        .and_then(|o| o.x.as_ref())
        .and_then(|x| x.number())
        .unwrap_or(0.0) as f32;
    let oy = a
        .offset
        .as_ref()
        .and_then(|o| o.y.as_ref())
        .and_then(|y| y.number())
        .unwrap_or(0.0) as f32;
    // Offsets are fractions of the canvas; +y is up. Moving both insets keeps the layout width.
    s.padding.left += ox * w;
    s.padding.right -= ox * w;
    s.padding.top -= oy * h;
    s.padding.bottom += oy * h;
    Ok(s)
}

/// Aligns a title to one of the 9 anchors, inset by a margin of 5% of the canvas.
fn place(s: &mut TextStyle, pos: Position, (w, h): (f32, f32)) {
    use Position::*;
    s.h_align = match pos {
        Left | TopLeft | BottomLeft => HAlign::Left,
        Right | TopRight | BottomRight => HAlign::Right,
        _ => HAlign::Center,
    };
    s.v_align = match pos {
        Top | TopLeft | TopRight => VAlign::Top,
        Bottom | BottomLeft | BottomRight => VAlign::Bottom,
        _ => VAlign::Middle,
    };
    let (mx, my) = (w * 0.05, h * 0.05);
    s.padding = Sides {
        top: my,
        right: mx,
        bottom: my,
        left: mx,
    };
}
