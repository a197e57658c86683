//! Text-like assets (text, rich-text, title, shape, svg, html) as cached PNG layers.
//!
//! The rasteriser (`raster::rasterize`) draws an asset once; this module stores the result in
//! the cache under a content address (the asset's JSON, its box, the canvas, the user font
//! files' contents, reel's version, which fixes the bundled fonts, and [`LAYER_REVISION`] for
//! the drawing code), so a row or a watch rebuild that did not change a layer does not draw it
//! again.
//!
//! `html` and `svg` layers may read files (images, style sheets, fonts) through the
//! [`Access`]: their key also holds the template's folder, the files they read are listed
//! beside the PNG with their content hashes (a changed file draws the layer again), and every
//! drawing or cache hit adds them to [`LayerContext::reads`] for the manifest and watch mode.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::diagnostics::{Diagnostic, Warned};
use crate::edit::Asset;
use crate::render::access::{Access, Gate};
use crate::render::cache::{self, Cache, CacheStats};
use crate::render::raster::{self, Fonts};
use crate::render::timeline::{Fps, Source};

/// What layers depend on besides the asset.
pub struct LayerContext<'a> {
    /// Where PNGs are stored.
    pub cache: &'a Cache,
    /// Fonts, with the Edit's `timeline.fonts` already added.
    pub fonts: &'a Fonts,
    /// Output size (the default box).
    pub canvas: (u32, u32),
    /// Output frame rate (animated text is drawn once per output frame).
    pub fps: Fps,
    /// Content hashes of the user font files, in `timeline.fonts` order.
    pub font_hashes: &'a [String],
    /// What html and svg layers may read.
    pub access: &'a Access,
    /// Files html and svg layers read so far (drawn or found in the cache), each once.
    pub reads: Mutex<Vec<PathBuf>>,
}

impl LayerContext<'_> {
    fn note_reads(&self, files: &[PathBuf]) {
        let mut reads = self.reads.lock().unwrap_or_else(|e| e.into_inner());
        for f in files {
            if !reads.contains(f) {
                reads.push(f.clone());
            }
        }
    }
}

/// Whether drawing `asset` may read files.
fn reads_files(asset: &Asset) -> bool {
    matches!(asset, Asset::Svg(_) | Asset::Html(_) | Asset::Html5(_))
}

/// Whether `asset` is drawn as a still layer.
pub fn is_layer(asset: &Asset) -> bool {
    matches!(
        asset,
        Asset::Text(_)
            | Asset::RichText(_)
            | Asset::Title(_)
            | Asset::Shape(_)
            | Asset::Svg(_)
            | Asset::Html(_)
            | Asset::Html5(_)
    )
}

/// Revision of what the rasteriser draws, in the layer key. Bump it with any change that moves
/// or alters pixels of an existing layer: reel's version does not change between builds, and
/// `--force` re-renders rows but reuses cached layers, so a stale layer would survive it.
/// 1: the drawing when the revision was added.
/// 2: middle-aligned text centres its ink, not its line boxes.
/// 3: html pages get a CSS reset and reel's fonts; html5 pages run on reel's clock.
/// 4: text layers list the discovered fonts they drew with (`.fonts.json`) for the manifest.
pub const LAYER_REVISION: u32 = 4;

/// The cache address of a layer. Pure.
pub fn layer_key(
    asset: &Asset,
    clip_box: Option<(u32, u32)>,
    canvas: (u32, u32),
    font_hashes: &[String],
) -> String {
    let mut h = blake3::Hasher::new();
    h.update(format!("{} r{LAYER_REVISION}", env!("CARGO_PKG_VERSION")).as_bytes());
    // Serialising the typed asset cannot fail (plain data, string keys).
    h.update(&serde_json::to_vec(asset).unwrap_or_default());
    h.update(format!("|{clip_box:?}|{canvas:?}|").as_bytes());
    for f in font_hashes {
        h.update(f.as_bytes());
    }
    h.finalize().to_hex().to_string()
}

