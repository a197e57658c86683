//! Shotstack Edit JSON as a template (DESIGN §2.5): `{{ NAME }}` placeholders in strings, filled
//! per row from the row's fields or the document's `merge` defaults.
//!
//! Rules, decided here:
//! - A placeholder is `{{`, a name, `}}`, spaces inside the braces optional (`{{NAME}}`,
//!   `{{ NAME }}`); the name is the trimmed text between, without braces or line breaks.
//!   Placeholders are found in string **values** (not in object keys).
//! - A name is looked up in the row (exact, then case-insensitive with a warning), then in
//!   `merge` (exact `find`). Neither → an error at the string, listing the fields there are.
//! - A string that is exactly one placeholder takes the value's JSON type (`"{{ SIZE }}"` with
//!   `64` gives `64`); otherwise values are written into the text (strings as they are, `null`
//!   as nothing, other values as JSON). Replacement text is never scanned again.
//! - In markup fields (`html`, `css`, `js` of `html`/`html5` assets, `src` of `svg` assets) a
//!   value is HTML/XML-escaped as it is written in, unless the placeholder says `{{ NAME | safe }}`.
//!   The document's own text is never escaped.
//! - `keep_merge`: placeholders stay, and `merge` lists every field the document uses with the
//!   row's value (or the default), for Shotstack's own merge.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::parse_spanned;
use crate::diagnostics::{
    Diagnostic, FileId, Sink, SourceMap, SourceResult, Span, Warned, suggest,
};
use crate::edit::Origins;
use crate::edit::origins::{CellRef, Origin, pointer_segment};
use crate::template::env::{escape_markup, is_markup_field};
use crate::template::{Expanded, Row};

/// A Shotstack Edit JSON document used as a template.
#[derive(Debug, Clone)]
pub struct JsonTemplate {
    /// The document without its `merge` member.
    doc: Value,
    /// Spans of the document's values, by pointer.
    origins: Origins,
    /// The `merge` defaults, in order.
    merge: Vec<MergeField>,
    /// Every string that holds a placeholder.
    sites: Vec<Site>,
    /// The document's text, to narrow labels to one placeholder.
    text: Arc<str>,
    /// The document in the source map.
    file: FileId,
}

/// One `{ "find": NAME, "replace": VALUE }` entry.
#[derive(Debug, Clone)]
struct MergeField {
    /// The placeholder name.
    find: String,
    /// The default value.
    replace: Value,
    /// The entry's `replace` value in the document.
    span: Span,
}

/// A string value with placeholders.
#[derive(Debug, Clone)]
struct Site {
    /// JSON pointer of the string.
    pointer: String,
    /// Its text and placeholders, in order.
    pieces: Vec<Piece>,
    /// The string literal in the document, quotes included.
    span: Span,
    /// Whether the string is a markup field, where values are escaped.
    markup: bool,
}

/// Part of a string: literal text, or a placeholder (its name, byte range in the string, and
/// whether it is marked `| safe`).
#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    Field(String, std::ops::Range<usize>, bool),
}

/// Where one placeholder's value came from.
struct Found<'a> {
    /// The value.
    value: &'a Value,
    /// The data cell, when the row supplied it.
    cell: Option<&'a CellRef>,
}

impl JsonTemplate {
    /// Reads and parses a Shotstack JSON file, registering it in `sources`.
    pub fn load(sources: &SourceMap, path: &Path) -> SourceResult<JsonTemplate> {
        let file = sources.load(path).map_err(|d| vec![d])?;
        let text = sources.get(file).text().clone();
        JsonTemplate::parse(text, file)
    }

    /// Parses a document already in the source map as `file`.
    pub fn parse(text: Arc<str>, file: FileId) -> SourceResult<JsonTemplate> {
        let (mut doc, origins) = parse_spanned(&text, file)?;
        let Some(object) = doc.as_object_mut() else {
            let span = origins.get("").map(|o| o.span);
            return Err(vec![
                Diagnostic::error("a Shotstack template must be a JSON object")
                    .with_opt_label(span, "expected `{ \"timeline\": …, \"output\": … }`"),
            ]);
        };
        let merge = match object.shift_remove("merge") {
            Some(m) => read_merge(&m, &origins, file)?,
            None => Vec::new(),
        };
        let mut sites = Vec::new();
        collect_sites(&doc, &mut String::new(), &origins, file, &mut sites);
        for site in &mut sites {
            site.markup = is_markup_site(&doc, &site.pointer);
        }
        Ok(JsonTemplate {
            doc,
            origins,
            merge,
            sites,
            text,
            file,
        })
    }

