//! `reel check` and `reel build`: expand every row, validate, report; `build` also writes the
//! Edit JSON (one file per row, or JSONL on stdout).

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;

use super::args::{AssetsArgs, BuildArgs, CheckArgs, InputArgs};
use super::repeats::Repeats;
use super::{Global, Reporter, Status};
use crate::batch::{RowSet, Selection};
use crate::diagnostics::{Diagnostic, SourceMap};
use crate::pipeline::{BuiltRow, LoadOptions, Project};
use crate::render::assets::{self, Asset};
use crate::render::cache::Cache;
use crate::render::resolve::textcheck::check_text;

/// Where `reel build` writes.
enum Sink {
    /// Nothing (`reel check`).
    None,
    /// One JSON document per line on stdout.
    Jsonl(std::io::BufWriter<std::io::StdoutLock<'static>>),
    /// One `NAME.json` per row in a directory.
    Dir(std::path::PathBuf),
    /// `reel check --fetch`: each remote URL (once) is asked whether it answers.
    Fetch {
        /// The limits and URL map.
        cache: Cache,
        /// URLs asked already.
        seen: HashSet<String>,
    },
    /// `reel assets`: remote URLs gathered, printed at the end.
    Assets {
        /// Where downloads are kept, and the URL map.
        cache: Cache,
        /// `--json`.
        json: bool,
        /// Every distinct URL so far.
        list: Vec<Asset>,
    },
}

/// `reel check` (`--fetch`: and whether every remote URL answers).
pub fn check(args: CheckArgs, global: &Global) -> anyhow::Result<Status> {
    let sink = if args.fetch {
        Sink::Fetch {
            cache: args.net.cache(),
            seen: HashSet::new(),
        }
    } else {
        Sink::None
    };
    run(&args.input, LoadOptions::default(), sink, global)
}

/// `reel assets`: every remote URL of every row, once, with its state.
pub fn assets(args: AssetsArgs, global: &Global) -> anyhow::Result<Status> {
    let sink = Sink::Assets {
        cache: args.net.cache(),
        json: args.json,
        list: Vec::new(),
    };
    run(&args.input, LoadOptions::default(), sink, global)
}

/// `reel build`.
pub fn build(args: BuildArgs, global: &Global) -> anyhow::Result<Status> {
    let sink = match &args.output {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            Sink::Dir(dir.clone())
        }
        None => Sink::Jsonl(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let opts = LoadOptions {
        keep_merge: args.keep_merge,
        missing_files_warn: true,
        ..LoadOptions::default()
    };
    run(&args.input, opts, sink, global)
}

/// Loads the project, prints load errors; `None` when it could not be loaded.
pub(crate) fn load(input: &InputArgs, opts: LoadOptions, reporter: &Reporter) -> Option<Project> {
    let opts = with_input(input, opts);
    let sources = Arc::new(SourceMap::new());
    match Project::load(&input.template, &opts, sources.clone()) {
        Ok(p) => Some(p),
        Err(errors) => {
            reporter.emit(&errors, &sources);
            None
        }
    }
}

/// `opts` with the command line's input flags.
fn with_input(input: &InputArgs, mut opts: LoadOptions) -> LoadOptions {
    opts.data = input.data.clone();
    opts.sets = input.set.clone();
    opts.delimiter = input.delimiter.clone();
    opts.url_maps = input.url_map.clone();
    opts.rows_key = input.rows_key.clone();
    opts.check_files = true;
    opts.max_duration = Some(input.max_duration);
    opts.max_cell = Some(usize::try_from(input.max_cell).unwrap_or(usize::MAX));
    opts
}

/// `--rows` as a selection; `Err` is a usage message.
pub(crate) fn selection(input: &InputArgs) -> Result<Selection, String> {
    let rows = match &input.rows {
        Some(text) => Some(RowSet::parse(text).map_err(|e| format!("invalid --rows: {e}"))?),
        None => None,
    };
    Ok(Selection { rows, shard: None })
}

/// [`load`] for `reel check`: past syntax errors the parser recovered from, so that they are
/// reported with what expanding and validating the rest finds (printed here, first).
fn load_recovering(input: &InputArgs, opts: LoadOptions, reporter: &Reporter) -> Option<Project> {
    let opts = with_input(input, opts);
    let sources = Arc::new(SourceMap::new());
    let (project, errors) = Project::load_recovering(&input.template, None, &opts, sources.clone());
    reporter.emit(&errors, &sources);
    project
}

fn run(
    input: &InputArgs,
    opts: LoadOptions,
    mut sink: Sink,
    global: &Global,
) -> anyhow::Result<Status> {
    let reporter = Reporter::new(global);
    let is_check = matches!(sink, Sink::None | Sink::Fetch { .. });
    let project = if is_check {
        load_recovering(input, opts, &reporter)
    } else {
        load(input, opts, &reporter)
    };
    let Some(project) = project else {
        return Ok(finish(&reporter, 0, 0));
    };
    if let Sink::Fetch { cache, .. } | Sink::Assets { cache, .. } = &mut sink {
        *cache = cache.clone().with_url_map(project.url_map.clone());
    }
    let selection = match selection(input) {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("error: {msg}");
            return Ok(Status::Usage);
        }
    };
    let rows = match project.rows() {
        Ok(rows) => rows,
        Err(e) => {
            reporter.emit(&[e], &project.sources);
            return Ok(finish(&reporter, 0, 0));
        }
    };
    let mut seen: HashMap<Diagnostic, usize> = HashMap::new();
    // `reel check` lays every row's text out with the render's fonts.
    let fonts = matches!(sink, Sink::None | Sink::Fetch { .. }).then(|| input.fonts.fonts());
    let mut text = TextWarnings::default();
    let mut memo = crate::render::resolve::textcheck::Memo::new();
    let (mut built, mut failed) = (0usize, 0usize);
    for (index, row) in rows.filter(|(i, _)| selection.contains(*i)) {
        let result = row.map_err(|e| vec![e]).and_then(|row| {
            let w = project.build_row(&row);
            report_once(&reporter, &project, &mut seen, w.warnings);
            w.output
        });
        match result {
            Ok(b) => {
                built += 1;
                if let Some(fonts) = &fonts {
                    let found = check_text(&b.edit, Some(&b.origins), fonts, &mut memo);
                    text.add(index, found, &reporter, &project);
                }
                if let Sink::Fetch { cache, seen: asked } = &mut sink {
                    let errors = fetch_row(cache, asked, &b);
                    if !errors.is_empty() {
                        failed += 1;
                        built -= 1;
                        report_once(&reporter, &project, &mut seen, errors);
                    }
                }
                write_row(&mut sink, index, &b)?;
            }
            Err(errors) => {
                failed += 1;
                report_once(&reporter, &project, &mut seen, errors);
            }
        }
    }
    text.finish(&reporter, &project);
    report_once(&reporter, &project, &mut seen, project.take_data_warnings());
    if let Sink::Jsonl(w) = &mut sink {
        w.flush()?;
    }
    if let Sink::Assets { json, list, .. } = &sink {
        print_assets(list, *json)?;
    }
    let status = finish(&reporter, built, failed);
    if is_check && reporter.tally().is_none() && !reporter.global().json && built > 0 {
        // `check` promises: silence would look like nothing was checked.
        let rows = if built == 1 {
            "1 row"
        } else {
            &format!("{built} rows")
        };
        eprintln!("{rows} checked: no problems");
    }
    Ok(status)
}

/// Text warnings across rows ([`Repeats`]): the first row giving one shows it in full, the
/// others are collapsed into one closing warning.
#[derive(Default)]
struct TextWarnings(Repeats);

impl TextWarnings {
    fn add(&mut self, row: usize, diags: Vec<Diagnostic>, reporter: &Reporter, project: &Project) {
        let fresh: Vec<Diagnostic> = diags.into_iter().filter(|d| self.0.add(row, d)).collect();
        reporter.emit(&fresh, &project.sources);
    }

