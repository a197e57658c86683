//! Lowering Shotstack properties to render parameters: clip look, media params, output. Pure.
//!
//! Turns optional, JSON-shaped Edit fields into the plain values of [`crate::render::timeline`],
//! applying Shotstack's defaults (fit `crop`, position `center`, fps 25 or 15 for `preview`,
//! opacity 1, …; SEMANTICS §2, §3, §7, §12). Problems come back as `(JSON pointer, Diagnostic)`
//! pairs; the caller labels them with the template span.

use crate::diagnostics::Diagnostic;
use crate::edit::{self, Asset, Clip, NumberOrTweens};
use crate::render::timeline::{
    self as tl, Anim, AudioFade, Canvas, Color, Curve, Effect, Filter, Fps, MediaParams,
    OutputSpec, Resolution, Transition, Visual,
};

/// Largest output side (Shotstack's schema limit for `output.size`).
pub const MAX_OUTPUT_SIDE: u32 = 4096;
/// Largest clip or asset box side: 8192² RGBA is 256 MiB, the most a single layer may take.
pub const MAX_BOX_SIDE: f64 = 8192.0;

/// A problem at a JSON pointer; resolve labels it with the template span there.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Where (`/timeline/tracks/0/clips/1/asset/src`).
    pub pointer: String,
    /// What (boxed: results carrying problems stay small).
    pub diagnostic: Box<Diagnostic>,
}

impl Problem {
    /// A problem at `pointer`.
    pub fn new(pointer: impl Into<String>, diagnostic: Diagnostic) -> Problem {
        Problem {
            pointer: pointer.into(),
            diagnostic: Box::new(diagnostic),
        }
    }
}

/// A number or tweens as an [`Anim`]. Missing tween `from`/`to` take `neutral` (1 for scale and
/// opacity, 0 for offsets and angles); a missing `length` runs to the clip's end.
pub fn anim(value: Option<&NumberOrTweens>, neutral: f64, clip_length: f64) -> Anim {
    match value {
        None => Anim::Const(neutral),
        Some(NumberOrTweens::Number(n)) => Anim::Const(*n),
        Some(NumberOrTweens::Tweens(ts)) => {
            let mut tweens: Vec<tl::Tween> = ts
                .iter()
                .map(|t| {
                    let start = t.start.unwrap_or(0.0);
                    tl::Tween {
                        from: t.from_number().unwrap_or(neutral),
                        to: t.to_number().unwrap_or(neutral),
                        start,
                        length: t.length.unwrap_or((clip_length - start).max(0.0)),
                        curve: curve(t),
                    }
                })
                .collect();
            tweens.sort_by(|a, b| a.start.total_cmp(&b.start));
            Anim::Tweens(tweens)
        }
    }
}

fn curve(t: &edit::Tween) -> Curve {
    match t.interpolation {
        None | Some(edit::Interpolation::Linear) => Curve::Linear,
        Some(edit::Interpolation::Constant) => Curve::Constant,
        Some(edit::Interpolation::Bezier) => {
            Curve::easing(t.easing.map_or("ease", edit::Easing::as_str))
        }
    }
}

/// The look of a visual clip of `length` seconds at `pointer`.
pub fn visual(clip: &Clip, length: f64, pointer: &str) -> Result<Visual, Problem> {
    let a = |v: Option<&NumberOrTweens>, neutral| anim(v, neutral, length);
    let offset = clip.offset.as_ref();
    let transform = clip.transform.as_ref();
    let rotate = transform.and_then(|t| t.rotate.as_ref());
    let skew = transform.and_then(|t| t.skew.as_ref());
    let flip = transform.and_then(|t| t.flip.as_ref());
    let transition = clip.transition.as_ref();
    Ok(Visual {
        fit: fit(clip.fit),
        box_size: clip_box(clip, pointer)?,
        scale: a(clip.scale.as_ref(), 1.0),
        position: position(clip.position),
        offset_x: a(offset.and_then(|o| o.x.as_ref()), 0.0),
        offset_y: a(offset.and_then(|o| o.y.as_ref()), 0.0),
        opacity: a(clip.opacity.as_ref(), 1.0),
        transition_in: transition
            .and_then(|t| t.in_)
            .and_then(|k| Transition::parse(k.as_str())),
        transition_out: transition
            .and_then(|t| t.out)
            .and_then(|k| Transition::parse(k.as_str())),
        effect: clip.effect.and_then(|e| Effect::parse(e.as_str())),
        filter: clip.filter.and_then(|f| Filter::parse(f.as_str())),
        crop: crop(clip.asset.crop()),
        transform: tl::Transform {
            rotate: a(rotate.and_then(|r| r.angle.as_ref()), 0.0),
            skew_x: a(skew.and_then(|s| s.x.as_ref()), 0.0),
            skew_y: a(skew.and_then(|s| s.y.as_ref()), 0.0),
            flip_h: flip.and_then(|f| f.horizontal).unwrap_or(false),
            flip_v: flip.and_then(|f| f.vertical).unwrap_or(false),
        },
        chroma_key: chroma_key(&clip.asset, pointer)?,
    })
}

