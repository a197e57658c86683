//! The second pass: a bounded pool of worker threads that build and render the rows the plan
//! marked, fed by one reader thread through a bounded channel (at most `jobs` rows wait), so
//! memory stays flat and expansion of later rows overlaps rendering of earlier ones.
//!
//! The calling thread owns the manifest: it records each success as it arrives and saves the
//! manifest (atomically) at most once per [`SAVE_INTERVAL`] and at the end.

use std::collections::HashSet;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender, TrySendError};
use std::time::{Duration, Instant};

use blake3::Hash;

use super::plan::{Item, Plan, State};
use super::{
    BatchError, Config, Event, FileHashes, JobProgress, Key, Manifest, Rendered, RowReport,
    RowStatus, Source,
};
use crate::diagnostics::{Diagnostic, SourceResult, Warned};
use crate::render::Cancel;

/// How often, at least, the manifest is rewritten while a batch runs. A crash loses at most
/// this much bookkeeping (those rows render again next time); rewriting after every row would
/// cost O(rows²) bytes on big batches.
pub const SAVE_INTERVAL: Duration = Duration::from_secs(1);

/// The manifest is also rewritten no more often than this many times its last write took, so
/// a 100,000-entry manifest (≈ 30 MB, ≈ 0.1 s to write) costs at most ~5 % of one core.
pub const SAVE_COST_FACTOR: u32 = 20;

/// How often a running render reports progress: enough for a smooth bar, few enough events.
pub const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

/// How often the feeder, waiting for a free worker, looks at the cancel flag: short next to a
/// render, long enough to cost nothing.
const FEED_POLL: Duration = Duration::from_millis(20);

/// The render pass of one batch.
#[derive(Debug)]
pub struct Pool<'a> {
    /// The batch settings.
    pub config: &'a Config,
    /// Asset hashes, cached for the run.
    pub hashes: &'a FileHashes,
    /// Set on Ctrl-C: no new jobs start, running ones stop.
    pub cancel: &'a Cancel,
    /// Where this run's manifest is saved.
    pub manifest_path: &'a Path,
}

/// A row on its way to a worker.
struct Task<R> {
    index: usize,
    output: Box<str>,
    reason: String,
    row: Result<R, Diagnostic>,
}

/// From workers to the calling thread.
enum Msg {
    Started {
        slot: usize,
        index: usize,
        output: Box<str>,
    },
    Progress {
        slot: usize,
        progress: JobProgress,
    },
    Done(Box<Done>),
}

struct Done {
    slot: Option<usize>,
    index: usize,
    report: RowReport,
    diagnostics: Vec<Diagnostic>,
    /// For a success: the manifest key and the files read with their hashes.
    record: Option<(Key, Vec<(String, Hash)>)>,
}

