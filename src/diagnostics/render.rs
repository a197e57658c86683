//! Turns [`Diagnostic`]s into text (ariadne) or JSON (`--message-format json`).
//!
//! The only place that knows ariadne. Colour is decided by the caller ([`RenderConfig`]): the CLI
//! turns it on only for a terminal without `NO_COLOR`; tests keep it off.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use ariadne::{Color, Config, IndexType, Label, Report, ReportKind, Source};

use super::excerpt::Excerpt;
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
/// line and column, message, and `cell` {row, column} for a data cell), notes, help; and `row`
/// and `column` (the data cell's 1-based row and column name) when a label is a data cell.
pub fn render_json(d: &Diagnostic, sources: &SourceMap) -> serde_json::Value {
    let labels: Vec<_> = d
        .labels
        .iter()
        .map(|l| {
            let file = sources.get(l.span.file);
            let (line, column) = file.line_col(l.span.start as usize);
            let mut label = serde_json::json!({
                "file": file.name,
                "start": l.span.start,
                "end": l.span.end,
                "line": line,
                "column": column,
                "message": l.message,
            });
            if let Some(cell) = &l.cell {
                label["cell"] = serde_json::json!({ "row": cell.row, "column": cell.column });
            }
            label
        })
        .collect();
    let mut out = serde_json::json!({
        "severity": d.severity,
        "message": d.message,
        "labels": labels,
        "notes": d.notes,
        "help": d.help,
    });
    // The data cell the problem came from, for a consumer that groups by row.
    if let Some(cell) = d.cell() {
        out["row"] = cell.row.into();
        out["column"] = cell.column.clone().into();
    }
    out
}

fn write_one(d: &Diagnostic, cache: &mut SourceCache<'_>, config: RenderConfig, out: &mut Vec<u8>) {
    let kind = match d.severity {
        Severity::Error => ReportKind::Error,
        Severity::Warning => ReportKind::Warning,
    };
    let ariadne_config = Config::default()
        .with_color(config.color)
        // Character offsets (see `ReportView::map`): ariadne 0.6 heads a second file's section
        // with a character offset even in byte mode, which gave wrong columns after wide
        // characters and panicked when that offset cut a character.
        .with_index_type(IndexType::Char)
        .with_compact(false);
    if d.labels.is_empty() {
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
    }
    let spans: Vec<(FileId, Range<usize>)> = d
        .labels
        .iter()
        .map(|l| (l.span.file, clamp(cache, l.span)))
        .collect();
    let mut view = ReportView::new(cache, &spans);
    let span_of = |i: usize| (spans[i].0, view.map(spans[i].0, spans[i].1.clone()));
    let mut report = Report::build(kind, span_of(0))
        .with_config(ariadne_config)
        .with_message(&d.message);
    for (i, l) in d.labels.iter().enumerate() {
        let color = if i == 0 {
            primary_color(d.severity)
        } else {
            Color::Blue
        };
        let mut label = Label::new(span_of(i))
            .with_color(color)
            .with_order(view.order[i]);
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
    let mut text = Vec::new();
    let _ = report.finish().write(&mut view, &mut text);
    out.extend_from_slice(
        view.fix_headers(String::from_utf8_lossy(&text).as_ref())
            .as_bytes(),
    );
}

/// One report's view of its sources: label order, and windowed copies of files whose
/// labelled lines are too long to print ([`Excerpt`]).
struct ReportView<'c, 'a> {
    cache: &'c mut SourceCache<'a>,
    /// ariadne `order` of each label. ariadne starts a new section whenever a label sits
    /// above the one before it, and heads every section of the primary file with the primary
    /// label's `file:line` (issue 12: the overlap warning's second label showed the first's
    /// line). So labels are ordered by file (primary file first), then by the line where they
    /// end: one section per file, each headed right.
    order: Vec<i32>,
    /// Windowed files: the excerpt and its ariadne source.
    cut: HashMap<FileId, (Excerpt, Source<Arc<str>>)>,
    /// Header fixes: (`name:line:col` ariadne computes in the excerpt, the file's own).
    headers: Vec<(String, String)>,
}

impl<'c, 'a> ReportView<'c, 'a> {
    fn new(cache: &'c mut SourceCache<'a>, spans: &[(FileId, Range<usize>)]) -> Self {
        let mut files: Vec<FileId> = Vec::new();
        for (f, _) in spans {
            if !files.contains(f) {
                files.push(*f);
            }
        }
        let end_line = |i: usize| {
            let text = cache.sources.get(spans[i].0).text().clone();
            // As ariadne counts it: the line of the span's last byte.
            let r = &spans[i].1;
            let last = if r.end > r.start { r.end - 1 } else { r.end };
            text.as_bytes()[..last]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
        };
        let mut idx: Vec<usize> = (0..spans.len()).collect();
        if spans.len() > 1 {
            // Same line: keep the given order (ariadne draws the first label's message first).
            idx.sort_by_cached_key(|&i| {
                (files.iter().position(|f| *f == spans[i].0), end_line(i), i)
            });
        }
        let mut order = vec![0; spans.len()];
        for (rank, &i) in idx.iter().enumerate() {
            order[i] = rank as i32;
        }
        let mut view = ReportView {
            cache,
            order,
            cut: HashMap::new(),
            headers: Vec::new(),
        };
        for f in files {
            // ariadne heads a section with the primary label's start (primary file), else
            // with the start of the section's first label.
            let head = idx.iter().find(|&&i| spans[i].0 == f).copied().unwrap_or(0);
            let head = if spans[0].0 == f { 0 } else { head };
            view.window(f, spans, spans[head].1.start);
        }
        view
    }

    /// Windows file `f` if its labelled lines are long, noting the header to correct.
    fn window(&mut self, f: FileId, spans: &[(FileId, Range<usize>)], head: usize) {
        let file = self.cache.sources.get(f);
        let text = file.text().clone();
        let ranges: Vec<Range<usize>> = spans
            .iter()
            .filter(|(g, _)| *g == f)
            .map(|(_, r)| r.clone())
            .collect();
        let Some(ex) = Excerpt::cut(&text, &ranges) else {
            return;
        };
        let (line, col) = line_col(&text, head);
        let (_, wcol) = line_col(&ex.text, ex.map(head));
        if col != wcol {
            self.headers.push((
                format!("[ {}:{line}:{wcol} ]", file.name),
                format!("[ {}:{line}:{col} ]", file.name),
            ));
        }
        // Empty lines stand for the lines above the excerpt, so that ariadne numbers the
        // excerpt's lines as the file's: 0.6 heeds `with_display_line_offset` in the section
        // header but not in the margin.
        let mut seen = "\n".repeat(ex.first_line);
        seen.push_str(&ex.text);
        let source = Source::from(Arc::<str>::from(seen.as_str()));
        self.cut.insert(f, (ex, source));
    }

    /// A span of file `f` (bytes, on character boundaries) as character offsets in the text
    /// ariadne sees.
    fn map(&self, f: FileId, r: Range<usize>) -> Range<usize> {
        let chars = |text: &str, r: Range<usize>| {
            let start = text[..r.start].chars().count();
            start..start + text[r].chars().count()
        };
        match self.cut.get(&f) {
            Some((ex, _)) => {
                let at = chars(&ex.text, ex.map(r.start)..ex.map(r.end));
                at.start + ex.first_line..at.end + ex.first_line
            }
            None => chars(self.cache.sources.get(f).text(), r),
        }
    }

    /// Puts each windowed file's own column back into its section header.
    fn fix_headers(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for (wrong, right) in &self.headers {
            text = text.replacen(wrong, right, 1);
        }
        text
    }
}

/// 1-based line (only its index within `text` matters here) and column in characters, as
/// ariadne counts them.
fn line_col(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..start].matches('\n').count() + 1;
    (line, text[start..at].chars().count() + 1)
}

