//! World scripts and colour emoji with the system's Noto fonts (fonts-noto-core,
//! fonts-noto-cjk, fonts-noto-color-emoji): shaping without `.notdef`, ink where the text is,
//! RTL order on pixels, colour emoji pixels. Skipped when the fonts are absent and `CI` is
//! unset (`.ci/run` installs them).

use std::collections::HashSet;

use tiny_skia::Pixmap;

use super::fonts::{FontOptions, Fonts, face_by_id};
use super::text::tests::ink_box;
use super::text::{TextStyle, layout, render_text};

/// The system's fonts, or `None` (skip) when the Noto packages are not installed.
fn noto() -> Option<Fonts> {
    let fonts = Fonts::new(FontOptions::with_system(Vec::new()));
    let families: HashSet<String> = fonts.list().into_iter().map(|f| f.family).collect();
    let needed = [
        "Noto Sans Devanagari",
        "Noto Sans Thai",
        "Noto Sans CJK SC",
        "Noto Color Emoji",
    ];
    if needed.iter().all(|f| families.contains(*f)) {
        return Some(fonts);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI: the Noto font packages are missing"
    );
    eprintln!("skipped: install fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji");
    None
}

/// [`text::tests::red_on_blue`](super::text::tests::red_on_blue) at 48 px.
fn red_on_blue(text: &str, box_size: (u32, u32)) -> TextStyle {
    TextStyle {
        size: 48.0,
        ..super::text::tests::red_on_blue(text, box_size)
    }
}

/// Files of the faces the text was laid out with, and whether any glyph is `.notdef`.
fn shaped(fonts: &Fonts, style: &TextStyle) -> (Vec<String>, bool) {
    let mut state = fonts.lock();
    let laid = layout(&mut state, style).output.unwrap();
    let notdef = laid.glyphs.iter().any(|g| g.glyph == 0);
    let mut files: Vec<String> = laid
        .glyphs
        .iter()
        .map(|g| face_by_id(&state.faces, g.font).unwrap().family.clone())
        .collect();
    files.dedup();
    (files, notdef)
}

fn render(fonts: &Fonts, style: &TextStyle) -> (Pixmap, Vec<String>) {
    let w = render_text(style, fonts);
    let warnings = w.warnings.iter().map(|d| d.message.clone()).collect();
    (w.output.unwrap().image, warnings)
}

#[test]
fn every_script_shapes_without_notdef_and_inks_its_box() {
    let Some(fonts) = noto() else { return };
    let cases = [
        ("王小明", "Noto Sans CJK"),
        ("山田 はなこ", "Noto Sans CJK JP"),
        ("김민준", "Noto Sans CJK KR"),
        ("अनुष्का शर्मा", "Noto Sans Devanagari"),
        ("สมชาย ใจดี", "Noto Sans Thai"),
        ("محمد علي", ""),
        ("דוד לוי", ""),
        ("Nguyễn Thị Ánh", "Open Sans"),
    ];
    for (text, family) in cases {
        let style = red_on_blue(text, (900, 120));
        let (families, notdef) = shaped(&fonts, &style);
        assert!(!notdef, "{text}: .notdef in {families:?}");
        assert!(
            families.iter().any(|f| f.starts_with(family)),
            "{text}: drawn with {families:?}, expected {family}"
        );
        let (p, _) = render(&fonts, &style);
        let (x0, y0, x1, y1) = ink_box(&p, (255, 0, 0)).expect(text);
        assert!(
            x1 - x0 > 60 && y1 - y0 > 15,
            "{text}: ink {:?}",
            (x0, y0, x1, y1)
        );
    }
}

#[test]
fn fallback_is_the_same_for_the_same_font_set() {
    let Some(a) = noto() else { return };
    let b = Fonts::new(FontOptions::with_system(Vec::new()));
    for text in ["王小明 अनुष्का", "สมชาย 😀", "ꯀ"] {
        let style = red_on_blue(text, (900, 120));
        assert_eq!(shaped(&a, &style), shaped(&b, &style), "{text}");
    }
}

/// Columns where two renders differ, relative to the ink box of the first.
fn differing_columns(a: &Pixmap, b: &Pixmap) -> Vec<u32> {
    let mut cols = Vec::new();
    for x in 0..a.width() {
        let differs = (0..a.height()).any(|y| a.pixel(x, y) != b.pixel(x, y));
        if differs {
            cols.push(x);
        }
    }
    cols
}