/// The layer PNG of `asset` (drawn now, or found in the cache) as a [`Source::Layer`].
pub fn layer(
    asset: &Asset,
    clip_box: Option<(u32, u32)>,
    ctx: &LayerContext<'_>,
) -> Warned<Result<Source, Diagnostic>> {
    note_page_fonts(asset, ctx);
    let mut key = layer_key(asset, clip_box, ctx.canvas, ctx.font_hashes);
    if reads_files(asset) {
        // The same markup in another folder reads other files.
        let base = ctx.access.base_dir().to_string_lossy();
        key = blake3::hash(format!("{key}|{base}").as_bytes())
            .to_hex()
            .to_string();
    }
    let png = ctx.cache.entry(cache::LAYERS, &format!("{key}.png"));
    let notes = ctx
        .cache
        .entry(cache::LAYERS, &format!("{key}.warnings.json"));
    let reads = ctx.cache.entry(cache::LAYERS, &format!("{key}.reads.json"));
    // The font files and facts a text layer drew with: the key holds the discovered set, so
    // they hold while the layer does.
    let font_reads = ctx.cache.entry(cache::LAYERS, &format!("{key}.fonts.json"));
    let unchanged = || match stored_reads(&reads) {
        Some(files) => {
            ctx.note_reads(&files);
            true
        }
        None => false,
    };
    if let Some((width, height)) = png_size(&png)
        && (!reads_files(asset) || unchanged())
    {
        if let Ok(bytes) = std::fs::read(&font_reads) {
            ctx.note_reads(&serde_json::from_slice::<Vec<PathBuf>>(&bytes).unwrap_or_default());
        }
        // The drawing's warnings (font fallbacks, missing glyphs) hold on every render.
        return Warned {
            output: Ok(Source::Layer { png, width, height }),
            warnings: stored_warnings(&notes),
        };
    }
    if ctx.cache.cancel().is_cancelled() {
        return Warned::new(Err(cancelled()));
    }
    let gate = Gate::new(ctx.access);
    let drawn = raster::watching(ctx.cache.cancel(), || {
        raster::rasterize(asset, clip_box, ctx.canvas, ctx.fonts, &gate)
    });
    let files = gate.files();
    ctx.note_reads(&files);
    let warnings = drawn.warnings;
    let output = drawn.output.and_then(|layer| {
        // Written before the PNG: a PNG in the cache implies its warnings are there too.
        store_warnings(&warnings, &notes)?;
        if reads_files(asset) {
            store_reads(&files, &reads)?;
        }
        store_font_reads(&layer.fonts, &font_reads, ctx)?;
        store(&layer, &png)?;
        CacheStats::bump(&ctx.cache.stats().layers_written);
        Ok(Source::Layer {
            png,
            width: layer.width,
            height: layer.height,
        })
    });
    Warned { output, warnings }
}

/// Most frames one animated text clip draws: a longer motion (an hour-long typewriter from a
/// huge cell) is drawn at a lower rate, each frame lasting several output frames, so the work
/// and the cache stay bounded whatever the clip's length.
pub const MAX_DRAWN_FRAMES: usize = 750;

/// Most glyphs drawn for one animated clip, over all its frames: a long text gets fewer
/// frames (never fewer than [`MIN_DRAWN_FRAMES`]), as each frame draws every glyph.
const GLYPH_BUDGET: usize = 1_000_000;

/// The fewest frames the glyph budget leaves a long motion.
const MIN_DRAWN_FRAMES: usize = 50;

/// Which frames of an animation to draw: `count` of them, frame `j` at clip time `time(j)`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
struct Plan {
    count: usize,
    /// Output frames per drawn frame.
    step: usize,
    /// Start of the repeating cycle (endless motion).
    loop_from: Option<usize>,
    /// Seconds of motion one cycle covers (0 without a cycle).
    period: f64,
}

