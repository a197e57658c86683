//! What markup may read: the one gate every resource an `html`/`html5` page or an `svg`
//! `<image>` asks for goes through (issue 15: markup built from data must not read local files
//! or reach the network on its own).
//!
//! Rules, decided here:
//! - Local files only under the template's folder (symlinks and `..` resolved first), or files
//!   the Edit itself names as media, font or soundtrack `src`.
//! - `http(s)://` URLs through the download cache (its size and time limits), and only to hosts
//!   that are not loopback, private, link-local or otherwise local addresses (the host name is
//!   resolved first; a name that resolves to such an address is refused).
//! - `file://` URLs and every other scheme are refused.
//!
//! [`Gate`] is one drawing's view of the [`Access`]: it keeps the files read (for the manifest
//! and watch mode) and the refused URLs (warnings at the clip). It does not draw anything.

use std::net::{IpAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::cache::Cache;
use super::fetch;

/// Largest local file markup may read (256 MiB): pages and SVGs read images and fonts, not
/// videos, and the bytes are held in memory.
const MAX_LOCAL_READ: u64 = 256 << 20;

/// The files markup may read.
#[derive(Debug, Clone)]
pub struct Access {
    /// The template's folder, canonical.
    base_dir: PathBuf,
    /// Local files the Edit names as assets, canonical.
    named: Vec<PathBuf>,
    /// Where downloads are kept.
    cache: Cache,
}

/// The bytes of one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The contents.
    pub bytes: Vec<u8>,
    /// The local file (a download's cache file for URLs).
    pub path: PathBuf,
}

impl Access {
    /// Access to `base_dir` and the `named` files (local asset paths of the Edit); downloads go
    /// to `cache`. Paths that do not exist are left out.
    pub fn new(base_dir: &Path, named: &[PathBuf], cache: Cache) -> Access {
        let dir = if base_dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            base_dir
        };
        let base_dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        let named = named.iter().filter_map(|p| p.canonicalize().ok()).collect();
        Access {
            base_dir,
            named,
            cache,
        }
    }

    /// Where downloads are kept.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// The template's folder (canonical).
    pub fn base_dir(&self) -> &Path {
        &self.base_dir
    }

    /// A local file, if it is under the template's folder or named by the Edit.
    pub fn local(&self, path: &Path) -> Result<Fetched, String> {
        let canon = path
            .canonicalize()
            .map_err(|_| format!("`{}` does not exist", path.display()))?;
        if !canon.starts_with(&self.base_dir) && !self.named.contains(&canon) {
            return Err(
                "it is outside the template's folder and not an asset the edit names".into(),
            );
        }
        let meta = std::fs::metadata(&canon).map_err(|e| e.to_string())?;
        if !meta.is_file() {
            return Err("it is not a file".into());
        }
        if meta.len() > MAX_LOCAL_READ {
            return Err(format!("it is larger than {} MiB", MAX_LOCAL_READ >> 20));
        }
        let bytes = std::fs::read(&canon).map_err(|e| e.to_string())?;
        Ok(Fetched { bytes, path: canon })
    }

    /// A path relative to the template's folder (as a page on reel's own origin asks for it,
    /// `/` being the folder), else the same path taken as absolute if the Edit names it.
    pub fn origin_path(&self, path: &str) -> Result<Fetched, String> {
        let decoded = fetch::percent_decode(path);
        let rel = decoded.trim_start_matches('/');
        match self.local(&self.base_dir.join(rel)) {
            Ok(f) => Ok(f),
            Err(e) => {
                let abs = Path::new(&decoded);
                match abs.canonicalize() {
                    Ok(c) if self.named.contains(&c) => self.local(abs),
                    _ => Err(e),
                }
            }
        }
    }

    /// A remote `http(s)://` URL, downloaded through the cache, unless its host is local.
    pub fn remote(&self, url: &str) -> Result<Fetched, String> {
        if let Some(path) = self.cache.url_map().lookup(url) {
            let bytes = std::fs::read(&path)
                .map_err(|e| format!("{} (mapped by url-map): {e}", path.display()))?;
            return Ok(Fetched { bytes, path });
        }
        let (host, port) = host_port(url).ok_or("it has no host")?;
        check_host(&host, port)?;
        let path = fetch::download_cached_public(url, &self.cache).map_err(|e| e.to_string())?;
        let bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
        Ok(Fetched { bytes, path })
    }

    /// An `href`/`src` as markup writes it: `http(s)://` URLs, or local paths (relative to the
    /// template's folder). `file://` and other schemes are refused.
    pub fn href(&self, href: &str) -> Result<Fetched, String> {
        let lower = href.trim().to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return self.remote(href.trim());
        }
        if lower.starts_with("file:") {
            return Err("`file:` URLs are not read from markup".into());
        }
        if has_scheme(&lower) {
            return Err("only `http(s)://` URLs and local paths are read".into());
        }
        let path = Path::new(href);
        if path.is_absolute() {
            self.local(path)
        } else {
            self.local(&self.base_dir.join(path))
        }
    }
}

/// One drawing's use of an [`Access`]: what it read and what it was refused.
#[derive(Debug)]
pub struct Gate<'a> {
    /// The policy.
    pub access: &'a Access,
    /// Files read, in first-read order.
    read: Mutex<Vec<PathBuf>>,
    /// `(url, reason)` of refused requests, in order, each once.
    refused: Mutex<Vec<(String, String)>>,
}

