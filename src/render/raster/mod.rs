//! Rasterised layers: text, title, rich-text, shape, svg and html assets become one RGBA image
//! each, drawn once in Rust, which the compositor overlays like any still image.
//!
//! Owns the bundled fonts and family resolution ([`Fonts`]), the text engine ([`text`]) and the
//! asset-to-pixels mapping. Does not decide where a layer goes on the canvas or when: the
//! compositor places the [`Layer`] by the clip's position, scale and timing.

mod anim;
mod assets;
pub mod cdp;
mod discover;
mod fallback;
mod family;
mod fit;
mod font_use;
mod fonts;
mod html;
#[cfg(test)]
mod html_pixels;
mod jslib;
mod page;
mod paint;
#[cfg(test)]
mod scripts_tests;
mod shape;
mod svg;
pub mod text;
mod woff;

use std::path::Path;

use tiny_skia::Pixmap;

use crate::diagnostics::{Diagnostic, Warned};
use crate::edit::Asset;
use crate::render::access::Gate;

pub use anim::{Animation, animate};
pub use discover::{FontEntry, env_font_paths};
pub use fit::check_text;
pub use font_use::{FACT_PREFIX, FontUse, is_fact};
pub use fonts::{FontChoice, FontOptions, Fonts, Origin};
pub use paint::parse_color;

thread_local! {
    /// The cancel flag long drawing loops on this thread watch (see [`watching`]).
    static CANCEL: std::cell::RefCell<Option<crate::render::Cancel>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `draw` on this thread with `cancel` watched by the long loops of text layout and
/// drawing (a 1 MiB cell takes seconds): once it is set they stop and the drawing fails with
/// "drawing cancelled", so Ctrl-C and SIGTERM are answered within a second or so (a huge
/// paragraph is shaped in pieces for this: `text::paragraph`).
pub fn watching<T>(cancel: &crate::render::Cancel, draw: impl FnOnce() -> T) -> T {
    let before = CANCEL.with(|c| c.replace(Some(cancel.clone())));
    let out = draw();
    CANCEL.with(|c| *c.borrow_mut() = before);
    out
}

/// Whether the flag of [`watching`] is set on this thread.
pub(crate) fn cancelled() -> bool {
    CANCEL.with(|c| c.borrow().as_ref().is_some_and(|c| c.is_cancelled()))
}

/// The error of a drawing stopped by [`watching`]'s flag.
pub(crate) fn cancelled_error() -> Diagnostic {
    Diagnostic::error("drawing cancelled")
}

/// How many items long loops handle between looks at the cancel flag.
pub(crate) const CANCEL_EVERY: usize = 4096;

/// One rasterised layer: a premultiplied RGBA image at its final pixel size.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// The pixels (premultiplied alpha, as tiny-skia keeps them).
    pub image: Pixmap,
    /// Width of the layer's box in pixels (equals the image width).
    pub width: u32,
    /// Height of the layer's box in pixels (equals the image height).
    pub height: u32,
    /// What a text layer drew with in the discovered font set (empty for other layers).
    pub fonts: FontUse,
}

impl Layer {
    /// Wraps a pixmap.
    pub fn new(image: Pixmap) -> Layer {
        Layer {
            fonts: FontUse::default(),
            width: image.width(),
            height: image.height(),
            image,
        }
    }

    /// The pixels as straight (non-premultiplied) RGBA, row by row.
    pub fn to_rgba(&self) -> Vec<u8> {
        // tiny-skia's `take_demultiplied` goes through its float pipeline for every pixel; text
        // layers are mostly fully transparent or fully opaque, which need no arithmetic.
        let mut out = self.image.data().to_vec();
        for px in out.chunks_exact_mut(4) {
            let a = u32::from(px[3]);
            if a != 0 && a != 255 {
                for c in &mut px[..3] {
                    *c = ((u32::from(*c) * 255 + a / 2) / a).min(255) as u8;
                }
            }
        }
        out
    }

    /// The layer as straight-alpha RGBA PNG bytes.
    pub fn png_bytes(&self) -> Result<Vec<u8>, Diagnostic> {
        self.image
            .encode_png()
            .map_err(|e| Diagnostic::error("cannot encode a layer as PNG").with_note(e.to_string()))
    }

