//! Unit tests of `validate`, one or more per check.

use serde_json::{Value, json};

use super::*;
use crate::diagnostics::{FileId, Span};
use crate::edit::origins::{CellRef, Origin};
use crate::edit::{Asset, Length, NumberOrTweens, Start};

fn doc(clip: Value) -> Value {
    json!({
        "timeline": { "tracks": [ { "clips": [ clip ] } ] },
        "output": { "format": "mp4", "resolution": "hd" }
    })
}

fn image(extra: Value) -> Value {
    let mut clip = json!({
        "asset": { "type": "image", "src": "https://x.io/a.png" },
        "start": 0, "length": 2
    });
    merge(&mut clip, extra);
    clip
}

fn merge(into: &mut Value, extra: Value) {
    if let (Value::Object(a), Value::Object(b)) = (into, extra) {
        a.extend(b);
    }
}

fn run(v: &Value) -> Warned<SourceResult<Edit>> {
    validate(v, &Origins::new(), &ValidateOptions::default())
}

/// Error messages (and help) of an invalid document.
fn errors(v: &Value) -> Vec<String> {
    let w = run(v);
    let errs = w.output.expect_err("expected errors");
    errs.iter()
        .map(|d| match &d.help {
            Some(h) => format!("{} ({h})", d.message),
            None => d.message.clone(),
        })
        .collect()
}

fn ok(v: &Value) -> (Edit, Vec<String>) {
    let w = run(v);
    let warnings = w.warnings.iter().map(|d| d.message.clone()).collect();
    match w.output {
        Ok(e) => (e, warnings),
        Err(es) => panic!("unexpected errors: {es:#?}"),
    }
}

#[test]
fn a_minimal_document_is_valid() {
    let (edit, warnings) = ok(&doc(image(json!({}))));
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(edit.timeline.tracks[0].clips[0].asset.kind_name(), "image");
}

#[test]
fn unknown_property_suggests_the_closest() {
    let e = errors(&doc(image(json!({ "positon": "center" }))));
    assert_eq!(
        e,
        ["unknown property `positon` in clip 1 on track 1 (did you mean `position`?)"]
    );
}

#[test]
fn wrong_enum_value_suggests_and_lists() {
    let w = run(&doc(image(json!({ "position": "topright" }))));
    let d = &w.output.unwrap_err()[0];
    assert_eq!(d.message, "`topright` is not a valid `position`");
    assert_eq!(d.help.as_deref(), Some("did you mean `topRight`?"));
    assert!(d.notes[0].contains("`bottomLeft`"), "{:?}", d.notes);
}

#[test]
fn long_enum_lists_are_not_printed() {
    let w = run(&doc(image(json!({ "transition": { "in": "fadee" } }))));
    let d = &w.output.unwrap_err()[0];
    assert_eq!(d.help.as_deref(), Some("did you mean `fade`?"));
    assert!(d.notes.iter().all(|n| !n.contains("expected one of")));
}

#[test]
fn literal_numeric_strings_are_coerced_with_a_warning() {
    let (edit, warnings) = ok(&doc(image(json!({ "opacity": "0.5", "start": "1" }))));
    let clip = &edit.timeline.tracks[0].clips[0];
    assert_eq!(clip.opacity, Some(NumberOrTweens::Number(0.5)));
    assert_eq!(clip.start, Start::Seconds(1.0));
    assert_eq!(
        warnings,
        [
            "`start` is a number written as a string",
            "`opacity` is a number written as a string"
        ]
    );
}

#[test]
fn values_from_data_are_coerced_silently() {
    let v = doc(image(json!({ "opacity": "0.5" })));
    let mut origins = Origins::new();
    let span = Span::new(FileId(0), 0..1);
    let cell = CellRef {
        span: Span::new(FileId(1), 0..3),
        describe: "row 1, column \"o\"".into(),
        place: crate::diagnostics::CellPlace {
            row: 1,
            column: "o".into(),
        },
    };
    let origin = Origin {
        span,
        cell: Some(cell),
    };
    origins.insert("/timeline/tracks/0/clips/0/opacity", origin);
    let w = validate(&v, &origins, &ValidateOptions::default());
    assert!(
        w.output.is_ok() && w.warnings.is_empty(),
        "{:?}",
        w.warnings
    );
}

#[test]
fn non_numeric_string_for_a_number_is_an_error() {
    let clip = json!({
        "asset": { "type": "rich-text", "text": "hi", "font": { "size": "abc" } },
        "start": 0, "length": 2
    });
    assert_eq!(
        errors(&doc(clip)),
        ["`font.size` must be a whole number, found \"abc\""]
    );
}

