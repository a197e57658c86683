//! Properties the offline renderer does not honour. Each one an Edit uses becomes a warning at
//! its JSON pointer, so nothing valid is dropped without a word (docs/rendering.md, "Not
//! supported", lists them with the properties that stay silent on purpose and why). Pure.
//!
//! Generated media (text-to-speech, text-to-image, image-to-video) is an error elsewhere
//! (`media`), and caption assets warn about what they do not draw themselves (`captions`), so
//! their properties are not listed here.

use super::lower::Problem;
use crate::diagnostics::Diagnostic;
use crate::edit::{Asset, Clip, Edit, Format, NumberOrTweens, Output, VideoAsset};

/// A warning for every property of `edit` that the renderer ignores, in document order.
pub fn warnings(edit: &Edit) -> Vec<Problem> {
    let mut out = Vec::new();
    for (t, c, clip) in edit.clips() {
        let ptr = format!("/timeline/tracks/{t}/clips/{c}");
        clip_warnings(clip, &ptr, &mut out);
        asset_warnings(&clip.asset, &format!("{ptr}/asset"), &mut out);
    }
    if edit.timeline.cache == Some(false) {
        let d = ignored("`timeline.cache`")
            .with_note("remote files are downloaded once and then reused from reel's cache");
        out.push(Problem::new("/timeline/cache", d));
    }
    output_warnings(&edit.output, &mut out);
    // `{"provider": "shotstack", "exclude": true}` opts out of hosting: nothing to warn about.
    let uploads = |d: &serde_json::Value| d.get("exclude") != Some(&serde_json::Value::Bool(true));
    if edit
        .output
        .destinations
        .as_ref()
        .is_some_and(|d| d.iter().any(uploads))
    {
        let d = ignored("`output.destinations`")
            .with_note("the render is written to a local file; nothing is uploaded");
        out.push(Problem::new("/output/destinations", d));
    }
    out
}

/// `output` settings that do nothing for the chosen format in reel.
fn output_warnings(o: &Output, out: &mut Vec<Problem>) {
    let f = o.format;
    let video = matches!(f, Format::Mp4 | Format::Webm);
    let set = [
        (
            "quality",
            o.quality.is_some() && !video,
            "gif, mp3 and stills use fixed settings",
        ),
        (
            "poster",
            o.poster.is_some() && f == Format::Mp3,
            "an mp3 has no picture",
        ),
        (
            "thumbnail",
            o.thumbnail.is_some() && (f == Format::Mp3 || f.is_image()),
            "thumbnails are written beside video and gif outputs only",
        ),
    ];
    for (key, _, why) in set.into_iter().filter(|(_, ignored, _)| *ignored) {
        let d = ignored(&format!("`output.{key}` for `{f}` output")).with_note(why);
        out.push(Problem::new(format!("/output/{key}"), d));
    }
}

/// "`what` is not supported by the offline renderer; it is ignored".
fn ignored(what: &str) -> Diagnostic {
    Diagnostic::warning(format!(
        "{what} is not supported by the offline renderer; it is ignored"
    ))
}

fn clip_warnings(clip: &Clip, ptr: &str, out: &mut Vec<Problem>) {
    if matches!(clip.asset, Asset::Luma(_)) {
        // A matte is stretched over the clips it masks: its own placement and look are unused.
        let set = [
            ("fit", clip.fit.is_some()),
            ("scale", clip.scale.is_some()),
            ("width", clip.width.is_some()),
            ("height", clip.height.is_some()),
            ("position", clip.position.is_some()),
            ("offset", clip.offset.is_some()),
            ("transition", clip.transition.is_some()),
            ("filter", clip.filter.is_some()),
            ("opacity", clip.opacity.is_some()),
            ("transform", clip.transform.is_some()),
        ];
        for (key, _) in set.into_iter().filter(|(_, set)| *set) {
            let d = ignored(&format!("`{key}` of a `luma` clip"))
                .with_note("a luma matte is stretched over the clips of its track while it plays");
            out.push(Problem::new(format!("{ptr}/{key}"), d));
        }
        return;
    }
    tween_values(clip, ptr, out);
    let one_side = match (clip.width, clip.height) {
        (Some(_), None) => Some(("width", "height")),
        (None, Some(_)) => Some(("height", "width")),
        _ => None,
    };
    if let Some((set, missing)) = one_side {
        let d = Diagnostic::warning(format!(
            "`{set}` without `{missing}` is ignored: a clip box needs both"
        ))
        .with_help(format!("add `{missing}`, or remove `{set}`"));
        out.push(Problem::new(format!("{ptr}/{set}"), d));
    }
}

