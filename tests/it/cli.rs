//! Integration tests: the command line as a user runs it (check, build, import, exit codes).

use crate::util::{reel, run};

const TEMPLATE: &str = r#"output mp4 sd
track {
  text "Hi {{ name }}" at 0 for 2 position=topRight font.size=size
}
"#;

fn project(csv: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.edit"), TEMPLATE).unwrap();
    std::fs::write(dir.path().join("d.csv"), csv).unwrap();
    dir
}

#[test]
fn build_writes_the_coerced_edit_one_line_per_row() {
    let dir = project("name,size\nJane,48\nZoë,\"64\"\n");
    let (code, out, err) = run(reel(dir.path()).args(["build", "t.edit", "--data", "d.csv"]));
    assert_eq!(code, 0, "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    let font = &lines[1]["timeline"]["tracks"][0]["clips"][0]["asset"]["font"];
    // A CSV cell is text; the schema wants a number, and the output has one.
    assert_eq!(font["size"], serde_json::json!(64));
    assert_eq!(
        lines[1]["timeline"]["tracks"][0]["clips"][0]["asset"]["text"],
        "Hi Zoë"
    );
}

#[test]
fn check_points_at_the_template_and_the_cell_and_exits_1() {
    let dir = project("name,size\nJane,big\n");
    let (code, _, err) = run(reel(dir.path()).args(["check", "t.edit", "--data", "d.csv"]));
    assert_eq!(code, 1);
    assert!(err.contains("t.edit:3:"), "{err}");
    assert!(err.contains("d.csv:2:6"), "{err}");
    assert!(err.contains(r#"from row 1, column "size""#), "{err}");
    assert!(err.ends_with("1 row checked: 1 error\n"), "{err}");
}

#[test]
fn bad_usage_exits_2() {
    let dir = project("name,size\nJane,48\n");
    let (code, _, err) =
        run(reel(dir.path()).args(["check", "t.edit", "--data", "d.csv", "--rows", "x"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--rows"), "{err}");
}

#[test]
fn import_then_build_gives_back_the_shotstack_json() {
    let dir = tempfile::tempdir().unwrap();
    let src = crate::util::fixture("shotstack/oas-api-definition/render-example.json");
    let (code, edit, err) = run(reel(dir.path()).arg("import").arg(&src));
    assert_eq!(code, 0, "{err}");
    std::fs::write(dir.path().join("hello.edit"), edit).unwrap();
    let (code, out, err) = run(reel(dir.path()).args(["build", "hello.edit"]));
    assert_eq!(code, 0, "{err}");
    let original: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&src).unwrap()).unwrap();
    let rebuilt: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert!(reel::edit::json_eq(&original, &rebuilt), "{rebuilt:#}");
}

/// Every valid corpus document survives `reel import` then `reel build --keep-merge` unchanged:
/// placeholders stay in typed fields (`"color": "{{ACCENT}}"`, `"position": "POSITION_VAR"`),
/// and a `src` that is no file (`"#"`) is a warning there, not an error.
#[test]
fn every_corpus_document_round_trips_through_import_and_build_keep_merge() {
    let root = crate::util::fixture("shotstack");
    let mut docs = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                docs.push(p);
            }
        }
    }
    docs.sort();
    let mut checked = 0;
    for src in &docs {
        if src.ends_with("shotstack-cli/timeline-block0.json") {
            continue; // invalid on purpose (`"...": "..."` members)
        }
        let dir = tempfile::tempdir().unwrap();
        let (code, edit, err) = run(reel(dir.path()).arg("import").arg(src));
        assert_eq!(code, 0, "{}: {err}", src.display());
        std::fs::write(dir.path().join("t.edit"), &edit).unwrap();
        let (code, out, err) = run(reel(dir.path()).args(["build", "--keep-merge", "t.edit"]));
        assert_eq!(code, 0, "{}:\n{edit}\n{err}", src.display());
        assert!(!err.contains("rror"), "{}: {err}", src.display());
        let original: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(src).unwrap()).unwrap();
        let rebuilt: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        assert!(
            reel::edit::json_eq(&original, &rebuilt),
            "{}: round trip differs\n{rebuilt:#}",
            src.display()
        );
        // The JSON document itself builds too, placeholders kept.
        let (code, out, err) = run(reel(dir.path()).args(["build", "--keep-merge"]).arg(src));
        assert_eq!(code, 0, "{}: {err}", src.display());
        let mut direct: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        if direct["merge"] == serde_json::json!([]) && original.get("merge").is_none() {
            direct.as_object_mut().unwrap().remove("merge"); // `merge` lists no field
        }
        assert!(reel::edit::json_eq(&original, &direct), "{}", src.display());
        checked += 1;
    }
    assert!(checked >= 11, "only {checked} documents");
}

