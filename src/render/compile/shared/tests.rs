use std::path::PathBuf;

use super::*;
use crate::render::timeline::{
    Canvas, Color, Effect, Fps, OutputSpec, Soundtrack, Transition, Visual,
};

const W: u32 = 1280;
const H: u32 = 720;

fn media(path: &str, w: u32, h: u32, still: bool, audio: bool) -> Source {
    Source::Media {
        path: PathBuf::from(path),
        info: MediaInfo {
            duration: if still { 0.0 } else { 20.0 },
            width: w,
            height: h,
            fps: if still { 0.0 } else { 25.0 },
            has_video: true,
            has_audio: audio,
            is_still: still,
            has_alpha: false,
            image2: still,
        },
    }
}

/// Clip `n` of track `track`: `kind` reading `source` over `start..start+length`, default
/// look and media parameters (also the segment tests' clips).
pub(in crate::render::compile) fn clip(
    track: usize,
    n: usize,
    kind: ClipKind,
    source: Source,
    start: f64,
    length: f64,
) -> TimedClip {
    TimedClip {
        pointer: format!("/timeline/tracks/{track}/clips/{n}"),
        start,
        length,
        kind,
        source,
        visual: Visual::default(),
        media: MediaParams::default(),
    }
}

/// A title (layer) box of `w`×`h` at `position`.
fn title(track: usize, n: usize, w: u32, h: u32, position: Position) -> TimedClip {
    let mut c = clip(
        track,
        n,
        ClipKind::Layer,
        Source::Layer {
            png: PathBuf::from("/cache/layer/t.png"),
            width: w,
            height: h,
        },
        0.0,
        4.0,
    );
    c.visual.position = position;
    c.visual.transition_in = Transition::parse("fade");
    c
}

/// A 512×512 logo shown 0-10 s, fitted (contain) and scaled to 0.15, at `position`.
fn logo(track: usize, n: usize, position: Position) -> TimedClip {
    let mut c = clip(
        track,
        n,
        ClipKind::Image,
        media("/m/logo.png", 512, 512, true, false),
        0.0,
        10.0,
    );
    c.visual.fit = Fit::Contain;
    c.visual.scale = crate::render::timeline::Anim::Const(0.15);
    c.visual.position = position;
    c
}

fn background_video(track: usize) -> TimedClip {
    clip(
        track,
        0,
        ClipKind::Video,
        media("/m/a.mp4", W, H, false, true),
        0.0,
        10.0,
    )
}

fn timeline(tracks: Vec<Vec<TimedClip>>) -> Timeline {
    Timeline {
        canvas: Canvas {
            width: W,
            height: H,
            fps: Fps::from_f64(25.0),
        },
        duration: 10.0,
        background: Color::BLACK,
        tracks,
        soundtrack: Some(Soundtrack {
            path: PathBuf::from("/m/music.mp3"),
            info: MediaInfo {
                duration: 20.0,
                width: 0,
                height: 0,
                fps: 0.0,
                has_video: false,
                has_audio: true,
                is_still: false,
                has_alpha: false,
                image2: false,
            },
            volume: 0.5,
            fade: None,
        }),
        output: OutputSpec::default(),
        files: vec![PathBuf::from("/m/a.mp4")],
    }
}

fn opts() -> RenderOptions {
    RenderOptions::default()
}

const TITLE: &[&str] = &["/timeline/tracks/0/clips/0/asset/text"];

fn shared(d: Decision) -> Split {
    match d {
        Decision::Shared(s) => *s,
        Decision::Full(why) => panic!("expected a shared base, got the full graph: {why}"),
    }
}

fn full(d: Decision) -> String {
    match d {
        Decision::Full(why) => why,
        Decision::Shared(s) => panic!("expected the full graph, got a base of {} clips", s.clips),
    }
}