    /// Writes the layer as a straight-alpha RGBA PNG with fast compression: for the frames of
    /// animations, where encoding time adds up.
    pub fn write_png_fast(&self, path: &Path) -> Result<(), Diagnostic> {
        self.encode(path, png::Compression::Fast)
    }

    /// Writes the layer as a straight-alpha RGBA PNG.
    pub fn write_png(&self, path: &Path) -> Result<(), Diagnostic> {
        self.encode(path, png::Compression::Balanced)
    }

    fn encode(&self, path: &Path, compression: png::Compression) -> Result<(), Diagnostic> {
        let cannot = |e: &dyn std::fmt::Display| {
            Diagnostic::error(format!("cannot write `{}`", path.display())).with_note(e.to_string())
        };
        let file = std::fs::File::create(path).map_err(|e| cannot(&e))?;
        let mut enc = png::Encoder::new(std::io::BufWriter::new(file), self.width, self.height);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(compression);
        let mut w = enc.write_header().map_err(|e| cannot(&e))?;
        w.write_image_data(&self.to_rgba())
            .map_err(|e| cannot(&e))?;
        w.finish().map_err(|e| cannot(&e))
    }
}

/// Rasterises a static asset (`text`, `rich-text`, `title`, `shape`, `svg`, `html`, `html5`)
/// into a layer. `clip_box` is the clip's `width`/`height` when both are set; `canvas` is the
/// output size. Warnings (font substitutions, missing glyphs) carry no spans: the caller labels
/// them with the clip.
///
/// Layer sizes: text and rich-text fill the clip box, else (text only) the asset's
/// `width`/`height`, else the canvas; title fills the canvas (clip box if set) and places the
/// text by its own `position`/`offset`; shape uses the asset's `width`/`height`, else the clip
/// box, else the canvas; svg fits the clip box, else keeps its own size; html uses the asset's
/// `width`/`height`, else the clip box, else the canvas.
///
/// Whatever an `html`/`html5` page or an `svg` `<image>` reads goes through `gate`: each
/// refused URL is a warning, and the gate keeps the files read.
pub fn rasterize(
    asset: &Asset,
    clip_box: Option<(u32, u32)>,
    canvas: (u32, u32),
    fonts: &Fonts,
    gate: &Gate<'_>,
) -> Warned<Result<Layer, Diagnostic>> {
    let asset_box = |w: Option<i64>, h: Option<i64>| match (w, h) {
        (Some(w), Some(h)) if w > 0 && h > 0 => Some((w as u32, h as u32)),
        _ => None,
    };
    let text_with = |style: Result<text::TextStyle, Diagnostic>| match style {
        Ok(style) => text::render_text(&style, fonts),
        Err(e) => Warned::new(Err(e)),
    };
    match asset {
        Asset::Text(a) => {
            let b = clip_box.or(asset_box(a.width, a.height)).unwrap_or(canvas);
            text_with(assets::text_style(a, b))
        }
        Asset::RichText(a) => text_with(assets::rich_text_style(a, clip_box.unwrap_or(canvas))),
        Asset::Title(a) => text_with(assets::title_style(a, clip_box.unwrap_or(canvas))),
        Asset::Shape(a) => {
            let b = asset_box(a.width, a.height).or(clip_box).unwrap_or(canvas);
            Warned::new(shape::render_shape(a, b))
        }
        Asset::Svg(a) => refused(
            svg::render_svg(&a.src, clip_box, fonts.svg_fontdb(), gate),
            gate,
            "the svg",
        ),
        Asset::Html(a) => {
            let page = html::Page {
                html: &a.html,
                css: a.css.as_deref(),
                js: None,
                background: a.background.as_deref(),
                position: a.position,
                size: asset_box(a.width, a.height).or(clip_box).unwrap_or(canvas),
                html5: false,
            };
            let drawn = html::render_html(&page, fonts, gate).map(|(layer, console)| {
                let mut warnings = console_warnings(&console);
                if layer.image.pixels().iter().all(|p| p.alpha() == 0) {
                    warnings.push(nothing_drawn("the html page is fully transparent"));
                }
                (layer, warnings)
            });
            page_warnings(drawn, gate, "the html page")
        }
        Asset::Html5(a) => {
            // Console messages and blank pages are reported by the frames ([`html5_frames`]),
            // which run the page's whole clip.
            let page = html5_page(a, clip_box, canvas);
            let drawn = html::render_html(&page, fonts, gate).map(|(layer, _)| (layer, vec![]));
            page_warnings(drawn, gate, "the html page")
        }
        other => Warned::new(Err(Diagnostic::error(format!(
            "`{}` assets are not drawn as still layers",
            asset_type(other)
        )))),
    }
}

