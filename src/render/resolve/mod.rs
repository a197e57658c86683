//! Resolve: an Edit plus the files it names → a [`Timeline`] ready to compile.
//!
//! Fills `auto` / `end` / `alias://` timing ([`timing`], pure), finds and probes every media
//! file ([`media`]: downloads, probe cache), loads `timeline.fonts`, rasterises text-like
//! assets into cached PNG layers ([`layer`]), reads caption subtitle files ([`subtitles`],
//! pure; [`captions`]: one layer clip per cue), and lowers Shotstack's properties to render
//! parameters ([`lower`], pure); properties it cannot honour are warnings ([`unsupported`]).
//! Every problem becomes a diagnostic at the clip's template span
//! (via [`Origins`]) and all of them are reported together. It does not build ffmpeg arguments
//! (that is `compile`) and never spawns ffmpeg itself (only ffprobe, through `probe`).

pub mod captions;
pub mod fonts;
pub mod layer;
pub mod lower;
pub mod media;
pub mod subtitles;
pub mod textcheck;
pub mod timing;
pub mod unsupported;

use std::path::PathBuf;

use crate::diagnostics::{Diagnostic, Sink, SourceMap, SourceResult, Warned};
use crate::edit::{Asset, Clip, Edit, Origins};
use crate::render::access::Access;
use crate::render::cache::Cache;
use crate::render::fetch::{self, Location};
use crate::render::raster::Fonts;
use crate::render::timeline::{self as tl, ClipKind, Source, TimedClip, Timeline};

use self::captions::Captions;
use self::layer::LayerContext;
use self::lower::Problem;
use self::media::Prober;
use self::timing::{ClipTiming, Field, Timed, TimingError};

/// Everything resolve needs besides the Edit.
pub struct ResolveContext<'a> {
    /// Directory relative `src` paths are read from (the template's directory).
    pub base_dir: PathBuf,
    /// Probe results, downloads and rasterised layers.
    pub cache: Cache,
    /// Bundled fonts; the Edit's `timeline.fonts` files are added to them.
    pub fonts: &'a Fonts,
    /// Where each value of the Edit came from, to label diagnostics; `None` for bare JSON.
    pub origins: Option<&'a Origins>,
    /// The run's source files: a subtitle file with errors is added so they can be shown in
    /// it. `None`: such errors name `file:line:column` in a note instead.
    pub sources: Option<&'a SourceMap>,
    /// Seconds: a clip ending later (an `auto` length from a long file, `end` after such a
    /// clip) is an error at the clip, and is neither drawn nor planned.
    pub max_duration: f64,
}

/// What resolve knows about one clip before timing.
enum Prepared {
    /// A probed media file.
    Media(media::Media),
    /// A drawn layer ([`Source::Layer`]) and the clip box it was drawn for.
    Layer(Source, Option<(u32, u32)>),
    /// Caption cues, drawn once timing is known (one layer clip per cue shown).
    Captions(Captions),
    /// Already reported.
    Failed,
}

/// One clip on its way through resolve.
struct Item<'e> {
    track: usize,
    pointer: String,
    clip: &'e Clip,
    prepared: Prepared,
}

