//! A clip's picture prepared once: demux-time trim (or a seek for a window inside the clip),
//! `fps`, drawn frame sequences, crop, fit, scale, flips, chroma key, `filter`, constant
//! rotation; stills prepared alike are shared.

use super::alpha::apply_mask;
use super::{Clip, has_alpha, source_alpha};
use crate::render::compile::Ctx;
use crate::render::compile::layout::even;
use crate::render::compile::look;
use crate::render::graph::{Filter, Link, Media, num};
use crate::render::timeline::{ChromaKey, Fps, Source};

/// The clip's picture at its prepared size, every frame once (or one frame for stills).
pub(super) fn prepare(cx: &mut Ctx, c: &Clip) -> Link {
    let fps = cx.canvas.fps;
    let (start, index, mut filters) = match &c.clip.source {
        Source::Media { path, info } if !c.still && c.skip > 0 => {
            let (index, filters) = seeked_video(cx, c, path, info);
            (None, index, filters)
        }
        Source::Media { path, info } if !c.still => {
            let need = c.clip.length * c.clip.media.speed + 2.0 / cx.fps();
            let mut args = Vec::new();
            if c.clip.media.trim > 0.0 {
                args.extend(["-ss".to_owned(), num(c.clip.media.trim)]);
            }
            args.extend(["-t".to_owned(), num(need)]);
            let i = cx.media_input(path, info, args);
            cx.media_inputs
                .push((std::ptr::from_ref(c.clip) as usize, i));
            let mut f = vec![Filter::new("setpts").pos("PTS-STARTPTS")];
            if (c.clip.media.speed - 1.0).abs() > 1e-9 {
                f.push(Filter::new("setpts").pos(format!("PTS/{}", num(c.clip.media.speed))));
            }
            f.push(Filter::new("fps").pos(fps.to_string()));
            (None, i, f)
        }
        Source::Media { path, info } => {
            let args = if c.clip.media.trim > 0.0 {
                vec!["-ss".to_owned(), num(c.clip.media.trim)]
            } else {
                Vec::new()
            };
            (
                None,
                cx.media_input(path, info, args),
                vec![Filter::new("trim").arg("end_frame", 1)],
            )
        }
        Source::Layer { png, .. } => (None, cx.input(png, Vec::new()), Vec::new()),
        Source::Frames {
            dir,
            count,
            step,
            loop_from,
            ..
        } => {
            let n = c.k1 - c.k0;
            let pattern = sequence_pattern(dir);
            if c.skip > 0 {
                // A still's window starts inside the clip: the one drawn frame showing local
                // frame `skip`, held for the rest of the window.
                let png = drawn_frame(c.skip, *count, *step, *loop_from);
                let args = vec![
                    "-framerate".to_owned(),
                    fps.to_string(),
                    "-start_number".to_owned(),
                    png.to_string(),
                ];
                let f = vec![
                    Filter::new("trim").arg("end_frame", 1),
                    Filter::new("tpad")
                        .arg("stop_mode", "clone")
                        .arg("stop", n.saturating_sub(c.skip)),
                ];
                (None, cx.input(&pattern, args), f)
            } else {
                let rate = Fps {
                    num: fps.num,
                    den: fps.den.saturating_mul(*step as u32),
                };
                let args = vec!["-framerate".to_owned(), rate.to_string()];
                match loop_from {
                    // The entrance once, then the cycle repeated by the demuxer to the clip's end.
                    Some(from) => {
                        let intro = cx.input(&pattern, args.clone());
                        let mut again = args;
                        // `-t` ends the endless input; the trim below cuts it to the frame.
                        let rest = n.saturating_sub(*from) + 2;
                        again.extend(["-loop", "1", "-start_number"].map(str::to_owned));
                        again.push(from.to_string());
                        again.extend(["-t".to_owned(), num(rest as f64 / cx.fps())]);
                        let cycle = cx.input(&pattern, again);
                        let head = cx.g.chain(
                            &[Link::Input(intro, Media::Video)],
                            vec![Filter::new("trim").arg("end_frame", *from)],
                        );
                        let tail = cx.g.chain(
                            &[Link::Input(cycle, Media::Video)],
                            vec![
                                Filter::new("trim")
                                    .arg("end_frame", n.saturating_sub(*from).max(1)),
                                Filter::new("setpts").pos("PTS-STARTPTS"),
                            ],
                        );
                        let joined = cx.g.chain(
                            &[head.into(), tail.into()],
                            vec![Filter::new("concat").arg("n", 2).arg("v", 1).arg("a", 0)],
                        );
                        (Some(Link::from(joined)), 0, Vec::new())
                    }
                    None => {
                        let mut f = Vec::new();
                        if *step > 1 {
                            f.push(Filter::new("fps").pos(fps.to_string()));
                        }
                        // The text at rest (the last frame) holds to the end of the clip (later
                        // filters cut any frames past it).
                        let hold = n.saturating_sub(*count);
                        f.push(
                            Filter::new("tpad")
                                .arg("stop_mode", "clone")
                                .arg("stop", hold),
                        );
                        (None, cx.input(&pattern, args), f)
                    }
                }
            }
        }
        Source::None => (None, 0, Vec::new()),
    };
    filters.extend(shape_filters(c));
    let mut link = start.unwrap_or(Link::Input(index, Media::Video));
    if let Some(key) = c.clip.visual.chroma_key {
        let fitted = cx.g.chain(&[link], std::mem::take(&mut filters)).into();
        link = chroma_key(cx, c, fitted, key);
    }
    if let Some(l) = c.clip.visual.filter {
        filters.extend(look::filters(l, c.geo.visible.1));
    }
    // Opaque pictures stay yuv420p (base runs need it; overlay adds alpha when it must).
    let format = if has_alpha(c) { "yuva420p" } else { "yuv420p" };
    filters.push(Filter::new("format").pos(format));
    if let Some(a) = c
        .clip
        .visual
        .transform
        .rotate
        .as_const()
        .filter(|a| *a != 0.0)
    {
        filters.push(Filter::new("format").pos("yuva420p"));
        filters.push(rotate(&num(a.to_radians()), rotated(c.geo.visible, a)));
    }
    // A still prepared alike before (the same file, input options and filters) is shared:
    // its input is dropped again and the earlier chain gets one more output.
    let still = c.still && matches!(c.clip.source, Source::Media { .. } | Source::Layer { .. });
    if still && link == Link::Input(index, Media::Video) && index + 1 == cx.inputs.len() {
        let input = &cx.inputs[index];
        let mut key = format!("{}\u{0}{:?}", input.path.display(), input.args_before_i);
        for f in &filters {
            key.push('\u{0}');
            key.push_str(&f.to_string());
        }
        if let Some(&pad) = cx.stills.get(&key) {
            cx.inputs.pop();
            return cx.g.reuse(pad).into();
        }
        let pad = cx.g.chain(&[link], filters);
        cx.stills.insert(key, pad);
        return pad.into();
    }
    cx.g.chain(&[link], filters).into()
}

