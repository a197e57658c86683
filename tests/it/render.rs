//! Integration tests: render. `compile_*` tests build Timelines by hand, render tiny videos
//! with ffmpeg and check sampled pixels and audio levels.

use std::path::{Path, PathBuf};
use std::process::Command;

use reel::render::compile::RenderOptions;
use reel::render::timeline::*;

use crate::util;

use crate::util::ffmpeg;

/// A test clip made from a lavfi source (`color=c=red`, `testsrc2`…) with a sine tone.
fn lavfi_video(dir: &Path, name: &str, src: &str, size: (u32, u32), secs: f64) -> PathBuf {
    util::tone_video(dir, name, src, size, secs, 440)
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
        image2: false,
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
        image2: false,
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
    // Through reel's runner: it feeds the frames of the zooms it draws itself.
    let cancel = reel::render::Cancel::new();
    if let Err(e) = reel::render::run(&plan, &out, &mut |_| {}, &cancel) {
        panic!("{}\n{e}", plan.to_shell(&out));
    }
    out
}

/// The frame shown at time `t` of a video, as rgb24 bytes.
fn frame_at(video: &Path, t: f64) -> Vec<u8> {
    ffmpeg(&[
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
    ])
}

/// The RGB colour at (x, y) of the frame shown at time `t` of a `w`-wide video.
fn pixel(video: &Path, w: u32, t: f64, x: u32, y: u32) -> [u8; 3] {
    let frame = frame_at(video, t);
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

/// easeInOut (cubic-bezier 0.42, 0, 0.58, 1) at `p`, by bisection.
fn ease_in_out(p: f64) -> f64 {
    let b = |a: f64, c: f64, u: f64| {
        3.0 * (1.0 - u) * (1.0 - u) * u * a + 3.0 * (1.0 - u) * u * u * c + u * u * u
    };
    let (mut lo, mut hi) = (0.0, 1.0);
    for _ in 0..60 {
        let u = (lo + hi) / 2.0;
        if b(0.42, 0.58, u) < p { lo = u } else { hi = u }
    }
    b(0.0, 1.0, (lo + hi) / 2.0)
}

#[test]
fn compile_fades_follow_their_curve_on_every_frame() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let white = lavfi_png(dir.path(), "white.png", "color=c=white:s=160x90", "null");
    // Left: fade in (1 s) and fadeFast out (0.5 s), both easeInOut. Right: opacity up then
    // down inside one piece (linear 0 → 1 over 1 s, then 1 → 0.3).
    let fade = Visual {
        transition_in: Transition::parse("fade"),
        transition_out: Transition::parse("fadeFast"),
        box_size: Some((80, 90)),
        position: Position::Left,
        ..Visual::default()
    };
    let tween = |from: f64, to: f64, start: f64| Tween {
        from,
        to,
        start,
        length: 1.0,
        curve: Curve::Linear,
    };
    let up_down = Visual {
        opacity: Anim::Tweens(vec![tween(0.0, 1.0, 0.0), tween(1.0, 0.3, 1.0)]),
        box_size: Some((80, 90)),
        position: Position::Right,
        ..Visual::default()
    };
    let track = |v: Visual| {
        vec![clip(
            ClipKind::Image,
            &white,
            still_info((W, H), false),
            0.0,
            2.0,
            v,
        )]
    };
    let mut tl = timeline((W, H), 2.0, vec![track(fade), track(up_down)]);
    tl.output.quality = Quality::VeryHigh;
    let plan = reel::render::compile(&tl, &RenderOptions::default()).expect("compile");
    let graph = plan.filter.to_string();
    assert!(
        !graph.contains("geq") && !graph.contains("alphamerge"),
        "fades need no per-pixel mask: {graph}"
    );
    let out = render(&tl, &RenderOptions::default(), dir.path());
    let raw = util::grey_raw(&out);
    let size = (W * H) as usize;
    assert_eq!(raw.len(), 50 * size);
    for (k, f) in raw.chunks(size).enumerate() {
        let t = k as f64 / 25.0;
        let fade = if t < 1.0 {
            ease_in_out(t)
        } else if t >= 1.5 {
            1.0 - ease_in_out((t - 1.5) / 0.5)
        } else {
            1.0
        };
        let up_down = if t < 1.0 { t } else { 1.0 - 0.7 * (t - 1.0) };
        for (x, want) in [(40, fade), (120, up_down)] {
            let got = f64::from(f[45 * W as usize + x]);
            assert!(
                (got - 255.0 * want).abs() <= 4.0,
                "frame {k} x {x}: {got}, want {:.1}",
                255.0 * want
            );
        }
    }
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
    let raw = util::grey_raw(&out);
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

/// A zoomed picture that cannot be prepared when the render runs (its file is gone) fails
/// the render, naming the file, and leaves no output: never a clip without its photo.
#[test]
fn run_fails_loudly_when_a_zoomed_picture_cannot_be_prepared() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let photo = lavfi_png(dir.path(), "p.png", "testsrc2=s=320x180", "null");
    let v = Visual {
        effect: Effect::parse("zoomIn"),
        ..Visual::default()
    };
    let tl = timeline(
        (W, H),
        1.0,
        vec![vec![clip(
            ClipKind::Image,
            &photo,
            still_info((320, 180), false),
            0.0,
            1.0,
            v,
        )]],
    );
    let plan = reel::render::compile(&tl, &RenderOptions::default()).expect("compile");
    assert_eq!(plan.zooms.len(), 1);
    std::fs::remove_file(&photo).unwrap();
    let out = dir.path().join("out.mp4");
    let cancel = reel::render::Cancel::new();
    let err = reel::render::run(&plan, &out, &mut |_| {}, &cancel).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("p.png"), "{msg}");
    assert!(!out.exists());
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