#[test]
fn a_title_over_a_video_shares_the_video_and_the_soundtrack() {
    let logo = logo(0, 1, Position::BottomLeft);
    let tl = timeline(vec![
        vec![title(0, 0, 800, 112, Position::Center), logo],
        vec![background_video(1)],
    ]);
    let s = shared(decide(&tl, TITLE, 20, &opts()));
    // The logo shares the title's track but never touches it: it goes down too.
    assert_eq!(s.clips, 2);
    assert_eq!(s.row_clips, 1);
    assert!(s.sound);
    assert!(s.base.soundtrack.is_some() && s.top.soundtrack.is_none());
    assert_eq!(s.base.tracks[0].len(), 1);
    assert_eq!(s.base.tracks[0][0].pointer, "/timeline/tracks/0/clips/1");
    assert_eq!(s.top.tracks[0][0].pointer, "/timeline/tracks/0/clips/0");
    assert!(s.top.tracks[1].is_empty());
    // The row draws on the intermediate: a full-canvas video, the bottom track.
    let on = s.on_base(std::path::Path::new("/cache/shared/k.mkv"));
    let bottom = &on.tracks.last().unwrap()[0];
    let Source::Media { info, path } = &bottom.source else {
        panic!("{bottom:?}")
    };
    assert_eq!((info.width, info.height, info.has_audio), (W, H, true));
    assert_eq!(path, std::path::Path::new("/cache/shared/k.mkv"));
    assert_eq!((bottom.start, bottom.length), (0.0, 10.0));
    assert_eq!(on.tracks.len(), 3);
    assert!(
        decide(&tl, TITLE, 20, &opts())
            .describe()
            .starts_with("shared base with 2 clips")
    );
}

#[test]
fn an_invariant_clip_drawn_over_a_row_clip_it_touches_stays_with_the_row() {
    // A logo over the title's centre, on a higher track: it must stay above the title.
    let logo = logo(0, 0, Position::Center);
    let tl = timeline(vec![
        vec![logo],
        vec![title(1, 0, 800, 112, Position::Center)],
        vec![background_video(2)],
    ]);
    let row = ["/timeline/tracks/1/clips/0/asset/text"];
    let s = shared(decide(&tl, &row, 20, &opts()));
    assert_eq!((s.clips, s.row_clips), (1, 2));
    assert_eq!(s.top.tracks[0].len(), 1, "the logo stays above the title");
    // Placed apart (bottom left), the logo can go under.
    let mut tl = tl;
    tl.tracks[0][0].visual.position = Position::BottomLeft;
    let s = shared(decide(&tl, &row, 20, &opts()));
    assert_eq!((s.clips, s.row_clips), (2, 1));
    // Or apart in time.
    tl.tracks[0][0].visual.position = Position::Center;
    tl.tracks[0][0].start = 6.0;
    tl.tracks[0][0].length = 4.0;
    assert_eq!(shared(decide(&tl, &row, 20, &opts())).clips, 2);
}

#[test]
fn a_row_clip_under_everything_keeps_the_full_graph() {
    // The row's own video is the background; the invariant title box sits on top of it.
    let tl = timeline(vec![
        vec![title(0, 0, 800, 112, Position::Center)],
        vec![background_video(1)],
    ]);
    let row = ["/timeline/tracks/1/clips/0/asset/src"];
    let why = full(decide(&tl, &row, 20, &opts()));
    assert!(why.contains("under"), "{why}");
}

#[test]
fn single_renders_global_row_values_and_cheap_bases_keep_the_full_graph() {
    let tl = timeline(vec![
        vec![title(0, 0, 800, 112, Position::Center)],
        vec![background_video(1)],
    ]);
    assert!(full(decide(&tl, TITLE, 1, &opts())).contains("single"));
    let preview = RenderOptions {
        preview: true,
        ..opts()
    };
    assert!(full(decide(&tl, TITLE, 20, &preview)).contains("preview"));
    let row = ["/output/resolution", TITLE[0]];
    assert!(full(decide(&tl, &row, 20, &row_opts())).contains("/output/resolution"));
    // Merge entries hold the row's values too, but the clips already show them.
    let row = ["/merge/0/replace", TITLE[0]];
    shared(decide(&tl, &row, 20, &opts()));
    // A still picture under a title: one prepared frame, nothing worth an intermediate.
    let bg = clip(
        1,
        0,
        ClipKind::Image,
        media("/m/bg.png", W, H, true, false),
        0.0,
        10.0,
    );
    let mut cheap = timeline(vec![
        vec![title(0, 0, 800, 112, Position::Center)],
        vec![bg],
    ]);
    cheap.soundtrack = None;
    assert!(full(decide(&cheap, TITLE, 20, &opts())).contains("too little"));
    // A still picture moving (Ken Burns) is work.
    cheap.tracks[1][0].visual.effect = Effect::parse("zoomIn");
    shared(decide(&cheap, TITLE, 20, &opts()));
}

