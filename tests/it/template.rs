//! Integration tests: template (data loading, spanned JSON, Shotstack JSON templates).
//!
//! Fixtures are in `tests/fixtures/data/` and are opened by relative path (cargo runs tests in
//! the package root), so rendered diagnostics name them the same way everywhere.

use std::path::{Path, PathBuf};

use reel::diagnostics::{Diagnostic, RenderConfig, SourceMap, render_text};
use reel::template::Row;
use reel::template::data::{self, DataFormat, DataOptions};
use serde_json::{Value, json};

/// A fixture's path relative to the package root.
fn fixture(name: &str) -> PathBuf {
    Path::new("tests/fixtures/data").join(name)
}

/// Every row of a data file (or the error from `open`), plus the file-level warnings.
#[derive(Debug)]
struct Loaded {
    sources: SourceMap,
    rows: Vec<(usize, Result<Row, Diagnostic>)>,
    warnings: Vec<Diagnostic>,
}

fn load(path: &Path, options: &DataOptions) -> Result<Loaded, (SourceMap, Diagnostic)> {
    let sources = SourceMap::new();
    let mut rows = match data::open(path, &sources, options) {
        Ok(rows) => rows,
        Err(d) => return Err((sources, d)),
    };
    let collected: Vec<_> = rows.by_ref().collect();
    let warnings = rows.warnings().to_vec();
    Ok(Loaded {
        sources,
        rows: collected,
        warnings,
    })
}

fn load_ok(name: &str) -> Loaded {
    load(&fixture(name), &DataOptions::default()).unwrap_or_else(|(_, d)| panic!("{name}: {d}"))
}

fn render(sources: &SourceMap, diags: &[Diagnostic]) -> String {
    render_text(diags, sources, RenderConfig { color: false })
}

/// The row's values as a JSON object (for comparing with `json!`).
fn values(row: &Row) -> Value {
    Value::Object(
        row.fields
            .iter()
            .map(|(k, c)| (k.clone(), c.value.clone()))
            .collect(),
    )
}

/// The bytes each cell's span covers in the file, and its description.
fn cell_sources(l: &Loaded, row: &Row) -> Vec<(String, String)> {
    row.fields
        .iter()
        .map(|(_, c)| {
            let origin = c.origin.as_ref().expect("cells from files have an origin");
            let text = l.sources.get(origin.span.file).text().clone();
            (
                text[origin.span.range()].to_string(),
                origin.describe.clone(),
            )
        })
        .collect()
}

fn ok_rows(l: &Loaded) -> Vec<&Row> {
    l.rows
        .iter()
        .map(|(i, r)| {
            let row = r.as_ref().unwrap_or_else(|d| panic!("row {i}: {d}"));
            assert_eq!(row.index, *i);
            row
        })
        .collect()
}

#[test]
fn csv_with_bom_and_crlf() {
    let l = load_ok("bom_crlf.csv");
    let rows = ok_rows(&l);
    assert_eq!(rows.len(), 2);
    assert_eq!(values(rows[0]), json!({"name": "Zoë", "price": "12.5"}));
    assert_eq!(values(rows[1]), json!({"name": "Ali", "price": "7"}));
    assert_eq!(
        cell_sources(&l, rows[1]),
        [
            ("Ali".into(), "row 2, column \"name\"".into()),
            ("7".into(), "row 2, column \"price\"".into())
        ]
    );
    assert!(l.warnings.is_empty());
}

#[test]
fn csv_cells_stay_literal_with_exact_spans() {
    let l = load_ok("quoted.csv");
    let rows = ok_rows(&l);
    assert_eq!(
        values(rows[0]),
        json!({"name": "Jane \"JJ\" Doe", "quote": "line one\nline two", "src": "../secret.mp4"})
    );
    assert_eq!(
        values(rows[1]),
        json!({"name": "Ali", "quote": "{{ secret }}", "src": "[0:v]; drawtext=text=x"})
    );
    assert_eq!(
        values(rows[2]),
        json!({"name": "a,b", "quote": "", "src": "trailing"})
    );
    let spans: Vec<String> = cell_sources(&l, rows[0]).into_iter().map(|c| c.0).collect();
    assert_eq!(
        spans,
        [
            "\"Jane \"\"JJ\"\" Doe\"",
            "\"line one\nline two\"",
            "../secret.mp4"
        ]
    );
    let spans: Vec<String> = cell_sources(&l, rows[2]).into_iter().map(|c| c.0).collect();
    assert_eq!(spans, ["\"a,b\"", "", "\"trailing\""]);
}

