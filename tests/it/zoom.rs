//! Ken Burns zooms of still pictures drawn by reel (`src/render/zoom`): the same picture as
//! ffmpeg's `perspective` (the old path, `REEL_ZOOM=perspective`), fed through a FIFO that a
//! cancelled render does not leave behind.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::util::{have_ffmpeg, lavfi, reel, run};

/// A Shotstack template: a textured photo zooming in with fades, another zooming out
/// inside a smaller box at a corner (its edges fade into the background).
fn template(dir: &Path, seconds: f64, size: (u32, u32)) {
    lavfi(
        dir,
        "photo.jpg",
        &["testsrc2=s=800x450:d=1"],
        &["-frames:v", "1", "-q:v", "2"],
    );
    let edit = json!({
        "timeline": { "background": "#203040", "tracks": [
            { "clips": [
                { "asset": { "type": "image", "src": "photo.jpg" },
                  "start": 0, "length": seconds, "scale": 0.4, "position": "topRight",
                  "effect": "zoomOut" }
            ] },
            { "clips": [
                { "asset": { "type": "image", "src": "photo.jpg" },
                  "start": 0, "length": seconds, "effect": "zoomIn",
                  "transition": { "in": "fade", "out": "fade" } }
            ] }
        ] },
        "output": { "format": "mp4", "size": { "width": size.0, "height": size.1 }, "fps": 25 }
    });
    std::fs::write(dir.join("z.json"), edit.to_string()).unwrap();
}

/// `reel render z.json` into `out`, with `REEL_ZOOM` set to `zoom` (or unset).
fn render(dir: &Path, out: &str, zoom: Option<&str>) -> std::path::PathBuf {
    let mut c = reel(dir);
    c.env("REEL_CACHE_DIR", dir.join("cache"))
        .args(["render", "z.json", "-o", out]);
    match zoom {
        Some(z) => c.env("REEL_ZOOM", z),
        None => c.env_remove("REEL_ZOOM"),
    };
    let (code, _, err) = run(&mut c);
    assert_eq!(code, 0, "{err}");
    dir.join(out).join("row-0001.mp4")
}

/// `reel graph` of the template: the command (stdout) and the notes (stderr).
fn graph(dir: &Path, zoom: Option<&str>) -> (String, String) {
    let mut c = reel(dir);
    c.env("REEL_CACHE_DIR", dir.join("cache"))
        .args(["graph", "z.json"]);
    match zoom {
        Some(z) => c.env("REEL_ZOOM", z),
        None => c.env_remove("REEL_ZOOM"),
    };
    let (code, out, err) = run(&mut c);
    assert_eq!(code, 0, "{err}");
    (out, err)
}

/// Per-frame PSNR (all planes) of `a` against `b`.
fn psnr(a: &Path, b: &Path) -> Vec<f64> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-loglevel", "error", "-i"])
        .arg(a)
        .arg("-i")
        .arg(b)
        .args(["-lavfi", "[0:v][1:v]psnr=stats_file=-", "-f", "null", "-"])
        .output()
        .expect("ffmpeg");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix("psnr_avg:"))
        })
        .map(|v| if v == "inf" { 99.0 } else { v.parse().unwrap() })
        .collect()
}

#[test]
fn drawn_zooms_match_the_perspective_render_frame_by_frame() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    template(dir.path(), 2.0, (640, 360));
    let (new, notes) = graph(dir.path(), None);
    assert!(!new.contains("perspective"), "{new}");
    // The printed command reads FIFOs reel feeds: it says so, and how to get one that runs alone.
    assert!(
        notes.contains("3 still-picture zooms are drawn by reel")
            && notes.contains("REEL_ZOOM=perspective"),
        "{notes}"
    );
    // One piece zooming out; one zooming in, cut where its fade-in ends and its fade-out starts.
    assert_eq!(new.matches("-f rawvideo").count(), 3, "{new}");
    let (old, notes) = graph(dir.path(), Some("perspective"));
    assert!(!notes.contains("drawn by reel"), "{notes}");
    assert!(
        old.contains("perspective") && !old.contains("rawvideo"),
        "{old}"
    );
    let a = render(dir.path(), "new", None);
    let b = render(dir.path(), "old", Some("perspective"));
    let p = psnr(&a, &b);
    assert_eq!(p.len(), 50);
    let worst = p.iter().copied().fold(f64::MAX, f64::min);
    eprintln!("PSNR of the drawn zooms against perspective: worst frame {worst:.1} dB");
    assert!(worst >= 38.0, "worst frame {worst} dB: {p:?}");
}

#[test]
fn a_terminated_render_stops_promptly_and_leaves_no_fifo() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    template(dir.path(), 60.0, (1280, 720));
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let zoom_dirs = || {
        std::fs::read_dir(&tmp)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with(".reel-zoom-"))
            .count()
    };
    let mut child = reel(dir.path())
        .env("REEL_CACHE_DIR", dir.path().join("cache"))
        .env("TMPDIR", &tmp)
        .env_remove("REEL_ZOOM")
        .args(["render", "z.json", "-o", "out"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the writers are feeding ffmpeg, then a while longer.
    let start = Instant::now();
    while zoom_dirs() == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no FIFO appeared"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "reel ended before rendering"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "a 60 s render ended early"
    );
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let killed = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            killed.elapsed() < Duration::from_secs(10),
            "reel still running 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130));
    assert_eq!(zoom_dirs(), 0, "a FIFO directory was left behind");
    assert!(!dir.path().join("out/row-0001.mp4").exists());
}
