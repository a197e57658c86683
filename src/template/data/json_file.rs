//! JSON and JSONL rows, parsed with the spanned JSON parser so each cell knows its span.
//!
//! A JSON file is read whole (one document has to be) and walked one array element at a time;
//! a JSONL file is read line by line.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::{Read, RowSource, io_error, not_an_object, object_row};
use crate::diagnostics::{Diagnostic, FileId, SourceMap, Span};
use crate::template::json::{ArrayCursor, Parser, Recorder};

/// A JSON data file: an array of objects, or an object with a `rows` array.
pub(super) struct JsonSource {
    /// The whole document.
    text: Arc<str>,
    /// The file in the source map.
    file: FileId,
    /// Where the rows array is being walked.
    cursor: ArrayCursor,
    /// Whether the array is the whole document (then nothing may follow it).
    top_level: bool,
}

impl JsonSource {
    /// Reads `path` (UTF-8 checked) and finds its rows array.
    pub(super) fn open(
        path: &Path,
        sources: &SourceMap,
        warnings: &mut Vec<Diagnostic>,
        rows_key: &str,
    ) -> Result<JsonSource, Diagnostic> {
        let file = sources.load(path)?;
        let text = sources.get(file).text().clone();
        let mut p = Parser::new(&text, file, 0);
        if text.starts_with('\u{feff}') {
            p.set_pos(3);
        }
        p.skip_ws()?;
        let top_level = p.peek() == Some(b'[');
        let cursor = match p.peek() {
            Some(b'[') => ArrayCursor::new(&mut p),
            Some(b'{') => find_rows(&mut p, rows_key)?,
            None => {
                return Err(Diagnostic::error(format!("`{}` is empty", path.display()))
                    .with_help("write an array of objects: [{\"name\": \"Jane\"}]"));
            }
            Some(_) => {
                let start = p.pos();
                p.value(&mut Recorder::none())?;
                return Err(top_level_error(p.span(start, p.pos())));
            }
        };
        p.skip_ws()?;
        if p.peek() == Some(b']') {
            warnings.push(
                Diagnostic::warning(format!("`{}` has no rows", path.display()))
                    .with_label(p.span(p.pos(), p.pos() + 1), "the array is empty"),
            );
        }
        Ok(JsonSource {
            text,
            file,
            cursor,
            top_level,
        })
    }

    /// The file in the source map.
    pub(super) fn file(&self) -> FileId {
        self.file
    }
}

fn top_level_error(span: Span) -> Diagnostic {
    Diagnostic::error("a JSON data file must hold an array of rows")
        .with_label(span, "expected `[` or `{ \"rows\": [...] }`")
        .with_help("write an array of objects: [{\"name\": \"Jane\"}, {\"name\": \"Ali\"}]")
}

/// In `{ ..., "rows": [...], ... }`, moves to the rows array named `rows_key` (other members
/// are skipped; the names seen are listed when it is missing).
fn find_rows(p: &mut Parser<'_>, rows_key: &str) -> Result<ArrayCursor, Diagnostic> {
    let open = p.pos();
    p.bump();
    let open_span = p.span(open, open + 1);
    let mut seen: Vec<(bool, String)> = Vec::new();
    let no_rows = |seen: &[(bool, String)]| {
        let d = Diagnostic::error(format!("this JSON object has no `{rows_key}` array"))
            .with_label(open_span, format!("expected `{{ \"{rows_key}\": [...] }}`"));
        if seen.is_empty() {
            return d
                .with_help("put the rows in a `rows` member, or make the file an array of rows");
        }
        let names: Vec<String> = seen.iter().map(|(_, k)| format!("`{k}`")).collect();
        d.with_note(format!("its members are {}", names.join(", ")))
            .with_help(format!(
                "name the member that holds the rows: `data \"…\" rows=\"{}\"` or `--rows-key {}`",
                seen[0].1, seen[0].1
            ))
    };
    p.skip_ws()?;
    if p.peek() == Some(b'}') {
        return Err(no_rows(&seen));
    }
    loop {
        let (key, key_span) = p.key(open)?;
        p.skip_ws()?;
        if p.peek() != Some(b':') {
            return Err(
                Diagnostic::error(format!("expected `:` after the key `{key}`"))
                    .with_label(key_span, "this key needs a `:` and a value"),
            );
        }
        p.bump();
        p.skip_ws()?;
        let start = p.pos();
        if key == rows_key {
            if p.peek() == Some(b'[') {
                return Ok(ArrayCursor::new(p));
            }
            p.value(&mut Recorder::none())?;
            return Err(
                Diagnostic::error(format!("`{rows_key}` must be an array of objects"))
                    .with_label(p.span(start, p.pos()), "not an array"),
            );
        }
        let is_array = p.peek() == Some(b'[');
        p.value(&mut Recorder::none())?;
        // Arrays first: they are the likely rows.
        if is_array {
            seen.insert(
                seen.iter().take_while(|(a, _)| *a).count(),
                (true, key.to_string()),
            );
        } else {
            seen.push((false, key.to_string()));
        }
        if p.after_member(open, start, b'}')? {
            return Err(no_rows(&seen));
        }
    }
}

