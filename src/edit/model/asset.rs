//! The 16 asset kinds, tagged by `type`, and their shape sub-objects.

use serde::{Deserialize, Serialize};

use super::text::*;
use super::{Crop, NumberOrTweens, Offset, Position, VolumeEffect};
use crate::edit::model::ChromaKey;

/// What a clip shows or plays, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Asset {
    /// `video`: a video file.
    #[serde(rename = "video")]
    Video(VideoAsset),
    /// `image`: a still image.
    #[serde(rename = "image")]
    Image(ImageAsset),
    /// `text`: simple styled text.
    #[serde(rename = "text")]
    Text(TextAsset),
    /// `rich-text`: text with fonts, gradients, shadows and animations.
    #[serde(rename = "rich-text")]
    RichText(RichTextAsset),
    /// `audio`: an audio file.
    #[serde(rename = "audio")]
    Audio(AudioAsset),
    /// `luma`: a greyscale matte for the clip below.
    #[serde(rename = "luma")]
    Luma(LumaAsset),
    /// `caption`: subtitles from an SRT/VTT file.
    #[serde(rename = "caption")]
    Caption(CaptionAsset),
    /// `rich-caption`: word-by-word animated captions.
    #[serde(rename = "rich-caption")]
    RichCaption(RichCaptionAsset),
    /// `html`: HTML and CSS (deprecated).
    #[serde(rename = "html")]
    Html(HtmlAsset),
    /// `html5`: HTML, CSS and JavaScript.
    #[serde(rename = "html5")]
    Html5(Html5Asset),
    /// `title`: preset title styles (deprecated).
    #[serde(rename = "title")]
    Title(TitleAsset),
    /// `shape`: rectangle, circle or line.
    #[serde(rename = "shape")]
    Shape(ShapeAsset),
    /// `svg`: inline SVG markup.
    #[serde(rename = "svg")]
    Svg(SvgAsset),
    /// `text-to-image`: AI-generated image.
    #[serde(rename = "text-to-image")]
    TextToImage(TextToImageAsset),
    /// `image-to-video`: AI-generated video from an image.
    #[serde(rename = "image-to-video")]
    ImageToVideo(ImageToVideoAsset),
    /// `text-to-speech`: AI-generated voice.
    #[serde(rename = "text-to-speech")]
    TextToSpeech(TextToSpeechAsset),
}

impl Asset {
    /// Every `type` value, in schema order.
    pub const KINDS: &'static [&'static str] = &[
        "video",
        "image",
        "text",
        "rich-text",
        "audio",
        "luma",
        "caption",
        "rich-caption",
        "html",
        "html5",
        "title",
        "shape",
        "svg",
        "text-to-image",
        "image-to-video",
        "text-to-speech",
    ];

    /// The `type` value (`"rich-text"`).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Asset::Video(_) => "video",
            Asset::Image(_) => "image",
            Asset::Text(_) => "text",
            Asset::RichText(_) => "rich-text",
            Asset::Audio(_) => "audio",
            Asset::Luma(_) => "luma",
            Asset::Caption(_) => "caption",
            Asset::RichCaption(_) => "rich-caption",
            Asset::Html(_) => "html",
            Asset::Html5(_) => "html5",
            Asset::Title(_) => "title",
            Asset::Shape(_) => "shape",
            Asset::Svg(_) => "svg",
            Asset::TextToImage(_) => "text-to-image",
            Asset::ImageToVideo(_) => "image-to-video",
            Asset::TextToSpeech(_) => "text-to-speech",
        }
    }

    /// The media file path or URL this asset reads (video, image, audio, luma, caption,
    /// rich-caption, image-to-video). Not svg, whose `src` is inline markup.
    pub fn src(&self) -> Option<&str> {
        match self {
            Asset::Video(a) => a.src.as_deref(),
            Asset::Image(a) => a.src.as_deref(),
            Asset::Audio(a) => a.src.as_deref(),
            Asset::Luma(a) => Some(&a.src),
            Asset::Caption(a) => Some(&a.src),
            Asset::RichCaption(a) => Some(&a.src),
            Asset::ImageToVideo(a) => Some(&a.src),
            _ => None,
        }
    }

    /// Seconds skipped at the start of the media (video, audio, luma, caption, text-to-speech).
    pub fn trim(&self) -> Option<f64> {
        match self {
            Asset::Video(a) => a.trim,
            Asset::Audio(a) => a.trim,
            Asset::Luma(a) => a.trim,
            Asset::Caption(a) => a.trim,
            Asset::TextToSpeech(a) => a.trim,
            _ => None,
        }
    }

    /// Playback speed multiplier, where the asset has one.
    pub fn speed(&self) -> Option<f64> {
        match self {
            Asset::Video(a) => a.speed,
            Asset::Audio(a) => a.speed,
            Asset::Caption(a) => a.speed,
            Asset::ImageToVideo(a) => a.speed,
            Asset::TextToSpeech(a) => a.speed,
            _ => None,
        }
    }

    /// Volume (number or tweens), where the asset has audio.
    pub fn volume(&self) -> Option<&NumberOrTweens> {
        match self {
            Asset::Video(a) => a.volume.as_ref(),
            Asset::Audio(a) => a.volume.as_ref(),
            Asset::TextToSpeech(a) => a.volume.as_ref(),
            _ => None,
        }
    }

    /// Crop, where the asset is a cropped picture.
    pub fn crop(&self) -> Option<&Crop> {
        match self {
            Asset::Video(a) => a.crop.as_ref(),
            Asset::Image(a) => a.crop.as_ref(),
            Asset::TextToImage(a) => a.crop.as_ref(),
            Asset::ImageToVideo(a) => a.crop.as_ref(),
            _ => None,
        }
    }

    /// Whether the asset is sound only (audio, text-to-speech).
    pub fn is_audio_only(&self) -> bool {
        matches!(self, Asset::Audio(_) | Asset::TextToSpeech(_))
    }
}

