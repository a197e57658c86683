//! Colour outline glyphs (the `COLR` table with its `CPAL` palette): each layer of a colour
//! glyph is an outline filled with its own colour, instead of the glyph's monochrome outline
//! in the text's fill (issue 10: emoji in colour).
//!
//! COLRv0 (layers of solid colours) is drawn exactly. Of COLRv1, solid paints, transforms
//! and the innermost clip are followed; a gradient is drawn in the average of its stops and
//! composite modes are drawn as source-over: legible, not exact.

use tiny_skia::{Color, Path, PathBuilder, Rect, Transform};
use ttf_parser::colr::{ClipBox, CompositeMode, Paint, Painter};
use ttf_parser::{GlyphId, RgbaColor};

/// One layer of a colour glyph in layer pixels.
pub(super) struct ColorLayer {
    /// The area to fill.
    pub(super) path: Path,
    /// Its colour.
    pub(super) color: Color,
}

/// The layers of glyph `id` of `face` drawn at pen `(x, y)` and `size` pixels, or `None` when
/// the face has no colour version of it. `foreground` is the text colour (palette index
/// 0xFFFF).
pub(super) fn layers(
    face: &ttf_parser::Face,
    id: GlyphId,
    (x, y, size): (f32, f32, f32),
    foreground: Color,
) -> Option<Vec<ColorLayer>> {
    if !face.is_color_glyph(id) {
        return None;
    }
    let scale = size / face.units_per_em() as f32;
    let mut painter = Layers {
        face,
        // Font units (y up) to layer pixels (y down) at the pen.
        base: Transform::from_row(scale, 0.0, 0.0, -scale, x, y),
        transforms: Vec::new(),
        outline: None,
        clips: Vec::new(),
        out: Vec::new(),
    };
    let fg = foreground.to_color_u8();
    let fg = RgbaColor::new(fg.red(), fg.green(), fg.blue(), fg.alpha());
    face.paint_color_glyph(id, 0, fg, &mut painter)?;
    Some(painter.out)
}

/// A [`Painter`] collecting filled layers.
struct Layers<'f, 'a> {
    face: &'f ttf_parser::Face<'a>,
    base: Transform,
    /// Pushed transforms (font units), each composed with those under it.
    transforms: Vec<Transform>,
    /// The last outline, in layer pixels.
    outline: Option<Path>,
    /// Pushed clips, in layer pixels.
    clips: Vec<Option<Path>>,
    out: Vec<ColorLayer>,
}

impl Layers<'_, '_> {
    /// Font units to layer pixels under the pushed transforms.
    fn current(&self) -> Transform {
        match self.transforms.last() {
            Some(t) => self.base.pre_concat(*t),
            None => self.base,
        }
    }
}

impl<'a> Painter<'a> for Layers<'_, 'a> {
    fn outline_glyph(&mut self, glyph_id: GlyphId) {
        let mut pb = PathBuilder::new();
        let mut sink = Units(&mut pb);
        self.outline = self
            .face
            .outline_glyph(glyph_id, &mut sink)
            .and_then(|_| pb.finish())
            .and_then(|p| p.transform(self.current()));
    }

    fn paint(&mut self, paint: Paint<'a>) {
        let color = match paint {
            Paint::Solid(c) => Some(c),
            Paint::LinearGradient(g) => average(g.stops(0, &[]).map(|s| s.color)),
            Paint::RadialGradient(g) => average(g.stops(0, &[]).map(|s| s.color)),
            Paint::SweepGradient(g) => average(g.stops(0, &[]).map(|s| s.color)),
        };
        // COLRv0 paints the outline just set; COLRv1 fills the clip it pushed.
        let path = match self.clips.last() {
            Some(clip) => clip.clone(),
            None => self.outline.clone(),
        };
        if let (Some(path), Some(c)) = (path, color) {
            self.out.push(ColorLayer {
                path,
                color: Color::from_rgba8(c.red, c.green, c.blue, c.alpha),
            });
        }
    }

    fn push_clip(&mut self) {
        self.clips.push(self.outline.clone());
    }

    fn push_clip_box(&mut self, b: ClipBox) {
        let path = Rect::from_ltrb(b.x_min, b.y_min, b.x_max, b.y_max)
            .map(PathBuilder::from_rect)
            .and_then(|p| p.transform(self.current()));
        self.clips.push(path);
    }

    fn pop_clip(&mut self) {
        self.clips.pop();
    }

    fn push_layer(&mut self, _mode: CompositeMode) {}

    fn pop_layer(&mut self) {}

    fn push_transform(&mut self, t: ttf_parser::Transform) {
        let t = Transform::from_row(t.a, t.b, t.c, t.d, t.e, t.f);
        let composed = match self.transforms.last() {
            Some(under) => under.pre_concat(t),
            None => t,
        };
        self.transforms.push(composed);
    }

    fn pop_transform(&mut self) {
        self.transforms.pop();
    }
}

/// The mean of some colours (a gradient's stops).
fn average(colors: impl Iterator<Item = RgbaColor>) -> Option<RgbaColor> {
    let (mut sum, mut n) = ([0u32; 4], 0u32);
    for c in colors {
        for (s, v) in sum.iter_mut().zip([c.red, c.green, c.blue, c.alpha]) {
            *s += v as u32;
        }
        n += 1;
    }
    (n > 0).then(|| {
        let m = |i: usize| (sum[i] / n) as u8;
        RgbaColor::new(m(0), m(1), m(2), m(3))
    })
}

/// An outline sink in font units.
struct Units<'p>(&'p mut PathBuilder);

impl ttf_parser::OutlineBuilder for Units<'_> {
    fn move_to(&mut self, x: f32, y: f32) {
        self.0.move_to(x, y);
    }
    fn line_to(&mut self, x: f32, y: f32) {
        self.0.line_to(x, y);
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        self.0.quad_to(x1, y1, x, y);
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        self.0.cubic_to(x1, y1, x2, y2, x, y);
    }
    fn close(&mut self) {
        self.0.close();
    }
}
