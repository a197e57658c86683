//! Integration tests: the studio page of `reel watch --serve`, driven over HTTP and in headless
//! Chromium through the DevTools protocol (a pipe on fds 3 and 4, as `src/render/raster/cdp.rs`
//! does): rows and their data, a failed row, stills of the right moment while scrubbing, and
//! live updates after a save without a reload.

use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine;
use reel::render::raster::cdp;
use serde_json::{Value as Json, json};

use crate::util;
use crate::watch::{Watch, chromium, edit, http_get, png, rendered};

/// How long one DevTools command may wait for its reply.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// A row per colour; the picture shows for the first second, then blue for the next.
const TEMPLATE: &str = r##"// Studio test: the picture until 1 s, then blue.
output mp4 160x90 fps=12
background "#000000"
name "{{ id }}"
data "rows.csv"

track {
  image picture at 0 for 1 fit=crop
  image "blue.png" at 1 for 1 fit=crop
}
"##;

fn studio_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.edit"), TEMPLATE).unwrap();
    std::fs::write(
        dir.path().join("rows.csv"),
        "id,title,picture\na,Hello,red.png\nb,World,green.png\nc,Broken,missing.png\n",
    )
    .unwrap();
    for (name, color) in [("red", "red"), ("green", "lime"), ("blue", "blue")] {
        png(&dir.path().join(format!("{name}.png")), color);
    }
    dir
}

/// The centre pixel (RGB) of a PNG.
fn centre(bytes: &[u8]) -> [u8; 3] {
    let mut dec = png::Decoder::new(std::io::Cursor::new(bytes));
    dec.set_transformations(png::Transformations::EXPAND);
    let mut reader = dec.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let at = ((info.height / 2 * info.width + info.width / 2) as usize) * channels;
    [buf[at], buf[at + 1], buf[at + 2]]
}

fn near(got: [u8; 3], want: [u8; 3]) -> bool {
    got.iter().zip(want).all(|(g, w)| g.abs_diff(w) < 40)
}

/// Starts `reel watch --serve` on the studio project; returns it and the page URL after the
/// first build.
fn start(dir: &Path) -> (Watch, String) {
    let args = ["t.edit", "-o", "out", "--serve", "--port", "0"];
    let mut w = Watch::start(dir, &args);
    let line = w.wait_for("serving the latest renders at http://127.0.0.1:");
    let url = line.rsplit(' ').next().unwrap().to_string();
    let first = w.build();
    assert_eq!(rendered(&first), ["a.mp4", "b.mp4"], "{first:?}");
    (w, url)
}

fn state(url: &str) -> Json {
    let (head, body) = http_get(&format!("{url}api/state"));
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    serde_json::from_slice(&body).unwrap()
}

#[test]
fn the_state_lists_rows_and_a_scrub_returns_the_right_moment() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = studio_project();
    let (_w, url) = start(dir.path());
    let s = state(&url);
    let rows = s["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{s}");
    assert_eq!(
        rows[0]["values"],
        json!([["id", "a"], ["title", "Hello"], ["picture", "red.png"]])
    );
    assert_eq!(rows[0]["state"], "rendered", "{s}");
    assert_eq!(rows[2]["state"], "failed", "{s}");
    assert!(
        rows[2]["error"].as_str().unwrap().contains("missing.png"),
        "{s}"
    );
    let diags = s["diagnostics"].as_str().unwrap();
    assert!(
        diags.contains("<mark>") && diags.contains("t.edit:"),
        "{diags}"
    );
    // Scrubbing: stills of the moment asked for, before and after the change at 1 s.
    let rev = s["version"].as_u64().unwrap();
    let still = |row: usize, t: f64| {
        let started = Instant::now();
        let (head, body) = http_get(&format!("{url}api/still?row={row}&t={t}&rev={rev}"));
        assert!(head.contains("Content-Type: image/png"), "{head}");
        (centre(&body), started.elapsed().as_secs_f64())
    };
    let (px, cold) = still(1, 0.5);
    assert!(near(px, [255, 0, 0]), "row 1 at 0.5 s is red: {px:?}");
    let (px, warm) = still(1, 1.5);
    assert!(near(px, [0, 0, 255]), "row 1 at 1.5 s is blue: {px:?}");
    let (px, _) = still(2, 0.25);
    assert!(near(px, [0, 255, 0]), "row 2 at 0.25 s is green: {px:?}");
    let (px, cached) = still(1, 0.5);
    assert!(near(px, [255, 0, 0]), "{px:?}");
    eprintln!("scrub: cold {cold:.3} s, warm {warm:.3} s, cached {cached:.3} s");
    // The timeline: two clips on one track, with their template lines.
    let (_, body) = http_get(&format!("{url}api/timeline?row=1"));
    let tl: Json = serde_json::from_slice(&body).unwrap();
    let clips = &tl["tracks"][0]["clips"];
    assert_eq!(clips[1]["start"], 1.0, "{tl}");
    assert_eq!(clips[1]["line"], 9, "{tl}");
    assert!(
        clips[1]["source"].as_str().unwrap().contains("blue.png"),
        "{tl}"
    );
    // A row that does not build has no still, said plainly.
    let (head, body) = http_get(&format!("{url}api/still?row=3&t=0"));
    assert!(head.starts_with("HTTP/1.1 422"), "{head}");
    assert!(String::from_utf8_lossy(&body).contains("missing.png"));
}

