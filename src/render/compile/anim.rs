//! Animated values: Shotstack tween evaluation, easing curves, and their lowering to ffmpeg
//! expressions (piecewise-linear, exact at frame times).
//!
//! Everything here is pure maths on `f64`; the filters that consume the strings live in the
//! other `compile` modules.

use crate::render::graph::num;
use crate::render::timeline::{Anim, Curve, Tween};

/// Value of a cubic-bezier easing with control points (x1,y1),(x2,y2) at progress `p` (0..1):
/// solve x(u) = p by Newton then bisection, return y(u).
pub(crate) fn bezier(x1: f64, y1: f64, x2: f64, y2: f64, p: f64) -> f64 {
    let p = p.clamp(0.0, 1.0);
    let coord = |a: f64, b: f64, u: f64| {
        let v = 1.0 - u;
        3.0 * v * v * u * a + 3.0 * v * u * u * b + u * u * u
    };
    let slope = |a: f64, b: f64, u: f64| {
        let v = 1.0 - u;
        3.0 * v * v * a + 6.0 * v * u * (b - a) + 3.0 * u * u * (1.0 - b)
    };
    let mut u = p;
    for _ in 0..8 {
        let d = slope(x1, x2, u);
        if d.abs() < 1e-7 {
            break;
        }
        u = (u - (coord(x1, x2, u) - p) / d).clamp(0.0, 1.0);
    }
    if (coord(x1, x2, u) - p).abs() > 1e-6 {
        let (mut lo, mut hi) = (0.0, 1.0);
        for _ in 0..60 {
            u = (lo + hi) / 2.0;
            if coord(x1, x2, u) < p { lo = u } else { hi = u }
        }
    }
    coord(y1, y2, u)
}

/// Progress through a curve at `p` (0..1).
pub(crate) fn ease(curve: Curve, p: f64) -> f64 {
    match curve {
        Curve::Linear => p.clamp(0.0, 1.0),
        Curve::Constant => 0.0,
        Curve::Bezier(a, b, c, d) => bezier(a, b, c, d, p),
    }
}

/// The value of `anim` at clip-local time `t`. Between and around tweens it follows
/// SEMANTICS §3: hold the last `to`, ramp linearly across gaps, and ramp from `neutral` at 0
/// to the first `from`.
pub(crate) fn eval(anim: &Anim, t: f64, neutral: f64) -> f64 {
    let tweens = match anim {
        Anim::Const(v) => return *v,
        Anim::Tweens(tw) if tw.is_empty() => return neutral,
        Anim::Tweens(tw) => tw,
    };
    let mut prev: Option<&Tween> = None;
    for tw in tweens {
        if t < tw.start {
            let (t0, v0) = prev.map_or((0.0, neutral), |p| (p.start + p.length, p.to));
            return lerp_at(t0, v0, tw.start, tw.from, t);
        }
        if t < tw.start + tw.length {
            let p = (t - tw.start) / tw.length.max(1e-9);
            return tw.from + (tw.to - tw.from) * ease(tw.curve, p);
        }
        prev = Some(tw);
    }
    prev.map_or(neutral, |p| p.to)
}

fn lerp_at(t0: f64, v0: f64, t1: f64, v1: f64, t: f64) -> f64 {
    if t1 - t0 <= 1e-9 {
        return v1;
    }
    v0 + (v1 - v0) * ((t - t0) / (t1 - t0)).clamp(0.0, 1.0)
}

/// The smallest and largest value `anim` takes over [0, len] (sampled at `step`).
pub(crate) fn range(anim: &Anim, len: f64, step: f64, neutral: f64) -> (f64, f64) {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    let n = (len / step).ceil() as usize;
    for i in 0..=n {
        let v = eval(anim, (i as f64 * step).min(len), neutral);
        lo = lo.min(v);
        hi = hi.max(v);
    }
    (lo, hi)
}

/// A piecewise-linear function given by knots `(x, value)`, x increasing.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Knots(pub(crate) Vec<(f64, f64)>);

impl Knots {
    /// Samples `f` at `x = i` for frame indices `i` in `0..n`, then drops knots that lie on the
    /// line through their neighbours (so linear motion becomes one segment).
    pub(crate) fn frames(n: usize, f: impl Fn(usize) -> f64) -> Knots {
        Knots::frames_within(n, 1e-4, f)
    }

