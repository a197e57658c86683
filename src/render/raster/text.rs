//! The text engine: lays a [`TextStyle`] out with cosmic-text (shaping, GPOS kerning, wrapping,
//! alignment, per-character font fallback) and draws it with tiny-skia from glyph outlines
//! (fill or gradient, stroke, shadow, decorations, background box, border).
//!
//! Knows nothing of Shotstack assets: `raster::assets` maps text, title and rich-text onto a
//! [`TextStyle`].

use std::collections::{HashMap, HashSet};

use cosmic_text::{Align, Attrs, Buffer, Family, Metrics, Shaping, Style, Weight, Wrap, fontdb};
use tiny_skia::{
    FillRule, GradientStop, LinearGradient, Paint, PathBuilder, Pixmap, PixmapPaint, Point,
    RadialGradient, Rect, Shader, SpreadMode, Stroke, Transform,
};
use unicode_normalization::UnicodeNormalization;

use super::Layer;
use super::fallback::{Cjk, continues_cluster, is_emoji};
use super::fonts::{Face, FontState, Fonts, face_by_id, needs_glyph};
use super::paint::{blur, rounded_rect, tint};
use crate::diagnostics::{Diagnostic, Warned};

/// Horizontal alignment of lines in the box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HAlign {
    /// Flush left.
    Left,
    /// Centred.
    #[default]
    Center,
    /// Flush right.
    Right,
}

/// Vertical placement of the text block in the box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VAlign {
    /// At the top.
    Top,
    /// Centred.
    #[default]
    Middle,
    /// At the bottom.
    Bottom,
}

/// Case change applied before layout (CSS `text-transform`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextTransform {
    /// As written.
    #[default]
    None,
    /// ALL CAPS.
    Uppercase,
    /// all lower case.
    Lowercase,
    /// First Letter Of Each Word.
    Capitalize,
}

/// A line drawn with the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Decoration {
    /// None.
    #[default]
    None,
    /// Under the baseline.
    Underline,
    /// Through the middle.
    LineThrough,
}

/// How glyphs are filled.
#[derive(Debug, Clone, PartialEq)]
pub enum Fill {
    /// One colour (alpha included).
    Solid(tiny_skia::Color),
    /// A gradient across the text's ink box.
    Gradient(Gradient),
}

/// A gradient fill.
#[derive(Debug, Clone, PartialEq)]
pub struct Gradient {
    /// Radial (from the centre) instead of linear.
    pub radial: bool,
    /// Direction of a linear gradient in degrees: 0 = left → right, 90 = top → bottom.
    pub angle: f32,
    /// Offsets 0..1 with colours.
    pub stops: Vec<(f32, tiny_skia::Color)>,
}

/// An outline around each glyph.
#[derive(Debug, Clone, PartialEq)]
pub struct TextStroke {
    /// Visible width outside the glyph, in pixels.
    pub width: f32,
    /// Colour (alpha included).
    pub color: tiny_skia::Color,
}

/// A drop shadow of the glyphs (and their stroke).
#[derive(Debug, Clone, PartialEq)]
pub struct Shadow {
    /// Offset right, in pixels.
    pub dx: f32,
    /// Offset down, in pixels.
    pub dy: f32,
    /// Blur radius in pixels (CSS-like: about twice the Gaussian's sigma).
    pub blur: f32,
    /// Colour (alpha included).
    pub color: tiny_skia::Color,
}

/// A filled box behind the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Background {
    /// Colour (alpha included).
    pub color: tiny_skia::Color,
    /// Corner radius in pixels.
    pub radius: f32,
    /// Hug the text block (plus `padding`) instead of filling the whole box.
    pub wrap: bool,
    /// Space between the text block and a wrapped background, in pixels.
    pub padding: f32,
}

/// A border around the box.
#[derive(Debug, Clone, PartialEq)]
pub struct Border {
    /// Width in pixels, drawn inside the box edge.
    pub width: f32,
    /// Colour (alpha included).
    pub color: tiny_skia::Color,
    /// Corner radius in pixels.
    pub radius: f32,
}

/// Insets in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Sides {
    /// Top inset.
    pub top: f32,
    /// Right inset.
    pub right: f32,
    /// Bottom inset.
    pub bottom: f32,
    /// Left inset.
    pub left: f32,
}

impl Sides {
    /// The same inset on every side.
    pub fn all(v: f32) -> Sides {
        Sides {
            top: v,
            right: v,
            bottom: v,
            left: v,
        }
    }
}

