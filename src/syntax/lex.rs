//! Checks and decodes the loosely lexed tokens: numbers (with duration units) and strings
//! (escapes and `{{ }}` expressions).
//!
//! These helpers know nothing about files: they return byte ranges relative to the token, and
//! the lowering turns them into spans.

use std::ops::Range;

/// A problem inside a token: where (relative to the token), what, and an optional hint.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TokenError {
    /// Byte range inside the token.
    pub(crate) range: Range<usize>,
    /// The message.
    pub(crate) message: String,
    /// Label text at the range.
    pub(crate) label: String,
    /// Help line.
    pub(crate) help: Option<String>,
}

/// A decoded piece of a string token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Piece {
    /// Literal text.
    Lit(String),
    /// An expression: its source and its byte range inside the token.
    Expr(String, Range<usize>),
    /// A `{% tag %}`: its source (between the delimiters) and its byte range inside the token.
    Tag(String, Range<usize>),
}

/// Parses a number token: `12`, `0.5`, `-0.25`, `1e-5`, or a duration `1.5s`, `500ms`, `2m`
/// (converted to seconds).
pub(crate) fn number(text: &str) -> Result<serde_json::Number, TokenError> {
    let (digits, scale) = if let Some(d) = text.strip_suffix("ms") {
        (d, Some(0.001))
    } else if let Some(d) = text.strip_suffix('s') {
        (d, Some(1.0))
    } else if let Some(d) = text.strip_suffix('m') {
        (d, Some(60.0))
    } else {
        (text, None)
    };
    let bad = || TokenError {
        range: 0..text.len(),
        message: format!("invalid number `{text}`"),
        label: "not a number".into(),
        help: Some(
            "write numbers as `12`, `0.5` or `-0.25`; durations take `s`, `ms` or `m` \
             (`1.5s`, `500ms`, `2m`)"
                .into(),
        ),
    };
    if !is_decimal(digits) {
        return Err(bad());
    }
    let plain = digits.strip_prefix('+').unwrap_or(digits);
    match scale {
        None => match serde_json::from_str::<serde_json::Number>(plain) {
            Ok(n) => Ok(n),
            Err(_) => plain.parse::<f64>().ok().and_then(float).ok_or_else(bad),
        },
        Some(scale) => plain
            .parse::<f64>()
            .ok()
            .and_then(|v| seconds(v * scale))
            .ok_or_else(bad),
    }
}

/// Whether `s` is `[+-]digits[.digits][e[+-]digits]` (or `.digits`).
fn is_decimal(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let digits = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
    let int_ok = digits(int) || (int.is_empty() && frac.is_some_and(digits));
    let frac_ok = frac.is_none_or(|f| f.is_empty() && !int.is_empty() || digits(f));
    let exp_ok = exp.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
    int_ok && frac_ok && exp_ok
}

fn float(v: f64) -> Option<serde_json::Number> {
    serde_json::Number::from_f64(v)
}

/// Seconds as a JSON number: whole seconds stay integers (`2m` → `120`).
fn seconds(v: f64) -> Option<serde_json::Number> {
    let rounded = (v * 1e9).round() / 1e9;
    if rounded.fract() == 0.0 && rounded.abs() < 1e15 {
        Some(serde_json::Number::from(rounded as i64))
    } else {
        float(rounded)
    }
}

/// Decodes the inside of a string token (`body` excludes the quotes; `base` is the body's
/// offset inside the token): resolves escapes (unless `raw`) and splits out `{{ }}`.
pub(crate) fn string(body: &str, base: usize, raw: bool) -> Result<Vec<Piece>, Vec<TokenError>> {
    let mut pieces = Vec::new();
    let mut lit = String::new();
    let mut errors = Vec::new();
    let mut i = 0;
    while i < body.len() {
        let rest = &body[i..];
        if rest.starts_with("{{") || rest.starts_with("{%") {
            match interpolation(rest, base + i) {
                Ok((piece, used)) => {
                    if !lit.is_empty() {
                        pieces.push(Piece::Lit(std::mem::take(&mut lit)));
                    }
                    pieces.push(piece);
                    i += used;
                }
                Err(e) => {
                    errors.push(e);
                    i += 2;
                }
            }
        } else if !raw && rest.starts_with('\\') {
            match escape(rest) {
                Ok((c, used)) => {
                    lit.push(c);
                    i += used;
                }
                Err((used, e)) => {
                    errors.push(shift(e, base + i));
                    i += used.max(1);
                }
            }
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            lit.push(c);
            i += c.len_utf8();
        }
    }
    if !lit.is_empty() || pieces.is_empty() {
        pieces.push(Piece::Lit(lit));
    }
    if errors.is_empty() {
        Ok(pieces)
    } else {
        Err(errors)
    }
}

fn shift(mut e: TokenError, by: usize) -> TokenError {
    e.range = e.range.start + by..e.range.end + by;
    e
}

