//! Integration tests: video segments (issue 16). A window of frames compiled alone, batch rows
//! that encode only the frames they change, and one render split into segments, each checked
//! frame by frame against the single-process render with real ffmpeg.

use std::path::{Path, PathBuf};
use std::process::Command;

use reel::render::compile::{RenderOptions, compile_window};
use reel::render::timeline::*;

use crate::util::{self, BatchScene, ffmpeg, grey_frames, samples};

const W: u32 = 160;
const H: u32 = 90;

/// A `secs` long 25 fps clip of lavfi `src` at W×H, lossless, with a tone.
fn video(dir: &Path, name: &str, src: &str, secs: f64) -> PathBuf {
    util::tone_video(dir, name, src, (W, H), secs, 330)
}

fn media(path: &Path, start: f64, length: f64, info: MediaInfo, visual: Visual) -> TimedClip {
    TimedClip {
        pointer: "/timeline/tracks/0/clips/0".into(),
        start,
        length,
        kind: if info.is_still {
            ClipKind::Image
        } else {
            ClipKind::Video
        },
        source: Source::Media {
            path: path.to_path_buf(),
            info,
        },
        visual,
        media: MediaParams::default(),
    }
}

fn moving(secs: f64) -> MediaInfo {
    MediaInfo {
        duration: secs,
        width: W,
        height: H,
        fps: 25.0,
        has_video: true,
        has_audio: true,
        is_still: false,
        has_alpha: false,
        image2: false,
    }
}

/// PSNR (dB) of two grey frames; identical frames are 100 dB.
pub(crate) fn psnr(a: &[u8], b: &[u8]) -> f64 {
    let mse = a
        .iter()
        .zip(b)
        .map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
        .sum::<f64>()
        / a.len() as f64;
    if mse == 0.0 {
        100.0
    } else {
        10.0 * (255.0 * 255.0 / mse).log10()
    }
}

/// `got` shows frames `first..` of `want`, frame for frame: each frame at least `min_db` dB
/// from its own frame of `want` and nearer to it than to the neighbours there.
#[track_caller]
pub(crate) fn assert_frames_match(got: &[Vec<u8>], want: &[Vec<u8>], first: usize, min_db: f64) {
    for (i, g) in got.iter().enumerate() {
        let k = first + i;
        let own = psnr(g, &want[k]);
        assert!(
            own >= min_db,
            "frame {k}: {own:.1} dB against the full render"
        );
        for n in [k.checked_sub(1), Some(k + 1)].into_iter().flatten() {
            if let Some(w) = want.get(n).filter(|w| *w != &want[k]) {
                let other = psnr(g, w);
                assert!(
                    own > other,
                    "frame {k} looks like frame {n} ({other:.1} dB) more than itself ({own:.1} dB)"
                );
            }
        }
    }
}

/// Runs a plan with ffmpeg into `out`.
fn run_plan(plan: &reel::render::RenderPlan, out: &Path) {
    let st = Command::new("ffmpeg")
        .args(["-loglevel", "error"])
        .args(plan.to_args(out))
        .output()
        .expect("spawn");
    assert!(
        st.status.success(),
        "{}\n{}",
        plan.to_shell(out),
        String::from_utf8_lossy(&st.stderr)
    );
}

/// Video packet times (seconds) of a file, in presentation order.
pub(crate) fn video_times(v: &Path) -> Vec<f64> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0"])
        .args(["-show_entries", "packet=pts_time", "-of", "csv=p=0"])
        .arg(v)
        .output()
        .expect("ffprobe");
    let mut t: Vec<f64> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().trim_end_matches(',').parse().ok())
        .collect();
    t.sort_by(f64::total_cmp);
    t
}

