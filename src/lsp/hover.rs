//! Hover: the schema's description of a key, an enum value or an asset type; what a
//! statement does; a filter; the value of a `let`.

use super::context::{self, word_at};
use super::vocab::{self, Owner};
use crate::syntax::ASSET_TYPES;

/// Markdown for the word at byte `offset`, and its byte range.
pub(crate) fn hover(text: &str, offset: usize) -> Option<(String, usize, usize)> {
    let (word, start, end) = word_at(text, offset)?;
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..start];
    let after = text[end..].trim_start_matches([' ', '\t']);
    let block = context::block_at(text, line_start);
    let first = context::first_word(&text[line_start..]);
    let owner = context::owner_of(first, block);
    let in_expr =
        before.rfind("{{").max(before.rfind("{%")) > before.rfind("}}").max(before.rfind("%}"));
    let doc = if in_expr {
        if before.trim_end().ends_with('|') {
            vocab::filter_doc(word)
        } else {
            let_doc(text, word)
        }
    } else if after.starts_with('=') && !after.starts_with("==") {
        vocab::key_doc(owner, word)
    } else if let Some(key) = key_before(before) {
        vocab::enum_doc(owner, key, word).or_else(|| let_doc(text, word))
    } else if before.trim().is_empty() && ASSET_TYPES.contains(&word) {
        vocab::asset_doc(word)
    } else if before.trim().is_empty() && vocab::statement_doc(word).is_some() {
        vocab::statement_doc(word)
    } else {
        let_doc(text, word).or_else(|| {
            // A clip line's primary value, or an output format: try the key it fills.
            matches!(owner, Owner::Statement("output"))
                .then(|| vocab::enum_doc(owner, "format", word))
                .flatten()
        })
    }?;
    Some((doc, start, end))
}

fn key_before(before: &str) -> Option<&str> {
    let t = before.trim_end().strip_suffix('=')?.trim_end();
    let start = t
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .map_or(0, |i| i + 1);
    let key = &t[start..];
    (!key.is_empty()).then_some(key)
}

fn let_doc(text: &str, word: &str) -> Option<String> {
    let (name, _, _, value) = context::lets(text).into_iter().find(|l| l.0 == word)?;
    Some(format!("```\nlet {name} = {value}\n```"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hover_at(text: &str, needle: &str) -> Option<String> {
        hover(text, text.find(needle).unwrap() + 1).map(|h| h.0)
    }

    #[test]
    fn hovers() {
        let text = "let accent = color | default(\"#f60\")\ntrack {\n  image \"a.png\" at 0 for 1 effect=zoomIn position=topRight {\n    opacity = accent\n  }\n}\n";
        assert!(hover_at(text, "zoomIn").unwrap().contains("slow zoom in"));
        assert!(hover_at(text, "topRight").unwrap().contains("top right"));
        assert!(hover_at(text, "effect").unwrap().contains("motion effect"));
        assert!(hover_at(text, "opacity").unwrap().contains("opacity"));
        assert!(hover_at(text, "image").unwrap().contains("ImageAsset"));
        assert!(hover_at(text, "track").unwrap().contains("layer"));
        let a = hover_at(text, "accent\n").unwrap();
        assert!(a.contains("color | default"), "{a}");
    }
}
