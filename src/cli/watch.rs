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
use crate::batch::{self, JobProgress, RowSet, Selection, Source, lock, name};
use crate::diagnostics::{Diagnostic, SourceMap, SourceResult, Warned};
use crate::edit::{Edit, Origins};
use crate::edit::{ValidateOptions, validate};
use crate::render::cache::Cache;
use crate::render::job::RenderJob;
use crate::render::raster::Fonts;
use crate::render::{self, Cancel, RenderOptions};
use crate::syntax::{self, ast::Document};
use crate::template::data::{self, DataOptions};
use crate::template::expand::{ExpandContext, expand};
use crate::template::{Row, env};
use crate::watch::serve::{Gallery, Server};
use crate::watch::session::{self, Event, Inputs, LoadFailure, Project, Session, Settings};
use crate::watch::watcher::Changes;
use crate::watch::{Deps, Loop, Plan, rows};

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
    /// `--preview`.
    preview: bool,
    /// `--frame`.
    frame: Option<f64>,
    /// `--poll`.
    poll: bool,
    /// `--serve` port.
    serve: Option<u16>,
    /// `REEL_WATCH_TRACE=1`.
    trace: bool,
}

impl Options {
    /// Checks `--rows` and `--frame`; `Err` is a usage message.
    fn from_args(args: &WatchArgs) -> Result<Options, String> {
        let rows = match &args.input.rows {
            Some(text) => Some(RowSet::parse(text).map_err(|e| format!("invalid --rows: {e}"))?),
            None => None,
        };
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
            preview: args.preview,
            frame: args.frame,
            poll: args.poll,
            serve: args.serve.then_some(args.port),
            trace: std::env::var_os("REEL_WATCH_TRACE").is_some_and(|v| v == "1"),
        })
    }
}

