//! Ken Burns frames drawn by reel: a still picture's camera (scale and translation only) is
//! resampled here, separably and in fixed point, and fed to ffmpeg as a `rawvideo` input
//! instead of running ffmpeg's `perspective` filter (which builds and walks a per-pixel
//! projective table every frame: about 3× the cost; see docs/rendering.md).
//!
//! [`Zoom`] is the pure description `compile` puts in the plan (how to get the prepared
//! picture, the padded frame `perspective` would have sampled, each frame's source mapping);
//! [`resample`] draws frames exactly as `perspective`'s bilinear path does (same 1/256-pixel
//! positions, same chroma siting, same clamped edges); [`feed`] prepares the picture with a
//! one-frame ffmpeg run and writes the frames into a FIFO while the render runs.

pub mod feed;
pub mod resample;

use crate::render::compile::Input;

/// One still piece whose camera reel draws.
#[derive(Debug, Clone, PartialEq)]
pub struct Zoom {
    /// Index of the `rawvideo` input of the plan that reads the frames (its path is a
    /// placeholder until [`feed::Feeds::start`] replaces it with a FIFO).
    pub input: usize,
    /// How to get the prepared picture (one frame).
    pub picture: Picture,
    /// Size of the prepared picture.
    pub prepared: (u32, u32),
    /// The frame sampled from: the picture at (`pad`, `pad`), the rest filled with black,
    /// transparent when `clear`.
    pub frame: (u32, u32),
    /// Offset of the picture in the frame.
    pub pad: u32,
    /// Whether the fill is transparent (else opaque black).
    pub clear: bool,
    /// Size of the frames written.
    pub view: (u32, u32),
    /// Whether they carry alpha (`yuva420p`, else `yuv420p`).
    pub alpha: bool,
    /// Per frame, the source point of each output pixel: luma `(x, y)` reads frame point
    /// `(x0 + x·inv, y0 + y·inv)`.
    pub steps: Vec<Step>,
}

/// The source mapping of one frame (see [`Zoom::steps`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// Source pixels per output pixel (1 / zoom).
    pub inv: f64,
    /// Source point of output pixel (0, 0).
    pub x0: f64,
    pub y0: f64,
}

/// A one-frame ffmpeg run making the prepared picture: `inputs`, a filtergraph, its output.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Picture {
    pub inputs: Vec<(Vec<String>, std::path::PathBuf)>,
    /// The `-filter_complex` text.
    pub graph: String,
    /// The pad to map (`[p3]`).
    pub map: String,
}

impl Picture {
    /// From compile's inputs.
    pub fn new(inputs: &[Input], graph: String, map: String) -> Picture {
        Picture {
            inputs: inputs
                .iter()
                .map(|i| (i.args_before_i.clone(), i.path.clone()))
                .collect(),
            graph,
            map,
        }
    }
}

impl Zoom {
    /// `-f rawvideo …` options of the input reading this zoom's frames.
    pub fn input_args(&self, fps: &str) -> Vec<String> {
        let fmt = if self.alpha { "yuva420p" } else { "yuv420p" };
        [
            "-f",
            "rawvideo",
            "-pix_fmt",
            fmt,
            "-video_size",
            &format!("{}x{}", self.view.0, self.view.1),
            "-framerate",
            fps,
        ]
        .map(str::to_owned)
        .to_vec()
    }

    /// Placeholder path of input `i` in a plan (shown by `reel graph`).
    pub fn placeholder(i: usize) -> std::path::PathBuf {
        std::path::PathBuf::from(format!("reel-zoom-{i}.yuv"))
    }
}
