//! The studio page's stills and timelines for `reel watch --serve` ([`Stills`]). A request
//! reuses what the last one built while nothing it depends on changed: the loaded template and
//! data (kept while their files' sizes and modification times stay the same), each row's built
//! Edit, and each row's resolved timeline (media probed, layers drawn; kept while every file it
//! read stays the same, so a saved asset is seen at once, even before the build it starts has
//! finished). The frame is then compiled and rendered through
//! [`super::still::still_of_timeline`], the path `reel still` takes. Stills are kept in a small
//! LRU keyed by the row's built Edit, the state of the files it read and the frame, so
//! scrubbing back over a moment costs nothing.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde_json::{Value as Json, json};

use super::still::{resolve_row, still_of_timeline};
use crate::diagnostics::Diagnostic;
use crate::pipeline::{BuiltRow, Project};
use crate::render::Timeline;
use crate::render::cache::Cache;
use crate::render::raster::Fonts;
use crate::render::timeline::Source;
use crate::watch::serve::Studio;

/// Stills kept (a 720p PNG is ~50–500 KB).
const KEEP: usize = 64;

/// Loads the project as `reel watch` does.
pub(super) type Load = Box<dyn Fn() -> Result<Project, Vec<Diagnostic>> + Send + Sync>;

/// (row's built Edit, the files its timeline read, frame).
type StillKey = (blake3::Hash, blake3::Hash, u64);

/// Size and modification time of each file, `None` for one that cannot be read (or a
/// `reel:` fact, which is not a file).
#[derive(Debug, Clone, PartialEq)]
struct Stamp(Vec<(PathBuf, Option<(u64, SystemTime)>)>);

impl Stamp {
    fn of<'a>(files: impl IntoIterator<Item = &'a Path>) -> Stamp {
        Stamp(
            files
                .into_iter()
                .map(|p| {
                    let meta = std::fs::metadata(p).ok();
                    let seen = meta.and_then(|m| Some((m.len(), m.modified().ok()?)));
                    (p.to_owned(), seen)
                })
                .collect(),
        )
    }

    /// The same files, as they are now.
    fn now(&self) -> Stamp {
        Stamp::of(self.0.iter().map(|(p, _)| p.as_path()))
    }

    /// These files, each as `before` saw it when it has it (files new to this load keep
    /// their state now).
    fn seen_before(self, before: &Stamp) -> Stamp {
        Stamp(
            self.0
                .into_iter()
                .map(|(p, now)| {
                    let seen = before.0.iter().find(|(b, _)| *b == p).map(|(_, s)| *s);
                    (p, seen.unwrap_or(now))
                })
                .collect(),
        )
    }

    fn digest(&self) -> blake3::Hash {
        blake3::hash(format!("{:?}", self.0).as_bytes())
    }
}

/// The template and data as last loaded, with the rows built from them since.
struct Loaded {
    /// The template, its includes and the data file, before they were read.
    stamp: Stamp,
    project: Arc<Project>,
    rows: HashMap<usize, Arc<BuiltRow>>,
}

/// A row's resolved timeline.
struct Resolved {
    /// The built Edit it was resolved from.
    edit: blake3::Hash,
    /// The files it read (media, layers, fonts), after it read them.
    stamp: Stamp,
    timeline: Arc<Timeline>,
}

/// The [`Studio`] of a watch session.
pub(super) struct Stills {
    /// Loads the template and data.
    load: Load,
    /// The session's fonts.
    fonts: Arc<Fonts>,
    /// Probes, downloads, drawn layers (shared with the session's renders).
    cache: Cache,
    /// `--max-duration`.
    max_duration: Option<f64>,
    /// Where stills are written before being read into the LRU.
    dir: tempfile::TempDir,
    /// The last load, while its files are unchanged.
    loaded: Mutex<Option<Loaded>>,
    /// Resolved timelines by row.
    resolved: Mutex<HashMap<usize, Resolved>>,
    /// Most recently used last.
    lru: Mutex<VecDeque<(StillKey, Arc<Vec<u8>>)>>,
    /// Names the next temporary file.
    next: AtomicU64,
}

