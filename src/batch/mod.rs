//! Batch rendering: rows become jobs in a bounded pool, with incremental skips, failure
//! isolation, a summary, Ctrl-C handling, shards, an output-directory lock and the clean-up of
//! partial renders left by killed runs.
//!
//! [`run`] drives one batch in two passes over the rows, so memory stays flat however many
//! rows there are:
//! 1. [`plan`]: build every selected row once, keeping only its output name, a hash of its
//!    Edit and the decision (render and why, up to date, failed); detect output-name
//!    collisions before anything renders. `--dry-run` stops here.
//! 2. [`pool`]: read the rows again through a bounded channel; worker threads build and render
//!    the rows that need it, so expansion of later rows overlaps rendering of earlier ones.
//!    Each success is recorded in the [`manifest`]; every row gets a [`summary`] record.
//!
//! The batch never prints: everything the user sees goes through [`Event`]s to a callback on
//! the calling thread. What a row *is* and how it renders comes from a [`Source`] (the
//! pipeline in the CLI; real ffmpeg processes in tests).

pub mod lock;
pub mod manifest;
pub mod name;
pub mod plan;
pub mod pool;
pub mod select;
pub mod summary;

use std::path::{Path, PathBuf};
use std::time::Instant;

use blake3::Hash;

use crate::diagnostics::{Diagnostic, SourceResult, Warned};
use crate::render::Cancel;

pub use manifest::{Facts, FileHashes, Key, Manifest, Reason};
pub use select::{RowSet, Selection, Shard};
pub use summary::{RowReport, RowStatus, Summary};

/// What the batch needs from the pipeline: the rows, how to build one, how to render one.
pub trait Source: Sync {
    /// One row of data, read by [`Source::rows`] and handed to a worker thread.
    type Row: Send;
    /// One built row, ready to render.
    type Job;

    /// A fresh pass over the rows: `(0-based index, row or the row's own error)`. Called twice
    /// per batch (plan, then render). `Err` when the data cannot be read at all.
    #[allow(clippy::type_complexity)]
    fn rows(
        &self,
    ) -> SourceResult<Box<dyn Iterator<Item = (usize, Result<Self::Row, Diagnostic>)> + '_>>;

    /// Expands and validates one row.
    fn build(&self, row: &Self::Row) -> Warned<SourceResult<Built<Self::Job>>>;

    /// Renders a built row to `output` (atomically: a `.part`, verified, then renamed),
    /// reporting progress and stopping (with the `.part` removed) when `cancel` is set.
    fn render(
        &self,
        job: Self::Job,
        output: &Path,
        progress: &mut dyn FnMut(JobProgress),
        cancel: &Cancel,
    ) -> Warned<SourceResult<Rendered>>;

    /// A diagnostic as one line of text with its location, for `summary.json`.
    fn describe(&self, diagnostic: &Diagnostic) -> String {
        diagnostic.message.clone()
    }
}

/// A built row: what the batch needs to name, key and render it.
#[derive(Debug)]
pub struct Built<J> {
    /// The template's `name` for this row, unsanitised.
    pub name: Option<String>,
    /// The output file extension (from the output format).
    pub extension: &'static str,
    /// blake3 of the expanded Edit JSON.
    pub edit_hash: Hash,
    /// The job itself.
    pub job: J,
}

/// A finished render.
#[derive(Debug, Default)]
pub struct Rendered {
    /// Local files the render read (media, fonts), hashed into the manifest.
    pub files_read: Vec<PathBuf>,
}

/// How far one render is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JobProgress {
    /// Seconds of output written.
    pub done_seconds: f64,
    /// Seconds the output will have.
    pub total_seconds: f64,
}

/// How to run one batch.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where outputs, the manifest, the lock and the summary go.
    pub out_dir: PathBuf,
    /// Jobs at once (at least 1).
    pub jobs: usize,
    /// Which rows.
    pub selection: Selection,
    /// Render even up-to-date rows.
    pub force: bool,
    /// Plan only: report what would render and why.
    pub dry_run: bool,
    /// blake3 of the template files (tells "template changed" from "data changed").
    pub template_hash: Hash,
    /// blake3 of the render settings that change the output, with reel's version.
    pub settings_hash: Hash,
    /// Answers the font facts rows recorded (which fonts they drew with, could draw with).
    pub facts: Facts,
}

impl Config {
    /// `K-of-N` when sharded: the suffix of this run's summary, manifest and lock files.
    pub fn shard_tag(&self) -> Option<String> {
        self.selection.shard.map(|s| s.tag())
    }
}

