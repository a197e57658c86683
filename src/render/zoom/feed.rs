//! Feeding [`super::Zoom`] frames to a render: a thread per zoom gets the prepared picture
//! (from the layer cache, else by a one-frame ffmpeg run, once per picture, while the render's
//! ffmpeg starts), then draws its frames into a FIFO that the render's `rawvideo` input reads
//! (ffmpeg 5.1 reads every input on its own thread, so a writer blocked on a full pipe stalls
//! nobody else).
//!
//! Never hangs, never silently short: the FIFO is opened non-blocking and retried until
//! ffmpeg opens it or the run is over ([`Feeds::check`] / drop stop the retries); once
//! ffmpeg exits, writes fail with a broken pipe. A writer that fails for any other reason
//! fails the render ([`Feeds::check`] before the output is kept), since ffmpeg would only
//! see the input end early; a picture that cannot be prepared is the error reported
//! ([`Feeds::explain`]) rather than what ffmpeg says of the empty input. The FIFOs live in a
//! temporary directory removed on drop (cancel, SIGTERM, errors).

use std::collections::HashMap;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::Picture;
use super::resample::{Drawer, Yuva, frame_bytes};
use crate::render::RenderPlan;
use crate::render::run::RunError;

/// How often a writer retries opening its FIFO before ffmpeg has opened it.
const OPEN_POLL: Duration = Duration::from_millis(2);

/// A prepared picture, made by the first writer that needs it; the error as text.
type Shared = Arc<OnceLock<Result<Arc<Yuva>, String>>>;

/// The writer threads with their FIFOs.
type Writers = Vec<(PathBuf, JoinHandle<io::Result<()>>)>;

/// Cache sub-directory of prepared pictures (`<hash>.yuva`, raw `yuva420p`).
const PICTURES: &str = "zoom";

