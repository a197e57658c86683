//! Integration tests: one writer per output directory, verified outputs and leftovers of
//! killed runs (issue 15), driving the real binary, real ffmpeg and real processes.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{have_ffmpeg, reel, run};

/// A picture held for `seconds` per row (cheap to render, any length).
const STILL: &str = r##"output mp4 160x90 fps=25
background "#203040"
name "v-{{ row_number }}"

track {
  image "red.png" at 0 for seconds
}
"##;

/// Two seconds of noise per row: a few hundred kB of H.264 however small the picture.
const NOISE: &str = r#"output mp4 160x90 fps=25
name "v-{{ row_number }}"

track {
  video "noise.mp4" at 0 for 2
}
"#;

/// A project directory: `t.edit` (from `template`), `rows.csv` (a `seconds` column), a red
/// picture and a noise video.
fn project(template: &str, seconds: &[u32]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("t.edit"), template).unwrap();
    let mut csv = String::from("seconds\n");
    for s in seconds {
        csv.push_str(&format!("{s}\n"));
    }
    std::fs::write(dir.path().join("rows.csv"), csv).unwrap();
    ffmpeg(&["-f", "lavfi", "-i", "color=c=red:s=64x36", "-frames:v", "1"])
        .arg(dir.path().join("red.png"))
        .status()
        .expect("ffmpeg")
        .success()
        .then_some(())
        .expect("red.png");
    let noise = "nullsrc=s=160x90:r=25:d=2,geq=lum='random(1)*255':cb=128:cr=128";
    ffmpeg(&["-f", "lavfi", "-i", noise, "-c:v", "libx264", "-qp", "0"])
        .arg(dir.path().join("noise.mp4"))
        .status()
        .expect("ffmpeg")
        .success()
        .then_some(())
        .expect("noise.mp4");
    dir
}

fn ffmpeg(args: &[&str]) -> Command {
    let mut c = Command::new("ffmpeg");
    c.args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args);
    c
}

/// `reel render t.edit --data rows.csv -o out` plus `extra`.
fn render(dir: &Path, extra: &[&str]) -> Command {
    let mut c = reel(dir);
    c.args(["render", "t.edit", "--data", "rows.csv", "-o", "out"])
        .args(extra)
        .stdin(Stdio::null());
    c
}

/// Names in `dir` containing `.part`.
fn parts(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains(".part"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("json")
}

/// Waits until `ready` holds, failing after `limit` (or when `child` exits first).
fn wait_until(child: &mut Child, limit: Duration, what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "reel exited before {what}"
        );
        assert!(start.elapsed() < limit, "no {what} after {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits for `child` at most `limit`; its exit code.
fn wait_exit(child: &mut Child, limit: Duration) -> i32 {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status.code().unwrap_or(-1);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("reel did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{sig}"), &child.id().to_string()])
        .status();
    assert!(ok.is_ok_and(|s| s.success()), "kill -{sig}");
}

