//! `reel watch`: render the selected rows, then re-render what each saved change affects,
//! until Ctrl-C.
//!
//! Owns the terminal side of watch mode: diagnostics through the [`Reporter`], a line per row
//! rendered, a status line per build (`[12:01:03] 3 rows re-rendered in 0.8 s`, times in UTC),
//! the `--serve` URL, and `REEL_WATCH_TRACE=1` timestamps for measuring latency. The loop,
//! the watcher and the row logic are in [`crate::watch`].
//!
//! Exit status: Ctrl-C (or SIGTERM) is the only way out of the loop and is reported as 130,
//! "interrupted", as `reel render` does; build errors never end the loop. Bad arguments exit 2
//! and a watcher or server that cannot start exits 1 before anything renders.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::args::WatchArgs;
use super::{Global, Reporter, Status};
use crate::batch::{self, JobProgress, RowSet, Selection, Source, lock};
use crate::diagnostics::{Diagnostic, SourceMap, SourceResult, Warned};
use crate::pipeline::{self, BuiltRow, LoadOptions, Renderer};
use crate::render::cache::Cache;
use crate::render::raster::Fonts;
use crate::render::{Cancel, RenderOptions};
use crate::template::Row;
use crate::template::data;
use crate::watch::serve::{Gallery, Server, Studio};
use crate::watch::session::{self, Event, Inputs, LoadFailure, Project, Session, Settings};
use crate::watch::watcher::Changes;
use crate::watch::{Deps, Loop, Plan};

/// Validated `reel watch` options.
#[derive(Debug, Clone)]
struct Options {
    /// The template as given.
    template: PathBuf,
    /// `--data`.
    data: Option<PathBuf>,
    /// Output directory.
    out_dir: PathBuf,
    /// `--rows`.
    selection: Selection,
    /// `--set key=value`, for every row (checked).
    sets: Vec<String>,
    /// `--delimiter` (checked).
    delimiter: Option<String>,
    /// `--preview` and `--frame`.
    render: RenderOptions,
    /// `-j`: rows rendered at once.
    jobs: usize,
    /// `--poll`.
    poll: bool,
    /// `--serve` port.
    serve: Option<u16>,
    /// `REEL_WATCH_TRACE=1`.
    trace: bool,
    /// `--max-cell`.
    max_cell: usize,
    /// Download limits.
    limits: crate::render::fetch::FetchLimits,
    /// `--url-map`.
    url_maps: Vec<(String, PathBuf)>,
    /// Answers the font facts rows recorded: installing a font re-renders the rows it
    /// changes, as in `reel render`.
    facts: crate::batch::Facts,
}

impl Options {
    /// Checks `--rows`, `--set`, `--delimiter` and `--frame`; `Err` is a usage message.
    fn from_args(args: &WatchArgs) -> Result<Options, String> {
        let rows = match &args.input.rows {
            Some(text) => Some(RowSet::parse(text).map_err(|e| format!("invalid --rows: {e}"))?),
            None => None,
        };
        for set in &args.input.set {
            data::parse_set(set).map_err(|d| d.message)?;
        }
        if let Some(d) = &args.input.delimiter {
            data::parse_delimiter(d).map_err(|d| d.message)?;
        }
        if let Some(t) = args.frame
            && !(t.is_finite() && t >= 0.0)
        {
            return Err(format!("invalid --frame: `{t}` is not a time in seconds"));
        }
        Ok(Options {
            template: args.input.template.clone(),
            data: args.input.data.clone(),
            out_dir: args.output.clone(),
            selection: Selection { rows, shard: None },
            sets: args.input.set.clone(),
            delimiter: args.input.delimiter.clone(),
            render: RenderOptions {
                preview: args.preview,
                threads: None,
                frame: args.frame,
                max_duration: Some(args.input.max_duration),
            },
            jobs: args.jobs.unwrap_or_else(default_jobs),
            poll: args.poll,
            serve: args.serve.then_some(args.port),
            trace: std::env::var_os("REEL_WATCH_TRACE").is_some_and(|v| v == "1"),
            max_cell: usize::try_from(args.input.max_cell).unwrap_or(usize::MAX),
            limits: args.net.limits(),
            url_maps: args.input.url_map.clone(),
            facts: crate::batch::Facts::default(),
        })
    }
}

/// Rows rendered at once without `-j`: half the cores (each ffmpeg is multi-threaded), at
/// least 1.
fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}