#[test]
fn integral_floats_fit_integer_fields_and_booleans_coerce() {
    let clip = json!({
        "asset": { "type": "text", "text": "hi", "font": { "size": 60.0 },
                   "background": { "wrap": "true" } },
        "start": 0, "length": 2
    });
    let (edit, warnings) = ok(&doc(clip));
    let Asset::Text(t) = &edit.timeline.tracks[0].clips[0].asset else {
        panic!("text")
    };
    assert_eq!(
        t.font.as_ref().unwrap().size,
        Some(crate::edit::FontSize::Px(60))
    );
    assert_eq!(t.background.as_ref().unwrap().wrap, Some(true));
    assert_eq!(
        warnings,
        ["`background.wrap` is a boolean written as a string"]
    );
}

#[test]
fn huge_whole_numbers_are_errors_not_model_mismatches() {
    for huge in [json!(1e300), json!(u64::MAX)] {
        let clip = json!({
            "asset": { "type": "text", "text": "hi", "font": { "size": huge } },
            "start": 0, "length": 2
        });
        let e = errors(&doc(clip));
        assert_eq!(e.len(), 1);
        assert!(
            e[0].starts_with("`font.size` is too large, found "),
            "{e:?}"
        );
    }
}

#[test]
fn numbers_coerce_to_string_enums() {
    let mut v = doc(image(json!({})));
    v["output"]["resolution"] = json!(1080);
    let (edit, warnings) = ok(&v);
    assert_eq!(edit.output.resolution, Some(crate::edit::Resolution::P1080));
    assert_eq!(
        warnings,
        ["`output.resolution` is a string written without quotes"]
    );
}

#[test]
fn out_of_range_values_are_errors() {
    let v = doc(image(json!({ "offset": { "x": 20 }, "width": 0 })));
    assert_eq!(
        errors(&v),
        [
            "`offset.x` must be between -10 and 10, found 20",
            "`width` must be between 1 and 3840, found 0"
        ]
    );
}

#[test]
fn fps_must_be_one_of_the_listed_rates() {
    let mut v = doc(image(json!({})));
    v["output"]["fps"] = json!(31);
    let e = errors(&v);
    assert_eq!(e, ["`31` is not a valid `output.fps`"]);
    v["output"]["fps"] = json!("23.976");
    assert_eq!(ok(&v).0.output.fps, Some(23.976));
}

#[test]
fn missing_required_fields_are_errors() {
    let v = json!({
        "timeline": { "tracks": [ { "clips": [ { "start": 0, "length": 1 } ] } ] },
        "output": { "resolution": "hd" }
    });
    assert_eq!(
        errors(&v),
        [
            "missing `asset` in clip 1 on track 1",
            "missing `format` in `output`"
        ]
    );
}

#[test]
fn empty_src_is_an_error() {
    let clip = json!({ "asset": { "type": "video", "src": " " }, "start": 0, "length": 1 });
    assert_eq!(errors(&doc(clip)), ["`src` is empty"]);
}

#[test]
fn media_assets_need_a_src_or_a_prompt() {
    let clip = json!({ "asset": { "type": "video", "volume": 1 }, "start": 0, "length": 1 });
    assert_eq!(
        errors(&doc(clip)),
        ["missing `src` in the `video` asset of clip 1 on track 1"]
    );
    let clip = json!({ "asset": { "type": "image", "prompt": "a cat" }, "start": 0, "length": 1 });
    ok(&doc(clip));
}

#[test]
fn timing_accepts_keywords_and_explains_bad_values() {
    let (edit, _) = ok(&doc(image(json!({ "start": "auto", "length": "end" }))));
    let clip = &edit.timeline.tracks[0].clips[0];
    assert_eq!((&clip.start, &clip.length), (&Start::Auto, &Length::End));
    assert_eq!(
        errors(&doc(image(json!({ "start": "soon" })))),
        ["`start` must be a number or `auto` or `alias://NAME`, found \"soon\""]
    );
    assert_eq!(
        errors(&doc(image(json!({ "start": -1 })))),
        ["`start` must be at least 0, found -1"]
    );
}

