//! [`AttentionOps`]: filterbanks and the attention read and write, row-parallel.

use crate::rows::{par_rows, rows_mut, Rows};
use crate::CpuBackend;
use draw_core::kernels::attention::{self, WindowRow, WindowRowGrads};
use draw_core::kernels::filterbank::{self, Geometry};
use draw_core::{AttentionOps, Float, Window, WindowGrads};
use ndarray::Array2;

/// A window's tensors read row by row.
#[derive(Clone, Copy)]
struct RowWindow<'a, F> {
    p: Rows<'a, F>,
    fx: Rows<'a, F>,
    fy: Rows<'a, F>,
    geo: &'a Geometry,
}

impl<'a, F> RowWindow<'a, F> {
    fn new(w: Window<'a, Array2<F>>) -> Self {
        RowWindow {
            p: Rows::of(w.p),
            fx: Rows::of(w.fx),
            fy: Rows::of(w.fy),
            geo: w.geo,
        }
    }

    /// Row `k`'s window.
    #[inline(always)]
    fn row(&self, k: usize) -> WindowRow<'a, F> {
        WindowRow {
            p: self.p.row(k),
            fx: self.fx.row(k),
            fy: self.fy.row(k),
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
        let p = Rows::of(p);
        par_rows(
            (rows_mut(fx), rows_mut(fy)),
            #[inline(always)]
            |r, (fx, fy)| filterbank::forward_row(p.row(r), geo, fx, fy),
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
        let (dx, dy) = (Rows::of(dfx), Rows::of(dfy));
        par_rows(
            rows_mut(dp),
            #[inline(always)]
            |r, d| {
                let wr = w.row(r);
                filterbank::backward_row(wr.p, wr.geo, wr.fx, wr.fy, dx.row(r), dy.row(r), d)
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
        let (x, xh) = (Rows::of(x), Rows::of(xhat));
        par_rows(
            rows_mut(r),
            #[inline(always)]
            |k, out| attention::read_forward_row(x.row(k), xh.row(k), w.row(k), out),
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
        let (x, xh, dr) = (Rows::of(x), Rows::of(xhat), Rows::of(dr));
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
                attention::read_backward_row(x.row(k), xh.row(k), w.row(k), dr.row(k), dxh, g)
            },
        );
    }

    fn write_forward(&self, patch: &Array2<F>, win: Window<'_, Array2<F>>, canvas: &mut Array2<F>) {
        let w = RowWindow::new(win);
        let patch = Rows::of(patch);
        par_rows(
            rows_mut(canvas),
            #[inline(always)]
            |k, c| attention::write_forward_row(patch.row(k), w.row(k), c),
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
        let (patch, dc) = (Rows::of(patch), Rows::of(dcanvas));
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
                attention::write_backward_row(patch.row(k), w.row(k), dc.row(k), dpw, g)
            },
        );
    }
}
