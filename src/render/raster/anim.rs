//! Text animations (rich-text `fadeIn`, `slideIn`, `typewriter`, `ascend`, `shift`,
//! `movingLetters`; text `typewriter`) as a per-frame function: the text is laid out once and
//! each frame redraws its glyph groups with an offset, scale and opacity.
//!
//! Timing follows SEMANTICS §8 (Shotstack's canvas engine); see `docs/text.md`. The caller
//! decides the frame rate and writes the frames (an image sequence) while
//! [`Animation::duration`] runs; after that the static layer from [`super::rasterize`] holds.

use std::ops::Range;

use tiny_skia::Rect;

use super::fonts::Face;
use super::text::{self, Frame, Laid, Look, TextStyle};
use super::{Fonts, Layer, assets};
use crate::diagnostics::{Diagnostic, Warned};
use crate::edit::{AnimationUnit, Asset, Direction, RichTextAnimationPreset as Preset};

/// Seconds each unit takes in per-unit animations.
const UNIT_SECONDS: f64 = 0.3;
/// Fraction of the duration over which unit starts are spread.
const STAGGER: f64 = 0.7;
/// Glyphs per second of the automatic duration (CANVAS: glyphs / (30 × speed)).
const GLYPHS_PER_SECOND: f64 = 30.0;

/// A text layer that changes over time.
pub struct Animation {
    /// The faces the layout refers to (shared font bytes; no lock needed to draw).
    faces: Vec<Face>,
    /// The text as styled (box, colours, stroke…).
    style: TextStyle,
    /// The layout, done once.
    laid: Laid,
    /// Which animation.
    preset: Preset,
    /// Animate unit by unit (words or characters) rather than the block as a whole.
    per_unit: bool,
    /// Glyph ranges of the units, in reading order.
    units: Vec<Range<usize>>,
    /// Unit vector of the motion (screen coordinates, y down).
    direction: (f32, f32),
    /// The animation's `d` in seconds (see SEMANTICS §8).
    duration: f64,
    /// Draw a typewriter caret.
    caret: bool,
    /// What it draws with in the discovered font set.
    pub fonts: super::FontUse,
}

/// The animation of `asset`, if it has one (see [`super::rasterize`] for the arguments);
/// `clip_length` in seconds caps the automatic duration at 90% of the clip.
pub fn animate(
    asset: &Asset,
    clip_box: Option<(u32, u32)>,
    canvas: (u32, u32),
    fonts: &Fonts,
    clip_length: f64,
) -> Option<Warned<Result<Animation, Diagnostic>>> {
    let (style, preset, unit, direction, duration, caret) = match asset {
        Asset::RichText(a) => {
            let an = a.animation.as_ref()?;
            let style = assets::rich_text_style(a, clip_box.unwrap_or(canvas));
            (style, an.preset, an.style, an.direction, an.duration, true)
        }
        Asset::Text(a) => {
            let an = a.animation.as_ref()?;
            let b = match (a.width, a.height) {
                (Some(w), Some(h)) if w > 0 && h > 0 => (w as u32, h as u32),
                _ => canvas,
            };
            let style = assets::text_style(a, clip_box.unwrap_or(b));
            (style, Preset::Typewriter, None, None, an.duration, false)
        }
        _ => return None,
    };
    let style = match style {
        Ok(s) => s,
        Err(e) => return Some(Warned::new(Err(e))),
    };
    let spec = Spec {
        preset,
        unit,
        direction,
        duration,
        caret,
        clip_length,
    };
    Some(build(fonts, style, spec))
}

/// The animation settings read from an asset.
struct Spec {
    /// Which animation.
    preset: Preset,
    /// `style`: by character or by word.
    unit: Option<AnimationUnit>,
    /// `direction` of motion.
    direction: Option<Direction>,
    /// `duration` in seconds, if set.
    duration: Option<f64>,
    /// Draw a typewriter caret (rich-text only).
    caret: bool,
    /// The clip's length in seconds (caps the automatic duration).
    clip_length: f64,
}

