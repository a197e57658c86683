//! Integration tests for hostile, huge and unlucky input (issue 15): a closed stderr, huge
//! lengths and cells from data, stalled and dripping servers, signals during slow work. Each
//! drives the real binary and bounds the time it may take.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{fixture, have_ffmpeg, reel, run};

/// A temp project: `tiny.edit` from the batch fixtures, `n` rows, a red PNG.
fn tiny_project(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(fixture("batch/tiny.edit"), dir.path().join("tiny.edit")).unwrap();
    let mut csv = String::from("title,photo,scale\n");
    for _ in 0..n {
        csv.push_str("card,assets/red.png,0.5\n");
    }
    std::fs::write(dir.path().join("rows.csv"), csv).unwrap();
    std::fs::create_dir(dir.path().join("assets")).unwrap();
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"])
        .args(["-i", "color=c=red:s=64x36", "-frames:v", "1"])
        .arg(dir.path().join("assets/red.png"))
        .status()
        .expect("ffmpeg");
    assert!(status.success());
    dir
}

/// Waits for `child` at most `limit`; its exit code (killed and failed past the limit).
fn wait_at_most(child: &mut Child, limit: Duration) -> i32 {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status.code().unwrap_or(-1);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("reel did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `reel render … 2>&1 | head -1`: stderr closed before reel writes anything. The batch must
/// neither panic nor hang; it renders every row and saves its manifest.
#[test]
fn closed_stderr_neither_hangs_nor_loses_the_manifest() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tiny_project(4);
    let mut child = reel(dir.path())
        .args([
            "render",
            "tiny.edit",
            "--data",
            "rows.csv",
            "-o",
            "out",
            "-j",
            "1",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn reel");
    // Close the read ends at once, as `head -1` does after its first line.
    drop(child.stderr.take());
    drop(child.stdout.take());
    let code = wait_at_most(&mut child, Duration::from_secs(120));
    assert_eq!(code, 0);
    let out = dir.path().join("out");
    let manifest = std::fs::read_to_string(out.join(".reel-manifest.json")).expect("manifest");
    let videos = std::fs::read_dir(&out)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "mp4")
        })
        .count();
    assert_eq!(videos, 4);
    assert_eq!(manifest.matches("card-").count(), 4, "{manifest}");
}

/// A one-clip template showing `src` for 1 s, in a fresh directory.
fn remote_project(src: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let edit = format!("output mp4 160x90 fps=25\ntrack {{\n  image \"{src}\" at 0 for 1\n}}\n");
    std::fs::write(dir.path().join("t.edit"), edit).unwrap();
    dir
}

/// `reel render t.edit -o out` with its own cache and `extra` flags.
fn render_cmd(dir: &Path, extra: &[&str]) -> Command {
    let mut c = reel(dir);
    c.args(["render", "t.edit", "-o", "out"])
        .args(extra)
        .env("REEL_CACHE_DIR", dir.join("cache"));
    c
}

/// What a test server does with each connection.
#[derive(Clone, Copy)]
enum Serve {
    /// Accepts and never answers.
    Stall,
    /// Sends headers, then one body byte a second.
    Drip,
    /// Sends `n` bytes with no `Content-Length` (the end is the connection's close).
    Unsized(usize),
    /// Waits half a second, then sends the file (with its `Content-Length`).
    Slow(&'static [u8]),
}

/// A server on 127.0.0.1 for `mode`; its URL for `name`, and a receiver told of each
/// connection.
fn serve(mode: Serve, name: &str) -> (String, std::sync::mpsc::Receiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/{name}", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let _ = tx.send(());
            std::thread::spawn(move || {
                let mut buf = [0u8; 1024];
                let _ = stream.read(&mut buf);
                match mode {
                    Serve::Stall => std::thread::sleep(Duration::from_secs(120)),
                    Serve::Drip => {
                        let head = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n";
                        let _ = stream.write_all(head.as_bytes());
                        for _ in 0..120 {
                            if stream.write_all(b"x").is_err() {
                                return;
                            }
                            std::thread::sleep(Duration::from_secs(1));
                        }
                    }
                    Serve::Slow(body) => {
                        std::thread::sleep(Duration::from_millis(500));
                        let head = format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        );
                        let _ = stream.write_all(head.as_bytes());
                        let _ = stream.write_all(body);
                    }
                    Serve::Unsized(n) => {
                        let _ = stream.write_all(b"HTTP/1.0 200 OK\r\n\r\n");
                        let _ = stream.write_all(&vec![b'x'; n]);
                    }
                }
            });
        }
    });
    (url, rx)
}

/// Runs `cmd`, which must fail within `limit`; its stderr.
fn fails_within(cmd: &mut Command, limit: Duration) -> String {
    let started = Instant::now();
    let (code, _, err) = run(cmd);
    let took = started.elapsed();
    assert_eq!(code, 1, "{err}");
    assert!(took < limit, "took {took:?}: {err}");
    err
}

