//! Parse errors in the user's words.
//!
//! Two sources: a bracket scan run before pest (unclosed or stray `{ } [ ]`, unterminated
//! `"""` strings and `/* */` comments, with a label at the opener), and pest's own failures,
//! whose expected rules are mapped to phrases ("a value", "a name") so users never see rule
//! names. [`recover`] blanks the failing statement and parses again so one run reports several
//! errors.

use pest::error::{ErrorVariant, InputLocation};

use super::Rule;
use crate::diagnostics::{Diagnostic, FileId, Span};

/// Most pest errors reported for one file before giving up.
const MAX_ERRORS: usize = 20;

/// Deepest bracket nesting accepted. The parser, the lowering and the expansion recurse once
/// per level; this keeps hostile input from overflowing the stack.
const MAX_DEPTH: usize = 64;

/// How to repair the text after a bracket error so parsing can go on and find the rest.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Repair {
    /// Blank the byte at this offset (a stray `}` or `]`).
    Blank(usize),
    /// Insert a closing line (`}` then a newline) at this offset, the start of the first line
    /// that is indented no deeper than the unclosed opener's line (or the end of the file).
    Close(usize, u8),
}

/// Where an unclosed `open` at `at` most likely ends: the start of the next non-blank line
/// indented no deeper than the opener's line, else the end of `text`.
fn likely_end(text: &str, at: usize) -> usize {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let indent = |line: &str| line.len() - line.trim_start_matches([' ', '\t']).len();
    let own = indent(&text[line_start..]);
    let Some(nl) = text[at..].find('\n') else {
        return text.len();
    };
    let mut pos = at + nl + 1;
    for line in text[pos..].split_inclusive('\n') {
        let body = line.trim();
        if !body.is_empty() && !body.starts_with("//") && indent(line) <= own {
            return pos;
        }
        pos += line.len();
    }
    text.len()
}

/// Checks brackets, `"""` strings and block comments; empty when all are balanced.
#[cfg(test)]
pub(crate) fn brackets(text: &str, file: FileId) -> Vec<Diagnostic> {
    brackets_and_repairs(text, file).0
}

/// [`brackets`], with the repairs that let parsing continue (empty when it cannot).
/// Indentation is only consulted when the brackets do not balance: a valid file may be
/// indented any way.
pub(crate) fn brackets_and_repairs(text: &str, file: FileId) -> (Vec<Diagnostic>, Vec<Repair>) {
    let plain = scan_brackets(text, file, false);
    if plain.0.is_empty() {
        return plain;
    }
    scan_brackets(text, file, true)
}

fn scan_brackets(text: &str, file: FileId, by_indent: bool) -> (Vec<Diagnostic>, Vec<Repair>) {
    let mut repairs = Vec::new();
    let mut fatal = false;
    let sp = |a: usize, b: usize| Span::new(file, a..b);
    let mut stack: Vec<(u8, usize)> = Vec::new();
    let mut errors = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        match skip_literal(rest) {
            Ok(Some(len)) => {
                i += len;
                continue;
            }
            Ok(None) => {}
            Err((len, message, label, help)) => {
                let d = Diagnostic::error(message).with_label(sp(i, i + len), label);
                errors.push(d.with_help(help));
                return (errors, Vec::new());
            }
        }
        let b = text.as_bytes()[i];
        match b {
            b'{' | b'[' if stack.len() >= MAX_DEPTH => {
                errors.push(
                    Diagnostic::error("brackets nest too deeply")
                        .with_label(sp(i, i + 1), format!("more than {MAX_DEPTH} levels"))
                        .with_help("split the template into smaller pieces"),
                );
                return (errors, Vec::new());
            }
            b'{' | b'[' => stack.push((b, i)),
            b'}' if by_indent && misindented(text, &stack, i) => {
                // `}` lines up with an outer block: the inner blocks were never closed.
                let close_at = line_start(text, i);
                while let Some((open, at)) = stack.pop() {
                    if indent_at(text, at) == indent_at(text, i) && open == b'{' {
                        break;
                    }
                    errors.push(unclosed(text, open, at, i, file));
                    repairs.push(Repair::Close(
                        likely_end(text, at).min(close_at),
                        closer(open) as u8,
                    ));
                }
            }
            b'}' | b']' => {
                let was_open = !stack.is_empty();
                if let Some(d) = close(&mut stack, b, i, file) {
                    errors.push(d);
                    if was_open {
                        fatal = true; // mismatched: no safe repair
                    } else {
                        repairs.push(Repair::Blank(i));
                    }
                }
            }
            _ => {}
        }
        i += rest.chars().next().map_or(1, char::len_utf8);
    }
    for (open, at) in stack.into_iter().rev() {
        repairs.push(Repair::Close(likely_end(text, at), closer(open) as u8));
        errors.push(unclosed(text, open, at, text.len(), file));
    }
    if fatal {
        repairs.clear();
    }
    (errors, repairs)
}

