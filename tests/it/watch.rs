//! Integration tests: watch. Each test runs a real `reel watch` child process on a temp copy
//! of `tests/fixtures/watch/`, edits files the way people and editors do, and asserts which
//! rows were rendered again from the status lines and the outputs' mtimes.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant, SystemTime};

use crate::util;

/// Generous: builds queue behind other work on a shared 2-core machine.
const TIMEOUT: Duration = Duration::from_secs(90);

/// A running `reel watch` and everything it printed so far.
pub(crate) struct Watch {
    child: Child,
    lines: Receiver<String>,
    log: Vec<String>,
}

impl Watch {
    /// Starts `reel watch t.edit ARGS` in `dir`.
    pub(crate) fn start(dir: &Path, args: &[&str]) -> Watch {
        let mut child = util::reel(dir)
            .arg("watch")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn reel watch");
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        let tx2 = tx.clone();
        std::thread::spawn(move || {
            BufReader::new(out)
                .lines()
                .map_while(Result::ok)
                .for_each(|l| {
                    let _ = tx.send(l);
                })
        });
        std::thread::spawn(move || {
            BufReader::new(err)
                .lines()
                .map_while(Result::ok)
                .for_each(|l| {
                    let _ = tx2.send(l);
                })
        });
        Watch {
            child,
            lines,
            log: Vec::new(),
        }
    }

    /// The next line, or a panic showing everything printed so far.
    fn next_line(&mut self, until: Instant) -> String {
        let left = until.saturating_duration_since(Instant::now());
        match self.lines.recv_timeout(left) {
            Ok(line) => {
                self.log.push(line.clone());
                line
            }
            Err(_) => panic!(
                "reel watch: no expected output; it printed:\n{}",
                self.log.join("\n")
            ),
        }
    }

    /// Lines up to and including the next status line (`[HH:MM:SS] …`): one build's report.
    pub(crate) fn build(&mut self) -> Vec<String> {
        let until = Instant::now() + TIMEOUT;
        let mut lines = Vec::new();
        loop {
            let line = self.next_line(until);
            let status = is_status(&line);
            lines.push(line);
            if status {
                return lines;
            }
        }
    }

    /// The next build that renders something. A `touch` can arrive as two debounced
    /// batches (the attribute change, then the close), and the second one is a build of its
    /// own that finds every row up to date; such builds are skipped, at most three of them.
    pub(crate) fn build_that_renders(&mut self) -> Vec<String> {
        for _ in 0..3 {
            let lines = self.build();
            if !rendered(&lines).is_empty() {
                return lines;
            }
            eprintln!("skipped a build that rendered nothing: {lines:?}");
        }
        self.build()
    }

    /// Waits for the first line containing `needle`.
    pub(crate) fn wait_for(&mut self, needle: &str) -> String {
        let until = Instant::now() + TIMEOUT;
        loop {
            let line = self.next_line(until);
            if line.contains(needle) {
                return line;
            }
        }
    }

    /// Sends `signal` (e.g. `INT`) and returns the exit code.
    fn stop(mut self, signal: &str) -> i32 {
        let pid = self.child.id().to_string();
        let ok = Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status();
        assert!(ok.is_ok_and(|s| s.success()), "kill -{signal} {pid}");
        let until = Instant::now() + TIMEOUT;
        while Instant::now() < until {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code().unwrap_or(-1);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        panic!(
            "reel watch did not exit after SIG{signal}:\n{}",
            self.log.join("\n")
        );
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is_status(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() > 11 && b[0] == b'[' && b[3] == b':' && b[6] == b':' && b[9] == b']'
}

/// The output files a build's lines say were rendered (`rendered out/a.mp4 …`).
pub(crate) fn rendered(lines: &[String]) -> Vec<String> {
    let mut names: Vec<String> = lines
        .iter()
        .filter_map(|l| l.trim_start().strip_prefix("rendered "))
        .filter_map(|rest| rest.split_whitespace().next())
        .filter_map(|p| Path::new(p).file_name()?.to_str().map(String::from))
        .collect();
    names.sort();
    names
}

/// A temp copy of the fixture with three small PNG assets made by ffmpeg.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in ["t.edit", "rows.csv"] {
        std::fs::copy(util::fixture("watch").join(f), dir.path().join(f)).unwrap();
    }
    for (name, color) in [
        ("red", "red"),
        ("green", "lime"),
        ("blue", "blue"),
        ("cyan", "cyan"),
    ] {
        png(&dir.path().join(format!("{name}.png")), color);
    }
    dir
}

/// Writes a 32x32 PNG of one colour.
pub(crate) fn png(path: &Path, color: &str) {
    let ok = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
        ])
        .arg(format!("color=c={color}:s=32x32"))
        .args(["-frames:v", "1"])
        .arg(path)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "ffmpeg could not write {}", path.display());
}

