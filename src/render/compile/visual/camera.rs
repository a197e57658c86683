//! The camera of animated pieces: scale about the anchor (effects, the zoom transition, `scale`
//! tweens) and shear drawn by `perspective` (sub-pixel, so Ken Burns zooms do not jitter; see
//! docs/rendering.md), into a fixed viewport of the canvas or a frame centred on the clip;
//! per-frame rotation. A still picture that is only scaled and moved is drawn by reel into
//! the same viewport instead ([`drawn`], [`crate::render::zoom`]): a third of the cost.

use super::prepare::{prepare, prepared_size, rotated};
use super::{Clip, Piece, const_rotation, has_alpha, local, top_left};
use crate::render::compile::Ctx;
use crate::render::compile::anim::Knots;
use crate::render::compile::layout::even;
use crate::render::graph::{Filter, Link, Media};
use crate::render::timeline::Source;
use crate::render::zoom::{Picture, Step, Zoom};

/// The filters drawing a piece's picture at its displayed scale and shear.
pub(super) struct Camera {
    pub(super) filters: Vec<Filter>,
    /// Size of the stream they make.
    pub(super) size: (u32, u32),
    /// Top-left corner on the canvas of a fixed viewport the clip moves inside (sub-pixel);
    /// `None`: the stream is centred on the clip's centre by overlay.
    pub(super) at: Option<(i32, i32)>,
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
pub(super) fn camera(cx: &Ctx, c: &Clip, p: Piece) -> Camera {
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

/// The fixed viewport of a piece: the smallest even-aligned rectangle of the canvas holding
/// the clip's box on every frame, and the padded frame the camera samples from.
struct View {
    /// Frame sampled from: the prepared picture at (`pad`, `pad`), filled right and below.
    frame: (u32, u32),
    /// 2 (transparent border, so edges fade) unless the picture covers the viewport on
    /// every frame.
    pad: u32,
    /// Size of the viewport (the output, cut from the top-left of `frame`).
    view: (u32, u32),
    /// Its top-left corner on the canvas.
    at: (u32, u32),
    /// The picture's centre in `frame`.
    source: (f64, f64),
}

/// The centre of the clip's box at piece frame `j`, in viewport pixels.
fn centre_in(cx: &Ctx, c: &Clip, p: Piece, at: (u32, u32), j: usize) -> (f64, f64) {
    let (mx, my) = top_left(cx, c, local(cx, p, j), (0, 0));
    (mx - f64::from(at.0), my - f64::from(at.1))
}

fn view(cx: &Ctx, c: &Clip, p: Piece, prepared: (u32, u32)) -> View {
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
    View {
        frame: (
            prepared.0.max(view.0) + 2 * pad,
            prepared.1.max(view.1) + 2 * pad,
        ),
        pad,
        view,
        at: (ax, ay),
        source: (f64::from(pad) + vw / 2.0, f64::from(pad) + vh / 2.0),
    }
}

/// Draws the clip into its fixed [`View`] of the canvas with `perspective`.
fn viewport(cx: &Ctx, c: &Clip, p: Piece, prepared: (u32, u32)) -> Camera {
    let n = p.j1 - p.j0;
    let View {
        frame,
        pad,
        view,
        at,
        source,
    } = view(cx, c, p, prepared);
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
    f.push(perspective(
        n,
        |j| {
            let (r, k) = ratio_and_shear(cx, c, p, j);
            (r, centre_in(cx, c, p, at, j), k)
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
        at: Some((at.0 as i32, at.1 as i32)),
    }
}

/// Fewest frames of a piece whose camera reel draws: below, the extra ffmpeg call preparing
/// the picture (~30 ms) costs more than `perspective` saves (a few ms a frame), as for the one
/// frame of a still.
const DRAWN_MIN_FRAMES: usize = 8;

/// Whether reel draws this piece's camera itself ([`crate::render::zoom`]) instead of
/// `perspective`: an animated piece of a still picture (an image, a layer, a frozen video
/// frame) that is scaled (not only moved) and never sheared, turned, wiped or matted, for at
/// least [`DRAWN_MIN_FRAMES`].
pub(super) fn drawn(cx: &Ctx, c: &Clip, p: Piece) -> bool {
    if !cx.draw_zooms
        || p.j1 - p.j0 < DRAWN_MIN_FRAMES
        || !p.animated
        || !c.still
        || p.luma.is_some()
        || const_rotation(c).is_some()
        || !matches!(c.clip.source, Source::Media { .. } | Source::Layer { .. })
    {
        return false;
    }
    let mut scaled = false;
    for j in 0..p.j1 - p.j0 {
        let t = local(cx, p, j);
        let (r, k) = ratio_and_shear(cx, c, p, j);
        if k != (0.0, 0.0) || c.motion.angle(t) != 0.0 || c.motion.mask(t).is_some() {
            return false;
        }
        scaled |= (r - 1.0).abs() >= 1e-6;
    }
    scaled
}

/// The camera of a [`drawn`] piece: a `rawvideo` input whose frames reel draws (see
/// [`Zoom`]), with the geometry `viewport` gives `perspective`. Returns the input, its size
/// and its corner on the canvas.
pub(super) fn drawn_camera(cx: &mut Ctx, c: &Clip, p: Piece) -> (Link, (u32, u32), (i32, i32)) {
    let prepared = prepared_size(c);
    let v = view(cx, c, p, prepared);
    let steps = (0..p.j1 - p.j0)
        .map(|j| {
            let r = ratio_and_shear(cx, c, p, j).0.max(1e-6);
            let (mx, my) = centre_in(cx, c, p, v.at, j);
            let inv = 1.0 / r;
            Step {
                inv,
                x0: v.source.0 - mx * inv,
                y0: v.source.1 - my * inv,
            }
        })
        .collect();
    let mut zoom = Zoom {
        input: 0,
        picture: picture(cx, c),
        prepared,
        frame: v.frame,
        pad: v.pad,
        clear: v.pad > 0,
        view: v.view,
        alpha: v.pad > 0 || has_alpha(c),
        steps,
    };
    let args = zoom.input_args(&cx.canvas.fps.to_string());
    zoom.input = cx.input(&Zoom::placeholder(cx.zooms.len()), args);
    let link = Link::Input(zoom.input, Media::Video);
    cx.zooms.push(zoom);
    (link, v.view, (v.at.0 as i32, v.at.1 as i32))
}

/// The one-frame graph preparing the clip's picture, built apart from the render's.
fn picture(cx: &mut Ctx, c: &Clip) -> Picture {
    let g = std::mem::take(&mut cx.g);
    let inputs = std::mem::take(&mut cx.inputs);
    let stills = std::mem::take(&mut cx.stills);
    let media = std::mem::take(&mut cx.media_inputs);
    let pad = match prepare(cx, c) {
        Link::Pad(pad) => pad,
        link => cx.g.chain(&[link], vec![Filter::new("null")]),
    };
    let picture = Picture::new(&cx.inputs, cx.g.to_string(), pad.to_string());
    cx.g = g;
    cx.inputs = inputs;
    cx.stills = stills;
    cx.media_inputs = media;
    picture
}

/// Camera state per frame: scale ratio, the picture's centre in output-frame pixels, shear.
type CameraState = (f64, (f64, f64), (f64, f64));

/// The `perspective` filter mapping each output corner of a `frame`-sized stream back to its
/// source point, for every frame's camera state; the picture's centre is at `source` in the
/// input. Its `in` counts frames from 1.
pub(in crate::render::compile) fn perspective(
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

/// A per-frame rotation (shuffle swings, rotate tweens): the angle expression and output size.
pub(super) fn rotation(
    cx: &Ctx,
    c: &Clip,
    p: Piece,
    size: (u32, u32),
) -> Option<(String, (u32, u32))> {
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
