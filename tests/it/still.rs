//! Integration tests: `reel still`. A still computes one frame with every input seeked to
//! where it is needed; its pixels must match the same frame of a full `reel render` (PSNR
//! against the decoded video) at moments where something moves: a fade mid-way, a video at an
//! odd frame (30 fps source in a 25 fps timeline, trimmed and sped up), text typing mid-way, a
//! wipe mid-way, a Ken Burns zoom.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util;

use crate::util::ffmpeg;

/// Frame `n` (0-based, decoded from the start) of a video as rgb24 bytes.
fn video_frame(video: &Path, n: usize) -> Vec<u8> {
    let select = format!("select=eq(n\\,{n})");
    ffmpeg(&[
        "-i",
        video.to_str().unwrap(),
        "-vf",
        &select,
        "-frames:v",
        "1",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-",
    ])
}

/// An image file as rgb24 bytes.
fn image_rgb(png: &Path) -> Vec<u8> {
    ffmpeg(&[
        "-i",
        png.to_str().unwrap(),
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-",
    ])
}

/// Peak signal-to-noise ratio of two equally sized rgb24 pictures, in dB.
fn psnr(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len(), "different picture sizes");
    let se: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
        .sum();
    let mse = se / a.len() as f64;
    if mse == 0.0 {
        return 99.0;
    }
    10.0 * (255.0f64 * 255.0 / mse).log10()
}

/// `reel still` at each time of `times` against the frame of `video` shown then (the first
/// at or after `t`), asserting a PSNR above 35 dB: a frame off by one is at 16-20 dB in these
/// scenes, the render's own compression at 36-45 dB.
fn check_stills(dir: &Path, template: &str, extra: &[&str], video: &Path, fps: f64, times: &[f64]) {
    for &t in times {
        let png = dir.join(format!("still-{t}.png"));
        let (code, _, err) = util::run(
            util::reel(dir)
                .args(["still", template, "--at", &t.to_string(), "-o"])
                .arg(&png)
                .args(extra),
        );
        assert_eq!(code, 0, "reel still --at {t}: {err}");
        let frame = (t * fps - 1e-6).ceil() as usize;
        let db = psnr(&image_rgb(&png), &video_frame(video, frame));
        eprintln!("t={t}: frame {frame}, PSNR {db:.1} dB");
        assert!(
            db > 35.0,
            "still at {t} s differs from the render: PSNR {db:.1} dB"
        );
    }
}

/// The reference scene's media (`make_assets.sh`) in `dir/assets`.
fn reference_scene(dir: &Path) -> PathBuf {
    let script = util::fixture("bench/make_assets.sh");
    let ok = Command::new("bash")
        .arg(&script)
        .arg(dir.join("assets"))
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let scene = dir.join("scene.json");
    std::fs::copy(util::fixture("bench/reference-scene.json"), &scene).unwrap();
    scene
}

/// The reference scene: the title fading in (0.52 s), the video at an odd frame (3.04 s: a
/// 30 fps source at 25 fps), clip B's fade over clip A mid-way (4.4 s), the photo zooming
/// (5 s, the benchmark moment) and fading out (6.6 s).
#[test]
fn still_matches_render_of_reference_scene() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    reference_scene(dir.path());
    let (code, _, err) = util::run(util::reel(dir.path()).args([
        "render",
        "scene.json",
        "--set",
        "NAME=Jane",
        "-o",
        "out",
    ]));
    assert_eq!(code, 0, "{err}");
    let video = dir.path().join("out/row-1.mp4");
    let video = if video.exists() {
        video
    } else {
        std::fs::read_dir(dir.path().join("out"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "mp4"))
            .expect("a rendered mp4")
    };
    check_stills(
        dir.path(),
        "scene.json",
        &["--set", "NAME=Jane"],
        &video,
        25.0,
        &[0.52, 3.04, 4.4, 5.0, 6.6],
    );
    // The still's ffmpeg command at 5 s: clip B opened just before its frame (local 1 s, one
    // frame of margin), a few frames long; clip A (ended), the title (ended) and the music
    // (a still is mute) are not opened at all.
    let (code, graph, err) = util::run(util::reel(dir.path()).args([
        "graph",
        "scene.json",
        "--set",
        "NAME=Jane",
        "--at",
        "5",
    ]));
    assert_eq!(code, 0, "{err}");
    let args: Vec<&str> = graph
        .lines()
        .map(|l| l.trim().trim_end_matches('\\').trim())
        .collect();
    let inputs: Vec<&str> = args
        .iter()
        .filter(|a| a.starts_with("-i "))
        .copied()
        .collect();
    assert_eq!(
        inputs,
        [
            "-i file:assets/clipB.mp4",
            "-i file:assets/photo.png",
            "-i file:assets/logo.png"
        ],
        "{graph}"
    );
    let at = args
        .iter()
        .position(|a| *a == "-i file:assets/clipB.mp4")
        .unwrap();
    assert_eq!(args[at - 2..at], ["-ss 0.96", "-t 0.16"], "{graph}");
    // A frame wanted now: deflated fast, filtered on one thread (`job::fast_still`).
    assert!(args.contains(&"-compression_level 1"), "{graph}");
    assert!(args.contains(&"-filter_complex_threads 1"), "{graph}");
}

