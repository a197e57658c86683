//! Remote media offline and checked: `--url-map` / `url-map`, `reel assets`, `reel check
//! --fetch`, against a real HTTP server on 127.0.0.1.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use crate::util::{self, reel, run};

/// A server on 127.0.0.1 that records `METHOD PATH` of every request and answers: `/ok.png`
/// 200 to HEAD and GET; `/nohead.png` 405 to HEAD, 206 to GET; anything else 404.
struct Server {
    base: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        std::thread::spawn(move || {
            for mut conn in listener.incoming().map_while(Result::ok) {
                let mut buf = [0u8; 4096];
                let n = conn.read(&mut buf).unwrap_or(0);
                let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                let mut words = text.split_whitespace();
                let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
                s.lock().unwrap().push(format!("{method} {path}"));
                let status = match (method, path) {
                    (_, "/ok.png") => "200 OK",
                    ("HEAD", "/nohead.png") => "405 Method Not Allowed",
                    (_, "/nohead.png") => "206 Partial Content",
                    _ => "404 Not Found",
                };
                let body = if method == "HEAD" { "" } else { "x" };
                let reply = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(reply.as_bytes());
            }
        });
        Server { base, seen }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

fn red_png(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let ok = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "color=c=red:s=64x64",
        ])
        .args(["-frames:v", "1"])
        .arg(path)
        .status()
        .unwrap();
    assert!(ok.success());
}

/// The centre pixel of the first frame of `video`.
fn centre(video: &Path, w: u32, h: u32) -> [u8; 3] {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(video)
        .args(["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .unwrap();
    let i = (((h / 2) * w + w / 2) * 3) as usize;
    [out.stdout[i], out.stdout[i + 1], out.stdout[i + 2]]
}

/// A `url-map` statement (DIR relative to the template) renders a remote image from a local
/// file: the picture is red, and the server (which would answer 404) is never asked.
#[test]
fn url_map_statement_renders_remote_media_from_a_local_folder() {
    if !util::have_ffmpeg() {
        return;
    }
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    red_png(&dir.path().join("media/pics/red.png"));
    let edit = format!(
        "url-map \"{0}/cdn/\" \"media\"\noutput mp4 320x180 fps=25\ntrack {{\n  image \"{0}/cdn/pics/red.png?v=2\" at 0 for 0.4 fit=cover\n}}\n",
        server.base
    );
    std::fs::write(dir.path().join("t.edit"), edit).unwrap();
    let (code, _, err) = run(reel(dir.path())
        .args(["render", "t.edit", "-o", "out"])
        .env("REEL_CACHE_DIR", dir.path().join("cache")));
    assert_eq!(code, 0, "{err}");
    let video = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "mp4"))
        .expect("a video");
    let px = centre(&video, 320, 180);
    assert!(px[0] > 200 && px[1] < 50 && px[2] < 50, "{px:?}");
    assert!(server.seen().is_empty(), "{:?}", server.seen());
}

/// `--url-map PREFIX=DIR` on `graph`: the ffmpeg command reads the mapped file; an unmapped
/// template fails to download from the server (404) instead.
#[test]
fn url_map_flag_reads_the_mapped_file() {
    if !util::have_ffmpeg() {
        return;
    }
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    red_png(&dir.path().join("local/red.png"));
    let edit = format!(
        "output mp4 320x180\ntrack {{\n  image \"{}/x/red.png\" at 0 for 1\n}}\n",
        server.base
    );
    std::fs::write(dir.path().join("t.edit"), edit).unwrap();
    let map = format!("{}/x/=local", server.base);
    let (code, out, err) = run(reel(dir.path())
        .args(["graph", "t.edit", "--url-map", &map])
        .env("REEL_CACHE_DIR", dir.path().join("cache")));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("local/red.png"), "{out}");
    assert!(server.seen().is_empty(), "{:?}", server.seen());
    // A mapped file that is not there is an error at the clip naming the file; no download.
    let gone = format!("{}/x/=nowhere", server.base);
    let (code, _, err) = run(reel(dir.path())
        .args(["graph", "t.edit", "--url-map", &gone])
        .env("REEL_CACHE_DIR", dir.path().join("cache")));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("url-map reads it from nowhere/red.png"),
        "{err}"
    );
    assert!(err.contains("t.edit:3:9"), "{err}");
    assert!(server.seen().is_empty(), "{:?}", server.seen());
    let (code, _, err) = run(reel(dir.path())
        .args(["graph", "t.edit"])
        .env("REEL_CACHE_DIR", dir.path().join("cache")));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("404"), "{err}");
    assert_eq!(server.seen(), ["GET /x/red.png"]);
}

