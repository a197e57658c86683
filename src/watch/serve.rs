//! `reel watch --serve`: a small page on 127.0.0.1 showing the latest render of every watched
//! row (`<video>` players, or `<img>` for `--frame` stills), the current diagnostics as text,
//! and reloading itself when a build finishes (it polls `/version` every 500 ms).
//!
//! Only files listed in the [`Gallery`] are served, looked up by file name: no path from the
//! URL ever reaches the filesystem.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tiny_http::{Header, Method, Request, Response, StatusCode};

/// Threads answering requests (a video download must not block the page's polling).
const THREADS: usize = 4;

/// One row's latest output, as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// 1-based row number.
    pub row: usize,
    /// The output file.
    pub path: PathBuf,
    /// The gallery version in which this file was last written (the cache-busting query).
    pub version: u64,
}

/// What the page shows; shared between the build thread (writer) and the server (reader).
#[derive(Debug, Clone, Default)]
pub struct Gallery {
    /// Bumped by every finished build; the page reloads when it changes.
    pub version: u64,
    /// The selected rows' outputs, in row order.
    pub entries: Vec<Entry>,
    /// The last build's diagnostics as plain text (empty when clean).
    pub diagnostics: String,
    /// The last status line.
    pub status: String,
}

/// One row of a finished build, for [`Gallery::publish`].
#[derive(Debug, Clone)]
pub struct Shown {
    /// 1-based row number.
    pub row: usize,
    /// Its output file (which may be the last good one if this build failed for the row).
    pub path: PathBuf,
    /// Whether this build wrote the file.
    pub rendered: bool,
}

impl Gallery {
    /// Records a finished build: bumps the version, which makes open pages reload. A build
    /// with errors (`failed`) keeps showing the last good output of rows it could not build.
    pub fn publish(&mut self, rows: Vec<Shown>, failed: bool, diagnostics: String, status: String) {
        self.version += 1;
        let old = std::mem::take(&mut self.entries);
        let versions: BTreeMap<&Path, u64> =
            old.iter().map(|e| (e.path.as_path(), e.version)).collect();
        let mut entries: Vec<Entry> = rows
            .iter()
            .filter(|s| s.rendered || versions.contains_key(s.path.as_path()) || s.path.exists())
            .map(|s| Entry {
                version: match versions.get(s.path.as_path()) {
                    Some(v) if !s.rendered => *v,
                    _ => self.version,
                },
                row: s.row,
                path: s.path.clone(),
            })
            .collect();
        if failed {
            let kept = old
                .iter()
                .filter(|e| entries.iter().all(|n| n.path != e.path));
            entries.extend(kept.cloned().collect::<Vec<_>>());
            entries.sort_by_key(|e| e.row);
        }
        self.entries = entries;
        self.diagnostics = diagnostics;
        self.status = status;
    }

    fn file(&self, name: &str) -> Option<PathBuf> {
        self.entries
            .iter()
            .find(|e| file_name(&e.path) == name)
            .map(|e| e.path.clone())
    }
}

/// The running server; stops when dropped.
pub struct Server {
    /// The listener, shared by the request threads.
    server: Arc<tiny_http::Server>,
    /// Where it listens (127.0.0.1).
    addr: SocketAddr,
    /// The request threads, joined on drop.
    threads: Vec<JoinHandle<()>>,
}

impl Server {
    /// Listens on 127.0.0.1:`port` (0 picks a free port) and serves `gallery`.
    pub fn start(port: u16, gallery: Arc<Mutex<Gallery>>) -> std::io::Result<Server> {
        let server = tiny_http::Server::http(("127.0.0.1", port)).map_err(std::io::Error::other)?;
        let addr = server
            .server_addr()
            .to_ip()
            .ok_or_else(|| std::io::Error::other("not an IP listener"))?;
        let server = Arc::new(server);
        let threads = (0..THREADS)
            .map(|_| {
                let (server, gallery) = (server.clone(), gallery.clone());
                std::thread::spawn(move || {
                    while let Ok(req) = server.recv() {
                        respond(req, &gallery);
                    }
                })
            })
            .collect();
        Ok(Server {
            server,
            addr,
            threads,
        })
    }

