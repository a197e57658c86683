//! The separable bilinear resampler of [`super::Zoom`] frames: per output column the two
//! source columns and their weights, per output row likewise; a row pass into 16-bit sums,
//! then a column pass (plain slices, so it vectorises). Pure.
//!
//! It reproduces ffmpeg 5.1's `perspective` (`interpolation=linear`) for a scale and
//! translation: source positions in 1/256 pixel, rounded like `lrint`; a chroma sample `x`
//! reads half the position of luma sample `2x` (so the picture does not shift by half a
//! chroma pixel against the old path); a position outside `[0, w-1)` clamps to the edge
//! column (the caller pads the picture with transparent black, so edges fade as before).
//! Keeping the full 16-bit row sums makes the two passes round exactly like its 2D sum.

use super::Step;

/// Sub-pixel bits of a source position (`perspective`'s `SUB_PIXEL_BITS`).
const SUB_BITS: u32 = 8;
const ONE: u16 = 1 << SUB_BITS;

/// A `yuva420p` picture, planes tightly packed (chroma planes `ceil(w/2)×ceil(h/2)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Yuva {
    pub w: usize,
    pub h: usize,
    /// Y, U, V, A.
    pub planes: [Vec<u8>; 4],
}

/// Size of plane `i` of a `w×h` 4:2:0 picture.
pub fn plane_size(w: usize, h: usize, i: usize) -> (usize, usize) {
    if i == 1 || i == 2 {
        (w.div_ceil(2), h.div_ceil(2))
    } else {
        (w, h)
    }
}

/// Bytes of one `w×h` frame, with or without the alpha plane.
pub fn frame_bytes(w: usize, h: usize, alpha: bool) -> usize {
    let planes = if alpha { 4 } else { 3 };
    (0..planes)
        .map(|i| {
            let (pw, ph) = plane_size(w, h, i);
            pw * ph
        })
        .sum()
}

impl Yuva {
    /// A picture filled with one value per plane.
    pub fn filled(w: usize, h: usize, fill: [u8; 4]) -> Yuva {
        let plane = |i: usize| {
            let (pw, ph) = plane_size(w, h, i);
            vec![fill[i]; pw * ph]
        };
        Yuva {
            w,
            h,
            planes: [plane(0), plane(1), plane(2), plane(3)],
        }
    }

    /// From raw `yuva420p` bytes; `None` if the length is wrong.
    pub fn from_raw(w: usize, h: usize, bytes: &[u8]) -> Option<Yuva> {
        if bytes.len() != frame_bytes(w, h, true) {
            return None;
        }
        let mut planes: [Vec<u8>; 4] = Default::default();
        let mut at = 0;
        for (i, p) in planes.iter_mut().enumerate() {
            let (pw, ph) = plane_size(w, h, i);
            *p = bytes[at..at + pw * ph].to_vec();
            at += pw * ph;
        }
        Some(Yuva { w, h, planes })
    }

    /// This picture at (`pad`, `pad`, even) of a `frame`-sized one filled with black, opaque
    /// or (`clear`) transparent: what ffmpeg's `pad` made for `perspective`.
    pub fn padded(&self, frame: (usize, usize), pad: usize, clear: bool) -> Yuva {
        let mut out = Yuva::filled(
            frame.0,
            frame.1,
            [16, 128, 128, if clear { 0 } else { 255 }],
        );
        for i in 0..4 {
            let (sw, sh) = plane_size(self.w, self.h, i);
            let (fw, fh) = plane_size(frame.0, frame.1, i);
            let off = if i == 1 || i == 2 { pad / 2 } else { pad };
            let w = sw.min(fw.saturating_sub(off));
            for y in 0..sh.min(fh.saturating_sub(off)) {
                let d = (y + off) * fw + off;
                out.planes[i][d..d + w].copy_from_slice(&self.planes[i][y * sw..y * sw + w]);
            }
        }
        out
    }
}