/// A video's `chromaKey`, with Shotstack's documented example values as defaults.
fn chroma_key(asset: &Asset, pointer: &str) -> Result<Option<tl::ChromaKey>, Problem> {
    let Asset::Video(edit::VideoAsset {
        chroma_key: Some(k),
        ..
    }) = asset
    else {
        return Ok(None);
    };
    let Some(color) = Color::parse(&k.color) else {
        let d = Diagnostic::error(format!("`{}` is not a key colour", k.color))
            .with_help("write the colour as `#rrggbb`, e.g. `#00b140`");
        return Err(Problem::new(format!("{pointer}/asset/chromaKey/color"), d));
    };
    let side = |v: Option<i64>, default: f64| v.map_or(default, |v| v.clamp(0, 250) as f64);
    Ok(Some(tl::ChromaKey {
        color,
        threshold: side(k.threshold, tl::ChromaKey::DEFAULT_THRESHOLD),
        halo: side(k.halo, tl::ChromaKey::DEFAULT_HALO),
    }))
}

/// The clip box: `width` and `height` when both are set, each 1..=[`MAX_BOX_SIDE`].
pub fn clip_box(clip: &Clip, pointer: &str) -> Result<Option<(u32, u32)>, Problem> {
    let (w, h) = (clip.width, clip.height);
    for (key, v) in [("width", w), ("height", h)] {
        if let Some(v) = v {
            check_side(v, &format!("{pointer}/{key}"), key)?;
        }
    }
    Ok(match (w, h) {
        (Some(w), Some(h)) => Some((w.round() as u32, h.round() as u32)),
        _ => None,
    })
}

/// Rejects enormous asset boxes (`text`, `html`, `shape`, `text-to-image` width/height) before
/// anything tries to allocate them.
pub fn check_asset_size(asset: &Asset, pointer: &str) -> Result<(), Problem> {
    let (w, h) = match asset {
        Asset::Text(a) => (a.width, a.height),
        Asset::Html(a) => (a.width, a.height),
        Asset::Shape(a) => (a.width, a.height),
        Asset::TextToImage(a) => (a.width, a.height),
        _ => (None, None),
    };
    for (key, v) in [("width", w), ("height", h)] {
        if let Some(v) = v {
            check_side(v as f64, &format!("{pointer}/asset/{key}"), key)?;
        }
    }
    Ok(())
}

/// Rejects a box side that is not a positive size or is larger than [`MAX_BOX_SIDE`].
pub fn check_side(v: f64, pointer: &str, key: &str) -> Result<(), Problem> {
    if (1.0..=MAX_BOX_SIDE).contains(&v) {
        return Ok(());
    }
    let d = Diagnostic::error(format!("`{key}` of {v} pixels is out of range"))
        .with_note(format!("boxes are 1 to {MAX_BOX_SIDE} pixels on each side"));
    Err(Problem::new(pointer, d))
}

fn fit(f: Option<edit::Fit>) -> tl::Fit {
    match f {
        None | Some(edit::Fit::Crop) => tl::Fit::Crop,
        Some(edit::Fit::Cover) => tl::Fit::Cover,
        Some(edit::Fit::Contain) => tl::Fit::Contain,
        Some(edit::Fit::None) => tl::Fit::None,
    }
}

/// Shotstack position → anchor (default centre).
pub fn position(p: Option<edit::Position>) -> tl::Position {
    use edit::Position as P;
    match p {
        None | Some(P::Center) => tl::Position::Center,
        Some(P::Top) => tl::Position::Top,
        Some(P::TopRight) => tl::Position::TopRight,
        Some(P::Right) => tl::Position::Right,
        Some(P::BottomRight) => tl::Position::BottomRight,
        Some(P::Bottom) => tl::Position::Bottom,
        Some(P::BottomLeft) => tl::Position::BottomLeft,
        Some(P::Left) => tl::Position::Left,
        Some(P::TopLeft) => tl::Position::TopLeft,
    }
}

fn crop(c: Option<&edit::Crop>) -> tl::Crop {
    let side = |v: Option<f64>| v.unwrap_or(0.0).clamp(0.0, 1.0);
    c.map_or_else(tl::Crop::default, |c| tl::Crop {
        top: side(c.top),
        bottom: side(c.bottom),
        left: side(c.left),
        right: side(c.right),
    })
}

