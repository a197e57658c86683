//! The typed serde model of a Shotstack Edit (schema v1.18.3).
//!
//! Mirrors `src/edit/schema.json` one type per schema definition: [`Edit`] at the root, then
//! [`Timeline`], [`Track`], [`Clip`], [`Output`] and the 16 [`Asset`] kinds. Property names are
//! Shotstack's (camelCase in JSON); enum values are Rust enums spelled exactly as in the schema.
//! Every struct denies unknown fields, so nothing is silently dropped; user-facing errors about
//! unknown keys come from [`crate::edit::validate`], which runs before deserialising.
//! This module does not validate ranges or patterns (that is `validate`'s job).

#[macro_use]
mod macros;
mod asset;
mod clip;
mod output;
mod text;

pub use asset::*;
pub use clip::*;
pub use output::*;
pub use text::*;

use serde::{Deserialize, Serialize};

/// A whole Edit: what to render (`timeline`) and how (`output`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edit {
    /// The tracks, clips, soundtrack, background and fonts.
    pub timeline: Timeline,
    /// Format, size, frame rate and destinations of the render.
    pub output: Output,
    /// Merge fields (`{{ NAME }}` → value), kept for Shotstack's Templates API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge: Option<Vec<MergeField>>,
    /// Webhook URL (ignored by local renders, kept for round trips).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<String>,
    /// Deprecated disk type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk: Option<Disk>,
    /// Render instance type (ignored locally).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<Instance>,
}

impl Edit {
    /// Every clip with its track and clip index, top track first.
    pub fn clips(&self) -> impl Iterator<Item = (usize, usize, &Clip)> {
        self.timeline
            .tracks
            .iter()
            .enumerate()
            .flat_map(|(t, track)| {
                track
                    .clips
                    .iter()
                    .enumerate()
                    .map(move |(c, clip)| (t, c, clip))
            })
    }
}

/// One find/replace pair of the `merge` array.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeField {
    /// Placeholder name, without braces.
    pub find: String,
    /// Replacement value, of any JSON type.
    pub replace: serde_json::Value,
}

/// The timeline: layers of clips plus global audio, background and fonts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timeline {
    /// Background music for the whole timeline (deprecated in favour of audio clips).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soundtrack: Option<Soundtrack>,
    /// Canvas colour, `#rrggbb` (or `#rrggbbaa`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background: Option<String>,
    /// Font files to make available by family name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fonts: Option<Vec<Font>>,
    /// Tracks, first = top layer.
    pub tracks: Vec<Track>,
    /// Whether Shotstack may cache assets (ignored locally).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<bool>,
}

/// One layer of clips.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Track {
    /// The clips, in any order.
    pub clips: Vec<Clip>,
}

/// Timeline-wide background audio.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Soundtrack {
    /// Audio file path or URL.
    pub src: String,
    /// Fade in/out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<SoundtrackEffect>,
    /// Volume multiplier (1 = unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<f64>,
}

/// A font file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Font {
    /// Font file path or URL (TTF/OTF).
    pub src: String,
}

str_enum! {
    /// `edit.disk` (deprecated, no effect).
    Disk { Local = "local", Mount = "mount" }
}

str_enum! {
    /// `edit.instance`.
    Instance { S1 = "s1", S2 = "s2", A1 = "a1" }
}

str_enum! {
    /// `timeline.soundtrack.effect`.
    SoundtrackEffect { FadeIn = "fadeIn", FadeOut = "fadeOut", FadeInFadeOut = "fadeInFadeOut" }
}

str_enum! {
    /// Fade applied to an asset's audio (`volumeEffect` of video, `effect` of audio and
    /// text-to-speech).
    VolumeEffect {
        None = "none", FadeIn = "fadeIn", FadeOut = "fadeOut", FadeInFadeOut = "fadeInFadeOut"
    }
}

str_enum! {
    /// The keyword `none`, where a property takes either an object or `"none"`.
    NoneKeyword { None = "none" }
}

/// An object, or the string `"none"` to switch a default off (rich-caption `active.stroke`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OrNone<T> {
    /// `"none"`.
    None(NoneKeyword),
    /// The object.
    Some(T),
}
