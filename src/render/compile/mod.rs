//! `compile`: a resolved [`Timeline`] becomes a [`RenderPlan`] (inputs, one filtergraph, maps,
//! encoder arguments) for ONE ffmpeg process. Pure: no IO, no clocks.
//!
//! The plan follows DESIGN §5 and `bench/ref_ffmpeg.sh`: inputs trimmed at demux time, stills
//! decoded and scaled once, opaque full-frame clips concatenated into the base stream (no
//! blending), everything else overlaid at its own size and only for its own frames, YUV 4:2:0
//! throughout (RGB/alpha work only inside animated windows, and a chroma key's matte). The
//! parts: [`layout`] (fit, scale, anchors), [`anim`] (tweens, easings → expressions),
//! [`motion`] (transitions and effects), [`look`] (colour filters, chroma key matte),
//! [`visual`] (per-clip chains and
//! overlays), [`base`] (the concatenated background), [`audio`], [`output`] (encoders).
//! It does not run ffmpeg (`run` does) or read files (`resolve` did).

mod anim;
mod audio;
mod base;
mod layout;
mod look;
mod luma;
mod motion;
mod output;
pub mod segments;
pub mod shared;
mod visual;

use std::path::{Path, PathBuf};

use crate::diagnostics::{Diagnostic, SourceResult};
use crate::render::graph::{FilterGraph, Pad};
use crate::render::probe;
use crate::render::timeline::{self, Canvas, Format, Fps, MediaInfo, Timeline};

/// Pointers of the clips placed entirely off the canvas for all of their time (they draw
/// nothing): resolve warns about them at the clip. Pure.
pub fn off_canvas(timeline: &Timeline, options: &RenderOptions) -> Vec<String> {
    visual::off_canvas(&Ctx::new(timeline, options))
}

/// How to render (not what): set by the command line, not by the template.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RenderOptions {
    /// Fast preview: canvas fitted into 512×288 at 15 fps, fastest encoder preset.
    pub preview: bool,
    /// ffmpeg threads: `None` = ffmpeg's automatic choice; `Some(1)` for batch jobs
    /// (`-threads 1 -filter_complex_threads 1`).
    pub threads: Option<u32>,
    /// Render a single still frame at this timeline time (seconds) instead of the output format.
    pub frame: Option<f64>,
    /// `--max-duration`: a clip ending later (seconds) is an error at the clip; `None`:
    /// [`crate::edit::DEFAULT_MAX_DURATION`].
    pub max_duration: Option<f64>,
}

/// One `-i` input of the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// Options placed before `-i` (demux-time `-ss`/`-t`).
    pub args_before_i: Vec<String>,
    /// The file (given to ffmpeg as a `file:` URL, so its name is never syntax).
    pub path: PathBuf,
}

/// Everything ffmpeg needs for one output.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderPlan {
    /// Input files in `-i` order (`[N:v:0]` in the graph refers to `inputs[N]`).
    pub inputs: Vec<Input>,
    /// The `-filter_complex` graph.
    pub filter: FilterGraph,
    /// Output pads mapped into the file (video first, then audio).
    pub maps: Vec<Pad>,
    /// Global options before the inputs (`-threads`, `-filter_complex_threads`).
    pub global_args: Vec<String>,
    /// Encoder and muxer options after the maps.
    pub encoder_args: Vec<String>,
    /// Output format.
    pub format: Format,
    /// File extension for the output (no dot).
    pub extension: &'static str,
    /// Length of the output in seconds (0 for a still).
    pub duration: f64,
    /// Number of video frames written (for progress).
    pub frames: u64,
    /// Still pieces whose camera reel draws ([`crate::render::zoom`]): their frames are fed
    /// to the `rawvideo` inputs they name while ffmpeg runs (see [`crate::render::run`]).
    pub zooms: Vec<crate::render::zoom::Zoom>,
}