/// Grey pixels of the frame at `t` of a `W`×`H` video.
fn grey_at(video: &Path, t: f64) -> Vec<u8> {
    ffmpeg(&[
        "-ss",
        &format!("{t}"),
        "-i",
        video.to_str().unwrap(),
        "-frames:v",
        "1",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "gray",
        "-",
    ])
}

/// (lit pixel count, centroid, bounding box area) of the pixels brighter than 128.
fn lit(frame: &[u8]) -> (usize, (f64, f64), usize) {
    let (mut n, mut sx, mut sy) = (0usize, 0.0, 0.0);
    let (mut x0, mut y0, mut x1, mut y1) = (W, H, 0, 0);
    for y in 0..H {
        for x in 0..W {
            if frame[(y * W + x) as usize] > 128 {
                n += 1;
                sx += f64::from(x);
                sy += f64::from(y);
                (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
            }
        }
    }
    let area = if n == 0 {
        0
    } else {
        ((x1 - x0 + 1) * (y1 - y0 + 1)) as usize
    };
    (n, (sx / n.max(1) as f64, sy / n.max(1) as f64), area)
}

#[test]
fn compile_zoom_and_shuffle_transitions_mid_way() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // A 40×40 black picture with an 8×8 white centre.
    let dot = lavfi_png(
        dir.path(),
        "dot.png",
        "color=c=black:s=40x40",
        "drawbox=x=16:y=16:w=8:h=8:c=white:t=fill",
    );
    let zoom = Visual {
        transition_in: Transition::parse("zoom"),
        box_size: Some((40, 40)),
        ..Visual::default()
    };
    let tl = timeline(
        (W, H),
        1.0,
        vec![vec![clip(
            ClipKind::Image,
            &dot,
            still_info((40, 40), false),
            0.0,
            1.0,
            zoom,
        )]],
    );
    let out = render(&tl, &RenderOptions::default(), dir.path());
    // zoom (0.4 s): at 0.2 s the picture is ×5.5 inside its box, so the white centre fills
    // the box, at opacity easeIn(0.5) ≈ 0.32; the box itself keeps its size.
    let corner = pixel(&out, W, 0.2, 80 + 15, 45 + 15)[0];
    assert!(
        (50..=120).contains(&corner),
        "zoomed dot at the box corner {corner}"
    );
    assert_px(&out, W, 0.2, (80 + 25, 45), [0, 0, 0], 12);
    // At rest: a small white dot in a black box.
    assert_px(&out, W, 0.6, (80, 45), [255, 255, 255], 20);
    assert_px(&out, W, 0.6, (80 + 15, 45 + 15), [0, 0, 0], 12);

    let dir = tempfile::tempdir().unwrap();
    let (white, info) = white_full(dir.path());
    let shuffle = Visual {
        transition_in: Transition::parse("shuffleTopRight"),
        box_size: Some((40, 40)),
        ..Visual::default()
    };
    let tl = timeline(
        (W, H),
        1.0,
        vec![vec![clip(ClipKind::Image, &white, info, 0.0, 1.0, shuffle)]],
    );
    let out = render(&tl, &RenderOptions::default(), dir.path());
    // shuffleTopRight (0.5 s): comes in from the top right, turned, and settles square.
    let (n, (cx, cy), area) = lit(&grey_at(&out, 0.16));
    assert!(n > 200, "too little of the square shows: {n}");
    assert!(
        cx > 84.0 && cy < 41.0,
        "not towards the top right: ({cx}, {cy})"
    );
    assert!(
        area as f64 > 1.15 * n as f64,
        "not rotated: {n} lit in a box of {area}"
    );
    let (n, (cx, cy), area) = lit(&grey_at(&out, 0.8));
    assert!((1500..=1700).contains(&n) && area <= n + 90, "{n} {area}");
    // (yuv420 overlays sit on even pixels: the box's top edge rounds from 25 to 24.)
    assert!(
        (cx - 79.5).abs() < 1.1 && (cy - 44.5).abs() < 1.1,
        "({cx}, {cy})"
    );
}

#[test]
fn compile_flip_and_skew() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Left half red, right half blue; top half of the right side green.
    let src = lavfi_png(
        dir.path(),
        "q.png",
        "color=c=red:s=160x90",
        "drawbox=x=80:y=0:w=80:h=90:c=blue:t=fill,drawbox=x=80:y=0:w=80:h=45:c=green:t=fill",
    );
    let info = still_info((W, H), false);
    let flipped = |h, v, start| {
        let visual = Visual {
            transform: Transform {
                flip_h: h,
                flip_v: v,
                ..Transform::default()
            },
            ..Visual::default()
        };
        clip(ClipKind::Image, &src, info, start, 0.4, visual)
    };
    let tl = timeline(
        (W, H),
        1.2,
        vec![vec![
            flipped(false, false, 0.0),
            flipped(true, false, 0.4),
            flipped(false, true, 0.8),
        ]],
    );
    let out = render(&tl, &RenderOptions::default(), dir.path());
    let (red, green, blue) = ([255, 0, 0], [0, 128, 0], [0, 0, 255]);
    assert_px(&out, W, 0.2, (40, 45), red, 40);
    assert_px(&out, W, 0.2, (120, 20), green, 40);
    // flip.horizontal: the coloured side moves to the left.
    assert_px(&out, W, 0.6, (40, 20), green, 40);
    assert_px(&out, W, 0.6, (40, 70), blue, 40);
    assert_px(&out, W, 0.6, (120, 45), red, 40);
    // flip.vertical: green goes to the bottom.
    assert_px(&out, W, 1.0, (120, 70), green, 40);
    assert_px(&out, W, 1.0, (120, 20), blue, 40);

    let dir = tempfile::tempdir().unwrap();
    let (white, info) = white_full(dir.path());
    let skewed = Visual {
        box_size: Some((40, 40)),
        transform: Transform {
            skew_x: Anim::Const(0.5),
            ..Transform::default()
        },
        ..Visual::default()
    };
    let tl = timeline(
        (W, H),
        0.4,
        vec![vec![clip(ClipKind::Image, &white, info, 0.0, 0.4, skewed)]],
    );
    let out = render(&tl, &RenderOptions::default(), dir.path());
    // x' = x + 0.5·y inside the box (docs/rendering.md; y down from the centre): the top row
    // moves 10 px left and the bottom row 10 px right, so the top-right and bottom-left
    // corners of the box empty out.
    let frame = grey_at(&out, 0.2);
    let at = |x: u32, y: u32| frame[(y * W + x) as usize] > 128;
    assert!(at(80, 45), "centre");
    let corners = [
        at(80 - 17, 45 - 17),
        at(80 + 17, 45 - 17),
        at(80 - 17, 45 + 17),
        at(80 + 17, 45 + 17),
    ];
    assert_eq!(
        corners,
        [true, false, false, true],
        "top-left, top-right, …"
    );
}

