//! The `.edit` language: pest grammar (`grammar/edit.pest`), spanned AST ([`ast`]), lowering,
//! includes, and the `.edit` printer used by `reel import` ([`import()`]).
//!
//! Owns parsing only: evaluation of variables and expressions is `template::expand`'s job.
//! [`parse`] reads one file already in the [`SourceMap`]; [`load`] reads a file from disk and
//! every file it includes (cycles are errors) and records them all for watch mode.

pub mod ast;
mod errors;
pub mod fmt;
mod import;
mod lex;
mod lower;

use std::path::{Path, PathBuf};

use pest::Parser as _;

use crate::diagnostics::{Diagnostic, FileId, SourceMap, SourceResult, Span};
pub use import::import;
pub use lower::ASSET_TYPES;

/// The generated pest parser. [`Rule`] names are internal: diagnostics never show them.
#[derive(pest_derive::Parser)]
#[grammar = "../grammar/edit.pest"]
pub struct EditParser;

/// Parses one file of `sources` into a [`ast::Document`] (includes are left empty; use
/// [`load`] to read them). Reports every syntax error found, recovering per statement.
pub fn parse(sources: &SourceMap, file: FileId) -> SourceResult<ast::Document> {
    match parse_recovering(sources, file) {
        (Some(doc), errors) if errors.is_empty() => Ok(doc),
        (_, errors) => Err(errors),
    }
}

/// Like [`parse`], but when the parser recovered from syntax errors (by blanking the
/// statements that failed) and the rest lowered, also returns the document of what parsed, so
/// that later stages can check it in the same run (`reel check`, `reel lsp`). Byte offsets are
/// those of the file: blanking keeps them. Unbalanced brackets give no document.
pub fn parse_recovering(
    sources: &SourceMap,
    file: FileId,
) -> (Option<ast::Document>, Vec<Diagnostic>) {
    let source = sources.get(file);
    let text = source.text().clone();
    let (bracket_errors, repairs) = errors::brackets_and_repairs(&text, file);
    if !bracket_errors.is_empty() {
        if repairs.is_empty() {
            return (None, bracket_errors);
        }
        // Parse the repaired text too, so one run reports the file's other mistakes.
        let (fixed, inserts) = errors::repair(&text, &repairs);
        let mut all = bracket_errors;
        let (_, more) = parse_items(&fixed, file);
        all.extend(more.into_iter().map(|d| unshift_diagnostic(d, &inserts)));
        all.sort_by_key(|d| d.labels.first().map_or(0, |l| l.span.start));
        return (None, all);
    }
    let (items, mut errors) = parse_items(&text, file);
    let Some(items) = items else {
        return (None, errors);
    };
    let dir = source
        .path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let data = match data_source(&items, &dir) {
        Ok(d) => d,
        Err(more) => {
            errors.extend(more);
            return (None, errors);
        }
    };
    let url_maps = match url_maps(&items, &dir) {
        Ok(m) => m,
        Err(more) => {
            errors.extend(more);
            return (None, errors);
        }
    };
    let doc = ast::Document {
        file,
        items,
        files: vec![source.path.clone()],
        data,
        url_maps,
    };
    (Some(doc), errors)
}

/// Parses and lowers `text`, blanking each failing statement and trying again so that one
/// run reports several errors. The items are those of the text with the failing statements
/// blanked, when it lowered; the errors are every syntax and lowering error.
fn parse_items(text: &str, file: FileId) -> (Option<Vec<ast::Item>>, Vec<Diagnostic>) {
    let lower = lower::Lower {
        file,
        recover: false,
    };
    let mut work = text.to_string();
    let mut errors: Vec<Diagnostic> = Vec::new();
    let by_start = |d: &Diagnostic| d.labels.first().map_or(0, |l| l.span.start);
    loop {
        match EditParser::parse(Rule::document, &work) {
            Ok(mut pairs) => {
                let doc = pairs.next().expect("grammar: document");
                let items = match lower.document(doc.clone()) {
                    Ok(items) => Some(items),
                    Err(more) => {
                        // The strict pass's errors are the ones to report; the statements that
                        // lowered are kept for the later stages.
                        errors.extend(more);
                        let lenient = lower::Lower {
                            file,
                            recover: true,
                        };
                        lenient.document(doc).ok()
                    }
                };
                errors.sort_by_key(by_start);
                return (items, errors);
            }
            Err(e) => {
                let (d, pos) = errors::from_pest(&e, &work, file);
                errors.push(d);
                if !errors::keep_going(errors.len()) || !errors::blank_statement(&mut work, pos) {
                    errors.sort_by_key(by_start);
                    return (None, errors);
                }
            }
        }
    }
}

