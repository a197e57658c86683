//! Colour filters (`clip.filter`, SEMANTICS §6). Strengths are not documented by Shotstack;
//! ours are listed in docs/rendering.md. All but `blur` are YUV lookup tables (`lutyuv`),
//! the cheapest per-pixel operation ffmpeg has, so a filtered clip never leaves YUV 4:2:0.

use crate::render::graph::Filter;
use crate::render::timeline::Filter as Look;

/// Contrast about mid-grey on Y: `(val-128)*k+128`, kept in the legal range.
fn contrast(k: f64) -> String {
    format!("clip((val-128)*{k}+128,minval,maxval)")
}

/// Saturation on U/V: `(val-128)*k+128`.
fn saturation(k: f64) -> String {
    format!("clip((val-128)*{k}+128,minval,maxval)")
}

/// The filters for `look` on a picture `height` pixels tall.
pub(crate) fn filters(look: Look, height: u32) -> Vec<Filter> {
    let lut = Filter::new("lutyuv");
    let f = match look {
        // Chroma to neutral, luma untouched: exact greyscale in YUV (as ref_ffmpeg.sh does).
        Look::Greyscale => lut.arg("u", 128).arg("v", 128),
        Look::Boost => lut
            .arg("y", contrast(1.2))
            .arg("u", saturation(1.35))
            .arg("v", saturation(1.35)),
        Look::Contrast => lut.arg("y", contrast(1.35)),
        Look::Darken => lut.arg("y", "clip(16+(val-16)*0.7,minval,maxval)"),
        Look::Lighten => lut.arg("y", "clip(val+(235-val)*0.3,minval,maxval)"),
        Look::Muted => lut
            .arg("y", contrast(0.85))
            .arg("u", saturation(0.6))
            .arg("v", saturation(0.6)),
        Look::Negative => lut.arg("y", "negval").arg("u", "negval").arg("v", "negval"),
        // Gaussian blur, sigma 1 % of the picture height (IIR, cost independent of sigma).
        Look::Blur => Filter::new("gblur").arg("sigma", (f64::from(height) * 0.01).max(1.0)),
    };
    vec![f]
}
