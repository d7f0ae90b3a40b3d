//! # draw-core
//!
//! DRAW (Gregor et al., 2015) as maths and model, with no device code: the configuration, the
//! reference kernels, the network's forward pass over T steps and its hand-written backward
//! pass through time, Adam, checkpoints, and the [`Backend`] trait that lets the same model run
//! on any device.
//!
//! Design decisions:
//! - **The core owns the model; a backend owns memory and kernels.** [`Draw`] calls backend
//!   operations on opaque tensors; it never touches their memory, so a GPU backend keeps a
//!   whole training step on the device.
//! - **Five required primitives, everything else defaulted.** A backend that implements
//!   allocation, shape, upload, download and gemm already trains (see [`reference::HostBackend`]);
//!   the fused LSTM, filterbank and attention ops are overridden for speed.
//! - **Hand-written backward beside each forward**, proven by finite differences in f64.
//! - **Counter-based noise** ([`rng::NoiseKey`]): ε depends only on (seed, stream, index), so
//!   two backends given one seed compute the same thing.
#![deny(missing_docs)]

pub mod backend;
pub mod bound;
pub mod checkpoint;
pub mod config;
pub mod conformance;
pub mod error;
pub mod float;
pub mod kernels;
pub mod model;
pub mod optim;
pub mod params;
pub mod prelude;
pub mod reference;
pub mod rng;

pub use backend::{
    AttentionOps, Backend, ColsTo, CopyTo, DeviceCounters, Filterbanks, Gemm, Latent, LossOps,
    LstmOps, Mat, MatrixOps, OptimOps, ReadFwd, SamplingOps, Storage, Window, WindowGrads,
};
pub use bound::{evaluate_steps, importance_weighted, ImportanceWeighted, StepBound};
pub use config::{preset, presets, DrawConfig, Glimpse, Preset, TrainConfig};
pub use error::{DrawError, Result};
pub use float::Float;
pub use model::{Draw, Loss, Probed, Workspace};
pub use optim::{evaluate, Adam, AdamState, Skipped, StepStats, TrainWindow, Trainer};
pub use params::DrawParams;
pub use rng::NoiseKey;
