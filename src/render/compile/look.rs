//! Colour filters (`clip.filter`, SEMANTICS §6) and the chroma key matte (`chromaKey`, §10).
//! Strengths are not documented by Shotstack; ours are listed in docs/rendering.md. All
//! filters but `blur` are YUV lookup tables (`lutyuv`), the cheapest per-pixel operation ffmpeg
//! has, so a filtered clip never leaves YUV 4:2:0. The key is computed on an RGB copy and only
//! its alpha comes back, so the picture itself stays in YUV too.

use crate::render::graph::{Filter, num};
use crate::render::timeline::{ChromaKey, Filter as Look};

/// Largest Euclidean distance between two 8-bit RGB colours (255·√3): ffmpeg's `colorkey`
/// measures `similarity` and `blend` as fractions of it.
const RGB_DIAGONAL: f64 = 441.672_955_930_063_7;

/// `colorkey`'s smallest accepted `similarity` (ffmpeg 5.1: 0.01, about 4.4 RGB units).
const MIN_SIMILARITY: f64 = 0.01;

/// Filters turning a picture into the grey matte of `key` (white = keep, black = keyed out):
/// an RGB copy, `colorkey` with Shotstack's distances as fractions of [`RGB_DIAGONAL`], and
/// its alpha as a grey picture.
pub(crate) fn key_matte(key: ChromaKey) -> Vec<Filter> {
    let c = key.color;
    vec![
        Filter::new("format").pos("rgba"),
        Filter::new("colorkey")
            .arg("color", format!("0x{:02x}{:02x}{:02x}", c.r, c.g, c.b))
            .arg(
                "similarity",
                num((key.threshold / RGB_DIAGONAL).clamp(MIN_SIMILARITY, 1.0)),
            )
            .arg("blend", num((key.halo / RGB_DIAGONAL).clamp(0.0, 1.0))),
        Filter::new("alphaextract"),
    ]
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::timeline::Color;

    #[test]
    fn key_distances_are_fractions_of_the_rgb_diagonal() {
        let key = ChromaKey {
            color: Color {
                r: 0,
                g: 0xb1,
                b: 0x40,
                a: 255,
            },
            threshold: 150.0,
            halo: 100.0,
        };
        let text: Vec<String> = key_matte(key).iter().map(ToString::to_string).collect();
        assert_eq!(
            text[1],
            "colorkey=color=0x00b140:similarity=0.339618:blend=0.226412"
        );
        let zero = ChromaKey {
            threshold: 0.0,
            halo: 0.0,
            ..key
        };
        assert!(
            key_matte(zero)[1]
                .to_string()
                .ends_with("similarity=0.01:blend=0")
        );
    }
}
