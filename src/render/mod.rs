//! The ffmpeg backend: resolve an Edit into a Timeline, compile it to a RenderPlan, run ffmpeg.

pub mod access;
pub mod assets;
pub mod cache;
pub mod cancel;
pub mod compile;
pub mod entry_lock;
pub mod fetch;
pub mod graph;
pub mod job;
pub mod part;
pub mod probe;
pub mod raster;
pub mod resolve;
pub mod run;
pub mod segments;
pub mod shared;
pub mod timeline;
pub mod urlmap;
pub mod verify;
pub mod zoom;

/// Revision of the pictures reel makes of the same Edit, in the render settings hash of
/// manifests: bump it with any change to compile or resolve that alters an existing output, so
/// a batch run re-renders rows that an older build marked up to date (reel's version does not
/// change between builds). Layer drawing has its own [`resolve::layer::LAYER_REVISION`], which
/// counts too.
/// 1: chroma key honoured, text animations played (before: ignored).
/// 2: still Ken Burns zooms drawn by reel (exact positions instead of `perspective`'s
/// piecewise-linear ones: within 0.01 px, 42+ dB).
pub const OUTPUT_REVISION: u32 = 2;

pub use cancel::Cancel;
pub use compile::{Input, RenderOptions, RenderPlan, compile};
pub use job::{RenderJob, RenderOutcome, plan_edit, render_edit};
pub use resolve::{ResolveContext, resolve};
pub use run::{Progress, RunError, RunReport, run};
pub use timeline::Timeline;
