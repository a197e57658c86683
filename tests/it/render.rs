//! Integration tests: render. `compile_*` tests build Timelines by hand, render tiny videos
//! with ffmpeg and check sampled pixels and audio levels.

use std::path::{Path, PathBuf};
use std::process::Command;

use reel::render::compile::RenderOptions;
use reel::render::timeline::*;

use crate::util;

/// Runs ffmpeg quietly; panics with its stderr on failure.
fn ffmpeg(args: &[&str]) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"])
        .args(args)
        .output()
        .expect("spawn ffmpeg");
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A test clip made from a lavfi source (`color=c=red`, `testsrc2`…) with a sine tone.
fn lavfi_video(dir: &Path, name: &str, src: &str, size: (u32, u32), secs: f64) -> PathBuf {
    let p = dir.join(name);
    let v = format!("{src}:s={}x{}:r=25:d={secs}", size.0, size.1);
    let a = format!("sine=frequency=440:sample_rate=48000:duration={secs}");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &v,
        "-f",
        "lavfi",
        "-i",
        &a,
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-qp",
        "0",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-shortest",
        p.to_str().unwrap(),
    ]);
    p
}

/// A still PNG from a lavfi source and optional filter.
fn lavfi_png(dir: &Path, name: &str, src: &str, vf: &str) -> PathBuf {
    let p = dir.join(name);
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        src,
        "-vf",
        vf,
        "-frames:v",
        "1",
        "-update",
        "1",
        p.to_str().unwrap(),
    ]);
    p
}

fn video_info(size: (u32, u32), secs: f64) -> MediaInfo {
    MediaInfo {
        duration: secs,
        width: size.0,
        height: size.1,
        fps: 25.0,
        has_video: true,
        has_audio: true,
        is_still: false,
        has_alpha: false,
    }
}

fn still_info(size: (u32, u32), alpha: bool) -> MediaInfo {
    MediaInfo {
        duration: 0.0,
        width: size.0,
        height: size.1,
        fps: 0.0,
        has_video: true,
        has_audio: false,
        is_still: true,
        has_alpha: alpha,
    }
}

fn clip(
    kind: ClipKind,
    path: &Path,
    info: MediaInfo,
    start: f64,
    length: f64,
    visual: Visual,
) -> TimedClip {
    TimedClip {
        pointer: "/timeline/tracks/0/clips/0".into(),
        start,
        length,
        kind,
        source: Source::Media {
            path: path.to_path_buf(),
            info,
        },
        visual,
        media: MediaParams::default(),
    }
}

fn timeline(size: (u32, u32), duration: f64, tracks: Vec<Vec<TimedClip>>) -> Timeline {
    Timeline {
        canvas: Canvas {
            width: size.0,
            height: size.1,
            fps: Fps { num: 25, den: 1 },
        },
        duration,
        background: Color::BLACK,
        tracks,
        soundtrack: None,
        output: OutputSpec::default(),
        files: Vec::new(),
    }
}

/// Compiles and renders `tl` into `dir/out.EXT`.
fn render(tl: &Timeline, opts: &RenderOptions, dir: &Path) -> PathBuf {
    let plan = reel::render::compile(tl, opts).expect("compile");
    let out = dir.join(format!("out.{}", plan.extension));
    if std::env::var_os("REEL_SHOW_PLAN").is_some() {
        eprintln!("{}", plan.to_shell(&out));
    }
    let args = plan.to_args(&out);
    let st = Command::new("ffmpeg")
        .args(["-loglevel", "error"])
        .args(&args)
        .output()
        .expect("spawn");
    assert!(
        st.status.success(),
        "{}\n{}",
        plan.to_shell(&out),
        String::from_utf8_lossy(&st.stderr)
    );
    out
}

/// The RGB colour at (x, y) of the frame shown at time `t` of a `w`-wide video.
fn pixel(video: &Path, w: u32, t: f64, x: u32, y: u32) -> [u8; 3] {
    let frame = ffmpeg(&[
        "-ss",
        &format!("{t}"),
        "-i",
        video.to_str().unwrap(),
        "-frames:v",
        "1",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-",
    ]);
    let i = ((y * w + x) * 3) as usize;
    [frame[i], frame[i + 1], frame[i + 2]]
}

fn near(a: [u8; 3], b: [u8; 3], tol: i32) -> bool {
    a.iter()
        .zip(b)
        .all(|(x, y)| (i32::from(*x) - i32::from(y)).abs() <= tol)
}