/// Text typing mid-way over a trimmed, sped-up 30 fps video, and a wipe mid-way.
#[test]
fn still_matches_render_of_text_animation_and_odd_video_frames() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=320x180:r=30:d=6",
        "-c:v",
        "libx264",
        "-g",
        "30",
        "-pix_fmt",
        "yuv420p",
        dir.path().join("v.mp4").to_str().unwrap(),
    ]);
    let edit = serde_json::json!({
        "timeline": {"background": "#102030", "tracks": [
            {"clips": [{
                "asset": {"type": "rich-text", "text": "WWWW WWWW",
                          "font": {"family": "Roboto", "size": 40, "color": "#ffffff", "weight": 700},
                          "align": {"horizontal": "left"},
                          "animation": {"preset": "typewriter", "duration": 1}},
                "start": 0.4, "length": 2.4, "width": 300, "height": 80}]},
            {"clips": [{
                "asset": {"type": "image", "src": "logo.png"},
                "start": 1, "length": 2, "scale": 0.5, "position": "topLeft",
                "transition": {"in": "wipeRight"}}]},
            {"clips": [{
                "asset": {"type": "video", "src": "v.mp4", "trim": 0.37, "speed": 1.5},
                "start": 0.2, "length": 2.6}]}
        ]},
        // Small frames of fine detail: the best x264 quality keeps the render's own loss
        // well under the threshold (at `medium` it alone costs 32-34 dB here).
        "output": {"format": "mp4", "size": {"width": 320, "height": 180}, "fps": 25,
                   "quality": "veryhigh"}
    });
    std::fs::copy(
        util::root().join("examples/media/logo.png"),
        dir.path().join("logo.png"),
    )
    .unwrap();
    std::fs::write(dir.path().join("anim.json"), edit.to_string()).unwrap();
    let (code, _, err) =
        util::run(util::reel(dir.path()).args(["render", "anim.json", "-o", "out"]));
    assert_eq!(code, 0, "{err}");
    let video = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "mp4"))
        .expect("a rendered mp4");
    // 0.8 s: typing; 1.24 s: the wipe mid-way; 2.36 s: an odd frame of the video, text at rest.
    check_stills(
        dir.path(),
        "anim.json",
        &[],
        &video,
        25.0,
        &[0.12, 0.8, 1.24, 2.36, 2.76],
    );
}

/// Drawn frame sequences that are not one file per output frame: `movingLetters` repeats its
/// drawn cycle to the end of the clip, so a still inside the second or third cycle must pick
/// the drawn frame the full render shows there (the merge of stills with bounded drawing).
#[test]
fn still_inside_a_repeating_text_cycle_matches_the_render() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let edit = serde_json::json!({
        "timeline": {"background": "#000000", "tracks": [{"clips": [{
            "asset": {"type": "rich-text", "text": "WAVE WAVE",
                      "font": {"family": "Open Sans", "size": 40, "color": "#ffffff"},
                      "animation": {"preset": "movingLetters"}},
            "start": 0, "length": 4, "width": 300, "height": 120}]}]},
        "output": {"format": "mp4", "size": {"width": 320, "height": 180}, "fps": 25,
                   "quality": "veryhigh"}
    });
    std::fs::write(dir.path().join("w.json"), edit.to_string()).unwrap();
    let (code, _, err) = util::run(util::reel(dir.path()).args(["render", "w.json", "-o", "out"]));
    assert_eq!(code, 0, "{err}");
    let video = dir.path().join("out/row-0001.mp4");
    // 0.3 s: the entrance; 1.0 s: the first cycle; 2.12 and 3.28 s: later repeats of it.
    check_stills(
        dir.path(),
        "w.json",
        &[],
        &video,
        25.0,
        &[0.3, 1.0, 2.12, 3.28],
    );
}

#[test]
fn a_still_after_the_end_shows_the_last_frame_and_says_so() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let edit = serde_json::json!({
        "timeline": {"background": "#000000", "tracks": [{"clips": [
            {"asset": {"type": "shape", "shape": "rectangle", "fill": {"color": "#ff0000"},
                       "rectangle": {"width": 320, "height": 180}},
             "start": 0, "length": 1},
            {"asset": {"type": "shape", "shape": "rectangle", "fill": {"color": "#0000ff"},
                       "rectangle": {"width": 320, "height": 180}},
             "start": 1, "length": 1}]}]},
        "output": {"format": "mp4", "size": {"width": 320, "height": 180}, "fps": 25}
    });
    std::fs::write(dir.path().join("s.json"), edit.to_string()).unwrap();
    let run = |at: &str| {
        util::run(util::reel(dir.path()).args(["still", "s.json", "--at", at, "-o", "s.png"]))
    };
    let (code, _, err) = run("2");
    assert_eq!(code, 0, "{err}");
    assert!(
        !err.contains("after the end"),
        "the end itself is no warning: {err}"
    );
    let (code, _, err) = run("99");
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("at 99 s, is after the end of the video (2 s)"),
        "{err}"
    );
    // The last frame: blue, not black.
    let rgb = image_rgb(&dir.path().join("s.png"));
    let (r, g, b) = (rgb[0], rgb[1], rgb[2]);
    assert!(b > 200 && r < 60 && g < 60, "last frame pixel {r},{g},{b}");
}

#[test]
fn a_negative_moment_is_refused_with_what_is_wrong() {
    // `--at -1` used to be taken for an unknown flag by the argument parser.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.edit"), "output mp4 sd fps=25\n").unwrap();
    for args in [
        &["still", "t.edit", "--at", "-1"][..],
        &["graph", "t.edit", "--at", "-0.5"][..],
        &["still", "t.edit", "--at", "inf"][..],
    ] {
        let (code, _, err) = util::run(util::reel(dir.path()).args(args));
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains("a time in seconds, 0 or more"),
            "{args:?}: {err}"
        );
        assert!(!dir.path().join("t.png").exists());
    }
}
