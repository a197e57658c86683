//! One watch build: load the template again when it changed, expand every selected row (cheap:
//! milliseconds), render the stale rows one at a time, record each good render in the batch
//! manifest, and report through [`Event`]s. The library never prints: the CLI turns events
//! into diagnostics, row lines and the status line.
//!
//! Generic over the pipeline through batch's [`Source`] trait (plus [`Project`] for the files
//! to watch), so the row logic is tested with fakes and the CLI plugs in the real pipeline.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::batch::manifest;
use crate::batch::{FileHashes, Key, Manifest, Reason, Rendered, Selection, Source, name};
use crate::diagnostics::{Diagnostic, SourceMap, SourceResult, Warned};
use crate::render::Cancel;

use super::classify::Plan;
use super::deps::Deps;
use super::rows;
use super::runner::Built;
use super::serve::{Gallery, Shown};
use super::studio::{self, RowState, RowView};

/// A loaded template with its rows: a batch [`Source`] that also names the files it read.
pub trait Project: Source {
    /// The template and include files, and the data file.
    fn inputs(&self) -> Inputs;
    /// Where diagnostics point.
    fn sources(&self) -> &SourceMap;
    /// blake3 of the template files (a manifest key part, as batch computes it).
    fn template_hash(&self) -> blake3::Hash;
    /// A row's data values for the studio page, in column order (none by default).
    fn row_values(&self, _row: &Self::Row) -> Vec<(String, String)> {
        Vec::new()
    }
}

/// The files a template load read.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// The template and every include.
    pub template: Vec<PathBuf>,
    /// The data file, if any.
    pub data: Option<PathBuf>,
}

/// A template that did not load.
#[derive(Debug)]
pub struct LoadFailure {
    /// What is wrong.
    pub diagnostics: Vec<Diagnostic>,
    /// Where they point.
    pub sources: Arc<SourceMap>,
    /// What was read before it failed (at least the template).
    pub inputs: Inputs,
}

/// Settings fixed for the session.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The output directory (exists).
    pub out_dir: PathBuf,
    /// `--rows`.
    pub selection: Selection,
    /// [`crate::pipeline::settings_hash`] of `--preview` / `--frame`.
    pub settings: blake3::Hash,
    /// `-j`: rows rendered at once (at least 1).
    pub jobs: usize,
    /// Answers the font facts rows recorded, as in `reel render`.
    pub facts: crate::batch::Facts,
}

/// Something to show the user.
#[derive(Debug)]
pub enum Event<'a> {
    /// Errors and warnings, with the map they point into.
    Diagnostics(&'a [Diagnostic], &'a SourceMap),
    /// A row starts rendering.
    Rendering {
        /// 1-based row number.
        row: usize,
        /// Output file name.
        output: &'a str,
        /// Why it renders.
        reason: &'a Reason,
    },
    /// A row rendered.
    Rendered {
        /// 1-based row number.
        row: usize,
        /// The output file.
        path: &'a Path,
        /// Wall-clock seconds.
        seconds: f64,
    },
    /// A problem of the session itself (the manifest could not be saved).
    Warning(String),
    /// The build is over.
    Finished(&'a Outcome),
}

/// What one build did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// The session's first build (status says "rendered", later ones "re-rendered").
    pub first: bool,
    /// Rows rendered.
    pub rendered: usize,
    /// Rows that failed (their last good output stays).
    pub failed: usize,
    /// Selected rows that were up to date.
    pub up_to_date: usize,
    /// Cancelled by a newer change or Ctrl-C.
    pub cancelled: bool,
    /// Where the first error is (`promo.edit:12`), or its message when it has no place.
    pub first_error: Option<String>,
    /// Wall-clock seconds of the whole build.
    pub seconds: f64,
}

/// A row that must render.
struct Todo<J> {
    /// Which row and why.
    row: RowTask,
    /// The built row.
    job: J,
}

/// A row that must render, without its built row (which the render consumes).
struct RowTask {
    /// 0-based row index.
    index: usize,
    /// Output file name.
    output: String,
    /// Its manifest key.
    key: Key,
    /// Why it renders.
    reason: Reason,
}

