//! Visual clips: each clip's picture is prepared once (demux-time trim, fps, crop, fit, scale,
//! chroma key, filter), cut into pieces at its transition windows, and each piece is either part of the
//! concatenated base (opaque full-frame), a still overlaid with `enable` (one frame, repeated by
//! overlay), or an animated stream overlaid for its own frames only.
//!
//! Animated pieces lower motion to filters: a `perspective` "camera" (sub-pixel, so Ken Burns
//! zooms do not jitter; see docs/rendering.md for the measurements), a moving gradient mask for
//! wipes and reveals, `rotate`, `lutyuv` alpha driven by `sendcmd`, and overlay x/y expressions.

use super::anim::{Knots, range};
use super::base::{self, Base, Span};
use super::layout::{self, Geometry, even};
use super::look;
use super::luma;
use super::motion::Motion;
use super::{Ctx, pts_at_frame, pts_frames};
use crate::render::graph::{Filter, Link, Media, num};
use crate::render::timeline::{Anim, ChromaKey, ClipKind, Fps, Source, TimedClip};

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
    let mut links = prepare_all(cx, &clips, &pieces, &runs, &visible, &mut lumas);
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
        let link = links[p.clip].pop().unwrap_or(Link::Input(0, Media::Video));
        let layer = Layer {
            c: &clips[p.clip],
            p,
            link,
        };
        out = overlay_piece(cx, &mut lumas, layer, out, &visible[i]);
    }
    out
}

/// A piece with its clip and the prepared stream it reads.
struct Layer<'c, 'a> {
    c: &'c Clip<'a>,
    p: Piece,
    link: Link,
}

