//! JSON with spans: a small hand-written parser that records where every value was written.
//!
//! [`parse_spanned`] gives the same `serde_json::Value` as `serde_json::from_str` (key order
//! kept; numbers are handed to serde_json so they come out identical) plus an [`Origins`] table:
//! JSON pointer → byte span of the value in its file. Syntax errors are diagnostics with a span
//! and a plain message ("expected `,` or `}` after this value", "trailing comma").
//!
//! Decisions: a duplicate key in one object is an **error** naming both places (serde_json keeps
//! the last one silently; which one a user meant is a guess); a leading UTF-8 byte order mark is
//! skipped; nesting deeper than 128 levels is an error (as in serde_json), so no input can
//! overflow the stack.
//!
//! Shotstack JSON used as a template (`{{ NAME }}` placeholders and the `merge` array) lives in
//! `merge` ([`JsonTemplate`]); the data loader uses the same parser, one row at a time.

mod merge;

pub use merge::JsonTemplate;

use serde_json::{Map, Value};

use crate::diagnostics::{Diagnostic, FileId, SourceResult, Span};
use crate::edit::Origins;
use crate::edit::origins::{Origin, pointer_segment};

/// Deepest nesting accepted (serde_json's limit too).
const MAX_DEPTH: usize = 128;

/// Parses a whole JSON document, recording the span of every value by JSON pointer (`""` is the
/// root, `/timeline/tracks/0` a nested value). Spans are byte offsets into `text`, in `file`.
pub fn parse_spanned(text: &str, file: FileId) -> SourceResult<(Value, Origins)> {
    let mut parser = Parser::new(text, file, 0);
    let mut rec = Recorder::new(usize::MAX);
    let value = parser.document(&mut rec).map_err(|d| vec![d])?;
    Ok((value, rec.origins))
}

/// Collects where values were written while parsing: by pointer into [`Origins`], or only the
/// spans of the root object's members (what a data row needs, without building pointers).
#[derive(Debug)]
pub(crate) struct Recorder {
    /// Spans by pointer (pointer mode).
    pub(crate) origins: Origins,
    /// Spans of the root's members, in order (members mode).
    pub(crate) members: Vec<Span>,
    /// What to record.
    mode: Mode,
    /// Levels below the root of the value being parsed.
    depth: usize,
    /// JSON pointer of the value being parsed (pointer mode).
    pointer: String,
}

#[derive(Debug, Clone, Copy)]
enum Mode {
    /// Every value at most this many levels below the root.
    Pointers(usize),
    /// Values exactly one level below the root.
    Members,
    /// Nothing (skipping a value).
    Nothing,
}

impl Recorder {
    /// Records values at most `max_depth` levels deep by pointer (0: the root only).
    pub(crate) fn new(max_depth: usize) -> Self {
        Recorder::with_mode(Mode::Pointers(max_depth))
    }

    /// Records only the spans of the root's members, in order.
    pub(crate) fn members() -> Self {
        Recorder::with_mode(Mode::Members)
    }

    /// Records nothing.
    pub(crate) fn none() -> Self {
        Recorder::with_mode(Mode::Nothing)
    }

    fn with_mode(mode: Mode) -> Self {
        Recorder {
            origins: Origins::new(),
            members: Vec::new(),
            mode,
            depth: 0,
            pointer: String::new(),
        }
    }

    fn record(&mut self, span: Span) {
        match self.mode {
            Mode::Pointers(max) if self.depth <= max => {
                let origin = Origin { span, cell: None };
                self.origins.insert(self.pointer.clone(), origin);
            }
            Mode::Members if self.depth == 1 => self.members.push(span),
            _ => {}
        }
    }

    /// Enters a member or element; returns the pointer length to restore.
    fn push(&mut self, segment: impl std::fmt::Display) -> usize {
        let len = self.pointer.len();
        self.depth += 1;
        if let Mode::Pointers(max) = self.mode
            && self.depth <= max
        {
            use std::fmt::Write as _;
            let _ = write!(self.pointer, "/{segment}");
        }
        len
    }

    fn pop(&mut self, len: usize) {
        self.depth -= 1;
        self.pointer.truncate(len);
    }
}

