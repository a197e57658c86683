//! `output`: format, size, frame rate, quality, range, poster, thumbnail, destinations.

use serde::{Deserialize, Serialize};

/// How the timeline is rendered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Output {
    /// Container / image format.
    pub format: Format,
    /// Preset canvas size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
    /// Canvas aspect ratio, applied to `resolution`.
    #[serde(
        rename = "aspectRatio",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub aspect_ratio: Option<AspectRatio>,
    /// Custom canvas size (overrides `resolution`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<Size>,
    /// Frames per second; one of [`FPS_VALUES`] (checked by validation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fps: Option<f64>,
    /// Scale the render down (or up) to this preset after composing.
    #[serde(rename = "scaleTo", default, skip_serializing_if = "Option::is_none")]
    pub scale_to: Option<Resolution>,
    /// Encoding quality.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<Quality>,
    /// Loop a gif forever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat: Option<bool>,
    /// Drop the audio track.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mute: Option<bool>,
    /// Render only part of the timeline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<Range>,
    /// Also render a poster image at a time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poster: Option<Poster>,
    /// Also render a scaled thumbnail at a time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<Thumbnail>,
    /// Hosting destinations (passed through; unused locally).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destinations: Option<Vec<serde_json::Value>>,
}

/// The frame rates Shotstack accepts for `output.fps`.
pub const FPS_VALUES: &[f64] = &[
    12.0, 15.0, 23.976, 24.0, 25.0, 29.97, 30.0, 48.0, 50.0, 59.94, 60.0,
];

/// A custom canvas size in pixels (1–4096, both even for video).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Size {
    /// Width in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Height in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

/// Part of the timeline to render.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    /// First second rendered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<f64>,
    /// Seconds rendered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<f64>,
}

/// A poster frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Poster {
    /// Time of the frame, in seconds.
    pub capture: f64,
}

/// A thumbnail frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thumbnail {
    /// Time of the frame, in seconds.
    pub capture: f64,
    /// Size relative to the output (0–1).
    pub scale: f64,
}

str_enum! {
    /// `output.format`. `webm` is a reel extension (Shotstack's API rejects it).
    Format {
        Mp4 = "mp4", Gif = "gif", Mp3 = "mp3", Jpg = "jpg", Png = "png", Bmp = "bmp",
        Webm = "webm",
    }
}

str_enum! {
    /// `output.resolution` and `output.scaleTo`.
    Resolution {
        Preview = "preview", Mobile = "mobile", Sd = "sd", Hd = "hd", P1080 = "1080",
        Uhd4k = "4k",
    }
}

str_enum! {
    /// `output.aspectRatio`.
    AspectRatio {
        Wide = "16:9", Vertical = "9:16", Square = "1:1", Portrait = "4:5", Classic = "4:3",
    }
}

str_enum! {
    /// `output.quality`.
    Quality {
        VeryLow = "verylow", Low = "low", Medium = "medium", High = "high",
        VeryHigh = "veryhigh",
    }
}

impl Format {
    /// Whether the output is a single still image (jpg, png, bmp).
    pub fn is_image(self) -> bool {
        matches!(self, Format::Jpg | Format::Png | Format::Bmp)
    }
}
