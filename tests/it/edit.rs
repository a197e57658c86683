//! Integration tests: edit (the typed model and validation) against the Shotstack corpus.

use std::path::{Path, PathBuf};

use reel::diagnostics::{Diagnostic, FileId, RenderConfig, SourceMap, Span, render_text};
use reel::edit::origins::{CellRef, Origin};
use reel::edit::{self, Edit, Origins, ValidateOptions, json_eq, validate};

use crate::util;

/// Every corpus document (`shared/shotstack/templates/**/*.json`), sorted, relative names.
fn corpus() -> Vec<(String, PathBuf)> {
    let root = util::shared("shotstack/templates");
    let mut out = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("corpus folder") {
            let path = entry.expect("corpus entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                let rel = path.strip_prefix(&root).unwrap().display().to_string();
                out.push((rel, path));
            }
        }
    }
    out.sort();
    out
}

fn read(path: &PathBuf) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Documents that the model cannot (and should not) read as they are.
const INVALID: &[&str] = &[
    // literal `"...": "..."` key: a schematic, invalid on purpose
    "shotstack-cli/timeline-block0.json",
    // `position: "POSITION_VAR"`, a string-substitution placeholder, not an enum value
    "watermark-demo/template.json",
];

#[test]
fn corpus_has_twelve_documents() {
    assert_eq!(corpus().len(), 12, "{:?}", corpus());
}

#[test]
fn corpus_round_trips_through_the_model() {
    for (name, path) in corpus() {
        let json = read(&path);
        let parsed = serde_json::from_value::<Edit>(json.clone());
        if INVALID.contains(&name.as_str()) {
            assert!(parsed.is_err(), "{name} should not deserialise");
            continue;
        }
        let edit = parsed.unwrap_or_else(|e| panic!("{name}: {e}"));
        let back = serde_json::to_value(&edit).unwrap();
        assert!(json_eq(&json, &back), "{name} changed:\n{json:#}\n{back:#}");
    }
}

#[test]
fn watermark_round_trips_once_its_placeholder_is_filled() {
    let path = util::shared("shotstack/templates/watermark-demo/template.json");
    let mut json = read(&path);
    json["timeline"]["tracks"][0]["clips"][0]["position"] = "bottomRight".into();
    let edit: Edit = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(
        edit.timeline.tracks[0].clips[0].position,
        Some(edit::Position::BottomRight)
    );
    assert!(json_eq(&json, &serde_json::to_value(&edit).unwrap()));
}

#[test]
fn model_reads_smart_clip_timing_and_asset_kinds() {
    let path = util::shared("shotstack/templates/shotstack-cli/timeline-block0.json");
    let mut json = read(&path);
    json["timeline"]["tracks"][0]["clips"][0]["asset"]
        .as_object_mut()
        .unwrap()
        .remove("...");
    let edit: Edit = serde_json::from_value(json.clone()).unwrap();
    let clips: Vec<_> = edit.clips().map(|(_, _, c)| c).collect();
    assert_eq!(clips[0].length, edit::Length::End);
    assert_eq!(clips[1].length, edit::Length::Auto);
    assert_eq!(clips[0].asset.kind_name(), "rich-caption");
    assert_eq!(clips[0].asset.src(), Some("alias://voice"));
    assert_eq!(clips[1].alias.as_deref(), Some("voice"));
    assert!(json_eq(&json, &serde_json::to_value(&edit).unwrap()));
}

/// Origins for a JSON text: the span of every value, by pointer. A small stand-in for
/// `template::json::parse_spanned`, enough for well-formed test documents.
fn spanned(text: &str, file: FileId) -> Origins {
    let mut origins = Origins::new();
    let bytes = text.as_bytes();
    let mut pos = 0;
    value_spans(bytes, &mut pos, &mut String::new(), file, &mut origins);
    origins
}

fn skip_ws(b: &[u8], pos: &mut usize) {
    while *pos < b.len() && (b[*pos].is_ascii_whitespace() || b[*pos] == b',' || b[*pos] == b':') {
        *pos += 1;
    }
}

fn string_end(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while b[i] != b'"' {
        i += if b[i] == b'\\' { 2 } else { 1 };
    }
    i + 1
}