    fn finish(self, reporter: &Reporter, project: &Project) {
        reporter.emit(&self.0.collapsed(), &project.sources);
    }
}

/// Prints diagnostics not printed before: a template error repeats for every row, and is
/// shown once.
fn report_once(
    reporter: &Reporter,
    project: &Project,
    seen: &mut HashMap<Diagnostic, usize>,
    diags: Vec<Diagnostic>,
) {
    let fresh: Vec<Diagnostic> = diags
        .into_iter()
        .filter(|d| {
            let n = seen.entry(d.clone()).or_insert(0);
            *n += 1;
            *n == 1
        })
        .collect();
    reporter.emit(&fresh, &project.sources);
}

/// `--fetch`: errors at the `src` of each remote URL of `b` (not asked before) that does not
/// answer. A mapped URL is not asked: its file must exist instead.
fn fetch_row(cache: &Cache, seen: &mut HashSet<String>, b: &BuiltRow) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    for (url, ptr) in assets::remote_srcs(&b.json) {
        if !seen.insert(url.clone()) {
            continue;
        }
        let problem = match cache.url_map().lookup(&url) {
            Some(path) if path.is_file() => continue,
            Some(path) => format!(
                "mapped by url-map to {}, which does not exist",
                path.display()
            ),
            None => match assets::reachable(&url, cache.limits()) {
                Ok(()) => continue,
                Err(reason) => reason,
            },
        };
        let d = Diagnostic::error(format!("cannot reach `{url}`: {problem}"))
            .with_help("fix the URL, or map it to a local folder with `--url-map PREFIX=DIR`");
        errors.push(b.origins.label(&ptr, d, "unreachable"));
    }
    errors
}