    /// `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("addr", &self.addr).finish()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        for _ in &self.threads {
            self.server.unblock();
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// Answers one request; a client that hangs up mid-response is not an error worth reporting.
fn respond(req: Request, gallery: &Mutex<Gallery>) {
    let url = req.url().split('?').next().unwrap_or("/").to_string();
    if *req.method() != Method::Get && *req.method() != Method::Head {
        let _ = req.respond(Response::empty(405));
        return;
    }
    let snapshot = gallery.lock().map(|g| g.clone()).unwrap_or_default();
    let text = |body: String, ctype: &str| {
        Response::from_string(body)
            .with_header(header("Content-Type", ctype))
            .with_header(header("Cache-Control", "no-store"))
    };
    let _ = match url.as_str() {
        "/" => req.respond(text(page(&snapshot), "text/html; charset=utf-8")),
        "/version" => req.respond(text(snapshot.version.to_string(), "text/plain")),
        "/diagnostics" => req.respond(text(snapshot.diagnostics, "text/plain; charset=utf-8")),
        _ => match url.strip_prefix("/files/").and_then(|n| snapshot.file(n)) {
            Some(path) => serve_file(req, &path),
            None => req.respond(Response::empty(404)),
        },
    };
}

/// Sends a file with its content type, honouring a single `Range: bytes=` request (browsers
/// ask for ranges to seek in videos).
fn serve_file(req: Request, path: &Path) -> std::io::Result<()> {
    let Ok(mut file) = File::open(path) else {
        return req.respond(Response::empty(404));
    };
    let len = file.metadata()?.len();
    let range = req
        .headers()
        .iter()
        .find(|h| h.field.equiv("Range"))
        .and_then(|h| parse_range(h.value.as_str(), len));
    let (status, start, end) = match range {
        Some((s, e)) => (206, s, e),
        None if len == 0 => (200, 0, 0),
        None => (200, 0, len - 1),
    };
    file.seek(SeekFrom::Start(start))?;
    let count = if len == 0 { 0 } else { end - start + 1 };
    let mut resp = Response::new(
        StatusCode(status),
        vec![
            header("Content-Type", content_type(path)),
            header("Accept-Ranges", "bytes"),
            header("Cache-Control", "no-cache"),
        ],
        file.take(count),
        Some(count as usize),
        None,
    );
    if status == 206 {
        resp.add_header(header(
            "Content-Range",
            &format!("bytes {start}-{end}/{len}"),
        ));
    }
    req.respond(resp)
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("ASCII header")
}

/// `bytes=START-END`, `bytes=START-` or `bytes=-SUFFIX` → inclusive byte range inside a file of
/// `len` bytes; `None` for anything else (then the whole file is sent).
fn parse_range(value: &str, len: u64) -> Option<(u64, u64)> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') || len == 0 {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", suffix) => (len.saturating_sub(suffix.parse().ok()?), len - 1),
        (s, "") => (s.parse().ok()?, len - 1),
        (s, e) => (s.parse().ok()?, e.parse::<u64>().ok()?.min(len - 1)),
    };
    (start <= end && start < len).then_some((start, end))
}

/// The MIME type of an output or asset file, by extension.
fn content_type(path: &Path) -> &'static str {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext.to_ascii_lowercase().as_str() {
        "mp4" | "m4v" => "video/mp4",
        "webm" => "video/webm",
        "mov" => "video/quicktime",
        "gif" => "image/gif",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "mp3" => "audio/mpeg",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

fn file_name(path: &Path) -> &str {
    path.file_name().and_then(|n| n.to_str()).unwrap_or("")
}

fn is_image(path: &Path) -> bool {
    content_type(path).starts_with("image/")
}

/// Escapes text for HTML element content and attribute values.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Encodes a file name for a URL path segment.
fn url_segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

const STYLE: &str = "body{font:14px system-ui,sans-serif;margin:1rem;background:#111;color:#ddd}\
main{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0}video,img{max-width:480px;\
display:block;background:#000}pre{background:#300;color:#fcc;padding:.5rem;white-space:pre-wrap}";

const SCRIPT: &str = "const shown=document.body.dataset.version;setInterval(async()=>{try{\
const r=await fetch('/version',{cache:'no-store'});if((await r.text()).trim()!==shown)\
location.reload();}catch(e){}},500);";

