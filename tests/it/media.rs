//! Integration tests for issue 15 items 7–11 (hostile and unlucky input), driving the real
//! binary: media that does not decode, file names that look like ffmpeg syntax, thousands of
//! clips, warnings that must not grow with the square of the clips, negative sizes, and the
//! bounds of `reel watch --serve`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::util;

/// Runs ffmpeg quietly; panics on failure.
fn ffmpeg(args: &[&str]) {
    let out = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .output()
        .expect("spawn ffmpeg");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A 32×32 PNG of one colour at `dir/name` (written through `file:` and `-update 1`, so any
/// name is taken literally).
fn png(dir: &Path, name: &str, colour: &str) -> PathBuf {
    let path = dir.join(name);
    let out = format!("file:{}", path.display());
    let src = format!("color=c={colour}:s=32x32");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &src,
        "-frames:v",
        "1",
        "-update",
        "1",
        &out,
    ]);
    path
}

/// `reel ARGS` in `dir` with its own cache; (exit code, stdout, stderr).
fn reel(dir: &Path, args: &[&str]) -> (i32, String, String) {
    util::run(
        util::reel(dir)
            .env("REEL_CACHE_DIR", dir.join("cache"))
            .args(args),
    )
}

/// The mean RGB colour of the frame at `t` seconds.
fn colour_at(video: &Path, t: f64) -> [u8; 3] {
    let out = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-ss", &t.to_string(), "-i"])
        .arg(video)
        .args([
            "-frames:v",
            "1",
            "-vf",
            "scale=1:1:flags=area",
            "-f",
            "rawvideo",
        ])
        .args(["-pix_fmt", "rgb24", "-"])
        .output()
        .expect("spawn ffmpeg");
    let px = out.stdout;
    assert_eq!(px.len(), 3, "{}", String::from_utf8_lossy(&out.stderr));
    [px[0], px[1], px[2]]
}

fn near(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter()
        .zip(b)
        .all(|(x, y)| (i32::from(*x) - i32::from(y)).abs() <= 24)
}

/// A one-track template showing `src` full frame for one second.
fn image_edit(src: &str) -> String {
    format!(
        "output mp4 160x90 fps=12\nbackground \"#000000\"\ntrack {{\n  image \"{src}\" at 0 for 1 fit=cover\n}}\n"
    )
}

#[test]
fn a_text_file_named_png_is_an_error_at_its_clip() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("photo.png"), "this is not a picture\n").unwrap();
    std::fs::write(dir.path().join("t.edit"), image_edit("photo.png")).unwrap();
    let (code, _, err) = reel(dir.path(), &["render", "t.edit", "-o", "out"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("`photo.png` is not readable media"), "{err}");
    assert!(err.contains("does not decode as a `png` picture"), "{err}");
    assert!(
        err.contains("t.edit:4:9"),
        "located at the clip's src: {err}"
    );
    assert!(!dir.path().join("out/row-0001.mp4").exists());
}

/// Serves `body` as `image/png` to every request on 127.0.0.1; returns the base URL.
fn serve_forever(body: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut s in listener.incoming().map_while(Result::ok) {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(body.as_bytes());
        }
    });
    url
}

#[test]
fn an_html_page_served_as_png_is_an_error_at_its_clip() {
    if !util::have_ffmpeg() {
        return;
    }
    let url = serve_forever("<!doctype html><html><body>404 not found</body></html>");
    let dir = tempfile::tempdir().unwrap();
    let src = format!("{url}/photo.png");
    std::fs::write(dir.path().join("t.edit"), image_edit(&src)).unwrap();
    let (code, _, err) = reel(dir.path(), &["render", "t.edit", "-o", "out"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!("`{src}` is not readable media")),
        "{err}"
    );
    assert!(err.contains("does not decode"), "{err}");
    assert!(err.contains("t.edit:4:9"), "{err}");
}