#[test]
fn compile_video_volume_effect_fades_its_sound() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let v = lavfi_video(dir.path(), "v.mp4", "color=c=blue", (W, H), 4.0);
    let mut c = clip(
        ClipKind::Video,
        &v,
        video_info((W, H), 4.0),
        0.0,
        4.0,
        Visual::default(),
    );
    c.media.fade = Some(AudioFade::InOut);
    let tl = timeline((W, H), 4.0, vec![vec![c]]);
    let out = render(&tl, &RenderOptions::default(), dir.path());
    // fadeInFadeOut ramps over min(L/2, 2 s) = 2 s each way: quiet at both ends, loudest
    // in the middle.
    let (start, middle, end) = (
        mean_db(&out, 0.0, 0.3),
        mean_db(&out, 1.7, 0.6),
        mean_db(&out, 3.7, 0.3),
    );
    assert!(start < middle - 10.0, "fade in: {start} vs {middle}");
    assert!(end < middle - 10.0, "fade out: {end} vs {middle}");
    assert!(middle > -25.0, "the tone is there: {middle}");
}

/// A 1 s 160×90 "green screen" video: pure green, a red square (60..100, 26..66) and, on the
/// left (0..30), a stripe 100 RGB units from the key colour.
fn green_screen(dir: &Path) -> PathBuf {
    let src = format!(
        "color=c=0x00ff00:s={W}x{H}:r=25:d=1,\
         drawbox=x=60:y=26:w=40:h=40:c=red:t=fill,\
         drawbox=x=0:y=0:w=30:h={H}:c=0x00ff64:t=fill"
    );
    // Video only: the sound options of the shared set have no stream to act on.
    util::lavfi(dir, "green.mp4", &[&src], util::LOSSLESS_AV)
}

#[test]
fn compile_chroma_key_shows_the_clip_below() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let green = green_screen(dir.path());
    let silent = MediaInfo {
        has_audio: false,
        ..video_info((W, H), 1.0)
    };
    let blue = lavfi_video(dir.path(), "blue.mp4", "color=c=blue", (W, H), 1.0);
    let key = ChromaKey {
        color: Color {
            r: 0,
            g: 255,
            b: 0,
            a: 255,
        },
        threshold: 50.0,
        halo: 100.0,
    };
    let keyed = Visual {
        chroma_key: Some(key),
        ..Visual::default()
    };
    let tl = timeline(
        (W, H),
        1.0,
        vec![
            vec![clip(ClipKind::Video, &green, silent, 0.0, 1.0, keyed)],
            vec![clip(
                ClipKind::Video,
                &blue,
                video_info((W, H), 1.0),
                0.0,
                1.0,
                Visual::default(),
            )],
        ],
    );
    let out = render(&tl, &RenderOptions::default(), dir.path());
    // The keyed clip covers the canvas but has alpha: it must be overlaid, not the base.
    assert_px(&out, W, 0.5, (130, 45), [0, 0, 255], 12);
    assert_px(&out, W, 0.5, (80, 45), [255, 0, 0], 12);
    // Distance 100 = threshold 50 + half the halo of 100: alpha ½ over blue.
    assert_px(&out, W, 0.5, (14, 45), [0, 128, 178], 16);
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

#[test]
fn compile_mp3_without_sound_is_an_error() {
    let mut tl = timeline((W, H), 1.0, Vec::new());
    tl.output.format = Format::Mp3;
    let errors = reel::render::compile(&tl, &RenderOptions::default()).unwrap_err();
    assert_eq!(
        errors[0].message,
        "an mp3 output needs sound, but the edit has no sound"
    );
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

/// The reference scene's Ken Burns photo is drawn by reel (issue 16): its three pieces read
/// `rawvideo` frames, and no `perspective` filter is left in the graph.
#[test]
fn compile_reference_scene_zoom_is_drawn_without_perspective() {
    let tl = reference_scene(Path::new("assets"), Path::new("layers/title.png"));
    let plan = reel::render::compile(&tl, &RenderOptions::default()).expect("compile");
    let graph = plan.filter.to_string();
    assert!(!graph.contains("perspective"), "{graph}");
    assert_eq!(plan.zooms.len(), 3);
    for z in &plan.zooms {
        let input = &plan.inputs[z.input];
        assert!(input.args_before_i.contains(&"rawvideo".to_owned()));
        assert!(graph.contains(&format!("[{}:v:0]", z.input)), "{graph}");
        assert!(z.steps.len() > 1);
    }
    // The one photo is prepared once for all three.
    assert!(
        plan.zooms
            .iter()
            .all(|z| z.picture == plan.zooms[0].picture)
    );
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
        ..RenderOptions::default()
    };
    insta::assert_snapshot!(snapshot_plan(&tl, &opts));
}

