//! Integration tests: resolve, probe, fetch and the ffmpeg runner.

use reel::diagnostics::{Diagnostic, RenderConfig, SourceMap, Span, render_text};
use reel::edit::origins::Origin;
use reel::edit::{Edit, Origins};
use reel::render::raster::Fonts;
use reel::render::timeline::{ClipKind, Source};
use reel::render::{RenderJob, RenderOptions, ResolveContext};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use reel::render::Cancel;
use reel::render::cache::{Cache, CacheStats};
use reel::render::fetch;
use reel::render::probe::{self, ProbeError};
use reel::render::run::{self, FfmpegJob, RunError, SideFrame};

use crate::util::{have_ffmpeg, lavfi};

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
fn probe_cache_hits_by_path_size_mtime_and_content() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path().join("cache"));
    let video = tiny_video(dir.path());
    let first = probe::probe_cached(&video, &cache).unwrap();
    assert_eq!(probe::probe_cached(&video, &cache).unwrap(), first);
    assert_eq!(CacheStats::get(&cache.stats().probe_runs), 1);
    assert_eq!(CacheStats::get(&cache.stats().probe_hits), 1);
    // The same bytes under another name are probed again: ffmpeg reads by name too.
    let copy = dir.path().join("renamed.mp4");
    std::fs::copy(&video, &copy).unwrap();
    assert_eq!(probe::probe_cached(&copy, &cache).unwrap(), first);
    assert_eq!(CacheStats::get(&cache.stats().probe_runs), 2);
    // A different file is probed.
    lavfi(dir.path(), "other.mp4", &["testsrc=s=32x32:r=10:d=1"], &[]);
    probe::probe_cached(&dir.path().join("other.mp4"), &cache).unwrap();
    assert_eq!(CacheStats::get(&cache.stats().probe_runs), 3);
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

/// Whether `dir` holds no `.part` file (their names are unique per run, so look for any).
fn no_part_files(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .unwrap()
        .all(|e| !e.unwrap().file_name().to_string_lossy().contains(".part"))
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
    assert!(no_part_files(dir.path()));
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
    assert!(no_part_files(dir.path()));
}

// ---- resolve -------------------------------------------------------------------------------
/// Media for resolve tests: `clip.mp4` (1 s, 160×90, sound), `a.png` (64×32), `a.mp3` (0.5 s),
/// `bad.mp4` (not media).
fn media_dir(dir: &Path) {
    tiny_video(dir);
    lavfi(dir, "a.png", &["color=red:s=64x32"], &["-frames:v", "1"]);
    lavfi(dir, "a.mp3", &["sine=d=0.5"], &[]);
    std::fs::write(dir.join("bad.mp4"), b"this is not a video").unwrap();
}

/// Parses `text` as an Edit and records, for each `(pointer, needle)`, the span of `needle`
/// in `text` as that pointer's origin, so diagnostics point into the document.
fn edit_with_origins(sources: &SourceMap, text: &str, marks: &[(&str, &str)]) -> (Edit, Origins) {
    let file = sources.add("edit.json", text.to_string());
    let mut origins = Origins::new();
    for (ptr, needle) in marks {
        let start = text
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} not in the edit"));
        let span = Span::new(file, start..start + needle.len());
        origins.insert(*ptr, Origin { span, cell: None });
    }
    (serde_json::from_str(text).unwrap(), origins)
}

fn resolve_in<'a>(
    dir: &Path,
    cache: &Cache,
    fonts: &'a Fonts,
    origins: Option<&'a Origins>,
) -> ResolveContext<'a> {
    ResolveContext {
        base_dir: dir.to_owned(),
        cache: cache.clone(),
        fonts,
        origins,
        sources: None,
        max_duration: reel::edit::DEFAULT_MAX_DURATION,
    }
}

/// The messages of the errors resolving `edit` in `dir` gives (it must fail).
fn error_messages(dir: &Path, edit: &Edit) -> Vec<String> {
    let cache = Cache::new(dir.join("cache"));
    let fonts = Fonts::bundled();
    let w = reel::render::resolve(edit, &resolve_in(dir, &cache, &fonts, None));
    let errors = w.output.expect_err("resolve should fail");
    errors.into_iter().map(|d| d.message).collect()
}