/// A JSON parser over `text`, whose first byte is at offset `base` of `file`.
///
/// It parses one value at a time, so the data loader can walk an array of rows without holding
/// them all ([`Parser::pos`] / [`Parser::set_pos`] let it resume).
#[derive(Debug)]
pub(crate) struct Parser<'a> {
    /// The text being parsed.
    text: &'a str,
    /// `text` as bytes.
    bytes: &'a [u8],
    /// Current byte offset in `text`.
    pos: usize,
    /// The file spans point into.
    file: FileId,
    /// Offset of `text` in its file.
    base: usize,
    /// Levels below the root of the value being parsed.
    depth: usize,
}

impl<'a> Parser<'a> {
    /// A parser at the start of `text`; `base` is `text`'s offset in its file.
    pub(crate) fn new(text: &'a str, file: FileId, base: usize) -> Self {
        Parser {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            file,
            base,
            depth: 0,
        }
    }

    /// The current byte offset in `text`.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Moves to a byte offset previously returned by [`Parser::pos`].
    pub(crate) fn set_pos(&mut self, pos: usize) {
        self.pos = pos;
    }

    /// A whole document: one value, then only whitespace.
    pub(crate) fn document(&mut self, rec: &mut Recorder) -> Result<Value, Diagnostic> {
        if self.text.starts_with('\u{feff}') && self.pos == 0 {
            self.pos = 3;
        }
        let value = self.value(rec)?;
        self.expect_end()?;
        Ok(value)
    }

    /// Fails unless only whitespace is left.
    pub(crate) fn expect_end(&mut self) -> Result<(), Diagnostic> {
        self.skip_ws()?;
        if self.pos < self.bytes.len() {
            let end = self.token_end(self.pos);
            return Err(Diagnostic::error("unexpected text after the JSON value")
                .with_label(
                    self.span(self.pos, end),
                    "expected the end of the document here",
                )
                .with_help("a JSON document holds exactly one value; wrap several in `[ ]`"));
        }
        Ok(())
    }

    /// Skips whitespace; comments are an error (JSON has none).
    pub(crate) fn skip_ws(&mut self) -> Result<(), Diagnostic> {
        while let Some(&b) = self.bytes.get(self.pos) {
            match b {
                b' ' | b'\t' | b'\n' | b'\r' => self.pos += 1,
                b'/' if matches!(self.bytes.get(self.pos + 1), Some(b'/' | b'*')) => {
                    return Err(Diagnostic::error("JSON does not allow comments")
                        .with_label(self.span(self.pos, self.pos + 2), "comment starts here"));
                }
                _ => break,
            }
        }
        Ok(())
    }

    /// The next byte, if any (after [`Parser::skip_ws`]).
    pub(crate) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Consumes one byte known to be there.
    pub(crate) fn bump(&mut self) {
        self.pos += 1;
    }

