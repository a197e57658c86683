//! Diagnostics for an open file: the same pipeline as `reel check` (parse, expand every row
//! of the template's data, validate), run on the editor's text.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use lsp_types::{DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString};

use super::pos::LineIndex;
use super::uri;
use crate::diagnostics::{Diagnostic, FileId, Severity, SourceMap};
use crate::pipeline::{LoadOptions, Project};

/// Rows checked at most: enough for any template's data in an editor; `reel check` checks
/// them all.
pub(crate) const MAX_ROWS: usize = 1000;

/// The diagnostics of the template at `path` whose text is `text` for its first `max_rows`
/// rows, with the sources they point into. `keep_going` is asked between rows: `None` when it
/// said no (the editor sent something newer).
pub(crate) fn check(
    path: &Path,
    text: &str,
    max_rows: usize,
    keep_going: &dyn Fn() -> bool,
) -> Option<(Arc<SourceMap>, Vec<Diagnostic>)> {
    let sources = Arc::new(SourceMap::new());
    let opts = LoadOptions {
        check_files: true,
        ..LoadOptions::default()
    };
    let (project, syntax_errors) =
        Project::load_recovering(path, Some(text), &opts, sources.clone());
    let Some(project) = project else {
        return Some((sources, syntax_errors));
    };
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut push = |ds: Vec<Diagnostic>, out: &mut Vec<Diagnostic>| {
        out.extend(ds.into_iter().filter(|d| seen.insert(d.clone())));
    };
    push(syntax_errors, &mut out);
    match project.rows() {
        Err(e) => push(vec![e], &mut out),
        Ok(rows) => {
            for (i, row) in rows.take(max_rows) {
                if i > 0 && !keep_going() {
                    return None;
                }
                match row {
                    Err(e) => push(vec![e], &mut out),
                    Ok(row) => {
                        let built = project.build_row(&row);
                        push(built.warnings, &mut out);
                        if let Err(errors) = built.output {
                            push(errors, &mut out);
                        }
                    }
                }
            }
        }
    }
    push(project.take_data_warnings(), &mut out);
    Some((sources, out))
}

/// `d` as an LSP diagnostic in the file `main` (whose text `index` indexes): at its first
/// label in that file, else at the start; labels elsewhere become related information.
pub(crate) fn to_lsp(
    d: &Diagnostic,
    sources: &SourceMap,
    main: Option<FileId>,
    index: &LineIndex<'_>,
) -> lsp_types::Diagnostic {
    let here = d
        .labels
        .iter()
        .find(|l| Some(l.span.file) == main)
        .map(|l| index.range(l.span.start as usize, l.span.end as usize))
        .unwrap_or_default();
    let mut message = d.message.clone();
    for n in &d.notes {
        message.push_str(&format!("\nnote: {n}"));
    }
    if let Some(h) = &d.help {
        message.push_str(&format!("\nhelp: {h}"));
    }
    let related: Vec<DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .filter(|l| !l.message.is_empty() || Some(l.span.file) != main)
        .filter_map(|l| {
            let file = sources.get(l.span.file);
            let text = file.text();
            let ix = LineIndex::new(text);
            Some(DiagnosticRelatedInformation {
                location: Location::new(
                    uri::from_path(&file.path)?,
                    ix.range(l.span.start as usize, l.span.end as usize),
                ),
                message: if l.message.is_empty() {
                    "here".into()
                } else {
                    l.message.clone()
                },
            })
        })
        .collect();
    lsp_types::Diagnostic {
        range: here,
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: None::<NumberOrString>,
        source: Some("reel".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..lsp_types::Diagnostic::default()
    }
}

/// The id of the file at `path` among `sources` (the template being edited).
pub(crate) fn main_file(sources: &SourceMap, path: &Path) -> Option<FileId> {
    sources
        .files()
        .iter()
        .position(|f| f.path == path)
        .map(|i| FileId(i as u32))
}