fn rendered(diags: &[Diagnostic], sources: &SourceMap) -> String {
    render_text(diags, sources, RenderConfig { color: false })
}

/// (start, length, kind) of each clip, times rounded to 1/100 s.
fn times_of(clips: &[reel::render::timeline::TimedClip]) -> Vec<(f64, f64, ClipKind)> {
    let r = |v: f64| (v * 100.0).round() / 100.0;
    clips
        .iter()
        .map(|c| (r(c.start), r(c.length), c.kind))
        .collect()
}

const TIMED_EDIT: &str = r##"{
  "timeline": {
    "background": "#102030",
    "tracks": [
      {"clips": [{"asset": {"type": "text", "text": "Hi"}, "start": 0, "length": "end",
                  "width": 80, "height": 40}]},
      {"clips": [
        {"asset": {"type": "video", "src": "clip.mp4"}, "start": 0, "length": "auto", "alias": "v"},
        {"asset": {"type": "image", "src": "a.png"}, "start": "auto", "length": 2}
      ]},
      {"clips": [{"asset": {"type": "audio", "src": "a.mp3"}, "start": "alias://v",
                  "length": "alias://v"}]}
    ]
  },
  "output": {"format": "mp4", "size": {"width": 160, "height": 90}}
}"##;

#[test]
fn resolve_times_probes_draws_and_lists_files() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    media_dir(dir.path());
    let cache = Cache::new(dir.path().join("cache"));
    let fonts = Fonts::bundled();
    let edit: Edit = serde_json::from_str(TIMED_EDIT).unwrap();
    let ctx = resolve_in(dir.path(), &cache, &fonts, None);
    let w = reel::render::resolve(&edit, &ctx);
    let t = w.output.unwrap();
    let times = |track: usize| times_of(&t.tracks[track]);
    assert_eq!(times(0), vec![(0.0, 3.0, ClipKind::Layer)]);
    assert_eq!(
        times(1),
        vec![(0.0, 1.0, ClipKind::Video), (1.0, 2.0, ClipKind::Image)]
    );
    assert_eq!(times(2), vec![(0.0, 1.0, ClipKind::Audio)]);
    assert_eq!((t.canvas.width, t.canvas.height), (160, 90));
    assert_eq!(t.duration, 3.0);
    assert_eq!(
        (t.background.r, t.background.g, t.background.b),
        (0x10, 0x20, 0x30)
    );
    let Source::Layer { png, width, height } = &t.tracks[0][0].source else {
        panic!("text is a layer")
    };
    assert_eq!((*width, *height), (80, 40));
    assert!(png.is_file());
    let names: Vec<String> = t
        .files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(&names[..3], ["clip.mp4", "a.png", "a.mp3"]);
    assert_eq!(t.files[3], *png);
    let stats = cache.stats();
    assert_eq!(
        (
            CacheStats::get(&stats.probe_runs),
            CacheStats::get(&stats.layers_written)
        ),
        (3, 1)
    );
    // A second resolve reads everything from the cache.
    reel::render::resolve(&edit, &ctx).output.unwrap();
    assert_eq!(
        (
            CacheStats::get(&stats.probe_runs),
            CacheStats::get(&stats.layers_written)
        ),
        (3, 1)
    );
    assert_eq!(CacheStats::get(&stats.probe_hits), 3);
}

#[test]
fn resolve_downloads_remote_media_once() {
    if !have_ffmpeg() {
        return;
    }
    use std::sync::atomic::Ordering;
    let dir = tempfile::tempdir().unwrap();
    media_dir(dir.path());
    let (base, hits) = serve(std::fs::read(dir.path().join("a.png")).unwrap());
    let text = format!(
        r#"{{"timeline": {{"tracks": [{{"clips": [
            {{"asset": {{"type": "image", "src": "{base}/ok.png"}}, "start": 0, "length": 1}},
            {{"asset": {{"type": "image", "src": "{base}/ok.png"}}, "start": 1, "length": 1}}]}}]}},
           "output": {{"format": "mp4", "resolution": "preview"}}}}"#
    );
    let edit: Edit = serde_json::from_str(&text).unwrap();
    let cache = Cache::new(dir.path().join("cache"));
    let fonts = Fonts::bundled();
    let ctx = resolve_in(dir.path(), &cache, &fonts, None);
    for _ in 0..2 {
        let t = reel::render::resolve(&edit, &ctx).output.unwrap();
        assert_eq!(t.tracks[0].len(), 2);
    }
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