/// `video`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VideoAsset {
    /// File path or URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src: Option<String>,
    /// Generation prompt (AI video), instead of `src`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// Generation model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Generation options (passed through).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<serde_json::Map<String, serde_json::Value>>,
    /// Transcode before rendering (ignored locally).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcode: Option<bool>,
    /// Seconds skipped at the start of the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trim: Option<f64>,
    /// Volume 0–1, or tweens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<NumberOrTweens>,
    /// Audio fade.
    #[serde(
        rename = "volumeEffect",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub volume_effect: Option<VolumeEffect>,
    /// Playback speed (0–10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed: Option<f64>,
    /// Crop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crop: Option<Crop>,
    /// Green-screen keying.
    #[serde(rename = "chromaKey", default, skip_serializing_if = "Option::is_none")]
    pub chroma_key: Option<ChromaKey>,
}

/// `image`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageAsset {
    /// File path or URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src: Option<String>,
    /// Generation prompt (AI image), instead of `src`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// Generation model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Generation options (passed through).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<serde_json::Map<String, serde_json::Value>>,
    /// Crop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crop: Option<Crop>,
}

/// `text`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextAsset {
    /// The text.
    pub text: String,
    /// Box width in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<i64>,
    /// Box height in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<i64>,
    /// Font.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub font: Option<TextFont>,
    /// Background box.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background: Option<TextBackground>,
    /// Alignment in the box.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alignment: Option<TextAlignment>,
    /// Glyph outline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stroke: Option<TextStroke>,
    /// Typewriter animation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub animation: Option<TextAnimation>,
    /// Text appended when the text is cut to fit (e.g. `…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ellipsis: Option<String>,
}

/// `rich-text`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RichTextAsset {
    /// The text.
    pub text: String,
    /// Font.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub font: Option<RichTextFont>,
    /// Spacing, case, decoration, gradient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<RichTextStyle>,
    /// Glyph outline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stroke: Option<RichTextStroke>,
    /// Drop shadow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shadow: Option<RichTextShadow>,
    /// Background box.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background: Option<RichTextBackground>,
    /// Border of the box.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub border: Option<RichTextBorder>,
    /// Padding inside the box.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub padding: Option<Padding>,
    /// Alignment in the box.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub align: Option<RichTextAlignment>,
    /// Entrance animation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub animation: Option<RichTextAnimation>,
}

/// `audio`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudioAsset {
    /// File path or URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src: Option<String>,
    /// Generation prompt (AI audio), instead of `src`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// Generation model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Generation options (passed through).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<serde_json::Map<String, serde_json::Value>>,
    /// Seconds skipped at the start of the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trim: Option<f64>,
    /// Volume 0–1, or tweens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<NumberOrTweens>,
    /// Playback speed (0–10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed: Option<f64>,
    /// Fade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<VolumeEffect>,
}

/// `luma`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LumaAsset {
    /// Matte file path or URL (image or video).
    pub src: String,
    /// Seconds skipped at the start of the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trim: Option<f64>,
}

/// `caption`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptionAsset {
    /// SRT/VTT file path or URL, or `alias://NAME` of a clip to transcribe.
    pub src: String,
    /// Font.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub font: Option<CaptionFont>,
    /// Background box.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background: Option<CaptionBackground>,
    /// Margins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margin: Option<CaptionMargin>,
    /// Seconds skipped at the start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trim: Option<f64>,
    /// Speed (0–10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed: Option<f64>,
}