fn mtime(path: &Path) -> SystemTime {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn mtimes(out: &Path, names: &[&str]) -> Vec<SystemTime> {
    names.iter().map(|n| mtime(&out.join(n))).collect()
}

/// Replaces `from` with `to` in a file, saved as most editors do: a temporary file renamed
/// over the original (one event, never a half-written file).
pub(crate) fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} has no {from:?}", path.display());
    let tmp = path.with_extension("reel-test-tmp");
    std::fs::write(&tmp, text.replacen(from, to, 1)).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// Replaces `from` with `to` in place (truncate, then write), as some editors and scripts do.
/// On a loaded machine the truncation and the write can land in two debounce windows, so the
/// caller may see a build of the empty file first.
fn edit_in_place(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} has no {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

fn no_part_files(dir: &Path) {
    let parts: Vec<PathBuf> = walk(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "part"))
        .collect();
    assert!(parts.is_empty(), "left behind: {parts:?}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn template_edit_rerenders_every_selected_row() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = project();
    let mut w = Watch::start(dir.path(), &["t.edit", "--rows", "1-2", "-o", "out"]);
    let first = w.build();
    assert_eq!(rendered(&first), ["a.mp4", "b.mp4"], "{first:?}");
    assert!(
        first.last().unwrap().contains("2 rows rendered"),
        "{first:?}"
    );
    assert!(
        !dir.path().join("out/c.mp4").exists(),
        "row 3 is not selected"
    );
    let before = mtimes(&dir.path().join("out"), &["a.mp4", "b.mp4"]);
    edit_in_place(&dir.path().join("t.edit"), "\"#000000\"", "\"#202020\"");
    let mut second = w.build();
    if rendered(&second).is_empty() {
        // The truncation was seen on its own (an empty template): the write follows.
        second = w.build();
    }
    assert_eq!(rendered(&second), ["a.mp4", "b.mp4"], "{second:?}");
    let after = mtimes(&dir.path().join("out"), &["a.mp4", "b.mp4"]);
    assert!(before.iter().zip(&after).all(|(b, a)| a > b));
    assert_eq!(w.stop("INT"), 130);
    no_part_files(dir.path());
}

#[test]
fn data_edit_rerenders_only_the_changed_row() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = project();
    let out = dir.path().join("out");
    let mut w = Watch::start(dir.path(), &["t.edit", "-o", "out"]);
    assert_eq!(rendered(&w.build()), ["a.mp4", "b.mp4", "c.mp4"]);
    let before = mtimes(&out, &["a.mp4", "b.mp4", "c.mp4"]);
    edit(&dir.path().join("rows.csv"), "b,green.png", "b,cyan.png");
    let lines = w.build();
    assert_eq!(rendered(&lines), ["b.mp4"], "{lines:?}");
    assert!(
        lines.last().unwrap().contains("1 row re-rendered"),
        "{lines:?}"
    );
    let after = mtimes(&out, &["a.mp4", "b.mp4", "c.mp4"]);
    assert_eq!(
        (after[0], after[2]),
        (before[0], before[2]),
        "a and c untouched"
    );
    assert!(after[1] > before[1]);
}