impl RowSource for JsonSource {
    fn read(&mut self, index: usize, build: bool) -> Option<Read> {
        let mut p = Parser::new(&self.text, self.file, 0);
        let mut rec = if build {
            Recorder::members()
        } else {
            Recorder::none()
        };
        let Some(next) = self.cursor.next(&mut p, &mut rec) else {
            return self.check_end().err().map(Read::Fatal);
        };
        match next {
            Err(d) => Some(Read::Fatal(d.with_note(format!(
                "in row {}; the rows after it cannot be read",
                index + 1
            )))),
            Ok(_) if !build => Some(Read::Skipped),
            Ok((Value::Object(map), _)) => Some(Read::Row(object_row(index, map, &rec.members))),
            Ok((other, span)) => Some(Read::Bad(not_an_object(index, &other, span))),
        }
    }
}

impl JsonSource {
    /// After the rows array of a top-level array document, only whitespace may follow.
    fn check_end(&self) -> Result<(), Diagnostic> {
        if !self.top_level || !self.cursor.finished() {
            return Ok(());
        }
        let mut p = Parser::new(&self.text, self.file, 0);
        p.set_pos(self.cursor.pos());
        p.expect_end()
    }
}

/// A JSONL data file: one object per line, blank lines skipped.
pub(super) struct JsonlSource {
    /// The file, buffered.
    reader: BufReader<File>,
    /// The file in the source map.
    file: FileId,
    /// The path, for IO errors and warnings.
    path: PathBuf,
    /// File offset of the next line.
    offset: usize,
    /// The current line (reused).
    line: Vec<u8>,
    /// 1-based line number of the line in `line`.
    line_no: usize,
    /// Non-blank lines seen so far.
    rows: usize,
}

impl JsonlSource {
    /// Opens `path`; an empty file is an error.
    pub(super) fn open(path: &Path, sources: &SourceMap) -> Result<JsonlSource, Diagnostic> {
        let handle = File::open(path).map_err(|e| io_error(path, &e))?;
        let len = handle.metadata().map(|m| m.len()).unwrap_or(0);
        if len == 0 {
            return Err(Diagnostic::error(format!("`{}` is empty", path.display()))
                .with_help("write one JSON object per line: {\"name\": \"Jane\"}"));
        }
        Ok(JsonlSource {
            reader: BufReader::new(handle),
            file: sources.add_lazy(path),
            path: path.to_path_buf(),
            offset: 0,
            line: Vec::new(),
            line_no: 0,
            rows: 0,
        })
    }

    /// The file in the source map.
    pub(super) fn file(&self) -> FileId {
        self.file
    }

    /// The next non-blank line: its start offset (the line is in `self.line`, without its line
    /// break and, on the first line, without a BOM).
    fn next_line(&mut self) -> std::io::Result<Option<usize>> {
        loop {
            self.line.clear();
            let n = self.reader.read_until(b'\n', &mut self.line)?;
            if n == 0 {
                return Ok(None);
            }
            let mut start = self.offset;
            self.offset += n;
            self.line_no += 1;
            if start == 0 && self.line.starts_with(b"\xEF\xBB\xBF") {
                self.line.drain(..3);
                start = 3;
            }
            while matches!(self.line.last(), Some(b'\n' | b'\r')) {
                self.line.pop();
            }
            if !self.line.iter().all(u8::is_ascii_whitespace) {
                return Ok(Some(start));
            }
        }
    }

    fn build(&self, index: usize, start: usize) -> Read {
        let text = match std::str::from_utf8(&self.line) {
            Ok(t) => t,
            Err(e) => {
                let at = start + e.valid_up_to();
                return Read::Bad(
                    Diagnostic::error(format!(
                        "row {} is not valid UTF-8 (first bad byte at offset {at})",
                        index + 1
                    ))
                    .with_label(Span::new(self.file, at..at + 1), "invalid UTF-8 here")
                    .with_help("save the file as UTF-8"),
                );
            }
        };
        let mut p = Parser::new(text, self.file, start);
        let mut rec = Recorder::members();
        match p.document(&mut rec) {
            Err(d) => {
                Read::Bad(d.with_note(format!("in row {} (line {})", index + 1, self.line_no)))
            }
            Ok(Value::Object(map)) => Read::Row(object_row(index, map, &rec.members)),
            Ok(other) => Read::Bad(not_an_object(index, &other, p.span(0, text.len()))),
        }
    }
}

impl RowSource for JsonlSource {
    fn read(&mut self, index: usize, build: bool) -> Option<Read> {
        let start = match self.next_line() {
            Ok(Some(start)) => start,
            Ok(None) => return None,
            Err(e) => return Some(Read::Fatal(io_error(&self.path, &e))),
        };
        self.rows += 1;
        Some(if build {
            self.build(index, start)
        } else {
            Read::Skipped
        })
    }

    fn end_warnings(&mut self) -> Vec<Diagnostic> {
        if self.rows > 0 {
            return Vec::new();
        }
        vec![
            Diagnostic::warning(format!("`{}` has no rows", self.path.display()))
                .with_label(Span::new(self.file, 0..0), "only blank lines"),
        ]
    }
}
