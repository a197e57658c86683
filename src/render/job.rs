//! The one-call API batch and watch use: resolve → compile → run for one Edit.
//!
//! Owns [`RenderJob`] (where and how to render one Edit), [`RenderOutcome`], the poster and
//! thumbnail side files Shotstack's `output.poster` / `output.thumbnail` ask for, and turning
//! ffmpeg failures into diagnostics that name the clip whose file ffmpeg complained about.

use std::path::{Path, PathBuf};

use crate::diagnostics::{Diagnostic, SourceMap, SourceResult, Warned};
use crate::edit::{Edit, Origins};
use crate::render::cache::Cache;
use crate::render::raster::Fonts;
use crate::render::resolve::{self, ResolveContext};
use crate::render::run::{self, Progress, RunError, SideFrame};
use crate::render::timeline::Source;
use crate::render::{Cancel, RenderOptions, RenderPlan, Timeline, compile};

/// Where and how to render one Edit.
pub struct RenderJob<'a> {
    /// Directory relative asset paths are read from (the template's directory).
    pub base_dir: PathBuf,
    /// The output file; its extension is set to the output format's (`out.mp4`, `out.gif`).
    pub out_path: PathBuf,
    /// Preview, threads, single frame.
    pub options: RenderOptions,
    /// Where the Edit's values came from, to label diagnostics; `None` for bare JSON.
    pub origins: Option<&'a Origins>,
    /// Fonts shared by every job (build once with [`Fonts::bundled`]).
    pub fonts: &'a Fonts,
    /// Probe, download and layer cache (usually [`Cache::user`]).
    pub cache: Cache,
    /// The run's source files, so errors in a subtitle file can be shown in it (see
    /// [`ResolveContext::sources`]).
    pub sources: Option<&'a SourceMap>,
}

/// What a successful render produced.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderOutcome {
    /// The output file.
    pub output: PathBuf,
    /// Poster and thumbnail images written next to it.
    pub side_files: Vec<PathBuf>,
    /// Wall-clock seconds ffmpeg took.
    pub seconds: f64,
    /// Every local file the render read (media, fonts, layers), for manifests and watch mode.
    pub files: Vec<PathBuf>,
}

/// Resolves and compiles `edit` without running ffmpeg (`reel graph`). The plan writes to
/// whatever path [`RenderPlan::to_args`] is given.
pub fn plan_edit(edit: &Edit, job: &RenderJob<'_>) -> Warned<SourceResult<(Timeline, RenderPlan)>> {
    plan_cancellable(edit, job, &Cancel::new())
}

/// [`plan_edit`], stopping downloads, probes and drawing when `cancel` is set.
pub(crate) fn plan_cancellable(
    edit: &Edit,
    job: &RenderJob<'_>,
    cancel: &Cancel,
) -> Warned<SourceResult<(Timeline, RenderPlan)>> {
    let ctx = ResolveContext {
        base_dir: job.base_dir.clone(),
        cache: job.cache.clone().with_cancel(cancel),
        fonts: job.fonts,
        origins: job.origins,
        sources: job.sources,
        max_duration: job
            .options
            .max_duration
            .unwrap_or(crate::edit::DEFAULT_MAX_DURATION),
    };
    let resolved = resolve::resolve(edit, &ctx);
    let mut warnings = resolved.warnings;
    let output = resolved.output.and_then(|timeline| {
        for ptr in crate::render::compile::off_canvas(&timeline, &job.options) {
            let d = Diagnostic::warning("this clip is placed entirely off the canvas: it never shows")
                .with_help("check its `position` and `offset` (offsets are fractions of the canvas: 1 moves a whole width)");
            warnings.push(resolve::label_at(&ctx, &ptr, d));
        }
        if let Some(at) = job.options.frame.filter(|&at| at > timeline.duration) {
            warnings.push(
                Diagnostic::warning(format!(
                    "the frame asked for, at {at} s, is after the end of the video ({} s): the last frame is shown",
                    timeline.duration
                ))
                .with_help("`reel still --at` counts seconds from the start of the timeline"),
            );
        }
        let mut plan = compile(&timeline, &job.options)?;
        fast_still(&mut plan, &job.options);
        Ok((timeline, plan))
    });
    Warned { output, warnings }
}

