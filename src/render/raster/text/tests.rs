//! Tests of the text engine: real bundled fonts, real pixels.

use super::*;
use tiny_skia::{Color, Pixmap};

use super::super::fonts::face_by_id;
use super::layout::height;

/// Bounding box (x0, y0, x1, y1) of pixels whose alpha is over 128 and whose colour is
/// close to `rgb`.
pub(crate) fn ink_box(p: &Pixmap, rgb: (u8, u8, u8)) -> Option<(u32, u32, u32, u32)> {
    let mut b: Option<(u32, u32, u32, u32)> = None;
    for y in 0..p.height() {
        for x in 0..p.width() {
            let c = p.pixel(x, y).unwrap().demultiply();
            let close = |a: u8, b: u8| (a as i32 - b as i32).abs() < 40;
            if c.alpha() > 128
                && close(c.red(), rgb.0)
                && close(c.green(), rgb.1)
                && close(c.blue(), rgb.2)
            {
                b = Some(match b {
                    None => (x, y, x, y),
                    Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x), y1.max(y)),
                });
            }
        }
    }
    b
}

fn render(style: &TextStyle) -> (Pixmap, Vec<String>) {
    let fonts = Fonts::bundled();
    let w = render_text(style, &fonts);
    let warnings = w.warnings.iter().map(|d| d.message.clone()).collect();
    (w.output.unwrap().image, warnings)
}

pub(crate) fn red_on_blue(text: &str, box_size: (u32, u32)) -> TextStyle {
    TextStyle {
        fill: Fill::Solid(Color::from_rgba8(255, 0, 0, 255)),
        background: Some(Background {
            color: Color::from_rgba8(0, 0, 255, 255),
            radius: 0.0,
            wrap: false,
            padding: 0.0,
        }),
        ..TextStyle::new(text, box_size)
    }
}

#[test]
fn glyphs_in_colour_inside_the_box_background_elsewhere() {
    let (p, warnings) = render(&red_on_blue("Hello", (200, 80)));
    assert!(warnings.is_empty(), "{warnings:?}");
    let (x0, y0, x1, y1) = ink_box(&p, (255, 0, 0)).expect("red ink");
    assert!(
        x0 > 20 && x1 < 180 && y0 > 10 && y1 < 70,
        "{:?}",
        (x0, y0, x1, y1)
    );
    for (x, y) in [(2, 2), (197, 77), (100, 2), (5, 40)] {
        let c = p.pixel(x, y).unwrap();
        assert_eq!(
            (c.red(), c.green(), c.blue(), c.alpha()),
            (0, 0, 255, 255),
            "at {x},{y}"
        );
    }
}

#[test]
fn alignment_moves_the_ink() {
    let boxes: Vec<_> = [HAlign::Left, HAlign::Center, HAlign::Right]
        .into_iter()
        .map(|h_align| {
            let style = TextStyle {
                h_align,
                ..red_on_blue("Hi", (300, 60))
            };
            ink_box(&render(&style).0, (255, 0, 0)).unwrap()
        })
        .collect();
    let (l, c, r) = (boxes[0], boxes[1], boxes[2]);
    assert!(l.0 < 10, "left {l:?}");
    assert!(r.2 > 290, "right {r:?}");
    let mid = (c.0 + c.2) / 2;
    assert!((140..=160).contains(&mid), "center {c:?}");
    let tops: Vec<_> = [VAlign::Top, VAlign::Middle, VAlign::Bottom]
        .into_iter()
        .map(|v_align| {
            let style = TextStyle {
                v_align,
                ..red_on_blue("Hi", (100, 200))
            };
            ink_box(&render(&style).0, (255, 0, 0)).unwrap().1
        })
        .collect();
    assert!(
        tops[0] < 20 && tops[1] > 70 && tops[1] < 110 && tops[2] > 150,
        "{tops:?}"
    );
}