/// One output sample's two source samples and their weights (summing to 256).
#[derive(Debug, Clone, Copy)]
struct Tap {
    i0: u32,
    i1: u32,
    w0: u16,
    w1: u16,
}

/// The taps of a line of output samples.
#[derive(Debug, Default)]
struct Taps(Vec<Tap>);

impl Taps {
    /// Taps of `n` output samples of a plane subsampled by `sub` (0 or 1) reading a source
    /// line of `len` samples; luma sample `x` reads `start + x·inv`.
    fn new(n: usize, len: usize, sub: u32, start: f64, inv: f64) -> Taps {
        let mut t = Vec::with_capacity(n);
        for x in 0..n {
            let luma = start + ((x as u64) << sub) as f64 * inv;
            let pv = (f64::from(ONE) * luma).round_ties_even().clamp(-1e15, 1e15) as i64;
            let u = pv >> sub;
            let frac = (u & i64::from(ONE - 1)) as u16;
            let i = u >> SUB_BITS;
            t.push(if i >= 0 && (i as usize) + 1 < len {
                Tap {
                    i0: i as u32,
                    i1: i as u32 + 1,
                    w0: ONE - frac,
                    w1: frac,
                }
            } else {
                let c = i.clamp(0, len as i64 - 1) as u32;
                Tap {
                    i0: c,
                    i1: c,
                    w0: ONE,
                    w1: 0,
                }
            });
        }
        Taps(t)
    }
}

/// Draws frames of one picture; keeps its scratch rows between frames.
pub struct Drawer {
    src: Yuva,
    out: (usize, usize),
    alpha: bool,
    rows: Vec<u16>,
    done: Vec<bool>,
}

impl Drawer {
    /// Frames of `out` size (with alpha when `alpha`) sampled from `src`.
    pub fn new(src: Yuva, out: (usize, usize), alpha: bool) -> Drawer {
        Drawer {
            src,
            out,
            alpha,
            rows: Vec::new(),
            done: Vec::new(),
        }
    }

    /// Appends the frame of `step` (planes Y, U, V and, with alpha, A) to `buf`.
    pub fn draw(&mut self, step: Step, buf: &mut Vec<u8>) {
        let planes = if self.alpha { 4 } else { 3 };
        for i in 0..planes {
            let sub = u32::from(i == 1 || i == 2);
            let (sw, sh) = plane_size(self.src.w, self.src.h, i);
            let (dw, dh) = plane_size(self.out.0, self.out.1, i);
            let cols = Taps::new(dw, sw, sub, step.x0, step.inv);
            let rows = Taps::new(dh, sh, sub, step.y0, step.inv);
            let at = buf.len();
            buf.resize(at + dw * dh, 0);
            plane(
                &self.src.planes[i],
                sw,
                (&cols, &rows),
                &mut buf[at..],
                dw,
                (&mut self.rows, &mut self.done),
            );
        }
    }
}