fn value_spans(b: &[u8], pos: &mut usize, ptr: &mut String, file: FileId, o: &mut Origins) {
    skip_ws(b, pos);
    let start = *pos;
    match b[start] {
        open @ (b'{' | b'[') => {
            *pos += 1;
            let mut index = 0;
            loop {
                skip_ws(b, pos);
                if b[*pos] == b'}' || b[*pos] == b']' {
                    *pos += 1;
                    break;
                }
                let len = ptr.len();
                if open == b'{' {
                    let end = string_end(b, *pos);
                    let key: String = serde_json::from_slice(&b[*pos..end]).unwrap();
                    ptr.push('/');
                    ptr.push_str(&edit::origins::pointer_segment(&key));
                    *pos = end;
                } else {
                    ptr.push_str(&format!("/{index}"));
                    index += 1;
                }
                value_spans(b, pos, ptr, file, o);
                ptr.truncate(len);
            }
        }
        b'"' => *pos = string_end(b, start),
        _ => {
            while *pos < b.len() && !b",}] \n\r\t".contains(&b[*pos]) {
                *pos += 1;
            }
        }
    }
    let span = Span::new(file, start..*pos);
    o.insert(ptr.clone(), Origin { span, cell: None });
}

/// Validates a fixture of `tests/fixtures/edit/` and renders every diagnostic, colour off.
fn check_fixture(name: &str, opts: &ValidateOptions) -> String {
    let text = std::fs::read_to_string(util::fixture(&format!("edit/{name}"))).unwrap();
    let map = SourceMap::new();
    let file = map.add(name, text.as_str());
    let origins = spanned(&text, file);
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    render(&map, validate(&json, &origins, opts))
}

fn render(map: &SourceMap, w: reel::diagnostics::Warned<Result<Edit, Vec<Diagnostic>>>) -> String {
    let mut all = w.output.err().unwrap_or_default();
    all.extend(w.warnings);
    render_text(&all, map, RenderConfig { color: false })
}

#[test]
fn spanned_origins_point_at_values() {
    let text = r#"{"a": [1, {"b": "x"}], "c": true}"#;
    let o = spanned(text, FileId(0));
    let at = |p: &str| &text[o.get(p).unwrap().span.range()];
    assert_eq!(at("/a/1/b"), "\"x\"");
    assert_eq!(at("/a/0"), "1");
    assert_eq!(at("/c"), "true");
    assert_eq!(at(""), text);
}

#[test]
fn unknown_property_snapshot() {
    let out = check_fixture("unknown-property.json", &ValidateOptions::default());
    insta::assert_snapshot!(out);
}

#[test]
fn wrong_enum_snapshot() {
    let out = check_fixture("wrong-enum.json", &ValidateOptions::default());
    insta::assert_snapshot!(out);
}

#[test]
fn out_of_range_snapshot() {
    let out = check_fixture("out-of-range.json", &ValidateOptions::default());
    insta::assert_snapshot!(out);
}

#[test]
fn missing_required_snapshot() {
    let out = check_fixture("missing-required.json", &ValidateOptions::default());
    insta::assert_snapshot!(out);
}

#[test]
fn overlap_warning_snapshot() {
    let out = check_fixture("overlap.json", &ValidateOptions::default());
    insta::assert_snapshot!(out);
}

#[test]
fn unknown_alias_snapshot() {
    let out = check_fixture("unknown-alias.json", &ValidateOptions::default());
    insta::assert_snapshot!(out);
}

#[test]
fn missing_file_snapshot() {
    let opts = ValidateOptions {
        base_dir: Some(PathBuf::from("tests/fixtures/edit")),
        check_files: true,
    };
    let out = check_fixture("missing-file.json", &opts);
    insta::assert_snapshot!(out);
}

#[test]
fn numbers_as_strings_warn_in_a_template() {
    let out = check_fixture("numbers-as-strings.json", &ValidateOptions::default());
    insta::assert_snapshot!(out);
}

/// A non-numeric value from a data cell is labelled at the template and at the cell.
#[test]
fn not_a_number_from_data_snapshot() {
    let json_text = std::fs::read_to_string(util::fixture("edit/not-a-number.json")).unwrap();
    let csv_text = std::fs::read_to_string(util::fixture("edit/not-a-number.csv")).unwrap();
    let map = SourceMap::new();
    let file = map.add("not-a-number.json", json_text.as_str());
    let csv = map.add("not-a-number.csv", csv_text.as_str());
    let mut origins = spanned(&json_text, file);
    let ptr = "/timeline/tracks/0/clips/0/asset/font/size";
    let span = origins.get(ptr).unwrap().span;
    let at = csv_text.find("big").unwrap();
    let cell = CellRef {
        span: Span::new(csv, at..at + 3),
        describe: "row 1, column \"size\"".into(),
    };
    origins.insert(
        ptr,
        Origin {
            span,
            cell: Some(cell),
        },
    );
    let json: serde_json::Value = serde_json::from_str(&json_text).unwrap();
    let w = validate(&json, &origins, &ValidateOptions::default());
    let errors = w.output.as_ref().unwrap_err();
    assert_eq!(errors[0].labels.len(), 2);
    insta::assert_snapshot!(render(&map, w));
}

