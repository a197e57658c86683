//! What the editor can be told about the language: statements, asset types, the schema's
//! property names, enum values and descriptions (read from the bundled `schema.json`), the
//! filters of the expression environment and a data file's column names.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};
use std::time::SystemTime;

use serde_json::Value as Json;

use crate::diagnostics::SourceMap;
use crate::syntax::ASSET_TYPES;
use crate::template::data::{self, DataOptions};

/// Statements with a one-line description (completion detail and hover).
pub(crate) const STATEMENTS: &[(&str, &str)] = &[
    (
        "output",
        "`output FORMAT [RESOLUTION | WxH] [key=value…]`: the rendered file's format and size",
    ),
    (
        "background",
        "`background COLOR`: the colour behind every track",
    ),
    ("font", "`font PATH_OR_URL`: a font file text may use"),
    (
        "soundtrack",
        "`soundtrack SRC [volume=… effect=…]`: music under the whole video",
    ),
    (
        "data",
        "`data \"rows.csv\" [rows=KEY]`: the default data file, one video per row",
    ),
    (
        "url-map",
        "`url-map \"PREFIX\" \"DIR\"`: read media whose URL starts with PREFIX from DIR",
    ),
    (
        "name",
        "`name \"{{ … }}\"`: the output file name of each row",
    ),
    (
        "let",
        "`let NAME = VALUE`: a variable (a value, or a minijinja expression)",
    ),
    ("merge", "`merge NAME = VALUE`: a Shotstack merge field"),
    (
        "track",
        "`track [NAME] { clips }`: a layer of clips; the first track is on top",
    ),
    ("if", "`if EXPR { … } else { … }`: clips for some rows only"),
    (
        "for",
        "`for x in EXPR { … }`: clips repeated for each element of a list",
    ),
    (
        "include",
        "`include \"other.edit\"`: the statements of another file",
    ),
    (
        "define",
        "`define NAME(params) { clips }`: a reusable component",
    ),
    (
        "use",
        "`use NAME(args) [at START]`: places a component's clips",
    ),
];

/// Filters of the expression environment: minijinja's builtins reel keeps, then reel's own.
pub(crate) const FILTERS: &[(&str, &str)] = &[
    (
        "default",
        "`default(value)`: the value when the left side is undefined or empty",
    ),
    ("upper", "upper case"),
    ("lower", "lower case"),
    ("title", "Title Case"),
    ("capitalize", "first letter upper case"),
    ("trim", "strips surrounding spaces"),
    ("replace", "`replace(old, new)`"),
    ("split", "`split(sep)`: a list of the parts"),
    ("join", "`join(sep)`: a list as text"),
    ("length", "the number of elements or characters"),
    ("first", "the first element"),
    ("last", "the last element"),
    ("round", "`round(precision)`"),
    ("int", "as a whole number"),
    ("float", "as a number"),
    ("abs", "absolute value"),
    ("list", "as a list"),
    ("sort", "sorted"),
    ("reverse", "reversed"),
    ("unique", "without duplicates"),
    ("min", "the smallest element"),
    ("max", "the largest element"),
    ("sum", "the sum of the elements"),
    ("truncate", "`truncate(length)`"),
    ("wordcount", "the number of words"),
    ("tojson", "as JSON text"),
    ("safe", "not escaped in markup fields"),
    ("slug", "ASCII lower-case words joined by `-`"),
    ("seconds", "a duration in seconds (`\"1:30\"` → 90)"),
    ("basename", "the last path segment"),
    (
        "money",
        "`money(currency, decimals, locale)`: `1234.5 | money(\"EUR\")` → `€1,234.50`",
    ),
    (
        "number",
        "`number(decimals, locale)`: thousands separators (`1,234.5`)",
    ),
    ("file_exists", "whether a local file exists"),
];

/// Names every row has besides its columns.
pub(crate) const ROW_NAMES: &[(&str, &str)] = &[
    ("row_index", "0-based position of the row in the data file"),
    ("row_number", "1-based position of the row in the data file"),
];

static SCHEMA: LazyLock<Json> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../edit/schema.json")).expect("bundled schema is JSON")
});

/// A schema definition (`"Clip"`, `"VideoAsset"`).
fn def(name: &str) -> Option<&'static Json> {
    SCHEMA.get("$defs")?.get(name)
}

