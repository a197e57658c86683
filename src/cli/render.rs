//! `reel render`: every selected row to a video, through the batch engine ([`crate::batch`]).
//!
//! Owns the terminal side of a batch: indicatif bars (an overall bar with rows finished, rows
//! in flight, failed / up to date, videos per minute and ETA, plus one bar per running job fed
//! by ffmpeg's progress), plain lines when stderr is not a terminal, JSON lines on stdout with
//! `--message-format json` (counts and ETA from [`super::progress`]); diagnostics through the
//! [`Reporter`]; the closing table; Ctrl-C / SIGTERM → cancel → exit 130.

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::args::RenderArgs;
use super::progress::Progress;
use super::{Global, Reporter, Status};
use crate::batch::plan::{Plan, State};
use crate::batch::{self, Event, RowReport, RowSet, Selection, Shard};
use crate::diagnostics::{Diagnostic, SourceMap};
use crate::render::Cancel;

/// The validated knobs of `reel render` (before the template is loaded).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Which rows.
    pub selection: Selection,
    /// Jobs at once.
    pub jobs: usize,
    /// ffmpeg threads per job: `Some(1)` when several jobs share the cores, else auto.
    pub threads: Option<u32>,
}

impl Settings {
    /// Checks `--rows`, `--shard` and `-j`; `Err` is a usage message.
    pub fn from_args(args: &RenderArgs) -> Result<Settings, String> {
        let rows = match &args.input.rows {
            Some(text) => Some(RowSet::parse(text).map_err(|e| format!("invalid --rows: {e}"))?),
            None => None,
        };
        let shard = match &args.shard {
            Some(text) => Some(Shard::parse(text).map_err(|e| format!("invalid --shard: {e}"))?),
            None => None,
        };
        let jobs = match args.jobs {
            Some(0) => return Err("invalid -j: at least one job is needed".to_string()),
            Some(n) => n,
            None => default_jobs(),
        };
        Ok(Settings {
            selection: Selection { rows, shard },
            jobs,
            threads: (jobs > 1).then_some(1),
        })
    }
}

/// One job per core, each ffmpeg single-threaded. Measured on the reference scene (2 cores,
/// `bench/README.md` in the shared reference material): sequential renders with auto threads
/// gave 21 videos/min, two single-threaded jobs at once 30 videos/min (98 % of the CPU-bound
/// ceiling), because x264 and the filtergraph do not scale linearly over threads.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Segments per video: as asked, else automatic only for one job at a time on more than 2
/// cores (half the cores, at most 8: each segment's ffmpeg keeps two threads); 0 = off.
/// Measured on 2 cores (docs/performance.md) they do not pay there.
pub fn segments(asked: Option<usize>, jobs: usize, cores: usize) -> usize {
    match asked {
        Some(n) => n,
        None if jobs == 1 && cores > 2 => (cores / 2).min(8),
        None => 0,
    }
}

/// Terminal output of one batch: bars on a terminal, plain lines otherwise, JSON lines on
/// stdout with `--message-format json`.
pub struct Ui<'a> {
    /// Prints diagnostics.
    reporter: &'a Reporter,
    /// Where diagnostics point.
    sources: &'a SourceMap,
    /// `Some` on a terminal.
    bars: Option<Bars>,
    /// Warnings already shown (the same warning for every row is shown once).
    seen: HashSet<(String, Option<crate::diagnostics::Span>)>,
    /// Warnings about a row's data (a label in another file than the template's, such as a
    /// cell): the rows that gave each, in first-seen order, collapsed into one closing line.
    repeats: super::repeats::Repeats,
    /// Rows finished, in flight, ETA.
    progress: Progress,
    /// When the render pass started (for the rate and the ETA).
    started: Instant,
    /// Set by Ctrl-C / SIGTERM: the output says "interrupted" from then on.
    cancel: &'a Cancel,
    /// Dry run: no progress.
    quiet: bool,
}

struct Bars {
    multi: MultiProgress,
    overall: ProgressBar,
    jobs: Vec<ProgressBar>,
}

impl<'a> Ui<'a> {
    /// Output for a batch of `jobs` parallel jobs; bars only when stderr is a terminal and
    /// neither JSON messages nor a dry run were asked for.
    pub fn new(
        reporter: &'a Reporter,
        sources: &'a SourceMap,
        jobs: usize,
        cancel: &'a Cancel,
        quiet: bool,
    ) -> Self {
        let tty = std::io::stderr().is_terminal() && !reporter.global().json;
        Ui {
            reporter,
            sources,
            bars: (tty && !quiet).then(|| Bars::new(jobs)),
            seen: HashSet::new(),
            repeats: Default::default(),
            progress: Progress::new(jobs),
            started: Instant::now(),
            cancel,
            quiet,
        }
    }