/// Tween `from`/`to` values that are not numbers (the schema allows anything there): they are
/// read as the property's neutral value, which would otherwise happen without a word.
fn tween_values(clip: &Clip, ptr: &str, out: &mut Vec<Problem>) {
    let offset = clip.offset.as_ref();
    let rotate = clip.transform.as_ref().and_then(|t| t.rotate.as_ref());
    let skew = clip.transform.as_ref().and_then(|t| t.skew.as_ref());
    let fields = [
        ("scale", clip.scale.as_ref(), 1),
        ("opacity", clip.opacity.as_ref(), 1),
        ("offset/x", offset.and_then(|o| o.x.as_ref()), 0),
        ("offset/y", offset.and_then(|o| o.y.as_ref()), 0),
        (
            "transform/rotate/angle",
            rotate.and_then(|r| r.angle.as_ref()),
            0,
        ),
        ("transform/skew/x", skew.and_then(|s| s.x.as_ref()), 0),
        ("transform/skew/y", skew.and_then(|s| s.y.as_ref()), 0),
        ("asset/volume", clip.asset.volume(), 1),
    ];
    for (path, value, neutral) in fields {
        let Some(NumberOrTweens::Tweens(tweens)) = value else {
            continue;
        };
        for (i, t) in tweens.iter().enumerate() {
            let ends = [
                ("from", t.from.as_ref(), t.from_number()),
                ("to", t.to.as_ref(), t.to_number()),
            ];
            for (key, v, number) in ends {
                let Some(v) = v.filter(|_| number.is_none()) else {
                    continue;
                };
                let name = path.replace('/', ".");
                let d = Diagnostic::warning(format!(
                    "the `{key}` of a tween of `{name}` is not a number, found `{v}`"
                ))
                .with_note(format!("it is read as {neutral}, as if it were missing"));
                out.push(Problem::new(format!("{ptr}/{path}/{i}/{key}"), d));
            }
        }
    }
}

fn asset_warnings(asset: &Asset, ptr: &str, out: &mut Vec<Problem>) {
    if let Asset::Title(a) = asset {
        let offset = a.offset.as_ref();
        for (axis, v) in [
            ("x", offset.and_then(|o| o.x.as_ref())),
            ("y", offset.and_then(|o| o.y.as_ref())),
        ] {
            if let Some(NumberOrTweens::Tweens(_)) = v {
                let d = ignored(&format!("an animated `offset.{axis}` of a `title` asset"))
                    .with_help("animate the clip's own `offset` instead");
                out.push(Problem::new(format!("{ptr}/offset/{axis}"), d));
            }
        }
    }
    let generated = match asset {
        Asset::Video(VideoAsset { src: Some(_), .. }) => generation_keys(asset),
        Asset::Image(a) if a.src.is_some() => generation_keys(asset),
        Asset::Audio(a) if a.src.is_some() => generation_keys(asset),
        _ => Vec::new(),
    };
    for key in generated {
        let d = ignored(&format!("`{key}` of a `{}` asset", asset.kind_name()))
            .with_note("the asset has a `src`, which is what reel renders; nothing is generated");
        out.push(Problem::new(format!("{ptr}/{key}"), d));
    }
}