fn build(fonts: &Fonts, style: TextStyle, spec: Spec) -> Warned<Result<Animation, Diagnostic>> {
    let (laid, faces, style) = {
        let mut state = fonts.lock();
        let style = super::fit::fitted(&mut state, &style).unwrap_or(style);
        let laid = text::layout(&mut state, &style);
        let faces = text::used_faces(&state.faces, laid.output.as_ref().ok());
        (laid, faces, style)
    };
    let warnings = laid.warnings;
    let laid = match laid.output {
        Ok(l) => l,
        Err(e) => {
            return Warned {
                output: Err(e),
                warnings,
            };
        }
    };
    let fonts = text::font_use(&style, &faces, Some(&laid));
    let by_word = match spec.unit {
        Some(AnimationUnit::Word) => true,
        Some(AnimationUnit::Character) => false,
        None => spec.preset == Preset::Ascend,
    };
    let units = units(&laid, &text::prepared_text(&style), by_word);
    let auto = (laid.glyphs.len() as f64 / GLYPHS_PER_SECOND).max(0.3);
    let cap = if spec.clip_length > 0.0 {
        0.9 * spec.clip_length
    } else {
        f64::MAX
    };
    let duration = spec.duration.unwrap_or(auto.min(cap)).max(0.01);
    let per_unit = matches!(
        spec.preset,
        Preset::Shift | Preset::Ascend | Preset::MovingLetters
    ) || (spec.unit.is_some()
        && matches!(spec.preset, Preset::FadeIn | Preset::SlideIn));
    let default_dir = match spec.preset {
        Preset::SlideIn => Direction::Right,
        _ => Direction::Up,
    };
    let direction = match spec.direction.unwrap_or(default_dir) {
        Direction::Left => (-1.0, 0.0),
        Direction::Right => (1.0, 0.0),
        Direction::Up => (0.0, -1.0),
        Direction::Down => (0.0, 1.0),
    };
    let anim = Animation {
        faces,
        style,
        laid,
        preset: spec.preset,
        per_unit,
        units,
        direction,
        duration,
        caret: spec.caret,
        fonts,
    };
    Warned {
        output: Ok(anim),
        warnings,
    }
}

/// Glyph index ranges of each unit (word or character), in order.
fn units(laid: &Laid, text: &str, by_word: bool) -> Vec<Range<usize>> {
    let mut word_of_char = Vec::with_capacity(laid.chars);
    let (mut word, mut in_word) = (0usize, false);
    for c in text.chars() {
        if c.is_whitespace() {
            if in_word {
                word += 1;
            }
            in_word = false;
        } else {
            in_word = true;
        }
        word_of_char.push(word);
    }
    let key = |i: usize| {
        let g = &laid.glyphs[i];
        if by_word {
            word_of_char.get(g.char_index).copied().unwrap_or(0)
        } else {
            i
        }
    };
    let mut out: Vec<Range<usize>> = Vec::new();
    for i in 0..laid.glyphs.len() {
        match out.last_mut() {
            Some(r) if key(r.start) == key(i) => r.end = i + 1,
            _ => out.push(i..i + 1),
        }
    }
    out
}

fn ease_out(p: f64) -> f64 {
    1.0 - (1.0 - p).powi(3)
}

fn fade(p: f64) -> f64 {
    p * (2.0 - p)
}

impl Animation {
    /// Seconds until the text is at rest (for `movingLetters`, which never rests, the fade-in).
    pub fn duration(&self) -> f64 {
        if self.per_unit && self.preset != Preset::MovingLetters {
            STAGGER * self.duration + UNIT_SECONDS
        } else if self.preset == Preset::MovingLetters {
            0.5
        } else {
            self.duration
        }
    }

    /// Whether the text keeps moving for the whole clip (`movingLetters`).
    pub fn is_endless(&self) -> bool {
        self.preset == Preset::MovingLetters
    }