/// Runs the watch loop with `load` as the way to (re)load the template, until interrupted.
fn watch_with<P, L>(
    options: Options,
    global: &Global,
    load: L,
    studio: Option<Arc<dyn Studio>>,
) -> anyhow::Result<Status>
where
    P: Project + Send + 'static,
    P::Job: Send,
    L: FnMut() -> Result<P, LoadFailure> + Send + 'static,
{
    std::fs::create_dir_all(&options.out_dir)
        .map_err(|e| anyhow::anyhow!("cannot create `{}`: {e}", options.out_dir.display()))?;
    let claim = lock::Claim {
        command: "reel watch",
        shard: None,
    };
    let lock = lock::OutputLock::acquire(&options.out_dir, &claim)?;
    for removed in crate::render::part::clean_stray(&options.out_dir, lock.is_exclusive()) {
        eprintln!(
            "warning: removed `{}`, a partial render left by a reel that was killed (pid {})",
            removed.path.display(),
            removed.owner.pid
        );
    }
    let gallery = options
        .serve
        .map(|_| Arc::new(Mutex::new(Gallery::default())));
    let server = match (options.serve, &gallery) {
        (Some(port), Some(g)) => Some(Server::start(port, g.clone(), studio)?),
        _ => None,
    };
    if let Some(server) = &server {
        eprintln!("serving the latest renders at {}", server.url());
    }
    let looper = Loop::new();
    let stop = looper.stop_handle();
    ctrlc::set_handler(move || stop.stop())?;
    let settings = Settings {
        out_dir: options.out_dir.clone(),
        selection: options.selection.clone(),
        settings: pipeline::settings_hash(&options.render),
        jobs: options.jobs,
        facts: options.facts.clone(),
    };
    let reporter = Reporter::new(global);
    let trace = options.trace;
    let mut session = Session::new(
        settings,
        load,
        move |e: Event<'_>| show(&reporter, e, trace),
        gallery,
    );
    let initial = Deps {
        template: [options.template.clone()].into(),
        data: options.data.clone(),
        assets: Default::default(),
        output_dir: options.out_dir.clone(),
    };
    let incoming = session.incoming();
    looper.run(
        options.poll,
        initial,
        move |_, plan: &Plan, cancel| session.build(plan, cancel),
        move |changes: &Changes, plan: &Plan| {
            if trace && !plan.is_empty() {
                trace_change(changes, plan);
            }
            if let Ok(mut incoming) = incoming.lock() {
                incoming.merge(plan.clone());
            }
        },
    )?;
    drop(server);
    Ok(Status::Interrupted)
}

/// Prints one session event.
fn show(reporter: &Reporter, event: Event<'_>, trace: bool) {
    match event {
        Event::Diagnostics(diags, sources) => reporter.emit(diags, sources),
        Event::Rendering {
            row,
            output,
            reason,
        } => {
            if trace {
                eprintln!("trace: {} render start {output}", epoch_ms());
            }
            eprintln!("  rendering {output} (row {row}, {reason})");
        }
        Event::Rendered { path, seconds, .. } => {
            eprintln!("  rendered {} in {seconds:.1} s", path.display());
        }
        Event::Warning(w) => eprintln!("warning: {w}"),
        Event::Finished(outcome) => {
            if trace {
                eprintln!("trace: {} build finished", epoch_ms());
            }
            eprintln!(
                "[{}] {}",
                clock(SystemTime::now()),
                session::status_text(outcome)
            );
        }
    }
}

/// `trace: <epoch ms> change <paths> (+N ms after the OS reported it) → plan`.
fn trace_change(changes: &Changes, plan: &Plan) {
    let paths: Vec<String> = changes
        .paths
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let waited = Instant::now().saturating_duration_since(changes.seen);
    eprintln!(
        "trace: {} change {} (+{} ms) reload={} rows={} assets={}",
        epoch_ms(),
        paths.join(" "),
        waited.as_millis(),
        plan.reload,
        plan.rows,
        plan.assets.len()
    );
}

fn epoch_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

/// `HH:MM:SS` (UTC) of a time.
fn clock(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) % 86_400;
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// The pipeline as a watch [`Project`]: a loaded [`pipeline::Project`] plus what rendering
/// needs, delegating to the [`Renderer`] that `reel render` drives too.
struct Loaded {
    /// Template and data.
    project: pipeline::Project,
    /// `--preview`, `--frame`.
    options: RenderOptions,
    /// Built once per session.
    fonts: Arc<Fonts>,
    /// Probe, download and layer cache.
    cache: Cache,
}

/// How watch loads the template and data (for the session and the studio page alike).
fn load_options(options: &Options) -> LoadOptions {
    LoadOptions {
        data: options.data.clone(),
        sets: options.sets.clone(),
        delimiter: options.delimiter.clone(),
        keep_merge: false,
        check_files: false,
        missing_files_warn: false,
        url_maps: options.url_maps.clone(),
        max_duration: options.render.max_duration,
        max_cell: Some(options.max_cell),
        rows_key: None,
    }
}

