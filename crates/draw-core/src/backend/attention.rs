//! Attention: the Gaussian filterbanks and the read and write through them (paper eqs. 19–22).

use super::{host, CopyTo, LossOps};
use crate::kernels::filterbank::Geometry;

/// One attention window on a backend: the five head outputs per row and the two filterbanks
/// they make.
pub struct Window<'a, T> {
    /// Raw head outputs, rows × 5 (g̃_X, g̃_Y, log σ², log δ̃, log γ).
    pub p: &'a T,
    /// F_X, rows × N·A.
    pub fx: &'a T,
    /// F_Y, rows × N·B.
    pub fy: &'a T,
    /// Image and grid sizes.
    pub geo: &'a Geometry,
}

/// One window's filterbanks to make: its head outputs `p` (rows × 5), geometry, and F_X, F_Y.
pub struct Filterbanks<'a, T> {
    /// Raw head outputs, rows × 5.
    pub p: &'a T,
    /// Image and grid sizes.
    pub geo: &'a Geometry,
    /// F_X, rows × N·A.
    pub fx: &'a mut T,
    /// F_Y, rows × N·B.
    pub fy: &'a mut T,
}

/// What the attention read backward reads of its forward: `((x, x̂), window, dr)`.
pub type ReadFwd<'a, T> = ((&'a T, &'a T), Window<'a, T>, &'a T);

/// Gradients on a window: the filterbanks' and the head outputs'.
pub struct WindowGrads<'a, T> {
    /// ∂L/∂F_X, rows × N·A.
    pub dfx: &'a mut T,
    /// ∂L/∂F_Y, rows × N·B.
    pub dfy: &'a mut T,
    /// ∂L/∂p, rows × 5.
    pub dp: &'a mut T,
}