/// A video input seeked (demux-time `-ss`) to a frame before local frame `c.skip`, its
/// timestamps put back where the whole render has them, so `fps` picks the same source
/// frames; the prepared stream then starts at local frame `c.skip`, and only a few frames are
/// decoded. The whole render's `PTS-STARTPTS` removes the gap between `trim` and the first
/// frame at or after it, which is computed here from the probed frame rate.
fn seeked_video(
    cx: &mut Ctx,
    c: &Clip,
    path: &std::path::Path,
    info: &crate::render::timeline::MediaInfo,
) -> (usize, Vec<Filter>) {
    let fps = cx.canvas.fps;
    let speed = c.clip.media.speed;
    let trim = c.clip.media.trim;
    // One output frame of margin, so `fps` sees the frame before the one it keeps.
    let pre = c.skip.saturating_sub(1);
    let local = pre as f64 / cx.fps();
    let gap = if trim > 0.0 && info.fps > 0.0 {
        ((trim * info.fps - 1e-6).ceil() / info.fps - trim).max(0.0)
    } else {
        0.0
    };
    let need = (c.skip - pre + 3) as f64 / cx.fps() * speed;
    let args = vec![
        "-ss".to_owned(),
        num(trim + local * speed),
        "-t".to_owned(),
        num(need),
    ];
    let i = cx.media_input(path, info, args);
    cx.media_inputs
        .push((std::ptr::from_ref(c.clip) as usize, i));
    let mut f = vec![Filter::new("setpts").pos(format!("PTS+{}/TB", num(local * speed - gap)))];
    if (speed - 1.0).abs() > 1e-9 {
        f.push(Filter::new("setpts").pos(format!("PTS/{}", num(speed))));
    }
    f.extend([
        // Pads the start with the first frame (never shown): frame numbers stay local ones.
        Filter::new("fps").pos(fps.to_string()).arg("start_time", 0),
        Filter::new("trim").arg("start_frame", c.skip),
        Filter::new("setpts").pos("PTS-STARTPTS"),
    ]);
    (i, f)
}

