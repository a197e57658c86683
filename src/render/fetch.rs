//! Turning an asset `src` into a local path: relative paths, `file://` URLs and downloads.
//!
//! Owns the download cache (`<cache>/download/<blake3 of the URL>.<ext>`): an `http(s)://` asset is
//! fetched once with ureq, streamed into a temp file beside its final name and renamed only
//! when complete, so a failed or interrupted download leaves nothing behind. URLs are treated as
//! immutable (as Shotstack's own renderer does with its asset URLs): delete the cache entry to
//! fetch again. Downloads are bounded ([`FetchLimits`]: connect and idle timeouts, a total
//! time, a largest file), one per URL at a time in the process, stop on the render's cancel
//! flag, and the download cache is trimmed to a size, least recently used files first. It
//! does not probe or interpret the files.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use super::Cancel;
use super::cache::{self, Cache, CacheStats};
use super::entry_lock;

/// Limits of downloads and of the download cache. Each is a command-line flag (and an
/// environment variable) of the commands that download: see `docs/batch.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchLimits {
    /// Time allowed to connect to a host (`--connect-timeout`).
    pub connect_timeout: Duration,
    /// A download that receives less than [`STALL_BYTES`] in this long fails: a server that
    /// stopped answering, or drips (`--idle-timeout`). Also the time allowed for the
    /// response headers.
    pub idle_timeout: Duration,
    /// Time allowed for a whole download (`--download-timeout`).
    pub total_timeout: Duration,
    /// Largest file accepted, in bytes (`--max-download`).
    pub max_bytes: u64,
    /// The download cache is trimmed to this many bytes, least recently used files first
    /// (`--cache-size`).
    pub cache_bytes: u64,
}

impl Default for FetchLimits {
    /// 15 s to connect, 30 s without progress, 30 minutes in all, 2 GiB per file (larger than
    /// any sane asset of a templated video), a 10 GiB download cache.
    fn default() -> Self {
        FetchLimits {
            connect_timeout: Duration::from_secs(15),
            idle_timeout: Duration::from_secs(30),
            total_timeout: Duration::from_secs(30 * 60),
            max_bytes: 2 << 30,
            cache_bytes: 10 << 30,
        }
    }
}

/// Fewer bytes than this within [`FetchLimits::idle_timeout`] is a stalled download (as curl's
/// `--speed-limit`): a server sending one byte a second never trips a per-read timeout.
pub const STALL_BYTES: u64 = 1024;

/// How often a waiting download looks at the cancel flag.
const CANCEL_POLL: Duration = Duration::from_millis(50);

/// Downloads are read in chunks of this size.
const CHUNK: usize = 64 * 1024;

/// Why an asset could not be made local.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The server could not be reached or answered with an error status.
    #[error("cannot download `{url}`: {reason}")]
    Http {
        /// The URL.
        url: String,
        /// What went wrong (`http status: 404`, `connection refused`).
        reason: String,
    },
    /// Writing the download into the cache failed.
    #[error("cannot store the download of `{url}` in `{}`: {source}", path.display())]
    Store {
        /// The URL.
        url: String,
        /// The cache file being written.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: io::Error,
    },
    /// The server sent too little for too long.
    #[error("cannot download `{url}`: stalled (less than 1 KiB in {} s)", seconds)]
    Stalled {
        /// The URL.
        url: String,
        /// The idle timeout, in seconds.
        seconds: u64,
    },
    /// The file is larger than [`FetchLimits::max_bytes`].
    #[error("cannot download `{url}`: larger than the limit of {limit} bytes (`--max-download`)")]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit, in bytes.
        limit: u64,
    },
    /// The render was cancelled while downloading.
    #[error("download of `{0}` cancelled")]
    Cancelled(String),
    /// A URL scheme reel cannot read (`s3://`, `ftp://`).
    #[error(
        "cannot read `{0}`: only local paths, `file://`, `http://` and `https://` are supported"
    )]
    Scheme(String),
}

/// Where an asset comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A file on this machine (relative paths already joined to the base directory).
    Local(PathBuf),
    /// An `http(s)://` URL.
    Remote(String),
}