/// Headless Chromium on a page, driven through reel's own DevTools client.
struct Browser(cdp::Browser);

impl Browser {
    fn launch(exe: &Path) -> Browser {
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ]
        .map(String::from);
        let deadline = Instant::now() + CALL_TIMEOUT;
        let mut b = cdp::Browser::launch(exe, &args, deadline).expect("start chromium");
        b.open_page().expect("a page in chromium");
        Browser(b)
    }

    /// Sends a command and returns its result (events are ignored), waiting at most
    /// [`CALL_TIMEOUT`] for the reply.
    fn call(&mut self, method: &str, params: Json) -> Json {
        self.0.set_deadline(Instant::now() + CALL_TIMEOUT);
        self.0
            .call(method, params, &mut |_, _| {})
            .unwrap_or_else(|d| panic!("{method}: {}", d.message))
    }

    /// Evaluates `expr` in the page and returns its value.
    fn eval(&mut self, expr: &str) -> Json {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expr, "returnByValue": true, "awaitPromise": true}),
        );
        r["result"]["value"].clone()
    }

    /// Waits until `expr` is true in the page.
    fn wait_until(&mut self, expr: &str, what: &str) {
        let until = Instant::now() + Duration::from_secs(90);
        while Instant::now() < until {
            if self.eval(expr) == Json::Bool(true) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let dom = self.eval("document.body.outerHTML");
        panic!("{what}: not seen in the page:\n{dom}");
    }
}

