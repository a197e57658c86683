//! The ffmpeg backend: resolve an Edit into a Timeline, compile it to a RenderPlan, run ffmpeg.

pub mod cancel;
pub mod compile;
pub mod graph;
pub mod raster;
pub mod timeline;

pub use cancel::Cancel;
pub use compile::{Input, RenderOptions, RenderPlan, compile};
pub use timeline::Timeline;
