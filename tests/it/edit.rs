//! Integration tests: edit (the typed model and validation) against the Shotstack corpus.

use std::path::PathBuf;

use reel::edit::{self, Edit, json_eq};

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