/// Applies `repairs` to `text`; returns the repaired text and the insertions made (offset in
/// the repaired text, bytes inserted), to map positions back with [`unshift`].
pub(crate) fn repair(text: &str, repairs: &[Repair]) -> (String, Vec<(usize, usize)>) {
    let mut bytes = text.as_bytes().to_vec();
    for r in repairs {
        if let Repair::Blank(at) = r {
            bytes[*at] = b' ';
        }
    }
    let mut closes: Vec<(usize, u8)> = repairs
        .iter()
        .filter_map(|r| match r {
            Repair::Close(at, c) => Some((*at, *c)),
            Repair::Blank(_) => None,
        })
        .collect();
    closes.sort_by_key(|(at, _)| *at);
    let mut out = Vec::with_capacity(bytes.len() + 2 * closes.len());
    let mut inserts = Vec::new();
    let mut last = 0;
    for (at, c) in closes {
        out.extend_from_slice(&bytes[last..at]);
        let piece: &[u8] = if at == bytes.len() {
            &[b'\n', c]
        } else {
            &[c, b'\n']
        };
        inserts.push((out.len(), 2));
        out.extend_from_slice(piece);
        last = at;
    }
    out.extend_from_slice(&bytes[last..]);
    // Only ASCII bytes were replaced or inserted at line starts and ends.
    let text = String::from_utf8(out).unwrap_or_else(|_| text.to_string());
    (text, inserts)
}

/// Maps an offset in repaired text back to the original text.
pub(crate) fn unshift(pos: usize, inserts: &[(usize, usize)]) -> usize {
    let mut shift = 0;
    for (at, len) in inserts {
        if pos >= at + len {
            shift += len;
        } else if pos > *at {
            return at - shift;
        }
    }
    pos - shift
}

