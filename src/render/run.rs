//! Running ffmpeg: progress, cancellation, `.part` files, output verification, poster and
//! thumbnail side files.
//!
//! Owns the ffmpeg child process. ffmpeg-sidecar finds the binary (beside the executable, else
//! on `PATH`), pipes stdio and adds `-y`; progress is read from `-progress pipe:1 -nostats`
//! (stable `key=value` blocks, unlike the human stats line) on one thread, stderr is drained on
//! another (keeping its tail for errors and watching for write errors), and the calling thread
//! polls [`Cancel`] between progress reports. On Linux the child gets `SIGKILL` when the
//! thread that started it dies, so a `kill -9` of reel does not leave ffmpeg running.
//!
//! Output goes to a `.part` file unique to this process and call ([`part::part_path`]: the
//! real extension last, so ffmpeg still picks the muxer), which is checked
//! ([`verify::verify`]: streams and duration) and renamed to `NAME.EXT` only when ffmpeg
//! succeeded, reported no write error (ffmpeg exits 0 on a full disk) and the file verifies:
//! a killed, failed, cancelled or broken render never leaves a file under the final name, and
//! removes its `.part`. It does not build arguments; `compile` does.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use ffmpeg_sidecar::command::FfmpegCommand;

use super::verify::{self, Expect};
use super::{Cancel, RenderPlan};

pub use super::part::part_path;

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
    /// ffmpeg reported that it could not write its output (a full disk, a quota, a file size
    /// limit), even if it exited 0; the `.part` was removed.
    #[error("ffmpeg could not write `{}`: {reason}", path.display())]
    WriteFailed {
        /// The final output file that was not written.
        path: PathBuf,
        /// ffmpeg's line saying why (`Error writing trailer of …: No space left on device`).
        reason: String,
    },
    /// ffmpeg finished, but the file does not have the streams or the duration asked for; the
    /// `.part` was removed and nothing was written under the final name.
    #[error("the render of `{}` is broken and was not kept: {reason}", path.display())]
    Unverified {
        /// The final output file that was not written.
        path: PathBuf,
        /// What is wrong with it (`ffprobe cannot read it (moov atom not found)`).
        reason: String,
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
    // Zoom frames drawn by reel: FIFOs and their writers live until ffmpeg has ended.
    let feeds = super::zoom::feed::Feeds::start(plan)?;
    let (feeds, plan) = match &feeds {
        Some((f, p)) => (Some(f), p),
        None => (None, plan),
    };
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
    let target = Target {
        out,
        part: &part,
        expect: Expect::of_plan(plan),
        feeds,
    };
    finish(&job, &target, &args, on_progress, cancel)
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
/// The output is verified for its duration only (the job's streams are not known).
pub fn run_job(
    job: &FfmpegJob,
    out: &Path,
    on_progress: &mut dyn FnMut(Progress),
    cancel: &Cancel,
) -> Result<RunReport, RunError> {
    let expect = Expect {
        duration: job.duration,
        frame: 1.0 / 25.0,
        video: false,
        audio: false,
    };
    run_job_expecting(job, out, expect, on_progress, cancel)
}

/// [`run_job`], verifying the streams and duration of `expect` (a join of segments).
pub fn run_job_expecting(
    job: &FfmpegJob,
    out: &Path,
    expect: Expect,
    on_progress: &mut dyn FnMut(Progress),
    cancel: &Cancel,
) -> Result<RunReport, RunError> {
    let part = part_path(out);
    let mut args = job.args.clone();
    args.push(super::probe::file_url(&part));
    let target = Target {
        out,
        part: &part,
        expect,
        feeds: None,
    };
    finish(job, &target, &args, on_progress, cancel)
}

/// Where a run writes and what the result must be.
struct Target<'a> {
    /// The final name.
    out: &'a Path,
    /// The `.part` file ffmpeg writes (named in the arguments).
    part: &'a Path,
    /// What the `.part` must show before it is renamed.
    expect: Expect,
    /// Writers of frames ffmpeg reads, which must have written them all.
    feeds: Option<&'a super::zoom::feed::Feeds>,
}

