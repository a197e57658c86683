//! `html` and `html5` assets: the markup is served to a fresh headless Chromium from reel's own
//! origin (`http://reel.invalid/`, never resolved) and screenshotted into a transparent PNG.
//! Without Chromium on `PATH`, a clear error.
//!
//! Chromium is driven over its DevTools pipe ([`cdp`]) with every request intercepted: the page,
//! and each image, style sheet, font, script or `fetch()` it asks for, is answered by reel
//! through the [`Gate`] (files under the template's folder, public `http(s)` URLs through the
//! download cache) or refused. `https` needs no proxy tunnel this way: interception happens
//! before any connection. `file:` resources of an http page are refused by Chromium itself.
//! Behind the interception, Chromium's proxy points at reel's [`DeadEnd`] (loopback included)
//! and no host name resolves, so WebSockets, WebRTC and Chromium's own background services
//! reach nothing.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value as Json, json};
use tiny_skia::Pixmap;

use super::fonts::{FontBytes, Fonts};
pub(crate) use super::page::Page;
use super::{FrameSink, Layer, cdp, jslib};
use crate::diagnostics::Diagnostic;
use crate::render::access::Gate;

/// The page's origin: the `.invalid` top-level domain never resolves, so only reel answers it.
const ORIGIN: &str = "http://reel.invalid";
/// The page's URL.
const PAGE: &str = "http://reel.invalid/";

/// How long one screenshot may take before Chromium is stopped.
const TIMEOUT: Duration = Duration::from_secs(30);
/// How long one screenshot try may take.
const SHOT_WAIT: Duration = Duration::from_secs(5);
/// How much longer each frame of an html5 sequence may take.
const FRAME_BUDGET: Duration = Duration::from_millis(500);

/// Browser executables tried, in order.
const BROWSERS: &[&str] = &[
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];

/// What a drawing saw besides its pixels: console errors and uncaught exceptions, in order,
/// each once, and libraries that could not be loaded.
#[derive(Debug, Default)]
pub(crate) struct Console {
    /// Messages, in order.
    pub(crate) errors: Vec<String>,
}

/// Screenshots `page` with headless Chromium (html5 pages at time 0 of reel's clock). Every
/// request the page makes goes through `gate` (see [`crate::render::access`]); refused ones
/// are recorded there.
pub(crate) fn render_html(
    page: &Page,
    fonts: &Fonts,
    gate: &Gate<'_>,
) -> Result<(Layer, Console), Diagnostic> {
    let mut s = Session::open(page, fonts, gate, TIMEOUT)?;
    if page.html5 {
        s.seek(0.0)?;
    }
    let png = s.shot()?;
    let console = s.close();
    let pixmap = Pixmap::decode_png(&png).map_err(|e| {
        Diagnostic::error("cannot read the screenshot Chromium made").with_note(e.to_string())
    })?;
    Ok((Layer::new(pixmap), console))
}

/// What [`render_frames`] drew.
pub(crate) struct Frames {
    /// Frames drawn (the last holds once nothing on the page moves any more).
    pub(crate) count: usize,
    /// Whether every frame was fully transparent.
    pub(crate) transparent: bool,
    /// Console errors and exceptions.
    pub(crate) console: Console,
}

/// Draws an html5 `page` at each of `times` (seconds) on reel's virtual clock, handing each
/// frame's PNG (straight RGBA, the page's size) to `frame`. Stops early once nothing on the
/// page can move any more.
pub(crate) fn render_frames(
    page: &Page,
    fonts: &Fonts,
    gate: &Gate<'_>,
    times: &[f64],
    frame: &mut FrameSink<'_>,
) -> Result<Frames, Diagnostic> {
    let timeout = TIMEOUT + FRAME_BUDGET * times.len() as u32;
    let mut s = Session::open(page, fonts, gate, timeout)?;
    let mut transparent = true;
    let mut count = 0;
    for (j, &t) in times.iter().enumerate() {
        let moving = s.seek(t)?;
        let png = s.shot()?;
        transparent = transparent && png_transparent(&png);
        frame(j, &png)?;
        count = j + 1;
        if !moving {
            break;
        }
    }
    let console = s.close();
    Ok(Frames {
        count,
        transparent,
        console,
    })
}

