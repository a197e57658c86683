//! Sub-objects of the text-like assets: fonts, backgrounds, alignment, stroke, shadow, border,
//! padding, gradients and animations of `text`, `rich-text`, `caption` and `rich-caption`.

use serde::{Deserialize, Serialize};

/// `font.size` of `text` and `rich-text`: pixels, or `"auto"` (a reel extension).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FontSize {
    /// This many pixels.
    Px(i64),
    /// The largest size (down to `font.minSize`) at which the text fits its box.
    Auto,
}

impl FontSize {
    /// The size in pixels, `None` for `"auto"`.
    pub fn px(self) -> Option<i64> {
        match self {
            FontSize::Px(v) => Some(v),
            FontSize::Auto => None,
        }
    }
}

impl Serialize for FontSize {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            FontSize::Px(v) => s.serialize_i64(*v),
            FontSize::Auto => s.serialize_str("auto"),
        }
    }
}

impl<'de> Deserialize<'de> for FontSize {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(i64),
            Float(f64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Int(v) => Ok(FontSize::Px(v)),
            Raw::Float(v) => Ok(FontSize::Px(v.round() as i64)),
            Raw::Text(t) if t == "auto" => Ok(FontSize::Auto),
            Raw::Text(t) => Err(serde::de::Error::custom(format!(
                "expected a size in pixels or \"auto\", found \"{t}\""
            ))),
        }
    }
}

/// `font` of a `text` asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextFont {
    /// Family name ("Open Sans Bold").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Colour, `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Opacity 0–1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opacity: Option<f64>,
    /// Size in pixels, or `"auto"` (a reel extension: the largest size that fits the box).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<FontSize>,
    /// Smallest size `"auto"` may shrink to (a reel extension; default 12).
    #[serde(rename = "minSize", default, skip_serializing_if = "Option::is_none")]
    pub min_size: Option<f64>,
    /// Weight (100–900).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
    /// Line height multiplier.
    #[serde(
        rename = "lineHeight",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub line_height: Option<f64>,
}

/// `background` of a `text` asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextBackground {
    /// Colour, `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Opacity 0–1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opacity: Option<f64>,
    /// Padding in pixels (0–100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub padding: Option<f64>,
    /// Corner radius in pixels.
    #[serde(
        rename = "borderRadius",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub border_radius: Option<f64>,
    /// Fit the background to the text instead of the box.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrap: Option<bool>,
}

/// `alignment` of a `text` asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextAlignment {
    /// Horizontal alignment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub horizontal: Option<HorizontalAlign>,
    /// Vertical alignment (`top`, `center`, `bottom`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vertical: Option<VerticalAlign>,
}

/// `stroke` of a `text` asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextStroke {
    /// Width in pixels (0–10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<f64>,
    /// Colour, `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
}

/// `animation` of a `text` asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextAnimation {
    /// The animation.
    pub preset: TextAnimationPreset,
    /// Seconds (0.1–30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<f64>,
}

/// A font weight: Shotstack accepts numbers (`600`) and strings (`"600"`, its own default is
/// `"400"`), so both are kept as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FontWeight {
    /// `600`.
    Number(f64),
    /// `"600"`, `"bold"`.
    Text(String),
}

impl FontWeight {
    /// The numeric weight: numbers as is, numeric strings parsed, `normal` = 400,
    /// `bold` = 700; `None` for anything else.
    pub fn value(&self) -> Option<f64> {
        match self {
            FontWeight::Number(n) => Some(*n),
            FontWeight::Text(s) => match s.trim() {
                "normal" => Some(400.0),
                "bold" => Some(700.0),
                t => t.parse().ok(),
            },
        }
    }
}

/// `font` of a `rich-text` asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RichTextFont {
    /// Family name (default "Open Sans").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Size in pixels (1–500, default 24), or `"auto"` (a reel extension: the largest size
    /// that fits the box).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<FontSize>,
    /// Smallest size `"auto"` may shrink to (a reel extension; default 12).
    #[serde(rename = "minSize", default, skip_serializing_if = "Option::is_none")]
    pub min_size: Option<f64>,
    /// Weight (default "400").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<FontWeight>,
    /// Normal or italic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<FontStyle>,
    /// Colour, `#rrggbb` (default black).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Opacity 0–1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opacity: Option<f64>,
    /// Highlight colour behind the glyphs, `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background: Option<String>,
    /// Glyph outline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stroke: Option<RichTextStroke>,
}