/// `node` with `$ref`s followed.
fn resolve(mut node: &'static Json) -> &'static Json {
    for _ in 0..16 {
        let Some(r) = node.get("$ref").and_then(Json::as_str) else {
            break;
        };
        match r.strip_prefix("#/$defs/").and_then(def) {
            Some(n) => node = n,
            None => break,
        }
    }
    node
}

/// `node` and its `oneOf`/`anyOf` branches, resolved.
fn branches(node: &'static Json) -> Vec<&'static Json> {
    let node = resolve(node);
    let mut out = vec![node];
    for k in ["oneOf", "anyOf"] {
        for b in node.get(k).and_then(Json::as_array).into_iter().flatten() {
            out.push(resolve(b));
        }
    }
    out
}

/// The properties of `node` (across its branches), in schema order, once each.
fn properties(node: &'static Json) -> Vec<(&'static str, &'static Json)> {
    let mut out: Vec<(&str, &Json)> = Vec::new();
    for b in branches(node) {
        for (k, v) in b
            .get("properties")
            .and_then(Json::as_object)
            .into_iter()
            .flatten()
        {
            if !out.iter().any(|(o, _)| *o == k.as_str()) {
                out.push((k.as_str(), v));
            }
        }
    }
    out
}

/// The property schema at dotted `path` below `node`.
fn at_path(node: &'static Json, path: &str) -> Option<&'static Json> {
    let mut node = node;
    for key in path.split('.') {
        node = properties(node).into_iter().find(|(k, _)| *k == key)?.1;
    }
    Some(node)
}

/// The schema definition of an asset word (`rich-text` → `RichTextAsset`).
pub(crate) fn asset_def_name(kind: &str) -> Option<&'static str> {
    crate::edit::schema::asset_def(kind)
}

/// A property of a clip of asset `asset` (`None`: any asset): the Clip's own first, then the
/// asset's (`asset.src` is the asset's `src`).
fn property(asset: Option<&str>, key: &str) -> Option<&'static Json> {
    if let Some(rest) = key.strip_prefix("asset.") {
        return asset_defs(asset).into_iter().find_map(|d| at_path(d, rest));
    }
    if key != "asset"
        && let Some(n) = def("Clip").and_then(|c| at_path(c, key))
    {
        return Some(n);
    }
    asset_defs(asset).into_iter().find_map(|d| at_path(d, key))
}

fn asset_defs(asset: Option<&str>) -> Vec<&'static Json> {
    match asset {
        Some(a) => asset_def_name(a).and_then(def).into_iter().collect(),
        None => ASSET_TYPES
            .iter()
            .filter_map(|a| asset_def_name(a).and_then(def))
            .collect(),
    }
}

/// Top-level statements' properties: `output` keys, `soundtrack` keys.
fn statement_def(statement: &str) -> Option<&'static Json> {
    match statement {
        "output" => def("Output"),
        "soundtrack" => def("Soundtrack"),
        _ => None,
    }
}

