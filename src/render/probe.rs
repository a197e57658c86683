//! Media facts as the resolver sees them, cached per file: read in-process for the common
//! files (PNG, JPEG, H.264/AAC MP4, MP3: [`native`]), else from `ffprobe -of json`.
//!
//! Owns [`MediaInfo`] (duration, size, frame rate, streams, still or not), the ffprobe call, its
//! cache and how a local file is named to ffmpeg ([`file_url`], [`pattern_args`]). The cache
//! entry is `<cache>/probe/<key>.json` where the key hashes what was probed: the absolute path
//! (ffmpeg picks a demuxer and an image codec by extension, so the same bytes named `.png` and
//! `.jpg` are different media), the size, the modification time and the blake3 hash of the
//! contents. A still image must decode: ffprobe reads headers only, and a text file named
//! `.png` has a `png` stream of size 0×0 that ffmpeg would later drop without a word. It does
//! not decide what a clip does with the facts; that is `resolve`.

use std::ffi::OsString;
use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Cancel;
use super::cache::{self, Cache, CacheStats};

mod mp4;
mod native;

/// Bumped when [`MediaInfo`] or its derivation changes, so old cache entries are ignored.
const CACHE_VERSION: u32 = 4;

/// What a media file contains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaInfo {
    /// Seconds; `None` for stills and streams with no known length.
    pub duration: Option<f64>,
    /// Width in pixels of the first video stream.
    pub width: Option<u32>,
    /// Height in pixels of the first video stream.
    pub height: Option<u32>,
    /// Frames per second of the first video stream (average, else nominal).
    pub fps: Option<f64>,
    /// Whether there is a video stream (cover art in audio files does not count).
    pub has_video: bool,
    /// Whether there is an audio stream.
    pub has_audio: bool,
    /// A single-frame image (png, jpg, webp, bmp, one-frame gif…).
    pub is_still: bool,
    /// ffprobe's container name (`mov,mp4,m4a,3gp,3g2,mj2`, `png_pipe`).
    pub format: String,
    /// Codec of the first video stream, if any.
    pub video_codec: Option<String>,
    /// Codec of the first audio stream, if any.
    pub audio_codec: Option<String>,
    /// Pixel format of the first video stream (`yuv420p`, `rgba`), if any.
    pub pix_fmt: Option<String>,
}

/// ffmpeg's name for a local file: a `file:` URL, so that no part of the name is read as
/// syntax (`concat:x.png` is a protocol, `subfile,,…` another; issue 15). Pure.
pub fn file_url(path: &Path) -> OsString {
    let mut url = OsString::from("file:");
    url.push(path.as_os_str());
    url
}

/// Input options that make the `image2` demuxer read `path` as one file, not a numbered
/// sequence (`a%d.png` would read `a1.png`); only valid when `image2` reads it (any other
/// demuxer fails on the unknown option), which [`MediaInfo::format`] says. Pure.
pub fn pattern_args(format: &str) -> &'static [&'static str] {
    if format == "image2" {
        &["-pattern_type", "none"]
    } else {
        &[]
    }
}

impl MediaInfo {
    /// Whether the picture has an alpha channel (`rgba`, `yuva420p`, `ya8`, `gbrap`…; a `pal8`
    /// PNG with a transparent palette entry reports no alpha and counts as opaque).
    pub fn has_alpha(&self) -> bool {
        self.pix_fmt.as_deref().is_some_and(pix_fmt_has_alpha)
    }
}

/// Whether an ffmpeg pixel format name carries alpha. Pure.
fn pix_fmt_has_alpha(name: &str) -> bool {
    ["yuva", "gbrap", "ya", "rgba", "bgra", "argb", "abgr"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// Why a file could not be probed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The file is missing or unreadable.
    #[error("cannot read `{}`: {source}", path.display())]
    Read {
        /// The media file.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: io::Error,
    },
    /// ffprobe is not installed.
    #[error(
        "ffprobe was not found on PATH (it ships with ffmpeg: `apt-get install ffmpeg`, `brew install ffmpeg`)"
    )]
    NoFfprobe,
    /// The render was cancelled while ffprobe ran (it was killed).
    #[error("probing cancelled")]
    Cancelled,
    /// ffprobe rejected the file.
    #[error("`{}` is not readable media: {reason}", path.display())]
    Invalid {
        /// The media file.
        path: PathBuf,
        /// ffprobe's own words (last line of its stderr).
        reason: String,
    },
}

/// Probes `path` using the user's cache ([`cache::default_dir`]).
pub fn probe(path: &Path) -> Result<MediaInfo, ProbeError> {
    probe_cached(path, &Cache::user())
}

