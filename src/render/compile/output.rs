//! The output end of the plan: range and still-frame selection, `scaleTo`, GIF palettes, and
//! the encoder arguments for each format (the `quality` → CRF/preset table is in
//! docs/rendering.md).

use super::{Ctx, Input, RenderPlan};
use crate::render::graph::{Filter, FilterGraph, Link, Pad, num};
use crate::render::timeline::{Format, Quality};

/// What the output needs, decided before the graph is built.
pub(super) struct Spec {
    format: Format,
    /// Output frames `[first, end)` of the timeline.
    first: usize,
    end: usize,
    mute: bool,
}

impl Spec {
    /// Reads the timeline's output settings and the render options.
    pub(super) fn new(cx: &Ctx) -> Spec {
        let out = &cx.tl.output;
        let format = match cx.opts.frame {
            Some(_) if !out.format.is_still() => Format::Png,
            _ => out.format,
        };
        if format.is_still() {
            let at = cx
                .opts
                .frame
                .or(out.poster)
                .or(out.range.map(|r| r.start))
                .unwrap_or(0.0);
            let k = cx.frame_at(at).min(cx.frames.saturating_sub(1));
            return Spec {
                format,
                first: k,
                end: k + 1,
                mute: true,
            };
        }
        let (first, end) = match out.range {
            Some(r) => {
                let a = cx.frame_at(r.start).min(cx.frames.saturating_sub(1));
                let b = r
                    .length
                    .map_or(cx.frames, |l| cx.frame_at(r.start + l))
                    .clamp(a + 1, cx.frames);
                (a, b)
            }
            None => (0, cx.frames),
        };
        Spec {
            format,
            first,
            end,
            mute: out.mute,
        }
    }

    /// Frames `[first, end)` of the picture alone, in the output's format (a segment).
    pub(super) fn frames(cx: &Ctx, first: usize, end: usize) -> Spec {
        Spec {
            format: cx.tl.output.format,
            first,
            end,
            mute: true,
        }
    }

    /// The one frame `[k, k + 1)` a still output shows, which the graph alone computes.
    pub(super) fn still_window(&self) -> Option<(usize, usize)> {
        self.format.is_still().then_some((self.first, self.end))
    }

    /// Whether a picture is written.
    pub(super) fn has_video(&self) -> bool {
        self.format != Format::Mp3
    }

    /// Whether sound is written.
    pub(super) fn has_audio(&self) -> bool {
        !self.mute && !self.format.is_still() && self.format != Format::Gif
    }
}

/// Turns the composed streams into the plan: tail filters, maps, encoder arguments.
pub(super) fn finish(
    mut cx: Ctx,
    spec: &Spec,
    video: Option<Link>,
    audio: Option<Link>,
) -> RenderPlan {
    let fps = cx.fps();
    let mut maps = Vec::new();
    if let Some(v) = video {
        maps.push(video_tail(&mut cx, spec, v));
    }
    if let Some(a) = audio {
        let mut f = Vec::new();
        if spec.first > 0 || spec.end < cx.frames {
            f.push(
                Filter::new("atrim")
                    .arg("start", num(spec.first as f64 / fps))
                    .arg("end", num(spec.end as f64 / fps)),
            );
            f.push(Filter::new("asetpts").pos("PTS-STARTPTS"));
        }
        maps.push(pad(&mut cx.g, a, f));
    }
    let frames = (spec.end - spec.first) as u64;
    let duration = if spec.format.is_still() {
        0.0
    } else {
        frames as f64 / fps
    };
    let mut global_args = Vec::new();
    if let Some(n) = cx.opts.threads {
        global_args.extend(["-filter_complex_threads".to_owned(), n.to_string()]);
    }
    let encoder_args = encoder(&cx, spec, audio.is_some());
    let inputs: Vec<Input> = std::mem::take(&mut cx.inputs);
    RenderPlan {
        inputs,
        filter: cx.g,
        maps,
        global_args,
        encoder_args,
        format: spec.format,
        extension: spec.format.extension(),
        duration,
        frames,
        zooms: std::mem::take(&mut cx.zooms),
    }
}