/// Runs `args` (which write `target.part`), verifies and renames on success, then takes the
/// side frames.
fn finish(
    job: &FfmpegJob,
    target: &Target<'_>,
    args: &[OsString],
    on_progress: &mut dyn FnMut(Progress),
    cancel: &Cancel,
) -> Result<RunReport, RunError> {
    let started = Instant::now();
    let Target {
        out,
        part,
        expect,
        feeds,
    } = *target;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| RunError::Io {
            what: "cannot create the output directory",
            path: dir.to_owned(),
            source,
        })?;
    }
    let ffmpeg = ffmpeg_sidecar::paths::ffmpeg_path();
    let result = run_to(&ffmpeg, args, part, job.duration, on_progress, cancel)
        .map_err(|e| match e {
            // Name the file the user asked for, not the `.part` that is about to go.
            RunError::WriteFailed { reason, .. } => RunError::WriteFailed {
                path: out.to_owned(),
                reason,
            },
            e => match feeds {
                Some(f) => f.explain(e),
                None => e,
            },
        })
        .and_then(|()| feeds.map_or(Ok(()), |f| f.check()))
        .and_then(|()| sync(part, out))
        .and_then(|()| {
            verify::verify(part, &expect).map_err(|reason| RunError::Unverified {
                path: out.to_owned(),
                reason,
            })
        });
    if let Err(e) = result {
        let _ = std::fs::remove_file(part);
        return Err(e);
    }
    std::fs::rename(part, out).map_err(|source| {
        let _ = std::fs::remove_file(part);
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

/// Flushes the finished `.part` to the disk before it is renamed, so a power loss after the
/// rename (and the manifest entry that follows) cannot leave a final name over missing data;
/// on network file systems this is also where a late write error (a full server) shows.
fn sync(part: &Path, out: &Path) -> Result<(), RunError> {
    std::fs::File::open(part)
        .and_then(|f| f.sync_all())
        .map_err(|e| RunError::WriteFailed {
            path: out.to_owned(),
            reason: format!("cannot flush `{}` to disk: {e}", part.display()),
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
    die_with_parent(cmd.as_inner_mut());
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
    if cancelled {
        return Err(RunError::Cancelled);
    }
    // ffmpeg exits 0 when the disk fills while it writes the trailer (#15); when it exits
    // non-zero for that reason, the write error is still the clearest thing to say.
    match (tail.write_error, status.success()) {
        (Some(reason), _) => Err(RunError::WriteFailed {
            path: target.to_owned(),
            reason,
        }),
        (None, true) => Ok(()),
        (None, false) => Err(RunError::Failed {
            status,
            stderr_tail: tail.text,
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

/// What ffmpeg said on stderr.
#[derive(Debug, Default)]
struct Tail {
    /// The last [`STDERR_TAIL`] non-empty lines.
    text: String,
    /// The first line reporting that the output could not be written.
    write_error: Option<String>,
}

/// Reads everything, keeping the last [`STDERR_TAIL`] non-empty lines and the first write
/// error.
fn read_tail(err: impl Read) -> Tail {
    let mut tail = VecDeque::with_capacity(STDERR_TAIL);
    let mut write_error = None;
    for line in BufReader::new(err).lines() {
        let Ok(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        if write_error.is_none() && is_write_error(&line) {
            // The message without ffmpeg's `[muxer @ 0x…] [error] ` prefix.
            let text = ["[error]", "[fatal]"]
                .iter()
                .find_map(|tag| line.split_once(tag).map(|(_, rest)| rest))
                .unwrap_or(&line);
            write_error = Some(text.trim().to_string());
        }
        if tail.len() == STDERR_TAIL {
            tail.pop_front();
        }
        tail.push_back(line);
    }
    Tail {
        text: Vec::from(tail).join("\n"),
        write_error,
    }
}

/// Whether an ffmpeg stderr line is an error saying the output could not be written: the OS
/// errors of a full disk, a quota or a file size limit, or a failed trailer (whose `moov` atom
/// a player needs). Only `[error]`/`[fatal]` lines count, so a warning that quotes a file
/// name with such words in it does not fail a render. Pure.
fn is_write_error(line: &str) -> bool {
    const SIGNS: &[&str] = &[
        "No space left on device",
        "Disk quota exceeded",
        "File too large",
        "Error writing trailer",
    ];
    let error = line.contains("[error]") || line.contains("[fatal]");
    error && SIGNS.iter().any(|s| line.contains(s))
}

/// Makes the child get `SIGKILL` when the thread that spawns it ends, so ffmpeg never
/// outlives a reel killed with `kill -9` (the next run removes its `.part`). The thread that
/// spawns ffmpeg waits for it, so this only fires when reel itself dies.
#[cfg(target_os = "linux")]
fn die_with_parent(cmd: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    let parent = std::process::id();
    // SAFETY: the closure runs in the forked child before exec and only makes async-signal-
    // safe calls (prctl, getppid, _exit) on plain integers; it allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            ) != 0
            {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died between fork and prctl: then nobody would kill us.
            if libc::getppid() as u32 != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
}

/// Elsewhere the next run still removes the `.part`; ffmpeg stops at its next write error.
#[cfg(not(target_os = "linux"))]
fn die_with_parent(_cmd: &mut std::process::Command) {}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(tail.text.lines().count(), STDERR_TAIL);
        assert!(tail.text.ends_with("line 99"));
        assert_eq!(tail.write_error, None);
    }

    #[test]
    fn write_errors_are_found_anywhere_in_stderr() {
        // What ffmpeg 7 prints when the disk fills during `+faststart` (and then exits 0).
        let text = "[error] Error writing trailer of o.part.mp4: No space left on device\n\
                    [error] Error closing file o.part.mp4: No space left on device\n";
        let tail = read_tail(text.as_bytes());
        assert_eq!(
            tail.write_error.as_deref(),
            Some("Error writing trailer of o.part.mp4: No space left on device")
        );
        let fine = "[warning] deprecated pixel format used\n\
                    [warning] guessed layout for `File too large.wav`\n";
        assert_eq!(read_tail(fine.as_bytes()).write_error, None);
        let muxer = "[mp4 @ 0x5] [error] av_interleaved_write_frame(): Disk quota exceeded\n";
        assert_eq!(
            read_tail(muxer.as_bytes()).write_error.as_deref(),
            Some("av_interleaved_write_frame(): Disk quota exceeded")
        );
    }
}
