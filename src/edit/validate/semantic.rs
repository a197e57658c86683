//! Checks beyond the schema, on the coerced JSON: same-track overlaps, `alias://` references,
//! even output sizes, an output size at all, reel-only output formats, and (optionally)
//! missing local files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::ValidateOptions;
use super::names::{clip_name, display_path, num};
use crate::diagnostics::{Diagnostic, Severity, suggest};
use crate::edit::model::{ALIAS_PREFIX, alias_name};
use crate::edit::{Origins, schema};

/// Asset types whose `src` names a media file (not svg, whose `src` is markup).
const FILE_KINDS: &[&str] = &[
    "video",
    "image",
    "audio",
    "luma",
    "caption",
    "rich-caption",
    "image-to-video",
];

/// Collects diagnostics labelled through the origins table.
pub(super) struct Checks<'a> {
    origins: &'a Origins,
    /// What was found, in order.
    pub(super) diags: Vec<Diagnostic>,
}

/// One clip of the document: its indices and object.
struct ClipRef<'v> {
    track: usize,
    index: usize,
    clip: &'v Map<String, Value>,
}

impl ClipRef<'_> {
    /// The clip's JSON pointer, with `rest` appended (`"/start"`), built only when reporting.
    fn ptr(&self, rest: &str) -> String {
        format!("/timeline/tracks/{}/clips/{}{rest}", self.track, self.index)
    }
}

fn clips(edit: &Value) -> impl Iterator<Item = ClipRef<'_>> {
    let tracks = edit
        .pointer("/timeline/tracks")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    tracks.iter().enumerate().flat_map(|(t, track)| {
        let list = track
            .get("clips")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        list.iter().enumerate().filter_map(move |(c, clip)| {
            Some(ClipRef {
                track: t,
                index: c,
                clip: clip.as_object()?,
            })
        })
    })
}

impl<'a> Checks<'a> {
    /// An empty collector.
    pub(super) fn new(origins: &'a Origins) -> Self {
        Checks {
            origins,
            diags: Vec::new(),
        }
    }

    fn push(&mut self, ptr: &str, diag: Diagnostic, label: impl Into<String>) {
        let d = self.origins.label(ptr, diag, label);
        self.diags.push(d);
    }

    /// Runs every check.
    pub(super) fn run(&mut self, edit: &Value, opts: &ValidateOptions) {
        self.output(edit);
        self.auto_font_sizes(edit);
        self.sources(edit);
        self.overlaps(edit);
        self.aliases(edit);
        self.durations(edit, opts.max_duration);
        if opts.check_files {
            self.files(edit, opts.base_dir.as_deref(), opts.missing_files);
        }
    }

    /// `font.size = "auto"` and `font.minSize` are reel extensions (flagged like `webm`).
    fn auto_font_sizes(&mut self, edit: &Value) {
        let tracks = edit.pointer("/timeline/tracks").and_then(Value::as_array);
        for (t, track) in tracks.into_iter().flatten().enumerate() {
            let clips = track.get("clips").and_then(Value::as_array);
            for (c, clip) in clips.into_iter().flatten().enumerate() {
                let Some(font) = clip.pointer("/asset/font").and_then(Value::as_object) else {
                    continue;
                };
                let at = format!("/timeline/tracks/{t}/clips/{c}/asset/font");
                if font.get("size").and_then(Value::as_str) == Some("auto") {
                    let d = Diagnostic::warning(
                        "`font.size = \"auto\"` is a reel extension: Shotstack's API rejects it",
                    )
                    .with_note(
                        "reel renders it locally; the Edit JSON is not portable to Shotstack",
                    )
                    .with_help("use a size in pixels for an Edit you send to Shotstack");
                    self.push(&format!("{at}/size"), d, "not a Shotstack size");
                }
                if font.contains_key("minSize") {
                    let d = Diagnostic::warning(
                        "`font.minSize` is a reel extension: Shotstack's API rejects it",
                    )
                    .with_help("leave it out of an Edit you send to Shotstack");
                    self.push(&format!("{at}/minSize"), d, "not a Shotstack property");
                }
            }
        }
    }