/// Everything the engine needs to draw one block of text into a box.
#[derive(Debug, Clone, PartialEq)]
pub struct TextStyle {
    /// The text; `\n` breaks lines. Drawn literally (no markup).
    pub text: String,
    /// Font family as the template names it (see `fonts/README.md`).
    pub family: String,
    /// Explicit CSS weight, overriding a weight word in `family`.
    pub weight: Option<u16>,
    /// Ask for an italic face.
    pub italic: bool,
    /// Font size in pixels.
    pub size: f32,
    /// Line height as a multiple of `size`.
    pub line_height: f32,
    /// Extra space after each character, in pixels.
    pub letter_spacing: f32,
    /// Case change.
    pub transform: TextTransform,
    /// Underline or line-through.
    pub decoration: Decoration,
    /// Glyph fill.
    pub fill: Fill,
    /// Opacity of the glyphs (with stroke and shadow), 0..1.
    pub opacity: f32,
    /// Glyph outline.
    pub stroke: Option<TextStroke>,
    /// Drop shadow.
    pub shadow: Option<Shadow>,
    /// Box behind the text.
    pub background: Option<Background>,
    /// Border around the box.
    pub border: Option<Border>,
    /// Insets of the layout area inside the box.
    pub padding: Sides,
    /// Horizontal alignment.
    pub h_align: HAlign,
    /// Vertical alignment.
    pub v_align: VAlign,
    /// Output size in pixels (the layer's box).
    pub box_size: (u32, u32),
    /// Wrap lines at the layout width (else only `\n` breaks lines).
    pub wrap: bool,
    /// Extra space after each space character, in pixels.
    pub word_spacing: f32,
    /// When the text is taller than the layout area: cut it and end it with this string.
    pub ellipsis: Option<String>,
    /// `font.size = "auto"`: shrink from `size` to this minimum until the text fits.
    pub auto_size: Option<f32>,
}

impl TextStyle {
    /// Defaults of the `text` asset (see `docs/text.md`): Open Sans 32 px white, line height 1,
    /// centred, wrapped, no background.
    pub fn new(text: impl Into<String>, box_size: (u32, u32)) -> TextStyle {
        TextStyle {
            text: text.into(),
            family: "Open Sans".into(),
            weight: None,
            italic: false,
            size: 32.0,
            line_height: 1.0,
            letter_spacing: 0.0,
            transform: TextTransform::None,
            decoration: Decoration::None,
            fill: Fill::Solid(tiny_skia::Color::WHITE),
            opacity: 1.0,
            stroke: None,
            shadow: None,
            background: None,
            border: None,
            padding: Sides::default(),
            h_align: HAlign::Center,
            v_align: VAlign::Middle,
            box_size,
            wrap: true,
            word_spacing: 0.0,
            ellipsis: None,
            auto_size: None,
        }
    }
}

/// One glyph placed in layer pixels.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PlacedGlyph {
    /// Font of the glyph.
    pub(crate) font: fontdb::ID,
    /// Glyph id in that font.
    pub(crate) glyph: u16,
    /// Pen x at the baseline.
    pub(crate) x: f32,
    /// Baseline y.
    pub(crate) y: f32,
    /// Font size in pixels.
    pub(crate) size: f32,
    /// Advance width in pixels.
    pub(crate) advance: f32,
    /// Index of the glyph's first character in the laid-out text (for animations).
    pub(crate) char_index: usize,
}

/// One laid-out line in layer pixels.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LineBox {
    /// Left edge of the ink advance.
    pub(crate) left: f32,
    /// Right edge.
    pub(crate) right: f32,
    /// Top of the line box.
    pub(crate) top: f32,
    /// Baseline.
    pub(crate) baseline: f32,
    /// Height of the line box.
    pub(crate) height: f32,
}

/// The result of layout: glyphs and lines in layer pixels.
pub(crate) struct Laid {
    /// Every glyph, in logical order per line.
    pub(crate) glyphs: Vec<PlacedGlyph>,
    /// Every line, top to bottom.
    pub(crate) lines: Vec<LineBox>,
    /// The face the text was set in (decoration metrics).
    pub(crate) primary: fontdb::ID,
    /// Number of characters in the laid-out text.
    pub(crate) chars: usize,
}

/// Lays out and draws `style` into a layer of `style.box_size`.
pub fn render_text(style: &TextStyle, fonts: &Fonts) -> Warned<Result<Layer, Diagnostic>> {
    // Lay out under the lock, draw without it: drawing only needs the (shared) font bytes.
    let (laid, faces, fitted) = {
        let mut state = fonts.lock();
        let fitted = super::fit::fitted(&mut state, style);
        let laid = layout(&mut state, fitted.as_ref().unwrap_or(style));
        let faces = used_faces(&state.faces, laid.output.as_ref().ok());
        (laid, faces, fitted)
    };
    let style = fitted.as_ref().unwrap_or(style);
    let pixmap = laid
        .output
        .and_then(|l| draw(&faces, style, &l, &Frame::rest(&l)));
    Warned {
        output: pixmap.map(Layer::new),
        warnings: laid.warnings,
    }
}

/// The faces `laid` draws with (cloning every face of a large system font set for each layer
/// would cost more than the layout).
pub(crate) fn used_faces(faces: &[Face], laid: Option<&Laid>) -> Vec<Face> {
    let Some(laid) = laid else {
        return Vec::new();
    };
    let ids: HashSet<fontdb::ID> = laid
        .glyphs
        .iter()
        .map(|g| g.font)
        .chain([laid.primary])
        .collect();
    faces
        .iter()
        .filter(|f| ids.contains(&f.id))
        .cloned()
        .collect()
}