#[test]
fn a_window_of_frames_compiles_alone_frame_exact() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let a = video(dir.path(), "a.mp4", "testsrc2", 3.0);
    let b = video(dir.path(), "b.mp4", "testsrc2", 3.0);
    let logo = dir.path().join("logo.png");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=c=orange:s=40x40",
        "-frames:v",
        "1",
        logo.to_str().unwrap(),
    ]);
    let still = MediaInfo {
        duration: 0.0,
        width: 40,
        height: 40,
        fps: 0.0,
        has_video: true,
        has_audio: false,
        is_still: true,
        has_alpha: false,
        image2: false,
    };
    let fading = Visual {
        opacity: Anim::Const(0.7),
        transition_in: Transition::parse("fade"),
        transition_out: Transition::parse("fadeFast"),
        ..Visual::default()
    };
    let mut second = media(&b, 2.0, 2.0, moving(3.0), Visual::default());
    second.media.trim = 0.5;
    let tl = Timeline {
        canvas: Canvas {
            width: W,
            height: H,
            fps: Fps { num: 25, den: 1 },
        },
        duration: 4.0,
        background: Color::BLACK,
        tracks: vec![
            vec![media(&logo, 1.0, 2.4, still, fading)],
            vec![media(&a, 0.0, 2.0, moving(3.0), Visual::default()), second],
        ],
        soundtrack: None,
        output: OutputSpec {
            quality: Quality::VeryHigh,
            ..OutputSpec::default()
        },
        files: Vec::new(),
    };
    let opts = RenderOptions::default();
    let full = dir.path().join("full.mp4");
    run_plan(&reel::render::compile(&tl, &opts).unwrap(), &full);
    let want = grey_frames(&full, W, H);
    assert_eq!(want.len(), 100);
    // Windows: from the start; one starting inside a video (computed from its start, then
    // trimmed); one starting where the second video starts (seeked at demux time) inside
    // the picture at rest; one inside the picture's fade out.
    for (f0, f1) in [(0, 30), (30, 62), (50, 75), (75, 100)] {
        let plan = compile_window(&tl, &opts, (f0, f1)).unwrap();
        assert_eq!(plan.frames, (f1 - f0) as u64);
        assert_eq!(plan.maps.len(), 1, "video only");
        if f0 == 50 {
            let b_input = plan.inputs.iter().find(|i| i.path == b).unwrap();
            assert!(b_input.args_before_i.contains(&"-ss".to_owned()));
            assert!(plan.inputs.iter().all(|i| i.path != a), "a ends before 50");
        }
        let out = dir.path().join(format!("w{f0}.mp4"));
        run_plan(&plan, &out);
        let got = grey_frames(&out, W, H);
        assert_eq!(got.len(), f1 - f0, "window {f0}..{f1}");
        let times = video_times(&out);
        assert!((times[0]).abs() < 1e-6, "{times:?}");
        assert_frames_match(&got, &want, f0, 35.0);
    }
    // Not a video format: an error, not a plan.
    let mut gif = tl.clone();
    gif.output.format = Format::Gif;
    assert!(compile_window(&gif, &opts, (0, 10)).is_err());
}

/// A 4 s batch scene (320×180, 25 fps): a row title over the first 1.5 s, a logo and a video
/// every row shows alike, a soundtrack; 3 rows; its own cache.
struct Scene(BatchScene);

impl std::ops::Deref for Scene {
    type Target = BatchScene;
    fn deref(&self) -> &BatchScene {
        &self.0
    }
}

const SCENE: &str = r##"{
  "timeline": {
    "background": "#000000",
    "soundtrack": { "src": "assets/music.mp3", "effect": "fadeInFadeOut", "volume": 0.5 },
    "tracks": [
      { "clips": [
        { "asset": { "type": "text", "text": "Hello, {{ NAME }}!", "width": 200, "height": 28,
                     "font": { "family": "DejaVu Sans Bold", "size": 16, "color": "#ffffff" },
                     "background": { "color": "#000000", "opacity": 0.6 } },
          "start": 0, "length": 1.5, "position": "center", "transition": { "in": "fade" } },
        { "asset": { "type": "image", "src": "assets/logo.png" },
          "start": 0, "length": 4, "fit": "none", "position": "bottomLeft", "opacity": 0.8 }
      ] },
      { "clips": [
        { "asset": { "type": "video", "src": "assets/clip.mp4" }, "start": 0, "length": 4 }
      ] }
    ]
  },
  "output": { "format": "mp4", "size": { "width": 320, "height": 180 }, "fps": 25 }
}"##;

impl Scene {
    fn new() -> Scene {
        let s = Scene(BatchScene::new());
        std::fs::write(s.path("scene.json"), SCENE).unwrap();
        std::fs::write(s.path("names.csv"), "NAME\nJane\nAhmed\nZoë\n").unwrap();
        s.clip("clip.mp4", "testsrc2", "null", 5, 440);
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "color=c=orange:s=64x64",
            "-frames:v",
            "1",
            s.path("assets/logo.png").to_str().unwrap(),
        ]);
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=220:sample_rate=44100:duration=5",
            "-ac",
            "2",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "128k",
            s.path("assets/music.mp3").to_str().unwrap(),
        ]);
        s
    }
}

/// Start times of a file's streams (video, audio), seconds.
fn starts(v: &Path) -> Vec<String> {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type,start_time,duration",
        ])
        .args(["-of", "csv=p=0"])
        .arg(v)
        .output()
        .expect("ffprobe");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Row `name` of `got` against the same row rendered whole in `want`: the same frames at the
/// same times (each frame ≥ 35 dB and nearest its own), the same sound in sync.
fn assert_row_matches(s: &Scene, got: &str, want: &str, name: &str) {
    assert_video_matches(s, got, want, name, 100);
}

