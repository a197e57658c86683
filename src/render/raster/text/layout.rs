//! Layout: shapes a [`TextStyle`] with cosmic-text into [`Laid`] glyphs and lines in layer
//! pixels (wrapping, alignment, ellipsis), with font runs from [`super::runs`].

use std::collections::HashMap;

use cosmic_text::{Align, Attrs, Buffer, Family, Metrics, Shaping, Style, Weight, Wrap, fontdb};

use super::super::fonts::{Face, FontState, face_by_id};
use super::paragraph;
use super::runs::fallback_runs;
use super::{HAlign, TextStyle, VAlign, prepared_text};
use crate::diagnostics::{Diagnostic, Warned};

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

/// Lays `style` out in layer pixels (alignment and padding applied).
pub(crate) fn layout(state: &mut FontState, style: &TextStyle) -> Warned<Result<Laid, Diagnostic>> {
    let Warned {
        output: mut laid,
        warnings,
    } = lines(state, style);
    let inner_h = (style.box_size.1 as f32 - style.padding.top - style.padding.bottom).max(1.0);
    if super::super::cancelled() {
        return Warned {
            output: Err(super::super::cancelled_error()),
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
    if super::super::cancelled() {
        return Warned {
            output: Err(super::super::cancelled_error()),
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
    if super::super::cancelled() {
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
        if i % super::super::CANCEL_EVERY == 0 && super::super::cancelled() {
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
pub(super) fn height(laid: &Laid) -> f32 {
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
    while lo < hi && !super::super::cancelled() {
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
    shape_in_pieces(state, style, primary, text, runs, paragraph::PIECE)
}

/// [`shape`], with paragraphs shaped in pieces of about `piece` bytes ([`paragraph`]).
pub(super) fn shape_in_pieces(
    state: &mut FontState,
    style: &TextStyle,
    primary: usize,
    text: &str,
    runs: &[(std::ops::Range<usize>, usize)],
    piece: usize,
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
    let primary = faces[primary].id;
    match paragraph::layout(system, &buffer, piece) {
        Some(lines) => collect(&paragraph::runs(&lines, metrics.line_height), text, primary),
        // Cancelled: nothing laid out; the caller sees the flag and stops.
        None => collect(&[], "", primary),
    }
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

/// Reads glyphs and lines out of the wrapped lines of `text` (buffer coordinates).
fn collect(runs: &[paragraph::Run], text: &str, primary: fontdb::ID) -> Laid {
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
    for run in runs {
        let (mut left, mut right) = (f32::MAX, f32::MIN);
        let base = line_starts.get(run.line_i).copied().unwrap_or(0);
        if laid.glyphs.len() % super::super::CANCEL_EVERY < run.glyphs.len()
            && super::super::cancelled()
        {
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