#[track_caller]
fn assert_px(video: &Path, w: u32, t: f64, at: (u32, u32), want: [u8; 3], tol: i32) {
    let got = pixel(video, w, t, at.0, at.1);
    assert!(
        near(got, want, tol),
        "pixel {at:?} at {t}s = {got:?}, want {want:?} ±{tol}"
    );
}

const W: u32 = 160;
const H: u32 = 90;

#[test]
fn compile_stacking_and_background_gaps() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let red = lavfi_video(dir.path(), "red.mp4", "color=c=red", (W, H), 2.0);
    let blue = lavfi_video(dir.path(), "blue.mp4", "color=c=blue", (320, 180), 2.0);
    // Track 0 (top): blue 0.5..1.0; track 1: red 0..1.5; background white after 1.5.
    let mut tl = timeline(
        (W, H),
        2.0,
        vec![
            vec![clip(
                ClipKind::Video,
                &blue,
                video_info((320, 180), 2.0),
                0.5,
                0.5,
                Visual::default(),
            )],
            vec![clip(
                ClipKind::Video,
                &red,
                video_info((W, H), 2.0),
                0.0,
                1.5,
                Visual::default(),
            )],
        ],
    );
    tl.background = Color {
        r: 255,
        g: 255,
        b: 255,
        a: 255,
    };
    let out = render(&tl, &RenderOptions::default(), dir.path());
    assert_px(&out, W, 0.2, (80, 45), [255, 0, 0], 12);
    assert_px(&out, W, 0.7, (80, 45), [0, 0, 255], 12);
    assert_px(&out, W, 1.2, (80, 45), [255, 0, 0], 12);
    assert_px(&out, W, 1.8, (80, 45), [255, 255, 255], 12);
}

#[test]
fn compile_fit_position_offset_and_opacity() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sq = lavfi_png(
        dir.path(),
        "green.png",
        "color=c=0x00ff00:s=100x100",
        "null",
    );
    let info = still_info((100, 100), false);
    // contain + scale 0.5 → 45×45 at the top right, moved 0.1·W left and 0.1·H down.
    let v = Visual {
        fit: Fit::Contain,
        scale: Anim::Const(0.5),
        position: Position::TopRight,
        offset_x: Anim::Const(-0.1),
        offset_y: Anim::Const(-0.1),
        ..Visual::default()
    };
    // Half-transparent white over the whole canvas at the bottom left quarter via crop fit box.
    let half = Visual {
        opacity: Anim::Const(0.5),
        box_size: Some((40, 40)),
        position: Position::BottomLeft,
        ..Visual::default()
    };
    let white = lavfi_png(dir.path(), "white.png", "color=c=white:s=64x64", "null");
    let tl = timeline(
        (W, H),
        1.0,
        vec![
            vec![clip(ClipKind::Image, &sq, info, 0.0, 1.0, v)],
            vec![clip(
                ClipKind::Image,
                &white,
                still_info((64, 64), false),
                0.0,
                1.0,
                half,
            )],
        ],
    );
    let out = render(&tl, &RenderOptions::default(), dir.path());
    // Box: x from 160-45-16 = 99 to 144, y from 9 to 54.
    assert_px(&out, W, 0.5, (120, 30), [0, 255, 0], 16);
    assert_px(&out, W, 0.5, (150, 30), [0, 0, 0], 16);
    assert_px(&out, W, 0.5, (120, 4), [0, 0, 0], 16);
    // 50 % white over black in the 40×40 bottom-left box.
    assert_px(&out, W, 0.5, (20, 70), [128, 128, 128], 14);
    assert_px(&out, W, 0.5, (60, 70), [0, 0, 0], 10);
}

