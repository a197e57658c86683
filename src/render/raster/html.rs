//! `html` and `html5` assets: the markup is written to a temporary page and screenshotted by
//! headless Chromium into a transparent PNG. Without Chromium on `PATH`, a clear error.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tiny_skia::Pixmap;

use super::Layer;
use crate::diagnostics::Diagnostic;
use crate::edit::Position;

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

/// Screenshots `page` with headless Chromium.
pub(crate) fn render_html(page: &Page) -> Result<Layer, Diagnostic> {
    let browser = find_browser().ok_or_else(|| {
        Diagnostic::error("`html` assets need Chromium, which is not installed").with_help(
            "install `chromium` (for example `apt-get install chromium`) and put it on PATH",
        )
    })?;
    let dir = tempfile::tempdir().map_err(|e| {
        Diagnostic::error("cannot create a temporary folder for the html page")
            .with_note(e.to_string())
    })?;
    let input = dir.path().join("page.html");
    let output = dir.path().join("shot.png");
    std::fs::write(&input, document(page))
        .map_err(|e| Diagnostic::error("cannot write the html page").with_note(e.to_string()))?;
    screenshot(&browser, &input, &output, page.size)?;
    let pixmap = Pixmap::load_png(&output).map_err(|e| {
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
    let bg = page.background.unwrap_or("transparent");
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

fn screenshot(
    browser: &Path,
    input: &Path,
    output: &Path,
    (w, h): (u32, u32),
) -> Result<(), Diagnostic> {
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--disable-gpu",
        "--hide-scrollbars",
        "--mute-audio",
    ])
    .arg(format!("--screenshot={}", output.display()))
    .arg(format!("--window-size={w},{h}"))
    .arg("--default-background-color=00000000")
    .arg("--force-device-scale-factor=1")
    .arg(format!("file://{}", input.display()))
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    if running_as_root() {
        // Chromium refuses to start its sandbox as root (containers, CI).
        cmd.arg("--no-sandbox");
    }
    let mut child = cmd.spawn().map_err(|e| {
        Diagnostic::error(format!("cannot start `{}`", browser.display())).with_note(e.to_string())
    })?;
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Diagnostic::error(format!(
                    "the html page took longer than {} s to render in Chromium",
                    TIMEOUT.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(25)),
            Err(e) => {
                return Err(Diagnostic::error("lost track of Chromium").with_note(e.to_string()));
            }
        }
    };
    if !status.success() || !output.is_file() {
        return Err(Diagnostic::error(format!(
            "headless Chromium could not render the html page ({status})"
        )));
    }
    Ok(())
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
        match (find_browser(), render_html(&page)) {
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
