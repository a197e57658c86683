//! Rasterised layers: text, title, rich-text, shape, svg and html assets become one RGBA image
//! each, drawn once in Rust, which the compositor overlays like any still image.
//!
//! Owns the bundled fonts and family resolution ([`Fonts`]), the text engine ([`text`]) and the
//! asset-to-pixels mapping. Does not decide where a layer goes on the canvas or when: the
//! compositor places the [`Layer`] by the clip's position, scale and timing.

mod family;
mod fonts;
mod paint;
pub mod text;
mod woff;

use std::path::Path;

use tiny_skia::Pixmap;

use crate::diagnostics::Diagnostic;

pub use fonts::{FontChoice, Fonts};
pub use paint::parse_color;

/// One rasterised layer: a premultiplied RGBA image at its final pixel size.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// The pixels (premultiplied alpha, as tiny-skia keeps them).
    pub image: Pixmap,
    /// Width of the layer's box in pixels (equals the image width).
    pub width: u32,
    /// Height of the layer's box in pixels (equals the image height).
    pub height: u32,
}

impl Layer {
    /// Wraps a pixmap.
    pub fn new(image: Pixmap) -> Layer {
        Layer {
            width: image.width(),
            height: image.height(),
            image,
        }
    }

    /// The pixels as straight (non-premultiplied) RGBA, row by row.
    pub fn to_rgba(&self) -> Vec<u8> {
        self.image.clone().take_demultiplied()
    }

    /// Writes the layer as a straight-alpha RGBA PNG.
    pub fn write_png(&self, path: &Path) -> Result<(), Diagnostic> {
        // tiny-skia demultiplies when encoding, so the PNG holds straight alpha.
        self.image.save_png(path).map_err(|e| {
            Diagnostic::error(format!("cannot write `{}`", path.display())).with_note(e.to_string())
        })
    }
}