/// One plane: source rows are filtered horizontally once each (on first use), then output
/// rows blend two of them.
fn plane(
    src: &[u8],
    sw: usize,
    (cols, rows): (&Taps, &Taps),
    dst: &mut [u8],
    dw: usize,
    (tmp, done): (&mut Vec<u16>, &mut Vec<bool>),
) {
    let dh = rows.0.len();
    if dh == 0 || dw == 0 {
        return;
    }
    let lo = rows.0.iter().map(|t| t.i0).min().unwrap_or(0) as usize;
    let hi = rows.0.iter().map(|t| t.i1).max().unwrap_or(0) as usize;
    let n = hi - lo + 1;
    tmp.clear();
    tmp.resize(n * dw, 0);
    done.clear();
    done.resize(n, false);
    let mut row = |r: usize, tmp: &mut [u16]| {
        if done[r - lo] {
            return;
        }
        done[r - lo] = true;
        let s = &src[r * sw..(r + 1) * sw];
        let t = &mut tmp[(r - lo) * dw..(r - lo + 1) * dw];
        for (t, c) in t.iter_mut().zip(&cols.0) {
            *t = c.w0 * u16::from(s[c.i0 as usize]) + c.w1 * u16::from(s[c.i1 as usize]);
        }
    };
    for (d, r) in dst.chunks_exact_mut(dw).zip(&rows.0) {
        let (a, b) = (r.i0 as usize, r.i1 as usize);
        row(a, tmp);
        row(b, tmp);
        let ta = &tmp[(a - lo) * dw..(a - lo + 1) * dw];
        let tb = &tmp[(b - lo) * dw..(b - lo + 1) * dw];
        let (wa, wb) = (u32::from(r.w0), u32::from(r.w1));
        for ((d, &a), &b) in d.iter_mut().zip(ta).zip(tb) {
            *d = ((wa * u32::from(a) + wb * u32::from(b) + (1 << 15)) >> 16) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A picture of pseudo-random samples.
    fn noise(w: usize, h: usize, seed: u32) -> Yuva {
        let mut s = seed.wrapping_mul(2_654_435_761).max(1);
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s >> 24) as u8
        };
        let mut p = Yuva::filled(w, h, [0; 4]);
        for plane in &mut p.planes {
            for v in plane.iter_mut() {
                *v = next();
            }
        }
        p
    }

    fn draw(src: &Yuva, out: (usize, usize), step: Step) -> Yuva {
        let mut buf = Vec::new();
        Drawer::new(src.clone(), out, true).draw(step, &mut buf);
        Yuva::from_raw(out.0, out.1, &buf).unwrap()
    }

    /// ffmpeg 5.1 `perspective`'s `resample_linear` for an affine map, transliterated.
    fn reference(src: &Yuva, out: (usize, usize), step: Step) -> Yuva {
        let mut o = Yuva::filled(out.0, out.1, [0; 4]);
        for i in 0..4 {
            let sub = usize::from(i == 1 || i == 2);
            let (w, h) = plane_size(src.w, src.h, i);
            let (dw, dh) = plane_size(out.0, out.1, i);
            let s = &src.planes[i];
            for y in 0..dh {
                for x in 0..dw {
                    let pu = (256.0 * (step.x0 + ((x << sub) as f64) * step.inv)).round_ties_even()
                        as i64;
                    let pv = (256.0 * (step.y0 + ((y << sub) as f64) * step.inv)).round_ties_even()
                        as i64;
                    let (u, v) = (pu >> sub, pv >> sub);
                    let (su, sv) = (u & 255, v & 255);
                    let (mut u, mut v) = (u >> 8, v >> 8);
                    let (sui, svi) = (256 - su, 256 - sv);
                    let at = |u: i64, v: i64| i64::from(s[v as usize * w + u as usize]);
                    let in_u = u >= 0 && u < w as i64 - 1;
                    let in_v = v >= 0 && v < h as i64 - 1;
                    let sum = if in_u && in_v {
                        (svi * (sui * at(u, v) + su * at(u + 1, v))
                            + sv * (sui * at(u, v + 1) + su * at(u + 1, v + 1))
                            + (1 << 15))
                            >> 16
                    } else if in_u {
                        v = if v < 0 { 0 } else { h as i64 - 1 };
                        (sui * at(u, v) + su * at(u + 1, v) + 128) >> 8
                    } else {
                        u = if u < 0 { 0 } else { w as i64 - 1 };
                        if in_v {
                            (svi * at(u, v) + sv * at(u, v + 1) + 128) >> 8
                        } else {
                            v = if v < 0 { 0 } else { h as i64 - 1 };
                            at(u, v)
                        }
                    };
                    o.planes[i][y * dw + x] = sum.clamp(0, 255) as u8;
                }
            }
        }
        o
    }

    #[test]
    fn ratio_one_offset_zero_reproduces_the_source() {
        let src = noise(36, 22, 1);
        let step = Step {
            inv: 1.0,
            x0: 0.0,
            y0: 0.0,
        };
        assert_eq!(draw(&src, (36, 22), step), src);
    }

    #[test]
    fn an_even_whole_pixel_shift_copies_and_clamps_at_the_edge() {
        let src = noise(40, 30, 2);
        let step = Step {
            inv: 1.0,
            x0: 4.0,
            y0: -2.0,
        };
        let out = draw(&src, (40, 30), step);
        for i in 0..4 {
            let (sx, sy) = if i == 1 || i == 2 { (2, -1) } else { (4, -2) };
            let (w, h) = plane_size(40, 30, i);
            for y in 0..h {
                for x in 0..w {
                    let u = (x as i64 + sx).clamp(0, w as i64 - 1) as usize;
                    let v = (y as i64 + sy).clamp(0, h as i64 - 1) as usize;
                    assert_eq!(out.planes[i][y * w + x], src.planes[i][v * w + u]);
                }
            }
        }
    }

    #[test]
    fn a_half_pixel_shift_averages_neighbours_rounding_up() {
        let mut src = Yuva::filled(8, 4, [0; 4]);
        src.planes[0] = (0..32).map(|i| if i % 2 == 0 { 10 } else { 21 }).collect();
        let step = Step {
            inv: 1.0,
            x0: 0.5,
            y0: 0.0,
        };
        let out = draw(&src, (6, 4), step);
        // (10 + 21) / 2 = 15.5, rounded up as `perspective` does.
        assert!(
            out.planes[0][..6].iter().all(|&v| v == 16),
            "{:?}",
            out.planes[0]
        );
    }

    #[test]
    fn zooms_match_perspective_bit_for_bit() {
        let src = noise(64, 38, 3);
        let steps = [
            (1.0 / 1.3, -3.7, 2.2),
            (1.0 / 0.8, 5.123, -1.9),
            (0.5, 10.0, 7.5),
            (1.0 / 1.0137, 0.37, 0.61),
            (2.0, -20.0, -10.0),
        ];
        for (k, &(inv, x0, y0)) in steps.iter().enumerate() {
            let step = Step { inv, x0, y0 };
            for out in [(64, 38), (50, 30), (31, 17)] {
                assert_eq!(
                    draw(&src, out, step),
                    reference(&src, out, step),
                    "step {k} out {out:?}"
                );
            }
        }
    }

    /// Speed of the reference scene's zoom (125 frames, 666×374 with alpha, from the 512×288
    /// photo padded to 670×378): `cargo test --release --lib draw_speed -- --ignored
    /// --nocapture`.
    #[test]
    #[ignore]
    fn draw_speed() {
        let src = noise(512, 288, 5).padded((670, 378), 2, true);
        let mut d = Drawer::new(src, (666, 374), true);
        let mut buf = Vec::new();
        let t = std::time::Instant::now();
        for j in 0..125 {
            let z = 1.0 + 0.3 * f64::from(j) / 124.0;
            let step = Step {
                inv: 1.0 / z,
                x0: 258.0 - 333.0 / z,
                y0: 146.0 - 187.0 / z,
            };
            buf.clear();
            d.draw(step, &mut buf);
        }
        let s = t.elapsed().as_secs_f64();
        eprintln!(
            "125 frames in {:.1} ms ({:.2} ms a frame)",
            s * 1e3,
            s * 8.0
        );
    }

    #[test]
    fn padding_puts_the_picture_inside_transparent_black() {
        let src = noise(6, 4, 4);
        let p = src.padded((10, 8), 2, true);
        assert_eq!(p.planes[0][0], 16);
        assert_eq!(p.planes[3][0], 0);
        assert_eq!(p.planes[0][2 * 10 + 2], src.planes[0][0]);
        assert_eq!(p.planes[1][5 + 1], src.planes[1][0]);
        assert_eq!(p.planes[3][3 * 10 + 7], src.planes[3][6 + 5]);
        let opaque = src.padded((8, 4), 0, false);
        assert_eq!(opaque.planes[3][7], 255);
        assert_eq!(opaque.planes[0][3 * 8 + 5], src.planes[0][3 * 6 + 5]);
    }
}