#[test]
fn csv_semicolon_and_tab_delimiters() {
    let options = DataOptions {
        delimiter: Some(data::parse_delimiter(";").unwrap()),
        ..DataOptions::default()
    };
    let l = load(&fixture("semicolon.csv"), &options).unwrap_or_else(|(_, d)| panic!("{d}"));
    let rows = ok_rows(&l);
    assert_eq!(
        values(rows[0]),
        json!({"name": "Dupont; Marie", "price": "3,50"})
    );
    assert_eq!(cell_sources(&l, rows[1])[0].0, "Le Roy");

    // `.tsv` defaults to tabs; `--delimiter tab` gives the same.
    let l = load_ok("tab.tsv");
    let rows = ok_rows(&l);
    assert_eq!(values(rows[1]), json!({"name": "Ali\tB", "city": "Paris"}));
    assert_eq!(data::parse_delimiter("tab").unwrap(), b'\t');
    assert!(data::parse_delimiter("ab").is_err());
    assert!(data::parse_delimiter("\"").is_err());
}

#[test]
fn csv_ragged_rows_fail_alone() {
    let l = load_ok("ragged.csv");
    assert_eq!(l.rows.len(), 4);
    assert!(l.rows[0].1.is_ok());
    assert!(l.rows[3].1.is_ok());
    assert_eq!(
        values(l.rows[3].1.as_ref().unwrap()),
        json!({"name": "Cy", "price": "4", "city": "Nice"})
    );
    let errors: Vec<Diagnostic> = l
        .rows
        .iter()
        .filter_map(|(_, r)| r.as_ref().err().cloned())
        .collect();
    assert_eq!(errors.len(), 2);
    assert!(
        errors[0]
            .message
            .contains("has 2 cells, but the header has 3 columns")
    );
    insta::assert_snapshot!("csv_ragged", render(&l.sources, &errors));
}

#[test]
fn csv_empty_header_only_and_duplicate_header() {
    let (sources, d) = load(&fixture("empty.csv"), &DataOptions::default()).unwrap_err();
    insta::assert_snapshot!("csv_empty", render(&sources, &[d]));

    let l = load_ok("header_only.csv");
    assert!(l.rows.is_empty());
    assert_eq!(l.warnings.len(), 1);
    insta::assert_snapshot!("csv_header_only", render(&l.sources, &l.warnings));

    let (sources, d) = load(&fixture("dup_header.csv"), &DataOptions::default()).unwrap_err();
    insta::assert_snapshot!("csv_duplicate_header", render(&sources, &[d]));
}

#[test]
fn csv_invalid_utf8_names_the_byte_offset() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.csv");
    // Row 2 holds "Zoë" in Latin-1: the 0xEB byte is at offset 22.
    std::fs::write(&path, b"name,city\nJane,Rome\nZo\xEB,Paris\nBo,Oslo\n").unwrap();
    let l = load(&path, &DataOptions::default()).unwrap_or_else(|(_, d)| panic!("{d}"));
    assert_eq!(l.rows.len(), 3);
    assert!(l.rows[0].1.is_ok() && l.rows[2].1.is_ok());
    let d = l.rows[1].1.as_ref().unwrap_err();
    assert!(d.message.contains("offset 22"), "{}", d.message);
    assert_eq!(d.span().unwrap().range(), 22..23);
    let text = render(&l.sources, std::slice::from_ref(d));
    let text = text.replace(&dir.path().display().to_string(), "[tmp]");
    insta::assert_snapshot!("csv_invalid_utf8", text);
}

#[test]
fn csv_one_megabyte_cell() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.csv");
    let big = "x".repeat(1 << 20);
    let text = format!("id,blob,after\n1,\"{big}\",end\n2,small,\"q\"\n");
    std::fs::write(&path, &text).unwrap();
    let l = load(&path, &DataOptions::default()).unwrap_or_else(|(_, d)| panic!("{d}"));
    let rows = ok_rows(&l);
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0].get("blob").unwrap().value.as_str().unwrap().len(),
        1 << 20
    );
    let after = rows[0].get("after").unwrap().origin.as_ref().unwrap();
    assert_eq!(&text[after.span.range()], "end");
    assert_eq!(cell_sources(&l, rows[1])[2].0, "\"q\"");
}

#[test]
fn json_array_keeps_types_and_spans() {
    let l = load_ok("rows.json");
    let rows = ok_rows(&l);
    assert_eq!(
        values(rows[0]),
        json!({"name": "Jane", "size": 64, "tags": ["a", "b"], "vip": true})
    );
    assert_eq!(values(rows[1]), json!({"name": "Ali", "size": null}));
    assert_eq!(
        cell_sources(&l, rows[0])[2],
        ("[\"a\", \"b\"]".into(), "row 1, field \"tags\"".into())
    );
}