#[test]
fn the_probe_cache_keeps_extensions_apart() {
    if !util::have_ffmpeg() {
        return;
    }
    // A TGA has no signature: ffmpeg reads it by its extension. The same bytes named `.png`
    // are not a picture, whichever name was probed first.
    let dir = tempfile::tempdir().unwrap();
    let tga = png(dir.path(), "pic.tga", "0x00ff00");
    std::fs::copy(&tga, dir.path().join("pic.png")).unwrap();
    for order in [["pic.tga", "pic.png"], ["pic.png", "pic.tga"]] {
        let _ = std::fs::remove_dir_all(dir.path().join("cache"));
        for name in order {
            let (code, out, err) = reel(dir.path(), &["probe", name]);
            if name == "pic.tga" {
                assert_eq!(code, 0, "{order:?} {err}");
                assert!(out.contains("size: 32x32"), "{out}");
            } else {
                assert_eq!(code, 1, "{order:?}: {out}");
                assert!(err.contains("does not decode as a `png` picture"), "{err}");
            }
        }
    }
}

#[test]
fn file_names_that_look_like_ffmpeg_syntax_are_just_names() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // `a%d.png` as a pattern would read `a1.png`; `concat:x.png` as a protocol, `x.png`.
    png(d, "a%d.png", "0x00ff00");
    png(d, "a1.png", "0xff0000");
    png(d, "concat:x.png", "0x0000ff");
    png(d, "x.png", "0xff0000");
    let edit = "output mp4 160x90 fps=12\nbackground \"#000000\"\ntrack {\n  \
                image \"a%d.png\" at 0 for 1 fit=cover\n  \
                image \"concat:x.png\" at 1 for 1 fit=cover\n}\n";
    std::fs::write(d.join("t.edit"), edit).unwrap();
    let (code, _, err) = reel(d, &["render", "t.edit", "-o", "out"]);
    assert_eq!(code, 0, "{err}");
    let video = d.join("out/row-0001.mp4");
    let (green, blue) = (colour_at(&video, 0.5), colour_at(&video, 1.5));
    assert!(near(green, [0, 255, 0]), "a%d.png shows {green:?}");
    assert!(near(blue, [0, 0, 255]), "concat:x.png shows {blue:?}");
    let (_, graph, _) = reel(d, &["graph", "t.edit"]);
    assert!(
        graph.contains("-pattern_type none \\\n  -i file:a%d.png"),
        "{graph}"
    );
    assert!(graph.contains("-i file:concat:x.png"), "{graph}");
}

/// A Shotstack document of `n` one-frame full-frame clips, green and red in turn.
fn many_clips(dir: &Path, n: usize) -> PathBuf {
    png(dir, "green.png", "0x00ff00");
    png(dir, "red.png", "0xff0000");
    let clips: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let src = if i % 2 == 0 { "green.png" } else { "red.png" };
            serde_json::json!({
                "asset": { "type": "image", "src": src },
                "start": i as f64 * 0.04, "length": 0.04, "fit": "cover"
            })
        })
        .collect();
    let edit = serde_json::json!({
        "timeline": { "background": "#000000", "tracks": [ { "clips": clips } ] },
        "output": { "format": "mp4", "size": { "width": 160, "height": 90 }, "fps": 25 }
    });
    let path = dir.join("many.json");
    std::fs::write(&path, edit.to_string()).unwrap();
    path
}

#[test]
fn three_thousand_clips_render_through_a_filtergraph_file() {
    if !util::have_ffmpeg() {
        return;
    }
    const CLIPS: usize = 3000;
    let dir = tempfile::tempdir().unwrap();
    many_clips(dir.path(), CLIPS);
    let (_, graph, _) = reel(dir.path(), &["graph", "many.json"]);
    // Over Linux's 128 KiB for one argument: the graph must not be one.
    let script = graph.split("\nREEL_GRAPH\n").next().unwrap();
    assert!(script.len() > 128 * 1024, "{}", script.len());
    assert!(graph.contains("-filter_complex_script filtergraph.txt"));
    // Each picture is read and scaled once, whatever the number of clips showing it (a chain
    // per clip took 100-220 s and 1.5 GB here).
    assert_eq!(graph.matches("\n  -i ").count(), 2, "{graph}");
    let started = std::time::Instant::now();
    let (code, _, err) = reel(dir.path(), &["render", "many.json", "-o", "out"]);
    assert_eq!(code, 0, "{err}");
    let took = started.elapsed();
    assert!(took < std::time::Duration::from_secs(60), "{took:?}");
    let video = dir.path().join("out/row-0001.mp4");
    let out = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-count_packets", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=nb_read_packets", "-of", "csv=p=0"])
        .arg(&video)
        .output()
        .unwrap();
    let frames: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert_eq!(frames, CLIPS);
    for k in [0, 1, 1000, 2999] {
        let want = if k % 2 == 0 { [0, 255, 0] } else { [255, 0, 0] };
        let got = colour_at(&video, (0.04 * f64::from(k) - 0.005).max(0.0));
        assert!(near(got, want), "frame {k}: {got:?}");
    }
}

