//! Geometry of a visual clip (SEMANTICS §2): `asset.crop`, `fit` into the clip box, `scale`,
//! and the anchor + offset maths that place the displayed box on the canvas.
//!
//! Sizes are in rendered pixels (preview already applied). Prepared pictures have even sides
//! so YUV 4:2:0 chroma stays aligned.

use crate::render::timeline::{ClipKind, Crop, Fit, Position, Source, TimedClip};

/// Where a prepared picture comes from and what size it is made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Geometry {
    /// Source size in its own pixels (before `asset.crop`).
    pub source: (u32, u32),
    /// `asset.crop` window in source pixels: (w, h, x, y); `None` = whole source.
    pub crop: Option<(u32, u32, u32, u32)>,
    /// Size the (cropped) source is scaled to.
    pub content: (u32, u32),
    /// Size after cutting `content` to the box (centred): the prepared picture.
    pub visible: (u32, u32),
}

/// Rounds to an even number of pixels, at least 2.
pub(crate) fn even(v: f64) -> u32 {
    ((v / 2.0).round() * 2.0).max(2.0) as u32
}

/// The geometry of `clip` at uniform scale `scale`, with `px` rendered pixels per timeline
/// pixel on a `canvas` (rendered pixels). `None` when the clip draws nothing.
pub(crate) fn geometry(
    clip: &TimedClip,
    canvas: (u32, u32),
    px: f64,
    scale: f64,
) -> Option<Geometry> {
    let (sw, sh) = match (&clip.source, clip.kind) {
        (_, ClipKind::Audio) => return None,
        (Source::Media { info, .. }, _) if info.has_video => (info.width, info.height),
        (Source::Layer { width, height, .. } | Source::Frames { width, height, .. }, _) => {
            (*width, *height)
        }
        _ => return None,
    };
    if sw == 0 || sh == 0 {
        return None;
    }
    let crop = crop_window(clip.visual.crop, sw, sh);
    let (cw, ch) = crop.map_or((f64::from(sw), f64::from(sh)), |c| {
        (f64::from(c.0), f64::from(c.1))
    });
    if clip.kind == ClipKind::Layer {
        // Layers are rasterised at their final size: never fit, only scaled (SEMANTICS §2, §8).
        let size = (even(cw * px * scale), even(ch * px * scale));
        return Some(Geometry {
            source: (sw, sh),
            crop,
            content: size,
            visible: size,
        });
    }
    let (bw, bh) = clip
        .visual
        .box_size
        .map_or((f64::from(canvas.0), f64::from(canvas.1)), |(w, h)| {
            (f64::from(w) * px, f64::from(h) * px)
        });
    let (kx, ky) = match clip.visual.fit {
        Fit::Crop => {
            let k = (bw / cw).max(bh / ch);
            (k, k)
        }
        Fit::Cover => (bw / cw, bh / ch),
        Fit::Contain => {
            let k = (bw / cw).min(bh / ch);
            (k, k)
        }
        Fit::None => (px, px),
    };
    let content = (even(cw * kx * scale), even(ch * ky * scale));
    // `crop` cuts to the box, which `scale` then shrinks with the picture. `none` cuts only to
    // a box the clip names (`width`/`height`): without one the whole scaled picture shows, and
    // the canvas edges are all that hide it (a 1600×900 image at scale 0.5 is 800×450 whole).
    let cut = match (clip.visual.fit, clip.visual.box_size) {
        (Fit::Crop, _) | (Fit::None, Some(_)) => (
            even(bw * scale).min(content.0),
            even(bh * scale).min(content.1),
        ),
        (Fit::None, None) | (Fit::Cover | Fit::Contain, _) => content,
    };
    Some(Geometry {
        source: (sw, sh),
        crop,
        content,
        visible: cut,
    })
}

fn crop_window(c: Crop, sw: u32, sh: u32) -> Option<(u32, u32, u32, u32)> {
    if c == Crop::default() {
        return None;
    }
    let (w, h) = (f64::from(sw), f64::from(sh));
    let l = c.left.clamp(0.0, 1.0);
    let t = c.top.clamp(0.0, 1.0);
    let cw = (w * (1.0 - l - c.right.clamp(0.0, 1.0))).round().max(2.0);
    let ch = (h * (1.0 - t - c.bottom.clamp(0.0, 1.0))).round().max(2.0);
    Some((
        cw as u32,
        ch as u32,
        (w * l).round() as u32,
        (h * t).round() as u32,
    ))
}

