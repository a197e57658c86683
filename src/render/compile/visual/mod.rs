//! Visual clips: each clip's picture is prepared once (demux-time trim, fps, crop, fit, scale,
//! chroma key, filter), cut into pieces at its transition windows, and each piece is either part of the
//! concatenated base (opaque full-frame), a still overlaid with `enable` (one frame, repeated by
//! overlay), or an animated stream overlaid for its own frames only.
//!
//! Parts: [`prepare`] (the picture, once per clip), [`camera`] (scale about the anchor, shear,
//! rotation of animated pieces), [`alpha`] (fade levels, wipe and reveal masks); this module
//! places pieces (base runs, overlays with x/y expressions and `enable`).

mod alpha;
mod camera;
mod prepare;

pub(super) use camera::perspective;

use super::anim::{Knots, range};
use super::base::{self, Base, Span};
use super::layout::{self, Geometry, even};
use super::luma;
use super::motion::Motion;
use super::{Ctx, pts_at_frame, pts_frames};
use crate::render::graph::{Filter, Link, Media, num};
use crate::render::timeline::{Anim, ClipKind, Source, TimedClip};
use alpha::{apply_mask, fade_filters, fade_level, multiply, wipe_mask};
use camera::{camera, drawn, drawn_camera, rotation};
use prepare::{prepare, prepared_size, rotate, rotated};

/// One visual clip being compiled.
struct Clip<'a> {
    clip: &'a TimedClip,
    track: usize,
    geo: Geometry,
    motion: Motion<'a>,
    /// Scale the picture is prepared at (the largest `scale` it takes).
    s_ref: f64,
    /// First output frame.
    k0: usize,
    /// One past the last output frame.
    k1: usize,
    /// A single picture (image, layer, frozen video).
    still: bool,
    /// Clip-local frames the input skips (seeked past) when only a still is computed: the
    /// prepared stream starts at local frame `skip`.
    skip: usize,
}

/// A run of a clip's frames treated one way.
#[derive(Debug, Clone, Copy)]
struct Piece {
    clip: usize,
    /// Clip-local first frame.
    j0: usize,
    /// Clip-local end frame (exclusive).
    j1: usize,
    animated: bool,
    /// The luma matte masking this piece, if any.
    luma: Option<usize>,
}

/// Builds the whole picture: base runs concatenated, then every other piece overlaid bottom to
/// top. Returns the canvas-sized yuv420p stream.
pub(super) fn compose(cx: &mut Ctx) -> Link {
    let clips = collect(cx);
    let mut lumas = luma::collect(cx);
    let pieces: Vec<Piece> = clips
        .iter()
        .enumerate()
        .flat_map(|(i, c)| pieces(cx, &lumas, i, c))
        .collect();
    let spans: Vec<Span> = pieces
        .iter()
        .map(|p| {
            let c = &clips[p.clip];
            Span {
                track: c.track,
                k0: c.k0 + p.j0,
                k1: c.k0 + p.j1,
                opaque_full: !p.animated && opaque_full(cx, c),
            }
        })
        .collect();
    let (runs, visible) = base::plan(&spans, cx.window);
    // Pieces whose camera reel draws read their own input, not the prepared stream.
    let own: Vec<bool> = pieces
        .iter()
        .map(|p| drawn(cx, &clips[p.clip], *p))
        .collect();
    let uses = Uses {
        runs: &runs,
        visible: &visible,
        own: &own,
    };
    let mut links = prepare_all(cx, &clips, &pieces, &uses, &mut lumas);
    let mut base_parts = Vec::new();
    for (k0, k1, b) in &runs {
        let part = match b {
            Base::Background => background(cx, k1 - k0),
            Base::Span(i) => {
                let p = pieces[*i];
                let link = links[p.clip].pop().unwrap_or(Link::Input(0, Media::Video));
                let j0 = p.j0 + (k0 - spans[*i].k0);
                base_run(cx, &clips[p.clip], link, j0, k1 - k0)
            }
        };
        base_parts.push(part);
    }
    let one_frame = runs.iter().any(|(k0, k1, _)| k1 - k0 == 1);
    let mut out = concat(cx, base_parts, one_frame);
    let mut order: Vec<usize> = (0..pieces.len())
        .filter(|&i| !visible[i].is_empty())
        .collect();
    // Lower tracks first; on one track, clips stack by their start (then their order), never
    // by where a transition cut them into pieces: a clip's later pieces stay under a clip that
    // began before them.
    order.sort_by_key(|&i| {
        let p = pieces[i];
        let c = &clips[p.clip];
        (std::cmp::Reverse(c.track), c.k0, p.clip, p.j0)
    });
    for i in order {
        let p = pieces[i];
        let link = match own[i] {
            true => None,
            false => Some(links[p.clip].pop().unwrap_or(Link::Input(0, Media::Video))),
        };
        let layer = Layer {
            c: &clips[p.clip],
            p,
            link,
        };
        out = overlay_piece(cx, &mut lumas, layer, out, &visible[i]);
    }
    out
}