#[test]
fn compile_fade_and_tween_mid_values() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let white = lavfi_png(dir.path(), "white.png", "color=c=white:s=160x90", "null");
    let fade = Visual {
        transition_in: Transition::parse("fade"),
        transition_out: Transition::parse("fadeFast"),
        ..Visual::default()
    };
    let tween = Visual {
        opacity: Anim::Tweens(vec![Tween {
            from: 0.0,
            to: 1.0,
            start: 0.0,
            length: 2.0,
            curve: Curve::Linear,
        }]),
        ..Visual::default()
    };
    let tl = timeline(
        (W, H),
        2.0,
        vec![
            vec![clip(
                ClipKind::Image,
                &white,
                still_info((W, H), false),
                0.0,
                2.0,
                Visual {
                    box_size: Some((80, 90)),
                    position: Position::Left,
                    ..fade
                },
            )],
            vec![clip(
                ClipKind::Image,
                &white,
                still_info((W, H), false),
                0.0,
                2.0,
                Visual {
                    box_size: Some((80, 90)),
                    position: Position::Right,
                    ..tween
                },
            )],
        ],
    );
    let out = render(&tl, &RenderOptions::default(), dir.path());
    // fade in (1 s, easeInOut): 0.5 at 0.5 s; fully on at 1.2 s; fadeFast out: 0.5 at 1.75 s.
    assert_px(&out, W, 0.5, (40, 45), [128, 128, 128], 16);
    assert_px(&out, W, 1.2, (40, 45), [255, 255, 255], 8);
    assert_px(&out, W, 1.75, (40, 45), [128, 128, 128], 16);
    // easeInOut at a quarter is ~0.13, well below linear 0.25.
    let q = pixel(&out, W, 0.25, 40, 45)[0];
    assert!(q < 50, "eased quarter {q}");
    // linear tween 0 → 1 over 2 s: 0.25 at 0.5 s, 0.75 at 1.5 s.
    assert_px(&out, W, 0.5, (120, 45), [64, 64, 64], 14);
    assert_px(&out, W, 1.5, (120, 45), [191, 191, 191], 14);
}

/// The reference scene of `bench/` as a Timeline (`assets` from `make_assets.sh`, `title` a
/// pre-rendered 800×112 PNG of the text asset).
fn reference_scene(assets: &Path, title: &Path) -> Timeline {
    let clip_info = MediaInfo {
        fps: 30.0,
        ..video_info((1280, 720), 10.0)
    };
    let a = |n: &str| assets.join(n);
    let fade = Transition::parse("fade");
    let title = TimedClip {
        pointer: "/timeline/tracks/0/clips/0".into(),
        start: 0.0,
        length: 4.0,
        kind: ClipKind::Layer,
        source: Source::Layer {
            png: title.to_path_buf(),
            width: 800,
            height: 112,
        },
        visual: Visual {
            transition_in: fade,
            ..Visual::default()
        },
        media: MediaParams::default(),
    };
    let logo = Visual {
        fit: Fit::Contain,
        scale: Anim::Const(0.15),
        position: Position::BottomLeft,
        opacity: Anim::Const(0.8),
        ..Visual::default()
    };
    let photo = Visual {
        scale: Anim::Const(0.4),
        position: Position::TopRight,
        effect: Effect::parse("zoomIn"),
        transition_in: fade,
        transition_out: fade,
        ..Visual::default()
    };
    let clip_b = Visual {
        filter: Filter::parse("greyscale"),
        transition_in: fade,
        ..Visual::default()
    };
    let mut tl = timeline(
        (1280, 720),
        10.0,
        vec![
            vec![
                title,
                clip(
                    ClipKind::Image,
                    &a("logo.png"),
                    still_info((512, 512), true),
                    0.0,
                    10.0,
                    logo,
                ),
            ],
            vec![clip(
                ClipKind::Image,
                &a("photo.png"),
                still_info((1920, 1080), false),
                2.0,
                5.0,
                photo,
            )],
            vec![clip(
                ClipKind::Video,
                &a("clipB.mp4"),
                clip_info,
                4.0,
                6.0,
                clip_b,
            )],
            vec![clip(
                ClipKind::Video,
                &a("clipA.mp4"),
                clip_info,
                0.0,
                5.0,
                Visual::default(),
            )],
        ],
    );
    for (t, track) in tl.tracks.iter_mut().enumerate() {
        for (c, clip) in track.iter_mut().enumerate() {
            clip.pointer = format!("/timeline/tracks/{t}/clips/{c}");
        }
    }
    tl.soundtrack = Some(Soundtrack {
        path: a("music.mp3"),
        info: MediaInfo {
            duration: 20.0,
            has_video: false,
            has_audio: true,
            ..still_info((0, 0), false)
        },
        volume: 0.5,
        fade: AudioFade::parse("fadeInFadeOut"),
    });
    tl
}