    /// `output` needs a size unless it is audio only; sizes must be even; reel-only formats
    /// (`webm`) are flagged.
    fn output(&mut self, edit: &Value) {
        let Some(output) = edit.get("output").and_then(Value::as_object) else {
            return;
        };
        let format = output.get("format").and_then(Value::as_str);
        if let Some(f) = format.filter(|f| schema::REEL_FORMATS.contains(f)) {
            let d = Diagnostic::warning(format!(
                "`{f}` output is a reel extension: Shotstack's API rejects it"
            ))
            .with_note("reel renders it locally; the Edit JSON is not portable to Shotstack")
            .with_help("use `mp4` for an Edit you send to Shotstack");
            self.push("/output/format", d, "not a Shotstack format");
        }
        let sized = output.contains_key("resolution") || output.contains_key("size");
        if !sized && format.is_some_and(|f| f != "mp3") {
            let d = Diagnostic::error("`output` needs a `resolution` or a `size`").with_help(
                "add `\"resolution\": \"hd\"` or `\"size\": {\"width\": 1280, \"height\": 720}`",
            );
            self.push("/output", d, "no size given");
        }
        for side in ["width", "height"] {
            let ptr = format!("/output/size/{side}");
            let Some(n) = edit.pointer(&ptr).and_then(Value::as_u64) else {
                continue;
            };
            if n % 2 == 1 {
                let d = Diagnostic::error(format!("`output.size.{side}` must be even, found {n}"))
                    .with_help(format!("use {} or {}", n - 1, n + 1))
                    .with_note("video encoders (and Shotstack) need even frame sizes");
                self.push(&ptr, d, "odd size");
            }
        }
    }

    /// Video, image and audio assets need a `src` (or a generation `prompt`): the schema makes
    /// both optional, but an asset with neither has nothing to show.
    fn sources(&mut self, edit: &Value) {
        for c in clips(edit) {
            let Some(asset) = c.clip.get("asset").and_then(Value::as_object) else {
                continue;
            };
            let kind = asset.get("type").and_then(Value::as_str).unwrap_or("");
            let needs = matches!(kind, "video" | "image" | "audio");
            if needs && !asset.contains_key("src") && !asset.contains_key("prompt") {
                let what = clip_name(c.track, c.index);
                let d = Diagnostic::error(format!("missing `src` in the `{kind}` asset of {what}"));
                self.push(&c.ptr("/asset"), d, "needs `src`");
            }
        }
    }

    /// Warns when two clips of one track play at the same time at the same place (numeric
    /// timing only). Not for luma clips, which overlap the clip they mask by design, nor for
    /// clips placed apart (different `position`/`offset`), a layout Shotstack's own demos use.
    /// One warning per track, for its first overlap, with a count of the others: clips sorted
    /// by start and swept once (n log n), so a thousand overlapping clips cost one line, not a
    /// million (issue 15).
    fn overlaps(&mut self, edit: &Value) {
        let mut by_track: Vec<Vec<Timed<'_>>> = Vec::new();
        for c in clips(edit) {
            let start = c.clip.get("start").and_then(Value::as_f64);
            let length = c.clip.get("length").and_then(Value::as_f64);
            let luma = c.clip.get("asset").and_then(|a| a.get("type")) == Some(&json!("luma"));
            if let (Some(s), Some(l), false) = (start, length, luma) {
                if by_track.len() <= c.track {
                    by_track.resize_with(c.track + 1, Vec::new);
                }
                by_track[c.track].push((s, s + l, c));
            }
        }
        for track in by_track {
            if let Some((first, later, count)) = track_overlaps(track) {
                self.overlap(&first, &later, count);
            }
        }
    }

    fn overlap(&mut self, first: &Timed<'_>, later: &Timed<'_>, count: usize) {
        let (a, b) = (&first.2, &later.2);
        let mut d = Diagnostic::warning(format!(
            "{} overlaps {}",
            clip_name(b.track, b.index),
            clip_name(a.track, a.index)
        ))
        .with_note(
            "a track shows one clip at a time; put clips that play together on separate tracks",
        );
        if count > 1 {
            d = d.with_note(format!(
                "{count} clips of track {} overlap an earlier clip at the same place; only the first is shown",
                b.track + 1
            ));
        }
        let d = self
            .origins
            .label(&b.ptr("/start"), d, format!("starts at {} s", num(later.0)));
        let msg = format!("clip {} plays until {} s", a.index + 1, num(first.1));
        self.push(&a.ptr("/length"), d, msg);
    }
}

