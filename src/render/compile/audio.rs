//! Sound: clip audio (video and audio clips) and the soundtrack, each trimmed at demux time,
//! resampled to 48 kHz stereo, given its volume, tweens and fades (linear ramps of
//! min(2 s, length/2), SEMANTICS §7), delayed to its start, and summed with
//! `amix normalize=0` (no level scaling, as Shotstack's SDK export does).

use super::Ctx;
use super::anim::{Knots, eval};
use crate::render::graph::{Filter, Link, Media, num};
use crate::render::timeline::{Anim, AudioFade, ClipKind, Source, TimedClip};

/// One sound to mix: where it comes from and how it plays.
struct Sound<'a> {
    link: Link,
    start: f64,
    length: f64,
    speed: f64,
    volume: &'a Anim,
    fade: Option<AudioFade>,
}

/// The mixed sound of the timeline, exactly as long as the timeline, or `None` when nothing
/// makes a sound.
pub(super) fn mix(cx: &mut Ctx) -> Option<Link> {
    let mut parts = Vec::new();
    let tl = cx.tl;
    for clip in tl.tracks.iter().flatten() {
        if let Some(s) = clip_sound(cx, clip) {
            parts.push(chain(cx, &s));
        }
    }
    if let Some(st) = tl.soundtrack.as_ref().filter(|st| st.info.has_audio) {
        let length = tl.duration.min(if st.info.duration > 0.0 {
            st.info.duration
        } else {
            tl.duration
        });
        let i = cx.input(&st.path, vec!["-t".into(), num(length)]);
        let volume = Anim::Const(st.volume);
        let s = Sound {
            link: Link::Input(i, Media::Audio),
            start: 0.0,
            length,
            speed: 1.0,
            volume: &volume,
            fade: st.fade,
        };
        parts.push(chain(cx, &s));
    }
    if parts.is_empty() {
        return None;
    }
    let d = num(cx.frames as f64 / cx.fps());
    let mut f = Vec::new();
    if parts.len() > 1 {
        f.push(
            Filter::new("amix")
                .arg("inputs", parts.len())
                .arg("duration", "longest")
                .arg("normalize", 0),
        );
    }
    f.push(Filter::new("apad").arg("whole_dur", d.clone()));
    f.push(Filter::new("atrim").arg("end", d));
    Some(cx.g.chain(&parts, f).into())
}

/// The sound of a video or audio clip, if it has one.
fn clip_sound<'a>(cx: &mut Ctx, clip: &'a TimedClip) -> Option<Sound<'a>> {
    let Source::Media { path, info } = &clip.source else {
        return None;
    };
    if !matches!(clip.kind, ClipKind::Video | ClipKind::Audio)
        || !info.has_audio
        || clip.media.speed <= 0.0
    {
        return None;
    }
    if clip.media.volume.as_const() == Some(0.0) {
        return None;
    }
    let key = std::ptr::from_ref(clip) as usize;
    let reuse = cx
        .media_inputs
        .iter()
        .find(|(p, _)| *p == key)
        .map(|(_, i)| *i);
    let index = reuse.unwrap_or_else(|| {
        let mut args = Vec::new();
        if clip.media.trim > 0.0 {
            args.extend(["-ss".to_owned(), num(clip.media.trim)]);
        }
        args.extend(["-t".to_owned(), num(clip.length * clip.media.speed)]);
        cx.media_input(path, info, args)
    });
    Some(Sound {
        link: Link::Input(index, Media::Audio),
        start: clip.start,
        length: clip.length,
        speed: clip.media.speed,
        volume: &clip.media.volume,
        fade: clip.media.fade,
    })
}

/// resample → speed → trim → volume → fades → delay.
fn chain(cx: &mut Ctx, s: &Sound) -> Link {
    let mut f = vec![
        Filter::new("asetpts").pos("PTS-STARTPTS"),
        Filter::new("aresample").pos(48000),
    ];
    if (s.speed - 1.0).abs() > 1e-9 {
        // Pitch follows speed, as Shotstack's previewer plays it (preservesPitch = false).
        f.push(Filter::new("asetrate").pos(num(48000.0 * s.speed)));
        f.push(Filter::new("aresample").pos(48000));
    }
    f.push(
        Filter::new("aformat")
            .arg("sample_fmts", "fltp")
            .arg("channel_layouts", "stereo"),
    );
    f.push(Filter::new("atrim").arg("end", num(s.length)));
    match s.volume {
        Anim::Const(v) if (v - 1.0).abs() < 1e-9 => {}
        Anim::Const(v) => f.push(Filter::new("volume").pos(num(*v))),
        tweens => {
            let n = (s.length * 100.0).ceil() as usize + 1;
            let k = Knots::frames(n, |i| eval(tweens, i as f64 / 100.0, 1.0));
            f.push(
                Filter::new("volume")
                    .arg("volume", k.expr("(t*100)"))
                    .arg("eval", "frame"),
            );
        }
    }
    let ramp = (s.length / 2.0).min(2.0);
    if matches!(s.fade, Some(AudioFade::In | AudioFade::InOut)) {
        f.push(
            Filter::new("afade")
                .arg("t", "in")
                .arg("st", 0)
                .arg("d", num(ramp)),
        );
    }
    if matches!(s.fade, Some(AudioFade::Out | AudioFade::InOut)) {
        f.push(
            Filter::new("afade")
                .arg("t", "out")
                .arg("st", num(s.length - ramp))
                .arg("d", num(ramp)),
        );
    }
    if s.start > 0.0 {
        let ms = (s.start * 1000.0).round() as i64;
        f.push(
            Filter::new("adelay")
                .arg("delays", format!("{ms}"))
                .arg("all", 1),
        );
    }
    cx.g.chain(&[s.link], f).into()
}
