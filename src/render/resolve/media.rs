//! Media sources of clips: where each `src` lives, what it contains, and what `auto` means.
//!
//! Owns the per-asset rules of resolve that need IO: fetching (`fetch`), probing (`probe`),
//! checking the file fits the asset (an audio asset needs sound, a trim must start inside the
//! media), and the "not supported offline" errors for assets that need a cloud service. Each
//! problem is returned at its JSON pointer; `resolve` labels it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::lower::Problem;
use crate::diagnostics::Diagnostic;
use crate::edit::Asset;
use crate::render::cache::Cache;
use crate::render::fetch::{self, FetchError};
use crate::render::probe::{self, MediaInfo, ProbeError};
use crate::render::timeline::{self as tl, ClipKind};

/// `length: auto` of assets that have no media length (images, text, shapes…), SEMANTICS §11.
pub const DEFAULT_LENGTH: f64 = 3.0;

/// A clip's media, found and probed.
#[derive(Debug, Clone, PartialEq)]
pub struct Media {
    /// Video, image, audio or luma.
    pub kind: ClipKind,
    /// The local file.
    pub path: PathBuf,
    /// Its probed facts.
    pub info: MediaInfo,
    /// What `length: auto` means: duration − trim, or 3 s for stills.
    pub auto_length: f64,
}

/// Most media files fetched and probed at once by [`Prober::prefetch`]: ffprobe and downloads
/// wait on IO, so a few in flight hide most of the latency without crowding batch workers.
const PARALLEL_PROBES: usize = 4;

/// A probe outcome: the local path if one was found, and the facts or why not.
type Probed = (Option<PathBuf>, Result<(PathBuf, MediaInfo), String>);

/// Fetches and probes files once per resolve, however many clips use them.
pub struct Prober<'a> {
    /// Where relative paths start.
    pub base_dir: &'a Path,
    /// Probe and download cache.
    pub cache: &'a Cache,
    seen: HashMap<String, Result<(PathBuf, MediaInfo), String>>,
    /// Every local file read so far, in first-use order.
    pub files: Vec<PathBuf>,
}

impl<'a> Prober<'a> {
    /// A prober reading relative paths from `base_dir`.
    pub fn new(base_dir: &'a Path, cache: &'a Cache) -> Self {
        Prober {
            base_dir,
            cache,
            seen: HashMap::new(),
            files: Vec::new(),
        }
    }

    /// Fetches and probes `srcs` in parallel ([`PARALLEL_PROBES`] at a time), so later
    /// [`Prober::probe`] calls are answered from memory. Files are recorded in `srcs` order.
    pub fn prefetch(&mut self, srcs: &[&str]) {
        let mut todo: Vec<&str> = Vec::new();
        for &src in srcs {
            if !self.seen.contains_key(src) && !todo.contains(&src) {
                todo.push(src);
            }
        }
        let (base, cache) = (self.base_dir, self.cache);
        // A pool, not chunks: a slow file (a download) does not hold back the next ones.
        let next = std::sync::atomic::AtomicUsize::new(0);
        let work = || {
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(&src) = todo.get(i) else {
                    return done;
                };
                done.push((i, probe_src(src, base, cache)));
            }
        };
        let mut results: Vec<Option<Probed>> = vec![None; todo.len()];
        std::thread::scope(|s| {
            let workers: Vec<_> = (0..PARALLEL_PROBES.min(todo.len()))
                .map(|_| s.spawn(work))
                .collect();
            for w in workers {
                for (i, probed) in w.join().unwrap_or_default() {
                    results[i] = Some(probed);
                }
            }
        });
        for (&src, probed) in todo.iter().zip(results) {
            self.record(src, probed.unwrap_or((None, Err("probe failed".into()))));
        }
    }

    /// The local path and facts of `src`, or a message saying why not (lower case, no period).
    pub fn probe(&mut self, src: &str) -> Result<(PathBuf, MediaInfo), String> {
        if let Some(r) = self.seen.get(src) {
            return r.clone();
        }
        let (path, result) = probe_src(src, self.base_dir, self.cache);
        self.record(src, (path, result.clone()));
        result
    }

    fn record(&mut self, src: &str, (path, result): Probed) {
        if let Some(path) = path {
            self.note_file(path);
        }
        self.seen.insert(src.to_string(), result);
    }

    fn note_file(&mut self, path: PathBuf) {
        if !self.files.contains(&path) {
            self.files.push(path);
        }
    }

    /// The local path of `src` (downloaded if remote), recorded in [`Prober::files`]; `what`
    /// names the file in the "not found" message (`media file`, `font file`).
    pub fn local(&mut self, src: &str, what: &str) -> Result<PathBuf, String> {
        let path = find(src, what, self.base_dir, self.cache)?;
        self.note_file(path.clone());
        Ok(path)
    }
}

