//! Source excerpts cut to a window around their labels, for lines too long to print whole.
//!
//! ariadne prints every labelled line in full: a label on a minified JSON document of one
//! 600 KB line printed all of it, once per warning (issue 15). [`Excerpt::cut`] copies the
//! labelled lines of a file (and only those, with the line number of the first kept so the
//! gutter stays right), cutting any line longer than [`MAX_LINE`] bytes to
//! [`CONTEXT`] bytes either side of each label end, joined by `…`; [`Excerpt::map`] moves a
//! byte offset of the file into the copy. Pure.

use std::ops::Range;

/// Longest line printed whole, in bytes.
pub(super) const MAX_LINE: usize = 160;
/// Bytes kept either side of a label's start and end in a line that is cut.
pub(super) const CONTEXT: usize = 80;
/// Marks text left out of a cut line.
const ELLIPSIS: &str = "…";

/// A windowed copy of the lines of a file that some labels touch.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Excerpt {
    /// The copied lines (each ends with `\n`), cut where long.
    pub(super) text: String,
    /// 0-based line number in the file of the copy's first line.
    pub(super) first_line: usize,
    /// Kept pieces: (start in the file, end in the file, start in the copy).
    pieces: Vec<(usize, usize, usize)>,
}

impl Excerpt {
    /// The excerpt of `text` for labels at `spans` (byte ranges on character boundaries),
    /// or `None` when no line they touch is longer than [`MAX_LINE`] (print the file as is).
    pub(super) fn cut(text: &str, spans: &[Range<usize>]) -> Option<Excerpt> {
        let from = spans.iter().map(|s| line_start(text, s.start)).min()?;
        let to = spans.iter().map(|s| line_end(text, s.end)).max()?;
        let long = text[from..to].split('\n').any(|l| l.len() > MAX_LINE);
        if !long {
            return None;
        }
        let mut ex = Excerpt {
            text: String::new(),
            first_line: text.as_bytes()[..from]
                .iter()
                .filter(|&&b| b == b'\n')
                .count(),
            pieces: Vec::new(),
        };
        let mut start = from;
        while start <= to {
            let end = line_end(text, start);
            ex.line(text, start..end, spans);
            ex.text.push('\n');
            start = end + 1;
        }
        Some(ex)
    }

    /// Copies one line, whole or as windows around the label ends inside it.
    fn line(&mut self, text: &str, line: Range<usize>, spans: &[Range<usize>]) {
        if line.len() <= MAX_LINE {
            return self.keep(text, line);
        }
        let mut windows: Vec<Range<usize>> = Vec::new();
        for s in spans {
            for at in [s.start, s.end] {
                if line.contains(&at) || at == line.end {
                    let a = at.saturating_sub(CONTEXT).max(line.start);
                    let b = (at + CONTEXT).min(line.end);
                    windows.push(floor(text, a)..ceil(text, b));
                }
            }
        }
        if windows.is_empty() {
            // Inside a label spanning lines: its beginning says enough.
            windows.push(line.start..ceil(text, line.start + 2 * CONTEXT));
        }
        windows.sort_by_key(|w| w.start);
        let mut merged: Vec<Range<usize>> = Vec::new();
        for w in windows {
            match merged.last_mut() {
                Some(last) if w.start <= last.end + ELLIPSIS.len() => {
                    last.end = last.end.max(w.end)
                }
                _ => merged.push(w),
            }
        }
        let mut at = line.start;
        for w in merged {
            if w.start > at {
                self.text.push_str(ELLIPSIS);
            }
            self.keep(text, w.clone());
            at = w.end;
        }
        if at < line.end {
            self.text.push_str(ELLIPSIS);
        }
    }

    fn keep(&mut self, text: &str, r: Range<usize>) {
        self.pieces.push((r.start, r.end, self.text.len()));
        self.text.push_str(&text[r]);
    }

    /// Where byte `offset` of the file is in the copy (an offset that was cut out moves to
    /// the start of the next kept piece).
    pub(super) fn map(&self, offset: usize) -> usize {
        for &(start, end, at) in &self.pieces {
            if offset <= end {
                return at + offset.saturating_sub(start);
            }
        }
        self.text.len()
    }
}

/// Start of the line holding byte `at`.
fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// End (the `\n` or the end of text) of the line holding byte `at`.
fn line_end(text: &str, at: usize) -> usize {
    text[at..].find('\n').map_or(text.len(), |i| at + i)
}

fn floor(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn ceil(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_lines_are_not_cut() {
        assert_eq!(
            Excerpt::cut("a\nbcd\n", std::slice::from_ref(&(2..3))),
            None
        );
    }

    #[test]
    fn a_long_line_keeps_windows_around_each_label() {
        let line: String = (0..1000)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        let text = format!("first\n{line}\nlast\n");
        let (a, b) = (6 + 300, 6 + 900);
        let ex = Excerpt::cut(&text, &[a..a + 3, b..b + 1]).unwrap();
        assert_eq!(ex.first_line, 1);
        assert!(ex.text.len() < 2 * (4 * CONTEXT + 10), "{}", ex.text.len());
        assert_eq!(ex.text.matches(ELLIPSIS).count(), 3, "{}", ex.text);
        assert_eq!(&ex.text[ex.map(a)..ex.map(a + 3)], &text[a..a + 3]);
        assert_eq!(&ex.text[ex.map(b)..ex.map(b + 1)], &text[b..b + 1]);
        assert!(ex.text.ends_with('\n') && !ex.text.contains("first"));
    }

    #[test]
    fn windows_never_cut_a_character() {
        let text = "é".repeat(400);
        let ex = Excerpt::cut(&text, std::slice::from_ref(&(400..402))).unwrap();
        assert!(ex.text.starts_with(ELLIPSIS));
        assert_eq!(&ex.text[ex.map(400)..ex.map(402)], "é");
    }
}