/// Writes the ffmpeg arguments of the reference scene (one per line) for
/// `bench/render_bench.sh`: `REEL_BENCH_DIR` must hold `assets/` and `title.png`; the plan
/// writes `$REEL_BENCH_DIR/reel.mp4`. Ignored: run by the benchmark, not by `cargo test`.
#[test]
#[ignore]
fn compile_reference_scene_args() {
    let dir = PathBuf::from(std::env::var("REEL_BENCH_DIR").expect("REEL_BENCH_DIR"));
    let tl = reference_scene(&dir.join("assets"), &dir.join("title.png"));
    let threads = std::env::var("REEL_THREADS")
        .ok()
        .and_then(|t| t.parse().ok());
    let plan = reel::render::compile(
        &tl,
        &RenderOptions {
            threads,
            ..RenderOptions::default()
        },
    )
    .expect("compile");
    let args = plan.to_args(&dir.join("reel.mp4"));
    std::fs::write(dir.join("reel_args.txt"), args.join("\n") + "\n").unwrap();
    std::fs::write(
        dir.join("reel_graph.sh"),
        plan.to_shell(&dir.join("reel.mp4")),
    )
    .unwrap();
}

fn white_full(dir: &Path) -> (PathBuf, MediaInfo) {
    (
        lavfi_png(dir, "white.png", "color=c=white:s=160x90", "null"),
        still_info((W, H), false),
    )
}

#[test]
fn compile_wipe_carousel_and_slide_mid_transition() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (white, info) = white_full(dir.path());
    let wipe = Visual {
        transition_in: Transition::parse("wipeRight"),
        ..Visual::default()
    };
    let tl = timeline(
        (W, H),
        1.0,
        vec![vec![clip(ClipKind::Image, &white, info, 0.0, 1.0, wipe)]],
    );
    let out = render(&tl, &RenderOptions::default(), dir.path());
    // Half way (easeInOut 0.5): the soft edge is centred, the left side shows first.
    let (l, m, r) = (
        pixel(&out, W, 0.5, 12, 45)[0],
        pixel(&out, W, 0.5, 80, 45)[0],
        pixel(&out, W, 0.5, 148, 45)[0],
    );
    assert!(
        l > 220 && (100..=160).contains(&m) && r < 40,
        "wipe {l} {m} {r}"
    );

    let dir = tempfile::tempdir().unwrap();
    let (white, info) = white_full(dir.path());
    let square = |t: &str, pos| Visual {
        transition_in: Transition::parse(t),
        box_size: Some((40, 40)),
        position: pos,
        ..Visual::default()
    };
    let tl = timeline(
        (W, H),
        1.0,
        vec![
            vec![clip(
                ClipKind::Image,
                &white,
                info,
                0.0,
                1.0,
                square("carouselLeft", Position::Center),
            )],
            vec![clip(
                ClipKind::Image,
                &white,
                info,
                0.0,
                1.0,
                square("slideLeft", Position::Left),
            )],
        ],
    );
    let out = render(&tl, &RenderOptions::default(), dir.path());
    // carouselLeft (0.5 s, linear from +1 W): at 0.24 s the square is 0.52 W right of centre.
    assert_px(&out, W, 0.24, (80, 45), [0, 0, 0], 16);
    assert_px(&out, W, 0.24, (150, 45), [255, 255, 255], 20);
    assert_px(&out, W, 0.6, (80, 45), [255, 255, 255], 12);
    // slideLeft: alpha follows `ease` (0.78 at frame 6 of 12.5), nearly in place.
    let s = pixel(&out, W, 0.24, 20, 45)[0];
    assert!((180..=220).contains(&s), "slide alpha {s}");
}

/// Grey frames of a video as raw bytes.
fn grey_frames(video: &Path) -> Vec<u8> {
    ffmpeg(&[
        "-i",
        video.to_str().unwrap(),
        "-f",
        "rawvideo",
        "-pix_fmt",
        "gray",
        "-",
    ])
}

