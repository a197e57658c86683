//! CSV rows: the `csv` crate parses; a tee keeps the raw bytes of the current record so each
//! cell's exact span (quotes included) can be found from the record's `csv::Position`.

use std::fs::File;
use std::io;
use std::ops::Range;
use std::path::Path;

use csv::ByteRecord;

use super::{Read, RowSource, cell_ref, io_error};
use crate::diagnostics::{Diagnostic, FileId, SourceMap, Span};
use crate::template::{Cell, Row};

/// Bytes of already-parsed input kept before the tee drops them: a bound on its memory, big
/// enough that the copy happens rarely (once per 64 KiB, not once per row).
const TEE_KEEP: usize = 64 * 1024;

/// Remembers everything the CSV reader pulls from the file, from `base` on, so the raw bytes of
/// the last record are at hand.
struct Tee<R> {
    /// The file.
    inner: R,
    /// Bytes read from `base` on.
    window: Vec<u8>,
    /// File offset of `window[0]`.
    base: u64,
}

impl<R: io::Read> io::Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.window.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

impl<R> Tee<R> {
    /// The raw bytes of `range` (absolute file offsets), if still held.
    fn slice(&self, range: Range<u64>) -> &[u8] {
        let start = (range.start.saturating_sub(self.base) as usize).min(self.window.len());
        let end = (range.end.saturating_sub(self.base) as usize).clamp(start, self.window.len());
        &self.window[start..end]
    }

    /// Forgets bytes before `offset` once enough have piled up.
    fn release(&mut self, offset: u64) {
        let drop = offset.saturating_sub(self.base) as usize;
        if drop >= TEE_KEEP {
            let drop = drop.min(self.window.len());
            self.window.drain(..drop);
            self.base += drop as u64;
        }
    }
}

/// A CSV file being read, after its header.
pub(super) struct CsvSource {
    /// The csv crate's reader over the tee.
    reader: csv::Reader<Tee<File>>,
    /// The last record read (reused).
    record: ByteRecord,
    /// The record in `record` was read ahead (at open, to spot a header-only file).
    pending: Option<Range<u64>>,
    /// Column names, in order.
    header: Vec<String>,
    /// The field delimiter.
    delimiter: u8,
    /// The file in the source map (added lazily).
    file: FileId,
    /// The path, for IO errors.
    path: std::path::PathBuf,
}

impl CsvSource {
    /// Opens `path`, reads and checks its header, and reads ahead one record.
    pub(super) fn open(
        path: &Path,
        sources: &SourceMap,
        delimiter: u8,
        warnings: &mut Vec<Diagnostic>,
    ) -> Result<CsvSource, Diagnostic> {
        let handle = File::open(path).map_err(|e| io_error(path, &e))?;
        let file = sources.add_lazy(path);
        let tee = Tee {
            inner: handle,
            window: Vec::new(),
            base: 0,
        };
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(tee);
        let mut src = CsvSource {
            reader,
            record: ByteRecord::new(),
            pending: None,
            header: Vec::new(),
            delimiter,
            file,
            path: path.to_path_buf(),
        };
        src.read_header()?;
        src.pending = src.next_record().map_err(|e| io_error(path, &e))?;
        if src.pending.is_none() {
            warnings.push(
                Diagnostic::warning(format!("`{}` has a header but no rows", path.display()))
                    .with_label(Span::new(file, 0..0), "only a header row")
                    .with_help("nothing will be built; add rows below the header"),
            );
        }
        Ok(src)
    }

    /// The file in the source map.
    pub(super) fn file(&self) -> FileId {
        self.file
    }

    /// Reads the next record into `self.record`; its raw byte range, or `None` at the end.
    fn next_record(&mut self) -> io::Result<Option<Range<u64>>> {
        let more = self
            .reader
            .read_byte_record(&mut self.record)
            .map_err(|e| match e.into_kind() {
                csv::ErrorKind::Io(e) => e,
                other => io::Error::other(format!("{other:?}")),
            })?;
        if !more {
            return Ok(None);
        }
        let start = self.record.position().map_or(0, |p| p.byte());
        let end = self.reader.position().byte();
        Ok(Some(start..end))
    }

    fn read_header(&mut self) -> Result<(), Diagnostic> {
        let path = self.path.clone();
        let Some(range) = self.next_record().map_err(|e| io_error(&path, &e))? else {
            return Err(Diagnostic::error(format!("`{}` is empty", path.display()))
                .with_help("a CSV file starts with a header row naming its columns"));
        };
        let raw = self.reader.get_ref().slice(range.clone());
        check_utf8(raw, range.start, self.file, "the header")?;
        let spans = field_spans(raw, range.start, self.delimiter, self.record.len());
        let names: Vec<String> = self
            .record
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect();
        check_header(&names, &spans, self.file)?;
        self.header = names;
        Ok(())
    }

