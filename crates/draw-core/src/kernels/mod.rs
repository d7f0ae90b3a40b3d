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

/// Logistic sigmoid, computed without overflow for either sign.
#[inline(always)]
pub fn sigmoid<F: Float>(x: F) -> F {
    if x >= F::zero() {
        F::one() / (F::one() + (-x).exp())
    } else {
        let e = x.exp();
        e / (F::one() + e)
    }
}

/// softplus(x) = ln(1 + eˣ), computed without overflow.
#[inline(always)]
pub fn softplus<F: Float>(x: F) -> F {
    x.max(F::zero()) + (-x.abs()).exp().ln_1p()
}
