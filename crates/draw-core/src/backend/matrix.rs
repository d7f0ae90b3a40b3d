//! Matrix ops: the GEMM (required), bias rows, scaling and reductions.

use super::{host, Storage};
use crate::Float;

/// One operand of a matrix product: a tensor, used as it is or transposed.
pub struct Mat<'a, T> {
    /// The tensor.
    pub t: &'a T,
    /// Whether the product reads `t` transposed.
    pub transposed: bool,
}

impl<'a, T> Mat<'a, T> {
    /// `t` as it is.
    pub fn n(t: &'a T) -> Self {
        Mat {
            t,
            transposed: false,
        }
    }
    /// `t` transposed.
    pub fn t(t: &'a T) -> Self {
        Mat {
            t,
            transposed: true,
        }
    }
}

/// Dense linear algebra and reductions. `gemm` is required.
pub trait MatrixOps: Storage {
    /// `c ← α·op(a)·op(b) + β·c`, where op transposes when the operand says so. With β = 0,
    /// `c` is not read.
    fn gemm(
        &self,
        c: &mut Self::Tensor,
        alpha: f64,
        a: Mat<'_, Self::Tensor>,
        b: Mat<'_, Self::Tensor>,
        beta: f64,
    );

    /// Multiplies every element by `alpha`.
    fn scale(&self, t: &mut Self::Tensor, alpha: f64) {
        let a = Self::F::of(alpha);
        let v: Vec<_> = self.download(t).into_iter().map(|x| x * a).collect();
        self.upload(t, &v);
    }
    /// Adds the `1 × cols` row `bias` to every row of `dst`.
    fn add_bias(&self, dst: &mut Self::Tensor, bias: &Self::Tensor) {
        host::add_bias(self, dst, bias);
    }
    /// Adds the column sums of `src` to the `1 × cols` tensor `dst` (bias gradients).
    fn sum_rows(&self, src: &Self::Tensor, dst: &mut Self::Tensor) {
        host::sum_rows(self, src, dst);
    }
    /// Σ of all elements, accumulated in f64.
    fn sum(&self, t: &Self::Tensor) -> f64 {
        self.download(t).iter().map(|x| x.f64()).sum()
    }
    /// Σ of squares of all elements, accumulated in f64.
    fn sum_squares(&self, t: &Self::Tensor) -> f64 {
        self.download(t).iter().map(|x| x.f64() * x.f64()).sum()
    }
    /// Σ of each tensor (the loss sums), accumulated in f64. Device backends override this to
    /// read all the sums back at once. Default: [`MatrixOps::sum`] on each.
    fn sum_all(&self, ts: &[&Self::Tensor]) -> Vec<f64> {
        ts.iter().map(|t| self.sum(t)).collect()
    }
    /// Σ of squares of each tensor (the gradient norm), accumulated in f64. Device backends
    /// override this to read all the sums back at once. Default: [`MatrixOps::sum_squares`] on
    /// each.
    fn sum_squares_all(&self, ts: &[&Self::Tensor]) -> Vec<f64> {
        ts.iter().map(|t| self.sum_squares(t)).collect()
    }
}
