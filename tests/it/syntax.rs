//! Integration tests: the `.edit` language (parse, include, expand, import).
//!
//! Fixture snapshots: `tests/fixtures/expand/*.edit` (rows in a sibling `.json`, an array of
//! objects) → expanded Edit JSON per row; `tests/fixtures/syntax/errors/*.edit` → rendered
//! diagnostics. Snapshots live beside the fixtures.

use std::path::{Path, PathBuf};

use reel::diagnostics::{RenderConfig, SourceMap, render_text};
use reel::edit::json_eq;
use reel::syntax;
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
    let root = util::fixture("shotstack");
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

/// The rows of a fixture: its sibling `.json` (an array of objects), else one empty row.
fn fixture_rows(edit: &Path) -> Vec<Row> {
    match std::fs::read_to_string(edit.with_extension("json")) {
        Ok(text) => {
            let rows: Json = serde_json::from_str(&text).expect("fixture rows");
            let list = rows.as_array().expect("fixture rows are an array");
            list.iter().enumerate().map(|(i, r)| row(i, r)).collect()
        }
        Err(_) => vec![Row::default()],
    }
}

/// Loads a fixture (by its path relative to the crate, as diagnostics show it) and expands
/// it for each row: the edits, or the rendered diagnostics.
fn run_fixture(path: &Path, keep_merge: bool) -> Result<Vec<Json>, String> {
    let rel = path.strip_prefix(util::root()).unwrap_or(path);
    let sources = SourceMap::new();
    let doc = syntax::load(&sources, rel).map_err(|e| rendered(&e, &sources))?;
    let ctx = ExpandContext::standard(keep_merge);
    let mut out = Vec::new();
    let mut errors = String::new();
    for row in fixture_rows(path) {
        match expand(&doc, &row, &ctx).output {
            Ok(e) => out.push(json!({ "row": row.index, "name": e.name, "edit": e.edit })),
            Err(d) => errors.push_str(&format!("row {}:\n{}", row.index, rendered(&d, &sources))),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[test]
fn expand_fixtures() {
    let dir = util::fixture("expand");
    for path in edit_files(&dir) {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let edits = run_fixture(&path, false).unwrap_or_else(|e| panic!("{name}:\n{e}"));
        settings("expand").bind(|| insta::assert_json_snapshot!(name, edits));
    }
}

#[test]
fn keep_merge_keeps_placeholders_and_emits_merge() {
    let edits = run_fixture(&util::fixture("expand/merge.edit"), true).unwrap();
    settings("expand").bind(|| insta::assert_json_snapshot!("merge_kept", edits));
}

#[test]
fn error_fixtures() {
    let dir = util::fixture("syntax/errors");
    for path in edit_files(&dir) {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = match run_fixture(&path, false) {
            Ok(edits) => panic!("{name} should fail, expanded to {edits:#?}"),
            Err(text) => text,
        };
        settings("syntax").bind(|| insta::assert_snapshot!(format!("error_{name}"), text));
    }
}

#[test]
fn load_records_every_file_read() {
    let sources = SourceMap::new();
    let doc = syntax::load(&sources, Path::new("tests/fixtures/expand/include.edit")).unwrap();
    let files: Vec<String> = doc.files.iter().map(|p| p.display().to_string()).collect();
    assert_eq!(
        files,
        [
            "tests/fixtures/expand/include.edit",
            "tests/fixtures/expand/parts/settings.edit"
        ]
    );
}

#[test]
fn data_statement_is_exposed_resolved() {
    let sources = SourceMap::new();
    let doc = syntax::load(&sources, Path::new("tests/fixtures/expand/settings.edit")).unwrap();
    let data = doc.data.expect("settings.edit has a data statement");
    assert_eq!(data.path, "rows.csv");
    assert_eq!(data.resolved, Path::new("tests/fixtures/expand/rows.csv"));
}

#[test]
fn expands_many_rows_quickly() {
    let path = util::fixture("expand/promo.edit");
    let sources = SourceMap::new();
    let doc = syntax::load(&sources, &path).unwrap();
    let ctx = ExpandContext::standard(false);
    let rows: Vec<Row> = (0..2000)
        .map(|i| {
            let r = json!({"first": format!("name{i}"), "photo": "p.jpg", "shots": "a.mp4;b.mp4"});
            row(i, &r)
        })
        .collect();
    let start = std::time::Instant::now();
    for r in &rows {
        assert!(expand(&doc, r, &ctx).output.is_ok());
    }
    let per_row = start.elapsed() / rows.len() as u32;
    eprintln!("expand: {per_row:?} per row");
    // The release target is 10,000 rows in 0.5 s (50 µs a row); debug builds on a shared
    // machine get a wide margin, so this only catches accidental re-parsing or recompiling.
    assert!(per_row.as_micros() < 2_000, "{per_row:?} per row");
}

/// Parses and expands `text` (empty row); every error must carry a location.
fn never_panics(text: &str) -> Result<(), proptest::test_runner::TestCaseError> {
    let (_sources, doc) = syntax::parse_str("fuzz.edit", text);
    let errors = match doc {
        Ok(doc) => {
            let ctx = ExpandContext::standard(false);
            let row = row(0, &json!({"first": "ada", "items": ["a", "b"]}));
            match expand(&doc, &row, &ctx).output {
                Ok(_) => return Ok(()),
                Err(e) => e,
            }
        }
        Err(e) => e,
    };
    proptest::prop_assert!(!errors.is_empty());
    for d in &errors {
        proptest::prop_assert!(!d.labels.is_empty(), "no location: {d:?}\n{text}");
        for l in &d.labels {
            proptest::prop_assert!(
                l.span.end as usize <= text.len(),
                "span out of range: {d:?}"
            );
        }
    }
    Ok(())
}

/// Every `.edit` fixture's text, as seeds for mutation.
fn seeds() -> Vec<String> {
    let mut out = Vec::new();
    for dir in ["expand", "syntax/errors"] {
        for p in edit_files(&util::fixture(dir)) {
            out.push(std::fs::read_to_string(p).unwrap());
        }
    }
    out
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        never_panics(&text)?;
    }

    #[test]
    fn arbitrary_edit_like_text_never_panics(
        parts in proptest::collection::vec(
            proptest::sample::select(vec![
                "track", "{", "}", "text", "\"a {{ first }}\"", "at", "for", "1.5s", "=", "x",
                "opacity", "[", "]", "->", "over", "\n", " ", "let", "if", "else", "in", "items",
                "define", "use", "(", ")", ",", "\"\"\"", "/*", "*/", "//", "{{", "}}", "\\",
                "include", "output", "mp4", "merge", "-", ".", ":", "1280x720", "é", "\"",
            ]),
            0..40,
        )
    ) {
        never_panics(&parts.concat())?;
    }

    #[test]
    fn mutated_fixtures_never_panic(
        seed in proptest::sample::select(seeds()),
        cut in 0usize..2000,
        len in 0usize..8,
        insert in "\\PC{0,3}",
    ) {
        let mut text = seed;
        let mut at = cut.min(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let mut end = (at + len).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.replace_range(at..end, &insert);
        never_panics(&text)?;
    }
}

#[test]
fn ast_of_every_statement() {
    let text = r##"output mp4 hd fps=25
output gif 640x480
background "#000"
font "a.ttf"
soundtrack "m.mp3" volume=0.5
data "rows.csv"
name "{{ first }}-{{ row_index }}"
let a = 1.5s
let b = items | length
merge TITLE = "Hi"
include "other.edit"
define card(t) { text t at 0 for 1 }
track "main" {
  video "v.mp4" at auto for end asset.volume=0.5 clip.fit=crop { "odd key".x = [1, { y: null }] }
  shape rectangle opacity=[0 -> 1 over 500ms ease=easeIn, 1 -> 0 at 3 over 1]
  html """<b class="x">{{ first }}</b>"""
  use card("x") at 2
  if a > 1 { text "big" } else if a { text "some" } else { text "none" }
  for i, x in items { image x }
}
"##;
    let (sources, doc) = syntax::parse_str("all.edit", text);
    let doc = doc.unwrap_or_else(|e| panic!("{}", rendered(&e, &sources)));
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(util::fixture("syntax").join("snapshots"));
    s.set_prepend_module_to_snapshot(false);
    s.add_filter(r"(?s)\n *(key_|path_)?span: Span \{.*?\n *\},", "");
    s.bind(|| insta::assert_snapshot!("ast_every_statement", format!("{:#?}", doc.items)));
}

#[test]
fn origins_point_at_template_and_cell() {
    use reel::diagnostics::{FileId, Span};
    use reel::edit::origins::CellRef;
    let text = "let greeting = \"Hello {{ first }}\"\ntrack {\n  text greeting at 0 for 1 position=center\n}\n";
    let (sources, doc) = syntax::parse_str("o.edit", text);
    let doc = doc.unwrap();
    let data = sources.add("rows.csv", "first\nada\n");
    let cell = CellRef {
        span: Span::new(data, 6..9),
        describe: "row 1, column \"first\"".into(),
        place: reel::diagnostics::CellPlace {
            row: 1,
            column: "first".into(),
        },
    };
    let row = Row {
        index: 0,
        fields: vec![(
            "first".into(),
            Cell {
                value: json!("ada"),
                origin: Some(cell.clone()),
            },
        )],
    };
    let out = expand(&doc, &row, &ExpandContext::standard(false))
        .output
        .unwrap();
    let at = |ptr: &str| {
        let o = out
            .origins
            .get(ptr)
            .unwrap_or_else(|| panic!("no origin for {ptr}"));
        (&text[o.span.range()], o.cell.clone())
    };
    assert_eq!(
        at("/timeline/tracks/0/clips/0/asset/text"),
        ("greeting", Some(cell))
    );
    assert_eq!(at("/timeline/tracks/0/clips/0/position"), ("center", None));
    assert_eq!(at("/timeline/tracks/0/clips/0/start").0, "0");
    assert!(
        at("/timeline/tracks/0/clips/0")
            .0
            .starts_with("text greeting")
    );
    assert_eq!(at("/timeline/tracks/0").0.lines().next(), Some("track {"));
    assert_eq!(
        out.origins
            .get("/timeline/tracks/0/clips/0/asset/text")
            .unwrap()
            .span
            .file,
        FileId(0)
    );
}

#[test]
fn one_pass_only_and_types_kept() {
    let text = "track {\n  text secret at 0 for n\n  text \"{{ list }}\" at \"{{ n }}\" for 1 tags=\"{{ list }}\"\n}\n";
    let row = row(
        0,
        &json!({"secret": "{{ n }} [0:v]", "n": 2, "list": [1, "a"]}),
    );
    let edit = build(text, &row, false).unwrap();
    let clips = &edit["timeline"]["tracks"][0]["clips"];
    assert_eq!(clips[0]["asset"]["text"], json!("{{ n }} [0:v]"));
    assert_eq!(clips[0]["length"], json!(2));
    assert_eq!(clips[1]["start"], json!(2));
    assert_eq!(clips[1]["asset"]["tags"], json!([1, "a"]));
    assert_eq!(clips[1]["asset"]["text"], json!([1, "a"]));
}

#[test]
fn row_variables_and_defaults() {
    let text = "name \"{{ row['First Name'] }} {{ row_number }} {{ missing | default('-') }} {{ missing is defined }}\"\n";
    let row = row(4, &json!({"First Name": "Ada"}));
    let (sources, doc) = syntax::parse_str("r.edit", text);
    let doc = doc.unwrap();
    let out = expand(&doc, &row, &ExpandContext::standard(false)).output;
    let out = out.unwrap_or_else(|e| panic!("{}", rendered(&e, &sources)));
    assert_eq!(out.name.as_deref(), Some("Ada 5 - false"));
}

#[test]
fn expand_context_is_shareable_across_threads() {
    fn assert_sync<T: Send + Sync>() {}
    assert_sync::<ExpandContext>();
}

#[test]
fn reel_filters_are_available() {
    let text = "name \"{{ 'Zoë O\\'Brien' | slug }} {{ '1:30' | seconds }} {{ 'a/b/c.mp4' | basename }} {{ 1234.5 | money('EUR') }}\"\n";
    let (sources, doc) = syntax::parse_str("f.edit", text);
    let doc = doc.unwrap_or_else(|e| panic!("{}", rendered(&e, &sources)));
    let out = expand(&doc, &Row::default(), &ExpandContext::standard(false)).output;
    let out = out.unwrap_or_else(|e| panic!("{}", rendered(&e, &sources)));
    assert_eq!(out.name.as_deref(), Some("zoe-obrien 90.0 c.mp4 €1,234.50"));
}

#[test]
fn any_rule_is_an_entry_point() {
    use reel::syntax::{Rule, parse_rule};
    assert!(
        parse_rule(
            Rule::value,
            "[0 -> 1 over 1s ease=easeIn, 1 -> 0 at 3 over 500ms]"
        )
        .is_ok()
    );
    assert!(parse_rule(Rule::value, "{ x: 1, \"y z\": [true, null] }").is_ok());
    assert!(parse_rule(Rule::string, r#""a \"{{ x | default("q") }}\" b""#).is_ok());
    assert!(parse_rule(Rule::raw_string, "\"\"\"a\n\"b\"\n\"\"\"").is_ok());
    assert!(
        parse_rule(
            Rule::clip,
            "rich-text \"x\" at auto for end opacity=0.5 { font.size = 3 }"
        )
        .is_ok()
    );
    assert!(parse_rule(Rule::prop, "asset.\"odd key\".x=1").is_ok());
    assert!(parse_rule(Rule::number, "1.5s").is_ok());
    assert!(parse_rule(Rule::path, "for").is_err());
    assert!(parse_rule(Rule::clip, "track { }").is_err());
}

#[test]
fn import_snapshots() {
    for rel in [
        "shotstack/domain-real-estate-demo/template.json",
        "shotstack/shotstack-cli/html5-block3.json",
        "shotstack/oas-api-definition/render-example.json",
    ] {
        let text = std::fs::read_to_string(util::fixture(rel)).unwrap();
        let edit = syntax::import(&serde_json::from_str(&text).unwrap());
        let stem = rel
            .trim_end_matches(".json")
            .split('/')
            .skip(1)
            .collect::<Vec<_>>();
        let name = format!("import_{}", stem.join("_"));
        settings("syntax").bind(|| insta::assert_snapshot!(name, edit));
    }
}

/// What a file builds to with `row`: the JSON, or the error messages (spans move when
/// whitespace does, so only the messages are compared).
fn built(text: &str, row: &Row) -> Result<Json, Vec<String>> {
    let (_s, doc) = syntax::parse_str("fmt.edit", text);
    let doc = doc.map_err(|e| e.into_iter().map(|d| d.message).collect::<Vec<_>>())?;
    let ctx = ExpandContext::standard(false);
    let out = expand(&doc, row, &ctx).output;
    out.map(|e| e.edit)
        .map_err(|e| e.into_iter().map(|d| d.message).collect())
}

/// Every `.edit` the repository ships or tests with, and every corpus import.
fn formattable_files() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut dirs = vec![util::root().join("templates"), util::fixture("expand")];
    for e in std::fs::read_dir(util::root().join("examples")).unwrap() {
        dirs.push(e.unwrap().path());
    }
    for dir in dirs.iter().filter(|d| d.is_dir()) {
        for p in edit_files(dir) {
            out.push((
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            ));
        }
    }
    for p in json_files(&util::fixture("shotstack")) {
        let json: Json = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        out.push((p.display().to_string(), syntax::import(&json)));
    }
    out
}

/// Issue 11: `fmt` is idempotent and never changes what a file builds, over every template,
/// example, fixture and corpus import; the shipped templates and examples are formatted.
#[test]
fn fmt_is_idempotent_and_keeps_the_built_json() {
    let row = row(
        0,
        &json!({"first": "ada", "photo": "p.jpg", "shots": "a.mp4;b.mp4"}),
    );
    let files = formattable_files();
    assert!(files.len() > 30, "{}", files.len());
    for (name, text) in &files {
        let once = syntax::fmt::format(text).unwrap_or_else(|| panic!("{name} not formatted"));
        assert_eq!(syntax::fmt::format(&once).as_ref(), Some(&once), "{name}");
        assert_eq!(built(text, &row), built(&once, &row), "{name}");
        let shipped = name.contains("/templates/") || name.contains("/examples/");
        if shipped && name.ends_with(".edit") {
            assert_eq!(
                &once, text,
                "{name} is not formatted: run `reel fmt {name}`"
            );
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

    /// Issue 11: whatever whitespace a valid file is written with, `fmt` gives the same
    /// layout and the same built JSON.
    #[test]
    fn fmt_never_changes_the_built_json(
        seed in proptest::sample::select(formattable_files()),
        indents in proptest::collection::vec(0usize..7, 64),
        trailing in proptest::collection::vec(0usize..3, 64),
        blanks in proptest::collection::vec(0usize..3, 64),
    ) {
        let (name, text) = seed;
        let canonical = syntax::fmt::format(&text).unwrap();
        // Re-indent, add trailing spaces and blank lines, outside multi-line literals only
        // (the formatter keeps those verbatim): lines of the canonical form are safe to touch
        // when the file has no `"""` or `/*`.
        proptest::prop_assume!(!canonical.contains("\"\"\"") && !canonical.contains("/*"));
        let mut messy = String::new();
        for (i, line) in canonical.lines().enumerate() {
            let k = i % 64;
            messy.push_str(&" ".repeat(indents[k]));
            messy.push_str(line.trim_start());
            messy.push_str(&"\t".repeat(trailing[k]));
            messy.push_str(&"\n".repeat(1 + blanks[k]));
        }
        let again = syntax::fmt::format(&messy).unwrap();
        let row = row(0, &json!({"first": "ada", "photo": "p.jpg"}));
        proptest::prop_assert_eq!(built(&messy, &row), built(&again, &row), "{}", name);
        // Blank lines collapse, so compare with the canonical form up to blank lines.
        let squeeze = |s: &str| s.lines().filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n");
        proptest::prop_assert_eq!(squeeze(&again), squeeze(&canonical), "{}", name);
    }
}

/// A syntax error (recovered), a lowering error and two validation errors: `reel check` lists
/// all four in one run (the parser's recovery keeps what parsed for the later stages).
#[test]
fn check_reports_syntax_lowering_and_validation_errors_at_once() {
    let dir = util::fixture("check_multi");
    let (code, stdout, stderr) = util::run(util::reel(&dir).args(["check", "all_stages.edit"]));
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stderr.contains("1 row checked: 4 errors"), "{stderr}");
    settings("check_multi").bind(|| insta::assert_snapshot!("all_stages", stderr));
    // `reel build` still refuses the file at the first stage that fails.
    let (code, _, stderr) = util::run(util::reel(&dir).args(["build", "all_stages.edit"]));
    assert_eq!(code, 1);
    assert!(!stderr.contains("fadee"), "{stderr}");
}
