//! A third-party backend in under a hundred lines: it implements only the five required
//! primitives of [`draw_core::Backend`] (allocate, shape, upload, download, gemm) on plain
//! `Vec`s. Every other op (LSTM cell, filterbanks, attention, losses, Adam) comes from the
//! trait's default bodies, which run draw-core's reference kernels on the host, so this
//! backend trains DRAW as it stands and passes the conformance suite (see `tests/`).
//!
//! To make a real backend fast, override the defaults one at a time and keep running the same
//! suite: `draw_core::conformance_tests!(YourBackend::new());` in your crate's tests.
#![deny(missing_docs)]

use draw_core::{Backend, Float};

/// A row-major matrix on the host.
#[derive(Clone, Debug)]
pub struct VecTensor<F> {
    rows: usize,
    cols: usize,
    data: Vec<F>,
}

/// The minimal backend, generic over the float type (f32 to train, f64 for gradient checks).
#[derive(Clone, Copy, Debug, Default)]
pub struct VecBackend<F>(std::marker::PhantomData<F>);

impl<F: Float> VecBackend<F> {
    /// A new backend.
    pub fn new() -> Self {
        VecBackend(std::marker::PhantomData)
    }
}

impl<F: Float> Backend for VecBackend<F> {
    type F = F;
    type Tensor = VecTensor<F>;

    fn zeros(&self, rows: usize, cols: usize) -> VecTensor<F> {
        VecTensor {
            rows,
            cols,
            data: vec![F::zero(); rows * cols],
        }
    }

    fn shape(&self, t: &VecTensor<F>) -> (usize, usize) {
        (t.rows, t.cols)
    }

    fn upload(&self, t: &mut VecTensor<F>, data: &[F]) {
        t.data.copy_from_slice(data);
    }

    fn download(&self, t: &VecTensor<F>) -> Vec<F> {
        t.data.clone()
    }

    fn gemm(
        &self,
        c: &mut VecTensor<F>,
        alpha: f64,
        a: &VecTensor<F>,
        trans_a: bool,
        b: &VecTensor<F>,
        trans_b: bool,
        beta: f64,
    ) {
        let k_len = if trans_a { a.rows } else { a.cols };
        let at = |i: usize, k: usize| {
            if trans_a {
                a.data[k * a.cols + i]
            } else {
                a.data[i * a.cols + k]
            }
        };
        let bt = |k: usize, j: usize| {
            if trans_b {
                b.data[j * b.cols + k]
            } else {
                b.data[k * b.cols + j]
            }
        };
        let (alpha, beta) = (F::of(alpha), F::of(beta));
        for i in 0..c.rows {
            for j in 0..c.cols {
                let mut s = F::zero();
                for k in 0..k_len {
                    s += at(i, k) * bt(k, j);
                }
                let o = &mut c.data[i * c.cols + j];
                // β = 0 must not read c (it may hold anything).
                *o = if beta == F::zero() {
                    alpha * s
                } else {
                    alpha * s + beta * *o
                };
            }
        }
    }
}
