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

/// Issue 11: an unknown key is suggested from the clip's and the asset's keys and their
/// nested keys, and a bare word after an unknown key is not "an undefined variable".
#[test]
fn unknown_keys_are_suggested_from_the_whole_vocabulary() {
    let dir = tempfile::tempdir().unwrap();
    let t = "output mp4 sd\ntrack {\n  text \"a\" at 0 for 2 opacty=0.5 positon=center\n  \
             rich-text \"x\" at 2 for 2 transition.in=fadee { lineHeight = 1.1 }\n}\n";
    std::fs::write(dir.path().join("t.edit"), t).unwrap();
    let (code, _, err) = run(reel(dir.path()).args(["check", "t.edit"]));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("did you mean `opacity`? (a clip property)"),
        "{err}"
    );
    assert!(err.contains("unknown property `positon`"), "{err}");
    assert!(
        err.contains("did you mean `position`? (a clip property)"),
        "{err}"
    );
    assert!(!err.contains("undefined variable"), "{err}");
    assert!(err.contains("did you mean `style.lineHeight`?"), "{err}");
    assert!(err.contains("did you mean `fade`?"), "{err}");
    assert!(err.ends_with("1 row checked: 4 errors\n"), "{err}");
}

/// Issue 11: `check` says what it checked when all is well.
#[test]
fn check_prints_one_summary_line_on_success() {
    let dir = project("name,size\nJane,48\nZoë,64\n");
    let (code, out, err) = run(reel(dir.path()).args(["check", "t.edit", "--data", "d.csv"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "");
    assert_eq!(err, "2 rows checked: no problems\n");
}

/// Issue 11: `number` and `money` with decimals and locale; a bad amount points at the cell.
#[test]
fn number_and_money_filters_format_per_locale_and_name_the_cell() {
    let dir = tempfile::tempdir().unwrap();
    let t = r#"output mp4 sd
track {
  text "{{ price | money("CHF", 0, "de-CH") }} / {{ price | number(1, "de") }} / {{ price | money("EUR", none, "fr") }}" at 0 for 2
}
"#;
    std::fs::write(dir.path().join("t.edit"), t).unwrap();
    std::fs::write(dir.path().join("d.csv"), "price\n3890000\n\"675,000\"\n").unwrap();
    let (code, out, err) = run(reel(dir.path()).args(["build", "t.edit", "--data", "d.csv"]));
    assert_eq!(code, 1, "{err}");
    let first: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(
        first["timeline"]["tracks"][0]["clips"][0]["asset"]["text"],
        "CHF\u{a0}3’890’000 / 3.890.000,0 / 3\u{202f}890\u{202f}000,00\u{a0}€"
    );
    assert!(err.contains("\"675,000\" is not a number"), "{err}");
    assert!(err.contains("d.csv:3:"), "{err}");
    assert!(err.contains(r#"from row 2, column "price""#), "{err}");
}

/// Issue 11: JSON data can name its rows member, in the template or on the command line; a
/// missing one lists the members and suggests the array.
#[test]
fn json_data_names_its_rows_member() {
    let dir = tempfile::tempdir().unwrap();
    let t = "output mp4 sd\ndata \"m.json\" rows=\"matches\"\ntrack {\n  text \"{{ home }}\" at 0 for 2\n}\n";
    std::fs::write(dir.path().join("t.edit"), t).unwrap();
    std::fs::write(
        dir.path().join("k.edit"),
        t.replace(" rows=\"matches\"", ""),
    )
    .unwrap();
    let json = r#"{"season": 2026, "matches": [{"home": "A"}, {"home": "C"}]}"#;
    std::fs::write(dir.path().join("m.json"), json).unwrap();
    let (code, out, err) = run(reel(dir.path()).args(["build", "t.edit"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 2, "{out}");
    let (code, _, err) = run(reel(dir.path()).args(["check", "k.edit"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no `rows` array"), "{err}");
    assert!(err.contains("`--rows-key matches`"), "{err}");
    let (code, _, err) = run(reel(dir.path()).args(["check", "k.edit", "--rows-key", "matches"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(err, "2 rows checked: no problems\n");
}

/// Issue 11: `reel fmt --check` prints a diff and exits 1; `reel fmt` rewrites in place,
/// keeping comments; a file with syntax errors is reported, not rewritten.
#[test]
fn fmt_checks_rewrites_and_keeps_comments() {
    let dir = tempfile::tempdir().unwrap();
    let messy = "\n// promo\noutput mp4 sd   \ntrack {\ntext \"hi\" at 0 for 1 { // big\n      font.size = 40\n}\n\n\n}\n";
    let tidy = "// promo\noutput mp4 sd\ntrack {\n  text \"hi\" at 0 for 1 { // big\n    font.size = 40\n  }\n}\n";
    std::fs::write(dir.path().join("t.edit"), messy).unwrap();
    let (code, out, err) = run(reel(dir.path()).args(["fmt", "--check", "t.edit"]));
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("+++ t.edit (formatted)"), "{out}");
    assert!(out.contains("\n-      font.size = 40\n"), "{out}");
    assert!(out.contains("\n+    font.size = 40\n"), "{out}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("t.edit")).unwrap(),
        messy
    );
    let (code, _, err) = run(reel(dir.path()).args(["fmt", "."]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("t.edit")).unwrap(),
        tidy
    );
    let (code, out, _) = run(reel(dir.path()).args(["fmt", "--check", "t.edit"]));
    assert_eq!((code, out.as_str()), (0, ""));
    std::fs::write(dir.path().join("bad.edit"), "track {\n  vidoe \"a\"\n").unwrap();
    let (code, _, err) = run(reel(dir.path()).args(["fmt", "bad.edit"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("unclosed `{`"), "{err}");
}

/// Every command's `--help` teaches by example, and the global flags don't repeat their
/// value lists in every page (issue 11 item 9).
#[test]
fn every_command_help_has_examples() {
    let dir = tempfile::tempdir().unwrap();
    for cmd in [
        "check", "build", "render", "watch", "still", "graph", "assets", "import", "probe",
        "summary", "fmt", "fonts",
    ] {
        let (code, out, err) =
            crate::util::run(crate::util::reel(dir.path()).args([cmd, "--help"]));
        assert_eq!(code, 0, "{cmd}: {err}");
        assert!(
            out.contains(&format!("reel {cmd} ")),
            "{cmd}: no example\n{out}"
        );
        assert!(
            !out.contains("Possible values:"),
            "{cmd}: long value lists\n{out}"
        );
    }
}
