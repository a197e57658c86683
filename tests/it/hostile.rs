//! Integration tests for hostile, huge and unlucky input (issue 15): a closed stderr, huge
//! lengths and cells from data, stalled and dripping servers, signals during slow work. Each
//! drives the real binary and bounds the time it may take.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{fixture, have_ffmpeg, reel, run};

/// A temp project: `tiny.edit` from the batch fixtures, `n` rows, a red PNG.
fn tiny_project(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(fixture("batch/tiny.edit"), dir.path().join("tiny.edit")).unwrap();
    let mut csv = String::from("title,photo,scale\n");
    for _ in 0..n {
        csv.push_str("card,assets/red.png,0.5\n");
    }
    std::fs::write(dir.path().join("rows.csv"), csv).unwrap();
    std::fs::create_dir(dir.path().join("assets")).unwrap();
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"])
        .args(["-i", "color=c=red:s=64x36", "-frames:v", "1"])
        .arg(dir.path().join("assets/red.png"))
        .status()
        .expect("ffmpeg");
    assert!(status.success());
    dir
}

/// Waits for `child` at most `limit`; its exit code (killed and failed past the limit).
fn wait_at_most(child: &mut Child, limit: Duration) -> i32 {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status.code().unwrap_or(-1);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("reel did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `reel render … 2>&1 | head -1`: stderr closed before reel writes anything. The batch must
/// neither panic nor hang; it renders every row and saves its manifest.
#[test]
fn closed_stderr_neither_hangs_nor_loses_the_manifest() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tiny_project(4);
    let mut child = reel(dir.path())
        .args([
            "render",
            "tiny.edit",
            "--data",
            "rows.csv",
            "-o",
            "out",
            "-j",
            "1",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn reel");
    // Close the read ends at once, as `head -1` does after its first line.
    drop(child.stderr.take());
    drop(child.stdout.take());
    let code = wait_at_most(&mut child, Duration::from_secs(120));
    assert_eq!(code, 0);
    let out = dir.path().join("out");
    let manifest = std::fs::read_to_string(out.join(".reel-manifest.json")).expect("manifest");
    let videos = std::fs::read_dir(&out)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "mp4")
        })
        .count();
    assert_eq!(videos, 4);
    assert_eq!(manifest.matches("card-").count(), 4, "{manifest}");
}
