//! Shared helpers for integration tests: the reel binary, fixtures, temp dirs, ffmpeg gating.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/fixtures/<rel>`.
pub(crate) fn fixture(rel: &str) -> PathBuf {
    root().join("tests/fixtures").join(rel)
}

/// A `reel` command with colour off, run from `cwd`.
pub(crate) fn reel(cwd: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_reel"));
    c.current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE");
    c
}

/// Runs and returns (exit code, stdout, stderr).
pub(crate) fn run(cmd: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("spawn reel");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// Whether ffmpeg tests can run. Without ffmpeg they are skipped locally, but never in CI:
/// with `CI` set a missing ffmpeg fails the test.
pub(crate) fn have_ffmpeg() -> bool {
    let ok = Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok && std::env::var_os("CI").is_some() {
        panic!("ffmpeg is required in CI (apt-get install -y ffmpeg)");
    }
    if !ok {
        eprintln!("skipping: ffmpeg not found (and CI is unset)");
    }
    ok
}

/// Whether Chromium tests can run (`chromium`, `chromium-browser`, `google-chrome` or
/// `google-chrome-stable` on PATH). Without it they are skipped locally, but never in CI: with
/// `CI` set a missing Chromium fails the test.
pub(crate) fn have_chromium() -> bool {
    let names = [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ];
    let path = std::env::var_os("PATH").unwrap_or_default();
    let ok = std::env::split_paths(&path).any(|d| names.iter().any(|n| d.join(n).is_file()));
    if !ok && std::env::var_os("CI").is_some() {
        panic!("chromium is required in CI (apt-get install -y chromium)");
    }
    if !ok {
        eprintln!("skipping: chromium not found (and CI is unset)");
    }
    ok
}

/// Makes `name` in `dir` with ffmpeg from lavfi `inputs` (sources such as
/// `testsrc2=s=160x90:d=1`) and `out_args`; its path.
pub(crate) fn lavfi(dir: &Path, name: &str, inputs: &[&str], out_args: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-v", "error", "-y"]);
    for i in inputs {
        cmd.args(["-f", "lavfi", "-i", i]);
    }
    let ok = cmd.args(out_args).arg(&path).status().expect("ffmpeg");
    assert!(ok.success(), "ffmpeg could not make {name}");
    path
}

/// Output arguments of a lossless H.264 + AAC test clip (exact pixels to compare against).
pub(crate) const LOSSLESS_AV: &[&str] = &[
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-qp",
    "0",
    "-pix_fmt",
    "yuv420p",
    "-c:a",
    "aac",
    "-shortest",
];

/// A `secs` long 25 fps clip of lavfi `src` (`color=c=red`, `testsrc2`…) at `size`, lossless,
/// with a sine tone of `hz`.
pub(crate) fn tone_video(
    dir: &Path,
    name: &str,
    src: &str,
    size: (u32, u32),
    secs: f64,
    hz: u32,
) -> PathBuf {
    let sep = if src.contains('=') { ':' } else { '=' };
    let v = format!("{src}{sep}s={}x{}:r=25:d={secs}", size.0, size.1);
    let a = format!("sine=frequency={hz}:sample_rate=48000:duration={secs}");
    lavfi(dir, name, &[&v, &a], LOSSLESS_AV)
}

/// Every frame of the first video stream of `video`, decoded to 8-bit grey, as one buffer
/// (frame after frame).
pub(crate) fn grey_raw(video: &Path) -> Vec<u8> {
    ffmpeg(&[
        "-i",
        video.to_str().unwrap(),
        "-map",
        "0:v:0",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "gray",
        "-",
    ])
}

/// [`grey_raw`] cut into `w`×`h` frames.
pub(crate) fn grey_frames(video: &Path, w: u32, h: u32) -> Vec<Vec<u8>> {
    grey_raw(video)
        .chunks_exact((w * h) as usize)
        .map(<[u8]>::to_vec)
        .collect()
}

/// Runs ffmpeg quietly; panics with its stderr on failure.
pub(crate) fn ffmpeg(args: &[&str]) -> Vec<u8> {
    let out = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"])
        .args(args)
        .output()
        .expect("spawn ffmpeg");
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `reel ARGS` in `dir` (with its own cache there) under an address-space limit of
/// `limit_kib` KiB (`sh -c 'ulimit -v …; exec reel …'`): a reel that tries to use more dies
/// instead of passing.
pub(crate) fn reel_with_memory_limit(dir: &Path, limit_kib: u64, args: &[&str]) -> Command {
    let mut c = Command::new("sh");
    c.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("REEL_CACHE_DIR", dir.join("cache"))
        .arg("-c")
        .arg(format!("ulimit -v {limit_kib}; exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_reel"))
        .args(args);
    c
}

/// A batch scene in a temp folder of its own (`scene.json`, `names.csv`, media in `assets/`)
/// with its own reel cache: the harness of the shared-base and segment tests.
pub(crate) struct BatchScene {
    pub(crate) dir: tempfile::TempDir,
}

impl BatchScene {
    /// An empty scene with its `assets/` folder.
    pub(crate) fn new() -> BatchScene {
        let s = BatchScene {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        std::fs::create_dir(s.path("assets")).expect("assets folder");
        s
    }

    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// `reel ARGS` in the scene's folder with its cache: exit code, stdout, stderr.
    pub(crate) fn reel(&self, args: &[&str]) -> (i32, String, String) {
        let mut c = reel(self.dir.path());
        c.env("REEL_CACHE_DIR", self.path("cache")).args(args);
        run(&mut c)
    }

    /// [`BatchScene::reel`] that must succeed; its stderr.
    pub(crate) fn reel_ok(&self, args: &[&str]) -> String {
        let (code, _, err) = self.reel(args);
        assert_eq!(code, 0, "{err}");
        err
    }

    /// Renders rows `rows` (e.g. `1-3`) of `scene.json` × `names.csv` into `out` with `-j 2`;
    /// reel's stderr.
    pub(crate) fn render(&self, out: &str, rows: &str, extra: &[&str]) -> String {
        let mut args = vec![
            "render",
            "scene.json",
            "--data",
            "names.csv",
            "-o",
            out,
            "-j",
            "2",
            "--rows",
            rows,
        ];
        args.extend(extra);
        self.reel_ok(&args)
    }

    /// Files of the cache's `shared/` folder whose names end in `suffix`, sorted.
    pub(crate) fn shared_files(&self, suffix: &str) -> Vec<PathBuf> {
        let Ok(dir) = std::fs::read_dir(self.path("cache/shared")) else {
            return Vec::new();
        };
        let mut v: Vec<PathBuf> = dir
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(suffix))
            .collect();
        v.sort();
        v
    }
}

impl BatchScene {
    /// `assets/NAME`: a `secs` long 320×180 30 fps H.264/AAC clip of lavfi `src` through
    /// filter `vf`, with a `hz` tone.
    pub(crate) fn clip(&self, name: &str, src: &str, vf: &str, secs: u32, hz: u32) {
        let out = self.path("assets").join(name);
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            &format!("{src}=size=320x180:rate=30:duration={secs}"),
            "-f",
            "lavfi",
            "-i",
            &format!("sine=frequency={hz}:sample_rate=48000:duration={secs}"),
            "-vf",
            vf,
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "20",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-ac",
            "2",
            "-shortest",
            out.to_str().unwrap(),
        ]);
    }
}

/// The decoded sound of a video as 16-bit stereo samples at 48 kHz.
pub(crate) fn samples(v: &Path) -> Vec<i16> {
    ffmpeg(&[
        "-i",
        v.to_str().unwrap(),
        "-map",
        "0:a",
        "-f",
        "s16le",
        "-ac",
        "2",
        "-ar",
        "48000",
        "-",
    ])
    .chunks_exact(2)
    .map(|b| i16::from_le_bytes([b[0], b[1]]))
    .collect()
}
