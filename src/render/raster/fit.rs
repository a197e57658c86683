//! Whether text fits its box, without drawing it: the text warnings `reel check` gives for
//! every row (missing glyphs, fallbacks, overflow) before anything is rendered.

use super::text::{self, Laid, TextStyle};
use super::{Fonts, assets};
use crate::diagnostics::Diagnostic;
use crate::edit::Asset;

/// The warnings drawing `asset` in its box would give, plus an overflow warning when its text
/// has more lines than the box holds or a word wider than the box. `None` for assets that
/// are not text.
pub fn check_text(
    asset: &Asset,
    clip_box: Option<(u32, u32)>,
    canvas: (u32, u32),
    fonts: &Fonts,
) -> Option<Vec<Diagnostic>> {
    let style = match asset {
        Asset::Text(a) => {
            let asset_box = match (a.width, a.height) {
                (Some(w), Some(h)) if w > 0 && h > 0 => Some((w as u32, h as u32)),
                _ => None,
            };
            assets::text_style(a, clip_box.or(asset_box).unwrap_or(canvas))
        }
        Asset::RichText(a) => assets::rich_text_style(a, clip_box.unwrap_or(canvas)),
        _ => return None,
    };
    let style = match style {
        Ok(s) => s,
        Err(e) => return Some(vec![e]),
    };
    let mut state = fonts.lock();
    let laid = text::lines(&mut state, &style);
    let mut warnings = laid.warnings;
    warnings.extend(overflow(&style, &laid.output));
    Some(warnings)
}

/// The overflow warning for laid-out text, if it does not fit.
pub(crate) fn overflow(style: &TextStyle, laid: &Laid) -> Option<Diagnostic> {
    let inner_w = style.box_size.0 as f32 - style.padding.left - style.padding.right;
    let inner_h = style.box_size.1 as f32 - style.padding.top - style.padding.bottom;
    let top = laid.lines.first().map_or(0.0, |l| l.top);
    let bottom = laid.lines.last().map_or(0.0, |l| l.top + l.height);
    let (w, h) = style.box_size;
    if style.ellipsis.is_none() && bottom - top > inner_h + 0.5 {
        let line = laid.lines.first().map_or(1.0, |l| l.height.max(1.0));
        let fit = ((inner_h + 0.5) / line).floor().max(0.0) as usize;
        return Some(
            Diagnostic::warning(format!(
                "text overflows its {w}×{h} box: {} lines, {fit} fit",
                laid.lines.len()
            ))
            .with_help("shorten the text, make the box bigger or the font smaller"),
        );
    }
    let widest = laid
        .lines
        .iter()
        .map(|l| l.right - l.left)
        .fold(0.0f32, f32::max);
    if style.wrap && widest > inner_w + 0.5 {
        return Some(
            Diagnostic::warning(format!(
                "text overflows its {w}×{h} box: a word is {widest:.0} px wide, the box {inner_w:.0}"
            ))
            .with_help("shorten the text, make the box bigger or the font smaller"),
        );
    }
    None
}
