use std::path::PathBuf;

use super::*;
use crate::render::compile::shared::tests::clip;
use crate::render::compile::shared::{Decision, decide};
use crate::render::timeline::{
    Canvas, Color, Fps, MediaInfo, MediaParams, OutputSpec, Position, Soundtrack,
};

fn info(still: bool, audio: bool) -> MediaInfo {
    MediaInfo {
        duration: if still { 0.0 } else { 20.0 },
        width: 1280,
        height: 720,
        fps: if still { 0.0 } else { 25.0 },
        has_video: !audio || !still,
        has_audio: audio,
        is_still: still,
        has_alpha: false,
        image2: false,
    }
}

/// A small title (the row's) at `start` for `length` seconds on track 0, clip `n`.
fn title(n: usize, start: f64, length: f64) -> TimedClip {
    let mut c = clip(
        0,
        n,
        ClipKind::Layer,
        Source::Layer {
            png: PathBuf::from("/cache/layer/t.png"),
            width: 400,
            height: 60,
        },
        start,
        length,
    );
    c.visual.position = Position::Center;
    c
}

/// 10 s at 25 fps: the titles over a full-canvas video, with a soundtrack.
fn timeline(titles: Vec<TimedClip>) -> Timeline {
    let video = clip(
        1,
        0,
        ClipKind::Video,
        Source::Media {
            path: PathBuf::from("/m/a.mp4"),
            info: info(false, true),
        },
        0.0,
        10.0,
    );
    Timeline {
        canvas: Canvas {
            width: 1280,
            height: 720,
            fps: Fps::from_f64(25.0),
        },
        duration: 10.0,
        background: Color::BLACK,
        tracks: vec![titles, vec![video]],
        soundtrack: Some(Soundtrack {
            path: PathBuf::from("/m/music.mp3"),
            info: MediaInfo {
                has_video: false,
                ..info(false, true)
            },
            volume: 0.5,
            fade: None,
        }),
        output: OutputSpec::default(),
        files: Vec::new(),
    }
}

/// The row encoding of a batch of `rows` where track 0's clips come from the row.
fn encode(tl: &Timeline, rows: usize) -> RowEncode {
    let row: Vec<String> = (0..tl.tracks[0].len())
        .map(|n| format!("/timeline/tracks/0/clips/{n}/asset/text"))
        .collect();
    let row: Vec<&str> = row.iter().map(String::as_str).collect();
    match decide(tl, &row, rows, &RenderOptions::default()) {
        Decision::Shared(split) => row_parts(&split, rows, &RenderOptions::default()),
        Decision::Full(why) => panic!("no shared base: {why}"),
    }
}

fn parts(e: RowEncode) -> RowParts {
    match e {
        RowEncode::Parts(p) => p,
        RowEncode::Whole(why) => panic!("whole encode: {why}"),
    }
}

fn shared(a: usize, b: usize) -> Part {
    Part {
        frames: (a, b),
        shared: true,
    }
}

fn own(a: usize, b: usize) -> Part {
    Part {
        frames: (a, b),
        shared: false,
    }
}

#[test]
fn a_title_in_the_first_seconds_leaves_the_rest_to_one_shared_segment() {
    // The reference scene: the title shows 0-4 s of 10 s.
    let p = parts(encode(&timeline(vec![title(0, 0.0, 4.0)]), 20));
    assert_eq!(p.parts, vec![own(0, 101), shared(101, 250)]);
    assert_eq!(p.frames, 250);
    assert_eq!(p.shared_frames(), 149);
    assert!(!p.row_sound, "the soundtrack is the base's");
    let line = RowEncode::Parts(p).describe();
    assert!(
        line.contains("each row encodes 101 of 250 frames"),
        "{line}"
    );
    assert!(line.contains("the sound is encoded once"), "{line}");
}

#[test]
fn titles_in_the_middle_cut_shared_ranges_on_both_sides_and_short_gaps_close() {
    let p = parts(encode(&timeline(vec![title(0, 4.0, 2.0)]), 3));
    assert_eq!(p.parts, vec![shared(0, 99), own(99, 151), shared(151, 250)]);
    // Two titles 0.5 s apart: one row range (a 12-frame shared segment does not pay).
    let tl = timeline(vec![title(0, 2.0, 2.0), title(1, 4.5, 1.0)]);
    let p = parts(encode(&tl, 3));
    assert_eq!(p.parts, vec![shared(0, 49), own(49, 139), shared(139, 250)]);
    // A title ending 0.5 s before the end: the row range runs to the end.
    let p = parts(encode(&timeline(vec![title(0, 4.0, 5.5)]), 3));
    assert_eq!(p.parts, vec![shared(0, 99), own(99, 250)]);
    // Every part in order, covering every frame.
    let mut k = 0;
    for part in &p.parts {
        assert_eq!(part.frames.0, k);
        k = part.frames.1;
    }
    assert_eq!(k, p.frames);
}

