//! Checking a finished `.part` file before it gets its final name: ffprobe must read it and
//! show the streams and the duration the plan asked for.
//!
//! ffmpeg can exit 0 and leave a broken file: on a full disk with `+faststart` the `moov` atom
//! is never written ("moov atom not found"), and a truncated WebM has a short duration. A file
//! that fails here is never renamed, so a final name always holds a playable output, and the
//! batch records no manifest entry for it. Owns [`Expect`] and the ffprobe call that checks
//! it; the runner ([`super::run`]) decides what to do with a failure.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::RenderPlan;
use super::timeline::Format;

/// Slack on top of the frame tolerance: an AAC or Opus stream ends on a whole audio packet
/// (1024 samples at 48 kHz ≈ 21 ms, Opus 20 ms), so sound may outlast the picture by about
/// that much.
const AUDIO_SLACK: f64 = 0.05;

/// Frames of difference allowed between the expected and the probed duration (rounding of
/// timestamps, GIF delays in hundredths of a second).
const FRAMES_SLACK: f64 = 2.0;

/// What a finished output must show.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Expect {
    /// Seconds of output; 0 for a still (no duration check).
    pub duration: f64,
    /// Seconds per frame (the duration tolerance is [`FRAMES_SLACK`] of these).
    pub frame: f64,
    /// A picture stream.
    pub video: bool,
    /// A sound stream.
    pub audio: bool,
}

impl Expect {
    /// What `plan` writes: its duration, a picture unless it is an mp3, sound when it maps an
    /// audio pad (maps are video first, then audio).
    pub fn of_plan(plan: &RenderPlan) -> Expect {
        let video = plan.format != Format::Mp3;
        let audio = plan.maps.len() > usize::from(video);
        let frame = if plan.frames > 0 && plan.duration > 0.0 {
            plan.duration / plan.frames as f64
        } else {
            1.0 / 25.0
        };
        Expect {
            duration: plan.duration,
            frame,
            video,
            audio,
        }
    }

    /// The allowed difference between expected and probed durations, in seconds.
    pub fn tolerance(&self) -> f64 {
        FRAMES_SLACK * self.frame + if self.audio { AUDIO_SLACK } else { 0.0 }
    }
}

/// Probes `path` and checks it against `expect`; `Err` says what is wrong, in words. A PNG,
/// JPEG or BMP still is checked here without ffprobe (a process start costs as much as the
/// rest of a `reel still`): its signature and its end marker show it was written whole.
pub fn verify(path: &Path, expect: &Expect) -> Result<(), String> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    if expect.duration <= 0.0
        && !expect.audio
        && let Some(kind) = ext.as_deref().and_then(Still::of_extension)
    {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read it back ({e})"))?;
        return kind.check(&bytes);
    }
    let output = Command::new(ffmpeg_sidecar::ffprobe::ffprobe_path())
        .args(["-v", "error", "-of", "json"])
        .args([
            "-show_entries",
            "format=duration:stream=codec_type,duration",
        ])
        .arg(path)
        .output();
    let output = match output {
        Ok(o) => o,
        // Without ffprobe the check cannot run; ffmpeg's own exit status stands.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("ffprobe could not run: {e}")),
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
        return Err(format!(
            "ffprobe cannot read it ({})",
            last.unwrap_or("no reason given").trim()
        ));
    }
    let json: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("ffprobe gave no readable answer ({e})"))?;
    check(&json, expect)
}

/// An image format a still is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Still {
    Png,
    Jpeg,
    Bmp,
}

impl Still {
    fn of_extension(ext: &str) -> Option<Still> {
        match ext {
            "png" => Some(Still::Png),
            "jpg" | "jpeg" => Some(Still::Jpeg),
            "bmp" => Some(Still::Bmp),
            _ => None,
        }
    }

    /// Whether `bytes` hold a whole image of this kind. Pure.
    fn check(self, bytes: &[u8]) -> Result<(), String> {
        let whole = match self {
            // Signature, and the IEND chunk (length 0, type, CRC) last.
            Still::Png => {
                bytes.starts_with(b"\x89PNG\r\n\x1a\n")
                    && bytes.len() >= 20
                    && bytes[bytes.len() - 12..].starts_with(b"\0\0\0\0IEND")
            }
            // Start and end of image markers.
            Still::Jpeg => bytes.starts_with(&[0xff, 0xd8]) && bytes.ends_with(&[0xff, 0xd9]),
            // The header's file size is the file's.
            Still::Bmp => {
                bytes.starts_with(b"BM")
                    && bytes.len() >= 6
                    && u32::from_le_bytes([bytes[2], bytes[3], bytes[4], bytes[5]]) as usize
                        == bytes.len()
            }
        };
        if whole {
            Ok(())
        } else {
            Err(format!("it is not a whole {self:?} image ({} bytes)", bytes.len()).to_lowercase())
        }
    }
}

