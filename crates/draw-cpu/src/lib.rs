//! # draw-cpu
//!
//! The CPU backend for draw-core. Tensors are `ndarray::Array2` in row-major order; matrix
//! products go to the `gemm` crate (runtime-dispatched AVX2/AVX-512 kernels, threaded with
//! rayon); every fused op runs draw-core's reference kernels over the batch rows in parallel on
//! all cores. Generic over the float type: `CpuBackend<f32>` trains, `CpuBackend<f64>` runs the
//! finite-difference checks.
//!
//! The op families are implemented one file each, mirroring draw-core's `backend/`:
//!
//! | file | holds |
//! |---|---|
//! | `storage.rs` | [`draw_core::Storage`]: allocation, copies, transposes, execution |
//! | `matrix.rs` | [`draw_core::MatrixOps`]: GEMM (the `gemm` crate), bias, reductions |
//! | `lstm.rs` | [`draw_core::LstmOps`] |
//! | `attention.rs` | [`draw_core::AttentionOps`]: filterbanks, read, write |
//! | `loss.rs` | [`draw_core::LossOps`] |
//! | `sampling.rs` | [`draw_core::SamplingOps`] |
//! | `optim.rs` | [`draw_core::OptimOps`] |
//!
//! and three helpers under them: `rows.rs` (row views of tensors and `par_rows`, the one
//! row-parallel loop every fused op runs through), `simd.rs` (the AVX-512/AVX2 dispatch and
//! denormal flushing) and `pool.rs` (the global pool and the one-thread shard pools).
#![deny(missing_docs)]

mod attention;
mod loss;
mod lstm;
mod matrix;
mod optim;
mod pool;
mod rows;
mod sampling;
mod simd;
mod storage;

use draw_core::Float;
use std::marker::PhantomData;

/// The CPU backend, on rayon's global thread pool.
#[derive(Clone, Copy, Debug)]
pub struct CpuBackend<F> {
    _f: PhantomData<F>,
}

impl<F: Float> Default for CpuBackend<F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<F: Float> CpuBackend<F> {
    /// A CPU backend on rayon's global pool (all cores unless `RAYON_NUM_THREADS` says
    /// otherwise). Turns on flush-to-zero for the calling thread and every pool thread.
    pub fn new() -> Self {
        rayon::broadcast(|_| simd::flush_denormals());
        simd::flush_denormals();
        CpuBackend { _f: PhantomData }
    }
}
