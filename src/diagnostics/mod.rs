//! Source diagnostics: the one error type of every pipeline stage.
//!
//! Owns [`Span`] (a byte range in a [`FileId`]), the [`SourceMap`] of every input file a run
//! read (`.edit` files, includes, CSV/JSON data, Shotstack JSON), [`Diagnostic`] itself, and the
//! [`Warned`] / [`SourceResult`] shapes that stages return. Rendering (ariadne text or JSON) lives
//! in [`render`]. It does not own infrastructure errors (IO, ffmpeg): those are small `thiserror`
//! enums in their own modules, turned into a `Diagnostic` where a user has to see them.
//!
//! Stages collect *all* problems they find: `SourceResult<T>` carries a list of errors, and
//! warnings ride beside the result in [`Warned`], never inside `Err`.

mod excerpt;
mod render;
mod source;

pub use render::{RenderConfig, render_json, render_text};
pub(crate) use source::io_reason;
pub use source::{FileId, SourceFile, SourceMap};

use std::fmt;
use std::ops::Range;

/// A byte range in one source file. Owned, cheap to copy, valid as long as the [`SourceMap`]
/// that issued its [`FileId`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// The file the range points into.
    pub file: FileId,
    /// Start byte offset (inclusive).
    pub start: u32,
    /// End byte offset (exclusive).
    pub end: u32,
}

impl Span {
    /// A span over `range` in `file`.
    pub fn new(file: FileId, range: Range<usize>) -> Self {
        Span {
            file,
            start: range.start as u32,
            end: range.end as u32,
        }
    }

    /// The byte range.
    pub fn range(&self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The smallest span covering both (same file assumed; `self`'s file wins).
    pub fn join(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Stops the row (or the run) from producing output.
    Error,
    /// Output is produced, but probably not what the author meant.
    Warning,
}

/// A message attached to a place in a source file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What to say there (may be empty).
    pub message: String,
    /// The data cell `span` is, when it is one: for the `row` and `column` fields of
    /// `--message-format json`.
    pub cell: Option<CellPlace>,
}

/// A data cell by its row and column, as a spreadsheet user names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CellPlace {
    /// 1-based row (the header is not counted).
    pub row: usize,
    /// Column name (a CSV header, a JSON row's key).
    pub column: String,
}

/// One problem found in the user's input: a template, a data file, a Shotstack JSON document or
/// a media file it names.
///
/// The first label is the primary location; further labels add context (for example the data
/// cell a bad value came from).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// One-line summary, lower case, no trailing period.
    pub message: String,
    /// Places in source files, primary first. May be empty for errors with no location
    /// (a missing file given on the command line).
    pub labels: Vec<Label>,
    /// Extra facts ("row 7 of customers.csv", "the font has no glyph for 'ß'").
    pub notes: Vec<String>,
    /// A suggestion of what to do ("did you mean `topRight`?").
    pub help: Option<String>,
}

impl Diagnostic {
    /// A new error with `message`.
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            labels: Vec::new(),
            notes: Vec::new(),
            help: None,
        }
    }

    /// A new warning with `message`.
    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message)
        }
    }

    /// Adds a label at `span`.
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
            cell: None,
        });
        self
    }

    /// Adds a label at data cell `span`, which is `cell`.
    pub fn with_cell_label(
        mut self,
        span: Span,
        cell: CellPlace,
        message: impl Into<String>,
    ) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
            cell: Some(cell),
        });
        self
    }

    /// The data cell of the first label that is one.
    pub fn cell(&self) -> Option<&CellPlace> {
        self.labels.iter().find_map(|l| l.cell.as_ref())
    }

    /// Adds a label at `span` if there is one.
    pub fn with_opt_label(self, span: Option<Span>, message: impl Into<String>) -> Self {
        match span {
            Some(span) => self.with_label(span, message),
            None => self,
        }
    }

    /// Adds a note.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Sets the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The primary span, if any.
    pub fn span(&self) -> Option<Span> {
        self.labels.first().map(|l| l.span)
    }

    /// Whether this is an error (not a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// A plain one-line form (`error: message`), for logs and summaries.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{kind}: {}", self.message)
    }
}

/// The result of a stage: the output, or every error found.
pub type SourceResult<T> = Result<T, Vec<Diagnostic>>;

/// An output with the warnings produced while making it.
#[derive(Debug, Clone)]
pub struct Warned<T> {
    /// The stage's output.
    pub output: T,
    /// Warnings, in the order found.
    pub warnings: Vec<Diagnostic>,
}

impl<T> Warned<T> {
    /// An output with no warnings.
    pub fn new(output: T) -> Self {
        Warned {
            output,
            warnings: Vec::new(),
        }
    }

    /// Maps the output, keeping the warnings.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Warned<U> {
        Warned {
            output: f(self.output),
            warnings: self.warnings,
        }
    }
}

/// Attaches a span to an error from a helper that does not know where it was called from
/// (`parse_duration(s).at(span)?`), as typst's `At` does.
pub trait At<T> {
    /// Turns the error into a [`Diagnostic`] labelled at `span`.
    fn at(self, span: Span) -> Result<T, Diagnostic>;
}

impl<T, E: fmt::Display> At<T> for Result<T, E> {
    fn at(self, span: Span) -> Result<T, Diagnostic> {
        self.map_err(|e| Diagnostic::error(e.to_string()).with_label(span, ""))
    }
}

/// Collects diagnostics while a stage keeps going, so one run reports every problem.
#[derive(Debug, Default)]
pub struct Sink {
    /// Everything reported so far, errors and warnings mixed, in order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Sink {
    /// Records one diagnostic.
    pub fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    /// Records many.
    pub fn extend(&mut self, ds: impl IntoIterator<Item = Diagnostic>) {
        self.diagnostics.extend(ds);
    }

    /// Whether any error (not warning) was recorded.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Unwraps an inner result, recording its errors; `None` when it failed.
    pub fn take<T>(&mut self, r: SourceResult<T>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(es) => {
                self.extend(es);
                None
            }
        }
    }

    /// Ends the stage: `Err` with every diagnostic (errors and warnings) if any error was
    /// recorded, else the output with the warnings.
    pub fn finish<T>(self, output: T) -> Warned<SourceResult<T>> {
        if self.has_errors() {
            let (errors, warnings): (Vec<_>, Vec<_>) =
                self.diagnostics.into_iter().partition(Diagnostic::is_error);
            Warned {
                output: Err(errors),
                warnings,
            }
        } else {
            Warned {
                output: Ok(output),
                warnings: self.diagnostics,
            }
        }
    }
}

/// The closest candidate to `unknown` by edit distance, for "did you mean" hints; `None` when
/// nothing is close enough to be a plausible typo.
pub fn suggest<'a>(
    unknown: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = unknown.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&lower, &c.to_lowercase()), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggest_finds_typos() {
        let enums = ["topRight", "topLeft", "center", "bottom"];
        assert_eq!(suggest("topright", enums), Some("topRight"));
        assert_eq!(suggest("centre", enums), Some("center"));
        assert_eq!(suggest("zzz", enums), None);
    }

    #[test]
    fn sink_partitions_errors_and_warnings() {
        let mut sink = Sink::default();
        sink.push(Diagnostic::warning("w"));
        assert!(sink.finish(1).output.is_ok());
        let mut sink = Sink::default();
        sink.push(Diagnostic::warning("w"));
        sink.push(Diagnostic::error("e"));
        let w = sink.finish(1);
        assert_eq!(w.output.unwrap_err().len(), 1);
        assert_eq!(w.warnings.len(), 1);
    }
}