/// Whether a PNG has no visible pixel (an unreadable one counts as visible). Pure.
pub(crate) fn png_transparent(png: &[u8]) -> bool {
    let mut dec = png::Decoder::new(std::io::Cursor::new(png));
    dec.set_transformations(png::Transformations::EXPAND);
    let Ok(mut reader) = dec.read_info() else {
        return false;
    };
    let mut buf = vec![0; reader.output_buffer_size().unwrap_or(0)];
    let Ok(info) = reader.next_frame(&mut buf) else {
        return false;
    };
    if info.color_type != png::ColorType::Rgba || info.bit_depth != png::BitDepth::Eight {
        return false;
    }
    buf[..info.buffer_size()]
        .chunks_exact(4)
        .all(|px| px[3] == 0)
}

pub(crate) fn find_browser() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| BROWSERS.iter().map(move |b| dir.join(b)))
        .find(|p| p.is_file())
}

/// Flags that keep Chromium from reaching anything on its own. Requests the page makes are
/// intercepted (`Fetch.enable`) and answered by reel; these are the walls behind that: every
/// other connection (WebSockets, WebRTC, Chromium's own services, loopback included) is sent to
/// a proxy that is reel's own [`DeadEnd`], and no host name resolves.
fn isolation_flags(proxy_port: u16, (w, h): (u32, u32)) -> Vec<String> {
    let mut flags: Vec<String> = [
        "--headless",
        "--disable-gpu",
        "--hide-scrollbars",
        "--mute-audio",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-sync",
        "--disable-domain-reliability",
        "--disable-client-side-phishing-detection",
        "--disable-breakpad",
        "--no-pings",
        "--block-new-web-contents",
        "--deny-permission-prompts",
        "--proxy-bypass-list=<-loopback>",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--webrtc-ip-handling-policy=disable_non_proxied_udp",
        "--force-webrtc-ip-handling-policy",
        "--force-device-scale-factor=1",
    ]
    .map(String::from)
    .to_vec();
    flags.push(format!("--proxy-server=http://127.0.0.1:{proxy_port}"));
    flags.push(format!("--window-size={w},{h}"));
    if running_as_root() {
        // Chromium cannot start its sandbox as root (containers, CI); the flags above and the
        // request interception are then the only walls.
        flags.push("--no-sandbox".into());
    }
    flags
}

/// One page open in a fresh headless Chromium.
struct Session<'a, 'g> {
    /// The browser.
    b: cdp::Browser,
    /// What answers the page's requests and collects its console.
    server: Server<'a, 'g>,
    /// The proxy wall; closed when the session ends.
    _dead_end: DeadEnd,
}