fn row_opts() -> RenderOptions {
    opts()
}

#[test]
fn two_rows_pay_only_when_the_base_is_most_of_the_work() {
    let tl = timeline(vec![
        vec![title(0, 0, 800, 112, Position::Center)],
        vec![background_video(1)],
    ]);
    shared(decide(&tl, TITLE, 2, &opts()));
    // A video for half the timeline: too little for two rows, enough for 20.
    let mut small = background_video(1);
    small.length = 5.0;
    let tl = timeline(vec![
        vec![title(0, 0, 200, 112, Position::BottomRight)],
        vec![small],
    ]);
    assert!(full(decide(&tl, TITLE, 2, &opts())).contains("too small"));
    shared(decide(&tl, TITLE, 20, &opts()));
}

#[test]
fn rotated_clips_touch_everything_and_mattes_keep_their_track_together() {
    let mut logo = logo(0, 1, Position::BottomLeft);
    logo.visual.transform.rotate = crate::render::timeline::Anim::Const(30.0);
    let tl = timeline(vec![
        vec![title(0, 0, 800, 112, Position::Center)],
        vec![logo.clone()],
        vec![background_video(2)],
    ]);
    // Under the title: the rotation does not matter.
    assert_eq!(shared(decide(&tl, TITLE, 20, &opts())).clips, 2);
    let tl = timeline(vec![
        vec![logo],
        vec![title(1, 0, 800, 112, Position::Center)],
        vec![background_video(2)],
    ]);
    let row = ["/timeline/tracks/1/clips/0/asset/text"];
    assert_eq!(shared(decide(&tl, &row, 20, &opts())).clips, 1);
    // A luma matte on the title's track keeps the track's clips with the row.
    let mut luma = clip(
        1,
        1,
        ClipKind::Luma,
        media("/m/luma.mp4", W, H, false, false),
        0.0,
        10.0,
    );
    luma.pointer = "/timeline/tracks/1/clips/1".into();
    let mut tl = timeline(vec![
        vec![title(0, 0, 800, 112, Position::Center)],
        vec![background_video(1), luma],
        vec![background_video(2)],
    ]);
    tl.tracks[1][0].pointer = "/timeline/tracks/1/clips/0".into();
    let row = ["/timeline/tracks/1/clips/0/asset/src"];
    let s = shared(decide(&tl, &row, 20, &opts()));
    assert_eq!(s.top.tracks[1].len(), 2, "clip and matte stay together");
    assert!(s.base.tracks[1].is_empty());
}

#[test]
fn the_key_follows_the_base_not_the_row() {
    let tl = timeline(vec![
        vec![title(0, 0, 800, 112, Position::Center)],
        vec![background_video(1)],
    ]);
    let a = shared(decide(&tl, TITLE, 20, &opts()));
    let mut other_title = tl.clone();
    other_title.tracks[0][0].source = Source::Layer {
        png: PathBuf::from("/cache/layer/other.png"),
        width: 640,
        height: 112,
    };
    let b = shared(decide(&other_title, TITLE, 20, &opts()));
    assert_eq!(key_text(&a, &opts()), key_text(&b, &opts()));
    let mut other_video = tl.clone();
    other_video.tracks[1][0].media.trim = 1.0;
    let c = shared(decide(&other_video, TITLE, 20, &opts()));
    assert_ne!(key_text(&a, &opts()), key_text(&c, &opts()));
}
