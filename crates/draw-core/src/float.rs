//! The scalar type a backend computes in.

use std::fmt::Debug;

/// A floating-point scalar: `f32` for training, `f64` for gradient checks.
pub trait Float:
    num_traits::Float + num_traits::NumAssign + Copy + Default + Debug + Send + Sync + 'static
{
    /// Converts from `f64` (rounding for `f32`).
    fn of(v: f64) -> Self;
    /// Converts to `f64` exactly.
    fn f64(self) -> f64;
    /// eˣ for the model's kernels. `f64` uses the exact library function (gradient checks);
    /// `f32` uses a branch-free polynomial (≤ 2 ulp in [−87, 88], saturating outside) that the
    /// compiler can vectorise, several times faster than libm's `expf`.
    #[inline(always)]
    fn exp_k(self) -> Self {
        self.exp()
    }
    /// The standard normal of element `index` of `key` in this precision: f64 computes
    /// [`NoiseKey::normal`] exactly; f32 uses [`NoiseKey::normal_f32`] (within ~5e-7, and it
    /// vectorises).
    #[inline(always)]
    fn normal(key: &crate::NoiseKey, index: u64) -> Self {
        Self::of(key.normal(index))
    }
}

impl Float for f32 {
    #[inline(always)]
    fn of(v: f64) -> Self {
        v as f32
    }
    #[inline(always)]
    fn f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn exp_k(self) -> Self {
        exp_f32(self)
    }
    #[inline(always)]
    fn normal(key: &crate::NoiseKey, index: u64) -> Self {
        key.normal_f32(index)
    }
}

/// Branch-free eˣ for f32 (Cephes' `expf` polynomial): x = n·ln 2 + r, |r| ≤ ln 2 / 2,
/// eʳ by a degree-6 polynomial, 2ⁿ built in the exponent bits. Inputs are clamped to
/// [−87.3, 88.7], so the result is always finite and positive.
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    const ROUND: f32 = 12_582_912.0; // 1.5·2²³: adding and subtracting rounds to an integer
    let x = x.clamp(-87.3, 88.7);
    let n = (x * std::f32::consts::LOG2_E + ROUND) - ROUND;
    let r = x - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let er = p * r * r + r + 1.0;
    // 2ⁿ for n in [−126, 128): split so that both factors are normal numbers.
    let ni = n as i32;
    let half = ni >> 1;
    let a = f32::from_bits(((half + 127) as u32) << 23);
    let b = f32::from_bits(((ni - half + 127) as u32) << 23);
    er * a * b
}

impl Float for f64 {
    #[inline(always)]
    fn of(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn f64(self) -> f64 {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_exp_is_within_two_ulp() {
        let mut worst = 0.0f64;
        let mut x = -87.0f32;
        while x < 88.0 {
            let got = exp_f32(x) as f64;
            let want = (x as f64).exp();
            worst = worst.max(((got - want) / want).abs());
            x += 0.001_37;
        }
        assert!(
            worst < 2.5 * f32::EPSILON as f64,
            "worst relative error {worst:e}"
        );
        assert!(exp_f32(-1000.0) > 0.0 && exp_f32(1000.0).is_finite());
        assert_eq!(exp_f32(0.0), 1.0);
    }
}
