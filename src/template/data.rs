//! Rows of data with provenance: CSV, JSON and JSONL files, streamed one row at a time.
//!
//! [`open`] checks a data file's shape (CSV header, JSON top level) and returns [`Rows`], an
//! iterator of `(index, Result<Row, Diagnostic>)`: a bad row is an error for that row only and
//! the rest go on. Rows are never all held at once: CSV and JSONL are read through a buffer,
//! a JSON file's text is held (one document has to be) but its rows are built one at a time.
//! Every [`Cell`] knows its bytes in the file and how a spreadsheet user names it
//! (`row 7, column "price"`).
//!
//! Conventions, decided here:
//! - `index` is 0-based (`row_index`); messages say `row N` with N = index + 1, the data row a
//!   spreadsheet user counts (the header is not a row). `--rows 1-10` uses the same numbers.
//! - CSV cells are strings; a cell's span covers its raw bytes, quotes included.
//!   A header-only CSV (and an empty JSON array) gives zero rows and a warning in
//!   [`Rows::warnings`]; an empty file is an error.
//! - JSON and JSONL values keep their JSON types; a JSON cell's span covers the value.
//! - A JSON syntax error inside a JSON array ends the rows (the rest cannot be found
//!   reliably); in JSONL only that line fails.
//!
//! This module does not evaluate anything and does not know templates.

mod csv_file;
mod json_file;

use std::path::Path;

use serde_json::Value;

use super::{Cell, Row};
use crate::diagnostics::{Diagnostic, FileId, SourceMap, Span};
use crate::edit::origins::CellRef;

/// The kinds of data file reel reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFormat {
    /// Comma- (or otherwise-) separated values with a header row.
    Csv,
    /// A JSON array of objects, or `{ "rows": [...] }`.
    Json,
    /// One JSON object per line.
    Jsonl,
}

impl DataFormat {
    /// The format a file name implies: `.csv`/`.tsv`/`.txt` → CSV, `.json` → JSON,
    /// `.jsonl`/`.ndjson` → JSONL (case-insensitive).
    pub fn from_path(path: &Path) -> Option<DataFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "tsv" | "txt" => Some(DataFormat::Csv),
            "json" => Some(DataFormat::Json),
            "jsonl" | "ndjson" => Some(DataFormat::Jsonl),
            _ => None,
        }
    }
}

/// The largest cell accepted unless told otherwise (`--max-cell`): 1 MiB. A cell is a title, a
/// caption or a URL; a bigger one is almost surely a mistake (a file pasted into a cell), and
/// text, templates and layout all cost time in its size.
pub const DEFAULT_MAX_CELL: usize = 1 << 20;

/// How to read a data file.
#[derive(Debug, Clone, Default)]
pub struct DataOptions {
    /// The format; `None` means "from the file extension".
    pub format: Option<DataFormat>,
    /// CSV field delimiter; `None` means `,` (or a tab for `.tsv` files).
    pub delimiter: Option<u8>,
    /// Largest cell in bytes (a string's text; other JSON values as written); a bigger one
    /// makes its row an error at the cell. `None`: [`DEFAULT_MAX_CELL`].
    pub max_cell: Option<usize>,
    /// The member of a JSON data object that holds the rows; `None` means `rows`.
    pub rows_key: Option<String>,
}

/// Reads `--delimiter`: `,`, `;`, `tab` (or `\t`, or a real tab), `pipe`, or any single ASCII
/// character other than `"` and line breaks.
pub fn parse_delimiter(text: &str) -> Result<u8, Diagnostic> {
    let byte = match text {
        "tab" | "\\t" | "\t" => Some(b'\t'),
        "pipe" => Some(b'|'),
        "comma" => Some(b','),
        "semicolon" => Some(b';'),
        s if s.len() == 1 && s.is_ascii() => Some(s.as_bytes()[0]),
        _ => None,
    };
    match byte {
        Some(b) if !matches!(b, b'"' | b'\n' | b'\r') => Ok(b),
        _ => Err(
            Diagnostic::error(format!("`{text}` cannot be a CSV delimiter"))
                .with_help("use one ASCII character such as `,` or `;`, or `tab`"),
        ),
    }
}