    /// The document in the source map.
    pub fn file(&self) -> FileId {
        self.file
    }

    /// Every placeholder name the document uses, in order of first use.
    pub fn placeholders(&self) -> Vec<&str> {
        let mut seen = HashSet::new();
        self.sites
            .iter()
            .flat_map(|s| &s.pieces)
            .filter_map(|p| match p {
                Piece::Field(name, ..) if seen.insert(name.as_str()) => Some(name.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Fills the placeholders from `row` (or the `merge` defaults). With `keep_merge`, the
    /// placeholders stay and the `merge` array carries the row's values instead.
    pub fn expand(&self, row: &Row, keep_merge: bool) -> Warned<SourceResult<Expanded>> {
        let mut sink = Sink::default();
        let mut warned = HashSet::new();
        let mut edit = self.doc.clone();
        let mut origins = self.origins.clone();
        for site in &self.sites {
            let mut found = Vec::with_capacity(site.pieces.len());
            for piece in &site.pieces {
                if let Piece::Field(name, range, _) = piece {
                    let place = Some(self.placeholder_span(site, range));
                    match self.lookup(name, place, row, &mut warned, &mut sink) {
                        Some(f) => found.push(f),
                        None => sink.push(self.unknown(name, range, site, row)),
                    }
                }
            }
            if keep_merge || found.len() != site.fields() {
                continue;
            }
            let cell = found.iter().find_map(|f| f.cell).cloned();
            if let Some(slot) = edit.pointer_mut(&site.pointer) {
                *slot = site.fill(&found);
            }
            origins.insert(
                site.pointer.clone(),
                Origin {
                    span: site.span,
                    cell,
                },
            );
        }
        if keep_merge {
            self.emit_merge(row, &mut edit, &mut origins, &mut warned, &mut sink);
        }
        sink.finish(Expanded {
            edit,
            origins,
            name: None,
        })
    }

    /// The value for `name`: the row's field (exact, then any case, warned once per name at
    /// `place` in the document, so a batch's rows collapse into one warning), else the `merge`
    /// default.
    fn lookup<'a>(
        &'a self,
        name: &str,
        place: Option<Span>,
        row: &'a Row,
        warned: &mut HashSet<String>,
        sink: &mut Sink,
    ) -> Option<Found<'a>> {
        if let Some(cell) = row.get(name) {
            return Some(Found {
                value: &cell.value,
                cell: cell.origin.as_ref(),
            });
        }
        let loose = row
            .fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name));
        if let Some((key, cell)) = loose {
            if warned.insert(name.to_string()) {
                let d = Diagnostic::warning(format!(
                    "merge field `{name}` was matched to the data field `{key}` ignoring case"
                ))
                .with_opt_label(place, format!("`{name}` here"))
                .with_opt_label(cell.origin.as_ref().map(|c| c.span), format!("`{key}`"))
                .with_help(format!("rename the field to `{name}` to match exactly"));
                sink.push(d);
            }
            return Some(Found {
                value: &cell.value,
                cell: cell.origin.as_ref(),
            });
        }
        self.merge.iter().find(|m| m.find == name).map(|m| Found {
            value: &m.replace,
            cell: None,
        })
    }