/// A missing local file: `build` writes the JSON with a warning, `check` (like `render`) fails.
#[test]
fn a_missing_file_is_a_warning_for_build_and_an_error_for_check() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.edit"),
        "output mp4 sd\ntrack {\n  image \"gone.png\" at 0 for 1\n}\n",
    )
    .unwrap();
    let (code, out, err) = run(reel(dir.path()).args(["build", "t.edit"]));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("file not found: `gone.png`"), "{err}");
    assert!(out.contains("gone.png"), "{out}");
    let (code, _, err) = run(reel(dir.path()).args(["check", "t.edit"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("file not found: `gone.png`"), "{err}");
    let (code, _, err) = run(reel(dir.path()).args(["render", "t.edit", "-o", "out"]));
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("file not found: `gone.png`"), "{err}");
}

/// A clip placed entirely off the canvas warns at the clip (one that a slide brings in does
/// not); `destinations` that opt out of hosting (`exclude: true`) do not warn, others do.
#[test]
fn off_canvas_clips_and_uploading_destinations_warn() {
    let dir = tempfile::tempdir().unwrap();
    let edit = r#"
track {
  text "gone" at 0 for 1 offset.x=2
  text "here" at 0 for 1 offset.x=0.3
  text "comes in" at 1 for 1 {
    offset.x = [ { from: 1.2, to: 0, start: 0, length: 1 } ]
  }
}
"#;
    let graph = |dest: &str| {
        let text = format!("output mp4 320x180{dest}{edit}");
        std::fs::write(dir.path().join("t.edit"), text).unwrap();
        let (code, _, err) = run(reel(dir.path())
            .args(["graph", "t.edit"])
            .env("REEL_CACHE_DIR", dir.path().join("cache")));
        assert_eq!(code, 0, "{err}");
        err
    };
    let err = graph("");
    assert_eq!(
        err.matches("placed entirely off the canvas").count(),
        1,
        "{err}"
    );
    assert!(err.contains("t.edit:3:3"), "at the gone clip: {err}");
    assert!(!err.contains("destinations"), "{err}");
    let opt_out = r#"{ provider: "shotstack", exclude: true }"#;
    let err = graph(&format!(" destinations=[ {opt_out} ]"));
    assert!(!err.contains("destinations"), "{err}");
    let err = graph(r#" destinations=[ { provider: "s3" } ]"#);
    assert!(
        err.contains("`output.destinations` is not supported"),
        "{err}"
    );
}

/// Every example the README points at still checks clean and resolves (media probed, layers
/// drawn) to an ffmpeg command: examples are documentation, so they must not rot.
#[test]
fn every_example_checks_and_resolves() {
    let examples = crate::util::root().join("examples");
    let mut found = Vec::new();
    for dir in std::fs::read_dir(&examples).unwrap() {
        let dir = dir.unwrap().path();
        for f in std::fs::read_dir(&dir).into_iter().flatten() {
            let f = f.unwrap().path();
            let edit = f.extension().is_some_and(|e| e == "edit");
            let json_with_data =
                f.extension().is_some_and(|e| e == "json") && dir.ends_with("shotstack");
            if edit || json_with_data {
                found.push(f);
            }
        }
    }
    found.sort();
    assert!(found.len() >= 7, "{found:?}");
    let ffmpeg = crate::util::have_ffmpeg();
    let cache = tempfile::tempdir().unwrap();
    for f in &found {
        let dir = f.parent().unwrap();
        let name = f.file_name().unwrap().to_str().unwrap();
        let mut args = vec!["check", name];
        let csv = dir.join("names.csv");
        if name.ends_with(".json") && csv.exists() {
            args.extend(["--data", "names.csv"]);
        }
        let (code, _, err) = run(reel(dir).args(&args));
        assert_eq!(code, 0, "reel check {}: {err}", f.display());
        assert!(
            !err.contains("warning"),
            "reel check {}: {err}",
            f.display()
        );
        if ffmpeg {
            args[0] = "graph";
            let (code, out, err) = run(reel(dir).args(&args).env("REEL_CACHE_DIR", cache.path()));
            assert_eq!(code, 0, "reel graph {}: {err}", f.display());
            assert!(
                out.starts_with("ffmpeg"),
                "reel graph {}: {out}",
                f.display()
            );
        }
    }
}
