//! `caption` and `rich-caption` clips: a subtitle file's cues, timed against the clip, each
//! drawn as its own rich-text layer.
//!
//! [`load`] is the IO edge (finds or downloads the SRT/WebVTT file and reads it); everything
//! else is pure: [`Captions::windows`] maps cue times through `trim`/`speed` into the clip,
//! [`cue_asset`] turns the caption styling into the `rich-text` asset the rasteriser draws,
//! and [`cue_visual`] keeps the clip's tweens and transitions on the clip's own timeline when
//! one clip becomes one timeline clip per cue. Defaults and choices: `docs/text.md`.

use std::path::Path;

use super::lower::Problem;
use super::media::Prober;
use super::subtitles::{self, Cue};
use crate::diagnostics::{Diagnostic, FileId, SourceMap};
use crate::edit::{
    self, ALIAS_PREFIX, Asset, CaptionAsset, HorizontalAlign, Padding, PaddingSides,
    RichCaptionAsset, RichTextAlignment, RichTextAsset, RichTextBackground, RichTextFont,
    RichTextStroke, RichTextStyle, RichVerticalAlign,
};
use crate::render::timeline::{Anim, Curve, Tween, Visual};

/// Distance of captions from the box edges, as a fraction of the box: 5% of the height
/// below, 5% of the width on each side (the title margin; wraps at 90% of the width, as
/// Shotstack's previewer does).
pub const MARGIN: f64 = 0.05;

/// Cue windows shorter than this (seconds) are dropped: they would show for no frame.
const MIN_WINDOW: f64 = 1e-6;

/// File extensions that name media to transcribe rather than subtitles.
const MEDIA_EXTENSIONS: &[&str] = &[
    "mp4", "mov", "m4v", "webm", "mkv", "avi", "mp3", "wav", "m4a", "flac", "aac", "ogg", "opus",
];

/// A caption clip's cues and how its clip plays them.
#[derive(Debug, Clone, PartialEq)]
pub struct Captions {
    /// Cues of the subtitle file, in file order.
    pub cues: Vec<Cue>,
    /// Seconds of the file skipped at the clip start (`caption.trim`).
    pub trim: f64,
    /// Playback speed (`caption.speed`; 0 holds the cue at `trim`).
    pub speed: f64,
}

/// One cue as shown by the clip: clip-local seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// First visible instant.
    pub start: f64,
    /// End (exclusive).
    pub end: f64,
    /// The cue's text.
    pub text: String,
}

impl Captions {
    /// `length: auto`: the end of the last cue on the clip's clock; `None` when no cue ends
    /// after the clip start or the captions are paused (`speed: 0`).
    pub fn auto_length(&self) -> Option<f64> {
        if self.speed <= 0.0 {
            return None;
        }
        let end = self
            .cues
            .iter()
            .map(|c| (c.end - self.trim) / self.speed)
            .fold(f64::NEG_INFINITY, f64::max);
        (end > MIN_WINDOW).then_some(end)
    }

    /// The cues a clip of `length` seconds shows, in order, cut to [0, `length`). Where cues
    /// overlap, the one that started first stays until it ends and the later one shows for
    /// the rest of its time (as Shotstack's previewer picks the first active cue).
    pub fn windows(&self, length: f64) -> Vec<Window> {
        if self.speed <= 0.0 {
            let held = self
                .cues
                .iter()
                .find(|c| c.start <= self.trim && self.trim < c.end);
            return held
                .map(|c| Window {
                    start: 0.0,
                    end: length,
                    text: c.text.clone(),
                })
                .into_iter()
                .collect();
        }
        let mut timed: Vec<(f64, f64, &str)> = self
            .cues
            .iter()
            .map(|c| {
                let at = |t: f64| (t - self.trim) / self.speed;
                (at(c.start), at(c.end), c.text.as_str())
            })
            .collect();
        timed.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut shown_until = 0.0_f64;
        let mut out = Vec::new();
        for (start, end, text) in timed {
            let start = start.max(shown_until);
            let cut = end.min(length);
            shown_until = shown_until.max(end);
            if cut - start > MIN_WINDOW {
                out.push(Window {
                    start,
                    end: cut,
                    text: text.to_string(),
                });
            }
        }
        out
    }
}

