//! Resolve: an Edit plus the files it names → a [`Timeline`](super::Timeline) ready to compile.

pub mod lower;
pub mod timing;
