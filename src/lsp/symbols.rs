//! Document symbols (tracks, clips, components, variables) from the parsed file, and go to
//! definition of `let`, `define` and `include`.

use std::path::Path;

use lsp_types::{DocumentSymbol, Range, SymbolKind};

use super::context;
use crate::syntax::{self, ast};

/// The outline of `text`; empty while it does not parse.
pub(crate) fn symbols(text: &str, range_of: &dyn Fn(usize, usize) -> Range) -> Vec<DocumentSymbol> {
    let (_, doc) = syntax::parse_str("doc.edit", text);
    match doc {
        Ok(doc) => items(&doc.items, range_of),
        Err(_) => Vec::new(),
    }
}

#[allow(deprecated)] // `DocumentSymbol::deprecated` must be spelled out.
fn symbol(
    name: String,
    detail: Option<String>,
    kind: SymbolKind,
    span: crate::diagnostics::Span,
    children: Vec<DocumentSymbol>,
    range_of: &dyn Fn(usize, usize) -> Range,
) -> DocumentSymbol {
    let range = range_of(span.start as usize, span.end as usize);
    DocumentSymbol {
        name,
        detail,
        kind,
        tags: None,
        deprecated: None,
        range,
        selection_range: range,
        children: (!children.is_empty()).then_some(children),
    }
}

fn items(items: &[ast::Item], range_of: &dyn Fn(usize, usize) -> Range) -> Vec<DocumentSymbol> {
    let mut out = Vec::new();
    let mut tracks = 0;
    for item in items {
        use ast::ItemKind::*;
        let s = match &item.kind {
            Track(t) => {
                tracks += 1;
                let name = t.name.as_ref().map_or_else(
                    || format!("track {tracks}"),
                    |n| format!("track {}", n.name),
                );
                symbol(
                    name,
                    None,
                    SymbolKind::NAMESPACE,
                    item.span,
                    self::items(&t.items, range_of),
                    range_of,
                )
            }
            Clip(c) => {
                let detail = c.primary.as_ref().map(value_text);
                symbol(
                    c.asset.name.clone(),
                    detail,
                    SymbolKind::OBJECT,
                    item.span,
                    Vec::new(),
                    range_of,
                )
            }
            Define(d) => {
                let params: Vec<&str> = d.params.iter().map(|p| p.name.as_str()).collect();
                symbol(
                    d.name.name.clone(),
                    Some(format!("({})", params.join(", "))),
                    SymbolKind::FUNCTION,
                    item.span,
                    self::items(&d.items, range_of),
                    range_of,
                )
            }
            Let(l) => symbol(
                l.name.name.clone(),
                Some(value_text(&l.value)),
                SymbolKind::VARIABLE,
                item.span,
                Vec::new(),
                range_of,
            ),
            Use(u) => symbol(
                format!("use {}", u.name.name),
                None,
                SymbolKind::EVENT,
                item.span,
                Vec::new(),
                range_of,
            ),
            If(i) => {
                let children: Vec<DocumentSymbol> = i
                    .branches
                    .iter()
                    .flat_map(|b| self::items(&b.items, range_of))
                    .chain(i.otherwise.iter().flat_map(|o| self::items(o, range_of)))
                    .collect();
                let cond = i
                    .branches
                    .first()
                    .map(|b| b.cond.source.trim().to_string())
                    .unwrap_or_default();
                symbol(
                    format!("if {cond}"),
                    None,
                    SymbolKind::OPERATOR,
                    item.span,
                    children,
                    range_of,
                )
            }
            For(f) => symbol(
                format!("for {} in {}", f.var.name, f.iter.source.trim()),
                None,
                SymbolKind::OPERATOR,
                item.span,
                self::items(&f.items, range_of),
                range_of,
            ),
            _ => continue,
        };
        out.push(s);
    }
    out
}

/// A short text for a value: a literal string, a variable, or `…`.
fn value_text(v: &ast::Value) -> String {
    match &v.kind {
        ast::ValueKind::Str(parts) => parts
            .iter()
            .map(|p| match p {
                ast::Part::Lit(s) => s.clone(),
                ast::Part::Expr(e) => format!("{{{{{}}}}}", e.source),
                ast::Part::Tag(e) => format!("{{%{}%}}", e.source),
            })
            .collect(),
        ast::ValueKind::Path(p) => p.join("."),
        ast::ValueKind::Number(n) => n.to_string(),
        ast::ValueKind::Expr(e) => e.source.trim().to_string(),
        _ => "…".into(),
    }
}

/// Where the word at `offset` is defined: a byte range in this file, or another file.
#[derive(Debug, PartialEq)]
pub(crate) enum Target {
    /// In the same file.
    Here(usize, usize),
    /// Another file (an include; a component defined in one), with a byte range in it.
    File(std::path::PathBuf, usize, usize),
}

/// Go to definition: a `let` or `define` name (here or in an included file), or the file of
/// an `include` / `data` line.
pub(crate) fn definition(text: &str, path: &Path, offset: usize) -> Option<Target> {
    let dir = path.parent().unwrap_or(Path::new(""));
    for statement in ["include", "data"] {
        if let Some(p) = context::statement_path(text, offset, statement) {
            return Some(Target::File(dir.join(p), 0, 0));
        }
    }
    let (word, _, _) = context::word_at(text, offset)?;
    let word = word.split('.').next().unwrap_or(word);
    if let Some((_, s, e, _)) = context::lets(text).into_iter().find(|l| l.0 == word) {
        return Some(Target::Here(s, e));
    }
    if let Some((_, s, e)) = context::defines(text).into_iter().find(|d| d.0 == word) {
        return Some(Target::Here(s, e));
    }
    // Components and variables of included files (one level).
    for line in text.lines() {
        let Some(inc) = line
            .trim_start()
            .strip_prefix("include")
            .and_then(|r| r.trim_start().strip_prefix('"'))
            .and_then(|r| r.split('"').next())
        else {
            continue;
        };
        let file = dir.join(inc);
        let Ok(other) = std::fs::read_to_string(&file) else {
            continue;
        };
        let found = context::defines(&other)
            .into_iter()
            .chain(
                context::lets(&other)
                    .into_iter()
                    .map(|(n, s, e, _)| (n, s, e)),
            )
            .find(|d| d.0 == word);
        if let Some((_, s, e)) = found {
            return Some(Target::File(file, s, e));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_and_outline() {
        let text = "let title = \"Hi\"\ndefine card(t) {\n  text t at 0 for 1\n}\ntrack {\n  text title at 0 for 2\n  use card(\"x\")\n}\n";
        let use_title = text.rfind("title").unwrap() + 1;
        assert_eq!(
            definition(text, Path::new("a.edit"), use_title),
            Some(Target::Here(4, 9))
        );
        let use_card = text.rfind("card").unwrap();
        let (s, _) = match definition(text, Path::new("a.edit"), use_card) {
            Some(Target::Here(s, e)) => (s, e),
            other => panic!("{other:?}"),
        };
        assert_eq!(&text[s..s + 4], "card");
        let syms = symbols(text, &|s, e| {
            Range::new(
                lsp_types::Position::new(s as u32, 0),
                lsp_types::Position::new(e as u32, 0),
            )
        });
        let names: Vec<&str> = syms.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["title", "card", "track 1"]);
        let track = &syms[2];
        assert_eq!(track.children.as_ref().unwrap().len(), 2);
    }
}
