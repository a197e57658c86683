//! Pure helpers for font family names: normalisation, weight/style suffixes, CSS nearest-weight
//! matching and generic families (`fonts/README.md`, "Mapping Shotstack family names to files").
//!
//! Owns no fonts; [`super::fonts`] applies these rules to the faces it holds.

/// A family request split into its parts: `"Montserrat ExtraBold"` → (`Montserrat`, 800).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FamilyRequest {
    /// The family name without the suffix, tidied for messages (`Montserrat`).
    pub(crate) display: String,
    /// The comparison key of [`FamilyRequest::display`] (see [`key`]).
    pub(crate) key: String,
    /// The weight a trailing word asked for (`Bold` → 700), if any.
    pub(crate) suffix_weight: Option<u16>,
    /// Whether a trailing `Italic` / `Oblique` was split off.
    pub(crate) italic: bool,
}

/// A CSS generic family name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Generic {
    /// `sans-serif`, `system-ui`: DejaVu Sans.
    SansSerif,
    /// `serif`: Arapey when it covers the text, else DejaVu Sans.
    Serif,
    /// `monospace`: JetBrains Mono.
    Monospace,
    /// `cursive`: Dancing Script.
    Cursive,
}

/// Trims, strips quotes and collapses whitespace: `' "Open   Sans" '` → `Open Sans`.
pub(crate) fn tidy(name: &str) -> String {
    let unquoted: String = name.chars().filter(|c| *c != '"' && *c != '\'').collect();
    unquoted.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The comparison key of a family name: lower case without spaces, `-` or `_`, so `OpenSans`,
/// `open-sans` and `Open Sans` are equal.
pub(crate) fn key(name: &str) -> String {
    tidy(name)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The weight a single weight word names (`ExtraBold` → 800), compared by [`key`].
pub(crate) fn weight_word(word: &str) -> Option<u16> {
    let w = match key(word).as_str() {
        "thin" | "hairline" => 100,
        "extralight" | "ultralight" => 200,
        "light" => 300,
        "regular" | "normal" | "book" => 400,
        "medium" => 500,
        "semibold" | "demibold" => 600,
        "bold" => 700,
        "extrabold" | "ultrabold" => 800,
        "black" | "heavy" => 900,
        _ => return None,
    };
    Some(w)
}

fn is_style_word(word: &str) -> bool {
    matches!(key(word).as_str(), "italic" | "oblique")
}

/// Splits trailing weight and style words off `name` (`"Open Sans Bold Italic"` → `Open Sans`,
/// 700, italic). Words are separated by spaces, `-` or `_`; two-word weights (`Extra Bold`)
/// count as one. A name made only of such words is kept whole.
pub(crate) fn split(name: &str) -> FamilyRequest {
    let tidied = tidy(name);
    let mut words: Vec<&str> = tidied
        .split(|c: char| c.is_whitespace() || c == '-' || c == '_')
        .filter(|w| !w.is_empty())
        .collect();
    let (mut weight, mut italic) = (None, false);
    while words.len() > 1 {
        let last = words[words.len() - 1];
        if is_style_word(last) && !italic {
            italic = true;
            words.pop();
            continue;
        }
        if weight.is_some() {
            break;
        }
        // "BlackItalic", "BoldOblique": a weight and a style in one word.
        let k = key(last);
        let prefix = k
            .strip_suffix("italic")
            .or_else(|| k.strip_suffix("oblique"));
        if let Some(w) = prefix.and_then(weight_word).filter(|_| !italic) {
            (weight, italic) = (Some(w), true);
            words.pop();
            continue;
        }
        if let Some(w) = weight_word(last) {
            weight = Some(w);
            words.pop();
            // "Extra Bold", "Semi Bold", "Ultra Light": the prefix belongs to the weight.
            if let Some(prev) = words.last().filter(|_| words.len() > 1)
                && let Some(w2) = weight_word(&format!("{prev}{last}"))
            {
                weight = Some(w2);
                words.pop();
            }
            continue;
        }
        break;
    }
    let display = words.join(" ");
    FamilyRequest {
        key: key(&display),
        display,
        suffix_weight: weight,
        italic,
    }
}

/// The generic family `name` names, if any.
pub(crate) fn generic(name: &str) -> Option<Generic> {
    Some(match key(name).as_str() {
        "sansserif" | "systemui" | "sans" => Generic::SansSerif,
        "serif" => Generic::Serif,
        "monospace" | "mono" => Generic::Monospace,
        "cursive" => Generic::Cursive,
        _ => return None,
    })
}

/// The weight to use: an explicit weight wins over the suffix; with neither, 400.
pub(crate) fn requested_weight(explicit: Option<u16>, suffix: Option<u16>) -> u16 {
    explicit.or(suffix).unwrap_or(400).clamp(1, 1000)
}

/// Picks the index of the nearest available weight by the CSS font-matching rule: 400–500 try
/// up to 500, then lighter, then heavier; below 400 lighter first; above 500 heavier first.
pub(crate) fn nearest_weight(wanted: u16, available: &[u16]) -> Option<usize> {
    let rank = |w: u16| -> (u8, u16) {
        if w == wanted {
            return (0, 0);
        }
        let lighter = w < wanted;
        match wanted {
            400..=500 if !lighter && w <= 500 => (1, w - wanted),
            400..=500 if lighter => (2, wanted - w),
            400..=500 => (3, w - wanted),
            0..=399 if lighter => (1, wanted - w),
            0..=399 => (2, w - wanted),
            _ if !lighter => (1, w - wanted),
            _ => (2, wanted - w),
        }
    };
    (0..available.len()).min_by_key(|&i| rank(available[i]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case_spaces_dashes_and_quotes() {
        for name in [
            "Open Sans",
            "OpenSans",
            "open-sans",
            " \"Open  Sans\" ",
            "open_sans",
        ] {
            assert_eq!(key(name), "opensans", "{name:?}");
        }
        assert_eq!(tidy(" 'Sue Ellen Francisco ' "), "Sue Ellen Francisco");
    }

    #[test]
    fn suffixes_split_into_weight_and_style() {
        let cases: &[(&str, &str, Option<u16>, bool)] = &[
            ("Open Sans Bold", "Open Sans", Some(700), false),
            ("OpenSans", "OpenSans", None, false),
            ("Montserrat ExtraBold", "Montserrat", Some(800), false),
            ("Montserrat Extra Bold", "Montserrat", Some(800), false),
            ("Manrope Light", "Manrope", Some(300), false),
            ("Roboto-BlackItalic", "Roboto", Some(900), true),
            ("Roboto Black Italic", "Roboto", Some(900), true),
            ("Work Sans SemiBold", "Work Sans", Some(600), false),
            ("Lato Hairline", "Lato", Some(100), false),
            ("Inter Oblique", "Inter", None, true),
            ("Bold", "Bold", None, false),
            ("Black Bold", "Black", Some(700), false),
        ];
        for (name, family, weight, italic) in cases {
            let r = split(name);
            assert_eq!(
                (r.display.as_str(), r.suffix_weight, r.italic),
                (*family, *weight, *italic),
                "{name:?}"
            );
        }
    }

    #[test]
    fn explicit_weight_wins_over_suffix() {
        assert_eq!(requested_weight(Some(300), Some(700)), 300);
        assert_eq!(requested_weight(None, Some(700)), 700);
        assert_eq!(requested_weight(None, None), 400);
    }

    #[test]
    fn css_nearest_weight_with_regular_and_bold() {
        let faces = [400, 700];
        for wanted in (100..=900).step_by(100) {
            let got = faces[nearest_weight(wanted, &faces).unwrap()];
            let expected = if wanted <= 500 { 400 } else { 700 };
            assert_eq!(got, expected, "weight {wanted}");
        }
    }

    #[test]
    fn css_nearest_weight_direction() {
        let faces = [100, 300, 500, 800];
        let pick = |w| faces[nearest_weight(w, &faces).unwrap()];
        assert_eq!(pick(400), 500); // 400 tries 500 first
        assert_eq!(pick(450), 500);
        assert_eq!(pick(200), 100); // below 400: lighter first
        assert_eq!(pick(600), 800); // above 500: heavier first
        assert_eq!(pick(900), 800); // nothing heavier: lighter
        assert_eq!(nearest_weight(400, &[]), None);
    }

    #[test]
    fn generic_families() {
        assert_eq!(generic("sans-serif"), Some(Generic::SansSerif));
        assert_eq!(generic("system-ui"), Some(Generic::SansSerif));
        assert_eq!(generic("Serif"), Some(Generic::Serif));
        assert_eq!(generic("monospace"), Some(Generic::Monospace));
        assert_eq!(generic("cursive"), Some(Generic::Cursive));
        assert_eq!(generic("Open Sans"), None);
    }
}
