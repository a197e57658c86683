//! The studio page of `reel watch --serve`: what it shows, as data. Owns the per-row view
//! ([`RowView`]: data values, state, why it last rendered), the `/api/state` JSON, and the
//! diagnostics as HTML (built from [`Diagnostic`]'s labels and spans, never from terminal
//! art). The page itself (HTML, CSS, JS) is in this folder, embedded with `include_str!`;
//! the server is [`super::serve`]. Pure.

pub mod events;

use std::fmt::Write as _;

use serde::Serialize;

use crate::batch::Reason;
use crate::diagnostics::{Diagnostic, Severity, SourceMap};
use crate::template::env::escape_markup as escape;

use super::serve::Gallery;

/// The page: markup, style and script, served as `/`, `/studio.css` and `/studio.js`.
pub const PAGE: &str = include_str!("index.html");
/// See [`PAGE`].
pub const STYLE: &str = include_str!("studio.css");
/// See [`PAGE`].
pub const SCRIPT: &str = include_str!("studio.js");

/// Where a row is, as the page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RowState {
    /// Must render; not started yet (or its render was cancelled by a newer save).
    #[serde(rename = "stale")]
    Stale,
    /// Rendering now.
    #[serde(rename = "rendering")]
    Rendering,
    /// Rendered by the last build.
    #[serde(rename = "rendered")]
    Rendered,
    /// Did not build or render: its last good output (if any) is what the page shows.
    #[serde(rename = "failed")]
    Failed,
    /// Nothing it depends on changed.
    #[serde(rename = "up to date")]
    UpToDate,
}

/// One selected row on the page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowView {
    /// 1-based row number.
    pub row: usize,
    /// Output file name (empty when the row did not build).
    pub output: String,
    /// The row's data values, in column order.
    pub values: Vec<(String, String)>,
    /// Where it is.
    pub state: RowState,
    /// Why it last rendered ("price changed", "asset changed: photos/x.jpg").
    pub reason: Option<String>,
    /// Why it failed (the first error's message), when it did.
    pub error: Option<String>,
}

impl RowView {
    /// A row without an output yet.
    pub fn new(row: usize, values: Vec<(String, String)>, state: RowState) -> RowView {
        RowView {
            row,
            output: String::new(),
            values,
            state,
            reason: None,
            error: None,
        }
    }
}

/// Why a row renders, in the page's words: a data change names the columns that changed
/// since `old` ("price changed", "price, title changed").
pub fn why(reason: &Reason, old: Option<&RowView>, values: &[(String, String)]) -> String {
    if let (Reason::DataChanged, Some(old)) = (reason, old) {
        let changed: Vec<&str> = values
            .iter()
            .filter(|(k, v)| !old.values.iter().any(|(ok, ov)| ok == k && ov == v))
            .map(|(k, _)| k.as_str())
            .collect();
        if !changed.is_empty() {
            return format!("{} changed", changed.join(", "));
        }
    }
    reason.to_string()
}

/// One row in `/api/state`: its view plus the URL of its latest output.
#[derive(Serialize)]
struct RowJson<'a> {
    #[serde(flatten)]
    view: &'a RowView,
    /// `/files/NAME?v=V`, when there is an output to show.
    file: Option<String>,
    /// The output is a still image.
    image: bool,
}

/// `/api/state`.
#[derive(Serialize)]
struct StateJson<'a> {
    /// Bumped by every change of what the page shows.
    revision: u64,
    /// Bumped by every finished build (the template revision stills are keyed with).
    version: u64,
    /// A build is running.
    building: bool,
    /// The last status line.
    status: &'a str,
    rows: Vec<RowJson<'a>>,
    /// The last build's diagnostics as HTML (see [`diagnostics_html`]).
    diagnostics: &'a str,
}

/// The `/api/state` document for `g` (one line: it is also an event-stream message).
pub fn state_json(g: &Gallery) -> String {
    let rows = g
        .rows
        .iter()
        .map(|view| {
            let entry = g.entries.iter().find(|e| e.row == view.row);
            RowJson {
                view,
                file: entry.map(|e| super::serve::file_url(&e.path, e.version)),
                image: entry.is_some_and(|e| super::serve::is_image(&e.path)),
            }
        })
        .collect();
    let state = StateJson {
        revision: g.revision,
        version: g.version,
        building: g.building,
        status: &g.status,
        rows,
        diagnostics: &g.diagnostics_html,
    };
    serde_json::to_string(&state).unwrap_or_else(|_| "{}".into())
}

/// Longest excerpt line shown whole, in characters; longer ones are cut around the label.
const MAX_LINE: usize = 160;

