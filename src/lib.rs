//! # draw-rs
//!
//! One import for the whole DRAW workspace: the model and Backend trait ([`core`]), the CPU
//! backend ([`cpu`]) and the dataset loaders ([`data`]). The `draw` binary lives in
//! `crates/draw-cli`; cross-crate tests in `tests/`, criterion benches in `benches/`.
#![deny(missing_docs)]

pub use draw_core as core;
pub use draw_cpu as cpu;
pub use draw_data as data;
