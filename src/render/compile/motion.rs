//! What moves: transitions (SEMANTICS §4), effects (§5) and tweens (§3) of one clip, as
//! functions of clip-local time. `visual` samples them per frame and lowers them to filters.
//!
//! Effects and the zoom transition scale the whole clip about its anchor, as Shotstack Studio
//! does (they multiply `scale`, SEMANTICS §3 and §5); slide effects move the clip (an offset).
//!
//! Choices where SEMANTICS says *unknown* (see docs/rendering.md): `…Up` moves the picture up
//! (OAS wording) for slides, carousels and effects; shuffle lasts like a slide (0.5 s, Slow 2 s,
//! Fast 0.25 s) and swings in 20° from half a canvas towards the named corner while fading in.

use super::anim::{ease, eval};
use crate::render::timeline::{
    Anim, Curve, Direction, Effect, EffectKind, Speed, TimedClip, Transition, TransitionKind,
};

/// Seconds a transition lasts (SEMANTICS §4).
pub(crate) fn duration(t: Transition) -> f64 {
    use TransitionKind as K;
    match (t.kind, t.speed) {
        (K::Zoom, _) => 0.4,
        (K::Slide(_) | K::Carousel(_) | K::Shuffle(_), Speed::Normal) => 0.5,
        (K::Slide(_) | K::Carousel(_) | K::Shuffle(_), Speed::Fast) => 0.25,
        (_, Speed::Slow) => 2.0,
        (_, Speed::Normal) => 1.0,
        (_, Speed::Fast) => 0.5,
    }
}

/// A wipe or reveal mask at one instant: alpha(u) = shape(m + shift), u = x / box width,
/// m = u, or 1 − u when `flip`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct MaskAt {
    /// Soft 85 % gradient (wipe) or hard edge (reveal).
    pub soft: bool,
    /// Mirror left-right.
    pub flip: bool,
    /// Shift of the edge, −2..2.
    pub shift: f64,
}

/// The motion of one clip.
pub(crate) struct Motion<'a> {
    clip: &'a TimedClip,
    /// Length of the "in" window (seconds from 0).
    pub d_in: f64,
    /// Length of the "out" window (seconds before the end).
    pub d_out: f64,
    canvas: (f64, f64),
    /// The clip's source fitted to the canvas at scale 1 (rendered pixels), for slide effects.
    fitted: (f64, f64),
}