/// Runs the watch loop with `load` as the way to (re)load the template, until interrupted.
fn watch_with<P, L>(options: Options, global: &Global, load: L) -> anyhow::Result<Status>
where
    P: Project + Send + 'static,
    L: FnMut() -> Result<P, LoadFailure> + Send + 'static,
{
    std::fs::create_dir_all(&options.out_dir)?;
    let _lock = lock::OutputLock::acquire(&options.out_dir, &lock::file_name(None))?;
    let gallery = options
        .serve
        .map(|_| Arc::new(Mutex::new(Gallery::default())));
    let server = match (options.serve, &gallery) {
        (Some(port), Some(g)) => Some(Server::start(port, g.clone())?),
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
        settings: rows::settings_hash(options.preview, options.frame),
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
    looper.run(
        options.poll,
        initial,
        move |_, plan: &Plan, cancel| session.build(plan, cancel),
        |changes: &Changes, plan: &Plan| {
            if trace && !plan.is_empty() {
                trace_change(changes, plan);
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn clock_is_utc_time_of_day() {
        let t = UNIX_EPOCH + Duration::from_secs(3 * 86_400 + 12 * 3600 + 61);
        assert_eq!(clock(t), "12:01:01");
    }
}

/// The real pipeline as a watch [`Project`]: rows from the data file, expanded and validated
/// Edits, renders through [`render::render_edit`].
struct Pipeline {
    sources: Arc<SourceMap>,
    doc: Document,
    data: Option<PathBuf>,
    data_options: DataOptions,
    base_dir: PathBuf,
    expand: ExpandContext,
    options: RenderOptions,
    fonts: Arc<Fonts>,
    cache: Cache,
}

/// A built row: the validated Edit and where its values came from.
struct Job {
    edit: Edit,
    origins: Origins,
}

impl Pipeline {
    /// Loads the template (and its includes) and names the data file.
    fn load(options: &Options, fonts: &Arc<Fonts>) -> Result<Pipeline, LoadFailure> {
        let sources = Arc::new(SourceMap::new());
        let doc = syntax::load(&sources, &options.template).map_err(|diagnostics| LoadFailure {
            diagnostics,
            sources: sources.clone(),
            inputs: Inputs {
                template: vec![options.template.clone()],
                data: options.data.clone(),
            },
        })?;
        let data = options
            .data
            .clone()
            .or_else(|| doc.data.as_ref().map(|d| d.resolved.clone()));
        let base_dir = options
            .template
            .parent()
            .map_or_else(|| PathBuf::from("."), PathBuf::from);
        Ok(Pipeline {
            sources,
            doc,
            data,
            data_options: DataOptions::default(),
            base_dir,
            expand: ExpandContext::new(env::environment(), false),
            options: RenderOptions {
                preview: options.preview,
                threads: None,
                frame: options.frame,
            },
            fonts: fonts.clone(),
            cache: Cache::user(),
        })
    }

    /// The output extension render_edit will use: the format's, or `png` for `--frame`.
    fn extension(&self, json: &serde_json::Value) -> &'static str {
        let ext = name::extension(json.pointer("/output/format").and_then(|f| f.as_str()));
        match self.options.frame {
            Some(_) if !matches!(ext, "png" | "jpg" | "bmp") => "png",
            _ => ext,
        }
    }
}

impl Source for Pipeline {
    type Row = Row;
    type Job = Job;

    fn rows(
        &self,
    ) -> SourceResult<Box<dyn Iterator<Item = (usize, Result<Row, Diagnostic>)> + '_>> {
        match &self.data {
            Some(path) => {
                let rows =
                    data::open(path, &self.sources, &self.data_options).map_err(|d| vec![d])?;
                Ok(Box::new(rows))
            }
            None => Ok(Box::new(std::iter::once((0, Ok(Row::default()))))),
        }
    }

    fn build(&self, row: &Row) -> Warned<SourceResult<batch::Built<Job>>> {
        let expanded = expand(&self.doc, row, &self.expand);
        let mut warnings = expanded.warnings;
        let output = expanded.output.and_then(|x| {
            let opts = ValidateOptions {
                base_dir: Some(self.base_dir.clone()),
                check_files: false,
            };
            let validated = validate(&x.edit, &x.origins, &opts);
            warnings.extend(validated.warnings);
            let edit = validated.output?;
            Ok(batch::Built {
                name: x.name.clone(),
                extension: self.extension(&x.edit),
                edit_hash: blake3::hash(x.edit.to_string().as_bytes()),
                job: Job {
                    edit,
                    origins: x.origins,
                },
            })
        });
        Warned { output, warnings }
    }

    fn render(
        &self,
        job: Job,
        output: &Path,
        _progress: &mut dyn FnMut(JobProgress),
        cancel: &Cancel,
    ) -> Warned<SourceResult<batch::Rendered>> {
        let rjob = RenderJob {
            base_dir: self.base_dir.clone(),
            out_path: output.to_path_buf(),
            options: self.options.clone(),
            origins: Some(&job.origins),
            fonts: &self.fonts,
            cache: self.cache.clone(),
        };
        let done = render::render_edit(&job.edit, &rjob, &mut |_| {}, cancel);
        Warned {
            output: done.output.map(|o| batch::Rendered {
                files_read: o.files,
            }),
            warnings: done.warnings,
        }
    }
}

impl Project for Pipeline {
    fn inputs(&self) -> Inputs {
        Inputs {
            template: self.doc.files.clone(),
            data: self.data.clone(),
        }
    }

    fn sources(&self) -> &SourceMap {
        &self.sources
    }
}

/// `reel watch`.
pub fn run(args: WatchArgs, global: &Global) -> anyhow::Result<Status> {
    let options = match Options::from_args(&args) {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("error: {msg}");
            return Ok(Status::Usage);
        }
    };
    let fonts = Arc::new(Fonts::bundled());
    let opts = options.clone();
    watch_with(options, global, move || Pipeline::load(&opts, &fonts))
}
