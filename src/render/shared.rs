//! Rendering a batch row on a shared base (issue 16): the IO side of
//! [`compile::shared`](super::compile::shared).
//!
//! [`render_edit_shared`] resolves the row, asks [`decide`] whether the row-invariant clips pay
//! for an intermediate, makes that intermediate once (cache sub-directory `shared/`, named by
//! the blake3 of the base timeline, the files it reads and the settings), then renders the
//! row's own clips on top of it. The intermediate is lossless YUV 4:2:0: raw video in NUT
//! (exact timestamps) up to [`RAW_LIMIT`] bytes, x264 `-qp 0` beyond, the sound as 32-bit
//! float PCM. Measured on a 1280×720 25 fps base of 250 frames (detailed content), reading it
//! back took 0.16 s CPU raw, 2.0 s as x264 `-qp 0 -preset ultrafast`, 5.7 s as FFV1.
//!
//! Concurrency follows the download cache: one maker per key in this process (a mutex per
//! key) and across processes (a file lock in `shared-locks/`, released on exit even after
//! `kill -9`); the file appears under its final name only once complete and verified
//! (`run`'s `.part` + rename). `--force` makes each base again once per run. The rows
//! waiting for a base leave it every core (ffmpeg's own thread choice). Bases beyond
//! [`SHARED_BYTES`] are evicted least recently used first.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::cache::{self, Cache};
use super::compile::segments::{RowEncode, row_parts};
use super::compile::shared::{Decision, Split, decide, key_text};
use super::entry_lock;
use super::job::{self, RenderJob, RenderOutcome};
use super::run::{self, Progress, RunError};
use super::timeline::{Source, Timeline};
use super::{Cancel, RenderOptions, RenderPlan, compile};
use crate::diagnostics::{Diagnostic, SourceResult, Warned};
use crate::edit::Edit;

/// Sub-directory of shared bases (`<key>.nut`).
pub const SHARED: &str = "shared";
/// Sub-directory of their cross-process locks.
pub const SHARED_LOCKS: &str = "shared-locks";
/// Largest raw intermediate (bytes); a longer or larger base is stored as x264 `-qp 0`.
/// 512 MiB holds 15 s of 1280×720 at 25 fps.
pub const RAW_LIMIT: u64 = 512 << 20;
/// Bytes of shared bases kept in the cache; the least recently used go first (never one used
/// in the last hour: another run may be reading it).
pub const SHARED_BYTES: u64 = 4 << 30;

/// The shared bases of one batch run: how many rows it renders (the decision needs it),
/// whether `--force` asked to make everything again, and which bases this run made.
#[derive(Debug, Default)]
pub struct SharedBases {
    rows: AtomicUsize,
    force: bool,
    /// Parts a single render is split into (`--segments`; 0 or 1: not split).
    segments: usize,
    /// The segments were chosen automatically: split only where it pays.
    segments_auto: bool,
    /// Keys of the bases and segments this run made.
    made: Mutex<HashSet<String>>,
    /// Bases made and used by this run, for tests and `--verbose`.
    pub stats: BaseStats,
}

/// Counters of shared-base activity.
#[derive(Debug, Default)]
pub struct BaseStats {
    /// Intermediates rendered.
    pub made: AtomicUsize,
    /// Rows rendered on a base.
    pub rows_on_base: AtomicUsize,
    /// Shared segments (and shared sounds) encoded.
    pub segments_made: AtomicUsize,
    /// Rows that encoded only their own frames and joined the shared segments.
    pub rows_in_segments: AtomicUsize,
    /// Videos rendered in parallel segments (`--segments`).
    pub split_videos: AtomicUsize,
    /// Segments of those videos.
    pub split_parts: AtomicUsize,
}

impl SharedBases {
    /// For a run that renders `rows` rows (0: not known yet, see [`SharedBases::set_rows`]);
    /// with `force`, each base is made again the first time this run needs it.
    pub fn new(rows: usize, force: bool) -> SharedBases {
        SharedBases {
            rows: AtomicUsize::new(rows),
            force,
            ..SharedBases::default()
        }
    }

