//! Text from real spreadsheets (issue 10): `reel check` lays every row's text out and warns
//! about overflow and missing glyphs with the row and cell, collapsing repeats; `reel fonts`.

use std::path::Path;

use crate::util::{reel, run};

/// A 900×120 text box at 56 px fed by the `NAME` column.
fn card(dir: &Path, names: &[&str]) {
    let template = r##"{
  "timeline": { "tracks": [{ "clips": [{
    "asset": { "type": "text", "text": "{{ NAME }}", "width": 900, "height": 120,
               "font": { "family": "Open Sans", "size": 56, "color": "#ffffff" } },
    "start": 0, "length": 1 }] }] },
  "output": { "format": "png", "size": { "width": 960, "height": 540 } }
}"##;
    std::fs::write(dir.join("card.json"), template).unwrap();
    let mut csv = String::from("NAME\n");
    for n in names {
        csv.push_str(n);
        csv.push('\n');
    }
    std::fs::write(dir.join("names.csv"), csv).unwrap();
}

fn check(dir: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut cmd = reel(dir);
    cmd.args([
        "check",
        "card.json",
        "-d",
        "names.csv",
        "--ignore-system-fonts",
    ])
    .args(extra);
    run(&mut cmd)
}

#[test]
fn check_warns_when_a_rows_text_overflows_naming_row_and_cell() {
    let dir = tempfile::tempdir().unwrap();
    let long = "Maria Fernanda de los Santos Rodríguez y Villanueva-Castellanos";
    let word = "Wolfeschlegelsteinhausenbergerdorffvoralternwarengewissenhaft";
    card(dir.path(), &["Ana", long, word]);
    let (code, _, err) = check(dir.path(), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("text overflows its 900×120 box: 3 lines, 2 fit"),
        "{err}"
    );
    assert!(err.contains("from row 2, column \"NAME\""), "{err}");
    assert!(
        err.contains("the word `Wolfeschlegelsteinhausenbergerdorffvoralternwarengewissenhaft` is wider than the box"),
        "{err}"
    );
    assert!(err.contains("row 3, column \"NAME\""), "{err}");
    assert!(!err.contains("row 1,"), "the short name fits: {err}");
    // The same warnings as JSON, one object per line.
    let (_, _, json) = check(dir.path(), &["--message-format", "json"]);
    let overflow: Vec<serde_json::Value> = json
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| {
            v["message"]
                .as_str()
                .is_some_and(|m| m.contains("overflows"))
        })
        .collect();
    assert_eq!(overflow.len(), 2, "{json}");
    assert_eq!(overflow[0]["severity"], "warning");
    assert!(
        overflow[0].to_string().contains("row 2, column"),
        "{}",
        overflow[0]
    );
    // The data cell as fields of its own.
    assert_eq!(overflow[0]["row"], 2, "{}", overflow[0]);
    assert_eq!(overflow[0]["column"], "NAME", "{}", overflow[0]);
    assert_eq!(overflow[1]["row"], 3, "{}", overflow[1]);
    let cell = overflow[0]["labels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["file"].as_str().is_some_and(|f| f.ends_with("names.csv")))
        .expect("a label at the cell");
    assert_eq!(cell["cell"]["row"], 2, "{cell}");
    assert_eq!(cell["cell"]["column"], "NAME", "{cell}");
}

#[test]
fn a_missing_glyph_in_many_rows_is_one_warning_and_one_summary() {
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..30).map(|i| format!("Name{i} ꯀ")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    card(dir.path(), &refs);
    let (code, _, err) = check(dir.path(), &[]);
    assert_eq!(code, 0, "{err}");
    let mentions = err.matches("'ꯀ' (U+ABC0)").count();
    assert_eq!(mentions, 2, "{err}");
    assert!(err.contains("rows 2, 3 and 27 more: "), "{err}");
    assert!(err.contains("drawn as a box"), "{err}");
}

#[test]
fn fonts_lists_the_bundled_set_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = reel(dir.path());
    cmd.args(["fonts", "--ignore-system-fonts", "--json"]);
    let (code, out, err) = run(&mut cmd);
    assert_eq!(code, 0, "{err}");
    let faces: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(faces.len(), 18, "{out}");
    assert!(faces.iter().all(|f| f["origin"] == "bundled"));
    assert!(
        faces
            .iter()
            .any(|f| f["family"] == "Open Sans" && f["weight"] == 700)
    );
    // A --font-path directory adds its fonts (here: an empty one adds nothing).
    let mut cmd = reel(dir.path());
    cmd.args(["fonts", "--ignore-system-fonts", "--font-path", "."]);
    let (code, out, _) = run(&mut cmd);
    assert_eq!(
        (code, out.lines().filter(|l| !l.starts_with(' ')).count()),
        (0, 13)
    );
}

#[test]
fn summary_json_lists_each_rows_text_warnings() {
    if !crate::util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    card(dir.path(), &["Ana", "Ana ꯀ"]);
    let mut cmd = reel(dir.path());
    cmd.args(["render", "card.json", "-d", "names.csv", "-o", "out"])
        .arg("--ignore-system-fonts");
    let (code, _, err) = run(&mut cmd);
    assert_eq!(code, 0, "{err}");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/summary.json")).unwrap())
            .unwrap();
    let rows = summary["rows"].as_array().unwrap();
    assert!(rows[0].get("warnings").is_none(), "{}", rows[0]);
    let warnings = rows[1]["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{}", rows[1]);
    assert!(
        warnings[0].as_str().unwrap().contains("'ꯀ' (U+ABC0)"),
        "{}",
        warnings[0]
    );
}

