//! `reel still T --at SECONDS [--row N] [-o FILE.png]`: one frame of one row, full quality.
//!
//! The same resolve and compile as `reel render`, with a still output: the plan computes only
//! that frame, every input seeked to where it is needed (see `render::compile`), and drawn
//! layers come from the layer cache.

use std::path::Path;
use std::time::Instant;

use super::args::StillArgs;
use super::inspect::load_row;
use super::{Global, Reporter, Status};
use crate::diagnostics::{SourceResult, Warned};
use crate::pipeline::{BuiltRow, Project};
use crate::render::cache::Cache;
use crate::render::job::{RenderJob, RenderOutcome, output_path, render_edit};
use crate::render::raster::Fonts;
use crate::render::resolve::{ResolveContext, resolve};
use crate::render::run::run_plan;
use crate::render::{Cancel, RenderOptions, Timeline, compile};

/// One frame of a built row at `at` seconds, full quality, written to `out` (its extension
/// set to the still format's): the path `reel still` and the `watch --serve` scrubber share.
pub fn render_still(
    project: &Project,
    built: &BuiltRow,
    at: f64,
    out: &Path,
    fonts: &Fonts,
    cache: Cache,
    max_duration: Option<f64>,
) -> Warned<SourceResult<RenderOutcome>> {
    let job = RenderJob {
        base_dir: project.base_dir.clone(),
        out_path: out.to_path_buf(),
        options: RenderOptions {
            frame: Some(at),
            max_duration,
            ..RenderOptions::default()
        },
        origins: Some(&built.origins),
        fonts,
        cache,
        sources: Some(&project.sources),
    };
    render_edit(&built.edit, &job, &mut |_| {}, &Cancel::new())
}

/// The resolved timeline of a built row (media probed, text and HTML layers drawn), as a
/// render resolves it: what the studio keeps between scrub requests, since it does not
/// depend on the moment shown.
pub fn resolve_row(
    project: &Project,
    built: &BuiltRow,
    fonts: &Fonts,
    cache: Cache,
    max_duration: Option<f64>,
) -> SourceResult<Timeline> {
    let ctx = ResolveContext {
        base_dir: project.base_dir.clone(),
        cache,
        fonts,
        origins: Some(&built.origins),
        sources: Some(&project.sources),
        max_duration: max_duration.unwrap_or(crate::edit::DEFAULT_MAX_DURATION),
    };
    resolve(&built.edit, &ctx).output
}

/// [`render_still`] from an already resolved timeline: compile the frame at `at` and run
/// ffmpeg, nothing read or probed again.
pub fn still_of_timeline(
    timeline: &Timeline,
    origins: Option<&crate::edit::Origins>,
    at: f64,
    out: &Path,
) -> SourceResult<RenderOutcome> {
    let options = RenderOptions {
        frame: Some(at),
        ..RenderOptions::default()
    };
    let mut plan = compile(timeline, &options)?;
    crate::render::job::fast_still(&mut plan, &options);
    let out = output_path(out, plan.extension);
    match run_plan(&plan, &out, &[], &mut |_| {}, &Cancel::new()) {
        Ok(report) => Ok(RenderOutcome {
            output: report.output,
            side_files: report.side_files,
            seconds: report.seconds,
            files: timeline.files.clone(),
        }),
        Err(e) => Err(vec![crate::render::job::run_diagnostic(
            e, timeline, origins,
        )]),
    }
}

/// Runs `reel still`.
pub fn run(args: StillArgs, global: &Global) -> anyhow::Result<Status> {
    let started = Instant::now();
    let reporter = Reporter::new(global);
    if !(args.at.is_finite() && args.at >= 0.0) {
        eprintln!("error: --at must be a time in seconds, 0 or more");
        return Ok(Status::Usage);
    }
    let (project, _, built) = match load_row(&args.input, args.row, &reporter) {
        Ok(r) => r,
        Err(status) => return Ok(status),
    };
    let fonts = args.input.fonts.fonts();
    let rendered = render_still(
        &project,
        &built,
        args.at,
        &args.output,
        &fonts,
        args.net.cache(),
        Some(args.input.max_duration),
    );
    reporter.emit(&rendered.warnings, &project.sources);
    match rendered.output {
        Ok(outcome) => {
            eprintln!(
                "wrote {} ({:.0} ms)",
                outcome.output.display(),
                started.elapsed().as_secs_f64() * 1000.0
            );
            Ok(Status::Ok)
        }
        Err(errors) => {
            reporter.emit(&errors, &project.sources);
            Ok(Status::Failed)
        }
    }
}