/// Longest filtergraph passed on the command line; a longer one goes to ffmpeg in a file
/// (`-filter_complex_script`). Linux limits one argument to 128 KiB (`MAX_ARG_STRLEN`) and all
/// of them to about 2 MiB, which about 1,000 clips reach (issue 15); half the per-argument
/// limit leaves room for the other arguments, and graphs this short stay visible in `ps`.
pub const INLINE_GRAPH_MAX: usize = 64 * 1024;

/// File name `reel graph` uses for a filtergraph too long to inline.
const SHELL_SCRIPT_NAME: &str = "filtergraph.txt";

impl RenderPlan {
    /// The full ffmpeg argument list (without the program name) writing to `out`, with the
    /// filtergraph inline (`-filter_complex`) however long it is.
    pub fn to_args(&self, out: &Path) -> Vec<String> {
        self.args(out, None)
    }

    /// Whether the filtergraph is too long for the command line ([`INLINE_GRAPH_MAX`]): then
    /// it is written to a file and passed with [`RenderPlan::to_args_with_script`].
    pub fn needs_script(&self) -> bool {
        self.filter.to_string().len() > INLINE_GRAPH_MAX
    }

    /// [`RenderPlan::to_args`], but the filtergraph is read from `script` (which must hold
    /// `self.filter` as text) with `-filter_complex_script`.
    pub fn to_args_with_script(&self, out: &Path, script: &Path) -> Vec<String> {
        self.args(out, Some(script))
    }

    fn args(&self, out: &Path, script: Option<&Path>) -> Vec<String> {
        let mut a: Vec<String> = ["-hide_banner", "-nostdin", "-y"]
            .map(String::from)
            .to_vec();
        a.extend(self.global_args.iter().cloned());
        for input in &self.inputs {
            a.extend(input.args_before_i.iter().cloned());
            a.push("-i".into());
            a.push(probe::file_url(&input.path).to_string_lossy().into_owned());
        }
        match (self.filter.is_empty(), script) {
            (true, _) => {}
            (false, None) => a.extend(["-filter_complex".into(), self.filter.to_string()]),
            (false, Some(file)) => a.extend([
                "-filter_complex_script".into(),
                file.to_string_lossy().into_owned(),
            ]),
        }
        for m in &self.maps {
            a.push("-map".into());
            a.push(m.to_string());
        }
        a.extend(self.encoder_args.iter().cloned());
        a.push(probe::file_url(out).to_string_lossy().into_owned());
        a
    }

    /// A copy-pasteable shell command (`reel graph`): one argument per line, the filtergraph
    /// one chain per line, POSIX single quotes where needed. A graph too long for the command
    /// line is written first to `filtergraph.txt` by a here-document, then read from it.
    pub fn to_shell(&self, out: &Path) -> String {
        let pretty = self.filter.to_pretty();
        let script = self.needs_script().then_some(Path::new(SHELL_SCRIPT_NAME));
        let mut s = match script {
            Some(file) => format!(
                "cat > {} <<'REEL_GRAPH'\n{pretty}\nREEL_GRAPH\n",
                file.display()
            ),
            None => String::new(),
        };
        s.push_str("ffmpeg");
        let args = self.args(out, script);
        let mut i = 0;
        while i < args.len() {
            let arg = &args[i];
            let next = args
                .get(i + 1)
                .filter(|n| !n.starts_with('-') || n.len() == 1);
            s.push_str(" \\\n  ");
            s.push_str(&shell_quote(arg));
            if let Some(n) = next.filter(|_| arg.starts_with('-')) {
                s.push(' ');
                let shown = if arg == "-filter_complex" { &pretty } else { n };
                s.push_str(&shell_quote(shown));
                i += 1;
            }
            i += 1;
        }
        s
    }
}