/// A piece with its clip and the prepared stream it reads (`None`: its camera is drawn by
/// reel and reads its own input).
struct Layer<'c, 'a> {
    c: &'c Clip<'a>,
    p: Piece,
    link: Option<Link>,
}

/// How pieces use their clip's prepared stream: base runs, visible frames, own inputs.
struct Uses<'u> {
    runs: &'u [base::Run],
    visible: &'u [Vec<(usize, usize)>],
    own: &'u [bool],
}

/// Prepares every clip (and matte) that is used, split once per use.
fn prepare_all(
    cx: &mut Ctx,
    clips: &[Clip],
    pieces: &[Piece],
    how: &Uses,
    lumas: &mut [luma::Luma],
) -> Vec<Vec<Link>> {
    let (runs, visible) = (how.runs, how.visible);
    let mut uses = vec![0usize; clips.len()];
    let mut luma_uses = vec![0usize; lumas.len()];
    for (i, p) in pieces.iter().enumerate() {
        if !visible[i].is_empty() {
            uses[p.clip] += usize::from(!how.own[i]);
            if let Some(l) = p.luma {
                luma_uses[l] += 1;
            }
        }
    }
    for (_, _, b) in runs {
        if let Base::Span(i) = b {
            uses[pieces[*i].clip] += 1;
        }
    }
    luma::prepare(cx, lumas, &luma_uses);
    clips
        .iter()
        .zip(uses)
        .map(|(c, n)| {
            if n == 0 {
                return Vec::new();
            }
            let link = prepare(cx, c);
            cx.g.split(link, Media::Video, n)
        })
        .collect()
}

/// The visual clips inside the timeline, bottom track first.
fn collect<'a>(cx: &Ctx<'a>) -> Vec<Clip<'a>> {
    let canvas = (cx.canvas.width, cx.canvas.height);
    let mut out = Vec::new();
    for (track, clips) in cx.tl.tracks.iter().enumerate().rev() {
        for clip in clips {
            if matches!(clip.kind, ClipKind::Audio | ClipKind::Luma) {
                continue;
            }
            let (_, s_max) = range(&clip.visual.scale, clip.length, 0.02, 1.0);
            let s_ref = s_max.max(1e-3);
            let Some(geo) = layout::geometry(clip, canvas, cx.px, s_ref) else {
                continue;
            };
            let k0 = cx.frame_at(clip.start);
            let k1 = cx.frame_at(clip.start + clip.length).min(cx.frames);
            if k1 <= k0 {
                continue;
            }
            let still = match &clip.source {
                Source::Media { info, .. } => info.is_still || clip.media.speed <= 0.0,
                Source::Frames { .. } => false,
                _ => true,
            };
            let fitted = layout::geometry(clip, canvas, cx.px, 1.0).map_or(canvas, |g| g.content);
            let motion = Motion::new(clip, canvas, fitted);
            let skip = match &clip.source {
                Source::Frames { .. } => cx.window.0.saturating_sub(k0),
                Source::Media { .. } if !still => cx.window.0.saturating_sub(k0),
                _ => 0,
            };
            out.push(Clip {
                clip,
                track,
                geo,
                motion,
                s_ref,
                k0,
                k1,
                still,
                skip,
            });
        }
    }
    out
}