/// The schematic document with a literal `"...": "..."` key gets one clear error.
#[test]
fn invalid_corpus_document_snapshot() {
    let path = util::shared("shotstack/templates/shotstack-cli/timeline-block0.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let map = SourceMap::new();
    let file = map.add("timeline-block0.json", text.as_str());
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let w = validate(&json, &spanned(&text, file), &ValidateOptions::default());
    assert_eq!(w.output.as_ref().unwrap_err().len(), 1);
    insta::assert_snapshot!(render(&map, w));
}

/// `POSITION_VAR` (string substitution done by the demo's own code) is not a position: a clear
/// error listing the nine positions, not a silent default.
#[test]
fn watermark_placeholder_position_snapshot() {
    let path = util::shared("shotstack/templates/watermark-demo/template.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let map = SourceMap::new();
    let file = map.add("watermark-demo/template.json", text.as_str());
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let w = validate(&json, &spanned(&text, file), &ValidateOptions::default());
    assert_eq!(w.output.as_ref().unwrap_err().len(), 1);
    insta::assert_snapshot!(render(&map, w));
}

/// Replaces `{{NAME}}` in strings by the `merge` array's values, as Shotstack does before
/// rendering (the real implementation is `template::json`; this is enough for the corpus).
fn apply_merge(doc: &mut serde_json::Value) {
    let fields: Vec<(String, serde_json::Value)> = doc
        .get("merge")
        .and_then(|m| m.as_array())
        .map(|m| {
            m.iter()
                .map(|f| {
                    (
                        f["find"].as_str().unwrap().to_string(),
                        f["replace"].clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    fn walk(v: &mut serde_json::Value, fields: &[(String, serde_json::Value)]) {
        match v {
            serde_json::Value::String(s) => {
                for (find, replace) in fields {
                    let text = replace.as_str().map_or(replace.to_string(), String::from);
                    *s = s.replace(&format!("{{{{{find}}}}}"), &text);
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|i| walk(i, fields)),
            serde_json::Value::Object(map) => map
                .iter_mut()
                .filter(|(k, _)| *k != "merge")
                .for_each(|(_, i)| walk(i, fields)),
            _ => {}
        }
    }
    walk(doc, &fields);
}

/// Every valid corpus document validates without errors, and the typed result serialises back
/// to the (merged) input. The only warning: the canonical Hello World lets its title (0–4 s) and
/// image (3–7 s) overlap on one track, where Shotstack's drawing order is undefined.
#[test]
fn corpus_validates() {
    for (name, path) in corpus() {
        if INVALID.contains(&name.as_str()) {
            continue;
        }
        let mut json = read(&path);
        apply_merge(&mut json);
        let w = validate(&json, &Origins::new(), &ValidateOptions::default());
        let rendered: Vec<String> = w.warnings.iter().map(|d| d.to_string()).collect();
        let expected: &[&str] = match name.as_str() {
            "oas-api-definition/render-example.json" => {
                &["warning: clip 2 on track 1 overlaps clip 1 on track 1"]
            }
            _ => &[],
        };
        assert_eq!(rendered, expected, "{name}");
        let edit = w.output.unwrap_or_else(|e| panic!("{name}: {e:#?}"));
        let back = serde_json::to_value(&edit).unwrap();
        assert!(json_eq(&json, &back), "{name} changed");
    }
}

/// Local-file checking on the corpus: `compress-video-demo`'s `src: "#"` is a placeholder its
/// code fills in, so it is reported as a missing file.
#[test]
fn corpus_placeholder_src_is_a_missing_file() {
    let path = util::shared("shotstack/templates/compress-video-demo/template.json");
    let opts = ValidateOptions {
        base_dir: path.parent().map(Path::to_path_buf),
        check_files: true,
    };
    let errors = validate(&read(&path), &Origins::new(), &opts)
        .output
        .unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].message, "file not found: `#`");
}