impl Plan {
    /// The plan for `anim` in a clip of `clip_frames` output frames at `fps`: never more than
    /// [`MAX_DRAWN_FRAMES`], fewer for long texts (an endless motion draws its entrance and
    /// one cycle, half a second and one second).
    fn new(anim: &raster::Animation, clip_frames: usize, fps: f64) -> Plan {
        let whole = Plan {
            count: clip_frames,
            step: 1,
            loop_from: None,
            period: 0.0,
        };
        if let Some(period) = anim.period() {
            // The entrance, then one cycle that repeats to the end of the clip.
            let intro = ((anim.duration() * fps).ceil() as usize).max(1);
            let cycle = ((period * fps).round() as usize).clamp(1, MAX_DRAWN_FRAMES);
            if clip_frames <= intro + cycle {
                return whole;
            }
            return Plan {
                count: intro + cycle,
                step: 1,
                loop_from: Some(intro),
                period,
            };
        }
        // Frame `count - 1` is at or after the end of the motion: the text at rest.
        let frames = ((anim.duration() * fps).ceil().min(1e9) as usize + 1).min(clip_frames);
        let most = (GLYPH_BUDGET / anim.glyphs().max(1)).clamp(MIN_DRAWN_FRAMES, MAX_DRAWN_FRAMES);
        let step = frames.div_ceil(most).max(1);
        Plan {
            count: (frames - 1).div_ceil(step) + 1,
            step,
            ..whole
        }
    }

    /// Clip time of drawn frame `j`.
    fn time(&self, j: usize, fps: f64) -> f64 {
        match self.loop_from {
            Some(intro) if j >= intro => {
                let cycle = (self.count - intro) as f64;
                intro as f64 / fps + (j - intro) as f64 / cycle * self.period
            }
            _ => (j * self.step) as f64 / fps,
        }
    }

    fn source(&self, dir: &Path, (width, height): (u32, u32)) -> Source {
        Source::Frames {
            dir: dir.to_path_buf(),
            count: self.count,
            step: self.step,
            loop_from: self.loop_from,
            width,
            height,
        }
    }
}

/// The file beside the frames that records their [`Plan`].
const PLAN_FILE: &str = "plan.json";

/// The frames of an animated text asset (rich-text presets, text `typewriter`) as a cached
/// image sequence from the clip's start until the text is at rest (for `movingLetters`, one
/// cycle of its motion that repeats), or `None` when the asset does not move. The compositor
/// holds the last frame for the rest of the clip, so it is the text at rest. The number of
/// frames is bounded (see [`Plan`]): planning costs per clip, not per output frame.
pub fn animation(
    asset: &Asset,
    clip_box: Option<(u32, u32)>,
    clip_length: f64,
    ctx: &LayerContext<'_>,
) -> Option<Warned<Result<Source, Diagnostic>>> {
    if let Asset::Html5(a) = asset {
        return Some(html5_animation(asset, a, clip_box, clip_length, ctx));
    }
    if !matches!(asset, Asset::Text(a) if a.animation.is_some())
        && !matches!(asset, Asset::RichText(a) if a.animation.is_some())
    {
        return None;
    }
    let mut key = blake3::Hasher::new();
    key.update(layer_key(asset, clip_box, ctx.canvas, ctx.font_hashes).as_bytes());
    key.update(format!("|{}|{clip_length}|plan", ctx.fps).as_bytes());
    let key = key.finalize().to_hex();
    let dir = ctx.cache.entry(cache::LAYERS, &format!("{key}.frames"));
    let font_reads = ctx.cache.entry(cache::LAYERS, &format!("{key}.fonts.json"));
    if let Some(source) = stored_sequence(&dir) {
        if let Ok(bytes) = std::fs::read(&font_reads) {
            ctx.note_reads(&serde_json::from_slice::<Vec<PathBuf>>(&bytes).unwrap_or_default());
        }
        return Some(Warned::new(Ok(source)));
    }
    let anim = raster::watching(ctx.cache.cancel(), || {
        raster::animate(asset, clip_box, ctx.canvas, ctx.fonts, clip_length)
    })?;
    let warnings = anim.warnings;
    let output = anim.output.and_then(|anim| {
        let fps = ctx.fps.as_f64();
        let clip_frames = (clip_length * fps).ceil().clamp(1.0, 1e12) as usize;
        let plan = Plan::new(&anim, clip_frames, fps);
        let cancel = ctx.cache.cancel();
        // Before the frames: a sequence in the cache implies its font list is there too.
        store_font_reads(&anim.fonts, &font_reads, ctx)?;
        let source = write_sequence(&dir, plan, |j| {
            // Checked per frame: a long animation takes minutes to draw.
            if cancel.is_cancelled() {
                return Err(cancelled());
            }
            anim.frame(plan.time(j, fps))
        })?;
        CacheStats::bump(&ctx.cache.stats().layers_written);
        Ok(source)
    });
    Some(Warned { output, warnings })
}