/// Cuts a clip at its transition windows and at luma matte edges; the middle is animated only
/// for whole-clip motion, matted pieces always.
fn pieces(cx: &Ctx, lumas: &[luma::Luma], i: usize, c: &Clip) -> Vec<Piece> {
    let n = c.k1 - c.k0;
    let j_in = cx.frame_at(c.motion.d_in).min(n);
    let j_out = n.saturating_sub(cx.frame_at(c.motion.d_out)).max(j_in);
    let whole = c.motion.whole_clip() || needs_camera(c);
    let mut cuts = vec![0, j_in, j_out, n];
    cuts.extend(
        luma::cuts(lumas, c.track, c.k0, c.k1)
            .into_iter()
            .map(|k| k - c.k0),
    );
    cuts.sort_unstable();
    cuts.dedup();
    // Only the frames of the computed window (all of them, or a still's one).
    let lo = cx.window.0.saturating_sub(c.k0);
    let hi = cx.window.1.saturating_sub(c.k0);
    cuts.windows(2)
        .map(|w| (w[0].max(lo), w[1].min(hi)))
        .filter(|(j0, j1)| j1 > j0)
        .map(|(j0, j1)| {
            let luma = luma::covering(lumas, c.track, c.k0 + j0, c.k0 + j1);
            let edge = j0 < j_in || j0 >= j_out;
            Piece {
                clip: i,
                j0,
                j1,
                animated: edge || whole || luma.is_some(),
                luma,
            }
        })
        .collect()
}

/// Constant skew also needs the per-frame camera.
fn needs_camera(c: &Clip) -> bool {
    let (kx, ky) = c.motion.skew(0.0);
    kx != 0.0 || ky != 0.0
}

/// Whether the clip (when not animated) is opaque and covers the whole canvas.
fn opaque_full(cx: &Ctx, c: &Clip) -> bool {
    let opaque_source = match (&c.clip.source, c.clip.kind) {
        // A video that ends before its clip would leave the concatenated base short.
        (Source::Media { info, .. }, ClipKind::Video | ClipKind::Image) => {
            let needed = c.clip.media.trim + c.clip.length * c.clip.media.speed - 1.0 / cx.fps();
            !has_alpha(c) && (c.still || info.duration >= needed)
        }
        _ => false,
    };
    let (x, y) = top_left(cx, c, 0.0, c.geo.visible);
    let (w, h) = (f64::from(cx.canvas.width), f64::from(cx.canvas.height));
    let (vw, vh) = (f64::from(c.geo.visible.0), f64::from(c.geo.visible.1));
    opaque_source
        && c.clip.visual.opacity.as_const() == Some(1.0)
        && c.clip.visual.transform.rotate.as_const() == Some(0.0)
        && x <= 0.0
        && y <= 0.0
        && x + vw >= w
        && y + vh >= h
}

/// Top-left corner of a frame of `size` whose centre is the clip's centre at local time `t`.
fn top_left(cx: &Ctx, c: &Clip, t: f64, size: (u32, u32)) -> (f64, f64) {
    let r = c.motion.total_scale(t) / c.s_ref;
    let shown = (
        f64::from(c.geo.visible.0) * r,
        f64::from(c.geo.visible.1) * r,
    );
    let canvas = (cx.canvas.width, cx.canvas.height);
    let (mx, my) = layout::centre(c.clip.visual.position, canvas, shown, c.motion.offset(t));
    let (sx, sy) = c.motion.shift(t);
    (
        mx + sx - f64::from(size.0) / 2.0,
        my + sy - f64::from(size.1) / 2.0,
    )
}

/// Pointers of the visual clips whose box never touches the canvas in any frame they play
/// (offset or position placed them entirely outside): they draw nothing. Frames are sampled
/// (every frame up to 2000, evenly beyond); transitions that bring a clip in count.
pub(super) fn off_canvas(cx: &Ctx) -> Vec<String> {
    let (cw, ch) = (f64::from(cx.canvas.width), f64::from(cx.canvas.height));
    let mut out = Vec::new();
    for c in collect(cx) {
        let n = c.k1 - c.k0;
        let step = n.div_ceil(2000).max(1);
        let on = (0..n).step_by(step).chain([n - 1]).any(|j| {
            let t = j as f64 / cx.fps();
            let r = c.motion.scale(t) / c.s_ref;
            let mut shown = (
                even(f64::from(c.geo.visible.0) * r),
                even(f64::from(c.geo.visible.1) * r),
            );
            if let Some(a) = c.clip.visual.transform.rotate.as_const() {
                shown = rotated(shown, a);
            }
            let (x, y) = top_left(cx, &c, t, shown);
            let (w, h) = (f64::from(shown.0), f64::from(shown.1));
            x < cw && y < ch && x + w > 0.0 && y + h > 0.0
        });
        if !on {
            out.push(c.clip.pointer.clone());
        }
    }
    out.reverse(); // `collect` goes top track first: report in document order
    out
}

