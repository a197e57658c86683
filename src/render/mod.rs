//! The ffmpeg backend: resolve an Edit into a Timeline, compile it to a RenderPlan, run ffmpeg.

pub mod raster;