/// How often a build waiting for its renders looks at its cancel flag.
const CANCEL_POLL: std::time::Duration = std::time::Duration::from_millis(20);

/// What a render worker tells the build.
enum Report {
    /// Row `RowTask` starts.
    Started(usize),
    /// It ended: its render's result and wall-clock seconds.
    Ended(usize, Warned<SourceResult<Rendered>>, f64),
}

/// The state kept between builds.
pub struct Session<P, L, E> {
    /// Loads the template.
    load: L,
    /// Shows events.
    on_event: E,
    /// Fixed settings.
    settings: Settings,
    /// The loaded template and its hash; `None` after a failed load.
    project: Option<(P, blake3::Hash)>,
    /// The template, include and data files last known.
    inputs: Inputs,
    /// What each output was rendered from (shared with `reel render`).
    manifest: Manifest,
    /// Content hashes of files read, cleared when an asset is saved.
    hashes: FileHashes,
    /// The `--serve` page's state.
    gallery: Option<Arc<Mutex<Gallery>>>,
    /// The selected rows as the page last showed them (data values, state, last reason).
    rows: Vec<RowView>,
    /// Builds so far.
    builds: u64,
    /// The assets the last build watched (kept when a build fails).
    watched_assets: BTreeSet<PathBuf>,
    /// What the changes seen since this build started ask for (filled by the loop's change
    /// callback through [`Session::incoming`]): when the build is cancelled, renders in
    /// flight that these changes do not affect finish instead of being killed.
    incoming: Arc<Mutex<Plan>>,
}

