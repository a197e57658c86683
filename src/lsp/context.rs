//! What the text around the cursor is: the enclosing block, the word under the cursor, and
//! what may be written at the cursor. A forgiving scan of the text, not a parse: it works on
//! the half-typed lines the editor sends between keystrokes.

use super::vocab::Owner;
use crate::syntax::ASSET_TYPES;

/// The block a line is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Block<'a> {
    /// The top level of the file.
    Top,
    /// A `track` or `define` body: clips.
    Track,
    /// The `{ … }` of a clip: its properties.
    Clip(&'a str),
    /// Something else (an object value).
    Other,
}

/// What may be written at the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Want<'a> {
    /// Inside `{{ … }}` or `{% … %}`: a name, or a filter right after `|`.
    Expr {
        /// Right after `|`: a filter name.
        filter: bool,
    },
    /// After `key=`: one of its values.
    Value {
        /// Whose key.
        owner: Owner<'a>,
        /// The dotted key.
        key: String,
    },
    /// The first word of a line in `block`.
    LineStart(Block<'a>),
    /// A later word on a clip or statement line: a `key=`.
    Key(Owner<'a>),
    /// Nothing to offer (inside a string, a comment).
    Nothing,
}

/// The cursor's context: what to complete, and from which byte the word being typed starts.
pub(crate) fn want(text: &str, offset: usize) -> (Want<'_>, usize) {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let prefix = &text[line_start..offset];
    let word_start =
        offset - trailing_len(prefix, |c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    let before = &text[line_start..word_start];
    if let Some(inside) = open_expr(prefix) {
        let start = offset - trailing_len(prefix, |c| c.is_ascii_alphanumeric() || c == '_');
        let head = inside[..inside.len() - (offset - start)].trim_end();
        return (
            Want::Expr {
                filter: head.ends_with('|'),
            },
            start,
        );
    }
    if in_string_or_comment(before) {
        return (Want::Nothing, word_start);
    }
    let block = block_at(text, line_start);
    let first = first_word(&text[line_start..]);
    let owner = owner_of(first, block);
    if let Some(key) = key_before_value(before) {
        return (
            Want::Value {
                owner,
                key: key.to_string(),
            },
            word_start,
        );
    }
    if before.trim().is_empty() {
        return (Want::LineStart(block), word_start);
    }
    (Want::Key(owner), word_start)
}

/// Whose keys a line has: its own asset word or statement, else its block's clip.
pub(crate) fn owner_of<'a>(first: &'a str, block: Block<'a>) -> Owner<'a> {
    if ASSET_TYPES.contains(&first) {
        return Owner::Clip(Some(first));
    }
    if matches!(first, "output" | "soundtrack") {
        return Owner::Statement(first);
    }
    match block {
        Block::Clip(asset) => Owner::Clip(Some(asset)),
        _ => Owner::Clip(None),
    }
}

/// The first word of a line (asset words keep their `-`).
pub(crate) fn first_word(line: &str) -> &str {
    let t = line.trim_start();
    let end = t
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(t.len());
    &t[..end]
}

/// Length in bytes of the run of `keep` characters at the end of `s`.
fn trailing_len(s: &str, keep: impl Fn(char) -> bool) -> usize {
    s.chars()
        .rev()
        .take_while(|c| keep(*c))
        .map(char::len_utf8)
        .sum()
}

/// The text after the last `{{` or `{%` of the line when it is not closed yet.
fn open_expr(prefix: &str) -> Option<&str> {
    let open = prefix.rfind("{{").max(prefix.rfind("{%"))?;
    let close = prefix.rfind("}}").max(prefix.rfind("%}"));
    if close.is_some_and(|c| c > open) {
        return None;
    }
    Some(&prefix[open + 2..])
}

/// Whether the end of `before` (one line's text) is inside a `"…"` string or a `//` comment.
fn in_string_or_comment(before: &str) -> bool {
    let mut in_str = false;
    let mut chars = before.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if in_str => {
                chars.next();
            }
            '"' => in_str = !in_str,
            '/' if !in_str && chars.peek() == Some(&'/') => return true,
            _ => {}
        }
    }
    in_str
}