impl Pool<'_> {
    /// Renders every row the plan marked, returning one record per such row.
    pub fn execute<S: Source>(
        &self,
        source: &S,
        plan: &Plan,
        manifest: &mut Manifest,
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<RowReport>, BatchError> {
        let pending: Vec<&Item> = plan
            .items
            .iter()
            .filter(|i| matches!(i.state, State::Render(_)))
            .collect();
        if pending.is_empty() {
            return Ok(Vec::new());
        }
        let jobs = self.config.jobs.clamp(1, pending.len());
        let (task_tx, task_rx) = mpsc::sync_channel::<Task<S::Row>>(jobs);
        let task_rx = Mutex::new(task_rx);
        let (msg_tx, msg_rx) = mpsc::channel::<Msg>();
        let mut reports = Vec::with_capacity(pending.len());
        let mut saver = Saver {
            path: self.manifest_path,
            last: Instant::now(),
            cost: Duration::ZERO,
            dirty: false,
            error: None,
        };
        std::thread::scope(|s| {
            let feed_tx = msg_tx.clone();
            let pending = &pending;
            s.spawn(move || self.feed(source, pending, task_tx, feed_tx));
            for slot in 0..jobs {
                let (rx, tx) = (&task_rx, msg_tx.clone());
                s.spawn(move || self.work(source, slot, rx, tx));
            }
            drop(msg_tx);
            let mut show = true;
            for msg in msg_rx {
                // A panic while showing an event must not stop the loop: the workers would
                // block on a dead channel and the manifest would never be saved (issue 15).
                // Stop the batch instead, without showing anything more.
                let mut quiet = |_: Event<'_>| {};
                let ui: &mut dyn FnMut(Event<'_>) = if show { on_event } else { &mut quiet };
                let step = AssertUnwindSafe(|| handle(msg, manifest, &mut saver, &mut reports, ui));
                if std::panic::catch_unwind(step).is_err() {
                    show = false;
                    self.cancel.cancel();
                }
            }
        });
        let done: HashSet<usize> = reports.iter().map(|r| r.row - 1).collect();
        for item in pending.iter().filter(|i| !done.contains(&i.index)) {
            let report = not_started(item.index, &item.output, reason_of(item));
            on_event(Event::Finished {
                slot: None,
                report: &report,
            });
            reports.push(report);
        }
        if let Some(e) = saver.error {
            return Err(e.into());
        }
        if saver.dirty {
            manifest.save(self.manifest_path)?;
        }
        Ok(reports)
    }

    /// Reads the rows again and hands the marked ones to the workers, in order.
    fn feed<S: Source>(
        &self,
        source: &S,
        pending: &[&Item],
        tasks: SyncSender<Task<S::Row>>,
        msgs: Sender<Msg>,
    ) {
        let rows = match source.rows() {
            Ok(rows) => rows,
            Err(diagnostics) => {
                // The data was readable a moment ago; report why not now, the rows stay
                // "not started".
                let index = pending.first().map_or(0, |i| i.index);
                let report = not_started(index, "", None);
                let done = Done {
                    slot: None,
                    index,
                    report,
                    diagnostics,
                    record: None,
                };
                let _ = msgs.send(Msg::Done(Box::new(done)));
                return;
            }
        };
        let mut next = pending.iter().peekable();
        for (index, row) in rows {
            if self.cancel.is_cancelled() {
                break;
            }
            // Rows that vanished between the passes (the data changed) stay "not started".
            while next.peek().is_some_and(|i| i.index < index) {
                next.next();
            }
            let Some(&item) = next.peek() else { break };
            if item.index != index {
                continue;
            }
            next.next();
            let task = Task {
                index,
                output: item.output.clone(),
                reason: reason_of(item).unwrap_or_default(),
                row,
            };
            if !self.send(&tasks, task) {
                break;
            }
        }
    }

    /// Hands `task` to a worker, waiting while all are busy but never past a cancel (a blocked
    /// send kept a stopping batch from ending: issue 15). Whether it was sent.
    fn send<R>(&self, tasks: &SyncSender<Task<R>>, mut task: Task<R>) -> bool {
        loop {
            match tasks.try_send(task) {
                Ok(()) => return true,
                Err(TrySendError::Disconnected(_)) => return false,
                Err(TrySendError::Full(t)) => {
                    if self.cancel.is_cancelled() {
                        return false;
                    }
                    task = t;
                    std::thread::sleep(FEED_POLL);
                }
            }
        }
    }

    /// One worker: takes rows until the channel closes.
    fn work<S: Source>(
        &self,
        source: &S,
        slot: usize,
        tasks: &Mutex<Receiver<Task<S::Row>>>,
        msgs: Sender<Msg>,
    ) {
        loop {
            let task = match tasks.lock() {
                Ok(rx) => rx.recv(),
                Err(_) => return,
            };
            let Ok(task) = task else { return };
            let done = if self.cancel.is_cancelled() {
                let report = not_started(task.index, &task.output, Some(task.reason));
                Done {
                    slot: Some(slot),
                    index: task.index,
                    report,
                    diagnostics: Vec::new(),
                    record: None,
                }
            } else {
                self.run_task_isolated(source, slot, task, &msgs)
            };
            if msgs.send(Msg::Done(Box::new(done))).is_err() {
                return;
            }
        }
    }
}

impl Pool<'_> {
    /// [`Pool::run_task`], with a panic in the pipeline (a bug, but possibly triggered by one
    /// odd row) recorded as that row's failure instead of ending the batch.
    fn run_task_isolated<S: Source>(
        &self,
        source: &S,
        slot: usize,
        task: Task<S::Row>,
        msgs: &Sender<Msg>,
    ) -> Done {
        let attempt = Attempt::new(slot, &task);
        let run = AssertUnwindSafe(|| self.run_task(source, slot, task, msgs));
        std::panic::catch_unwind(run).unwrap_or_else(|payload| {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let message =
                format!("internal error while rendering this row (please report it): {what}");
            let diagnostics = vec![Diagnostic::error(message.clone())];
            attempt.done(RowStatus::Failed, Some(message), diagnostics, None)
        })
    }

    /// Builds and renders one row; every outcome becomes a [`Done`].
    fn run_task<S: Source>(
        &self,
        source: &S,
        slot: usize,
        task: Task<S::Row>,
        msgs: &Sender<Msg>,
    ) -> Done {
        let attempt = Attempt::new(slot, &task);
        let _ = msgs.send(Msg::Started {
            slot,
            index: task.index,
            output: task.output.clone(),
        });
        let row = match task.row {
            Ok(row) => row,
            Err(d) => return attempt.failed(source, vec![d]),
        };
        // Warnings of the build were shown by the plan pass already.
        let built = match source.build(&row).output {
            Ok(built) => built,
            Err(errors) => return attempt.failed(source, errors),
        };
        let key = Key {
            edit: built.edit_hash,
            template: self.config.template_hash,
            settings: self.config.settings_hash,
        };
        let path = self.config.out_dir.join(&*task.output);
        let mut last = None::<Instant>;
        let mut progress = |p: JobProgress| {
            if last.is_none_or(|t| t.elapsed() >= PROGRESS_INTERVAL) {
                last = Some(Instant::now());
                let _ = msgs.send(Msg::Progress { slot, progress: p });
            }
        };
        let rendered = source.render(built.job, &path, &mut progress, self.cancel);
        self.conclude(source, &attempt, key, rendered)
    }

    /// Turns a render's result into a [`Done`]: files hashed for the manifest on success,
    /// "cancelled" rather than an error when the batch is stopping.
    fn conclude<S: Source>(
        &self,
        source: &S,
        attempt: &Attempt,
        key: Key,
        rendered: Warned<SourceResult<Rendered>>,
    ) -> Done {
        let Warned { output, warnings } = rendered;
        match output {
            Ok(rendered) => {
                let files = rendered
                    .files_read
                    .iter()
                    .filter_map(|p| self.hashes.get(p).map(|h| (p.display().to_string(), h)))
                    .collect();
                attempt.done(RowStatus::Rendered, None, warnings, Some((key, files)))
            }
            // "cancelled" is what happened; the runner's error adds nothing.
            Err(_) if self.cancel.is_cancelled() => {
                attempt.done(RowStatus::Cancelled, None, warnings, None)
            }
            Err(mut errors) => {
                errors.extend(warnings);
                attempt.failed(source, errors)
            }
        }
    }
}

