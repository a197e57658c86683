//! Encoding only what a row changes, and one render in parallel segments (issue 16): the IO
//! side of [`compile::segments`](super::compile::segments).
//!
//! A batch row on a shared base ([`render_row`]) encodes only its own frame ranges
//! ([`RowParts`]); each shared range is encoded once per batch from the base into an H.264
//! segment cached beside it (`shared/<base key>-v<first>-<end>-<settings>.mp4`, made under
//! the same per-entry locks as the base, so `-j 2` and shards make it once), the sound once
//! into `shared/<base key>-a-<settings>.m4a` unless the row's own clips play sound. The
//! parts are joined by stream copy with ffmpeg's concat demuxer: every segment is its own
//! closed encode (it starts on an IDR frame and its B-frames refer only inside it), and the
//! demuxer places each after the previous one's last timestamp, edit lists included, so the
//! joined file has every frame once at its own time (measured and tested against the full
//! render). The join is verified like any output (streams, duration).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use super::cache::Cache;
use super::compile::compile_window;
use super::compile::segments::{RowParts, balanced_cuts, largest_share};
use super::compile::shared::Split;
use super::run::{self, FfmpegJob, Progress, RunError, RunReport, SideFrame};
use super::shared::{self, BaseStats, SHARED, SharedBases};
use super::timeline::{Format, Timeline};
use super::verify::Expect;
use super::{Cancel, RenderOptions, RenderPlan};

/// Renders the row of `split` into `out` (an mp4) from its parts: the shared ones from the
/// cache (made now if missing), its own encoded here, the sound shared or its own, joined by
/// stream copy; then the side frames.
#[allow(clippy::too_many_arguments)]
pub fn render_row(
    split: &Split,
    parts: &RowParts,
    options: &RenderOptions,
    cache: &Cache,
    bases: &SharedBases,
    out: &Path,
    side_frames: &[SideFrame],
    on_progress: &mut dyn FnMut(Progress),
    cancel: &Cancel,
) -> Result<RunReport, RunError> {
    let (base, key) = shared::ensure_base(split, options, cache, bases, on_progress, cancel)?;
    let top = split.on_base(&base);
    let work = work_dir(out)?;
    let mut files = Vec::new();
    for (i, part) in parts.parts.iter().enumerate() {
        let file = if part.shared {
            shared_segment(&top, part.frames, &key, options, cache, bases, cancel)?
        } else {
            let plan = window_plan(&top, options, part.frames, out)?;
            let file = work.path().join(format!("part-{i}.mp4"));
            run::run(&plan, &file, &mut |_| {}, cancel)?;
            file
        };
        files.push(file);
    }
    let sound = if parts.row_sound {
        let file = work.path().join("sound.m4a");
        let plan = sound_plan(&top, options, out)?;
        run::run(&plan, &file, &mut |_| {}, cancel)?;
        Some(file)
    } else if split.sound {
        Some(shared_sound(split, &key, options, cache, bases, cancel)?)
    } else {
        None
    };
    bases.stats.rows_in_segments.fetch_add(1, Ordering::Relaxed);
    let fps = top.canvas.fps.as_f64();
    join(
        &files,
        sound.as_deref(),
        out,
        (parts.frames, fps),
        side_frames,
        &work,
        on_progress,
        cancel,
    )
}

/// Largest estimated share of a video's cost in one segment for automatic segments to pay:
/// with the sound and the per-process work (measured +10–30 % CPU) and ffmpeg's own threads
/// (Amdahl fit: 1.4× on 2 cores, 2.0× on 8), a part must be under about 0.6 of the whole
/// to finish before one process on every core does (docs/performance.md).
pub const AUTO_MAX_SHARE: f64 = 0.6;

