//! Feeding [`Zoom`] frames to a render: each prepared picture is made once by a one-frame
//! ffmpeg run, then a thread per zoom draws its frames into a FIFO that the render's
//! `rawvideo` input reads (ffmpeg 5.1 reads every input on its own thread, so a writer
//! blocked on a full pipe stalls nobody else).
//!
//! Never hangs, never silently short: the FIFO is opened non-blocking and retried until
//! ffmpeg opens it or the run is over ([`Feeds::check`] / drop stop the retries); once
//! ffmpeg exits, writes fail with a broken pipe. A writer that fails for any other reason
//! fails the render ([`Feeds::check`] before the output is kept), since ffmpeg would only
//! see the input end early. The FIFOs live in a temporary directory removed on drop
//! (cancel, SIGTERM, errors).

use std::collections::HashMap;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::resample::{Drawer, Yuva, frame_bytes};
use super::{Picture, Step};
use crate::render::RenderPlan;
use crate::render::run::RunError;

/// How often a writer retries opening its FIFO before ffmpeg has opened it.
const OPEN_POLL: Duration = Duration::from_millis(2);

/// The writers of one render; dropping it stops them and removes the FIFOs.
pub struct Feeds {
    stop: Arc<AtomicBool>,
    writers: Mutex<Vec<(PathBuf, JoinHandle<io::Result<()>>)>>,
    /// Removed after the writers have stopped (fields drop in order).
    _dir: tempfile::TempDir,
}