impl<'a, 'g> Session<'a, 'g> {
    /// Starts Chromium, opens `page` and waits until it is drawn ([`SETTLE`]). html5 pages get
    /// the libraries they name and reel's clock, which stands at 0 until [`Session::seek`].
    fn open(
        page: &Page,
        fonts: &Fonts,
        gate: &'a Gate<'g>,
        timeout: Duration,
    ) -> Result<Self, Diagnostic> {
        let browser = find_browser().ok_or_else(|| {
            Diagnostic::error("`html` assets need Chromium, which is not installed").with_help(
                "install `chromium` (for example `apt-get install chromium`) and put it on PATH",
            )
        })?;
        let faces = super::page::web_faces(fonts);
        let (libs, problems) = if page.html5 {
            let text = format!("{}\n{}", page.html, page.js.unwrap_or(""));
            jslib::wanted(&text, gate.access)
        } else {
            Default::default()
        };
        let doc = super::page::document(page, &faces, &jslib::script_tags(&libs));
        let dead_end = DeadEnd::open()
            .map_err(|e| Diagnostic::error("cannot open a local port for Chromium").with_note(e))?;
        let flags = isolation_flags(dead_end.port, page.size);
        let deadline = Instant::now() + timeout;
        let mut b = cdp::Browser::launch(&browser, &flags, deadline)?;
        b.open_page()?;
        let mut server = Server {
            doc: doc.into_bytes(),
            fonts: faces.into_iter().map(|f| f.data).collect(),
            libs,
            gate,
            loaded: false,
            deadline,
            console: Console { errors: problems },
        };
        prepare(&mut b, &mut server, page.size, page.html5)
            .map_err(|e| e.with_note("while setting up the page"))?;
        load(&mut b, &mut server).map_err(|e| e.with_note("while loading the page"))?;
        Ok(Session {
            b,
            server,
            _dead_end: dead_end,
        })
    }

    /// Evaluates `expr` in the page (awaiting a promise) and returns its value.
    fn eval(&mut self, expr: &str) -> Result<Json, Diagnostic> {
        let server = &mut self.server;
        let r = self.b.call(
            "Runtime.evaluate",
            json!({"expression": expr, "awaitPromise": true, "returnByValue": true}),
            &mut |c, m| server.event(c, m),
        )?;
        Ok(r["result"]["value"].clone())
    }

    /// Moves reel's clock to `t` seconds and waits for Chromium's next frame (a screenshot of a
    /// page with nothing new to draw can wait for a frame that never comes); returns whether
    /// anything on the page may still move.
    fn seek(&mut self, t: f64) -> Result<bool, Diagnostic> {
        let ms = t * 1000.0;
        let moving = self
            .eval(&format!(
                "new Promise(ok => {{ const m = __reelSeek({ms}); __reelReal.raf(() => ok(m)); }})"
            ))
            .map_err(|e| e.with_note(format!("while moving the page's clock to {t:.3} s")))?;
        Ok(moving.as_bool() != Some(false))
    }

    /// The page as PNG bytes. Under load Chromium now and then never answers a screenshot:
    /// each try waits [`SHOT_WAIT`], and a second try is made.
    fn shot(&mut self) -> Result<Vec<u8>, Diagnostic> {
        let end = self.b.deadline();
        let mut shot = Err(Diagnostic::error("no screenshot"));
        for _ in 0..2 {
            self.b.set_deadline(end.min(Instant::now() + SHOT_WAIT));
            let server = &mut self.server;
            shot = self.b.call(
                "Page.captureScreenshot",
                json!({"format": "png"}),
                &mut |c, m| server.event(c, m),
            );
            self.b.set_deadline(end);
            if shot.is_ok() || Instant::now() >= end {
                break;
            }
        }
        let shot = shot.map_err(|e| e.with_note("while taking a screenshot"))?;
        let data = shot.get("data").and_then(Json::as_str).unwrap_or("");
        BASE64.decode(data).map_err(|e| {
            Diagnostic::error("cannot read the screenshot Chromium made").with_note(e.to_string())
        })
    }

    /// Closes Chromium; returns what the page's console said.
    fn close(self) -> Console {
        self.b.close();
        self.server.console
    }
}

/// Intercepts every request, sets the viewport and a transparent background, listens to the
/// console and (html5) installs reel's clock before any script of the page runs.
fn prepare(
    b: &mut cdp::Browser,
    server: &mut Server<'_, '_>,
    (w, h): (u32, u32),
    clock: bool,
) -> Result<(), Diagnostic> {
    let mut setup = vec![
        ("Fetch.enable", json!({"patterns": [{"urlPattern": "*"}]})),
        ("Log.enable", json!({})),
        ("Runtime.enable", json!({})),
        ("Page.enable", json!({})),
        (
            "Emulation.setDeviceMetricsOverride",
            json!({"width": w, "height": h, "deviceScaleFactor": 1, "mobile": false}),
        ),
        (
            "Emulation.setDefaultBackgroundColorOverride",
            json!({"color": {"r": 0, "g": 0, "b": 0, "a": 0}}),
        ),
    ];
    if clock {
        setup.push((
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": CLOCK}),
        ));
    }
    for (method, params) in setup {
        b.call(method, params, &mut |c, m| server.event(c, m))?;
    }
    Ok(())
}