/// The text after NFC normalisation and `transform`.
pub(crate) fn prepared_text(style: &TextStyle) -> String {
    let nfc: String = style.text.nfc().collect();
    match style.transform {
        TextTransform::None => nfc,
        TextTransform::Uppercase => nfc.to_uppercase(),
        TextTransform::Lowercase => nfc.to_lowercase(),
        TextTransform::Capitalize => capitalize(&nfc),
    }
}

fn capitalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = c.is_whitespace() || c == '-';
    }
    out
}

/// Lays `style` out in layer pixels (alignment and padding applied).
pub(crate) fn layout(state: &mut FontState, style: &TextStyle) -> Warned<Result<Laid, Diagnostic>> {
    let Warned {
        output: mut laid,
        warnings,
    } = lines(state, style);
    let inner_h = (style.box_size.1 as f32 - style.padding.top - style.padding.bottom).max(1.0);
    if super::cancelled() {
        return Warned {
            output: Err(super::cancelled_error()),
            warnings: Vec::new(),
        };
    }
    let dy = style.padding.top
        + match style.v_align {
            VAlign::Top => 0.0,
            VAlign::Bottom => inner_h - height(&laid),
            // The ink, not the line boxes: see `ink_extent`.
            VAlign::Middle => match ink_extent(&state.faces, &laid) {
                Some((top, bottom)) => (inner_h - (top + bottom)) / 2.0,
                None => (inner_h - height(&laid)) / 2.0,
            },
        };
    if super::cancelled() {
        return Warned {
            output: Err(super::cancelled_error()),
            warnings: Vec::new(),
        };
    }
    shift(&mut laid, style.padding.left, dy);
    Warned {
        output: Ok(laid),
        warnings,
    }
}

/// Shapes and wraps `style` into lines (ellipsis applied) without placing them in the box:
/// enough to tell whether the text fits ([`super::fit`]), without reading glyph outlines.
pub(crate) fn lines(state: &mut FontState, style: &TextStyle) -> Warned<Laid> {
    let text = prepared_text(style);
    let chosen = state.choose(&style.family, style.weight, &text);
    let mut warnings = chosen.warnings;
    let primary = chosen.output;
    let (runs, missing) = fallback_runs(state, primary, style.weight, &text);
    warnings.extend(missing);
    let inner_h = (style.box_size.1 as f32 - style.padding.top - style.padding.bottom).max(1.0);
    if super::cancelled() {
        // Cancelled during fallback (its runs may not cover the text): shape nothing; the
        // caller sees the cancel flag and stops.
        return Warned {
            output: shape(state, style, primary, "", &[]),
            warnings,
        };
    }
    let mut laid = shape(state, style, primary, &text, &runs);
    if let Some(ellipsis) = style.ellipsis.as_deref()
        && height(&laid) > inner_h + 0.5
    {
        laid = ellipsize(state, style, primary, &text, ellipsis, inner_h);
    }
    Warned {
        output: laid,
        warnings,
    }
}

/// Top and bottom of the glyphs' ink (the union of their outline bounding boxes), or `None`
/// when nothing is inked (empty text, only spaces).
///
/// Middle alignment centres this, as ffmpeg's `drawtext` does with `y=(h-text_h)/2`, rather
/// than the line boxes: where the line box puts the glyphs depends on each font's ascent and
/// descent, which fonts set inconsistently (some leave room for accents above the capitals,
/// some do not), so centring line boxes leaves the visible text a font-dependent amount too
/// high or too low. The lines keep their spacing; only the whole block moves.
fn ink_extent(faces: &[Face], laid: &Laid) -> Option<(f32, f32)> {
    let mut parsed: HashMap<fontdb::ID, Option<ttf_parser::Face>> = HashMap::new();
    let mut extent: Option<(f32, f32)> = None;
    for (i, g) in laid.glyphs.iter().enumerate() {
        if i % super::CANCEL_EVERY == 0 && super::cancelled() {
            return None;
        }
        let face = parsed
            .entry(g.font)
            .or_insert_with(|| face_by_id(faces, g.font).and_then(|f| f.parse()));
        let Some(face) = face else { continue };
        let Some(b) = face.glyph_bounding_box(ttf_parser::GlyphId(g.glyph)) else {
            continue;
        };
        let scale = g.size / face.units_per_em() as f32;
        let (top, bottom) = (g.y - b.y_max as f32 * scale, g.y - b.y_min as f32 * scale);
        extent = Some(extent.map_or((top, bottom), |(t, b)| (t.min(top), b.max(bottom))));
    }
    extent
}

/// Height of the laid-out text block.
fn height(laid: &Laid) -> f32 {
    laid.lines.last().map_or(0.0, |l| l.top + l.height)
}

