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
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value as Json, json};
use tiny_skia::Pixmap;

use super::{Layer, cdp};
use crate::diagnostics::Diagnostic;
use crate::edit::Position;
use crate::render::access::Gate;

/// The page's origin: the `.invalid` top-level domain never resolves, so only reel answers it.
const ORIGIN: &str = "http://reel.invalid";
/// The page's URL.
const PAGE: &str = "http://reel.invalid/";

/// How long one screenshot may take before Chromium is stopped.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Browser executables tried, in order.
const BROWSERS: &[&str] = &[
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];

/// One page to screenshot.
pub(crate) struct Page<'a> {
    /// Body markup.
    pub(crate) html: &'a str,
    /// Style sheet.
    pub(crate) css: Option<&'a str>,
    /// Script (html5).
    pub(crate) js: Option<&'a str>,
    /// Page background (CSS colour); transparent when absent.
    pub(crate) background: Option<&'a str>,
    /// Where the content sits in the page (html); flowing from the top left when absent.
    pub(crate) position: Option<Position>,
    /// Viewport and output size in pixels.
    pub(crate) size: (u32, u32),
}

/// Screenshots `page` with headless Chromium. Every request the page makes goes through
/// `gate` (see [`crate::render::access`]); refused ones are recorded there.
pub(crate) fn render_html(page: &Page, gate: &Gate<'_>) -> Result<Layer, Diagnostic> {
    let browser = find_browser().ok_or_else(|| {
        Diagnostic::error("`html` assets need Chromium, which is not installed").with_help(
            "install `chromium` (for example `apt-get install chromium`) and put it on PATH",
        )
    })?;
    let png = screenshot(&browser, &document(page), page.size, gate)?;
    let pixmap = Pixmap::decode_png(&png).map_err(|e| {
        Diagnostic::error("cannot read the screenshot Chromium made").with_note(e.to_string())
    })?;
    Ok(Layer::new(pixmap))
}

fn find_browser() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| BROWSERS.iter().map(move |b| dir.join(b)))
        .find(|p| p.is_file())
}

/// The full page: viewport-sized body, the CSS, the markup and the script.
fn document(page: &Page) -> String {
    let (w, h) = page.size;
    // The background is written into the style sheet: a value that could close the rule or
    // the element (it may come from data) is dropped.
    let bg = page
        .background
        .filter(|b| !b.contains(['<', '>', '{', '}', ';', '"', '\'', '\\']))
        .unwrap_or("transparent");
    let (justify, align) = page.position.map_or(("", ""), flex_position);
    let layout = if justify.is_empty() {
        String::new()
    } else {
        format!("display:flex;justify-content:{justify};align-items:{align};")
    };
    let script = page
        .js
        .map(|js| format!("<script>{js}</script>"))
        .unwrap_or_default();
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><style>\
         html,body{{margin:0;padding:0;width:{w}px;height:{h}px;overflow:hidden;background:transparent}}\
         body{{background:{bg};{layout}}}{css}</style></head><body>{html}{script}</body></html>",
        css = page.css.unwrap_or(""),
        html = page.html,
    )
}