    /// With a render that is not drawn on a shared base split into `n` segments rendered at
    /// once (`--segments`; 0 or 1: one process).
    /// With `auto` (not asked for), a video is split only when its costliest part is a small
    /// enough share ([`super::segments::AUTO_MAX_SHARE`]).
    pub fn with_segments(mut self, n: usize, auto: bool) -> SharedBases {
        self.segments = n;
        self.segments_auto = auto;
        self
    }

    /// Sets the number of rows to render (known once the batch is planned).
    pub fn set_rows(&self, rows: usize) {
        self.rows.store(rows, Ordering::Relaxed);
    }

    /// Rows the run renders.
    pub fn rows(&self) -> usize {
        self.rows.load(Ordering::Relaxed)
    }

    /// Whether the cache entry `key` must be made (again) now: it is missing, or `--force`
    /// asked for fresh entries and this run has not made it yet.
    pub(crate) fn must_make(&self, key: &str, path: &Path) -> bool {
        !path.is_file() || (self.force && !self.made.lock().is_ok_and(|m| m.contains(key)))
    }

    /// Records that this run made the entry `key`.
    pub(crate) fn note_made(&self, key: &str) {
        if let Ok(mut m) = self.made.lock() {
            m.insert(key.to_owned());
        }
    }
}

/// How the row of `job` renders in a batch of `rows` rows, from its resolved `timeline`.
pub fn decision(timeline: &Timeline, job: &RenderJob<'_>, rows: usize) -> Decision {
    let row: Vec<&str> = job
        .origins
        .map(|o| o.row_pointers().collect())
        .unwrap_or_default();
    decide(timeline, &row, rows, &job.options)
}

/// [`job::render_edit`] for a row of a batch: on a shared base when [`decide`] says it pays,
/// else the full graph. A base that cannot be made is a warning, and the row renders whole.
pub fn render_edit_shared(
    edit: &Edit,
    job: &RenderJob<'_>,
    bases: &SharedBases,
    on_progress: &mut dyn FnMut(Progress),
    cancel: &Cancel,
) -> Warned<SourceResult<RenderOutcome>> {
    let planned = job::plan_cancellable(edit, job, cancel);
    let mut warnings = planned.warnings;
    let output = planned.output.and_then(|(timeline, full)| {
        let cache = job.cache.clone().with_cancel(cancel);
        let plan = match decision(&timeline, job, bases.rows()) {
            Decision::Full(_) if bases.segments > 1 => {
                let out = job::output_path(&job.out_path, full.extension);
                let frames = job::side_frames(edit, &full, &out);
                let made = super::segments::render_split(
                    &timeline,
                    &full,
                    (bases.segments, bases.segments_auto),
                    &job.options,
                    &out,
                    &frames,
                    &bases.stats,
                    on_progress,
                    cancel,
                );
                match made {
                    Ok(Some(report)) => {
                        return Ok(RenderOutcome {
                            output: report.output,
                            side_files: report.side_files,
                            seconds: report.seconds,
                            files: timeline.files,
                        });
                    }
                    Ok(None) => full,
                    Err(e @ RunError::Cancelled) => {
                        return Err(vec![job::run_diagnostic(e, &timeline, job.origins)]);
                    }
                    Err(e) => {
                        warnings.push(Diagnostic::warning(format!(
                            "the render could not be split into segments, so it renders in one process: {e}"
                        )));
                        full
                    }
                }
            }
            Decision::Full(_) => full,
            Decision::Shared(split) => {
                if let RowEncode::Parts(parts) = row_parts(&split, bases.rows(), &job.options) {
                    let out = job::output_path(&job.out_path, "mp4");
                    let frames = job::side_frames(edit, &full, &out);
                    let made = super::segments::render_row(
                        &split,
                        &parts,
                        &job.options,
                        &cache,
                        bases,
                        &out,
                        &frames,
                        on_progress,
                        cancel,
                    );
                    match made {
                        Ok(report) => {
                            return Ok(RenderOutcome {
                                output: report.output,
                                side_files: report.side_files,
                                seconds: report.seconds,
                                files: timeline.files,
                            });
                        }
                        Err(e @ RunError::Cancelled) => {
                            return Err(vec![job::run_diagnostic(e, &timeline, job.origins)]);
                        }
                        Err(e) => warnings.push(Diagnostic::warning(format!(
                            "the row could not be joined from segments, so it encodes every frame itself: {e}"
                        ))),
                    }
                }
                match on_base(&split, &job.options, &cache, bases, on_progress, cancel) {
                    Ok(plan) => plan,
                    Err(e @ RunError::Cancelled) => {
                        return Err(vec![job::run_diagnostic(e, &timeline, job.origins)]);
                    }
                    Err(e) => {
                        warnings.push(
                            Diagnostic::warning(format!(
                                "the shared base of this batch could not be made, so the row renders every clip itself: {e}"
                            )),
                        );
                        full
                    }
                }
            }
        };
        let out = job::output_path(&job.out_path, plan.extension);
        let frames = job::side_frames(edit, &plan, &out);
        match run::run_plan(&plan, &out, &frames, on_progress, cancel) {
            Ok(report) => Ok(RenderOutcome {
                output: report.output,
                side_files: report.side_files,
                seconds: report.seconds,
                files: timeline.files,
            }),
            Err(e) => Err(vec![job::run_diagnostic(e, &timeline, job.origins)]),
        }
    });
    Warned { output, warnings }
}