/// A problem found by [`skip_literal`]: bytes to label, message, label, help.
pub(crate) type LiteralError = (usize, &'static str, &'static str, &'static str);

/// "unclosed `{`": opened at `at`, still open at `end` (a `}` closing an outer block, or the
/// end of the file).
fn unclosed(text: &str, open: u8, at: usize, end: usize, file: FileId) -> Diagnostic {
    let sp = |a: usize, b: usize| Span::new(file, a..b);
    let closer = closer(open);
    let (end_span, end_label) = if end >= text.len() {
        (
            sp(text.len(), text.len()),
            format!("the file ends before its `{closer}`"),
        )
    } else {
        (
            sp(end, end + 1),
            "this `}` lines up with an outer block".to_string(),
        )
    };
    Diagnostic::error(format!("unclosed `{}`", open as char))
        .with_label(sp(at, at + 1), format!("`{}` opened here", open as char))
        .with_label(end_span, end_label)
        .with_help(format!("add the missing `{closer}`"))
}

/// Byte offset of the start of the line holding `at`.
fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// Indentation (spaces and tabs) of the line holding `at`.
fn indent_at(text: &str, at: usize) -> usize {
    let line = &text[line_start(text, at)..];
    line.len() - line.trim_start_matches([' ', '\t']).len()
}

/// Whether the `}` at `at` starts its line and lines up with an outer `{` rather than the
/// innermost open one: then the inner blocks are the unclosed ones.
fn misindented(text: &str, stack: &[(u8, usize)], at: usize) -> bool {
    let starts_line = text[line_start(text, at)..at].trim().is_empty();
    let Some(&(top, top_at)) = stack.last() else {
        return false;
    };
    if !starts_line || top != b'{' {
        return false;
    }
    let own = indent_at(text, at);
    indent_at(text, top_at) > own
        && stack[..stack.len() - 1]
            .iter()
            .any(|&(o, a)| o == b'{' && indent_at(text, a) == own)
}

/// The length of a comment or string at the start of `rest` (where brackets do not count),
/// `None` when `rest` starts with code.
pub(crate) fn skip_literal(rest: &str) -> Result<Option<usize>, LiteralError> {
    if rest.starts_with("//") {
        return Ok(Some(rest.find('\n').unwrap_or(rest.len())));
    }
    if rest.starts_with("/*") {
        return match rest.find("*/") {
            Some(end) => Ok(Some(end + 2)),
            None => Err((
                2,
                "unclosed `/*` comment",
                "this comment is never closed",
                "end the comment with `*/`",
            )),
        };
    }
    if let Some(raw) = rest.strip_prefix("\"\"\"") {
        return match raw.find("\"\"\"") {
            Some(end) => Ok(Some(end + 6)),
            None => Err((
                3,
                "unterminated `\"\"\"` string",
                "this `\"\"\"` is never closed",
                "end the text with `\"\"\"`",
            )),
        };
    }
    Ok(rest.starts_with('"').then(|| quoted_len(rest)))
}

/// Bytes of a `"…"` string at the start of `rest`, up to its closing quote or end of line
/// (unterminated strings are the grammar's to report). `{{ }}` and `{% %}` may contain quotes.
fn quoted_len(rest: &str) -> usize {
    let mut i = 1;
    while i < rest.len() {
        let r = &rest[i..];
        let close = if r.starts_with("{%") { "%}" } else { "}}" };
        if (r.starts_with("{{") || r.starts_with("{%"))
            && let Some(end) = r.find(close).filter(|e| !r[..*e].contains('\n'))
        {
            i += end + 2;
            continue;
        }
        match r.chars().next() {
            Some('\\') => i += 1 + r[1..].chars().next().map_or(0, char::len_utf8),
            Some('"') => return i + 1,
            Some('\n') | None => return i,
            Some(c) => i += c.len_utf8(),
        }
    }
    i.min(rest.len())
}

/// Handles a closing bracket at `at`.
fn close(stack: &mut Vec<(u8, usize)>, b: u8, at: usize, file: FileId) -> Option<Diagnostic> {
    let sp = |a: usize| Span::new(file, a..a + 1);
    let want = if b == b'}' { b'{' } else { b'[' };
    match stack.pop() {
        Some((open, _)) if open == want => None,
        Some((open, o)) => Some(
            Diagnostic::error(format!("mismatched `{}`", b as char))
                .with_label(sp(at), format!("expected `{}` here", closer(open)))
                .with_label(sp(o), format!("`{}` opened here", open as char)),
        ),
        None => Some(
            Diagnostic::error(format!("unexpected `{}`", b as char))
                .with_label(sp(at), format!("no `{}` is open here", want as char))
                .with_help("remove it, or add the block it should close"),
        ),
    }
}

fn closer(open: u8) -> char {
    if open == b'{' { '}' } else { ']' }
}

/// Converts a pest error into a diagnostic. Returns the byte offset it points at too.
pub(crate) fn from_pest(
    e: &pest::error::Error<Rule>,
    text: &str,
    file: FileId,
) -> (Diagnostic, usize) {
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let pos = pos.min(text.len());
    let found = found_at(text, pos);
    let span = Span::new(
        file,
        pos..pos + found.1.max(if pos < text.len() { 1 } else { 0 }),
    );
    if let Some(d) = intent(text, pos, file) {
        return (d, pos);
    }
    let before = text[..pos].trim_end_matches([' ', '\t']);
    if before.ends_with('=') && !before.ends_with("==") {
        let eq = before.len() - 1;
        let d = Diagnostic::error("expected a value after `=`")
            .with_label(span, format!("found {} instead", found.0))
            .with_label(Span::new(file, eq..eq + 1), "this `=` needs a value")
            .with_help("write a number, a \"string\" or a name, for example `opacity=0.5`");
        return (d, pos);
    }
    if text[pos..].starts_with('=') {
        let d = Diagnostic::error("unexpected `=`")
            .with_label(span, "`=` needs a property name before it")
            .with_help("properties are written `key=value`, for example `position=center`");
        return (d, pos);
    }
    let expected = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => expected(positives),
        ErrorVariant::CustomError { message } => message.clone(),
    };
    let d = Diagnostic::error(format!("expected {expected}, found {}", found.0))
        .with_label(span, format!("expected {expected}"));
    (d, pos)
}