/// [`assert_row_matches`] for a video of `frames` frames.
fn assert_video_matches(s: &Scene, got: &str, want: &str, name: &str, frames: usize) {
    let (a, b) = assert_pictures_match(s, got, want, name, frames);
    let (sa, sb) = (samples(&a), samples(&b));
    assert!(!sa.is_empty());
    assert_eq!(sa.len(), sb.len(), "{name}: sound length");
    let worst = sa
        .iter()
        .zip(&sb)
        .map(|(x, y)| (i32::from(*x) - i32::from(*y)).abs())
        .max()
        .unwrap_or(0);
    assert!(worst <= 64, "{name}: sound differs by up to {worst}");
}

/// The picture half of [`assert_video_matches`]; the two files.
fn assert_pictures_match(
    s: &Scene,
    got: &str,
    want: &str,
    name: &str,
    frames: usize,
) -> (PathBuf, PathBuf) {
    let (a, b) = (
        s.path(got).join(format!("{name}.mp4")),
        s.path(want).join(format!("{name}.mp4")),
    );
    let (fa, fb) = (grey_frames(&a, 320, 180), grey_frames(&b, 320, 180));
    assert_eq!(fa.len(), frames, "{name}");
    assert_eq!(fa.len(), fb.len(), "{name}");
    assert_frames_match(&fa, &fb, 0, 35.0);
    assert_eq!(video_times(&a), video_times(&b), "{name}: frame times");
    assert_eq!(
        starts(&a),
        starts(&b),
        "{name}: stream starts and durations"
    );
    (a, b)
}

/// Sound `got` against `want` mixed apart and AAC-encoded apart: the same length, in sync (the
/// error is smallest with no shift) and within codec noise (>= 35 dB signal to error). Summing
/// the row's sound onto the premixed shared one changes float rounding, which the encoder
/// turns into noise about 40 dB down; a misplaced or missing sound is far below that.
fn assert_sound_close(got: &[i16], want: &[i16], name: &str) {
    assert_eq!(got.len(), want.len(), "{name}: sound length");
    let energy = |shift: usize| -> f64 {
        got.iter()
            .skip(shift)
            .zip(want)
            .map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
            .sum()
    };
    let err = energy(0);
    let signal: f64 = want.iter().map(|x| f64::from(*x).powi(2)).sum();
    let snr = 10.0 * (signal / err.max(1.0)).log10();
    assert!(
        snr >= 35.0,
        "{name}: sound {snr:.1} dB from the full render's"
    );
    for shift in [2, 4] {
        assert!(
            err < energy(shift),
            "{name}: sound closer when shifted by {shift}"
        );
    }
}

