//! Losses and the canvas error they start from.

use super::{host, Storage};
use crate::kernels::pointwise;

/// The reconstruction loss and the error image the encoder reads. A classifier's loss
/// (softmax cross-entropy) belongs here too.
pub trait LossOps: Storage {
    /// x̂ = x − σ(c).
    fn canvas_error(&self, x: &Self::Tensor, c: &Self::Tensor, xhat: &mut Self::Tensor) {
        host::elementwise(self, &[x, c], xhat, |ins, out| {
            pointwise::canvas_error_row(ins[0], ins[1], out)
        });
    }
    /// `dc += ∂x̂/∂c · dx̂`.
    fn canvas_error_backward(
        &self,
        x: &Self::Tensor,
        xhat: &Self::Tensor,
        dxhat: &Self::Tensor,
        dc: &mut Self::Tensor,
    ) {
        host::elementwise(self, &[x, xhat, dxhat], dc, |ins, out| {
            pointwise::canvas_error_backward_row(ins[0], ins[1], ins[2], out)
        });
    }
    /// Per-row Bernoulli negative log-likelihood of `x` under logits `c`, into `out` (rows × 1).
    fn bce(&self, x: &Self::Tensor, c: &Self::Tensor, out: &mut Self::Tensor) {
        host::bce(self, x, c, out);
    }
    /// Sets `dc` = scale·(σ(c) − x).
    fn bce_backward(&self, x: &Self::Tensor, c: &Self::Tensor, scale: f64, dc: &mut Self::Tensor) {
        let s = <Self::F as crate::Float>::of(scale);
        host::elementwise(self, &[x, c], dc, |ins, out| {
            pointwise::bce_backward_row(ins[0], ins[1], s, out)
        });
    }
}