/// The whole page for one gallery state.
fn page(g: &Gallery) -> String {
    let mut body = String::new();
    for e in &g.entries {
        let name = file_name(&e.path);
        let src = format!("/files/{}?v={}", url_segment(name), e.version);
        let media = if is_image(&e.path) {
            format!("<img src=\"{}\" alt=\"{}\">", escape(&src), escape(name))
        } else {
            format!(
                "<video src=\"{}\" controls muted loop autoplay playsinline></video>",
                escape(&src)
            )
        };
        let _ = write!(
            body,
            "<figure data-row=\"{row}\" data-version=\"{v}\">{media}<figcaption>row {row} · \
             {name} · v{v}</figcaption></figure>",
            row = e.row,
            v = e.version,
            name = escape(name),
        );
    }
    let diagnostics = if g.diagnostics.is_empty() {
        String::new()
    } else {
        format!("<pre id=\"diagnostics\">{}</pre>", escape(&g.diagnostics))
    };
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>reel watch</title>\
         <style>{STYLE}</style></head><body data-version=\"{v}\"><p id=\"status\">{status}</p>\
         {diagnostics}<main>{body}</main><script>{SCRIPT}</script></body></html>",
        v = g.version,
        status = escape(&g.status),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpStream;

    #[test]
    fn ranges() {
        let table = [
            ("bytes=0-99", 1000, Some((0, 99))),
            ("bytes=900-", 1000, Some((900, 999))),
            ("bytes=-100", 1000, Some((900, 999))),
            ("bytes=990-2000", 1000, Some((990, 999))),
            ("bytes=1000-", 1000, None),
            ("bytes=5-1", 1000, None),
            ("bytes=0-1,5-6", 1000, None),
            ("items=0-1", 1000, None),
            ("bytes=0-", 0, None),
        ];
        for (value, len, want) in table {
            assert_eq!(parse_range(value, len), want, "{value}");
        }
    }

    #[test]
    fn content_types_and_escaping() {
        assert_eq!(content_type(Path::new("a/b.MP4")), "video/mp4");
        assert_eq!(content_type(Path::new("b.png")), "image/png");
        assert_eq!(content_type(Path::new("b")), "application/octet-stream");
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(url_segment("ann b#1.mp4"), "ann%20b%231.mp4");
    }

    #[test]
    fn publish_keeps_versions_of_rows_not_rendered_again() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.mp4"), dir.path().join("b.png"));
        let shown = |path: &PathBuf, row, rendered| Shown {
            row,
            path: path.clone(),
            rendered,
        };
        let mut g = Gallery::default();
        let none = String::new;
        g.publish(
            vec![shown(&a, 1, true), shown(&b, 2, true)],
            false,
            none(),
            none(),
        );
        g.publish(
            vec![shown(&a, 1, false), shown(&b, 2, true)],
            false,
            none(),
            none(),
        );
        let versions =
            |g: &Gallery| -> Vec<_> { g.entries.iter().map(|e| (e.row, e.version)).collect() };
        assert_eq!(versions(&g), [(1, 1), (2, 2)]);
        // A failed build keeps the rows it could not build; a clean one drops removed rows.
        g.publish(vec![shown(&b, 2, false)], true, "bad".into(), none());
        assert_eq!(versions(&g), [(1, 1), (2, 2)]);
        g.publish(vec![shown(&b, 2, false)], false, none(), none());
        assert_eq!(versions(&g), [(2, 2)]);
        // A row that never rendered and has no file is not shown.
        let c = dir.path().join("c.mp4");
        g.publish(vec![shown(&c, 3, false)], false, none(), none());
        assert!(g.entries.is_empty());
        let html = page(&Gallery {
            entries: vec![Entry {
                row: 2,
                path: b,
                version: 2,
            }],
            diagnostics: "error: `x` <bad>".into(),
            ..g
        });
        assert!(html.contains("<img src=\"/files/b.png?v=2\""), "{html}");
        assert!(html.contains("error: `x` &lt;bad&gt;"), "{html}");
    }

    fn get(addr: &str, path: &str, extra: &str) -> String {
        let mut s = TcpStream::connect(addr).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{extra}\r\n"
        )
        .unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn serves_the_page_version_and_listed_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let video = dir.path().join("ann.mp4");
        std::fs::write(&video, b"0123456789").unwrap();
        std::fs::write(dir.path().join("secret.txt"), b"no").unwrap();
        let gallery = Arc::new(Mutex::new(Gallery::default()));
        let shown = Shown {
            row: 1,
            path: video,
            rendered: true,
        };
        gallery
            .lock()
            .unwrap()
            .publish(vec![shown], false, String::new(), "ok".into());
        let server = Server::start(0, gallery.clone()).unwrap();
        let addr = server
            .url()
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        assert!(addr.starts_with("127.0.0.1:"));
        assert!(get(&addr, "/", "").contains("/files/ann.mp4?v=1"));
        assert!(get(&addr, "/version", "").ends_with("\r\n\r\n1"));
        let whole = get(&addr, "/files/ann.mp4?v=1", "");
        assert!(whole.contains("Content-Type: video/mp4") && whole.ends_with("0123456789"));
        let part = get(&addr, "/files/ann.mp4", "Range: bytes=2-4\r\n");
        assert!(
            part.starts_with("HTTP/1.1 206") && part.ends_with("\r\n\r\n234"),
            "{part}"
        );
        assert!(part.contains("Content-Range: bytes 2-4/10"), "{part}");
        assert!(get(&addr, "/files/secret.txt", "").starts_with("HTTP/1.1 404"));
        assert!(get(&addr, "/files/..%2Fsecret.txt", "").starts_with("HTTP/1.1 404"));
        drop(server);
    }
}
