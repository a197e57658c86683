//! The text engine: lays a [`TextStyle`] out with cosmic-text (shaping, GPOS kerning, wrapping,
//! alignment, per-character font fallback) and draws it with tiny-skia from glyph outlines
//! (fill or gradient, stroke, shadow, decorations, background box, border).
//!
//! Knows nothing of Shotstack assets: `raster::assets` maps text, title and rich-text onto a
//! [`TextStyle`].

mod colr;
mod draw;
mod glyphs;
mod layout;
mod paragraph;
mod runs;
mod style;
#[cfg(test)]
pub(crate) mod tests;

use std::collections::HashSet;

use cosmic_text::fontdb;
use unicode_normalization::UnicodeNormalization;

use super::Layer;
use super::font_use::FontUse;
use super::fonts::{Face, Fonts};
use crate::diagnostics::{Diagnostic, Warned};

pub(crate) use draw::{Frame, Look, draw};
pub(crate) use layout::{Laid, layout, lines};
pub use style::*;

/// Lays out and draws `style` into a layer of `style.box_size`.
pub fn render_text(style: &TextStyle, fonts: &Fonts) -> Warned<Result<Layer, Diagnostic>> {
    // Lay out under the lock, draw without it: drawing only needs the (shared) font bytes.
    let (laid, faces, fitted, used) = {
        let mut state = fonts.lock();
        let fitted = super::fit::fitted(&mut state, style);
        let laid = layout(&mut state, fitted.as_ref().unwrap_or(style));
        let faces = used_faces(&state.faces, laid.output.as_ref().ok());
        let used = font_use(style, &faces, laid.output.as_ref().ok());
        (laid, faces, fitted, used)
    };
    let style = fitted.as_ref().unwrap_or(style);
    let pixmap = laid
        .output
        .and_then(|l| draw(&faces, style, &l, &Frame::rest(&l)));
    Warned {
        output: pixmap.map(|p| Layer {
            fonts: used,
            ..Layer::new(p)
        }),
        warnings: laid.warnings,
    }
}

/// What `laid` drew with among the discovered fonts: their files, the requested family, and
/// whether a glyph came from another face than the primary or is a missing-glyph box.
pub(crate) fn font_use(style: &TextStyle, faces: &[Face], laid: Option<&Laid>) -> FontUse {
    let Some(laid) = laid else {
        return FontUse::default();
    };
    let mut files: Vec<std::path::PathBuf> = faces.iter().filter_map(|f| f.path.clone()).collect();
    files.sort();
    files.dedup();
    FontUse {
        files,
        families: vec![super::family::split(&style.family).key],
        fell_back: laid
            .glyphs
            .iter()
            .any(|g| g.font != laid.primary || g.glyph == 0),
    }
}

/// The faces `laid` draws with (cloning every face of a large system font set for each layer
/// would cost more than the layout).
pub(crate) fn used_faces(faces: &[Face], laid: Option<&Laid>) -> Vec<Face> {
    let Some(laid) = laid else {
        return Vec::new();
    };
    let ids: HashSet<fontdb::ID> = laid
        .glyphs
        .iter()
        .map(|g| g.font)
        .chain([laid.primary])
        .collect();
    faces
        .iter()
        .filter(|f| ids.contains(&f.id))
        .cloned()
        .collect()
}

/// The text after NFC normalisation and `transform`.
pub(crate) fn prepared_text(style: &TextStyle) -> String {
    let nfc: String = style.text.nfc().collect();
    match style.transform {
        TextTransform::None => nfc,
        TextTransform::Uppercase => nfc.to_uppercase(),
        TextTransform::Lowercase => nfc.to_lowercase(),
        TextTransform::Capitalize => capitalize(&nfc),
    }
}

fn capitalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = c.is_whitespace() || c == '-';
    }
    out
}