#[test]
fn compile_zoom_in_is_monotonic_and_smooth() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let dot = lavfi_png(
        dir.path(),
        "dot.png",
        "color=c=black:s=320x180",
        "format=gray,geq=lum='if(lt(hypot(X-240\\,Y-140)\\,8)\\,255\\,0)'",
    );
    let v = Visual {
        effect: Effect::parse("zoomIn"),
        ..Visual::default()
    };
    let mut tl = timeline(
        (W, H),
        2.0,
        vec![vec![clip(
            ClipKind::Image,
            &dot,
            still_info((320, 180), false),
            0.0,
            2.0,
            v,
        )]],
    );
    tl.output.quality = Quality::VeryHigh;
    let out = render(&tl, &RenderOptions::default(), dir.path());
    let raw = grey_frames(&out);
    let size = (W * H) as usize;
    let xs: Vec<f64> = raw
        .chunks(size)
        .map(|f| {
            let (mut s, mut sx) = (0.0, 0.0);
            for (i, v) in f.iter().enumerate() {
                let v = f64::from(v.saturating_sub(40));
                s += v;
                sx += v * (i % W as usize) as f64;
            }
            sx / s
        })
        .collect();
    assert_eq!(xs.len(), 50);
    // The dot (at 120 px, 40 px right of centre) moves to 80 + 40·1.3 = 132 px.
    assert!(
        (xs[0] - 120.0).abs() < 1.0 && (xs[49] - 131.8).abs() < 1.0,
        "{} {}",
        xs[0],
        xs[49]
    );
    let steps: Vec<f64> = xs.windows(2).map(|w| w[1] - w[0]).collect();
    let mean = (xs[49] - xs[0]) / 49.0;
    for s in &steps {
        assert!(
            *s > 0.0 && (s - mean).abs() < 0.2,
            "uneven zoom step {s} (mean {mean}): {steps:?}"
        );
    }
}

#[test]
fn compile_filters_on_a_known_colour() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = lavfi_png(
        dir.path(),
        "c.png",
        "color=c=0x643219:s=160x90",
        "drawbox=x=0:y=0:w=80:h=90:c=white:t=fill",
    );
    let names = [
        "greyscale",
        "negative",
        "darken",
        "lighten",
        "contrast",
        "muted",
        "boost",
        "blur",
    ];
    let track: Vec<TimedClip> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let v = Visual {
                filter: Filter::parse(n),
                ..Visual::default()
            };
            clip(
                ClipKind::Image,
                &src,
                still_info((W, H), false),
                i as f64 * 0.2,
                0.2,
                v,
            )
        })
        .collect();
    let mut tl = timeline((W, H), 1.8, vec![track]);
    tl.tracks[0].push(clip(
        ClipKind::Image,
        &src,
        still_info((W, H), false),
        1.6,
        0.2,
        Visual::default(),
    ));
    let out = render(&tl, &RenderOptions::default(), dir.path());
    let at = |i: usize, x: u32| pixel(&out, W, i as f64 * 0.2 + 0.1, x, 45).map(i32::from);
    let base = at(8, 120);
    let sat = |c: [i32; 3]| c.iter().max().unwrap() - c.iter().min().unwrap();
    let luma = |c: [i32; 3]| c[0] * 3 + c[1] * 6 + c[2];
    let grey = at(0, 120);
    assert!(sat(grey) < 8, "greyscale {grey:?}");
    let neg = at(1, 120);
    assert!(
        (0..3).all(|k| (neg[k] - (255 - base[k])).abs() < 24),
        "negative {neg:?} of {base:?}"
    );
    assert!(luma(at(2, 120)) < luma(base) - 100, "darken");
    assert!(luma(at(3, 120)) > luma(base) + 100, "lighten");
    // Y ≈ 69 sits below mid-grey, so more contrast makes it darker.
    assert!(luma(at(4, 120)) < luma(base) - 100, "contrast");
    assert!(sat(at(5, 120)) < sat(base) - 20, "muted");
    assert!(sat(at(6, 120)) > sat(base) + 20, "boost");
    // Blur softens the white/colour edge at x = 80.
    let edge = at(7, 78);
    assert!(edge[2] < 240 && edge[2] > 60, "blur edge {edge:?}");
    assert!(at(8, 78)[2] > 240, "unfiltered edge stays sharp");
}