    /// Shows one batch event.
    pub fn on_event(&mut self, event: Event<'_>) {
        self.notice_interrupt();
        match event {
            Event::Warning(w) => self.line(&format!("warning: {w}")),
            Event::Diagnostics { index, diagnostics } => {
                self.note_repeats(index, diagnostics);
                self.diagnostics(diagnostics);
            }
            Event::Planned(plan) => self.planned(plan),
            Event::Started {
                slot,
                index,
                output,
            } => {
                self.progress.started(slot);
                if let Some(b) = &self.bars {
                    if let Some(bar) = b.jobs.get(slot) {
                        bar.reset();
                        bar.set_length(1);
                        bar.set_prefix(format!("row {:>5} {output}", index + 1));
                        bar.set_message("");
                    }
                    b.overall.set_message(self.progress.message(self.now()));
                }
            }
            Event::Progress { slot, progress } => {
                if let Some(b) = &self.bars {
                    if let Some(bar) = b.jobs.get(slot) {
                        bar.set_length((progress.total_seconds * 10.0).max(1.0) as u64);
                        bar.set_position((progress.done_seconds * 10.0) as u64);
                        bar.set_message(format!(
                            "{:.1}/{:.1} s",
                            progress.done_seconds, progress.total_seconds
                        ));
                    }
                    // Keeps the ETA counting down between finished rows.
                    b.overall.set_message(self.progress.message(self.now()));
                }
            }
            Event::Finished { slot, report } => self.finished(slot, report),
        }
    }

    /// Seconds since the render pass started.
    fn now(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// Prints through the bars (so they are redrawn below the text) or plainly.
    fn line(&self, text: &str) {
        match &self.bars {
            Some(b) => b.multi.suspend(|| eprintln!("{text}")),
            None => eprintln!("{text}"),
        }
    }

    /// One JSON line on stdout (`--message-format json`).
    fn json_line(&self, value: &serde_json::Value) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{value}");
        let _ = out.flush();
    }

    /// The first event after Ctrl-C / SIGTERM says so, with the real counts.
    fn notice_interrupt(&mut self) {
        if self.progress.interrupted || !self.cancel.is_cancelled() || self.quiet {
            return;
        }
        self.progress.interrupted = true;
        let now = self.now();
        match &self.bars {
            Some(b) => b.overall.set_message(self.progress.message(now)),
            None if self.reporter.global().json => {
                self.json_line(&self.progress.json_counts("interrupted", now));
            }
            None => eprintln!("{}", self.progress.interrupted_line()),
        }
    }

    fn diagnostics(&mut self, diagnostics: &[Diagnostic]) {
        // A template warning repeats for every row: show each once.
        let fresh: Vec<Diagnostic> = diagnostics
            .iter()
            .filter(|d| d.is_error() || self.seen.insert(super::repeats::key(d)))
            .cloned()
            .collect();
        match &self.bars {
            Some(b) => b.multi.suspend(|| self.reporter.emit(&fresh, self.sources)),
            None => self.reporter.emit(&fresh, self.sources),
        }
    }

    /// Counts the data warnings of row `index` ([`Ui::repeats`]).
    fn note_repeats(&mut self, index: usize, diagnostics: &[Diagnostic]) {
        let from_data = |d: &Diagnostic| {
            let files: HashSet<_> = d.labels.iter().map(|l| l.span.file).collect();
            !d.is_error() && files.len() > 1
        };
        for d in diagnostics.iter().filter(|d| from_data(d)) {
            self.repeats.add(index, d);
        }
    }

    fn planned(&mut self, plan: &Plan) {
        let (to_render, up_to_date, failed) = (plan.to_render(), plan.up_to_date(), plan.failed());
        self.progress.planned(to_render, up_to_date, failed);
        self.started = Instant::now();
        if self.quiet {
            return;
        }
        match &self.bars {
            Some(b) => {
                b.overall.set_length(to_render as u64);
                b.overall.set_message(self.progress.message(0.0));
            }
            None if self.reporter.global().json => self.json_line(&serde_json::json!({
                "type": "plan",
                "rows": plan.items.len(),
                "to_render": to_render,
                "up_to_date": up_to_date,
                "failed": failed,
            })),
            None => eprintln!(
                "{} row{} selected: {to_render} to render, {up_to_date} up to date, {failed} failed",
                plan.items.len(),
                if plan.items.len() == 1 { "" } else { "s" },
            ),
        }
    }