/// Resolves `edit` into a [`Timeline`]: every clip timed, probed or rasterised. Errors and
/// warnings name the clip (and carry its template span when `ctx.origins` is given).
pub fn resolve(edit: &Edit, ctx: &ResolveContext<'_>) -> Warned<SourceResult<Timeline>> {
    let mut sink = Sink::default();
    for p in unsupported::warnings(edit) {
        sink.push(label(ctx, &p.pointer, *p.diagnostic));
    }
    let canvas = take(lower::canvas(&edit.output), ctx, &mut sink);
    let background = take(
        lower::background(edit.timeline.background.as_deref()),
        ctx,
        &mut sink,
    );
    let mut prober = Prober::new(&ctx.base_dir, &ctx.cache);
    let font_hashes = load_fonts(edit, ctx, &mut prober, &mut sink);
    prober.prefetch(&media_srcs(edit));
    let access = Access::new(&ctx.base_dir, &named_files(edit, ctx), ctx.cache.clone());
    let layers = LayerContext {
        cache: &ctx.cache,
        fonts: ctx.fonts,
        canvas: canvas.map_or((1280, 720), |c| (c.width, c.height)),
        fps: canvas.map_or(tl::Fps::from_f64(25.0), |c| c.fps),
        font_hashes: &font_hashes,
        access: &access,
        reads: Default::default(),
    };
    let items = prepare_all(edit, &mut prober, &layers, ctx, &mut sink);
    let mut layer_files = Vec::new();
    let (tracks, duration) = place(
        &items,
        edit.timeline.tracks.len(),
        &layers,
        ctx,
        &mut sink,
        &mut layer_files,
    );
    let soundtrack = take(soundtrack(edit, &mut prober), ctx, &mut sink).flatten();
    if items.is_empty() {
        let d = Diagnostic::error("the timeline has no clips");
        sink.push(label(ctx, "/timeline/tracks", d));
    }
    let mut files = prober.files;
    files.extend(layer_files);
    for f in layers.reads.into_inner().unwrap_or_else(|e| e.into_inner()) {
        if !files.contains(&f) {
            files.push(f);
        }
    }
    sink.finish(Timeline {
        // Without a canvas an error was recorded, so this placeholder is never returned.
        canvas: canvas.unwrap_or(tl::Canvas {
            width: 2,
            height: 2,
            fps: tl::Fps::from_f64(25.0),
        }),
        duration,
        background: background.unwrap_or(tl::Color::BLACK),
        tracks,
        soundtrack,
        output: lower::output_spec(&edit.output),
        files,
    })
}

/// The local files the Edit names as assets (media, soundtrack, fonts): html and svg markup may
/// read these besides the template's folder.
fn named_files(edit: &Edit, ctx: &ResolveContext<'_>) -> Vec<PathBuf> {
    let fonts = edit.timeline.fonts.iter().flatten().map(|f| f.src.as_str());
    media_srcs(edit)
        .into_iter()
        .chain(fonts)
        .filter_map(|src| match fetch::locate(src, &ctx.base_dir) {
            Ok(Location::Local(path)) => Some(path),
            _ => None,
        })
        .collect()
}

/// Every media `src` of the Edit (clips, then the soundtrack), in document order.
fn media_srcs(edit: &Edit) -> Vec<&str> {
    let clips = edit.clips().filter_map(|(_, _, c)| match &c.asset {
        Asset::Video(_) | Asset::Image(_) | Asset::Audio(_) | Asset::Luma(_) => c.asset.src(),
        _ => None,
    });
    let soundtrack = edit.timeline.soundtrack.iter().map(|s| s.src.as_str());
    clips.chain(soundtrack).collect()
}

/// Prepares every clip, in document order.
fn prepare_all<'e>(
    edit: &'e Edit,
    prober: &mut Prober<'_>,
    layers: &LayerContext<'_>,
    ctx: &ResolveContext<'_>,
    sink: &mut Sink,
) -> Vec<Item<'e>> {
    edit.clips()
        .map(|(t, c, clip)| {
            let pointer = format!("/timeline/tracks/{t}/clips/{c}");
            let prepared = prepare(clip, &pointer, prober, layers, ctx, sink);
            Item {
                track: t,
                pointer,
                clip,
                prepared,
            }
        })
        .collect()
}

impl Item<'_> {
    /// The clip's index in its track, read back from its pointer.
    fn pointer_clip(&self) -> usize {
        let last = self.pointer.rsplit('/').next().unwrap_or("0");
        last.parse().unwrap_or(0)
    }
}

