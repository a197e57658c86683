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

/// Checks brackets, `"""` strings and block comments; empty when all are balanced.
pub(crate) fn brackets(text: &str, file: FileId) -> Vec<Diagnostic> {
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
                return errors;
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
                return errors;
            }
            b'{' | b'[' => stack.push((b, i)),
            b'}' | b']' => errors.extend(close(&mut stack, b, i, file)),
            _ => {}
        }
        i += rest.chars().next().map_or(1, char::len_utf8);
    }
    for (open, at) in stack.into_iter().rev() {
        let closer = closer(open);
        errors.push(
            Diagnostic::error(format!("unclosed `{}`", open as char))
                .with_label(sp(at, at + 1), format!("`{}` opened here", open as char))
                .with_label(
                    sp(text.len(), text.len()),
                    format!("the file ends before its `{closer}`"),
                )
                .with_help(format!("add the missing `{closer}`")),
        );
    }
    errors
}

/// A problem found by [`skip_literal`]: bytes to label, message, label, help.
type LiteralError = (usize, &'static str, &'static str, &'static str);

/// The length of a comment or string at the start of `rest` (where brackets do not count),
/// `None` when `rest` starts with code.
fn skip_literal(rest: &str) -> Result<Option<usize>, LiteralError> {
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
/// (unterminated strings are the grammar's to report). `{{ }}` may contain quotes.
fn quoted_len(rest: &str) -> usize {
    let mut i = 1;
    while i < rest.len() {
        let r = &rest[i..];
        if r.starts_with("{{")
            && let Some(end) = r.find("}}").filter(|e| !r[..*e].contains('\n'))
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
        ident | key | word | resolution => "a name",
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