/// The longest prefix of `text` that, followed by `ellipsis`, fits `max_h` (binary search over
/// character counts; each try is a full layout, so about log2(length) layouts).
fn ellipsize(
    state: &mut FontState,
    style: &TextStyle,
    primary: usize,
    text: &str,
    ellipsis: &str,
    max_h: f32,
) -> Laid {
    let bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    let attempt = |state: &mut FontState, k: usize| {
        let cut = bounds.get(k).copied().unwrap_or(text.len());
        let candidate = format!("{}{ellipsis}", text[..cut].trim_end());
        let (runs, _) = fallback_runs(state, primary, style.weight, &candidate);
        shape(state, style, primary, &candidate, &runs)
    };
    let (mut lo, mut hi) = (0usize, bounds.len());
    while lo < hi && !super::cancelled() {
        let mid = (lo + hi).div_ceil(2);
        if height(&attempt(state, mid)) <= max_h + 0.5 {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    attempt(state, lo)
}

/// Shapes `text` (split into font `runs`) and wraps it to the layout width; buffer coordinates.
fn shape(
    state: &mut FontState,
    style: &TextStyle,
    primary: usize,
    text: &str,
    runs: &[(std::ops::Range<usize>, usize)],
) -> Laid {
    let inner_w = (style.box_size.0 as f32 - style.padding.left - style.padding.right).max(1.0);
    let size = style.size.max(1.0);
    let metrics = Metrics::new(size, (size * style.line_height).max(1.0));
    let FontState { system, faces, .. } = state;
    let mut buffer = Buffer::new(system, metrics);
    buffer.set_wrap(if style.wrap {
        Wrap::WordOrGlyph
    } else {
        Wrap::None
    });
    buffer.set_size(Some(inner_w), None);
    let spans = spans(text, runs, style.word_spacing != 0.0).map(|(range, face, space)| {
        let f = &faces[face];
        let extra = if space { style.word_spacing } else { 0.0 };
        let attrs = Attrs::new()
            .family(Family::Name(&f.family))
            .weight(Weight(f.weight))
            .style(if f.italic {
                Style::Italic
            } else {
                Style::Normal
            })
            .letter_spacing((style.letter_spacing + extra) / size);
        (&text[range], attrs)
    });
    let align = match style.h_align {
        HAlign::Left => Align::Left,
        HAlign::Center => Align::Center,
        HAlign::Right => Align::Right,
    };
    buffer.set_rich_text(spans, &Attrs::new(), Shaping::Advanced, Some(align));
    buffer.shape_until_scroll(system, false);
    collect(&buffer, text, faces[primary].id)
}

/// The font runs, further split at spaces when `split_spaces` (word spacing applies to spaces
/// only): `(byte range, face, is_space)`.
fn spans<'a>(
    text: &'a str,
    runs: &'a [(std::ops::Range<usize>, usize)],
    split_spaces: bool,
) -> impl Iterator<Item = (std::ops::Range<usize>, usize, bool)> + 'a {
    runs.iter().flat_map(move |(range, face)| {
        let mut out: Vec<(std::ops::Range<usize>, usize, bool)> = Vec::new();
        for (i, c) in text[range.clone()].char_indices() {
            let at = range.start + i;
            let space = split_spaces && c == ' ';
            match out.last_mut() {
                Some((r, _, s)) if *s == space => r.end = at + c.len_utf8(),
                _ => out.push((at..at + c.len_utf8(), *face, space)),
            }
        }
        out
    })
}

/// Reads glyphs and lines out of a shaped buffer (buffer coordinates).
fn collect(buffer: &Buffer, text: &str, primary: fontdb::ID) -> Laid {
    let mut laid = Laid {
        glyphs: Vec::new(),
        lines: Vec::new(),
        primary,
        chars: text.chars().count(),
    };
    // Byte offset of each line's start in `text`, to number characters across lines.
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    // Glyphs come in (nearly) logical order: counting characters from the previous glyph
    // keeps numbering linear in the text (counting from the start for each glyph took
    // seconds for a 300k-character cell; issue 15).
    let mut cursor = CharCursor::default();
    for run in buffer.layout_runs() {
        let (mut left, mut right) = (f32::MAX, f32::MIN);
        let base = line_starts.get(run.line_i).copied().unwrap_or(0);
        if laid.glyphs.len() % super::CANCEL_EVERY < run.glyphs.len() && super::cancelled() {
            break;
        }
        for g in run.glyphs {
            left = left.min(g.x);
            right = right.max(g.x + g.w);
            laid.glyphs.push(PlacedGlyph {
                font: g.font_id,
                glyph: g.glyph_id,
                x: g.x + g.font_size * g.x_offset,
                y: run.line_y + g.y - g.font_size * g.y_offset,
                size: g.font_size,
                advance: g.w,
                char_index: cursor.index(text, base + g.start),
            });
        }
        if run.glyphs.is_empty() {
            (left, right) = (0.0, 0.0);
        }
        laid.lines.push(LineBox {
            left,
            right,
            top: run.line_top,
            baseline: run.line_y,
            height: run.line_height,
        });
    }
    laid
}

