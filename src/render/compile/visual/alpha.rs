//! Masks of animated pieces in the clip's own box: the eased fade level, wipes and reveals,
//! their product, and merging a mask into a picture's alpha.

use super::{Clip, Piece, local};
use crate::render::compile::anim::Knots;
use crate::render::compile::{Ctx, pts_frames};
use crate::render::graph::{Filter, Link};

/// Filters multiplying the stream's alpha by `level` (0..1 per frame, from frame 0): the
/// multiplier is computed once per frame, not per pixel. `fade` (alpha only) scales alpha by
/// its input timestamp over a 1 s ramp from 0, so each frame is first stamped with its level
/// in seconds (microsecond time base), then numbered again from 0. Levels stay below 1 so the
/// ramp never ends (a level going up then down stays exact). `geq` per pixel, or per-frame
/// `lutyuv` commands (a 65536-entry table rebuilt per plane, ~7 ms each), cost far more.
pub(super) fn fade_filters(cx: &Ctx, level: &Knots) -> Vec<Filter> {
    let fps = cx.canvas.fps;
    vec![
        Filter::new("format").pos("yuva420p"),
        Filter::new("settb").pos("1/1000000"),
        Filter::new("setpts").pos(format!("{}/TB", level.expr("N"))),
        Filter::new("fade")
            .arg("t", "in")
            .arg("st", 0)
            .arg("d", 1)
            .arg("alpha", 1),
        Filter::new("settb").pos(format!("{}/{}", fps.den, fps.num)),
        Filter::new("setpts").pos(pts_frames(fps, 0)),
    ]
}

/// The alpha levels of a piece's `n` frames, kept below 1 (see [`fade_filters`]), as knots
/// within 0.05/255.
pub(super) fn fade_level(n: usize, alpha: impl Fn(usize) -> f64) -> Knots {
    Knots::frames_within(n, 0.0002, |j| alpha(j).clamp(0.0, MAX_LEVEL))
}

/// Highest level: 255 after `fade`'s rounding, and below the end of its ramp.
const MAX_LEVEL: f64 = 0.999_999;

/// The product of grey masks (`blend` multiply), if any.
pub(super) fn multiply(cx: &mut Ctx, masks: Vec<Link>) -> Option<Link> {
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
pub(super) fn apply_mask(cx: &mut Ctx, link: Link, mask: Link, has_alpha: bool) -> Link {
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

/// The moving wipe/reveal mask of a piece (grey, `size`), if it has one.
pub(super) fn wipe_mask(cx: &mut Ctx, c: &Clip, p: Piece, size: (u32, u32)) -> Option<Link> {
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
