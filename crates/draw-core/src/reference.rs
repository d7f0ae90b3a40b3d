//! `HostBackend`: the smallest possible backend, plain `Vec`s and a naive gemm.
//!
//! It implements only the five required primitives, so every fused op runs through the trait's
//! default bodies. It is the reference that conformance tests compare other backends with, the
//! f64 backend for finite-difference checks inside draw-core, and a worked example of what a
//! third-party backend has to write.

use crate::backend::{
    AttentionOps, Gemm, LossOps, LstmOps, Mat, MatrixOps, OptimOps, SamplingOps, Storage,
};
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

impl<F: Float> Storage for HostBackend<F> {
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
}

impl<F: Float> MatrixOps for HostBackend<F> {
    fn gemm(&self, c: &mut HostTensor<F>, g: Gemm<'_, HostTensor<F>>) {
        let Gemm { a, b, alpha, beta } = g;
        let shape = (c.rows, c.cols);
        naive_gemm(&mut c.data, shape, alpha, view(a), view(b), beta);
    }
}

/// A tensor operand as a host matrix.
fn view<F>(m: Mat<'_, HostTensor<F>>) -> HostMat<'_, F> {
    HostMat::new(&m.t.data, (m.t.rows, m.t.cols), m.transposed)
}

impl<F: Float> LstmOps for HostBackend<F> {}
impl<F: Float> AttentionOps for HostBackend<F> {}
impl<F: Float> LossOps for HostBackend<F> {}
impl<F: Float> SamplingOps for HostBackend<F> {}
impl<F: Float> OptimOps for HostBackend<F> {}

/// A row-major host matrix as a GEMM operand, used as it is or transposed.
#[derive(Clone, Copy, Debug)]
pub struct HostMat<'a, F> {
    /// rows·cols values, row-major.
    pub data: &'a [F],
    /// Rows as stored.
    pub rows: usize,
    /// Columns as stored.
    pub cols: usize,
    /// Whether the product reads the matrix transposed.
    pub transposed: bool,
}

impl<'a, F> HostMat<'a, F> {
    /// `data` as a `rows × cols` row-major matrix, transposed when `transposed`.
    pub fn new(data: &'a [F], (rows, cols): (usize, usize), transposed: bool) -> Self {
        HostMat {
            data,
            rows,
            cols,
            transposed,
        }
    }
}

impl<F: Copy> HostMat<'_, F> {
    /// (rows, cols) of op(self).
    fn op_shape(&self) -> (usize, usize) {
        if self.transposed {
            (self.cols, self.rows)
        } else {
            (self.rows, self.cols)
        }
    }
    /// Element (i, j) of op(self).
    fn at(&self, i: usize, j: usize) -> F {
        if self.transposed {
            self.data[j * self.cols + i]
        } else {
            self.data[i * self.cols + j]
        }
    }
}

/// The reference GEMM on host slices: `c ← α·op(a)·op(b) + β·c`, `c` being `m × n` row-major;
/// with β = 0, `c` is not read (it may hold anything). The backend every other is checked
/// against uses it, and so can a third-party backend's first version.
///
/// # Panics
/// If the shapes do not agree.
pub fn naive_gemm<F: Float>(
    c: &mut [F],
    (m, n): (usize, usize),
    alpha: f64,
    a: HostMat<'_, F>,
    b: HostMat<'_, F>,
    beta: f64,
) {
    let ((am, k), (kb, bn)) = (a.op_shape(), b.op_shape());
    assert!(
        k == kb && am == m && bn == n && c.len() == m * n,
        "gemm shape mismatch"
    );
    let (alpha, beta) = (F::of(alpha), F::of(beta));
    for i in 0..m {
        for j in 0..n {
            let mut s = F::zero();
            for p in 0..k {
                s += a.at(i, p) * b.at(p, j);
            }
            let o = &mut c[i * n + j];
            *o = if beta == F::zero() {
                alpha * s
            } else {
                alpha * s + beta * *o
            };
        }
    }
}