/// Character index of a byte offset, counted from the last offset asked for.
#[derive(Debug, Default)]
struct CharCursor {
    /// The last byte offset.
    byte: usize,
    /// Characters before it.
    chars: usize,
}

impl CharCursor {
    /// The number of characters of `text` before byte `at` (0 if `at` is not a boundary).
    fn index(&mut self, text: &str, at: usize) -> usize {
        let count = |a: usize, b: usize| text.get(a..b).map_or(0, |s| s.chars().count());
        if at >= self.byte {
            self.chars += count(self.byte, at);
        } else {
            self.chars = self.chars.saturating_sub(count(at, self.byte));
        }
        self.byte = at;
        self.chars
    }
}

fn shift(laid: &mut Laid, dx: f32, dy: f32) {
    for g in &mut laid.glyphs {
        g.x += dx;
        g.y += dy;
    }
    for l in &mut laid.lines {
        l.left += dx;
        l.right += dx;
        l.top += dy;
        l.baseline += dy;
    }
}

/// Splits `text` into runs of the face that draws them: `primary` where it has the glyph, else
/// the fallback for the character ([`super::fallback`]); marks, joiners and variation
/// selectors stay with the character before them, and a character after a zero-width joiner
/// stays in its face when it can, so clusters and emoji sequences shape as one. Returns a
/// warning per fallback face naming the characters.
fn fallback_runs(
    state: &mut FontState,
    primary: usize,
    weight: Option<u16>,
    text: &str,
) -> (Vec<(std::ops::Range<usize>, usize)>, Vec<Diagnostic>) {
    let (data, index) = (
        state.faces[primary].data.clone(),
        state.faces[primary].index,
    );
    let parsed = ttf_parser::Face::parse((*data).as_ref(), index).ok();
    let primary_has =
        |c: char| !needs_glyph(c) || parsed.as_ref().is_some_and(|f| f.glyph_index(c).is_some());
    let bold = weight.unwrap_or(state.faces[primary].weight) >= 600;
    let italic = state.faces[primary].italic;
    let cjk = Cjk::of(text);
    let mut runs: Vec<(std::ops::Range<usize>, usize)> = Vec::new();
    let mut missing: Vec<(usize, Vec<char>)> = Vec::new();
    let mut noted: HashSet<(usize, char)> = HashSet::new();
    let mut chars = text.char_indices().peekable();
    let mut prev: Option<char> = None;
    let mut n = 0usize;
    while let Some((i, c)) = chars.next() {
        n += 1;
        if n.is_multiple_of(super::CANCEL_EVERY) && super::cancelled() {
            break;
        }
        let next = chars.peek().map(|&(_, n)| n);
        let emoji = is_emoji(c) || next == Some('\u{FE0F}');
        let last = runs.last().map(|r| r.1);
        let stay = last.filter(|&f| {
            (continues_cluster(c) || prev == Some('\u{200D}')) && state.has_glyph(f, c)
        });
        let face = if let Some(f) = stay {
            f
        } else if !needs_glyph(c) || (primary_has(c) && !emoji) {
            primary
        } else {
            let fb = state.fallback_for(c, bold, italic, cjk, emoji);
            if primary_has(c) {
                // An emoji the requested font also has: a colour emoji font draws it if any.
                fb.filter(|&f| state.faces[f].key.contains("emoji"))
                    .unwrap_or(primary)
            } else {
                let face = fb.unwrap_or(usize::MAX);
                if noted.insert((face, c)) {
                    note_missing(&mut missing, face, c);
                }
                fb.unwrap_or(primary)
            }
        };
        prev = Some(c);
        match runs.last_mut() {
            Some((r, f)) if *f == face => r.end = i + c.len_utf8(),
            _ => runs.push((i..i + c.len_utf8(), face)),
        }
    }
    let family = state.faces[primary].family.clone();
    let warnings = missing
        .into_iter()
        .map(|(fb, chars)| missing_warning(state, &family, fb, &chars));
    (runs, warnings.collect())
}

/// Adds `c` (not noted before) to the missing characters of fallback `face`.
fn note_missing(missing: &mut Vec<(usize, Vec<char>)>, face: usize, c: char) {
    match missing.iter_mut().find(|(f, _)| *f == face) {
        Some((_, chars)) => chars.push(c),
        None => missing.push((face, vec![c])),
    }
}