    /// A span over `start..end` of `text`, in file offsets.
    pub(crate) fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, self.base + start..self.base + end)
    }

    /// One value (leading whitespace skipped), recorded at the recorder's current pointer.
    pub(crate) fn value(&mut self, rec: &mut Recorder) -> Result<Value, Diagnostic> {
        self.skip_ws()?;
        let start = self.pos;
        let value = match self.peek() {
            None => {
                return Err(
                    Diagnostic::error("unexpected end of file: expected a value")
                        .with_label(self.span(start, start), "a value should follow"),
                );
            }
            Some(b'{') => self.object(rec)?,
            Some(b'[') => self.array(rec)?,
            Some(b'"') => Value::String(self.string()?),
            Some(b'-' | b'0'..=b'9') => Value::Number(self.number()?),
            Some(_) => self.keyword()?,
        };
        rec.record(self.span(start, self.pos));
        Ok(value)
    }

    fn enter(&mut self, open: usize) -> Result<(), Diagnostic> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Diagnostic::error(format!(
                "the document is nested too deeply (more than {MAX_DEPTH} levels)"
            ))
            .with_label(self.span(open, open + 1), "this level is too deep"));
        }
        Ok(())
    }

    fn object(&mut self, rec: &mut Recorder) -> Result<Value, Diagnostic> {
        let open = self.pos;
        self.enter(open)?;
        self.bump();
        let mut map = Map::new();
        let mut key_spans: Vec<Span> = Vec::new();
        self.skip_ws()?;
        if self.peek() == Some(b'}') {
            self.bump();
            self.depth -= 1;
            return Ok(Value::Object(map));
        }
        loop {
            let (key, key_span) = self.key(open)?;
            if map.contains_key(&key) {
                return Err(self.duplicate_key(&key, key_span, &key_spans));
            }
            self.skip_ws()?;
            if self.peek() != Some(b':') {
                return Err(
                    Diagnostic::error(format!("expected `:` after the key `{key}`"))
                        .with_label(key_span, "this key needs a `:` and a value"),
                );
            }
            self.bump();
            self.skip_ws()?;
            let mark = rec.push(pointer_segment(&key));
            let value_start = self.pos;
            let value = self.value(rec)?;
            rec.pop(mark);
            map.insert(key, value);
            key_spans.push(key_span);
            if self.after_member(open, value_start, b'}')? {
                self.depth -= 1;
                return Ok(Value::Object(map));
            }
        }
    }

    /// An object key (whitespace skipped), or a friendly error for what stands there instead.
    pub(crate) fn key(&mut self, open: usize) -> Result<(String, Span), Diagnostic> {
        self.skip_ws()?;
        let start = self.pos;
        match self.peek() {
            Some(b'"') => {
                let key = self.string()?;
                Ok((key, self.span(start, self.pos)))
            }
            Some(b'}') => Err(self.trailing_comma(b'}')),
            None => Err(self.unclosed(open, b'}')),
            Some(_) => {
                let end = self.token_end(start);
                let word = &self.text[start..end];
                let d = Diagnostic::error("object keys must be strings in double quotes")
                    .with_label(self.span(start, end), "expected a key in `\"…\"`");
                Err(if word.starts_with('\'') {
                    d.with_help("JSON strings use double quotes, not single quotes")
                } else {
                    d.with_help(format!("write it as \"{word}\""))
                })
            }
        }
    }

    fn array(&mut self, rec: &mut Recorder) -> Result<Value, Diagnostic> {
        let open = self.pos;
        self.enter(open)?;
        self.bump();
        let mut items = Vec::new();
        self.skip_ws()?;
        if self.peek() == Some(b']') {
            self.bump();
            self.depth -= 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws()?;
            match self.peek() {
                Some(b']') => return Err(self.trailing_comma(b']')),
                None => return Err(self.unclosed(open, b']')),
                _ => {}
            }
            let mark = rec.push(items.len());
            let value_start = self.pos;
            items.push(self.value(rec)?);
            rec.pop(mark);
            if self.after_member(open, value_start, b']')? {
                self.depth -= 1;
                return Ok(Value::Array(items));
            }
        }
    }

    /// After a member or element: `,` (more follow, returns false) or `close` (returns true).
    pub(crate) fn after_member(
        &mut self,
        open: usize,
        value_start: usize,
        close: u8,
    ) -> Result<bool, Diagnostic> {
        let value_end = self.pos;
        self.skip_ws()?;
        match self.peek() {
            Some(b',') => {
                self.bump();
                Ok(false)
            }
            Some(b) if b == close => {
                self.bump();
                Ok(true)
            }
            None => Err(self.unclosed(open, close)),
            Some(_) => {
                let c = close as char;
                Err(
                    Diagnostic::error(format!("expected `,` or `{c}` after this value"))
                        .with_label(self.span(value_start, value_end), "after this value")
                        .with_label(
                            self.span(self.pos, self.token_end(self.pos)),
                            "found this instead",
                        ),
                )
            }
        }
    }

    /// The error for `close` right after a comma (the parser stands on `close`).
    pub(crate) fn trailing_comma(&self, close: u8) -> Diagnostic {
        let comma = self.text[..self.pos].rfind(',').unwrap_or(self.pos);
        let c = close as char;
        Diagnostic::error("trailing comma")
            .with_label(
                self.span(comma, comma + 1),
                format!("no value follows this comma before `{c}`"),
            )
            .with_help("remove the comma: JSON does not allow one after the last item")
    }

    pub(crate) fn unclosed(&self, open: usize, close: u8) -> Diagnostic {
        let (what, c) = match close {
            b'}' => ("object", '}'),
            _ => ("array", ']'),
        };
        Diagnostic::error(format!(
            "unexpected end of file: this {what} is never closed"
        ))
        .with_label(
            self.span(open, open + 1),
            format!("expected a `{c}` for this"),
        )
    }

    fn duplicate_key(&self, key: &str, here: Span, earlier: &[Span]) -> Diagnostic {
        let first = earlier.iter().find(|s| {
            let local = s.start as usize - self.base..s.end as usize - self.base;
            Parser::new(&self.text[local], self.file, 0)
                .string()
                .ok()
                .as_deref()
                == Some(key)
        });
        Diagnostic::error(format!("duplicate key `{key}` in one object"))
            .with_label(here, "written again here")
            .with_opt_label(first.copied(), "first written here")
            .with_help("keep one of them: which value is meant is not clear")
    }

    /// The end of a bad token, for labels: up to whitespace or punctuation (at least one char).
    fn token_end(&self, start: usize) -> usize {
        let rest = &self.text[start..];
        if let Some(body) = rest.strip_prefix('"') {
            // A whole string literal (to its closing quote or the line's end).
            let close = body.find(['"', '\n']).map_or(rest.len(), |i| i + 2);
            return start + close.min(rest.len());
        }
        let first = rest.chars().next().map_or(0, char::len_utf8);
        let len = rest[first..]
            .find(|c: char| c.is_whitespace() || ",:[]{}\"".contains(c))
            .map_or(rest.len(), |i| i + first);
        start + len
    }
}

