//! Reference kernels: the model's maths on one example (one row) at a time, generic over the
//! float type.
//!
//! Every backend computes exactly these functions. The CPU backend runs them over rows in
//! parallel; the [`Backend`](crate::Backend) trait's default bodies run them on the host for a
//! backend that only provides the primitives. Each backward sits beside its forward and is
//! checked against finite differences in `tests`.

pub mod attention;
pub mod filterbank;
pub mod ledger;
pub mod lstm;
pub mod pointwise;

#[cfg(test)]
mod tests;

use crate::Float;

/// Σ a·b with eight independent partial sums, so the compiler can keep them in SIMD lanes
/// (a plain fold is one serial dependency chain).
#[inline(always)]
pub fn dot<F: Float>(a: &[F], b: &[F]) -> F {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [F::zero(); 8];
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ar, br) = (ac.remainder(), bc.remainder());
    for (x, y) in ac.zip(bc) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (&x, &y) in ar.iter().zip(br) {
        s += x * y;
    }
    s
}

/// y += α·x.
#[inline(always)]
pub fn axpy<F: Float>(alpha: F, x: &[F], y: &mut [F]) {
    for (o, &v) in y.iter_mut().zip(x) {
        *o += alpha * v;
    }
}

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