/// Keys `link` (the fitted picture) by `key`: the matte is computed on an RGB copy and becomes
/// the picture's alpha (multiplied by any alpha it had), so the colours stay in YUV.
fn chroma_key(cx: &mut Ctx, c: &Clip, link: Link, key: ChromaKey) -> Link {
    let parts = cx.g.chain_n(&[link], vec![Filter::new("split").pos(2)], 2);
    let matte = cx.g.chain(&[parts[1].into()], look::key_matte(key));
    apply_mask(cx, parts[0].into(), matte.into(), source_alpha(c))
}

/// asset.crop, flips, scale to the fitted size, cut to the box.
fn shape_filters(c: &Clip) -> Vec<Filter> {
    let g = c.geo;
    let mut f = Vec::new();
    if let Some((w, h, x, y)) = g.crop {
        f.push(
            Filter::new("crop")
                .arg("w", w)
                .arg("h", h)
                .arg("x", x)
                .arg("y", y),
        );
    }
    let tr = &c.clip.visual.transform;
    if tr.flip_h {
        f.push(Filter::new("hflip"));
    }
    if tr.flip_v {
        f.push(Filter::new("vflip"));
    }
    let cropped = g.crop.map_or(g.source, |(w, h, _, _)| (w, h));
    if cropped != g.content {
        f.push(
            Filter::new("scale")
                .arg("w", g.content.0)
                .arg("h", g.content.1)
                .arg("flags", "bicubic"),
        );
    }
    if g.visible != g.content {
        f.push(
            Filter::new("crop")
                .arg("w", g.visible.0)
                .arg("h", g.visible.1),
        );
    }
    f.push(Filter::new("setsar").pos(1));
    f
}

/// Bounding box of a `size` picture rotated by `deg`, even sides.
pub(super) fn rotated(size: (u32, u32), deg: f64) -> (u32, u32) {
    let (s, c) = deg.to_radians().sin_cos();
    let (w, h) = (f64::from(size.0), f64::from(size.1));
    (
        even(w * c.abs() + h * s.abs()),
        even(w * s.abs() + h * c.abs()),
    )
}

pub(super) fn rotate(angle: &str, out: (u32, u32)) -> Filter {
    Filter::new("rotate")
        .arg("a", angle.to_owned())
        .arg("ow", out.0)
        .arg("oh", out.1)
        .arg("c", "none")
}

/// Frame size of the prepared stream.
pub(super) fn prepared_size(c: &Clip) -> (u32, u32) {
    match c.clip.visual.transform.rotate.as_const() {
        Some(a) if a != 0.0 => rotated(c.geo.visible, a),
        _ => c.geo.visible,
    }
}

/// The drawn frame (file index in a [`Source::Frames`] directory) that clip-local frame
/// `local` shows: each drawn frame lasts `step` frames; past the last one, the frames from
/// `loop_from` repeat, or else the last one holds. Pure.
fn drawn_frame(local: usize, count: usize, step: usize, loop_from: Option<usize>) -> usize {
    let j = local / step.max(1);
    let last = count.saturating_sub(1);
    match loop_from {
        Some(from) if j > last && from < count => from + (j - from) % (count - from),
        _ => j.min(last),
    }
}

/// The `image2` pattern of a frame directory; a `%` in the directory's own path is doubled so
/// the demuxer reads it literally.
fn sequence_pattern(dir: &std::path::Path) -> std::path::PathBuf {
    let dir = dir.to_string_lossy().replace('%', "%%");
    std::path::Path::new(&dir).join(Source::FRAME_PATTERN)
}

#[cfg(test)]
mod tests {
    use super::drawn_frame;

    #[test]
    fn a_still_inside_a_drawn_sequence_picks_the_frame_a_full_render_shows() {
        // One drawn frame per output frame, the last one held.
        assert_eq!(drawn_frame(0, 10, 1, None), 0);
        assert_eq!(drawn_frame(7, 10, 1, None), 7);
        assert_eq!(drawn_frame(25, 10, 1, None), 9);
        // A long motion drawn at a third of the rate.
        assert_eq!(drawn_frame(7, 10, 3, None), 2);
        assert_eq!(drawn_frame(100, 10, 3, None), 9);
        // An entrance of 4 frames, then frames 4..10 repeat.
        assert_eq!(drawn_frame(9, 10, 1, Some(4)), 9);
        assert_eq!(drawn_frame(10, 10, 1, Some(4)), 4);
        assert_eq!(drawn_frame(17, 10, 1, Some(4)), 5);
    }
}