/// Walks the elements of one array, one at a time, without holding them: how the data loader
/// streams the rows of a JSON file. It owns no text; each call is handed the same parser text.
#[derive(Debug)]
pub(crate) struct ArrayCursor {
    /// Offset of the array's `[`.
    open: usize,
    /// Current byte offset in `text`.
    pos: usize,
    /// No element read yet.
    first: bool,
    /// The `]` (or an error) was reached.
    done: bool,
}

impl ArrayCursor {
    /// Starts at the array's `[`, where `parser` stands.
    pub(crate) fn new(parser: &mut Parser<'_>) -> Self {
        let open = parser.pos();
        parser.bump();
        ArrayCursor {
            open,
            pos: parser.pos(),
            first: true,
            done: false,
        }
    }

    /// Whether the closing `]` (or an error) was reached.
    pub(crate) fn finished(&self) -> bool {
        self.done
    }

    /// Where the cursor stands: after the closing `]` once finished.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// The next element and its span; `None` after the closing `]`. An error leaves the cursor
    /// finished (the rest of the array cannot be found reliably).
    pub(crate) fn next(
        &mut self,
        parser: &mut Parser<'_>,
        rec: &mut Recorder,
    ) -> Option<Result<(Value, Span), Diagnostic>> {
        if self.done {
            return None;
        }
        parser.set_pos(self.pos);
        let result = self.step(parser, rec);
        self.pos = parser.pos();
        match result {
            Ok(None) => {
                self.done = true;
                None
            }
            Ok(Some(item)) => Some(Ok(item)),
            Err(d) => {
                self.done = true;
                Some(Err(d))
            }
        }
    }

    fn step(
        &mut self,
        parser: &mut Parser<'_>,
        rec: &mut Recorder,
    ) -> Result<Option<(Value, Span)>, Diagnostic> {
        parser.skip_ws()?;
        match parser.peek() {
            Some(b']') if self.first => {
                parser.bump();
                return Ok(None);
            }
            Some(b']') => return Err(parser.trailing_comma(b']')),
            None => return Err(parser.unclosed(self.open, b']')),
            _ => {}
        }
        self.first = false;
        let start = parser.pos();
        let value = parser.value(rec)?;
        let span = parser.span(start, parser.pos());
        if parser.after_member(self.open, start, b']')? {
            self.done = true;
        }
        Ok(Some((value, span)))
    }
}

mod lexical;

#[cfg(test)]
mod tests;