/// A clip with numeric timing: start, end, the clip.
type Timed<'v> = (f64, f64, ClipRef<'v>);

/// The first overlap of a track (by start of the later clip: the earlier clip, the later one)
/// and how many clips overlap an earlier clip placed alike. Sorts, then sweeps once keeping,
/// per placement, the clip that ends last so far. Pure.
fn track_overlaps(mut track: Vec<Timed<'_>>) -> Option<(Timed<'_>, Timed<'_>, usize)> {
    track.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.2.index.cmp(&b.2.index)));
    // Placement (its JSON text) → index in `track` of the clip ending last.
    let mut latest: HashMap<String, usize> = HashMap::new();
    let mut first: Option<(usize, usize)> = None;
    let mut count = 0;
    for (j, (start, end, c)) in track.iter().enumerate() {
        let place = placement(c.clip);
        match latest.get(&place).copied() {
            Some(i) if *start < track[i].1 - 1e-9 => {
                count += 1;
                first.get_or_insert((i, j));
                if *end > track[i].1 {
                    latest.insert(place, j);
                }
            }
            _ => {
                latest.insert(place, j);
            }
        }
    }
    let (i, j) = first?;
    let mut it = track.into_iter();
    let a = it.nth(i)?;
    let b = it.nth(j - i - 1)?;
    Some((a, b, count))
}

/// Where a clip is placed (`position`, `offset`, `width`, `height`), as comparable text.
fn placement(clip: &Map<String, Value>) -> String {
    let keys = ["position", "offset", "width", "height"];
    let parts: Vec<Value> = keys
        .iter()
        .map(|k| clip.get(*k).cloned().unwrap_or(Value::Null))
        .collect();
    Value::Array(parts).to_string()
}

impl Checks<'_> {
    /// Clips ending past `max` seconds (numeric timing only; `auto` and `end` are checked when
    /// the timeline is resolved): an error at the value that put them there, usually a cell.
    fn durations(&mut self, edit: &Value, max: f64) {
        for c in clips(edit) {
            let start = c.clip.get("start").and_then(Value::as_f64).unwrap_or(0.0);
            let length = c.clip.get("length").and_then(Value::as_f64).unwrap_or(0.0);
            let end = start + length;
            if end <= max || end.is_nan() {
                continue;
            }
            let (at, what) = if start > max {
                ("/start", format!("starts at {} s", num(start)))
            } else {
                ("/length", format!("lasts {} s", num(length)))
            };
            let d = too_long(&clip_name(c.track, c.index), end, max);
            self.push(&c.ptr(at), d, what);
        }
    }
}

/// "clip 1 of track 1 ends at 1000000000 s, past the 4-hour limit".
pub(crate) fn too_long(what: &str, end: f64, max: f64) -> Diagnostic {
    Diagnostic::error(format!(
        "{what} ends at {} s, past the limit of {} s",
        num(end),
        num(max)
    ))
    .with_note("a timeline this long would take hours to plan and render")
    .with_help("fix the value, or raise the limit with `--max-duration SECONDS`")
}

