//! The page an `html`/`html5` asset becomes: a CSS reset, reel's fonts as `@font-face` rules,
//! the asset's own style sheet, markup and script, and (html5) the JavaScript libraries the
//! schema promises and reel's virtual clock. Pure: building the text; [`super::html`] serves it.
//!
//! Fonts: every face of the [`Fonts`] collection (bundled, then `timeline.fonts`) is offered to
//! Chromium under the names a text asset resolves it by: its family (`Manrope`, by weight and
//! style), the family with its weight word (`Manrope ExtraBold`) and its file's stem
//! (`manrope-extrabold`). The bytes are served from memory at `/.reel/fonts/N`.

use super::fonts::{DEFAULT_FAMILY, FontBytes, Fonts, Origin};
use crate::edit::Position;

/// Where reel's own resources (fonts, libraries) are served on the page's origin.
pub(crate) const RESERVED: &str = "/.reel/";

/// Rules every page starts with, before the asset's own style sheet: no default margins, a
/// line height of 1.2, border-box sizing and Shotstack's default family, so a `<p>` in a
/// small box stays inside it.
const RESET: &str = "*,*::before,*::after{box-sizing:border-box}\
    html{line-height:1.2;-webkit-text-size-adjust:100%;font-family:\"DEFAULT\",sans-serif}\
    body,h1,h2,h3,h4,h5,h6,p,figure,blockquote,dl,dd,pre{margin:0}";

/// One page to draw.
pub(crate) struct Page<'a> {
    /// Body markup.
    pub(crate) html: &'a str,
    /// Style sheet.
    pub(crate) css: Option<&'a str>,
    /// Script (html5).
    pub(crate) js: Option<&'a str>,
    /// Page background (CSS colour); transparent when absent.
    pub(crate) background: Option<&'a str>,
    /// Where the content sits in the page (html); flowing from the top left when absent.
    pub(crate) position: Option<Position>,
    /// Viewport and output size in pixels.
    pub(crate) size: (u32, u32),
    /// `html5`: the libraries and the virtual clock are on the page.
    pub(crate) html5: bool,
}

/// A font face offered to the page.
pub(crate) struct WebFace {
    /// The family names it answers to.
    pub(crate) names: Vec<String>,
    /// CSS weight.
    pub(crate) weight: u16,
    /// Italic.
    pub(crate) italic: bool,
    /// The font file (uncompressed sfnt).
    pub(crate) data: FontBytes,
}

/// The faces of `fonts` as the page sees them: bundled and template fonts only, so a page
/// looks the same whichever system fonts earlier text happened to load (Chromium finds the
/// system's own fonts itself); faces inside collections other than the first are left out
/// (`@font-face` cannot pick them).
pub(crate) fn web_faces(fonts: &Fonts) -> Vec<WebFace> {
    let state = fonts.lock();
    state
        .faces
        .iter()
        .filter(|f| f.index == 0 && matches!(f.origin, Origin::Bundled | Origin::Named))
        .map(|f| {
            let mut names = vec![f.family.clone()];
            let word = weight_name(f.weight);
            names.push(format!("{} {word}", f.family));
            if f.italic {
                names.push(format!("{} {word} Italic", f.family));
                names.push(format!("{} Italic", f.family));
            }
            let stem = f.file.rsplit_once('.').map_or(&*f.file, |(s, _)| s);
            names.push(stem.to_string());
            let mut seen = Vec::new();
            names.retain(|n| {
                let k = n.to_lowercase();
                let fresh = !seen.contains(&k);
                seen.push(k);
                fresh
            });
            WebFace {
                names,
                weight: f.weight,
                italic: f.italic,
                data: f.data.clone(),
            }
        })
        .collect()
}

/// The usual name of a CSS weight.
fn weight_name(w: u16) -> &'static str {
    match w {
        0..=150 => "Thin",
        151..=250 => "ExtraLight",
        251..=350 => "Light",
        351..=450 => "Regular",
        451..=550 => "Medium",
        551..=650 => "SemiBold",
        651..=750 => "Bold",
        751..=850 => "ExtraBold",
        _ => "Black",
    }
}

/// The `@font-face` rules for `faces`, face `i` at `/.reel/fonts/i`. Under its family name a
/// face keeps its weight and style; under its other names (which name one face) it answers
/// every weight, so `"Manrope ExtraBold"` is never synthesised bolder.
fn font_faces(faces: &[WebFace]) -> String {
    let mut css = String::new();
    for (i, f) in faces.iter().enumerate() {
        let style = if f.italic { "italic" } else { "normal" };
        for (j, name) in f.names.iter().enumerate() {
            let name: String = name.chars().filter(|c| !"\"\\<>{};".contains(*c)).collect();
            let weight = if j == 0 {
                f.weight.to_string()
            } else {
                "1 1000".into()
            };
            css.push_str(&format!(
                "@font-face{{font-family:\"{name}\";src:url({RESERVED}fonts/{i});\
                 font-weight:{weight};font-style:{style};font-display:block}}"
            ));
        }
    }
    css
}