/// Centre of a displayed box of size (bw, bh) anchored at `position` with offsets (ox, oy)
/// (fractions of the canvas, y up) on a canvas (w, h): flush with the anchor edges, then
/// x += ox·W, y −= oy·H (SEMANTICS §2).
pub(crate) fn centre(
    position: Position,
    canvas: (u32, u32),
    size: (f64, f64),
    offset: (f64, f64),
) -> (f64, f64) {
    let (w, h) = (f64::from(canvas.0), f64::from(canvas.1));
    let (ax, ay) = position.anchor();
    let x = ax * (w - size.0) + size.0 / 2.0 + offset.0 * w;
    let y = ay * (h - size.1) + size.1 / 2.0 - offset.1 * h;
    (x, y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::timeline::{MediaInfo, MediaParams, Visual};

    fn clip(w: u32, h: u32, visual: Visual) -> TimedClip {
        TimedClip {
            pointer: String::new(),
            start: 0.0,
            length: 1.0,
            kind: ClipKind::Image,
            source: Source::Media {
                path: "x.png".into(),
                info: MediaInfo {
                    duration: 0.0,
                    width: w,
                    height: h,
                    fps: 0.0,
                    has_video: true,
                    has_audio: false,
                    is_still: true,
                    has_alpha: false,
                    image2: false,
                },
            },
            visual,
            media: MediaParams::default(),
        }
    }

    #[test]
    fn fits() {
        let canvas = (1280, 720);
        let photo = |fit| {
            clip(
                1920,
                1080,
                Visual {
                    fit,
                    ..Visual::default()
                },
            )
        };
        let g = geometry(&photo(Fit::Crop), canvas, 1.0, 0.4).unwrap();
        assert_eq!((g.content, g.visible), ((512, 288), (512, 288)));
        // A square logo: contain → 720×720, scale 0.15 → 108×108 (the reference scene).
        let logo = clip(
            512,
            512,
            Visual {
                fit: Fit::Contain,
                ..Visual::default()
            },
        );
        assert_eq!(
            geometry(&logo, canvas, 1.0, 0.15).unwrap().visible,
            (108, 108)
        );
        let sq = |fit| {
            clip(
                512,
                512,
                Visual {
                    fit,
                    ..Visual::default()
                },
            )
        };
        assert_eq!(
            geometry(&sq(Fit::Crop), canvas, 1.0, 1.0).unwrap().content,
            (1280, 1280)
        );
        assert_eq!(
            geometry(&sq(Fit::Crop), canvas, 1.0, 1.0).unwrap().visible,
            (1280, 720)
        );
        assert_eq!(
            geometry(&sq(Fit::Cover), canvas, 1.0, 1.0).unwrap().visible,
            (1280, 720)
        );
        assert_eq!(
            geometry(&sq(Fit::None), canvas, 1.0, 1.0).unwrap().visible,
            (512, 512)
        );
        // No box: the whole picture, scaled, even when it is larger than the canvas.
        let big = |scale| {
            geometry(
                &clip(
                    1600,
                    900,
                    Visual {
                        fit: Fit::None,
                        ..Visual::default()
                    },
                ),
                canvas,
                1.0,
                scale,
            )
            .unwrap()
            .visible
        };
        assert_eq!(big(0.5), (800, 450));
        assert_eq!(big(1.0), (1600, 900));
        let boxed = clip(
            512,
            512,
            Visual {
                fit: Fit::None,
                box_size: Some((200, 100)),
                ..Visual::default()
            },
        );
        assert_eq!(
            geometry(&boxed, canvas, 1.0, 1.0).unwrap().visible,
            (200, 100)
        );
    }

    #[test]
    fn anchors() {
        let c = (1280, 720);
        assert_eq!(
            centre(Position::TopRight, c, (512.0, 288.0), (0.0, 0.0)),
            (1024.0, 144.0)
        );
        assert_eq!(
            centre(Position::BottomLeft, c, (108.0, 108.0), (0.0, 0.0)),
            (54.0, 666.0)
        );
        // topRight with offset (−0.0195, −0.0347) sits ~25 px in from both edges.
        let (x, y) = centre(Position::TopRight, c, (100.0, 100.0), (-0.0195, -0.0347));
        assert!(((1280.0 - (x + 50.0)) - 25.0).abs() < 0.5 && ((y - 50.0) - 25.0).abs() < 0.5);
    }
}
