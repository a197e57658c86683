//! Clips and what they share: timing ([`Start`], [`Length`]), placement, tweens, transitions,
//! transforms, crop and chroma key.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Asset;

/// One asset placed on a track for a span of time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clip {
    /// Optional identifier (kept for round trips).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// What the clip shows or plays.
    pub asset: Asset,
    /// When the clip starts on the timeline.
    pub start: Start,
    /// How long the clip lasts.
    pub length: Length,
    /// How the asset is fitted to the canvas (or to `width`×`height`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fit: Option<Fit>,
    /// Scale relative to the fitted size, or a tween of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<NumberOrTweens>,
    /// Bounding-box width in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<f64>,
    /// Bounding-box height in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<f64>,
    /// Anchor on the canvas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
    /// Shift from the anchor, as a fraction of the canvas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<Offset>,
    /// In and out transitions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transition: Option<Transition>,
    /// Motion effect (zoom, slide).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<Effect>,
    /// Colour filter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<Filter>,
    /// Opacity 0–1, or a tween of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opacity: Option<NumberOrTweens>,
    /// Rotation, skew and flip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transform: Option<Transformation>,
    /// Name other clips refer to with `alias://NAME`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
}

/// A clip's `start`: seconds, `"auto"` (after the previous clip of the track) or
/// `"alias://NAME"` (the start of the clip aliased `NAME`).
#[derive(Debug, Clone, PartialEq)]
pub enum Start {
    /// Seconds from the timeline start.
    Seconds(f64),
    /// `"auto"`.
    Auto,
    /// `"alias://NAME"`; holds `NAME`.
    Alias(String),
}

/// A clip's `length`: seconds, `"auto"` (the media's own length), `"end"` (until the timeline
/// ends) or `"alias://NAME"` (the length of the clip aliased `NAME`).
#[derive(Debug, Clone, PartialEq)]
pub enum Length {
    /// Seconds.
    Seconds(f64),
    /// `"auto"`.
    Auto,
    /// `"end"`.
    End,
    /// `"alias://NAME"`; holds `NAME`.
    Alias(String),
}

/// The prefix of smart-clip references.
pub const ALIAS_PREFIX: &str = "alias://";

impl Start {
    /// The seconds, when given as a number.
    pub fn seconds(&self) -> Option<f64> {
        match self {
            Start::Seconds(s) => Some(*s),
            _ => None,
        }
    }

    /// Parses the string forms (`auto`, `alias://NAME`).
    pub fn parse_keyword(s: &str) -> Option<Start> {
        match s {
            "auto" => Some(Start::Auto),
            _ => alias_name(s).map(|n| Start::Alias(n.to_string())),
        }
    }
}

impl Length {
    /// The seconds, when given as a number.
    pub fn seconds(&self) -> Option<f64> {
        match self {
            Length::Seconds(s) => Some(*s),
            _ => None,
        }
    }

    /// Parses the string forms (`auto`, `end`, `alias://NAME`).
    pub fn parse_keyword(s: &str) -> Option<Length> {
        match s {
            "auto" => Some(Length::Auto),
            "end" => Some(Length::End),
            _ => alias_name(s).map(|n| Length::Alias(n.to_string())),
        }
    }
}

/// `NAME` of `alias://NAME` when NAME is a valid alias (`[A-Za-z0-9_-]+`).
pub fn alias_name(s: &str) -> Option<&str> {
    s.strip_prefix(ALIAS_PREFIX).filter(|n| is_alias(n))
}

/// Whether `s` is a valid alias name: one or more of `A-Z a-z 0-9 _ -`.
pub fn is_alias(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl Serialize for Start {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Start::Seconds(v) => s.serialize_f64(*v),
            Start::Auto => s.serialize_str("auto"),
            Start::Alias(n) => s.collect_str(&format_args!("{ALIAS_PREFIX}{n}")),
        }
    }
}

impl Serialize for Length {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Length::Seconds(v) => s.serialize_f64(*v),
            Length::Auto => s.serialize_str("auto"),
            Length::End => s.serialize_str("end"),
            Length::Alias(n) => s.collect_str(&format_args!("{ALIAS_PREFIX}{n}")),
        }
    }
}

/// Visits a number or a keyword string; `T` says how to build itself from either.
struct TimeVisitor<T>(std::marker::PhantomData<T>, &'static str);

trait FromTime: Sized {
    fn from_seconds(s: f64) -> Self;
    fn from_keyword(s: &str) -> Option<Self>;
}

impl FromTime for Start {
    fn from_seconds(s: f64) -> Self {
        Start::Seconds(s)
    }
    fn from_keyword(s: &str) -> Option<Self> {
        Start::parse_keyword(s)
    }
}

impl FromTime for Length {
    fn from_seconds(s: f64) -> Self {
        Length::Seconds(s)
    }
    fn from_keyword(s: &str) -> Option<Self> {
        Length::parse_keyword(s)
    }
}

impl<T: FromTime> Visitor<'_> for TimeVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.1)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        Ok(T::from_seconds(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        Ok(T::from_seconds(v as f64))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        Ok(T::from_seconds(v as f64))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        T::from_keyword(v).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

impl<'de> Deserialize<'de> for Start {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TimeVisitor(
            std::marker::PhantomData,
            "seconds, `auto` or `alias://NAME`",
        ))
    }
}