impl<'a> Gate<'a> {
    /// A gate with nothing read yet.
    pub fn new(access: &'a Access) -> Gate<'a> {
        Gate {
            access,
            read: Mutex::default(),
            refused: Mutex::default(),
        }
    }

    /// Records the outcome of a request for `url`: a read file, or a refusal.
    pub fn record(&self, url: &str, r: Result<Fetched, String>) -> Option<Fetched> {
        match r {
            Ok(f) => {
                let mut read = self.read.lock().unwrap_or_else(|e| e.into_inner());
                if !read.contains(&f.path) {
                    read.push(f.path.clone());
                }
                Some(f)
            }
            Err(reason) => {
                self.refuse(url, &reason);
                None
            }
        }
    }

    /// Records a refused request for `url`.
    pub fn refuse(&self, url: &str, reason: &str) {
        let mut refused = self.refused.lock().unwrap_or_else(|e| e.into_inner());
        if !refused.iter().any(|(u, _)| u == url) {
            refused.push((url.to_string(), reason.to_string()));
        }
    }

    /// The files read so far.
    pub fn files(&self) -> Vec<PathBuf> {
        self.read.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The refused `(url, reason)` pairs so far.
    pub fn refused(&self) -> Vec<(String, String)> {
        self.refused
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Whether `s` starts with a URL scheme (`data:`, `ftp:`, `c:` is taken for one too). Pure.
fn has_scheme(s: &str) -> bool {
    s.split_once(':').is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    })
}

/// Host and port of an `http(s)://` URL (brackets of IPv6 hosts removed). Pure.
pub fn host_port(url: &str) -> Option<(String, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    let default = if scheme.eq_ignore_ascii_case("https") {
        443
    } else {
        80
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = if let Some(v6) = host_port.strip_prefix('[') {
        let (h, after) = v6.split_once(']')?;
        (h, after.strip_prefix(':'))
    } else {
        match host_port.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        }
    };
    let port = match port {
        Some(p) if !p.is_empty() => p.parse().ok()?,
        _ => default,
    };
    (!host.is_empty()).then(|| (host.to_ascii_lowercase(), port))
}

/// Refuses hosts that are, or resolve to, local addresses, for a clear message before any
/// download. The download checks again the addresses it actually connects to
/// ([`fetch::download_cached_public`]), so a DNS server that answers differently the second
/// time (DNS rebinding) gains nothing.
fn check_host(host: &str, port: u16) -> Result<(), String> {
    let local = || format!("`{host}` is a local or private network address");
    if host == "localhost" || host.ends_with(".localhost") {
        return Err(local());
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return if is_public(ip) { Ok(()) } else { Err(local()) };
    }
    let addrs = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve `{host}`: {e}"))?;
    let mut any = false;
    for a in addrs {
        any = true;
        if !is_public(a.ip()) {
            return Err(local());
        }
    }
    if any {
        Ok(())
    } else {
        Err(format!("`{host}` has no address"))
    }
}

/// Whether `ip` is a public unicast address (not loopback, private, link-local, shared,
/// multicast, unspecified or documentation). Pure.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 198 && (18..20).contains(&o[1]))
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0 && s[1] == 0 && s[2] == 0 && s[3] == 0 && s[4] == 0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_and_local_addresses() {
        for local in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::",
        ] {
            assert!(!is_public(local.parse().unwrap()), "{local}");
        }
        for public in ["93.184.215.14", "8.8.8.8", "2606:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn hosts_and_ports_of_urls() {
        let hp = |u: &str| host_port(u).map(|(h, p)| format!("{h}:{p}"));
        assert_eq!(
            hp("http://127.0.0.1:8080/x").as_deref(),
            Some("127.0.0.1:8080")
        );
        assert_eq!(
            hp("https://Example.com/x?y").as_deref(),
            Some("example.com:443")
        );
        assert_eq!(hp("http://u:p@h.io#f").as_deref(), Some("h.io:80"));
        assert_eq!(hp("http://[::1]:9/").as_deref(), Some("::1:9"));
        assert_eq!(hp("http:///x"), None);
        assert!(check_host("localhost", 80).is_err());
        assert!(check_host("127.0.0.1", 80).is_err());
        assert!(check_host("::1", 80).is_err());
    }

    #[test]
    fn local_files_only_inside_the_folder_or_named() {
        let outer = tempfile::tempdir().unwrap();
        let base = outer.path().join("tpl");
        std::fs::create_dir(&base).unwrap();
        std::fs::write(base.join("in.png"), b"in").unwrap();
        std::fs::write(outer.path().join("out.png"), b"out").unwrap();
        std::fs::write(outer.path().join("named.png"), b"named").unwrap();
        let named = [outer.path().join("named.png")];
        let a = Access::new(&base, &named, Cache::new(outer.path().join("cache")));
        assert_eq!(a.href("in.png").unwrap().bytes, b"in");
        assert_eq!(a.origin_path("/in.png").unwrap().bytes, b"in");
        assert!(a.href("../out.png").is_err());
        assert!(a.origin_path("/../out.png").is_err());
        assert!(
            a.href(&outer.path().join("out.png").to_string_lossy())
                .is_err()
        );
        let abs = outer.path().join("named.png");
        assert_eq!(a.href(&abs.to_string_lossy()).unwrap().bytes, b"named");
        assert_eq!(
            a.origin_path(&abs.to_string_lossy()).unwrap().bytes,
            b"named"
        );
        assert!(a.href("file:///etc/passwd").is_err());
        assert!(a.href("/etc/passwd").is_err());
        assert!(a.href("ftp://x/y").is_err());
        assert!(a.href("http://127.0.0.1:1/x").is_err());
    }
}