#[test]
fn batch_rows_encode_only_their_own_frames_and_match_full_renders() {
    if !util::have_ffmpeg() {
        return;
    }
    let s = Scene::new();
    let note = s.reel_ok(&["graph", "scene.json", "--data", "names.csv", "--row", "2"]);
    assert!(
        note.contains("segments: each row encodes 39 of 100 frames itself"),
        "{note}"
    );
    // Single renders: the full graph, every frame encoded.
    for row in ["1", "2", "3"] {
        s.render("full", row, &[]);
    }
    assert!(
        s.shared_files(".mp4").is_empty(),
        "single renders made segments"
    );
    // 3 rows at 2 jobs: the shared segment and the sound are made once.
    let err = s.render("out", "1-3", &[]);
    assert!(err.contains("1 base(s) and 2 segment(s) made"), "{err}");
    assert!(
        err.contains("3 of them encoding only their own frames"),
        "{err}"
    );
    let segments = s.shared_files(".mp4");
    assert_eq!(segments.len(), 1, "{segments:?}");
    assert!(segments[0].to_string_lossy().contains("-v39-100-"));
    assert_eq!(s.shared_files(".m4a").len(), 1);
    for name in ["row-0001", "row-0002", "row-0003"] {
        assert_row_matches(&s, "out", "full", name);
    }
    // The sound is stream-copied from the one encode: every row's is the same.
    let one = samples(&s.path("out/row-0001.mp4"));
    assert_eq!(one, samples(&s.path("out/row-0003.mp4")));
    let left: Vec<_> = std::fs::read_dir(s.path("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("segments") || n.contains(".part"))
        .collect();
    assert!(left.is_empty(), "work files left: {left:?}");

    // `--force` makes the segments again, once.
    let err = s.render("out", "1-3", &["--force"]);
    assert!(err.contains("1 base(s) and 2 segment(s) made"), "{err}");

    // An invariant asset changes: a new base and new segments, and the rows follow it.
    s.clip("clip.mp4", "testsrc2", "negate", 5, 440);
    let err = s.render("out", "1-3", &[]);
    assert!(err.contains("1 base(s) and 2 segment(s) made"), "{err}");
    assert_eq!(s.shared_files(".mp4").len(), 2);
    std::fs::remove_dir_all(s.path("full")).unwrap();
    s.render("full", "2", &[]);
    assert_row_matches(&s, "out", "full", "row-0002");
}

#[test]
fn batch_rows_with_their_own_sound_mix_it_per_row_and_match_full_renders() {
    if !util::have_ffmpeg() {
        return;
    }
    let s = Scene::new();
    // Each row also plays its own tone (0.5-1.5 s) over the shared soundtrack.
    let scene = SCENE.replace(
        r#"{ "asset": { "type": "image", "src": "assets/logo.png" },"#,
        r#"{ "asset": { "type": "audio", "src": "assets/{{ TONE }}.mp3" }, "start": 0.5, "length": 1 },
        { "asset": { "type": "image", "src": "assets/logo.png" },"#,
    );
    assert_ne!(scene, SCENE);
    std::fs::write(s.path("scene.json"), scene).unwrap();
    std::fs::write(
        s.path("names.csv"),
        "NAME,TONE\nJane,low\nAhmed,high\nZoë,low\n",
    )
    .unwrap();
    for (name, hz) in [("low", 300), ("high", 1200)] {
        let tone = format!("sine=frequency={hz}:sample_rate=44100:duration=2");
        let out = s.path(&format!("assets/{name}.mp3"));
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            &tone,
            "-ac",
            "2",
            "-c:a",
            "libmp3lame",
            out.to_str().unwrap(),
        ]);
    }
    for row in ["1", "2", "3"] {
        s.render("full", row, &[]);
    }
    let err = s.render("out", "1-3", &[]);
    assert!(
        err.contains("3 of them encoding only their own frames"),
        "{err}"
    );
    assert!(
        s.shared_files(".m4a").is_empty(),
        "a shared sound was made for rows with their own"
    );
    for name in ["row-0001", "row-0002", "row-0003"] {
        let (a, b) = assert_pictures_match(&s, "out", "full", name, 100);
        assert_sound_close(&samples(&a), &samples(&b), name);
    }
    assert_ne!(
        samples(&s.path("out/row-0001.mp4")),
        samples(&s.path("out/row-0002.mp4")),
        "rows with different tones sound the same"
    );
}

/// 6 s: a title and a logo over a video at 30 fps (0-3 s) and a greyscale one trimmed, fading
/// in at 2.5 s; a soundtrack. No row data: one video.
const LONG: &str = r##"{
  "timeline": {
    "soundtrack": { "src": "assets/music.mp3", "effect": "fadeInFadeOut", "volume": 0.5 },
    "tracks": [
      { "clips": [
        { "asset": { "type": "text", "text": "Hello!", "width": 200, "height": 28,
                     "font": { "family": "DejaVu Sans Bold", "size": 16, "color": "#ffffff" },
                     "background": { "color": "#000000", "opacity": 0.6 } },
          "start": 0, "length": 2.5, "position": "center", "transition": { "in": "fade" } },
        { "asset": { "type": "image", "src": "assets/logo.png" },
          "start": 0, "length": 6, "fit": "none", "position": "bottomLeft", "opacity": 0.8 }
      ] },
      { "clips": [
        { "asset": { "type": "video", "src": "assets/clip.mp4", "trim": 0.4 }, "start": 2.5,
          "length": 3.5, "filter": "greyscale", "transition": { "in": "fade" } }
      ] },
      { "clips": [
        { "asset": { "type": "video", "src": "assets/clip.mp4" }, "start": 0, "length": 3 }
      ] }
    ]
  },
  "output": { "format": "mp4", "size": { "width": 320, "height": 180 }, "fps": 25 }
}"##;

#[test]
fn one_render_in_parallel_segments_matches_the_single_process_render() {
    if !util::have_ffmpeg() {
        return;
    }
    let s = Scene::new();
    std::fs::write(s.path("long.json"), LONG).unwrap();
    let err = s.reel_ok(&[
        "render",
        "long.json",
        "-o",
        "one",
        "-j",
        "1",
        "--segments",
        "1",
    ]);
    assert!(!err.contains("segments:"), "{err}");
    let err = s.reel_ok(&["render", "long.json", "-o", "seg", "--segments", "3"]);
    assert!(
        err.contains("segments: 1 video(s) rendered in 3 segments at once"),
        "{err}"
    );
    // Frame-exact, same times, and the sound (mixed once) sample for sample in sync.
    assert_video_matches(&s, "seg", "one", "row-0001", 150);
    let (a, b) = (s.path("seg/row-0001.mp4"), s.path("one/row-0001.mp4"));
    assert_eq!(samples(&a), samples(&b));
    let left: Vec<_> = std::fs::read_dir(s.path("seg"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("segments") || n.contains(".part"))
        .collect();
    assert!(left.is_empty(), "work files left: {left:?}");
}