/// `style` of a `rich-text` asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RichTextStyle {
    /// Extra space between letters, in pixels.
    #[serde(
        rename = "letterSpacing",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub letter_spacing: Option<f64>,
    /// Extra space between words, in pixels.
    #[serde(
        rename = "wordSpacing",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub word_spacing: Option<f64>,
    /// Line height multiplier (0–10, default 1.2).
    #[serde(
        rename = "lineHeight",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub line_height: Option<f64>,
    /// Case change.
    #[serde(
        rename = "textTransform",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub text_transform: Option<TextTransform>,
    /// Underline or strike-through.
    #[serde(
        rename = "textDecoration",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub text_decoration: Option<TextDecoration>,
    /// Gradient fill of the glyphs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gradient: Option<Gradient>,
}

/// A linear or radial gradient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gradient {
    /// Linear (default) or radial.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<GradientType>,
    /// Angle in degrees (0–360) of a linear gradient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub angle: Option<f64>,
    /// At least two colour stops.
    pub stops: Vec<GradientStop>,
}

/// One colour stop of a [`Gradient`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradientStop {
    /// Position 0–1.
    pub offset: f64,
    /// Colour, `#rrggbb`.
    pub color: String,
}

/// Outline of glyphs (rich-text, rich-caption).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RichTextStroke {
    /// Width in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<f64>,
    /// Colour, `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Opacity 0–1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opacity: Option<f64>,
}

/// Drop shadow of glyphs (rich-text, rich-caption).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RichTextShadow {
    /// Horizontal offset in pixels.
    #[serde(rename = "offsetX", default, skip_serializing_if = "Option::is_none")]
    pub offset_x: Option<f64>,
    /// Vertical offset in pixels.
    #[serde(rename = "offsetY", default, skip_serializing_if = "Option::is_none")]
    pub offset_y: Option<f64>,
    /// Blur radius in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blur: Option<f64>,
    /// Colour, `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Opacity 0–1 (default 0.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opacity: Option<f64>,
}

/// Background box of rich text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RichTextBackground {
    /// Colour, `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Opacity 0–1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opacity: Option<f64>,
    /// Corner radius in pixels.
    #[serde(
        rename = "borderRadius",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub border_radius: Option<f64>,
    /// Fit the background to the text instead of the box.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrap: Option<bool>,
    /// Padding in pixels (0–200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub padding: Option<i64>,
}

/// Border around rich text's box.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RichTextBorder {
    /// Width in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<f64>,
    /// Colour, `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Opacity 0–1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opacity: Option<f64>,
    /// Corner radius in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub radius: Option<f64>,
}

/// Padding: one number for every side, or per side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Padding {
    /// The same padding on every side, in pixels.
    Uniform(f64),
    /// Per side.
    Sides(PaddingSides),
}

/// Per-side padding in pixels (each defaults to 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaddingSides {
    /// Top.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top: Option<f64>,
    /// Right.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right: Option<f64>,
    /// Bottom.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bottom: Option<f64>,
    /// Left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<f64>,
}

impl Padding {
    /// `[top, right, bottom, left]` in pixels.
    pub fn sides(&self) -> [f64; 4] {
        match self {
            Padding::Uniform(p) => [*p; 4],
            Padding::Sides(s) => [s.top, s.right, s.bottom, s.left].map(|v| v.unwrap_or(0.0)),
        }
    }
}

/// `align` of rich text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RichTextAlignment {
    /// Horizontal alignment (default center).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub horizontal: Option<HorizontalAlign>,
    /// Vertical alignment (`top`, `middle`, `bottom`; default middle).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vertical: Option<RichVerticalAlign>,
}

/// `animation` of rich text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RichTextAnimation {
    /// The animation.
    pub preset: RichTextAnimationPreset,
    /// Seconds (0.1–30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<f64>,
    /// Animate by character or by word.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<AnimationUnit>,
    /// Direction of movement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
}

/// `font` of a `caption` asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptionFont {
    /// Family name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Opacity 0–1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opacity: Option<f64>,
    /// Size in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    /// Line height multiplier.
    #[serde(
        rename = "lineHeight",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub line_height: Option<f64>,
    /// Outline colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stroke: Option<String>,
    /// Outline width in pixels.
    #[serde(
        rename = "strokeWidth",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stroke_width: Option<f64>,
}

