//! Work bounded by clips, not frames or processes (issue 15): a four-hour timeline of animated
//! text plans in bounded time and memory, an endless text motion repeats a drawn cycle in a
//! real render, and shards sharing a cache download a URL once.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::util::{have_ffmpeg, reel, run};

/// `reel ARGS` in `dir` (its own cache) under a 2 GiB address-space limit.
fn reel_2gib(dir: &Path, args: &[&str]) -> Command {
    crate::util::reel_with_memory_limit(dir, 2_097_152, args)
}

/// Every file under `dir` whose name ends with `ext`.
fn files_ending(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_ending(&p, ext, out);
        } else if p.to_string_lossy().ends_with(ext) {
            out.push(p);
        }
    }
}

fn rich(text: &str, preset: &str, position: &str, length: f64) -> serde_json::Value {
    json!({
        "asset": { "type": "rich-text", "text": text,
                   "font": { "family": "Open Sans", "size": 14, "color": "#ffffff" },
                   "animation": { "preset": preset } },
        "start": 0, "length": length, "width": 300, "height": 60, "position": position
    })
}

#[test]
fn a_four_hour_timeline_of_animated_text_plans_in_bounded_time_and_memory() {
    // One frame per output frame was 360,000 PNGs per clip (and the typewriter of a long text
    // redraws thousands of glyphs in each).
    let long = "lorem ipsum dolor sit amet ".repeat(200);
    let long = &long[..5000];
    let hours = 14_399.0;
    let edit = json!({
        "timeline": { "tracks": [ { "clips": [
            rich("Moving letters all day", "movingLetters", "center", hours),
            rich(long, "typewriter", "top", hours),
            { "asset": { "type": "text", "text": long.repeat(4),
                         "font": { "family": "Open Sans", "size": 12 },
                         "animation": { "preset": "typewriter" } },
              "start": 0, "length": hours, "width": 300, "height": 60, "position": "bottom" }
        ] } ] },
        "output": { "format": "mp4", "size": { "width": 320, "height": 180 }, "fps": 25 }
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("long.json"), edit.to_string()).unwrap();
    let started = Instant::now();
    let out = reel_2gib(dir.path(), &["graph", "long.json"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let took = started.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let graph = String::from_utf8_lossy(&out.stdout);
    assert!(graph.contains("-loop 1"), "the cycle repeats: {graph}");
    let mut pngs = Vec::new();
    files_ending(&dir.path().join("cache"), ".png", &mut pngs);
    assert!(
        pngs.len() <= 1_000,
        "{} frames drawn for three clips",
        pngs.len()
    );
    // A debug build on a loaded machine; it was hours (and tens of GB of PNGs) before.
    assert!(took < Duration::from_secs(120), "planning took {took:?}");
}

/// Mean absolute difference of two grey frames of `video` at `a` and `b` seconds.
fn frame_difference(video: &Path, a: f64, b: f64) -> f64 {
    let grey = |t: f64| {
        let out = Command::new("ffmpeg")
            .args(["-v", "error", "-ss", &t.to_string(), "-i"])
            .arg(video)
            .args(["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"])
            .output()
            .expect("spawn ffmpeg");
        assert!(!out.stdout.is_empty(), "no frame at {t}");
        out.stdout
    };
    let (x, y) = (grey(a), grey(b));
    let sum: u64 = x
        .iter()
        .zip(&y)
        .map(|(p, q)| u64::from(p.abs_diff(*q)))
        .sum();
    sum as f64 / x.len() as f64
}

#[test]
fn moving_letters_repeat_their_drawn_cycle_to_the_end_of_the_clip() {
    if !have_ffmpeg() {
        return;
    }
    let edit = json!({
        "timeline": { "background": "#000000", "tracks": [ { "clips": [
            { "asset": { "type": "rich-text", "text": "WAVE WAVE",
                         "font": { "family": "Open Sans", "size": 40, "color": "#ffffff" },
                         "animation": { "preset": "movingLetters" } },
              "start": 0, "length": 4, "width": 300, "height": 120 }
        ] } ] },
        "output": { "format": "mp4", "size": { "width": 320, "height": 180 }, "fps": 25 }
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("w.json"), edit.to_string()).unwrap();
    let (code, graph, err) = run(reel(dir.path())
        .env("REEL_CACHE_DIR", dir.path().join("cache"))
        .args(["graph", "w.json"]));
    assert_eq!(code, 0, "{err}");
    assert!(graph.contains("-loop 1"), "{graph}");
    let (code, _, err) = run(reel(dir.path())
        .env("REEL_CACHE_DIR", dir.path().join("cache"))
        .args(["render", "w.json", "-o", "out"]));
    assert_eq!(code, 0, "{err}");
    let video = dir.path().join("out/row-0001.mp4");
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_packets", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=nb_read_packets", "-of", "csv=p=0"])
        .arg(&video)
        .output()
        .unwrap();
    let frames: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert_eq!(frames, 100);
    // The letters still move in the repeated part (a quarter cycle apart differs) and one
    // cycle later they are where they were.
    let moving = frame_difference(&video, 2.6, 2.84);
    let again = frame_difference(&video, 1.6, 2.6);
    let later = frame_difference(&video, 1.6, 3.6);
    assert!(
        moving > 3.0 * again.max(0.2),
        "moving {moving}, again {again}"
    );
    assert!(
        moving > 3.0 * later.max(0.2),
        "moving {moving}, later {later}"
    );
}

#[test]
fn two_processes_sharing_a_cache_download_a_url_once() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("red.png");
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"])
        .args(["-i", "color=c=red:s=64x36", "-frames:v", "1"])
        .arg(&png)
        .status()
        .unwrap();
    assert!(status.success());
    let bytes = std::fs::read(&png).unwrap();
    // Answers each request after half a second, so the two downloads overlap.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/red.png", listener.local_addr().unwrap());
    let (tx, requests) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let (tx, bytes) = (tx.clone(), bytes.clone());
            std::thread::spawn(move || {
                let mut head = [0u8; 2048];
                if conn.read(&mut head).unwrap_or(0) == 0 {
                    return;
                }
                let _ = tx.send(());
                std::thread::sleep(Duration::from_millis(500));
                let header = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    bytes.len()
                );
                let _ = conn.write_all(header.as_bytes());
                let _ = conn.write_all(&bytes);
            });
        }
    });
    let edit = format!("output mp4 160x90 fps=25\ntrack {{\n  image \"{url}\" at 0 for 1\n}}\n");
    std::fs::write(dir.path().join("t.edit"), edit).unwrap();
    let cache = dir.path().join("shared-cache");
    let spawn = || {
        reel(dir.path())
            .env("REEL_CACHE_DIR", &cache)
            .args(["graph", "t.edit"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{err}");
    }
    assert_eq!(requests.try_iter().count(), 1);
}

#[test]
fn sigterm_stops_the_layout_of_a_huge_cell() {
    if !have_ffmpeg() {
        return;
    }
    // A 1 MB cell (the largest accepted) takes seconds of layout and drawing at 6 px; its one
    // paragraph took cosmic-text seconds to shape in one call (SIGTERM 0.5 s in: 3.3 s to exit
    // in release, 2-3 s in debug at 1.5 and 2.5 s), now shaped in pieces with the cancel flag
    // checked between them.
    let dir = tempfile::tempdir().unwrap();
    let edit = "output mp4 160x90 fps=25\ntrack {\n  text title at 0 for 1 width=160 height=90 {\n    font.size = 6\n  }\n}\n";
    std::fs::write(dir.path().join("t.edit"), edit).unwrap();
    let words = "lorem ipsum dolor sit amet ".repeat(40_000);
    let csv = format!("title\n\"{}\"\n", &words[..1_000_000]);
    std::fs::write(dir.path().join("rows.csv"), csv).unwrap();
    // A debug build reaches the shaping later than a release build: signal at several times
    // so that one of them lands in it either way.
    let bound = if cfg!(debug_assertions) {
        Duration::from_millis(1500)
    } else {
        Duration::from_secs(1)
    };
    for delay in [500, 1500, 2500] {
        let mut child = reel(dir.path())
            .env("REEL_CACHE_DIR", dir.path().join("cache"))
            .args(["render", "t.edit", "-d", "rows.csv", "-o", "out"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        assert!(child.try_wait().unwrap().is_none(), "reel ended early");
        let sent = Instant::now();
        let kill = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        let code = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s.code();
            }
            if sent.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                panic!("no exit 30 s after SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let took = sent.elapsed();
        assert_eq!(code, Some(130));
        assert!(
            took < bound,
            "exited {took:?} after SIGTERM {delay} ms into the render"
        );
    }
}