/// `key` when `before` ends with `key=` or `key = ` (not `==`).
fn key_before_value(before: &str) -> Option<&str> {
    let t = before.trim_end();
    let t = t.strip_suffix('=')?;
    if t.ends_with(['=', '!', '<', '>']) {
        return None;
    }
    let t = t.trim_end();
    let len = trailing_len(t, |c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    let key = &t[t.len() - len..];
    (!key.is_empty() && !key.starts_with('.')).then_some(key)
}

/// The block that byte `at` (a line start) is in, from the braces before it. Strings,
/// `"""` strings and comments are skipped.
pub(crate) fn block_at(text: &str, at: usize) -> Block<'_> {
    // One entry per open `{`: the first word of the line that opened it.
    let mut stack: Vec<&str> = Vec::new();
    let bytes = text.as_bytes();
    let mut line_start = 0;
    let mut i = 0;
    while i < at {
        let rest = &text[i..];
        if let Some(inner) = rest.strip_prefix("\"\"\"") {
            i += 3 + inner.find("\"\"\"").map_or(inner.len(), |e| e + 3);
            continue;
        }
        if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
            continue;
        }
        if rest.starts_with("/*") {
            i += rest.find("*/").map_or(rest.len(), |e| e + 2);
            continue;
        }
        match bytes[i] {
            b'"' => {
                let mut j = i + 1;
                while j < text.len() && bytes[j] != b'"' && bytes[j] != b'\n' {
                    j += if bytes[j] == b'\\' { 2 } else { 1 };
                }
                i = j + 1;
                continue;
            }
            b'\n' => line_start = i + 1,
            b'{' => stack.push(first_word(&text[line_start..i])),
            b'}' => {
                stack.pop();
            }
            _ => {}
        }
        i += 1;
    }
    for word in stack.iter().rev() {
        match *word {
            "if" | "for" | "else" | "" => continue,
            "track" | "define" => return Block::Track,
            w if ASSET_TYPES.contains(&w) => return Block::Clip(w),
            _ => return Block::Other,
        }
    }
    Block::Top
}

/// The word under byte `offset` (letters, digits, `_`, `-` and `.`) and its byte range.
pub(crate) fn word_at(text: &str, offset: usize) -> Option<(&str, usize, usize)> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || "_.-".contains(c);
    let start = offset - trailing_len(&text[..offset], is_word);
    let end = offset
        + text[offset..]
            .find(|c: char| !is_word(c))
            .unwrap_or(text.len() - offset);
    let word = text[start..end].trim_matches(['.', '-']);
    if word.is_empty() {
        return None;
    }
    let start = start + text[start..].find(word)?;
    Some((word, start, start + word.len()))
}

/// `let NAME = …` lines: the byte range of each name and the value's text.
pub(crate) fn lets(text: &str) -> Vec<(String, usize, usize, String)> {
    let mut out = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix("let ")
            && let Some((name, value)) = rest.split_once('=')
        {
            let name_t = name.trim();
            if !name_t.is_empty()
                && name_t
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                let start =
                    at + (line.len() - t.len()) + 4 + (name.len() - name.trim_start().len());
                out.push((
                    name_t.to_string(),
                    start,
                    start + name_t.len(),
                    value.trim().to_string(),
                ));
            }
        }
        at += line.len();
    }
    out
}

/// `define NAME(` lines: each name and its byte range.
pub(crate) fn defines(text: &str) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix("define ") {
            let name = first_word(rest);
            if !name.is_empty() {
                let start =
                    at + (line.len() - t.len()) + 7 + (rest.len() - rest.trim_start().len());
                out.push((name.to_string(), start, start + name.len()));
            }
        }
        at += line.len();
    }
    out
}