/// A message for mistakes whose intent is clear from the text around `pos`: two properties on
/// one line without `;`, or an expression written without `{{ }}`.
fn intent(text: &str, pos: usize, file: FileId) -> Option<Diagnostic> {
    let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let mut pos = pos;
    let rest_line = |p: usize| {
        let rest = &text[p..];
        &rest[..rest.find('\n').unwrap_or(rest.len())]
    };
    // pest may point at the value before the stray property (`= 30 font.color = …`).
    if text[line_start..pos].trim_end().ends_with('=') {
        let r = rest_line(pos);
        if let Some(gap) = r.find([' ', '\t']) {
            let next = gap + (r[gap..].len() - r[gap..].trim_start().len());
            pos += next;
        }
    }
    let line = &text[line_start..pos];
    let rest = &text[pos..];
    let rest_line = rest_line(pos);
    let word = rest_line
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest_line.len());
    let span = Span::new(file, pos..pos + word.max(1).min(rest.len()));
    let key_len = rest_line
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.' || c == '-'))
        .unwrap_or(rest_line.len());
    let after_key = rest_line[key_len..].trim_start();
    // `{ font.size = 30 font.color = "#f00" }` or `font.size = 30 font.color = 1`.
    let block_style = line.contains('{') || line.contains(" = ");
    if key_len > 0 && block_style && after_key.starts_with('=') && !after_key.starts_with("==") {
        return Some(
            Diagnostic::error("two properties on one line")
                .with_label(span, "a new property starts here")
                .with_help(
                    "put `;` or a newline between properties in a `{ }` block \
                     (on a clip line, write them `key=value` without spaces)",
                ),
        );
    }
    // `scale=badge_scale | default(1)`, `opacity=a * 2`, `text Hello world`.
    let prev = line.trim_end();
    let prev_word = prev
        .rsplit(|c: char| c.is_whitespace() || c == '=')
        .next()
        .unwrap_or("");
    let operator = rest.starts_with(['|', '+', '*', '/', '~', '%'])
        || rest.starts_with("- ")
        || rest.starts_with("==");
    let is_value = prev[..prev.len() - prev_word.len()].ends_with('=')
        && !prev_word.is_empty()
        && prev_word
            .chars()
            .all(|c| c.is_alphanumeric() || "_.\"".contains(c));
    if operator && is_value {
        let start = prev.len() - prev_word.len();
        let expr = format!(
            "{}{}",
            &prev[start..],
            &text[prev.len() + line_start..pos + rest_line.len()]
        )
        .trim()
        .to_string();
        return Some(
            Diagnostic::error("an expression needs `{{ }}` here")
                .with_label(span, "values are plain words, numbers or strings")
                .with_help(format!("quote it or write `{{{{ {expr} }}}}`")),
        );
    }
    // `text Hello world`: a word after a clip's primary value.
    let clip_start = line.split_whitespace().count() == 2
        && line
            .trim_start()
            .starts_with(|c: char| c.is_ascii_lowercase());
    if clip_start && word > 0 && !rest_line[word..].trim_start().starts_with('=') {
        let first = line.split_whitespace().nth(1).unwrap_or("");
        let text_end = rest_line
            .find(" at ")
            .or_else(|| rest_line.find(" for "))
            .unwrap_or(rest_line.len());
        return Some(
            Diagnostic::error(format!(
                "unexpected `{}` after `{first}`",
                &rest_line[..word]
            ))
            .with_label(span, "a clip takes one value before its properties")
            .with_help(format!(
                "quote it (\"{first} {}\") or write `{{{{ … }}}}` for an expression",
                &rest_line[..text_end]
            )),
        );
    }
    None
}

/// How the text at `pos` is named ("`foo`", "end of line") and its length in bytes.
fn found_at(text: &str, pos: usize) -> (String, usize) {
    let rest = &text[pos..];
    match rest.chars().next() {
        None => ("the end of the file".into(), 0),
        Some('\n' | '\r') => ("the end of the line".into(), 0),
        Some(c) if c.is_alphanumeric() || c == '_' => {
            let len = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
                .unwrap_or(rest.len());
            (format!("`{}`", &rest[..len]), len)
        }
        Some(c) => (format!("`{c}`"), c.len_utf8()),
    }
}