/// Middle alignment centres the ink (drawtext's `y=(h-text_h)/2`), whatever the font's
/// ascent and descent and whether the text has descenders; lines keep their spacing.
#[test]
fn middle_alignment_centres_the_ink() {
    let cases = [
        ("Hello, Jane!", "DejaVu Sans Bold", 64.0, (800, 112), 0.0),
        ("HELLO", "Open Sans", 48.0, (400, 100), 0.0),
        ("gyp", "Sue Ellen Francisco", 60.0, (300, 120), 0.0),
        ("Two\nlines", "Montserrat", 40.0, (300, 200), 0.0),
        ("Padded", "Roboto", 30.0, (300, 120), 20.0),
    ];
    for (text, family, size, box_size, pad) in cases {
        let style = TextStyle {
            family: family.into(),
            size,
            padding: Sides {
                top: pad,
                ..Sides::default()
            },
            ..red_on_blue(text, box_size)
        };
        let (p, warnings) = render(&style);
        assert!(warnings.is_empty(), "{text}: {warnings:?}");
        let (_, y0, _, y1) = ink_box(&p, (255, 0, 0)).expect("red ink");
        let above = y0 as f32 - pad;
        let below = (box_size.1 - 1 - y1) as f32;
        assert!(
            (above - below).abs() <= 1.0,
            "{text} in {family}: {above} px above the ink, {below} below"
        );
    }
    let fonts = Fonts::bundled();
    let mut state = fonts.lock();
    let laid = layout(&mut state, &TextStyle::new("Two\nlines", (300, 200)))
        .output
        .unwrap();
    let pitch = laid.lines[1].baseline - laid.lines[0].baseline;
    assert!((pitch - 32.0).abs() < 0.01, "line pitch {pitch}");
}

#[test]
fn a_narrow_box_wraps_into_more_lines() {
    let fonts = Fonts::bundled();
    let mut state = fonts.lock();
    let text = "The quick brown fox jumps over the lazy dog";
    let wide = layout(&mut state, &TextStyle::new(text, (1600, 200)))
        .output
        .unwrap();
    let narrow = layout(&mut state, &TextStyle::new(text, (200, 600)))
        .output
        .unwrap();
    assert_eq!(wide.lines.len(), 1);
    assert!(narrow.lines.len() >= 4, "{} lines", narrow.lines.len());
    assert!(narrow.lines.iter().all(|l| l.right <= 201.0));
}

#[test]
fn missing_glyphs_fall_back_to_dejavu_with_a_warning() {
    let style = TextStyle {
        family: "Arapey".into(),
        ..red_on_blue("Привет", (300, 80))
    };
    let (p, warnings) = render(&style);
    let (x0, _, x1, _) = ink_box(&p, (255, 0, 0)).expect("cyrillic ink");
    assert!(x1 - x0 > 60, "ink too narrow: {x0}..{x1}");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("'П' (U+041F)") && warnings[0].contains("DejaVu Sans"),
        "{}",
        warnings[0]
    );
    let fonts = Fonts::bundled();
    let mut state = fonts.lock();
    let laid = layout(&mut state, &style).output.unwrap();
    let dejavu = state.faces[state.fallback_face(false)].id;
    assert!(laid.glyphs.iter().all(|g| g.font == dejavu));
}

#[test]
fn mixed_text_only_swaps_the_missing_characters() {
    let fonts = Fonts::bundled();
    let mut state = fonts.lock();
    let style = TextStyle {
        family: "Arapey".into(),
        ..TextStyle::new("Ab Ж", (300, 80))
    };
    let laid = layout(&mut state, &style).output.unwrap();
    let fonts_used: Vec<_> = laid
        .glyphs
        .iter()
        .map(|g| face_by_id(&state.faces, g.font).unwrap().file.clone())
        .collect();
    assert_eq!(
        fonts_used.first().map(String::as_str),
        Some("Arapey-Regular.ttf")
    );
    assert_eq!(
        fonts_used.last().map(String::as_str),
        Some("DejaVuSans.ttf")
    );
}

