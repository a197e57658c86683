//! `reel fmt`: one canonical layout for `.edit` files.
//!
//! **Approach (decided):** a layout pass over the token stream, not a tree printer. The
//! language's meaning depends on tokens and on newlines (they end statements), never on
//! indentation or spaces at line ends; so the formatter keeps every token, comment and line
//! break where it was and rewrites only the whitespace between lines:
//!
//! - each line is indented two spaces per open `{`, `[` or `(` (a line that starts with closers
//!   is indented for what is still open after them);
//! - trailing spaces and tabs are removed; runs of blank lines become one, none at the start
//!   or the end of the file nor just inside a block or list; the file ends with one newline;
//!   `\r\n` becomes `\n`;
//! - the inside of `"""…"""` strings and `/* … */` comments that span lines is kept byte for
//!   byte, as is everything inside `"…"` strings.
//!
//! This is lossless (comments stay where they were), idempotent (the indentation depends only
//! on the brackets, which it does not touch), and the built JSON cannot change (only
//! whitespace outside strings changes). A tree printer that also normalised spacing inside a
//! line (`key = value` in blocks) would need a lossless syntax tree with trivia; that is left
//! for the language server. Files with unbalanced brackets or unterminated strings are not
//! formatted ([`format`] returns `None`): fix them first, `reel check` says how.

use super::errors::skip_literal;

/// The canonical layout of `text`, or `None` when its brackets or literals do not balance.
pub fn format(text: &str) -> Option<String> {
    let text = text.replace("\r\n", "\n");
    let lines = scan(&text)?;
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0usize;
    for line in &lines {
        let raw = &text[line.start..line.end];
        if line.verbatim {
            flush_blanks(&mut out, &mut blank_run);
            out.push_str(raw);
            out.push('\n');
            continue;
        }
        let body = if line.ends_in_literal {
            raw.trim_start_matches([' ', '\t'])
        } else {
            raw.trim_matches([' ', '\t'])
        };
        if body.is_empty() {
            blank_run += 1;
            continue;
        }
        // No blank line just inside a block or list.
        let after_open = out.trim_end_matches('\n').ends_with(['{', '[', '(']);
        if body.starts_with(['}', ']', ')']) || after_open {
            blank_run = 0;
        }
        flush_blanks(&mut out, &mut blank_run);
        let closers = body
            .chars()
            .take_while(|c| matches!(c, '}' | ']' | ')' | ' ' | '\t'))
            .filter(|c| matches!(c, '}' | ']' | ')'))
            .count();
        let indent = line.depth.saturating_sub(closers);
        for _ in 0..indent {
            out.push_str("  ");
        }
        out.push_str(body);
        out.push('\n');
    }
    Some(out)
}

/// Writes one blank line for a run of them, unless at the start of the file.
fn flush_blanks(out: &mut String, run: &mut usize) {
    if *run > 0 && !out.is_empty() {
        out.push('\n');
    }
    *run = 0;
}

/// One line of the input.
struct Line {
    /// Byte range (without the newline).
    start: usize,
    end: usize,
    /// Open brackets before the line.
    depth: usize,
    /// The line starts inside a multi-line literal: keep it as it is.
    verbatim: bool,
    /// The line ends inside a multi-line literal: keep its trailing whitespace.
    ends_in_literal: bool,
}

/// Splits `text` into lines with their bracket depth; `None` when brackets do not balance or a
/// literal is not closed.
fn scan(text: &str) -> Option<Vec<Line>> {
    let mut lines = Vec::new();
    let mut depth: i64 = 0;
    let mut start = 0;
    let mut line_depth = 0usize;
    let mut verbatim = false;
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < text.len() {
        match skip_literal(&text[i..]) {
            Ok(Some(len)) => {
                // Line breaks inside a literal: the next lines start inside it.
                let inner = &text[i..i + len];
                for (k, _) in inner.match_indices('\n') {
                    let nl = i + k;
                    lines.push(Line {
                        start,
                        end: nl,
                        depth: line_depth,
                        verbatim,
                        ends_in_literal: true,
                    });
                    start = nl + 1;
                    verbatim = true;
                }
                i += len;
                continue;
            }
            Ok(None) => {}
            Err(_) => return None,
        }
        match bytes[i] {
            b'\n' => {
                lines.push(Line {
                    start,
                    end: i,
                    depth: line_depth,
                    verbatim,
                    ends_in_literal: false,
                });
                start = i + 1;
                verbatim = false;
                line_depth = usize::try_from(depth).ok()?;
            }
            b'{' | b'[' | b'(' => depth += 1,
            b'}' | b']' | b')' => {
                depth -= 1;
                if depth < 0 {
                    return None;
                }
            }
            _ => {}
        }
        i += text[i..].chars().next().map_or(1, char::len_utf8);
    }
    if depth != 0 {
        return None;
    }
    if start < text.len() {
        lines.push(Line {
            start,
            end: text.len(),
            depth: line_depth,
            verbatim,
            ends_in_literal: false,
        });
    }
    Some(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indents_trims_and_keeps_comments_and_raw_text() {
        let text = "\n\n// head\noutput mp4 hd   \ntrack {\n text \"a {\" at 0 for 1 {  // c {\n\
                    font.size = 3\n   }\n\n\n\n  html \"\"\"<p>\n   keep  \n</p>\"\"\" at 0 for 1\n\
                    /* a\n      b */\n}\n\n";
        let want = "// head\noutput mp4 hd\ntrack {\n  text \"a {\" at 0 for 1 {  // c {\n    \
                    font.size = 3\n  }\n\n  html \"\"\"<p>\n   keep  \n</p>\"\"\" at 0 for 1\n  \
                    /* a\n      b */\n}\n";
        assert_eq!(format(text).unwrap(), want);
        assert_eq!(format(want).unwrap(), want);
    }

    #[test]
    fn lists_and_closers_on_their_own_lines() {
        let text = "let xs = [\n1,\n[2,\n3],\n]\ntrack {\n} \n";
        let want = "let xs = [\n  1,\n  [2,\n    3],\n]\ntrack {\n}\n";
        assert_eq!(format(text).unwrap(), want);
    }

    #[test]
    fn unbalanced_files_are_left_alone() {
        assert!(format("track {\n").is_none());
        assert!(format("}\n").is_none());
        assert!(format("html \"\"\"never").is_none());
    }
}
