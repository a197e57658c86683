//! The base layer: which opaque full-frame piece shows at each frame, so those frames are
//! concatenated (no blending, as `ref_ffmpeg.sh` does for its bottom track) and only the
//! layers above them are overlaid.
//!
//! Pure frame arithmetic; `visual` emits the filters.

/// A span of frames of one clip piece, as the planner sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    /// Track index (0 = top).
    pub track: usize,
    /// First output frame.
    pub k0: usize,
    /// One past the last output frame.
    pub k1: usize,
    /// Opaque and covering the whole canvas for all its frames.
    pub opaque_full: bool,
}

/// What the base shows for a run of frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Base {
    /// The background colour.
    Background,
    /// Span number `i`.
    Span(usize),
}

/// A run of base frames: `(first, end, what)`.
pub(crate) type Run = (usize, usize, Base);

/// The base runs `(k0, k1, what)` covering `window` (`first..end`: the whole timeline, or the
/// frame of a still), and for every span the frame ranges where it must be overlaid (empty for
/// spans that are in the base or hidden by it).
pub(crate) fn plan(spans: &[Span], window: (usize, usize)) -> (Vec<Run>, Vec<Vec<(usize, usize)>>) {
    let (first, end) = window;
    let mut cuts: Vec<usize> = vec![first, end];
    for s in spans {
        cuts.push(s.k0.clamp(first, end));
        cuts.push(s.k1.clamp(first, end));
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut runs: Vec<Run> = Vec::new();
    let mut visible: Vec<Vec<(usize, usize)>> = vec![Vec::new(); spans.len()];
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let active = |s: &Span| s.k0 <= a && b <= s.k1;
        let top = spans
            .iter()
            .enumerate()
            .filter(|(_, s)| s.opaque_full && active(s))
            .min_by_key(|(_, s)| s.track)
            .map(|(i, _)| i);
        let base = top.map_or(Base::Background, Base::Span);
        match runs.last_mut() {
            Some(last) if last.2 == base && last.1 == a => last.1 = b,
            _ => runs.push((a, b, base)),
        }
        let base_track = top.map_or(usize::MAX, |i| spans[i].track);
        for (i, s) in spans.iter().enumerate() {
            if s.opaque_full || !active(s) || s.track >= base_track {
                continue;
            }
            match visible[i].last_mut() {
                Some(last) if last.1 == a => last.1 = b,
                _ => visible[i].push((a, b)),
            }
        }
    }
    (runs, visible)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_scene_bottom_tracks() {
        // clipA (track 3) 0..125 opaque; clipB fade piece 100..125 (not opaque) and body
        // 125..250 opaque; photo 50..175 on track 1.
        let spans = [
            Span {
                track: 3,
                k0: 0,
                k1: 125,
                opaque_full: true,
            },
            Span {
                track: 2,
                k0: 100,
                k1: 125,
                opaque_full: false,
            },
            Span {
                track: 2,
                k0: 125,
                k1: 250,
                opaque_full: true,
            },
            Span {
                track: 1,
                k0: 50,
                k1: 175,
                opaque_full: false,
            },
        ];
        let (runs, vis) = plan(&spans, (0, 250));
        assert_eq!(
            runs,
            vec![(0, 125, Base::Span(0)), (125, 250, Base::Span(2))]
        );
        assert_eq!(vis[1], vec![(100, 125)]);
        assert_eq!(vis[3], vec![(50, 175)]);
        assert!(vis[0].is_empty() && vis[2].is_empty());
    }

    #[test]
    fn covered_layers_are_hidden_and_gaps_show_background() {
        let spans = [
            Span {
                track: 1,
                k0: 0,
                k1: 100,
                opaque_full: false,
            },
            Span {
                track: 0,
                k0: 20,
                k1: 40,
                opaque_full: true,
            },
        ];
        let (runs, vis) = plan(&spans, (0, 120));
        assert_eq!(
            runs,
            vec![
                (0, 20, Base::Background),
                (20, 40, Base::Span(1)),
                (40, 120, Base::Background)
            ]
        );
        assert_eq!(vis[0], vec![(0, 20), (40, 100)]);
    }

    #[test]
    fn a_window_plans_only_its_frames() {
        // The reference scene at frame 130 (a still): clipB's body is the base, the photo is
        // overlaid for that frame alone, clipA (ended) and the fade piece take no part.
        let spans = [
            Span {
                track: 3,
                k0: 0,
                k1: 125,
                opaque_full: true,
            },
            Span {
                track: 2,
                k0: 125,
                k1: 250,
                opaque_full: true,
            },
            Span {
                track: 1,
                k0: 50,
                k1: 175,
                opaque_full: false,
            },
        ];
        let (runs, vis) = plan(&spans, (130, 131));
        assert_eq!(runs, vec![(130, 131, Base::Span(1))]);
        assert_eq!(vis[2], vec![(130, 131)]);
        assert!(vis[0].is_empty() && vis[1].is_empty());
    }
}
