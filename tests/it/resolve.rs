//! Integration tests: resolve, probe, fetch and the ffmpeg runner.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use reel::render::Cancel;
use reel::render::cache::{Cache, CacheStats};
use reel::render::fetch;
use reel::render::probe::{self, ProbeError};
use reel::render::run::{self, FfmpegJob, RunError, SideFrame};

use crate::util::have_ffmpeg;

/// Generates a tiny media file with ffmpeg's lavfi sources: `lavfi` inputs then output args.
fn lavfi(dir: &Path, name: &str, inputs: &[&str], out_args: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-v", "error", "-y"]);
    for i in inputs {
        cmd.args(["-f", "lavfi", "-i", i]);
    }
    let ok = cmd.args(out_args).arg(&path).status().expect("ffmpeg");
    assert!(ok.success(), "ffmpeg could not make {name}");
    path
}

/// 160×90 25 fps video with a sine tone, 1 s.
fn tiny_video(dir: &Path) -> PathBuf {
    lavfi(
        dir,
        "clip.mp4",
        &["testsrc=s=160x90:r=25:d=1", "sine=d=1"],
        &["-shortest", "-c:v", "libx264", "-pix_fmt", "yuv420p"],
    )
}

#[test]
fn probe_reports_video_audio_and_still_facts() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path().join("cache"));
    let v = probe::probe_cached(&tiny_video(dir.path()), &cache).unwrap();
    assert_eq!((v.width, v.height), (Some(160), Some(90)));
    assert_eq!(v.fps, Some(25.0));
    assert!(v.has_video && v.has_audio && !v.is_still);
    assert!((v.duration.unwrap() - 1.0).abs() < 0.05, "{v:?}");

    let png = lavfi(
        dir.path(),
        "a.png",
        &["color=red:s=64x32"],
        &["-frames:v", "1"],
    );
    let p = probe::probe_cached(&png, &cache).unwrap();
    assert!(p.is_still && p.has_video && !p.has_audio);
    assert_eq!((p.width, p.height, p.duration), (Some(64), Some(32), None));

    let mp3 = lavfi(dir.path(), "a.mp3", &["sine=d=0.5"], &[]);
    let a = probe::probe_cached(&mp3, &cache).unwrap();
    assert!(a.has_audio && !a.has_video && !a.is_still);
    assert!(a.to_string().contains("kind: audio"));
}

#[test]
fn probe_cache_hits_by_content_not_name() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path().join("cache"));
    let video = tiny_video(dir.path());
    let first = probe::probe_cached(&video, &cache).unwrap();
    let copy = dir.path().join("renamed.mp4");
    std::fs::copy(&video, &copy).unwrap();
    let second = probe::probe_cached(&copy, &cache).unwrap();
    assert_eq!(first, second);
    assert_eq!(CacheStats::get(&cache.stats().probe_runs), 1);
    assert_eq!(CacheStats::get(&cache.stats().probe_hits), 1);
    // A different file is probed.
    lavfi(dir.path(), "other.mp4", &["testsrc=s=32x32:r=10:d=1"], &[]);
    probe::probe_cached(&dir.path().join("other.mp4"), &cache).unwrap();
    assert_eq!(CacheStats::get(&cache.stats().probe_runs), 2);
}

#[test]
fn probe_errors_name_the_file_and_reason() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path().join("cache"));
    let bad = dir.path().join("bad.mp4");
    std::fs::write(&bad, b"this is not a video").unwrap();
    let err = probe::probe_cached(&bad, &cache).unwrap_err();
    assert!(matches!(err, ProbeError::Invalid { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("bad.mp4") && msg.contains("Invalid data"),
        "{msg}"
    );
    let missing = probe::probe_cached(&dir.path().join("nope.mp4"), &cache).unwrap_err();
    assert!(matches!(missing, ProbeError::Read { .. }), "{missing:?}");
    assert!(missing.to_string().contains("nope.mp4"));
    // Nothing is cached for a failed probe.
    assert!(!dir.path().join("cache/probe").exists());
}

/// A 127.0.0.1 HTTP server answering `/ok.png` with `body` and everything else with 404.
/// Returns its base URL and a request counter.
fn serve(body: Vec<u8>) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}", server.server_addr().to_ip().unwrap());
    let hits = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for req in server.incoming_requests() {
            counter.fetch_add(1, Ordering::SeqCst);
            let resp = if req.url() == "/ok.png" {
                tiny_http::Response::from_data(body.clone())
            } else {
                tiny_http::Response::from_data(b"no".to_vec()).with_status_code(404)
            };
            let _ = req.respond(resp);
        }
    });
    (url, hits)
}