/// Opens a data file: reads its header (CSV) or top level (JSON) and returns the rows, ready
/// to stream. A file that cannot be read at all is an error here; a bad row is an error for
/// that row, later, from the iterator.
pub fn open(path: &Path, sources: &SourceMap, options: &DataOptions) -> Result<Rows, Diagnostic> {
    let format = match options.format.or_else(|| DataFormat::from_path(path)) {
        Some(f) => f,
        None => {
            return Err(Diagnostic::error(format!(
                "cannot tell the format of `{}` from its name",
                path.display()
            ))
            .with_help("name it .csv, .json or .jsonl, or pass the format explicitly"));
        }
    };
    let mut warnings = Vec::new();
    let (source, file): (Box<dyn RowSource>, FileId) = match format {
        DataFormat::Csv => {
            let tsv = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("tsv"));
            let delimiter = options.delimiter.unwrap_or(if tsv { b'\t' } else { b',' });
            let src = csv_file::CsvSource::open(path, sources, delimiter, &mut warnings)?;
            let file = src.file();
            (Box::new(src), file)
        }
        DataFormat::Json => {
            let src = json_file::JsonSource::open(
                path,
                sources,
                &mut warnings,
                options.rows_key.as_deref().unwrap_or("rows"),
            )?;
            let file = src.file();
            (Box::new(src), file)
        }
        DataFormat::Jsonl => {
            let src = json_file::JsonlSource::open(path, sources)?;
            let file = src.file();
            (Box::new(src), file)
        }
    };
    Ok(Rows {
        source,
        file,
        next: 0,
        done: false,
        select: None,
        overrides: Vec::new(),
        warnings,
        max_cell: options.max_cell.unwrap_or(DEFAULT_MAX_CELL),
    })
}

/// Counts the rows of a data file without building them (cheap: no cells, no spans). Rows
/// that would be errors count too; an error that ends the file early is returned.
pub fn count(path: &Path, sources: &SourceMap, options: &DataOptions) -> Result<usize, Diagnostic> {
    open(path, sources, options)?.count_rows()
}

/// Reads one `--set key=value`: the key is trimmed and must not be empty; the value is
/// everything after the first `=`, kept as a **string** (as a CSV cell would be; validation
/// coerces it later).
pub fn parse_set(text: &str) -> Result<(String, Value), Diagnostic> {
    let Some((key, value)) = text.split_once('=') else {
        return Err(Diagnostic::error(format!("`--set {text}` needs a `=`"))
            .with_help("write it as `--set key=value`"));
    };
    let key = key.trim();
    if key.is_empty() {
        return Err(
            Diagnostic::error(format!("`--set {text}` has no field name before `="))
                .with_help("write it as `--set key=value`"),
        );
    }
    Ok((key.to_string(), Value::String(value.to_string())))
}

/// The rows of one data file, in order, as `(index, row or error)`.
///
/// Streaming: one row is built at a time. [`Rows::select`] skips unwanted indices without
/// building them (for `--rows` and `--shard`).
pub struct Rows {
    /// The file being read.
    source: Box<dyn RowSource>,
    /// The file in the source map.
    file: FileId,
    /// Index of the next row to read.
    next: usize,
    /// Set at the end of the file or after an error that ends it.
    done: bool,
    /// Which indices to build; `None`: all.
    select: Option<Box<dyn FnMut(usize) -> bool + Send>>,
    /// `--set` fields written into every row.
    overrides: Vec<(String, Value)>,
    /// Warnings about the file as a whole.
    warnings: Vec<Diagnostic>,
    /// Largest cell in bytes.
    max_cell: usize,
}

impl std::fmt::Debug for Rows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rows")
            .field("file", &self.file)
            .field("next", &self.next)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl Rows {
    /// The data file, as registered in the [`SourceMap`].
    pub fn file(&self) -> FileId {
        self.file
    }

    /// Warnings about the file as a whole (a header with no rows, an empty array). Some are
    /// found only at the end: read them after iterating.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// Yields only rows whose 0-based index passes `keep`; the others are skipped without being
    /// built or checked (`--shard K/N`: `move |i| i % n == k`). An error that ends the file is
    /// still reported, at its own index, whether selected or not: the rows after it are lost.
    pub fn select(mut self, keep: impl FnMut(usize) -> bool + Send + 'static) -> Rows {
        self.select = Some(Box::new(keep));
        self
    }

    /// Sets these fields in every row, replacing the data's values (`--set key=value`, read by
    /// [`parse_set`]); such cells have no origin in the data file.
    pub fn with_overrides(mut self, sets: Vec<(String, Value)>) -> Rows {
        self.overrides = sets;
        self
    }

    /// Counts the remaining rows without building them; an error that ends the file early is
    /// returned instead.
    pub fn count_rows(mut self) -> Result<usize, Diagnostic> {
        let mut n = 0;
        while !self.done {
            match self.source.read(self.next, false) {
                None => self.done = true,
                Some(Read::Fatal(d)) => return Err(d),
                Some(_) => {
                    n += 1;
                    self.next += 1;
                }
            }
        }
        Ok(n)
    }
}