/// `rich-caption`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RichCaptionAsset {
    /// SRT/VTT file path or URL, or `alias://NAME` of a clip to transcribe.
    pub src: String,
    /// Font.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub font: Option<RichCaptionFont>,
    /// Spacing, case, decoration, gradient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<RichCaptionStyle>,
    /// Glyph outline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stroke: Option<RichTextStroke>,
    /// Drop shadow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shadow: Option<RichTextShadow>,
    /// Background box.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background: Option<RichTextBackground>,
    /// Border of the box.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub border: Option<RichTextBorder>,
    /// Padding inside the box.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub padding: Option<Padding>,
    /// Alignment in the box.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub align: Option<RichTextAlignment>,
    /// Styling of the word being spoken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<RichCaptionActive>,
    /// Word animation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub animation: Option<RichCaptionAnimation>,
}

/// `html` (deprecated).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HtmlAsset {
    /// HTML markup.
    pub html: String,
    /// CSS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub css: Option<String>,
    /// Viewport width in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<i64>,
    /// Viewport height in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<i64>,
    /// Background colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background: Option<String>,
    /// Placement of the content in the viewport.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
}

/// `html5`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Html5Asset {
    /// HTML markup.
    pub html: String,
    /// CSS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub css: Option<String>,
    /// JavaScript.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub js: Option<String>,
}

/// `title` (deprecated).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TitleAsset {
    /// The text.
    pub text: String,
    /// Preset style.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<TitleStyle>,
    /// Text colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Preset size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<TitleSize>,
    /// Background colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background: Option<String>,
    /// Anchor on the canvas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
    /// Shift from the anchor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<Offset>,
}

/// `shape`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShapeAsset {
    /// Which shape.
    pub shape: ShapeKind,
    /// Canvas width in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<i64>,
    /// Canvas height in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<i64>,
    /// Fill.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fill: Option<ShapeFill>,
    /// Outline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stroke: Option<ShapeStroke>,
    /// Rectangle dimensions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rectangle: Option<ShapeRectangle>,
    /// Circle dimensions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circle: Option<ShapeCircle>,
    /// Line dimensions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<ShapeLine>,
}

/// Fill of a shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShapeFill {
    /// Colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Opacity 0–1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opacity: Option<f64>,
}

/// Outline of a shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShapeStroke {
    /// Colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Width in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<f64>,
}

/// Rectangle dimensions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShapeRectangle {
    /// Width in pixels.
    pub width: i64,
    /// Height in pixels.
    pub height: i64,
    /// Corner radius in pixels.
    #[serde(
        rename = "cornerRadius",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub corner_radius: Option<i64>,
}

/// Circle dimensions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShapeCircle {
    /// Radius in pixels.
    pub radius: i64,
}

/// Line dimensions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShapeLine {
    /// Length in pixels.
    pub length: i64,
    /// Thickness in pixels.
    pub thickness: i64,
}

/// `svg`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SvgAsset {
    /// Inline SVG markup (not a path).
    pub src: String,
}

/// `text-to-image`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextToImageAsset {
    /// Image description.
    pub prompt: String,
    /// Width in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<i64>,
    /// Height in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<i64>,
    /// Crop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crop: Option<Crop>,
}

/// `image-to-video`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageToVideoAsset {
    /// Source image path or URL.
    pub src: String,
    /// Motion description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// Aspect ratio of the generated video.
    #[serde(
        rename = "aspectRatio",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub aspect_ratio: Option<GeneratedAspectRatio>,
    /// Playback speed (0–10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed: Option<f64>,
    /// Crop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crop: Option<Crop>,
}

/// `text-to-speech`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextToSpeechAsset {
    /// What to say.
    pub text: String,
    /// Voice name.
    pub voice: String,
    /// Language code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Newscaster style.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newscaster: Option<bool>,
    /// Seconds skipped at the start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trim: Option<f64>,
    /// Volume 0–1, or tweens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<NumberOrTweens>,
    /// Playback speed (0–10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed: Option<f64>,
    /// Fade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<VolumeEffect>,
}

str_enum! {
    /// `shape.shape`.
    ShapeKind { Rectangle = "rectangle", Circle = "circle", Line = "line" }
}

str_enum! {
    /// `title.style`.
    TitleStyle {
        Minimal = "minimal", Blockbuster = "blockbuster", Vogue = "vogue", Sketchy = "sketchy",
        Skinny = "skinny", Chunk = "chunk", ChunkLight = "chunkLight", Marker = "marker",
        Future = "future", Subtitle = "subtitle",
    }
}

str_enum! {
    /// `title.size`.
    TitleSize {
        XxSmall = "xx-small", XSmall = "x-small", Small = "small", Medium = "medium",
        Large = "large", XLarge = "x-large", XxLarge = "xx-large",
    }
}

str_enum! {
    /// `image-to-video.aspectRatio`.
    GeneratedAspectRatio {
        Square = "1:1", Classic = "4:3", Wide = "16:9", Vertical = "9:16", Portrait = "3:4",
        UltraWide = "21:9", UltraTall = "9:21",
    }
}