/// Renders `timeline` (compiled whole as `full`) into `out` in up to `n` segments of about
/// equal cost encoded at once, each ffmpeg with its share of the cores, the sound mixed once
/// beside them, joined by stream copy; then the side frames. `Ok(None)` when it cannot be
/// split (not an mp4 of the whole timeline, or no frame to cut at) or, chosen `auto`matically,
/// would not pay: render it whole.
#[allow(clippy::too_many_arguments)]
pub fn render_split(
    timeline: &Timeline,
    full: &RenderPlan,
    (n, auto): (usize, bool),
    options: &RenderOptions,
    out: &Path,
    side_frames: &[SideFrame],
    stats: &BaseStats,
    on_progress: &mut dyn FnMut(Progress),
    cancel: &Cancel,
) -> Result<Option<RunReport>, RunError> {
    if full.format != Format::Mp4 || timeline.output.range.is_some() || options.preview {
        return Ok(None);
    }
    let cuts = balanced_cuts(timeline, options, n);
    if cuts.len() < 2 || (auto && largest_share(timeline, &cuts) > AUTO_MAX_SHARE) {
        return Ok(None);
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let parts = RenderOptions {
        threads: options.threads.or(Some((cores / cuts.len()).max(1) as u32)),
        ..options.clone()
    };
    let work = work_dir(out)?;
    let plans = cuts
        .iter()
        .map(|&r| window_plan(timeline, &parts, r, out))
        .collect::<Result<Vec<_>, _>>()?;
    let files: Vec<PathBuf> = (0..plans.len())
        .map(|i| work.path().join(format!("part-{i}.mp4")))
        .collect();
    let sound = (full.maps.len() > 1)
        .then(|| sound_plan(timeline, &parts, out))
        .transpose()?;
    let sound_file = work.path().join("sound.m4a");
    let results: Vec<Result<RunReport, RunError>> = std::thread::scope(|s| {
        let mut running: Vec<_> = plans
            .iter()
            .zip(&files)
            .map(|(plan, file)| s.spawn(move || run::run(plan, file, &mut |_| {}, cancel)))
            .collect();
        if let Some(plan) = &sound {
            let file = &sound_file;
            running.push(s.spawn(move || run::run(plan, file, &mut |_| {}, cancel)));
        }
        running
            .into_iter()
            .map(|h| h.join().unwrap_or(Err(RunError::Cancelled)))
            .collect()
    });
    for r in results {
        r?;
    }
    stats.split_videos.fetch_add(1, Ordering::Relaxed);
    stats.split_parts.fetch_add(cuts.len(), Ordering::Relaxed);
    let frames = cuts.last().map_or(0, |c| c.1);
    join(
        &files,
        sound.is_some().then_some(sound_file.as_path()),
        out,
        (frames, timeline.canvas.fps.as_f64()),
        side_frames,
        &work,
        on_progress,
        cancel,
    )
    .map(Some)
}

/// A directory for a render's own parts, beside its output (removed when dropped, or by the
/// next run's clean-up of dead writers' `.part` files).
pub(crate) fn work_dir(out: &Path) -> Result<tempfile::TempDir, RunError> {
    let dir = out
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // Named like a `.part` file (`NAME.HOST-PID-N.part.segments`): a run after a kill -9
    // removes it with the other strays of dead writers (`part::clean_stray`).
    let named = super::part::part_path(&out.with_extension("segments"));
    let name = named.file_name().unwrap_or_default().to_owned();
    std::fs::create_dir_all(dir)
        .and_then(|()| {
            tempfile::Builder::new()
                .prefix(&name)
                .rand_bytes(0)
                .tempdir_in(dir)
        })
        .map_err(|source| RunError::Io {
            what: "cannot make a directory for the segments of",
            path: out.to_owned(),
            source,
        })
}

/// The plan encoding frames `frames` of `timeline`'s picture alone.
pub(crate) fn window_plan(
    timeline: &Timeline,
    options: &RenderOptions,
    frames: (usize, usize),
    out: &Path,
) -> Result<RenderPlan, RunError> {
    compile_window(timeline, options, frames)
        .map_err(|errors| shared::compile_failed(errors, "cannot compile a segment of", out))
}

/// The plan mixing `timeline`'s sound alone into AAC (as the mp4 output encodes it).
pub(crate) fn sound_plan(
    timeline: &Timeline,
    options: &RenderOptions,
    out: &Path,
) -> Result<RenderPlan, RunError> {
    let mut tl = timeline.clone();
    tl.output.format = Format::Mp3;
    tl.output.range = None;
    let mut plan = shared::compile_for(&tl, options, "cannot compile the sound of", out)?;
    let mut a: Vec<String> = ["-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2"]
        .map(String::from)
        .to_vec();
    if let Some(n) = options.threads {
        a.extend(["-threads".to_owned(), n.to_string()]);
    }
    a.extend(["-f".to_owned(), "mp4".to_owned()]);
    plan.encoder_args = a;
    plan.extension = "m4a";
    Ok(plan)
}

/// The segment of frames `frames` every row shows alike (only the base is visible there),
/// encoded once with the output's settings and cached by the base's key, the range and the
/// encoder arguments.
fn shared_segment(
    top: &Timeline,
    frames: (usize, usize),
    base_key: &str,
    options: &RenderOptions,
    cache: &Cache,
    bases: &SharedBases,
    cancel: &Cancel,
) -> Result<PathBuf, RunError> {
    // The base alone: `on_base` put it on the last (bottom) track.
    let mut only = top.clone();
    only.tracks = top.tracks.last().cloned().into_iter().collect();
    let out = cache.entry(SHARED, "segment.mp4");
    let plan = window_plan(&only, options, frames, &out)?;
    let settings = blake3::hash(plan.encoder_args.join(" ").as_bytes()).to_hex()[..12].to_owned();
    let key = format!("{base_key}-v{}-{}-{settings}", frames.0, frames.1);
    shared::make_once(&key, "mp4", cache, bases, cancel, |path| {
        run::run(&plan, path, &mut |_| {}, cancel)?;
        bases.stats.segments_made.fetch_add(1, Ordering::Relaxed);
        Ok(())
    })
}

/// The base's sound (the soundtrack and the invariant clips' sounds), encoded once.
fn shared_sound(
    split: &Split,
    base_key: &str,
    options: &RenderOptions,
    cache: &Cache,
    bases: &SharedBases,
    cancel: &Cancel,
) -> Result<PathBuf, RunError> {
    let out = cache.entry(SHARED, "sound.m4a");
    let plan = sound_plan(&split.base, options, &out)?;
    let settings = blake3::hash(plan.encoder_args.join(" ").as_bytes()).to_hex()[..12].to_owned();
    let key = format!("{base_key}-a-{settings}");
    shared::make_once(&key, "m4a", cache, bases, cancel, |path| {
        run::run(&plan, path, &mut |_| {}, cancel)?;
        bases.stats.segments_made.fetch_add(1, Ordering::Relaxed);
        Ok(())
    })
}

/// Joins the video segments `files` (in order) and `sound` into `out` by stream copy, checks
/// it has `frames` frames' duration at `fps` (and sound when given), then takes the side
/// frames.
#[allow(clippy::too_many_arguments)]
pub(crate) fn join(
    files: &[PathBuf],
    sound: Option<&Path>,
    out: &Path,
    (frames, fps): (usize, f64),
    side_frames: &[SideFrame],
    work: &tempfile::TempDir,
    on_progress: &mut dyn FnMut(Progress),
    cancel: &Cancel,
) -> Result<RunReport, RunError> {
    let list = work.path().join("segments.txt");
    let text: String = files
        .iter()
        .map(|f| {
            let abs = std::path::absolute(f).unwrap_or_else(|_| f.clone());
            format!("file '{}'\n", abs.to_string_lossy().replace('\'', r"'\''"))
        })
        .collect();
    std::fs::write(&list, text).map_err(|source| RunError::Io {
        what: "cannot write the segment list",
        path: list.clone(),
        source,
    })?;
    let mut args: Vec<OsString> = ["-f", "concat", "-safe", "0", "-i"]
        .map(OsString::from)
        .to_vec();
    args.push(list.into_os_string());
    if let Some(s) = sound {
        args.push("-i".into());
        args.push(super::probe::file_url(s));
    }
    args.extend(["-map", "0:v:0"].map(OsString::from));
    if sound.is_some() {
        args.extend(["-map", "1:a:0"].map(OsString::from));
    }
    args.extend(["-c", "copy", "-movflags", "+faststart"].map(OsString::from));
    let duration = frames as f64 / fps;
    let job = FfmpegJob {
        args,
        duration,
        side_frames: side_frames.to_vec(),
    };
    let expect = Expect {
        duration,
        frame: 1.0 / fps,
        video: true,
        audio: sound.is_some(),
    };
    run::run_job_expecting(&job, out, expect, on_progress, cancel)
}
