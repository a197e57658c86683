//! Turns [`Diagnostic`]s into text (ariadne) or JSON (`--message-format json`).
//!
//! The only place that knows ariadne. Colour is decided by the caller ([`RenderConfig`]): the CLI
//! turns it on only for a terminal without `NO_COLOR`; tests keep it off.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use ariadne::{Color, Config, IndexType, Label, Report, ReportKind, Source};

use super::{Diagnostic, FileId, Severity, SourceMap};

/// How to draw diagnostics.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderConfig {
    /// ANSI colours.
    pub color: bool,
}

/// Renders diagnostics as ariadne reports, one after another.
pub fn render_text(diags: &[Diagnostic], sources: &SourceMap, config: RenderConfig) -> String {
    let mut cache = SourceCache {
        sources,
        loaded: HashMap::new(),
    };
    let mut out = Vec::new();
    for d in diags {
        write_one(d, &mut cache, config, &mut out);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Renders one diagnostic as a JSON object: severity, message, labels (file, byte range, 1-based
/// line and column, message), notes, help.
pub fn render_json(d: &Diagnostic, sources: &SourceMap) -> serde_json::Value {
    let labels: Vec<_> = d
        .labels
        .iter()
        .map(|l| {
            let file = sources.get(l.span.file);
            let (line, column) = file.line_col(l.span.start as usize);
            serde_json::json!({
                "file": file.name,
                "start": l.span.start,
                "end": l.span.end,
                "line": line,
                "column": column,
                "message": l.message,
            })
        })
        .collect();
    serde_json::json!({
        "severity": d.severity,
        "message": d.message,
        "labels": labels,
        "notes": d.notes,
        "help": d.help,
    })
}

fn write_one(d: &Diagnostic, cache: &mut SourceCache<'_>, config: RenderConfig, out: &mut Vec<u8>) {
    let kind = match d.severity {
        Severity::Error => ReportKind::Error,
        Severity::Warning => ReportKind::Warning,
    };
    let ariadne_config = Config::default()
        .with_color(config.color)
        .with_index_type(IndexType::Byte)
        .with_compact(false);
    let Some(primary) = d.labels.first() else {
        // No location: a plain "error: message" plus notes, as ariadne has no span to draw.
        let head = if config.color {
            colored_head(d.severity)
        } else {
            kind_word(d.severity).into()
        };
        let _ = std::io::Write::write_fmt(out, format_args!("{head}: {}\n", d.message));
        for n in &d.notes {
            let _ = std::io::Write::write_fmt(out, format_args!("  = note: {n}\n"));
        }
        if let Some(h) = &d.help {
            let _ = std::io::Write::write_fmt(out, format_args!("  = help: {h}\n"));
        }
        return;
    };
    let span_of = |l: &super::Label| (l.span.file, clamp(cache, l.span));
    let mut report = Report::build(kind, span_of(primary))
        .with_config(ariadne_config)
        .with_message(&d.message);
    for (i, l) in d.labels.iter().enumerate() {
        let color = if i == 0 {
            primary_color(d.severity)
        } else {
            Color::Blue
        };
        let mut label = Label::new(span_of(l))
            .with_color(color)
            .with_order(i as i32);
        if !l.message.is_empty() {
            label = label.with_message(&l.message);
        }
        report = report.with_label(label);
    }
    for n in &d.notes {
        report = report.with_note(n);
    }
    if let Some(h) = &d.help {
        report = report.with_help(h);
    }
    let _ = report.finish().write(&mut *cache, &mut *out);
}

/// Keeps a span inside its file (an empty span at the end of a file still renders) and on
/// character boundaries: ariadne panics on a span that cuts a character, which happens when a
/// byte offset into a file with invalid UTF-8 meets its lossily decoded text.
fn clamp(cache: &SourceCache<'_>, span: super::Span) -> std::ops::Range<usize> {
    let file = cache.sources.get(span.file);
    let text = file.text();
    let len = text.len();
    let mut start = (span.start as usize).min(len);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (span.end as usize).clamp(start, len);
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

fn kind_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn colored_head(s: Severity) -> String {
    let code = match s {
        Severity::Error => "31",
        Severity::Warning => "33",
    };
    format!("\x1b[{code}m{}\x1b[0m", kind_word(s))
}

fn primary_color(s: Severity) -> Color {
    match s {
        Severity::Error => Color::Red,
        Severity::Warning => Color::Yellow,
    }
}

/// ariadne's view of the [`SourceMap`]: each file's line index is built once per render call.
struct SourceCache<'a> {
    sources: &'a SourceMap,
    loaded: HashMap<FileId, Source<Arc<str>>>,
}

impl ariadne::Cache<FileId> for SourceCache<'_> {
    type Storage = Arc<str>;

    fn fetch(&mut self, id: &FileId) -> Result<&Source<Arc<str>>, impl fmt::Debug> {
        let sources = self.sources;
        Ok::<_, ()>(
            self.loaded
                .entry(*id)
                .or_insert_with(|| Source::from(sources.get(*id).text().clone())),
        )
    }

    fn display<'b>(&self, id: &'b FileId) -> Option<impl fmt::Display + 'b> {
        Some(self.sources.get(*id).name.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Span;

    #[test]
    fn renders_labels_in_two_files() {
        let map = SourceMap::new();
        let edit = map.add("promo.edit", "text name at 0 for 4 font.size=size\n");
        let csv = map.add("people.csv", "name,size\nJane,big\n");
        let d = Diagnostic::error("`font.size` must be a number")
            .with_label(Span::new(edit, 31..35), "this expects a number")
            .with_label(Span::new(csv, 15..18), "row 1, column `size` is \"big\"")
            .with_help("fix the cell, or give a default with `size | default(64)`");
        let text = render_text(std::slice::from_ref(&d), &map, RenderConfig::default());
        assert!(text.contains("promo.edit:1:32"), "{text}");
        assert!(text.contains("people.csv"), "{text}");
        assert!(text.contains("row 1, column"), "{text}");
        let json = render_json(&d, &map);
        assert_eq!(json["labels"][1]["line"], 2);
        assert_eq!(json["labels"][1]["column"], 6);
    }

    #[test]
    fn renders_without_location() {
        let map = SourceMap::new();
        let d = Diagnostic::error("ffmpeg not found").with_help("apt-get install ffmpeg");
        let text = render_text(&[d], &map, RenderConfig::default());
        assert_eq!(
            text,
            "error: ffmpeg not found\n  = help: apt-get install ffmpeg\n"
        );
    }
}