#[test]
fn segments_pay_only_for_mp4_batches_with_a_real_shared_share() {
    let whole = |e: RowEncode| match e {
        RowEncode::Whole(why) => why,
        RowEncode::Parts(p) => panic!("segments: {:?}", p.parts),
    };
    // The title shows in 84 % of the frames.
    let why = whole(encode(&timeline(vec![title(0, 0.5, 8.0)]), 20));
    assert!(why.contains("segments pay from 25 %"), "{why}");
    let mut tl = timeline(vec![title(0, 0.0, 4.0)]);
    tl.output.format = Format::Webm;
    assert!(whole(encode(&tl, 20)).contains("mp4"));
    let tl = timeline(vec![title(0, 0.0, 4.0)]);
    let row = ["/timeline/tracks/0/clips/0/asset/text"];
    let Decision::Shared(split) = decide(&tl, &row, 2, &RenderOptions::default()) else {
        panic!("no base");
    };
    assert!(whole(row_parts(&split, 1, &RenderOptions::default())).contains("single row"));
}

#[test]
fn a_row_clip_with_sound_mixes_the_sound_per_row() {
    let mut talk = clip(
        0,
        1,
        ClipKind::Audio,
        Source::Media {
            path: PathBuf::from("/m/hello.mp3"),
            info: MediaInfo {
                has_video: false,
                ..info(false, true)
            },
        },
        0.0,
        2.0,
    );
    talk.media = MediaParams::default();
    let tl = timeline(vec![title(0, 0.0, 2.0), talk]);
    let p = parts(encode(&tl, 5));
    assert!(p.row_sound);
    assert_eq!(
        p.parts,
        vec![own(0, 51), shared(51, 250)],
        "sound draws nothing"
    );
    assert!(RowEncode::Parts(p).describe().contains("per row"));
}

#[test]
fn balanced_cuts_split_at_equal_cost_where_a_window_can_start() {
    let opts = RenderOptions::default();
    // A 10 s video at 30 fps at rest and the soundtrack: two halves, at a source frame.
    let mut tl = timeline(Vec::new());
    tl.tracks.remove(0);
    if let Source::Media { info, .. } = &mut tl.tracks[0][0].source {
        info.fps = 30.0;
    }
    assert_eq!(balanced_cuts(&tl, &opts, 2), vec![(0, 125), (125, 250)]);
    let half = largest_share(&tl, &[(0, 125), (125, 250)]);
    assert!((half - 0.5).abs() < 1e-9, "{half}");
    assert!((largest_share(&tl, &[(0, 250)]) - 1.0).abs() < 1e-9);
    let four = balanced_cuts(&tl, &opts, 4);
    assert_eq!(four.len(), 4);
    for (a, _) in &four {
        // 25 fps output, 30 fps source: a cut every 5 output frames lands on a source frame.
        assert_eq!(a % 5, 0, "{four:?}");
    }
    // A picture zooming in over 2-7 s cannot be entered mid-way: the cut goes after it.
    let mut photo = clip(
        0,
        0,
        ClipKind::Image,
        Source::Media {
            path: PathBuf::from("/m/p.png"),
            info: info(true, false),
        },
        2.0,
        5.0,
    );
    photo.visual.effect = crate::render::timeline::Effect::parse("zoomIn");
    let mut zoomed = tl.clone();
    zoomed.tracks.insert(0, vec![photo]);
    let cuts = balanced_cuts(&zoomed, &opts, 2);
    assert_eq!(cuts.len(), 2);
    assert!(
        cuts[0].1 <= 50 || cuts[0].1 >= 175,
        "a cut inside the zoom: {cuts:?}"
    );
    // A video moving as a whole (an effect) is never cut: one range.
    let mut moving = tl.clone();
    moving.tracks[0][0].visual.effect = crate::render::timeline::Effect::parse("slideLeft");
    assert_eq!(balanced_cuts(&moving, &opts, 3), vec![(0, 250)]);
}