/// Times every prepared clip and builds the tracks; returns them with the timeline duration
/// (the latest clip end: a caption clip counts whole, even past its last cue).
fn place(
    items: &[Item<'_>],
    track_count: usize,
    layers: &LayerContext<'_>,
    ctx: &ResolveContext<'_>,
    sink: &mut Sink,
    layer_files: &mut Vec<PathBuf>,
) -> (Vec<Vec<TimedClip>>, f64) {
    let inputs: Vec<ClipTiming> = items
        .iter()
        .map(|it| ClipTiming {
            track: it.track,
            start: it.clip.start.clone(),
            length: it.clip.length.clone(),
            alias: it.clip.alias.clone(),
            auto_length: match &it.prepared {
                Prepared::Media(m) => Some(m.auto_length),
                Prepared::Layer(..) => Some(media::DEFAULT_LENGTH),
                Prepared::Captions(c) => Some(c.auto_length().unwrap_or(media::DEFAULT_LENGTH)),
                Prepared::Failed => None,
            },
        })
        .collect();
    let (timed, errors) = timing::resolve_timing(&inputs);
    for e in &errors {
        sink.push(timing_diagnostic(e, items, ctx));
    }
    let mut tracks = vec![Vec::new(); track_count];
    let mut duration = 0.0_f64;
    for (it, time) in items.iter().zip(timed) {
        // Failed clips are timed only to report timing problems of the clips after them.
        let (Some(time), false) = (time, matches!(it.prepared, Prepared::Failed)) else {
            continue;
        };
        if let Prepared::Layer(Source::Layer { png, .. }, _) = &it.prepared {
            layer_files.push(png.clone());
        }
        let end = time.start + time.length;
        if end > ctx.max_duration {
            let what = format!("clip {} on track {}", it.pointer_clip() + 1, it.track + 1);
            let d = crate::edit::too_long(&what, end, ctx.max_duration);
            sink.push(label(ctx, &format!("{}/length", it.pointer), d));
            continue;
        }
        if let Prepared::Captions(caps) = &it.prepared {
            let Some(base) = take(lower::visual(it.clip, time.length, &it.pointer), ctx, sink)
            else {
                continue;
            };
            let cues = CaptionClip {
                it,
                caps,
                time,
                base,
            };
            tracks[it.track].extend(caption_clips(&cues, layers, ctx, sink, layer_files));
            duration = duration.max(end);
        } else if let Some(mut tc) = take(timed_clip(it, time), ctx, sink) {
            if let Prepared::Layer(_, clip_box) = &it.prepared {
                animate(&mut tc, it.clip, *clip_box, layers, ctx, sink);
            }
            tracks[it.track].push(tc);
            duration = duration.max(end);
        }
    }
    (tracks, duration)
}

/// A timed caption clip on its way to one layer clip per cue.
struct CaptionClip<'a, 'e> {
    it: &'a Item<'e>,
    caps: &'a Captions,
    time: Timed,
    /// The look of the whole clip.
    base: tl::Visual,
}

/// One [`ClipKind::Layer`] clip per cue the caption clip shows, each drawing only its cue's
/// text, all at the caption clip's pointer. Drawing warnings are reported once per clip.
fn caption_clips(
    c: &CaptionClip<'_, '_>,
    layers: &LayerContext<'_>,
    ctx: &ResolveContext<'_>,
    sink: &mut Sink,
    layer_files: &mut Vec<PathBuf>,
) -> Vec<TimedClip> {
    let (ptr, length) = (&c.it.pointer, c.time.length);
    let windows = c.caps.windows(length);
    if windows.is_empty() {
        let d = Diagnostic::warning("no subtitle cue falls inside this caption clip").with_note(
            format!(
                "the clip shows the file from {:.3} s at speed {}",
                c.caps.trim, c.caps.speed
            ),
        );
        sink.push(label(ctx, &format!("{ptr}/asset/src"), d));
    }
    let box_size = c.base.box_size.unwrap_or(layers.canvas);
    let at = format!("{ptr}/asset");
    let mut warned: Vec<Diagnostic> = Vec::new();
    let mut clips = Vec::new();
    for w in &windows {
        let asset = captions::cue_asset(&c.it.clip.asset, &w.text, box_size);
        let drawn = layer::layer(&asset, c.base.box_size, layers);
        for d in drawn.warnings {
            if !warned.iter().any(|seen| seen.message == d.message) {
                warned.push(d);
            }
        }
        let source = match drawn.output {
            Ok(source) => source,
            Err(d) => {
                sink.push(label(ctx, &at, d));
                break;
            }
        };
        if let Source::Layer { png, .. } = &source {
            layer_files.push(png.clone());
        }
        clips.push(TimedClip {
            pointer: ptr.clone(),
            start: c.time.start + w.start,
            length: w.end - w.start,
            kind: ClipKind::Layer,
            source,
            visual: captions::cue_visual(&c.base, w, length),
            media: tl::MediaParams::default(),
        });
    }
    sink.extend(warned.into_iter().map(|d| label(ctx, &at, d)));
    clips
}

/// Swaps the still layer of animated text for its frame sequence, now that the clip's length
/// is known (it sets the pace of automatic animations). A failure is reported at the asset.
fn animate(
    tc: &mut TimedClip,
    clip: &Clip,
    clip_box: Option<(u32, u32)>,
    layers: &LayerContext<'_>,
    ctx: &ResolveContext<'_>,
    sink: &mut Sink,
) {
    let Some(drawn) = layer::animation(&clip.asset, clip_box, tc.length, layers) else {
        return;
    };
    let at = format!("{}/asset", tc.pointer);
    // The still layer already gave the same font warnings; an html5 page's console errors
    // and blank frames come from its frames only.
    if matches!(clip.asset, crate::edit::Asset::Html5(_)) {
        sink.extend(drawn.warnings.into_iter().map(|w| label(ctx, &at, w)));
    }
    match drawn.output {
        Ok(source) => tc.source = source,
        Err(d) => sink.push(label(ctx, &at, d)),
    }
}

/// Finds, probes or draws the clip's source. Problems go to `sink`.
fn prepare(
    clip: &Clip,
    ptr: &str,
    prober: &mut Prober<'_>,
    layers: &LayerContext<'_>,
    ctx: &ResolveContext<'_>,
    sink: &mut Sink,
) -> Prepared {
    let asset = &clip.asset;
    let result = match asset {
        Asset::Video(_) | Asset::Image(_) | Asset::Audio(_) | Asset::Luma(_) => {
            media::media(asset, prober, ptr).map(Prepared::Media)
        }
        Asset::TextToSpeech(_) | Asset::TextToImage(_) | Asset::ImageToVideo(_) => {
            Err(media::needs_provider(asset.kind_name(), ptr))
        }
        Asset::Caption(_) | Asset::RichCaption(_) => {
            return prepare_captions(clip, ptr, prober, ctx, sink);
        }
        _ => return prepare_layer(clip, ptr, layers, ctx, sink),
    };
    take(result, ctx, sink).unwrap_or(Prepared::Failed)
}

fn prepare_layer(
    clip: &Clip,
    ptr: &str,
    layers: &LayerContext<'_>,
    ctx: &ResolveContext<'_>,
    sink: &mut Sink,
) -> Prepared {
    let boxed = lower::clip_box(clip, ptr).and_then(|b| {
        lower::check_asset_size(&clip.asset, ptr)?;
        Ok(b)
    });
    let Some(clip_box) = take(boxed, ctx, sink) else {
        return Prepared::Failed;
    };
    let drawn = layer::layer(&clip.asset, clip_box, layers);
    let at = format!("{ptr}/asset");
    // A text's warnings (glyphs, fallback fonts) point at the text, and so at the data cell
    // it came from.
    let warn_at = match &clip.asset {
        Asset::Text(_) | Asset::RichText(_) => format!("{at}/text"),
        _ => at.clone(),
    };
    sink.extend(drawn.warnings.into_iter().map(|w| label(ctx, &warn_at, w)));
    match drawn.output {
        Ok(source) => Prepared::Layer(source, clip_box),
        Err(d) => {
            sink.push(label(ctx, &at, d));
            Prepared::Failed
        }
    }
}

/// Reads the subtitle file of a caption clip; warns about rich-caption features drawn still.
fn prepare_captions(
    clip: &Clip,
    ptr: &str,
    prober: &mut Prober<'_>,
    ctx: &ResolveContext<'_>,
    sink: &mut Sink,
) -> Prepared {
    let boxed = lower::clip_box(clip, ptr);
    if let Some(w) = captions::unanimated(&clip.asset, ptr) {
        sink.push(label(ctx, &w.pointer, *w.diagnostic));
    }
    match (captions::load(&clip.asset, ptr, prober, ctx.sources), boxed) {
        (Ok(caps), Ok(_)) => Prepared::Captions(caps),
        (loaded, boxed) => {
            let problems = loaded.err().into_iter().flatten().chain(boxed.err());
            for p in problems {
                sink.push(label(ctx, &p.pointer, *p.diagnostic));
            }
            Prepared::Failed
        }
    }
}

/// The timeline clip of a prepared, timed item (`place` never passes failed ones).
fn timed_clip(it: &Item<'_>, time: Timed) -> Result<TimedClip, Problem> {
    let (kind, source) = match &it.prepared {
        Prepared::Media(m) => (
            m.kind,
            Source::Media {
                path: m.path.clone(),
                info: media::timeline_info(&m.info),
            },
        ),
        Prepared::Layer(source, _) => (ClipKind::Layer, source.clone()),
        Prepared::Captions(_) | Prepared::Failed => (ClipKind::Layer, Source::None),
    };
    Ok(TimedClip {
        pointer: it.pointer.clone(),
        start: time.start,
        length: time.length,
        kind,
        source,
        visual: lower::visual(it.clip, time.length, &it.pointer)?,
        media: lower::media_params(&it.clip.asset, time.length),
    })
}

/// `timeline.soundtrack`: fetched, probed, must have sound.
fn soundtrack(edit: &Edit, prober: &mut Prober<'_>) -> Result<Option<tl::Soundtrack>, Problem> {
    let Some(s) = &edit.timeline.soundtrack else {
        return Ok(None);
    };
    let ptr = "/timeline/soundtrack/src".to_string();
    let (path, info) = prober
        .probe(&s.src)
        .map_err(|m| Problem::new(ptr.clone(), Diagnostic::error(m)))?;
    if !info.has_audio {
        let d = Diagnostic::error(format!("the soundtrack `{}` has no sound", s.src));
        return Err(Problem::new(ptr, d));
    }
    Ok(Some(tl::Soundtrack {
        path,
        info: media::timeline_info(&info),
        volume: s.volume.unwrap_or(1.0).max(0.0),
        fade: s.effect.and_then(|e| tl::AudioFade::parse(e.as_str())),
    }))
}

/// Adds `timeline.fonts` to the fonts; returns their content hashes (for layer cache keys).
/// A font URL that cannot be downloaded is a warning (the family may still resolve to a bundled
/// font); a missing local file or a file that is not a font is an error.
fn load_fonts(
    edit: &Edit,
    ctx: &ResolveContext<'_>,
    prober: &mut Prober<'_>,
    sink: &mut Sink,
) -> Vec<String> {
    // Installed fonts draw the characters bundled ones lack: a new font set redraws layers.
    let mut hashes = vec![ctx.fonts.discovered_digest()];
    hashes.retain(|h| !h.is_empty());
    for (i, font) in edit.timeline.fonts.iter().flatten().enumerate() {
        let ptr = format!("/timeline/fonts/{i}/src");
        let remote = matches!(
            fetch::locate(&font.src, &ctx.base_dir),
            Ok(Location::Remote(_))
        );
        let path = match prober.local(&font.src, "font file") {
            Ok(path) => path,
            Err(m) if remote => {
                ctx.fonts.add_missing_src(&font.src);
                sink.push(label(ctx, &ptr, Diagnostic::warning(m)));
                continue;
            }
            Err(m) => {
                sink.push(label(ctx, &ptr, Diagnostic::error(m)));
                continue;
            }
        };
        match fonts::add_once(ctx.fonts, &path, &font.src) {
            Ok((hash, _)) => hashes.push(hash),
            Err(d) => sink.push(label(ctx, &ptr, d)),
        }
    }
    hashes
}

/// A timing error as a diagnostic at the clip field, with the other clips involved.
fn timing_diagnostic(e: &TimingError, items: &[Item<'_>], ctx: &ResolveContext<'_>) -> Diagnostic {
    let at = |(clip, field): (usize, Field)| format!("{}/{}", items[clip].pointer, field.key());
    let d = Diagnostic::error(e.to_string());
    match e {
        TimingError::DuplicateAlias { first, .. } => {
            let d = label(ctx, &at(e.at()), d);
            secondary(ctx, &at((*first, Field::Alias)), d, "first used here")
        }
        TimingError::UnknownAlias {
            suggestion: Some(s),
            ..
        } => label(
            ctx,
            &at(e.at()),
            d.with_help(format!("did you mean `alias://{s}`?")),
        ),
        TimingError::Cycle(chain) => {
            let path: Vec<String> = chain
                .iter()
                .chain(chain.first())
                .map(|&(clip, field)| {
                    format!("`{}` of {}", field.key(), describe(&items[clip].pointer))
                })
                .collect();
            let d = d
                .with_note(path.join(" → "))
                .with_help("give one of these clips a number of seconds");
            let d = label(ctx, &at(chain[0]), d);
            chain[1..].iter().fold(d, |d, &link| {
                secondary(ctx, &at(link), d, "part of the loop")
            })
        }
        _ => label(ctx, &at(e.at()), d),
    }
}

/// Records a `(pointer, diagnostic)` problem in `sink`, passing an `Ok` value through.
fn take<T>(r: Result<T, Problem>, ctx: &ResolveContext<'_>, sink: &mut Sink) -> Option<T> {
    r.map_err(|p| sink.push(label(ctx, &p.pointer, *p.diagnostic)))
        .ok()
}

/// Labels `d` with the template span of `ptr` (or its nearest recorded ancestor), the label
/// naming the clip; without origins, a note names the clip and the pointer.
fn label(ctx: &ResolveContext<'_>, ptr: &str, d: Diagnostic) -> Diagnostic {
    let place = match clip_of(ptr) {
        Some(clip) => format!("in {}", describe(clip)),
        None => "here".to_string(),
    };
    match ctx.origins.filter(|o| o.nearest(ptr).is_some()) {
        Some(o) => o.label(ptr, d, place),
        None if place == "here" => d.with_note(format!("at `{ptr}`")),
        None => d.with_note(format!("{place} (`{ptr}`)")),
    }
}

/// [`label`] for other stages (a compile-time finding about the clip at `ptr`).
pub fn label_at(ctx: &ResolveContext<'_>, ptr: &str, d: Diagnostic) -> Diagnostic {
    label(ctx, ptr, d)
}

/// A further label at `ptr` (only when origins are known).
fn secondary(ctx: &ResolveContext<'_>, ptr: &str, d: Diagnostic, msg: &str) -> Diagnostic {
    match ctx.origins.and_then(|o| o.nearest(ptr)) {
        Some(o) => d.with_label(o.span, msg),
        None => d.with_note(format!("{msg}: `{ptr}`")),
    }
}

/// `/timeline/tracks/T/clips/C` of a pointer inside a clip.
fn clip_of(ptr: &str) -> Option<&str> {
    let rest = ptr.strip_prefix("/timeline/tracks/")?;
    let mut parts = rest.splitn(4, '/');
    let (_, clips, _) = (parts.next()?, parts.next()?, parts.next()?);
    (clips == "clips").then(|| {
        let len = ptr.len() - parts.next().map_or(0, |tail| tail.len() + 1);
        &ptr[..len]
    })
}

/// "clip 2 of track 1" (1-based) for `/timeline/tracks/0/clips/1`.
fn describe(clip_ptr: &str) -> String {
    let nums: Vec<usize> = clip_ptr.split('/').filter_map(|s| s.parse().ok()).collect();
    match nums[..] {
        [t, c] => format!("clip {} of track {}", c + 1, t + 1),
        _ => format!("`{clip_ptr}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_pointers_are_described() {
        assert_eq!(
            clip_of("/timeline/tracks/0/clips/12/asset/src"),
            Some("/timeline/tracks/0/clips/12")
        );
        assert_eq!(
            clip_of("/timeline/tracks/3/clips/1"),
            Some("/timeline/tracks/3/clips/1")
        );
        assert_eq!(clip_of("/timeline/fonts/0/src"), None);
        assert_eq!(
            describe("/timeline/tracks/0/clips/12"),
            "clip 13 of track 1"
        );
    }
}