/// Classifies `src`: URL or path (a relative path is taken relative to `base_dir`). Pure.
pub fn locate(src: &str, base_dir: &Path) -> Result<Location, FetchError> {
    if let Some(rest) = src.strip_prefix("file://") {
        // `file:///abs/path` or `file://localhost/abs/path`.
        let rest = rest.strip_prefix("localhost").unwrap_or(rest);
        return Ok(Location::Local(PathBuf::from(percent_decode(rest))));
    }
    let lower = src.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Ok(Location::Remote(src.to_string()));
    }
    if let Some((scheme, _)) = src.split_once("://")
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    {
        return Err(FetchError::Scheme(src.to_string()));
    }
    Ok(Location::Local(base_dir.join(src)))
}

/// A local path for `src`, downloading it into `cache` if it is remote and not there yet.
pub fn local_path(src: &str, base_dir: &Path, cache: &Cache) -> Result<PathBuf, FetchError> {
    match locate(src, base_dir)? {
        Location::Local(path) => Ok(path),
        Location::Remote(url) => download_cached(&url, cache),
    }
}

/// The cache file for `url`: blake3 of the URL plus the URL's extension, so ffmpeg still sees
/// `.png` or `.mp4`.
pub fn cache_path(url: &str, cache: &Cache) -> PathBuf {
    let name = blake3::hash(url.as_bytes()).to_hex().to_string();
    let name = match url_extension(url) {
        Some(ext) => format!("{name}.{ext}"),
        None => name,
    };
    cache.entry(cache::DOWNLOADS, &name)
}

/// Downloads `url` into `cache` unless it is already there; returns the cached file. Several
/// threads or processes (shards sharing a cache) asking for the same URL at once download it
/// once: the others wait for it. Stops (within [`CANCEL_POLL`]) when the cache's cancel flag
/// is set. A URL that `--url-map` maps is read from its local file instead (never downloaded).
pub fn download_cached(url: &str, cache: &Cache) -> Result<PathBuf, FetchError> {
    fetch_cached(url, cache, Reach::Any)
}

/// [`download_cached`] for markup's sub-resources: the connection goes only to public
/// addresses. The check is made on the addresses the download connects to (resolved once,
/// redirects included), so a name that resolves to a public address for a first look and to
/// a private one for the connection (DNS rebinding) is still refused.
pub fn download_cached_public(url: &str, cache: &Cache) -> Result<PathBuf, FetchError> {
    fetch_cached(url, cache, Reach::Public)
}

/// Which addresses a download may connect to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// Any (the user's own media may be on the local network).
    Any,
    /// Public unicast addresses only ([`super::access::is_public`]).
    Public,
}

fn fetch_cached(url: &str, cache: &Cache, reach: Reach) -> Result<PathBuf, FetchError> {
    if let Some(path) = cache.url_map().lookup(url) {
        return Ok(path);
    }
    let path = cache_path(url, cache);
    let lock = path.file_name().map_or_else(PathBuf::new, |name| {
        cache.entry(
            cache::DOWNLOAD_LOCKS,
            &format!("{}.lock", name.to_string_lossy()),
        )
    });
    let cancelled = || FetchError::Cancelled(url.to_string());
    entry_lock::exclusively(&path, &lock, cache.cancel(), cancelled, || {
        if path.is_file() {
            entry_lock::mark_used(&path);
            return Ok(path.clone());
        }
        download(url, &path, cache, reach)?;
        CacheStats::bump(&cache.stats().downloads);
        if let Some(dir) = path.parent() {
            // A cache that cannot be trimmed only costs disk space.
            let _ = evict(dir, cache.limits().cache_bytes, &path);
        }
        Ok(path.clone())
    })
}

/// Downloads `url` to `path` on a helper thread, so that a cancel is answered at once even
/// while the transfer is blocked on the network; the helper stops at its next chunk (or its
/// idle timeout) and removes its temp file.
fn download(url: &str, path: &Path, cache: &Cache, reach: Reach) -> Result<(), FetchError> {
    let (tx, rx) = mpsc::channel();
    let (u, p, limits, cancel) = (
        url.to_string(),
        path.to_owned(),
        *cache.limits(),
        cache.cancel().clone(),
    );
    std::thread::spawn(move || {
        let _ = tx.send(transfer(&u, &p, &limits, &cancel, reach));
    });
    loop {
        match rx.recv_timeout(CANCEL_POLL) {
            Ok(result) => return result,
            Err(mpsc::RecvTimeoutError::Timeout) if cache.cancel().is_cancelled() => {
                return Err(FetchError::Cancelled(url.to_string()));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(FetchError::Http {
                    url: url.to_string(),
                    reason: "the download stopped unexpectedly".into(),
                });
            }
        }
    }
}