impl<'de> Deserialize<'de> for Length {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TimeVisitor(
            std::marker::PhantomData,
            "seconds, `auto`, `end` or `alias://NAME`",
        ))
    }
}

/// A number, or keyframes that animate it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum NumberOrTweens {
    /// A constant.
    Number(f64),
    /// Keyframes, in order.
    Tweens(Vec<Tween>),
}

impl NumberOrTweens {
    /// The constant, if not animated.
    pub fn number(&self) -> Option<f64> {
        match self {
            NumberOrTweens::Number(n) => Some(*n),
            NumberOrTweens::Tweens(_) => None,
        }
    }
}

/// One keyframe segment: `from` → `to` over `length` seconds from `start` (clip-relative).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tween {
    /// Value at the segment start (usually a number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<serde_json::Value>,
    /// Value at the segment end (usually a number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<serde_json::Value>,
    /// Segment start, seconds from the clip start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<f64>,
    /// Segment length in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<f64>,
    /// Interpolation between `from` and `to`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpolation: Option<Interpolation>,
    /// Easing curve (with `bezier` interpolation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub easing: Option<Easing>,
}

impl Tween {
    /// `from` as a number, if it is one or a string holding one (a data cell: the schema
    /// allows any value here, so validation does not coerce it).
    pub fn from_number(&self) -> Option<f64> {
        self.from.as_ref().and_then(tween_number)
    }

    /// `to` as a number, read as [`Tween::from_number`] reads `from`.
    pub fn to_number(&self) -> Option<f64> {
        self.to.as_ref().and_then(tween_number)
    }
}

/// A tween value as a number: a JSON number, or a string that parses as a finite one.
fn tween_number(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::String(s) => s.trim().parse().ok().filter(|n: &f64| n.is_finite()),
        other => other.as_f64(),
    }
}

/// Shift from the anchor position, as a fraction of the canvas (`-10..10`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offset {
    /// Horizontal shift (positive = right).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<NumberOrTweens>,
    /// Vertical shift (positive = up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<NumberOrTweens>,
}

/// In and out transitions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    /// Transition at the clip start.
    #[serde(rename = "in", default, skip_serializing_if = "Option::is_none")]
    pub in_: Option<TransitionKind>,
    /// Transition at the clip end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out: Option<TransitionKind>,
}

/// Rotation, skew and flip of a clip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transformation {
    /// Rotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotate: Option<Rotate>,
    /// Skew.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skew: Option<Skew>,
    /// Mirroring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flip: Option<Flip>,
}

/// Rotation in degrees (`-360..360`), clockwise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rotate {
    /// Angle in degrees, or a tween of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub angle: Option<NumberOrTweens>,
}

/// Skew factors (`-100..100`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Skew {
    /// Horizontal skew.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<NumberOrTweens>,
    /// Vertical skew.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<NumberOrTweens>,
}

/// Mirroring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flip {
    /// Mirror left-right.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub horizontal: Option<bool>,
    /// Mirror top-bottom.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vertical: Option<bool>,
}

/// Fractions (0–1) cut from each side of a visual asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Crop {
    /// Cut from the top.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top: Option<f64>,
    /// Cut from the bottom.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bottom: Option<f64>,
    /// Cut from the left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<f64>,
    /// Cut from the right.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right: Option<f64>,
}

/// Green-screen keying of a video.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChromaKey {
    /// Key colour, `#rrggbb`.
    pub color: String,
    /// Colour distance keyed out (0–250).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<i64>,
    /// Soft edge width (0–250).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub halo: Option<i64>,
}

str_enum! {
    /// `clip.fit`.
    Fit { Cover = "cover", Contain = "contain", Crop = "crop", None = "none" }
}

str_enum! {
    /// `clip.position` (also html and title `position`).
    Position {
        Top = "top", TopRight = "topRight", Right = "right", BottomRight = "bottomRight",
        Bottom = "bottom", BottomLeft = "bottomLeft", Left = "left", TopLeft = "topLeft",
        Center = "center",
    }
}

str_enum! {
    /// `clip.effect`.
    Effect {
        ZoomIn = "zoomIn", ZoomInSlow = "zoomInSlow", ZoomInFast = "zoomInFast",
        ZoomOut = "zoomOut", ZoomOutSlow = "zoomOutSlow", ZoomOutFast = "zoomOutFast",
        SlideLeft = "slideLeft", SlideLeftSlow = "slideLeftSlow", SlideLeftFast = "slideLeftFast",
        SlideRight = "slideRight", SlideRightSlow = "slideRightSlow",
        SlideRightFast = "slideRightFast",
        SlideUp = "slideUp", SlideUpSlow = "slideUpSlow", SlideUpFast = "slideUpFast",
        SlideDown = "slideDown", SlideDownSlow = "slideDownSlow", SlideDownFast = "slideDownFast",
    }
}