/// A background-colour run of `n` frames.
fn background(cx: &mut Ctx, n: usize) -> Link {
    let bg = cx.tl.background;
    let color = format!("0x{:02x}{:02x}{:02x}", bg.r, bg.g, bg.b);
    let size = format!("{}x{}", cx.canvas.width, cx.canvas.height);
    let f = vec![
        Filter::new("color")
            .arg("c", color)
            .arg("s", size)
            .arg("r", cx.canvas.fps.to_string()),
        Filter::new("trim").arg("end_frame", n),
        Filter::new("format").pos("yuv420p"),
    ];
    cx.g.chain(&[], f).into()
}

/// `n` frames of an opaque full-frame clip from clip-local frame `j0`, cut to the canvas.
fn base_run(cx: &mut Ctx, c: &Clip, link: Link, j0: usize, n: usize) -> Link {
    let mut f = frames(cx, c, j0, n);
    let (x, y) = top_left(cx, c, 0.0, c.geo.visible);
    if c.geo.visible != (cx.canvas.width, cx.canvas.height) || x != 0.0 || y != 0.0 {
        f.push(
            Filter::new("crop")
                .arg("w", cx.canvas.width)
                .arg("h", cx.canvas.height)
                .arg("x", (-x).round() as i64)
                .arg("y", (-y).round() as i64),
        );
    }
    cx.g.chain(&[link], f).into()
}

/// Filters selecting `n` frames from clip-local frame `j0`, timestamps from 0.
fn frames(cx: &Ctx, c: &Clip, j0: usize, n: usize) -> Vec<Filter> {
    let fps = cx.canvas.fps;
    if c.still {
        vec![
            Filter::new("loop")
                .arg("loop", n as i64 - 1)
                .arg("size", 1)
                .arg("start", 0),
            // The output frame's time base: in the image demuxer's (1/25) a 30 fps frame
            // number rounds onto its neighbour's, and masks then pair with the wrong frame.
            Filter::new("settb").pos(format!("{}/{}", fps.den, fps.num)),
            Filter::new("setpts").pos(pts_frames(fps, 0)),
        ]
    } else {
        vec![
            // Pads a source that ends a frame early instead of shifting later frames.
            Filter::new("tpad").arg("stop_mode", "clone").arg("stop", 2),
            Filter::new("trim")
                .arg("start_frame", j0 - c.skip)
                .arg("end_frame", j0 - c.skip + n),
            Filter::new("setpts").pos("PTS-STARTPTS"),
        ]
    }
}

/// Concatenates base runs (or passes a single one through). ffmpeg 5.1's `concat` takes a
/// video segment's length from its frames' timestamps, so a one-frame run lasts nothing and
/// its frame lands on the next run's; with `one_frame` runs, frames are numbered again after
/// it (every run is exactly its frames at the output rate). 3,000 one-frame clips made a
/// three-frame video before (issue 15).
fn concat(cx: &mut Ctx, parts: Vec<Link>, one_frame: bool) -> Link {
    if parts.len() == 1 {
        return parts[0];
    }
    let n = parts.len();
    let mut f = vec![Filter::new("concat").arg("n", n).arg("v", 1).arg("a", 0)];
    if one_frame {
        f.push(Filter::new("setpts").pos(pts_frames(cx.canvas.fps, 0)));
    }
    cx.g.chain(&parts, f).into()
}

