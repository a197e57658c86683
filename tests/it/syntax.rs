//! Integration tests: the `.edit` language (parse, include, expand, import).
//!
//! Fixture snapshots: `tests/fixtures/expand/*.edit` (rows in a sibling `.json`, an array of
//! objects) → expanded Edit JSON per row; `tests/fixtures/syntax/errors/*.edit` → rendered
//! diagnostics. Snapshots live beside the fixtures.

use std::path::{Path, PathBuf};

use reel::diagnostics::{RenderConfig, SourceMap, render_text};
use reel::syntax::{self, ast};
use reel::template::expand::{ExpandContext, expand};
use reel::template::{Cell, Row};
use serde_json::{Value as Json, json};

use crate::util;

/// A row from a JSON object (cells have no file origin).
fn row(index: usize, obj: &Json) -> Row {
    let fields = obj
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let cell = Cell {
                value: v.clone(),
                origin: None,
            };
            (k.clone(), cell)
        })
        .collect();
    Row { index, fields }
}

/// Parses and expands `text` for `row`; errors rendered as text.
fn build(text: &str, row: &Row, keep_merge: bool) -> Result<Json, String> {
    let (sources, doc) = syntax::parse_str("test.edit", text);
    let doc = doc.map_err(|e| rendered(&e, &sources))?;
    let ctx = ExpandContext::standard(keep_merge);
    let out = expand(&doc, row, &ctx).output;
    out.map(|e| e.edit).map_err(|e| rendered(&e, &sources))
}

fn rendered(diags: &[reel::diagnostics::Diagnostic], sources: &SourceMap) -> String {
    render_text(diags, sources, RenderConfig { color: false })
}

/// JSON equality with numbers compared by value (`1` == `1.0`).
fn json_eq(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x.as_f64() == y.as_f64(),
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

fn settings(dir: &str) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(util::fixture(dir).join("snapshots"));
    s.set_prepend_module_to_snapshot(false);
    s
}

/// `*.edit` files of a fixture directory, sorted.
fn edit_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("fixture dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "edit"))
        .collect();
    files.sort();
    files
}

#[test]
fn import_round_trips_every_shotstack_template() {
    let root = util::shared("shotstack/templates");
    let mut checked = 0;
    for path in json_files(&root) {
        if path.ends_with("shotstack-cli/timeline-block0.json") {
            continue; // invalid on purpose
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let original: Json = serde_json::from_str(&text).unwrap();
        let edit = syntax::import(&original);
        let back = build(&edit, &Row::default(), true)
            .unwrap_or_else(|e| panic!("{}:\n{edit}\n{e}", path.display()));
        assert!(
            json_eq(&original, &back),
            "{}: round trip differs\n--- .edit\n{edit}\n--- got\n{:#}",
            path.display(),
            back
        );
        checked += 1;
    }
    assert!(checked >= 11, "only {checked} templates found");
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("templates dir") {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(json_files(&p));
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
    out.sort();
    out
}