#[test]
fn tweens_and_padding_objects_take_their_branch() {
    let tweens = json!([{ "from": 0, "to": 1, "start": 0, "length": 1, "easing": "easeIn" }]);
    let (edit, _) = ok(&doc(image(json!({ "opacity": tweens }))));
    assert!(matches!(
        edit.timeline.tracks[0].clips[0].opacity,
        Some(NumberOrTweens::Tweens(_))
    ));
    let bad = json!([{ "from": 0, "to": 1, "easing": "easeInn" }]);
    let e = errors(&doc(image(json!({ "opacity": bad }))));
    assert_eq!(e.len(), 1);
    assert!(
        e[0].starts_with("`easeInn` is not a valid `opacity[0].easing`"),
        "{e:?}"
    );
    let clip = json!({
        "asset": { "type": "rich-text", "text": "hi", "padding": { "top": 4, "lft": 2 } },
        "start": 0, "length": 1
    });
    assert_eq!(
        errors(&doc(clip)),
        ["unknown property `lft` in `padding` (did you mean `left`?)"]
    );
}

#[test]
fn unknown_asset_type_suggests() {
    let clip = json!({ "asset": { "type": "vidoe", "src": "a.mp4" }, "start": 0, "length": 1 });
    assert_eq!(
        errors(&doc(clip)),
        ["unknown asset type `vidoe` (did you mean `video`?)"]
    );
}

#[test]
fn overlapping_clips_on_a_track_warn() {
    let v = json!({
        "timeline": { "tracks": [ { "clips": [
            { "asset": { "type": "image", "src": "a.png" }, "start": 0, "length": 5 },
            { "asset": { "type": "image", "src": "b.png" }, "start": 5, "length": 1 },
            { "asset": { "type": "image", "src": "c.png" }, "start": 4, "length": 3 }
        ] } ] },
        "output": { "format": "mp4", "resolution": "sd" }
    });
    let (_, warnings) = ok(&v);
    // One warning per track (its first overlap); the note counts the others.
    assert_eq!(warnings, ["clip 3 on track 1 overlaps clip 1 on track 1"]);
}

#[test]
fn overlaps_of_lumas_and_of_clips_placed_apart_are_fine() {
    let v = json!({
        "timeline": { "tracks": [ { "clips": [
            { "asset": { "type": "luma", "src": "m.mp4" }, "start": 0, "length": 5 },
            { "asset": { "type": "image", "src": "a.png" }, "start": 0, "length": 5,
              "offset": { "x": -0.2 } },
            { "asset": { "type": "image", "src": "b.png" }, "start": 1, "length": 5,
              "offset": { "x": 0.2 } }
        ] } ] },
        "output": { "format": "mp4", "resolution": "sd" }
    });
    assert!(ok(&v).1.is_empty());
}

#[test]
fn aliases_must_exist_and_be_unique() {
    let v = json!({
        "timeline": { "tracks": [
            { "clips": [ { "asset": { "type": "rich-caption", "src": "alias://voise" },
                           "start": 0, "length": "alias://voice" } ] },
            { "clips": [ { "asset": { "type": "audio", "src": "v.mp3" },
                           "start": 0, "length": 2, "alias": "voice" },
                         { "asset": { "type": "audio", "src": "w.mp3" },
                           "start": 2, "length": 2, "alias": "voice" } ] }
        ] },
        "output": { "format": "mp4", "resolution": "sd" }
    });
    assert_eq!(
        errors(&v),
        [
            "duplicate alias `voice`",
            "no clip has the alias `voise` (did you mean `alias://voice`?)"
        ]
    );
}

#[test]
fn output_needs_a_size_and_even_sides() {
    let mut v = doc(image(json!({})));
    v["output"] = json!({ "format": "mp4" });
    assert_eq!(
        errors(&v)[0],
        "`output` needs a `resolution` or a `size` (add `\"resolution\": \"hd\"` or `\"size\": {\"width\": 1280, \"height\": 720}`)"
    );
    v["output"] = json!({ "format": "mp3" });
    ok(&v);
    v["output"] = json!({ "format": "mp4", "size": { "width": 641, "height": 480 } });
    assert_eq!(
        errors(&v),
        ["`output.size.width` must be even, found 641 (use 640 or 642)"]
    );
}

#[test]
fn webm_output_is_accepted_with_a_portability_warning() {
    let mut v = doc(image(json!({})));
    v["output"]["format"] = json!("webm");
    let (edit, warnings) = ok(&v);
    assert_eq!(edit.output.format, crate::edit::Format::Webm);
    assert_eq!(
        warnings,
        ["`webm` output is a reel extension: Shotstack's API rejects it"]
    );
    v["output"]["format"] = json!("mov");
    assert!(errors(&v)[0].starts_with("`mov` is not a valid `output.format`"));
}