/// Overlays one piece onto `under`, only for the frames in `visible`.
fn overlay_piece(
    cx: &mut Ctx,
    lumas: &mut [luma::Luma],
    layer: Layer,
    under: Link,
    visible: &[(usize, usize)],
) -> Link {
    let Layer { c, p, link } = layer;
    let k0 = c.k0 + p.j0;
    let whole = visible == [(k0, c.k0 + p.j1)];
    let (k0, visible) = (cx.out(k0), shifted(cx, visible));
    let (top, size, at) = match link {
        None => zoomed(cx, c, p),
        Some(link) => placed(cx, lumas, c, p, link),
    };
    let t0 = p.j0 as f64 / cx.fps();
    let fps = cx.fps();
    // A piece that is not animated stands still: one sample, however long it lasts; a piece
    // drawn into a fixed viewport moves inside it.
    let n = if p.animated && at.is_none() {
        p.j1 - p.j0
    } else {
        1
    };
    let place = |j: usize| {
        at.map_or_else(
            || top_left(cx, c, t0 + j as f64 / fps, size),
            |(x, y)| (f64::from(x), f64::from(y)),
        )
    };
    let xs = Knots::frames(n, |j| place(j).0.round());
    let ys = Knots::frames(n, |j| place(j).1.round());
    // The output frame from overlay's `t`, not its `n`: ffmpeg 5.1's overlay counts `n` from 1
    // in x/y (while `enable`, crop, rotate and geq count from 0), so `n` put every motion one
    // frame early. Base frames carry exact `k·den/num` timestamps, so rounding is exact.
    let var = format!(
        "(round(t*{}/{})-{k0})",
        cx.canvas.fps.num, cx.canvas.fps.den
    );
    let mut o = Filter::new("overlay")
        .arg("x", xs.expr(&var))
        .arg("y", ys.expr(&var));
    if c.still && !p.animated {
        // One frame, repeated by overlay (eof_action=repeat) while enabled.
        o = o.arg("enable", enable(&visible));
    } else {
        o = o.arg("eof_action", "pass");
        if !whole {
            o = o.arg("enable", enable(&visible));
        }
    }
    let o = o.arg("format", "yuv420");
    cx.g.chain(&[under, top], vec![o]).into()
}

/// A piece reading the clip's prepared stream: animated, a still, or video frames.
fn placed(
    cx: &mut Ctx,
    lumas: &mut [luma::Luma],
    c: &Clip,
    p: Piece,
    link: Link,
) -> (Link, (u32, u32), Option<(i32, i32)>) {
    if p.animated {
        animate(cx, lumas, c, p, link)
    } else if c.still {
        (static_still(cx, c, link), prepared_size(c), None)
    } else {
        let k0 = cx.out(c.k0 + p.j0);
        let mut f = frames(cx, c, p.j0, p.j1 - p.j0);
        f.extend(constant_alpha(c));
        f.push(Filter::new("setpts").pos(pts_at_frame(cx.canvas.fps, k0)));
        (cx.g.chain(&[link], f).into(), prepared_size(c), None)
    }
}

/// A piece whose camera reel draws ([`drawn`]): its frames, then the alpha levels `animate`
/// would apply (uniform, so after the camera rather than before).
fn zoomed(cx: &mut Ctx, c: &Clip, p: Piece) -> (Link, (u32, u32), Option<(i32, i32)>) {
    let n = p.j1 - p.j0;
    let (input, size, at) = drawn_camera(cx, c, p);
    let alpha = |j: usize| c.motion.alpha(local(cx, p, j));
    let first = if n > 0 { alpha(0) } else { 1.0 };
    let varying = (0..n).any(|j| (alpha(j) - first).abs() > 1e-4);
    let mut f = Vec::new();
    if varying {
        f.extend(fade_filters(cx, &fade_level(n, alpha)));
    } else if first < 1.0 - 1e-4 {
        f.push(Filter::new("format").pos("yuva420p"));
        f.push(Filter::new("lutyuv").arg("a", format!("val*{}", num(first.max(0.0)))));
    }
    f.push(Filter::new("setpts").pos(pts_at_frame(cx.canvas.fps, cx.out(c.k0 + p.j0))));
    (cx.g.chain(&[input], f).into(), size, Some(at))
}

/// Output frame ranges as frames of the computed graph.
fn shifted(cx: &Ctx, ranges: &[(usize, usize)]) -> Vec<(usize, usize)> {
    ranges
        .iter()
        .map(|&(a, b)| (cx.out(a), cx.out(b)))
        .collect()
}