    /// The error for a placeholder nobody supplies.
    fn unknown(
        &self,
        name: &str,
        range: &std::ops::Range<usize>,
        site: &Site,
        row: &Row,
    ) -> Diagnostic {
        let mut names: Vec<&str> = self.merge.iter().map(|m| m.find.as_str()).collect();
        for (k, _) in &row.fields {
            if !names.contains(&k.as_str()) {
                names.push(k);
            }
        }
        let d = Diagnostic::error(format!("unknown merge field `{name}`")).with_label(
            self.placeholder_span(site, range),
            "no value for this placeholder",
        );
        let d = if names.is_empty() {
            d.with_note("the document has no `merge` array and the row has no fields")
        } else {
            let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            d.with_note(format!("available fields: {}", list.join(", ")))
        };
        match suggest(name, names.iter().copied()) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help(format!(
                "add {{ \"find\": \"{name}\", \"replace\": … }} to `merge`, or a `{name}` field to the data"
            )),
        }
    }

    /// The placeholder's own bytes when the string has no escapes (so text and bytes agree),
    /// else the whole string.
    fn placeholder_span(&self, site: &Site, range: &std::ops::Range<usize>) -> Span {
        let inner = site.span.start as usize + 1..(site.span.end as usize).saturating_sub(1);
        // Without escapes a JSON string's bytes are its text.
        let raw = self.text.get(inner.clone()).unwrap_or("\\");
        if !raw.contains('\\') {
            Span::new(
                self.file,
                inner.start + range.start..inner.start + range.end,
            )
        } else {
            site.span
        }
    }

    /// Writes `merge` for `--keep-merge`: each default with the row's value when it has one,
    /// then fields used but not declared, taken from the row.
    fn emit_merge(
        &self,
        row: &Row,
        edit: &mut Value,
        origins: &mut Origins,
        warned: &mut HashSet<String>,
        sink: &mut Sink,
    ) {
        let mut entries = Vec::new();
        let mut listed: Vec<&str> = Vec::new();
        for m in &self.merge {
            let found = self.lookup(&m.find, Some(m.span), row, warned, sink);
            let (value, cell) = found.map_or((&m.replace, None), |f| (f.value, f.cell));
            entries.push((m.find.as_str(), value.clone(), m.span, cell.cloned()));
            listed.push(&m.find);
        }
        for name in self.placeholders() {
            if listed.contains(&name) {
                continue;
            }
            if let Some(f) = self.lookup(name, None, row, warned, sink) {
                let span = self
                    .sites
                    .iter()
                    .find(|s| s.uses(name))
                    .map_or(Span::new(self.file, 0..0), |s| s.span);
                entries.push((name, f.value.clone(), span, f.cell.cloned()));
            }
        }
        let mut array = Vec::with_capacity(entries.len());
        for (i, (find, value, span, cell)) in entries.into_iter().enumerate() {
            let mut entry = Map::new();
            entry.insert("find".into(), Value::String(find.to_string()));
            entry.insert("replace".into(), value);
            array.push(Value::Object(entry));
            origins.insert(format!("/merge/{i}/replace"), Origin { span, cell });
        }
        if let Some(obj) = edit.as_object_mut() {
            obj.insert("merge".into(), Value::Array(array));
        }
    }
}

impl Site {
    fn fields(&self) -> usize {
        self.pieces
            .iter()
            .filter(|p| matches!(p, Piece::Field(..)))
            .count()
    }

    fn uses(&self, name: &str) -> bool {
        self.pieces
            .iter()
            .any(|p| matches!(p, Piece::Field(n, ..) if n == name))
    }

    /// The filled value: the value itself for a lone placeholder, else the joined text. In a
    /// markup field, values not marked `| safe` are escaped.
    fn fill(&self, found: &[Found<'_>]) -> Value {
        let escape = |safe: bool, s: &str| {
            if self.markup && !safe {
                escape_markup(s)
            } else {
                s.to_string()
            }
        };
        if let ([Piece::Field(_, _, safe)], [f]) = (self.pieces.as_slice(), found) {
            return match f.value {
                Value::String(s) => Value::String(escape(*safe, s)),
                other => other.clone(),
            };
        }
        let mut out = String::new();
        let mut values = found.iter();
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Field(_, _, safe) => match values.next().map(|f| f.value) {
                    Some(Value::String(s)) => out.push_str(&escape(*safe, s)),
                    Some(Value::Null) | None => {}
                    Some(other) => out.push_str(&escape(*safe, &other.to_string())),
                },
            }
        }
        Value::String(out)
    }
}

/// Reads the `merge` array: objects with a string `find` and a `replace` of any type.
fn read_merge(merge: &Value, origins: &Origins, file: FileId) -> SourceResult<Vec<MergeField>> {
    let span_of = |p: &str| origins.get(p).map(|o| o.span);
    let Some(items) = merge.as_array() else {
        return Err(vec![
            Diagnostic::error("`merge` must be an array of `{ \"find\": …, \"replace\": … }`")
                .with_opt_label(span_of("/merge"), "not an array"),
        ]);
    };
    let mut errors = Vec::new();
    let mut fields = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("/merge/{i}");
        let find = item.get("find").and_then(Value::as_str);
        match (find, item.get("replace")) {
            (Some(find), Some(replace)) => fields.push(MergeField {
                find: find.trim().to_string(),
                replace: replace.clone(),
                span: span_of(&format!("{at}/replace")).unwrap_or(Span::new(file, 0..0)),
            }),
            _ => errors.push(
                Diagnostic::error("each `merge` entry needs a string `find` and a `replace`")
                    .with_opt_label(
                        span_of(&at),
                        "expected `{ \"find\": \"NAME\", \"replace\": VALUE }`",
                    ),
            ),
        }
    }
    if errors.is_empty() {
        Ok(fields)
    } else {
        Err(errors)
    }
}