#[test]
fn special_characters_render_literally_and_newlines_break() {
    let fonts = Fonts::bundled();
    let mut state = fonts.lock();
    let text = "say \"hi\": C:\\path %{name}\nnext {{ x }}";
    let laid = layout(&mut state, &TextStyle::new(text, (1000, 200)))
        .output
        .unwrap();
    assert_eq!(laid.lines.len(), 2);
    let visible = text.chars().filter(|c| !c.is_whitespace()).count();
    let inked = laid.glyphs.iter().filter(|g| g.glyph != 0).count();
    assert!(inked >= visible, "{inked} glyphs for {visible} characters");
    drop(state);
    let (p, warnings) = render(&red_on_blue(text, (1000, 200)));
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(ink_box(&p, (255, 0, 0)).is_some());
}

#[test]
fn ellipsis_cuts_overflowing_text_to_fit() {
    let fonts = Fonts::bundled();
    let mut state = fonts.lock();
    let long = "one two three four five six seven eight nine ten eleven twelve";
    let mut style = TextStyle::new(long, (200, 80));
    let overflowing = layout(&mut state, &style).output.unwrap();
    assert!(height(&overflowing) > 80.0);
    style.ellipsis = Some("…".into());
    let cut = layout(&mut state, &style).output.unwrap();
    assert!(height(&cut) <= 80.5, "{}", height(&cut));
    assert!(cut.lines.len() >= 2, "{} lines", cut.lines.len());
    let dejavu_or_open = cut.glyphs.last().unwrap();
    let face = face_by_id(&state.faces, dejavu_or_open.font).unwrap();
    let ttf = face.parse().unwrap();
    assert_eq!(
        ttf.glyph_index('…').map(|g| g.0),
        Some(dejavu_or_open.glyph)
    );
}

#[test]
fn word_spacing_widens_only_spaces() {
    let fonts = Fonts::bundled();
    let mut state = fonts.lock();
    let mut style = TextStyle::new("a b c", (1000, 100));
    let width = |l: &Laid| l.lines[0].right - l.lines[0].left;
    let plain = width(&layout(&mut state, &style).output.unwrap());
    style.word_spacing = 10.0;
    let spaced = width(&layout(&mut state, &style).output.unwrap());
    assert!((spaced - plain - 20.0).abs() < 1.5, "{plain} → {spaced}");
    let solid = TextStyle {
        word_spacing: 10.0,
        ..TextStyle::new("abc", (1000, 100))
    };
    let laid = layout(&mut state, &solid).output.unwrap();
    let base = layout(&mut state, &TextStyle::new("abc", (1000, 100)))
        .output
        .unwrap();
    assert!((width(&laid) - width(&base)).abs() < 0.5);
}

#[test]
fn text_transform_and_nfc() {
    let mut style = TextStyle::new("e\u{301}t\u{e9} hello-world", (10, 10));
    style.transform = TextTransform::Capitalize;
    assert_eq!(prepared_text(&style), "\u{c9}t\u{e9} Hello-World");
    style.transform = TextTransform::Uppercase;
    assert_eq!(prepared_text(&style), "\u{c9}T\u{c9} HELLO-WORLD");
}

#[test]
fn stroke_and_shadow_add_their_colours() {
    let style = TextStyle {
        size: 60.0,
        stroke: Some(TextStroke {
            width: 3.0,
            color: Color::from_rgba8(0, 255, 0, 255),
        }),
        shadow: Some(Shadow {
            dx: 8.0,
            dy: 8.0,
            blur: 0.0,
            color: Color::from_rgba8(255, 255, 0, 255),
        }),
        ..red_on_blue("O", (200, 120))
    };
    let (p, _) = render(&style);
    let fill = ink_box(&p, (255, 0, 0)).unwrap();
    let stroke = ink_box(&p, (0, 255, 0)).unwrap();
    let shadow = ink_box(&p, (255, 255, 0)).unwrap();
    assert!(
        stroke.0 < fill.0 && stroke.2 > fill.2,
        "{stroke:?} vs {fill:?}"
    );
    assert!(
        shadow.2 > stroke.2 && shadow.3 > stroke.3,
        "{shadow:?} vs {stroke:?}"
    );
}