#[test]
fn saving_an_asset_rerenders_only_the_rows_that_use_it() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = project();
    let out = dir.path().join("out");
    let mut w = Watch::start(dir.path(), &["t.edit", "-o", "out"]);
    assert_eq!(rendered(&w.build()), ["a.mp4", "b.mp4", "c.mp4"]);
    let before = mtimes(&out, &["a.mp4", "b.mp4", "c.mp4"]);
    // `touch red.png`: only the mtime changes.
    let red = std::fs::File::options()
        .write(true)
        .open(dir.path().join("red.png"))
        .unwrap();
    red.set_modified(SystemTime::now()).unwrap();
    drop(red);
    let lines = w.build();
    assert_eq!(rendered(&lines), ["a.mp4"], "{lines:?}");
    let after = mtimes(&out, &["a.mp4", "b.mp4", "c.mp4"]);
    assert!(after[0] > before[0]);
    assert_eq!(&after[1..], &before[1..]);
    // A new picture for row 3's asset, saved atomically.
    let tmp = dir.path().join("new-blue.png");
    png(&tmp, "navy");
    std::fs::rename(&tmp, dir.path().join("blue.png")).unwrap();
    assert_eq!(rendered(&w.build_that_renders()), ["c.mp4"]);
}

#[test]
fn a_syntax_error_is_reported_and_the_loop_survives() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = project();
    let out = dir.path().join("out");
    let mut w = Watch::start(dir.path(), &["t.edit", "-o", "out", "--rows", "1"]);
    assert_eq!(rendered(&w.build()), ["a.mp4"]);
    let good = mtime(&out.join("a.mp4"));
    let template = dir.path().join("t.edit");
    edit(&template, "track {", "track {{ oops");
    let lines = w.build();
    let status = lines.last().unwrap();
    assert!(status.contains("error in t.edit:"), "{lines:?}");
    // The diagnostic itself, with the place it points at.
    assert!(
        lines.iter().any(|l| l.contains("unclosed `{`")),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l.contains("t.edit:7:")), "{lines:?}");
    assert_eq!(
        mtime(&out.join("a.mp4")),
        good,
        "the last good output stays"
    );
    edit(&template, "track {{ oops", "track {");
    let fixed = w.build();
    // The Edit is the same as the last good render's, so nothing needs rendering.
    assert!(fixed.last().unwrap().contains("up to date"), "{fixed:?}");
    edit(&template, "for 1 ", "for 2 ");
    let longer = w.build();
    assert_eq!(rendered(&longer), ["a.mp4"], "{longer:?}");
}

#[test]
fn an_editor_style_atomic_save_is_followed() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = project();
    let mut w = Watch::start(dir.path(), &["t.edit", "-o", "out", "--rows", "2"]);
    assert_eq!(rendered(&w.build()), ["b.mp4"]);
    for (i, color) in ["#111111", "#222222"].into_iter().enumerate() {
        // Write a temporary file beside it, then rename it over the template (vim, VS Code).
        let template = dir.path().join("t.edit");
        let text = std::fs::read_to_string(&template).unwrap();
        let tmp = dir.path().join(format!(".t.edit.{i}.tmp"));
        let old = if i == 0 { "#000000" } else { "#111111" };
        std::fs::write(&tmp, text.replace(old, color)).unwrap();
        std::fs::rename(&tmp, &template).unwrap();
        let lines = w.build();
        assert_eq!(rendered(&lines), ["b.mp4"], "save {i}: {lines:?}");
    }
}

#[test]
fn a_deleted_data_file_that_comes_back_is_picked_up() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = project();
    let data = dir.path().join("rows.csv");
    let mut w = Watch::start(dir.path(), &["t.edit", "-o", "out", "--rows", "1-2"]);
    assert_eq!(rendered(&w.build()), ["a.mp4", "b.mp4"]);
    let text = std::fs::read_to_string(&data).unwrap();
    std::fs::remove_file(&data).unwrap();
    let gone = w.build();
    assert!(gone.last().unwrap().contains("error"), "{gone:?}");
    assert!(dir.path().join("out/a.mp4").exists(), "outputs stay");
    let tmp = dir.path().join("rows.csv.new");
    std::fs::write(&tmp, text.replace("a,red.png", "a,cyan.png")).unwrap();
    std::fs::rename(&tmp, &data).unwrap();
    let back = w.build();
    assert_eq!(rendered(&back), ["a.mp4"], "{back:?}");
}