/// Checks ffprobe's JSON (`format.duration`, `streams[].codec_type`/`duration`). Pure.
fn check(json: &Value, expect: &Expect) -> Result<(), String> {
    let streams = json["streams"].as_array().map_or(&[][..], Vec::as_slice);
    let of_type = |t: &str| streams.iter().find(|s| s["codec_type"] == t);
    let (video, audio) = (of_type("video"), of_type("audio"));
    if expect.video && video.is_none() {
        return Err("it has no video stream".into());
    }
    if expect.audio && audio.is_none() {
        return Err("it has no audio stream".into());
    }
    if expect.duration <= 0.0 {
        return Ok(());
    }
    let num = |v: &Value| v.as_str().and_then(|s| s.parse::<f64>().ok());
    let tolerance = expect.tolerance();
    let mut measured = vec![("the file", num(&json["format"]["duration"]))];
    if expect.video {
        measured.push(("its video", video.and_then(|s| num(&s["duration"]))));
    }
    if expect.audio {
        measured.push(("its audio", audio.and_then(|s| num(&s["duration"]))));
    }
    for (what, seconds) in measured {
        match seconds {
            Some(d) if (d - expect.duration).abs() <= tolerance => {}
            Some(d) => {
                return Err(format!(
                    "{what} lasts {d:.3} s instead of {:.3} s",
                    expect.duration
                ));
            }
            // Containers that do not store a stream's duration (some WebM streams) are
            // judged by the file's.
            None if what != "the file" => {}
            None => return Err("it has no duration".into()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const VIDEO: Expect = Expect {
        duration: 2.0,
        frame: 0.04,
        video: true,
        audio: true,
    };

    fn probed(format: &str, video: Option<&str>, audio: Option<&str>) -> Value {
        let mut streams = Vec::new();
        if let Some(d) = video {
            streams.push(json!({"codec_type": "video", "duration": d}));
        }
        if let Some(d) = audio {
            streams.push(json!({"codec_type": "audio", "duration": d}));
        }
        json!({"format": {"duration": format}, "streams": streams})
    }

    #[test]
    fn a_complete_file_passes() {
        let ok = probed("2.021", Some("2.000"), Some("2.021"));
        assert_eq!(check(&ok, &VIDEO), Ok(()));
    }

    #[test]
    fn short_or_missing_streams_fail() {
        let short = probed("1.2", Some("1.2"), Some("1.2"));
        let e = check(&short, &VIDEO).unwrap_err();
        assert!(e.contains("lasts 1.200 s instead of 2.000 s"), "{e}");
        let short_video = probed("2.0", Some("1.5"), Some("2.0"));
        assert!(
            check(&short_video, &VIDEO)
                .unwrap_err()
                .contains("its video")
        );
        let mute = probed("2.0", Some("2.0"), None);
        assert_eq!(check(&mute, &VIDEO).unwrap_err(), "it has no audio stream");
        let blind = probed("2.0", None, Some("2.0"));
        assert_eq!(check(&blind, &VIDEO).unwrap_err(), "it has no video stream");
        let none = json!({"format": {}, "streams": [{"codec_type": "video"}]});
        let silent = Expect {
            audio: false,
            ..VIDEO
        };
        assert_eq!(check(&none, &silent).unwrap_err(), "it has no duration");
    }

    #[test]
    fn stills_need_only_a_picture() {
        let still = Expect {
            duration: 0.0,
            frame: 0.04,
            video: true,
            audio: false,
        };
        let png = json!({"format": {"duration": "N/A"}, "streams": [{"codec_type": "video"}]});
        assert_eq!(check(&png, &still), Ok(()));
    }

    #[test]
    fn stills_are_checked_whole_without_ffprobe() {
        let png = b"\x89PNG\r\n\x1a\n....\0\0\0\0IEND\xaeB`\x82";
        assert_eq!(Still::Png.check(png), Ok(()));
        assert!(
            Still::Png.check(&png[..png.len() - 4]).is_err(),
            "cut short"
        );
        assert_eq!(Still::Jpeg.check(&[0xff, 0xd8, 1, 2, 0xff, 0xd9]), Ok(()));
        assert!(Still::Jpeg.check(&[0xff, 0xd8, 1, 2]).is_err());
        let mut bmp = b"BM\0\0\0\0rest".to_vec();
        let n = bmp.len() as u32;
        bmp[2..6].copy_from_slice(&n.to_le_bytes());
        assert_eq!(Still::Bmp.check(&bmp), Ok(()));
        assert!(Still::Bmp.check(&bmp[..8]).is_err());
        let err = Still::Png.check(b"").unwrap_err();
        assert_eq!(err, "it is not a whole png image (0 bytes)");
    }
}
