//! [`LossOps`]: the canvas error, the Bernoulli likelihood and the softmax cross-entropy,
//! row-parallel.

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

    fn softmax_xent(
        &self,
        logits: &Array2<F>,
        labels: &Array2<F>,
        loss: &mut Array2<F>,
        correct: &mut Array2<F>,
    ) {
        // Ten values a row: one pass on the calling thread beats handing rows to workers.
        let k = logits.ncols();
        let (lv, yv) = (slice(logits), slice(labels));
        let (lo, co) = (slice_mut(loss), slice_mut(correct));
        for (r, (l, c)) in lo.iter_mut().zip(co.iter_mut()).enumerate() {
            (*l, *c) = pointwise::softmax_xent_row(row(lv, r, k), yv[r]);
        }
    }

    fn softmax_xent_backward(
        &self,
        logits: &Array2<F>,
        labels: &Array2<F>,
        scale: f64,
        dlogits: &mut Array2<F>,
    ) {
        let k = logits.ncols();
        let (lv, yv) = (slice(logits), slice(labels));
        for (r, d) in slice_mut(dlogits).chunks_exact_mut(k.max(1)).enumerate() {
            pointwise::softmax_xent_backward_row(row(lv, r, k), yv[r], F::of(scale), d);
        }
    }
}