#[test]
fn a_server_that_never_answers_times_out() {
    let (url, _) = serve(Serve::Stall, "a.png");
    let dir = remote_project(&url);
    let mut cmd = render_cmd(dir.path(), &["--idle-timeout", "1s"]);
    let err = fails_within(&mut cmd, Duration::from_secs(15));
    assert!(err.contains("stalled"), "{err}");
    assert!(err.contains(&url), "{err}");
}

#[test]
fn a_server_dripping_bytes_times_out() {
    let (url, _) = serve(Serve::Drip, "a.png");
    let dir = remote_project(&url);
    let mut cmd = render_cmd(dir.path(), &["--idle-timeout", "2s"]);
    let err = fails_within(&mut cmd, Duration::from_secs(15));
    assert!(err.contains("stalled (less than 1 KiB in 2 s)"), "{err}");
    let cache = dir.path().join("cache/download");
    let left: Vec<_> = std::fs::read_dir(&cache)
        .map(|d| d.filter_map(Result::ok).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "a failed download left {left:?}");
}

#[test]
fn a_download_over_max_download_is_refused() {
    let (url, _) = serve(Serve::Unsized(64 * 1024), "a.png");
    let dir = remote_project(&url);
    let mut cmd = render_cmd(dir.path(), &["--max-download", "10k"]);
    let err = fails_within(&mut cmd, Duration::from_secs(15));
    assert!(
        err.contains("larger than the limit of 10000 bytes (`--max-download`)"),
        "{err}"
    );
}

#[test]
fn sigterm_stops_a_stalled_download_at_once() {
    let (url, connected) = serve(Serve::Stall, "a.png");
    let dir = remote_project(&url);
    let mut child = render_cmd(dir.path(), &[])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn reel");
    connected
        .recv_timeout(Duration::from_secs(30))
        .expect("reel never connected");
    std::thread::sleep(Duration::from_millis(200));
    let sent = Instant::now();
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let code = wait_at_most(&mut child, Duration::from_secs(10));
    let took = sent.elapsed();
    assert_eq!(code, 130);
    assert!(
        took < Duration::from_millis(1500),
        "exited {took:?} after SIGTERM"
    );
}

/// A text template whose clip length and text come from `rows.csv`.
fn data_project(csv: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let edit = "output mp4 160x90 fps=25\ntrack {\n  text title at 0 for len width=160 height=90 {\n    font.size = 6\n  }\n}\n";
    std::fs::write(dir.path().join("t.edit"), edit).unwrap();
    std::fs::write(dir.path().join("rows.csv"), csv).unwrap();
    dir
}

/// `sh -c 'ulimit -v 2 GB; exec reel ARGS'` in `dir`: a reel that tries to plan a 10⁹-second
/// timeline (tens of GB) dies instead of passing.
fn reel_with_2gb(dir: &Path, args: &[&str]) -> Command {
    crate::util::reel_with_memory_limit(dir, 2_000_000, args)
}