#[test]
fn one_frame_clips_in_a_row_each_show_their_frame() {
    if !util::have_ffmpeg() {
        return;
    }
    // ffmpeg's concat gives a one-frame segment no length: 50 clips became 3 frames.
    let dir = tempfile::tempdir().unwrap();
    png(dir.path(), "red.png", "0xff0000");
    png(dir.path(), "blue.png", "0x0000ff");
    let clips: Vec<serde_json::Value> = (0..50)
        .map(|i| {
            let src = if i % 2 == 0 { "red.png" } else { "blue.png" };
            serde_json::json!({
                "asset": { "type": "image", "src": src },
                "start": i as f64 * 0.04, "length": 0.04, "fit": "cover"
            })
        })
        .collect();
    let edit = serde_json::json!({
        "timeline": { "tracks": [ { "clips": clips } ] },
        "output": { "format": "mp4", "size": { "width": 160, "height": 90 }, "fps": 25 }
    });
    std::fs::write(dir.path().join("e.json"), edit.to_string()).unwrap();
    let (code, _, err) = reel(dir.path(), &["render", "e.json", "-o", "out"]);
    assert_eq!(code, 0, "{err}");
    let video = dir.path().join("out/row-0001.mp4");
    for k in [0, 1, 24, 49] {
        let want = if k % 2 == 0 { [255, 0, 0] } else { [0, 0, 255] };
        let got = colour_at(&video, (0.04 * f64::from(k) - 0.005).max(0.0));
        assert!(near(got, want), "frame {k}: {got:?}");
    }
}

