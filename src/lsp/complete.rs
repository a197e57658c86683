//! Completion: statements and asset types at the start of a line, keys of the clip or
//! statement in context, enum values after `key=`, and column names, `let` names and filters
//! inside `{{ }}`.

use std::path::Path;

use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionTextEdit, Documentation, MarkupContent,
    MarkupKind, Range, TextEdit,
};

use super::context::{self, Block, Want};
use super::vocab::{self, Owner};
use crate::syntax::ASSET_TYPES;

/// Completion items at byte `offset` of `text` (the file at `path`); `range` is where the
/// chosen item replaces the word being typed.
pub(crate) fn complete(
    text: &str,
    path: &Path,
    offset: usize,
    range_of: impl Fn(usize, usize) -> Range,
) -> Vec<CompletionItem> {
    let (want, start) = context::want(text, offset);
    let range = range_of(start, offset);
    let typed = &text[start..offset];
    let mut items = Vec::new();
    let mut add = |label: &str, kind: CompletionItemKind, detail: &str, insert: Option<String>| {
        items.push(CompletionItem {
            label: label.to_string(),
            kind: Some(kind),
            detail: (!detail.is_empty()).then(|| detail.to_string()),
            text_edit: Some(CompletionTextEdit::Edit(TextEdit {
                range,
                new_text: insert.unwrap_or_else(|| label.to_string()),
            })),
            ..CompletionItem::default()
        });
    };
    match want {
        Want::Nothing => {}
        Want::Expr { filter: true } => {
            for (name, doc) in vocab::FILTERS {
                add(name, CompletionItemKind::FUNCTION, doc, None);
            }
        }
        Want::Expr { filter: false } => {
            let dir = path.parent().unwrap_or(Path::new(""));
            if let Some((data, rows)) = context::data_statement(text) {
                for col in vocab::columns(&dir.join(data), rows.as_deref()) {
                    add(&col, CompletionItemKind::FIELD, "data column", None);
                }
            }
            for (name, _, _, value) in context::lets(text) {
                add(&name, CompletionItemKind::VARIABLE, &value, None);
            }
            for (name, doc) in vocab::ROW_NAMES {
                add(name, CompletionItemKind::VARIABLE, doc, None);
            }
        }
        Want::Value { owner, key } => {
            for v in vocab::enum_values(owner, &key) {
                add(&v, CompletionItemKind::ENUM_MEMBER, &key, None);
            }
        }
        Want::Key(owner) => {
            for (k, doc) in vocab::keys(owner) {
                add(
                    &k,
                    CompletionItemKind::PROPERTY,
                    &doc,
                    Some(format!("{k}=")),
                );
            }
            if matches!(owner, Owner::Clip(Some(_))) {
                add("at", CompletionItemKind::KEYWORD, "`at START`", None);
                add("for", CompletionItemKind::KEYWORD, "`for LENGTH`", None);
            }
        }
        Want::LineStart(block) => {
            if let Block::Clip(asset) = block {
                for (k, doc) in vocab::keys(Owner::Clip(Some(asset))) {
                    add(
                        &k,
                        CompletionItemKind::PROPERTY,
                        &doc,
                        Some(format!("{k} = ")),
                    );
                }
            }
            // Clips belong in tracks, statements at the top; both are offered (a clip at the
            // top level is an error `check` explains) but the likely ones first.
            let statements = vocab::STATEMENTS
                .iter()
                .filter(|(k, _)| match block {
                    Block::Top => true,
                    Block::Track => matches!(*k, "if" | "for" | "use" | "let"),
                    Block::Clip(_) | Block::Other => matches!(*k, "if" | "for"),
                })
                .collect::<Vec<_>>();
            if !typed.contains('.') {
                if matches!(block, Block::Track | Block::Top) {
                    for a in ASSET_TYPES {
                        let doc = vocab::asset_def_name(a).unwrap_or("");
                        add(a, CompletionItemKind::CLASS, doc, None);
                    }
                }
                for (k, doc) in statements {
                    add(k, CompletionItemKind::KEYWORD, doc, None);
                }
            }
        }
    }
    for (i, item) in items.iter_mut().enumerate() {
        item.sort_text = Some(format!("{i:04}"));
        if item.documentation.is_none()
            && let Some(d) = item.detail.as_ref().filter(|d| d.len() > 60)
        {
            item.documentation = Some(Documentation::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value: d.clone(),
            }));
        }
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Labels offered where `‸` is.
    fn labels(text: &str) -> Vec<String> {
        let offset = text.find('‸').unwrap();
        let text = text.replacen('‸', "", 1);
        complete(&text, Path::new("/nowhere/t.edit"), offset, |_, _| {
            Range::default()
        })
        .into_iter()
        .map(|i| i.label)
        .collect()
    }

    #[test]
    fn offers_what_fits_the_place() {
        let top = labels("out‸");
        assert!(top.contains(&"output".into()) && top.contains(&"track".into()));
        let track = labels("track {\n  ‸\n}\n");
        assert!(track.contains(&"rich-text".into()) && track.contains(&"for".into()));
        assert!(!track.contains(&"output".into()));
        let line = labels("track {\n  image \"a.png\" at 0 for 1 op‸\n}\n");
        assert!(line.contains(&"opacity".into()) && line.contains(&"src".into()));
        assert!(line.contains(&"transition.in".into()));
        assert!(!line.contains(&"font.size".into()), "an image has no font");
        let block = labels("track {\n  rich-text \"a\" at 0 for 1 {\n    font.‸\n  }\n}\n");
        assert!(block.contains(&"font.size".into()));
        assert!(!block.contains(&"rich-text".into()));
        let filters = labels("let a = \"{{ name | mo‸ }}\"");
        assert!(filters.contains(&"money".into()) && filters.contains(&"slug".into()));
        let names = labels("let a = 1\nlet b = \"{{ ‸ }}\"");
        assert!(names.contains(&"a".into()) && names.contains(&"row_index".into()));
        assert!(labels("output mp4 hd fps=‸").contains(&"25".into()));
        assert!(labels("text \"hello ‸").is_empty());
    }
}