fn enable(ranges: &[(usize, usize)]) -> String {
    let parts: Vec<String> = ranges
        .iter()
        .map(|(a, b)| format!("between(n,{a},{})", b - 1))
        .collect();
    parts.join("+")
}

/// A still shown unchanged: one frame, opacity applied once.
fn static_still(cx: &mut Ctx, c: &Clip, link: Link) -> Link {
    let f = constant_alpha(c);
    if f.is_empty() {
        return link;
    }
    cx.g.chain(&[link], f).into()
}

/// `lutyuv` scaling alpha by a constant opacity below 1.
fn constant_alpha(c: &Clip) -> Vec<Filter> {
    match c.clip.visual.opacity {
        Anim::Const(a) if a < 1.0 => vec![
            Filter::new("format").pos("yuva420p"),
            Filter::new("lutyuv").arg("a", format!("val*{}", num(a.max(0.0)))),
        ],
        _ => Vec::new(),
    }
}

/// An animated piece: frames, masks (luma matte, wipe and varying alpha, all in the clip's own
/// box), camera, rotation, constant alpha; returns the stream, its size and, when it is drawn
/// into a fixed viewport of the canvas, that viewport's top-left corner.
fn animate(
    cx: &mut Ctx,
    lumas: &mut [luma::Luma],
    c: &Clip,
    p: Piece,
    link: Link,
) -> (Link, (u32, u32), Option<(i32, i32)>) {
    let n = p.j1 - p.j0;
    let f = frames(cx, c, p.j0, n);
    let mut link: Link = cx.g.chain(&[link], f).into();
    let prepared = prepared_size(c);
    let alpha = |j: usize| c.motion.alpha(local(cx, p, j));
    let first = if n > 0 { alpha(0) } else { 1.0 };
    let varying = (0..n).any(|j| (alpha(j) - first).abs() > 1e-4);
    let fade = varying.then(|| fade_level(n, alpha));
    let matte = p
        .luma
        .and_then(|l| luma::mask(cx, lumas, l, c.k0 + p.j0, n, prepared));
    let masks: Vec<Link> = [matte, wipe_mask(cx, c, p, prepared)]
        .into_iter()
        .flatten()
        .collect();
    if let Some(m) = multiply(cx, masks) {
        link = apply_mask(cx, link, m, has_alpha(c) || const_rotation(c).is_some());
    }
    if let Some(level) = fade {
        link = cx.g.chain(&[link], fade_filters(cx, &level)).into();
    }
    let cam = camera(cx, c, p);
    let mut size = cam.size;
    let mut f = cam.filters;
    if let Some((expr, out)) = rotation(cx, c, p, size) {
        f.push(Filter::new("format").pos("yuva420p"));
        f.push(rotate(&expr, out));
        size = out;
    }
    if !varying && first < 1.0 - 1e-4 {
        f.push(Filter::new("format").pos("yuva420p"));
        f.push(Filter::new("lutyuv").arg("a", format!("val*{}", num(first.max(0.0)))));
    }
    f.push(Filter::new("setpts").pos(pts_at_frame(cx.canvas.fps, cx.out(c.k0 + p.j0))));
    (cx.g.chain(&[link], f).into(), size, cam.at)
}

/// The clip's constant rotation in degrees, if not 0 (applied once in `prepare`).
fn const_rotation(c: &Clip) -> Option<f64> {
    c.clip
        .visual
        .transform
        .rotate
        .as_const()
        .filter(|a| *a != 0.0)
}

/// Whether the clip's prepared picture carries alpha (layers, PNGs with transparency, keyed
/// videos).
fn has_alpha(c: &Clip) -> bool {
    source_alpha(c) || c.clip.visual.chroma_key.is_some()
}

/// Whether the clip's source file (or layer) has an alpha channel of its own.
fn source_alpha(c: &Clip) -> bool {
    match &c.clip.source {
        Source::Media { info, .. } => info.has_alpha,
        _ => true,
    }
}

/// Local time of piece frame `j`.
fn local(cx: &Ctx, p: Piece, j: usize) -> f64 {
    (p.j0 + j) as f64 / cx.fps()
}