/// The transfer itself: connect, check the size, stream into a temp file beside `path`, and
/// rename it into place only when complete.
fn transfer(
    url: &str,
    path: &Path,
    limits: &FetchLimits,
    cancel: &Cancel,
    reach: Reach,
) -> Result<(), FetchError> {
    let http = |reason: String| FetchError::Http {
        url: url.to_string(),
        reason,
    };
    let store = |source: io::Error| FetchError::Store {
        url: url.to_string(),
        path: path.to_owned(),
        source,
    };
    let too_large = || FetchError::TooLarge {
        url: url.to_string(),
        limit: limits.max_bytes,
    };
    let stalled = || FetchError::Stalled {
        url: url.to_string(),
        seconds: limits.idle_timeout.as_secs(),
    };
    let config = ureq::Agent::config_builder()
        .timeout_connect(Some(limits.connect_timeout))
        .timeout_recv_response(Some(limits.idle_timeout))
        .timeout_per_read(Some(limits.idle_timeout))
        .timeout_global(Some(limits.total_timeout));
    let agent = match reach {
        Reach::Any => config.build().new_agent(),
        // No proxy: the addresses checked must be the ones connected to.
        Reach::Public => ureq::Agent::with_parts(
            config.proxy(None).build(),
            ureq::unversioned::transport::DefaultConnector::default(),
            PublicOnly::default(),
        ),
    };
    let response = agent.get(url).call().map_err(|e| match e {
        ureq::Error::Timeout(ureq::Timeout::RecvResponse | ureq::Timeout::PerRead) => stalled(),
        e => http(e.to_string()),
    })?;
    let body = response.into_body();
    if body.content_length().is_some_and(|n| n > limits.max_bytes) {
        return Err(too_large());
    }
    let mut reader = body.into_with_config().limit(limits.max_bytes).reader();
    // The temp file is deleted on drop, so every early return below leaves nothing behind.
    let mut tmp = cache::temp_beside(path).map_err(store)?;
    let mut buf = vec![0u8; CHUNK];
    let mut window = (Instant::now(), 0u64);
    loop {
        if cancel.is_cancelled() {
            return Err(FetchError::Cancelled(url.to_string()));
        }
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(
                    match e.get_ref().and_then(|i| i.downcast_ref::<ureq::Error>()) {
                        Some(ureq::Error::BodyExceedsLimit(_)) => too_large(),
                        Some(ureq::Error::Timeout(ureq::Timeout::PerRead)) => stalled(),
                        _ => http(e.to_string()),
                    },
                );
            }
        };
        tmp.write_all(&buf[..n]).map_err(store)?;
        window.1 += n as u64;
        if window.0.elapsed() >= limits.idle_timeout {
            if window.1 < STALL_BYTES {
                return Err(stalled());
            }
            window = (Instant::now(), 0);
        }
    }
    tmp.as_file().sync_all().map_err(store)?;
    tmp.persist(path).map_err(|e| store(e.error))?;
    Ok(())
}

/// A resolver that refuses hosts with any address that is not public: the addresses it
/// returns are the ones the download connects to, for the first request and every redirect.
#[derive(Debug, Default)]
struct PublicOnly(ureq::unversioned::resolver::DefaultResolver);

impl ureq::unversioned::resolver::Resolver for PublicOnly {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        let addrs = self.0.resolve(uri, config, timeout)?;
        if let Some(a) = addrs.iter().find(|a| !super::access::is_public(a.ip())) {
            return Err(ureq::Error::Io(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "`{}` resolves to {}, a local or private network address",
                    uri.host().unwrap_or_default(),
                    a.ip()
                ),
            )));
        }
        Ok(addrs)
    }
}

/// Files older than this are never evicted in favour of a newer one: another render (a shard
/// in another process) may be about to read them.
const EVICT_GRACE: Duration = Duration::from_secs(3600);