    /// How many glyphs each frame draws (its cost).
    pub fn glyphs(&self) -> usize {
        self.laid.glyphs.len()
    }

    /// For endless motion, the seconds after which it repeats once [`Animation::duration`]
    /// has passed (the 1 Hz bob of `movingLetters`); `None` for motion that comes to rest.
    pub fn period(&self) -> Option<f64> {
        self.is_endless().then_some(1.0)
    }

    /// The layer `t` seconds into the clip.
    pub fn frame(&self, t: f64) -> Result<Layer, Diagnostic> {
        let frame = self.describe(t.max(0.0));
        text::draw(&self.faces, &self.style, &self.laid, &frame).map(Layer::new)
    }

    /// Which glyphs show at `t`, and how.
    fn describe(&self, t: f64) -> Frame {
        let p = (t / self.duration).clamp(0.0, 1.0);
        let size = self.style.size as f64;
        let all = 0..self.laid.glyphs.len();
        let groups = match self.preset {
            Preset::Typewriter => {
                let shown = (p * self.units.len() as f64).floor() as usize;
                let end = self
                    .units
                    .get(..shown)
                    .and_then(|u| u.last())
                    .map_or(0, |r| r.end);
                return Frame {
                    groups: vec![(0..end, Look::REST)],
                    caret: if self.caret && p < 1.0 {
                        self.caret_at(end)
                    } else {
                        None
                    },
                    decorations: p >= 1.0,
                };
            }
            Preset::MovingLetters => self.wobble(t),
            _ if self.per_unit => self.staggered(t),
            Preset::FadeIn => {
                let e = fade(p) as f32;
                vec![(
                    all,
                    Look {
                        scale: 0.95 + 0.05 * e,
                        alpha: e,
                        ..Look::REST
                    },
                )]
            }
            _ => vec![(all, self.slide(p, 2.0 * size, fade(p)))],
        };
        Frame {
            groups,
            caret: None,
            decorations: p >= 1.0 && t >= self.duration(),
        }
    }

    /// A look travelling `travel` pixels against the direction, eased, at progress `p`.
    fn slide(&self, p: f64, travel: f64, alpha: f64) -> Look {
        let left = (1.0 - ease_out(p)) * travel;
        Look {
            dx: -self.direction.0 * left as f32,
            dy: -self.direction.1 * left as f32,
            scale: 1.0,
            alpha: alpha as f32,
        }
    }

    /// Per-unit entrance: unit i starts at i·0.7d/(n−1) and takes 0.3 s.
    fn staggered(&self, t: f64) -> Vec<(Range<usize>, Look)> {
        let n = self.units.len();
        let size = self.style.size as f64;
        let step = if n > 1 {
            STAGGER * self.duration / (n - 1) as f64
        } else {
            0.0
        };
        let units = self.units.iter().enumerate().map(|(i, r)| {
            let q = ((t - i as f64 * step) / UNIT_SECONDS).clamp(0.0, 1.0);
            let look = match self.preset {
                Preset::FadeIn => {
                    let e = fade(q) as f32;
                    Look {
                        scale: 0.95 + 0.05 * e,
                        alpha: e,
                        ..Look::REST
                    }
                }
                Preset::SlideIn => self.slide(q, 2.0 * size, fade(q)),
                Preset::Ascend => self.slide(q, 0.4 * size, q),
                _ => self.slide(q, 0.6 * size, fade(q)),
            };
            (r.clone(), look)
        });
        units.collect()
    }

    /// `movingLetters`: a 1 Hz sine bob per glyph, 0.3 × size high, fading in over 0.5 s.
    fn wobble(&self, t: f64) -> Vec<(Range<usize>, Look)> {
        let amp = 0.3 * self.style.size as f64;
        let alpha = (t / 0.5).clamp(0.0, 1.0) as f32;
        let units = self.units.iter().enumerate().map(|(i, r)| {
            let phase = std::f64::consts::TAU * (t + i as f64 * 0.1);
            let dy = (amp * phase.sin()) as f32;
            (
                r.clone(),
                Look {
                    dy,
                    alpha,
                    ..Look::REST
                },
            )
        });
        units.collect()
    }

