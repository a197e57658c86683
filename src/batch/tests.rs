//! Pool, manifest, summary and cancellation tests against real child processes: each "row" is
//! a colour rendered by a tiny `ffmpeg -f lavfi` job (the pipeline's renderer is tested by
//! the integration tests in `tests/it/batch.rs`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use super::*;
use crate::diagnostics::Diagnostic;

/// Rows are `name,colour,seconds`; an asset file, when set, is "read" by every row.
struct Lavfi {
    rows: Vec<(String, String, f64)>,
    asset: Option<PathBuf>,
}

struct LavfiJob {
    colour: String,
    seconds: f64,
}

fn have_ffmpeg() -> bool {
    Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success())
}

impl Source for Lavfi {
    type Row = (String, String, f64);
    type Job = LavfiJob;

    fn rows(
        &self,
    ) -> SourceResult<Box<dyn Iterator<Item = (usize, Result<Self::Row, Diagnostic>)> + '_>> {
        Ok(Box::new(self.rows.iter().cloned().map(Ok).enumerate()))
    }

    fn build(&self, row: &Self::Row) -> Warned<SourceResult<Built<LavfiJob>>> {
        let (name, colour, seconds) = row.clone();
        if colour == "bad" {
            return Warned::new(Err(vec![Diagnostic::error("`bad` is not a colour")]));
        }
        let edit_hash = manifest::hash_parts([colour.as_bytes(), &seconds.to_le_bytes()]);
        let name = (!name.is_empty()).then_some(name);
        Warned::new(Ok(Built {
            name,
            extension: "mp4",
            edit_hash,
            job: LavfiJob { colour, seconds },
        }))
    }

    fn render(
        &self,
        job: LavfiJob,
        output: &Path,
        progress: &mut dyn FnMut(JobProgress),
        cancel: &Cancel,
    ) -> Warned<SourceResult<Rendered>> {
        Warned::new(
            render_lavfi(&job, output, progress, cancel).map(|()| Rendered {
                files_read: self.asset.iter().cloned().collect(),
            }),
        )
    }
}

/// A real ffmpeg render with the runner's contract: `.part`, rename, kill + remove on cancel.
fn render_lavfi(
    job: &LavfiJob,
    output: &Path,
    progress: &mut dyn FnMut(JobProgress),
    cancel: &Cancel,
) -> SourceResult<()> {
    let part = output.with_extension("mp4.part");
    let src = format!("color=c={}:s=160x90:r=25:d={}", job.colour, job.seconds);
    let mut child = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-nostdin",
            "-y",
            "-f",
            "lavfi",
            "-i",
            &src,
        ])
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-threads",
            "1",
            "-f",
            "mp4",
        ])
        .arg(&part)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| vec![Diagnostic::error(format!("cannot start ffmpeg: {e}"))])?;
    loop {
        if cancel.is_cancelled() {
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_file(&part);
            return Err(vec![Diagnostic::error("cancelled")]);
        }
        match child.try_wait() {
            Ok(Some(status)) if status.success() => break,
            Ok(Some(status)) => {
                let _ = std::fs::remove_file(&part);
                return Err(vec![Diagnostic::error(format!("ffmpeg failed: {status}"))]);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(vec![Diagnostic::error(e.to_string())]),
        }
        progress(JobProgress {
            done_seconds: 0.0,
            total_seconds: job.seconds,
        });
    }
    std::fs::rename(&part, output).map_err(|e| vec![Diagnostic::error(e.to_string())])
}

fn config(out: &Path) -> Config {
    Config {
        out_dir: out.to_path_buf(),
        jobs: 2,
        selection: Selection::default(),
        force: false,
        dry_run: false,
        template_hash: manifest::hash_parts([b"template".as_slice()]),
        settings_hash: manifest::hash_parts([b"settings".as_slice()]),
        facts: Facts::default(),
    }
}

fn rows(n: usize, seconds: f64) -> Vec<(String, String, f64)> {
    (0..n)
        .map(|i| {
            (
                String::new(),
                format!("0x{:02x}{:02x}00", i * 20, 255 - i * 20),
                seconds,
            )
        })
        .collect()
}

fn outputs(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.') && !n.starts_with("summary"))
        .collect();
    names.sort();
    names
}