/// Probes `path`, reading and filling `cache`. A cache entry that cannot be read or written is
/// ignored (probing again is always correct).
pub fn probe_cached(path: &Path, cache: &Cache) -> Result<MediaInfo, ProbeError> {
    let read_err = |source| ProbeError::Read {
        path: path.to_owned(),
        source,
    };
    let key = cache_key(path).map_err(read_err)?;
    let entry = cache.entry(cache::PROBES, &format!("{key}.json"));
    if let Some(info) = read_entry(&entry) {
        CacheStats::bump(&cache.stats().probe_hits);
        return Ok(info);
    }
    CacheStats::bump(&cache.stats().probe_runs);
    let info = match native::read(path) {
        Some(info) => info,
        None => {
            CacheStats::bump(&cache.stats().ffprobe_runs);
            run_ffprobe_until(path, cache.cancel())?
        }
    };
    if let Ok(json) = serde_json::to_vec_pretty(&info) {
        // A read-only cache only costs a re-probe next time.
        let _ = cache::write_atomic_unsynced(&entry, &json);
    }
    Ok(info)
}

/// The probe cache key of `path`: a hash of the version, the absolute path, the size, the
/// modification time and the contents (see the module docs).
fn cache_key(path: &Path) -> io::Result<String> {
    let meta = std::fs::metadata(path)?;
    let content = cache::hash_file_memo(path)?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let abs = std::path::absolute(path)?;
    let mut h = blake3::Hasher::new();
    h.update(&CACHE_VERSION.to_le_bytes());
    h.update(abs.as_os_str().as_encoded_bytes());
    h.update(&[0]);
    h.update(&meta.len().to_le_bytes());
    h.update(&mtime.to_le_bytes());
    h.update(content.as_bytes());
    Ok(h.finalize().to_hex().to_string())
}

fn read_entry(entry: &Path) -> Option<MediaInfo> {
    let bytes = std::fs::read(entry).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The facts of `path` read in-process, without any cache, or `None` where only ffprobe can
/// tell (another format or codec, or a file that does not parse or decode; see [`native`]).
pub fn read_in_process(path: &Path) -> Option<MediaInfo> {
    native::read(path)
}

/// Probes with ffprobe, without any cache. A still image is decoded (its first frame) to
/// prove it is one.
pub fn run_ffprobe(path: &Path) -> Result<MediaInfo, ProbeError> {
    run_ffprobe_until(path, &Cancel::new())
}

/// How often a running ffprobe is checked for exit or cancel.
const PROBE_POLL: Duration = Duration::from_millis(20);

/// Probes without any cache; ffprobe is killed when `cancel` is set (a file on a stalled
/// network mount, or a huge one, can keep it busy for long).
fn run_ffprobe_until(path: &Path, cancel: &Cancel) -> Result<MediaInfo, ProbeError> {
    // A `%` in the name makes `image2` read a numbered sequence unless told not to, and the
    // option is an error for every other demuxer: try it first only where it can matter.
    let literal = path.as_os_str().as_encoded_bytes().contains(&b'%');
    let output = match literal {
        true => match ffprobe(path, true, cancel)? {
            out if unknown_pattern_option(&out.stderr) => ffprobe(path, false, cancel)?,
            out => out,
        },
        false => ffprobe(path, false, cancel)?,
    };
    let invalid = |reason: String| ProbeError::Invalid {
        path: path.to_owned(),
        reason,
    };
    if !output.status.success() {
        return Err(invalid(ffprobe_reason(path, &output.stderr)));
    }
    let json: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| invalid(format!("ffprobe printed unreadable JSON ({e})")))?;
    let info = media_info(&json);
    if !info.has_video && !info.has_audio {
        return Err(invalid("it has no video or audio stream".into()));
    }
    if let Some(reason) = undecodable(&info, &json, &output.stderr, path) {
        return Err(invalid(reason));
    }
    Ok(info)
}

/// One ffprobe run: format, streams and the first packet's frames decoded.
fn ffprobe(
    path: &Path,
    literal: bool,
    cancel: &Cancel,
) -> Result<std::process::Output, ProbeError> {
    let read_err = |source| ProbeError::Read {
        path: path.to_owned(),
        source,
    };
    let mut cmd = Command::new(ffmpeg_sidecar::ffprobe::ffprobe_path());
    cmd.args([
        "-v",
        "error",
        "-of",
        "json",
        "-show_format",
        "-show_streams",
    ])
    .args(["-show_frames", "-read_intervals", "%+#1"]);
    if literal {
        cmd.args(["-pattern_type", "none"]);
    }
    let mut child = cmd
        .arg(file_url(path))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => ProbeError::NoFfprobe,
            _ => read_err(e),
        })?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let status = loop {
        if let Some(status) = child.try_wait().map_err(read_err)? {
            break status;
        }
        if cancel.is_cancelled() {
            let _ = child.kill();
            let _ = child.wait();
            return Err(ProbeError::Cancelled);
        }
        std::thread::sleep(PROBE_POLL);
    };
    Ok(std::process::Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}