/// Trim, speed, volume and fades of a media asset of a clip of `length` seconds.
pub fn media_params(asset: &Asset, length: f64) -> MediaParams {
    let fade = match asset {
        Asset::Video(v) => v.volume_effect,
        Asset::Audio(a) => a.effect,
        _ => None,
    };
    MediaParams {
        trim: asset.trim().unwrap_or(0.0).max(0.0),
        speed: asset.speed().unwrap_or(1.0).max(0.0),
        volume: anim(asset.volume(), 1.0, length),
        fade: fade.and_then(|f| AudioFade::parse(f.as_str())),
    }
}

/// The composition canvas from `output`: `size`, or `resolution` + `aspectRatio`; fps default
/// 25 (15 for `preview`). `mp3` needs no picture and gets a small placeholder canvas.
pub fn canvas(out: &edit::Output) -> Result<Canvas, Problem> {
    let preset = out.resolution.and_then(|r| Resolution::parse(r.as_str()));
    let default_fps = if preset == Some(Resolution::Preview) {
        15.0
    } else {
        25.0
    };
    let fps = Fps::from_f64(out.fps.unwrap_or(default_fps));
    let aspect = out.aspect_ratio.map(edit::AspectRatio::as_str);
    let (width, height) = match (out.size, preset) {
        (Some(size), _) => output_size(size)?,
        (None, Some(r)) => tl::preset_size(r, aspect).unwrap_or(r.size()),
        (None, None) if out.format == edit::Format::Mp3 => Resolution::Preview.size(),
        (None, None) => {
            let d = Diagnostic::error("`output` needs a `resolution` or a `size`")
                .with_help("add `resolution: hd` (1280×720) or `size: {width, height}`");
            return Err(Problem::new("/output", d));
        }
    };
    Ok(Canvas { width, height, fps })
}

fn output_size(size: edit::Size) -> Result<(u32, u32), Problem> {
    let (Some(w), Some(h)) = (size.width, size.height) else {
        let d = Diagnostic::error("`output.size` needs both `width` and `height`");
        return Err(Problem::new("/output/size", d));
    };
    for (key, v) in [("width", w), ("height", h)] {
        if v == 0 || v > MAX_OUTPUT_SIDE || v % 2 == 1 {
            let d =
                Diagnostic::error(format!("output {key} {v} is not usable")).with_note(format!(
                    "sizes are even numbers from 2 to {MAX_OUTPUT_SIDE} (H.264 needs even sides)"
                ));
            return Err(Problem::new(format!("/output/size/{key}"), d));
        }
    }
    Ok((w, h))
}

/// Format, quality, range, poster and `scaleTo` from `output`.
pub fn output_spec(out: &edit::Output) -> OutputSpec {
    let aspect = out.aspect_ratio.map(edit::AspectRatio::as_str);
    OutputSpec {
        format: tl::Format::parse(out.format.as_str()).unwrap_or(tl::Format::Mp4),
        quality: out
            .quality
            .and_then(|q| tl::Quality::parse(q.as_str()))
            .unwrap_or_default(),
        repeat: out.repeat.unwrap_or(true),
        mute: out.mute.unwrap_or(false),
        range: out.range.map(|r| tl::Range {
            start: r.start.unwrap_or(0.0).max(0.0),
            length: r.length,
        }),
        poster: out.poster.map(|p| p.capture.max(0.0)),
        scale_to: out
            .scale_to
            .and_then(|r| Resolution::parse(r.as_str()))
            .and_then(|r| tl::preset_size(r, aspect)),
    }
}