str_enum! {
    /// `clip.filter`.
    Filter {
        None = "none", Blur = "blur", Boost = "boost", Contrast = "contrast", Darken = "darken",
        Greyscale = "greyscale", Lighten = "lighten", Muted = "muted", Negative = "negative",
    }
}

str_enum! {
    /// `transition.in` / `transition.out`.
    TransitionKind {
        None = "none", Fade = "fade", FadeSlow = "fadeSlow", FadeFast = "fadeFast",
        Reveal = "reveal", RevealSlow = "revealSlow", RevealFast = "revealFast",
        WipeLeft = "wipeLeft", WipeLeftSlow = "wipeLeftSlow", WipeLeftFast = "wipeLeftFast",
        WipeRight = "wipeRight", WipeRightSlow = "wipeRightSlow", WipeRightFast = "wipeRightFast",
        SlideLeft = "slideLeft", SlideLeftSlow = "slideLeftSlow", SlideLeftFast = "slideLeftFast",
        SlideRight = "slideRight", SlideRightSlow = "slideRightSlow",
        SlideRightFast = "slideRightFast",
        SlideUp = "slideUp", SlideUpSlow = "slideUpSlow", SlideUpFast = "slideUpFast",
        SlideDown = "slideDown", SlideDownSlow = "slideDownSlow", SlideDownFast = "slideDownFast",
        CarouselLeft = "carouselLeft", CarouselLeftSlow = "carouselLeftSlow",
        CarouselLeftFast = "carouselLeftFast",
        CarouselRight = "carouselRight", CarouselRightSlow = "carouselRightSlow",
        CarouselRightFast = "carouselRightFast",
        CarouselUp = "carouselUp", CarouselUpSlow = "carouselUpSlow",
        CarouselUpFast = "carouselUpFast",
        CarouselDown = "carouselDown", CarouselDownSlow = "carouselDownSlow",
        CarouselDownFast = "carouselDownFast",
        ShuffleTopRight = "shuffleTopRight", ShuffleTopRightSlow = "shuffleTopRightSlow",
        ShuffleTopRightFast = "shuffleTopRightFast",
        ShuffleRightTop = "shuffleRightTop", ShuffleRightTopSlow = "shuffleRightTopSlow",
        ShuffleRightTopFast = "shuffleRightTopFast",
        ShuffleRightBottom = "shuffleRightBottom", ShuffleRightBottomSlow = "shuffleRightBottomSlow",
        ShuffleRightBottomFast = "shuffleRightBottomFast",
        ShuffleBottomRight = "shuffleBottomRight", ShuffleBottomRightSlow = "shuffleBottomRightSlow",
        ShuffleBottomRightFast = "shuffleBottomRightFast",
        ShuffleBottomLeft = "shuffleBottomLeft", ShuffleBottomLeftSlow = "shuffleBottomLeftSlow",
        ShuffleBottomLeftFast = "shuffleBottomLeftFast",
        ShuffleLeftBottom = "shuffleLeftBottom", ShuffleLeftBottomSlow = "shuffleLeftBottomSlow",
        ShuffleLeftBottomFast = "shuffleLeftBottomFast",
        ShuffleLeftTop = "shuffleLeftTop", ShuffleLeftTopSlow = "shuffleLeftTopSlow",
        ShuffleLeftTopFast = "shuffleLeftTopFast",
        ShuffleTopLeft = "shuffleTopLeft", ShuffleTopLeftSlow = "shuffleTopLeftSlow",
        ShuffleTopLeftFast = "shuffleTopLeftFast",
        Zoom = "zoom",
    }
}

str_enum! {
    /// `tween.interpolation`.
    Interpolation { Linear = "linear", Bezier = "bezier", Constant = "constant" }
}

str_enum! {
    /// `tween.easing`.
    Easing {
        Ease = "ease", EaseIn = "easeIn", EaseOut = "easeOut", EaseInOut = "easeInOut",
        EaseInQuad = "easeInQuad", EaseInCubic = "easeInCubic", EaseInQuart = "easeInQuart",
        EaseInQuint = "easeInQuint", EaseInSine = "easeInSine", EaseInExpo = "easeInExpo",
        EaseInCirc = "easeInCirc", EaseInBack = "easeInBack",
        EaseOutQuad = "easeOutQuad", EaseOutCubic = "easeOutCubic", EaseOutQuart = "easeOutQuart",
        EaseOutQuint = "easeOutQuint", EaseOutSine = "easeOutSine", EaseOutExpo = "easeOutExpo",
        EaseOutCirc = "easeOutCirc", EaseOutBack = "easeOutBack",
        EaseInOutQuad = "easeInOutQuad", EaseInOutCubic = "easeInOutCubic",
        EaseInOutQuart = "easeInOutQuart", EaseInOutQuint = "easeInOutQuint",
        EaseInOutSine = "easeInOutSine", EaseInOutExpo = "easeInOutExpo",
        EaseInOutCirc = "easeInOutCirc", EaseInOutBack = "easeInOutBack",
    }
}