/// Finds (or downloads) and parses the subtitle file of a caption asset at clip `ptr`. Parse
/// errors are labelled in the subtitle file when `sources` is given (the file is added to it
/// only then), else they name `file:line:column` in a note.
pub fn load(
    asset: &Asset,
    ptr: &str,
    prober: &mut Prober<'_>,
    sources: Option<&SourceMap>,
) -> Result<Captions, Vec<Problem>> {
    let src = asset.src().unwrap_or("");
    let src_ptr = format!("{ptr}/asset/src");
    let fail = |d: Diagnostic| vec![Problem::new(src_ptr.clone(), d)];
    if let Some(d) = unsupported_src(asset.kind_name(), src) {
        return Err(fail(d));
    }
    let path = prober
        .local(src, "subtitle file")
        .map_err(|m| fail(Diagnostic::error(m)))?;
    let text = read_text(&path, src).map_err(fail)?;
    let cues = subtitles::parse(&text, FileId(0)).map_err(|ds| {
        let name = match crate::render::fetch::locate(src, prober.base_dir) {
            Ok(crate::render::fetch::Location::Local(p)) => p.display().to_string(),
            _ => src.to_string(),
        };
        located(ds, &name, text.clone(), sources)
            .into_iter()
            .map(|d| Problem::new(src_ptr.clone(), d))
            .collect::<Vec<_>>()
    })?;
    Ok(Captions {
        cues,
        trim: asset.trim().unwrap_or(0.0).max(0.0),
        speed: asset.speed().unwrap_or(1.0).clamp(0.0, 10.0),
    })
}

/// Why `src` cannot be read as subtitles offline: an `alias://` or media file to transcribe,
/// or a TTML file.
fn unsupported_src(kind: &str, src: &str) -> Option<Diagnostic> {
    let ext = src
        .split(['?', '#'])
        .next()
        .and_then(|p| Path::new(p).extension())
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let transcribe = src.starts_with(ALIAS_PREFIX)
        || ext
            .as_deref()
            .is_some_and(|e| MEDIA_EXTENSIONS.contains(&e));
    if transcribe {
        return Some(
            Diagnostic::error(format!(
                "a `{kind}` of `{src}` needs a transcript: not supported offline"
            ))
            .with_note("transcribing speech needs Shotstack's cloud service")
            .with_help("transcribe it once into an `.srt` or `.vtt` file and use that as `src`"),
        );
    }
    matches!(ext.as_deref(), Some("ttml" | "dfxp")).then(|| {
        Diagnostic::error(format!("`{src}` is a TTML file: reel reads SRT and WebVTT")).with_help(
            "convert it to `.srt` or `.vtt` (for example with `ffmpeg -i in.ttml out.srt`)",
        )
    })
}

/// The file as UTF-8 text.
fn read_text(path: &Path, src: &str) -> Result<String, Diagnostic> {
    let bytes = std::fs::read(path).map_err(|e| {
        Diagnostic::error(format!(
            "cannot read `{src}`: {}",
            crate::diagnostics::io_reason(&e)
        ))
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        Diagnostic::error(format!(
            "subtitle file `{src}` is not valid UTF-8 (first bad byte at offset {offset})"
        ))
        .with_help("save the file as UTF-8")
    })
}

/// Parse diagnostics (spans in `FileId(0)`) made to point at the subtitle file: into
/// `sources` when given, else as `name:line:column` notes.
fn located(
    ds: Vec<Diagnostic>,
    name: &str,
    text: String,
    sources: Option<&SourceMap>,
) -> Vec<Diagnostic> {
    if let Some(map) = sources {
        let id = map.add(name, text);
        return ds
            .into_iter()
            .map(|mut d| {
                d.labels.iter_mut().for_each(|l| l.span.file = id);
                d
            })
            .collect();
    }
    let local = SourceMap::new();
    let file = local.get(local.add(name, text));
    ds.into_iter()
        .map(|mut d| {
            let labels = std::mem::take(&mut d.labels);
            labels.into_iter().fold(d, |d, l| {
                let (line, col) = file.line_col(l.span.start as usize);
                d.with_note(format!("at {name}:{line}:{col}: {}", l.message))
            })
        })
        .collect()
}

