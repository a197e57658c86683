//! Drawing helpers shared by text, title and shape layers: colour parsing, rounded rectangles,
//! tinting and a box blur for shadows. Pure functions over tiny-skia types.

use tiny_skia::{Color, Path, PathBuilder, Pixmap, Rect};

use crate::diagnostics::Diagnostic;

/// Parses `#RGB`, `#RRGGBB` or `#AARRGGBB` (Shotstack puts alpha first), or `transparent`.
pub fn parse_color(s: &str) -> Result<Color, Diagnostic> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("transparent") {
        return Ok(Color::TRANSPARENT);
    }
    let hex = t.strip_prefix('#').unwrap_or(t);
    let digits: Option<Vec<u8>> = hex
        .chars()
        .map(|c| c.to_digit(16).map(|d| d as u8))
        .collect();
    let bad = || {
        Diagnostic::error(format!("`{s}` is not a colour"))
            .with_help("write `#RRGGBB`, `#RGB` or `#AARRGGBB`")
    };
    let d = digits.ok_or_else(bad)?;
    let byte = |i: usize| d[i] * 16 + d[i + 1];
    let (a, r, g, b) = match d.len() {
        3 => (255, d[0] * 17, d[1] * 17, d[2] * 17),
        6 => (255, byte(0), byte(2), byte(4)),
        8 => (byte(0), byte(2), byte(4), byte(6)),
        _ => return Err(bad()),
    };
    Ok(Color::from_rgba8(r, g, b, a))
}

/// `color` with its alpha multiplied by `opacity` (clamped to 0..1).
pub(crate) fn with_opacity(mut color: Color, opacity: f32) -> Color {
    color.apply_opacity(opacity.clamp(0.0, 1.0));
    color
}

/// A rectangle path with corner radius `r` (clamped to half the shorter side).
pub(crate) fn rounded_rect(x: f32, y: f32, w: f32, h: f32, r: f32) -> Option<Path> {
    let rect = Rect::from_xywh(x, y, w, h)?;
    let r = r.clamp(0.0, w.min(h) / 2.0);
    if r <= 0.0 {
        return Some(PathBuilder::from_rect(rect));
    }
    // Cubic approximation of a quarter circle.
    let k = r * 0.552_284_8;
    let (x1, y1) = (x + w, y + h);
    let mut p = PathBuilder::new();
    p.move_to(x + r, y);
    p.line_to(x1 - r, y);
    p.cubic_to(x1 - r + k, y, x1, y + r - k, x1, y + r);
    p.line_to(x1, y1 - r);
    p.cubic_to(x1, y1 - r + k, x1 - r + k, y1, x1 - r, y1);
    p.line_to(x + r, y1);
    p.cubic_to(x + r - k, y1, x, y1 - r + k, x, y1 - r);
    p.line_to(x, y + r);
    p.cubic_to(x, y + r - k, x + r - k, y, x + r, y);
    p.close();
    p.finish()
}

/// A copy of `src` where every pixel keeps its coverage but takes `color` (for shadows).
pub(crate) fn tint(src: &Pixmap, color: Color) -> Pixmap {
    let mut out = src.clone();
    let c = color.premultiply().to_color_u8();
    for px in out.data_mut().chunks_exact_mut(4) {
        let a = px[3] as u32;
        px[0] = ((c.red() as u32 * a + 127) / 255) as u8;
        px[1] = ((c.green() as u32 * a + 127) / 255) as u8;
        px[2] = ((c.blue() as u32 * a + 127) / 255) as u8;
        px[3] = ((c.alpha() as u32 * a + 127) / 255) as u8;
    }
    out
}

/// Blurs a premultiplied pixmap in place with three box passes each way, which approximates a
/// Gaussian of standard deviation `sigma` pixels.
pub(crate) fn blur(pixmap: &mut Pixmap, sigma: f32) {
    if sigma < 0.5 {
        return;
    }
    // Box width for three passes with the same variance as the Gaussian (W3C filter effects).
    let r =
        ((sigma * 3.0 * (2.0 * std::f32::consts::PI).sqrt() / 4.0 + 0.5) / 2.0).floor() as usize;
    let (w, h) = (pixmap.width() as usize, pixmap.height() as usize);
    let data = pixmap.data_mut();
    for _ in 0..3 {
        box_pass(data, w, h, r.max(1), 4, w * 4);
        box_pass(data, h, w, r.max(1), w * 4, 4);
    }
}

/// One running-sum box blur along lines of `len` pixels (`step` bytes apart); `lines` lines,
/// `line_step` bytes apart.
fn box_pass(data: &mut [u8], len: usize, lines: usize, r: usize, step: usize, line_step: usize) {
    let mut line = vec![[0u32; 4]; len];
    let div = (2 * r + 1) as u32;
    for l in 0..lines {
        let base = l * line_step;
        for (i, px) in line.iter_mut().enumerate() {
            let o = base + i * step;
            *px = [
                data[o] as u32,
                data[o + 1] as u32,
                data[o + 2] as u32,
                data[o + 3] as u32,
            ];
        }
        let mut sum = [0u32; 4];
        for px in line.iter().take(r + 1) {
            (0..4).for_each(|c| sum[c] += px[c]);
        }
        for i in 0..len {
            let o = base + i * step;
            (0..4).for_each(|c| data[o + c] = ((sum[c] + div / 2) / div).min(255) as u8);
            if i + r + 1 < len {
                (0..4).for_each(|c| sum[c] += line[i + r + 1][c]);
            }
            if i >= r {
                (0..4).for_each(|c| sum[c] -= line[i - r][c]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_parse_in_shotstack_forms() {
        let c = parse_color("#ff0000").unwrap().to_color_u8();
        assert_eq!((c.red(), c.green(), c.blue(), c.alpha()), (255, 0, 0, 255));
        let c = parse_color("#80FFFFFF").unwrap().to_color_u8();
        assert_eq!((c.red(), c.alpha()), (255, 128));
        let c = parse_color("#0f0").unwrap().to_color_u8();
        assert_eq!((c.green(), c.blue()), (255, 0));
        assert_eq!(parse_color("transparent").unwrap(), Color::TRANSPARENT);
        assert!(parse_color("#12345").is_err());
        assert!(parse_color("red").is_err());
    }

    #[test]
    fn blur_spreads_and_keeps_total_coverage() {
        let mut p = Pixmap::new(21, 21).unwrap();
        p.fill_rect(
            Rect::from_xywh(8.0, 8.0, 5.0, 5.0).unwrap(),
            &tiny_skia::Paint::default(),
            tiny_skia::Transform::identity(),
            None,
        );
        let before: u32 = p.pixels().iter().map(|c| c.alpha() as u32).sum();
        blur(&mut p, 2.0);
        let after: u32 = p.pixels().iter().map(|c| c.alpha() as u32).sum();
        assert!(p.pixel(4, 10).unwrap().alpha() > 0);
        assert!(p.pixel(10, 10).unwrap().alpha() < 255);
        assert!((before as i64 - after as i64).abs() < before as i64 / 20);
    }
}