/// Mean volume in dB of `[from, from+len)` of a file's audio.
fn mean_db(file: &Path, from: f64, len: f64) -> f64 {
    let out = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-nostdin",
            "-ss",
            &from.to_string(),
            "-t",
            &len.to_string(),
            "-i",
        ])
        .arg(file)
        .args(["-af", "volumedetect", "-f", "null", "-"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err
        .lines()
        .find(|l| l.contains("mean_volume:"))
        .expect("volumedetect");
    line.split("mean_volume:")
        .nth(1)
        .unwrap()
        .trim()
        .trim_end_matches(" dB")
        .parse()
        .unwrap()
}

#[test]
fn compile_soundtrack_fades_and_mute() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (white, info) = white_full(dir.path());
    let music = dir.path().join("music.mp3");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=300:sample_rate=48000:duration=6",
        "-ac",
        "2",
        music.to_str().unwrap(),
    ]);
    let mut tl = timeline(
        (W, H),
        4.0,
        vec![vec![clip(
            ClipKind::Image,
            &white,
            info,
            0.0,
            4.0,
            Visual::default(),
        )]],
    );
    tl.soundtrack = Some(Soundtrack {
        path: music,
        info: MediaInfo {
            duration: 6.0,
            has_video: false,
            has_audio: true,
            ..still_info((0, 0), false)
        },
        volume: 1.0,
        fade: AudioFade::parse("fadeInFadeOut"),
    });
    let out = render(&tl, &RenderOptions::default(), dir.path());
    // Ramps of min(2 s, 4/2) = 2 s: the first 0.3 s is far quieter than the middle.
    let (start, middle) = (mean_db(&out, 0.0, 0.3), mean_db(&out, 1.85, 0.3));
    assert!(
        middle - start > 10.0,
        "start {start} dB, middle {middle} dB"
    );
    tl.output.mute = true;
    let out = render(&tl, &RenderOptions::default(), dir.path());
    let probe = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type",
            "-of",
            "csv=p=0",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&probe.stdout).trim(), "video");
}

#[test]
fn compile_gif_jpg_and_mp3_outputs() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let red = lavfi_video(dir.path(), "red.mp4", "color=c=red", (W, H), 1.0);
    let base = timeline(
        (W, H),
        1.0,
        vec![vec![clip(
            ClipKind::Video,
            &red,
            video_info((W, H), 1.0),
            0.0,
            1.0,
            Visual::default(),
        )]],
    );
    for (format, codec) in [
        (Format::Gif, "gif"),
        (Format::Jpg, "mjpeg"),
        (Format::Png, "png"),
        (Format::Mp3, "mp3"),
        (Format::Webm, "vp9"),
    ] {
        let mut tl = base.clone();
        tl.output.format = format;
        tl.output.poster = Some(0.5);
        let out = render(&tl, &RenderOptions::default(), dir.path());
        let probe = Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-show_entries",
                "stream=codec_name",
                "-of",
                "csv=p=0",
            ])
            .arg(&out)
            .output()
            .unwrap();
        let got = String::from_utf8_lossy(&probe.stdout);
        assert_eq!(got.lines().next(), Some(codec), "{format:?}: {got}");
        if format.is_still() {
            assert_px(&out, W, 0.0, (80, 45), [255, 0, 0], 24);
        }
    }
}

/// Plans built from hand-made timelines (paths need not exist: compile does no IO).
fn snapshot_plan(tl: &Timeline, opts: &RenderOptions) -> String {
    let plan = reel::render::compile(tl, opts).expect("compile");
    plan.to_shell(Path::new("out.mp4"))
}

#[test]
fn compile_snapshot_reference_scene() {
    let tl = reference_scene(Path::new("assets"), Path::new("layers/title.png"));
    insta::assert_snapshot!(snapshot_plan(&tl, &RenderOptions::default()));
}

#[test]
fn compile_snapshot_batch_preview_transitions() {
    let info = video_info((1920, 1080), 10.0);
    let v = |t: &str| Visual {
        transition_in: Transition::parse(t),
        transition_out: Transition::parse(t),
        ..Visual::default()
    };
    let tl = timeline(
        (1280, 720),
        6.0,
        vec![
            vec![clip(
                ClipKind::Video,
                Path::new("b.mp4"),
                info,
                2.0,
                4.0,
                Visual {
                    effect: Effect::parse("slideLeft"),
                    ..v("wipeLeft")
                },
            )],
            vec![clip(
                ClipKind::Video,
                Path::new("a.mp4"),
                info,
                0.0,
                3.0,
                Visual {
                    filter: Filter::parse("muted"),
                    ..v("carouselUpFast")
                },
            )],
        ],
    );
    let opts = RenderOptions {
        preview: true,
        threads: Some(1),
        frame: None,
    };
    insta::assert_snapshot!(snapshot_plan(&tl, &opts));
}

// ---- resolve -------------------------------------------------------------------------------

use reel::diagnostics::{Diagnostic, RenderConfig, SourceMap, Span, render_text};
use reel::edit::origins::Origin;
use reel::edit::{Edit, Origins};
use reel::render::raster::Fonts;
use reel::render::timeline::{ClipKind, Source};
use reel::render::{RenderJob, RenderOptions, ResolveContext};

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
    }
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
    assert_eq!(outcome.files.len(), 4);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 3, "{leftovers:?}");
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
    assert_eq!(
        t.files.len(),
        2,
        "the font and the text layer: {:?}",
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