/// The warning for rich-caption features drawn without their motion, if any are asked for.
pub fn unanimated(asset: &Asset, ptr: &str) -> Option<Problem> {
    let Asset::RichCaption(a) = asset else {
        return None;
    };
    let style = a
        .animation
        .as_ref()
        .map(|an| an.style)
        .filter(|s| *s != edit::CaptionAnimationStyle::None);
    let mut parts = Vec::new();
    if let Some(s) = style {
        parts.push(format!("the `{s}` word animation"));
    }
    if a.active.is_some() {
        parts.push("`active` word styling".to_string());
    }
    if parts.is_empty() {
        return None;
    }
    let at = if style.is_some() {
        "animation"
    } else {
        "active"
    };
    let verb = if parts.len() > 1 { "are" } else { "is" };
    let d = Diagnostic::warning(format!("{} {verb} not drawn offline", parts.join(" and ")))
        .with_note("each cue is drawn whole, in the base `font` and `style`, for its whole time");
    Some(Problem::new(format!("{ptr}/asset/{at}"), d))
}

/// The `rich-text` asset that draws one cue of a caption or rich-caption asset in a box of
/// `box_size` pixels (the clip box, else the canvas). Pure.
pub fn cue_asset(asset: &Asset, text: &str, box_size: (u32, u32)) -> Asset {
    let rich = match asset {
        Asset::Caption(a) => from_caption(a, text, box_size),
        Asset::RichCaption(a) => from_rich_caption(a, text, box_size),
        // Only caption assets reach here; anything else is drawn as plain text.
        _ => from_rich_caption(&rich_caption_default(), text, box_size),
    };
    Asset::RichText(rich)
}

fn rich_caption_default() -> RichCaptionAsset {
    RichCaptionAsset {
        src: String::new(),
        font: None,
        style: None,
        stroke: None,
        shadow: None,
        background: None,
        border: None,
        padding: None,
        align: None,
        active: None,
        animation: None,
    }
}

/// Insets keeping captions [`MARGIN`] from the bottom and the sides of the box.
fn margins((w, h): (u32, u32)) -> PaddingSides {
    PaddingSides {
        top: Some(0.0),
        right: Some(MARGIN * f64::from(w)),
        bottom: Some(MARGIN * f64::from(h)),
        left: Some(MARGIN * f64::from(w)),
    }
}

fn style(line_height: f64) -> RichTextStyle {
    RichTextStyle {
        letter_spacing: None,
        word_spacing: None,
        line_height: Some(line_height),
        text_transform: None,
        text_decoration: None,
        gradient: None,
    }
}

/// `caption`: Open Sans 32 px white, line height 1.2, centred at the bottom; `margin.top`
/// moves the captions to the top, that far down; `margin.left`/`right` are fractions of the
/// box width; the background hugs the text (padding 10, radius 4, opacity 0.8 by default).
fn from_caption(a: &CaptionAsset, text: &str, box_size: (u32, u32)) -> RichTextAsset {
    let f = a.font.as_ref();
    let m = a.margin.as_ref();
    let (w, h) = (f64::from(box_size.0), f64::from(box_size.1));
    let frac = |v: Option<f64>| v.map(|v| v.clamp(0.0, 1.0));
    let top = frac(m.and_then(|m| m.top));
    let mut pad = margins(box_size);
    if let Some(l) = frac(m.and_then(|m| m.left)) {
        pad.left = Some(l * w);
    }
    if let Some(r) = frac(m.and_then(|m| m.right)) {
        pad.right = Some(r * w);
    }
    if let Some(t) = top {
        (pad.top, pad.bottom) = (Some(t * h), Some(0.0));
    }
    let stroke_width = f.and_then(|f| f.stroke_width).filter(|w| *w > 0.0);
    RichTextAsset {
        text: text.to_string(),
        font: Some(RichTextFont {
            family: Some(
                f.and_then(|f| f.family.clone())
                    .unwrap_or("Open Sans".into()),
            ),
            size: Some(crate::edit::FontSize::Px(
                f.and_then(|f| f.size).unwrap_or(32),
            )),
            min_size: None,
            weight: None,
            style: None,
            color: Some(f.and_then(|f| f.color.clone()).unwrap_or("#ffffff".into())),
            opacity: f.and_then(|f| f.opacity),
            background: None,
            stroke: None,
        }),
        style: Some(style(f.and_then(|f| f.line_height).unwrap_or(1.2))),
        stroke: stroke_width.map(|width| RichTextStroke {
            width: Some(width),
            color: Some(f.and_then(|f| f.stroke.clone()).unwrap_or("#000000".into())),
            opacity: None,
        }),
        shadow: None,
        background: a
            .background
            .as_ref()
            .filter(|b| b.color.is_some())
            .map(|b| RichTextBackground {
                color: b.color.clone(),
                opacity: Some(b.opacity.unwrap_or(0.8)),
                border_radius: Some(b.border_radius.unwrap_or(4) as f64),
                wrap: Some(true),
                padding: Some(b.padding.unwrap_or(10)),
            }),
        border: None,
        padding: Some(Padding::Sides(pad)),
        align: Some(RichTextAlignment {
            horizontal: Some(HorizontalAlign::Center),
            vertical: Some(if top.is_some() {
                RichVerticalAlign::Top
            } else {
                RichVerticalAlign::Bottom
            }),
        }),
        animation: None,
    }
}

