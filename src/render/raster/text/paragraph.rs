//! Shaping and wrapping the lines of a cosmic-text [`Buffer`] the way `shape_until_scroll`
//! does, except that a long paragraph is shaped in pieces with a look at the cancel flag
//! between them (issue 15: Ctrl-C and SIGTERM stop text layout within a second; cosmic-text
//! shapes a paragraph in one uninterruptible call, seconds for a 1 MiB cell).
//!
//! Wrapping is done in pieces too ([`wrap_in_pieces`]).
//!
//! A piece ends after a space (else at a character that starts a cluster), so it holds whole
//! words: cosmic-text shapes word by word, so the pieces' shaped words are the paragraph's,
//! and wrapping the joined pieces is wrapping the paragraph. One difference remains: bidi
//! levels are resolved per piece, so a piece of a long mixed-direction paragraph that starts
//! with the other direction's letters may order its runs differently.

use cosmic_text::{
    Buffer, BufferLine, FontSystem, Hinting, LayoutGlyph, LayoutLine, ShapeLine, Shaping,
};

use super::super::fallback::continues_cluster;

/// Paragraphs longer than this many bytes are shaped in pieces of about this size.
pub(super) const PIECE: usize = 4 * 1024;

/// cosmic-text's default tab width, in spaces.
const TAB_WIDTH: u16 = 8;

/// A wrapped visual line in buffer coordinates, as `Buffer::layout_runs` yields it.
pub(super) struct Run<'a> {
    /// Index of the buffer line (paragraph) it belongs to.
    pub(super) line_i: usize,
    /// Its glyphs, `start` in bytes of the paragraph.
    pub(super) glyphs: &'a [LayoutGlyph],
    /// Top of the line box.
    pub(super) line_top: f32,
    /// Baseline.
    pub(super) line_y: f32,
    /// Height of the line box.
    pub(super) line_height: f32,
}

/// The wrapped lines of every paragraph of `buffer` (text and attributes set), `None` when
/// the cancel flag was set during shaping.
pub(super) fn layout(
    system: &mut FontSystem,
    buffer: &Buffer,
    piece: usize,
) -> Option<Vec<Vec<LayoutLine>>> {
    let width = buffer.size().0;
    let size = buffer.metrics().font_size;
    buffer
        .lines
        .iter()
        .map(|line| {
            let shaped = shape(system, line, piece)?;
            let wrap = |l: &ShapeLine| {
                l.layout(
                    size,
                    width,
                    buffer.wrap(),
                    line.align(),
                    None,
                    Hinting::default(),
                )
            };
            wrap_in_pieces(shaped, wrap, (piece / 4).max(2))
        })
        .collect()
}

/// Wraps `shaped` with `wrap`, `words` words at a time with a look at the cancel flag between
/// (wrapping a 1 MiB paragraph in one call takes most of a second): each piece's lines but
/// its last are final, since a line's end depends only on where it starts and the word after
/// it; the next piece starts at the word that starts that last line. A paragraph of several
/// bidi runs, right to left, or whose last line starts inside a word (a word wider than the
/// line, broken between glyphs) is wrapped in one call from there. `None` once cancelled.
fn wrap_in_pieces(
    mut shaped: ShapeLine,
    wrap: impl Fn(&ShapeLine) -> Vec<LayoutLine>,
    words: usize,
) -> Option<Vec<LayoutLine>> {
    let single = shaped.spans.len() == 1 && !shaped.rtl && !shaped.spans[0].level.is_rtl();
    if !single || shaped.spans[0].words.len() <= words {
        return Some(wrap(&shaped));
    }
    let all = std::mem::take(&mut shaped.spans[0].words);
    let mut out = Vec::new();
    let mut from = 0;
    loop {
        if super::super::cancelled() {
            return None;
        }
        let to = (from + words).min(all.len());
        shaped.spans[0].words = all[from..to].to_vec();
        let mut lines = wrap(&shaped);
        if to == all.len() {
            out.extend(lines);
            return Some(out);
        }
        // The word that starts the piece's last line, if the line starts at a word.
        let start = lines.last().and_then(|l| l.glyphs.first()).map(|g| g.start);
        let next = (from + 1..to)
            .find(|&w| all[w].glyphs.first().map(|g| g.start) == start && !all[w].blank);
        match next {
            Some(w) if lines.len() > 1 => {
                lines.pop();
                out.extend(lines);
                from = w;
            }
            _ => {
                shaped.spans[0].words = all[from..].to_vec();
                out.extend(wrap(&shaped));
                return Some(out);
            }
        }
    }
}