/// Something the user may want to see, delivered on the thread that called [`run`].
#[derive(Debug)]
pub enum Event<'a> {
    /// A non-fatal problem of the batch itself (an unreadable old manifest…).
    Warning(String),
    /// Diagnostics (errors and warnings) of one row, 0-based index.
    Diagnostics {
        /// 0-based row index.
        index: usize,
        /// The diagnostics.
        diagnostics: &'a [Diagnostic],
    },
    /// The first pass is done: what will happen.
    Planned(&'a plan::Plan),
    /// A worker started rendering a row.
    Started {
        /// Worker slot, `0..jobs`.
        slot: usize,
        /// 0-based row index.
        index: usize,
        /// Output file name.
        output: &'a str,
    },
    /// Progress of a running render (throttled).
    Progress {
        /// Worker slot.
        slot: usize,
        /// How far.
        progress: JobProgress,
    },
    /// A row is finished (rendered, failed, cancelled or not started).
    Finished {
        /// Worker slot, if a worker handled it.
        slot: Option<usize>,
        /// Its summary record.
        report: &'a RowReport,
    },
}

/// What a batch did.
#[derive(Debug)]
pub struct Outcome {
    /// The summary (also written to the output directory unless dry-run).
    pub summary: Summary,
    /// The plan (dry-run callers list it).
    pub plan: plan::Plan,
    /// Where the summary was written (`None` for a dry run).
    pub summary_path: Option<PathBuf>,
}

/// Why a batch could not run at all (row problems are never this: they are recorded).
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// The data could not be read.
    #[error("cannot read the rows")]
    Rows(Vec<Diagnostic>),
    /// Another run holds the output directory.
    #[error(transparent)]
    Lock(#[from] lock::LockError),
    /// Output directory, manifest or summary IO.
    #[error("cannot write `{path}`")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The manifest could not be saved.
    #[error(transparent)]
    Manifest(#[from] manifest::ManifestError),
}

/// Runs one batch: lock, plan, render, summary. Returns when every job is done or, after
/// `cancel` is set, when the running ones are stopped.
pub fn run<S: Source>(
    source: &S,
    config: &Config,
    cancel: &Cancel,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<Outcome, BatchError> {
    let started = Instant::now();
    let tag = config.shard_tag();
    let lock = if config.dry_run {
        None
    } else {
        Some(claim_output_dir(config)?)
    };
    if let Some(lock) = &lock {
        clean_stray_parts(&config.out_dir, lock, on_event);
    }
    let (mut manifest, warnings) = Manifest::load_dir(&config.out_dir);
    for w in warnings {
        on_event(Event::Warning(w));
    }
    let hashes = FileHashes::with_facts(config.facts.clone());
    let ctx = plan::Context {
        config,
        manifest: &manifest,
        hashes: &hashes,
        cancel,
    };
    let plan = plan::plan(source, &ctx, on_event)?;
    on_event(Event::Planned(&plan));
    let shard = config.selection.shard.map(|s| s.to_string());
    if config.dry_run {
        let summary = plan.summary(shard, cancel.is_cancelled(), started);
        return Ok(Outcome {
            summary,
            plan,
            summary_path: None,
        });
    }
    let mut reports = plan.reports();
    let manifest_path = config.out_dir.join(manifest::own_file_name(tag.as_deref()));
    let pool = pool::Pool {
        config,
        hashes: &hashes,
        cancel,
        manifest_path: &manifest_path,
    };
    reports.extend(pool.execute(source, &plan, &mut manifest, on_event)?);
    let seconds = started.elapsed().as_secs_f64();
    let summary = Summary::new(reports, shard, cancel.is_cancelled(), seconds);
    let summary_path = config.out_dir.join(summary::file_name(tag.as_deref()));
    summary
        .save(&summary_path)
        .map_err(|source| BatchError::Io {
            path: summary_path.clone(),
            source,
        })?;
    Ok(Outcome {
        summary,
        plan,
        summary_path: Some(summary_path),
    })
}

/// Creates the output directory and takes its lock: exclusively, or shared with the other
/// shards of the batch (see [`lock`]).
fn claim_output_dir(config: &Config) -> Result<lock::OutputLock, BatchError> {
    std::fs::create_dir_all(&config.out_dir).map_err(|source| BatchError::Io {
        path: config.out_dir.clone(),
        source,
    })?;
    let claim = lock::Claim {
        command: "reel render",
        shard: config.selection.shard,
    };
    Ok(lock::OutputLock::acquire(&config.out_dir, &claim)?)
}

/// Removes the `.part` files of renders whose process died (kill -9, a crash), telling the
/// user about each. Live writers' files are kept (see [`crate::render::part::clean_stray`]).
fn clean_stray_parts(dir: &Path, lock: &lock::OutputLock, on_event: &mut dyn FnMut(Event<'_>)) {
    for removed in crate::render::part::clean_stray(dir, lock.is_exclusive()) {
        let name = removed
            .path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy();
        on_event(Event::Warning(format!(
            "removed `{name}`, a partial render left by a reel that was killed (pid {})",
            removed.owner.pid
        )));
    }
}

#[cfg(test)]
mod tests;