#[test]
fn overlapping_clips_on_one_json_line_warn_once_per_track() {
    let dir = tempfile::tempdir().unwrap();
    let clips: Vec<serde_json::Value> = (0..101)
        .map(|i| {
            serde_json::json!({
                "asset": { "type": "image", "src": "a.png" }, "start": i, "length": 200
            })
        })
        .collect();
    let edit = serde_json::json!({
        "timeline": { "tracks": [ { "clips": clips }, { "clips": clips } ] },
        "output": { "format": "mp4", "size": { "width": 160, "height": 90 } }
    });
    std::fs::write(dir.path().join("a.png"), b"").unwrap();
    // One line of about 15 KB: printing it whole even once per warning would show.
    std::fs::write(dir.path().join("o.json"), edit.to_string()).unwrap();
    let (code, _, err) = reel(dir.path(), &["check", "o.json"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.len() < 8 * 1024,
        "{} bytes of stderr:\n{err}",
        err.len()
    );
    assert_eq!(err.matches("Warning: ").count(), 2, "{err}");
    assert!(
        err.contains("clip 2 on track 1 overlaps clip 1 on track 1"),
        "{err}"
    );
    assert!(
        err.contains("100 clips of track 2 overlap an earlier clip"),
        "{err}"
    );
    assert!(err.contains("…"), "the line is cut: {err}");
    // The header names the primary label's own column, not the excerpt's.
    let text = std::fs::read_to_string(dir.path().join("o.json")).unwrap();
    let second = text
        .find(r#""start": 1,"#)
        .or_else(|| text.find(r#""start":1,"#));
    let col = second.unwrap() + r#""start":"#.len() + 1;
    assert!(
        err.contains(&format!("o.json:1:{}", col))
            || err.contains(&format!("o.json:1:{}", col + 1)),
        "col {col}: {err}"
    );
}

#[test]
fn the_second_label_of_an_overlap_is_on_its_own_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.png"), b"").unwrap();
    let edit = "output mp4 160x90 fps=12\n\ntrack {\n  image \"a.png\" at 0 for 5\n  \
                image \"a.png\" at 1 for 5\n}\n";
    std::fs::write(dir.path().join("t.edit"), edit).unwrap();
    let (code, _, err) = reel(dir.path(), &["check", "t.edit"]);
    assert_eq!(code, 0, "{err}");
    // One section: line 4 (`for 5`, where clip 1 ends) above line 5 (`at 1`).
    assert_eq!(err.matches("─[ t.edit:").count(), 1, "{err}");
    assert!(err.contains("─[ t.edit:5:20 ]"), "{err}");
    let four = err.find(" 4 │   image").unwrap();
    let five = err.find(" 5 │   image").unwrap();
    assert!(four < five, "{err}");
}

#[test]
fn a_negative_font_size_is_an_error_at_the_property() {
    let dir = tempfile::tempdir().unwrap();
    let edit =
        "output mp4 160x90 fps=12\ntrack {\n  text \"hi\" at 0 for 1 font.size=-20 scale=-1\n}\n";
    std::fs::write(dir.path().join("t.edit"), edit).unwrap();
    let (code, _, err) = reel(dir.path(), &["check", "t.edit"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("`font.size` must be at least 1, found -20"),
        "{err}"
    );
    assert!(err.contains("t.edit:3:34"), "{err}");
    assert!(
        err.contains("`scale` must be at least 0, found -1"),
        "{err}"
    );
}

/// `reel watch t.edit --serve ARGS` on a template that does not parse (no render needed):
/// the child and the lines of its stderr.
fn watch_serving(dir: &Path, args: &[&str]) -> (Child, std::sync::mpsc::Receiver<String>) {
    std::fs::write(dir.join("t.edit"), "track {\n").unwrap();
    let mut child = util::reel(dir)
        .env("REEL_CACHE_DIR", dir.join("cache"))
        .args(["watch", "t.edit", "-o", "out", "--serve"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let err = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    (child, rx)
}

/// The `Threads:` line of /proc/PID/status.
fn threads(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("Threads:")).unwrap();
    line[8..].trim().parse().unwrap()
}

#[test]
fn serve_keeps_its_threads_bounded_under_idle_connections() {
    if !Path::new("/proc/self/status").exists() {
        eprintln!("skipping: no /proc");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (mut child, lines) = watch_serving(dir.path(), &[]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let url = loop {
        let line = lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("reel watch printed its URL");
        if let Some(u) = line.strip_prefix("serving the latest renders at http://") {
            break u.trim_end_matches('/').to_string();
        }
    };
    // Let the first (failing) build settle, then count.
    std::thread::sleep(Duration::from_millis(500));
    let before = threads(child.id());
    let idle: Vec<TcpStream> = (0..400)
        .filter_map(|_| TcpStream::connect(&url).ok())
        .collect();
    assert!(idle.len() >= 300, "{} connections", idle.len());
    std::thread::sleep(Duration::from_millis(500));
    let during = threads(child.id());
    assert!(
        during <= before + 1,
        "{before} threads before, {during} with idle connections"
    );
    drop(idle);
    // Still answering once the idle clients are gone.
    let mut s = TcpStream::connect(&url).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(s, "GET /version HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    assert!(reply.starts_with("HTTP/1.1 200 OK"), "{reply}");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn serve_on_a_port_in_use_names_it_and_suggests_another() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let (mut child, lines) = watch_serving(dir.path(), &["--port", &port]);
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "reel watch kept running");
        std::thread::sleep(Duration::from_millis(50));
    };
    let err: Vec<String> = lines.try_iter().collect();
    let err = err.join("\n");
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("127.0.0.1:{port} is already in use")),
        "{err}"
    );
    assert!(err.contains("--port"), "{err}");
}