fn missing_warning(state: &FontState, family: &str, face: usize, chars: &[char]) -> Diagnostic {
    const SHOWN: usize = 5;
    let mut list: Vec<String> = chars
        .iter()
        .take(SHOWN)
        .map(|c| format!("'{c}' (U+{:04X})", *c as u32))
        .collect();
    if chars.len() > SHOWN {
        list.push(format!("and {} more", chars.len() - SHOWN));
    }
    let list = list.join(", ");
    match state.faces.get(face) {
        Some(fb) => Diagnostic::warning(format!(
            "font `{}` has no glyph for {list}; drawing {} with {}",
            family.trim(),
            if chars.len() == 1 { "it" } else { "them" },
            fb.family.trim()
        )),
        None => Diagnostic::warning(format!(
            "no {} font has a glyph for {list}; it is drawn as a box",
            if state.discovery.searches() {
                "bundled or installed"
            } else {
                "bundled"
            }
        ))
        .with_help(
            "install a font that covers it (Debian: fonts-noto-core, fonts-noto-cjk, \
             fonts-noto-color-emoji), pass `--font-path DIR`, or add it to `timeline.fonts`",
        ),
    }
}

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
    if super::cancelled() {
        return Err(super::cancelled_error());
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
    for (range, look) in &frame.groups {
        let glyphs = laid.glyphs.get(range.clone()).unwrap_or_default();
        let mut pb = PathBuilder::new();
        let bitmaps = outline_glyphs(&mut pb, faces, &mut parsed, glyphs);
        let path = pb.finish();
        let b = path
            .as_ref()
            .map(|p| p.bounds())
            .into_iter()
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
    let image_bounds = images.iter().filter_map(|(img, t, _)| {
        let r = Rect::from_xywh(0.0, 0.0, img.width() as f32, img.height() as f32)?;
        r.transform(*t)
    });
    let (mut layer, x0, y0) = ink_pixmap(style, &items, image_bounds)?;
    for (path, t, alpha) in &items {
        let t = t.post_translate(-x0 as f32, -y0 as f32);
        if *alpha >= 1.0 {
            paint_path(&mut layer, style, path, t, 1.0);
        } else {
            paint_faded(&mut layer, style, path, t, *alpha);
        }
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
        paint.set_color(super::paint::with_opacity(stroke.color, alpha));
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

/// A colour bitmap glyph (CBDT/sbix emoji) placed in layer pixels.
struct Bitmap {
    /// The glyph image.
    image: Pixmap,
    /// Top-left corner in layer pixels.
    x: f32,
    y: f32,
    /// Layer pixels per image pixel.
    scale: f32,
}

impl Bitmap {
    fn rect(&self) -> Option<Rect> {
        Rect::from_xywh(
            self.x,
            self.y,
            self.image.width() as f32 * self.scale,
            self.image.height() as f32 * self.scale,
        )
    }
}

/// Adds the outlines of `glyphs` to `pb`, in layer pixels; returns the colour bitmaps of
/// glyphs that have no outline but an embedded image (colour emoji), scaled to the font size.
fn outline_glyphs<'a>(
    pb: &mut PathBuilder,
    faces: &'a [Face],
    parsed: &mut HashMap<fontdb::ID, Option<ttf_parser::Face<'a>>>,
    glyphs: &[PlacedGlyph],
) -> Vec<Bitmap> {
    let mut bitmaps = Vec::new();
    for (i, g) in glyphs.iter().enumerate() {
        if i % super::CANCEL_EVERY == 0 && super::cancelled() {
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
            if face.outline_glyph(id, &mut sink).is_none()
                && let Some(b) = bitmap_glyph(face, id, g)
            {
                bitmaps.push(b);
            }
        }
    }
    bitmaps
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
fn decorate(pb: &mut PathBuilder, faces: &[Face], style: &TextStyle, laid: &Laid) {
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use tiny_skia::Color;

    /// Bounding box (x0, y0, x1, y1) of pixels whose alpha is over 128 and whose colour is
    /// close to `rgb`.
    pub(crate) fn ink_box(p: &Pixmap, rgb: (u8, u8, u8)) -> Option<(u32, u32, u32, u32)> {
        let mut b: Option<(u32, u32, u32, u32)> = None;
        for y in 0..p.height() {
            for x in 0..p.width() {
                let c = p.pixel(x, y).unwrap().demultiply();
                let close = |a: u8, b: u8| (a as i32 - b as i32).abs() < 40;
                if c.alpha() > 128
                    && close(c.red(), rgb.0)
                    && close(c.green(), rgb.1)
                    && close(c.blue(), rgb.2)
                {
                    b = Some(match b {
                        None => (x, y, x, y),
                        Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x), y1.max(y)),
                    });
                }
            }
        }
        b
    }

    fn render(style: &TextStyle) -> (Pixmap, Vec<String>) {
        let fonts = Fonts::bundled();
        let w = render_text(style, &fonts);
        let warnings = w.warnings.iter().map(|d| d.message.clone()).collect();
        (w.output.unwrap().image, warnings)
    }

    pub(crate) fn red_on_blue(text: &str, box_size: (u32, u32)) -> TextStyle {
        TextStyle {
            fill: Fill::Solid(Color::from_rgba8(255, 0, 0, 255)),
            background: Some(Background {
                color: Color::from_rgba8(0, 0, 255, 255),
                radius: 0.0,
                wrap: false,
                padding: 0.0,
            }),
            ..TextStyle::new(text, box_size)
        }
    }

    #[test]
    fn glyphs_in_colour_inside_the_box_background_elsewhere() {
        let (p, warnings) = render(&red_on_blue("Hello", (200, 80)));
        assert!(warnings.is_empty(), "{warnings:?}");
        let (x0, y0, x1, y1) = ink_box(&p, (255, 0, 0)).expect("red ink");
        assert!(
            x0 > 20 && x1 < 180 && y0 > 10 && y1 < 70,
            "{:?}",
            (x0, y0, x1, y1)
        );
        for (x, y) in [(2, 2), (197, 77), (100, 2), (5, 40)] {
            let c = p.pixel(x, y).unwrap();
            assert_eq!(
                (c.red(), c.green(), c.blue(), c.alpha()),
                (0, 0, 255, 255),
                "at {x},{y}"
            );
        }
    }

    #[test]
    fn alignment_moves_the_ink() {
        let boxes: Vec<_> = [HAlign::Left, HAlign::Center, HAlign::Right]
            .into_iter()
            .map(|h_align| {
                let style = TextStyle {
                    h_align,
                    ..red_on_blue("Hi", (300, 60))
                };
                ink_box(&render(&style).0, (255, 0, 0)).unwrap()
            })
            .collect();
        let (l, c, r) = (boxes[0], boxes[1], boxes[2]);
        assert!(l.0 < 10, "left {l:?}");
        assert!(r.2 > 290, "right {r:?}");
        let mid = (c.0 + c.2) / 2;
        assert!((140..=160).contains(&mid), "center {c:?}");
        let tops: Vec<_> = [VAlign::Top, VAlign::Middle, VAlign::Bottom]
            .into_iter()
            .map(|v_align| {
                let style = TextStyle {
                    v_align,
                    ..red_on_blue("Hi", (100, 200))
                };
                ink_box(&render(&style).0, (255, 0, 0)).unwrap().1
            })
            .collect();
        assert!(
            tops[0] < 20 && tops[1] > 70 && tops[1] < 110 && tops[2] > 150,
            "{tops:?}"
        );
    }

    /// Middle alignment centres the ink (drawtext's `y=(h-text_h)/2`), whatever the font's
    /// ascent and descent and whether the text has descenders; lines keep their spacing.
    #[test]
    fn middle_alignment_centres_the_ink() {
        let cases = [
            ("Hello, Jane!", "DejaVu Sans Bold", 64.0, (800, 112), 0.0),
            ("HELLO", "Open Sans", 48.0, (400, 100), 0.0),
            ("gyp", "Sue Ellen Francisco", 60.0, (300, 120), 0.0),
            ("Two\nlines", "Montserrat", 40.0, (300, 200), 0.0),
            ("Padded", "Roboto", 30.0, (300, 120), 20.0),
        ];
        for (text, family, size, box_size, pad) in cases {
            let style = TextStyle {
                family: family.into(),
                size,
                padding: Sides {
                    top: pad,
                    ..Sides::default()
                },
                ..red_on_blue(text, box_size)
            };
            let (p, warnings) = render(&style);
            assert!(warnings.is_empty(), "{text}: {warnings:?}");
            let (_, y0, _, y1) = ink_box(&p, (255, 0, 0)).expect("red ink");
            let above = y0 as f32 - pad;
            let below = (box_size.1 - 1 - y1) as f32;
            assert!(
                (above - below).abs() <= 1.0,
                "{text} in {family}: {above} px above the ink, {below} below"
            );
        }
        let fonts = Fonts::bundled();
        let mut state = fonts.lock();
        let laid = layout(&mut state, &TextStyle::new("Two\nlines", (300, 200)))
            .output
            .unwrap();
        let pitch = laid.lines[1].baseline - laid.lines[0].baseline;
        assert!((pitch - 32.0).abs() < 0.01, "line pitch {pitch}");
    }

    #[test]
    fn a_narrow_box_wraps_into_more_lines() {
        let fonts = Fonts::bundled();
        let mut state = fonts.lock();
        let text = "The quick brown fox jumps over the lazy dog";
        let wide = layout(&mut state, &TextStyle::new(text, (1600, 200)))
            .output
            .unwrap();
        let narrow = layout(&mut state, &TextStyle::new(text, (200, 600)))
            .output
            .unwrap();
        assert_eq!(wide.lines.len(), 1);
        assert!(narrow.lines.len() >= 4, "{} lines", narrow.lines.len());
        assert!(narrow.lines.iter().all(|l| l.right <= 201.0));
    }

    #[test]
    fn missing_glyphs_fall_back_to_dejavu_with_a_warning() {
        let style = TextStyle {
            family: "Arapey".into(),
            ..red_on_blue("Привет", (300, 80))
        };
        let (p, warnings) = render(&style);
        let (x0, _, x1, _) = ink_box(&p, (255, 0, 0)).expect("cyrillic ink");
        assert!(x1 - x0 > 60, "ink too narrow: {x0}..{x1}");
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("'П' (U+041F)") && warnings[0].contains("DejaVu Sans"),
            "{}",
            warnings[0]
        );
        let fonts = Fonts::bundled();
        let mut state = fonts.lock();
        let laid = layout(&mut state, &style).output.unwrap();
        let dejavu = state.faces[state.fallback_face(false)].id;
        assert!(laid.glyphs.iter().all(|g| g.font == dejavu));
    }

    #[test]
    fn mixed_text_only_swaps_the_missing_characters() {
        let fonts = Fonts::bundled();
        let mut state = fonts.lock();
        let style = TextStyle {
            family: "Arapey".into(),
            ..TextStyle::new("Ab Ж", (300, 80))
        };
        let laid = layout(&mut state, &style).output.unwrap();
        let fonts_used: Vec<_> = laid
            .glyphs
            .iter()
            .map(|g| face_by_id(&state.faces, g.font).unwrap().file.clone())
            .collect();
        assert_eq!(
            fonts_used.first().map(String::as_str),
            Some("Arapey-Regular.ttf")
        );
        assert_eq!(
            fonts_used.last().map(String::as_str),
            Some("DejaVuSans.ttf")
        );
    }

    #[test]
    fn special_characters_render_literally_and_newlines_break() {
        let fonts = Fonts::bundled();
        let mut state = fonts.lock();
        let text = "say \"hi\": C:\\path %{name}\nnext {{ x }}";
        let laid = layout(&mut state, &TextStyle::new(text, (1000, 200)))
            .output
            .unwrap();
        assert_eq!(laid.lines.len(), 2);
        let visible = text.chars().filter(|c| !c.is_whitespace()).count();
        let inked = laid.glyphs.iter().filter(|g| g.glyph != 0).count();
        assert!(inked >= visible, "{inked} glyphs for {visible} characters");
        drop(state);
        let (p, warnings) = render(&red_on_blue(text, (1000, 200)));
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(ink_box(&p, (255, 0, 0)).is_some());
    }

    #[test]
    fn ellipsis_cuts_overflowing_text_to_fit() {
        let fonts = Fonts::bundled();
        let mut state = fonts.lock();
        let long = "one two three four five six seven eight nine ten eleven twelve";
        let mut style = TextStyle::new(long, (200, 80));
        let overflowing = layout(&mut state, &style).output.unwrap();
        assert!(height(&overflowing) > 80.0);
        style.ellipsis = Some("…".into());
        let cut = layout(&mut state, &style).output.unwrap();
        assert!(height(&cut) <= 80.5, "{}", height(&cut));
        assert!(cut.lines.len() >= 2, "{} lines", cut.lines.len());
        let dejavu_or_open = cut.glyphs.last().unwrap();
        let face = face_by_id(&state.faces, dejavu_or_open.font).unwrap();
        let ttf = face.parse().unwrap();
        assert_eq!(
            ttf.glyph_index('…').map(|g| g.0),
            Some(dejavu_or_open.glyph)
        );
    }

    #[test]
    fn word_spacing_widens_only_spaces() {
        let fonts = Fonts::bundled();
        let mut state = fonts.lock();
        let mut style = TextStyle::new("a b c", (1000, 100));
        let width = |l: &Laid| l.lines[0].right - l.lines[0].left;
        let plain = width(&layout(&mut state, &style).output.unwrap());
        style.word_spacing = 10.0;
        let spaced = width(&layout(&mut state, &style).output.unwrap());
        assert!((spaced - plain - 20.0).abs() < 1.5, "{plain} → {spaced}");
        let solid = TextStyle {
            word_spacing: 10.0,
            ..TextStyle::new("abc", (1000, 100))
        };
        let laid = layout(&mut state, &solid).output.unwrap();
        let base = layout(&mut state, &TextStyle::new("abc", (1000, 100)))
            .output
            .unwrap();
        assert!((width(&laid) - width(&base)).abs() < 0.5);
    }

    #[test]
    fn text_transform_and_nfc() {
        let mut style = TextStyle::new("e\u{301}t\u{e9} hello-world", (10, 10));
        style.transform = TextTransform::Capitalize;
        assert_eq!(prepared_text(&style), "\u{c9}t\u{e9} Hello-World");
        style.transform = TextTransform::Uppercase;
        assert_eq!(prepared_text(&style), "\u{c9}T\u{c9} HELLO-WORLD");
    }

    #[test]
    fn stroke_and_shadow_add_their_colours() {
        let style = TextStyle {
            size: 60.0,
            stroke: Some(TextStroke {
                width: 3.0,
                color: Color::from_rgba8(0, 255, 0, 255),
            }),
            shadow: Some(Shadow {
                dx: 8.0,
                dy: 8.0,
                blur: 0.0,
                color: Color::from_rgba8(255, 255, 0, 255),
            }),
            ..red_on_blue("O", (200, 120))
        };
        let (p, _) = render(&style);
        let fill = ink_box(&p, (255, 0, 0)).unwrap();
        let stroke = ink_box(&p, (0, 255, 0)).unwrap();
        let shadow = ink_box(&p, (255, 255, 0)).unwrap();
        assert!(
            stroke.0 < fill.0 && stroke.2 > fill.2,
            "{stroke:?} vs {fill:?}"
        );
        assert!(
            shadow.2 > stroke.2 && shadow.3 > stroke.3,
            "{shadow:?} vs {stroke:?}"
        );
    }
}
