//! Luma mattes (SEMANTICS §9): a `luma` clip masks the other clips of its own track while it
//! plays. White is transparent (lower tracks show through), black keeps the clip opaque, grey is
//! partial: the majority reading of Shotstack's docs and the SDK. The matte is stretched to the
//! masked picture's frame, as the SDK does.
//!
//! `visual` cuts masked clips at matte boundaries; the pieces under a matte are animated pieces
//! whose alpha is multiplied by the matte's inverted luma.
//!
//! A matte's `effect` (`zoomIn`, `slideLeft`, …) moves the matte inside the masked box exactly
//! as it moves a picture inside its box (the same camera, over the matte's own length): a
//! circle matte with `zoomIn` opens the revealed circle. Its other placement properties stay
//! unused (warned).

use super::Ctx;
use super::motion::effect_motion;
use super::visual::perspective;
use crate::render::graph::{Filter, Link, Media, num};
use crate::render::timeline::{ClipKind, Source, TimedClip};

/// A matte clip being compiled.
pub(super) struct Luma<'a> {
    clip: &'a TimedClip,
    /// Track it masks.
    track: usize,
    /// First output frame.
    k0: usize,
    /// One past its last output frame.
    k1: usize,
    /// Prepared streams, one per masked piece.
    links: Vec<Link>,
}

/// The mattes of the timeline.
pub(super) fn collect<'a>(cx: &Ctx<'a>) -> Vec<Luma<'a>> {
    let mut out = Vec::new();
    for (track, clips) in cx.tl.tracks.iter().enumerate() {
        for clip in clips.iter().filter(|c| c.kind == ClipKind::Luma) {
            let k0 = cx.frame_at(clip.start);
            let k1 = cx.frame_at(clip.start + clip.length).min(cx.frames);
            if k1 > k0 && matches!(&clip.source, Source::Media { info, .. } if info.has_video) {
                out.push(Luma {
                    clip,
                    track,
                    k0,
                    k1,
                    links: Vec::new(),
                });
            }
        }
    }
    out
}

/// Output frames where a matte on `track` starts or stops inside `[k0, k1)`.
pub(super) fn cuts(lumas: &[Luma], track: usize, k0: usize, k1: usize) -> Vec<usize> {
    lumas
        .iter()
        .filter(|l| l.track == track)
        .flat_map(|l| [l.k0, l.k1])
        .filter(|&k| k > k0 && k < k1)
        .collect()
}

/// The matte on `track` covering all of `[a, b)`, if any.
pub(super) fn covering(lumas: &[Luma], track: usize, a: usize, b: usize) -> Option<usize> {
    lumas
        .iter()
        .position(|l| l.track == track && l.k0 <= a && b <= l.k1)
}

/// Opens and prepares every matte used `uses[i]` times: grey, inverted, at the output rate.
pub(super) fn prepare(cx: &mut Ctx, lumas: &mut [Luma], uses: &[usize]) {
    for (l, &n) in lumas.iter_mut().zip(uses) {
        if n == 0 {
            continue;
        }
        let Source::Media { path, info } = &l.clip.source else {
            continue;
        };
        let mut args = Vec::new();
        if l.clip.media.trim > 0.0 {
            args.extend(["-ss".to_owned(), num(l.clip.media.trim)]);
        }
        if !info.is_still {
            args.extend(["-t".to_owned(), num(l.clip.length + 2.0 / cx.fps())]);
        }
        let i = cx.media_input(path, info, args);
        let mut f = vec![Filter::new("setpts").pos("PTS-STARTPTS")];
        if !info.is_still {
            f.push(Filter::new("fps").pos(cx.canvas.fps.to_string()));
        }
        f.push(Filter::new("format").pos("gray"));
        f.push(Filter::new("negate"));
        let link = cx.g.chain(&[Link::Input(i, Media::Video)], f).into();
        l.links = cx.g.split(link, Media::Video, n);
    }
}

/// The alpha mask of matte `i` for output frames `[k, k + n)`, stretched to `size`.
pub(super) fn mask(
    cx: &mut Ctx,
    lumas: &mut [Luma],
    i: usize,
    k: usize,
    n: usize,
    size: (u32, u32),
) -> Option<Link> {
    let l = lumas.get_mut(i)?;
    let link = l.links.pop()?;
    let still = matches!(&l.clip.source, Source::Media { info, .. } if info.is_still);
    let mut f = if still {
        vec![
            Filter::new("loop")
                .arg("loop", n as i64 - 1)
                .arg("size", 1)
                .arg("start", 0),
        ]
    } else {
        // Pads a matte that ends early with its last frame.
        let j = k.saturating_sub(l.k0);
        vec![
            Filter::new("tpad").arg("stop_mode", "clone").arg("stop", 2),
            Filter::new("trim")
                .arg("start_frame", j)
                .arg("end_frame", j + n),
        ]
    };
    f.push(Filter::new("setpts").pos(format!("N*{}/{}/TB", cx.canvas.fps.den, cx.canvas.fps.num)));
    f.push(
        Filter::new("scale")
            .arg("w", size.0)
            .arg("h", size.1)
            .arg("flags", "bilinear"),
    );
    if let Some(e) = l.clip.visual.effect {
        let (fps, k0, length) = (cx.fps(), l.k0, l.clip.length.max(1e-9));
        let (w, h) = (f64::from(size.0), f64::from(size.1));
        let state = |j: usize| {
            let t = (k + j - k0) as f64 / fps;
            // The effect inside the matte's own box (box and canvas both 1×1).
            let (z, (px, py)) = effect_motion(e.kind, e.speed, t / length, (1.0, 1.0), (1.0, 1.0));
            (z, (w / 2.0 + px * w, h / 2.0 + py * h), (0.0, 0.0))
        };
        f.push(perspective(n, state, (w / 2.0, h / 2.0), size));
    }
    Some(cx.g.chain(&[link], f).into())
}