/// The visual lines of `layouts` placed top to bottom (`Buffer::layout_runs` without scroll).
pub(super) fn runs(layouts: &[Vec<LayoutLine>], line_height: f32) -> Vec<Run<'_>> {
    let mut top = 0.0;
    let mut out = Vec::new();
    for (line_i, lines) in layouts.iter().enumerate() {
        for l in lines {
            let height = l.line_height_opt.unwrap_or(line_height);
            let centering = (height - (l.max_ascent + l.max_descent)) / 2.0;
            let line_y = top + centering + l.max_ascent;
            let line_top = top;
            top += height;
            if line_y + l.max_descent < 0.0 {
                continue;
            }
            out.push(Run {
                line_i,
                glyphs: &l.glyphs,
                line_top,
                line_y,
                line_height: height,
            });
        }
    }
    out
}

/// Shapes one paragraph; a long one piece by piece, `None` once cancelled.
fn shape(system: &mut FontSystem, line: &BufferLine, piece: usize) -> Option<ShapeLine> {
    let text = line.text();
    let mut attrs = line.attrs_list().clone();
    let mut whole: Option<ShapeLine> = None;
    let mut start = 0;
    while whole.is_none() || start < text.len() {
        if super::super::cancelled() {
            return None;
        }
        let end = piece_end(text, start, piece);
        let rest = attrs.split_off(end - start);
        let mut shaped = ShapeLine::new(
            system,
            &text[start..end],
            &attrs,
            Shaping::Advanced,
            TAB_WIDTH,
        );
        attrs = rest;
        match &mut whole {
            None => whole = Some(shaped),
            Some(w) => {
                offset(&mut shaped, start);
                let mut spans = shaped.spans.into_iter();
                // Words of the same level continue the last span, as unpieced: cosmic-text
                // wraps a span's first word differently (a word wider than the line starts
                // on the current line).
                if let (Some(last), Some(first)) = (w.spans.last_mut(), spans.next()) {
                    if last.level == first.level {
                        last.words.extend(first.words);
                        last.decoration_spans.extend(first.decoration_spans);
                    } else {
                        w.spans.push(first);
                    }
                }
                w.spans.extend(spans);
            }
        }
        start = end;
    }
    whole
}

/// Where the piece of `text` from `start` ends: the end of the text when it is within
/// `piece` bytes, else after the first space from `piece` bytes on, else (no space in the
/// next `piece` bytes: CJK, one long word) at the first character there that starts a cluster.
fn piece_end(text: &str, start: usize, piece: usize) -> usize {
    let from = start + piece;
    if from >= text.len() {
        return text.len();
    }
    let mut cut = None;
    let mut prev = None;
    for (i, c) in text[start..].char_indices() {
        if i >= piece {
            if prev == Some(' ') && c != ' ' {
                return start + i;
            }
            if cut.is_none() && !continues_cluster(c) && prev != Some('\u{200D}') {
                cut = Some(start + i);
            }
            if i >= 2 * piece {
                break;
            }
        }
        prev = Some(c);
    }
    cut.unwrap_or(text.len())
}

/// Moves the byte offsets of a piece's glyphs by `by` (the piece's start in the paragraph).
fn offset(shaped: &mut ShapeLine, by: usize) {
    for span in &mut shaped.spans {
        for word in &mut span.words {
            for g in &mut word.glyphs {
                g.start += by;
                g.end += by;
            }
        }
        for (range, _) in &mut span.decoration_spans {
            *range = range.start + by..range.end + by;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::piece_end;

    #[test]
    fn pieces_end_after_a_space_else_before_a_cluster() {
        let text = "aaaa bbbb cccc";
        assert_eq!(piece_end(text, 0, 100), text.len());
        assert_eq!(piece_end(text, 0, 3), 5);
        assert_eq!(piece_end(text, 5, 3), 10);
        assert_eq!(piece_end(text, 0, 5), 5);
        assert_eq!(piece_end(text, 0, 6), 10);
        // No space: at a character that starts a cluster (not the combining accent).
        let text = "abe\u{301}fgh";
        assert_eq!(piece_end(text, 0, 3), 5);
        // Runs of spaces stay in one piece.
        assert_eq!(piece_end("ab   cd", 0, 3), 5);
    }
}