    /// Builds row `index` from the record in `self.record`, read from `range`.
    fn build(&self, index: usize, range: Range<u64>) -> Read {
        let raw = self.reader.get_ref().slice(range.clone());
        if let Err(d) = check_utf8(raw, range.start, self.file, &format!("row {}", index + 1)) {
            return Read::Bad(d);
        }
        let spans = field_spans(raw, range.start, self.delimiter, self.record.len());
        if self.record.len() != self.header.len() {
            return Read::Bad(self.ragged(index, &spans));
        }
        let fields = self
            .header
            .iter()
            .zip(self.record.iter())
            .zip(spans)
            .map(|((name, bytes), span)| {
                let cell = Cell {
                    value: serde_json::Value::String(String::from_utf8_lossy(bytes).into_owned()),
                    origin: Some(cell_ref(Span::new(self.file, span), index, "column", name)),
                };
                (name.clone(), cell)
            })
            .collect();
        Read::Row(Row { index, fields })
    }

    /// The error for a row whose cell count differs from the header's.
    fn ragged(&self, index: usize, spans: &[Range<usize>]) -> Diagnostic {
        let (want, found) = (self.header.len(), self.record.len());
        let whole = match (spans.first(), spans.last()) {
            (Some(a), Some(b)) => a.start..b.end,
            _ => 0..0,
        };
        let d = Diagnostic::error(format!(
            "row {} has {found} cell{}, but the header has {want} column{}",
            index + 1,
            plural(found),
            plural(want)
        ));
        if found > want {
            let extra = spans[want].start..whole.end;
            d.with_label(
                Span::new(self.file, extra),
                format!("{} cell{} too many", found - want, plural(found - want)),
            )
            .with_help("quote cells that contain the delimiter: \"a, b\"")
        } else {
            let missing: Vec<String> = self.header[found..]
                .iter()
                .map(|h| format!("`{h}`"))
                .collect();
            d.with_label(Span::new(self.file, whole), "this row")
                .with_note(format!("missing: {}", missing.join(", ")))
        }
    }
}

