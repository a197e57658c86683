//! `reel graph`, `reel import` and `reel probe`: commands that show what reel sees, without
//! rendering a batch.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;

use super::args::{GraphArgs, ImportArgs, InputArgs, ProbeArgs};
use super::check::{load, selection};
use super::{Global, Reporter, Status};
use crate::diagnostics::SourceMap;
use crate::pipeline::{BuiltRow, LoadOptions, Project};
use crate::render::cache::Cache;
use crate::render::job::{RenderJob, plan_edit};
use crate::render::{RenderOptions, probe};

/// `reel graph T [--row N]`: the exact ffmpeg command one row renders with.
pub fn graph(args: GraphArgs, global: &Global) -> anyhow::Result<Status> {
    let reporter = Reporter::new(global);
    let (project, index, built) = match load_row(&args.input, args.row, &reporter) {
        Ok(r) => r,
        Err(status) => return Ok(status),
    };
    let options = RenderOptions {
        preview: args.preview,
        threads: None,
        frame: args.at,
        max_duration: Some(args.input.max_duration),
    };
    let fonts = args.input.fonts.fonts();
    let ext = crate::pipeline::extension(&built.edit, &options);
    let out = Path::new(&crate::batch::name::file_name(
        built.name.as_deref(),
        index,
        ext,
    ))
    .to_path_buf();
    let job = RenderJob {
        base_dir: project.base_dir.clone(),
        out_path: out.clone(),
        options,
        origins: Some(&built.origins),
        fonts: &fonts,
        cache: args.net.cache().with_url_map(project.url_map.clone()),
        sources: Some(&project.sources),
    };
    let planned = plan_edit(&built.edit, &job);
    reporter.emit(&planned.warnings, &project.sources);
    match planned.output {
        Ok((timeline, plan)) => {
            // How `reel render` renders this row in a batch of every row: one line, on stderr
            // so the command on stdout stays runnable. The command is the full graph (the same
            // video either way).
            let rows = project.row_count().unwrap_or(1);
            let decision = crate::render::shared::decision(&timeline, &job, rows);
            eprintln!(
                "note: a batch of {rows} row{}: {}",
                if rows == 1 { "" } else { "s" },
                decision.describe()
            );
            if let crate::render::compile::shared::Decision::Shared(split) = &decision {
                let encode = crate::render::compile::segments::row_parts(split, rows, &job.options);
                eprintln!("note: {}", encode.describe());
            }
            if !plan.zooms.is_empty() {
                let n = plan.zooms.len();
                eprintln!(
                    "note: {n} still-picture zoom{} drawn by reel and fed to ffmpeg through \
                     FIFOs (the `reel-zoom-N.yuv` inputs), so this command does not run alone; \
                     with {}=perspective it does",
                    if n == 1 { " is" } else { "s are" },
                    crate::render::compile::ZOOM_ENV
                );
            }
            println!("{}", plan.to_shell(&out.with_extension(plan.extension)));
            Ok(Status::Ok)
        }
        Err(errors) => {
            reporter.emit(&errors, &project.sources);
            Ok(Status::Failed)
        }
    }
}

/// Checks `--row` (1-based) and the row options, loads the template and builds that row
/// (`reel graph`, `reel still`); the project, the row's index and the built row, or the exit
/// status, with what went wrong reported.
pub(crate) fn load_row(
    input: &InputArgs,
    row: usize,
    reporter: &Reporter,
) -> Result<(Project, usize, BuiltRow), Status> {
    if row == 0 {
        eprintln!("error: --row counts from 1");
        return Err(Status::Usage);
    }
    if let Err(msg) = selection(input) {
        eprintln!("error: {msg}");
        return Err(Status::Usage);
    }
    let Some(project) = load(input, LoadOptions::default(), reporter) else {
        return Err(Status::Failed);
    };
    let (index, built) = build_one(&project, row, reporter)?;
    Ok((project, index, built))
}

/// Expands and validates row `row` (1-based) of `project`, reporting what goes wrong; the
/// row's index and the built row, or the exit status.
fn build_one(
    project: &Project,
    row: usize,
    reporter: &Reporter,
) -> Result<(usize, BuiltRow), Status> {
    let rows = project.rows().map_err(|e| {
        reporter.emit(&[e], &project.sources);
        Status::Failed
    })?;
    let Some((index, found)) = rows.into_iter().find(|(i, _)| *i + 1 == row) else {
        eprintln!("error: the data has no row {row}");
        return Err(Status::Usage);
    };
    let found = found.map_err(|e| {
        reporter.emit(&[e], &project.sources);
        Status::Failed
    })?;
    let built = project.build_row(&found);
    reporter.emit(&built.warnings, &project.sources);
    match built.output {
        Ok(b) => Ok((index, b)),
        Err(errors) => {
            reporter.emit(&errors, &project.sources);
            Err(Status::Failed)
        }
    }
}

/// `reel import EDIT.json`: Shotstack JSON → `.edit`.
pub fn import(args: ImportArgs, global: &Global) -> anyhow::Result<Status> {
    let reporter = Reporter::new(global);
    let sources = Arc::new(SourceMap::new());
    let file = match sources.load(&args.json) {
        Ok(f) => f,
        Err(d) => {
            reporter.emit(&[d], &sources);
            return Ok(Status::Failed);
        }
    };
    let text = sources.get(file).text().clone();
    let value = match crate::template::json::parse_spanned(&text, file) {
        Ok((value, _)) => value,
        Err(errors) => {
            reporter.emit(&errors, &sources);
            return Ok(Status::Failed);
        }
    };
    let edit = crate::syntax::import(&value);
    match &args.output {
        Some(path) => {
            std::fs::write(path, edit).with_context(|| format!("writing {}", path.display()))?
        }
        None => print!("{edit}"),
    }
    Ok(Status::Ok)
}

/// `reel probe FILE`: what the resolver knows about a media file.
pub fn probe(args: ProbeArgs, global: &Global) -> anyhow::Result<Status> {
    match probe::probe_cached(&args.file, &Cache::user()) {
        Ok(info) => {
            if global.json {
                println!("{}", serde_json::to_string_pretty(&info)?);
            } else {
                print!("{info}");
            }
            Ok(Status::Ok)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(Status::Failed)
        }
    }
}