#[test]
fn the_page_shows_rows_scrubs_and_follows_saves_without_reloading() {
    if !util::have_ffmpeg() {
        return;
    }
    let Some(exe) = chromium() else {
        return;
    };
    let dir = studio_project();
    let (mut w, url) = start(dir.path());
    let mut b = Browser::launch(&exe);
    b.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 1100, "height": 640, "deviceScaleFactor": 1, "mobile": false}),
    );
    b.call("Page.navigate", json!({"url": url}));
    b.wait_until(
        "document.querySelectorAll('#rows li').length === 3",
        "three rows",
    );
    let rows = b.eval("[...document.querySelectorAll('#rows li')].map(li => li.dataset.state + ' ' + li.innerText.replace(/\\s+/g, ' '))");
    let rows: Vec<String> = serde_json::from_value(rows).unwrap();
    assert!(
        rows[0].starts_with("rendered") && rows[0].contains("Hello"),
        "{rows:?}"
    );
    assert!(
        rows[1].contains("World") && rows[1].contains("green.png"),
        "{rows:?}"
    );
    assert!(
        rows[2].starts_with("failed") && rows[2].contains("missing.png"),
        "{rows:?}"
    );
    b.wait_until(
        "document.querySelector('#diagnostics mark') !== null",
        "diagnostics as HTML",
    );
    // The timeline of row 1 and a scrub to 1.5 s: the blue clip is under the playhead, its
    // template line is shown, and the still in the page is blue.
    b.wait_until(
        "document.querySelectorAll('.clip').length === 2",
        "the timeline",
    );
    b.eval("const s = document.querySelector('#scrub'); s.value = 1.5; s.dispatchEvent(new Event('input')); true");
    b.wait_until(
        "document.querySelector('#still').dataset.t === '1.500' && document.querySelector('#still').complete",
        "the still at 1.5 s",
    );
    let active = b.eval("document.querySelector('.clip.active').innerText");
    assert_eq!(active, "image: blue.png");
    let source = b.eval("document.querySelector('#source').innerText");
    assert!(source.as_str().unwrap().contains("t.edit:9"), "{source}");
    // Everything fits the viewport.
    let fits =
        b.eval("document.querySelector('#stage').getBoundingClientRect().bottom <= innerHeight");
    assert_eq!(fits, Json::Bool(true));
    let shot = b.call("Page.captureScreenshot", json!({"format": "png"}));
    let shot = base64::engine::general_purpose::STANDARD
        .decode(shot["data"].as_str().unwrap())
        .unwrap();
    // The page's still at 1.5 s, as the browser drew it: blue.
    let px = b.eval("(() => { const i = document.querySelector('#still'); const c = document.createElement('canvas'); c.width = i.naturalWidth; c.height = i.naturalHeight; const x = c.getContext('2d'); x.drawImage(i, 0, 0); return [...x.getImageData(c.width / 2, c.height / 2, 1, 1).data]; })()");
    assert!(
        near(
            [
                px[0].as_u64().unwrap() as u8,
                px[1].as_u64().unwrap() as u8,
                px[2].as_u64().unwrap() as u8
            ],
            [0, 0, 255]
        ),
        "{px}"
    );
    if std::env::var_os("REEL_UPDATE_SCREENSHOT").is_some() {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/studio.png");
        std::fs::write(docs, &shot).unwrap();
    }
    // A save: row 1's picture changes; the page shows it without reloading.
    let load_id = b.eval("document.body.dataset.loadId");
    edit(
        &dir.path().join("rows.csv"),
        "a,Hello,red.png",
        "a,Hello,green.png",
    );
    let lines = w.build_that_renders();
    assert_eq!(rendered(&lines), ["a.mp4"], "{lines:?}");
    b.wait_until(
        "document.querySelector('#rows li').innerText.includes('green.png') && document.querySelector('#rows li').innerText.includes('picture changed')",
        "row 1 after the save",
    );
    assert_eq!(b.eval("document.body.dataset.loadId"), load_id, "no reload");
}

/// Writes a solid `color` PNG to `path` the way an editor saves: beside it, then renamed.
fn save_png(path: &Path, color: &str) {
    let tmp = path.with_extension("saving.png");
    png(&tmp, color);
    std::fs::rename(&tmp, path).unwrap();
}

#[test]
fn a_still_after_an_asset_or_template_save_shows_it_even_during_the_build() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = studio_project();
    let (mut w, url) = start(dir.path());
    // The page asks with the version of the build it last saw, which a running build has not
    // bumped yet.
    let rev = state(&url)["version"].as_u64().unwrap();
    let still = |t: f64| {
        let (head, body) = http_get(&format!("{url}api/still?row=1&t={t}&rev={rev}"));
        assert!(head.contains("Content-Type: image/png"), "{head}");
        centre(&body)
    };
    let px = still(0.5);
    assert!(near(px, [255, 0, 0]), "row 1 at 0.5 s is red: {px:?}");
    // Scrubbing back over the moment is answered from the cache, still red.
    assert!(near(still(0.5), [255, 0, 0]));
    save_png(&dir.path().join("red.png"), "yellow");
    let building = state(&url)["version"].as_u64().unwrap() == rev;
    let px = still(0.5);
    assert!(
        near(px, [255, 255, 0]),
        "the saved picture, not the cached still: {px:?}"
    );
    eprintln!("asked while the build had not finished: {building}");
    let lines = w.build_that_renders();
    assert_eq!(rendered(&lines), ["a.mp4"], "{lines:?}");
    assert!(near(still(0.5), [255, 255, 0]));
    // A template save is seen by the next still too (the loaded template is kept only while
    // its file is unchanged).
    assert!(near(still(1.5), [0, 0, 255]));
    edit(
        &dir.path().join("t.edit"),
        "image \"blue.png\"",
        "image \"green.png\"",
    );
    let px = still(1.5);
    assert!(near(px, [0, 255, 0]), "the saved template: {px:?}");
    let lines = w.build_that_renders();
    assert_eq!(rendered(&lines), ["a.mp4", "b.mp4"], "{lines:?}");
}