    /// As [`Knots::frames`], dropping knots whose value the line through their neighbours
    /// predicts within `tol` (0.01 px is invisible and keeps camera expressions short).
    ///
    /// Streams: memory is the knots kept, not the frames sampled (a long clip has millions).
    pub(crate) fn frames_within(n: usize, tol: f64, f: impl Fn(usize) -> f64) -> Knots {
        let mut out = vec![(0.0, f(0))];
        if n <= 1 {
            return Knots(out);
        }
        let mut candidate = (1.0, f(1));
        for i in 2..n {
            let next = (i as f64, f(i));
            let (x0, v0) = out[out.len() - 1];
            let ((x1, v1), (x2, v2)) = (candidate, next);
            let predicted = v0 + (v2 - v0) * (x1 - x0) / (x2 - x0);
            if (predicted - v1).abs() > tol {
                out.push(candidate);
            }
            candidate = next;
        }
        out.push(candidate);
        Knots(out)
    }

    /// Whether the function is constant.
    pub(crate) fn constant(&self) -> Option<f64> {
        let first = self.0.first()?.1;
        self.0
            .iter()
            .all(|&(_, v)| (v - first).abs() < 1e-6)
            .then_some(first)
    }

    /// An ffmpeg expression in `var` (`x` scaled by `scale` first, e.g. `t*25` for frame index),
    /// exact at every knot, clamped to the end values outside.
    pub(crate) fn expr(&self, var: &str) -> String {
        if let Some(c) = self.constant() {
            return num(c);
        }
        self.tree(var, 0, self.0.len() - 1)
    }

    fn tree(&self, var: &str, lo: usize, hi: usize) -> String {
        if hi - lo <= 1 {
            let (x0, v0) = self.0[lo];
            let (x1, v1) = self.0[hi];
            let k = (v1 - v0) / (x1 - x0).max(1e-9);
            return format!(
                "({}+{}*clip({var}-{},0,{}))",
                num(v0),
                num(k),
                num(x0),
                num(x1 - x0)
            );
        }
        let mid = (lo + hi) / 2;
        format!(
            "if(lt({var},{}),{},{})",
            num(self.0[mid].0),
            self.tree(var, lo, mid),
            self.tree(var, mid, hi)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bezier_matches_css() {
        // easeInOut is symmetric: 0.5 at the middle, ~0.129 at a quarter (CSS reference values).
        let c = Curve::easing("easeInOut");
        assert!((ease(c, 0.5) - 0.5).abs() < 1e-6);
        assert!((ease(c, 0.25) - 0.1291).abs() < 2e-3, "{}", ease(c, 0.25));
        assert!((ease(Curve::easing("ease"), 0.5) - 0.8024).abs() < 2e-3);
        assert_eq!(ease(Curve::Linear, 2.0), 1.0);
    }

    #[test]
    fn tween_gaps() {
        let tw = |from, to, start, length| Tween {
            from,
            to,
            start,
            length,
            curve: Curve::Linear,
        };
        let a = Anim::Tweens(vec![tw(0.0, 1.0, 1.0, 1.0), tw(0.5, 0.0, 3.0, 1.0)]);
        assert_eq!(eval(&a, 0.0, 1.0), 1.0); // neutral at 0
        assert!((eval(&a, 0.5, 1.0) - 0.5).abs() < 1e-9); // ramp neutral -> from
        assert!((eval(&a, 1.5, 1.0) - 0.5).abs() < 1e-9);
        assert!((eval(&a, 2.5, 1.0) - 0.75).abs() < 1e-9); // gap ramp 1 -> 0.5
        assert_eq!(eval(&a, 9.0, 1.0), 0.0); // hold last `to`
        let hold = Anim::Tweens(vec![Tween {
            curve: Curve::Constant,
            ..tw(0.2, 0.9, 0.0, 2.0)
        }]);
        assert_eq!(eval(&hold, 1.0, 1.0), 0.2);
    }

    #[test]
    fn knots_collapse_linear_motion() {
        let k = Knots::frames(50, |i| 3.0 + i as f64 * 0.5);
        assert_eq!(k.0.len(), 2);
        assert_eq!(k.expr("n"), "(3+0.5*clip(n-0,0,49))");
        assert_eq!(Knots::frames(5, |_| 2.0).expr("n"), "2");
        let e = Knots::frames(4, |i| [0.0, 1.0, 0.0, 1.0][i]).expr("n");
        assert!(e.starts_with("if(lt(n,"), "{e}");
    }
}