/// The quoted path of an `include` or `data` statement on the line of `offset`.
pub(crate) fn statement_path<'a>(text: &'a str, offset: usize, statement: &str) -> Option<&'a str> {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("");
    let rest = line.trim_start().strip_prefix(statement)?;
    let rest = rest.trim_start().strip_prefix('"')?;
    rest.split('"').next()
}

/// The first top-level `data "PATH" [rows=KEY]` statement: the path and the rows key.
pub(crate) fn data_statement(text: &str) -> Option<(String, Option<String>)> {
    for line in text.lines() {
        if line.starts_with(char::is_whitespace) {
            continue;
        }
        let Some(rest) = line.strip_prefix("data ") else {
            continue;
        };
        let rest = rest.trim_start().strip_prefix('"')?;
        let (path, after) = rest.split_once('"')?;
        let rows = after.split_whitespace().find_map(|p| {
            p.strip_prefix("rows=")
                .map(|k| k.trim_matches('"').to_string())
        });
        return Some((path.to_string(), rows));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> (Want<'_>, usize) {
        let offset = text.find('‸').expect("cursor");
        let owned: &'static str = Box::leak(text.replacen('‸', "", 1).into_boxed_str());
        let (w, s) = want(owned, offset);
        // The test strings are leaked: fine for a handful of tests.
        (w, s)
    }

    #[test]
    fn contexts() {
        let head = "track {\n  image \"a.png\" at 0 for 1 {\n";
        assert_eq!(
            at(&format!("{head}    position=to‸\n  }}\n}}\n")).0,
            Want::Value {
                owner: Owner::Clip(Some("image")),
                key: "position".into()
            }
        );
        assert_eq!(
            at(&format!("{head}    font.‸\n")).0,
            Want::LineStart(Block::Clip("image"))
        );
        assert_eq!(at("track {\n  vi‸\n").0, Want::LineStart(Block::Track));
        assert_eq!(at("out‸").0, Want::LineStart(Block::Top));
        assert_eq!(
            at("track {\n  video \"a.mp4\" at 0 for 1 vol‸\n").0,
            Want::Key(Owner::Clip(Some("video")))
        );
        assert_eq!(at("let a = \"{{ name | up‸").0, Want::Expr { filter: true });
        assert_eq!(at("let a = \"{{ na‸").0, Want::Expr { filter: false });
        assert_eq!(at("text \"hello wo‸").0, Want::Nothing);
        assert_eq!(
            at("output mp4 hd fps=‸").0,
            Want::Value {
                owner: Owner::Statement("output"),
                key: "fps".into()
            }
        );
        let (_, start) = at("track {\n  image x transition.i‸\n");
        assert_eq!(start, "track {\n  image x ".len());
    }

    #[test]
    fn blocks_skip_strings_and_comments() {
        let text = "track { // {\n  text \"{ }\" at 0 for 1 {\n    x = 1\n";
        assert_eq!(block_at(text, text.len()), Block::Clip("text"));
        let text = "track {\n  if a {\n";
        assert_eq!(block_at(text, text.len()), Block::Track);
    }

    #[test]
    fn words_lets_and_defines() {
        let text = "let greeting = \"hi\"\ndefine card(t) {\n}\ntext greeting effect=zoomIn\n";
        let off = text.find("zoomIn").unwrap() + 2;
        assert_eq!(word_at(text, off).unwrap().0, "zoomIn");
        let l = lets(text);
        assert_eq!(l[0].0, "greeting");
        assert_eq!(&text[l[0].1..l[0].2], "greeting");
        assert_eq!(l[0].3, "\"hi\"");
        let d = defines(text);
        assert_eq!(&text[d[0].1..d[0].2], "card");
        assert_eq!(
            data_statement("output mp4\ndata \"a.json\" rows=matches\n"),
            Some(("a.json".into(), Some("matches".into())))
        );
    }
}
