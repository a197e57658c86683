//! `reel watch --serve`: the studio page on 127.0.0.1 (see [`super::studio`]): its files, the
//! `/api/state` JSON, stills and timelines from a [`Studio`], live updates over server-sent
//! events (`/api/events`, see [`super::studio::events`]) and the latest render of every row.
//!
//! Only files listed in the [`Gallery`] are served, looked up by file name: no path from the
//! URL ever reaches the filesystem. The HTTP side is a minimal HTTP/1.1 server on
//! `std::net` (one request per connection, GET and HEAD, single ranges) with a fixed pool of
//! [`WORKERS`], a bounded queue and read/write timeouts, so no number of clients grows its
//! threads or memory.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use super::studio::{self, RowView, events::Hub};

/// What the studio page asks of the loaded template, besides the gallery: answered on the
/// server's threads, so it loads what it needs itself.
pub trait Studio: Send + Sync {
    /// Row `row` (1-based) at `t` seconds as PNG bytes (frame-rounded, cached per row, frame
    /// and `rev`, the gallery version the page saw).
    fn still(&self, row: usize, t: f64, rev: u64) -> Result<Arc<Vec<u8>>, String>;
    /// Row `row`'s resolved timeline as JSON (tracks of clips with their source lines).
    fn timeline(&self, row: usize) -> Result<String, String>;
}

/// Threads answering requests, one connection each (a video download must not block the
/// page's polling). The server never starts more: 8,000 idle connections once made 8,013
/// threads and 2.2 GB (issue 15).
pub const WORKERS: usize = 4;
/// Accepted connections waiting for a worker; beyond that a new connection is answered
/// `503` at once and closed, so idle clients cannot pile up.
const BACKLOG: usize = 32;
/// A client must send its whole request head, and take each piece of the answer, within
/// this; a silent or dripping connection holds a worker no longer.
const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest request head read (a browser's is under 2 KiB).
const MAX_HEAD: usize = 16 * 1024;

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
    /// Bumped by every finished build.
    pub version: u64,
    /// Bumped by every change of what the page shows (the event stream sends each).
    pub revision: u64,
    /// A build is running.
    pub building: bool,
    /// The selected rows: data, state, why they last rendered.
    pub rows: Vec<RowView>,
    /// The last build's diagnostics as HTML.
    pub diagnostics_html: String,
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
        self.revision += 1;
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
    /// Where it listens (127.0.0.1).
    addr: SocketAddr,
    /// Tells the accept loop to end.
    stop: Arc<AtomicBool>,
    /// The accept loop, joined on drop (the workers end once it has).
    accept: Option<JoinHandle<()>>,
}

impl Server {
    /// Listens on 127.0.0.1:`port` (0 picks a free port) and serves `gallery` with
    /// [`WORKERS`] threads; see [`BACKLOG`] and [`IO_TIMEOUT`] for the bounds.
    pub fn start(
        port: u16,
        gallery: Arc<Mutex<Gallery>>,
        studio: Option<Arc<dyn Studio>>,
    ) -> std::io::Result<Server> {
        let listener = TcpListener::bind(("127.0.0.1", port)).map_err(|e| bind_error(port, e))?;
        let addr = listener.local_addr()?;
        let (tx, rx) = mpsc::sync_channel::<TcpStream>(BACKLOG);
        let rx = Arc::new(Mutex::new(rx));
        let stop = Arc::new(AtomicBool::new(false));
        let hub = Hub::start(gallery.clone(), stop.clone());
        for _ in 0..WORKERS {
            let ctx = Ctx {
                gallery: gallery.clone(),
                studio: studio.clone(),
                hub: hub.clone(),
            };
            let rx = rx.clone();
            std::thread::spawn(move || {
                // One at a time: the lock is held only while waiting for the next stream.
                while let Ok(stream) = rx.lock().map_err(drop).and_then(|r| r.recv().map_err(drop))
                {
                    serve_connection(stream, &ctx);
                }
            });
        }
        let stopped = stop.clone();
        let accept = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                if let Err(mpsc::TrySendError::Full(mut s)) = tx.try_send(stream) {
                    // Every worker busy and the queue full: say so now rather than hold it.
                    let _ = s.set_write_timeout(Some(IO_TIMEOUT));
                    let _ = write_head(&mut s, 503, &[], 0);
                }
            }
        });
        Ok(Server {
            addr,
            stop,
            accept: Some(accept),
        })
    }

    /// `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