/// Phrases for the rules pest expected, joined ("a value or `{`").
fn expected(rules: &[Rule]) -> String {
    let mut phrases: Vec<&str> = Vec::new();
    for r in rules {
        let p = phrase(*r);
        if !p.is_empty() && !phrases.contains(&p) {
            phrases.push(p);
        }
    }
    match phrases.as_slice() {
        [] => "something else".into(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The user's word for a rule.
fn phrase(rule: Rule) -> &'static str {
    use Rule::*;
    match rule {
        value | tween | array | object | string | raw_string | number | path | unterminated
        | unterminated_raw | segment => "a value",
        key => "a property `key=value`",
        ident | word | resolution => "a name",
        size => "a size such as `1280x720`",
        block => "a `{ … }` block",
        cond | expr => "an expression",
        prop => "a property `key=value`",
        entry => "`key: value`",
        at_clause | kw_at => "`at`",
        for_clause | kw_for => "`for`",
        over_clause | kw_over => "`over`",
        kw_in => "`in`",
        kw_else => "`else`",
        kw_if => "`if`",
        EOI => "the end of the file",
        output | background | font | soundtrack | data | name | let_stmt | merge | track
        | if_stmt | for_stmt | include | define | use_stmt | clip | kw_output | kw_background
        | kw_font | kw_soundtrack | kw_data | kw_name | kw_let | kw_merge | kw_track
        | kw_include | kw_define | kw_use => "a statement",
        _ => "",
    }
}

/// Blanks (with spaces, keeping byte offsets and newlines) the statement around `pos`: its
/// line, and following lines until the braces it opened are closed. Returns false when there
/// was nothing left to blank.
pub(crate) fn blank_statement(text: &mut String, pos: usize) -> bool {
    let start = text[..pos.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
    let mut end = start;
    let mut depth: i64 = 0;
    for line in text[start..].split_inclusive('\n') {
        end += line.len();
        depth += line.matches('{').count() as i64 - line.matches('}').count() as i64;
        if depth <= 0 {
            break;
        }
    }
    let segment = &text[start..end];
    if segment.trim().is_empty() {
        return false;
    }
    let blanked: String = segment
        .chars()
        .flat_map(|c| {
            let n = if c == '\n' { 0 } else { c.len_utf8() };
            std::iter::repeat_n(' ', n).chain((c == '\n').then_some('\n'))
        })
        .collect();
    text.replace_range(start..end, &blanked);
    true
}

/// Whether another round of recovery is worth it.
pub(crate) fn keep_going(count: usize) -> bool {
    count < MAX_ERRORS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(text: &str) -> Vec<String> {
        brackets(text, FileId(0))
            .into_iter()
            .map(|d| d.message)
            .collect()
    }

    #[test]
    fn brackets_skip_strings_comments_and_expressions() {
        assert!(messages("a { \"}\" // }\n /* { */ \"{{ x | default(\"}\") }}\" }").is_empty());
        assert!(messages("html \"\"\"{ [\"\"\" [ ]").is_empty());
        assert_eq!(messages("{ ["), ["unclosed `[`", "unclosed `{`"]);
        assert_eq!(messages("}"), ["unexpected `}`"]);
        assert_eq!(messages("{ ]"), ["mismatched `]`"]);
        assert_eq!(messages("/* never"), ["unclosed `/*` comment"]);
        assert_eq!(messages("x \"\"\"never"), ["unterminated `\"\"\"` string"]);
        assert_eq!(messages(&"[".repeat(100_000)), ["brackets nest too deeply"]);
    }

    #[test]
    fn blanking_keeps_offsets_and_skips_the_block() {
        let mut text = String::from("ok\nbad é {\n  inner\n}\nnext\n");
        let len = text.len();
        assert!(blank_statement(&mut text, 4));
        assert_eq!(text.len(), len);
        assert_eq!(
            text.lines().collect::<Vec<_>>(),
            ["ok", "        ", "       ", " ", "next"]
        );
        let mut blank = String::from("   \n");
        assert!(!blank_statement(&mut blank, 1));
    }
}