/// `timeline.background` (default black).
pub fn background(text: Option<&str>) -> Result<Color, Problem> {
    match text {
        None => Ok(Color::BLACK),
        Some(t) => Color::parse(t).ok_or_else(|| {
            let d = Diagnostic::error(format!("`{t}` is not a colour"))
                .with_help("write colours as `#rrggbb` or `#rrggbbaa`");
            Problem::new("/timeline/background", d)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn clip(j: serde_json::Value) -> Clip {
        serde_json::from_value(j).unwrap()
    }

    #[test]
    fn defaults_follow_shotstack() {
        let c = clip(json!({"asset": {"type": "image", "src": "a.png"}, "start": 0, "length": 1}));
        let v = visual(&c, 1.0, "/c").unwrap();
        assert_eq!(v, Visual::default());
    }

    #[test]
    fn look_is_lowered() {
        let c = clip(json!({
            "asset": {"type": "video", "src": "a.mp4", "trim": 2, "volume": 0.5,
                      "volumeEffect": "fadeIn", "crop": {"left": 0.25}},
            "start": 0, "length": 4, "fit": "contain", "width": 640, "height": 360,
            "position": "topRight", "offset": {"x": -0.1},
            "transition": {"in": "fadeFast", "out": "none"}, "effect": "zoomInSlow",
            "filter": "greyscale",
            "opacity": [{"from": 0, "to": 1, "start": 0, "length": 1,
                         "interpolation": "bezier", "easing": "easeIn"}],
            "transform": {"flip": {"horizontal": true}}
        }));
        let v = visual(&c, 4.0, "/c").unwrap();
        assert_eq!(v.fit, tl::Fit::Contain);
        assert_eq!(v.box_size, Some((640, 360)));
        assert_eq!(v.position, tl::Position::TopRight);
        assert_eq!(v.offset_x, Anim::Const(-0.1));
        assert_eq!(v.transition_in.unwrap().speed, tl::Speed::Fast);
        assert_eq!(v.transition_out, None);
        assert_eq!(v.filter, Some(Filter::Greyscale));
        assert_eq!(v.crop.left, 0.25);
        assert!(v.transform.flip_h);
        let Anim::Tweens(t) = &v.opacity else {
            panic!()
        };
        assert_eq!(t[0].curve, Curve::easing("easeIn"));
        let m = media_params(&c.asset, 4.0);
        assert_eq!((m.trim, m.speed), (2.0, 1.0));
        assert_eq!(m.volume, Anim::Const(0.5));
        assert_eq!(m.fade, Some(AudioFade::In));
    }

    #[test]
    fn chroma_key_is_lowered_with_defaults() {
        let c = clip(json!({
            "asset": {"type": "video", "src": "a.mp4",
                      "chromaKey": {"color": "#00b140", "threshold": 40}},
            "start": 0, "length": 1
        }));
        let k = visual(&c, 1.0, "/c").unwrap().chroma_key.unwrap();
        assert_eq!((k.color.r, k.color.g, k.color.b), (0, 0xb1, 0x40));
        assert_eq!((k.threshold, k.halo), (40.0, tl::ChromaKey::DEFAULT_HALO));
        let c = clip(json!({
            "asset": {"type": "video", "src": "a.mp4", "chromaKey": {"color": "green"}},
            "start": 0, "length": 1
        }));
        let p = visual(&c, 1.0, "/c").unwrap_err();
        assert_eq!(p.pointer, "/c/asset/chromaKey/color");
    }

    #[test]
    fn enormous_boxes_are_rejected() {
        let c = clip(
            json!({"asset": {"type": "image", "src": "a.png"}, "start": 0, "length": 1,
                            "width": 100000, "height": 10}),
        );
        let Problem {
            pointer: ptr,
            diagnostic: d,
        } = visual(&c, 1.0, "/timeline/tracks/0/clips/0").unwrap_err();
        assert_eq!(ptr, "/timeline/tracks/0/clips/0/width");
        assert!(d.message.contains("100000"), "{}", d.message);
    }

    #[test]
    fn canvas_sizes() {
        let out = |j| serde_json::from_value::<edit::Output>(j).unwrap();
        let c = canvas(&out(
            json!({"format": "mp4", "resolution": "hd", "aspectRatio": "9:16"}),
        ));
        assert_eq!(
            c.unwrap(),
            Canvas {
                width: 720,
                height: 1280,
                fps: Fps::from_f64(25.0)
            }
        );
        let c = canvas(&out(json!({"format": "mp4", "resolution": "preview"}))).unwrap();
        assert_eq!((c.width, c.fps.as_f64()), (512, 15.0));
        let c = canvas(&out(
            json!({"format": "mp4", "size": {"width": 160, "height": 90},
                                   "fps": 29.97}),
        ))
        .unwrap();
        assert_eq!(
            (c.width, c.height, c.fps.to_string()),
            (160, 90, "30000/1001".into())
        );
        let e = canvas(&out(
            json!({"format": "mp4", "size": {"width": 9000, "height": 90}}),
        ));
        assert_eq!(e.unwrap_err().pointer, "/output/size/width");
        assert!(canvas(&out(json!({"format": "mp4"}))).is_err());
        assert!(canvas(&out(json!({"format": "mp3"}))).is_ok());
    }

    #[test]
    fn tween_gaps_take_neutral_values_and_clip_length() {
        let v: NumberOrTweens = serde_json::from_value(json!([{"to": 0.5, "start": 1}])).unwrap();
        let Anim::Tweens(t) = anim(Some(&v), 1.0, 3.0) else {
            panic!()
        };
        assert_eq!(
            (t[0].from, t[0].to, t[0].start, t[0].length),
            (1.0, 0.5, 1.0, 2.0)
        );
        assert_eq!(t[0].curve, Curve::Linear);
        // A number in a string (a data cell) is read; anything else takes the neutral value.
        let v: NumberOrTweens =
            serde_json::from_value(json!([{"from": " 0.25", "to": "half"}])).unwrap();
        let Anim::Tweens(t) = anim(Some(&v), 1.0, 3.0) else {
            panic!()
        };
        assert_eq!((t[0].from, t[0].to), (0.25, 1.0));
    }
}