#[test]
fn compile_luma_matte_white_is_transparent() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let red = lavfi_png(dir.path(), "red.png", "color=c=red:s=160x90", "null");
    let blue = lavfi_png(dir.path(), "blue.png", "color=c=blue:s=160x90", "null");
    // Matte: left half white, right half black, 80×45 (stretched to the clip).
    let matte = lavfi_png(
        dir.path(),
        "matte.png",
        "color=c=black:s=80x45",
        "drawbox=x=0:y=0:w=40:h=45:c=white:t=fill",
    );
    let info = still_info((W, H), false);
    let luma = TimedClip {
        kind: ClipKind::Luma,
        ..clip(
            ClipKind::Image,
            &matte,
            still_info((80, 45), false),
            0.5,
            1.0,
            Visual::default(),
        )
    };
    let tl = timeline(
        (W, H),
        2.0,
        vec![
            vec![
                clip(ClipKind::Image, &red, info, 0.0, 2.0, Visual::default()),
                luma,
            ],
            vec![clip(
                ClipKind::Image,
                &blue,
                info,
                0.0,
                2.0,
                Visual::default(),
            )],
        ],
    );
    let out = render(&tl, &RenderOptions::default(), dir.path());
    // Before and after the matte: red everywhere. During it: blue shows through the white half.
    assert_px(&out, W, 0.2, (40, 45), [255, 0, 0], 24);
    assert_px(&out, W, 1.0, (40, 45), [0, 0, 255], 24);
    assert_px(&out, W, 1.0, (120, 45), [255, 0, 0], 24);
    assert_px(&out, W, 1.8, (40, 45), [255, 0, 0], 24);
}

/// Width in pixels of the red run through the middle row of the frame at `t`.
fn red_width(video: &Path, t: f64) -> usize {
    let frame = frame_at(video, t);
    let row = (H / 2 * W * 3) as usize;
    (0..W as usize)
        .filter(|x| {
            let p = &frame[row + x * 3..row + x * 3 + 3];
            p[0] > 160 && p[2] < 100
        })
        .count()
}

/// A luma clip's `effect` moves the matte: with `zoomInFast` (1 → 1.7 over the matte's length)
/// the opaque window a black square cuts grows from 40 px to about 68 px; without it, it stays.
#[test]
fn compile_luma_matte_effect_zooms_the_matte() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let red = lavfi_png(dir.path(), "red.png", "color=c=red:s=160x90", "null");
    let blue = lavfi_png(dir.path(), "blue.png", "color=c=blue:s=160x90", "null");
    // White (transparent) everywhere but a black (opaque) 40×40 square in the middle.
    let matte = lavfi_png(
        dir.path(),
        "matte.png",
        "color=c=white:s=160x90",
        "drawbox=x=60:y=25:w=40:h=40:c=black:t=fill",
    );
    let info = still_info((W, H), false);
    let widths = |effect: Option<Effect>| {
        let luma = TimedClip {
            kind: ClipKind::Luma,
            ..clip(
                ClipKind::Image,
                &matte,
                info,
                0.0,
                2.0,
                Visual {
                    effect,
                    ..Visual::default()
                },
            )
        };
        let tl = timeline(
            (W, H),
            2.0,
            vec![
                vec![
                    clip(ClipKind::Image, &red, info, 0.0, 2.0, Visual::default()),
                    luma,
                ],
                vec![clip(
                    ClipKind::Image,
                    &blue,
                    info,
                    0.0,
                    2.0,
                    Visual::default(),
                )],
            ],
        );
        let sub = dir.path().join(format!("{}", effect.is_some()));
        std::fs::create_dir_all(&sub).unwrap();
        let out = render(&tl, &RenderOptions::default(), &sub);
        let w = (
            red_width(&out, 0.0),
            red_width(&out, 1.0),
            red_width(&out, 1.96),
        );
        eprintln!("red widths with {effect:?}: {w:?}");
        w
    };
    let (a, b, c) = widths(None);
    assert!((38..=42).contains(&a) && a == b && b == c, "{a} {b} {c}");
    let (a, b, c) = widths(Effect::parse("zoomInFast"));
    assert!((38..=42).contains(&a), "start: {a}");
    assert!((50..=58).contains(&b), "middle (×1.35 ≈ 54): {b}");
    assert!((64..=72).contains(&c), "end (×1.7 ≈ 68): {c}");
}

#[test]
fn compile_short_video_range_scale_to_speed_and_rotation() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // A 1 s red video in a 2 s clip: after it ends the background shows (it is not in the base).
    let red = lavfi_video(dir.path(), "red.mp4", "color=c=red", (W, H), 1.0);
    let (white, info) = white_full(dir.path());
    let bar = Visual {
        box_size: Some((80, 10)),
        fit: Fit::Cover,
        transform: Transform {
            rotate: Anim::Const(90.0),
            ..Transform::default()
        },
        ..Visual::default()
    };
    let mut fast = clip(
        ClipKind::Video,
        &red,
        video_info((W, H), 1.0),
        0.0,
        2.0,
        Visual::default(),
    );
    fast.media.speed = 0.5; // half speed: the 1 s file lasts the whole 2 s clip
    let mut tl = timeline(
        (W, H),
        3.0,
        vec![
            vec![clip(ClipKind::Image, &white, info, 0.0, 3.0, bar)],
            vec![clip(
                ClipKind::Video,
                &red,
                video_info((W, H), 1.0),
                0.0,
                2.0,
                Visual::default(),
            )],
        ],
    );
    let out = render(&tl, &RenderOptions::default(), dir.path());
    assert_px(&out, W, 0.5, (20, 45), [255, 0, 0], 16);
    assert_px(&out, W, 1.5, (20, 45), [0, 0, 0], 16);
    // The 80×10 bar rotated 90° stands upright at the centre.
    assert_px(&out, W, 0.5, (80, 20), [255, 255, 255], 24);
    assert_px(&out, W, 0.5, (60, 45), [255, 0, 0], 24);
    tl.tracks[1][0] = fast;
    tl.output.range = Some(Range {
        start: 1.0,
        length: Some(1.0),
    });
    tl.output.scale_to = Some((80, 46));
    let out = render(&tl, &RenderOptions::default(), dir.path());
    let probe = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v",
            "-show_entries",
            "stream=width,height,nb_frames",
            "-of",
            "csv=p=0",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&probe.stdout).trim(), "80,46,25");
    // Range starts at 1 s, where the half-speed video is still red.
    assert_px(&out, 80, 0.5, (10, 23), [255, 0, 0], 24);
}