    fn finished(&mut self, slot: Option<usize>, report: &RowReport) {
        let now = self.now();
        if !self.progress.finished(slot, report.status, now) || self.quiet {
            return; // not started: listed in the summary, not progress
        }
        match &self.bars {
            Some(b) => {
                b.overall.set_position(self.progress.done as u64);
                b.overall.set_message(self.progress.message(now));
                if let Some(bar) = slot.and_then(|s| b.jobs.get(s)) {
                    bar.set_prefix("idle");
                    bar.set_message("");
                    bar.set_position(0);
                }
            }
            None if self.reporter.global().json => {
                self.json_line(&self.progress.json_row(report, now));
            }
            None => eprintln!("{}", self.progress.line(report, now)),
        }
    }

    /// Removes the bars. After Ctrl-C their last state stays as a line: rows done of the
    /// total and "interrupted" (a finished bar would read N/N).
    pub fn finish(mut self) {
        self.notice_interrupt();
        // Data warnings seen in several rows: the first was shown in full, the rest in one line.
        let collapsed = std::mem::take(&mut self.repeats).collapsed();
        if let Some(b) = &self.bars {
            for bar in &b.jobs {
                bar.finish_and_clear();
            }
            b.overall.finish_and_clear();
            let _ = b.multi.clear();
            if self.progress.interrupted {
                eprintln!("{}", self.progress.bar_line(self.now()));
            }
        }
        self.reporter.emit(&collapsed, self.sources);
    }
}

impl Bars {
    fn new(jobs: usize) -> Bars {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10));
        // `pos` is rows finished; rows in flight, counts and the ETA (from the smoothed rate
        // of finished rows, see `progress`) are in the message.
        let overall_style =
            ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} done · {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
        let overall = multi.add(
            ProgressBar::new(0)
                .with_style(overall_style)
                .with_message("planning: expanding every selected row"),
        );
        overall.enable_steady_tick(Duration::from_millis(500));
        let job_style = ProgressStyle::with_template("  {prefix:30!} [{bar:20}] {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let jobs = (0..jobs)
            .map(|_| {
                multi.add(
                    ProgressBar::new(1)
                        .with_style(job_style.clone())
                        .with_prefix("idle"),
                )
            })
            .collect();
        Bars {
            multi,
            overall,
            jobs,
        }
    }
}

/// Runs a batch over any [`batch::Source`] with terminal output, then prints the closing
/// table (or the dry-run plan) and decides the exit status. `data_warnings` gives warnings
/// about the data file found while planning.
pub fn execute<S: batch::Source>(
    source: &S,
    sources: &SourceMap,
    config: &batch::Config,
    cancel: &crate::render::Cancel,
    reporter: &Reporter,
    data_warnings: &dyn Fn() -> Vec<Diagnostic>,
    shared: Option<&crate::render::shared::SharedBases>,
) -> anyhow::Result<Status> {
    let mut ui = Ui::new(reporter, sources, config.jobs, cancel, config.dry_run);
    let result = batch::run(source, config, cancel, &mut |e| {
        if let Event::Planned(plan) = &e {
            if let Some(bases) = shared {
                bases.set_rows(plan.to_render());
            }
            // Warnings about the data file as a whole (a header and no rows), found while
            // planning.
            ui.diagnostics(&data_warnings());
        }
        ui.on_event(e)
    });
    ui.finish();
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(batch::BatchError::Rows(diagnostics)) => {
            reporter.emit(&diagnostics, sources);
            return Ok(Status::Failed);
        }
        Err(batch::BatchError::Lock(e)) => {
            eprintln!("error: {e}");
            return Ok(Status::Failed);
        }
        Err(e) => return Err(e.into()),
    };
    if config.dry_run {
        print_plan(&outcome.plan, reporter.global())?;
        let summary = &outcome.summary;
        eprintln!(
            "dry run: {} to render, {} up to date, {} failing",
            outcome.plan.to_render(),
            summary.counts.skipped,
            summary.counts.failed
        );
        return Ok(super::summary::status_of(summary));
    }
    super::summary::show(
        &outcome.summary,
        outcome.summary_path.as_deref(),
        reporter.global(),
    );
    if let Some(tally) = reporter.tally() {
        eprintln!("{tally}");
    }
    Ok(super::summary::status_of(&outcome.summary))
}