/// Whether ffprobe refused `-pattern_type` (the file is not read by `image2`).
fn unknown_pattern_option(stderr: &[u8]) -> bool {
    String::from_utf8_lossy(stderr).contains("Option pattern_type not found")
}

/// Why a picture that ffprobe described does not decode, if it does not: no size, or (for a
/// still) no frame out of the first packet. Pure.
fn undecodable(info: &MediaInfo, json: &Value, stderr: &[u8], path: &Path) -> Option<String> {
    let codec = info.video_codec.as_deref().unwrap_or("unknown");
    let decoded = json["frames"]
        .as_array()
        .is_some_and(|f| f.iter().any(|f| f["media_type"] == "video"));
    let sized = info.width.unwrap_or(0) > 0 && info.height.unwrap_or(0) > 0;
    if !info.has_video || (sized && (decoded || !info.is_still)) {
        return None;
    }
    let why = match String::from_utf8_lossy(stderr).trim() {
        "" => "no picture came out".to_owned(),
        _ => ffprobe_reason(path, stderr),
    };
    Some(format!("it does not decode as a `{codec}` picture ({why})"))
}

/// The last line of ffprobe's stderr, without the repeated file name, the `[png @ 0x…]`
/// context or a final period. Pure.
fn ffprobe_reason(path: &Path, stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let line = text.lines().rev().find(|l| !l.trim().is_empty());
    let mut line = line.unwrap_or("ffprobe failed without a message").trim();
    for prefix in [
        format!("file:{}: ", path.display()),
        format!("{}: ", path.display()),
    ] {
        line = line.strip_prefix(&prefix).unwrap_or(line);
    }
    if let Some((ctx, rest)) = line.split_once("] ")
        && ctx.starts_with('[')
        && ctx.contains(" @ ")
    {
        line = rest;
    }
    line.strip_suffix('.').unwrap_or(line).to_string()
}