/// Finds (downloading if remote) and probes one media `src`. Thread-safe: no shared state but
/// the cache directory, whose writes are atomic.
fn probe_src(src: &str, base_dir: &Path, cache: &Cache) -> Probed {
    let path = match find(src, "media file", base_dir, cache) {
        Ok(path) => path,
        Err(m) => return (None, Err(m)),
    };
    let result = match probe::probe_cached(&path, cache) {
        Ok(info) => Ok((path.clone(), info)),
        Err(ProbeError::Read { source, .. }) => Err(format!("cannot read `{src}`: {source}")),
        Err(ProbeError::Invalid { reason, .. }) => {
            Err(format!("`{src}` is not readable media: {reason}"))
        }
        Err(e @ (ProbeError::NoFfprobe | ProbeError::Cancelled)) => Err(e.to_string()),
    };
    (Some(path), result)
}

/// The local file behind `src`, which must exist.
fn find(src: &str, what: &str, base_dir: &Path, cache: &Cache) -> Result<PathBuf, String> {
    let path = fetch::local_path(src, base_dir, cache).map_err(|e| match e {
        FetchError::Scheme(_) => format!(
            "cannot read `{src}`: only local paths, `file://`, `http://` and `https://` work offline"
        ),
        other => other.to_string(),
    })?;
    if !path.is_file() {
        if cache.url_map().lookup(src).is_some() {
            return Err(format!(
                "{what} `{src}` not found: url-map reads it from {}, which does not exist",
                path.display()
            ));
        }
        return Err(format!("{what} `{src}` not found"));
    }
    Ok(path)
}

/// The asset's media `src`, or the error explaining why it has none that works offline.
fn media_src<'a>(asset: &'a Asset, ptr: &str) -> Result<&'a str, Problem> {
    let kind = asset.kind_name();
    let prompt = match asset {
        Asset::Video(a) => a.prompt.is_some(),
        Asset::Image(a) => a.prompt.is_some(),
        Asset::Audio(a) => a.prompt.is_some(),
        _ => false,
    };
    match asset.src() {
        Some(src) => Ok(src),
        None if prompt => Err(needs_provider(kind, ptr)),
        None => Err(Problem::new(
            format!("{ptr}/asset"),
            Diagnostic::error(format!("the `{kind}` asset has no `src`")),
        )),
    }
}

/// "needs a provider" for generated (AI) assets.
pub fn needs_provider(kind: &str, ptr: &str) -> Problem {
    let d = Diagnostic::error(format!(
        "a generated `{kind}` asset needs a provider: not supported offline"
    ))
    .with_note("reel renders locally and makes no cloud calls")
    .with_help("generate the file once and use it as a `video`, `image` or `audio` asset `src`");
    Problem::new(format!("{ptr}/asset"), d)
}

/// Finds, probes and checks the media of a video, image, audio or luma clip at `ptr`.
pub fn media(asset: &Asset, prober: &mut Prober<'_>, ptr: &str) -> Result<Media, Problem> {
    let src = media_src(asset, ptr)?;
    let src_ptr = format!("{ptr}/asset/src");
    let (path, info) = prober
        .probe(src)
        .map_err(|m| Problem::new(src_ptr.clone(), Diagnostic::error(m)))?;
    let kind = media_kind(asset, &info).map_err(|m| Problem::new(src_ptr, Diagnostic::error(m)))?;
    let trim = asset.trim().unwrap_or(0.0);
    let auto_length = match (kind, info.duration) {
        (ClipKind::Image, _) | (_, None) => DEFAULT_LENGTH,
        (_, Some(duration)) => {
            if trim >= duration {
                return Err(trim_past_end(src, trim, duration, ptr));
            }
            duration - trim
        }
    };
    Ok(Media {
        kind,
        path,
        info,
        auto_length,
    })
}

