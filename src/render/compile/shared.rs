//! The shared base of a batch: the clips every row draws alike, rendered once into a lossless
//! intermediate, with each row's own clips composed on top of it (issue 16).
//!
//! Pure: [`decide`] splits a resolved [`Timeline`] into the row-invariant part (the *base*:
//! bottom of the stack, plus invariant clips that overlap no row clip drawn under them, in
//! time or in space; the soundtrack and invariant sounds) and the rest, or says why the full
//! graph is kept. [`Split::on_base`] turns the rest into a timeline whose bottom track is the
//! intermediate, played as an opaque full-canvas video (its sound mixed like any clip's: the
//! mix is a plain sum, `amix normalize=0`). [`key_text`] is what the intermediate's cache key
//! hashes. Running ffmpeg and the cache are `render::shared`'s.
//!
//! Why the result is the same video: compositing is done bottom to top in YUV 4:2:0, and the
//! base is that very stream stored losslessly; a base clip moved under a row clip it was drawn
//! above covers no pixel of it in any frame, so the order of the two does not matter.

use std::path::Path;

use super::RenderOptions;
use super::layout;
use super::motion::Motion;
use crate::render::timeline::{
    ClipKind, Fit, Format, MediaInfo, MediaParams, Position, Source, TimedClip, Timeline, Visual,
};

/// Cost units below which an invariant part is not worth a base: a share of the decode and
/// compose work of `frames` full canvases ([`cost`]).
const SUBSTANTIAL: f64 = 0.2;
/// Cost of reading one frame of the raw intermediate back, per row, in the same units.
const READ_BASE: f64 = 0.1;
/// Cost of writing one frame of the intermediate (once per batch).
const WRITE_BASE: f64 = 0.3;
/// The shared path must save at least this share of the full graph's work.
const MARGIN: f64 = 0.9;

/// What a row of a batch is rendered with.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// The invariant clips render once into a base; the row composes its own on top.
    Shared(Box<Split>),
    /// One graph with every clip, and why.
    Full(String),
}

impl Decision {
    /// One line for `reel graph` and `--verbose`.
    pub fn describe(&self) -> String {
        match self {
            Decision::Shared(s) => format!(
                "shared base with {} clip{}{}: rendered once per batch, each row draws its {} own clip{} on top",
                s.clips,
                if s.clips == 1 { "" } else { "s" },
                if s.sound {
                    " and the invariant sound"
                } else {
                    ""
                },
                s.row_clips,
                if s.row_clips == 1 { "" } else { "s" },
            ),
            Decision::Full(why) => format!("full graph: {why}"),
        }
    }
}

/// A timeline cut into its shared base and the row's own part.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// The invariant clips (and soundtrack), same canvas and duration, no output range or
    /// `scaleTo`: what the intermediate holds.
    pub base: Timeline,
    /// The row's clips (and invariant ones that must stay above them), no soundtrack; the
    /// original output settings.
    pub top: Timeline,
    /// Visual clips in the base.
    pub clips: usize,
    /// Clips left to draw per row.
    pub row_clips: usize,
    /// Whether the base carries sound.
    pub sound: bool,
}

impl Split {
    /// The row's timeline drawn on the intermediate at `path` (an opaque full-canvas video,
    /// the bottom track), ready for [`super::compile`].
    pub fn on_base(&self, path: &Path) -> Timeline {
        let t = &self.top;
        let frames = frame_count(t);
        let info = MediaInfo {
            duration: frames as f64 / t.canvas.fps.as_f64(),
            width: t.canvas.width,
            height: t.canvas.height,
            fps: t.canvas.fps.as_f64(),
            has_video: true,
            has_audio: self.sound,
            is_still: false,
            has_alpha: false,
            image2: false,
        };
        let base = TimedClip {
            pointer: "/timeline/tracks/-/clips/0".into(),
            start: 0.0,
            length: t.duration,
            kind: ClipKind::Video,
            source: Source::Media {
                path: path.to_owned(),
                info,
            },
            visual: Visual {
                fit: Fit::Crop,
                position: Position::Center,
                ..Visual::default()
            },
            media: MediaParams::default(),
        };
        let mut out = t.clone();
        out.tracks.push(vec![base]);
        out
    }
}