#[test]
fn frame_renders_one_still_per_row() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = project();
    let mut w = Watch::start(dir.path(), &["t.edit", "-o", "out", "--frame", "0.5"]);
    assert_eq!(rendered(&w.build()), ["a.png", "b.png", "c.png"]);
    let still = std::fs::read(dir.path().join("out/b.png")).unwrap();
    assert!(still.starts_with(b"\x89PNG"), "a PNG still");
    assert_eq!(centre(&dir.path().join("out/c.png")), [0, 0, 255]);
    edit(&dir.path().join("rows.csv"), "c,blue.png", "c,red.png");
    assert_eq!(rendered(&w.build()), ["c.png"]);
    assert_eq!(centre(&dir.path().join("out/c.png")), [255, 0, 0]);
    // An asset save: only the row showing it.
    png(&dir.path().join("green.png"), "cyan");
    assert_eq!(rendered(&w.build()), ["b.png"]);
    assert_eq!(centre(&dir.path().join("out/b.png")), [0, 255, 255]);
    // A template save: every row, each still the new picture.
    edit(
        &dir.path().join("t.edit"),
        "fit=contain",
        "fit=contain opacity=0.5",
    );
    assert_eq!(rendered(&w.build()), ["a.png", "b.png", "c.png"]);
    assert_eq!(centre(&dir.path().join("out/a.png")), [128, 0, 0]);
    assert_eq!(w.stop("TERM"), 130);
}

/// The RGB pixel at the centre of a 160x90 still, each channel rounded to 0, 128 or 255 (a
/// PNG from yuv420p is a few levels off).
fn centre(png: &Path) -> [u8; 3] {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(png)
        .args([
            "-vf",
            "crop=1:1:80:45",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.stdout.len(),
        3,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let level = |v: u8| match v {
        0..=40 => 0,
        90..=165 => 128,
        215.. => 255,
        _ => v,
    };
    [
        level(out.stdout[0]),
        level(out.stdout[1]),
        level(out.stdout[2]),
    ]
}

#[test]
fn a_change_during_a_render_cancels_it_and_leaves_no_part_file() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = project();
    let template = dir.path().join("t.edit");
    // A long full-resolution render, so the change lands while ffmpeg runs.
    edit(&template, "160x90 fps=12", "hd fps=25");
    edit(&template, "for 1 ", "for 60 ");
    let mut w = Watch::start(dir.path(), &["t.edit", "-o", "out", "--rows", "1"]);
    w.wait_for("rendering a.mp4");
    std::thread::sleep(Duration::from_millis(300));
    edit(&template, "hd fps=25", "160x90 fps=12");
    edit(&template, "for 60 ", "for 1 ");
    let lines = w.build();
    assert!(lines.iter().any(|l| l.contains("cancelled")), "{lines:?}");
    let next = w.build();
    assert_eq!(rendered(&next), ["a.mp4"], "{next:?}");
    no_part_files(dir.path());
}

/// `-j 3` renders the three rows at once; a data save that changes row c while they render
/// cancels c only: a and b finish in that build, and the next build renders c alone.
#[test]
fn a_save_during_parallel_renders_cancels_only_the_rows_it_affects() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = project();
    let template = dir.path().join("t.edit");
    let mut w = Watch::start(dir.path(), &["t.edit", "-o", "out", "-j", "3"]);
    assert_eq!(rendered(&w.build()), ["a.mp4", "b.mp4", "c.mp4"]);
    // One save making every row's render long enough for the next save to land while all
    // three run.
    let text = std::fs::read_to_string(&template).unwrap();
    let long = text
        .replacen("160x90 fps=12", "hd fps=25", 1)
        .replacen("for 1 ", "for 12 ", 1);
    let tmp = template.with_extension("reel-test-tmp");
    std::fs::write(&tmp, long).unwrap();
    std::fs::rename(&tmp, &template).unwrap();
    for row in ["a", "b", "c"] {
        w.wait_for(&format!("rendering {row}.mp4"));
    }
    std::thread::sleep(Duration::from_millis(300));
    edit(&dir.path().join("rows.csv"), "c,blue.png", "c,cyan.png");
    let lines = w.build();
    assert_eq!(rendered(&lines), ["a.mp4", "b.mp4"], "{lines:?}");
    assert!(
        lines.iter().any(|l| l.contains("cancelled after 2 rows")),
        "{lines:?}"
    );
    let next = w.build();
    assert_eq!(rendered(&next), ["c.mp4"], "{next:?}");
    no_part_files(dir.path());
}