/// Takes each frame of an html5 page: its index and PNG bytes.
pub type FrameSink<'a> = dyn FnMut(usize, &[u8]) -> Result<(), Diagnostic> + 'a;

/// The page of an html5 asset: the clip box, else the canvas.
fn html5_page<'a>(
    a: &'a crate::edit::Html5Asset,
    clip_box: Option<(u32, u32)>,
    canvas: (u32, u32),
) -> html::Page<'a> {
    html::Page {
        html: &a.html,
        css: a.css.as_deref(),
        js: a.js.as_deref(),
        background: None,
        position: None,
        size: clip_box.unwrap_or(canvas),
        html5: true,
    }
}

/// An html5 asset drawn on reel's clock at each of `times` (seconds), each frame's PNG
/// (straight RGBA, the layer's size) handed to `frame`; returns how many frames were drawn
/// (fewer than `times` once nothing on the page moves) with the console's errors and a warning
/// when every frame is blank. Refused URLs are left to the still layer ([`rasterize`]).
pub fn html5_frames(
    asset: &crate::edit::Html5Asset,
    clip_box: Option<(u32, u32)>,
    canvas: (u32, u32),
    fonts: &Fonts,
    gate: &Gate<'_>,
    times: &[f64],
    frame: &mut FrameSink<'_>,
) -> Warned<Result<usize, Diagnostic>> {
    let page = html5_page(asset, clip_box, canvas);
    match html::render_frames(&page, fonts, gate, times, frame) {
        Ok(f) => {
            let mut warnings = console_warnings(&f.console);
            if f.transparent {
                warnings.push(nothing_drawn(
                    "every frame of the html5 page is fully transparent",
                ));
            }
            Warned {
                output: Ok(f.count),
                warnings,
            }
        }
        Err(e) => Warned::new(Err(e)),
    }
}

/// One warning per console error or uncaught exception of a page.
fn console_warnings(console: &html::Console) -> Vec<Diagnostic> {
    console
        .errors
        .iter()
        .map(|e| {
            Diagnostic::warning(format!("the html page reported an error: {}", shorten(e)))
                .with_help("the page's script or markup failed in Chromium; check the asset's `js`, `html` and `css`")
        })
        .collect()
}

/// The warning for a page that drew nothing.
fn nothing_drawn(what: &str) -> Diagnostic {
    Diagnostic::warning(format!("{what}: nothing of it will show"))
        .with_help("check that the content fits the page (its `width` and `height`), its colours and fonts; text pushed out of a small box by margins or a large `line-height` is cut off")
}

/// A page's drawing and warnings plus one warning per URL `gate` refused.
fn page_warnings(
    drawn: Result<(Layer, Vec<Diagnostic>), Diagnostic>,
    gate: &Gate<'_>,
    what: &str,
) -> Warned<Result<Layer, Diagnostic>> {
    match drawn {
        Ok((layer, mut warnings)) => {
            let mut w = refused(Ok(layer), gate, what);
            warnings.append(&mut w.warnings);
            w.warnings = warnings;
            w
        }
        Err(e) => refused(Err(e), gate, what),
    }
}

/// Most refused URLs named one by one in warnings; the rest are counted.
const MAX_REFUSED_WARNINGS: usize = 8;