/// Whether the clip at `pointer` (or the whole document, for global values) takes a value
/// from the row: one of `row` is the pointer, inside it or one of its ancestors.
fn depends(pointer: &str, row: &[&str]) -> bool {
    row.iter().any(|p| {
        *p == pointer
            || p.strip_prefix(pointer).is_some_and(|r| r.starts_with('/'))
            || pointer.strip_prefix(*p).is_some_and(|r| r.starts_with('/'))
    })
}

/// Decides how a row of a batch of `rows` renders: the shared base when the batch has at least
/// two rows, the output is a moving picture, nothing global comes from the row, and the
/// invariant part is a substantial share of the work; the full graph otherwise. `row` are the
/// pointers whose values came from the row's data ([`crate::edit::Origins::row_pointers`]).
pub fn decide(tl: &Timeline, row: &[&str], rows: usize, options: &RenderOptions) -> Decision {
    let full = |why: &str| Decision::Full(why.to_owned());
    if rows < 2 {
        return full("a single render (a shared base pays from two rows of a batch)");
    }
    if options.preview || options.frame.is_some() {
        return full("previews and single frames render in one pass");
    }
    if tl.output.format.is_still() || tl.output.format == Format::Mp3 {
        return full("the output is not a moving picture");
    }
    if let Some(p) = row
        .iter()
        .find(|p| !p.starts_with("/timeline/tracks/") && !p.starts_with("/merge") && !p.is_empty())
    {
        return Decision::Full(format!(
            "the row's data sets `{p}`, which every clip depends on"
        ));
    }
    let canvas = (tl.canvas.width, tl.canvas.height);
    // Visual clips in drawing order (bottom track first; on a track by start, then order).
    let mut order: Vec<(usize, usize)> = Vec::new();
    for (t, clips) in tl.tracks.iter().enumerate().rev() {
        let mut idx: Vec<usize> = (0..clips.len()).collect();
        idx.sort_by(|&a, &b| clips[a].start.total_cmp(&clips[b].start).then(a.cmp(&b)));
        order.extend(idx.into_iter().map(|c| (t, c)));
    }
    let clip = |&(t, c): &(usize, usize)| &tl.tracks[t][c];
    let visual = |c: &TimedClip| !matches!(c.kind, ClipKind::Audio | ClipKind::Luma);
    let mut top: Vec<bool> = order
        .iter()
        .map(|k| depends(&clip(k).pointer, row))
        .collect();
    let boxes: Vec<Option<Rect>> = order
        .iter()
        .map(|k| extent(clip(k), canvas, tl.canvas.fps.as_f64()))
        .collect();
    // A base clip drawn above a row clip must not touch it; a track with a luma matte keeps
    // its clips together. Moving a clip up can make others move: repeat until nothing does.
    loop {
        let mut changed = false;
        for i in 0..order.len() {
            if top[i] || !visual(clip(&order[i])) {
                continue;
            }
            let a = clip(&order[i]);
            let under_row = (0..i).any(|j| {
                top[j]
                    && visual(clip(&order[j]))
                    && overlaps(a, clip(&order[j]), tl.canvas.fps.as_f64())
                    && touch(boxes[i], boxes[j])
            });
            let track = order[i].0;
            let matte_mates = tl.tracks[track].iter().any(|c| c.kind == ClipKind::Luma)
                && order.iter().zip(&top).any(|(k, &up)| up && k.0 == track);
            if under_row || matte_mates {
                top[i] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let in_base = |i: usize| !top[i] && visual(clip(&order[i]));
    let clips = (0..order.len()).filter(|&i| in_base(i)).count();
    if clips == 0 {
        return full("no clip that every row draws alike lies under the row's own clips");
    }
    let frames = frame_count(tl) as f64;
    let base_cost: f64 = (0..order.len())
        .filter(|&i| in_base(i))
        .map(|i| cost(clip(&order[i]), canvas, tl.canvas.fps.as_f64()))
        .sum();
    if base_cost < SUBSTANTIAL * frames {
        return Decision::Full(format!(
            "the shared clips cost too little to pay for an intermediate ({:.0} of {:.0} frame units)",
            base_cost,
            SUBSTANTIAL * frames
        ));
    }
    let rows = rows as f64;
    let shared = base_cost + WRITE_BASE * frames + rows * READ_BASE * frames;
    if shared > MARGIN * rows * base_cost {
        return full("the batch is too small for the shared clips to pay for an intermediate");
    }
    // Audio-only clips that are invariant go to the base too (their order does not matter).
    let goes_down = |t: usize, c: usize| {
        let i = order.iter().position(|k| *k == (t, c));
        match i {
            Some(i) => !top[i],
            None => false,
        }
    };
    let mut base = tl.clone();
    let mut rest = tl.clone();
    for (t, clips) in tl.tracks.iter().enumerate() {
        base.tracks[t] = Vec::new();
        rest.tracks[t] = Vec::new();
        for (c, clip) in clips.iter().enumerate() {
            let down = if clip.kind == ClipKind::Luma {
                // A matte goes with its track's clips (kept together above).
                !order.iter().zip(&top).any(|(k, &up)| up && k.0 == t)
            } else {
                goes_down(t, c)
            };
            if down {
                base.tracks[t].push(clip.clone());
            } else {
                rest.tracks[t].push(clip.clone());
            }
        }
    }
    base.output.range = None;
    base.output.scale_to = None;
    base.output.poster = None;
    base.output.format = Format::Mp4;
    base.output.mute = tl.output.mute || tl.output.format == Format::Gif;
    base.files = Vec::new();
    rest.soundtrack = None;
    let sound = !base.output.mute
        && (base.soundtrack.as_ref().is_some_and(|s| s.info.has_audio)
            || base.tracks.iter().flatten().any(makes_sound));
    let row_clips = rest.tracks.iter().flatten().count();
    Decision::Shared(Box::new(Split {
        base,
        top: rest,
        clips,
        row_clips,
        sound,
    }))
}

/// Whether a clip plays sound in the mix (as `audio::clip_sound` takes it).
pub(crate) fn makes_sound(c: &TimedClip) -> bool {
    matches!(c.kind, ClipKind::Video | ClipKind::Audio)
        && matches!(&c.source, Source::Media { info, .. } if info.has_audio)
        && c.media.speed > 0.0
        && c.media.volume.as_const() != Some(0.0)
}

/// Frames of the whole timeline (as `compile` counts them).
pub(crate) fn frame_count(tl: &Timeline) -> usize {
    ((tl.duration * tl.canvas.fps.as_f64()) - 1e-6)
        .ceil()
        .max(1.0) as usize
}

/// Whether two clips play in a common frame (a frame of margin either side).
fn overlaps(a: &TimedClip, b: &TimedClip, fps: f64) -> bool {
    let m = 1.0 / fps;
    a.start < b.start + b.length + m && b.start < a.start + a.length + m
}

/// A box on the canvas: x0, y0, x1, y1 (rendered pixels).
type Rect = (f64, f64, f64, f64);

/// Whether two boxes share a pixel; an unknown box (`None`: rotation, shear) is the canvas.
fn touch(a: Option<Rect>, b: Option<Rect>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3,
        _ => true,
    }
}

/// Samples of a clip's local time: every frame up to 500, evenly beyond, and the last.
fn samples(c: &TimedClip, fps: f64) -> Vec<f64> {
    let n = ((c.length * fps).ceil() as usize).max(1);
    let step = n.div_ceil(500).max(1);
    (0..n)
        .step_by(step)
        .chain([n - 1])
        .map(|j| j as f64 / fps)
        .collect()
}

/// The union of the boxes a visual clip is drawn in over its frames, 2 px larger on every
/// side; `None` when it is rotated or sheared (then it may touch anything).
fn extent(c: &TimedClip, canvas: (u32, u32), fps: f64) -> Option<Rect> {
    if c.kind == ClipKind::Audio {
        return Some((0.0, 0.0, 0.0, 0.0));
    }
    let ts = samples(c, fps);
    let fitted = layout::geometry(c, canvas, 1.0, 1.0).map_or(canvas, |g| g.content);
    let m = Motion::new(c, canvas, fitted);
    let s_ref = ts.iter().map(|&t| m.scale(t)).fold(1e-3, f64::max);
    let geo = layout::geometry(c, canvas, 1.0, s_ref)?;
    let mut r: Option<Rect> = None;
    for &t in &ts {
        let (kx, ky) = m.skew(t);
        if m.angle(t) != 0.0 || kx != 0.0 || ky != 0.0 {
            return None;
        }
        let k = m.total_scale(t).max(m.scale(t)) / s_ref;
        let shown = (f64::from(geo.visible.0) * k, f64::from(geo.visible.1) * k);
        let z = m.total_scale(t) / s_ref;
        let placed = (f64::from(geo.visible.0) * z, f64::from(geo.visible.1) * z);
        let (cx, cy) = layout::centre(c.visual.position, canvas, placed, m.offset(t));
        let (sx, sy) = m.shift(t);
        let (x, y) = (cx + sx, cy + sy);
        let b = (
            x - shown.0 / 2.0 - 2.0,
            y - shown.1 / 2.0 - 2.0,
            x + shown.0 / 2.0 + 2.0,
            y + shown.1 / 2.0 + 2.0,
        );
        r = Some(match r {
            None => b,
            Some(a) => (a.0.min(b.0), a.1.min(b.1), a.2.max(b.2), a.3.max(b.3)),
        });
    }
    r
}

/// Work of drawing one clip, in full-canvas frame units: frames × its share of the canvas
/// (at least 5 %) × what each frame costs (decoding a video, moving a picture; a still that
/// does not move is overlaid from one prepared frame).
pub(crate) fn cost(c: &TimedClip, canvas: (u32, u32), fps: f64) -> f64 {
    let frames = c.length * fps;
    let area = match extent(c, canvas, fps) {
        Some((x0, y0, x1, y1)) => {
            let w = (x1.min(f64::from(canvas.0)) - x0.max(0.0)).max(0.0);
            let h = (y1.min(f64::from(canvas.1)) - y0.max(0.0)).max(0.0);
            (w * h / (f64::from(canvas.0) * f64::from(canvas.1))).max(0.05)
        }
        None => 1.0,
    };
    let moving = {
        let fitted = layout::geometry(c, canvas, 1.0, 1.0).map_or(canvas, |g| g.content);
        let m = Motion::new(c, canvas, fitted);
        m.whole_clip() || m.d_in > 0.0 || m.d_out > 0.0
    };
    let per_frame = match (&c.source, moving) {
        (Source::Media { info, .. }, _) if !info.is_still && c.media.speed > 0.0 => 1.0,
        (Source::Frames { .. }, _) => 0.6,
        (_, true) => 0.8,
        (_, false) => 0.1,
    };
    frames * area * per_frame
}

/// The text a shared base's cache key hashes (with the contents of the files it reads, which
/// `render::shared` adds): the base timeline as resolved, the canvas and the options that
/// change pixels. Pure.
pub fn key_text(split: &Split, options: &RenderOptions) -> String {
    format!(
        "shared-base v1 r{}.{} preview={} {:?}",
        crate::render::OUTPUT_REVISION,
        crate::render::resolve::layer::LAYER_REVISION,
        options.preview,
        split.base
    )
}

#[cfg(test)]
pub(super) mod tests;