/// Derives [`MediaInfo`] from ffprobe's `-show_format -show_streams` JSON. Pure.
pub fn media_info(json: &Value) -> MediaInfo {
    let streams = json["streams"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    let is_type = |s: &&Value, t: &str| s["codec_type"] == t;
    let video = streams
        .iter()
        .find(|s| is_type(s, "video") && s["disposition"]["attached_pic"] != 1);
    let audio = streams.iter().find(|s| is_type(s, "audio"));
    let format = json["format"]["format_name"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let num = |v: &Value| v.as_str().and_then(|s| s.parse::<f64>().ok());
    let frames = video.and_then(|v| num(&v["nb_frames"]));
    let is_still = video.is_some()
        && audio.is_none()
        && (format.ends_with("_pipe") || format == "image2" || frames == Some(1.0));
    let duration = if is_still {
        None
    } else {
        num(&json["format"]["duration"])
            .or_else(|| video.and_then(|v| num(&v["duration"])))
            .or_else(|| audio.and_then(|a| num(&a["duration"])))
    };
    let dim = |k: &str| video.and_then(|v| v[k].as_u64()).map(|n| n as u32);
    let codec = |s: Option<&Value>| s.and_then(|s| s["codec_name"].as_str()).map(String::from);
    MediaInfo {
        duration,
        width: dim("width"),
        height: dim("height"),
        fps: video.and_then(|v| rate(&v["avg_frame_rate"]).or_else(|| rate(&v["r_frame_rate"]))),
        has_video: video.is_some(),
        has_audio: audio.is_some(),
        is_still,
        format,
        video_codec: codec(video),
        audio_codec: codec(audio),
        pix_fmt: video.and_then(|v| v["pix_fmt"].as_str()).map(String::from),
    }
}

/// `"30000/1001"` → 29.97; `"0/0"` → None.
fn rate(v: &Value) -> Option<f64> {
    let (n, d) = v.as_str()?.split_once('/')?;
    let (n, d) = (n.parse::<f64>().ok()?, d.parse::<f64>().ok()?);
    (n > 0.0 && d > 0.0).then(|| n / d)
}

impl fmt::Display for MediaInfo {
    /// The `reel probe FILE` text: one `key: value` per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match (self.is_still, self.has_video, self.has_audio) {
            (true, _, _) => "still image",
            (false, true, true) => "video with audio",
            (false, true, false) => "video without audio",
            (false, false, _) => "audio",
        };
        writeln!(f, "kind: {kind}")?;
        writeln!(f, "format: {}", self.format)?;
        if let Some(d) = self.duration {
            writeln!(f, "duration: {d:.3} s")?;
        }
        if let (Some(w), Some(h)) = (self.width, self.height) {
            writeln!(f, "size: {w}x{h}")?;
        }
        if let (Some(fps), false) = (self.fps, self.is_still) {
            writeln!(f, "fps: {}", (fps * 1000.0).round() / 1000.0)?;
        }
        if let Some(c) = &self.video_codec {
            let pix = self.pix_fmt.as_deref().unwrap_or("unknown pixels");
            let alpha = if self.has_alpha() { ", with alpha" } else { "" };
            writeln!(f, "video: {c} ({pix}{alpha})")?;
        }
        if let Some(c) = &self.audio_codec {
            writeln!(f, "audio: {c}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn video_with_audio() {
        let j = json!({
            "streams": [
                {"codec_type": "video", "codec_name": "h264", "width": 160, "height": 90,
                 "avg_frame_rate": "30000/1001", "nb_frames": "30"},
                {"codec_type": "audio", "codec_name": "aac", "avg_frame_rate": "0/0"}
            ],
            "format": {"format_name": "mov,mp4", "duration": "1.001000"}
        });
        let i = media_info(&j);
        assert_eq!((i.width, i.height), (Some(160), Some(90)));
        assert!((i.fps.unwrap() - 29.97).abs() < 0.01);
        assert_eq!(i.duration, Some(1.001));
        assert!(i.has_video && i.has_audio && !i.is_still);
    }

    #[test]
    fn png_is_still_without_duration() {
        let j = json!({
            "streams": [{"codec_type": "video", "codec_name": "png", "width": 4, "height": 2,
                          "avg_frame_rate": "25/1"}],
            "format": {"format_name": "png_pipe"}
        });
        let i = media_info(&j);
        assert!(i.is_still);
        assert_eq!(i.duration, None);
    }

    #[test]
    fn cover_art_is_not_video() {
        let j = json!({
            "streams": [
                {"codec_type": "audio", "codec_name": "mp3"},
                {"codec_type": "video", "codec_name": "mjpeg", "disposition": {"attached_pic": 1}}
            ],
            "format": {"format_name": "mp3", "duration": "2.5"}
        });
        let i = media_info(&j);
        assert!(!i.has_video && i.has_audio && !i.is_still);
        assert_eq!(i.duration, Some(2.5));
    }

    #[test]
    fn alpha_pixel_formats() {
        for f in ["rgba", "yuva420p", "ya8", "gbrap10le", "bgra", "rgba64be"] {
            assert!(pix_fmt_has_alpha(f), "{f}");
        }
        for f in [
            "yuv420p", "rgb24", "gray", "gray10le", "pal8", "bgr0", "nv12",
        ] {
            assert!(!pix_fmt_has_alpha(f), "{f}");
        }
    }

    #[test]
    fn reason_drops_the_file_name() {
        let r = ffprobe_reason(
            Path::new("bad.mp4"),
            b"[mov @ 0x1] moov atom not found\nbad.mp4: Invalid data found when processing input\n",
        );
        assert_eq!(r, "Invalid data found when processing input");
        let r = ffprobe_reason(
            Path::new("a.png"),
            b"[png @ 0x55d1] Invalid PNG signature 0x68656C6C6F207468.\n",
        );
        assert_eq!(r, "Invalid PNG signature 0x68656C6C6F207468");
        let r = ffprobe_reason(Path::new("x"), b"file:x: No such file or directory\n");
        assert_eq!(r, "No such file or directory");
    }

    #[test]
    fn a_still_must_decode() {
        let j = json!({
            "streams": [{"codec_type": "video", "codec_name": "png", "width": 0, "height": 0}],
            "format": {"format_name": "image2"}
        });
        let i = media_info(&j);
        let why = undecodable(
            &i,
            &j,
            b"[png @ 0x1] Invalid PNG signature 0x41.\n",
            Path::new("a"),
        );
        assert_eq!(
            why.as_deref(),
            Some("it does not decode as a `png` picture (Invalid PNG signature 0x41)")
        );
        let j = json!({
            "streams": [{"codec_type": "video", "codec_name": "png", "width": 4, "height": 2}],
            "format": {"format_name": "png_pipe"},
            "frames": [{"media_type": "video", "width": 4}]
        });
        assert_eq!(undecodable(&media_info(&j), &j, b"", Path::new("a")), None);
        let no_frame = json!({"streams": j["streams"], "format": j["format"]});
        assert!(undecodable(&media_info(&no_frame), &no_frame, b"", Path::new("a")).is_some());
    }

    #[test]
    fn local_files_are_file_urls() {
        assert_eq!(file_url(Path::new("concat:x.png")), "file:concat:x.png");
        assert_eq!(file_url(Path::new("/t/a%d.png")), "file:/t/a%d.png");
        assert_eq!(pattern_args("image2"), ["-pattern_type", "none"]);
        assert!(pattern_args("png_pipe").is_empty());
    }
}
