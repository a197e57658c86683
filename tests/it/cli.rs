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