/// Prints `reel assets`: one line per URL (state, URL, file), or a JSON array.
fn print_assets(list: &[Asset], json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, list)?;
        writeln!(out)?;
        return Ok(());
    }
    for a in list {
        let state = match (a.state, a.exists) {
            (assets::State::Mapped, true) => "mapped",
            (assets::State::Mapped, false) => "mapped (file missing)",
            (assets::State::Cached, _) => "cached",
            (assets::State::Missing, _) => "missing",
        };
        writeln!(out, "{state:<8} {}\n         {}", a.url, a.path.display())?;
    }
    Ok(())
}

fn write_row(sink: &mut Sink, index: usize, b: &BuiltRow) -> anyhow::Result<()> {
    match sink {
        Sink::None | Sink::Fetch { .. } => Ok(()),
        Sink::Assets { cache, list, .. } => {
            for (url, ptr) in assets::remote_srcs(&b.json) {
                if !list.iter().any(|a| a.url == url) {
                    list.push(assets::state(&url, &ptr, cache));
                }
            }
            Ok(())
        }
        Sink::Jsonl(w) => {
            serde_json::to_writer(&mut *w, &b.json)?;
            w.write_all(b"\n")?;
            Ok(())
        }
        Sink::Dir(dir) => {
            let path = dir.join(crate::batch::name::file_name(
                b.name.as_deref(),
                index,
                "json",
            ));
            let text = serde_json::to_string_pretty(&b.json)?;
            write_atomic(&path, text.as_bytes())
        }
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("json.part");
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn finish(reporter: &Reporter, built: usize, failed: usize) -> Status {
    let (errors, _) = reporter.counts();
    if let Some(tally) = reporter.tally() {
        match built + failed {
            // The template itself did not load: there were no rows to check.
            0 => eprintln!("{tally}"),
            1 => eprintln!("1 row checked: {tally}"),
            rows => eprintln!("{rows} rows checked: {tally}"),
        }
    }
    if errors > 0 || failed > 0 {
        Status::Failed
    } else {
        Status::Ok
    }
}
