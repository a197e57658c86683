//! In-process probing (`render::probe::read_in_process`) against ffprobe on real files made
//! by ffmpeg: the same facts where it answers, `None` (ffprobe's turn) where it must not.

use std::path::{Path, PathBuf};

use reel::render::cache::{Cache, CacheStats};
use reel::render::probe::{self, MediaInfo};

use crate::util::{have_ffmpeg, lavfi};

/// Asserts the in-process facts equal ffprobe's (durations to the microsecond ffprobe prints).
fn same_as_ffprobe(path: &Path) -> MediaInfo {
    let name = path.file_name().unwrap().to_string_lossy();
    let ours = probe::read_in_process(path).unwrap_or_else(|| panic!("{name}: not read"));
    let theirs = probe::run_ffprobe(path).unwrap();
    let close = |a: Option<f64>, b: Option<f64>, eps: f64| match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= eps,
        (a, b) => a == b,
    };
    assert!(
        close(ours.duration, theirs.duration, 1e-6),
        "{name}: {ours:?} vs {theirs:?}"
    );
    assert!(
        close(ours.fps, theirs.fps, 1e-9),
        "{name}: {ours:?} vs {theirs:?}"
    );
    let strip = |i: &MediaInfo| MediaInfo {
        duration: None,
        fps: None,
        ..i.clone()
    };
    assert_eq!(strip(&ours), strip(&theirs), "{name}");
    ours
}

/// `mp4` with its video track turned a quarter (the `tkhd` matrix phones write).
fn rotated(mp4: &Path) -> PathBuf {
    let mut bytes = std::fs::read(mp4).unwrap();
    let at = bytes.windows(4).position(|w| w == b"tkhd").unwrap();
    assert_eq!(bytes[at + 4], 0, "version 0 tkhd");
    let matrix: [u32; 9] = [0, 0x10000, 0, 0xffff_0000, 0, 0, 0, 0, 0x4000_0000];
    for (i, v) in matrix.iter().enumerate() {
        let o = at + 4 + 40 + 4 * i;
        bytes[o..o + 4].copy_from_slice(&v.to_be_bytes());
    }
    std::fs::write(mp4, bytes).unwrap();
    mp4.to_owned()
}

