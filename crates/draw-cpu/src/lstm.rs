//! [`LstmOps`]: the LSTM cell, forward and backward, row-parallel.

use crate::rows::{par_rows, row, rows_mut, slice};
use crate::CpuBackend;
use draw_core::kernels::lstm;
use draw_core::{Float, LstmOps};
use ndarray::Array2;

impl<F: Float> LstmOps for CpuBackend<F> {
    fn lstm_forward(
        &self,
        gates: &mut Array2<F>,
        c_prev: &Array2<F>,
        c: &mut Array2<F>,
        h: &mut Array2<F>,
    ) {
        let n = c.ncols();
        let cp = slice(c_prev);
        par_rows(
            (rows_mut(gates), rows_mut(c), rows_mut(h)),
            #[inline(always)]
            |r, (g, c, h)| lstm::forward_row(g, row(cp, r, n), c, h),
        );
    }

    fn lstm_backward(
        &self,
        gates: &Array2<F>,
        c_prev: &Array2<F>,
        c: &Array2<F>,
        dh: &Array2<F>,
        dc: &mut Array2<F>,
        dgates: &mut Array2<F>,
    ) {
        let n = c.ncols();
        let (g, cp, cv, dhv) = (slice(gates), slice(c_prev), slice(c), slice(dh));
        par_rows(
            (rows_mut(dc), rows_mut(dgates)),
            #[inline(always)]
            |r, (dc, dg)| {
                lstm::backward_row(
                    row(g, r, 4 * n),
                    row(cp, r, n),
                    row(cv, r, n),
                    row(dhv, r, n),
                    dc,
                    dg,
                )
            },
        );
    }
}