/// Range/still selection, `scaleTo`, GIF palette.
fn video_tail(cx: &mut Ctx, spec: &Spec, v: Link) -> Pad {
    let mut f = Vec::new();
    if (spec.first, spec.end) != cx.window {
        f.push(
            Filter::new("trim")
                .arg("start_frame", cx.out(spec.first))
                .arg("end_frame", cx.out(spec.end)),
        );
        f.push(Filter::new("setpts").pos("PTS-STARTPTS"));
    }
    if let Some((w, h)) = cx.tl.output.scale_to.filter(|_| !cx.opts.preview) {
        f.push(
            Filter::new("scale")
                .arg("w", w)
                .arg("h", h)
                .arg("flags", "bicubic"),
        );
    }
    match spec.format {
        Format::Gif => {
            let parts = cx.g.chain_n(
                &[v],
                {
                    f.push(Filter::new("split").pos(2));
                    f
                },
                2,
            );
            let pal = cx.g.chain(
                &[parts[0].into()],
                vec![Filter::new("palettegen").arg("stats_mode", "diff")],
            );
            cx.g.chain(
                &[parts[1].into(), pal.into()],
                vec![
                    Filter::new("paletteuse")
                        .arg("dither", "bayer")
                        .arg("bayer_scale", 3),
                ],
            )
        }
        Format::Jpg => {
            f.push(Filter::new("format").pos("yuvj420p"));
            pad(&mut cx.g, v, f)
        }
        _ => pad(&mut cx.g, v, f),
    }
}

/// `link` through `filters` as a pad (a `null` filter when there is nothing to do and the link
/// is not a pad already).
fn pad(g: &mut FilterGraph, link: Link, mut filters: Vec<Filter>) -> Pad {
    match (link, filters.is_empty()) {
        (Link::Pad(p), true) => p,
        (Link::Input(..), true) => {
            filters.push(Filter::new(
                if matches!(link, Link::Input(_, crate::render::graph::Media::Audio)) {
                    "anull"
                } else {
                    "null"
                },
            ));
            g.chain(&[link], filters)
        }
        _ => g.chain(&[link], filters),
    }
}

/// x264 (CRF, preset) for a quality (docs/rendering.md).
fn x264(q: Quality, preview: bool) -> (u32, &'static str) {
    if preview {
        return (28, "ultrafast");
    }
    match q {
        Quality::VeryLow => (32, "veryfast"),
        Quality::Low => (28, "veryfast"),
        Quality::Medium => (23, "veryfast"),
        Quality::High => (20, "fast"),
        Quality::VeryHigh => (17, "medium"),
    }
}

/// Encoder and muxer arguments.
fn encoder(cx: &Ctx, spec: &Spec, audio: bool) -> Vec<String> {
    let (crf, preset) = x264(cx.tl.output.quality, cx.opts.preview);
    let (fps, x264_crf, vp9_crf) = (
        cx.canvas.fps.to_string(),
        crf.to_string(),
        (crf + 9).to_string(),
    );
    let yuv = ["-pix_fmt", "yuv420p", "-r", &fps];
    let mut a: Vec<&str> = match spec.format {
        Format::Mp4 => ["-c:v", "libx264", "-preset", preset, "-crf", &x264_crf].to_vec(),
        Format::Webm => ["-c:v", "libvpx-vp9", "-crf", &vp9_crf, "-b:v", "0"]
            .into_iter()
            .chain(["-deadline", "realtime", "-cpu-used", "8", "-row-mt", "1"])
            .collect(),
        Format::Gif => vec![
            "-loop",
            if cx.tl.output.repeat { "0" } else { "-1" },
            "-f",
            "gif",
        ],
        Format::Mp3 => vec![
            "-c:a",
            "libmp3lame",
            "-b:a",
            "192k",
            "-ar",
            "48000",
            "-ac",
            "2",
            "-f",
            "mp3",
        ],
        Format::Jpg => vec!["-frames:v", "1", "-q:v", "2"],
        Format::Png => vec!["-frames:v", "1", "-pix_fmt", "rgb24"],
        Format::Bmp => vec!["-frames:v", "1", "-pix_fmt", "bgr24"],
    };
    if matches!(spec.format, Format::Mp4 | Format::Webm) {
        a.extend(yuv);
        if audio {
            let codec = if spec.format == Format::Mp4 {
                "aac"
            } else {
                "libopus"
            };
            a.extend(["-c:a", codec, "-b:a", "128k", "-ar", "48000", "-ac", "2"]);
        }
    }
    if spec.format == Format::Mp4 {
        a.extend(["-movflags", "+faststart"]);
    }
    if spec.format.is_still() {
        a.extend(["-update", "1", "-f", "image2"]);
    }
    let threads = cx.opts.threads.map(|n| n.to_string());
    let mut out: Vec<String> = a.into_iter().map(str::to_owned).collect();
    if let Some(t) = threads {
        out.extend(["-threads".to_owned(), t]);
    }
    out
}