const BROKEN_EDIT: &str = r#"{
  "timeline": {
    "tracks": [
      {"clips": [
        {"asset": {"type": "video", "src": "missing.mp4"}, "start": 0, "length": 1},
        {"asset": {"type": "video", "src": "bad.mp4"}, "start": 1, "length": 1},
        {"asset": {"type": "video", "src": "clip.mp4", "trim": 5}, "start": 2, "length": "auto"},
        {"asset": {"type": "text-to-speech", "text": "hello", "voice": "Matthew"}, "start": 3, "length": 1},
        {"asset": {"type": "caption", "src": "alias://v"}, "start": 4, "length": 1},
        {"asset": {"type": "image", "src": "a.png"}, "start": 5, "length": 1, "width": 100000, "height": 9}
      ]}
    ]
  },
  "output": {"format": "mp4", "size": {"width": 160, "height": 90}}
}"#;

#[test]
fn resolve_reports_every_media_problem_at_its_clip() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    media_dir(dir.path());
    let sources = SourceMap::new();
    let c = |i: usize| format!("/timeline/tracks/0/clips/{i}");
    let marks = [
        (c(0) + "/asset/src", "\"missing.mp4\""),
        (c(1) + "/asset/src", "\"bad.mp4\""),
        (c(2) + "/asset/trim", "\"trim\": 5"),
        (
            c(3) + "/asset",
            "{\"type\": \"text-to-speech\", \"text\": \"hello\", \"voice\": \"Matthew\"}",
        ),
        (c(4) + "/asset/src", "\"alias://v\""),
        (c(5) + "/width", "\"width\": 100000"),
    ];
    let marks: Vec<(&str, &str)> = marks.iter().map(|(p, n)| (p.as_str(), *n)).collect();
    let (edit, origins) = edit_with_origins(&sources, BROKEN_EDIT, &marks);
    let cache = Cache::new(dir.path().join("cache"));
    let fonts = Fonts::bundled();
    let ctx = resolve_in(dir.path(), &cache, &fonts, Some(&origins));
    let errors = reel::render::resolve(&edit, &ctx).output.unwrap_err();
    assert_eq!(errors.len(), 6, "{errors:#?}");
    insta::assert_snapshot!(rendered(&errors, &sources));
}

const ALIAS_EDIT: &str = r#"{
  "timeline": {
    "tracks": [
      {"clips": [
        {"asset": {"type": "image", "src": "a.png"}, "start": "alias://b", "length": 1, "alias": "a"},
        {"asset": {"type": "image", "src": "a.png"}, "start": "alias://a", "length": 1, "alias": "b"},
        {"asset": {"type": "image", "src": "a.png"}, "start": 0, "length": "alias://intr", "alias": "intro"},
        {"asset": {"type": "image", "src": "a.png"}, "start": 0, "length": 1, "alias": "intro"}
      ]}
    ]
  },
  "output": {"format": "mp4", "size": {"width": 160, "height": 90}}
}"#;

#[test]
fn resolve_alias_cycles_and_typos_snapshot() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    media_dir(dir.path());
    let sources = SourceMap::new();
    let c = |i: usize| format!("/timeline/tracks/0/clips/{i}");
    let marks = [
        (c(0) + "/start", "\"alias://b\""),
        (c(1) + "/start", "\"alias://a\""),
        (c(2) + "/length", "\"alias://intr\""),
        (c(2) + "/alias", "\"alias\": \"intro\"}"),
        (c(3) + "/alias", "\"length\": 1, \"alias\": \"intro\""),
    ];
    let marks: Vec<(&str, &str)> = marks.iter().map(|(p, n)| (p.as_str(), *n)).collect();
    let (edit, origins) = edit_with_origins(&sources, ALIAS_EDIT, &marks);
    let cache = Cache::new(dir.path().join("cache"));
    let fonts = Fonts::bundled();
    let ctx = resolve_in(dir.path(), &cache, &fonts, Some(&origins));
    let errors = reel::render::resolve(&edit, &ctx).output.unwrap_err();
    insta::assert_snapshot!(rendered(&errors, &sources));
}

