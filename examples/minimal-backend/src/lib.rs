//! A third-party backend in under a hundred lines: it implements only the five required
//! primitives of [`draw_core::Backend`] (allocate, shape, upload, download in
//! [`draw_core::Storage`]; gemm in [`draw_core::MatrixOps`]) on plain `Vec`s, and opts into the
//! other op families with empty impl blocks. Every other op (LSTM cell, filterbanks, attention, losses, Adam) comes from the
//! trait's default bodies, which run draw-core's reference kernels on the host, so this
//! backend trains DRAW as it stands and passes the conformance suite (see `tests/`).
//!
//! To make a real backend fast, override the defaults one at a time and keep running the same
//! suite: `draw_core::conformance_tests!(YourBackend::new());` in your crate's tests.
#![deny(missing_docs)]

use draw_core::reference::{naive_gemm, HostMat};
use draw_core::{
    AttentionOps, Float, Gemm, LossOps, LstmOps, Mat, MatrixOps, OptimOps, SamplingOps, Storage,
};

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

impl<F: Float> Storage for VecBackend<F> {
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
}

impl<F: Float> MatrixOps for VecBackend<F> {
    fn gemm(&self, c: &mut VecTensor<F>, g: Gemm<'_, VecTensor<F>>) {
        let Gemm { a, b, alpha, beta } = g;
        // draw-core's reference GEMM on host slices; a real backend calls its BLAS or kernel.
        let shape = (c.rows, c.cols);
        naive_gemm(&mut c.data, shape, alpha, host(a), host(b), beta);
    }
}

/// A tensor operand as draw-core's host matrix view.
fn host<F>(m: Mat<'_, VecTensor<F>>) -> HostMat<'_, F> {
    HostMat::new(&m.t.data, (m.t.rows, m.t.cols), m.transposed)
}

// The op families below keep every default body: draw-core's reference kernels on the host.
impl<F: Float> LstmOps for VecBackend<F> {}

impl<F: Float> AttentionOps for VecBackend<F> {}

impl<F: Float> LossOps for VecBackend<F> {}

impl<F: Float> SamplingOps for VecBackend<F> {}

impl<F: Float> OptimOps for VecBackend<F> {}