/// `reel render` names the data cell of a text warning, shows it once in full and collapses
/// the other rows into one closing line (issue 10).
#[test]
fn render_shows_a_rows_glyph_warning_once_with_its_cell_and_collapses_the_rest() {
    if !crate::util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..12).map(|i| format!("Name{i} ꯀ")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    card(dir.path(), &refs);
    let mut cmd = reel(dir.path());
    cmd.args([
        "render",
        "card.json",
        "-d",
        "names.csv",
        "-o",
        "out",
        "-j",
        "1",
    ])
    .arg("--ignore-system-fonts");
    let (code, _, err) = run(&mut cmd);
    assert_eq!(code, 0, "{err}");
    assert_eq!(err.matches("'ꯀ' (U+ABC0)").count(), 2, "{err}");
    assert!(err.contains("from row 1, column \"NAME\""), "{err}");
    assert!(err.contains("rows 2, 3 and 9 more: "), "{err}");
    assert!(err.contains("also in row 1 above"), "{err}");
}

/// `reel still` draws with the same font set as `render` (system fonts included): a CJK name
/// is drawn with a Noto face, not as boxes.
#[test]
fn still_uses_the_system_fonts_like_render() {
    if !crate::util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("s.edit"),
        "output png sd\ntrack {\n  text \"王小明\" at 0 for 2 width=800 height=200 {\n    font.size = 80\n  }\n}\n",
    )
    .unwrap();
    let still = |extra: &[&str]| {
        let mut cmd = reel(dir.path());
        cmd.args(["still", "s.edit", "--at", "1", "-o", "s.png"])
            .args(extra);
        let (code, _, err) = run(&mut cmd);
        assert_eq!(code, 0, "{err}");
        err
    };
    let bundled = still(&["--ignore-system-fonts"]);
    assert!(bundled.contains("drawn as a box"), "{bundled}");
    let system = still(&[]);
    if system.contains("drawn as a box") {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI: no system font covers CJK: {system}"
        );
        eprintln!("skipped: install fonts-noto-cjk");
        return;
    }
    assert!(system.contains("Noto Sans CJK"), "{system}");
}

/// Installing a font re-renders only the rows it changes (issue 10): rows record the
/// discovered fonts they drew with, the faces of the families they asked for, and, when text
/// fell back or drew a box, the whole font set.
#[test]
fn a_new_font_re_renders_only_the_rows_it_changes() {
    if !crate::util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let template = r##"{
  "timeline": { "tracks": [{ "clips": [{
    "asset": { "type": "text", "text": "{{ NAME }}", "width": 400, "height": 100,
               "font": { "family": "{{ FAMILY }}", "size": 48, "color": "#ffffff" } },
    "start": 0, "length": 1 }] }] },
  "output": { "format": "png", "size": { "width": 480, "height": 270 } }
}"##;
    std::fs::write(dir.path().join("card.json"), template).unwrap();
    // Row 1: a bundled font; row 2: a family only the --font-path font has; row 3: a
    // character no font covers (a box).
    std::fs::write(
        dir.path().join("names.csv"),
        "NAME,FAMILY\nAna,Open Sans\nA,Reel COLR Test\nAna ꯀ,Open Sans\n",
    )
    .unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fonts");
    let fonts = dir.path().join("fonts");
    std::fs::create_dir(&fonts).unwrap();
    std::fs::copy(fixtures.join("reel-colr-test.ttf"), fonts.join("colr.ttf")).unwrap();
    let render = || {
        let mut cmd = reel(dir.path());
        cmd.env("REEL_CACHE_DIR", dir.path().join("cache"))
            .args(["render", "card.json", "-d", "names.csv", "-o", "out"])
            .args(["--ignore-system-fonts", "--font-path", "fonts"]);
        let (code, _, err) = run(&mut cmd);
        assert_eq!(code, 0, "{err}");
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("out/summary.json")).unwrap())
                .unwrap();
        let rows = summary["rows"].as_array().unwrap().clone();
        let status: Vec<String> = rows
            .iter()
            .map(|r| r["status"].as_str().unwrap().to_string())
            .collect();
        (status, rows)
    };
    let (status, _) = render();
    assert_eq!(status, ["rendered", "rendered", "rendered"]);
    let (status, _) = render();
    assert_eq!(status, ["skipped", "skipped", "skipped"], "nothing changed");

    // An unrelated family: only the row with a box could now be drawn differently.
    std::fs::copy(
        fixtures.join("reel-other-test.ttf"),
        fonts.join("other.ttf"),
    )
    .unwrap();
    let (status, rows) = render();
    assert_eq!(status, ["skipped", "skipped", "rendered"], "{rows:?}");
    assert!(
        rows[2]["reason"]
            .as_str()
            .unwrap()
            .contains("fonts changed"),
        "{rows:?}"
    );

    // A new face of the family row 2 asked for may change its pick.
    std::fs::copy(
        fixtures.join("reel-colr-test-bold.ttf"),
        fonts.join("colr-bold.ttf"),
    )
    .unwrap();
    let (status, rows) = render();
    assert_eq!(status, ["skipped", "rendered", "rendered"], "{rows:?}");
    assert!(
        rows[1]["reason"].as_str().unwrap().contains("reelcolrtest"),
        "{rows:?}"
    );

    // The font row 2 drew with changes.
    let mut bytes = std::fs::read(fonts.join("colr.ttf")).unwrap();
    bytes.extend_from_slice(&[0; 4]);
    std::fs::write(fonts.join("colr.ttf"), bytes).unwrap();
    let (status, rows) = render();
    assert_eq!(status[..2], ["skipped", "rendered"], "{rows:?}");
}