/// The row's plan drawn on its base, making the base first if needed.
fn on_base(
    split: &Split,
    options: &RenderOptions,
    cache: &Cache,
    bases: &SharedBases,
    on_progress: &mut dyn FnMut(Progress),
    cancel: &Cancel,
) -> Result<RenderPlan, RunError> {
    let (path, _) = ensure_base(split, options, cache, bases, on_progress, cancel)?;
    let top = split.on_base(&path);
    let plan = compile_for(
        &top,
        options,
        "cannot compile the row on its shared base",
        &path,
    )?;
    bases.stats.rows_on_base.fetch_add(1, Ordering::Relaxed);
    Ok(plan)
}

/// The cache key of a base: blake3 of [`key_text`] and of the contents of every file it
/// reads (so an edited asset makes a new base).
pub fn base_key(split: &Split, options: &RenderOptions) -> std::io::Result<String> {
    let mut h = blake3::Hasher::new();
    h.update(key_text(split, options).as_bytes());
    let clips = split.base.tracks.iter().flatten();
    let sound = split.base.soundtrack.iter().map(|s| s.path.as_path());
    let files = clips
        .filter_map(|c| match &c.source {
            Source::Media { path, .. } => Some(path.as_path()),
            Source::Layer { png, .. } => Some(png.as_path()),
            // Frame directories are named by the hash of what they draw.
            Source::Frames { .. } | Source::None => None,
        })
        .chain(sound);
    for f in files {
        h.update(cache::hash_file_memo(f)?.as_bytes());
    }
    Ok(h.finalize().to_hex()[..32].to_owned())
}

