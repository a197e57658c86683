//! The on-disk cache shared by probing, downloads and rasterised layers.
//!
//! Owns the cache directory (`REEL_CACHE_DIR`, else `$XDG_CACHE_HOME/reel`, else
//! `~/.cache/reel`), content hashing (blake3) and atomic writes (temp file + rename, so a crash or
//! a failed download never leaves a half-written entry under its final name). It does not know
//! what the entries mean: `probe`, `fetch` and `resolve` choose their own sub-directories.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use super::Cancel;
use super::fetch::FetchLimits;

/// Sub-directory of probe results (`<hash>.json`).
pub const PROBES: &str = "probe";
/// Sub-directory of downloaded files (`<url hash>.<ext>`).
pub const DOWNLOADS: &str = "download";
/// Sub-directory of the cross-process locks of downloads (`<download name>.lock`), kept out
/// of the download folder, which holds only finished files and temp files.
pub const DOWNLOAD_LOCKS: &str = "download-locks";
/// Sub-directory of rasterised layers (`<hash>.png`).
pub const LAYERS: &str = "layer";

/// Counters of cache activity, for tests and `--verbose` summaries (not timing).
#[derive(Debug, Default)]
pub struct CacheStats {
    /// Probe results served from the cache.
    pub probe_hits: AtomicU64,
    /// Files probed (cache misses), in-process or by ffprobe.
    pub probe_runs: AtomicU64,
    /// ffprobe processes spawned (cache misses the in-process reader left to ffprobe).
    pub ffprobe_runs: AtomicU64,
    /// Remote files downloaded.
    pub downloads: AtomicU64,
    /// Layers rasterised and written (cache misses).
    pub layers_written: AtomicU64,
}

impl CacheStats {
    /// Reads one counter.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// A cache directory plus its activity counters, the limits of downloads into it, and the
/// cancel flag of the render using it (downloads, probes and drawing stop when it is set).
/// Cheap to clone (the counters are shared).
#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
    stats: Arc<CacheStats>,
    limits: FetchLimits,
    cancel: Cancel,
    url_map: super::urlmap::UrlMap,
}

impl Cache {
    /// A cache rooted at `root` (created lazily, on first write), with default limits.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Cache {
            root: root.into(),
            stats: Arc::default(),
            limits: FetchLimits::default(),
            cancel: Cancel::new(),
            url_map: super::urlmap::UrlMap::default(),
        }
    }

    /// The same cache with these download limits.
    pub fn with_limits(mut self, limits: FetchLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The same cache (same counters) for a render stopped by `cancel`.
    pub fn with_cancel(mut self, cancel: &Cancel) -> Self {
        self.cancel = cancel.clone();
        self
    }

    /// The same cache reading URLs that `map` maps from local files instead.
    pub fn with_url_map(mut self, map: super::urlmap::UrlMap) -> Self {
        self.url_map = map;
        self
    }

    /// The `--url-map` / `url-map` mappings: URLs read from local files.
    pub fn url_map(&self) -> &super::urlmap::UrlMap {
        &self.url_map
    }

    /// Download limits: timeouts, largest file, size of the download cache.
    pub fn limits(&self) -> &FetchLimits {
        &self.limits
    }

    /// The cancel flag of the render using the cache (never set when none was given).
    pub fn cancel(&self) -> &Cancel {
        &self.cancel
    }

    /// The user's cache: see [`default_dir`].
    pub fn user() -> Self {
        Cache::new(default_dir())
    }

    /// The cache's root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `root/kind/name`.
    pub fn entry(&self, kind: &str, name: &str) -> PathBuf {
        self.root.join(kind).join(name)
    }

    /// The activity counters.
    pub fn stats(&self) -> &CacheStats {
        &self.stats
    }
}

/// The default cache directory: `REEL_CACHE_DIR`, else `$XDG_CACHE_HOME/reel`, else
/// `$HOME/.cache/reel`, else `reel-cache` in the system temp dir.
pub fn default_dir() -> PathBuf {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = var("REEL_CACHE_DIR") {
        return dir;
    }
    if let Some(dir) = var("XDG_CACHE_HOME") {
        return dir.join("reel");
    }
    match var("HOME") {
        Some(home) => home.join(".cache").join("reel"),
        None => std::env::temp_dir().join("reel-cache"),
    }
}

/// The blake3 hash of a file's contents, streamed (media files can be large).
pub fn hash_file(path: &Path) -> io::Result<blake3::Hash> {
    let mut file = fs::File::open(path)?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hasher.finalize());
        }
        hasher.update(&buf[..n]);
    }
}

/// [`hash_file`], remembered for this process by (path, size, modification time), so a batch
/// of many rows using one large video hashes it once. A file rewritten with the same size
/// within one mtime tick would keep its old hash: the same trade-off make and cargo accept.
pub fn hash_file_memo(path: &Path) -> io::Result<blake3::Hash> {
    type Key = (PathBuf, u64, Option<std::time::SystemTime>);
    static MEMO: OnceLock<Mutex<HashMap<Key, blake3::Hash>>> = OnceLock::new();
    let meta = fs::metadata(path)?;
    let key = (path.to_owned(), meta.len(), meta.modified().ok());
    let memo = MEMO.get_or_init(Mutex::default);
    if let Some(h) = memo.lock().ok().and_then(|m| m.get(&key).copied()) {
        return Ok(h);
    }
    let hash = hash_file(path)?;
    if let Ok(mut m) = memo.lock() {
        m.insert(key, hash);
    }
    Ok(hash)
}

/// Writes `bytes` to `path` atomically: a temp file in the same directory, then a rename.
/// Creates the parent directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut tmp = temp_beside(path)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// [`write_atomic`] without the flush to disk, for entries that are checked when read and
/// cheap to make again (probe results: an entry a power loss truncates does not parse, and the
/// file is probed again). Saves a few milliseconds per file on a cold render.
pub fn write_atomic_unsynced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut tmp = temp_beside(path)?;
    tmp.write_all(bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// A temp file in `path`'s directory (created if missing), deleted on drop unless persisted.
/// Same directory, so the final rename never crosses filesystems.
pub fn temp_beside(path: &Path) -> io::Result<tempfile::NamedTempFile> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    let dir = dir.unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    tempfile::Builder::new()
        .prefix(".reel-")
        .suffix(".tmp")
        .tempfile_in(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_creates_dirs_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a/b/c.json");
        write_atomic(&target, b"{}").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"{}");
        let names: Vec<_> = fs::read_dir(target.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("c.json")]);
    }

    #[test]
    fn memo_rehashes_a_changed_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        fs::write(&p, b"one").unwrap();
        assert_eq!(hash_file_memo(&p).unwrap(), blake3::hash(b"one"));
        fs::write(&p, b"three").unwrap();
        assert_eq!(hash_file_memo(&p).unwrap(), blake3::hash(b"three"));
    }

    #[test]
    fn hash_file_matches_blake3_of_contents() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        fs::write(&p, vec![7u8; 200_000]).unwrap();
        assert_eq!(hash_file(&p).unwrap(), blake3::hash(&vec![7u8; 200_000]));
    }
}