/// Prepares every clip (and matte) that is used, split once per use.
fn prepare_all(
    cx: &mut Ctx,
    clips: &[Clip],
    pieces: &[Piece],
    runs: &[base::Run],
    visible: &[Vec<(usize, usize)>],
    lumas: &mut [luma::Luma],
) -> Vec<Vec<Link>> {
    let mut uses = vec![0usize; clips.len()];
    let mut luma_uses = vec![0usize; lumas.len()];
    for (i, p) in pieces.iter().enumerate() {
        if !visible[i].is_empty() {
            uses[p.clip] += 1;
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

/// The clip's picture at its prepared size, every frame once (or one frame for stills).
fn prepare(cx: &mut Ctx, c: &Clip) -> Link {
    let fps = cx.canvas.fps;
    let (start, index, mut filters) = match &c.clip.source {
        Source::Media { path, info } if !c.still && c.skip > 0 => {
            let (index, filters) = seeked_video(cx, c, path, info);
            (None, index, filters)
        }
        Source::Media { path, info } if !c.still => {
            let need = c.clip.length * c.clip.media.speed + 2.0 / cx.fps();
            let mut args = Vec::new();
            if c.clip.media.trim > 0.0 {
                args.extend(["-ss".to_owned(), num(c.clip.media.trim)]);
            }
            args.extend(["-t".to_owned(), num(need)]);
            let i = cx.media_input(path, info, args);
            cx.media_inputs
                .push((std::ptr::from_ref(c.clip) as usize, i));
            let mut f = vec![Filter::new("setpts").pos("PTS-STARTPTS")];
            if (c.clip.media.speed - 1.0).abs() > 1e-9 {
                f.push(Filter::new("setpts").pos(format!("PTS/{}", num(c.clip.media.speed))));
            }
            f.push(Filter::new("fps").pos(fps.to_string()));
            (None, i, f)
        }
        Source::Media { path, info } => {
            let args = if c.clip.media.trim > 0.0 {
                vec!["-ss".to_owned(), num(c.clip.media.trim)]
            } else {
                Vec::new()
            };
            (
                None,
                cx.media_input(path, info, args),
                vec![Filter::new("trim").arg("end_frame", 1)],
            )
        }
        Source::Layer { png, .. } => (None, cx.input(png, Vec::new()), Vec::new()),
        Source::Frames {
            dir,
            count,
            step,
            loop_from,
            ..
        } => {
            let n = c.k1 - c.k0;
            let pattern = sequence_pattern(dir);
            if c.skip > 0 {
                // A still's window starts inside the clip: the one drawn frame showing local
                // frame `skip`, held for the rest of the window.
                let png = drawn_frame(c.skip, *count, *step, *loop_from);
                let args = vec![
                    "-framerate".to_owned(),
                    fps.to_string(),
                    "-start_number".to_owned(),
                    png.to_string(),
                ];
                let f = vec![
                    Filter::new("trim").arg("end_frame", 1),
                    Filter::new("tpad")
                        .arg("stop_mode", "clone")
                        .arg("stop", n.saturating_sub(c.skip)),
                ];
                (None, cx.input(&pattern, args), f)
            } else {
                let rate = Fps {
                    num: fps.num,
                    den: fps.den.saturating_mul(*step as u32),
                };
                let args = vec!["-framerate".to_owned(), rate.to_string()];
                match loop_from {
                    // The entrance once, then the cycle repeated by the demuxer to the clip's end.
                    Some(from) => {
                        let intro = cx.input(&pattern, args.clone());
                        let mut again = args;
                        // `-t` ends the endless input; the trim below cuts it to the frame.
                        let rest = n.saturating_sub(*from) + 2;
                        again.extend(["-loop", "1", "-start_number"].map(str::to_owned));
                        again.push(from.to_string());
                        again.extend(["-t".to_owned(), num(rest as f64 / cx.fps())]);
                        let cycle = cx.input(&pattern, again);
                        let head = cx.g.chain(
                            &[Link::Input(intro, Media::Video)],
                            vec![Filter::new("trim").arg("end_frame", *from)],
                        );
                        let tail = cx.g.chain(
                            &[Link::Input(cycle, Media::Video)],
                            vec![
                                Filter::new("trim")
                                    .arg("end_frame", n.saturating_sub(*from).max(1)),
                                Filter::new("setpts").pos("PTS-STARTPTS"),
                            ],
                        );
                        let joined = cx.g.chain(
                            &[head.into(), tail.into()],
                            vec![Filter::new("concat").arg("n", 2).arg("v", 1).arg("a", 0)],
                        );
                        (Some(Link::from(joined)), 0, Vec::new())
                    }
                    None => {
                        let mut f = Vec::new();
                        if *step > 1 {
                            f.push(Filter::new("fps").pos(fps.to_string()));
                        }
                        // The text at rest (the last frame) holds to the end of the clip (later
                        // filters cut any frames past it).
                        let hold = n.saturating_sub(*count);
                        f.push(
                            Filter::new("tpad")
                                .arg("stop_mode", "clone")
                                .arg("stop", hold),
                        );
                        (None, cx.input(&pattern, args), f)
                    }
                }
            }
        }
        Source::None => (None, 0, Vec::new()),
    };
    filters.extend(shape_filters(c));
    let mut link = start.unwrap_or(Link::Input(index, Media::Video));
    if let Some(key) = c.clip.visual.chroma_key {
        let fitted = cx.g.chain(&[link], std::mem::take(&mut filters)).into();
        link = chroma_key(cx, c, fitted, key);
    }
    if let Some(l) = c.clip.visual.filter {
        filters.extend(look::filters(l, c.geo.visible.1));
    }
    // Opaque pictures stay yuv420p (base runs need it; overlay adds alpha when it must).
    let format = if has_alpha(c) { "yuva420p" } else { "yuv420p" };
    filters.push(Filter::new("format").pos(format));
    if let Some(a) = c
        .clip
        .visual
        .transform
        .rotate
        .as_const()
        .filter(|a| *a != 0.0)
    {
        filters.push(Filter::new("format").pos("yuva420p"));
        filters.push(rotate(&num(a.to_radians()), rotated(c.geo.visible, a)));
    }
    // A still prepared alike before (the same file, input options and filters) is shared:
    // its input is dropped again and the earlier chain gets one more output.
    let still = c.still && matches!(c.clip.source, Source::Media { .. } | Source::Layer { .. });
    if still && link == Link::Input(index, Media::Video) && index + 1 == cx.inputs.len() {
        let input = &cx.inputs[index];
        let mut key = format!("{}\u{0}{:?}", input.path.display(), input.args_before_i);
        for f in &filters {
            key.push('\u{0}');
            key.push_str(&f.to_string());
        }
        if let Some(&pad) = cx.stills.get(&key) {
            cx.inputs.pop();
            return cx.g.reuse(pad).into();
        }
        let pad = cx.g.chain(&[link], filters);
        cx.stills.insert(key, pad);
        return pad.into();
    }
    cx.g.chain(&[link], filters).into()
}

/// A video input seeked (demux-time `-ss`) to a frame before local frame `c.skip`, its
/// timestamps put back where the whole render has them, so `fps` picks the same source
/// frames; the prepared stream then starts at local frame `c.skip`, and only a few frames are
/// decoded. The whole render's `PTS-STARTPTS` removes the gap between `trim` and the first
/// frame at or after it, which is computed here from the probed frame rate.
fn seeked_video(
    cx: &mut Ctx,
    c: &Clip,
    path: &std::path::Path,
    info: &crate::render::timeline::MediaInfo,
) -> (usize, Vec<Filter>) {
    let fps = cx.canvas.fps;
    let speed = c.clip.media.speed;
    let trim = c.clip.media.trim;
    // One output frame of margin, so `fps` sees the frame before the one it keeps.
    let pre = c.skip.saturating_sub(1);
    let local = pre as f64 / cx.fps();
    let gap = if trim > 0.0 && info.fps > 0.0 {
        ((trim * info.fps - 1e-6).ceil() / info.fps - trim).max(0.0)
    } else {
        0.0
    };
    let need = (c.skip - pre + 3) as f64 / cx.fps() * speed;
    let args = vec![
        "-ss".to_owned(),
        num(trim + local * speed),
        "-t".to_owned(),
        num(need),
    ];
    let i = cx.media_input(path, info, args);
    cx.media_inputs
        .push((std::ptr::from_ref(c.clip) as usize, i));
    let mut f = vec![Filter::new("setpts").pos(format!("PTS+{}/TB", num(local * speed - gap)))];
    if (speed - 1.0).abs() > 1e-9 {
        f.push(Filter::new("setpts").pos(format!("PTS/{}", num(speed))));
    }
    f.extend([
        // Pads the start with the first frame (never shown): frame numbers stay local ones.
        Filter::new("fps").pos(fps.to_string()).arg("start_time", 0),
        Filter::new("trim").arg("start_frame", c.skip),
        Filter::new("setpts").pos("PTS-STARTPTS"),
    ]);
    (i, f)
}

/// Keys `link` (the fitted picture) by `key`: the matte is computed on an RGB copy and becomes
/// the picture's alpha (multiplied by any alpha it had), so the colours stay in YUV.
fn chroma_key(cx: &mut Ctx, c: &Clip, link: Link, key: ChromaKey) -> Link {
    let parts = cx.g.chain_n(&[link], vec![Filter::new("split").pos(2)], 2);
    let matte = cx.g.chain(&[parts[1].into()], look::key_matte(key));
    apply_mask(cx, parts[0].into(), matte.into(), source_alpha(c))
}

/// asset.crop, flips, scale to the fitted size, cut to the box.
fn shape_filters(c: &Clip) -> Vec<Filter> {
    let g = c.geo;
    let mut f = Vec::new();
    if let Some((w, h, x, y)) = g.crop {
        f.push(
            Filter::new("crop")
                .arg("w", w)
                .arg("h", h)
                .arg("x", x)
                .arg("y", y),
        );
    }
    let tr = &c.clip.visual.transform;
    if tr.flip_h {
        f.push(Filter::new("hflip"));
    }
    if tr.flip_v {
        f.push(Filter::new("vflip"));
    }
    let cropped = g.crop.map_or(g.source, |(w, h, _, _)| (w, h));
    if cropped != g.content {
        f.push(
            Filter::new("scale")
                .arg("w", g.content.0)
                .arg("h", g.content.1)
                .arg("flags", "bicubic"),
        );
    }
    if g.visible != g.content {
        f.push(
            Filter::new("crop")
                .arg("w", g.visible.0)
                .arg("h", g.visible.1),
        );
    }
    f.push(Filter::new("setsar").pos(1));
    f
}

/// Bounding box of a `size` picture rotated by `deg`, even sides.
fn rotated(size: (u32, u32), deg: f64) -> (u32, u32) {
    let (s, c) = deg.to_radians().sin_cos();
    let (w, h) = (f64::from(size.0), f64::from(size.1));
    (
        even(w * c.abs() + h * s.abs()),
        even(w * s.abs() + h * c.abs()),
    )
}

fn rotate(angle: &str, out: (u32, u32)) -> Filter {
    Filter::new("rotate")
        .arg("a", angle.to_owned())
        .arg("ow", out.0)
        .arg("oh", out.1)
        .arg("c", "none")
}

/// Frame size of the prepared stream.
fn prepared_size(c: &Clip) -> (u32, u32) {
    match c.clip.visual.transform.rotate.as_const() {
        Some(a) if a != 0.0 => rotated(c.geo.visible, a),
        _ => c.geo.visible,
    }
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

/// The drawn frame (file index in a [`Source::Frames`] directory) that clip-local frame
/// `local` shows: each drawn frame lasts `step` frames; past the last one, the frames from
/// `loop_from` repeat, or else the last one holds. Pure.
fn drawn_frame(local: usize, count: usize, step: usize, loop_from: Option<usize>) -> usize {
    let j = local / step.max(1);
    let last = count.saturating_sub(1);
    match loop_from {
        Some(from) if j > last && from < count => from + (j - from) % (count - from),
        _ => j.min(last),
    }
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

/// The `image2` pattern of a frame directory; a `%` in the directory's own path is doubled so
/// the demuxer reads it literally.
fn sequence_pattern(dir: &std::path::Path) -> std::path::PathBuf {
    let dir = dir.to_string_lossy().replace('%', "%%");
    std::path::Path::new(&dir).join(Source::FRAME_PATTERN)
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
    let (top, size, at) = if p.animated {
        animate(cx, lumas, c, p, link)
    } else if c.still {
        (static_still(cx, c, link), prepared_size(c), None)
    } else {
        let mut f = frames(cx, c, p.j0, p.j1 - p.j0);
        f.extend(constant_alpha(c));
        f.push(Filter::new("setpts").pos(pts_at_frame(cx.canvas.fps, k0)));
        (cx.g.chain(&[link], f).into(), prepared_size(c), None)
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
    let fade =
        varying.then(|| Knots::frames_within(n, 0.05, |j| (alpha(j) * 255.0).clamp(0.0, 255.0)));
    let matte = p
        .luma
        .and_then(|l| luma::mask(cx, lumas, l, c.k0 + p.j0, n, prepared));
    let masks: Vec<Link> = [
        matte,
        wipe_mask(cx, c, p, prepared),
        fade.map(|level| fade_mask(cx, &level, n, prepared)),
    ]
    .into_iter()
    .flatten()
    .collect();
    if let Some(m) = multiply(cx, masks) {
        link = apply_mask(cx, link, m, has_alpha(c) || const_rotation(c).is_some());
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

/// A uniform grey stream whose level is 255·alpha at each frame (a 2×2 `geq` scaled up:
/// per-frame `lutyuv` commands would rebuild a 65536-entry table per plane, ~7 ms each).
fn fade_mask(cx: &mut Ctx, level: &Knots, n: usize, size: (u32, u32)) -> Link {
    let f = vec![
        Filter::new("color")
            .arg("c", "black")
            .arg("s", "2x2")
            .arg("r", cx.canvas.fps.to_string()),
        Filter::new("trim").arg("end_frame", n),
        Filter::new("format").pos("gray"),
        Filter::new("geq").arg("lum", level.expr("N")),
        Filter::new("scale")
            .arg("w", size.0)
            .arg("h", size.1)
            .arg("flags", "neighbor"),
    ];
    cx.g.chain(&[], f).into()
}

/// The product of grey masks (`blend` multiply), if any.
fn multiply(cx: &mut Ctx, masks: Vec<Link>) -> Option<Link> {
    let mut it = masks.into_iter();
    let first = it.next()?;
    Some(it.fold(first, |a, b| {
        cx.g.chain(
            &[a, b],
            vec![Filter::new("blend").arg("all_mode", "multiply")],
        )
        .into()
    }))
}

/// Uses grey `mask` as the stream's alpha, multiplied by the alpha it already has.
fn apply_mask(cx: &mut Ctx, link: Link, mask: Link, has_alpha: bool) -> Link {
    if !has_alpha {
        let main =
            cx.g.chain(&[link], vec![Filter::new("format").pos("yuva420p")]);
        return cx
            .g
            .chain(&[main.into(), mask], vec![Filter::new("alphamerge")])
            .into();
    }
    let parts = cx.g.chain_n(&[link], vec![Filter::new("split").pos(2)], 2);
    let a =
        cx.g.chain(&[parts[1].into()], vec![Filter::new("alphaextract")]);
    let a = cx.g.chain(
        &[a.into(), mask],
        vec![Filter::new("blend").arg("all_mode", "multiply")],
    );
    cx.g.chain(
        &[parts[0].into(), a.into()],
        vec![Filter::new("alphamerge")],
    )
    .into()
}

/// Local time of piece frame `j`.
fn local(cx: &Ctx, p: Piece, j: usize) -> f64 {
    (p.j0 + j) as f64 / cx.fps()
}

/// The filters drawing a piece's picture at its displayed scale and shear.
struct Camera {
    filters: Vec<Filter>,
    /// Size of the stream they make.
    size: (u32, u32),
    /// Top-left corner on the canvas of a fixed viewport the clip moves inside (sub-pixel);
    /// `None`: the stream is centred on the clip's centre by overlay.
    at: Option<(i32, i32)>,
}

/// Scale ratio to the prepared picture and shear of a piece's frame `j`.
fn ratio_and_shear(cx: &Ctx, c: &Clip, p: Piece, j: usize) -> (f64, (f64, f64)) {
    let t = local(cx, p, j);
    (c.motion.total_scale(t) / c.s_ref, c.motion.skew(t))
}

/// The `perspective` camera (scale about the anchor from effects, the zoom transition and
/// `scale` tweens; shear). Without rotation the clip is drawn into a fixed viewport of the
/// canvas that holds every frame's box (clipped to the canvas), so a growing clip is never
/// cut and moves by sub-pixel steps; with rotation it is scaled inside a frame centred on the
/// clip (at most twice its prepared size), which `rotate` then turns.
fn camera(cx: &Ctx, c: &Clip, p: Piece) -> Camera {
    let n = p.j1 - p.j0;
    let prepared = prepared_size(c);
    // Evaluated per use rather than stored: a long clip has millions of frames.
    let state = |j: usize| ratio_and_shear(cx, c, p, j);
    let identity = (0..n)
        .map(state)
        .all(|(r, k)| (r - 1.0).abs() < 1e-6 && k == (0.0, 0.0));
    if identity {
        return Camera {
            filters: Vec::new(),
            size: prepared,
            at: None,
        };
    }
    let turning =
        const_rotation(c).is_some() || (0..n).any(|j| c.motion.angle(local(cx, p, j)) != 0.0);
    if turning {
        framed(n, state, prepared)
    } else {
        viewport(cx, c, p, prepared)
    }
}

/// Scales (and shears) the picture about the centre of a frame of up to twice its size.
fn framed(n: usize, state: impl Fn(usize) -> (f64, (f64, f64)), prepared: (u32, u32)) -> Camera {
    let (vw, vh) = prepared;
    let fr = (0..n).map(|j| state(j).0).fold(1.0, f64::max).min(2.0);
    let uncovered = (0..n)
        .map(&state)
        .any(|(r, k)| r < fr - 1e-6 || k != (0.0, 0.0));
    let pad = if uncovered { 2 } else { 0 };
    let frame = (
        even(f64::from(vw) * fr) + 2 * pad,
        even(f64::from(vh) * fr) + 2 * pad,
    );
    let mut f = Vec::new();
    if frame != prepared {
        f.push(Filter::new("format").pos("yuva420p"));
        f.push(
            Filter::new("pad")
                .arg("w", frame.0)
                .arg("h", frame.1)
                .arg("x", (frame.0 - vw) / 2)
                .arg("y", (frame.1 - vh) / 2)
                .arg("color", "black@0"),
        );
    }
    let (fw, fh) = (f64::from(frame.0), f64::from(frame.1));
    let centre = (fw / 2.0, fh / 2.0);
    f.push(perspective(
        n,
        |j| {
            let (r, k) = state(j);
            (r, centre, k)
        },
        centre,
        frame,
    ));
    Camera {
        filters: f,
        size: frame,
        at: None,
    }
}

/// Draws the clip into the smallest even-aligned rectangle of the canvas holding its box on
/// every frame of the piece.
fn viewport(cx: &Ctx, c: &Clip, p: Piece, prepared: (u32, u32)) -> Camera {
    let n = p.j1 - p.j0;
    let (vw, vh) = (f64::from(prepared.0), f64::from(prepared.1));
    let (cw, ch) = (f64::from(cx.canvas.width), f64::from(cx.canvas.height));
    let centre = |j: usize| top_left(cx, c, local(cx, p, j), (0, 0));
    // Half extents of the displayed (sheared) box.
    let half = |j: usize| {
        let (r, (kx, ky)) = ratio_and_shear(cx, c, p, j);
        (
            r * (vw / 2.0 + kx.abs() * vh / 2.0),
            r * (ky.abs() * vw / 2.0 + vh / 2.0),
        )
    };
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for j in 0..n {
        let ((mx, my), (hx, hy)) = (centre(j), half(j));
        (x0, y0) = (x0.min(mx - hx), y0.min(my - hy));
        (x1, y1) = (x1.max(mx + hx), y1.max(my + hy));
    }
    let lo = |v: f64, max: f64| ((v.clamp(0.0, max) / 2.0).floor() * 2.0) as u32;
    let hi = |v: f64, max: f64| ((v.clamp(0.0, max) / 2.0).ceil() * 2.0) as u32;
    let (ax, ay) = (lo(x0, cw), lo(y0, ch));
    let (bx, by) = (hi(x1, cw).max(ax + 2), hi(y1, ch).max(ay + 2));
    let view = (bx - ax, by - ay);
    let eps = 1e-3;
    let covered = (0..n).all(|j| {
        let ((mx, my), (hx, hy)) = (centre(j), half(j));
        ratio_and_shear(cx, c, p, j).1 == (0.0, 0.0)
            && mx - hx <= f64::from(ax) + eps
            && my - hy <= f64::from(ay) + eps
            && mx + hx >= f64::from(bx) - eps
            && my + hy >= f64::from(by) - eps
    });
    let pad = if covered { 0 } else { 2 };
    let frame = (
        prepared.0.max(view.0) + 2 * pad,
        prepared.1.max(view.1) + 2 * pad,
    );
    let mut f = Vec::new();
    if frame != prepared {
        let color = if pad > 0 {
            f.push(Filter::new("format").pos("yuva420p"));
            "black@0"
        } else {
            "black"
        };
        f.push(
            Filter::new("pad")
                .arg("w", frame.0)
                .arg("h", frame.1)
                .arg("x", pad)
                .arg("y", pad)
                .arg("color", color),
        );
    }
    let source = (f64::from(pad) + vw / 2.0, f64::from(pad) + vh / 2.0);
    let (axf, ayf) = (f64::from(ax), f64::from(ay));
    f.push(perspective(
        n,
        |j| {
            let (r, k) = ratio_and_shear(cx, c, p, j);
            let (mx, my) = centre(j);
            (r, (mx - axf, my - ayf), k)
        },
        source,
        frame,
    ));
    if frame != view {
        f.push(
            Filter::new("crop")
                .arg("w", view.0)
                .arg("h", view.1)
                .arg("x", 0)
                .arg("y", 0),
        );
    }
    Camera {
        filters: f,
        size: view,
        at: Some((ax as i32, ay as i32)),
    }
}

/// Camera state per frame: scale ratio, the picture's centre in output-frame pixels, shear.
type CameraState = (f64, (f64, f64), (f64, f64));

/// The `perspective` filter mapping each output corner of a `frame`-sized stream back to its
/// source point, for every frame's camera state; the picture's centre is at `source` in the
/// input. Its `in` counts frames from 1.
pub(super) fn perspective(
    n: usize,
    state: impl Fn(usize) -> CameraState,
    source: (f64, f64),
    frame: (u32, u32),
) -> Filter {
    const NAMES: [(&str, &str); 4] = [("x0", "y0"), ("x1", "y1"), ("x2", "y2"), ("x3", "y3")];
    let corners = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)];
    let (fw, fh) = (f64::from(frame.0), f64::from(frame.1));
    let mut persp = Filter::new("perspective");
    for (ci, (ux, uy)) in corners.iter().enumerate() {
        let src = |j: usize| {
            let (z, (mx, my), (kx, ky)) = state(j);
            let dx = ux * fw - mx;
            let dy = uy * fh - my;
            let det = (1.0 - kx * ky).max(1e-6);
            let z = z.max(1e-6);
            (
                source.0 + (dx - kx * dy) / det / z,
                source.1 + (dy - ky * dx) / det / z,
            )
        };
        persp = persp
            .arg(
                NAMES[ci].0,
                Knots::frames_within(n, 0.01, |j| src(j).0).expr("(in-1)"),
            )
            .arg(
                NAMES[ci].1,
                Knots::frames_within(n, 0.01, |j| src(j).1).expr("(in-1)"),
            );
    }
    persp.arg("interpolation", "linear").arg("eval", "frame")
}

/// The moving wipe/reveal mask of a piece (grey, `size`), if it has one.
fn wipe_mask(cx: &mut Ctx, c: &Clip, p: Piece, size: (u32, u32)) -> Option<Link> {
    let n = p.j1 - p.j0;
    let mask = |j: usize| c.motion.mask(local(cx, p, j));
    let first = (0..n).find_map(mask)?;
    let (w, h) = size;
    let shape = if first.soft {
        "255*clip(0.5+(0.5-(X/W*4-2))/0.85,0,1)"
    } else {
        "255*lt(X/W*4-2,0)"
    };
    let xs = Knots::frames(n, |j| {
        ((mask(j).map_or(-2.0, |m| m.shift) + 2.0) * f64::from(w)).round()
    });
    let mut mf = vec![
        Filter::new("color")
            .arg("c", "black")
            .arg("s", format!("{}x2", 4 * w))
            .arg("r", cx.canvas.fps.to_string()),
        Filter::new("trim").arg("end_frame", n),
        Filter::new("format").pos("gray"),
        Filter::new("geq").arg("lum", shape),
        Filter::new("crop")
            .arg("w", w)
            .arg("h", 2)
            .arg("x", xs.expr("n"))
            .arg("y", 0),
        Filter::new("scale")
            .arg("w", w)
            .arg("h", h)
            .arg("flags", "neighbor"),
    ];
    if first.flip {
        mf.push(Filter::new("hflip"));
    }
    Some(cx.g.chain(&[], mf).into())
}

/// A per-frame rotation (shuffle swings, rotate tweens): the angle expression and output size.
fn rotation(cx: &Ctx, c: &Clip, p: Piece, size: (u32, u32)) -> Option<(String, (u32, u32))> {
    if c.clip
        .visual
        .transform
        .rotate
        .as_const()
        .is_some_and(|a| a != 0.0)
    {
        return None; // constant rotation was applied once in `prepare`
    }
    let n = p.j1 - p.j0;
    let angles = Knots::frames(n, |j| c.motion.angle(local(cx, p, j)).to_radians());
    if angles.constant() == Some(0.0) {
        return None;
    }
    let out = (0..n)
        .map(|j| rotated(size, c.motion.angle(local(cx, p, j))))
        .fold((2, 2), |a, b| (a.0.max(b.0), a.1.max(b.1)));
    Some((angles.expr("n"), out))
}

#[cfg(test)]
mod tests {
    use super::drawn_frame;

    #[test]
    fn a_still_inside_a_drawn_sequence_picks_the_frame_a_full_render_shows() {
        // One drawn frame per output frame, the last one held.
        assert_eq!(drawn_frame(0, 10, 1, None), 0);
        assert_eq!(drawn_frame(7, 10, 1, None), 7);
        assert_eq!(drawn_frame(25, 10, 1, None), 9);
        // A long motion drawn at a third of the rate.
        assert_eq!(drawn_frame(7, 10, 3, None), 2);
        assert_eq!(drawn_frame(100, 10, 3, None), 9);
        // An entrance of 4 frames, then frames 4..10 repeat.
        assert_eq!(drawn_frame(9, 10, 1, Some(4)), 9);
        assert_eq!(drawn_frame(10, 10, 1, Some(4)), 4);
        assert_eq!(drawn_frame(17, 10, 1, Some(4)), 5);
    }
}