/// Finds every string value with a placeholder, depth first in document order.
fn collect_sites(
    value: &Value,
    pointer: &mut String,
    origins: &Origins,
    file: FileId,
    sites: &mut Vec<Site>,
) {
    match value {
        Value::String(s) => {
            let pieces = split_placeholders(s);
            if pieces.iter().any(|p| matches!(p, Piece::Field(..))) {
                let span = origins
                    .get(pointer)
                    .map_or(Span::new(file, 0..0), |o| o.span);
                sites.push(Site {
                    pointer: pointer.clone(),
                    pieces,
                    span,
                    markup: false,
                });
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                collect_sites(item, pointer, origins, file, sites);
                pointer.truncate(len);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&pointer_segment(key));
                collect_sites(item, pointer, origins, file, sites);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// Whether the string at `pointer` is a markup field of an asset (`…/asset/html` of an `html`
/// asset, `…/asset/src` of an `svg` asset…).
fn is_markup_site(doc: &Value, pointer: &str) -> bool {
    let Some((parent, key)) = pointer.rsplit_once('/') else {
        return false;
    };
    if !parent.ends_with("/asset") {
        return false;
    }
    let kind = doc
        .pointer(parent)
        .and_then(|a| a.get("type"))
        .and_then(Value::as_str);
    kind.is_some_and(|t| is_markup_field(t, key))
}

/// Splits `NAME | safe` into the name and whether it is marked safe.
fn safe_marked(name: &str) -> (&str, bool) {
    match name.rsplit_once('|') {
        Some((n, filter)) if filter.trim() == "safe" && !n.trim().is_empty() => (n.trim(), true),
        _ => (name, false),
    }
}

/// Splits a string into text and `{{ NAME }}` placeholders. `{{` with no valid name and `}}`
/// after it stays text.
fn split_placeholders(s: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut text_start = 0;
    let mut i = 0;
    while let Some(open) = s[i..].find("{{").map(|o| o + i) {
        let Some(close) = s[open + 2..].find("}}").map(|c| c + open + 2) else {
            break;
        };
        let name = s[open + 2..close].trim();
        if name.is_empty() || name.contains(['{', '}', '\n']) {
            i = open + 1;
            continue;
        }
        if open > text_start {
            pieces.push(Piece::Text(s[text_start..open].to_string()));
        }
        let (name, safe) = safe_marked(name);
        pieces.push(Piece::Field(name.to_string(), open..close + 2, safe));
        text_start = close + 2;
        i = text_start;
    }
    if text_start < s.len() || pieces.is_empty() {
        pieces.push(Piece::Text(s[text_start..].to_string()));
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &str) -> Vec<String> {
        split_placeholders(s)
            .into_iter()
            .map(|p| match p {
                Piece::Text(t) => format!("T:{t}"),
                Piece::Field(n, r, false) => format!("F:{n}@{}..{}", r.start, r.end),
                Piece::Field(n, r, true) => format!("S:{n}@{}..{}", r.start, r.end),
            })
            .collect()
    }

    #[test]
    fn placeholders_table() {
        let cases: [(&str, &[&str]); 9] = [
            ("{{ HTML | safe }}", &["S:HTML@0..17"]),
            ("{{ NAME }}", &["F:NAME@0..10"]),
            ("{{NAME}}", &["F:NAME@0..8"]),
            (
                "Hi {{ FIRST }} {{LAST}}!",
                &["T:Hi ", "F:FIRST@3..14", "T: ", "F:LAST@15..23", "T:!"],
            ),
            ("no placeholders", &["T:no placeholders"]),
            ("{{ }} and {{", &["T:{{ }} and {{"]),
            ("{{{ X }}}", &["T:{", "F:X@1..8", "T:}"]),
            ("{{ A B }}", &["F:A B@0..9"]),
            ("", &["T:"]),
        ];
        for (input, want) in cases {
            assert_eq!(names(input), want, "{input:?}");
        }
    }
}
