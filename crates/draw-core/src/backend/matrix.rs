//! Matrix ops: the GEMM (required), bias rows, scaling and reductions.

use super::{host, CopyTo, Storage};
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

/// A matrix product into `c`: `c ← α·op(a)·op(b) + β·c`.
pub struct Gemm<'a, T> {
    /// The left operand.
    pub a: Mat<'a, T>,
    /// The right operand.
    pub b: Mat<'a, T>,
    /// The product's scale α.
    pub alpha: f64,
    /// The scale β of what `c` held (0: `c` is not read).
    pub beta: f64,
}

impl<'a, T> Gemm<'a, T> {
    /// `c ← op(a)·op(b)` (α = 1, β = 0).
    pub fn new(a: Mat<'a, T>, b: Mat<'a, T>) -> Self {
        Self::scaled(a, b, 1.0, 0.0)
    }
    /// `c ← c + op(a)·op(b)` (α = 1, β = 1).
    pub fn add_to(a: Mat<'a, T>, b: Mat<'a, T>) -> Self {
        Self::scaled(a, b, 1.0, 1.0)
    }
    /// `c ← α·op(a)·op(b) + β·c`.
    pub fn scaled(a: Mat<'a, T>, b: Mat<'a, T>, alpha: f64, beta: f64) -> Self {
        Gemm { a, b, alpha, beta }
    }
}

/// Where a product's columns also go ([`MatrixOps::gemm_to`]):
/// `dst[:, dst_col..dst_col + ncols] (+)= c[:, src_col..src_col + ncols]` (same rows), added
/// when `accumulate`.
pub struct ColsTo<'a, T> {
    /// The destination tensor.
    pub dst: &'a mut T,
    /// First column of the product copied.
    pub src_col: usize,
    /// Where it lands in `dst`.
    pub dst_col: usize,
    /// Columns copied.
    pub ncols: usize,
    /// Add to `dst` instead of overwriting it.
    pub accumulate: bool,
}

impl<'a, T> ColsTo<'a, T> {
    /// Columns `src_col..src_col + ncols` of the product written to `dst` from its column 0.
    pub fn set(dst: &'a mut T, src_col: usize, ncols: usize) -> Self {
        ColsTo {
            dst,
            src_col,
            dst_col: 0,
            ncols,
            accumulate: false,
        }
    }
    /// Columns `src_col..src_col + ncols` of the product added to `dst` from its column 0.
    pub fn add(dst: &'a mut T, src_col: usize, ncols: usize) -> Self {
        ColsTo {
            accumulate: true,
            ..Self::set(dst, src_col, ncols)
        }
    }
}

/// Dense linear algebra and reductions. `gemm` is required.
pub trait MatrixOps: Storage {
    /// `c ← α·op(a)·op(b) + β·c` ([`Gemm`]), where op transposes when the operand says so.
    /// With β = 0, `c` is not read.
    fn gemm(&self, c: &mut Self::Tensor, g: Gemm<'_, Self::Tensor>);

    /// `c ← α·op(a)·op(b) + β·c + bias`, the `1 × cols` row `bias` added to every row: a
    /// linear layer or the LSTM gates in one op (a device backend adds the bias in the
    /// product's epilogue). Default: [`MatrixOps::gemm`], then [`MatrixOps::add_bias`].
    fn gemm_bias(&self, c: &mut Self::Tensor, g: Gemm<'_, Self::Tensor>, bias: &Self::Tensor) {
        host::gemm_bias(self, c, g, bias);
    }

    /// [`MatrixOps::gemm_bias`], its left operand `g.a` (read as it is) also written to
    /// `a_copy` (a step's LSTM input into the all-steps rows its weight gradient reads), so
    /// that no copy op follows. Default: the product, then the copy.
    fn gemm_bias_keep_a(
        &self,
        c: &mut Self::Tensor,
        g: Gemm<'_, Self::Tensor>,
        bias: &Self::Tensor,
        mut a_copy: CopyTo<'_, Self::Tensor>,
    ) {
        let a = g.a.t;
        self.gemm_bias(c, g, bias);
        a_copy.copy(self, a);
    }

    /// [`MatrixOps::gemm`] (or [`MatrixOps::gemm_bias`] with `bias`) into `c`, then column
    /// blocks of `c` also written to (or added into) other tensors, `copies` (a product whose
    /// column ranges feed different tensors: an LSTM's input gradient split into the
    /// gradients of its parts, two linear layers computed as one). Default: the product, then
    /// one [`Storage::copy_cols`] per copy; a device backend writes them from the product's
    /// epilogue.
    fn gemm_to(
        &self,
        c: &mut Self::Tensor,
        g: Gemm<'_, Self::Tensor>,
        bias: Option<&Self::Tensor>,
        copies: &mut [ColsTo<'_, Self::Tensor>],
    ) {
        host::gemm_to(self, c, (g, bias), copies);
    }

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
