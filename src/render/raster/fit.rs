//! Whether text fits its box, without drawing it: the text warnings `reel check` gives for
//! every row (missing glyphs, fallbacks, overflow) before anything is rendered.

use super::fonts::FontState;
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
    let style = fitted(&mut state, &style).unwrap_or(style);
    let laid = text::lines(&mut state, &style);
    let mut warnings = laid.warnings;
    warnings.extend(overflow(&style, &laid.output));
    Some(warnings)
}

/// `style` with `font.size = "auto"` resolved (`None` when it is not auto): the largest whole
/// pixel size, from one line filling the box's height down to the minimum, at which the text
/// fits (no overflow, no word broken inside); the minimum when nothing fits, so the overflow
/// warning stands. A binary search: about eight layouts.
pub(crate) fn fitted(state: &mut FontState, style: &TextStyle) -> Option<TextStyle> {
    let min = style.auto_size?.max(1.0);
    let inner_h = style.box_size.1 as f32 - style.padding.top - style.padding.bottom;
    let max = (inner_h / style.line_height.max(0.1))
        .floor()
        .clamp(min, 500.0);
    let at = |size: f32| TextStyle {
        size,
        auto_size: None,
        ..style.clone()
    };
    let mut fits = |size: f32| {
        let s = at(size);
        let laid = text::lines(state, &s).output;
        overflow(&s, &laid).is_none()
    };
    let (mut lo, mut hi) = (min.ceil() as u32, max as u32);
    if fits(hi as f32) {
        return Some(at(hi as f32));
    }
    if !fits(lo as f32) {
        return Some(at(min));
    }
    // `lo` fits, `hi` does not.
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if fits(mid as f32) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(at(lo as f32))
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
    if style.wrap
        && let Some(word) = broken_word(&text::prepared_text(style), laid)
    {
        return Some(
            Diagnostic::warning(format!(
                "text overflows its {w}×{h} box: the word `{word}` is wider than the box and is \
                 broken inside"
            ))
            .with_help("shorten the text, make the box bigger or the font smaller"),
        );
    }
    let widest = laid
        .lines
        .iter()
        .map(|l| l.right - l.left)
        .fold(0.0f32, f32::max);
    if !style.wrap && widest > inner_w + 0.5 {
        return Some(
            Diagnostic::warning(format!(
                "text overflows its {w}×{h} box: a line is {widest:.0} px wide, the box {inner_w:.0}"
            ))
            .with_help("shorten the text, make the box bigger or the font smaller"),
        );
    }
    None
}

/// The first word that wrapping had to break inside (no break opportunity where one line ends
/// and the next begins), if any. Scripts written without spaces (CJK, Thai, …) break anywhere
/// and are never reported.
fn broken_word(text: &str, laid: &Laid) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    // (first, last) character index of each line, lines told apart by their baselines.
    let mut spans: Vec<(usize, usize)> = vec![(usize::MAX, 0); laid.lines.len()];
    for g in &laid.glyphs {
        let line = laid
            .lines
            .iter()
            .position(|l| (l.baseline - g.y).abs() < l.height / 2.0)?;
        let s = &mut spans[line];
        s.0 = s.0.min(g.char_index);
        s.1 = s.1.max(g.char_index);
    }
    let word_char = |c: char| c.is_alphanumeric() && !breaks_anywhere(c);
    spans.windows(2).find_map(|pair| {
        let (end, next) = (pair[0].1, pair[1].0);
        let (a, b) = (*chars.get(end)?, *chars.get(next)?);
        if next != end + 1 || !word_char(a) || !word_char(b) {
            return None;
        }
        let start = chars[..=end]
            .iter()
            .rposition(|c| !word_char(*c))
            .map_or(0, |i| i + 1);
        let stop = chars[next..]
            .iter()
            .position(|c| !word_char(*c))
            .map_or(chars.len(), |i| next + i);
        Some(chars[start..stop].iter().collect())
    })
}

/// Scripts whose lines may break between any two letters (no spaces between words).
fn breaks_anywhere(c: char) -> bool {
    matches!(c as u32, 0x0E00..=0x0EFF | 0x1000..=0x109F | 0x1780..=0x17FF | 0x2E80..=0xD7FF | 0xF900..=0xFAFF | 0x20000..=0x3FFFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auto(text: &str, min: f32) -> TextStyle {
        TextStyle {
            auto_size: Some(min),
            ..TextStyle::new(text, (900, 120))
        }
    }

    #[test]
    fn auto_size_shrinks_a_long_name_to_fit_and_keeps_a_short_one_at_the_maximum() {
        let fonts = Fonts::bundled();
        let mut state = fonts.lock();
        let long = "Maria Fernanda de los Santos Rodríguez y Villanueva-Castella";
        assert_eq!(long.chars().count(), 60);
        let fixed = TextStyle {
            size: 72.0,
            ..TextStyle::new(long, (900, 120))
        };
        assert!(overflow(&fixed, &text::lines(&mut state, &fixed).output).is_some());
        let fit = fitted(&mut state, &auto(long, 12.0)).unwrap();
        assert!((12.0..72.0).contains(&fit.size), "{}", fit.size);
        assert!(overflow(&fit, &text::lines(&mut state, &fit).output).is_none());
        // One pixel larger does not fit: it is the largest.
        let bigger = TextStyle {
            size: fit.size + 1.0,
            ..fit.clone()
        };
        assert!(overflow(&bigger, &text::lines(&mut state, &bigger).output).is_some());
        let short = fitted(&mut state, &auto("Ana", 12.0)).unwrap();
        assert_eq!(short.size, 120.0);
        assert!(fitted(&mut state, &TextStyle::new("Ana", (900, 120))).is_none());
    }

    #[test]
    fn below_the_minimum_the_overflow_warning_stands() {
        let fonts = Fonts::bundled();
        let asset: Asset = serde_json::from_value(serde_json::json!({
            "type": "text",
            "text": "word ".repeat(200),
            "font": { "size": "auto", "minSize": 30 }
        }))
        .unwrap();
        let warnings = check_text(&asset, Some((300, 60)), (1280, 720), &fonts).unwrap();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].message.contains("overflows its 300×60 box"));
        let ok: Asset = serde_json::from_value(serde_json::json!({
            "type": "text", "text": "Ana", "font": { "size": "auto" }
        }))
        .unwrap();
        assert!(
            check_text(&ok, Some((300, 60)), (1280, 720), &fonts)
                .unwrap()
                .is_empty()
        );
    }
}
