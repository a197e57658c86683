//! Integration tests: `reel render` batches and `reel summary`, driving the real binary on a
//! real template with real ffmpeg renders (160x90, 1 s).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{fixture, have_ffmpeg, reel, run};

/// A temporary project: the batch fixtures plus generated PNG assets.
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new() -> Project {
        let dir = tempfile::tempdir().expect("tempdir");
        for f in ["tiny.edit", "rows.csv", "long-names.csv"] {
            std::fs::copy(fixture("batch").join(f), dir.path().join(f)).expect("copy fixture");
        }
        std::fs::create_dir(dir.path().join("assets")).unwrap();
        let p = Project { dir };
        p.make_png("red.png", "red");
        p.make_png("blue.png", "blue");
        p
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn make_png(&self, name: &str, colour: &str) {
        let status = Command::new("ffmpeg")
            .args([
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
            ])
            .arg(format!("color=c={colour}:s=64x36"))
            .args(["-frames:v", "1"])
            .arg(self.path("assets").join(name))
            .status()
            .expect("ffmpeg");
        assert!(status.success());
    }

    /// `reel render tiny.edit --data rows.csv -o out` plus `extra`.
    fn render(&self, extra: &[&str]) -> Command {
        let mut c = reel(self.dir.path());
        c.args(["render", "tiny.edit", "--data", "rows.csv", "-o", "out"])
            .args(extra);
        c
    }

    fn summary(&self, name: &str) -> Value {
        let text = std::fs::read_to_string(self.path("out").join(name)).expect("summary file");
        serde_json::from_str(&text).expect("summary json")
    }

    /// Video files in out/ (no hidden files, no summaries), sorted.
    fn outputs(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.path("out"))
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.retain(|n| n.ends_with(".mp4"));
        names.sort();
        names
    }
}

/// Rows of a summary with this status, as 1-based row numbers.
fn rows_with(summary: &Value, status: &str) -> Vec<u64> {
    summary["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["status"] == status)
        .map(|r| r["row"].as_u64().unwrap())
        .collect()
}

fn output_name(row: u64) -> String {
    format!("card-{row}.mp4")
}

fn probe_size_and_duration(path: &Path) -> (String, f64) {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height:format=duration",
        ])
        .args(["-of", "default=noprint_wrappers=1"])
        .arg(path)
        .output()
        .expect("ffprobe");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k))
            .unwrap_or("")
            .to_string()
    };
    let size = format!("{}x{}", field("width="), field("height="));
    (size, field("duration=").parse().unwrap_or(0.0))
}

#[test]
fn batch_of_thirty_with_two_broken_rows_renders_28_and_names_both() {
    if !have_ffmpeg() {
        return;
    }
    let p = Project::new();
    let (code, _out, err) = run(p.render(&["-j", "2"]).stdin(Stdio::null()));
    assert_eq!(code, 1, "{err}");
    let outputs = p.outputs();
    assert_eq!(outputs.len(), 28, "{outputs:?}\n{err}");
    assert!(!outputs.contains(&output_name(7)) && !outputs.contains(&output_name(19)));
    let (size, duration) = probe_size_and_duration(&p.path("out").join(output_name(1)));
    assert_eq!(size, "160x90");
    assert!((duration - 1.0).abs() < 0.15, "{duration}");

    let summary = p.summary("summary.json");
    assert_summary_schema(&summary);
    assert_eq!(rows_with(&summary, "failed"), vec![7, 19]);
    assert_eq!(rows_with(&summary, "rendered").len(), 28);
    let rows = summary["rows"].as_array().unwrap();
    let error = |row: usize| rows[row - 1]["error"].as_str().unwrap_or("").to_string();
    assert!(
        error(7).contains("abc") || error(7).contains("scale"),
        "row 7: {}",
        error(7)
    );
    assert!(error(19).contains("missing.png"), "row 19: {}", error(19));
    // The diagnostics point at the data cell, and the table names both rows.
    assert!(err.contains("rows.csv"), "{err}");
    assert!(err.contains("28 rendered, 2 failed"), "{err}");
    assert!(
        !p.path("out").read_dir().unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains(".part"))
    );

    // Nothing changed: a rerun skips every good row and still reports the two bad ones.
    let (code, _, err) = run(&mut p.render(&[]));
    assert_eq!(code, 1, "{err}");
    let again = p.summary("summary.json");
    assert_eq!(rows_with(&again, "skipped").len(), 28);
    assert!(rows_with(&again, "rendered").is_empty());
}

