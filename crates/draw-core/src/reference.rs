//! `HostBackend`: the smallest possible backend, plain `Vec`s and a naive gemm.
//!
//! It implements only the five required primitives, so every fused op runs through the trait's
//! default bodies. It is the reference that conformance tests compare other backends with, the
//! f64 backend for finite-difference checks inside draw-core, and a worked example of what a
//! third-party backend has to write.

use crate::backend::Backend;
use crate::Float;
use std::marker::PhantomData;

/// A row-major matrix on the host.
#[derive(Clone, Debug, PartialEq)]
pub struct HostTensor<F> {
    rows: usize,
    cols: usize,
    data: Vec<F>,
}

/// The reference backend, generic over the float type.
#[derive(Clone, Copy, Debug, Default)]
pub struct HostBackend<F>(PhantomData<F>);

impl<F: Float> HostBackend<F> {
    /// A new reference backend.
    pub fn new() -> Self {
        HostBackend(PhantomData)
    }
}

impl<F: Float> Backend for HostBackend<F> {
    type F = F;
    type Tensor = HostTensor<F>;

    fn name(&self) -> String {
        format!("host reference ({})", std::any::type_name::<F>())
    }

    fn zeros(&self, rows: usize, cols: usize) -> HostTensor<F> {
        HostTensor {
            rows,
            cols,
            data: vec![F::zero(); rows * cols],
        }
    }

    fn shape(&self, t: &HostTensor<F>) -> (usize, usize) {
        (t.rows, t.cols)
    }

    fn upload(&self, t: &mut HostTensor<F>, data: &[F]) {
        assert_eq!(data.len(), t.data.len(), "upload size mismatch");
        t.data.copy_from_slice(data);
    }

    fn download(&self, t: &HostTensor<F>) -> Vec<F> {
        t.data.clone()
    }

    fn gemm(
        &self,
        c: &mut HostTensor<F>,
        alpha: f64,
        a: &HostTensor<F>,
        trans_a: bool,
        b: &HostTensor<F>,
        trans_b: bool,
        beta: f64,
    ) {
        let (m, k) = if trans_a {
            (a.cols, a.rows)
        } else {
            (a.rows, a.cols)
        };
        let (kb, n) = if trans_b {
            (b.cols, b.rows)
        } else {
            (b.rows, b.cols)
        };
        assert!(k == kb && c.rows == m && c.cols == n, "gemm shape mismatch");
        let at = |i: usize, p: usize| {
            if trans_a {
                a.data[p * a.cols + i]
            } else {
                a.data[i * a.cols + p]
            }
        };
        let bt = |p: usize, j: usize| {
            if trans_b {
                b.data[j * b.cols + p]
            } else {
                b.data[p * b.cols + j]
            }
        };
        let (alpha, beta) = (F::of(alpha), F::of(beta));
        for i in 0..m {
            for j in 0..n {
                let mut s = F::zero();
                for p in 0..k {
                    s += at(i, p) * bt(p, j);
                }
                let o = &mut c.data[i * n + j];
                *o = if beta == F::zero() {
                    alpha * s
                } else {
                    alpha * s + beta * *o
                };
            }
        }
    }
}
