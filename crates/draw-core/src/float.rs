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