/// Maps the spans of a diagnostic found in repaired text back to the original text.
fn unshift_diagnostic(mut d: Diagnostic, inserts: &[(usize, usize)]) -> Diagnostic {
    for l in &mut d.labels {
        let start = errors::unshift(l.span.start as usize, inserts);
        let end = errors::unshift(l.span.end as usize, inserts).max(start);
        l.span = Span::new(l.span.file, start..end);
    }
    d
}

/// The first top-level `data` statement, resolved against `dir`.
fn data_source(items: &[ast::Item], dir: &Path) -> SourceResult<Option<ast::DataSource>> {
    let mut found: Option<ast::DataSource> = None;
    for item in items {
        let ast::ItemKind::Data(v, props) = &item.kind else {
            continue;
        };
        let path = match &v.kind {
            ast::ValueKind::Str(parts) => match parts.as_slice() {
                [ast::Part::Lit(p)] => p.clone(),
                _ => return Err(vec![literal_path_error("data", v.span)]),
            },
            _ => return Err(vec![literal_path_error("data", v.span)]),
        };
        if let Some(first) = &found {
            return Err(vec![
                Diagnostic::error("`data` is given twice")
                    .with_label(item.span, "second one here")
                    .with_label(first.span, "first one here"),
            ]);
        }
        let rows = props.iter().find_map(|p| match &p.value.kind {
            ast::ValueKind::Path(s) => s.first().cloned(),
            ast::ValueKind::Str(parts) => match parts.as_slice() {
                [ast::Part::Lit(s)] => Some(s.clone()),
                _ => None,
            },
            _ => None,
        });
        found = Some(ast::DataSource {
            resolved: dir.join(&path),
            path,
            span: v.span,
            rows,
        });
    }
    Ok(found)
}

/// The top-level `url-map` statements, directories resolved against `dir`.
fn url_maps(items: &[ast::Item], dir: &Path) -> SourceResult<Vec<ast::UrlMap>> {
    let literal = |v: &ast::Value| match &v.kind {
        ast::ValueKind::Str(parts) => match parts.as_slice() {
            [ast::Part::Lit(p)] => Ok(p.clone()),
            _ => Err(vec![literal_path_error("url-map", v.span)]),
        },
        _ => Err(vec![literal_path_error("url-map", v.span)]),
    };
    let mut out = Vec::new();
    for item in items {
        if let ast::ItemKind::UrlMap(prefix, to) = &item.kind {
            let prefix_text = literal(prefix)?;
            if prefix_text.is_empty() {
                return Err(vec![
                    Diagnostic::error("`url-map` needs a prefix")
                        .with_label(prefix.span, "empty prefix"),
                ]);
            }
            out.push(ast::UrlMap {
                prefix: prefix_text,
                dir: dir.join(literal(to)?),
                span: item.span,
            });
        }
    }
    Ok(out)
}

fn literal_path_error(stmt: &str, span: Span) -> Diagnostic {
    Diagnostic::error(format!("`{stmt}` takes a quoted path without `{{{{ }}}}`"))
        .with_label(span, "expected a string such as \"customers.csv\"")
}

/// Reads `path` and every file it includes (relative to the including file), parses them and
/// returns the document with includes filled in. An include cycle is an error showing the
/// chain. [`ast::Document::files`] lists every file read.
pub fn load(sources: &SourceMap, path: &Path) -> SourceResult<ast::Document> {
    match load_recovering(sources, path, None) {
        (Some(doc), errors) if errors.is_empty() => Ok(doc),
        (_, errors) => Err(errors),
    }
}