/// Filterbanks and the attention read and write, forward and backward. Extends [`LossOps`]
/// for the ops that fuse the canvas error into the write and its gradient into the read
/// backward.
pub trait AttentionOps: LossOps {
    /// Filterbanks F_X, F_Y from the attention outputs `p` (rows × 5).
    fn filterbank_forward(
        &self,
        p: &Self::Tensor,
        geo: &Geometry,
        fx: &mut Self::Tensor,
        fy: &mut Self::Tensor,
    ) {
        host::filterbank_forward(self, p, geo, (fx, fy));
    }
    /// The filterbanks of two windows over the same image at once (the write's of step t and
    /// the read's of step t + 1, whose head outputs one GEMM made), so that a backend can make
    /// them in one pass. Default: [`AttentionOps::filterbank_forward`] of each.
    fn filterbank_forward_pair(
        &self,
        first: Filterbanks<'_, Self::Tensor>,
        second: Filterbanks<'_, Self::Tensor>,
    ) {
        for w in [first, second] {
            self.filterbank_forward(w.p, w.geo, w.fx, w.fy);
        }
    }
    /// Adds to `dp` the gradient of the attention outputs from `dfx`, `dfy`.
    fn filterbank_backward(
        &self,
        win: Window<'_, Self::Tensor>,
        dfx: &Self::Tensor,
        dfy: &Self::Tensor,
        dp: &mut Self::Tensor,
    ) {
        host::filterbank_backward(self, win, (dfx, dfy), dp);
    }
    /// [`AttentionOps::filterbank_backward`], the finished `dp` also written to each of
    /// `dp_copies` (the rows of all steps that the head's weight-gradient GEMM reads; the
    /// columns of the write's fused input-gradient GEMM). Default: the filterbank backward,
    /// then one copy each.
    fn filterbank_backward_to(
        &self,
        win: Window<'_, Self::Tensor>,
        (dfx, dfy): (&Self::Tensor, &Self::Tensor),
        dp: &mut Self::Tensor,
        dp_copies: &mut [CopyTo<'_, Self::Tensor>],
    ) {
        host::filterbank_backward_to(self, win, (dfx, dfy), dp, dp_copies);
    }
    /// Attention read: `r = γ·[F_Y x F_Xᵀ, F_Y x̂ F_Xᵀ]`.
    fn read_forward(
        &self,
        x: &Self::Tensor,
        xhat: &Self::Tensor,
        win: Window<'_, Self::Tensor>,
        r: &mut Self::Tensor,
    ) {
        host::read_forward(self, (x, xhat), win, r);
    }
    /// [`AttentionOps::read_forward`], `r` also written to `r_copy` (the encoder's input, so
    /// that no copy op follows). Default: the read, then the copy.
    fn read_forward_to(
        &self,
        (x, xhat): (&Self::Tensor, &Self::Tensor),
        win: Window<'_, Self::Tensor>,
        r: &mut Self::Tensor,
        r_copy: CopyTo<'_, Self::Tensor>,
    ) {
        host::read_forward_to(self, (x, xhat), win, r, r_copy);
    }
    /// Attention read backward: sets `dxhat`, the filterbanks' gradients and the log γ column
    /// of `grads.dp` (the filterbank backward adds the rest).
    fn read_backward(
        &self,
        x: &Self::Tensor,
        xhat: &Self::Tensor,
        win: Window<'_, Self::Tensor>,
        dr: &Self::Tensor,
        dxhat: &mut Self::Tensor,
        grads: WindowGrads<'_, Self::Tensor>,
    ) {
        host::read_backward(self, (x, xhat), win, dr, dxhat, grads);
    }
    /// Attention write: `canvas += (1/γ)·F_Yᵀ P F_X`.
    fn write_forward(
        &self,
        patch: &Self::Tensor,
        win: Window<'_, Self::Tensor>,
        canvas: &mut Self::Tensor,
    ) {
        host::write_forward(self, patch, win, canvas);
    }
    /// [`AttentionOps::write_forward`], then the canvas error of the updated canvas,
    /// `xhat` = x − σ(canvas) (the next time step's x̂, so that no separate op reads the
    /// canvas again). Default: the write, then [`LossOps::canvas_error`].
    fn write_forward_error(
        &self,
        patch: &Self::Tensor,
        win: Window<'_, Self::Tensor>,
        canvas: &mut Self::Tensor,
        (x, xhat): (&Self::Tensor, &mut Self::Tensor),
    ) {
        self.write_forward(patch, win, canvas);
        self.canvas_error(x, canvas, xhat);
    }
    /// The attention read's whole backward: [`AttentionOps::read_backward`], x̂'s gradient
    /// carried on to the canvas it was computed from (`dcanvas` += ∂x̂/∂c · dx̂,
    /// [`LossOps::canvas_error_backward`]), then [`AttentionOps::filterbank_backward_to`]
    /// (`grads.dp` finished, also into each of `dp_copies`): one op, so that a backend can
    /// fuse the stages (dx̂ and the canvas, and log γ with the filterbanks). `fwd` is
    /// `((x, x̂), window, dr)`. Default: the three in turn.
    fn read_backward_full(
        &self,
        fwd: ReadFwd<'_, Self::Tensor>,
        (dxhat, dcanvas): (&mut Self::Tensor, &mut Self::Tensor),
        grads: WindowGrads<'_, Self::Tensor>,
        dp_copies: &mut [CopyTo<'_, Self::Tensor>],
    ) {
        let ((x, xhat), win, dr) = fwd;
        let WindowGrads { dfx, dfy, dp } = grads;
        let g = WindowGrads {
            dfx: &mut *dfx,
            dfy: &mut *dfy,
            dp: &mut *dp,
        };
        self.read_backward(x, xhat, win, dr, dxhat, g);
        self.canvas_error_backward(x, xhat, dxhat, dcanvas);
        self.filterbank_backward_to(win, (dfx, dfy), dp, dp_copies);
    }
    /// Attention write backward: sets `dpatch`, the filterbanks' gradients and the log γ
    /// column of `grads.dp`.
    fn write_backward(
        &self,
        patch: &Self::Tensor,
        win: Window<'_, Self::Tensor>,
        dcanvas: &Self::Tensor,
        dpatch: &mut Self::Tensor,
        grads: WindowGrads<'_, Self::Tensor>,
    ) {
        host::write_backward(self, patch, win, dcanvas, dpatch, grads);
    }
    /// [`AttentionOps::write_backward`], `dpatch` also written to each of `dpatch_copies`
    /// (the rows of all steps that the patch layer's weight-gradient GEMM reads; the columns
    /// of the write's fused input-gradient GEMM). Default: the write backward, then one copy
    /// each.
    fn write_backward_to(
        &self,
        (patch, win, dcanvas): (&Self::Tensor, Window<'_, Self::Tensor>, &Self::Tensor),
        dpatch: &mut Self::Tensor,
        grads: WindowGrads<'_, Self::Tensor>,
        dpatch_copies: &mut [CopyTo<'_, Self::Tensor>],
    ) {
        host::write_backward_to(self, (patch, win, dcanvas), dpatch, grads, dpatch_copies);
    }
}
