//! Everything a user of a backend needs in scope: `use draw_core::prelude::*;` brings the op
//! families, so their methods can be called on a concrete backend type (for a generic
//! `B: Backend`, the bound alone suffices).

pub use crate::backend::{
    AttentionOps, Backend, Gemm, LossOps, LstmOps, Mat, MatrixOps, OptimOps, SamplingOps, Storage,
};
pub use crate::{Draw, DrawConfig, Float, Loss, NoiseKey, Trainer};
