//! The ffmpeg backend: resolve an Edit into a Timeline, compile it to a RenderPlan, run ffmpeg.

pub mod cache;
pub mod cancel;
pub mod fetch;
pub mod probe;
pub mod raster;
pub mod run;

pub use cancel::Cancel;
