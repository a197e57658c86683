//! Running ffmpeg: progress, cancellation, `.part` files, poster and thumbnail side files.
//!
//! Owns the ffmpeg child process. ffmpeg-sidecar finds the binary (beside the executable, else
//! on `PATH`), pipes stdio and adds `-y`; progress is read from `-progress pipe:1 -nostats`
//! (stable `key=value` blocks, unlike the human stats line) on one thread, stderr is drained on
//! another (keeping its tail for errors), and the calling thread polls [`Cancel`] between
//! progress reports. Output goes to `NAME.part.EXT` (the real extension, so ffmpeg still picks
//! the muxer) and is renamed to `NAME.EXT` only on success: a killed, failed or cancelled
//! render never leaves a file under the final name, and never leaves a `.part` either.
//! It does not build arguments; `compile` does.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use ffmpeg_sidecar::command::FfmpegCommand;

use super::{Cancel, RenderPlan};

/// How often the cancel flag is checked while ffmpeg is silent.
const CANCEL_POLL: Duration = Duration::from_millis(50);
/// Lines of ffmpeg's stderr kept for error reports.
const STDERR_TAIL: usize = 24;

/// One progress report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Seconds of output written so far.
    pub done_seconds: f64,
    /// Seconds of output expected in total.
    pub total_seconds: f64,
    /// Encoding speed as a multiple of real time, when ffmpeg knows it.
    pub speed: Option<f64>,
}

/// A poster or thumbnail frame to take from the finished output.
#[derive(Debug, Clone, PartialEq)]
pub struct SideFrame {
    /// Where to write the image (its extension picks the format, usually `.jpg`).
    pub path: PathBuf,
    /// Time of the frame in the output, seconds (clamped into the output).
    pub capture: f64,
    /// Size relative to the output (1 = same size).
    pub scale: f64,
}

/// A hand-made ffmpeg invocation: everything but the output path, which [`run_job`] appends.
#[derive(Debug, Clone, PartialEq)]
pub struct FfmpegJob {
    /// Arguments after the program name (inputs, filtergraph, encoders), without the output.
    pub args: Vec<OsString>,
    /// Expected output duration in seconds, for progress (0 for a single image).
    pub duration: f64,
    /// Frames to extract from the output after it is complete.
    pub side_frames: Vec<SideFrame>,
}

/// What a successful run produced.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    /// The final output file.
    pub output: PathBuf,
    /// Poster/thumbnail files written next to it.
    pub side_files: Vec<PathBuf>,
    /// Wall-clock seconds spent in ffmpeg.
    pub seconds: f64,
}

/// Why a run produced no output.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// ffmpeg is not installed.
    #[error(
        "ffmpeg was not found on PATH; install it (`apt-get install ffmpeg`, `brew install ffmpeg`, `winget install ffmpeg`) or put an `ffmpeg` binary next to reel"
    )]
    NoFfmpeg,
    /// ffmpeg exited with an error.
    #[error("ffmpeg failed ({status}):\n{stderr_tail}")]
    Failed {
        /// Its exit status.
        status: ExitStatus,
        /// The last lines of its stderr.
        stderr_tail: String,
    },
    /// The [`Cancel`] flag was set; the child was killed and the `.part` removed.
    #[error("render cancelled")]
    Cancelled,
    /// Spawning, renaming or cleaning up failed.
    #[error("{what} `{}`: {source}", path.display())]
    Io {
        /// What was being done (`cannot rename`).
        what: &'static str,
        /// The file involved.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: io::Error,
    },
}

/// `out.mp4` → `out.part.mp4`; `out` → `out.part`. Pure.
pub fn part_path(out: &Path) -> PathBuf {
    let stem = out.file_stem().unwrap_or_default().to_string_lossy();
    let name = match out.extension() {
        Some(ext) => format!("{stem}.part.{}", ext.to_string_lossy()),
        None => format!("{stem}.part"),
    };
    out.with_file_name(name)
}

/// Runs a compiled plan writing `out`. See the module docs for the guarantees.
pub fn run(
    plan: &RenderPlan,
    out: &Path,
    on_progress: &mut dyn FnMut(Progress),
    cancel: &Cancel,
) -> Result<RunReport, RunError> {
    run_plan(plan, out, &[], on_progress, cancel)
}

/// [`run`], then extracts `side_frames` (poster, thumbnail) from the finished output.
pub fn run_plan(
    plan: &RenderPlan,
    out: &Path,
    side_frames: &[SideFrame],
    on_progress: &mut dyn FnMut(Progress),
    cancel: &Cancel,
) -> Result<RunReport, RunError> {
    let job = FfmpegJob {
        args: Vec::new(),
        duration: plan.duration,
        side_frames: side_frames.to_vec(),
    };
    let part = part_path(out);
    // A long filtergraph goes in a file that lives until ffmpeg has ended (dropped after).
    let script = match plan.needs_script() {
        true => Some(graph_script(plan, out)?),
        false => None,
    };
    let args = match &script {
        Some(file) => plan.to_args_with_script(&part, file.path()),
        None => plan.to_args(&part),
    };
    let args: Vec<OsString> = args.into_iter().map(OsString::from).collect();
    finish(&job, out, &args, on_progress, cancel)
}

