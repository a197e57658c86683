//! Text warnings for `reel check`: every `text` and `rich-text` clip of a row laid out against
//! its box with the render's fonts, its warnings (missing glyphs, fallbacks, overflow)
//! labelled with the clip and the data cell the text came from.

use crate::diagnostics::Diagnostic;
use crate::edit::{Asset, Edit, Origins};
use crate::render::raster::{self, Fonts};

use super::lower;

/// Warnings already found for a text clip (its asset, box and canvas), so clips whose text does
/// not change from row to row are laid out once per batch.
pub type Memo = std::collections::HashMap<String, Vec<Diagnostic>>;

/// The text warnings of one row's Edit. Clips with invalid geometry are skipped (validation
/// reports those).
pub fn check_text(
    edit: &Edit,
    origins: Option<&Origins>,
    fonts: &Fonts,
    memo: &mut Memo,
) -> Vec<Diagnostic> {
    let Ok(canvas) = lower::canvas(&edit.output) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (t, track) in edit.timeline.tracks.iter().enumerate() {
        for (c, clip) in track.clips.iter().enumerate() {
            let pointer = format!("/timeline/tracks/{t}/clips/{c}");
            let Ok(clip_box) = lower::clip_box(clip, &pointer) else {
                continue;
            };
            let size = (canvas.width, canvas.height);
            let key = match &clip.asset {
                Asset::Text(_) | Asset::RichText(_) => {
                    let asset = serde_json::to_string(&clip.asset).unwrap_or_default();
                    format!("{clip_box:?}|{size:?}|{asset}")
                }
                _ => continue,
            };
            let warnings = match memo.get(&key) {
                Some(w) => w.clone(),
                None => {
                    let w =
                        raster::check_text(&clip.asset, clip_box, size, fonts).unwrap_or_default();
                    if memo.len() > 10_000 {
                        memo.clear();
                    }
                    memo.insert(key, w.clone());
                    w
                }
            };
            let at = format!("{pointer}/asset/text");
            let origin = origins.and_then(|o| o.nearest(&at));
            out.extend(warnings.into_iter().map(|d| match origin {
                // The template text, and the data cell it came from.
                Some(o) => {
                    let d = d.with_label(o.span, "this text");
                    match &o.cell {
                        Some(cell) => cell.label(d),
                        None => d,
                    }
                }
                None => d.with_note(format!("in track {}, clip {}", t + 1, c + 1)),
            }));
        }
    }
    out
}