fn flex_position(p: Position) -> (&'static str, &'static str) {
    use Position::*;
    let justify = match p {
        Left | TopLeft | BottomLeft => "flex-start",
        Right | TopRight | BottomRight => "flex-end",
        _ => "center",
    };
    let align = match p {
        Top | TopLeft | TopRight => "flex-start",
        Bottom | BottomLeft | BottomRight => "flex-end",
        _ => "center",
    };
    (justify, align)
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

/// Draws `doc` in a fresh headless Chromium and returns the PNG screenshot.
fn screenshot(
    browser: &Path,
    doc: &str,
    (w, h): (u32, u32),
    gate: &Gate<'_>,
) -> Result<Vec<u8>, Diagnostic> {
    let dead_end = DeadEnd::open()
        .map_err(|e| Diagnostic::error("cannot open a local port for Chromium").with_note(e))?;
    let flags = isolation_flags(dead_end.port, (w, h));
    let deadline = Instant::now() + TIMEOUT;
    let mut b = cdp::Browser::launch(browser, &flags, deadline)?;
    b.open_page()?;
    let mut server = Server {
        doc: doc.as_bytes(),
        gate,
        loaded: false,
        deadline,
    };
    prepare(&mut b, &mut server, (w, h))?;
    load(&mut b, &mut server)?;
    let shot = b.call(
        "Page.captureScreenshot",
        json!({"format": "png"}),
        &mut |c, m| server.event(c, m),
    )?;
    b.close();
    let data = shot.get("data").and_then(Json::as_str).unwrap_or("");
    BASE64.decode(data).map_err(|e| {
        Diagnostic::error("cannot read the screenshot Chromium made").with_note(e.to_string())
    })
}

/// Intercepts every request, sets the viewport and a transparent background.
fn prepare(
    b: &mut cdp::Browser,
    server: &mut Server<'_, '_>,
    (w, h): (u32, u32),
) -> Result<(), Diagnostic> {
    let setup = [
        ("Fetch.enable", json!({"patterns": [{"urlPattern": "*"}]})),
        ("Log.enable", json!({})),
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
    for (method, params) in setup {
        b.call(method, params, &mut |c, m| server.event(c, m))?;
    }
    Ok(())
}

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
/// page's script drew on load is on screen.
const SETTLE: &str = "Promise.race([\
    document.fonts.ready.then(() => new Promise(r => \
        requestAnimationFrame(() => requestAnimationFrame(r)))),\
    new Promise(r => setTimeout(r, 1000))])";

/// Answers the page's requests from the gate.
struct Server<'a, 'g> {
    /// The page itself.
    doc: &'a [u8],
    /// What the page may read.
    gate: &'a Gate<'g>,
    /// Whether the load event fired.
    loaded: bool,
    /// When the screenshot must be done: no download starts after it.
    deadline: Instant,
}

impl Server<'_, '_> {
    fn event(&mut self, c: &mut cdp::Conn, m: &Json) {
        let params = &m["params"];
        match m.get("method").and_then(Json::as_str) {
            Some("Page.loadEventFired") => self.loaded = true,
            Some("Fetch.requestPaused") => self.request(c, params),
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

    /// Fulfils or fails one intercepted request. Send errors surface at the next read.
    fn request(&mut self, c: &mut cdp::Conn, p: &Json) {
        let id = p["requestId"].clone();
        let url = p["request"]["url"].as_str().unwrap_or("");
        let kind = p["resourceType"].as_str().unwrap_or("");
        let access = self.gate.access;
        let found = if url == PAGE {
            Some((self.doc.to_vec(), "text/html; charset=utf-8"))
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
    fn page_holds_css_markup_script_and_position() {
        let page = Page {
            html: "<p>Hi</p>",
            css: Some("p{color:red}"),
            js: Some("1+1"),
            background: Some("#000"),
            position: Some(Position::BottomRight),
            size: (320, 180),
        };
        let doc = document(&page);
        for part in [
            "width:320px;height:180px",
            "p{color:red}",
            "<p>Hi</p>",
            "<script>1+1</script>",
            "background:#000",
            "justify-content:flex-end;align-items:flex-end",
        ] {
            assert!(doc.contains(part), "{part} missing in {doc}");
        }
        let hostile = Page {
            background: Some("red}</style><iframe src=x>"),
            ..page
        };
        assert!(!document(&hostile).contains("<iframe"));
    }

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
        };
        let access = super::super::tests::test_access();
        match (find_browser(), render_html(&page, &Gate::new(&access))) {
            (None, Err(e)) => assert!(e.message.contains("Chromium"), "{}", e.message),
            (Some(_), Ok(l)) => {
                assert_eq!((l.width, l.height), (64, 32));
                assert_eq!(l.image.pixel(32, 16).unwrap().red(), 255);
            }
            (b, r) => panic!(
                "browser {b:?} but result {:?}",
                r.map(|l| (l.width, l.height))
            ),
        }
    }
}