/// A drawing with one warning per URL `gate` refused to `what` (`the html page`).
fn refused(
    drawn: Result<Layer, Diagnostic>,
    gate: &Gate<'_>,
    what: &str,
) -> Warned<Result<Layer, Diagnostic>> {
    let refused = gate.refused();
    let mut warnings: Vec<Diagnostic> = refused
        .iter()
        .take(MAX_REFUSED_WARNINGS)
        .map(|(url, why)| {
            Diagnostic::warning(format!("{what} may not read `{}`", shorten(url)))
                .with_note(format!("refused: {why}"))
                .with_help(
                    "markup may read files under the template's folder, the files the edit \
                     names as assets, and public `http(s)://` URLs",
                )
        })
        .collect();
    if refused.len() > MAX_REFUSED_WARNINGS {
        warnings.push(Diagnostic::warning(format!(
            "{what} was refused {} more URLs",
            refused.len() - MAX_REFUSED_WARNINGS
        )));
    }
    Warned {
        output: drawn,
        warnings,
    }
}

/// A URL cut to 200 characters (data from a cell may be long).
fn shorten(url: &str) -> String {
    match url.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &url[..i]),
        None => url.to_string(),
    }
}

/// The JSON `type` of an asset.
fn asset_type(asset: &Asset) -> String {
    serde_json::to_value(asset)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_string))
        .unwrap_or_else(|| "this".into())
}

#[cfg(test)]
mod tests {
    use super::text::tests::ink_box;
    use super::*;

    /// Access to the fixtures folder only.
    pub(crate) fn test_access() -> crate::render::access::Access {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/raster");
        let cache = crate::render::cache::Cache::new(std::env::temp_dir().join("reel-test-cache"));
        crate::render::access::Access::new(&dir, &[], cache)
    }

    fn asset(json: serde_json::Value) -> Asset {
        serde_json::from_value(json).unwrap()
    }

    fn raster(json: serde_json::Value, clip_box: Option<(u32, u32)>) -> (Layer, Vec<String>) {
        let fonts = Fonts::bundled();
        let access = test_access();
        let w = rasterize(
            &asset(json),
            clip_box,
            (640, 360),
            &fonts,
            &Gate::new(&access),
        );
        let msgs = w.warnings.iter().map(|d| d.message.clone()).collect();
        (w.output.unwrap(), msgs)
    }

    #[test]
    fn text_asset_sizes_and_colours() {
        let text = serde_json::json!({"type": "text", "text": "Hello",
            "font": {"color": "#00ff00", "size": 40},
            "background": {"color": "#000080"}, "width": 300, "height": 100});
        let (l, w) = raster(text.clone(), None);
        assert!(w.is_empty(), "{w:?}");
        assert_eq!((l.width, l.height), (300, 100));
        assert!(ink_box(&l.image, (0, 255, 0)).is_some());
        let c = l.image.pixel(1, 1).unwrap();
        assert_eq!((c.blue(), c.alpha()), (128, 255));
        let (l, _) = raster(text, Some((200, 50)));
        assert_eq!((l.width, l.height), (200, 50));
        let (l, _) = raster(serde_json::json!({"type": "text", "text": "x"}), None);
        assert_eq!((l.width, l.height), (640, 360));
    }

    #[test]
    fn rich_text_defaults_to_black_open_sans_and_warns_on_unknown_family() {
        let (l, w) = raster(
            serde_json::json!({"type": "rich-text", "text": "Hi there"}),
            Some((300, 80)),
        );
        assert!(w.is_empty(), "{w:?}");
        assert!(ink_box(&l.image, (0, 0, 0)).is_some());
        let (_, w) = raster(
            serde_json::json!({"type": "rich-text", "text": "Hi", "font": {"family": "Manrope"}}),
            None,
        );
        assert_eq!(
            w,
            ["font family `Manrope` is not bundled; using DejaVu Sans"]
        );
    }

    #[test]
    fn title_is_placed_by_its_position() {
        let title = |pos: &str| {
            let (l, _) = raster(
                serde_json::json!({"type": "title", "text": "Title", "position": pos, "color": "#ff0000"}),
                None,
            );
            ink_box(&l.image, (255, 0, 0)).unwrap()
        };
        let (tl, br, c) = (title("topLeft"), title("bottomRight"), title("center"));
        assert!(tl.0 < 60 && tl.1 < 60, "{tl:?}");
        assert!(br.2 > 580 && br.3 > 300, "{br:?}");
        assert!(c.0 > 200 && c.2 < 440 && c.1 > 140 && c.3 < 220, "{c:?}");
    }