impl Iterator for Rows {
    type Item = (usize, Result<Row, Diagnostic>);

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let index = self.next;
            let wanted = self.select.as_mut().is_none_or(|keep| keep(index));
            let Some(read) = self.source.read(index, wanted) else {
                self.done = true;
                self.warnings.extend(self.source.end_warnings());
                return None;
            };
            self.next += 1;
            match read {
                Read::Row(mut row) => {
                    if let Some(d) = oversized(&row, self.max_cell) {
                        return Some((index, Err(d)));
                    }
                    for (key, value) in &self.overrides {
                        let cell = Cell {
                            value: value.clone(),
                            origin: None,
                        };
                        row.set(key, cell);
                    }
                    return Some((index, Ok(row)));
                }
                Read::Bad(d) => return Some((index, Err(d))),
                Read::Fatal(d) => {
                    self.done = true;
                    return Some((index, Err(d)));
                }
                Read::Skipped => {}
            }
        }
        None
    }
}

/// What a source gives for one row index.
enum Read {
    /// The row, built.
    Row(Row),
    /// The row was not wanted and was passed over.
    Skipped,
    /// This row is bad; the next rows may be fine.
    Bad(Diagnostic),
    /// The file cannot be read past this point.
    Fatal(Diagnostic),
}

/// One data file being read.
trait RowSource: Send {
    /// Reads row `index`; builds it only when `build` (else [`Read::Skipped`] unless the file
    /// breaks). `None` at the end.
    fn read(&mut self, index: usize, build: bool) -> Option<Read>;

    /// Warnings known only at the end of the file.
    fn end_warnings(&mut self) -> Vec<Diagnostic> {
        Vec::new()
    }
}

/// `row 7, column "price"`: how messages name a cell (row = index + 1).
fn describe(index: usize, kind: &str, name: &str) -> String {
    format!("row {}, {kind} \"{name}\"", index + 1)
}

/// The cell of row `index` (0-based) named `name` (a `kind`: column, field) at `span`.
fn cell_ref(span: Span, index: usize, kind: &str, name: &str) -> CellRef {
    CellRef {
        span,
        describe: describe(index, kind, name),
        place: crate::diagnostics::CellPlace {
            row: index + 1,
            column: name.to_string(),
        },
    }
}

/// A row from a JSON object and the spans of its members, in order.
fn object_row(index: usize, map: serde_json::Map<String, Value>, spans: &[Span]) -> Row {
    let fields = map
        .into_iter()
        .enumerate()
        .map(|(i, (key, value))| {
            let origin = spans
                .get(i)
                .map(|&span| cell_ref(span, index, "field", &key));
            (key, Cell { value, origin })
        })
        .collect();
    Row { index, fields }
}

/// The error for the first cell of `row` longer than `max` bytes, if any.
fn oversized(row: &Row, max: usize) -> Option<Diagnostic> {
    row.fields.iter().find_map(|(_, cell)| {
        let origin = cell.origin.as_ref()?;
        let size = match &cell.value {
            Value::String(text) => text.len(),
            // Lists and objects of a JSON row: as written.
            _ => origin.span.end.saturating_sub(origin.span.start) as usize,
        };
        (size > max).then(|| {
            Diagnostic::error(format!(
                "{} holds {size} bytes, more than the limit of {max}",
                origin.describe
            ))
            // Only the cell's first byte: the label of a huge span costs the report its size.
            .with_cell_label(
                Span {
                    end: origin.span.start + 1,
                    ..origin.span
                },
                origin.place.clone(),
                "this cell starts here",
            )
            .with_help("shorten the cell, or raise the limit with `--max-cell BYTES`")
        })
    })
}

/// The error for a JSON row that is not an object.
fn not_an_object(index: usize, value: &Value, span: Span) -> Diagnostic {
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    Diagnostic::error(format!("row {} is {kind}, not an object", index + 1))
        .with_label(span, "expected `{ \"field\": value, … }`")
        .with_help("each row must be an object whose keys are the field names")
}

/// The error for a file that cannot be opened or read.
fn io_error(path: &Path, e: &std::io::Error) -> Diagnostic {
    let reason = match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => {
            let s = e.to_string();
            s.split(" (os error").next().unwrap_or(&s).to_string()
        }
    };
    Diagnostic::error(format!("cannot read `{}`: {reason}", path.display()))
}
