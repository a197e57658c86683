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
        for f in ["tiny.edit", "rows.csv"] {
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
    assert_eq!(summary["interrupted"], true);
    let done = rows_with(&summary, "rendered");
    assert_eq!(done.len(), p.outputs().len());
    assert!(done.len() < 28, "interrupted too late to test resuming");
    assert!(!rows_with(&summary, "not-started").is_empty());

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
