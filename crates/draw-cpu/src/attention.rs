//! [`AttentionOps`]: filterbanks and the attention read and write, row-parallel.

use crate::rows::{par_rows, row, rows_mut, slice};
use crate::CpuBackend;
use draw_core::kernels::attention::{self, WindowRow, WindowRowGrads};
use draw_core::kernels::filterbank::{self, Geometry};
use draw_core::{AttentionOps, Float, Window, WindowGrads};
use ndarray::Array2;

/// A window's tensors as host slices, cut per row with the geometry's lengths.
#[derive(Clone, Copy)]
struct RowWindow<'a, F> {
    p: &'a [F],
    fx: &'a [F],
    fy: &'a [F],
    geo: &'a Geometry,
}

impl<'a, F> RowWindow<'a, F> {
    fn new(w: Window<'a, Array2<F>>) -> Self {
        RowWindow {
            p: slice(w.p),
            fx: slice(w.fx),
            fy: slice(w.fy),
            geo: w.geo,
        }
    }

    /// Row `k`'s window.
    #[inline(always)]
    fn row(&self, k: usize) -> WindowRow<'a, F> {
        WindowRow {
            p: row(self.p, k, 5),
            fx: row(self.fx, k, self.geo.fx_len()),
            fy: row(self.fy, k, self.geo.fy_len()),
            geo: self.geo,
        }
    }
}

impl<F: Float> AttentionOps for CpuBackend<F> {
    fn filterbank_forward(
        &self,
        p: &Array2<F>,
        geo: &Geometry,
        fx: &mut Array2<F>,
        fy: &mut Array2<F>,
    ) {
        let pv = slice(p);
        par_rows(
            (rows_mut(fx), rows_mut(fy)),
            #[inline(always)]
            |r, (fx, fy)| filterbank::forward_row(row(pv, r, 5), geo, fx, fy),
        );
    }

    fn filterbank_backward(
        &self,
        win: Window<'_, Array2<F>>,
        dfx: &Array2<F>,
        dfy: &Array2<F>,
        dp: &mut Array2<F>,
    ) {
        let w = RowWindow::new(win);
        let (dx, dy) = (slice(dfx), slice(dfy));
        let (lx, ly) = (w.geo.fx_len(), w.geo.fy_len());
        par_rows(
            rows_mut(dp),
            #[inline(always)]
            |r, d| {
                let wr = w.row(r);
                let (dxr, dyr) = (row(dx, r, lx), row(dy, r, ly));
                filterbank::backward_row(wr.p, wr.geo, wr.fx, wr.fy, dxr, dyr, d)
            },
        );
    }

    fn read_forward(
        &self,
        x: &Array2<F>,
        xhat: &Array2<F>,
        win: Window<'_, Array2<F>>,
        r: &mut Array2<F>,
    ) {
        let w = RowWindow::new(win);
        let (xv, xh, li) = (slice(x), slice(xhat), w.geo.image_len());
        par_rows(
            rows_mut(r),
            #[inline(always)]
            |k, out| attention::read_forward_row(row(xv, k, li), row(xh, k, li), w.row(k), out),
        );
    }

    fn read_backward(
        &self,
        x: &Array2<F>,
        xhat: &Array2<F>,
        win: Window<'_, Array2<F>>,
        dr: &Array2<F>,
        dxhat: &mut Array2<F>,
        grads: WindowGrads<'_, Array2<F>>,
    ) {
        let w = RowWindow::new(win);
        let (xv, xh, drv) = (slice(x), slice(xhat), slice(dr));
        let (li, lr) = (w.geo.image_len(), 2 * w.geo.patch_len());
        let outs = (
            rows_mut(dxhat),
            rows_mut(grads.dfx),
            rows_mut(grads.dfy),
            rows_mut(grads.dp),
        );
        par_rows(
            outs,
            #[inline(always)]
            |k, (dxh, dfx, dfy, dp)| {
                let g = WindowRowGrads { dfx, dfy, dp };
                let (xr, xhr) = (row(xv, k, li), row(xh, k, li));
                attention::read_backward_row(xr, xhr, w.row(k), row(drv, k, lr), dxh, g)
            },
        );
    }

    fn write_forward(&self, patch: &Array2<F>, win: Window<'_, Array2<F>>, canvas: &mut Array2<F>) {
        let w = RowWindow::new(win);
        let (pw, lp) = (slice(patch), w.geo.patch_len());
        par_rows(
            rows_mut(canvas),
            #[inline(always)]
            |k, c| attention::write_forward_row(row(pw, k, lp), w.row(k), c),
        );
    }

    fn write_backward(
        &self,
        patch: &Array2<F>,
        win: Window<'_, Array2<F>>,
        dcanvas: &Array2<F>,
        dpatch: &mut Array2<F>,
        grads: WindowGrads<'_, Array2<F>>,
    ) {
        let w = RowWindow::new(win);
        let (pw, dcv) = (slice(patch), slice(dcanvas));
        let (li, lp) = (w.geo.image_len(), w.geo.patch_len());
        let outs = (
            rows_mut(dpatch),
            rows_mut(grads.dfx),
            rows_mut(grads.dfy),
            rows_mut(grads.dp),
        );
        par_rows(
            outs,
            #[inline(always)]
            |k, (dpw, dfx, dfy, dp)| {
                let g = WindowRowGrads { dfx, dfy, dp };
                let pr = row(pw, k, lp);
                attention::write_backward_row(pr, w.row(k), row(dcv, k, li), dpw, g)
            },
        );
    }
}