#[test]
fn interrupt_during_a_render_exits_130_without_part_files() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = project();
    let template = dir.path().join("t.edit");
    edit(&template, "160x90 fps=12", "hd fps=25");
    edit(&template, "for 1 ", "for 60 ");
    let mut w = Watch::start(dir.path(), &["t.edit", "-o", "out", "--rows", "1"]);
    w.wait_for("rendering a.mp4");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(w.stop("INT"), 130);
    no_part_files(dir.path());
}

/// Headless Chromium, or `None` (with a message) when it is absent and `CI` is unset.
pub(crate) fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        });
    match found {
        Some(c) => Some(PathBuf::from(c)),
        None if std::env::var_os("CI").is_some() => {
            panic!("chromium is required in CI (apt-get install -y chromium)")
        }
        None => {
            eprintln!("skipping: chromium not found (and CI is unset)");
            None
        }
    }
}

/// A raw HTTP GET: (status line and headers, body).
pub(crate) fn http_get(url: &str) -> (String, Vec<u8>) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap();
    let mut s = std::net::TcpStream::connect(host).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut bytes = Vec::new();
    s.read_to_end(&mut bytes).unwrap();
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    (
        String::from_utf8_lossy(&bytes[..end]).into_owned(),
        bytes[end + 4..].to_vec(),
    )
}

#[test]
fn serve_shows_the_latest_renders() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = project();
    let args = [
        "t.edit", "-o", "out", "--rows", "1-2", "--serve", "--port", "0",
    ];
    let mut w = Watch::start(dir.path(), &args);
    let line = w.wait_for("serving the latest renders at http://127.0.0.1:");
    let url = line.rsplit(' ').next().unwrap().to_string();
    assert_eq!(rendered(&w.build()), ["a.mp4", "b.mp4"]);
    let state = || String::from_utf8(http_get(&format!("{url}api/state")).1).unwrap();
    let s = state();
    assert!(s.contains("\"file\":\"/files/a.mp4?v=1\""), "{s}");
    assert!(s.contains("\"file\":\"/files/b.mp4?v=1\""), "{s}");
    let (head, body) = http_get(&format!("{url}files/a.mp4?v=1"));
    assert!(
        head.contains("Content-Type: video/mp4") && body.len() > 1000,
        "{head}"
    );
    // A new output name for every row: the page must show the new files and version.
    edit(
        &dir.path().join("t.edit"),
        "name \"{{ id }}\"",
        "name \"{{ id }}-v2\"",
    );
    assert_eq!(rendered(&w.build()), ["a-v2.mp4", "b-v2.mp4"]);
    let s = state();
    assert!(s.contains("\"version\":2"), "{s}");
    assert!(s.contains("\"file\":\"/files/a-v2.mp4?v=2\""), "{s}");
    assert!(!s.contains("/files/a.mp4"), "the old name is gone: {s}");
    // A syntax error shows up on the page, as HTML with the source line.
    edit(&dir.path().join("t.edit"), "track {", "track {{");
    assert!(w.build().last().unwrap().contains("error in t.edit:"));
    let s = state();
    assert!(s.contains("<section class=\\\"diag error\\\">"), "{s}");
    assert!(s.contains("\"state\":\"failed\""), "{s}");
    assert!(
        s.contains("a-v2.mp4?v=2"),
        "the last good render stays: {s}"
    );
}

#[test]
fn bad_arguments_exit_2_before_watching() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = util::run(util::reel(dir.path()).args(["watch", "t.edit", "--rows", "0"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("invalid --rows"), "{err}");
    assert!(!dir.path().join("out").exists(), "nothing was created");
}

#[test]
fn polling_follows_saves_too() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = project();
    let mut w = Watch::start(dir.path(), &["t.edit", "-o", "out", "--poll"]);
    assert_eq!(rendered(&w.build()), ["a.mp4", "b.mp4", "c.mp4"]);
    edit(&dir.path().join("rows.csv"), "c,blue.png", "c,cyan.png");
    assert_eq!(rendered(&w.build()), ["c.mp4"]);
    // A second save within the same second (the poller's timestamps are whole seconds).
    edit(&dir.path().join("rows.csv"), "a,red.png", "a,cyan.png");
    assert_eq!(rendered(&w.build()), ["a.mp4"]);
    assert_eq!(w.stop("INT"), 130);
}