/// reel's virtual clock (see the script's header).
const CLOCK: &str = include_str!("clock.js");

/// Opens the page and waits for its load event, then for fonts and two frames ([`SETTLE`]).
fn load(b: &mut cdp::Browser, server: &mut Server<'_, '_>) -> Result<(), Diagnostic> {
    let nav = b.call("Page.navigate", json!({"url": PAGE}), &mut |c, m| {
        server.event(c, m)
    })?;
    if let Some(err) = nav.get("errorText").and_then(Json::as_str) {
        return Err(Diagnostic::error(format!(
            "Chromium could not open the html page: {err}"
        )));
    }
    while !server.loaded {
        let m = b.next()?;
        server.event(&mut b.conn, &m);
    }
    let settle = json!({"expression": SETTLE, "awaitPromise": true});
    b.call("Runtime.evaluate", settle, &mut |c, m| server.event(c, m))?;
    Ok(())
}

/// Waits for web fonts and two frames after the load event (capped at a second), so what the
/// page's script drew on load is on screen. Uses the browser's own timers: an html5 page's
/// `setTimeout` and `requestAnimationFrame` are reel's clock, which stands still.
const SETTLE: &str = "(() => { \
    const r = window.__reelReal || {raf: requestAnimationFrame.bind(window), timeout: setTimeout.bind(window)}; \
    return Promise.race([\
    document.fonts.ready.then(() => new Promise(ok => r.raf(() => r.raf(ok)))),\
    new Promise(ok => r.timeout(ok, 1000))]); })()";

/// Answers the page's requests from the gate (and reel's fonts and libraries from memory),
/// and keeps what its console reports.
struct Server<'a, 'g> {
    /// The page itself.
    doc: Vec<u8>,
    /// Font files, served at `/.reel/fonts/N`.
    fonts: Vec<FontBytes>,
    /// Libraries, served at `/.reel/js/NAME`.
    libs: Vec<jslib::Loaded>,
    /// What the page may read.
    gate: &'a Gate<'g>,
    /// Whether the load event fired.
    loaded: bool,
    /// When the screenshot must be done: no download starts after it.
    deadline: Instant,
    /// Console errors and uncaught exceptions.
    console: Console,
}

/// Most console messages kept from one page.
const MAX_CONSOLE: usize = 20;

impl Server<'_, '_> {
    fn event(&mut self, c: &mut cdp::Conn, m: &Json) {
        let params = &m["params"];
        match m.get("method").and_then(Json::as_str) {
            Some("Page.loadEventFired") => self.loaded = true,
            Some("Fetch.requestPaused") => self.request(c, params),
            Some("Runtime.consoleAPICalled") => {
                let kind = params["type"].as_str().unwrap_or("");
                if kind == "error" || kind == "assert" {
                    let text: Vec<String> = params["args"]
                        .as_array()
                        .map(Vec::as_slice)
                        .unwrap_or_default()
                        .iter()
                        .map(remote_text)
                        .collect();
                    self.note(format!("console.{kind}: {}", text.join(" ")));
                }
            }
            Some("Runtime.exceptionThrown") => {
                let d = &params["exceptionDetails"];
                let text = d["exception"]["description"]
                    .as_str()
                    .or(d["text"].as_str())
                    .unwrap_or("an exception");
                // The first line: the stack that follows names reel's own page.
                let first = text.lines().next().unwrap_or(text);
                self.note(format!("uncaught {first}"));
            }
            Some("Log.entryAdded") => {
                // Chromium refuses `file:` resources of an http page itself, before any request.
                let text = params["entry"]["text"].as_str().unwrap_or("");
                if let Some(url) = text.strip_prefix("Not allowed to load local resource: ") {
                    self.gate
                        .refuse(url.trim(), "local files are not read from html");
                }
                // WebSockets are not intercepted; the proxy wall stops them. Reported when the
                // failure comes before the screenshot (it is asynchronous).
                if let Some(rest) = text.strip_prefix("WebSocket connection to '")
                    && let Some((url, _)) = rest.split_once('\'')
                {
                    self.gate.refuse(url, "html pages open no WebSockets");
                }
            }
            _ => {}
        }
    }