/// Writes the plan's filtergraph to a temp file for `-filter_complex_script`.
fn graph_script(plan: &RenderPlan, out: &Path) -> Result<tempfile::NamedTempFile, RunError> {
    use std::io::Write as _;
    let io = |source| RunError::Io {
        what: "cannot write the filtergraph for",
        path: out.to_owned(),
        source,
    };
    let mut file = tempfile::Builder::new()
        .prefix(".reel-graph-")
        .suffix(".txt")
        .tempfile()
        .map_err(io)?;
    file.write_all(plan.filter.to_string().as_bytes())
        .and_then(|()| file.flush())
        .map_err(io)?;
    Ok(file)
}

/// Runs a hand-made `job` writing `out` (appended after `job.args`), then its side frames.
pub fn run_job(
    job: &FfmpegJob,
    out: &Path,
    on_progress: &mut dyn FnMut(Progress),
    cancel: &Cancel,
) -> Result<RunReport, RunError> {
    let mut args = job.args.clone();
    args.push(super::probe::file_url(&part_path(out)));
    finish(job, out, &args, on_progress, cancel)
}

/// Runs `args` (which write `out`'s `.part`), renames on success, then takes the side frames.
fn finish(
    job: &FfmpegJob,
    out: &Path,
    args: &[OsString],
    on_progress: &mut dyn FnMut(Progress),
    cancel: &Cancel,
) -> Result<RunReport, RunError> {
    let started = Instant::now();
    let part = part_path(out);
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| RunError::Io {
            what: "cannot create the output directory",
            path: dir.to_owned(),
            source,
        })?;
    }
    let ffmpeg = ffmpeg_sidecar::paths::ffmpeg_path();
    let result = run_to(&ffmpeg, args, &part, job.duration, on_progress, cancel);
    if let Err(e) = result {
        let _ = std::fs::remove_file(&part);
        return Err(e);
    }
    std::fs::rename(&part, out).map_err(|source| {
        let _ = std::fs::remove_file(&part);
        RunError::Io {
            what: "cannot rename the finished render to",
            path: out.to_owned(),
            source,
        }
    })?;
    let mut side_files = Vec::new();
    for frame in &job.side_frames {
        extract_frame(out, job.duration, frame, cancel)?;
        side_files.push(frame.path.clone());
    }
    Ok(RunReport {
        output: out.to_owned(),
        side_files,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Takes one frame of `video` into `frame.path` (via its own `.part` file).
fn extract_frame(
    video: &Path,
    duration: f64,
    frame: &SideFrame,
    cancel: &Cancel,
) -> Result<(), RunError> {
    // Seeking to the very end yields no frame; stay one short frame inside the output.
    let at = frame.capture.min(duration - 0.1).max(0.0);
    let s = frame.scale.clamp(0.001, 1.0);
    let scale = format!("scale=max(2\\,round(iw*{s}/2)*2):max(2\\,round(ih*{s}/2)*2)");
    let args: Vec<OsString> = [
        "-ss".into(),
        format!("{at:.3}").into(),
        "-i".into(),
        super::probe::file_url(video),
        "-frames:v".into(),
        "1".into(),
        "-vf".into(),
        scale.into(),
        "-q:v".into(),
        "2".into(),
    ]
    .into();
    let part = part_path(&frame.path);
    let mut args = args;
    args.push(super::probe::file_url(&part));
    let ffmpeg = ffmpeg_sidecar::paths::ffmpeg_path();
    let result = run_to(&ffmpeg, &args, &part, 0.0, &mut |_| {}, cancel).and_then(|()| {
        std::fs::rename(&part, &frame.path).map_err(|source| RunError::Io {
            what: "cannot rename",
            path: frame.path.clone(),
            source,
        })
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&part);
    }
    result
}

/// Spawns ffmpeg with `args` (which write `target`), reports progress and waits. Kills it on
/// cancel.
fn run_to(
    ffmpeg: &Path,
    args: &[OsString],
    target: &Path,
    total: f64,
    on_progress: &mut dyn FnMut(Progress),
    cancel: &Cancel,
) -> Result<(), RunError> {
    if cancel.is_cancelled() {
        return Err(RunError::Cancelled);
    }
    let mut cmd = FfmpegCommand::new_with_path(ffmpeg);
    // After sidecar's own `-loglevel level+info`: keep warnings and errors, tagged by level.
    cmd.args(["-hide_banner", "-loglevel", "level+warning", "-nostats"])
        .args(["-progress", "pipe:1", "-y"])
        .args(args);
    let mut child = cmd.spawn().map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => RunError::NoFfmpeg,
        _ => RunError::Io {
            what: "cannot start ffmpeg for",
            path: target.to_owned(),
            source: e,
        },
    })?;
    let stdout = child.take_stdout();
    let stderr = child.take_stderr();
    // ffmpeg reads `q` and `?` from stdin; closing it keeps a stray key from doing anything.
    drop(child.take_stdin());
    let tail = thread::spawn(move || stderr.map(read_tail).unwrap_or_default());
    let (tx, rx) = mpsc::channel();
    let reader = thread::spawn(move || {
        if let Some(out) = stdout {
            read_progress(out, total, &tx);
        }
    });
    let cancelled = pump(&rx, on_progress, cancel, || {
        let _ = child.kill();
    });
    let status = child.as_inner_mut().wait();
    let _ = reader.join();
    let tail = tail.join().unwrap_or_default();
    let status = status.map_err(|source| RunError::Io {
        what: "cannot wait for ffmpeg writing",
        path: target.to_owned(),
        source,
    })?;
    // Ctrl-C in a terminal reaches ffmpeg too; it may exit before the flag is seen.
    let cancelled = cancelled || (!status.success() && cancel.is_cancelled());
    match (cancelled, status.success()) {
        (true, _) => Err(RunError::Cancelled),
        (false, true) => Ok(()),
        (false, false) => Err(RunError::Failed {
            status,
            stderr_tail: tail,
        }),
    }
}