impl Stills {
    /// A studio loading the project with `load`.
    pub(super) fn new(
        load: Load,
        fonts: Arc<Fonts>,
        cache: Cache,
        max_duration: Option<f64>,
    ) -> std::io::Result<Stills> {
        Ok(Stills {
            load,
            fonts,
            cache,
            max_duration,
            dir: tempfile::tempdir()?,
            loaded: Mutex::default(),
            resolved: Mutex::default(),
            lru: Mutex::default(),
            next: AtomicU64::default(),
        })
    }

    /// The project and row `row` (1-based) built: from the last load while the template and
    /// data files are unchanged.
    fn row(&self, row: usize) -> Result<(Arc<Project>, Arc<BuiltRow>), String> {
        let mut loaded = self.loaded.lock().map_err(|e| e.to_string())?;
        let mut stamp = None;
        if let Some(l) = loaded.as_ref() {
            let now = l.stamp.now();
            if now != l.stamp {
                // Stamped before being read again: a save during the load makes the next
                // request load again.
                stamp = Some(now);
                *loaded = None;
            }
        }
        let l = match &mut *loaded {
            Some(l) => l,
            None => {
                let project = (self.load)().map_err(|d| first(&d))?;
                let after = Stamp::of(inputs(&project));
                let stamp = match stamp {
                    Some(before) => after.seen_before(&before),
                    None => after,
                };
                loaded.insert(Loaded {
                    stamp,
                    project: Arc::new(project),
                    rows: HashMap::new(),
                })
            }
        };
        if let Some(built) = l.rows.get(&row) {
            return Ok((l.project.clone(), built.clone()));
        }
        let found = l
            .project
            .rows()
            .map_err(|d| d.message)?
            .find(|(i, _)| *i + 1 == row)
            .map(|(_, r)| r);
        let data_row = match found {
            Some(r) => r.map_err(|d| d.message)?,
            None => return Err(format!("there is no row {row}")),
        };
        let built = l
            .project
            .build_row(&data_row)
            .output
            .map_err(|d| first(&d))?;
        let built = Arc::new(built);
        l.rows.insert(row, built.clone());
        Ok((l.project.clone(), built))
    }

    /// Row `row` built and its timeline resolved, with the digest of its Edit and of the
    /// state of the files the timeline read: from the last request while both are the same.
    fn resolved(&self, row: usize) -> Result<Resolution, String> {
        let (project, built) = self.row(row)?;
        let edit = blake3::hash(built.json.to_string().as_bytes());
        if let Ok(resolved) = self.resolved.lock()
            && let Some(r) = resolved.get(&row)
            && r.edit == edit
        {
            let now = r.stamp.now();
            if now == r.stamp {
                return Ok(Resolution {
                    project,
                    built,
                    edit,
                    files: now.digest(),
                    timeline: r.timeline.clone(),
                });
            }
        }
        let timeline = resolve_row(
            &project,
            &built,
            &self.fonts,
            self.cache.clone(),
            self.max_duration,
        )
        .map_err(|d| first(&d))?;
        let stamp = Stamp::of(timeline.files.iter().map(PathBuf::as_path));
        let files = stamp.digest();
        let timeline = Arc::new(timeline);
        if let Ok(mut resolved) = self.resolved.lock() {
            resolved.insert(
                row,
                Resolved {
                    edit,
                    stamp,
                    timeline: timeline.clone(),
                },
            );
        }
        Ok(Resolution {
            project,
            built,
            edit,
            files,
            timeline,
        })
    }
}

/// What a still or timeline request starts from.
struct Resolution {
    project: Arc<Project>,
    built: Arc<BuiltRow>,
    /// Digest of the built Edit.
    edit: blake3::Hash,
    /// Digest of the state of the files the timeline read.
    files: blake3::Hash,
    timeline: Arc<Timeline>,
}