#[test]
fn bad_rows_are_recorded_and_the_rest_render_then_skip() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut all = rows(6, 0.2);
    all[2].1 = "bad".into();
    let asset = dir.path().join("logo.png");
    std::fs::write(&asset, b"v1").unwrap();
    let source = Lavfi {
        rows: all,
        asset: Some(asset.clone()),
    };
    let out = dir.path().join("out");
    let mut events = 0;
    let outcome = run(&source, &config(&out), &Cancel::new(), &mut |_| events += 1).unwrap();
    assert_eq!(outcome.summary.counts.rendered, 5);
    assert_eq!(outcome.summary.counts.failed, 1);
    let failed = &outcome.summary.rows[2];
    assert_eq!((failed.row, failed.status), (3, RowStatus::Failed));
    assert_eq!(failed.error.as_deref(), Some("`bad` is not a colour"));
    assert_eq!(
        outputs(&out),
        [
            "row-0001.mp4",
            "row-0002.mp4",
            "row-0004.mp4",
            "row-0005.mp4",
            "row-0006.mp4"
        ]
    );
    assert!(out.join("summary.json").is_file() && out.join(".reel-manifest.json").is_file());
    assert!(events > 6);

    let again = run(&source, &config(&out), &Cancel::new(), &mut |_| {}).unwrap();
    assert_eq!(
        (again.summary.counts.skipped, again.summary.counts.rendered),
        (5, 0)
    );

    std::fs::write(&asset, b"v2").unwrap();
    let mut dry = config(&out);
    dry.dry_run = true;
    let plan = run(&source, &dry, &Cancel::new(), &mut |_| {})
        .unwrap()
        .plan;
    let reason = plan.items[0].state.clone();
    assert!(
        matches!(&reason, plan::State::Render(Reason::AssetChanged(p)) if p.ends_with("logo.png")),
        "{reason:?}"
    );
}

#[test]
fn cancelling_stops_jobs_removes_parts_and_a_rerun_finishes() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let source = Lavfi {
        rows: rows(8, 3.0),
        asset: None,
    };
    let out = dir.path().join("out");
    let cancel = Cancel::new();
    let mut finished = 0;
    let outcome = run(&source, &config(&out), &cancel, &mut |e| {
        if let Event::Finished { report, .. } = e {
            finished += 1;
            if report.status == RowStatus::Rendered && finished == 2 {
                cancel.cancel();
            }
        }
    })
    .unwrap();
    let c = outcome.summary.counts;
    assert!(outcome.summary.interrupted);
    assert_eq!(c.rendered + c.cancelled + c.not_started, 8, "{c:?}");
    assert!(c.rendered >= 2 && c.not_started >= 1, "{c:?}");
    let left = outputs(&out);
    assert!(left.iter().all(|n| !n.ends_with(".part")), "{left:?}");
    assert_eq!(left.len(), c.rendered);

    let rerun = run(&source, &config(&out), &Cancel::new(), &mut |_| {}).unwrap();
    assert_eq!(rerun.summary.counts.skipped, c.rendered);
    assert_eq!(rerun.summary.counts.rendered, 8 - c.rendered);
}

#[test]
fn colliding_names_fail_before_rendering_and_lock_blocks_a_second_run() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut all = rows(3, 0.2);
    all[0].0 = "same".into();
    all[2].0 = "Same".into();
    let source = Lavfi {
        rows: all,
        asset: None,
    };
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let watch = lock::Claim {
        command: "reel watch",
        shard: None,
    };
    let held = lock::OutputLock::acquire(&out, &watch).unwrap();
    let err = run(&source, &config(&out), &Cancel::new(), &mut |_| {}).unwrap_err();
    let holder = format!(
        "another reel is writing to `{}`: `reel watch` (pid",
        out.display()
    );
    assert!(err.to_string().contains(&holder), "{err}");
    drop(held);
    let outcome = run(&source, &config(&out), &Cancel::new(), &mut |_| {}).unwrap();
    assert_eq!(outcome.summary.counts.failed, 2);
    assert_eq!(outputs(&out), ["row-0002.mp4"]);
    let err = outcome.summary.rows[0].error.as_deref().unwrap();
    assert_eq!(err, "rows 1 and 3 have the same output `same.mp4`");
}

/// A source whose render panics for one row: the row fails, the others render.
struct Panicky(Lavfi);

impl Source for Panicky {
    type Row = (String, String, f64);
    type Job = LavfiJob;

    fn rows(
        &self,
    ) -> SourceResult<Box<dyn Iterator<Item = (usize, Result<Self::Row, Diagnostic>)> + '_>> {
        self.0.rows()
    }

    fn build(&self, row: &Self::Row) -> Warned<SourceResult<Built<LavfiJob>>> {
        self.0.build(row)
    }

    fn render(
        &self,
        job: LavfiJob,
        output: &Path,
        progress: &mut dyn FnMut(JobProgress),
        cancel: &Cancel,
    ) -> Warned<SourceResult<Rendered>> {
        if output.to_string_lossy().contains("row-0002") {
            panic!("boom in row 2");
        }
        self.0.render(job, output, progress, cancel)
    }
}

#[test]
fn a_panicking_row_fails_alone() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let source = Panicky(Lavfi {
        rows: rows(4, 0.2),
        asset: None,
    });
    let out = dir.path().join("out");
    let outcome = run(&source, &config(&out), &Cancel::new(), &mut |_| {}).unwrap();
    assert_eq!(outcome.summary.counts.rendered, 3);
    let failed = &outcome.summary.rows[1];
    assert_eq!(failed.status, RowStatus::Failed);
    assert!(failed.error.as_deref().unwrap().contains("boom in row 2"));
}
