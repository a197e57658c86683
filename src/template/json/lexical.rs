//! Tokens of the spanned JSON parser: strings (with escapes), numbers and keywords, each with a
//! friendly error when malformed.

use serde_json::{Number, Value};

use super::Parser;
use crate::diagnostics::Diagnostic;

impl Parser<'_> {
    /// A string literal; the parser stands on its opening quote.
    pub(crate) fn string(&mut self) -> Result<String, Diagnostic> {
        let open = self.pos;
        self.bump();
        let mut out = String::new();
        let mut chunk = self.pos;
        loop {
            let Some(rel) = self.bytes[self.pos..]
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
            else {
                return Err(Diagnostic::error("unexpected end of file: unclosed string")
                    .with_label(self.span(open, open + 1), "this string is never closed"));
            };
            self.pos += rel;
            match self.bytes[self.pos] {
                b'"' => {
                    out.push_str(&self.text[chunk..self.pos]);
                    self.bump();
                    return Ok(out);
                }
                b'\\' => {
                    out.push_str(&self.text[chunk..self.pos]);
                    self.escape(&mut out)?;
                    chunk = self.pos;
                }
                b => return Err(self.control_char(open, b)),
            }
        }
    }

    fn control_char(&self, open: usize, b: u8) -> Diagnostic {
        let at = self.span(self.pos, self.pos + 1);
        if b == b'\n' || b == b'\r' {
            Diagnostic::error("a string cannot span lines")
                .with_label(
                    self.span(open, open + 1),
                    "this string is not closed on its line",
                )
                .with_label(at, "line ends here")
                .with_help("write a line break as `\\n`, or close the string with `\"`")
        } else {
            Diagnostic::error(format!("control character U+{b:04X} in a string"))
                .with_label(at, "escape it")
                .with_help("write tabs as `\\t` and other control characters as `\\u00XX`")
        }
    }

    /// One escape sequence; the parser stands on the backslash.
    fn escape(&mut self, out: &mut String) -> Result<(), Diagnostic> {
        let start = self.pos;
        let c = match self.bytes.get(self.pos + 1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => return self.unicode_escape(out),
            _ => {
                let end = (start + 2).min(self.bytes.len());
                let end = if self.text.is_char_boundary(end) {
                    end
                } else {
                    self.token_end(start)
                };
                return Err(Diagnostic::error("unknown escape in a string")
                    .with_label(self.span(start, end), "not a JSON escape")
                    .with_help(
                        "JSON knows `\\\"`, `\\\\`, `\\/`, `\\b`, `\\f`, `\\n`, `\\r`, `\\t` and `\\uXXXX`; \
                         write a backslash as `\\\\`",
                    ));
            }
        };
        out.push(c);
        self.pos += 2;
        Ok(())
    }

    /// `\uXXXX`, joining a surrogate pair into one character.
    fn unicode_escape(&mut self, out: &mut String) -> Result<(), Diagnostic> {
        let start = self.pos;
        let high = self.hex4(start)?;
        self.pos += 6;
        let code = if (0xD800..0xDC00).contains(&high) {
            let low = match (self.peek(), self.bytes.get(self.pos + 1)) {
                (Some(b'\\'), Some(b'u')) => self.hex4(self.pos)?,
                _ => 0,
            };
            if !(0xDC00..0xE000).contains(&low) {
                return Err(self.lone_surrogate(start));
            }
            self.pos += 6;
            0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..0xE000).contains(&high) {
            return Err(self.lone_surrogate(start));
        } else {
            high
        };
        // Every value outside the surrogate range is a valid char.
        out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
        Ok(())
    }

    fn hex4(&self, at: usize) -> Result<u32, Diagnostic> {
        let digits = self
            .bytes
            .get(at + 2..at + 6)
            .filter(|d| d.iter().all(u8::is_ascii_hexdigit));
        match digits {
            // Four ASCII hex digits are valid UTF-8 and a valid u32.
            Some(d) => {
                Ok(u32::from_str_radix(std::str::from_utf8(d).unwrap_or("0"), 16).unwrap_or(0))
            }
            None => Err(
                Diagnostic::error("`\\u` must be followed by four hex digits")
                    .with_label(self.span(at, at + 2), "incomplete escape"),
            ),
        }
    }

    fn lone_surrogate(&self, at: usize) -> Diagnostic {
        Diagnostic::error("invalid `\\u` escape: a lone UTF-16 surrogate")
            .with_label(self.span(at, at + 6), "not a character on its own")
            .with_help("a surrogate `\\uD800`–`\\uDBFF` must be followed by `\\uDC00`–`\\uDFFF`")
    }

    /// A number literal, checked against JSON's grammar, valued by serde_json (so the result is
    /// bit-identical to `serde_json::from_str`).
    pub(crate) fn number(&mut self) -> Result<Number, Diagnostic> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.bump();
        }
        let int_start = self.pos;
        self.digits("a digit after `-`", start)?;
        if self.bytes[int_start] == b'0' && self.pos - int_start > 1 {
            return Err(
                Diagnostic::error("numbers cannot start with a leading zero")
                    .with_label(self.span(start, self.pos), "leading zero")
                    .with_help("write it without the zero, or as a string if it is a code"),
            );
        }
        let mut plain = self.bytes[start] != b'-';
        if self.peek() == Some(b'.') {
            self.bump();
            self.digits("a digit after `.`", start)?;
            plain = false;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.bump();
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.bump();
            }
            self.digits("a digit in the exponent", start)?;
            plain = false;
        }
        let token = &self.text[start..self.pos];
        if plain && let Ok(n) = token.parse::<u64>() {
            return Ok(Number::from(n));
        }
        serde_json::from_str::<Number>(token).map_err(|_| {
            Diagnostic::error("number out of range")
                .with_label(self.span(start, self.pos), "too large for a 64-bit float")
        })
    }

    fn digits(&mut self, what: &str, start: usize) -> Result<(), Diagnostic> {
        let from = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.bump();
        }
        if self.pos == from {
            let end = self.token_end(start).max(self.pos);
            return Err(
                Diagnostic::error(format!("malformed number: expected {what}"))
                    .with_label(self.span(start, end), "not a valid JSON number"),
            );
        }
        Ok(())
    }

    /// `true`, `false`, `null`, or a friendly error for whatever else stands where a value should.
    pub(crate) fn keyword(&mut self) -> Result<Value, Diagnostic> {
        let start = self.pos;
        let end = self.token_end(start);
        let word = &self.text[start..end];
        let value = match word {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "null" => Value::Null,
            _ => return Err(self.not_a_value(word, start, end)),
        };
        self.pos = end;
        Ok(value)
    }

    fn not_a_value(&self, word: &str, start: usize, end: usize) -> Diagnostic {
        let d = Diagnostic::error(format!("expected a value, found `{word}`"))
            .with_label(self.span(start, end), "not a JSON value");
        match word {
            "True" | "TRUE" => d.with_help("JSON writes `true` in lower case"),
            "False" | "FALSE" => d.with_help("JSON writes `false` in lower case"),
            "None" | "NULL" | "Null" | "nil" | "undefined" => d.with_help("JSON writes `null`"),
            "NaN" | "Infinity" | "+Infinity" => {
                d.with_help("JSON numbers are finite; use a string or `null`")
            }
            w if w.starts_with('\'') => d.with_help("JSON strings use double quotes"),
            w if w.starts_with(['}', ']', ',', ':']) => d,
            w if w.starts_with('+') => d.with_help("JSON numbers have no `+` sign"),
            w if w.starts_with('.') => d.with_help(format!("write it as 0{w}")),
            w => d.with_help(format!("if this is text, put it in double quotes: \"{w}\"")),
        }
    }
}
