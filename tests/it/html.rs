//! html, html5 and svg assets built from untrusted data (issue 15 item 1): data is escaped in
//! markup fields unless `| safe`; pages and svg images read nothing but the template's folder,
//! the edit's own assets and public URLs. Real binary, real Chromium, real ffmpeg; the beacon
//! is a real server on 127.0.0.1.

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tiny_skia::{Color, Pixmap};

use crate::util::{self, reel, run};

/// A server on 127.0.0.1 that records the first line of every request it gets.
struct Beacon {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl Beacon {
    fn start() -> Beacon {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (seen.clone(), stop.clone());
        std::thread::spawn(move || {
            while !st.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut conn, _)) => {
                        conn.set_nonblocking(false).unwrap();
                        conn.set_read_timeout(Some(Duration::from_millis(500))).ok();
                        let mut buf = [0u8; 512];
                        let n = conn.read(&mut buf).unwrap_or(0);
                        let text = String::from_utf8_lossy(&buf[..n]);
                        let line = text.lines().next().unwrap_or("(connection)").to_string();
                        s.lock().unwrap().push(line);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Beacon { port, seen, stop }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Beacon {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Writes a `w`×`h` PNG of one colour.
fn solid_png(path: &Path, (w, h): (u32, u32), rgb: [u8; 3]) {
    let mut p = Pixmap::new(w, h).unwrap();
    p.fill(Color::from_rgba8(rgb[0], rgb[1], rgb[2], 255));
    p.save_png(path).unwrap();
}

/// `reel render t.edit --data rows.json -o out` in `dir`, with a cache of its own.
fn render(dir: &Path) -> (i32, String) {
    let (code, _, err) = run(reel(dir).env("REEL_CACHE_DIR", dir.join("cache")).args([
        "render",
        "t.edit",
        "--data",
        "rows.json",
        "-o",
        "out",
    ]));
    (code, err)
}

/// The RGB of pixel (x, y) of an output PNG.
fn px(png: &Path, x: u32, y: u32) -> [u8; 3] {
    let p = Pixmap::load_png(png).unwrap_or_else(|e| panic!("{}: {e}", png.display()));
    let c = p.pixel(x, y).unwrap().demultiply();
    [c.red(), c.green(), c.blue()]
}

fn near(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter()
        .zip(b)
        .all(|(x, y)| (i32::from(*x) - i32::from(y)).abs() <= 24)
}

#[test]
fn html_from_data_reaches_no_server_and_shows_no_local_file() {
    if !util::have_ffmpeg() || !util::have_chromium() {
        return;
    }
    let beacon = Beacon::start();
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.html");
    std::fs::write(
        &secret,
        "<body style=\"margin:0;background:#00ff00\">SECRET</body>",
    )
    .unwrap();
    let b = format!("http://127.0.0.1:{}", beacon.port);
    let cell = format!(
        "<iframe src=\"file://{}\" style=\"position:absolute;left:0;top:0;width:160px;\
         height:90px;border:0\"></iframe><img src={b}/img>\
         <iframe srcdoc=\"<img src={b}/srcdoc>\"></iframe>\
         <iframe src=\"data:text/html,<img src={b}/data-frame>\"></iframe>\
         <iframe src=\"{b}/frame\"></iframe>",
        secret.display()
    );
    let rows = serde_json::json!([{
        "cell": cell,
        "css": format!("body{{background-image:url({b}/css)}}"),
        "js": format!(
            "fetch('{b}/fetch'); new Image().src = '{b}/js-img'; \
             new WebSocket('ws://127.0.0.1:{}/ws');",
            beacon.port
        ),
    }]);
    std::fs::write(dir.path().join("rows.json"), rows.to_string()).unwrap();
    std::fs::write(
        dir.path().join("t.edit"),
        "output png 160x90\nbackground \"#0000ff\"\ntrack {\n  \
         html5 \"{{ cell | safe }}\" css=\"{{ css | safe }}\" js=\"{{ js | safe }}\" for 1\n}\n",
    )
    .unwrap();
    let (code, err) = render(dir.path());
    assert_eq!(code, 0, "{err}");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        beacon.seen(),
        Vec::<String>::new(),
        "the beacon was reached"
    );
    for refused in [
        format!("may not read `file://{}`", secret.display()),
        format!("may not read `{b}/img`"),
        format!("may not read `{b}/css`"),
        format!("may not read `{b}/fetch`"),
    ] {
        assert!(err.contains(&refused), "no warning `{refused}` in:\n{err}");
    }
    assert!(err.contains("in clip 1 of track 1"), "{err}");
    let out = dir.path().join("out/row-0001.png");
    for (x, y) in [(80, 45), (10, 10), (150, 80)] {
        let c = px(&out, x, y);
        assert!(
            !near(c, [0, 255, 0]),
            "the local file shows at ({x}, {y}): {c:?}"
        );
    }
}

#[test]
fn escaped_markup_shows_as_text_and_safe_draws_it() {
    if !util::have_ffmpeg() || !util::have_chromium() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let red = "<div style=\"width:160px;height:90px;background:#ff0000\"></div>";
    let rows = serde_json::json!([{"cell": red, "safe": "no"}, {"cell": red, "safe": "yes"}]);
    std::fs::write(dir.path().join("rows.json"), rows.to_string()).unwrap();
    std::fs::write(
        dir.path().join("t.edit"),
        "output png 160x90\nbackground \"#000000\"\ntrack {\n  if safe == \"yes\" {\n    \
         html \"{{ cell | safe }}\" background=\"#ffffff\" for 1\n  } else {\n    \
         html \"{{ cell }}\" background=\"#ffffff\" for 1\n  }\n}\n",
    )
    .unwrap();
    let (code, err) = render(dir.path());
    assert_eq!(code, 0, "{err}");
    let escaped = px(&dir.path().join("out/row-0001.png"), 80, 60);
    assert!(
        !near(escaped, [255, 0, 0]),
        "escaped markup drew a red block: {escaped:?}"
    );
    let text = Pixmap::load_png(dir.path().join("out/row-0001.png")).unwrap();
    let dark = text.pixels().iter().filter(|p| p.red() < 100).count();
    assert!(
        dark > 50,
        "no text drawn for the escaped markup ({dark} dark pixels)"
    );
    let safe = px(&dir.path().join("out/row-0002.png"), 80, 45);
    assert!(
        near(safe, [255, 0, 0]),
        "`| safe` markup is not drawn: {safe:?}"
    );
}

#[test]
fn html_reads_images_from_the_template_folder() {
    if !util::have_ffmpeg() || !util::have_chromium() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    solid_png(&dir.path().join("logo.png"), (16, 16), [255, 0, 0]);
    let rows = serde_json::json!([{"name": "logo"}]);
    std::fs::write(dir.path().join("rows.json"), rows.to_string()).unwrap();
    std::fs::write(
        dir.path().join("t.edit"),
        "output png 160x90\ntrack {\n  \
         html \"\"\"<img src=\"{{ name }}.png\" style=\"width:160px;height:90px;display:block\">\"\"\" for 1\n}\n",
    )
    .unwrap();
    let (code, err) = render(dir.path());
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("may not read"), "{err}");
    let c = px(&dir.path().join("out/row-0001.png"), 80, 45);
    assert!(
        near(c, [255, 0, 0]),
        "the template's image is not drawn: {c:?}"
    );
    let manifest = std::fs::read_to_string(dir.path().join("out/.reel-manifest.json")).unwrap();
    assert!(manifest.contains("logo.png"), "{manifest}");
}

#[test]
fn svg_image_from_data_outside_the_folder_is_refused_and_inside_is_read() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.png");
    solid_png(&secret, (16, 16), [0, 255, 0]);
    solid_png(&dir.path().join("logo.png"), (16, 16), [255, 0, 0]);
    let rows = serde_json::json!([
        {"href": secret.display().to_string()},
        {"href": format!("file://{}", secret.display())},
        {"href": "logo.png"},
    ]);
    std::fs::write(dir.path().join("rows.json"), rows.to_string()).unwrap();
    std::fs::write(
        dir.path().join("t.edit"),
        "output png 160x90\nbackground \"#0000ff\"\ntrack {\n  svg \"\"\"<svg xmlns=\"http://www.w3.org/2000/svg\" \
         width=\"160\" height=\"90\"><image href=\"{{ href }}\" width=\"160\" height=\"90\" \
         preserveAspectRatio=\"none\"/></svg>\"\"\" for 1\n}\n",
    )
    .unwrap();
    let (code, err) = render(dir.path());
    assert_eq!(code, 0, "{err}");
    let abs = format!("the svg may not read `{}`", secret.display());
    let url = format!("the svg may not read `file://{}`", secret.display());
    assert!(err.contains(&abs), "{err}");
    assert!(err.contains(&url), "{err}");
    for row in ["row-0001.png", "row-0002.png"] {
        let c = px(&dir.path().join("out").join(row), 80, 45);
        assert!(near(c, [0, 0, 255]), "{row}: the outside file shows: {c:?}");
    }
    let c = px(&dir.path().join("out/row-0003.png"), 80, 45);
    assert!(
        near(c, [255, 0, 0]),
        "the template's image is not drawn: {c:?}"
    );
    let manifest = std::fs::read_to_string(dir.path().join("out/.reel-manifest.json")).unwrap();
    assert!(manifest.contains("logo.png"), "{manifest}");
    assert!(!manifest.contains("secret.png"), "{manifest}");
}

#[test]
fn markup_fields_escape_data_unless_safe() {
    let dir = tempfile::tempdir().unwrap();
    let rows = serde_json::json!([{"cell": "<b>\"x\" & 'y'</b>"}]);
    std::fs::write(dir.path().join("rows.json"), rows.to_string()).unwrap();
    std::fs::write(
        dir.path().join("t.edit"),
        "output mp4 sd\ntrack {\n  html \"<p>{{ cell }}</p>\" css=\"p::after{content:'{{ cell }}'}\" for 1\n  \
         html \"{{ cell | safe }}\" for 1\n  html5 cell js=\"{{ cell | upper }}\" for 1\n  \
         svg \"<svg>{{ cell }}</svg>\" for 1\n  text \"{{ cell }}\" for 1\n}\n",
    )
    .unwrap();
    let (code, out, err) =
        run(reel(dir.path()).args(["build", "t.edit", "--data", "rows.json", "--jsonl"]));
    assert_eq!(code, 0, "{err}");
    let edit: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let asset = |i: usize| edit["timeline"]["tracks"][0]["clips"][i]["asset"].clone();
    let esc = "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;";
    assert_eq!(asset(0)["html"], format!("<p>{esc}</p>"));
    assert_eq!(asset(0)["css"], format!("p::after{{content:'{esc}'}}"));
    assert_eq!(asset(1)["html"], "<b>\"x\" & 'y'</b>");
    assert_eq!(asset(2)["html"], esc);
    assert_eq!(
        asset(2)["js"],
        "&lt;B&gt;&quot;X&quot; &amp; &#39;Y&#39;&lt;/B&gt;"
    );
    assert_eq!(asset(3)["src"], format!("<svg>{esc}</svg>"));
    assert_eq!(asset(4)["text"], "<b>\"x\" & 'y'</b>");

    // Shotstack JSON templates: merge fields in markup are escaped too.
    let json = serde_json::json!({
        "timeline": {"tracks": [{"clips": [
            {"asset": {"type": "html", "html": "<p>{{ CELL }}</p>", "css": "{{CELL | safe}}"},
             "start": 0, "length": 1},
            {"asset": {"type": "title", "text": "{{ CELL }}"}, "start": 0, "length": 1}
        ]}]},
        "output": {"format": "mp4", "resolution": "sd"},
        "merge": [{"find": "CELL", "replace": "<i>a&b</i>"}]
    });
    std::fs::write(dir.path().join("t.json"), json.to_string()).unwrap();
    let (code, out, err) = run(reel(dir.path()).args(["build", "t.json", "--jsonl"]));
    assert_eq!(code, 0, "{err}");
    let edit: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let clips = &edit["timeline"]["tracks"][0]["clips"];
    assert_eq!(
        clips[0]["asset"]["html"],
        "<p>&lt;i&gt;a&amp;b&lt;/i&gt;</p>"
    );
    assert_eq!(clips[0]["asset"]["css"], "<i>a&b</i>");
    assert_eq!(clips[1]["asset"]["text"], "<i>a&b</i>");
}

#[test]
fn html5_script_still_runs() {
    if !util::have_ffmpeg() || !util::have_chromium() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rows.json"), r##"[{"colour": "#ff0000"}]"##).unwrap();
    std::fs::write(
        dir.path().join("t.edit"),
        "output png 160x90\ntrack {\n  html5 \"<div id=box></div>\" \
         css=\"#box{width:160px;height:90px}\" \
         js=\"document.getElementById('box').style.background = '{{ colour }}'\" for 1\n}\n",
    )
    .unwrap();
    let (code, err) = render(dir.path());
    assert_eq!(code, 0, "{err}");
    let c = px(&dir.path().join("out/row-0001.png"), 80, 45);
    assert!(near(c, [255, 0, 0]), "the script did not run: {c:?}");
}