impl Feeds {
    /// Prepares every zoom's picture and starts its writer; returns the plan reading the
    /// FIFOs. `None` when the plan has no zoom.
    pub fn start(plan: &RenderPlan) -> Result<Option<(Feeds, RenderPlan)>, RunError> {
        if plan.zooms.is_empty() {
            return Ok(None);
        }
        let io_err = |what, path: &Path| {
            let path = path.to_owned();
            move |source| RunError::Io { what, path, source }
        };
        let dir = tempfile::Builder::new()
            .prefix(".reel-zoom-")
            .tempdir()
            .map_err(io_err("cannot create a directory for", &std::env::temp_dir()))?;
        let feeds = Feeds {
            stop: Arc::new(AtomicBool::new(false)),
            writers: Mutex::new(Vec::new()),
            _dir: dir,
        };
        let mut plan = plan.clone();
        let mut pictures: HashMap<&Picture, Arc<Yuva>> = HashMap::new();
        for (k, z) in plan.zooms.iter().enumerate() {
            let picture = match pictures.get(&z.picture) {
                Some(p) => Arc::clone(p),
                None => {
                    let p = Arc::new(load(&z.picture, z.prepared)?);
                    pictures.insert(&z.picture, Arc::clone(&p));
                    p
                }
            };
            let fifo = feeds._dir.path().join(format!("zoom-{k}.yuv"));
            mkfifo(&fifo).map_err(io_err("cannot create the FIFO", &fifo))?;
            let src = picture.padded(
                (z.frame.0 as usize, z.frame.1 as usize),
                z.pad as usize,
                z.clear,
            );
            let drawer = Drawer::new(src, (z.view.0 as usize, z.view.1 as usize), z.alpha);
            let steps = z.steps.clone();
            let stop = Arc::clone(&feeds.stop);
            let path = fifo.clone();
            let bytes = frame_bytes(z.view.0 as usize, z.view.1 as usize, z.alpha);
            let writer = thread::Builder::new()
                .name(format!("reel-zoom-{k}"))
                .spawn(move || write_frames(&path, drawer, &steps, bytes, &stop))
                .map_err(io_err("cannot start the writer of", &fifo))?;
            feeds.lock().push((fifo, writer));
        }
        for (k, z) in plan.zooms.clone().iter().enumerate() {
            plan.inputs[z.input].path = feeds._dir.path().join(format!("zoom-{k}.yuv"));
        }
        Ok(Some((feeds, plan)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(PathBuf, JoinHandle<io::Result<()>>)>> {
        self.writers.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// After ffmpeg succeeded: stops the writers and fails if one of them could not write
    /// every frame ffmpeg asked for (a broken pipe means ffmpeg had read all it needed).
    pub fn check(&self) -> Result<(), RunError> {
        self.stop.store(true, Ordering::SeqCst);
        let mut first = Ok(());
        for (fifo, w) in self.lock().drain(..) {
            let result = w
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the writer panicked")));
            match result {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
                Err(source) => {
                    if first.is_ok() {
                        first = Err(RunError::Io {
                            what: "cannot write the zoom frames into",
                            path: fifo,
                            source,
                        });
                    }
                }
            }
        }
        first
    }
}

impl Drop for Feeds {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for (_, w) in self.lock().drain(..) {
            let _ = w.join();
        }
    }
}

/// The prepared picture of `p` (one ffmpeg run), `size` as compile computed it.
fn load(p: &Picture, size: (u32, u32)) -> Result<Yuva, RunError> {
    let ffmpeg = ffmpeg_sidecar::paths::ffmpeg_path();
    let mut cmd = Command::new(&ffmpeg);
    cmd.args(["-hide_banner", "-nostdin", "-loglevel", "error"]);
    for (args, path) in &p.inputs {
        cmd.args(args).arg("-i").arg(crate::render::probe::file_url(path));
    }
    cmd.args(["-filter_complex", &p.graph, "-map", &p.map])
        .args(["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "yuva420p", "pipe:1"])
        .stdin(Stdio::null());
    let out = cmd.output().map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => RunError::NoFfmpeg,
        _ => RunError::Io {
            what: "cannot start ffmpeg for the zoom picture",
            path: ffmpeg.clone(),
            source: e,
        },
    })?;
    let (w, h) = (size.0 as usize, size.1 as usize);
    match Yuva::from_raw(w, h, &out.stdout) {
        Some(y) if out.status.success() => Ok(y),
        _ => Err(RunError::Failed {
            status: out.status,
            stderr_tail: format!(
                "preparing a zoomed picture ({w}x{h}) gave {} bytes:\n{}",
                out.stdout.len(),
                String::from_utf8_lossy(&out.stderr)
            ),
        }),
    }
}

#[cfg(unix)]
fn mkfifo(path: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt as _;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::other("a NUL in the path"))?;
    // SAFETY: `c` is a valid NUL-terminated path that outlives the call.
    if unsafe { libc::mkfifo(c.as_ptr(), 0o600) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(unix))]
fn mkfifo(_path: &Path) -> io::Result<()> {
    Err(io::Error::other("FIFOs need a Unix system"))
}

/// Opens `fifo` for writing once a reader has it open; gives up when `stop` is set.
#[cfg(unix)]
fn open_writer(fifo: &Path, stop: &AtomicBool) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    use std::os::unix::io::AsRawFd as _;
    loop {
        match std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(fifo)
        {
            Ok(f) => {
                // SAFETY: plain fcntl calls on a descriptor `f` owns.
                unsafe {
                    let fl = libc::fcntl(f.as_raw_fd(), libc::F_GETFL);
                    if fl < 0 || libc::fcntl(f.as_raw_fd(), libc::F_SETFL, fl & !libc::O_NONBLOCK) < 0
                    {
                        return Err(io::Error::last_os_error());
                    }
                }
                return Ok(f);
            }
            Err(e) if e.raw_os_error() == Some(libc::ENXIO) => {
                if stop.load(Ordering::SeqCst) {
                    return Err(io::Error::other("ffmpeg never opened the zoom input"));
                }
                thread::sleep(OPEN_POLL);
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(not(unix))]
fn open_writer(_fifo: &Path, _stop: &AtomicBool) -> io::Result<std::fs::File> {
    Err(io::Error::other("FIFOs need a Unix system"))
}

/// Draws and writes every frame into `fifo`.
fn write_frames(
    fifo: &Path,
    mut drawer: Drawer,
    steps: &[Step],
    bytes: usize,
    stop: &AtomicBool,
) -> io::Result<()> {
    let mut f = open_writer(fifo, stop)?;
    let mut buf = Vec::with_capacity(bytes);
    for &s in steps {
        buf.clear();
        drawer.draw(s, &mut buf);
        debug_assert_eq!(buf.len(), bytes);
        f.write_all(&buf)?;
    }
    Ok(())
}