#[test]
fn rtl_text_starts_on_the_right() {
    let Some(fonts) = noto() else { return };
    // Left-aligned, changing only the first logical letter (to one of another width) changes
    // pixels on the right of the word only: the letters after it stay where they are.
    let left = |text: &str| TextStyle {
        h_align: super::text::HAlign::Left,
        ..red_on_blue(text, (600, 120))
    };
    for (word, other) in [("שלום", "בלום"), ("سلام", "كلام")] {
        let a = render(&fonts, &left(word)).0;
        let b = render(&fonts, &left(other)).0;
        let (x0, _, x1, _) = ink_box(&a, (255, 0, 0)).unwrap();
        let mid = (x0 + x1) / 2;
        let cols = differing_columns(&a, &b);
        assert!(!cols.is_empty(), "{word}: no difference");
        assert!(
            cols.iter().all(|&x| x > mid),
            "{word}: first letter not on the right: differs at {:?}, ink {x0}..{x1}",
            (cols[0], cols[cols.len() - 1])
        );
    }
}

#[test]
fn cjk_wraps_without_spaces() {
    let Some(fonts) = noto() else { return };
    let style = red_on_blue("王小明王小明王小明王小明王小明", (200, 600));
    let mut state = fonts.lock();
    let laid = layout(&mut state, &style).output.unwrap();
    assert!(laid.lines.len() >= 3, "{} lines", laid.lines.len());
    assert!(laid.lines.iter().all(|l| l.right <= 201.0));
}

/// Pixels that are strongly coloured and opaque (white text on transparent has none).
fn saturated(p: &Pixmap) -> usize {
    if std::env::var_os("REEL_TEST_DUMP").is_some() {
        let n = p.data().iter().map(|&b| b as usize).sum::<usize>() % 9973;
        let _ = p.save_png(format!("/tmp/reel-emoji-{n}.png"));
    }
    p.pixels()
        .iter()
        .map(|c| c.demultiply())
        .filter(|c| {
            let (r, g, b) = (c.red() as i32, c.green() as i32, c.blue() as i32);
            c.alpha() > 200 && r.max(g).max(b) - r.min(g).min(b) > 60
        })
        .count()
}

/// White 48 px text on a transparent layer.
fn white(text: &str, box_size: (u32, u32)) -> TextStyle {
    TextStyle {
        size: 48.0,
        ..TextStyle::new(text, box_size)
    }
}

#[test]
fn emoji_are_drawn_in_colour_at_the_line_size() {
    let Some(fonts) = noto() else { return };
    let plain = render(&fonts, &white("Ana", (400, 120))).0;
    assert_eq!(saturated(&plain), 0);
    let (p, _) = render(&fonts, &white("Ana 😀", (400, 120)));
    let n = saturated(&p);
    // A 48 px emoji is about 48×48 px, most of it yellow.
    assert!(n > 800, "{n} colour pixels");
    let (families, notdef) = shaped(&fonts, &red_on_blue("Ana 😀", (400, 120)));
    assert!(!notdef);
    assert!(
        families.contains(&"Noto Color Emoji".to_string()),
        "{families:?}"
    );
}

#[test]
fn zwj_sequences_and_flags_shape_to_one_glyph() {
    let Some(fonts) = noto() else { return };
    // (Noto draws the family sequences as grey silhouettes since Unicode 15.1: no colour test.)
    for text in [
        "👩\u{200D}👩\u{200D}👧",
        "👩\u{200D}🚀",
        "🏳\u{FE0F}\u{200D}🌈",
        "🇯🇵",
        "👍🏽",
        "❤\u{FE0F}",
    ] {
        let mut state = fonts.lock();
        let laid = layout(&mut state, &red_on_blue(text, (400, 120)))
            .output
            .unwrap();
        let glyphs: Vec<_> = laid.glyphs.iter().filter(|g| g.advance > 0.0).collect();
        assert_eq!(glyphs.len(), 1, "{text}: {} glyphs", glyphs.len());
        let face = face_by_id(&state.faces, glyphs[0].font).unwrap();
        assert_eq!(face.family, "Noto Color Emoji", "{text}");
        assert_ne!(glyphs[0].glyph, 0, "{text}");
        drop(state);
        let n = saturated(&render(&fonts, &white(text, (400, 120))).0);
        assert!(n > 300 || text.contains('👧'), "{text}: {n} colour pixels");
    }
}

#[test]
fn ignore_system_fonts_keeps_the_bundled_behaviour() {
    let fonts = Fonts::new(FontOptions::default());
    let (p, warnings) = render(&fonts, &red_on_blue("王", (200, 120)));
    assert!(
        warnings.iter().any(|w| w.contains("drawn as a box")),
        "{warnings:?}"
    );
    assert_eq!(p.width(), 200);
}
