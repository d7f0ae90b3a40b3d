//! Losses and the canvas error they start from.

use super::{host, Storage};
use crate::kernels::pointwise;

/// The reconstruction loss and the error image the encoder reads, and the classifier's
/// softmax cross-entropy.
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
    /// Softmax cross-entropy per row of class logits (`rows × K`) against `labels` (`rows × 1`,
    /// class indices stored as floats): `loss[r]` = −log softmax(logits_r)[label_r] in nats and
    /// `correct[r]` = 1 where the first largest logit is the label's, else 0 (both `rows × 1`).
    fn softmax_xent(
        &self,
        logits: &Self::Tensor,
        labels: &Self::Tensor,
        loss: &mut Self::Tensor,
        correct: &mut Self::Tensor,
    ) {
        host::softmax_xent(self, (logits, labels), loss, correct);
    }
    /// Sets `dlogits` = scale·(softmax(logits) − onehot(labels)), the gradient of `scale` × the
    /// summed [`LossOps::softmax_xent`] loss.
    fn softmax_xent_backward(
        &self,
        logits: &Self::Tensor,
        labels: &Self::Tensor,
        scale: f64,
        dlogits: &mut Self::Tensor,
    ) {
        host::softmax_xent_backward(self, (logits, labels), scale, dlogits);
    }
}
