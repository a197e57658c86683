//! The studio page's stills and timelines for `reel watch --serve` ([`Studio`]): each request
//! loads the template as it is on disk now (milliseconds), builds the row, and renders the
//! frame through [`super::still::render_still`], the path `reel still` takes. Stills are kept
//! in a small LRU keyed by the row's built Edit, the frame and the page's revision, so
//! scrubbing back over a moment costs nothing.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value as Json, json};

use super::still::render_still;
use crate::diagnostics::Diagnostic;
use crate::pipeline::{BuiltRow, Project};
use crate::render::cache::Cache;
use crate::render::raster::Fonts;
use crate::render::resolve::{ResolveContext, resolve};
use crate::render::timeline::Source;
use crate::watch::serve::Studio;

/// Stills kept (a 720p PNG is ~50–500 KB).
const KEEP: usize = 64;

/// Loads the project as `reel watch` does.
pub(super) type Load = Box<dyn Fn() -> Result<Project, Vec<Diagnostic>> + Send + Sync>;

/// (row's built Edit, frame, page revision).
type StillKey = (blake3::Hash, u64, u64);

/// The [`Studio`] of a watch session.
pub(super) struct Stills {
    /// Loads the template and data.
    pub(super) load: Load,
    /// The session's fonts.
    pub(super) fonts: Arc<Fonts>,
    /// Probes, downloads, drawn layers (shared with the session's renders).
    pub(super) cache: Cache,
    /// `--max-duration`.
    pub(super) max_duration: Option<f64>,
    /// Where stills are written before being read into the LRU.
    pub(super) dir: tempfile::TempDir,
    /// Most recently used last.
    pub(super) lru: Mutex<VecDeque<(StillKey, Arc<Vec<u8>>)>>,
    /// Names the next temporary file.
    pub(super) next: AtomicU64,
}

impl Stills {
    /// The project and row `row` (1-based) built.
    fn row(&self, row: usize) -> Result<(Project, BuiltRow), String> {
        let project = (self.load)().map_err(|d| first(&d))?;
        let found = project
            .rows()
            .map_err(|d| d.message)?
            .find(|(i, _)| *i + 1 == row)
            .map(|(_, r)| r);
        let data_row = match found {
            Some(r) => r.map_err(|d| d.message)?,
            None => return Err(format!("there is no row {row}")),
        };
        let built = project.build_row(&data_row).output.map_err(|d| first(&d))?;
        Ok((project, built))
    }
}

fn first(diags: &[Diagnostic]) -> String {
    diags.iter().find(|d| d.is_error()).map_or_else(
        || "the template does not load".into(),
        |d| d.message.clone(),
    )
}

impl Studio for Stills {
    fn still(&self, row: usize, t: f64, rev: u64) -> Result<Arc<Vec<u8>>, String> {
        let (project, built) = self.row(row)?;
        let fps = built.edit.output.fps.filter(|f| *f > 0.0).unwrap_or(25.0);
        let frame = (t * fps).round() as u64;
        let key = (blake3::hash(built.json.to_string().as_bytes()), frame, rev);
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
        let rendered = render_still(
            &project,
            &built,
            at,
            &out,
            &self.fonts,
            self.cache.clone(),
            self.max_duration,
        );
        let outcome = rendered.output.map_err(|d| first(&d))?;
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
        let (project, built) = self.row(row)?;
        let ctx = ResolveContext {
            base_dir: project.base_dir.clone(),
            cache: self.cache.clone(),
            fonts: &self.fonts,
            origins: Some(&built.origins),
            sources: Some(&project.sources),
            max_duration: self.max_duration.unwrap_or(f64::INFINITY),
        };
        let timeline = resolve(&built.edit, &ctx).output.map_err(|d| first(&d))?;
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
