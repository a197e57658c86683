//! Turning an asset `src` into a local path: relative paths, `file://` URLs and downloads.
//!
//! Owns the download cache (`<cache>/download/<blake3 of the URL>.<ext>`): an `http(s)://` asset is
//! fetched once with ureq, streamed into a temp file beside its final name and renamed only
//! when complete, so a failed or interrupted download leaves nothing behind. URLs are treated as
//! immutable (as Shotstack's own renderer does with its asset URLs): delete the cache entry to
//! fetch again. It does not probe or interpret the files.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::cache::{self, Cache, CacheStats};

/// Largest download accepted (4 GiB): a guard against endless responses filling the disk.
const MAX_DOWNLOAD: u64 = 4 << 30;
/// Time allowed to connect to a host.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// Time allowed for a whole download (large videos on slow links take minutes).
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(30 * 60);

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

/// Downloads `url` into `cache` unless it is already there; returns the cached file.
pub fn download_cached(url: &str, cache: &Cache) -> Result<PathBuf, FetchError> {
    let path = cache_path(url, cache);
    if path.is_file() {
        return Ok(path);
    }
    download(url, &path)?;
    CacheStats::bump(&cache.stats().downloads);
    Ok(path)
}

fn download(url: &str, path: &Path) -> Result<(), FetchError> {
    let http = |reason: String| FetchError::Http {
        url: url.to_string(),
        reason,
    };
    let store = |source: io::Error| FetchError::Store {
        url: url.to_string(),
        path: path.to_owned(),
        source,
    };
    let agent = ureq::Agent::config_builder()
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_global(Some(DOWNLOAD_TIMEOUT))
        .build()
        .new_agent();
    let response = agent.get(url).call().map_err(|e| http(e.to_string()))?;
    let mut reader = response
        .into_body()
        .into_with_config()
        .limit(MAX_DOWNLOAD)
        .reader();
    // The temp file is deleted on drop, so every early return below leaves nothing behind.
    let mut tmp = cache::temp_beside(path).map_err(store)?;
    io::copy(&mut reader, &mut tmp).map_err(|e| match e.kind() {
        io::ErrorKind::Other | io::ErrorKind::UnexpectedEof | io::ErrorKind::TimedOut => {
            http(e.to_string())
        }
        _ => store(e),
    })?;
    tmp.as_file().sync_all().map_err(store)?;
    tmp.persist(path).map_err(|e| store(e.error))?;
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
fn percent_decode(s: &str) -> String {
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