/// Renders `edit` to `job.out_path` (extension set to the format's): resolve → compile → run,
/// then the poster and thumbnail. When `cancel` is set the result is an error saying so (and
/// `cancel.is_cancelled()` tells callers apart from a failure); no output or `.part` remains.
pub fn render_edit(
    edit: &Edit,
    job: &RenderJob<'_>,
    on_progress: &mut dyn FnMut(Progress),
    cancel: &Cancel,
) -> Warned<SourceResult<RenderOutcome>> {
    let planned = plan_cancellable(edit, job, cancel);
    let warnings = planned.warnings;
    let output = planned.output.and_then(|(timeline, plan)| {
        let out = output_path(&job.out_path, plan.extension);
        let frames = side_frames(edit, &plan, &out);
        match run::run_plan(&plan, &out, &frames, on_progress, cancel) {
            Ok(report) => Ok(RenderOutcome {
                output: report.output,
                side_files: report.side_files,
                seconds: report.seconds,
                files: timeline.files,
            }),
            Err(e) => Err(vec![run_diagnostic(e, &timeline, job.origins)]),
        }
    });
    Warned { output, warnings }
}

/// A single frame asked for (`reel still`, `watch --frame`, the studio's scrubber) is wanted
/// now. Counted with callgrind on the reference scene at t=5 (bench/still_bench.sh), two
/// ffmpeg settings made for a whole video cost a still ~15% of its instructions, same pixels:
/// - the PNG deflated at ffmpeg's default level 9: level 1 saves ~10% (the file is ~20% bigger);
/// - filter slice threads (and per-thread scaler contexts) set up for one frame: one thread
///   saves ~5%, unless `--threads` chose otherwise.
pub(crate) fn fast_still(plan: &mut RenderPlan, options: &RenderOptions) {
    if options.frame.is_none() || !plan.format.is_still() {
        return;
    }
    if plan.format == crate::render::timeline::Format::Png {
        plan.encoder_args
            .extend(["-compression_level".to_owned(), "1".to_owned()]);
    }
    if !plan
        .global_args
        .iter()
        .any(|a| a == "-filter_complex_threads")
    {
        plan.global_args
            .extend(["-filter_complex_threads".to_owned(), "1".to_owned()]);
    }
}

/// `out` with the extension `ext`: kept if it has it, replaced if it has another media
/// extension, else appended (`Mr. Smith` → `Mr. Smith.mp4`, not `Mr.mp4`). Pure.
pub fn output_path(out: &Path, ext: &str) -> PathBuf {
    const MEDIA: &[&str] = &[
        "mp4", "webm", "mov", "mkv", "gif", "mp3", "jpg", "jpeg", "png", "bmp",
    ];
    let current = out.extension().map(|e| e.to_string_lossy().to_lowercase());
    match current.as_deref() {
        Some(e) if e == ext => out.to_owned(),
        Some(e) if MEDIA.contains(&e) => out.with_extension(ext),
        _ => {
            let mut name = out.as_os_str().to_owned();
            name.push(format!(".{ext}"));
            PathBuf::from(name)
        }
    }
}

/// `output.poster` and `output.thumbnail` of a moving-picture output, as frames of the output
/// (`NAME-poster.jpg`, `NAME-thumb.jpg`). Capture times are timeline times, shifted by
/// `output.range.start`.
pub(crate) fn side_frames(edit: &Edit, plan: &RenderPlan, out: &Path) -> Vec<SideFrame> {
    if plan.format.is_still() || plan.format == crate::render::timeline::Format::Mp3 {
        return Vec::new();
    }
    let o = &edit.output;
    let offset = o.range.and_then(|r| r.start).unwrap_or(0.0);
    let stem = out.file_stem().unwrap_or_default().to_string_lossy();
    let named = |suffix: &str| out.with_file_name(format!("{stem}-{suffix}.jpg"));
    let poster = o.poster.map(|p| SideFrame {
        path: named("poster"),
        capture: (p.capture - offset).max(0.0),
        scale: 1.0,
    });
    let thumb = o.thumbnail.map(|t| SideFrame {
        path: named("thumb"),
        capture: (t.capture - offset).max(0.0),
        scale: t.scale,
    });
    poster.into_iter().chain(thumb).collect()
}

/// A run failure as a diagnostic; when ffmpeg's stderr names a clip's file, labelled there.
pub(crate) fn run_diagnostic(
    e: RunError,
    timeline: &Timeline,
    origins: Option<&Origins>,
) -> Diagnostic {
    let d = match &e {
        RunError::NoFfmpeg => Diagnostic::error("ffmpeg was not found on PATH")
            .with_help("install it: `apt-get install ffmpeg`, `brew install ffmpeg` or `winget install ffmpeg`"),
        RunError::Failed { stderr_tail, .. } => {
            Diagnostic::error("ffmpeg failed").with_note(stderr_tail.clone())
        }
        RunError::WriteFailed { .. } => Diagnostic::error(e.to_string()).with_help(
            "make room on the disk of the output directory (or choose another with -o), then run again",
        ),
        other => Diagnostic::error(other.to_string()),
    };
    let RunError::Failed { stderr_tail, .. } = &e else {
        return d;
    };
    match culprit(stderr_tail, timeline) {
        Some(ptr) => match origins {
            Some(o) => o.label(&ptr, d, "ffmpeg could not read this clip's file"),
            None => d.with_note(format!("the failing file belongs to `{ptr}`")),
        },
        None => d,
    }
}

