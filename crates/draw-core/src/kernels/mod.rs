//! Reference kernels: the model's maths on one example (one row) at a time, generic over the
//! float type.
//!
//! Every backend computes exactly these functions. The CPU backend runs them over rows in
//! parallel; the [`Backend`](crate::Backend) trait's default bodies run them on the host for a
//! backend that only provides the primitives. Each backward sits beside its forward and is
//! checked against finite differences in `tests`.

pub mod attention;
pub mod filterbank;
pub mod lstm;
pub mod pointwise;

#[cfg(test)]
mod tests;

use crate::Float;

/// Logistic sigmoid 1/(1 + e⁻ˣ), branch-free; never NaN (e⁻ˣ saturates rather than overflowing
/// in f32, and 1/∞ = 0 in f64).
#[inline(always)]
pub fn sigmoid<F: Float>(x: F) -> F {
    F::one() / (F::one() + (-x).exp_k())
}

/// tanh(x) = 2σ(2x) − 1: absolute error ~1e-7 in f32, branch-free.
#[inline(always)]
pub fn tanh<F: Float>(x: F) -> F {
    let two = F::one() + F::one();
    two / (F::one() + (-two * x).exp_k()) - F::one()
}

/// softplus(x) = ln(1 + eˣ), computed without overflow.
#[inline(always)]
pub fn softplus<F: Float>(x: F) -> F {
    x.max(F::zero()) + (-x.abs()).exp_k().ln_1p()
}
