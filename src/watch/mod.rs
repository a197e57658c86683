//! Watch mode: build, then rebuild what each saved change affects.
//!
//! - [`deps`]: the files a build read (template, includes, data, assets, fonts) and where
//!   reel writes; normalised to compare with event paths.
//! - [`classify`]: a changed path's [`ChangeKind`] and the [`Plan`] a batch of changes asks for.
//! - [`watcher`]: notify + debouncer (or polling) over the inputs' parent directories.
//! - [`machine`]: the pure state machine (start, cancel stale builds, merge plans, stop).
//! - [`runner`]: the loop at the IO edge; builds run on a worker thread, reactions are closures.
//! - [`rows`]: which rows a plan renders again (expanded-Edit keys, assets per row).
//! - [`serve`]: the `--serve` HTTP server on 127.0.0.1.
//! - [`studio`]: the studio page it serves (row states, stills, timeline, diagnostics).
//!
//! The command itself (loading templates, rendering rows, printing) is `cli::watch`.

pub mod classify;
pub mod deps;
pub mod machine;
pub mod rows;
pub mod runner;
pub mod serve;
pub mod session;
pub mod studio;
pub mod watcher;

pub use classify::{ChangeKind, Plan};
pub use deps::Deps;
pub use runner::{Built, Loop, StopHandle};