/// Forwards progress until ffmpeg closes stdout; calls `kill` once if `cancel` is set.
/// Returns whether it cancelled.
fn pump(
    rx: &mpsc::Receiver<Progress>,
    on_progress: &mut dyn FnMut(Progress),
    cancel: &Cancel,
    mut kill: impl FnMut(),
) -> bool {
    loop {
        if cancel.is_cancelled() {
            kill();
            return true;
        }
        match rx.recv_timeout(CANCEL_POLL) {
            Ok(p) => on_progress(p),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return cancel.is_cancelled(),
        }
    }
}

/// Parses `-progress` blocks (`out_time_us=…`, `speed=…`, `progress=continue|end`).
fn read_progress(out: impl Read, total: f64, tx: &mpsc::Sender<Progress>) {
    let mut current = Progress {
        done_seconds: 0.0,
        total_seconds: total,
        speed: None,
    };
    for line in BufReader::new(out).lines() {
        let Ok(line) = line else { break };
        if let Some(report) = progress_line(&mut current, &line) {
            // The receiver only goes away when run_to returns; nothing to do then.
            let _ = tx.send(report);
        }
    }
}

/// Folds one `key=value` line into `current`; returns a report at the end of a block. Pure.
fn progress_line(current: &mut Progress, line: &str) -> Option<Progress> {
    let (key, value) = line.trim().split_once('=')?;
    match key {
        "out_time_us" => {
            if let Ok(us) = value.parse::<i64>() {
                current.done_seconds = (us.max(0) as f64 / 1e6).min(current.total_seconds);
            }
        }
        "speed" => current.speed = value.trim().trim_end_matches('x').parse().ok(),
        "progress" => {
            if value == "end" {
                current.done_seconds = current.total_seconds;
            }
            return Some(*current);
        }
        _ => {}
    }
    None
}

/// Reads everything, keeping the last [`STDERR_TAIL`] non-empty lines.
fn read_tail(err: impl Read) -> String {
    let mut tail = VecDeque::with_capacity(STDERR_TAIL);
    for line in BufReader::new(err).lines() {
        let Ok(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        if tail.len() == STDERR_TAIL {
            tail.pop_front();
        }
        tail.push_back(line);
    }
    Vec::from(tail).join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_keeps_extension() {
        assert_eq!(
            part_path(Path::new("/o/a.b.mp4")),
            PathBuf::from("/o/a.b.part.mp4")
        );
        assert_eq!(part_path(Path::new("out")), PathBuf::from("out.part"));
    }

    #[test]
    fn progress_blocks() {
        let mut p = Progress {
            done_seconds: 0.0,
            total_seconds: 2.0,
            speed: None,
        };
        let block = "frame=10\nout_time_us=1500000\nspeed=3.1x\nprogress=continue";
        let reports: Vec<_> = block
            .lines()
            .filter_map(|l| progress_line(&mut p, l))
            .collect();
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].done_seconds, 1.5);
        assert_eq!(reports[0].speed, Some(3.1));
        assert!(progress_line(&mut p, "out_time_us=N/A").is_none());
        assert!(progress_line(&mut p, "speed=N/A").is_none());
        assert_eq!(p.speed, None);
        let end = progress_line(&mut p, "progress=end").unwrap();
        assert_eq!(end.done_seconds, 2.0);
    }

    #[test]
    fn missing_ffmpeg_says_how_to_install_it() {
        let dir = tempfile::tempdir().unwrap();
        let part = dir.path().join("o.part.mp4");
        let err = run_to(
            &dir.path().join("no-such-ffmpeg"),
            &[],
            &part,
            1.0,
            &mut |_| {},
            &Cancel::new(),
        )
        .unwrap_err();
        assert!(matches!(err, RunError::NoFfmpeg), "{err:?}");
        assert!(err.to_string().contains("apt-get install ffmpeg"));
        assert!(!part.exists());
    }

    #[test]
    fn tail_keeps_last_lines() {
        let text: String = (0..100).map(|i| format!("line {i}\n\n")).collect();
        let tail = read_tail(text.as_bytes());
        assert_eq!(tail.lines().count(), STDERR_TAIL);
        assert!(tail.ends_with("line 99"));
    }
}
