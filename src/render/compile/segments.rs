//! Video segments (issue 16): which frames a batch row must encode itself, and where to cut
//! one long render into parts of equal cost. Pure; `render::segments` runs and joins them.
//!
//! A row on a shared base ([`super::shared::Split`]) changes only the frames where one of its
//! own clips is visible. [`row_parts`] cuts the output into *row* ranges (those frames, a
//! frame of margin either side, gaps shorter than [`MIN_SHARED`] closed) and the *shared*
//! ranges between them, which every row shows alike: those are encoded once per batch and
//! joined into each row by stream copy. It pays when the shared ranges are a real share of
//! the frames ([`MIN_SHARE`]) and the batch has two rows or more; only for mp4 (H.264)
//! outputs of the whole timeline.
//!
//! [`balanced_cuts`] splits `[0, frames)` into `n` parts of about equal cost (per-frame cost of
//! the clips drawn there), only at frames where [`super::compile_window`] can start a window
//! without computing earlier frames: outside moving pictures, drawn frames and transitions;
//! inside a video at rest only where the cut falls on one of its source frames. A single long
//! render is encoded in those parts at once and joined (`--segments`).

use super::RenderOptions;
use super::shared::{Split, frame_count, makes_sound};
use crate::render::timeline::{ClipKind, Format, Source, TimedClip, Timeline};

/// Shortest shared range worth a segment of its own, in seconds: a shorter one joins the
/// row ranges around it.
pub const MIN_SHARED: f64 = 1.0;
/// Share of the frames the shared ranges must cover for segments to pay.
pub const MIN_SHARE: f64 = 0.25;

/// A range of output frames and who encodes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// Output frames `[first, end)`.
    pub frames: (usize, usize),
    /// Encoded once per batch (no row clip visible), else by each row.
    pub shared: bool,
}

/// How a row on a shared base is encoded.
#[derive(Debug, Clone, PartialEq)]
pub enum RowEncode {
    /// In parts: the shared ones once per batch, the row's own per row, joined by stream copy.
    Parts(RowParts),
    /// The whole video per row, and why.
    Whole(String),
}

/// The parts of a row and its sound.
#[derive(Debug, Clone, PartialEq)]
pub struct RowParts {
    /// The parts in order, covering every output frame.
    pub parts: Vec<Part>,
    /// Frames of the output.
    pub frames: usize,
    /// The row's own clips play sound: its sound is mixed and encoded per row (else the
    /// base's sound, if any, is encoded once).
    pub row_sound: bool,
}

impl RowParts {
    /// Frames encoded once per batch.
    pub fn shared_frames(&self) -> usize {
        self.parts
            .iter()
            .filter(|p| p.shared)
            .map(|p| p.frames.1 - p.frames.0)
            .sum()
    }
}

impl RowEncode {
    /// One line for `reel graph`.
    pub fn describe(&self) -> String {
        match self {
            RowEncode::Parts(p) => {
                let shared = p.shared_frames();
                let ranges = p.parts.iter().filter(|p| p.shared).count();
                format!(
                    "segments: each row encodes {} of {} frames itself; {} frame{} in {} range{} {} encoded once per batch and joined by stream copy; {}",
                    p.frames - shared,
                    p.frames,
                    shared,
                    if shared == 1 { "" } else { "s" },
                    ranges,
                    if ranges == 1 { "" } else { "s" },
                    if shared == 1 { "is" } else { "are" },
                    if p.row_sound {
                        "the row's sound is encoded per row"
                    } else {
                        "the sound is encoded once"
                    }
                )
            }
            RowEncode::Whole(why) => format!("whole encode per row: {why}"),
        }
    }
}

/// Frames `[k0, k1)` where a clip is drawn (as `compile` counts them).
fn clip_frames(c: &TimedClip, fps: f64, frames: usize) -> (usize, usize) {
    let at = |t: f64| (((t * fps) - 1e-6).ceil().max(0.0) as usize).min(frames);
    (at(c.start), at(c.start + c.length))
}