/// Waits for `child` to exit, at most `limit`.
fn wait_with_limit(child: &mut std::process::Child, limit: Duration) -> i32 {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status.code().unwrap_or(-1);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("reel did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn interrupted_batch_exits_130_leaves_no_part_and_resumes() {
    if !have_ffmpeg() {
        return;
    }
    let p = Project::new();
    let mut child = p
        .render(&["-j", "1"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn reel");
    let start = Instant::now();
    while p.outputs().len() < 3 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no outputs appeared"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "reel finished before it could be interrupted"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // A second run on the same output directory is refused while the first holds the lock.
    let (code, _, err) = run(&mut p.render(&[]));
    assert_eq!(code, 1, "{err}");
    let holder = format!(
        "another reel is writing to `out`: `reel render` (pid {}",
        child.id()
    );
    assert!(err.contains(&holder), "{err}");

    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let code = wait_with_limit(&mut child, Duration::from_secs(30));
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(code, 130, "{err}");
    let leftovers: Vec<String> = std::fs::read_dir(p.path("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".part"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let summary = p.summary("summary.json");
    assert_summary_schema(&summary);
    assert_eq!(summary["interrupted"], true);
    let done = rows_with(&summary, "rendered");
    assert_eq!(done.len(), p.outputs().len());
    assert!(done.len() < 28, "interrupted too late to test resuming");
    assert!(!rows_with(&summary, "not-started").is_empty());
    // The progress said so, with the real counts: rows finished, never filled up to N/N.
    assert!(err.contains("interrupted: "), "{err}");
    let counters: Vec<(usize, usize)> = err
        .lines()
        .filter_map(|l| {
            let (k, n) = l.strip_prefix('[')?.split_once(']')?.0.split_once('/')?;
            Some((k.parse().ok()?, n.parse().ok()?))
        })
        .collect();
    let &(last, total) = counters.last().expect("progress lines");
    assert!(last < total, "{err}");
    let finished = rows_with(&summary, "rendered").len() + rows_with(&summary, "failed").len();
    assert!(
        last >= done.len() && last <= finished,
        "{last} of {total}\n{err}"
    );

    let (code, _, err) = run(&mut p.render(&["-j", "2"]));
    assert_eq!(code, 1, "{err}");
    let resumed = p.summary("summary.json");
    assert_eq!(
        rows_with(&resumed, "skipped"),
        done,
        "rows finished before the interrupt are skipped"
    );
    assert_eq!(rows_with(&resumed, "rendered").len(), 28 - done.len());
    assert_eq!(p.outputs().len(), 28);
}

#[test]
fn changing_one_asset_rerenders_exactly_the_rows_that_use_it() {
    if !have_ffmpeg() {
        return;
    }
    let p = Project::new();
    let (code, _, err) = run(&mut p.render(&["--rows", "1-6"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(p.outputs().len(), 6);

    p.make_png("blue.png", "green");
    let (code, out, err) = run(&mut p.render(&["--rows", "1-6", "--dry-run"]));
    assert_eq!(code, 0, "{err}");
    let changed: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("asset changed: assets/blue.png"))
        .collect();
    assert_eq!(changed.len(), 2, "{out}");
    assert!(
        changed[0].trim_start().starts_with("3 ") && changed[1].trim_start().starts_with("6 "),
        "{out}"
    );
    assert_eq!(
        out.lines().filter(|l| l.contains("up to date")).count(),
        4,
        "{out}"
    );

    let (code, _, err) = run(&mut p.render(&["--rows", "1-6"]));
    assert_eq!(code, 0, "{err}");
    let summary = p.summary("summary.json");
    assert_eq!(rows_with(&summary, "rendered"), vec![3, 6]);
    assert_eq!(rows_with(&summary, "skipped"), vec![1, 2, 4, 5]);
    assert_eq!(
        summary["rows"][2]["reason"],
        "asset changed: assets/blue.png"
    );
}

#[test]
fn three_shards_render_every_row_exactly_once_and_summary_merges_them() {
    if !have_ffmpeg() {
        return;
    }
    let p = Project::new();
    let mut rendered = Vec::new();
    for k in 0..3 {
        let shard = format!("{k}/3");
        let (code, _, err) = run(&mut p.render(&["--rows", "1-12", "--shard", &shard]));
        // Row 7 (bad `scale`) belongs to shard 0 (index 6 % 3 == 0).
        assert_eq!(code, if k == 0 { 1 } else { 0 }, "shard {shard}: {err}");
        let s = p.summary(&format!("summary-{k}-of-3.json"));
        assert_eq!(s["shard"], shard.as_str());
        for row in rows_with(&s, "rendered") {
            assert_eq!((row - 1) % 3, k, "row {row} rendered by shard {shard}");
            rendered.push(row);
        }
    }
    rendered.sort_unstable();
    let expected: Vec<u64> = (1..=12).filter(|&r| r != 7).collect();
    assert_eq!(rendered, expected, "each row once");
    assert_eq!(p.outputs().len(), 11);

    let mut cmd = reel(p.dir.path());
    let (code, _, err) = run(cmd.args(["summary", "out"]));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("merged 3 shard summaries") && err.contains("11 rendered, 1 failed"),
        "{err}"
    );
    let merged = p.summary("summary.json");
    assert_eq!(merged["rows"].as_array().unwrap().len(), 12);
    assert_eq!(rows_with(&merged, "failed"), vec![7]);

    // An unsharded run afterwards sees what the shards rendered.
    let (_, out, _) = run(&mut p.render(&["--rows", "1-12", "--dry-run"]));
    assert_eq!(
        out.lines().filter(|l| l.contains("up to date")).count(),
        11,
        "{out}"
    );
}

#[test]
fn bad_rows_and_shard_arguments_are_usage_errors() {
    let p = Project {
        dir: tempfile::tempdir().unwrap(),
    };
    for (args, want) in [
        (["--rows", "0"], "row numbers start at 1"),
        (["--rows", "5-2"], "runs backwards"),
        (["--shard", "3/3"], "is not a shard"),
    ] {
        let (code, _, err) = run(&mut p.render(&args));
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

/// `summary.json`'s shape: `counts` has one key per status, spelled as the rows spell theirs,
/// each the number of rows with that status; every row has its fields.
fn assert_summary_schema(summary: &Value) {
    let counts = summary["counts"].as_object().expect("counts");
    let keys: Vec<&str> = counts.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["rendered", "skipped", "failed", "cancelled", "not-started"],
        "{summary}"
    );
    for (status, n) in counts {
        assert_eq!(
            n.as_u64(),
            Some(rows_with(summary, status).len() as u64),
            "count of `{status}` in {summary}"
        );
    }
    let rows = summary["rows"].as_array().expect("rows");
    for r in rows {
        let status = r["status"].as_str().expect("status");
        assert!(
            counts.contains_key(status),
            "row status `{status}` not a count"
        );
        assert!(r["row"].is_u64() && r["output"].is_string() && r["seconds"].is_number());
    }
    let total: u64 = counts.values().filter_map(Value::as_u64).sum();
    assert_eq!(total, rows.len() as u64);
    assert!(summary["reel"].is_string() && summary["interrupted"].is_boolean());
    assert!(summary["seconds"].is_number());
}

/// Times vary from run to run; the rest of the plain output must not.
const TIME_FILTERS: &[(&str, &str)] = &[
    (r"\d+\.\d s", "[t] s"),
    (r"ETA \d+(m \d+s|h \d+m| s)", "ETA [eta]"),
    (r"(?m)^( +\d+  .{11}  ) *\d+\.\d", "$1    #.#"),
];

#[test]
fn summary_json_counts_and_rows_spell_statuses_alike() {
    if !have_ffmpeg() {
        return;
    }
    let p = Project::new();
    let (code, _, err) = run(p.render(&["--rows", "1-8"]).stdin(Stdio::null()));
    assert_eq!(code, 1, "{err}");
    let first = p.summary("summary.json");
    assert_summary_schema(&first);
    assert_eq!(first["counts"]["rendered"], 7);
    assert_eq!(first["counts"]["failed"], 1);
    // Up to date rows, a new one and the failed one.
    let (code, _, err) = run(&mut p.render(&["--rows", "1-9"]));
    assert_eq!(code, 1, "{err}");
    let again = p.summary("summary.json");
    assert_summary_schema(&again);
    assert_eq!(rows_with(&again, "skipped").len(), 7);
    assert_eq!(rows_with(&again, "rendered"), vec![9]);
}

#[test]
fn plain_progress_lines_count_finished_rows() {
    if !have_ffmpeg() {
        return;
    }
    let p = Project::new();
    let (code, _, err) = run(p.render(&["--rows", "1-8", "-j", "1"]).stdin(Stdio::null()));
    assert_eq!(code, 1, "{err}");
    // Row 7 fails while planning: 7 rows to render, counted as they finish.
    let progress: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with('[') || l.contains("rows selected") || l.contains(" in "))
        .filter(|l| !l.contains('│'))
        .collect();
    insta::with_settings!({ filters => TIME_FILTERS.to_vec() }, {
        insta::assert_snapshot!(progress.join("\n"));
    });
}

#[test]
fn summary_table_keeps_its_columns_with_long_names() {
    if !have_ffmpeg() {
        return;
    }
    use unicode_width::UnicodeWidthStr;
    let p = Project::new();
    let mut cmd = reel(p.dir.path());
    cmd.args([
        "render",
        "tiny.edit",
        "--data",
        "long-names.csv",
        "-o",
        "out",
    ])
    .args(["-j", "1"]);
    let (code, _, err) = run(&mut cmd);
    assert_eq!(code, 0, "{err}");
    let table: Vec<&str> = err
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("row  status"))
        .take(5)
        .collect();
    assert_eq!(table.len(), 5, "{err}");
    // Every detail (`new`) starts at the same terminal column; the long names are cut.
    let starts: Vec<usize> = table[1..].iter().map(|l| l.width() - "new".len()).collect();
    assert!(starts.iter().all(|&c| c == starts[0]), "{starts:?}\n{err}");
    assert!(table[1..].iter().all(|l| l.ends_with("  new")), "{err}");
    assert_eq!(table.iter().filter(|l| l.contains('…')).count(), 3, "{err}");
    insta::with_settings!({ filters => TIME_FILTERS.to_vec() }, {
        insta::assert_snapshot!(table.join("\n"));
    });
}

#[test]
fn json_lines_report_plan_progress_and_summary() {
    if !have_ffmpeg() {
        return;
    }
    let p = Project::new();
    let mut cmd = reel(p.dir.path());
    cmd.args([
        "--message-format",
        "json",
        "render",
        "tiny.edit",
        "--data",
        "rows.csv",
    ])
    .args(["-o", "out", "--rows", "1-8", "-j", "2"]);
    let (code, out, err) = run(&mut cmd);
    assert_eq!(code, 1, "{err}");
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    // Diagnostics stay on stderr, as JSON too.
    assert!(
        err.lines()
            .all(|l| serde_json::from_str::<Value>(l).is_ok()),
        "{err}"
    );
    let kinds: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    let mut want = vec!["plan"];
    want.extend(["progress"; 7]);
    want.push("summary");
    assert_eq!(kinds, want, "{out}");
    let plan = &lines[0];
    assert_eq!(
        (&plan["rows"], &plan["to_render"], &plan["failed"]),
        (&Value::from(8), &Value::from(7), &Value::from(1))
    );
    let summary = lines.last().unwrap();
    for (i, line) in lines[1..8].iter().enumerate() {
        assert_eq!(line["done"], i + 1, "{line}");
        assert_eq!(line["total"], 7, "{line}");
        assert!(line["in_flight"].as_u64().unwrap() <= 2, "{line}");
        assert!(line["eta_seconds"].as_f64().unwrap() >= 0.0, "{line}");
        let row = line["row"].as_u64().unwrap() as usize;
        assert_eq!(line["status"], summary["rows"][row - 1]["status"], "{line}");
        assert_eq!(line["output"], summary["rows"][row - 1]["output"], "{line}");
    }
    assert_eq!(lines[7]["in_flight"], 0);
    assert_eq!(lines[7]["eta_seconds"], 0.0);
    // The last line is summary.json with its type.
    let mut written = p.summary("summary.json");
    assert_summary_schema(&written);
    written
        .as_object_mut()
        .unwrap()
        .insert("type".into(), "summary".into());
    let mut line = summary.clone();
    line.as_object_mut().unwrap().sort_keys();
    written.as_object_mut().unwrap().sort_keys();
    assert_eq!(line, written);
}
