//! World scripts and colour emoji with the system's Noto fonts (fonts-noto-core,
//! fonts-noto-cjk, fonts-noto-color-emoji): shaping without `.notdef`, ink where the text is,
//! RTL order on pixels, colour emoji pixels. Skipped when the fonts are absent and `CI` is
//! unset (`.ci/run` installs them).

use std::collections::HashSet;

use tiny_skia::{Color, Pixmap};

use super::fonts::{FontOptions, Fonts, face_by_id};
use super::text::tests::ink_box;
use super::text::{Background, Fill, TextStyle, layout, render_text};

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

fn red_on_blue(text: &str, box_size: (u32, u32)) -> TextStyle {
    TextStyle {
        fill: Fill::Solid(Color::from_rgba8(255, 0, 0, 255)),
        background: Some(Background {
            color: Color::from_rgba8(0, 0, 255, 255),
            radius: 0.0,
            wrap: false,
            padding: 0.0,
        }),
        size: 48.0,
        ..TextStyle::new(text, box_size)
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
    // Changing only the first logical letter changes pixels on the right of the word.
    for (word, other) in [("שלום", "בלום"), ("سلام", "كلام")] {
        let a = render(&fonts, &red_on_blue(word, (600, 120))).0;
        let b = render(&fonts, &red_on_blue(other, (600, 120))).0;
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

/// Pixels that are strongly coloured (not grey, not the red fill, not the blue background).
fn saturated(p: &Pixmap) -> usize {
    p.pixels()
        .iter()
        .map(|c| c.demultiply())
        .filter(|c| {
            let (r, g, b) = (c.red() as i32, c.green() as i32, c.blue() as i32);
            let max = r.max(g).max(b);
            let min = r.min(g).min(b);
            c.alpha() > 200
                && max - min > 100
                && !(r > 200 && g < 60 && b < 60)
                && !(b > 200 && r < 60 && g < 60)
        })
        .count()
}

#[test]
fn emoji_are_drawn_in_colour_at_the_line_size() {
    let Some(fonts) = noto() else { return };
    let plain = render(&fonts, &red_on_blue("Ana", (400, 120))).0;
    assert_eq!(saturated(&plain), 0);
    let (p, _) = render(&fonts, &red_on_blue("Ana 😀", (400, 120)));
    let n = saturated(&p);
    // A 48 px emoji is about 48×48 px, most of it yellow.
    assert!(n > 800, "{n} colour pixels");
    let (families, notdef) = shaped(&fonts, &red_on_blue("Ana 😀", (400, 120)));
    assert!(!notdef);
    assert!(families.contains(&"Noto Color Emoji".to_string()), "{families:?}");
}

#[test]
fn zwj_sequences_and_flags_shape_to_one_glyph() {
    let Some(fonts) = noto() else { return };
    for text in ["👩\u{200D}👩\u{200D}👧", "🇯🇵", "👍🏽", "❤\u{FE0F}"] {
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
        assert!(saturated(&render(&fonts, &red_on_blue(text, (400, 120))).0) > 300);
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
    assert!(ink_box(&p, (255, 0, 0)).is_some());
}