/// `background` of a `caption` asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptionBackground {
    /// Colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Opacity 0–1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opacity: Option<f64>,
    /// Padding in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub padding: Option<i64>,
    /// Corner radius in pixels.
    #[serde(
        rename = "borderRadius",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub border_radius: Option<i64>,
}

/// `margin` of a `caption` asset (fractions of the canvas).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptionMargin {
    /// Top margin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top: Option<f64>,
    /// Left margin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<f64>,
    /// Right margin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right: Option<f64>,
}

/// `font` of a `rich-caption` asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RichCaptionFont {
    /// Family name (default "Roboto").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Size in pixels (1–500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    /// Weight (default "400").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<FontWeight>,
    /// Normal or italic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<FontStyle>,
    /// Colour, `#rrggbb` (default white).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Opacity 0–1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opacity: Option<f64>,
    /// Highlight colour, `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background: Option<String>,
}

/// `style` of a `rich-caption` asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RichCaptionStyle {
    /// Extra space between letters, in pixels.
    #[serde(
        rename = "letterSpacing",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub letter_spacing: Option<f64>,
    /// Line height multiplier (0–10).
    #[serde(
        rename = "lineHeight",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub line_height: Option<f64>,
    /// Case change.
    #[serde(
        rename = "textTransform",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub text_transform: Option<TextTransform>,
    /// Size in pixels (1–500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<f64>,
    /// Underline or strike-through.
    #[serde(
        rename = "textDecoration",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub text_decoration: Option<TextDecoration>,
    /// Gradient fill.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gradient: Option<Gradient>,
}

/// Styling of the word being spoken in a rich caption.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RichCaptionActive {
    /// Font of the active word.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub font: Option<RichCaptionActiveFont>,
    /// Outline of the active word, or `"none"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stroke: Option<super::OrNone<RichTextStroke>>,
    /// Shadow of the active word, or `"none"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shadow: Option<super::OrNone<RichTextShadow>>,
}

/// Font of the active word in a rich caption.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RichCaptionActiveFont {
    /// Family name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<FontWeight>,
    /// Colour, `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Highlight colour, `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background: Option<String>,
    /// Opacity 0–1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opacity: Option<f64>,
    /// Size in pixels (1–500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<f64>,
    /// Underline or strike-through.
    #[serde(
        rename = "textDecoration",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub text_decoration: Option<TextDecoration>,
}

/// `animation` of a rich caption.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RichCaptionAnimation {
    /// The word animation.
    pub style: CaptionAnimationStyle,
    /// Direction of movement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
}

str_enum! {
    /// Horizontal text alignment.
    HorizontalAlign { Left = "left", Center = "center", Right = "right" }
}

str_enum! {
    /// Vertical alignment of `text` assets.
    VerticalAlign { Top = "top", Center = "center", Bottom = "bottom" }
}

str_enum! {
    /// Vertical alignment of rich text.
    RichVerticalAlign { Top = "top", Middle = "middle", Bottom = "bottom" }
}

str_enum! {
    /// `text.animation.preset`.
    TextAnimationPreset { Typewriter = "typewriter" }
}

str_enum! {
    /// `rich-text.animation.preset`.
    RichTextAnimationPreset {
        FadeIn = "fadeIn", SlideIn = "slideIn", Typewriter = "typewriter", Ascend = "ascend",
        Shift = "shift", MovingLetters = "movingLetters",
    }
}

str_enum! {
    /// Animate rich text by character or word.
    AnimationUnit { Character = "character", Word = "word" }
}

str_enum! {
    /// Direction of an animation.
    Direction { Left = "left", Right = "right", Up = "up", Down = "down" }
}

str_enum! {
    /// Font style.
    FontStyle { Normal = "normal", Italic = "italic" }
}

str_enum! {
    /// `textTransform`.
    TextTransform {
        None = "none", Uppercase = "uppercase", Lowercase = "lowercase",
        Capitalize = "capitalize",
    }
}

str_enum! {
    /// `textDecoration`.
    TextDecoration { None = "none", Underline = "underline", LineThrough = "line-through" }
}

str_enum! {
    /// Gradient kind.
    GradientType { Linear = "linear", Radial = "radial" }
}

str_enum! {
    /// `rich-caption.animation.style`.
    CaptionAnimationStyle {
        Karaoke = "karaoke", Highlight = "highlight", Pop = "pop", Fade = "fade",
        Slide = "slide", Bounce = "bounce", Typewriter = "typewriter", None = "none",
    }
}