/// In `html` assets (Shotstack's simple HTML engine, not a browser), a unitless `line-height`
/// of 4 or more is a pixel size: `line-height: 78` is 78 px, not 78 lines. Pure.
pub(crate) fn pixel_line_heights(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(i) = rest.to_ascii_lowercase().find("line-height") {
        let (head, tail) = rest.split_at(i + "line-height".len());
        out.push_str(head);
        rest = tail;
        let Some(colon) = rest.trim_start().strip_prefix(':') else {
            continue;
        };
        let skipped = rest.len() - colon.len();
        let value = colon.trim_start();
        let lead = colon.len() - value.len();
        let digits = value
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(value.len());
        let after = value[digits..].trim_start();
        let ends = after.is_empty() || after.starts_with([';', '}', '!']);
        match value[..digits].parse::<f64>() {
            Ok(n) if ends && n >= 4.0 => {
                out.push_str(&rest[..skipped + lead + digits]);
                out.push_str("px");
                rest = &rest[skipped + lead + digits..];
            }
            _ => {}
        }
    }
    out.push_str(rest);
    out
}

/// The full page: reset, fonts, viewport-sized body, the asset's CSS, markup and script.
/// `prelude` (html5) holds the script tags that come before the asset's markup.
pub(crate) fn document(page: &Page, faces: &[WebFace], prelude: &str) -> String {
    let (w, h) = page.size;
    // The background is written into the style sheet: a value that could close the rule or
    // the element (it may come from data) is dropped.
    let bg = page
        .background
        .filter(|b| !b.contains(['<', '>', '{', '}', ';', '"', '\'', '\\']))
        .unwrap_or("transparent");
    let (justify, align) = page.position.map_or(("", ""), flex_position);
    let layout = if justify.is_empty() {
        String::new()
    } else {
        format!("display:flex;justify-content:{justify};align-items:{align};")
    };
    let script = page
        .js
        .map(|js| format!("<script>{js}</script>"))
        .unwrap_or_default();
    let css = match page.css {
        Some(css) if !page.html5 => pixel_line_heights(css),
        Some(css) => css.to_string(),
        None => String::new(),
    };
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><style>{reset}{faces}\
         html,body{{margin:0;padding:0;width:{w}px;height:{h}px;overflow:hidden;background:transparent}}\
         body{{background:{bg};{layout}}}</style><style>{css}</style>{prelude}</head>\
         <body>{html}{script}</body></html>",
        reset = RESET.replace("DEFAULT", DEFAULT_FAMILY),
        faces = font_faces(faces),
        html = page.html,
    )
}

fn flex_position(p: Position) -> (&'static str, &'static str) {
    use Position::*;
    let justify = match p {
        Left | TopLeft | BottomLeft => "flex-start",
        Right | TopRight | BottomRight => "flex-end",
        _ => "center",
    };
    let align = match p {
        Top | TopLeft | TopRight => "flex-start",
        Bottom | BottomLeft | BottomRight => "flex-end",
        _ => "center",
    };
    (justify, align)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page<'a>() -> Page<'a> {
        Page {
            html: "<p>Hi</p>",
            css: Some("p{color:red;line-height:78}"),
            js: Some("1+1"),
            background: Some("#000"),
            position: Some(Position::BottomRight),
            size: (320, 180),
            html5: false,
        }
    }

    #[test]
    fn page_holds_reset_css_markup_script_and_position() {
        let doc = document(&page(), &[], "");
        for part in [
            "width:320px;height:180px",
            "p{color:red;line-height:78px}",
            "<p>Hi</p>",
            "<script>1+1</script>",
            "background:#000",
            "justify-content:flex-end;align-items:flex-end",
            "p,figure,blockquote,dl,dd,pre{margin:0}",
            "font-family:\"Open Sans\",sans-serif",
        ] {
            assert!(doc.contains(part), "{part} missing in {doc}");
        }
        assert!(doc.find("margin:0}").unwrap() < doc.find("p{color").unwrap());
        let hostile = Page {
            background: Some("red}</style><iframe src=x>"),
            ..page()
        };
        assert!(!document(&hostile, &[], "").contains("<iframe"));
        let html5 = Page {
            html5: true,
            ..page()
        };
        assert!(document(&html5, &[], "<script src=x></script>").contains("line-height:78}"));
    }

    #[test]
    fn large_unitless_line_heights_become_pixels() {
        let cases = [
            (
                "p{line-height: 78; color:red}",
                "p{line-height: 78px; color:red}",
            ),
            ("p{LINE-HEIGHT:40}", "p{LINE-HEIGHT:40px}"),
            ("p{line-height:1.5}", "p{line-height:1.5}"),
            ("p{line-height:20px}", "p{line-height:20px}"),
            (
                "p{line-height:8 !important}",
                "p{line-height:8px !important}",
            ),
            ("p{line-height:normal}", "p{line-height:normal}"),
            ("a{line-height}", "a{line-height}"),
        ];
        for (css, want) in cases {
            assert_eq!(pixel_line_heights(css), want, "{css}");
        }
    }

    #[test]
    fn faces_answer_to_family_weight_name_and_file_stem() {
        let fonts = Fonts::bundled();
        let faces = web_faces(&fonts);
        let bold = faces
            .iter()
            .find(|f| f.names[0] == "Montserrat" && f.weight == 700)
            .expect("Montserrat Bold");
        assert_eq!(
            bold.names,
            ["Montserrat", "Montserrat Bold", "Montserrat-Bold"]
        );
        let css = font_faces(&faces);
        assert!(css.contains("font-family:\"Montserrat Bold\";src:url(/.reel/fonts/"));
        assert!(css.contains("font-family:\"Montserrat\";src:url(/.reel/fonts/"));
    }
}