#[test]
fn a_running_shard_refuses_unsharded_runs_watch_and_other_counts_but_not_its_siblings() {
    if !have_ffmpeg() {
        return;
    }
    // Shard 0/2 gets the 10-minute rows (1, 3, 5, 7), shard 1/2 the 1-second ones.
    let p = project(STILL, &[600, 1, 600, 1, 600, 1, 600, 1]);
    let dir = p.path();
    let mut first = render(dir, &["--shard", "0/2", "-j", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn reel");
    let holder = format!("`reel render --shard 0/2` (pid {} on ", first.id());
    let lock = dir.join("out/.reel-0-of-2.lock");
    wait_until(&mut first, Duration::from_secs(30), "shard lock", || {
        std::fs::read_to_string(&lock).is_ok_and(|t| t.contains(&holder))
    });

    let (code, _, err) = run(&mut render(dir, &[]));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("another reel is writing to `out`") && err.contains(&holder),
        "the unsharded run names the shard holding the directory: {err}"
    );
    let mut watch = reel(dir);
    watch.args(["watch", "t.edit", "--data", "rows.csv", "-o", "out"]);
    let (code, _, err) = run(watch.stdin(Stdio::null()));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&holder), "watch is refused too: {err}");
    let (code, _, err) = run(&mut render(dir, &["--shard", "0/3"]));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("shards of another count") && err.contains(&holder),
        "{err}"
    );
    let (code, _, err) = run(&mut render(dir, &["--shard", "0/2"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&holder), "the same shard twice: {err}");

    // The sibling shard runs to the end while the first still renders.
    let (code, _, err) = run(&mut render(dir, &["--shard", "1/2", "-j", "1"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        first.try_wait().unwrap().is_none(),
        "the shards did not overlap (shard 0/2 already finished)"
    );
    let sibling = json(&dir.join("out/summary-1-of-2.json"));
    assert_eq!(sibling["counts"]["rendered"], 4, "{sibling}");
    signal(&first, "INT");
    assert_eq!(wait_exit(&mut first, Duration::from_secs(30)), 130);
    assert!(parts(&dir.join("out")).is_empty());
    for row in [2, 4, 6, 8] {
        let out = dir.join(format!("out/v-{row}.mp4"));
        assert!(out.is_file(), "{}", out.display());
    }
}

/// Unmounts a tmpfs when dropped.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Checks a batch whose single row could not be written: failed with `want` in its error, no
/// file under its final name, no `.part`, no manifest entry.
fn assert_row_lost(dir: &Path, code: i32, err: &str, want: &[&str]) {
    assert_eq!(code, 1, "{err}");
    let out = dir.join("out");
    let summary = json(&out.join("summary.json"));
    let row = &summary["rows"][0];
    assert_eq!(row["status"], "failed", "{summary}");
    let error = row["error"].as_str().unwrap_or("");
    assert!(want.iter().any(|w| error.contains(w)), "{error}");
    assert!(
        !out.join("v-1.mp4").exists(),
        "a broken video got its final name"
    );
    assert!(parts(&out).is_empty(), "{:?}", parts(&out));
    let manifest = out.join(".reel-manifest.json");
    if manifest.exists() {
        let m = json(&manifest);
        assert!(m["entries"].get("v-1.mp4").is_none(), "{m}");
    }
}

/// The size of the noise project's output, rendered once into `sized/`: the limits below
/// leave a few kB less, so ffmpeg fails only near the end, where it used to exit 0.
fn full_size(dir: &Path) -> u64 {
    let mut c = reel(dir);
    c.args(["render", "t.edit", "--data", "rows.csv", "-o", "sized"]);
    let (code, _, err) = run(&mut c);
    assert_eq!(code, 0, "{err}");
    std::fs::metadata(dir.join("sized/v-1.mp4")).unwrap().len()
}

#[test]
fn a_full_disk_fails_the_row_and_leaves_no_output_or_manifest_entry() {
    if !have_ffmpeg() {
        return;
    }
    let p = project(NOISE, &[2]);
    let dir = p.path();
    let out = dir.join("out");
    std::fs::create_dir(&out).unwrap();
    // Room for the lock file's page and all but about 8 kB of the video.
    let size = (full_size(dir) - 4096) / 4096 * 4096;
    let mount = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(&out)
        .output();
    if !mount.as_ref().is_ok_and(|o| o.status.success()) {
        eprintln!("skipping: cannot mount a tmpfs here (needs root / CAP_SYS_ADMIN): {mount:?}");
        return;
    }
    let unmount = Mounted(out.clone());
    let (code, _, err) = run(&mut render(dir, &[]));
    assert_row_lost(dir, code, &err, &["No space left on device", "is broken"]);
    // With room again the same command renders the row: nothing was recorded as done.
    drop(unmount);
    let (code, _, err) = run(&mut render(dir, &[]));
    assert_eq!(code, 0, "{err}");
    let manifest = json(&out.join(".reel-manifest.json"));
    assert!(manifest["entries"].get("v-1.mp4").is_some(), "{manifest}");
}

#[test]
fn a_file_size_limit_ffmpeg_ignores_fails_the_row_without_root() {
    if !have_ffmpeg() {
        return;
    }
    // SIGXFSZ ignored: writes past `ulimit -f` fail with EFBIG and ffmpeg exits 0 with a file
    // that has no `moov` atom, as on a full disk.
    let p = project(NOISE, &[2]);
    let dir = p.path();
    let blocks = (full_size(dir) - 8192) / 512;
    let mut cmd = Command::new("sh");
    let script = format!(r#"trap "" XFSZ; ulimit -f {blocks}; exec "$0" "$@""#);
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .args(["-c", &script])
        .arg(env!("CARGO_BIN_EXE_reel"))
        .args(["render", "t.edit", "--data", "rows.csv", "-o", "out"]);
    let (code, _, err) = run(&mut cmd);
    assert_row_lost(dir, code, &err, &["File too large", "is broken"]);
}

/// The ids of the live (not zombie) children of `pid` whose command is `ffmpeg`.
fn ffmpeg_children(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| {
            let child: u32 = e.file_name().to_str()?.parse().ok()?;
            let (comm, state, ppid) = proc_stat(child)?;
            (ppid == pid && comm == "ffmpeg" && state != 'Z').then_some(child)
        })
        .collect()
}

/// `(comm, state, ppid)` of a process, from `/proc/PID/stat`.
fn proc_stat(pid: u32) -> Option<(String, char, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat[open + 1..close].to_string();
    let mut rest = stat[close + 1..].split_whitespace();
    let state = rest.next()?.chars().next()?;
    let ppid = rest.next()?.parse().ok()?;
    Some((comm, state, ppid))
}

/// Whether `pid` still runs (a zombie waiting for its new parent to reap it does not).
fn is_running(pid: u32) -> bool {
    proc_stat(pid).is_some_and(|(_, state, _)| !matches!(state, 'Z' | 'X'))
}

#[test]
fn kill_9_takes_ffmpeg_down_and_the_next_run_removes_the_stray_part() {
    if !have_ffmpeg() || !Path::new("/proc/self/stat").exists() {
        return;
    }
    // Row 1 renders for a long while (10 minutes of video), row 2 takes a moment.
    let p = project(STILL, &[600, 1]);
    let dir = p.path();
    let mut reel_child = render(dir, &["--rows", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn reel");
    let reel_pid = reel_child.id();
    let mut ffmpeg = Vec::new();
    wait_until(
        &mut reel_child,
        Duration::from_secs(60),
        "ffmpeg child",
        || {
            ffmpeg = ffmpeg_children(reel_pid);
            !ffmpeg.is_empty() && !parts(&dir.join("out")).is_empty()
        },
    );
    reel_child.kill().expect("kill -9 reel");
    reel_child.wait().expect("reap reel");
    let killed = Instant::now();
    while ffmpeg.iter().any(|&pid| is_running(pid)) {
        assert!(
            killed.elapsed() < Duration::from_secs(2),
            "ffmpeg {ffmpeg:?} outlived reel by 2 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let stray = parts(&dir.join("out"));
    assert_eq!(stray.len(), 1, "{stray:?}");

    let (code, _, err) = run(&mut render(dir, &["--rows", "2"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!("removed `{}`", stray[0])) && err.contains("killed"),
        "{err}"
    );
    assert!(parts(&dir.join("out")).is_empty());
    assert!(dir.join("out/v-2.mp4").is_file());
}

#[test]
fn two_writers_of_one_output_never_share_a_part_file() {
    if !have_ffmpeg() {
        return;
    }
    use reel::render::Cancel;
    use reel::render::run::{self, FfmpegJob};
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("same.mp4");
    let job = |colour: &str| FfmpegJob {
        args: [
            "-f",
            "lavfi",
            "-i",
            &format!("color=c={colour}:s=160x90:r=25:d=2"),
            "-pix_fmt",
            "yuv420p",
        ]
        .iter()
        .map(Into::into)
        .collect(),
        duration: 2.0,
        side_frames: vec![],
    };
    let (red, blue) = (job("red"), job("blue"));
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| run::run_job(&red, &out, &mut |_| {}, &Cancel::new()));
        let b = s.spawn(|| run::run_job(&blue, &out, &mut |_| {}, &Cancel::new()));
        (a.join().unwrap(), b.join().unwrap())
    });
    // Each wrote its own `.part` and verified it; the later rename wins whole.
    assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
    assert!(parts(dir.path()).is_empty());
    let info = reel::render::probe::run_ffprobe(&out).unwrap();
    assert!((info.duration.unwrap() - 2.0).abs() < 0.1, "{info:?}");
}