#[test]
fn in_process_probe_agrees_with_ffprobe() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pic = |name: &str, pix: &str| {
        lavfi(
            d,
            name,
            &["testsrc2=s=297x161"],
            &["-frames:v", "1", "-pix_fmt", pix],
        )
    };
    for (name, pix) in [
        ("rgb.png", "rgb24"),
        ("rgba.png", "rgba"),
        ("gray.png", "gray"),
        ("pal.png", "pal8"),
        ("deep.png", "rgb48be"),
        ("ya.png", "ya8"),
        ("j420.jpg", "yuvj420p"),
        ("j422.jpeg", "yuvj422p"),
        ("j444.jpg", "yuvj444p"),
    ] {
        let info = same_as_ffprobe(&pic(name, pix));
        assert!(
            info.is_still && info.pix_fmt.as_deref() == Some(pix),
            "{name}"
        );
    }
    let x264 = ["-c:v", "libx264", "-preset", "ultrafast"];
    let video = |name: &str, inputs: &[&str], extra: &[&str]| {
        let args: Vec<&str> = x264.iter().chain(extra).copied().collect();
        lavfi(d, name, inputs, &args)
    };
    let av = ["testsrc2=s=160x90:r=30000/1001:d=1.3", "sine=d=1.3:r=48000"];
    let i = same_as_ffprobe(&video(
        "av.mp4",
        &av,
        &["-pix_fmt", "yuv420p", "-c:a", "aac"],
    ));
    assert!(i.has_video && i.has_audio && (i.fps.unwrap() - 29.97).abs() < 0.01);
    // Odd sizes are cropped in the SPS; interlaced-free 4:4:4 and full range name their formats.
    let odd = ["testsrc2=s=101x57:r=25:d=0.5"];
    same_as_ffprobe(&video("odd.mov", &odd, &["-pix_fmt", "yuv444p"]));
    same_as_ffprobe(&video("full.mp4", &odd, &["-pix_fmt", "yuvj420p"]));
    same_as_ffprobe(&video("v422.m4v", &odd, &["-pix_fmt", "yuv422p"]));
    let one = video("one.mp4", &odd, &["-frames:v", "1", "-pix_fmt", "yuv420p"]);
    assert!(same_as_ffprobe(&one).is_still);
    let aac = lavfi(d, "a.m4a", &["sine=d=0.7:r=44100"], &["-c:a", "aac"]);
    assert!(!same_as_ffprobe(&aac).has_video);
    for (name, rate, ch) in [("s.mp3", "44100", "2"), ("m.mp3", "22050", "1")] {
        let mp3 = lavfi(d, name, &["sine=d=2.1"], &["-ar", rate, "-ac", ch]);
        assert!(same_as_ffprobe(&mp3).duration.unwrap() > 2.0);
    }
    let tagged = lavfi(
        d,
        "tagged.mp3",
        &["sine=d=1"],
        &["-metadata", "title=A title", "-b:a", "96k"],
    );
    same_as_ffprobe(&tagged);

    // Left to ffprobe: other codecs and containers, 10-bit, rotation, patterns, animation.
    let mut ffprobes = vec![
        video("deep.mp4", &odd, &["-pix_fmt", "yuv420p10le"]),
        lavfi(d, "v.webm", &odd, &["-c:v", "libvpx-vp9", "-b:v", "100k"]),
        lavfi(d, "a.wav", &["sine=d=0.5"], &[]),
        lavfi(d, "a.gif", &odd, &[]),
        lavfi(d, "mpeg4.mp4", &odd, &["-c:v", "mpeg4"]),
        lavfi(d, "anim.png", &odd, &["-f", "apng"]),
        // Small enough for ffmpeg's `jpeg_pipe` (larger ones are `image2`).
        lavfi(d, "tiny.jpg", &["color=s=16x16"], &["-frames:v", "1"]),
        lavfi(d, "opus.mp4", &["sine=d=0.5"], &["-c:a", "libopus"]),
        rotated(&video("rot.mp4", &odd, &["-pix_fmt", "yuv420p"])),
    ];
    let pattern = d.join("a%d.png");
    std::fs::copy(d.join("rgb.png"), &pattern).unwrap();
    ffprobes.push(pattern);
    for path in &ffprobes {
        assert_eq!(probe::read_in_process(path), None, "{}", path.display());
        probe::run_ffprobe(path).unwrap();
    }
}

#[test]
fn broken_files_are_left_to_ffprobe_which_words_the_error() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path().join("cache"));
    let png = lavfi(
        dir.path(),
        "a.png",
        &["testsrc2=s=64x64"],
        &["-frames:v", "1"],
    );
    let mut bytes = std::fs::read(&png).unwrap();
    // A PNG whose image data is cut short does not decode: an error at the clip (issue 15).
    bytes.truncate(bytes.len() / 2);
    let cut = dir.path().join("cut.png");
    std::fs::write(&cut, &bytes).unwrap();
    assert_eq!(probe::read_in_process(&cut), None);
    let text = dir.path().join("text.png");
    std::fs::write(&text, "hello, this is text").unwrap();
    assert_eq!(probe::read_in_process(&text), None);
    let err = probe::probe_cached(&text, &cache).unwrap_err().to_string();
    assert!(err.contains("text.png") && err.contains("png"), "{err}");
    // A good file costs no ffprobe; the bad one did.
    probe::probe_cached(&png, &cache).unwrap();
    let stats = cache.stats();
    assert_eq!(CacheStats::get(&stats.probe_runs), 2);
    assert_eq!(CacheStats::get(&stats.ffprobe_runs), 1);
}