/// As [`compile_reference_scene_args`], but through the real pipeline: the
/// `reference-scene.json` copied into `tests/fixtures/bench/` (NAME = Jane) is resolved (probing, the text layer rasterised by
/// `raster`) and compiled by `plan_edit`. Writes `$REEL_BENCH_DIR/reel_args.txt`.
#[test]
#[ignore]
fn compile_reference_scene_end_to_end_args() {
    use reel::render::{RenderJob, cache::Cache, raster::Fonts};
    let dir = PathBuf::from(std::env::var("REEL_BENCH_DIR").expect("REEL_BENCH_DIR"));
    let text = std::fs::read_to_string(util::fixture("bench/reference-scene.json")).unwrap();
    let edit: reel::edit::Edit = serde_json::from_str(&text.replace("{{ NAME }}", "Jane")).unwrap();
    let fonts = Fonts::bundled();
    let threads = std::env::var("REEL_THREADS")
        .ok()
        .and_then(|t| t.parse().ok());
    let job = RenderJob {
        base_dir: dir.clone(),
        out_path: dir.join("reel"),
        options: RenderOptions {
            threads,
            ..RenderOptions::default()
        },
        origins: None,
        fonts: &fonts,
        cache: Cache::new(dir.join("cache")),
        sources: None,
    };
    let planned = reel::render::plan_edit(&edit, &job);
    let (_, plan) = planned.output.unwrap_or_else(|e| panic!("{e:#?}"));
    let args = plan.to_args(&dir.join("reel.mp4"));
    std::fs::write(dir.join("reel_args.txt"), args.join("\n") + "\n").unwrap();
    std::fs::write(
        dir.join("reel_graph.sh"),
        plan.to_shell(&dir.join("reel.mp4")),
    )
    .unwrap();
}

/// Every RGB pixel of the frame shown at time `t` of a `w`×`h` video.
fn frame_rgb(video: &Path, t: f64) -> Vec<[u8; 3]> {
    let frame = frame_at(video, t);
    frame.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect()
}

/// Captions end to end (resolve → compile → ffmpeg): a `caption` clip reading an `.srt`
/// shows each cue, in its red background box at the bottom of the frame, only during the
/// cue; before, between and after the cues the frame is the black background.
#[test]
fn render_caption_cues_show_only_during_their_time() {
    if !util::have_ffmpeg() {
        return;
    }
    use reel::render::{Cancel, RenderJob, cache::Cache, raster::Fonts};
    let dir = tempfile::tempdir().unwrap();
    let srt =
        "1\n00:00:00,200 --> 00:00:00,800\nHi\n\n2\n00:00:01,400 --> 00:00:01,900\n<b>Yo</b>\n";
    std::fs::write(dir.path().join("subs.srt"), srt).unwrap();
    let edit: reel::edit::Edit = serde_json::from_value(serde_json::json!({
        "timeline": {"tracks": [{"clips": [{
            "asset": {"type": "caption", "src": "subs.srt", "font": {"size": 16},
                      "background": {"color": "#ff0000", "opacity": 1, "padding": 4}},
            "start": 0, "length": 2}]}]},
        "output": {"format": "mp4", "size": {"width": W, "height": H}, "fps": 25}
    }))
    .unwrap();
    let fonts = Fonts::bundled();
    let job = RenderJob {
        base_dir: dir.path().to_owned(),
        out_path: dir.path().join("out"),
        options: RenderOptions::default(),
        origins: None,
        fonts: &fonts,
        cache: Cache::new(dir.path().join("cache")),
        sources: None,
    };
    let outcome = reel::render::render_edit(&edit, &job, &mut |_| {}, &Cancel::new())
        .output
        .unwrap_or_else(|e| panic!("{e:#?}"));
    assert!(outcome.files.contains(&dir.path().join("subs.srt")));
    // (red pixels, topmost red row) of the frame at `t`.
    let red = |t: f64| {
        let px = frame_rgb(&outcome.output, t);
        assert_eq!(px.len(), (W * H) as usize);
        let rows = px
            .iter()
            .enumerate()
            .filter(|(_, p)| p[0] > 180 && p[1] < 80 && p[2] < 80)
            .map(|(i, _)| i as u32 / W);
        rows.fold((0, H), |(n, top), y| (n + 1, top.min(y)))
    };
    for t in [0.5, 1.6] {
        let (n, top) = red(t);
        assert!(n > 100, "{t}s: only {n} caption background pixels");
        assert!(top > H / 2, "{t}s: the caption box starts at row {top}");
    }
    for t in [0.1, 1.1, 1.96] {
        assert_eq!(red(t).0, 0, "{t}s: a caption shows outside its cue");
    }
}

// ---- through the binary: Edit JSON → `reel graph` / `reel render` ---------------------------

/// Writes `edit` as `dir/edit.json` and runs `reel ARGS edit.json` there with a private cache;
/// returns (exit code, stdout, stderr).
fn reel_on(dir: &Path, edit: &serde_json::Value, args: &[&str]) -> (i32, String, String) {
    std::fs::write(dir.join("edit.json"), edit.to_string()).unwrap();
    let mut cmd = util::reel(dir);
    cmd.env("REEL_CACHE_DIR", dir.join("cache"))
        .args(args)
        .arg("edit.json");
    util::run(&mut cmd)
}

/// `codec_name` of every stream of `file`, in order.
fn codecs(file: &Path) -> Vec<String> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "stream=codec_name"])
        .args(["-of", "csv=p=0"])
        .arg(file)
        .output()
        .expect("ffprobe");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines().map(str::to_owned).collect()
}