/// Glyphs of `text` laid out with paragraphs shaped in pieces of `piece` bytes (and wrapped
/// `piece / 4` words at a time): (glyph, x, y,
/// char index), and the number of lines.
fn pieces_layout(
    text: &str,
    box_size: (u32, u32),
    piece: usize,
) -> (Vec<(u16, f32, f32, usize)>, usize) {
    let fonts = Fonts::bundled();
    let mut state = fonts.lock();
    let style = TextStyle {
        size: 20.0,
        ..TextStyle::new(text, box_size)
    };
    let primary = state.choose(&style.family, None, text).output;
    let (runs, _) = super::runs::fallback_runs(&mut state, primary, None, text);
    let laid = super::layout::shape_in_pieces(&mut state, &style, primary, text, &runs, piece);
    let glyphs = laid
        .glyphs
        .iter()
        .map(|g| (g.glyph, g.x, g.y, g.char_index))
        .collect();
    (glyphs, laid.lines.len())
}

#[test]
fn a_paragraph_shaped_in_pieces_wraps_as_one() {
    // Words of varied length, a fallback run (Greek is in Open Sans; the arrow is not), a
    // newline, CJK without spaces (cut between ideographs), and a word wider than the box
    // (broken at glyphs, and starting a piece). Pieces are cut inside a word only when it is
    // longer than a piece: not tested, that word may wrap differently.
    let mut text = String::new();
    for i in 0..60 {
        text.push_str(["tiny ", "medium-sized ", "Ωmega→ ", "averylongwordindeed "][i % 4]);
    }
    text.push('\n');
    text.push_str(&"漢字仮名交じり文".repeat(20));
    text.push(' ');
    text.push_str(&"x".repeat(90));
    let whole = pieces_layout(&text, (400, 2000), usize::MAX / 4);
    assert!(whole.1 > 20, "{} lines", whole.1);
    for piece in [333, 100] {
        let pieces = pieces_layout(&text, (400, 2000), piece);
        assert_eq!(pieces.1, whole.1, "lines with pieces of {piece}");
        assert_eq!(pieces.0, whole.0, "glyphs with pieces of {piece}");
    }
}

/// A COLRv0 test font: 'A' and U+1F7E5 are a red square under a yellow bar, over a thin
/// triangle outline for renderers without colour (tests/fixtures/fonts/mkcolr.py).
fn colr_fonts() -> Fonts {
    let fonts = Fonts::bundled();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fonts/reel-colr-test.ttf");
    fonts.add_file(&path, "reel-colr-test.ttf").unwrap();
    fonts
}

/// Pixels (alpha over 200) that are saturated `rgb` (each channel within 30).
fn count_colour(p: &Pixmap, rgb: (u8, u8, u8)) -> usize {
    p.pixels()
        .iter()
        .map(|c| c.demultiply())
        .filter(|c| {
            let close = |a: u8, b: u8| (a as i32 - b as i32).abs() < 30;
            c.alpha() > 200
                && close(c.red(), rgb.0)
                && close(c.green(), rgb.1)
                && close(c.blue(), rgb.2)
        })
        .count()
}

#[test]
fn colr_glyphs_are_drawn_in_their_palette_colours() {
    let fonts = colr_fonts();
    for text in ["A", "\u{1F7E5}"] {
        let style = TextStyle {
            family: "Reel COLR Test".into(),
            size: 80.0,
            ..TextStyle::new(text, (160, 120))
        };
        let w = render_text(&style, &fonts);
        assert!(w.warnings.is_empty(), "{:?}", w.warnings);
        let p = w.output.unwrap().image;
        // The square is 64×64 px at 80 px; the bar a quarter of it.
        let red = count_colour(&p, (255, 0, 0));
        let yellow = count_colour(&p, (255, 255, 0));
        assert!(red > 1500, "{text}: {red} red pixels");
        assert!(yellow > 700, "{text}: {yellow} yellow pixels");
        // Not the monochrome outline in the white text fill.
        assert_eq!(count_colour(&p, (255, 255, 255)), 0, "{text}: white ink");
    }
}