    #[test]
    fn title_offset_moves_by_canvas_fractions() {
        let at = |x: f64, y: f64| {
            let json = serde_json::json!({"type": "title", "text": "T", "color": "#ff0000",
                "offset": {"x": x, "y": y}});
            ink_box(&raster(json, None).0.image, (255, 0, 0)).unwrap()
        };
        let (base, moved) = (at(0.0, 0.0), at(0.25, 0.1));
        assert!(
            (moved.0 as i32 - base.0 as i32 - 160).abs() <= 2,
            "{base:?} → {moved:?}"
        );
        assert!(
            (base.1 as i32 - moved.1 as i32 - 36).abs() <= 2,
            "{base:?} → {moved:?}"
        );
    }

    #[test]
    fn bad_colours_are_errors_naming_the_field() {
        let fonts = Fonts::bundled();
        let a = asset(serde_json::json!({"type": "text", "text": "x", "font": {"color": "red"}}));
        let err = rasterize(&a, None, (64, 64), &fonts, &Gate::new(&test_access()))
            .output
            .unwrap_err();
        assert_eq!(err.message, "`font.color` is not a colour: `red`");
    }

    #[test]
    fn non_static_assets_are_refused() {
        let fonts = Fonts::bundled();
        let a = asset(serde_json::json!({"type": "image", "src": "a.png"}));
        let err = rasterize(&a, None, (64, 64), &fonts, &Gate::new(&test_access()))
            .output
            .unwrap_err();
        assert!(err.message.contains("`image`"), "{}", err.message);
    }

    /// Every `tests/fixtures/raster/*.json` (`asset`, `clip_box`, `canvas`, `warnings`) renders
    /// at the expected size, has visible pixels, and warns exactly as listed. Set
    /// `REEL_RASTER_OUT=dir` to keep the PNGs for a look.
    #[test]
    fn fixtures_render_with_the_expected_warnings() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/raster");
        let fonts = Fonts::bundled();
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let f: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            let size = |v: &serde_json::Value| {
                v.as_array()
                    .map(|a| (a[0].as_u64().unwrap() as u32, a[1].as_u64().unwrap() as u32))
            };
            let (clip, canvas) = (size(&f["clip_box"]), size(&f["canvas"]).unwrap());
            let access = test_access();
            let w = rasterize(
                &asset(f["asset"].clone()),
                clip,
                canvas,
                &fonts,
                &Gate::new(&access),
            );
            let warnings: Vec<&str> = w.warnings.iter().map(|d| d.message.as_str()).collect();
            let expected: Vec<&str> = f["warnings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert_eq!(warnings, expected, "{name}");
            let layer = w.output.unwrap_or_else(|e| panic!("{name}: {e}"));
            let opaque = layer
                .image
                .pixels()
                .iter()
                .filter(|p| p.alpha() > 0)
                .count();
            assert!(opaque > 100, "{name}: only {opaque} visible pixels");
            if let Some(out) = std::env::var_os("REEL_RASTER_OUT") {
                layer
                    .write_png(&Path::new(&out).join(name.replace(".json", ".png")))
                    .unwrap();
            }
            seen += 1;
        }
        assert!(seen >= 5, "only {seen} fixtures found");
    }

    #[test]
    fn png_is_written_with_straight_alpha() {
        let (l, _) = raster(
            serde_json::json!({"type": "shape", "shape": "rectangle",
                "fill": {"color": "#ff8000", "opacity": 0.5}, "width": 8, "height": 8}),
            None,
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.png");
        l.write_png(&path).unwrap();
        let back = Pixmap::load_png(&path).unwrap();
        assert_eq!(Pixmap::decode_png(&l.png_bytes().unwrap()).unwrap(), back);
        let c = back.pixel(4, 4).unwrap().demultiply();
        assert_eq!((c.red(), c.green(), c.blue()), (255, 128, 0));
        assert!((125..=130).contains(&c.alpha()));
        let rgba = l.to_rgba();
        assert_eq!(&rgba[..3], &[255, 128, 0]);
    }
}