/// Trims a cache directory `dir` (downloads, shared bases, zoom pictures) to `max` bytes,
/// deleting least recently used files first (by modification time, which a cache hit
/// refreshes), never `keep` nor files used in the last [`EVICT_GRACE`]. Temp files of
/// interrupted writes older than that go too.
pub(crate) fn evict(dir: &Path, max: u64, keep: &Path) -> io::Result<()> {
    let now = SystemTime::now();
    let age = |t: SystemTime| now.duration_since(t).unwrap_or_default();
    let mut files = Vec::new();
    let mut total = 0u64;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        if !meta.is_file() {
            continue;
        }
        let used = meta.modified().unwrap_or(now);
        let name = entry.file_name();
        if name.to_string_lossy().starts_with(".reel-") {
            if age(used) > EVICT_GRACE {
                let _ = fs::remove_file(entry.path());
            }
            continue;
        }
        total += meta.len();
        files.push((used, meta.len(), entry.path()));
    }
    files.sort();
    for (used, len, path) in files {
        if total <= max {
            break;
        }
        if path == keep || age(used) < EVICT_GRACE {
            continue;
        }
        if fs::remove_file(&path).is_ok() {
            total -= len;
        }
    }
    Ok(())
}

/// The extension of the URL's last path segment (ignoring query and fragment), if it looks like
/// one: 1–8 ASCII alphanumerics, lower-cased.
fn url_extension(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next()?;
    let after_host = path.split_once("://").map_or(path, |(_, r)| r);
    let (_, last) = after_host.split_once('/')?;
    let last = last.rsplit('/').next()?;
    let (_, ext) = last.rsplit_once('.')?;
    let ok = (1..=8).contains(&ext.len()) && ext.chars().all(|c| c.is_ascii_alphanumeric());
    ok.then(|| ext.to_ascii_lowercase())
}

/// Decodes `%XX` escapes (invalid escapes are kept as written).
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A server on 127.0.0.1 that counts the connections it accepts; its port.
    fn counting_server() -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = count.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut conn = conn.unwrap();
                let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
            }
        });
        (port, count)
    }

    #[test]
    fn public_downloads_check_the_address_they_connect_to() {
        // The markup gate's name check is bypassed here: the download itself must refuse a
        // loopback address (what a rebinding DNS answer would give it), before connecting.
        let (port, count) = counting_server();
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        for host in ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]"] {
            let url = format!("http://{host}:{port}/x.png");
            let err = download_cached_public(&url, &cache)
                .unwrap_err()
                .to_string();
            assert!(err.contains("local or private network address"), "{err}");
        }
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 0);
        // The same URL is fine for the user's own media (and the server is really there).
        let url = format!("http://127.0.0.1:{port}/x.png");
        let path = download_cached(&url, &cache).unwrap();
        assert_eq!(fs::read(path).unwrap(), b"hi");
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[test]
    fn locate_kinds() {
        let base = Path::new("/tpl");
        assert_eq!(
            locate("a/b.png", base).unwrap(),
            Location::Local("/tpl/a/b.png".into())
        );
        assert_eq!(
            locate("/abs.png", base).unwrap(),
            Location::Local("/abs.png".into())
        );
        assert_eq!(
            locate("file:///x/my%20clip.mp4", base).unwrap(),
            Location::Local("/x/my clip.mp4".into())
        );
        assert_eq!(
            locate("HTTPS://h/x.mp4", base).unwrap(),
            Location::Remote("HTTPS://h/x.mp4".into())
        );
        assert!(matches!(
            locate("s3://bucket/x.mp4", base),
            Err(FetchError::Scheme(_))
        ));
    }

    #[test]
    fn extensions() {
        assert_eq!(
            url_extension("https://h/a/b.MP4?x=1.zip").as_deref(),
            Some("mp4")
        );
        assert_eq!(url_extension("https://h.com/").as_deref(), None);
        assert_eq!(url_extension("https://h.com").as_deref(), None);
        assert_eq!(url_extension("https://h/a.b/c").as_deref(), None);
        assert_eq!(
            url_extension("https://h/c.toolongextension").as_deref(),
            None
        );
    }
}