/// The frames of an html5 asset on reel's clock, one PNG per output frame from the clip's start
/// until nothing on the page moves any more (at most the whole clip), cached like a layer (its
/// key also holds the frame rate and clip length; the files the page read are checked as for
/// layers). Its warnings are the page's console errors and a blank page, stored beside it.
fn html5_animation(
    asset: &Asset,
    a: &crate::edit::Html5Asset,
    clip_box: Option<(u32, u32)>,
    clip_length: f64,
    ctx: &LayerContext<'_>,
) -> Warned<Result<Source, Diagnostic>> {
    note_page_fonts(asset, ctx);
    let base = ctx.access.base_dir().to_string_lossy();
    let key = layer_key(asset, clip_box, ctx.canvas, ctx.font_hashes);
    let key = blake3::hash(format!("{key}|{base}|{}|{clip_length}|html5", ctx.fps).as_bytes());
    let key = key.to_hex();
    let dir = ctx.cache.entry(cache::LAYERS, &format!("{key}.frames"));
    let notes = ctx
        .cache
        .entry(cache::LAYERS, &format!("{key}.warnings.json"));
    let reads = ctx.cache.entry(cache::LAYERS, &format!("{key}.reads.json"));
    if let Some(source) = stored_sequence(&dir)
        && let Some(files) = stored_reads(&reads)
    {
        ctx.note_reads(&files);
        return Warned {
            output: Ok(source),
            warnings: stored_warnings(&notes),
        };
    }
    let cancel = ctx.cache.cancel();
    if cancel.is_cancelled() {
        return Warned::new(Err(cancelled()));
    }
    let cannot = |e: std::io::Error| cannot_write(&dir, &e);
    let parent = dir.parent().unwrap_or(Path::new("."));
    let tmp = match std::fs::create_dir_all(parent)
        .and_then(|()| tempfile::Builder::new().prefix(".reel-").tempdir_in(parent))
    {
        Ok(t) => t,
        Err(e) => return Warned::new(Err(cannot(e))),
    };
    let fps = ctx.fps.as_f64();
    // Bounded like text animations: a long page is drawn at a lower rate (`step`).
    let frames = (clip_length * fps).ceil().clamp(1.0, 1e9) as usize;
    let step = frames.div_ceil(MAX_DRAWN_FRAMES).max(1);
    let times: Vec<f64> = (0..frames.div_ceil(step))
        .map(|j| (j * step) as f64 / fps)
        .collect();
    let gate = Gate::new(ctx.access);
    let drawn = raster::html5_frames(
        a,
        clip_box,
        ctx.canvas,
        ctx.fonts,
        &gate,
        &times,
        &mut |j, png| {
            if cancel.is_cancelled() {
                return Err(cancelled());
            }
            let path = tmp.path().join(Source::frame_name(j));
            std::fs::write(&path, png).map_err(|e| cannot_write(&path, &e))
        },
    );
    let files = gate.files();
    ctx.note_reads(&files);
    let warnings = drawn.warnings;
    let output = drawn.output.and_then(|count| {
        let first = tmp.path().join(Source::frame_name(0));
        let (width, height) = png_size(&first)
            .ok_or_else(|| Diagnostic::error("Chromium drew no frame of the html5 page"))?;
        let plan = Plan {
            count,
            step,
            loop_from: None,
            period: 0.0,
        };
        let json = serde_json::to_vec(&plan).expect("a plan serialises");
        std::fs::write(tmp.path().join(PLAN_FILE), json).map_err(cannot)?;
        store_warnings(&warnings, &notes)?;
        store_reads(&files, &reads)?;
        // A sequence whose files changed is drawn again in place of the old one.
        let _ = std::fs::remove_dir_all(&dir);
        publish(tmp, &dir)?;
        CacheStats::bump(&ctx.cache.stats().layers_written);
        Ok(plan.source(&dir, (width, height)))
    });
    Warned { output, warnings }
}