/// The files a load read: the template, its includes and the data file.
fn inputs(project: &Project) -> impl Iterator<Item = &Path> {
    project
        .files
        .iter()
        .chain(project.data.as_ref())
        .map(PathBuf::as_path)
}

fn first(diags: &[Diagnostic]) -> String {
    diags.iter().find(|d| d.is_error()).map_or_else(
        || "the template does not load".into(),
        |d| d.message.clone(),
    )
}

impl Studio for Stills {
    /// `rev` (the page's build version) is not part of the key: the built Edit and the state
    /// of the files it read are, which change exactly when the picture can.
    fn still(&self, row: usize, t: f64, _rev: u64) -> Result<Arc<Vec<u8>>, String> {
        let r = self.resolved(row)?;
        let fps = r.timeline.canvas.fps.as_f64();
        let frame = (t * fps).round() as u64;
        let key = (r.edit, r.files, frame);
        if let Ok(mut lru) = self.lru.lock()
            && let Some(i) = lru.iter().position(|(k, _)| *k == key)
            && let Some(hit) = lru.remove(i)
        {
            let png = hit.1.clone();
            lru.push_back(hit);
            return Ok(png);
        }
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let out = self.dir.path().join(format!("{n}.png"));
        let at = frame as f64 / fps;
        let outcome = still_of_timeline(&r.timeline, Some(&r.built.origins), at, &out)
            .map_err(|d| first(&d))?;
        let png = std::fs::read(&outcome.output).map_err(|e| e.to_string());
        let _ = std::fs::remove_file(&outcome.output);
        let png = Arc::new(png?);
        if let Ok(mut lru) = self.lru.lock() {
            if lru.len() >= KEEP {
                lru.pop_front();
            }
            lru.push_back((key, png.clone()));
        }
        Ok(png)
    }

    fn timeline(&self, row: usize) -> Result<String, String> {
        let Resolution {
            project,
            built,
            timeline,
            ..
        } = self.resolved(row)?;
        let tracks: Vec<Json> = timeline
            .tracks
            .iter()
            .map(|clips| {
                let clips: Vec<Json> = clips
                    .iter()
                    .map(|c| {
                        let (file, line, text) = origin(&project, &built, &c.pointer);
                        json!({
                            "start": c.start,
                            "length": c.length,
                            "kind": format!("{:?}", c.kind).to_lowercase(),
                            "label": label(&built.json, &c.pointer, &c.source),
                            "file": file,
                            "line": line,
                            "source": text,
                        })
                    })
                    .collect();
                json!({ "clips": clips })
            })
            .collect();
        let doc = json!({
            "duration": timeline.duration,
            "width": timeline.canvas.width,
            "height": timeline.canvas.height,
            "fps": timeline.canvas.fps.as_f64(),
            "tracks": tracks,
        });
        Ok(doc.to_string())
    }
}

/// The template file, line and that line's text where the clip at `pointer` was written.
fn origin(project: &Project, built: &BuiltRow, pointer: &str) -> (String, usize, String) {
    let Some(o) = built.origins.nearest(pointer) else {
        return (String::new(), 0, String::new());
    };
    let file = project.sources.get(o.span.file);
    let (line, _) = file.line_col(o.span.start as usize);
    let text = file.text().lines().nth(line - 1).unwrap_or("").trim();
    let text: String = text.chars().take(160).collect();
    (file.name.clone(), line, text)
}

/// What the timeline shows on a clip: its asset type and file name or text.
fn label(json: &Json, pointer: &str, source: &Source) -> String {
    let asset = json.pointer(&format!("{pointer}/asset"));
    let kind = asset
        .and_then(|a| a.get("type"))
        .and_then(Json::as_str)
        .unwrap_or("clip");
    let what = match (asset.and_then(|a| a.get("text")), source) {
        (Some(Json::String(t)), _) => t.chars().take(40).collect(),
        (_, Source::Media { path, .. }) => file_name(path),
        _ => asset
            .and_then(|a| a.get("src"))
            .and_then(Json::as_str)
            .map(|s| file_name(Path::new(s)))
            .unwrap_or_default(),
    };
    if what.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {what}")
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