/// The row a worker is on, to report what became of it.
struct Attempt {
    slot: usize,
    index: usize,
    output: Box<str>,
    reason: String,
    started: Instant,
}

impl Attempt {
    fn new<R>(slot: usize, task: &Task<R>) -> Attempt {
        Attempt {
            slot,
            index: task.index,
            output: task.output.clone(),
            reason: task.reason.clone(),
            started: Instant::now(),
        }
    }

    fn done(
        &self,
        status: RowStatus,
        error: Option<String>,
        diagnostics: Vec<Diagnostic>,
        record: Option<(Key, Vec<(String, Hash)>)>,
    ) -> Done {
        Done {
            slot: Some(self.slot),
            index: self.index,
            report: RowReport {
                row: self.index + 1,
                output: self.output.to_string(),
                status,
                seconds: self.started.elapsed().as_secs_f64(),
                reason: Some(self.reason.clone()),
                error,
                warnings: diagnostics
                    .iter()
                    .filter(|d| d.severity == crate::diagnostics::Severity::Warning)
                    .map(|d| d.message.clone())
                    .collect(),
            },
            diagnostics,
            record,
        }
    }

    /// Failed with these errors; the first, as text, goes into the summary.
    fn failed<S: Source>(&self, source: &S, errors: Vec<Diagnostic>) -> Done {
        let first = errors.first().map(|d| source.describe(d));
        self.done(RowStatus::Failed, first, errors, None)
    }
}

/// Saves the manifest at most once per [`SAVE_INTERVAL`], remembering the first failure.
struct Saver<'a> {
    path: &'a Path,
    last: Instant,
    /// How long the last write took.
    cost: Duration,
    dirty: bool,
    error: Option<super::manifest::ManifestError>,
}

impl Saver<'_> {
    /// Saves when the interval has passed, remembering the first failure.
    fn maybe_save(&mut self, manifest: &Manifest) {
        let interval = SAVE_INTERVAL.max(self.cost * SAVE_COST_FACTOR);
        if self.last.elapsed() < interval || self.error.is_some() {
            return;
        }
        let started = Instant::now();
        match manifest.save(self.path) {
            Ok(()) => self.dirty = false,
            Err(e) => self.error = Some(e),
        }
        self.cost = started.elapsed();
        self.last = Instant::now();
    }
}

/// Applies one worker message on the calling thread.
fn handle(
    msg: Msg,
    manifest: &mut Manifest,
    saver: &mut Saver<'_>,
    reports: &mut Vec<RowReport>,
    on_event: &mut dyn FnMut(Event<'_>),
) {
    match msg {
        Msg::Started {
            slot,
            index,
            output,
        } => on_event(Event::Started {
            slot,
            index,
            output: &output,
        }),
        Msg::Progress { slot, progress } => on_event(Event::Progress { slot, progress }),
        Msg::Done(done) => {
            let Done {
                slot,
                index,
                report,
                diagnostics,
                record,
            } = *done;
            if !diagnostics.is_empty() {
                on_event(Event::Diagnostics {
                    index,
                    diagnostics: &diagnostics,
                });
            }
            if let Some((key, files)) = record {
                manifest.insert(&report.output, index, key, files);
                saver.dirty = true;
                saver.maybe_save(manifest);
            }
            if report.output.is_empty() && report.status == RowStatus::NotStarted {
                return; // the feed's "cannot read rows again": diagnostics only
            }
            on_event(Event::Finished {
                slot,
                report: &report,
            });
            reports.push(report);
        }
    }
}

fn not_started(index: usize, output: &str, reason: Option<String>) -> RowReport {
    RowReport {
        row: index + 1,
        output: output.to_string(),
        status: RowStatus::NotStarted,
        seconds: 0.0,
        reason,
        error: None,
        warnings: Vec::new(),
    }
}

fn reason_of(item: &Item) -> Option<String> {
    match &item.state {
        State::Render(r) => Some(r.to_string()),
        _ => None,
    }
}
