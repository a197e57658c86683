//! Integration tests: batches rendered on a shared base (issue 16), against full renders of
//! the same rows, with real ffmpeg (320x180, 2 s, 3 rows; the reference scene's layout).

use std::path::Path;
use std::process::Command;

use crate::util::{BatchScene, fixture, have_ffmpeg, reel, samples};

/// A scene like the reference one (title per row over a logo, a Ken Burns photo, two videos
/// and a soundtrack), its 3 rows and generated media, with its own cache.
struct Scene(BatchScene);

impl std::ops::Deref for Scene {
    type Target = BatchScene;
    fn deref(&self) -> &BatchScene {
        &self.0
    }
}

fn ff(args: &[&str]) {
    crate::util::ffmpeg(args);
}

impl Scene {
    fn new() -> Scene {
        let s = Scene(BatchScene::new());
        for f in ["scene.json", "names.csv"] {
            std::fs::copy(fixture("shared").join(f), s.path(f)).expect("copy");
        }
        s.clip("clipA.mp4", "testsrc2", "null", 3, 440);
        s.clip("clipB.mp4", "smptebars", "null", 3, 660);
        let photo = s.path("assets/photo.png");
        ff(&[
            "-f",
            "lavfi",
            "-i",
            "mandelbrot=size=480x270:rate=1",
            "-frames:v",
            "1",
            photo.to_str().unwrap(),
        ]);
        let logo = s.path("assets/logo.png");
        ff(&[
            "-f",
            "lavfi",
            "-i",
            "color=c=orange:s=128x128,format=rgba,geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='if(lt(hypot(X-64,Y-64),60),255,0)'",
            "-frames:v",
            "1",
            logo.to_str().unwrap(),
        ]);
        let music = s.path("assets/music.mp3");
        ff(&[
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=220:sample_rate=44100:duration=4",
            "-ac",
            "2",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "128k",
            music.to_str().unwrap(),
        ]);
        s
    }
}

/// The lowest per-frame PSNR (dB, Y/U/V average) of video `a` against `b`, and their frame
/// counts; identical frames count as 1000 dB.
fn min_psnr(a: &Path, b: &Path) -> (f64, usize) {
    let log = a.with_extension("psnr.log");
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"])
        .arg("-i")
        .arg(a)
        .arg("-i")
        .arg(b)
        .arg("-lavfi")
        .arg(format!("[0:v][1:v]psnr=stats_file={}", log.display()))
        .args(["-f", "null", "-"])
        .output()
        .expect("ffmpeg psnr");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&log).expect("psnr log");
    let values: Vec<f64> = text
        .lines()
        .filter_map(|l| {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix("psnr_avg:"))
        })
        .map(|v| {
            if v == "inf" {
                1000.0
            } else {
                v.parse().unwrap()
            }
        })
        .collect();
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    (min, values.len())
}

/// Frames in a video's first stream.
fn frame_count(v: &Path) -> usize {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=nb_read_frames", "-of", "csv=p=0"])
        .arg(v)
        .output()
        .expect("ffprobe");
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// Each row of the shared-base batch against the same row rendered alone (a single render is
/// always a full graph).
fn assert_same_as_full(s: &Scene, shared_dir: &str, full_dir: &str) {
    for name in ["row-0001", "row-0002", "row-0003"] {
        let a = s.path(shared_dir).join(format!("{name}.mp4"));
        let b = s.path(full_dir).join(format!("{name}.mp4"));
        let (min, n) = min_psnr(&a, &b);
        assert_eq!(n, 50, "{name}: frames compared");
        assert_eq!(frame_count(&a), frame_count(&b));
        assert!(min >= 50.0, "{name}: lowest frame PSNR {min:.1} dB");
        let (sa, sb) = (samples(&a), samples(&b));
        assert!(!sa.is_empty());
        assert!(
            (sa.len() as i64 - sb.len() as i64).abs() <= 2048,
            "{} vs {}",
            sa.len(),
            sb.len()
        );
        let worst = sa
            .iter()
            .zip(&sb)
            .map(|(x, y)| (i32::from(*x) - i32::from(*y)).abs())
            .max();
        assert!(
            worst.unwrap_or(0) <= 64,
            "{name}: sound differs by up to {worst:?}"
        );
    }
}

#[test]
fn a_batch_on_a_shared_base_matches_full_renders_and_remakes_the_base_when_an_asset_changes() {
    if !have_ffmpeg() {
        return;
    }
    let s = Scene::new();
    // `reel graph` says what a row of this batch renders with.
    let (code, _, err) = s.reel(&["graph", "scene.json", "--data", "names.csv", "--row", "2"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("shared base with 4 clips"), "{err}");
    // The full graph, one row at a time (a single render never makes a base).
    for row in ["1", "2", "3"] {
        s.render("full", row, &[]);
    }
    assert!(
        s.shared_files(".nut").is_empty(),
        "single renders made a base"
    );
    s.render("out", "1-3", &[]);
    let bases = s.shared_files(".nut");
    assert_eq!(bases.len(), 1, "one base for the batch: {bases:?}");
    assert_same_as_full(&s, "out", "full");

    // `--force` makes the base again (once).
    let made = std::fs::metadata(&bases[0]).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    s.render("out", "1-3", &["--force"]);
    assert_eq!(s.shared_files(".nut"), bases);
    assert!(std::fs::metadata(&bases[0]).unwrap().modified().unwrap() > made);

    // An invariant asset changes: the rows re-render (their files changed) on a new base.
    s.clip("clipA.mp4", "rgbtestsrc", "null", 3, 440);
    s.render("out", "1-3", &[]);
    let after = s.shared_files(".nut");
    assert_eq!(after.len(), 2, "a new base for the new clip: {after:?}");
    std::fs::remove_dir_all(s.path("full")).unwrap();
    for row in ["1", "2", "3"] {
        s.render("full", row, &[]);
    }
    assert_same_as_full(&s, "out", "full");
}

#[test]
fn two_shards_at_once_make_one_base_and_both_use_it() {
    if !have_ffmpeg() {
        return;
    }
    let s = Scene::new();
    std::fs::write(s.path("four.csv"), "NAME\nJane\nAhmed\nZoë\nO'Brien\n").unwrap();
    let shard = |k: &str| {
        let mut c = reel(s.dir.path());
        c.env("REEL_CACHE_DIR", s.path("cache"))
            .args(["render", "scene.json", "--data", "four.csv", "-o", "out"])
            .args(["-j", "2", "--shard", k])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        c.spawn().expect("spawn reel")
    };
    let (a, b) = (shard("0/2"), shard("1/2"));
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(
        s.shared_files(".nut").len(),
        1,
        "{:?}",
        s.shared_files(".nut")
    );
    let left: Vec<_> = std::fs::read_dir(s.path("cache/shared"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| !n.to_string_lossy().ends_with(".nut"))
        .collect();
    assert!(left.is_empty(), "partial bases left: {left:?}");
    // Row 4 (shard 1) against its full graph.
    let (code, _, err) = s.reel(&[
        "render",
        "scene.json",
        "--data",
        "four.csv",
        "-o",
        "full",
        "--rows",
        "4",
    ]);
    assert_eq!(code, 0, "{err}");
    let (min, n) = min_psnr(&s.path("out/row-0004.mp4"), &s.path("full/row-0004.mp4"));
    assert_eq!(n, 50);
    assert!(min >= 50.0, "lowest frame PSNR {min:.1} dB");
}