/// A one-clip Edit of `src` on a 160×90 canvas in `format`.
fn one_clip_edit(asset: serde_json::Value, format: &str) -> serde_json::Value {
    serde_json::json!({
        "timeline": {"tracks": [{"clips": [{"asset": asset, "start": 0, "length": 1}]}]},
        "output": {"format": format, "size": {"width": W, "height": H}}
    })
}

#[test]
fn render_webm_is_a_warned_reel_extension_with_vp9_and_opus() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    lavfi_video(dir.path(), "red.mp4", "color=c=red", (W, H), 1.0);
    let edit = one_clip_edit(
        serde_json::json!({"type": "video", "src": "red.mp4"}),
        "webm",
    );
    let (code, _, err) = reel_on(dir.path(), &edit, &["render", "-o", "out"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("`webm` output is a reel extension: Shotstack's API rejects it"),
        "{err}"
    );
    let out = dir.path().join("out/row-0001.webm");
    assert_eq!(codecs(&out), ["vp9", "opus"]);
    assert_px(&out, W, 0.5, (80, 45), [255, 0, 0], 24);
}

#[test]
fn chroma_key_from_json_shows_in_the_graph_and_the_render() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    green_screen(dir.path());
    lavfi_png(dir.path(), "blue.png", "color=c=blue:s=160x90", "null");
    let edit = serde_json::json!({
        "timeline": {"tracks": [
            {"clips": [{"asset": {"type": "video", "src": "green.mp4",
                                  "chromaKey": {"color": "#00ff00", "threshold": 50, "halo": 100}},
                        "start": 0, "length": 1}]},
            {"clips": [{"asset": {"type": "image", "src": "blue.png"}, "start": 0, "length": 1}]}
        ]},
        "output": {"format": "mp4", "size": {"width": W, "height": H}}
    });
    let (code, graph, err) = reel_on(dir.path(), &edit, &["graph"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        graph.contains("colorkey=color=0x00ff00:similarity=0.113206:blend=0.226412"),
        "{graph}"
    );
    let (code, _, err) = reel_on(dir.path(), &edit, &["render", "-o", "out"]);
    assert_eq!(code, 0, "{err}");
    let out = dir.path().join("out/row-0001.mp4");
    assert_px(&out, W, 0.5, (130, 45), [0, 0, 255], 12);
    assert_px(&out, W, 0.5, (80, 45), [255, 0, 0], 12);
}

#[test]
fn unsupported_property_renders_with_a_warning_at_the_property() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let title = serde_json::json!({"type": "title", "text": "Hi",
                                   "offset": {"y": [{"from": 0, "to": 0.2}]}});
    let mut edit = one_clip_edit(title, "mp4");
    edit["output"]["destinations"] = serde_json::json!([{"provider": "shotstack"}]);
    let (code, _, err) = reel_on(dir.path(), &edit, &["render", "-o", "out"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(
            "an animated `offset.y` of a `title` asset is not supported by the offline \
             renderer; it is ignored"
        ),
        "{err}"
    );
    assert!(
        err.contains("`output.destinations` is not supported"),
        "{err}"
    );
    // Labelled in the JSON file, at the property.
    assert!(err.contains("edit.json:1:"), "{err}");
    assert!(dir.path().join("out/row-0001.mp4").is_file());
}

/// The lit pixels' horizontal centre (pixel `i` spans `i..i+1`) on every frame of `video` (`w`×`h`, decoded to grey),
/// `None` for a frame with nothing lit.
fn lit_centres(video: &Path, w: u32, h: u32) -> Vec<Option<f64>> {
    util::grey_frames(video, w, h)
        .iter()
        .map(|frame| {
            let xs: Vec<f64> = frame
                .iter()
                .enumerate()
                .filter(|(_, v)| **v > 128)
                .map(|(i, _)| (i as u32 % w) as f64 + 0.5)
                .collect();
            (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
        })
        .collect()
}

/// Motion lands on the frame it belongs to: a 16×16 white square whose `offset.x` tweens
/// linearly from −0.5 to 0.5 over 2 s is centred at `80 + 160·(t − 1)/2` px on every frame
/// (`t` = frame ÷ fps), at 25 and 30 fps. ffmpeg 5.1's overlay counts `n` from 1 in x/y, so
/// positions written in `n` ran one frame ahead (and held the last position twice at the end).
#[test]
fn render_tweened_offset_is_on_time_on_every_frame() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    lavfi_png(dir.path(), "dot.png", "color=c=white:s=16x16", "null");
    for fps in [25.0, 30.0] {
        let edit = serde_json::json!({
            "timeline": {"background": "#000000", "tracks": [{"clips": [{
                "asset": {"type": "image", "src": "dot.png"},
                "start": 0, "length": 2, "fit": "none",
                "offset": {"x": [{"from": -0.5, "to": 0.5, "start": 0, "length": 2,
                                  "interpolation": "linear"}]}}]}]},
            "output": {"format": "mp4", "size": {"width": W, "height": H}, "fps": fps}
        });
        let (code, _, err) = reel_on(dir.path(), &edit, &["render", "-o", "out", "--force"]);
        assert_eq!(code, 0, "{err}");
        let centres = lit_centres(&dir.path().join("out/row-0001.mp4"), W, H);
        assert_eq!(
            centres.len(),
            (2.0 * fps) as usize,
            "{fps} fps: frame count"
        );
        for (k, centre) in centres.iter().enumerate() {
            let t = k as f64 / fps;
            let want = 80.0 + 160.0 * (t - 1.0) / 2.0;
            // The square is 16 px wide: partly off the canvas near the ends.
            if !(8.0..=f64::from(W) - 8.0).contains(&want) {
                continue;
            }
            let got = centre.unwrap_or_else(|| panic!("{fps} fps, frame {k}: nothing drawn"));
            // Rounding to whole pixels (±0.5) then overlay's even x for yuv420 (−1): from −1.5
            // to +0.5 px. One frame early adds 2.7 (30 fps) to 3.2 px (25 fps).
            assert!(
                (got - want).abs() <= 1.5,
                "{fps} fps, frame {k} (t = {t:.3} s): centre at {got:.1} px, want {want:.1}"
            );
        }
    }
}

