//! The Shotstack Edit model (serde, schema v1.18.3) and its validation.

pub mod origins;

pub use origins::Origins;