impl RowSource for CsvSource {
    fn read(&mut self, index: usize, build: bool) -> Option<Read> {
        let range = match self.pending.take() {
            Some(r) => r,
            None => match self.next_record() {
                Ok(Some(r)) => r,
                Ok(None) => return None,
                Err(e) => return Some(Read::Fatal(io_error(&self.path, &e))),
            },
        };
        let read = if build {
            self.build(index, range.clone())
        } else {
            Read::Skipped
        };
        self.reader.get_mut().release(range.end);
        Some(read)
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Fails on invalid UTF-8, naming the absolute byte offset of the first bad byte.
fn check_utf8(raw: &[u8], offset: u64, file: FileId, what: &str) -> Result<(), Diagnostic> {
    match std::str::from_utf8(raw) {
        Ok(_) => Ok(()),
        Err(e) => {
            let at = offset as usize + e.valid_up_to();
            Err(Diagnostic::error(format!(
                "{what} is not valid UTF-8 (first bad byte at offset {at})"
            ))
            .with_label(Span::new(file, at..at + 1), "invalid UTF-8 here")
            .with_help("save the file as UTF-8 (in a spreadsheet: \"CSV UTF-8\")"))
        }
    }
}

/// Rejects empty and duplicate column names, labelling both places of a duplicate.
fn check_header(names: &[String], spans: &[Range<usize>], file: FileId) -> Result<(), Diagnostic> {
    let span = |i: usize| Span::new(file, spans.get(i).cloned().unwrap_or(0..0));
    for (i, name) in names.iter().enumerate() {
        if name.trim().is_empty() {
            return Err(
                Diagnostic::error(format!("column {} has no name in the header", i + 1))
                    .with_label(span(i), "empty column name")
                    .with_help("every column needs a name: it is how templates refer to it"),
            );
        }
        if let Some(first) = names[..i].iter().position(|n| n == name) {
            return Err(Diagnostic::error(format!("duplicate column name `{name}`"))
                .with_label(span(i), "named again here")
                .with_label(span(first), "first named here")
                .with_help("rename one of the columns: a row can hold only one value per name"));
        }
    }
    Ok(())
}

/// The byte range of each field in a raw record that starts at file offset `offset`, quotes
/// included. The raw bytes may begin with the end of the previous line (or the BOM) and end
/// with a line break; both are skipped. If the scan does not find `expected` fields (malformed
/// quoting the csv crate tolerated differently), every field gets the whole record's span.
fn field_spans(raw: &[u8], offset: u64, delimiter: u8, expected: usize) -> Vec<Range<usize>> {
    let base = offset as usize;
    let mut i = 0;
    if offset == 0 && raw.starts_with(b"\xEF\xBB\xBF") {
        i = 3;
    }
    while i < raw.len() && matches!(raw[i], b'\r' | b'\n') {
        i += 1;
    }
    let first = i;
    let mut spans = Vec::with_capacity(expected);
    loop {
        let start = i;
        // Only a field that opens with a quote is quoted; `""` inside it toggles twice.
        let field_quoted = raw.get(start) == Some(&b'"');
        let mut quoted = false;
        while i < raw.len() {
            match raw[i] {
                b'"' if field_quoted => quoted = !quoted,
                b if !quoted && (b == delimiter || b == b'\n' || b == b'\r') => break,
                _ => {}
            }
            i += 1;
        }
        spans.push(base + start..base + i);
        if i < raw.len() && raw[i] == delimiter {
            i += 1;
        } else {
            break;
        }
    }
    if spans.len() != expected {
        let mut end = raw.len();
        while end > first && matches!(raw[end - 1], b'\r' | b'\n') {
            end -= 1;
        }
        return vec![base + first..base + end; expected];
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_of_fields() {
        type Case = (&'static [u8], u64, u8, usize, Vec<Range<usize>>);
        let cases: [Case; 6] = [
            (b"a,b,c\n", 10, b',', 3, vec![10..11, 12..13, 14..15]),
            (b"\r\n\"x,y\",z\r", 0, b',', 2, vec![2..7, 8..9]),
            (b"\"a\"\"b\";\"\";", 5, b';', 3, vec![5..11, 12..14, 15..15]),
            (b"\xEF\xBB\xBFname\tage\n", 0, b'\t', 2, vec![3..7, 8..11]),
            (b"\"multi\nline\",2\n", 0, b',', 2, vec![0..12, 13..14]),
            (b"a,b\n", 0, b',', 3, vec![0..3, 0..3, 0..3]),
        ];
        for (raw, off, d, n, want) in cases {
            assert_eq!(
                field_spans(raw, off, d, n),
                want,
                "{:?}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    /// Memory stays flat: after 100,000 rows the tee holds at most its keep size plus one
    /// read-ahead buffer, not the file.
    #[test]
    fn tee_window_stays_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.csv");
        let mut text = String::from("a,b,c\n");
        for i in 0..100_000 {
            text.push_str(&format!("{i},\"x, {i}\",zoë\n"));
        }
        std::fs::write(&path, &text).unwrap();
        let sources = SourceMap::new();
        let mut src = CsvSource::open(&path, &sources, b',', &mut Vec::new()).unwrap();
        let mut largest = 0;
        let mut n = 0;
        while let Some(read) = src.read(n, true) {
            assert!(matches!(read, Read::Row(_)));
            largest = largest.max(src.reader.get_ref().window.len());
            n += 1;
        }
        assert_eq!(n, 100_000);
        assert!(text.len() > 2_000_000);
        assert!(
            largest < TEE_KEEP + 64 * 1024,
            "window grew to {largest} bytes"
        );
    }

    proptest::proptest! {
        /// Whatever the cells hold (delimiters, quotes, line breaks, accents), a file written
        /// by the csv crate loads back to the same strings, and each cell's span holds exactly
        /// that cell as written (quoted form included).
        #[test]
        fn written_cells_load_back_with_exact_spans(
            rows in proptest::collection::vec(
                proptest::collection::vec("[a-c,;\"\n\r é\t]{0,6}", 3),
                1..8,
            ),
            delimiter in proptest::sample::select(vec![b',', b';', b'\t']),
            crlf in proptest::bool::ANY,
        ) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("p.csv");
            let mut w = csv::WriterBuilder::new()
                .delimiter(delimiter)
                .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
                .from_path(&path)
                .unwrap();
            w.write_record(["a", "b", "c"]).unwrap();
            for row in &rows {
                w.write_record(row).unwrap();
            }
            drop(w);
            let text = std::fs::read_to_string(&path).unwrap();
            let sources = SourceMap::new();
            let mut src = CsvSource::open(&path, &sources, delimiter, &mut Vec::new()).unwrap();
            let mut n = 0;
            while let Some(read) = src.read(n, true) {
                let Read::Row(row) = read else { panic!("row {n} failed") };
                for ((_, cell), want) in row.fields.iter().zip(&rows[n]) {
                    proptest::prop_assert_eq!(cell.value.as_str(), Some(want.as_str()));
                    let span = cell.origin.as_ref().unwrap().span.range();
                    let raw = &text[span];
                    let unquoted = match raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
                        Some(inner) => inner.replace("\"\"", "\""),
                        None => raw.to_string(),
                    };
                    proptest::prop_assert_eq!(&unquoted, want);
                }
                n += 1;
            }
            proptest::prop_assert_eq!(n, rows.len());
        }
    }
}