/// The intermediate of `split`, made now unless the cache has it (or `--force` asked for a
/// fresh one and this run has not made it yet). Waits while another thread or process makes
/// the same one. Its path and its key ([`base_key`]), which names what is made from it.
pub(crate) fn ensure_base(
    split: &Split,
    options: &RenderOptions,
    cache: &Cache,
    bases: &SharedBases,
    on_progress: &mut dyn FnMut(Progress),
    cancel: &Cancel,
) -> Result<(PathBuf, String), RunError> {
    let key = base_key(split, options).map_err(|source| RunError::Io {
        what: "cannot read a file of the shared base, such as",
        path: split
            .base
            .tracks
            .iter()
            .flatten()
            .next()
            .map_or_else(PathBuf::new, |c| PathBuf::from(&c.pointer)),
        source,
    })?;
    let path = make_once(&key, "nut", cache, bases, cancel, |path| {
        // The other rows wait for the base: it gets every core (ffmpeg's own thread choice).
        let whole = RenderOptions {
            threads: None,
            ..options.clone()
        };
        let mut plan = compile_for(&split.base, &whole, "cannot compile the shared base", path)?;
        lossless(&mut plan, split, &whole);
        run::run(&plan, path, on_progress, cancel)?;
        bases.stats.made.fetch_add(1, Ordering::Relaxed);
        Ok(())
    })?;
    Ok((path, key))
}

/// The cache entry `shared/<key>.<ext>`, made by `make` unless this run may reuse it (not
/// `--force`d, or made by this run already); one maker at a time across threads and
/// processes, the directory then trimmed to [`SHARED_BYTES`].
pub(crate) fn make_once(
    key: &str,
    ext: &str,
    cache: &Cache,
    bases: &SharedBases,
    cancel: &Cancel,
    make: impl FnOnce(&Path) -> Result<(), RunError>,
) -> Result<PathBuf, RunError> {
    let path = cache.entry(SHARED, &format!("{key}.{ext}"));
    let lock = cache.entry(SHARED_LOCKS, &format!("{key}.lock"));
    entry_lock::exclusively(
        &path,
        &lock,
        cancel,
        || RunError::Cancelled,
        || {
            if !bases.must_make(key, &path) {
                entry_lock::mark_used(&path);
                return Ok(path.clone());
            }
            make(&path)?;
            if let Some(dir) = path.parent() {
                let _ = super::fetch::evict(dir, SHARED_BYTES, &path);
            }
            bases.note_made(key);
            Ok(path.clone())
        },
    )
}

/// [`compile`], its errors worded as the failure to make `path` (`what`).
pub(crate) fn compile_for(
    timeline: &Timeline,
    options: &RenderOptions,
    what: &'static str,
    path: &Path,
) -> Result<RenderPlan, RunError> {
    compile(timeline, options).map_err(|errors| compile_failed(errors, what, path))
}

/// Compile `errors` of an intermediate reel makes for itself, worded as the failure to make
/// `path` (`what`): its messages, joined.
pub(crate) fn compile_failed(
    errors: Vec<crate::diagnostics::Diagnostic>,
    what: &'static str,
    path: &Path,
) -> RunError {
    let messages: Vec<String> = errors.into_iter().map(|d| d.message).collect();
    RunError::Io {
        what,
        path: path.to_path_buf(),
        source: std::io::Error::other(messages.join("; ")),
    }
}

/// Replaces a plan's encoder arguments with the lossless intermediate's.
fn lossless(plan: &mut RenderPlan, split: &Split, options: &RenderOptions) {
    let c = split.base.canvas;
    let raw = u64::from(c.width) * u64::from(c.height) * 3 / 2 * plan.frames;
    let mut a: Vec<String> = if raw <= RAW_LIMIT {
        vec!["-c:v".into(), "rawvideo".into()]
    } else {
        ["-c:v", "libx264", "-preset", "ultrafast", "-qp", "0"]
            .map(String::from)
            .to_vec()
    };
    a.extend(["-pix_fmt", "yuv420p", "-r"].map(String::from));
    a.push(c.fps.to_string());
    if plan.maps.len() > 1 {
        a.extend(["-c:a", "pcm_f32le", "-ar", "48000", "-ac", "2"].map(String::from));
    }
    if let Some(n) = options.threads {
        a.extend(["-threads".to_owned(), n.to_string()]);
    }
    a.extend(["-f".to_owned(), "nut".to_owned()]);
    plan.encoder_args = a;
    plan.extension = "nut";
}