/// [`load`] with [`parse_recovering`]'s recovery for the file itself (its includes must
/// parse). `text`: the file's text when it is not what is on disk (an editor's unsaved
/// buffer); its includes are read from disk.
pub fn load_recovering(
    sources: &SourceMap,
    path: &Path,
    text: Option<&str>,
) -> (Option<ast::Document>, Vec<Diagnostic>) {
    let file = match text {
        Some(text) => sources.add(path, text),
        None => match sources.load(path) {
            Ok(f) => f,
            Err(d) => return (None, vec![d]),
        },
    };
    let (doc, mut errors) = parse_recovering(sources, file);
    let Some(mut doc) = doc else {
        return (None, errors);
    };
    let mut loader = Loader {
        sources,
        chain: vec![canonical(path)],
        files: vec![path.to_path_buf()],
    };
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    match loader.items(std::mem::take(&mut doc.items), &dir) {
        Ok(items) => doc.items = items,
        Err(more) => {
            errors.extend(more);
            return (None, errors);
        }
    }
    doc.files = loader.files;
    (Some(doc), errors)
}

/// State while resolving includes.
struct Loader<'a> {
    /// Where included files are added.
    sources: &'a SourceMap,
    /// Canonical paths of the files being included, outermost first.
    chain: Vec<PathBuf>,
    /// Every file read.
    files: Vec<PathBuf>,
}

impl Loader<'_> {
    /// Fills the includes among `items` (recursively through blocks).
    fn items(&mut self, items: Vec<ast::Item>, dir: &Path) -> SourceResult<Vec<ast::Item>> {
        lower::gather(items.into_iter().map(|mut item| {
            use ast::ItemKind::*;
            match &mut item.kind {
                Include(inc) => inc.items = self.include(inc, dir)?,
                If(i) => {
                    for b in &mut i.branches {
                        b.items = self.items(std::mem::take(&mut b.items), dir)?;
                    }
                    if let Some(o) = &mut i.otherwise {
                        *o = self.items(std::mem::take(o), dir)?;
                    }
                }
                For(f) => f.items = self.items(std::mem::take(&mut f.items), dir)?,
                _ => {}
            }
            Ok(item)
        }))
    }

    /// Reads, parses and resolves one included file.
    fn include(&mut self, inc: &ast::Include, dir: &Path) -> SourceResult<Vec<ast::Item>> {
        let path = dir.join(&inc.path);
        let canon = canonical(&path);
        if let Some(i) = self.chain.iter().position(|p| *p == canon) {
            let chain: Vec<String> = self.chain[i..]
                .iter()
                .chain(std::iter::once(&canon))
                .map(|p| {
                    p.file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect();
            return Err(vec![
                Diagnostic::error("include cycle")
                    .with_label(inc.path_span, format!("includes `{}` again", inc.path))
                    .with_note(format!("the chain is {}", chain.join(" → ")))
                    .with_help("remove one of these includes"),
            ]);
        }
        let file = self.sources.load(&path).map_err(|d| {
            vec![
                Diagnostic {
                    labels: Vec::new(),
                    ..d
                }
                .with_label(inc.path_span, "included here"),
            ]
        })?;
        self.files.push(path.clone());
        let doc = parse(self.sources, file)?;
        self.chain.push(canon);
        let sub = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let items = self.items(doc.items, &sub);
        self.chain.pop();
        items
    }
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

/// Test entry point: whether `rule` matches all of `text` (pest's own message when not).
pub fn parse_rule(rule: Rule, text: &str) -> Result<(), String> {
    match EditParser::parse(rule, text) {
        Ok(pairs) => {
            let end = pairs.last().map_or(0, |p| p.as_span().end());
            if end == text.len() {
                Ok(())
            } else {
                Err(format!("matched only {end} of {} bytes", text.len()))
            }
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Parses `text` as a file named `name` in a fresh [`SourceMap`] (tests, `reel import`).
pub fn parse_str(name: &str, text: &str) -> (SourceMap, SourceResult<ast::Document>) {
    let sources = SourceMap::new();
    let file = sources.add(name, text);
    let doc = parse(&sources, file);
    (sources, doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn design_example_parses() {
        let text = include_str!("../../tests/fixtures/syntax/promo.edit");
        let (sources, doc) = parse_str("promo.edit", text);
        match doc {
            Ok(d) => {
                assert_eq!(d.items.len(), 11, "{:#?}", d.items);
            }
            Err(e) => panic!(
                "{}",
                crate::diagnostics::render_text(&e, &sources, Default::default())
            ),
        }
    }
}