/// `--dry-run`: one line per selected row on stdout (`row  action  output  why`), or one JSON
/// object per row with `--message-format json`.
fn print_plan(plan: &Plan, global: &Global) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for item in &plan.items {
        let (action, why) = match &item.state {
            State::Render(reason) => ("render", reason.to_string()),
            State::UpToDate => ("skip", "up to date".to_string()),
            State::Failed(error) => ("fail", error.clone()),
        };
        if global.json {
            let line = serde_json::json!({
                "row": item.index + 1,
                "output": &*item.output,
                "action": action,
                "reason": why,
            });
            writeln!(out, "{line}")?;
        } else {
            writeln!(
                out,
                "{:>6}  {:<6}  {:<24}  {why}",
                item.index + 1,
                action,
                item.output
            )?;
        }
    }
    out.flush()
}

/// Sets `cancel` on Ctrl-C and SIGTERM. A second signal while the batch is still stopping is
/// ignored on purpose: stopping kills the ffmpeg children and removes their partial files,
/// which a hard exit would skip.
pub fn cancel_on_signals(cancel: &crate::render::Cancel) -> anyhow::Result<()> {
    let flag = cancel.clone();
    ctrlc::set_handler(move || flag.cancel())
        .map_err(|e| anyhow::anyhow!("cannot install the Ctrl-C handler: {e}"))
}

/// `reel render`: load the template and its rows, then render them as one batch.
pub fn run(args: RenderArgs, global: &Global) -> anyhow::Result<Status> {
    let settings = match Settings::from_args(&args) {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("error: {msg}");
            return Ok(Status::Usage);
        }
    };
    let reporter = Reporter::new(global);
    let opts = crate::pipeline::LoadOptions::default();
    let Some(project) = super::check::load(&args.input, opts, &reporter) else {
        return Ok(Status::Failed);
    };
    let mut settings = settings;
    if args.jobs.is_none() && project.row_count().is_some_and(|n| n <= 1) {
        // One video: give its ffmpeg every core (single-threaded jobs only pay off when
        // several renders share the machine). Measured on the reference scene: 1.21x the
        // hand-written command's wall time with -threads 1, vs its CPU ratio of 0.91.
        settings.jobs = 1;
        settings.threads = None;
    }
    let options = crate::render::RenderOptions {
        preview: args.preview,
        threads: settings.threads,
        frame: None,
        max_duration: Some(args.input.max_duration),
    };
    let fonts = std::sync::Arc::new(args.input.fonts.fonts());
    // Rows record the fonts they drew with: installing a font re-renders what it changes.
    let settings_hash = crate::pipeline::settings_hash(&options);
    let facts = {
        let fonts = fonts.clone();
        batch::Facts::new(move |name| fonts.fact_digest(name))
    };
    let config = batch::Config {
        out_dir: args.output.clone(),
        jobs: settings.jobs,
        selection: settings.selection,
        force: args.force,
        dry_run: args.dry_run,
        template_hash: project.template_hash(),
        settings_hash,
        facts,
    };
    // Rows render on a shared base of what they all draw alike when it pays; the number of
    // rows to render is set once the batch is planned (see `execute`).
    let bases = crate::render::shared::SharedBases::new(0, args.force).with_segments(
        segments(args.segments, settings.jobs, default_jobs()),
        args.segments.is_none(),
    );
    let renderer = crate::pipeline::Renderer {
        project: &project,
        options,
        fonts: &fonts,
        cache: args.net.cache(),
        bases: Some(&bases),
    };
    let cancel = crate::render::Cancel::new();
    cancel_on_signals(&cancel)?;
    let data_warnings = || project.take_data_warnings();
    let status = execute(
        &renderer,
        &project.sources,
        &config,
        &cancel,
        &reporter,
        &data_warnings,
        Some(&bases),
    )?;
    let stats = &bases.stats;
    let made = |n: &std::sync::atomic::AtomicUsize| n.load(std::sync::atomic::Ordering::Relaxed);
    if made(&stats.rows_on_base) + made(&stats.rows_in_segments) > 0 {
        eprintln!(
            "shared: {} base(s) and {} segment(s) made; {} row(s) on a base, {} of them encoding only their own frames",
            made(&stats.made),
            made(&stats.segments_made),
            made(&stats.rows_on_base) + made(&stats.rows_in_segments),
            made(&stats.rows_in_segments),
        );
    }
    if made(&stats.split_videos) > 0 {
        eprintln!(
            "segments: {} video(s) rendered in {} segments at once",
            made(&stats.split_videos),
            made(&stats.split_parts)
        );
    }
    Ok(if cancel.is_cancelled() {
        Status::Interrupted
    } else {
        status
    })
}