// ---- render_edit ---------------------------------------------------------------------------

#[test]
fn render_edit_writes_output_poster_and_thumbnail() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    media_dir(dir.path());
    let mut edit: serde_json::Value = serde_json::from_str(TIMED_EDIT).unwrap();
    edit["output"]["poster"] = serde_json::json!({"capture": 1.5});
    edit["output"]["thumbnail"] = serde_json::json!({"capture": 0.5, "scale": 0.5});
    let edit: Edit = serde_json::from_value(edit).unwrap();
    let fonts = Fonts::bundled();
    let job = RenderJob {
        base_dir: dir.path().to_owned(),
        out_path: dir.path().join("out/row-1"),
        options: RenderOptions::default(),
        origins: None,
        fonts: &fonts,
        cache: Cache::new(dir.path().join("cache")),
        sources: None,
    };
    let mut last = None;
    let w = reel::render::render_edit(&edit, &job, &mut |p| last = Some(p), &Cancel::new());
    let outcome = w.output.unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(outcome.output, dir.path().join("out/row-1.mp4"));
    let info = probe::run_ffprobe(&outcome.output).unwrap();
    assert_eq!((info.width, info.height), (Some(160), Some(90)));
    assert!((info.duration.unwrap() - 3.0).abs() < 0.1, "{info:?}");
    assert!(info.has_audio);
    let last = last.expect("progress");
    assert_eq!(last.done_seconds, last.total_seconds);
    let names: Vec<_> = outcome
        .side_files
        .iter()
        .map(|p| p.file_name().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["row-1-poster.jpg", "row-1-thumb.jpg"]);
    let thumb = probe::run_ffprobe(&outcome.side_files[1]).unwrap();
    assert_eq!((thumb.width, thumb.height), (Some(80), Some(46)));
    // Font facts (`reel:fonts/…`) are not files.
    let read = |files: &[std::path::PathBuf]| {
        files
            .iter()
            .filter(|f| !reel::render::raster::is_fact(f))
            .count()
    };
    assert_eq!(read(&outcome.files), 4, "{:?}", outcome.files);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 3, "{leftovers:?}");
}

/// A typewriter rich-text clip plays as frames: the ink grows left to right while the text
/// types (1 s), then holds still at the text at rest; a second render reuses the cached frames.
#[test]
fn render_edit_plays_rich_text_animation_frames() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let edit: Edit = serde_json::from_value(serde_json::json!({
        "timeline": {"background": "#000000", "tracks": [{"clips": [{
            "asset": {"type": "rich-text", "text": "WWWW WWWW",
                      "font": {"family": "Roboto", "size": 40, "color": "#ffffff", "weight": 700},
                      "align": {"horizontal": "left"},
                      "animation": {"preset": "typewriter", "duration": 1}},
            "start": 0.2, "length": 1.8, "width": 300, "height": 80}]}]},
        "output": {"format": "mp4", "size": {"width": 320, "height": 180}, "fps": 25}
    }))
    .unwrap();
    let fonts = Fonts::bundled();
    let cache = Cache::new(dir.path().join("cache"));
    let timeline = reel::render::resolve(&edit, &resolve_in(dir.path(), &cache, &fonts, None))
        .output
        .unwrap_or_else(|e| panic!("{e:#?}"));
    let Source::Frames { count, width, .. } = &timeline.tracks[0][0].source else {
        panic!("{:?}", timeline.tracks[0][0].source);
    };
    // 1 s of typing at 25 fps plus the frame at rest.
    assert_eq!((*count, *width), (26, 300));
    let job = RenderJob {
        base_dir: dir.path().to_owned(),
        out_path: dir.path().join("out/anim"),
        options: RenderOptions::default(),
        origins: None,
        fonts: &fonts,
        cache: cache.clone(),
        sources: None,
    };
    let w = reel::render::render_edit(&edit, &job, &mut |_| {}, &Cancel::new());
    let out = w.output.unwrap_or_else(|e| panic!("{e:#?}")).output;
    assert_eq!(
        cache
            .stats()
            .layers_written
            .load(std::sync::atomic::Ordering::Relaxed),
        2
    );

    let grey = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&out)
        .args(["-f", "rawvideo", "-pix_fmt", "gray", "-"])
        .output()
        .unwrap()
        .stdout;
    let (w, h) = (320usize, 180usize);
    let frames: Vec<&[u8]> = grey.chunks(w * h).collect();
    assert_eq!(frames.len(), 50);
    // Rightmost column with ink (None when the frame is empty).
    let right = |f: &[u8]| (0..w).rev().find(|&x| (0..h).any(|y| f[y * w + x] > 128));
    assert_eq!(right(frames[2]), None, "before the clip starts");
    let typing: Vec<usize> = (6..30).map(|k| right(frames[k]).unwrap_or(0)).collect();
    assert!(typing.windows(2).all(|p| p[0] <= p[1]), "{typing:?}");
    assert!(typing[0] + 100 < typing[typing.len() - 1], "{typing:?}");
    // At rest from 1.2 s on: the frames are the same picture.
    let diff = |a: &[u8], b: &[u8]| {
        a.iter()
            .zip(b)
            .filter(|(x, y)| x.abs_diff(**y) > 24)
            .count()
    };
    assert!(
        diff(frames[32], frames[49]) < 20,
        "the text moves after it is at rest"
    );
    assert!(diff(frames[10], frames[49]) > 200, "no typing seen");
}