#[test]
fn missing_local_files_are_errors_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("here.png"), b"x").unwrap();
    let v = json!({
        "timeline": { "tracks": [ { "clips": [
            { "asset": { "type": "image", "src": "here.png" }, "start": 0, "length": 1 },
            { "asset": { "type": "image", "src": "gone.png" }, "start": 1, "length": 1 },
            { "asset": { "type": "image", "src": "https://x.io/a.png" }, "start": 2, "length": 1 }
        ] } ],
        "fonts": [ { "src": "fonts/none.ttf" } ] },
        "output": { "format": "mp4", "resolution": "sd" }
    });
    let opts = ValidateOptions {
        base_dir: Some(dir.path().to_path_buf()),
        check_files: true,
        ..ValidateOptions::default()
    };
    let errs = validate(&v, &Origins::new(), &opts).output.unwrap_err();
    let msgs: Vec<_> = errs.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        msgs,
        [
            "file not found: `gone.png`",
            "file not found: `fonts/none.ttf`"
        ]
    );
    let looked = dir.path().join("gone.png");
    assert!(errs[0].notes[0].contains(&looked.display().to_string()));
    assert!(run(&v).output.is_ok(), "files are only checked when asked");
}

#[test]
fn every_error_is_reported_at_once() {
    let v = json!({
        "timeline": { "tracks": [ { "clips": [
            { "asset": { "type": "image", "src": "" }, "start": 0, "length": 1, "fit": "fill" },
            { "asset": { "type": "text" }, "start": "x", "length": 1 }
        ] } ] },
        "output": { "format": "mov", "resolution": "hd" },
        "extra": 1
    });
    assert_eq!(errors(&v).len(), 6, "{:#?}", errors(&v));
}

#[test]
fn rich_caption_active_accepts_none() {
    let clip = json!({
        "asset": { "type": "rich-caption", "src": "https://x.io/a.srt",
                   "active": { "stroke": "none", "shadow": { "blur": 2 } } },
        "start": 0, "length": 1
    });
    ok(&doc(clip));
}

/// Builds a value with every property the schema allows, for model/schema consistency tests.
struct Sampler {
    /// The asset `type` to generate.
    kind: &'static str,
    /// Take the last `oneOf` branch and enum value instead of the first.
    last: bool,
}

impl Sampler {
    fn sample(&self, id: schema::NodeId) -> Value {
        use schema::{Pattern, Types};
        let s = schema::schema();
        let node = s.get(id);
        if let Some(tags) = &node.discriminator {
            let (_, branch) = tags.iter().find(|(k, _)| k == self.kind).unwrap();
            return self.sample(*branch);
        }
        if let Some(&alt) = self.pick(&node.alternatives) {
            return self.sample(alt);
        }
        if let Some(e) = node.enum_values.as_ref().and_then(|e| self.pick(e)) {
            return e.clone();
        }
        let t = node.types;
        if t.has(Types::OBJECT) {
            let props = node.properties.iter();
            // Colour fields without a pattern are still checked as colours.
            let colour = |k: &str, v: Value| match (k, v) {
                ("color" | "background", Value::String(t)) if t == "text" => json!("#a0b1c2"),
                (_, v) => v,
            };
            return Value::Object(
                props
                    .map(|(k, p)| (k.clone(), colour(k, self.sample(*p))))
                    .collect(),
            );
        }
        if t.has(Types::ARRAY) {
            let n = node.min_items.unwrap_or(1).max(1);
            let item = node.items.map_or(json!(1), |i| self.sample(i));
            return Value::Array(vec![item; n]);
        }
        if t.has(Types::STRING) {
            return json!(match node.pattern {
                Some(Pattern::HexColor) => "#a0b1c2",
                Some(Pattern::Alias) => "name",
                Some(Pattern::Start) => "auto",
                Some(Pattern::Length) => "end",
                _ => "text",
            });
        }
        if t.has(Types::BOOLEAN) {
            return json!(true);
        }
        let (lo, hi) = (node.minimum, node.maximum);
        let mid = match (lo, hi) {
            (Some(a), Some(b)) => (a + b) / 2.0,
            (Some(a), None) => a + 1.0,
            (None, Some(b)) => b - 1.0,
            (None, None) => 2.0,
        };
        if t.has(Types::INTEGER) && !t.has(Types::NUMBER) {
            let even = (mid.floor() as i64) & !1;
            return json!(even.max(lo.unwrap_or(0.0) as i64));
        }
        json!(mid)
    }