/// Quotes `s` for a POSIX shell when it holds anything but safe characters.
pub fn shell_quote(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./:=,+@%".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Compiles a timeline into a plan. Pure; every problem found is reported.
pub fn compile(timeline: &Timeline, options: &RenderOptions) -> SourceResult<RenderPlan> {
    let mut cx = Ctx::new(timeline, options);
    let spec = output::Spec::new(&cx);
    if let Some(window) = spec.still_window() {
        cx.window = window;
    }
    let video = if spec.has_video() {
        Some(visual::compose(&mut cx))
    } else {
        None
    };
    let sound = if spec.has_audio() {
        audio::mix(&mut cx)
    } else {
        None
    };
    if video.is_none() && sound.is_none() {
        let what = if timeline.output.mute {
            "is muted"
        } else {
            "has no sound"
        };
        cx.errors.push(
            Diagnostic::error(format!("an mp3 output needs sound, but the edit {what}"))
                .with_note("no clip with audio and no soundtrack play in the rendered range")
                .with_help("add a soundtrack or an audio clip, or choose a video format"),
        );
    }
    if !cx.errors.is_empty() {
        return Err(cx.errors);
    }
    Ok(output::finish(cx, &spec, video, sound))
}

/// Compiles frames `[f0, f1)` of the timeline's picture alone (no sound), encoded as the
/// output format asks (`mp4`/`webm`), for a segment joined later by stream copy. Videos at
/// rest at `f0` are entered there (seeked at demux time, [`enter_at`]); the graph computes from
/// the latest frame at or before `f0` that cuts no clip needing earlier frames
/// ([`window_start`]: moving pictures, drawn frames, transitions), so every input is opened at
/// its own start or trimmed at demux time; a `trim` then keeps exactly `f1 - f0` frames. Pure.
pub fn compile_window(
    timeline: &Timeline,
    options: &RenderOptions,
    (f0, f1): (usize, usize),
) -> SourceResult<RenderPlan> {
    let cx = Ctx::new(timeline, options);
    let (f0, f1) = (f0.min(cx.frames), f1.min(cx.frames));
    let format = timeline.output.format;
    if f1 <= f0 || format.is_still() || matches!(format, Format::Mp3 | Format::Gif) {
        return Err(vec![Diagnostic::error(format!(
            "cannot compile frames {f0}..{f1} of a {format:?} output as a video segment"
        ))]);
    }
    let spec = output::Spec::frames(&cx, f0, f1);
    let entered = enter_at(timeline, &cx, f0);
    let mut cx = Ctx::new(&entered, options);
    cx.window = (seek_start(&cx, f0), f1);
    let video = visual::compose(&mut cx);
    if !cx.errors.is_empty() {
        return Err(cx.errors);
    }
    Ok(output::finish(cx, &spec, Some(video), None))
}

/// The frame a window starting at `f0` is computed from ([`compile_window`]): `f0` itself
/// when no clip it cuts needs earlier frames. Pure.
pub fn window_start(timeline: &Timeline, options: &RenderOptions, f0: usize) -> usize {
    let cx = Ctx::new(timeline, options);
    let entered = enter_at(timeline, &cx, f0);
    seek_start(&Ctx::new(&entered, options), f0.min(cx.frames))
}

/// `tl` with every video clip at rest at frame `w` (no effect, tween or skew; past its in
/// transition and before its out one; a plain video, not a matte) that `w` cuts inside
/// replaced by its part from `w` on: it starts at `w` and is trimmed further at demux time,
/// so a window starting at `w` opens it there instead of decoding from its start. Output
/// frame `k` still shows source time `trim + (k - k0) / fps × speed`; the cut is made only
/// where that time falls on a source frame (a 30 fps video at 25 fps: every 5 frames), so
/// the demuxer's seek lands on the very frame. Pure.
fn enter_at(tl: &Timeline, cx: &Ctx, w: usize) -> Timeline {
    let mut out = tl.clone();
    let canvas = (tl.canvas.width, tl.canvas.height);
    let fps = cx.fps();
    for c in out.tracks.iter_mut().flatten() {
        let timeline::Source::Media { info, .. } = &c.source else {
            continue;
        };
        if c.kind != timeline::ClipKind::Video
            || !info.has_video
            || info.is_still
            || c.media.speed <= 0.0
        {
            continue;
        }
        let (k0, k1) = (
            cx.frame_at(c.start),
            cx.frame_at(c.start + c.length).min(cx.frames),
        );
        if !(k0 < w && w < k1) {
            continue;
        }
        let fitted = layout::geometry(c, canvas, 1.0, 1.0).map_or(canvas, |g| g.content);
        let m = motion::Motion::new(c, canvas, fitted);
        let (kx, ky) = m.skew(0.0);
        let rest = k0 + cx.frame_at(m.d_in) <= w && w + cx.frame_at(m.d_out) < k1;
        if m.whole_clip() || kx != 0.0 || ky != 0.0 || !rest {
            continue;
        }
        let shift = (w - k0) as f64 / fps * c.media.speed;
        let source_frames = shift * info.fps;
        if info.fps <= 0.0 || (source_frames - source_frames.round()).abs() > 1e-6 {
            continue;
        }
        let end = c.start + c.length;
        c.media.trim += shift;
        c.start = w as f64 / fps;
        c.length = end - c.start;
        c.visual.transition_in = None;
    }
    out
}

/// The latest frame at or before `f0` that cuts no clip the window could not start inside: a
/// window may start inside a still picture at rest (outside its transitions, no effect or
/// tween), never inside a video, drawn frames, a matte or a moving picture (their streams and
/// motion count frames from the clip's start). Inputs of clips starting later are trimmed at
/// demux time. Pure.
fn seek_start(cx: &Ctx, f0: usize) -> usize {
    let canvas = (cx.tl.canvas.width, cx.tl.canvas.height);
    let spans: Vec<(usize, usize, usize, usize)> = cx
        .tl
        .tracks
        .iter()
        .flatten()
        .map(|c| {
            let (k0, k1) = (
                cx.frame_at(c.start),
                cx.frame_at(c.start + c.length).min(cx.frames),
            );
            let still = c.kind != timeline::ClipKind::Luma
                && match &c.source {
                    timeline::Source::Media { info, .. } => {
                        info.is_still || c.media.speed <= 0.0 || !info.has_video
                    }
                    timeline::Source::Layer { .. } | timeline::Source::None => true,
                    timeline::Source::Frames { .. } => false,
                };
            let fitted = layout::geometry(c, canvas, 1.0, 1.0).map_or(canvas, |g| g.content);
            let m = motion::Motion::new(c, canvas, fitted);
            let (kx, ky) = m.skew(0.0);
            if !still || m.whole_clip() || kx != 0.0 || ky != 0.0 {
                // Cut nowhere inside.
                return (k0, k1, k1, k1);
            }
            // At rest from the end of the in transition to the start of the out one.
            let rest0 = (k0 + cx.frame_at(m.d_in)).min(k1);
            let rest1 = k1.saturating_sub(cx.frame_at(m.d_out)).max(rest0);
            (k0, k1, rest0, rest1)
        })
        .collect();
    let mut w = f0;
    while let Some(&(k0, ..)) = spans
        .iter()
        .find(|&&(k0, k1, r0, r1)| k0 < w && w < k1 && !(r0 <= w && w < r1))
    {
        w = k0;
    }
    w
}

/// Compile state shared by the parts: the graph being built, the inputs, the canvas.
pub(crate) struct Ctx<'a> {
    /// The timeline being compiled.
    tl: &'a Timeline,
    /// Render options.
    opts: &'a RenderOptions,
    /// The graph under construction.
    g: FilterGraph,
    /// Inputs so far.
    inputs: Vec<Input>,
    /// Canvas actually rendered (preview shrinks it).
    canvas: Canvas,
    /// Pixel scale from timeline pixels to rendered pixels (1, or < 1 in preview).
    px: f64,
    /// Frames of the whole timeline.
    frames: usize,
    /// Output frames `[first, end)` the graph computes: the whole timeline, or for a still
    /// just its frame, every input seeked to where it is needed there (the graph's time
    /// origin is `first`).
    window: (usize, usize),
    /// Errors found.
    errors: Vec<Diagnostic>,
    /// Inputs opened for a clip's picture (the clip's address in the borrowed timeline, input
    /// index), reused for its sound.
    media_inputs: Vec<(usize, usize)>,
    /// Prepared still pictures by input and filters, shared by the clips that show them.
    stills: std::collections::HashMap<String, crate::render::graph::Pad>,
    /// Cameras drawn by reel so far.
    zooms: Vec<crate::render::zoom::Zoom>,
    /// Whether still Ken Burns cameras are drawn by reel ([`ZOOM_ENV`] unset) rather than
    /// by ffmpeg's `perspective`.
    draw_zooms: bool,
}