impl<'a> Motion<'a> {
    /// The motion of `clip` on a canvas of `canvas` rendered pixels, its source fitted to the
    /// canvas at scale 1 being `fitted`. Transitions longer than the clip share it
    /// proportionally.
    pub(crate) fn new(clip: &'a TimedClip, canvas: (u32, u32), fitted: (u32, u32)) -> Motion<'a> {
        let v = &clip.visual;
        let mut d_in = v.transition_in.map_or(0.0, duration);
        let mut d_out = v.transition_out.map_or(0.0, duration);
        let sum = d_in + d_out;
        if sum > clip.length && sum > 0.0 {
            d_in *= clip.length / sum;
            d_out *= clip.length / sum;
        }
        Motion {
            clip,
            d_in,
            d_out,
            canvas: (f64::from(canvas.0), f64::from(canvas.1)),
            fitted: (f64::from(fitted.0), f64::from(fitted.1)),
        }
    }

    /// Whether something changes over the whole clip (effect or tweens), not only inside the
    /// transition windows.
    pub(crate) fn whole_clip(&self) -> bool {
        let v = &self.clip.visual;
        let tw = |a: &Anim| a.as_const().is_none();
        v.effect.is_some()
            || tw(&v.scale)
            || tw(&v.offset_x)
            || tw(&v.offset_y)
            || tw(&v.opacity)
            || tw(&v.transform.rotate)
            || tw(&v.transform.skew_x)
            || tw(&v.transform.skew_y)
    }

    /// Progress (0..1) through the in window at `t`, if inside it.
    fn p_in(&self, t: f64) -> Option<(Transition, f64)> {
        let tr = self.clip.visual.transition_in?;
        (t < self.d_in).then(|| (tr, (t / self.d_in).clamp(0.0, 1.0)))
    }

    /// Progress (0..1) through the out window at `t`, if inside it.
    fn p_out(&self, t: f64) -> Option<(Transition, f64)> {
        let tr = self.clip.visual.transition_out?;
        let t0 = self.clip.length - self.d_out;
        (t >= t0).then(|| (tr, ((t - t0) / self.d_out).clamp(0.0, 1.0)))
    }

    /// Opacity × transition alpha at `t`.
    pub(crate) fn alpha(&self, t: f64) -> f64 {
        let mut a = eval(&self.clip.visual.opacity, t, 1.0);
        if let Some((tr, p)) = self.p_in(t) {
            a *= transition_alpha(tr.kind, p, true);
        }
        if let Some((tr, p)) = self.p_out(t) {
            a *= transition_alpha(tr.kind, p, false);
        }
        a.clamp(0.0, 1.0)
    }

    /// `scale` at `t`.
    pub(crate) fn scale(&self, t: f64) -> f64 {
        eval(&self.clip.visual.scale, t, 1.0).max(0.0)
    }

    /// `offset` (x right, y up; canvas fractions) at `t`.
    pub(crate) fn offset(&self, t: f64) -> (f64, f64) {
        let v = &self.clip.visual;
        (eval(&v.offset_x, t, 0.0), eval(&v.offset_y, t, 0.0))
    }

    /// Rotation in degrees, clockwise, at `t` (transform plus shuffle swing).
    pub(crate) fn angle(&self, t: f64) -> f64 {
        let mut a = eval(&self.clip.visual.transform.rotate, t, 0.0);
        for (tr, p, entering) in self.windows(t) {
            if let TransitionKind::Shuffle(c) = tr.kind {
                let e = ease(Curve::easing("ease"), p);
                let rest = if entering { 1.0 - e } else { e };
                let sign = if c.vertical_first == c.right {
                    1.0
                } else {
                    -1.0
                };
                a += sign * 20.0 * rest;
            }
        }
        a
    }

    /// Shear factors (x, y) at `t`.
    pub(crate) fn skew(&self, t: f64) -> (f64, f64) {
        let tr = &self.clip.visual.transform;
        (eval(&tr.skew_x, t, 0.0), eval(&tr.skew_y, t, 0.0))
    }

    fn windows(&self, t: f64) -> Vec<(Transition, f64, bool)> {
        let mut w = Vec::new();
        if let Some((tr, p)) = self.p_in(t) {
            w.push((tr, p, true));
        }
        if let Some((tr, p)) = self.p_out(t) {
            w.push((tr, p, false));
        }
        w
    }

    /// Displacement of the whole clip in rendered pixels (+x right, +y down) from slide,
    /// carousel and shuffle transitions.
    pub(crate) fn shift(&self, t: f64) -> (f64, f64) {
        let (w, h) = self.canvas;
        let mut s = (0.0, 0.0);
        for (tr, p, entering) in self.windows(t) {
            let (dx, dy) = transition_shift(tr.kind, p, entering);
            s.0 += dx * w;
            s.1 += dy * h;
        }
        if let Some(e) = self.clip.visual.effect {
            let (dx, dy) = self.effect_at(e, t).1;
            s.0 += dx * w;
            s.1 += dy * h;
        }
        s
    }

    /// Factor the effect and the zoom transition multiply `scale` by at `t` (the clip grows
    /// about its anchor).
    pub(crate) fn factor(&self, t: f64) -> f64 {
        let mut z = self
            .clip
            .visual
            .effect
            .map_or(1.0, |e| self.effect_at(e, t).0);
        for (tr, p, entering) in self.windows(t) {
            if tr.kind == TransitionKind::Zoom {
                z *= if entering {
                    10.0 - 9.0 * p
                } else {
                    1.0 + 9.0 * ease(Curve::easing("easeOut"), p)
                };
            }
        }
        z
    }

    /// The clip's displayed scale at `t`: `scale` × effect × zoom transition.
    pub(crate) fn total_scale(&self, t: f64) -> f64 {
        self.scale(t) * self.factor(t)
    }

    /// (scale factor, shift in canvas fractions, +y down) of effect `e` at local time `t`.
    fn effect_at(&self, e: Effect, t: f64) -> (f64, (f64, f64)) {
        let p = t / self.clip.length.max(1e-9);
        effect_motion(e.kind, e.speed, p, self.fitted, self.canvas)
    }

    /// The wipe/reveal mask at `t`, if one applies.
    pub(crate) fn mask(&self, t: f64) -> Option<MaskAt> {
        self.windows(t)
            .into_iter()
            .find_map(|(tr, p, entering)| transition_mask(tr.kind, p, entering))
    }
}

fn transition_alpha(kind: TransitionKind, p: f64, entering: bool) -> f64 {
    use TransitionKind as K;
    let e = match kind {
        K::Fade => ease(Curve::easing("easeInOut"), p),
        K::Zoom if entering => ease(Curve::easing("easeIn"), p),
        K::Zoom => ease(Curve::easing("easeOut"), p),
        K::Slide(_) | K::Shuffle(_) => ease(Curve::easing("ease"), p),
        K::Carousel(_) | K::Reveal | K::Wipe(_) => return 1.0,
    };
    if entering { e } else { 1.0 - e }
}

/// Unit vector a picture travels along for a direction (screen coordinates, y down).
fn travel(d: Direction) -> (f64, f64) {
    match d {
        Direction::Left => (-1.0, 0.0),
        Direction::Right => (1.0, 0.0),
        Direction::Up => (0.0, -1.0),
        Direction::Down => (0.0, 1.0),
    }
}

/// Displacement in canvas fractions.
fn transition_shift(kind: TransitionKind, p: f64, entering: bool) -> (f64, f64) {
    use TransitionKind as K;
    let e = ease(Curve::easing("ease"), p);
    match kind {
        K::Slide(d) => {
            let (x, y) = travel(d);
            let k = if entering { -(1.0 - p) } else { e };
            (x * 0.025 * k, y * 0.025 * k)
        }
        K::Carousel(d) => {
            let (x, y) = travel(d);
            let (k, v) = if entering {
                (-(1.0 - p), 1.05)
            } else {
                (e, 1.1)
            };
            (x * k, y * k * v)
        }
        K::Shuffle(c) => {
            let rest = if entering { 1.0 - e } else { e };
            let sx = if c.right { 0.5 } else { -0.5 };
            let sy = if c.bottom { 0.5 } else { -0.5 };
            (sx * rest, sy * rest)
        }
        _ => (0.0, 0.0),
    }
}

fn transition_mask(kind: TransitionKind, p: f64, entering: bool) -> Option<MaskAt> {
    use TransitionKind as K;
    match kind {
        K::Reveal => {
            let e = ease(Curve::easing("ease"), p);
            let shown = if entering { e } else { 1.0 - e };
            Some(MaskAt {
                soft: false,
                flip: false,
                shift: -shown,
            })
        }
        K::Wipe(d) => {
            let e = ease(Curve::easing("easeInOut"), p);
            let b = if entering {
                1.0 - 2.0 * e
            } else {
                -1.0 + 2.0 * e
            };
            let flip = (d == Direction::Left) == entering;
            Some(MaskAt {
                soft: true,
                flip,
                shift: b,
            })
        }
        _ => None,
    }
}

/// (scale factor, shift in canvas fractions with +y down) of an effect at progress `p` through
/// the clip (SEMANTICS §5, Studio's `effect-preset-builder`): zooms scale the clip 1 ↔ z; slides
/// move it by ±s of the canvas, scaled up first (for the whole clip) when its source fitted to
/// the canvas (`fitted`) is narrower than the canvas plus both travels, and otherwise travel
/// ±(F − D)/2D so the picture's edge just reaches the canvas edge.
pub(super) fn effect_motion(
    kind: EffectKind,
    speed: Speed,
    p: f64,
    fitted: (f64, f64),
    canvas: (f64, f64),
) -> (f64, (f64, f64)) {
    let p = p.clamp(0.0, 1.0);
    let z = match speed {
        Speed::Slow => 1.1,
        Speed::Normal => 1.3,
        Speed::Fast => 1.7,
    };
    let s = match speed {
        Speed::Slow => 0.03,
        Speed::Normal => 0.12,
        Speed::Fast => 0.2,
    };
    match kind {
        EffectKind::ZoomIn => (1.0 + (z - 1.0) * p, (0.0, 0.0)),
        EffectKind::ZoomOut => (z - (z - 1.0) * p, (0.0, 0.0)),
        EffectKind::Slide(d) => {
            let (x, y) = travel(d);
            let (f, dim) = if x != 0.0 {
                (fitted.0, canvas.0)
            } else {
                (fitted.1, canvas.1)
            };
            let need = dim * (1.0 + 2.0 * s);
            let (k, s) = if f < need {
                (need / f.max(1e-9), s)
            } else {
                (1.0, (f - dim) / 2.0 / dim)
            };
            let at = -s + 2.0 * s * p;
            (k, (x * at, y * at))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let d = |n| duration(Transition::parse(n).unwrap());
        assert_eq!(d("fade"), 1.0);
        assert_eq!(d("fadeSlow"), 2.0);
        assert_eq!(d("wipeLeftFast"), 0.5);
        assert_eq!(d("slideUp"), 0.5);
        assert_eq!(d("carouselLeftFast"), 0.25);
        assert_eq!(d("slideDownSlow"), 2.0);
        assert_eq!(d("zoom"), 0.4);
    }

    #[test]
    fn wipes_open_from_the_named_side() {
        let shape = |m: MaskAt, u: f64| {
            let v = if m.flip { 1.0 - u } else { u } + m.shift;
            (0.5 + (0.5 - v) / 0.85).clamp(0.0, 1.0)
        };
        // wipeLeft in, a quarter through: the right edge is visible first.
        let m = transition_mask(TransitionKind::Wipe(Direction::Left), 0.4, true).unwrap();
        assert!(shape(m, 0.95) > shape(m, 0.05));
        let m = transition_mask(TransitionKind::Wipe(Direction::Right), 0.4, true).unwrap();
        assert!(shape(m, 0.05) > shape(m, 0.95));
    }

    #[test]
    fn slide_effect_keeps_the_canvas_covered() {
        let canvas = (1024.0, 576.0);
        let at = |name: &str, p: f64, fitted: (f64, f64)| {
            let e = Effect::parse(name).unwrap();
            effect_motion(e.kind, e.speed, p, fitted, canvas)
        };
        for p in [0.0, 0.5, 1.0] {
            // A full-frame picture is scaled by 1 + 2s and moves ±s: it still covers the canvas.
            let (k, (dx, _)) = at("slideLeft", p, canvas);
            assert!((k - 1.24).abs() < 1e-9);
            assert!(dx.abs() <= (k - 1.0) / 2.0 + 1e-9);
            // A 4:3 picture (fitted 1024×768) already overflows vertically: no scale, travel to
            // its edges, (768 − 576) / 2 / 576 = 1/6.
            let (k, (_, dy)) = at("slideUp", p, (1024.0, 768.0));
            assert_eq!(k, 1.0);
            assert!((dy.abs() - (1.0 / 6.0) * (2.0 * p - 1.0).abs()).abs() < 1e-9);
        }
        assert!(at("slideLeft", 0.0, canvas).1.0 > at("slideLeft", 1.0, canvas).1.0);
        assert!(at("slideRightSlow", 0.0, canvas).1.0 < 0.0);
        assert_eq!(at("zoomOutSlow", 0.0, canvas), (1.1, (0.0, 0.0)));
        assert_eq!(at("zoomInFast", 1.0, canvas), (1.7, (0.0, 0.0)));
    }
}