/// `fit: none` with `scale` and no clip box shows the whole picture scaled (SEMANTICS §2), not
/// its middle cut to the canvas first: a 320×180 picture with a 20 px red border at scale 0.5
/// fills the 160×90 canvas, border included.
#[test]
fn render_fit_none_scales_the_whole_picture() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    lavfi_png(
        dir.path(),
        "framed.png",
        "color=c=red:s=320x180",
        "drawbox=x=20:y=20:w=280:h=140:c=lime:t=fill",
    );
    let edit = serde_json::json!({
        "timeline": {"background": "#000000", "tracks": [{"clips": [{
            "asset": {"type": "image", "src": "framed.png"},
            "start": 0, "length": 1, "fit": "none", "scale": 0.5}]}]},
        "output": {"format": "mp4", "size": {"width": W, "height": H}}
    });
    let (code, _, err) = reel_on(dir.path(), &edit, &["render", "-o", "out"]);
    assert_eq!(code, 0, "{err}");
    let out = dir.path().join("out/row-0001.mp4");
    assert_px(&out, W, 0.5, (80, 45), [0, 255, 0], 40);
    for at in [(4, 45), (155, 45), (80, 4), (80, 85)] {
        assert_px(&out, W, 0.5, at, [255, 0, 0], 40);
    }
}

/// On one track a clip that starts later is drawn on top, with or without a transition on the
/// one below: a full-frame red rectangle sliding in (`slideRight`) from 0 s stays under a green
/// square that starts at 0.4 s, during the slide and after it.
#[test]
fn render_transition_keeps_the_stacking_order_of_a_track() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for transition in [
        serde_json::json!(null),
        serde_json::json!({"in": "slideRight"}),
    ] {
        let mut red = serde_json::json!({
            "asset": {"type": "shape", "shape": "rectangle",
                      "rectangle": {"width": W, "height": H}, "fill": {"color": "#ff0000"}},
            "start": 0, "length": 2});
        if !transition.is_null() {
            red["transition"] = transition.clone();
        }
        let green = serde_json::json!({
            "asset": {"type": "shape", "shape": "rectangle",
                      "rectangle": {"width": 40, "height": 40}, "fill": {"color": "#00ff00"}},
            "start": 0.4, "length": 1.6});
        let edit = serde_json::json!({
            "timeline": {"background": "#000000", "tracks": [{"clips": [red, green]}]},
            "output": {"format": "mp4", "size": {"width": W, "height": H}}
        });
        let (code, _, err) = reel_on(dir.path(), &edit, &["render", "-o", "out", "--force"]);
        assert_eq!(code, 0, "{err}");
        let out = dir.path().join("out/row-0001.mp4");
        for t in [0.8, 1.5] {
            let got = pixel(&out, W, t, 80, 45);
            assert!(
                near(got, [0, 255, 0], 40),
                "transition {transition}: at {t} s the centre is {got:?}, not the green square"
            );
        }
    }
}

/// Renders `clip` alone on a black `W`×`H` canvas at `fps` and returns its grey frames.
fn render_one_clip(dir: &Path, clip: serde_json::Value, fps: f64) -> Vec<Vec<u8>> {
    let edit = serde_json::json!({
        "timeline": {"background": "#000000", "tracks": [{"clips": [clip]}]},
        "output": {"format": "mp4", "size": {"width": W, "height": H}, "fps": fps}
    });
    let (code, _, err) = reel_on(dir, &edit, &["render", "-o", "out", "--force"]);
    assert_eq!(code, 0, "{err}");
    util::grey_raw(&dir.join("out/row-0001.mp4"))
        .chunks_exact((W * H) as usize)
        .map(<[u8]>::to_vec)
        .collect()
}

/// Bounding box (x0, y0, x1, y1), exclusive ends, of the pixels brighter than 128.
fn lit_box(frame: &[u8]) -> Option<(u32, u32, u32, u32)> {
    let mut b: Option<(u32, u32, u32, u32)> = None;
    for (i, v) in frame.iter().enumerate() {
        if *v > 128 {
            let (x, y) = (i as u32 % W, i as u32 / W);
            b = Some(b.map_or((x, y, x + 1, y + 1), |(a, c, d, e)| {
                (a.min(x), c.min(y), d.max(x + 1), e.max(y + 1))
            }));
        }
    }
    b
}

/// Effects scale the whole clip about its anchor, as Shotstack Studio multiplies `scale`: a
/// white full-frame picture at scale 0.5 (an 80×46 box: sides are even) anchored top right
/// with `zoomIn` grows to 80·(1 + 0.3·t/2) px on every frame, flush with the top and right edges (it used
/// to zoom inside a fixed 80×45 box), at 25 and 30 fps. This also pins the camera's frame
/// numbering (perspective's `in` counts from 1): a frame early would be 0.5 px wider.
#[test]
fn render_zoom_effect_grows_the_clip_on_every_frame() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    lavfi_png(dir.path(), "white.png", "color=c=white:s=160x90", "null");
    for fps in [25.0, 30.0] {
        let frames = render_one_clip(
            dir.path(),
            serde_json::json!({"asset": {"type": "image", "src": "white.png"},
                "start": 0, "length": 2, "scale": 0.5, "position": "topRight",
                "effect": "zoomIn"}),
            fps,
        );
        assert_eq!(frames.len(), (2.0 * fps) as usize);
        for (k, frame) in frames.iter().enumerate() {
            let f = 1.0 + 0.3 * (k as f64 / fps) / 2.0;
            let (x0, y0, x1, y1) = lit_box(frame).expect("drawn");
            let (w, h) = (80.0 * f, 46.0 * f);
            assert!(
                (f64::from(x0) - (160.0 - w)).abs() <= 1.0
                    && (f64::from(y1) - h).abs() <= 1.0
                    && (x1, y0) == (W, 0),
                "{fps} fps, frame {k}: box {x0},{y0}..{x1},{y1}, want {w:.1}×{h:.1} top right"
            );
        }
    }
}