    /// Keeps a console message (each once, at most [`MAX_CONSOLE`]).
    fn note(&mut self, text: String) {
        let errors = &mut self.console.errors;
        if errors.len() < MAX_CONSOLE && !errors.contains(&text) {
            errors.push(text);
        }
    }

    /// Fulfils or fails one intercepted request. Send errors surface at the next read.
    fn request(&mut self, c: &mut cdp::Conn, p: &Json) {
        let id = p["requestId"].clone();
        let url = p["request"]["url"].as_str().unwrap_or("");
        let kind = p["resourceType"].as_str().unwrap_or("");
        let access = self.gate.access;
        let reserved = url
            .strip_prefix(ORIGIN)
            .and_then(|p| p.strip_prefix(super::page::RESERVED));
        let found = if url == PAGE {
            Some((self.doc.clone(), "text/html; charset=utf-8"))
        } else if let Some(name) = reserved {
            self.reserved(name)
        } else if let Some(path) = url.strip_prefix(ORIGIN) {
            let path = path.split(['?', '#']).next().unwrap_or("/");
            if path == "/favicon.ico" {
                None
            } else {
                let f = self.gate.record(url, access.origin_path(path));
                f.map(|f| (f.bytes, mime(url, kind)))
            }
        } else if url.starts_with("data:") || url.starts_with("blob:") {
            let _ = c.send("Fetch.continueRequest", json!({"requestId": id}));
            return;
        } else if url.starts_with("http://") || url.starts_with("https://") {
            let fetched = if Instant::now() < self.deadline {
                access.remote(url)
            } else {
                Err("the page ran out of time".into())
            };
            let f = self.gate.record(url, fetched);
            f.map(|f| (f.bytes, mime(url, kind)))
        } else {
            self.gate.refuse(
                url,
                "only `http(s)://` URLs and the template's files are read",
            );
            None
        };
        let _ = match found {
            Some((bytes, mime)) => c.send(
                "Fetch.fulfillRequest",
                json!({"requestId": id, "responseCode": 200, "body": BASE64.encode(bytes),
                       "responseHeaders": [{"name": "Content-Type", "value": mime},
                                           {"name": "Access-Control-Allow-Origin", "value": "*"}]}),
            ),
            None => c.send(
                "Fetch.failRequest",
                json!({"requestId": id, "errorReason": "BlockedByClient"}),
            ),
        };
    }
}

impl Server<'_, '_> {
    /// One of reel's own resources: `fonts/N` or `js/NAME`.
    fn reserved(&self, name: &str) -> Option<(Vec<u8>, &'static str)> {
        if let Some(n) = name.strip_prefix("fonts/") {
            let font = self.fonts.get(n.parse::<usize>().ok()?)?;
            return Some(((**font).as_ref().to_vec(), "font/ttf"));
        }
        let file = name.strip_prefix("js/")?;
        let lib = self.libs.iter().find(|l| l.file == file)?;
        Some((lib.bytes.clone(), "text/javascript"))
    }
}