#[test]
fn resolve_rejects_a_font_file_that_is_not_a_font_and_lists_real_ones() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fake.ttf"), b"not a font at all").unwrap();
    let real = std::fs::read_dir(crate::util::root().join("fonts"))
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).into_iter().flatten())
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "ttf"))
        .expect("a bundled ttf");
    std::fs::copy(&real, dir.path().join("real.ttf")).unwrap();
    let edit: Edit = serde_json::from_value(serde_json::json!({
        "timeline": {
            "fonts": [{"src": "real.ttf"}, {"src": "fake.ttf"}, {"src": "gone.ttf"}],
            "tracks": [{"clips": [{"asset": {"type": "text", "text": "x"}, "start": 0, "length": 1}]}]
        },
        "output": {"format": "mp4", "size": {"width": 64, "height": 36}}
    }))
    .unwrap();
    let cache = Cache::new(dir.path().join("cache"));
    let fonts = Fonts::bundled();
    let w = reel::render::resolve(&edit, &resolve_in(dir.path(), &cache, &fonts, None));
    let errors = w.output.unwrap_err();
    let messages: Vec<&str> = errors.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "`fake.ttf` is not a font file",
            "font file `gone.ttf` not found"
        ]
    );
    assert!(
        errors[0]
            .notes
            .iter()
            .any(|n| n.contains("/timeline/fonts/1/src"))
    );

    let ok: Edit = serde_json::from_value(serde_json::json!({
        "timeline": {
            "fonts": [{"src": "real.ttf"}],
            "tracks": [{"clips": [{"asset": {"type": "text", "text": "x"}, "start": 0, "length": 1}]}]
        },
        "output": {"format": "mp4", "size": {"width": 64, "height": 36}}
    }))
    .unwrap();
    let t = reel::render::resolve(&ok, &resolve_in(dir.path(), &cache, &fonts, None))
        .output
        .unwrap();
    assert_eq!(t.files[0], dir.path().join("real.ttf"));
    let files: Vec<_> = t
        .files
        .iter()
        .filter(|f| !reel::render::raster::is_fact(f))
        .collect();
    assert_eq!(files.len(), 2, "the font and the text layer: {:?}", t.files);
    assert!(
        t.files
            .contains(&std::path::PathBuf::from("reel:fonts/family/opensans")),
        "the requested family: {:?}",
        t.files
    );
}