/// "Address already in use" names the address and the way out.
fn bind_error(port: u16, e: std::io::Error) -> std::io::Error {
    let why = match e.kind() {
        std::io::ErrorKind::AddrInUse => format!(
            "127.0.0.1:{port} is already in use (another `reel watch --serve`?): choose another \
             port with `--port N`, or `--port 0` for any free one"
        ),
        _ => format!("cannot listen on 127.0.0.1:{port}: {e}"),
    };
    std::io::Error::new(e.kind(), why)
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("addr", &self.addr).finish()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop, which checks the flag on each connection.
        let _ = TcpStream::connect_timeout(&self.addr, IO_TIMEOUT);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

/// One HTTP/1.1 exchange, then the connection is closed. A client that is slow, sends
/// nonsense or hangs up gets nothing more; none of that is worth reporting.
fn serve_connection(mut stream: TcpStream, ctx: &Ctx) {
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    let Some(req) = read_request(&mut stream) else {
        let _ = write_head(&mut stream, 400, &[], 0);
        return;
    };
    if req.path == "/api/events" && req.method == "GET" {
        // The stream moves to the hub, which writes every change to it.
        ctx.hub.subscribe(stream);
        return;
    }
    let _ = respond(&mut stream, &req, ctx);
}

/// What a worker answers from.
struct Ctx {
    /// The page's state.
    gallery: Arc<Mutex<Gallery>>,
    /// Stills and timelines, when the session has a template to make them from.
    studio: Option<Arc<dyn Studio>>,
    /// The event streams.
    hub: Arc<Hub>,
}

/// What the server needs of a request.
#[derive(Debug, PartialEq)]
struct Request {
    /// `GET`, `HEAD`…
    method: String,
    /// The path, without the query.
    path: String,
    /// The query (after `?`), possibly empty.
    query: String,
    /// The `Range` header, if any.
    range: Option<String>,
}

/// Reads a request head (up to [`MAX_HEAD`] bytes, within [`IO_TIMEOUT`] in all, so a client
/// dripping a byte at a time cannot keep a worker; a body is never read).
fn read_request(stream: &mut impl Read) -> Option<Request> {
    let started = std::time::Instant::now();
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if started.elapsed() > IO_TIMEOUT {
            return None;
        }
        let n = stream.read(&mut buf).ok()?;
        if n == 0 || head.len() + n > MAX_HEAD {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    parse_request(&String::from_utf8_lossy(&head))
}

/// Parses a request head. Pure.
fn parse_request(head: &str) -> Option<Request> {
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, target) = (first.next()?, first.next()?);
    first.next().filter(|v| v.starts_with("HTTP/"))?;
    let range = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("range"))
        .map(|(_, v)| v.trim().to_owned());
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Some(Request {
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        range,
    })
}

/// Writes a response head; `Connection: close` always (one request per connection).
fn write_head(
    w: &mut impl Write,
    status: u16,
    headers: &[(&str, &str)],
    len: u64,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        206 => "Partial Content",
        400 => "Bad Request",
        404 => "Not Found",
        422 => "Unprocessable Content",
        405 => "Method Not Allowed",
        _ => "Service Unavailable",
    };
    let mut head = format!("HTTP/1.1 {status} {reason}\r\n");
    for (k, v) in headers {
        let _ = write!(head, "{k}: {v}\r\n");
    }
    let _ = write!(head, "Content-Length: {len}\r\nConnection: close\r\n\r\n");
    w.write_all(head.as_bytes())
}

/// Answers one request.
fn respond(w: &mut TcpStream, req: &Request, ctx: &Ctx) -> std::io::Result<()> {
    let head_only = req.method == "HEAD";
    if req.method != "GET" && !head_only {
        return write_head(w, 405, &[], 0);
    }
    let snapshot = ctx.gallery.lock().map(|g| g.clone()).unwrap_or_default();
    let mut send = |status: u16, body: &[u8], ctype: &str| {
        let h = [("Content-Type", ctype), ("Cache-Control", "no-store")];
        write_head(w, status, &h, body.len() as u64)?;
        if head_only { Ok(()) } else { w.write_all(body) }
    };
    let (html, text) = ("text/html; charset=utf-8", "text/plain; charset=utf-8");
    match req.path.as_str() {
        "/" => send(200, studio::PAGE.as_bytes(), html),
        "/studio.css" => send(200, studio::STYLE.as_bytes(), "text/css; charset=utf-8"),
        "/studio.js" => send(
            200,
            studio::SCRIPT.as_bytes(),
            "text/javascript; charset=utf-8",
        ),
        "/api/state" => send(
            200,
            studio::state_json(&snapshot).as_bytes(),
            "application/json",
        ),
        "/version" => send(200, snapshot.version.to_string().as_bytes(), "text/plain"),
        "/diagnostics" => send(200, snapshot.diagnostics.as_bytes(), text),
        "/api/still" | "/api/timeline" => {
            let row = query_param(&req.query, "row").and_then(|r| r.parse::<usize>().ok());
            let t = query_param(&req.query, "t").and_then(|t| t.parse::<f64>().ok());
            let rev = query_param(&req.query, "rev").and_then(|r| r.parse::<u64>().ok());
            let (Some(studio), Some(row)) = (&ctx.studio, row.filter(|&r| r > 0)) else {
                return send(404, b"no such row", text);
            };
            let answer = if req.path == "/api/still" {
                match t.filter(|t| t.is_finite() && *t >= 0.0) {
                    Some(t) => studio
                        .still(row, t, rev.unwrap_or(snapshot.version))
                        .map(|png| (png.to_vec(), "image/png")),
                    None => Err("`t` must be a time in seconds, 0 or more".into()),
                }
            } else {
                studio
                    .timeline(row)
                    .map(|json| (json.into_bytes(), "application/json"))
            };
            match answer {
                Ok((body, ctype)) => send(200, &body, ctype),
                Err(e) => send(422, e.as_bytes(), text),
            }
        }
        path => match path.strip_prefix("/files/").and_then(|n| snapshot.file(n)) {
            Some(file) => serve_file(w, req, &file, head_only),
            None => write_head(w, 404, &[], 0),
        },
    }
}