/// The text of a console argument (a `RemoteObject`). Pure.
fn remote_text(arg: &Json) -> String {
    match &arg["value"] {
        Json::String(s) => s.clone(),
        Json::Null => arg["description"]
            .as_str()
            .or(arg["type"].as_str())
            .unwrap_or("")
            .to_string(),
        v => v.to_string(),
    }
}

/// The content type of a resource, by its URL's extension, else by what the page asked for.
fn mime(url: &str, kind: &str) -> &'static str {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("avif") => "image/avif",
        Some("svg") => "image/svg+xml",
        Some("css") => "text/css",
        Some("js" | "mjs") => "text/javascript",
        Some("json") => "application/json",
        Some("woff") => "font/woff",
        Some("woff2") => "font/woff2",
        Some("ttf") => "font/ttf",
        Some("otf") => "font/otf",
        Some("html" | "htm") => "text/html; charset=utf-8",
        _ => match kind {
            "Stylesheet" => "text/css",
            "Script" => "text/javascript",
            "Document" => "text/html",
            _ => "application/octet-stream",
        },
    }
}

/// reel's own port that Chromium's proxy setting points at: it accepts connections and closes
/// them at once, so anything that escapes request interception reaches nothing.
struct DeadEnd {
    /// The port on 127.0.0.1.
    port: u16,
    /// Set when the screenshot is done.
    stop: Arc<AtomicBool>,
    /// The accepting thread.
    thread: Option<std::thread::JoinHandle<()>>,
}

impl DeadEnd {
    fn open() -> Result<DeadEnd, String> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(|e| e.to_string())?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                drop(conn);
                if flag.load(Ordering::Relaxed) {
                    break;
                }
            }
        });
        Ok(DeadEnd {
            port,
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for DeadEnd {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wakes the accepting thread so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_by_extension_then_by_request() {
        let cases = [
            ("http://reel.invalid/a/logo.PNG?v=1", "Image", "image/png"),
            ("https://h/x.svg#f", "Image", "image/svg+xml"),
            ("https://h/site.css", "Stylesheet", "text/css"),
            (
                "https://fonts.example/css2?family=X",
                "Stylesheet",
                "text/css",
            ),
            ("https://h/app", "Script", "text/javascript"),
            ("https://h/f.woff2", "Font", "font/woff2"),
            ("https://h/blob", "Image", "application/octet-stream"),
        ];
        for (url, kind, want) in cases {
            assert_eq!(mime(url, kind), want, "{url}");
        }
    }

    #[test]
    fn chromium_is_walled_off() {
        let flags = isolation_flags(4321, (64, 32));
        for f in [
            "--proxy-server=http://127.0.0.1:4321",
            "--proxy-bypass-list=<-loopback>",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--disable-background-networking",
            "--window-size=64,32",
        ] {
            assert!(flags.iter().any(|x| x == f), "{f} missing in {flags:?}");
        }
        assert_eq!(
            flags.iter().any(|x| x == "--no-sandbox"),
            running_as_root(),
            "the sandbox is only off as root"
        );
    }

    #[test]
    fn renders_or_explains_that_chromium_is_needed() {
        let page = Page {
            html: "<div style='width:100%;height:100%;background:#f00'></div>",
            css: None,
            js: None,
            background: None,
            position: None,
            size: (64, 32),
            html5: false,
        };
        let access = super::super::tests::test_access();
        let fonts = Fonts::bundled();
        match (
            find_browser(),
            render_html(&page, &fonts, &Gate::new(&access)),
        ) {
            (None, Err(e)) => assert!(e.message.contains("Chromium"), "{}", e.message),
            (Some(_), Ok((l, _))) => {
                assert_eq!((l.width, l.height), (64, 32));
                assert_eq!(l.image.pixel(32, 16).unwrap().red(), 255);
            }
            (b, r) => panic!(
                "browser {b:?} but result {:?}",
                r.map(|(l, _)| (l.width, l.height))
            ),
        }
    }
}