    /// The caret after the first `end` glyphs: max(3, size/15) px wide, one font size high.
    fn caret_at(&self, end: usize) -> Option<Rect> {
        let size = self.style.size;
        let width = (size / 15.0).max(3.0);
        let (x, baseline) = match end.checked_sub(1).and_then(|i| self.laid.glyphs.get(i)) {
            Some(g) => (g.x + g.advance, g.y),
            None => {
                let line = self.laid.lines.first()?;
                (line.left, line.baseline)
            }
        };
        Rect::from_xywh(x + 1.0, baseline - 0.8 * size, width, size)
    }
}

#[cfg(test)]
mod tests {
    use super::super::text::tests::ink_box;
    use super::*;

    fn anim(fonts: &Fonts, animation: serde_json::Value) -> Animation {
        let a: Asset = serde_json::from_value(serde_json::json!({
            "type": "rich-text", "text": "Hello big world",
            "font": {"color": "#ff0000", "size": 40}, "animation": animation
        }))
        .unwrap();
        animate(&a, Some((500, 100)), (500, 100), fonts, 5.0)
            .unwrap()
            .output
            .unwrap()
    }

    fn ink(l: &Layer) -> Option<(u32, u32, u32, u32)> {
        ink_box(&l.image, (255, 0, 0))
    }

    #[test]
    fn typewriter_reveals_left_to_right() {
        let fonts = Fonts::bundled();
        let a = anim(
            &fonts,
            serde_json::json!({"preset": "typewriter", "duration": 1.0}),
        );
        assert_eq!(a.duration(), 1.0);
        assert!(
            ink(&a.frame(0.0).unwrap()).is_none_or(|b| b.2 - b.0 < 6),
            "only the caret"
        );
        let half = ink(&a.frame(0.5).unwrap()).unwrap();
        let full = ink(&a.frame(1.0).unwrap()).unwrap();
        assert_eq!(half.0, full.0);
        assert!(half.2 < full.2 - 50, "{half:?} vs {full:?}");
    }

    #[test]
    fn fade_in_goes_from_transparent_to_opaque() {
        let fonts = Fonts::bundled();
        let a = anim(
            &fonts,
            serde_json::json!({"preset": "fadeIn", "duration": 1.0}),
        );
        let max_alpha = |t| {
            a.frame(t)
                .unwrap()
                .image
                .pixels()
                .iter()
                .map(|c| c.alpha())
                .max()
                .unwrap()
        };
        assert_eq!(max_alpha(0.0), 0);
        assert!((100..250).contains(&max_alpha(0.3)), "{}", max_alpha(0.3));
        assert_eq!(max_alpha(1.0), 255);
        assert!(!a.is_endless());
    }

    #[test]
    fn slide_in_moves_the_ink_into_place() {
        let fonts = Fonts::bundled();
        let a = anim(
            &fonts,
            serde_json::json!({"preset": "slideIn", "duration": 1.0, "direction": "right"}),
        );
        let early = ink(&a.frame(0.4).unwrap()).unwrap();
        let rest = ink(&a.frame(1.0).unwrap()).unwrap();
        assert!(early.0 < rest.0, "{early:?} should start left of {rest:?}");
    }

    #[test]
    fn word_units_and_staggered_duration() {
        let fonts = Fonts::bundled();
        let a = anim(
            &fonts,
            serde_json::json!({"preset": "ascend", "duration": 1.0}),
        );
        assert_eq!(
            a.units.len(),
            3,
            "three words (a space joins the next word)"
        );
        assert!((a.duration() - 1.0).abs() < 1e-9);
        let a = anim(&fonts, serde_json::json!({"preset": "shift"}));
        assert_eq!(a.units.len(), 15);
        assert!(
            (a.duration() - (0.7 * 0.5 + 0.3)).abs() < 1e-9,
            "{}",
            a.duration()
        );
    }
}
