//! The ffmpeg backend: resolve an Edit into a Timeline, compile it to a RenderPlan, run ffmpeg.

pub mod cache;
pub mod cancel;
pub mod compile;
pub mod fetch;
pub mod graph;
pub mod job;
pub mod probe;
pub mod raster;
pub mod resolve;
pub mod run;
pub mod timeline;

pub use cancel::Cancel;
pub use compile::{Input, RenderOptions, RenderPlan, compile};
pub use job::{RenderJob, RenderOutcome, plan_edit, render_edit};
pub use resolve::{ResolveContext, resolve};
pub use run::{Progress, RunError, RunReport, run};
pub use timeline::Timeline;