fn trim_past_end(src: &str, trim: f64, duration: f64, ptr: &str) -> Problem {
    let d = Diagnostic::error(format!(
        "clip starts past the end of its media: `trim` is {trim} s but `{src}` lasts {duration:.3} s"
    ))
    .with_help("use a smaller `trim`");
    Problem::new(format!("{ptr}/asset/trim"), d)
}

/// The clip kind for `asset` given what its file holds; an error message if they do not fit.
fn media_kind(asset: &Asset, info: &MediaInfo) -> Result<ClipKind, String> {
    let name = asset.kind_name();
    match asset {
        Asset::Audio(_) if !info.has_audio => Err(format!("the `{name}` file has no sound")),
        Asset::Audio(_) => Ok(ClipKind::Audio),
        _ if !info.has_video => Err(format!(
            "the `{name}` file has no picture (use an `audio` asset for sound only)"
        )),
        Asset::Luma(_) => Ok(ClipKind::Luma),
        // A still given as a video plays as an image, as Shotstack does.
        Asset::Video(_) if info.is_still => Ok(ClipKind::Image),
        Asset::Video(_) => Ok(ClipKind::Video),
        _ => Ok(ClipKind::Image),
    }
}

/// The timeline's copy of the probed facts.
pub fn timeline_info(info: &MediaInfo) -> tl::MediaInfo {
    tl::MediaInfo {
        duration: info.duration.unwrap_or(0.0),
        width: info.width.unwrap_or(0),
        height: info.height.unwrap_or(0),
        fps: info.fps.unwrap_or(0.0),
        has_video: info.has_video,
        has_audio: info.has_audio,
        is_still: info.is_still,
        has_alpha: info.has_alpha(),
        image2: info.format == "image2",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(duration: Option<f64>, video: bool, audio: bool, still: bool) -> MediaInfo {
        MediaInfo {
            duration,
            width: video.then_some(16),
            height: video.then_some(9),
            fps: None,
            has_video: video,
            has_audio: audio,
            is_still: still,
            format: String::new(),
            video_codec: None,
            audio_codec: None,
            pix_fmt: None,
        }
    }

    fn asset(j: serde_json::Value) -> Asset {
        serde_json::from_value(j).unwrap()
    }

    #[test]
    fn kinds_follow_the_file() {
        let video = asset(serde_json::json!({"type": "video", "src": "a"}));
        let audio = asset(serde_json::json!({"type": "audio", "src": "a"}));
        let still = info(None, true, false, true);
        assert_eq!(media_kind(&video, &still), Ok(ClipKind::Image));
        let movie = info(Some(2.0), true, true, false);
        assert_eq!(media_kind(&video, &movie), Ok(ClipKind::Video));
        assert_eq!(media_kind(&audio, &movie), Ok(ClipKind::Audio));
        let sound = info(Some(2.0), false, true, false);
        assert!(
            media_kind(&video, &sound)
                .unwrap_err()
                .contains("no picture")
        );
        assert!(media_kind(&audio, &still).unwrap_err().contains("no sound"));
    }

    #[test]
    fn generated_assets_need_a_provider() {
        let a = asset(serde_json::json!({"type": "video", "prompt": "a cat"}));
        let Problem {
            pointer: ptr,
            diagnostic: d,
        } = media_src(&a, "/c").unwrap_err();
        assert_eq!(ptr, "/c/asset");
        assert!(d.message.contains("needs a provider"), "{}", d.message);
        let a = asset(serde_json::json!({"type": "image"}));
        assert!(
            media_src(&a, "/c")
                .unwrap_err()
                .diagnostic
                .message
                .contains("no `src`")
        );
    }
}