/// `rich-caption`: Roboto 24 px white, weight 400, line height 1.2, centred at the bottom
/// inside the default margins (or the asset's `padding`); a `background` hugs the text unless
/// `wrap: false`; everything else as `rich-text`.
fn from_rich_caption(a: &RichCaptionAsset, text: &str, box_size: (u32, u32)) -> RichTextAsset {
    let f = a.font.as_ref();
    let st = a.style.as_ref();
    let size = f
        .and_then(|f| f.size)
        .or(st.and_then(|s| s.size).map(|s| s.round() as i64))
        .unwrap_or(24);
    let align = a.align.as_ref();
    RichTextAsset {
        text: text.to_string(),
        font: Some(RichTextFont {
            family: Some(f.and_then(|f| f.family.clone()).unwrap_or("Roboto".into())),
            size: Some(crate::edit::FontSize::Px(size)),
            min_size: None,
            weight: f.and_then(|f| f.weight.clone()),
            style: f.and_then(|f| f.style),
            color: Some(f.and_then(|f| f.color.clone()).unwrap_or("#ffffff".into())),
            opacity: f.and_then(|f| f.opacity),
            background: f.and_then(|f| f.background.clone()),
            stroke: None,
        }),
        style: Some(RichTextStyle {
            letter_spacing: st.and_then(|s| s.letter_spacing),
            text_transform: st.and_then(|s| s.text_transform),
            text_decoration: st.and_then(|s| s.text_decoration),
            gradient: st.and_then(|s| s.gradient.clone()),
            ..style(st.and_then(|s| s.line_height).unwrap_or(1.2))
        }),
        stroke: a.stroke.clone(),
        shadow: a.shadow.clone(),
        background: a.background.clone().map(|b| RichTextBackground {
            wrap: Some(b.wrap.unwrap_or(true)),
            ..b
        }),
        border: a.border.clone(),
        padding: Some(
            a.padding
                .clone()
                .unwrap_or(Padding::Sides(margins(box_size))),
        ),
        align: Some(RichTextAlignment {
            horizontal: Some(
                align
                    .and_then(|al| al.horizontal)
                    .unwrap_or(HorizontalAlign::Center),
            ),
            vertical: Some(
                align
                    .and_then(|al| al.vertical)
                    .unwrap_or(RichVerticalAlign::Bottom),
            ),
        }),
        animation: None,
    }
}

/// The look of one cue's timeline clip, cut from `base` (the whole caption clip's look, for a
/// clip of `length` seconds): tweens keep running on the caption clip's clock, the clip's
/// `in` transition plays only on a cue that starts with the clip and its `out` transition only
/// on a cue that ends with it. An `effect` runs over each cue's own time.
pub fn cue_visual(base: &Visual, w: &Window, length: f64) -> Visual {
    let mut v = base.clone();
    let by = w.start;
    v.scale = shift(&base.scale, by, 1.0);
    v.offset_x = shift(&base.offset_x, by, 0.0);
    v.offset_y = shift(&base.offset_y, by, 0.0);
    v.opacity = shift(&base.opacity, by, 1.0);
    v.transform.rotate = shift(&base.transform.rotate, by, 0.0);
    v.transform.skew_x = shift(&base.transform.skew_x, by, 0.0);
    v.transform.skew_y = shift(&base.transform.skew_y, by, 0.0);
    if w.start > MIN_WINDOW {
        v.transition_in = None;
    }
    if w.end < length - MIN_WINDOW {
        v.transition_out = None;
    }
    v
}