#[test]
fn resolve_soundtrack_is_probed_and_must_have_sound() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    media_dir(dir.path());
    let edit = |src: &str| -> Edit {
        serde_json::from_value(serde_json::json!({
            "timeline": {
                "soundtrack": {"src": src, "effect": "fadeOut", "volume": 0.5},
                "tracks": [{"clips": [{"asset": {"type": "image", "src": "a.png"},
                                       "start": 0, "length": 1}]}]
            },
            "output": {"format": "mp4", "size": {"width": 64, "height": 36}}
        }))
        .unwrap()
    };
    let cache = Cache::new(dir.path().join("cache"));
    let fonts = Fonts::bundled();
    let ctx = resolve_in(dir.path(), &cache, &fonts, None);
    let t = reel::render::resolve(&edit("a.mp3"), &ctx).output.unwrap();
    let s = t.soundtrack.expect("soundtrack");
    assert_eq!(s.path, dir.path().join("a.mp3"));
    assert_eq!(s.volume, 0.5);
    assert!(s.info.has_audio && (s.info.duration - 0.5).abs() < 0.1);
    assert!(t.files.contains(&dir.path().join("a.mp3")));
    let errors = reel::render::resolve(&edit("a.png"), &ctx)
        .output
        .unwrap_err();
    assert_eq!(errors[0].message, "the soundtrack `a.png` has no sound");
}

#[test]
fn resolve_warns_when_a_font_url_cannot_be_downloaded() {
    let dir = tempfile::tempdir().unwrap();
    let (base, _) = serve(Vec::new());
    let edit: Edit = serde_json::from_value(serde_json::json!({
        "timeline": {
            "fonts": [{"src": format!("{base}/s/montserrat/v31/gone.ttf")}],
            "tracks": [{"clips": [{"asset": {"type": "text", "text": "x"}, "start": 0, "length": 1}]}]
        },
        "output": {"format": "mp4", "size": {"width": 64, "height": 36}}
    }))
    .unwrap();
    let cache = Cache::new(dir.path().join("cache"));
    let fonts = Fonts::bundled();
    let w = reel::render::resolve(&edit, &resolve_in(dir.path(), &cache, &fonts, None));
    assert!(w.output.is_ok());
    assert_eq!(w.warnings.len(), 1, "{:?}", w.warnings);
    assert!(
        w.warnings[0].message.contains("404"),
        "{}",
        w.warnings[0].message
    );
    assert!(
        w.warnings[0]
            .notes
            .iter()
            .any(|n| n.contains("/timeline/fonts/0/src"))
    );
}

// ---- captions ------------------------------------------------------------------------------

const SUBS_SRT: &str = "\u{feff}1\r\n00:00:00,500 --> 00:00:01,500\r\nOne\r\n\r\n2\r\n00:00:02,000 --> 00:00:03,000 X1:10\r\n<i>Two</i>\r\nlines\r\n";

/// A caption clip becomes one layer clip per cue, at the cue times; a second one with `trim`
/// and a fixed `length` shows only what falls inside it. The subtitle file is listed among
/// the files the render reads, and the timeline lasts as long as the caption clip.
#[test]
fn resolve_caption_clips_become_one_layer_per_cue() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("subs.srt"), SUBS_SRT).unwrap();
    let edit: Edit = serde_json::from_value(serde_json::json!({
        "timeline": {"tracks": [
            {"clips": [{"asset": {"type": "caption", "src": "subs.srt"},
                        "start": 1, "length": "auto", "transition": {"in": "fade", "out": "fade"}}]},
            {"clips": [{"asset": {"type": "caption", "src": "subs.srt", "trim": 1},
                        "start": 0, "length": 1.5}]},
            {"clips": [{"asset": {"type": "rich-caption", "src": "subs.srt",
                                  "animation": {"style": "karaoke"}},
                        "start": 0, "length": 6}]}
        ]},
        "output": {"format": "mp4", "size": {"width": 160, "height": 90}}
    }))
    .unwrap();
    let cache = Cache::new(dir.path().join("cache"));
    let fonts = Fonts::bundled();
    let w = reel::render::resolve(&edit, &resolve_in(dir.path(), &cache, &fonts, None));
    let t = w.output.unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(
        times_of(&t.tracks[0]),
        [(1.5, 1.0, ClipKind::Layer), (3.0, 1.0, ClipKind::Layer)]
    );
    assert_eq!(
        times_of(&t.tracks[1]),
        [(0.0, 0.5, ClipKind::Layer), (1.0, 0.5, ClipKind::Layer)]
    );
    assert_eq!(t.tracks[2].len(), 2);
    // The rich-caption clip runs to 6 s, past its last cue.
    assert_eq!(t.duration, 6.0);
    // Fades stay on the clip's edges: neither cue starts or ends with the clip.
    let first = &t.tracks[0][0];
    assert_eq!(first.pointer, "/timeline/tracks/0/clips/0");
    assert!(first.visual.transition_in.is_none() && first.visual.transition_out.is_none());
    assert!(t.tracks[0][1].visual.transition_out.is_some());
    // Each cue is its own drawing: different text, different layer.
    let png = |c: &reel::render::timeline::TimedClip| match &c.source {
        Source::Layer { png, width, height } => {
            assert_eq!((*width, *height), (160, 90));
            png.clone()
        }
        other => panic!("{other:?}"),
    };
    assert_ne!(png(&t.tracks[0][0]), png(&t.tracks[0][1]));
    assert_eq!(png(&t.tracks[0][0]), png(&t.tracks[1][0]));
    assert_eq!(t.files[0], dir.path().join("subs.srt"));
    assert!(t.files.contains(&png(&t.tracks[2][1])));
    let warnings: Vec<&str> = w.warnings.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        warnings,
        ["the `karaoke` word animation is not drawn offline"]
    );
}