impl Checks<'_> {
    /// Duplicate aliases and `alias://` references to no clip.
    fn aliases(&mut self, edit: &Value) {
        let mut defined: HashMap<&str, String> = HashMap::new();
        for c in clips(edit) {
            let Some(name) = c.clip.get("alias").and_then(Value::as_str) else {
                continue;
            };
            let ptr = c.ptr("/alias");
            if let Some(first) = defined.get(name) {
                let d = Diagnostic::error(format!("duplicate alias `{name}`"));
                let d = self.origins.label(&ptr, d, "defined again here");
                self.push(first, d, "first defined here");
            } else {
                defined.insert(name, ptr);
            }
        }
        for c in clips(edit) {
            let src = c.clip.get("asset").and_then(|a| a.get("src"));
            let refs = [
                ("/start", c.clip.get("start")),
                ("/length", c.clip.get("length")),
            ];
            for (field, v) in refs.into_iter().chain([("/asset/src", src)]) {
                let Some(name) = v.and_then(Value::as_str).and_then(alias_name) else {
                    continue;
                };
                if !defined.contains_key(name) {
                    self.unknown_alias(&c.ptr(field), name, &defined);
                }
            }
        }
    }

    fn unknown_alias(&mut self, ptr: &str, name: &str, defined: &HashMap<&str, String>) {
        let mut d = Diagnostic::error(format!("no clip has the alias `{name}`"));
        match suggest(name, defined.keys().copied()) {
            Some(s) => d = d.with_help(format!("did you mean `{ALIAS_PREFIX}{s}`?")),
            None if defined.is_empty() => {
                d = d.with_help(format!(
                    "give the clip it refers to `\"alias\": \"{name}\"`"
                ))
            }
            None => {}
        }
        self.push(ptr, d, "unknown alias");
    }

    /// Local files named by assets, the soundtrack and fonts must exist.
    fn files(&mut self, edit: &Value, base: Option<&Path>, severity: Severity) {
        let mut srcs: Vec<String> = Vec::new();
        for c in clips(edit) {
            let kind = c
                .clip
                .get("asset")
                .and_then(|a| a.get("type"))
                .and_then(Value::as_str);
            if kind.is_some_and(|k| FILE_KINDS.contains(&k)) {
                srcs.push(c.ptr("/asset/src"));
            }
        }
        srcs.push("/timeline/soundtrack/src".into());
        let fonts = edit.pointer("/timeline/fonts").and_then(Value::as_array);
        for i in 0..fonts.map_or(0, Vec::len) {
            srcs.push(format!("/timeline/fonts/{i}/src"));
        }
        for ptr in srcs {
            if let Some(src) = edit.pointer(&ptr).and_then(Value::as_str) {
                self.file(&ptr, src, base, severity);
            }
        }
    }

    fn file(&mut self, ptr: &str, src: &str, base: Option<&Path>, severity: Severity) {
        if src.trim().is_empty() || is_remote(src) {
            return;
        }
        let path = resolve_path(src, base);
        if path.exists() {
            return;
        }
        let mut d = Diagnostic::error(format!("file not found: `{src}`"))
            .with_note(format!("looked for {}", path.display()));
        d.severity = severity;
        let path_name = display_path(ptr);
        self.push(ptr, d, format!("`{path_name}` names a missing file"));
    }
}

/// Whether `src` is a URL (`https://`, `alias://`, `s3://`, `data:`) rather than a path.
/// A one-letter scheme is a Windows drive (`C:\`), so a path.
pub(super) fn is_remote(src: &str) -> bool {
    if src.starts_with("data:") {
        return true;
    }
    match src.find("://") {
        Some(i) if i > 1 => src[..i]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')),
        _ => false,
    }
}

/// A relative `src` resolved against the template's directory.
pub(super) fn resolve_path(src: &str, base: Option<&Path>) -> PathBuf {
    let p = Path::new(src);
    match base {
        Some(dir) if p.is_relative() => dir.join(p),
        _ => p.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_remote_paths_are_not() {
        assert!(is_remote("https://x.io/a.mp4"));
        assert!(is_remote("alias://voice"));
        assert!(is_remote("s3://bucket/a.mp4"));
        assert!(!is_remote("assets/a.mp4"));
        assert!(!is_remote("C://a.mp4"));
        assert!(!is_remote("/abs/a.mp4"));
    }

    #[test]
    fn relative_paths_resolve_against_the_base() {
        let base = Path::new("/t");
        assert_eq!(resolve_path("a.png", Some(base)), Path::new("/t/a.png"));
        assert_eq!(resolve_path("/x/a.png", Some(base)), Path::new("/x/a.png"));
        assert_eq!(resolve_path("a.png", None), Path::new("a.png"));
    }
}