    fn pick<'a, T>(&self, items: &'a [T]) -> Option<&'a T> {
        if self.last {
            items.last()
        } else {
            items.first()
        }
    }
}

#[test]
fn every_schema_property_fits_the_model() {
    let s = schema::schema();
    for kind in Asset::KINDS {
        for last in [false, true] {
            let doc = Sampler { kind, last }.sample(s.root);
            let w = run(&doc);
            let edit = match w.output {
                Ok(e) => e,
                Err(es) => panic!("{kind} (last={last}): {es:#?}\n{doc:#}"),
            };
            // The last `output.format` is reel's own `webm`, which warns by design.
            // So is reel's `font.minSize`.
            let unexpected = w
                .warnings
                .iter()
                .filter(|d| !d.message.contains("reel extension"));
            assert_eq!(unexpected.count(), 0, "{kind}: {:#?}", w.warnings);
            assert_eq!(edit.timeline.tracks[0].clips[0].asset.kind_name(), *kind);
            let back = serde_json::to_value(&edit).unwrap();
            assert!(
                crate::edit::json_eq(&doc, &back),
                "{kind} (last={last}) changed"
            );
        }
    }
}

/// Arbitrary JSON built from schema-ish keys and values, to look for panics.
fn arb_json() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    let keys = prop::sample::select(vec![
        "type", "src", "start", "length", "asset", "alias", "font", "size", "opacity", "offset",
        "x", "from", "padding", "stroke", "active", "width", "fps", "clips", "tracks", "weight",
        "...", "a/b",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        any::<i64>().prop_map(|i| json!(i)),
        prop::sample::select(vec![
            "",
            " ",
            "auto",
            "end",
            "alias://name",
            "alias://",
            "none",
            "video",
            "rich-text",
            "60",
            "1e400",
            "-0",
            "#ffffff",
            "true",
            "ü",
        ])
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..6).prop_map(|kv| {
                Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            }),
        ]
    })
}

proptest::proptest! {
    #[test]
    fn validate_never_panics(clip in arb_json(), asset in arb_json(), output in arb_json()) {
        let mut c = clip;
        if let Value::Object(m) = &mut c {
            m.insert("asset".into(), asset);
        }
        let v = json!({ "timeline": { "tracks": [ { "clips": [ c ] } ] }, "output": output });
        let w = run(&v);
        if let Ok(edit) = w.output {
            proptest::prop_assert!(serde_json::to_value(&edit).is_ok());
        }
    }
}

#[test]
fn overlaps_are_one_warning_per_track_with_a_count() {
    let clips: Vec<Value> = (0..101)
        .map(|i| json!({ "asset": { "type": "image", "src": "a.png" }, "start": i, "length": 200 }))
        .collect();
    let v = json!({
        "timeline": { "tracks": [ { "clips": clips }, { "clips": clips } ] },
        "output": { "format": "mp4", "resolution": "sd" }
    });
    let w = run(&v);
    assert_eq!(w.warnings.len(), 2, "{:#?}", w.warnings);
    assert_eq!(
        w.warnings[1].message,
        "clip 2 on track 2 overlaps clip 1 on track 2"
    );
    assert!(
        w.warnings[0]
            .notes
            .iter()
            .any(|n| n.starts_with("100 clips of track 1 overlap")),
        "{:?}",
        w.warnings[0].notes
    );
}

#[test]
fn css_colour_names_are_normalised_and_non_colours_rejected() {
    let doc = json!({
        "timeline": {
            "background": "Red",
            "tracks": [{ "clips": [{
                "asset": { "type": "text", "text": "hi", "font": { "color": "DarkOrchid" },
                           "background": { "color": "#abc" } },
                "start": 0, "length": 1
            }]}]
        },
        "output": { "format": "mp4", "resolution": "sd" }
    });
    let edit = run(&doc).output.expect("CSS names and #rgb are colours");
    let back = serde_json::to_value(&edit).unwrap();
    assert_eq!(back["timeline"]["background"], "#ff0000");
    let asset = &back["timeline"]["tracks"][0]["clips"][0]["asset"];
    assert_eq!(asset["font"]["color"], "#9932cc");
    let mut bad = doc.clone();
    bad["timeline"]["background"] = json!("redd");
    let errors = run(&bad).output.unwrap_err();
    assert!(
        errors[0].message.contains("must be a colour"),
        "{errors:#?}"
    );
}
