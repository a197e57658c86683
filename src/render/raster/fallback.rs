//! Per-character font fallback: which face draws a character the requested face lacks.
//!
//! The order, for a given font set always the same:
//! 1. colour emoji fonts, for emoji (and characters followed by U+FE0F);
//! 2. DejaVu Sans (bundled; the same weight class), so a bundled-only set behaves as before;
//! 3. the Noto family for the script (`Noto Sans …` before `Noto Serif …`, the CJK family for
//!    the text's language: kana → JP, hangul → KR, else SC), nearest weight and style;
//! 4. any other face that covers it, by family name.
//!
//! Steps 1, 3 and 4 may discover `--font-path` and system fonts (the first time a character
//! is not in the bundled and named fonts). Choices are cached per character.

use super::fonts::{FontState, needs_glyph};

/// A cached fallback question: the character, the weight class, the style and the CJK
/// preference of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    c: char,
    bold: bool,
    italic: bool,
    cjk: Cjk,
    emoji: bool,
}

/// Which CJK family a text prefers for Han characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(crate) enum Cjk {
    /// Simplified Chinese (the default).
    #[default]
    Sc,
    /// Japanese (the text has kana).
    Jp,
    /// Korean (the text has hangul).
    Kr,
}

impl Cjk {
    /// The preference for `text`.
    pub(crate) fn of(text: &str) -> Cjk {
        let mut out = Cjk::Sc;
        for c in text.chars() {
            match c as u32 {
                0x3040..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9F => return Cjk::Jp,
                0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7AF => out = Cjk::Kr,
                _ => {}
            }
        }
        out
    }

    fn suffixes(self) -> [&'static str; 5] {
        match self {
            Cjk::Sc => ["sc", "tc", "hk", "jp", "kr"],
            Cjk::Jp => ["jp", "sc", "tc", "hk", "kr"],
            Cjk::Kr => ["kr", "jp", "sc", "tc", "hk"],
        }
    }
}

/// Whether `c` is an emoji drawn in colour by default (the pictographs and flag letters of
/// U+1F000–U+1FAFF).
pub(crate) fn is_emoji(c: char) -> bool {
    matches!(c as u32, 0x1F000..=0x1FAFF)
}

/// Whether `c` belongs to the cluster of the character before it (combining marks, joiners,
/// variation selectors, emoji modifiers and tags), so it is drawn with the same face.
pub(crate) fn continues_cluster(c: char) -> bool {
    unicode_normalization::char::is_combining_mark(c)
        || matches!(
            c as u32,
            0x200C | 0x200D | 0xFE00..=0xFE0F | 0x1F3FB..=0x1F3FF | 0xE0020..=0xE007F | 0xE0100..=0xE01EF | 0x20E3
        )
}

impl FontState {
    /// Whether face `i` has a glyph for `c`.
    pub(crate) fn has_glyph(&self, i: usize, c: char) -> bool {
        !needs_glyph(c)
            || self.faces[i]
                .parse()
                .is_some_and(|f| f.glyph_index(c).is_some())
    }

    /// The face that draws `c` when the requested face lacks it (see the module docs), or
    /// `None` when no face in the set covers it.
    pub(crate) fn fallback_for(
        &mut self,
        c: char,
        bold: bool,
        italic: bool,
        cjk: Cjk,
        emoji: bool,
    ) -> Option<usize> {
        let key = Key {
            c,
            bold,
            italic,
            cjk,
            emoji,
        };
        if let Some(&hit) = self.fallback_cache.get(&key) {
            return hit;
        }
        let found = self.find_fallback(c, bold, italic, cjk, emoji);
        self.fallback_cache.insert(key, found);
        found
    }

    fn find_fallback(
        &mut self,
        c: char,
        bold: bool,
        italic: bool,
        cjk: Cjk,
        emoji: bool,
    ) -> Option<usize> {
        let weight = if bold { 700 } else { 400 };
        if emoji {
            self.discover();
            if let Some(i) = self.ranked(c, weight, italic, |k| k.contains("emoji").then_some(0)) {
                return Some(i);
            }
        }
        let dejavu = self.fallback_face(bold);
        if self.has_glyph(dejavu, c) {
            return Some(dejavu);
        }
        self.discover();
        let suffixes = cjk.suffixes();
        let noto = |k: &str| -> Option<u32> {
            let rest = k.strip_prefix("noto")?;
            if rest.contains("emoji") {
                return None;
            }
            let cjk_rank = suffixes
                .iter()
                .position(|s| rest.contains("cjk") && rest.ends_with(s))
                .map_or(0, |p| p as u32);
            let tier = if rest == "sans" {
                0
            } else if rest.starts_with("sans") && !rest.contains("mono") {
                1
            } else if rest.starts_with("serif") {
                2
            } else {
                3
            };
            Some(tier * 10 + cjk_rank)
        };
        self.ranked(c, weight, italic, noto)
            .or_else(|| self.ranked(c, weight, italic, |_| Some(0)))
            .or_else(|| (0..self.faces.len()).find(|&i| self.has_glyph(i, c)))
    }

    /// The best face covering `c` among families `rank` accepts (lower rank first, then by
    /// family key), picking the nearest weight and style within each family.
    fn ranked(
        &self,
        c: char,
        weight: u16,
        italic: bool,
        rank: impl Fn(&str) -> Option<u32>,
    ) -> Option<usize> {
        let mut families: Vec<(u32, &str)> = self
            .faces
            .iter()
            .filter_map(|f| rank(&f.key).map(|r| (r, f.key.as_str())))
            .collect();
        families.sort();
        families.dedup();
        families.into_iter().find_map(|(_, key)| {
            let i = self.pick(key, weight, italic);
            self.has_glyph(i, c).then_some(i)
        })
    }
}