/// Set to `perspective` to draw every camera with ffmpeg's `perspective` filter, as before
/// reel drew still zooms itself (comparisons and tests of the new path against the old).
pub const ZOOM_ENV: &str = "REEL_ZOOM";

impl<'a> Ctx<'a> {
    fn new(tl: &'a Timeline, opts: &'a RenderOptions) -> Ctx<'a> {
        let canvas = if opts.preview {
            preview_canvas(tl.canvas)
        } else {
            tl.canvas
        };
        let px = f64::from(canvas.width) / f64::from(tl.canvas.width.max(1));
        let frames = ((tl.duration * canvas.fps.as_f64()) - 1e-6).ceil().max(1.0) as usize;
        Ctx {
            tl,
            opts,
            g: FilterGraph::new(),
            inputs: Vec::new(),
            canvas,
            px,
            frames,
            window: (0, frames),
            errors: Vec::new(),
            media_inputs: Vec::new(),
            stills: std::collections::HashMap::new(),
            zooms: Vec::new(),
            // The one setting read from the environment: a switch between two renders of
            // the same picture, kept for comparing them.
            draw_zooms: cfg!(unix) && std::env::var_os(ZOOM_ENV).is_none_or(|v| v != "perspective"),
        }
    }

    /// Adds a media file input (`-pattern_type none` when `image2` reads it, so a `%` in its
    /// name is a character) and returns its index.
    fn media_input(&mut self, path: &Path, info: &MediaInfo, mut args: Vec<String>) -> usize {
        if info.image2 {
            args.extend(
                probe::pattern_args("image2")
                    .iter()
                    .map(|a| (*a).to_owned()),
            );
        }
        self.input(path, args)
    }

    /// Adds an input and returns its index.
    fn input(&mut self, path: &Path, args_before_i: Vec<String>) -> usize {
        self.inputs.push(Input {
            args_before_i,
            path: path.to_path_buf(),
        });
        self.inputs.len() - 1
    }

    /// Frames per second as a float.
    fn fps(&self) -> f64 {
        self.canvas.fps.as_f64()
    }

    /// Output frame `k` of the timeline as a frame of the computed graph (from `window.0`).
    fn out(&self, k: usize) -> usize {
        k.saturating_sub(self.window.0)
    }

    /// The first frame at or after time `t`.
    fn frame_at(&self, t: f64) -> usize {
        ((t * self.fps()) - 1e-6).ceil().max(0.0) as usize
    }
}

/// `setpts` expression putting frame 0 of a stream at frame `k` of the output (`N/FPS` form,
/// exact for NTSC rates).
fn pts_at_frame(fps: Fps, k: usize) -> String {
    format!("PTS-STARTPTS+{}*{}/{}/TB", k, fps.den, fps.num)
}

/// `setpts` expression numbering frames 0,1,2… at `fps` from frame `k` on.
fn pts_frames(fps: Fps, k: usize) -> String {
    format!("(N+{k})*{}/{}/TB", fps.den, fps.num)
}

/// The preview canvas: the timeline canvas fitted into 512×288 (or 288×512 portrait), even
/// sides, 15 fps.
fn preview_canvas(c: Canvas) -> Canvas {
    let (bw, bh) = if c.width >= c.height {
        (512.0, 288.0)
    } else {
        (288.0, 512.0)
    };
    let k = (bw / f64::from(c.width))
        .min(bh / f64::from(c.height))
        .min(1.0);
    let even = |v: f64| (((v * k) / 2.0).round() * 2.0).max(2.0) as u32;
    Canvas {
        width: even(f64::from(c.width)),
        height: even(f64::from(c.height)),
        fps: Fps { num: 15, den: 1 },
    }
}
