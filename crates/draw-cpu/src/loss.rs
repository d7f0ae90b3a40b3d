//! [`LossOps`]: the canvas error and the Bernoulli likelihood, row-parallel.

use crate::rows::{par_rows, row, rows_mut, slice, slice_mut};
use crate::CpuBackend;
use draw_core::kernels::pointwise;
use draw_core::{Float, LossOps};
use ndarray::Array2;

impl<F: Float> LossOps for CpuBackend<F> {
    fn canvas_error(&self, x: &Array2<F>, c: &Array2<F>, xhat: &mut Array2<F>) {
        let n = x.ncols();
        let (xv, cv) = (slice(x), slice(c));
        par_rows(
            rows_mut(xhat),
            #[inline(always)]
            |r, o| pointwise::canvas_error_row(row(xv, r, n), row(cv, r, n), o),
        );
    }

    fn canvas_error_backward(
        &self,
        x: &Array2<F>,
        xhat: &Array2<F>,
        dxhat: &Array2<F>,
        dc: &mut Array2<F>,
    ) {
        let n = x.ncols();
        let (xv, xh, d) = (slice(x), slice(xhat), slice(dxhat));
        par_rows(
            rows_mut(dc),
            #[inline(always)]
            |r, o| {
                pointwise::canvas_error_backward_row(row(xv, r, n), row(xh, r, n), row(d, r, n), o)
            },
        );
    }

    fn bce(&self, x: &Array2<F>, c: &Array2<F>, out: &mut Array2<F>) {
        let n = x.ncols();
        let (xv, cv) = (slice(x), slice(c));
        par_rows(
            rows_mut(out),
            #[inline(always)]
            |r, o| o[0] = pointwise::bce_row(row(xv, r, n), row(cv, r, n)),
        );
    }

    /// Elementwise over the whole buffer on the calling thread.
    fn bce_backward(&self, x: &Array2<F>, c: &Array2<F>, scale: f64, dc: &mut Array2<F>) {
        pointwise::bce_backward_row(slice(x), slice(c), F::of(scale), slice_mut(dc));
    }
}