/// Broken cue timing is reported in the subtitle file (added to the source map), with the
/// clip that reads it; without a source map the note names `file:line:column`.
#[test]
fn resolve_reports_subtitle_errors_in_the_subtitle_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = "1\n00:00:01,000 --> 00:00:02,000\nfine\n\n2\n00:00:0x,000 --> 00:00:04,000\nbad\n\n3\n00:00:06,000 --> 00:00:05,000\nbackwards\n";
    std::fs::write(dir.path().join("bad.srt"), bad).unwrap();
    let sources = SourceMap::new();
    let text = r#"{"timeline": {"tracks": [{"clips": [
        {"asset": {"type": "caption", "src": "bad.srt"}, "start": 0, "length": 2}]}]},
      "output": {"format": "mp4", "size": {"width": 160, "height": 90}}}"#;
    let (edit, origins) = edit_with_origins(
        &sources,
        text,
        &[("/timeline/tracks/0/clips/0/asset/src", "\"bad.srt\"")],
    );
    let cache = Cache::new(dir.path().join("cache"));
    let fonts = Fonts::bundled();
    let mut ctx = resolve_in(dir.path(), &cache, &fonts, Some(&origins));
    ctx.sources = Some(&sources);
    let errors = reel::render::resolve(&edit, &ctx).output.unwrap_err();
    let messages: Vec<&str> = errors.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "malformed subtitle timestamp `00:00:0x,000`",
            "a subtitle cue ends before it starts"
        ]
    );
    let shown = rendered(&errors, &sources);
    assert!(shown.contains("bad.srt:6:1"), "{shown}");
    assert!(shown.contains("bad.srt:10:1"), "{shown}");
    assert!(shown.contains("in clip 1 of track 1"), "{shown}");
    assert!(shown.contains("from 0:00:06.000 to 0:00:05.000"), "{shown}");

    ctx.sources = None;
    let errors = reel::render::resolve(&edit, &ctx).output.unwrap_err();
    assert!(
        errors[0]
            .notes
            .iter()
            .any(|n| n.ends_with("bad.srt:6:1: expected `hh:mm:ss,mmm` or `mm:ss.mmm`")),
        "{:?}",
        errors[0].notes
    );
}

/// Transcription stays a clear error; a missing subtitle file names the file.
#[test]
fn resolve_caption_sources_that_cannot_work_offline() {
    let dir = tempfile::tempdir().unwrap();
    let edit: Edit = serde_json::from_value(serde_json::json!({
        "timeline": {"tracks": [{"clips": [
            {"asset": {"type": "rich-caption", "src": "alias://voice"}, "start": 0, "length": 1},
            {"asset": {"type": "caption", "src": "gone.vtt"}, "start": 1, "length": 1},
            {"asset": {"type": "rich-caption", "src": "https://x.invalid/talk.mp3"}, "start": 2, "length": 1}
        ]}]},
        "output": {"format": "mp4", "size": {"width": 160, "height": 90}}
    }))
    .unwrap();
    let messages = error_messages(dir.path(), &edit);
    assert_eq!(
        messages,
        [
            "a `rich-caption` of `alias://voice` needs a transcript: not supported offline",
            "subtitle file `gone.vtt` not found",
            "a `rich-caption` of `https://x.invalid/talk.mp3` needs a transcript: not supported offline",
        ]
    );
}