/// Renames a finished temporary directory into place as `dir`.
fn publish(tmp: tempfile::TempDir, dir: &Path) -> Result<(), Diagnostic> {
    let tmp = tmp.keep();
    if let Err(e) = std::fs::rename(&tmp, dir) {
        // Another job drew the same sequence first: keep theirs.
        let _ = std::fs::remove_dir_all(&tmp);
        if !dir.is_dir() {
            return Err(cannot_write(dir, &e));
        }
    }
    Ok(())
}

/// The error of a drawing stopped by the render's cancel flag.
fn cancelled() -> Diagnostic {
    Diagnostic::error("drawing cancelled")
}

/// A finished sequence in `dir` (directories appear by rename only once complete).
fn stored_sequence(dir: &Path) -> Option<Source> {
    let plan: Plan = serde_json::from_slice(&std::fs::read(dir.join(PLAN_FILE)).ok()?).ok()?;
    let size = png_size(&dir.join(Source::frame_name(0)))?;
    Some(plan.source(dir, size))
}

/// Draws the frames of `plan` into a temporary directory beside `dir` (on both cores: drawing
/// and PNG encoding dominate), then renames it into place.
fn write_sequence(
    dir: &Path,
    plan: Plan,
    draw: impl Fn(usize) -> Result<raster::Layer, Diagnostic> + Sync,
) -> Result<Source, Diagnostic> {
    let count = plan.count;
    let cannot = |e: std::io::Error| cannot_write(dir, &e);
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(cannot)?;
    let tmp = tempfile::Builder::new()
        .prefix(".reel-")
        .tempdir_in(parent)
        .map_err(cannot)?;
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(count.max(1));
    let sizes = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (draw, tmp) = (&draw, tmp.path());
                s.spawn(move || -> Result<Vec<(u32, u32)>, Diagnostic> {
                    let mut sizes = Vec::new();
                    for j in (t..count).step_by(threads) {
                        let layer = draw(j)?;
                        layer.write_png_fast(&tmp.join(Source::frame_name(j)))?;
                        sizes.push((layer.width, layer.height));
                    }
                    Ok(sizes)
                })
            })
            .collect();
        let mut sizes = Vec::new();
        for w in workers {
            match w.join() {
                Ok(r) => sizes.extend(r?),
                Err(p) => std::panic::resume_unwind(p),
            }
        }
        Ok::<_, Diagnostic>(sizes)
    })?;
    let size = sizes.first().copied().unwrap_or((2, 2));
    if sizes.iter().any(|&s| s != size) {
        return Err(Diagnostic::error(
            "the frames of an animated layer differ in size",
        ));
    }
    let json = serde_json::to_vec(&plan).expect("a plan serialises");
    std::fs::write(tmp.path().join(PLAN_FILE), json).map_err(cannot)?;
    publish(tmp, dir)?;
    Ok(plan.source(dir, size))
}

/// A layer's warnings as stored by [`store_warnings`] (none when there is no file).
fn stored_warnings(path: &Path) -> Vec<Diagnostic> {
    let Ok(text) = std::fs::read(path) else {
        return Vec::new();
    };
    let stored: Vec<(String, Vec<String>, Option<String>)> =
        serde_json::from_slice(&text).unwrap_or_default();
    let warning = |(message, notes, help): (String, Vec<String>, Option<String>)| {
        let mut d = Diagnostic::warning(message);
        d.notes = notes;
        d.help = help;
        d
    };
    stored.into_iter().map(warning).collect()
}