impl<P, L, E> Session<P, L, E>
where
    P: Project,
    P::Job: Send,
    L: FnMut() -> Result<P, LoadFailure>,
    E: FnMut(Event<'_>),
{
    /// A session that loads the template with `load`, reports through `on_event` and, with
    /// `--serve`, publishes to `gallery`. Reads the manifest already in the output directory.
    pub fn new(
        settings: Settings,
        load: L,
        mut on_event: E,
        gallery: Option<Arc<Mutex<Gallery>>>,
    ) -> Self {
        let (manifest, warnings) = Manifest::load_dir(&settings.out_dir);
        for w in warnings {
            on_event(Event::Warning(w));
        }
        let facts = settings.facts.clone();
        Session {
            load,
            on_event,
            settings,
            project: None,
            inputs: Inputs::default(),
            manifest,
            hashes: FileHashes::with_facts(facts),
            gallery,
            rows: Vec::new(),
            builds: 0,
            watched_assets: BTreeSet::new(),
            incoming: Arc::default(),
        }
    }

    /// Where the loop's change callback merges the [`Plan`] of each change, so a cancelled
    /// build can tell the rows it affects (cancelled) from the others (left to finish).
    pub fn incoming(&self) -> Arc<Mutex<Plan>> {
        self.incoming.clone()
    }

    /// Runs one build for `plan`, stopping early when `cancel` is set.
    pub fn build(&mut self, plan: &Plan, cancel: &Cancel) -> Built {
        let started = Instant::now();
        self.builds += 1;
        // Changes before this start are in `plan` already.
        if let Ok(mut incoming) = self.incoming.lock() {
            *incoming = Plan::default();
        }
        let mut out = Outcome {
            first: self.builds == 1,
            ..Outcome::default()
        };
        if !plan.assets.is_empty() {
            self.hashes.clear();
        }
        if let Some(g) = &self.gallery
            && let Ok(mut g) = g.lock()
        {
            g.building = true;
            g.revision += 1;
        }
        let mut log = Log::default();
        let mut shown = Vec::new();
        if (plan.reload || self.project.is_none()) && !self.reload(&mut out, &mut log) {
            return self.finish(out, started, shown, log);
        }
        if let Some((project, template_hash)) = &self.project {
            let old = std::mem::take(&mut self.rows);
            let mut views = Vec::new();
            let mut ctx = Ctx {
                old: &old,
                views: &mut views,
                gallery: self.gallery.as_deref(),
                incoming: &self.incoming,
                template: *template_hash,
                settings: &self.settings,
                manifest: &mut self.manifest,
                hashes: &self.hashes,
                on_event: &mut self.on_event,
                sources: project.sources(),
                out: &mut out,
                log: &mut log,
            };
            let todo = ctx.expand(project, *template_hash, &plan.assets, &mut shown);
            ctx.render_all(project, todo, cancel, &mut shown);
            self.rows = views;
        }
        self.finish(out, started, shown, log)
    }

    /// Loads the template again; false (with the failure reported) when it does not load.
    fn reload(&mut self, out: &mut Outcome, log: &mut Log) -> bool {
        match (self.load)() {
            Ok(project) => {
                self.inputs = project.inputs();
                let hash = project.template_hash();
                self.project = Some((project, hash));
                true
            }
            Err(failure) => {
                self.project = None;
                let LoadFailure {
                    diagnostics,
                    sources,
                    inputs,
                } = failure;
                for file in inputs.template {
                    if !self.inputs.template.contains(&file) {
                        self.inputs.template.push(file);
                    }
                }
                self.inputs.data = inputs.data.or(self.inputs.data.take());
                let error = first_error(&diagnostics);
                for row in &mut self.rows {
                    row.state = RowState::Failed;
                    row.error.clone_from(&error);
                }
                report(&mut self.on_event, &diagnostics, &sources, out, log);
                false
            }
        }
    }

    /// Saves the manifest, publishes to the page, reports, and tells the loop what was read.
    fn finish(&mut self, mut out: Outcome, started: Instant, shown: Vec<Shown>, log: Log) -> Built {
        if out.rendered > 0 {
            let path = self.settings.out_dir.join(manifest::own_file_name(None));
            if let Err(e) = self.manifest.save(&path) {
                (self.on_event)(Event::Warning(format!("{e}")));
            }
        }
        out.seconds = started.elapsed().as_secs_f64();
        let mut deps = self.deps(&shown);
        if out.failed > 0 {
            // A failed build may not have reached every row: keep watching what the last one
            // read, so fixing an asset of a row that did not build is still seen.
            deps.assets.extend(self.watched_assets.iter().cloned());
        }
        self.watched_assets.clone_from(&deps.assets);
        if let Some(g) = &self.gallery
            && let Ok(mut g) = g.lock()
        {
            if !out.cancelled {
                g.publish(shown, out.failed > 0, log.text, status_text(&out));
                g.diagnostics_html = log.html;
            }
            g.rows.clone_from(&self.rows);
            g.building = false;
            g.revision += 1;
        }
        (self.on_event)(Event::Finished(&out));
        Built {
            deps,
            complete: !out.cancelled,
        }
    }

    /// The template, data and every file the selected rows' renders read.
    fn deps(&self, shown: &[Shown]) -> Deps {
        let mut assets = BTreeSet::new();
        for s in shown {
            if let Some(name) = s.path.file_name().and_then(|n| n.to_str()) {
                assets.extend(rows::files_read(&self.manifest, name));
            }
        }
        Deps {
            template: self.inputs.template.iter().cloned().collect(),
            data: self.inputs.data.clone(),
            assets,
            output_dir: self.settings.out_dir.clone(),
        }
    }
}

/// What expanding and rendering rows needs, borrowed from the session.
struct Ctx<'a, E> {
    /// The rows as the last build left them.
    old: &'a [RowView],
    /// The rows of this build, as the page shows them.
    views: &'a mut Vec<RowView>,
    /// Where the page reads them.
    gallery: Option<&'a Mutex<Gallery>>,
    /// Changes seen while this build runs.
    incoming: &'a Mutex<Plan>,
    /// The template hash the rows were keyed with.
    template: blake3::Hash,
    /// Fixed settings.
    settings: &'a Settings,
    /// Decides staleness; records good renders.
    manifest: &'a mut Manifest,
    /// Content hashes of files read.
    hashes: &'a FileHashes,
    /// Shows events.
    on_event: &'a mut E,
    /// Where the project's diagnostics point.
    sources: &'a SourceMap,
    /// Counts of this build.
    out: &'a mut Outcome,
    /// Diagnostics of this build.
    log: &'a mut Log,
}