/// `{{ expr }}` or `{% tag %}` at the start of `rest`: the piece and the bytes used.
fn interpolation(rest: &str, at: usize) -> Result<(Piece, usize), TokenError> {
    let tag = rest.starts_with("{%");
    let (open, close) = if tag { ("{%", "%}") } else { ("{{", "}}") };
    let Some(end) = rest[2..].find(close) else {
        return Err(TokenError {
            range: at..at + 2,
            message: format!("unclosed `{open}` in string"),
            label: format!("this `{open}` has no `{close}`"),
            help: Some(format!(
                "close it with `{close}`, or write `\\{open}` for a literal `{open}`"
            )),
        });
    };
    let source = &rest[2..2 + end];
    if source.trim().is_empty() {
        return Err(TokenError {
            range: at..at + end + 4,
            message: format!("empty `{open} {close}` in string"),
            label: "nothing to evaluate here".into(),
            help: Some(if tag {
                "write a tag such as `{% if vip %}`".into()
            } else {
                "write an expression such as `{{ first | title }}`".into()
            }),
        });
    }
    let range = at + 2..at + 2 + end;
    let piece = if tag {
        Piece::Tag(source.to_string(), range)
    } else {
        Piece::Expr(source.to_string(), range)
    };
    Ok((piece, end + 4))
}

/// One escape at the start of `rest` (which starts with `\`): the character and bytes used,
/// or the bytes to skip and the error.
fn escape(rest: &str) -> Result<(char, usize), (usize, TokenError)> {
    let mut chars = rest[1..].chars();
    let Some(c) = chars.next() else {
        return Err((1, bad_escape(0..1, "\\")));
    };
    let simple = match c {
        '"' => Some('"'),
        '\\' => Some('\\'),
        'n' => Some('\n'),
        't' => Some('\t'),
        'r' => Some('\r'),
        '{' => Some('{'),
        '}' => Some('}'),
        _ => None,
    };
    if let Some(s) = simple {
        return Ok((s, 1 + c.len_utf8()));
    }
    if c == 'u' {
        return unicode_escape(rest);
    }
    let len = 1 + c.len_utf8();
    Err((len, bad_escape(0..len, &rest[..len])))
}

/// `\u{1F600}`.
fn unicode_escape(rest: &str) -> Result<(char, usize), (usize, TokenError)> {
    let close = rest.find('}').filter(|_| rest[2..].starts_with('{'));
    let Some(close) = close else {
        return Err((2, bad_escape(0..2, "\\u")));
    };
    let hex = &rest[3..close];
    let c = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32);
    match c {
        Some(c) if !hex.is_empty() && hex.len() <= 6 => Ok((c, close + 1)),
        _ => Err((close + 1, bad_escape(0..close + 1, &rest[..close + 1]))),
    }
}

fn bad_escape(range: Range<usize>, text: &str) -> TokenError {
    TokenError {
        range,
        message: format!("unknown escape `{text}` in string"),
        label: "not a valid escape".into(),
        help: Some(
            "valid escapes are `\\\"`, `\\\\`, `\\n`, `\\t`, `\\r`, `\\{`, `\\}` and `\\u{…}` \
             (1 to 6 hex digits); use `\"\"\"…\"\"\"` for text without escapes"
                .into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_durations() {
        let n = |s: &str| number(s).map(|n| n.to_string());
        assert_eq!(n("12").unwrap(), "12");
        assert_eq!(n("-0.25").unwrap(), "-0.25");
        assert_eq!(n("1.0").unwrap(), "1.0");
        assert_eq!(n("1e-5").unwrap(), "0.00001");
        assert_eq!(n("1.5s").unwrap(), "1.5");
        assert_eq!(n("500ms").unwrap(), "0.5");
        assert_eq!(n("2m").unwrap(), "120");
        assert_eq!(n("+3").unwrap(), "3");
        assert_eq!(n(".5").unwrap(), "0.5");
        for bad in ["1.5x", "1.2.3", "12px", "1_000", "3h", "1e"] {
            assert!(number(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn strings_split_escapes_and_expressions() {
        let p = string(r#"a\"b {{ x | default("y") }}\u{e9}\{{"#, 1, false).unwrap();
        assert_eq!(
            p,
            vec![
                Piece::Lit("a\"b ".into()),
                Piece::Expr(" x | default(\"y\") ".into(), 8..26),
                Piece::Lit("é{{".into()),
            ]
        );
        let raw = string(r"\n{{a}}", 3, true).unwrap();
        assert_eq!(raw[0], Piece::Lit("\\n".into()));
        assert_eq!(raw[1], Piece::Expr("a".into(), 7..8));
    }

    #[test]
    fn string_errors_have_ranges() {
        let e = string(r"ok \q and {{ x", 1, false).unwrap_err();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].range, 4..6);
        assert!(e[0].message.contains("unknown escape"));
        assert_eq!(e[1].range, 11..13);
        assert!(string(r"\u{110000}", 0, false).is_err());
        assert!(string(r"\u{}", 0, false).is_err());
        assert!(string("{{  }}", 0, false).is_err());
    }
}