/// The files a cached layer read, if each still has the content it had then; `None` when the
/// list is missing or a file changed (the layer must be drawn again).
fn stored_reads(path: &Path) -> Option<Vec<PathBuf>> {
    let text = std::fs::read(path).ok()?;
    let stored: Vec<(PathBuf, String)> = serde_json::from_slice(&text).ok()?;
    let mut files = Vec::with_capacity(stored.len());
    for (file, hash) in stored {
        let now = cache::hash_file_memo(&file).ok()?;
        if now.to_hex().as_str() != hash {
            return None;
        }
        files.push(file);
    }
    Some(files)
}

/// Chromium may draw an html page's text with any installed font (fontconfig), not through
/// reel's font set: an html layer depends on the whole discovered set.
fn note_page_fonts(asset: &Asset, ctx: &LayerContext<'_>) {
    if matches!(asset, Asset::Html(_) | Asset::Html5(_)) {
        let all = raster::FontUse {
            fell_back: true,
            ..raster::FontUse::default()
        };
        ctx.note_reads(&all.reads());
    }
}

/// Notes the font files and facts a text layer drew with and lists them beside it (`path`),
/// for its cache hits.
fn store_font_reads(
    fonts: &raster::FontUse,
    path: &Path,
    ctx: &LayerContext<'_>,
) -> Result<(), Diagnostic> {
    let reads = fonts.reads();
    if reads.is_empty() {
        return Ok(());
    }
    ctx.note_reads(&reads);
    // Paths: serialising cannot fail.
    let bytes = serde_json::to_vec(&reads).unwrap_or_default();
    cache::write_atomic(path, &bytes).map_err(|e| cannot_write(path, &e))
}

/// Lists the files a layer read, with their content hashes, beside it.
fn store_reads(files: &[PathBuf], path: &Path) -> Result<(), Diagnostic> {
    let mut stored = Vec::with_capacity(files.len());
    for f in files {
        let hash = cache::hash_file_memo(f).map_err(|e| cannot_write(path, &e))?;
        stored.push((f, hash.to_hex().to_string()));
    }
    // Paths and strings: serialising cannot fail.
    let bytes = serde_json::to_vec(&stored).unwrap_or_default();
    cache::write_atomic(path, &bytes).map_err(|e| cannot_write(path, &e))
}

/// Keeps a layer's warnings beside it (they carry no labels: resolve labels them with the clip).
fn store_warnings(warnings: &[Diagnostic], path: &Path) -> Result<(), Diagnostic> {
    if warnings.is_empty() {
        return Ok(());
    }
    let stored: Vec<_> = warnings
        .iter()
        .map(|d| (&d.message, &d.notes, &d.help))
        .collect();
    // Plain strings: serialising cannot fail.
    let bytes = serde_json::to_vec(&stored).unwrap_or_default();
    cache::write_atomic(path, &bytes).map_err(|e| cannot_write(path, &e))
}

/// The error for a layer cache file or directory that cannot be written.
fn cannot_write(path: &Path, e: &std::io::Error) -> Diagnostic {
    Diagnostic::error(format!("cannot write the layer cache `{}`", path.display()))
        .with_note(e.to_string())
}

/// Writes the PNG beside its final name, then renames it (a crash never leaves half a PNG).
fn store(layer: &raster::Layer, png: &Path) -> Result<(), Diagnostic> {
    let tmp = cache::temp_beside(png).map_err(|e| cannot_write(png, &e))?;
    layer.write_png(tmp.path())?;
    tmp.persist(png).map_err(|e| cannot_write(png, &e.error))?;
    Ok(())
}