/// The value of `name` in a query string (`row=2&t=1.5`); values here are plain numbers, so
/// no percent-decoding.
fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Sends a file with its content type, honouring a single `Range: bytes=` request (browsers
/// ask for ranges to seek in videos).
fn serve_file(
    w: &mut TcpStream,
    req: &Request,
    path: &Path,
    head_only: bool,
) -> std::io::Result<()> {
    let Ok(mut file) = File::open(path) else {
        return write_head(w, 404, &[], 0);
    };
    let len = file.metadata()?.len();
    let range = req.range.as_deref().and_then(|v| parse_range(v, len));
    let (status, start, end) = match range {
        Some((s, e)) => (206, s, e),
        None if len == 0 => (200, 0, 0),
        None => (200, 0, len - 1),
    };
    file.seek(SeekFrom::Start(start))?;
    let count = if len == 0 { 0 } else { end - start + 1 };
    let content_range = format!("bytes {start}-{end}/{len}");
    let mut headers = vec![
        ("Content-Type", content_type(path)),
        ("Accept-Ranges", "bytes"),
        ("Cache-Control", "no-cache"),
    ];
    if status == 206 {
        headers.push(("Content-Range", &content_range));
    }
    write_head(w, status, &headers, count)?;
    if !head_only {
        std::io::copy(&mut file.take(count), w)?;
    }
    Ok(())
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

/// `/files/NAME?v=VERSION`: a row's output as the page links it.
pub(super) fn file_url(path: &Path, version: u64) -> String {
    format!("/files/{}?v={version}", url_segment(file_name(path)))
}

pub(super) fn is_image(path: &Path) -> bool {
    content_type(path).starts_with("image/")
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
    fn request_heads() {
        let r =
            parse_request("GET /files/a.mp4?v=2 HTTP/1.1\r\nHost: x\r\nrange: bytes=0-1\r\n\r\n");
        assert_eq!(
            r,
            Some(Request {
                method: "GET".into(),
                path: "/files/a.mp4".into(),
                query: "v=2".into(),
                range: Some("bytes=0-1".into()),
            })
        );
        assert_eq!(parse_request("GET /\r\n\r\n"), None);
        assert_eq!(parse_request("\r\n\r\n"), None);
        let mut endless = std::io::repeat(b'a');
        assert_eq!(read_request(&mut endless), None);
    }

    #[test]
    fn content_types_and_url_segments() {
        assert_eq!(content_type(Path::new("a/b.MP4")), "video/mp4");
        assert_eq!(content_type(Path::new("b.png")), "image/png");
        assert_eq!(content_type(Path::new("b")), "application/octet-stream");
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
        assert_eq!(file_url(&b, 2), "/files/b.png?v=2");
        // A row that never rendered and has no file is not shown.
        let c = dir.path().join("c.mp4");
        g.publish(vec![shown(&c, 3, false)], false, none(), none());
        assert!(g.entries.is_empty());
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
        let server = Server::start(0, gallery.clone(), None).unwrap();
        let addr = server
            .url()
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        assert!(addr.starts_with("127.0.0.1:"));
        assert!(get(&addr, "/", "").contains("<script src=\"/studio.js\""));
        assert!(get(&addr, "/api/state", "").contains("\"version\":1"));
        assert!(get(&addr, "/api/still?row=1&t=0", "").starts_with("HTTP/1.1 404"));
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