/// The writers of one render; dropping it stops them and removes the FIFOs.
pub struct Feeds {
    stop: Arc<AtomicBool>,
    /// The pictures, with the file named when one cannot be prepared.
    pictures: Vec<(PathBuf, Shared)>,
    writers: Mutex<Writers>,
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
            .map_err(io_err(
                "cannot create a directory for",
                &std::env::temp_dir(),
            ))?;
        let mut feeds = Feeds {
            stop: Arc::new(AtomicBool::new(false)),
            pictures: Vec::new(),
            writers: Mutex::new(Vec::new()),
            _dir: dir,
        };
        let mut plan = plan.clone();
        let mut shared: HashMap<&Picture, Shared> = HashMap::new();
        // Where each zoom's input now reads from (set after the loop, which borrows the zooms).
        let mut fifos = Vec::with_capacity(plan.zooms.len());
        for (k, z) in plan.zooms.iter().enumerate() {
            let cell = Arc::clone(shared.entry(&z.picture).or_insert_with(|| {
                let cell = Shared::default();
                let file = z.picture.inputs.first().map(|i| i.1.clone());
                feeds
                    .pictures
                    .push((file.unwrap_or_default(), Arc::clone(&cell)));
                cell
            }));
            let fifo = feeds._dir.path().join(format!("zoom-{k}.yuv"));
            mkfifo(&fifo).map_err(io_err("cannot create the FIFO", &fifo))?;
            fifos.push((z.input, fifo.clone()));
            let feed = Feed {
                fifo: fifo.clone(),
                zoom: z.clone(),
                picture: cell,
            };
            let stop = Arc::clone(&feeds.stop);
            let writer = thread::Builder::new()
                .name(format!("reel-zoom-{k}"))
                .spawn(move || feed.write(&stop))
                .map_err(io_err("cannot start the writer of", &fifo))?;
            feeds.lock().push((fifo, writer));
        }
        for (input, fifo) in fifos {
            plan.inputs[input].path = fifo;
        }
        Ok(Some((feeds, plan)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Writers> {
        self.writers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `e` (ffmpeg failed), or the reason: a picture that could not be prepared (ffmpeg then
    /// read an empty input).
    pub fn explain(&self, e: RunError) -> RunError {
        if matches!(e, RunError::Cancelled) {
            return e;
        }
        for (file, cell) in &self.pictures {
            if let Some(Err(msg)) = cell.get() {
                return RunError::Io {
                    what: "cannot prepare the zoomed picture of",
                    path: file.clone(),
                    source: io::Error::other(msg.clone()),
                };
            }
        }
        e
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

/// Bytes the cached pictures may take (a 1080p picture is about 5 MB): least recently used go
/// first, as in the download cache.
const PICTURE_BYTES: u64 = 1 << 30;

/// The prepared picture of `p` at `size` from the cache, else made (and cached).
fn cached(p: &Picture, size: (u32, u32)) -> Result<Yuva, String> {
    let (w, h) = (size.0 as usize, size.1 as usize);
    let entry = key(p, size)
        .map(|k| crate::render::cache::Cache::user().entry(PICTURES, &format!("{k}.yuva")));
    if let Some(e) = &entry
        && let Some(y) = std::fs::read(e).ok().and_then(|b| Yuva::from_raw(w, h, &b))
    {
        crate::render::entry_lock::mark_used(e);
        return Ok(y);
    }
    let y = load(p, size).map_err(|e| e.to_string())?;
    if let Some(e) = entry {
        // A cache that cannot be written only costs the next render this run again.
        if crate::render::cache::write_atomic_unsynced(&e, &y.planes.concat()).is_ok()
            && let Some(dir) = e.parent()
        {
            let _ = crate::render::fetch::evict(dir, PICTURE_BYTES, &e);
        }
    }
    Ok(y)
}

/// The cache key of a picture: its graph and inputs, with the inputs' contents.
fn key(p: &Picture, size: (u32, u32)) -> Option<String> {
    let mut h = blake3::Hasher::new();
    h.update(format!("zoom picture 1\0{}\0{}\0{size:?}", p.graph, p.map).as_bytes());
    for (args, path) in &p.inputs {
        let content = crate::render::cache::hash_file_memo(path).ok()?;
        h.update(format!("\0{args:?}\0{}\0", path.display()).as_bytes());
        h.update(content.as_bytes());
    }
    Some(h.finalize().to_hex().to_string())
}

/// The prepared picture of `p` (one ffmpeg run), `size` as compile computed it.
fn load(p: &Picture, size: (u32, u32)) -> Result<Yuva, RunError> {
    let ffmpeg = ffmpeg_sidecar::paths::ffmpeg_path();
    let mut cmd = Command::new(&ffmpeg);
    cmd.args(["-hide_banner", "-nostdin", "-loglevel", "error"]);
    for (args, path) in &p.inputs {
        cmd.args(args)
            .arg("-i")
            .arg(crate::render::probe::file_url(path));
    }
    cmd.args(["-filter_complex", &p.graph, "-map", &p.map])
        .args([
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "yuva420p",
            "pipe:1",
        ])
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
                    if fl < 0
                        || libc::fcntl(f.as_raw_fd(), libc::F_SETFL, fl & !libc::O_NONBLOCK) < 0
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

/// One writer's work.
struct Feed {
    fifo: PathBuf,
    zoom: super::Zoom,
    picture: Shared,
}

impl Feed {
    /// Gets the picture, opens the FIFO (also when the picture failed: closing it then ends
    /// ffmpeg's wait) and writes every frame.
    fn write(self, stop: &AtomicBool) -> io::Result<()> {
        let z = &self.zoom;
        let picture = self
            .picture
            .get_or_init(|| cached(&z.picture, z.prepared).map(Arc::new))
            .clone();
        let mut f = open_writer(&self.fifo, stop)?;
        let picture = picture.map_err(io::Error::other)?;
        let src = picture.padded(
            (z.frame.0 as usize, z.frame.1 as usize),
            z.pad as usize,
            z.clear,
        );
        let (w, h) = (z.view.0 as usize, z.view.1 as usize);
        let mut drawer = Drawer::new(src, (w, h), z.alpha);
        let mut buf = Vec::with_capacity(frame_bytes(w, h, z.alpha));
        for &s in &z.steps {
            buf.clear();
            drawer.draw(s, &mut buf);
            f.write_all(&buf)?;
        }
        Ok(())
    }
}