/// Width and height from a PNG's IHDR chunk; `None` if the file is missing or not a PNG.
fn png_size(path: &Path) -> Option<(u32, u32)> {
    use std::io::Read;
    let mut head = [0u8; 24];
    std::fs::File::open(path).ok()?.read_exact(&mut head).ok()?;
    if &head[..8] != b"\x89PNG\r\n\x1a\n" || &head[12..16] != b"IHDR" {
        return None;
    }
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    Some((be(&head[16..20]), be(&head[20..24])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_layer_keeps_its_warnings() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let fonts = Fonts::bundled();
        let access = Access::new(dir.path(), &[], cache.clone());
        let ctx = LayerContext {
            cache: &cache,
            fonts: &fonts,
            canvas: (160, 90),
            fps: Fps::from_f64(25.0),
            font_hashes: &[],
            access: &access,
            reads: Mutex::default(),
        };
        let asset: Asset = serde_json::from_value(serde_json::json!(
            {"type": "text", "text": "Привет", "font": {"family": "Arapey"}}
        ))
        .unwrap();
        let messages = |w: Warned<Result<Source, Diagnostic>>| {
            assert!(w.output.is_ok());
            let m: Vec<String> = w.warnings.into_iter().map(|d| d.message).collect();
            m
        };
        let drawn = messages(layer(&asset, None, &ctx));
        assert_eq!(drawn.len(), 1, "{drawn:?}");
        assert!(
            drawn[0].contains("drawing them with DejaVu Sans"),
            "{drawn:?}"
        );
        let cached = messages(layer(&asset, None, &ctx));
        assert_eq!(cached, drawn);
        let written = cache
            .stats()
            .layers_written
            .load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(written, 1, "the second call drew again");
    }

    #[test]
    fn svg_layers_list_what_they_read_and_redraw_when_it_changes() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().join("cache"));
        let fonts = Fonts::bundled();
        let png = dir.path().join("dot.png");
        let solid = |r: u8| {
            let mut p = tiny_skia::Pixmap::new(4, 4).unwrap();
            p.fill(tiny_skia::Color::from_rgba8(r, 0, 0, 255));
            p.save_png(&png).unwrap();
        };
        solid(255);
        let access = Access::new(dir.path(), &[], cache.clone());
        let ctx = LayerContext {
            cache: &cache,
            fonts: &fonts,
            canvas: (16, 16),
            fps: Fps::from_f64(25.0),
            font_hashes: &[],
            access: &access,
            reads: Mutex::default(),
        };
        let asset: Asset = serde_json::from_value(serde_json::json!({"type": "svg",
            "src": "<svg xmlns='http://www.w3.org/2000/svg' width='16' height='16'>\
                    <image href='dot.png' width='16' height='16'/></svg>"}))
        .unwrap();
        let written = || {
            cache
                .stats()
                .layers_written
                .load(std::sync::atomic::Ordering::Relaxed)
        };
        assert!(layer(&asset, None, &ctx).output.is_ok());
        assert!(layer(&asset, None, &ctx).output.is_ok());
        assert_eq!(written(), 1, "the second call drew again");
        let canon = png.canonicalize().unwrap();
        assert_eq!(*ctx.reads.lock().unwrap(), [canon]);
        solid(10);
        assert!(layer(&asset, None, &ctx).output.is_ok());
        assert_eq!(written(), 2, "a changed image did not draw the layer again");
    }

    #[test]
    fn key_changes_with_every_input() {
        let a: Asset =
            serde_json::from_value(serde_json::json!({"type": "text", "text": "hi"})).unwrap();
        let b: Asset =
            serde_json::from_value(serde_json::json!({"type": "text", "text": "ho"})).unwrap();
        let k = layer_key(&a, None, (160, 90), &[]);
        assert_eq!(k, layer_key(&a, None, (160, 90), &[]));
        assert_ne!(k, layer_key(&b, None, (160, 90), &[]));
        assert_ne!(k, layer_key(&a, Some((10, 10)), (160, 90), &[]));
        assert_ne!(k, layer_key(&a, None, (320, 180), &[]));
        assert_ne!(k, layer_key(&a, None, (160, 90), &["f".into()]));
    }

    #[test]
    fn png_size_reads_ihdr() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.png");
        tiny_skia::Pixmap::new(7, 3).unwrap().save_png(&p).unwrap();
        assert_eq!(png_size(&p), Some((7, 3)));
        std::fs::write(&p, b"nope").unwrap();
        assert_eq!(png_size(&p), None);
    }
}