impl ariadne::Cache<FileId> for ReportView<'_, '_> {
    type Storage = Arc<str>;

    fn fetch(&mut self, id: &FileId) -> Result<&Source<Arc<str>>, impl fmt::Debug> {
        if let Some((_, source)) = self.cut.get(id) {
            return Ok::<_, ()>(source);
        }
        let sources = self.cache.sources;
        Ok(self
            .cache
            .loaded
            .entry(*id)
            .or_insert_with(|| Source::from(sources.get(*id).text().clone())))
    }

    fn display<'b>(&self, id: &'b FileId) -> Option<impl fmt::Display + 'b> {
        Some(self.cache.sources.get(*id).name.clone())
    }
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
        // A plain label is not a data cell: no row and column fields.
        assert!(json.get("row").is_none(), "{json}");
        let cell = crate::diagnostics::CellPlace {
            row: 1,
            column: "size".into(),
        };
        let d = Diagnostic::warning("too big").with_cell_label(Span::new(csv, 15..18), cell, "");
        let json = render_json(&d, &map);
        assert_eq!(json["row"], 1);
        assert_eq!(json["column"], "size");
        assert_eq!(json["labels"][0]["cell"]["column"], "size");
        assert_eq!(
            json["labels"][0]["column"], 6,
            "the label's column stays the file's"
        );
    }

    #[test]
    fn labels_after_wide_characters_render_with_character_columns() {
        let map = SourceMap::new();
        let edit = map.add(
            "t.edit",
            "let 名前 = name\ntext \"{{ name }}\" font.size=size\n",
        );
        let csv = map.add("d.csv", "name,size\n王小明先生,大きい\n");
        let cell = "name,size\n王小明先生,".len();
        let name = "name,size\n".len();
        let d = Diagnostic::warning("`font.size` must be a whole number")
            .with_label(Span::new(edit, 38..42), "expected a whole number")
            .with_label(Span::new(csv, cell..cell + "大きい".len()), "from row 1")
            .with_label(Span::new(csv, name..cell - 1), "the name");
        let text = render_text(std::slice::from_ref(&d), &map, RenderConfig::default());
        assert!(text.contains("d.csv:2:7"), "{text}");
        let json = render_json(&d, &map);
        assert_eq!(json["labels"][1]["line"], 2);
        assert_eq!(json["labels"][1]["column"], 7);
        // A long line of wide characters is windowed without cutting a character.
        let long = format!("name,size\n{},{}\n", "王".repeat(400), "大".repeat(400));
        let csv = map.add("long.csv", long);
        let cell = "name,size\n".len() + "王".len() * 400 + 1;
        let d = Diagnostic::error("bad").with_label(Span::new(csv, cell + 30..cell + 60), "here");
        let text = render_text(std::slice::from_ref(&d), &map, RenderConfig::default());
        assert!(text.contains("long.csv:2:412"), "{text}");
        assert!(
            text.contains(" 2 │ …王王王"),
            "the margin numbers the file's line: {text}"
        );
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
