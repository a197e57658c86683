//! A cancellation flag shared between whoever starts a render and the ffmpeg runner.
//!
//! Batch mode sets it on Ctrl-C; watch mode sets it when a newer change makes a render stale.
//! The runner polls it while ffmpeg runs, kills the child and removes the `.part` file.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A cloneable "stop now" flag.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A flag that is not set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks every holder to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether [`Cancel::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