/// The pointer of the first clip whose file ffmpeg's stderr mentions.
fn culprit(stderr: &str, timeline: &Timeline) -> Option<String> {
    timeline.tracks.iter().flatten().find_map(|c| {
        let path = match &c.source {
            Source::Media { path, .. } => path,
            Source::Layer { png, .. } => png,
            Source::Frames { dir, .. } => dir,
            Source::None => return None,
        };
        stderr
            .contains(&*path.to_string_lossy())
            .then(|| format!("{}/asset", c.pointer))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::diagnostics::{FileId, Span};
    use crate::edit::origins::Origin;
    use crate::render::timeline::{
        Canvas, ClipKind, Color, Fps, MediaInfo, MediaParams, OutputSpec, TimedClip, Visual,
    };

    fn timeline_with(path: &str) -> Timeline {
        let clip = TimedClip {
            pointer: "/timeline/tracks/1/clips/0".into(),
            start: 0.0,
            length: 1.0,
            kind: ClipKind::Video,
            source: Source::Media {
                path: PathBuf::from(path),
                info: MediaInfo {
                    duration: 1.0,
                    width: 16,
                    height: 9,
                    fps: 25.0,
                    has_video: true,
                    has_audio: false,
                    is_still: false,
                    has_alpha: false,
                    image2: false,
                },
            },
            visual: Visual::default(),
            media: MediaParams::default(),
        };
        Timeline {
            canvas: Canvas {
                width: 16,
                height: 9,
                fps: Fps::from_f64(25.0),
            },
            duration: 1.0,
            background: Color::BLACK,
            tracks: vec![vec![], vec![clip]],
            soundtrack: None,
            output: OutputSpec::default(),
            files: vec![],
        }
    }

    #[test]
    fn ffmpeg_failures_are_labelled_at_the_clip_whose_file_failed() {
        let t = timeline_with("/m/broken.mp4");
        let span = Span::new(FileId(0), 5..9);
        let mut origins = Origins::new();
        origins.insert("/timeline/tracks/1/clips/0", Origin { span, cell: None });
        let failed = |tail: &str| RunError::Failed {
            status: std::process::Command::new("false").status().unwrap(),
            stderr_tail: tail.into(),
        };
        let tail = "[error] /m/broken.mp4: Invalid data found when processing input";
        let d = run_diagnostic(failed(tail), &t, Some(&origins));
        assert_eq!(d.span(), Some(span));
        assert!(d.notes[0].contains("Invalid data"));
        let d = run_diagnostic(failed("[error] encoder exploded"), &t, Some(&origins));
        assert_eq!(d.span(), None);
        let d = run_diagnostic(RunError::NoFfmpeg, &t, None);
        assert!(d.help.unwrap().contains("brew install ffmpeg"));
    }

    #[test]
    fn a_single_frame_is_deflated_fast_and_filtered_on_one_thread() {
        let t = timeline_with("/m/a.mp4");
        let plan = |options: &RenderOptions| {
            let mut plan = compile(&t, options).unwrap();
            fast_still(&mut plan, options);
            plan.to_args(Path::new("o.png")).join(" ")
        };
        let still = RenderOptions {
            frame: Some(0.5),
            ..RenderOptions::default()
        };
        let args = plan(&still);
        assert!(args.contains("-compression_level 1"), "{args}");
        assert!(args.contains("-filter_complex_threads 1"), "{args}");
        let threads = RenderOptions {
            threads: Some(3),
            ..still
        };
        let args = plan(&threads);
        assert!(args.contains("-filter_complex_threads 3"), "{args}");
        assert!(!args.contains("-filter_complex_threads 1"), "{args}");
        let args = plan(&RenderOptions::default());
        assert!(!args.contains("-compression_level"), "{args}");
        assert!(!args.contains("-filter_complex_threads"), "{args}");
    }

    #[test]
    fn output_extension_follows_the_format() {
        assert_eq!(
            output_path(Path::new("o/a.mp4"), "mp4"),
            PathBuf::from("o/a.mp4")
        );
        assert_eq!(
            output_path(Path::new("o/a.mp4"), "gif"),
            PathBuf::from("o/a.gif")
        );
        assert_eq!(
            output_path(Path::new("o/Mr. Smith"), "mp4"),
            PathBuf::from("o/Mr. Smith.mp4")
        );
        assert_eq!(
            output_path(Path::new("o/a"), "jpg"),
            PathBuf::from("o/a.jpg")
        );
    }
}