/// The generation fields (`prompt`, `model`, `options`) set on a video, image or audio asset.
fn generation_keys(asset: &Asset) -> Vec<&'static str> {
    let (prompt, model, options) = match asset {
        Asset::Video(a) => (a.prompt.is_some(), a.model.is_some(), a.options.is_some()),
        Asset::Image(a) => (a.prompt.is_some(), a.model.is_some(), a.options.is_some()),
        Asset::Audio(a) => (a.prompt.is_some(), a.model.is_some(), a.options.is_some()),
        _ => (false, false, false),
    };
    [("prompt", prompt), ("model", model), ("options", options)]
        .into_iter()
        .filter_map(|(k, set)| set.then_some(k))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn edit(clips: serde_json::Value, output: serde_json::Value) -> Edit {
        serde_json::from_value(json!({
            "timeline": {"tracks": [{"clips": clips}], "cache": false},
            "output": output
        }))
        .unwrap()
    }

    fn pointers(e: &Edit) -> Vec<String> {
        warnings(e).into_iter().map(|p| p.pointer).collect()
    }

    #[test]
    fn every_ignored_property_is_named_at_its_pointer() {
        let e = edit(
            json!([
                {"asset": {"type": "text", "text": "hi"},
                 "start": 0, "length": 1, "width": 100},
                {"asset": {"type": "luma", "src": "m.mp4"}, "start": 0, "length": 1,
                 "opacity": 0.5, "transition": {"in": "fade"}},
                {"asset": {"type": "title", "text": "t",
                           "offset": {"x": 0.1, "y": [{"from": 0, "to": 0.2}]}},
                 "start": 1, "length": 1},
                {"asset": {"type": "video", "src": "a.mp4", "prompt": "a cat"},
                 "start": 2, "length": 1,
                 "opacity": [{"from": "0.5", "to": "half"}]}
            ]),
            json!({"format": "mp4", "resolution": "sd",
                   "destinations": [{"provider": "shotstack"}]}),
        );
        let c = "/timeline/tracks/0/clips";
        assert_eq!(
            pointers(&e),
            [
                format!("{c}/0/width"),
                format!("{c}/1/transition"),
                format!("{c}/1/opacity"),
                format!("{c}/2/asset/offset/y"),
                format!("{c}/3/opacity/0/to"),
                format!("{c}/3/asset/prompt"),
                "/timeline/cache".into(),
                "/output/destinations".into(),
            ]
        );
        let w = warnings(&e);
        assert_eq!(
            w[3].diagnostic.message,
            "an animated `offset.y` of a `title` asset is not supported by the offline renderer; \
             it is ignored"
        );
        assert_eq!(
            w[4].diagnostic.message,
            "the `to` of a tween of `opacity` is not a number, found `\"half\"`"
        );
        assert!(w.iter().all(|p| !p.diagnostic.is_error()));
    }

    #[test]
    fn output_settings_without_effect_for_the_format_are_named() {
        let out = |o: serde_json::Value| pointers(&edit(json!([]), o));
        let still = json!({"format": "jpg", "resolution": "sd", "quality": "high",
                           "poster": {"capture": 1}, "thumbnail": {"capture": 1, "scale": 0.5}});
        assert_eq!(
            out(still),
            ["/timeline/cache", "/output/quality", "/output/thumbnail"]
        );
        let mp3 = json!({"format": "mp3", "poster": {"capture": 1}});
        assert_eq!(out(mp3), ["/timeline/cache", "/output/poster"]);
        let mp4 = json!({"format": "mp4", "resolution": "sd", "quality": "high",
                         "poster": {"capture": 1}, "thumbnail": {"capture": 1, "scale": 0.5}});
        assert_eq!(out(mp4), ["/timeline/cache"]);
    }

    #[test]
    fn a_plain_edit_has_none() {
        let e: Edit = serde_json::from_value(json!({
            "timeline": {"tracks": [{"clips": [
                {"asset": {"type": "video", "src": "a.mp4"}, "start": 0, "length": 1,
                 "width": 100, "height": 50}
            ]}], "cache": true},
            "output": {"format": "mp4", "resolution": "sd",
                       "destinations": [{"provider": "shotstack", "exclude": true}]}
        }))
        .unwrap();
        assert!(warnings(&e).is_empty());
    }
}