impl Loaded {
    /// Loads the template (and its includes) and names the data file.
    fn load(options: &Options, fonts: &Arc<Fonts>) -> Result<Loaded, LoadFailure> {
        let sources = Arc::new(SourceMap::new());
        let opts = load_options(options);
        match pipeline::Project::load(&options.template, &opts, sources.clone()) {
            Ok(project) => Ok(Loaded {
                project,
                options: options.render.clone(),
                fonts: fonts.clone(),
                cache: Cache::user().with_limits(options.limits),
            }),
            Err(diagnostics) => Err(LoadFailure {
                diagnostics,
                sources,
                inputs: Inputs {
                    template: vec![options.template.clone()],
                    data: options.data.clone(),
                },
            }),
        }
    }

    fn renderer(&self) -> Renderer<'_> {
        Renderer {
            project: &self.project,
            options: self.options.clone(),
            fonts: &self.fonts,
            cache: self.cache.clone(),
            bases: None,
        }
    }
}

impl Source for Loaded {
    type Row = Row;
    type Job = BuiltRow;

    fn rows(
        &self,
    ) -> SourceResult<Box<dyn Iterator<Item = (usize, Result<Row, Diagnostic>)> + '_>> {
        match self.project.rows() {
            Ok(rows) => Ok(rows),
            Err(e) => Err(vec![e]),
        }
    }

    fn build(&self, row: &Row) -> Warned<SourceResult<batch::Built<BuiltRow>>> {
        self.renderer().build(row)
    }

    fn render(
        &self,
        job: BuiltRow,
        output: &Path,
        progress: &mut dyn FnMut(JobProgress),
        cancel: &Cancel,
    ) -> Warned<SourceResult<batch::Rendered>> {
        let done = self.renderer().render(job, output, progress, cancel);
        // Layers and downloads live in reel's cache: derived from the Edit, not inputs to watch.
        let root = self.cache.root();
        done.map(|r| {
            r.map(|mut rendered| {
                rendered.files_read.retain(|f| !f.starts_with(root));
                rendered
            })
        })
    }
}

impl Project for Loaded {
    fn inputs(&self) -> Inputs {
        Inputs {
            template: self.project.files.clone(),
            data: self.project.data.clone(),
        }
    }

    fn sources(&self) -> &SourceMap {
        &self.project.sources
    }

    fn template_hash(&self) -> blake3::Hash {
        self.project.template_hash()
    }

    fn row_values(&self, row: &Row) -> Vec<(String, String)> {
        row.fields
            .iter()
            .map(|(k, cell)| {
                let v = match &cell.value {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), v)
            })
            .collect()
    }
}

/// `reel watch`.
pub fn run(args: WatchArgs, global: &Global) -> anyhow::Result<Status> {
    let mut options = match Options::from_args(&args) {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("error: {msg}");
            return Ok(Status::Usage);
        }
    };
    let fonts = Arc::new(args.input.fonts.fonts());
    options.facts = {
        let fonts = fonts.clone();
        crate::batch::Facts::new(move |name| fonts.fact_digest(name))
    };
    let studio = options
        .serve
        .map(|_| studio(&options, &fonts))
        .transpose()?;
    let opts = options.clone();
    watch_with(options, global, move || Loaded::load(&opts, &fonts), studio)
}

/// The studio page's stills and timelines, loading the template as the session does.
fn studio(options: &Options, fonts: &Arc<Fonts>) -> anyhow::Result<Arc<dyn Studio>> {
    let opts = options.clone();
    let load: super::studio::Load = Box::new(move || {
        let sources = Arc::new(SourceMap::new());
        pipeline::Project::load(&opts.template, &load_options(&opts), sources)
    });
    Ok(Arc::new(super::studio::Stills::new(
        load,
        fonts.clone(),
        Cache::user().with_limits(options.limits),
        options.render.max_duration,
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::time::Duration;

    fn options(args: &[&str]) -> Result<Options, String> {
        let cli = super::super::Cli::try_parse_from(["reel", "watch", "t.edit"].iter().chain(args))
            .map_err(|e| e.to_string())?;
        match cli.command {
            super::super::args::Command::Watch(a) => Options::from_args(&a),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn usage_errors_are_caught_before_anything_runs() {
        for bad in [
            &["--rows", "0"][..],
            &["--rows", "3-1"],
            &["--frame", "-1"],
            &["--frame", "NaN"],
            &["--set", "novalue"],
            &["--delimiter", "ab"],
        ] {
            assert!(options(bad).is_err(), "{bad:?}");
        }
        let ok = options(&["--rows", "2-3", "--set", "brand=Acme", "--delimiter", ";"]).unwrap();
        assert!(ok.selection.contains(1) && !ok.selection.contains(0));
        assert_eq!(ok.sets, ["brand=Acme"]);
        assert_eq!(ok.delimiter.as_deref(), Some(";"));
        assert_eq!(ok.serve, None);
    }

    #[test]
    fn clock_is_utc_time_of_day() {
        let t = UNIX_EPOCH + Duration::from_secs(3 * 86_400 + 12 * 3600 + 61);
        assert_eq!(clock(t), "12:01:01");
    }
}
