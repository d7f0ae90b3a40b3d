//! Pointwise pieces of one step: the canvas error image, latent sampling with its KL term, the
//! Bernoulli reconstruction loss and the Adam update.

use super::{sigmoid, softplus};
use crate::Float;

/// x̂ = x − σ(c) (eq. 1).
#[inline(always)]
pub fn canvas_error_row<F: Float>(x: &[F], c: &[F], xhat: &mut [F]) {
    for ((o, &xv), &cv) in xhat.iter_mut().zip(x).zip(c) {
        *o = xv - sigmoid(cv);
    }
}

/// Adds to `dc` the gradient through x̂ = x − σ(c), with σ(c) recovered as x − x̂.
#[inline(always)]
pub fn canvas_error_backward_row<F: Float>(x: &[F], xhat: &[F], dxhat: &[F], dc: &mut [F]) {
    for k in 0..dc.len() {
        let s = x[k] - xhat[k];
        dc[k] -= dxhat[k] * s * (F::one() - s);
    }
}

/// z = μ + exp(log σ)·ε (reparameterisation); returns this step's KL(Q‖N(0, I)) in nats:
/// ½ Σ_j (μ² + σ² − 2 log σ − 1).
#[inline(always)]
pub fn sample_latent_row<F: Float>(mu: &[F], logsig: &[F], eps: &[F], z: &mut [F]) -> F {
    let mut kl = F::zero();
    for k in 0..z.len() {
        let s = logsig[k].exp_k();
        z[k] = mu[k] + s * eps[k];
        kl += mu[k] * mu[k] + s * s - F::of(2.0) * logsig[k] - F::one();
    }
    kl * F::of(0.5)
}

/// log Q(z | h) − log N(z; 0, I) of one latent sample z = μ + exp(log σ)·ε, in nats:
/// Σ_j (½ z² − ½ ε² − log σ) (the ½ log 2π terms cancel). Its expectation over ε is the KL
/// of [`sample_latent_row`]; the importance-weighted bound needs the sampled value itself.
#[inline(always)]
pub fn latent_log_ratio_row<F: Float>(mu: &[F], logsig: &[F], eps: &[F]) -> F {
    let mut r = F::zero();
    for k in 0..mu.len() {
        let z = mu[k] + logsig[k].exp_k() * eps[k];
        r += z * z - eps[k] * eps[k] - F::of(2.0) * logsig[k];
    }
    r * F::of(0.5)
}

/// Gradients of μ and log σ from `dz` plus `kl_scale` × the KL term.
#[inline(always)]
pub fn sample_latent_backward_row<F: Float>(
    mu: &[F],
    logsig: &[F],
    eps: &[F],
    dz: &[F],
    kl_scale: F,
    dmu: &mut [F],
    dlogsig: &mut [F],
) {
    for k in 0..dz.len() {
        let s = logsig[k].exp_k();
        dmu[k] = dz[k] + kl_scale * mu[k];
        dlogsig[k] = dz[k] * s * eps[k] + kl_scale * (s * s - F::one());
    }
}

/// −log D(x | c) for Bernoulli logits c: Σ softplus(c) − x·c, in nats.
#[inline(always)]
pub fn bce_row<F: Float>(x: &[F], c: &[F]) -> F {
    x.iter()
        .zip(c)
        .fold(F::zero(), |s, (&xv, &cv)| s + softplus(cv) - xv * cv)
}

/// Sets `dc` = scale·(σ(c) − x), the gradient of `scale`·[`bce_row`].
#[inline(always)]
pub fn bce_backward_row<F: Float>(x: &[F], c: &[F], scale: F, dc: &mut [F]) {
    for ((o, &xv), &cv) in dc.iter_mut().zip(x).zip(c) {
        *o = scale * (sigmoid(cv) - xv);
    }
}

/// One Adam step's constants, with bias corrections folded in.
#[derive(Clone, Copy, Debug)]
pub struct AdamStep {
    /// Step size α·√(1 − β₂ᵗ)/(1 − β₁ᵗ).
    pub step_size: f64,
    /// β₁.
    pub beta1: f64,
    /// β₂.
    pub beta2: f64,
    /// ε, scaled by √(1 − β₂ᵗ) so that the update equals Adam's m̂/(√v̂ + ε).
    pub eps: f64,
    /// Factor applied to the gradient first (global-norm clipping), 1 when not clipping.
    pub grad_scale: f64,
}

/// Adam on a slice: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², p ← p − step·m/(√v + ε).
#[inline(always)]
pub fn adam<F: Float>(p: &mut [F], g: &[F], m: &mut [F], v: &mut [F], a: &AdamStep) {
    let (b1, b2) = (F::of(a.beta1), F::of(a.beta2));
    let (step, eps, gs) = (F::of(a.step_size), F::of(a.eps), F::of(a.grad_scale));
    for k in 0..p.len() {
        let gk = g[k] * gs;
        m[k] = b1 * m[k] + (F::one() - b1) * gk;
        v[k] = b2 * v[k] + (F::one() - b2) * gk * gk;
        p[k] -= step * m[k] / (v[k].sqrt() + eps);
    }
}

/// The class a label holds (an index stored as a float), if it is a whole number in
/// `0..classes`.
#[inline(always)]
pub fn class_index<F: Float>(label: F, classes: usize) -> Option<usize> {
    let l = label.f64();
    (l >= 0.0 && l < classes as f64 && l.fract() == 0.0).then_some(l as usize)
}

/// The first index of the largest logit, and log Σ exp(logits) computed from it (so that no
/// exponent exceeds 0).
#[inline(always)]
fn argmax_logsumexp<F: Float>(logits: &[F]) -> (usize, F) {
    let mut arg = 0;
    for (k, &v) in logits.iter().enumerate() {
        if v > logits[arg] {
            arg = k;
        }
    }
    let m = logits[arg];
    let s = logits.iter().fold(F::zero(), |s, &v| s + (v - m).exp_k());
    (arg, m + s.ln())
}

/// Softmax cross-entropy of one row of class logits against `label` (a class index stored as
/// a float): returns (−log softmax(logits)[label] in nats, 1 if the first largest logit is the
/// label's else 0). A label outside `0..logits.len()` has no target: the loss is then
/// log Σ exp(logits) and the row never counts as correct (the model refuses such labels before
/// they reach a kernel).
#[inline(always)]
pub fn softmax_xent_row<F: Float>(logits: &[F], label: F) -> (F, F) {
    let (arg, lse) = argmax_logsumexp(logits);
    match class_index(label, logits.len()) {
        Some(t) => (lse - logits[t], F::of(f64::from(u8::from(t == arg)))),
        None => (lse, F::zero()),
    }
}

/// Sets `dlogits` = scale·(softmax(logits) − onehot(label)), the gradient of
/// `scale`·[`softmax_xent_row`]'s loss.
#[inline(always)]
pub fn softmax_xent_backward_row<F: Float>(logits: &[F], label: F, scale: F, dlogits: &mut [F]) {
    let (_, lse) = argmax_logsumexp(logits);
    let target = class_index(label, logits.len());
    for (k, (o, &v)) in dlogits.iter_mut().zip(logits).enumerate() {
        let onehot = if Some(k) == target {
            F::one()
        } else {
            F::zero()
        };
        *o = scale * ((v - lse).exp_k() - onehot);
    }
}