/// A one-row project whose output is `size` (`180x320`): red until 1 s, then blue.
fn shaped_project(size: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let template = format!(
        "output mp4 {size} fps=12\nbackground \"#ff0000\"\nname \"{{{{ id }}}}\"\ndata \"rows.csv\"\n\ntrack {{\n  image \"blue.png\" at 1 for 1 fit=crop\n}}\n"
    );
    std::fs::write(dir.path().join("t.edit"), template).unwrap();
    std::fs::write(dir.path().join("rows.csv"), "id\nshape\n").unwrap();
    png(&dir.path().join("blue.png"), "blue");
    dir
}

/// Where the picture of `#id` (a video or an image, drawn with `object-fit: contain`) is on
/// the page: `[element box, picture box, viewport]`, boxes as `[left, top, right, bottom]`.
const PICTURE_BOX: &str = r#"((id) => {
  const e = document.getElementById(id);
  const r = e.getBoundingClientRect();
  const nw = e.videoWidth || e.naturalWidth, nh = e.videoHeight || e.naturalHeight;
  const s = Math.min(r.width / nw, r.height / nh);
  const w = nw * s, h = nh * s;
  const x = r.left + (r.width - w) / 2, y = r.top + (r.height - h) / 2;
  return [[r.left, r.top, r.right, r.bottom], [x, y, x + w, y + h], [innerWidth, innerHeight]];
})"#;

/// Checks that the picture of `#id` fits the viewport whole and is not shrunk to a stamp.
fn assert_fits(b: &mut Browser, id: &str, size: &str) {
    let boxes = b.eval(&format!("{PICTURE_BOX}('{id}')"));
    let f = |i: usize, j: usize| boxes[i][j].as_f64().unwrap();
    let (vw, vh) = (f(2, 0), f(2, 1));
    for (i, what) in [(0, "element"), (1, "picture")] {
        assert!(
            f(i, 0) >= 0.0 && f(i, 1) >= 0.0 && f(i, 2) <= vw + 0.5 && f(i, 3) <= vh + 0.5,
            "{size}: the {what} of #{id} leaves the {vw}x{vh} viewport: {boxes}"
        );
    }
    let (w, h) = (f(1, 2) - f(1, 0), f(1, 3) - f(1, 1));
    assert!(
        w.max(h) >= 0.5 * vh,
        "{size}: #{id} is drawn only {w:.0}x{h:.0}: {boxes}"
    );
    eprintln!("{size}: #{id} drawn {w:.0}x{h:.0} in {vw}x{vh}");
}

#[test]
fn portrait_and_square_outputs_fit_the_viewport() {
    if !util::have_ffmpeg() {
        return;
    }
    let Some(exe) = chromium() else {
        return;
    };
    let mut b = Browser::launch(&exe);
    b.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 1280, "height": 720, "deviceScaleFactor": 1, "mobile": false}),
    );
    for size in ["180x320", "320x320"] {
        let dir = shaped_project(size);
        let args = ["t.edit", "-o", "out", "--serve", "--port", "0"];
        let mut w = Watch::start(dir.path(), &args);
        let line = w.wait_for("serving the latest renders at http://127.0.0.1:");
        let url = line.rsplit(' ').next().unwrap().to_string();
        assert_eq!(rendered(&w.build()), ["shape.mp4"]);
        b.call("Page.navigate", json!({"url": url}));
        b.wait_until(
            "document.querySelector('#video').readyState >= 1 && document.querySelector('#video').videoWidth > 0",
            "the video's size",
        );
        assert_fits(&mut b, "video", size);
        b.wait_until(
            "document.querySelectorAll('.clip').length === 1",
            "the timeline",
        );
        b.eval("const s = document.querySelector('#scrub'); s.value = 1.5; s.dispatchEvent(new Event('input')); true");
        b.wait_until(
            "document.querySelector('#still').dataset.t === '1.500' && document.querySelector('#still').complete && document.querySelector('#still').naturalWidth > 0",
            "the still at 1.5 s",
        );
        assert_fits(&mut b, "still", size);
    }
}