#[test]
fn download_happens_once_and_failures_leave_nothing() {
    use std::sync::atomic::Ordering;
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path().join("cache"));
    let (base, hits) = serve(b"PNGDATA".to_vec());
    let url = format!("{base}/ok.png");
    let a = fetch::local_path(&url, dir.path(), &cache).unwrap();
    let b = fetch::local_path(&url, dir.path(), &cache).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.extension().unwrap(), "png");
    assert_eq!(std::fs::read(&a).unwrap(), b"PNGDATA");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    assert_eq!(CacheStats::get(&cache.stats().downloads), 1);

    let err = fetch::local_path(&format!("{base}/missing.mp4"), dir.path(), &cache).unwrap_err();
    assert!(err.to_string().contains("404"), "{err}");
    let left: Vec<_> = std::fs::read_dir(a.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(left, vec![a], "a failed download must leave nothing behind");
}

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

#[test]
fn run_writes_part_then_renames_and_reports_progress() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.mp4");
    let job = FfmpegJob {
        args: os(&[
            "-f",
            "lavfi",
            "-i",
            "testsrc=s=160x90:r=25:d=2",
            "-pix_fmt",
            "yuv420p",
        ]),
        duration: 2.0,
        side_frames: vec![
            SideFrame {
                path: dir.path().join("out-poster.jpg"),
                capture: 1.0,
                scale: 1.0,
            },
            SideFrame {
                path: dir.path().join("out-thumb.jpg"),
                capture: 5.0,
                scale: 0.5,
            },
        ],
    };
    let mut reports = Vec::new();
    let report = run::run_job(&job, &out, &mut |p| reports.push(p), &Cancel::new()).unwrap();
    assert_eq!(report.output, out);
    assert!(!run::part_path(&out).exists());
    let info = probe::run_ffprobe(&out).unwrap();
    assert!((info.duration.unwrap() - 2.0).abs() < 0.1);
    let last = reports.last().expect("progress reported");
    assert_eq!((last.done_seconds, last.total_seconds), (2.0, 2.0));
    let thumb = probe::run_ffprobe(&dir.path().join("out-thumb.jpg")).unwrap();
    assert_eq!((thumb.width, thumb.height), (Some(80), Some(46)));
    let poster = probe::run_ffprobe(&dir.path().join("out-poster.jpg")).unwrap();
    assert_eq!((poster.width, poster.height), (Some(160), Some(90)));
    assert_eq!(report.side_files.len(), 2);
}

#[test]
fn run_failure_keeps_stderr_and_leaves_no_files() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.mp4");
    let job = FfmpegJob {
        args: os(&["-i", "/definitely/not/here.mp4"]),
        duration: 1.0,
        side_frames: vec![],
    };
    let err = run::run_job(&job, &out, &mut |_| {}, &Cancel::new()).unwrap_err();
    let RunError::Failed { stderr_tail, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(
        stderr_tail.contains("/definitely/not/here.mp4"),
        "{stderr_tail}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn run_cancel_from_another_thread_kills_and_cleans_up() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("long.mp4");
    // Real-time input (`-re`) so the render is still running when the flag is set.
    let job = FfmpegJob {
        args: os(&["-re", "-f", "lavfi", "-i", "testsrc=s=160x90:r=25:d=60"]),
        duration: 60.0,
        side_frames: vec![],
    };
    let cancel = Cancel::new();
    let flag = cancel.clone();
    let mut seen = 0;
    let started = std::time::Instant::now();
    let err = run::run_job(
        &job,
        &out,
        &mut |p| {
            seen += 1;
            if p.done_seconds > 0.0 {
                let f = flag.clone();
                std::thread::spawn(move || f.cancel());
            }
        },
        &cancel,
    )
    .unwrap_err();
    assert!(matches!(err, RunError::Cancelled), "{err:?}");
    assert!(seen > 0);
    assert!(started.elapsed().as_secs() < 30);
    assert!(!out.exists());
    assert!(!run::part_path(&out).exists());
}