#[test]
fn json_rows_object_with_a_non_object_row() {
    let l = load_ok("rows_object.json");
    assert_eq!(l.rows.len(), 3);
    assert_eq!(
        values(l.rows[0].1.as_ref().unwrap()),
        json!({"name": "Jane"})
    );
    assert_eq!(values(l.rows[2].1.as_ref().unwrap()), json!({"name": "Bo"}));
    let d = l.rows[1].1.as_ref().unwrap_err();
    insta::assert_snapshot!(
        "json_non_object_row",
        render(&l.sources, std::slice::from_ref(d))
    );
}

#[test]
fn json_syntax_error_ends_the_rows() {
    let l = load_ok("broken.json");
    assert_eq!(l.rows.len(), 2);
    assert!(l.rows[0].1.is_ok());
    let d = l.rows[1].1.as_ref().unwrap_err();
    insta::assert_snapshot!(
        "json_broken_row",
        render(&l.sources, std::slice::from_ref(d))
    );
}

#[test]
fn jsonl_rows_and_blank_lines() {
    let l = load_ok("rows.jsonl");
    let rows = ok_rows(&l);
    assert_eq!(rows.len(), 3);
    assert_eq!(values(rows[1]), json!({"name": "Ali", "size": "48"}));
    assert_eq!(rows[2].index, 2);
    assert_eq!(
        cell_sources(&l, rows[1])[1],
        ("\"48\"".into(), "row 2, field \"size\"".into())
    );
}

#[test]
fn jsonl_bad_lines_fail_alone() {
    let l = load_ok("bad_line.jsonl");
    assert_eq!(l.rows.len(), 4);
    assert!(l.rows[0].1.is_ok() && l.rows[3].1.is_ok());
    let errors: Vec<Diagnostic> = l
        .rows
        .iter()
        .filter_map(|(_, r)| r.as_ref().err().cloned())
        .collect();
    insta::assert_snapshot!("jsonl_bad_lines", render(&l.sources, &errors));
}

#[test]
fn format_from_option_overrides_extension() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.txt");
    std::fs::write(&path, "{\"a\": 1}\n{\"a\": 2}\n").unwrap();
    let options = DataOptions {
        format: Some(DataFormat::Jsonl),
        ..DataOptions::default()
    };
    let l = load(&path, &options).unwrap_or_else(|(_, d)| panic!("{d}"));
    assert_eq!(values(ok_rows(&l)[1]), json!({"a": 2}));
    let sources = SourceMap::new();
    let e = data::open(Path::new("rows.xlsx"), &sources, &DataOptions::default()).unwrap_err();
    assert!(
        e.message.contains("cannot tell the format"),
        "{}",
        e.message
    );
    let e = data::open(&fixture("missing.csv"), &sources, &DataOptions::default()).unwrap_err();
    assert_eq!(
        e.message,
        "cannot read `tests/fixtures/data/missing.csv`: no such file"
    );
}

#[test]
fn select_and_count_skip_without_building() {
    let sources = SourceMap::new();
    let options = DataOptions::default();
    // Rows 1 and 2 (index 1, 2) are ragged, but unselected rows are not checked.
    let picked: Vec<usize> = data::open(&fixture("ragged.csv"), &sources, &options)
        .unwrap()
        .select(|i| i % 3 == 0)
        .map(|(i, r)| {
            assert!(r.is_ok());
            i
        })
        .collect();
    assert_eq!(picked, [0, 3]);
    for (name, n) in [
        ("ragged.csv", 4),
        ("rows.jsonl", 3),
        ("bad_line.jsonl", 4),
        ("rows_object.json", 3),
    ] {
        assert_eq!(
            data::count(&fixture(name), &sources, &options).unwrap(),
            n,
            "{name}"
        );
    }
    let e = data::count(&fixture("broken.json"), &sources, &options).unwrap_err();
    assert!(e.message.contains("expected `,` or `}`"), "{}", e.message);
}

#[test]
fn set_values_are_strings() {
    assert_eq!(
        data::parse_set("brand=Acme=Co").unwrap(),
        ("brand".to_string(), json!("Acme=Co"))
    );
    assert_eq!(
        data::parse_set(" size =64").unwrap(),
        ("size".into(), json!("64"))
    );
    assert_eq!(
        data::parse_set("empty=").unwrap(),
        ("empty".into(), json!(""))
    );
    assert!(data::parse_set("novalue").is_err());
    assert!(data::parse_set("=x").is_err());
}