/// Where a key is written: in a clip of some asset type, or on a statement line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner<'a> {
    /// A clip whose asset word is given (`None`: not known).
    Clip(Option<&'a str>),
    /// `output` or `soundtrack`.
    Statement(&'a str),
}

fn lookup(owner: Owner<'_>, key: &str) -> Option<&'static Json> {
    match owner {
        Owner::Clip(asset) => property(asset, key),
        Owner::Statement(s) => statement_def(s).and_then(|d| at_path(d, key)),
    }
}

/// Every dotted key a clip (or statement) can set, with a short description: top-level
/// properties and their nested ones (`font.size`, `transition.in`), three levels deep.
pub(crate) fn keys(owner: Owner<'_>) -> Vec<(String, String)> {
    let mut roots: Vec<&'static Json> = Vec::new();
    match owner {
        Owner::Clip(asset) => {
            roots.extend(def("Clip"));
            roots.extend(asset_defs(asset));
        }
        Owner::Statement(s) => roots.extend(statement_def(s)),
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for root in roots {
        flatten(root, "", 0, &mut out);
    }
    out.retain(|(k, _)| k != "asset" && k != "type");
    out
}

fn flatten(node: &'static Json, prefix: &str, depth: usize, out: &mut Vec<(String, String)>) {
    for (k, v) in properties(node) {
        let key = format!("{prefix}{k}");
        if out.iter().any(|(o, _)| *o == key) {
            continue;
        }
        out.push((key.clone(), first_sentence(description(v).unwrap_or(""))));
        if depth < 2 && k != "asset" && !properties(v).is_empty() {
            flatten(v, &format!("{key}."), depth + 1, out);
        }
    }
}

/// The enum values of a key (`position` → `top`, `topRight`, …), empty when it has none.
pub(crate) fn enum_values(owner: Owner<'_>, key: &str) -> Vec<String> {
    let Some(node) = lookup(owner, key) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for b in branches(node) {
        for v in b.get("enum").and_then(Json::as_array).into_iter().flatten() {
            let text = match v {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            };
            if !out.contains(&text) {
                out.push(text);
            }
        }
    }
    out
}

/// A property's description (the property's own text, else its definition's).
fn description(node: &'static Json) -> Option<&'static str> {
    node.get("description")
        .and_then(Json::as_str)
        .or_else(|| resolve(node).get("description").and_then(Json::as_str))
}

fn first_sentence(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    match line.find(". ") {
        Some(i) => line[..=i].to_string(),
        None => line.to_string(),
    }
}

/// Markdown for hovering a key.
pub(crate) fn key_doc(owner: Owner<'_>, key: &str) -> Option<String> {
    let node = lookup(owner, key)?;
    let mut doc = format!("**`{key}`**");
    if let Some(d) = description(node) {
        doc.push_str("\n\n");
        doc.push_str(d.trim());
    }
    let values = enum_values(owner, key);
    if !values.is_empty() && !doc.contains(&format!("`{}`", values[0])) {
        doc.push_str(&format!("\n\nOne of: {}", values.join(", ")));
    }
    Some(doc)
}

/// Markdown for hovering an enum value of `key`: the line of the key's description that
/// explains it, when there is one.
pub(crate) fn enum_doc(owner: Owner<'_>, key: &str, value: &str) -> Option<String> {
    let values = enum_values(owner, key);
    if !values.iter().any(|v| v == value) {
        return None;
    }
    let node = lookup(owner, key)?;
    let desc = description(node).unwrap_or("");
    let needle = format!("`{value}`");
    let line = desc
        .lines()
        .map(|l| l.trim().trim_start_matches(['-', '*', ' ']))
        .find(|l| l.starts_with(&needle));
    let mut doc = format!("**`{value}`**: a value of `{key}`");
    if let Some(l) = line {
        let rest = l[needle.len()..].trim_start_matches([' ', '-', ':', '–']);
        doc = format!("**`{value}`**: {rest}\n\n(a value of `{key}`)");
    }
    let first = first_sentence(desc);
    if !first.is_empty() {
        doc.push_str(&format!("\n\n`{key}`: {first}"));
    }
    Some(doc)
}

/// Markdown for hovering an asset word (`video`).
pub(crate) fn asset_doc(kind: &str) -> Option<String> {
    let name = asset_def_name(kind)?;
    let d = def(name)?.get("description").and_then(Json::as_str)?;
    Some(format!("**{kind}** asset (`{name}`)\n\n{}", d.trim()))
}

/// Markdown for hovering a statement keyword.
pub(crate) fn statement_doc(word: &str) -> Option<String> {
    STATEMENTS
        .iter()
        .find(|(k, _)| *k == word)
        .map(|(_, d)| d.to_string())
}

/// Markdown for hovering a filter name.
pub(crate) fn filter_doc(name: &str) -> Option<String> {
    FILTERS
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(k, d)| format!("filter `{k}`: {d}"))
}

/// Column names of a data file, read once per modification time.
pub(crate) fn columns(path: &Path, rows_key: Option<&str>) -> Vec<String> {
    type Cache = HashMap<(PathBuf, Option<String>), (Option<SystemTime>, Vec<String>)>;
    static CACHE: LazyLock<Mutex<Cache>> = LazyLock::new(Mutex::default);
    let mtime = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let key = (path.to_path_buf(), rows_key.map(str::to_string));
    if let Ok(cache) = CACHE.lock()
        && let Some((t, cols)) = cache.get(&key)
        && *t == mtime
    {
        return cols.clone();
    }
    let options = DataOptions {
        rows_key: rows_key.map(str::to_string),
        ..DataOptions::default()
    };
    let cols: Vec<String> = data::open(path, &SourceMap::new(), &options)
        .ok()
        .and_then(|mut rows| rows.next())
        .and_then(|(_, row)| row.ok())
        .map(|row| row.fields.into_iter().map(|(k, _)| k).collect())
        .unwrap_or_default();
    if let Ok(mut cache) = CACHE.lock() {
        cache.insert(key, (mtime, cols.clone()));
    }
    cols
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_enums_and_docs_come_from_the_schema() {
        let image = keys(Owner::Clip(Some("image")));
        for k in ["position", "opacity", "src", "transition.in", "offset.x"] {
            assert!(image.iter().any(|(n, _)| n == k), "{k}");
        }
        let text = keys(Owner::Clip(Some("rich-text")));
        assert!(text.iter().any(|(n, _)| n == "font.size"));
        assert!(!image.iter().any(|(n, _)| n == "type" || n == "asset"));
        let pos = enum_values(Owner::Clip(Some("image")), "position");
        assert!(pos.contains(&"topRight".to_string()));
        assert!(enum_values(Owner::Clip(None), "transition.in").contains(&"fade".to_string()));
        let zoom = enum_doc(Owner::Clip(None), "effect", "zoomIn").unwrap();
        assert!(zoom.contains("slow zoom in"), "{zoom}");
        assert!(asset_doc("video").unwrap().contains("VideoAsset"));
        assert!(key_doc(Owner::Statement("output"), "fps").is_some());
        assert!(enum_values(Owner::Statement("output"), "format").contains(&"mp4".to_string()));
    }
}