/// Diagnostics as HTML: the message, then for each label the file and line, the source line(s)
/// with the labelled text marked and the label's message (a label in a data file shows the
/// data cell), then notes and help. Everything from the input is escaped.
pub fn diagnostics_html(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let mut out = String::new();
    for d in diags {
        let kind = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = write!(
            out,
            "<section class=\"diag {kind}\"><h3><b>{kind}</b>: {}</h3>",
            escape(&d.message)
        );
        for (i, label) in d.labels.iter().enumerate() {
            let file = sources.get(label.span.file);
            let text = file.text();
            let (start, end) = (label.span.start as usize, label.span.end as usize);
            if end > text.len() || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
                continue;
            }
            let (line, col) = file.line_col(start);
            let from = text[..start].rfind('\n').map_or(0, |p| p + 1);
            let to = text[end..].find('\n').map_or(text.len(), |p| end + p);
            let role = if i == 0 { "primary" } else { "secondary" };
            let _ = write!(
                out,
                "<figure class=\"excerpt {role}\"><figcaption>{}:{line}:{col}</figcaption><pre>",
                escape(&file.name)
            );
            let (before, marked, after) = (&text[from..start], &text[start..end], &text[end..to]);
            let _ = write!(
                out,
                "<span class=\"ln\">{line}</span>{}<mark>{}</mark>{}</pre>",
                escape(&tail(before)),
                escape(&cut(marked)),
                escape(&head(after)),
            );
            if !label.message.is_empty() {
                let _ = write!(out, "<p class=\"label\">{}</p>", escape(&label.message));
            }
            out.push_str("</figure>");
        }
        for note in &d.notes {
            let _ = write!(out, "<p class=\"note\">note: {}</p>", escape(note));
        }
        if let Some(help) = &d.help {
            let _ = write!(out, "<p class=\"help\">help: {}</p>", escape(help));
        }
        out.push_str("</section>");
    }
    out
}

/// The last [`MAX_LINE`]/2 characters of the text before a label.
fn tail(s: &str) -> String {
    let n = s.chars().count();
    if n <= MAX_LINE / 2 {
        return s.to_owned();
    }
    let kept: String = s.chars().skip(n - MAX_LINE / 2).collect();
    format!("…{kept}")
}

/// The first [`MAX_LINE`]/2 characters of the text after a label.
fn head(s: &str) -> String {
    if s.chars().count() <= MAX_LINE / 2 {
        return s.to_owned();
    }
    let kept: String = s.chars().take(MAX_LINE / 2).collect();
    format!("{kept}…")
}

/// A labelled text, cut in the middle when longer than [`MAX_LINE`].
fn cut(s: &str) -> String {
    let n = s.chars().count();
    if n <= MAX_LINE {
        return s.to_owned();
    }
    let a: String = s.chars().take(MAX_LINE / 2).collect();
    let b: String = s.chars().skip(n - MAX_LINE / 2).collect();
    format!("{a}…{b}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Span;

    #[test]
    fn diagnostics_show_the_template_line_and_the_data_cell() {
        let sources = SourceMap::new();
        let t = sources.add("t.edit", "track {\n  text \"{{ price }}\" <b>\n}\n");
        let csv = sources.add("rows.csv", "id,price\na,oops\n");
        let d = Diagnostic::error("`price` is not a number")
            .with_label(Span::new(t, 15..28), "used here")
            .with_label(Span::new(csv, 11..15), "the cell")
            .with_note("row 1 of rows.csv");
        let html = diagnostics_html(&[d], &sources);
        assert!(
            html.contains("<b>error</b>: `price` is not a number"),
            "{html}"
        );
        assert!(html.contains("t.edit:2:8"), "{html}");
        assert!(
            html.contains("<mark>&quot;{{ price }}&quot;</mark> &lt;b&gt;"),
            "{html}"
        );
        assert!(
            html.contains("rows.csv:2:3") && html.contains("a,<mark>oops</mark>"),
            "{html}"
        );
        assert!(html.contains("<p class=\"label\">the cell</p>"), "{html}");
        assert!(html.contains("note: row 1 of rows.csv"), "{html}");
    }

    #[test]
    fn a_data_change_names_the_columns() {
        let kv = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let old = RowView::new(1, kv(&[("id", "a"), ("price", "9")]), RowState::Rendered);
        let new = kv(&[("id", "a"), ("price", "10")]);
        assert_eq!(why(&Reason::DataChanged, Some(&old), &new), "price changed");
        assert_eq!(why(&Reason::DataChanged, None, &new), "data changed");
        let asset = Reason::AssetChanged("photos/x.jpg".into());
        assert_eq!(why(&asset, Some(&old), &new), "asset changed: photos/x.jpg");
        assert_eq!(
            why(&Reason::TemplateChanged, Some(&old), &new),
            "template changed"
        );
    }
}