/// `reel assets --json`: each remote URL once, with its state and file.
#[test]
fn assets_lists_mapped_cached_and_missing_urls() {
    let dir = tempfile::tempdir().unwrap();
    let cache_dir = dir.path().join("cache");
    let base = "https://cdn.example.com";
    std::fs::create_dir_all(dir.path().join("media")).unwrap();
    std::fs::write(dir.path().join("media/a.png"), "png").unwrap();
    let cached = format!("{base}/other/b.png");
    let cache = reel::render::cache::Cache::new(&cache_dir);
    let cache_file = reel::render::fetch::cache_path(&cached, &cache);
    std::fs::create_dir_all(cache_file.parent().unwrap()).unwrap();
    std::fs::write(&cache_file, "png").unwrap();
    let edit = format!(
        "output mp4 sd\nsoundtrack \"{base}/m.mp3\"\ntrack {{\n  image \"{base}/map/a.png\" at 0 for 1\n  image \"{cached}\" at 1 for 1\n  image \"{base}/map/a.png\" at 2 for 1\n}}\n"
    );
    std::fs::write(dir.path().join("t.edit"), edit).unwrap();
    let map = format!("{base}/map/=media");
    let (code, out, err) = run(reel(dir.path())
        .args(["assets", "t.edit", "--json", "--url-map", &map])
        .env("REEL_CACHE_DIR", &cache_dir));
    assert_eq!(code, 0, "{err}");
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows: Vec<(String, String, bool)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let url = a["url"].as_str().unwrap().to_string();
            (
                url,
                a["state"].as_str().unwrap().into(),
                a["exists"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (format!("{base}/m.mp3"), "missing".into(), false),
            (format!("{base}/map/a.png"), "mapped".into(), true),
            (cached.clone(), "cached".into(), true),
        ]
    );
    assert_eq!(
        list[2]["path"].as_str().unwrap(),
        cache_file.to_str().unwrap()
    );
    let (code, out, _) = run(reel(dir.path())
        .args(["assets", "t.edit", "--url-map", &map])
        .env("REEL_CACHE_DIR", &cache_dir));
    assert_eq!(code, 0);
    assert!(
        out.starts_with("missing  https://cdn.example.com/m.mp3\n"),
        "{out}"
    );
}

/// `reel check --fetch`: a 404 and a closed port are errors at their clip; a server that
/// refuses HEAD but answers a ranged GET is fine; each URL is asked once.
#[test]
fn check_fetch_reports_unreachable_urls_at_the_clip() {
    let server = Server::start();
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let b = &server.base;
    let edit = format!(
        "output mp4 sd\ntrack {{\n  image \"{b}/ok.png\" at 0 for 1\n  image \"{b}/nohead.png\" at 1 for 1\n  image \"{b}/gone.png\" at 2 for 1\n  image \"http://127.0.0.1:{closed}/c.png\" at 3 for 1\n  image \"{b}/ok.png\" at 4 for 1\n}}\n"
    );
    std::fs::write(dir.path().join("t.edit"), edit).unwrap();
    let (code, _, err) = run(reel(dir.path()).args(["check", "t.edit"]));
    assert_eq!(code, 0, "without --fetch nothing is asked: {err}");
    assert!(server.seen().is_empty());
    let started = std::time::Instant::now();
    let (code, _, err) = run(reel(dir.path()).args([
        "check",
        "t.edit",
        "--fetch",
        "--connect-timeout",
        "2s",
        "--idle-timeout",
        "2s",
    ]));
    assert!(started.elapsed().as_secs() < 20);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!("cannot reach `{b}/gone.png`: http status: 404")),
        "{err}"
    );
    assert!(err.contains("t.edit:5:9"), "at the gone clip's src: {err}");
    assert!(err.contains(&format!("127.0.0.1:{closed}/c.png")), "{err}");
    assert!(err.contains("t.edit:6:9"), "{err}");
    assert!(
        !err.contains("ok.png") && !err.contains("nohead.png`"),
        "{err}"
    );
    let mut seen = server.seen();
    seen.sort();
    assert_eq!(
        seen,
        [
            "GET /nohead.png",
            "HEAD /gone.png",
            "HEAD /nohead.png",
            "HEAD /ok.png"
        ]
    );
}