/// `anim` seen from `by` seconds into the clip.
fn shift(anim: &Anim, by: f64, neutral: f64) -> Anim {
    match anim {
        Anim::Tweens(tweens) if by > 0.0 => {
            // Before its first tween a value ramps from `neutral` at the clip start; a
            // zero-length tween holding `neutral` there keeps that ramp where it was.
            let hold = Tween {
                from: neutral,
                to: neutral,
                start: -by,
                length: 0.0,
                curve: Curve::Linear,
            };
            let moved = tweens.iter().map(|t| Tween {
                start: t.start - by,
                ..t.clone()
            });
            Anim::Tweens(std::iter::once(hold).chain(moved).collect())
        }
        _ => anim.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn caps(cues: &[(f64, f64, &str)], trim: f64, speed: f64) -> Captions {
        Captions {
            cues: cues
                .iter()
                .map(|&(start, end, text)| Cue {
                    start,
                    end,
                    text: text.into(),
                })
                .collect(),
            trim,
            speed,
        }
    }

    fn spans(ws: &[Window]) -> Vec<(f64, f64, &str)> {
        let r = |v: f64| (v * 1000.0).round() / 1000.0;
        ws.iter()
            .map(|w| (r(w.start), r(w.end), w.text.as_str()))
            .collect()
    }

    #[test]
    fn cues_are_cut_to_the_clip() {
        let c = caps(
            &[(0.5, 1.5, "a"), (2.0, 4.0, "b"), (5.0, 6.0, "c")],
            0.0,
            1.0,
        );
        assert_eq!(spans(&c.windows(3.0)), [(0.5, 1.5, "a"), (2.0, 3.0, "b")]);
        assert_eq!(c.auto_length(), Some(6.0));
    }

    #[test]
    fn trim_and_speed_map_file_time_to_clip_time() {
        let c = caps(
            &[(0.5, 1.5, "a"), (2.0, 4.0, "b"), (5.0, 6.0, "c")],
            1.0,
            2.0,
        );
        // Clip time = (file time − trim) / speed; `a` started before the clip.
        assert_eq!(
            spans(&c.windows(10.0)),
            [(0.0, 0.25, "a"), (0.5, 1.5, "b"), (2.0, 2.5, "c")]
        );
        assert_eq!(c.auto_length(), Some(2.5));
        let past = caps(&[(0.5, 1.5, "a")], 2.0, 1.0);
        assert_eq!(past.windows(3.0), []);
        assert_eq!(past.auto_length(), None);
    }

    #[test]
    fn paused_captions_hold_the_cue_at_trim() {
        let c = caps(&[(0.0, 1.0, "a"), (1.0, 2.0, "b")], 1.5, 0.0);
        assert_eq!(spans(&c.windows(4.0)), [(0.0, 4.0, "b")]);
        assert_eq!(c.auto_length(), None);
        assert_eq!(caps(&[(0.0, 1.0, "a")], 3.0, 0.0).windows(4.0), []);
    }

    #[test]
    fn overlapping_cues_take_turns() {
        let c = caps(
            &[
                (0.0, 2.0, "a"),
                (1.0, 3.0, "b"),
                (1.5, 1.8, "c"),
                (0.0, 1.0, "d"),
            ],
            0.0,
            1.0,
        );
        assert_eq!(spans(&c.windows(5.0)), [(0.0, 2.0, "a"), (2.0, 3.0, "b")]);
    }

    #[test]
    fn caption_styling_maps_to_rich_text() {
        let a: Asset = serde_json::from_value(json!({
            "type": "caption", "src": "a.srt",
            "font": {"family": "Montserrat", "size": 40, "color": "#ffff00", "lineHeight": 1.5,
                     "stroke": "#ff0000", "strokeWidth": 2},
            "background": {"color": "#000000"},
            "margin": {"top": 0.1, "left": 0.2}
        }))
        .unwrap();
        let got = serde_json::to_value(cue_asset(&a, "Hi", (200, 100))).unwrap();
        assert_eq!(
            got,
            json!({
                "type": "rich-text", "text": "Hi",
                "font": {"family": "Montserrat", "size": 40, "color": "#ffff00"},
                "style": {"lineHeight": 1.5},
                "stroke": {"width": 2.0, "color": "#ff0000"},
                "background": {"color": "#000000", "opacity": 0.8, "borderRadius": 4.0,
                               "wrap": true, "padding": 10},
                "padding": {"top": 10.0, "right": 10.0, "bottom": 0.0, "left": 40.0},
                "align": {"horizontal": "center", "vertical": "top"}
            })
        );
        let plain: Asset =
            serde_json::from_value(json!({"type": "caption", "src": "a.srt"})).unwrap();
        let got = serde_json::to_value(cue_asset(&plain, "Hi", (200, 100))).unwrap();
        assert_eq!(
            got["font"],
            json!({"family": "Open Sans", "size": 32, "color": "#ffffff"})
        );
        assert_eq!(got["align"]["vertical"], "bottom");
        assert_eq!(got["padding"]["bottom"], 5.0);
        assert!(got.get("background").is_none() && got.get("stroke").is_none());
    }

    #[test]
    fn rich_caption_styling_maps_to_rich_text() {
        let a: Asset = serde_json::from_value(json!({
            "type": "rich-caption", "src": "a.vtt",
            "font": {"weight": 700, "background": "#112233"},
            "style": {"textTransform": "uppercase", "size": 30},
            "background": {"color": "#000000"},
            "shadow": {"offsetX": 2},
            "align": {"vertical": "top"}
        }))
        .unwrap();
        let got = serde_json::to_value(cue_asset(&a, "Hi", (200, 100))).unwrap();
        assert_eq!(
            got["font"],
            json!({"family": "Roboto", "size": 30, "weight": 700.0, "color": "#ffffff",
                   "background": "#112233"})
        );
        assert_eq!(
            got["style"],
            json!({"lineHeight": 1.2, "textTransform": "uppercase"})
        );
        assert_eq!(got["background"]["wrap"], true);
        assert_eq!(got["shadow"]["offsetX"], 2.0);
        assert_eq!(
            got["align"],
            json!({"horizontal": "center", "vertical": "top"})
        );
        assert_eq!(got["padding"]["left"], 10.0);
    }

    #[test]
    fn rich_caption_animation_is_a_warning() {
        let a = |j| serde_json::from_value::<Asset>(j).unwrap();
        let w = unanimated(
            &a(json!({"type": "rich-caption", "src": "a.srt",
                      "animation": {"style": "pop"}, "active": {"font": {"color": "#ff0000"}}})),
            "/c",
        )
        .unwrap();
        assert_eq!(w.pointer, "/c/asset/animation");
        assert_eq!(
            w.diagnostic.message,
            "the `pop` word animation and `active` word styling are not drawn offline"
        );
        let none =
            a(json!({"type": "rich-caption", "src": "a.srt", "animation": {"style": "none"}}));
        assert!(unanimated(&none, "/c").is_none());
        let active = a(json!({"type": "rich-caption", "src": "a.srt", "active": {}}));
        assert_eq!(
            unanimated(&active, "/c").unwrap().pointer,
            "/c/asset/active"
        );
    }

    #[test]
    fn sources_to_transcribe_are_refused() {
        for src in ["alias://voice", "https://x.io/talk.MP4?sig=1", "speech.wav"] {
            let d = unsupported_src("rich-caption", src).unwrap();
            assert!(
                d.message.contains("needs a transcript"),
                "{src}: {}",
                d.message
            );
        }
        assert!(
            unsupported_src("caption", "a.ttml")
                .unwrap()
                .message
                .contains("TTML")
        );
        assert!(unsupported_src("caption", "https://x.io/a.srt?x=1").is_none());
        assert!(unsupported_src("caption", "subs").is_none());
    }

    #[test]
    fn cue_visuals_keep_the_clip_clock() {
        let base = Visual {
            opacity: Anim::Tweens(vec![Tween {
                from: 0.0,
                to: 1.0,
                start: 1.0,
                length: 2.0,
                curve: Curve::Linear,
            }]),
            transition_in: crate::render::timeline::Transition::parse("fade"),
            transition_out: crate::render::timeline::Transition::parse("fade"),
            ..Visual::default()
        };
        let w = |start: f64, end: f64| Window {
            start,
            end,
            text: String::new(),
        };
        let first = cue_visual(&base, &w(0.0, 2.0), 5.0);
        assert_eq!(first.opacity, base.opacity);
        assert!(first.transition_in.is_some() && first.transition_out.is_none());
        let last = cue_visual(&base, &w(2.0, 5.0), 5.0);
        assert!(last.transition_in.is_none() && last.transition_out.is_some());
        let Anim::Tweens(t) = &last.opacity else {
            panic!()
        };
        assert_eq!((t[0].start, t[0].length, t[0].to), (-2.0, 0.0, 1.0));
        assert_eq!((t[1].start, t[1].length), (-1.0, 2.0));
    }
}
