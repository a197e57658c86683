//! Integration tests: edit (the typed model and validation) against the Shotstack corpus.

use std::path::{Path, PathBuf};

use reel::diagnostics::{Diagnostic, RenderConfig, SourceMap, render_text};
use reel::edit::{self, Edit, Origins, ValidateOptions, json_eq, validate};
use reel::template::Row;
use reel::template::data::{self, DataOptions};
use reel::template::json::{JsonTemplate, parse_spanned};

use crate::util;

/// Every corpus document (`tests/fixtures/shotstack/**/*.json`), sorted, relative names.
fn corpus() -> Vec<(String, PathBuf)> {
    let root = util::fixture("shotstack");
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
    let path = util::fixture("shotstack/watermark-demo/template.json");
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
    let path = util::fixture("shotstack/shotstack-cli/timeline-block0.json");
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

/// Validates a fixture of `tests/fixtures/edit/` and renders every diagnostic, colour off.
fn check_fixture(name: &str, opts: &ValidateOptions) -> String {
    let text = std::fs::read_to_string(util::fixture(&format!("edit/{name}"))).unwrap();
    let map = SourceMap::new();
    let file = map.add(name, text.as_str());
    let (json, origins) = parse_spanned(&text, file).unwrap();
    render(&map, validate(&json, &origins, opts))
}

fn render(map: &SourceMap, w: reel::diagnostics::Warned<Result<Edit, Vec<Diagnostic>>>) -> String {
    let mut all = w.output.err().unwrap_or_default();
    all.extend(w.warnings);
    render_text(&all, map, RenderConfig { color: false })
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
        ..ValidateOptions::default()
    };
    let out = check_fixture("missing-file.json", &opts);
    insta::assert_snapshot!(out);
}

#[test]
fn numbers_as_strings_warn_in_a_template() {
    let out = check_fixture("numbers-as-strings.json", &ValidateOptions::default());
    insta::assert_snapshot!(out);
}

/// Through the real pipeline (Shotstack JSON template × CSV rows): a number from a cell is
/// coerced silently; a non-numeric one is an error labelled at the template and at the cell.
#[test]
fn merge_fields_from_data_are_coerced_or_labelled_twice() {
    let map = SourceMap::new();
    let template =
        JsonTemplate::load(&map, Path::new("tests/fixtures/edit/merge-template.json")).unwrap();
    let csv = Path::new("tests/fixtures/edit/merge-rows.csv");
    let rows: Vec<Row> = data::open(csv, &map, &DataOptions::default())
        .unwrap()
        .map(|(_, r)| r.unwrap())
        .collect();
    let expand = |row: &Row| template.expand(row, false).output.unwrap();
    let first = expand(&rows[0]);
    let w = validate(&first.edit, &first.origins, &ValidateOptions::default());
    assert!(w.warnings.is_empty(), "{:?}", w.warnings);
    let edit = w.output.unwrap();
    let edit::Asset::RichText(text) = &edit.timeline.tracks[0].clips[0].asset else {
        panic!("rich-text");
    };
    assert_eq!(
        text.font.as_ref().unwrap().size,
        Some(reel::edit::FontSize::Px(64))
    );
    let second = expand(&rows[1]);
    let w = validate(&second.edit, &second.origins, &ValidateOptions::default());
    assert_eq!(w.output.as_ref().unwrap_err()[0].labels.len(), 2);
    insta::assert_snapshot!(render(&map, w));
}

/// The schematic document with a literal `"...": "..."` key gets one clear error.
#[test]
fn invalid_corpus_document_snapshot() {
    let path = util::fixture("shotstack/shotstack-cli/timeline-block0.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let map = SourceMap::new();
    let file = map.add("timeline-block0.json", text.as_str());
    let (json, origins) = parse_spanned(&text, file).unwrap();
    let w = validate(&json, &origins, &ValidateOptions::default());
    assert_eq!(w.output.as_ref().unwrap_err().len(), 1);
    insta::assert_snapshot!(render(&map, w));
}

/// `POSITION_VAR` (string substitution done by the demo's own code) is not a position: a clear
/// error listing the nine positions, not a silent default.
#[test]
fn watermark_placeholder_position_snapshot() {
    let path = util::fixture("shotstack/watermark-demo/template.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let map = SourceMap::new();
    let file = map.add("watermark-demo/template.json", text.as_str());
    let (json, origins) = parse_spanned(&text, file).unwrap();
    let w = validate(&json, &origins, &ValidateOptions::default());
    assert_eq!(w.output.as_ref().unwrap_err().len(), 1);
    insta::assert_snapshot!(render(&map, w));
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
        // As `reel` reads Shotstack JSON: placeholders filled from the `merge` defaults.
        let map = SourceMap::new();
        let expanded = JsonTemplate::load(&map, &path)
            .unwrap()
            .expand(&Row::default(), false)
            .output
            .unwrap();
        let json = expanded.edit;
        let w = validate(&json, &expanded.origins, &ValidateOptions::default());
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
    let path = util::fixture("shotstack/compress-video-demo/template.json");
    let opts = ValidateOptions {
        base_dir: path.parent().map(Path::to_path_buf),
        check_files: true,
        ..ValidateOptions::default()
    };
    let errors = validate(&read(&path), &Origins::new(), &opts)
        .output
        .unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].message, "file not found: `#`");
}