impl<E: FnMut(Event<'_>)> Ctx<'_, E> {
    /// Expands every selected row and returns the stale ones; `shown` gets every selected row
    /// that has an output name.
    fn expand<P: Project>(
        &mut self,
        project: &P,
        template: blake3::Hash,
        saved: &BTreeSet<PathBuf>,
        shown: &mut Vec<Shown>,
    ) -> Vec<Todo<P::Job>> {
        let rows = match project.rows() {
            Ok(rows) => rows,
            Err(diags) => {
                self.report(&diags);
                return Vec::new();
            }
        };
        let mut todo = Vec::new();
        let mut names = HashSet::new();
        for (index, row) in rows {
            if self.settings.selection.exhausted(index) {
                break;
            }
            if !self.settings.selection.contains(index) {
                continue;
            }
            let values = row
                .as_ref()
                .map(|r| project.row_values(r))
                .unwrap_or_default();
            let built = row
                .map_err(|d| vec![d])
                .and_then(|row| self.built(project, &row));
            let built = match built {
                Ok(built) => built,
                Err(d) => {
                    self.report(&d);
                    let mut view = RowView::new(index + 1, values, RowState::Failed);
                    view.error = first_error(&d);
                    self.views.push(view);
                    continue;
                }
            };
            let view = RowView::new(index + 1, values, RowState::Stale);
            todo.extend(self.stale(index, built, view, template, saved, &mut names, shown));
        }
        self.show_rows();
        todo
    }

    /// Hands this build's rows to the page (the event stream sends them).
    fn show_rows(&mut self) {
        if let Some(g) = self.gallery
            && let Ok(mut g) = g.lock()
        {
            g.rows.clone_from(self.views);
            g.revision += 1;
        }
    }

    /// Sets the state (and error) of row `row` (1-based) and shows it.
    fn set_state(&mut self, row: usize, state: RowState, error: Option<String>) {
        if let Some(v) = self.views.iter_mut().find(|v| v.row == row) {
            v.state = state;
            v.error = error;
        }
        self.show_rows();
    }

    /// Names and keys a built row, adds it to `shown`, and returns it when it must render.
    #[allow(clippy::too_many_arguments)]
    fn stale<J>(
        &mut self,
        index: usize,
        built: crate::batch::Built<J>,
        mut view: RowView,
        template: blake3::Hash,
        saved: &BTreeSet<PathBuf>,
        names: &mut HashSet<String>,
        shown: &mut Vec<Shown>,
    ) -> Option<Todo<J>> {
        let output = name::file_name(built.name.as_deref(), index, built.extension);
        if !names.insert(output.clone()) {
            let row = index + 1;
            let msg = format!("row {row} writes `{output}` too, as an earlier row does");
            self.report(&[Diagnostic::error(msg.clone())]);
            view.state = RowState::Failed;
            view.error = Some(msg);
            self.views.push(view);
            return None;
        }
        view.output.clone_from(&output);
        let old = self.old.iter().find(|v| v.row == index + 1);
        let key = Key {
            edit: built.edit_hash,
            template,
            settings: self.settings.settings,
        };
        let path = self.settings.out_dir.join(&output);
        let exists = path.exists();
        shown.push(Shown {
            row: index + 1,
            path,
            rendered: false,
        });
        let reason = rows::decide(self.manifest, &output, &key, exists, self.hashes, saved);
        view.reason = match &reason {
            Reason::UpToDate => old.and_then(|o| o.reason.clone()),
            r => Some(studio::why(r, old, &view.values)),
        };
        if reason == Reason::UpToDate {
            view.state = RowState::UpToDate;
        }
        self.views.push(view);
        match reason {
            Reason::UpToDate => {
                self.out.up_to_date += 1;
                None
            }
            reason => Some(Todo {
                row: RowTask {
                    index,
                    output,
                    key,
                    reason,
                },
                job: built.job,
            }),
        }
    }

    /// Builds one row, showing its warnings.
    fn built<P: Source>(
        &mut self,
        project: &P,
        row: &P::Row,
    ) -> Result<crate::batch::Built<P::Job>, Vec<Diagnostic>> {
        let warned = project.build(row);
        self.warn(&warned.warnings);
        warned.output
    }

    /// Renders the stale rows, `settings.jobs` at a time (in row order as workers free up),
    /// until done or cancelled. Workers only render; events, the manifest and the counts are
    /// handled here, on the build's thread, as their reports arrive.
    fn render_all<P>(
        &mut self,
        project: &P,
        todo: Vec<Todo<P::Job>>,
        cancel: &Cancel,
        shown: &mut [Shown],
    ) where
        P: Source,
        P::Job: Send,
    {
        let workers = self.settings.jobs.clamp(1, todo.len().max(1));
        let (tasks, jobs): (Vec<RowTask>, Vec<P::Job>) =
            todo.into_iter().map(|t| (t.row, t.job)).unzip();
        let queue = Mutex::new(jobs.into_iter().enumerate());
        let out_dir = &self.settings.out_dir;
        let paths: Vec<PathBuf> = tasks.iter().map(|t| out_dir.join(&t.output)).collect();
        // Each row renders under its own flag: a cancelled build kills only the renders its
        // new changes affect (see `settle`).
        let row_cancel: Vec<Cancel> = tasks.iter().map(|_| Cancel::new()).collect();
        let (tx, rx) = std::sync::mpsc::channel::<Report>();
        std::thread::scope(|scope| {
            for _ in 0..workers {
                let (tx, queue, paths, row_cancel) = (tx.clone(), &queue, &paths, &row_cancel);
                scope.spawn(move || {
                    loop {
                        // A cancelled build starts no more rows; the next build redoes them.
                        if cancel.is_cancelled() {
                            break;
                        }
                        let next = queue.lock().ok().and_then(|mut q| q.next());
                        let Some((i, job)) = next else { break };
                        let _ = tx.send(Report::Started(i));
                        let started = Instant::now();
                        let warned = project.render(job, &paths[i], &mut |_| {}, &row_cancel[i]);
                        let seconds = started.elapsed().as_secs_f64();
                        let _ = tx.send(Report::Ended(i, warned, seconds));
                    }
                });
            }
            drop(tx);
            let mut running = BTreeSet::new();
            let mut settled = false;
            loop {
                let report = match rx.recv_timeout(CANCEL_POLL) {
                    Ok(r) => r,
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                        if cancel.is_cancelled() {
                            self.settle(project, &tasks, &running, &row_cancel, &mut settled);
                        }
                        continue;
                    }
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                };
                match report {
                    Report::Started(i) => {
                        running.insert(i);
                        self.set_state(tasks[i].index + 1, RowState::Rendering, None);
                        (self.on_event)(Event::Rendering {
                            row: tasks[i].index + 1,
                            output: &tasks[i].output,
                            reason: &tasks[i].reason,
                        });
                        if cancel.is_cancelled() {
                            settled = false;
                            self.settle(project, &tasks, &running, &row_cancel, &mut settled);
                        }
                    }
                    Report::Ended(i, warned, seconds) => {
                        running.remove(&i);
                        if self.rendered(&tasks[i], &paths[i], warned, seconds, &row_cancel[i])
                            && let Some(s) = shown.iter_mut().find(|s| s.path == paths[i])
                        {
                            s.rendered = true;
                        }
                    }
                }
            }
        });
        if cancel.is_cancelled() {
            self.out.cancelled = true;
        }
    }

    /// The build was cancelled: cancels the renders in flight that the changes seen since it
    /// started affect (all of them for Ctrl-C, which brings no change), and lets the others
    /// finish, so their outputs count. Looks again whenever another change arrives.
    fn settle<P: Source>(
        &mut self,
        project: &P,
        tasks: &[RowTask],
        running: &BTreeSet<usize>,
        row_cancel: &[Cancel],
        settled: &mut bool,
    ) {
        let plan = self
            .incoming
            .lock()
            .map(|mut p| std::mem::take(&mut *p))
            .unwrap_or_else(|_| Plan::full());
        if *settled && plan.is_empty() {
            return;
        }
        *settled = true;
        let live: Vec<usize> = running
            .iter()
            .copied()
            .filter(|&i| !row_cancel[i].is_cancelled())
            .collect();
        if live.is_empty() {
            return;
        }
        let affected = |i: usize, this: &Self| -> bool {
            let t = &tasks[i];
            if plan.is_empty() || plan.reload {
                return true;
            }
            if !plan.assets.is_empty() {
                let mut files = rows::files_read(this.manifest, &t.output).peekable();
                if files.peek().is_none() {
                    // Never rendered: what it reads is not known yet.
                    return true;
                }
                if files.any(|f| plan.assets.contains(&f)) {
                    return true;
                }
            }
            false
        };
        let mut keep: Vec<usize> = live.into_iter().filter(|&i| !affected(i, self)).collect();
        if plan.rows && !keep.is_empty() {
            // Rows whose Edit is still the one being rendered carry on.
            let same = self.unchanged_rows(project, tasks, &keep);
            for &i in &keep {
                if !same.contains(&i) {
                    row_cancel[i].cancel();
                }
            }
            keep.retain(|i| same.contains(i));
        }
        for &i in running {
            if !keep.contains(&i) {
                row_cancel[i].cancel();
            }
        }
    }

    /// Which of `which` (indices into `tasks`) expand now to the Edit they are rendering.
    fn unchanged_rows<P: Source>(
        &self,
        project: &P,
        tasks: &[RowTask],
        which: &[usize],
    ) -> BTreeSet<usize> {
        let mut same = BTreeSet::new();
        let Ok(rows) = project.rows() else {
            return same;
        };
        let last = which.iter().map(|&i| tasks[i].index).max().unwrap_or(0);
        for (index, row) in rows {
            if index > last {
                break;
            }
            let Some(&i) = which.iter().find(|&&i| tasks[i].index == index) else {
                continue;
            };
            let Ok(row) = row else { continue };
            let built = project.build(&row).output;
            if built.is_ok_and(|b| {
                b.edit_hash == tasks[i].key.edit && tasks[i].key.template == self.template
            }) {
                same.insert(i);
            }
        }
        same
    }

    /// Records one row's render; true when it rendered.
    fn rendered(
        &mut self,
        t: &RowTask,
        path: &Path,
        warned: Warned<SourceResult<Rendered>>,
        seconds: f64,
        cancel: &Cancel,
    ) -> bool {
        self.warn(&warned.warnings);
        match warned.output {
            Ok(rendered) => {
                let files = rendered
                    .files_read
                    .iter()
                    .filter_map(|f| Some((f.display().to_string(), self.hashes.get(f)?)))
                    .collect();
                self.manifest.insert(&t.output, t.index, t.key, files);
                self.out.rendered += 1;
                self.set_state(t.index + 1, RowState::Rendered, None);
                (self.on_event)(Event::Rendered {
                    row: t.index + 1,
                    path,
                    seconds,
                });
                true
            }
            Err(_) if cancel.is_cancelled() => {
                self.out.cancelled = true;
                self.set_state(t.index + 1, RowState::Stale, None);
                false
            }
            Err(diags) => {
                self.report(&diags);
                self.set_state(t.index + 1, RowState::Failed, first_error(&diags));
                false
            }
        }
    }

    fn report(&mut self, diags: &[Diagnostic]) {
        report(self.on_event, diags, self.sources, self.out, self.log);
    }

    fn warn(&mut self, diags: &[Diagnostic]) {
        self.log.show(self.on_event, diags, self.sources);
    }
}

mod log;
#[cfg(test)]
mod tests;

use log::{Log, first_error, report};
pub use log::{locate, status_text};