/// Merged frame ranges `[a, b)` of `frames` where a visual clip of `tl` is drawn, widened by
/// a frame either side, gaps shorter than `min_gap` frames closed.
pub fn visible_ranges(tl: &Timeline, min_gap: usize) -> Vec<(usize, usize)> {
    let frames = frame_count(tl);
    let fps = tl.canvas.fps.as_f64();
    let mut r: Vec<(usize, usize)> = tl
        .tracks
        .iter()
        .flatten()
        .filter(|c| c.kind != ClipKind::Audio && !matches!(c.source, Source::None))
        .map(|c| clip_frames(c, fps, frames))
        .filter(|(a, b)| b > a)
        .map(|(a, b)| (a.saturating_sub(1), (b + 1).min(frames)))
        .collect();
    r.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (a, b) in r {
        match out.last_mut() {
            Some(last) if a <= last.1 + min_gap => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    // A shared run at either end shorter than the gap joins the row range beside it.
    if let Some(first) = out.first_mut()
        && first.0 < min_gap
    {
        first.0 = 0;
    }
    if let Some(last) = out.last_mut()
        && frames - last.1 < min_gap
    {
        last.1 = frames;
    }
    out
}

/// How each row of a batch of `rows` drawn on the shared base of `split` is encoded.
pub fn row_parts(split: &Split, rows: usize, options: &RenderOptions) -> RowEncode {
    let whole = |why: &str| RowEncode::Whole(why.to_owned());
    let top = &split.top;
    if rows < 2 {
        return whole("a single row");
    }
    if options.preview {
        return whole("previews encode in one pass");
    }
    if top.output.format != Format::Mp4 {
        return whole("segments are joined for mp4 (H.264) outputs only");
    }
    if top.output.range.is_some() {
        return whole("the output is a range of the timeline");
    }
    let frames = frame_count(top);
    let min_gap = (MIN_SHARED * top.canvas.fps.as_f64()).ceil() as usize;
    let rows_at = visible_ranges(top, min_gap);
    let mut parts = Vec::new();
    let mut k = 0;
    for (a, b) in rows_at {
        if a > k {
            parts.push(Part {
                frames: (k, a),
                shared: true,
            });
        }
        parts.push(Part {
            frames: (a, b),
            shared: false,
        });
        k = b;
    }
    if k < frames {
        parts.push(Part {
            frames: (k, frames),
            shared: true,
        });
    }
    let row_sound = !top.output.mute && top.tracks.iter().flatten().any(makes_sound);
    let p = RowParts {
        parts,
        frames,
        row_sound,
    };
    let share = p.shared_frames() as f64 / frames.max(1) as f64;
    if share < MIN_SHARE {
        return RowEncode::Whole(format!(
            "the row's own clips show in {:.0} % of the frames (segments pay from {:.0} % shared)",
            (1.0 - share) * 100.0,
            MIN_SHARE * 100.0
        ));
    }
    RowEncode::Parts(p)
}

/// Cost of encoding one frame, in the units of [`super::shared::cost`] (full-canvas frames
/// decoded and composed). An estimate: the encode is most of a reference-scene row's CPU time
/// (issue 16), and a split only needs the ratio roughly right (per-part costs measured in
/// docs/performance.md).
const ENCODE: f64 = 2.0;

/// Splits the output frames into at most `n` consecutive ranges of about equal cost (each
/// frame: its encode plus the clips drawn in it), cut only where [`super::window_start`] says
/// a window starts without earlier frames, each at least [`MIN_SHARED`] long. One range when
/// no cut is possible. Pure.
pub fn balanced_cuts(tl: &Timeline, options: &RenderOptions, n: usize) -> Vec<(usize, usize)> {
    let frames = frame_count(tl);
    let fps = tl.canvas.fps.as_f64();
    let prefix = cost_prefix(tl);
    let total = prefix[frames];
    let min_len = ((MIN_SHARED * fps).ceil() as usize).max(1);
    let mut cuts = vec![0];
    for i in 1..n.max(1) {
        let target = total * i as f64 / n as f64;
        let last = *cuts.last().unwrap_or(&0);
        let t = prefix.partition_point(|&p| p < target).min(frames);
        let ok = |w: usize| {
            w >= last + min_len && w + min_len <= frames && super::window_start(tl, options, w) == w
        };
        let found = (0..=frames / n).find_map(|d| {
            [t.checked_sub(d), Some(t + d)]
                .into_iter()
                .flatten()
                .find(|&w| ok(w))
        });
        if let Some(w) = found {
            cuts.push(w);
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    cuts.push(frames);
    cuts.windows(2).map(|w| (w[0], w[1])).collect()
}

/// The estimated share of the whole video's cost in its costliest part of `cuts`. Pure.
pub fn largest_share(tl: &Timeline, cuts: &[(usize, usize)]) -> f64 {
    let prefix = cost_prefix(tl);
    let total = prefix.last().copied().unwrap_or(0.0).max(1e-9);
    cuts.iter()
        .map(|&(a, b)| (prefix[b.min(prefix.len() - 1)] - prefix[a.min(prefix.len() - 1)]) / total)
        .fold(0.0, f64::max)
}

/// Cumulative estimated cost before each frame (`frames + 1` entries): each frame's encode
/// plus the clips drawn in it.
fn cost_prefix(tl: &Timeline) -> Vec<f64> {
    let frames = frame_count(tl);
    let fps = tl.canvas.fps.as_f64();
    let canvas = (tl.canvas.width, tl.canvas.height);
    let mut cost = vec![ENCODE; frames];
    for c in tl.tracks.iter().flatten() {
        if matches!(c.kind, ClipKind::Audio | ClipKind::Luma) || matches!(c.source, Source::None) {
            continue;
        }
        let (k0, k1) = clip_frames(c, fps, frames);
        if k1 > k0 {
            let per = super::shared::cost(c, canvas, fps) / (k1 - k0) as f64;
            cost[k0..k1].iter_mut().for_each(|x| *x += per);
        }
    }
    let mut prefix = vec![0.0; frames + 1];
    for k in 0..frames {
        prefix[k + 1] = prefix[k] + cost[k];
    }
    prefix
}

#[cfg(test)]
mod tests;