/// `zoomOutSlow` on a text box shrinks the whole box (background included) from ×1.1 to ×1,
/// instead of zooming its letters inside a fixed box where they were cut at the edges.
#[test]
fn render_zoom_effect_scales_a_text_box() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for fps in [25.0, 30.0] {
        let frames = render_one_clip(
            dir.path(),
            serde_json::json!({"asset": {"type": "text", "text": "Hi", "width": 60, "height": 30,
                    "font": {"family": "DejaVu Sans", "size": 20, "color": "#000000"},
                    "background": {"color": "#ffffff"}},
                "start": 0, "length": 2, "effect": "zoomOutSlow"}),
            fps,
        );
        let n = frames.len();
        for k in [0, n / 2, n - 1] {
            let f = 1.1 - 0.1 * (k as f64 / fps) / 2.0;
            let (x0, y0, x1, y1) = lit_box(&frames[k]).expect("drawn");
            let (w, h) = (f64::from(x1 - x0), f64::from(y1 - y0));
            assert!(
                (w - 60.0 * f).abs() <= 1.5 && (h - 30.0 * f).abs() <= 1.5,
                "{fps} fps, frame {k}: {w}×{h}, want {:.1}×{:.1}",
                60.0 * f,
                30.0 * f
            );
        }
    }
}

/// The zoom transition scales the clip (×10 → ×1 over 0.4 s): half-way in, a 40×40 white
/// box is ×5.5 and covers the whole canvas, at opacity easeIn(0.5) ≈ 0.32; at rest it is
/// 40×40 again.
#[test]
fn render_zoom_transition_grows_the_clip_past_its_box() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    lavfi_png(dir.path(), "white.png", "color=c=white:s=40x40", "null");
    for fps in [25.0, 30.0] {
        let frames = render_one_clip(
            dir.path(),
            serde_json::json!({"asset": {"type": "image", "src": "white.png"},
                "start": 0, "length": 1, "fit": "none", "transition": {"in": "zoom"}}),
            fps,
        );
        // 0.2 s: frame 5 at 25 fps, frame 6 at 30 fps.
        let mid = &frames[(0.2 * fps) as usize];
        for (x, y) in [(2, 2), (157, 87), (80, 45)] {
            let v = mid[(y * W + x) as usize];
            assert!((60..=110).contains(&v), "{fps} fps: ({x}, {y}) = {v}");
        }
        // (yuv420 overlays sit on even rows: the top edge rounds from 25 to 24.)
        let (x0, y0, x1, y1) = lit_box(&frames[(0.6 * fps) as usize]).expect("drawn");
        assert!(
            (x0, x1) == (60, 100) && (24..=25).contains(&y0) && y1 - y0 == 40,
            "{fps} fps: at rest {x0},{y0}..{x1},{y1}"
        );
    }
}

/// A `carouselLeft` comes in from one canvas width to the right, linearly over 0.5 s: the
/// 16 px square's centre is at `80 + 160·(1 − t/0.5)` on every frame, then rests at 80.
#[test]
fn render_carousel_is_on_time_on_every_frame() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    lavfi_png(dir.path(), "dot.png", "color=c=white:s=16x16", "null");
    for fps in [25.0, 30.0] {
        let frames = render_one_clip(
            dir.path(),
            serde_json::json!({"asset": {"type": "image", "src": "dot.png"},
                "start": 0, "length": 1, "fit": "none", "transition": {"in": "carouselLeft"}}),
            fps,
        );
        for (k, frame) in frames.iter().enumerate() {
            let t = k as f64 / fps;
            let want = 80.0 + 160.0 * (1.0 - t / 0.5).max(0.0);
            if want > f64::from(W) - 8.0 {
                continue;
            }
            let (x0, _, x1, _) = lit_box(frame).expect("drawn");
            let got = f64::from(x0 + x1) / 2.0;
            assert!(
                (got - want).abs() <= 1.5,
                "{fps} fps, frame {k}: centre {got}, want {want:.1}"
            );
        }
    }
}

/// Enable windows and opacity ramps share the frame numbering: a white clip from 0.4 s whose
/// opacity tweens 0.2 → 1 over its first second is black before its first frame and
/// 255·(0.2 + 0.8·t) on every frame after.
#[test]
fn render_opacity_ramp_and_start_are_on_time_on_every_frame() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    lavfi_png(dir.path(), "white.png", "color=c=white:s=160x90", "null");
    for fps in [25.0, 30.0] {
        let edit = serde_json::json!({
            "timeline": {"background": "#000000", "tracks": [{"clips": [{
                "asset": {"type": "image", "src": "white.png"}, "start": 0.4, "length": 1.6,
                "opacity": [{"from": 0.2, "to": 1, "start": 0, "length": 1,
                             "interpolation": "linear"}]}]}]},
            "output": {"format": "mp4", "size": {"width": W, "height": H}, "fps": fps}
        });
        let (code, _, err) = reel_on(dir.path(), &edit, &["render", "-o", "out", "--force"]);
        assert_eq!(code, 0, "{err}");
        let raw = util::grey_raw(&dir.path().join("out/row-0001.mp4"));
        for (k, frame) in raw.chunks_exact((W * H) as usize).enumerate() {
            let t = k as f64 / fps - 0.4;
            let want = if t < -1e-9 {
                0.0
            } else {
                255.0 * (0.2 + 0.8 * t.min(1.0))
            };
            let got = f64::from(frame[(45 * W + 80) as usize]);
            assert!(
                (got - want).abs() <= 6.0,
                "{fps} fps, frame {k}: level {got}, want {want:.0}"
            );
        }
    }
}