#[test]
fn a_huge_length_from_data_is_an_error_at_the_cell_in_check_and_render() {
    let dir = data_project("title,len\nhi,1000000000\n");
    for args in [
        &["check", "t.edit", "-d", "rows.csv"][..],
        &["render", "t.edit", "-d", "rows.csv", "-o", "out"][..],
    ] {
        let err = fails_within(
            &mut reel_with_2gb(dir.path(), args),
            Duration::from_secs(10),
        );
        assert!(
            err.contains("clip 1 on track 1 ends at 1000000000 s, past the limit of 14400 s"),
            "{err}"
        );
        assert!(err.contains("from row 1, column \"len\""), "{err}");
        assert!(err.contains("rows.csv:2:4"), "{err}");
    }
    // The limit is a setting: raised, the same row is fine for `check`.
    let (code, _, err) = run(reel(dir.path()).args([
        "check",
        "t.edit",
        "-d",
        "rows.csv",
        "--max-duration",
        "2000000000",
    ]));
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_5mb_cell_is_an_error_at_the_cell_quickly() {
    let text = "word ".repeat(1_000_000);
    let dir = data_project(&format!("title,len\n\"{text}\",1\nshort,1\n"));
    let mut cmd = reel_with_2gb(
        dir.path(),
        &[
            "--message-format",
            "json",
            "check",
            "t.edit",
            "-d",
            "rows.csv",
        ],
    );
    let err = fails_within(&mut cmd, Duration::from_secs(10));
    let first: serde_json::Value = serde_json::from_str(err.lines().next().unwrap()).unwrap();
    assert_eq!(
        first["message"],
        "row 1, column \"title\" holds 5000000 bytes, more than the limit of 1048576"
    );
    assert_eq!(first["labels"][0]["line"], 2);
    // Only that row fails: the next one is checked.
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// Seconds `reel graph` takes on a text of `chars` characters (laid out, drawn, cached).
fn layout_seconds(chars: usize) -> f64 {
    let words = "lorem ipsum dolor sit amet ".repeat(chars / 27 + 1);
    let dir = data_project(&format!("title,len\n\"{}\",1\n", &words[..chars]));
    let started = Instant::now();
    let (code, _, err) = run(reel(dir.path())
        .args(["graph", "t.edit", "-d", "rows.csv"])
        .env("REEL_CACHE_DIR", dir.path().join("cache")));
    assert_eq!(code, 0, "{err}");
    started.elapsed().as_secs_f64()
}

#[test]
fn text_layout_time_grows_linearly_with_the_text() {
    // Counting characters from the start for each glyph made 300k characters take seconds
    // and grow ×16 from 75k; linear layout grows ×4 (plus start-up, which flattens it).
    // The fastest of three interleaved runs each: other tests share the machine, and a
    // stall during one run must not read as quadratic growth.
    let (mut small, mut large) = (f64::MAX, f64::MAX);
    for _ in 0..3 {
        small = small.min(layout_seconds(75_000));
        large = large.min(layout_seconds(300_000));
    }
    assert!(
        large < small * 7.0,
        "75k chars: {small:.2} s, 300k chars: {large:.2} s"
    );
}

#[test]
fn a_header_only_csv_warns_in_check_and_render() {
    let dir = data_project("title,len\n");
    for args in [
        &["check", "t.edit", "-d", "rows.csv"][..],
        &["render", "t.edit", "-d", "rows.csv", "-o", "out"][..],
    ] {
        let (code, _, err) = run(reel(dir.path()).args(args));
        assert_eq!(code, 0, "{err}");
        assert_eq!(
            err.matches("`rows.csv` has a header but no rows").count(),
            1,
            "{err}"
        );
    }
}

#[test]
fn jobs_wanting_the_same_url_download_it_once() {
    if !have_ffmpeg() {
        return;
    }
    let png = tiny_project(1);
    let bytes: &'static [u8] = Box::leak(
        std::fs::read(png.path().join("assets/red.png"))
            .unwrap()
            .into_boxed_slice(),
    );
    let (url, connections) = serve(Serve::Slow(bytes), "red.png");
    let dir = remote_project(&url);
    std::fs::write(
        dir.path().join("t.edit"),
        format!(
            "output mp4 160x90 fps=25\nname \"v{{{{ n }}}}\"\ntrack {{\n  image \"{url}\" at 0 for 1\n}}\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("rows.csv"), "n\n1\n2\n3\n").unwrap();
    let (code, _, err) = run(&mut render_cmd(dir.path(), &["-d", "rows.csv", "-j", "3"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(connections.try_iter().count(), 1, "{err}");
}

#[test]
fn the_download_cache_is_trimmed_least_recently_used_first() {
    if !have_ffmpeg() {
        return;
    }
    let png = tiny_project(1);
    let bytes: &'static [u8] = Box::leak(
        std::fs::read(png.path().join("assets/red.png"))
            .unwrap()
            .into_boxed_slice(),
    );
    let (url, _) = serve(Serve::Slow(bytes), "red.png");
    let dir = remote_project(&url);
    let downloads = dir.path().join("cache/download");
    std::fs::create_dir_all(&downloads).unwrap();
    // Two earlier downloads, last used two hours and three hours ago.
    let hours_ago = |h: u64| std::time::SystemTime::now() - Duration::from_secs(h * 3600);
    for (name, h) in [("old.mp4", 3), ("recent.mp4", 2)] {
        let f = std::fs::File::create(downloads.join(name)).unwrap();
        f.set_len(40_000).unwrap();
        f.set_modified(hours_ago(h)).unwrap();
    }
    let (code, _, err) = run(&mut render_cmd(dir.path(), &["--cache-size", "50k"]));
    assert_eq!(code, 0, "{err}");
    let mut left: Vec<String> = std::fs::read_dir(&downloads)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    // The new file and the most recently used old one fit in 50 kB; the oldest went.
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left.contains(&"recent.mp4".to_string()), "{left:?}");
    assert!(left.iter().any(|n| n.ends_with(".png")), "{left:?}");
}

/// `reel build | head -1`: the reader of stdout leaves early; reel stops quietly.
#[test]
fn a_closed_stdout_ends_build_quietly() {
    let mut csv = String::from("title,len\n");
    for i in 0..2000 {
        csv.push_str(&format!("row {i},1\n"));
    }
    let dir = data_project(&csv);
    let mut child = reel(dir.path())
        .args(["build", "t.edit", "-d", "rows.csv"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn reel");
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let code = wait_at_most(&mut child, Duration::from_secs(30));
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("panicked") && !err.contains("error"), "{err}");
}
