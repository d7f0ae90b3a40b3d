//! [`MatrixOps`]: GEMM through the `gemm` crate, scaling, bias and the reductions.

use crate::rows::slice;
use crate::CpuBackend;
use draw_core::{Float, Gemm, Mat, MatrixOps};
use ndarray::{Array2, Axis};
use rayon::prelude::*;

/// A GEMM operand as the `gemm` crate reads it: the shape of op(t) and its strides.
struct Operand<F> {
    ptr: *const F,
    rows: usize,
    cols: usize,
    /// Stride between rows of op(t).
    rs: isize,
    /// Stride between columns of op(t).
    cs: isize,
}

impl<F> Operand<F> {
    /// Row-major strides: element (i, j) of an r × c matrix is at i·c + j; a transposed
    /// operand swaps the shape and the strides.
    fn new(m: Mat<'_, Array2<F>>) -> Self {
        let (t, cols) = (m.t, m.t.ncols());
        if m.transposed {
            Operand {
                ptr: t.as_ptr(),
                rows: cols,
                cols: t.nrows(),
                rs: 1,
                cs: cols as isize,
            }
        } else {
            Operand {
                ptr: t.as_ptr(),
                rows: t.nrows(),
                cols,
                rs: cols as isize,
                cs: 1,
            }
        }
    }
}

/// The `gemm` crate's threading: the current pool's threads, none inside a shard.
fn parallelism() -> gemm::Parallelism {
    let threads = rayon::current_num_threads();
    if threads > 1 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    }
}

impl<F: Float> MatrixOps for CpuBackend<F> {
    fn gemm(&self, c: &mut Array2<F>, g: Gemm<'_, Array2<F>>) {
        let Gemm { a, b, alpha, beta } = g;
        let (a, b) = (Operand::new(a), Operand::new(b));
        let (m, k, kb, n) = (a.rows, a.cols, b.rows, b.cols);
        assert!(
            k == kb && c.dim() == (m, n),
            "gemm shape mismatch: {m}x{k} · {kb}x{n} -> {:?}",
            c.dim()
        );
        if m == 0 || n == 0 {
            return;
        }
        if k == 0 {
            c.mapv_inplace(|v| v * F::of(beta));
            return;
        }
        // SAFETY: the pointers come from contiguous arrays whose shapes were checked above, so
        // every (row, col) visited with these strides lies inside its array; `c` is borrowed
        // mutably and cannot alias `a` or `b`.
        unsafe {
            gemm::gemm(
                m,
                n,
                k,
                c.as_mut_ptr(),
                1,
                n as isize,
                beta != 0.0,
                a.ptr,
                a.cs,
                a.rs,
                b.ptr,
                b.cs,
                b.rs,
                F::of(beta),
                F::of(alpha),
                false,
                false,
                false,
                parallelism(),
            );
        }
    }

    fn scale(&self, t: &mut Array2<F>, alpha: f64) {
        let a = F::of(alpha);
        t.mapv_inplace(|v| v * a);
    }

    fn sum(&self, t: &Array2<F>) -> f64 {
        slice(t).iter().map(|v| v.f64()).sum()
    }

    /// Partial sums over fixed chunks of 4096, added in order: parallel, yet the same bits on
    /// every run (rayon's own `sum` splits where work-stealing happens to, and the global
    /// norm's last bits then vary, which moves clipped updates and breaks exact resume).
    fn sum_squares(&self, t: &Array2<F>) -> f64 {
        let partial: Vec<f64> = slice(t)
            .par_chunks(4096)
            .map(|c| c.iter().map(|v| v.f64() * v.f64()).sum::<f64>())
            .collect();
        partial.iter().sum()
    }

    fn add_bias(&self, dst: &mut Array2<F>, bias: &Array2<F>) {
        let b = bias.row(0);
        dst.axis_iter_mut(Axis(0)).for_each(|mut r| r += &b);
    }

    fn sum_rows(&self, src: &Array2<F>, dst: &mut Array2<F>) {
        let mut d = dst.row_mut(0);
        src.axis_iter(Axis(0)).for_each(|r| d += &r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use draw_core::{NoiseKey, Storage};

    #[test]
    fn gemm_handles_every_transpose_and_beta() {
        let b = CpuBackend::<f64>::new();
        let host = draw_core::reference::HostBackend::<f64>::new();
        let k = NoiseKey::new(1, 2);
        for (m, kk, n) in [(3, 50, 7), (1, 1, 1), (17, 33, 65)] {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let (ar, ac) = if ta { (kk, m) } else { (m, kk) };
                let (br, bc) = if tb { (n, kk) } else { (kk, n) };
                let av: Vec<f64> = (0..ar * ac).map(|i| k.normal(i as u64)).collect();
                let bv: Vec<f64> = (0..br * bc).map(|i| k.normal(1000 + i as u64)).collect();
                let cv: Vec<f64> = (0..m * n).map(|i| k.normal(9000 + i as u64)).collect();
                let mut c1 = b.tensor(m, n, &cv);
                let mut c2 = host.tensor(m, n, &cv);
                let (a1, b1) = (b.tensor(ar, ac, &av), b.tensor(br, bc, &bv));
                let (a2, b2) = (host.tensor(ar, ac, &av), host.tensor(br, bc, &bv));
                let op = |t, transposed| Mat { t, transposed };
                b.gemm(&mut c1, Gemm::scaled(op(&a1, ta), op(&b1, tb), 0.5, 2.0));
                let op = |t, transposed| Mat { t, transposed };
                host.gemm(&mut c2, Gemm::scaled(op(&a2, ta), op(&b2, tb), 0.5, 2.0));
                let (x, y) = (b.download(&c1), host.download(&c2));
                for (p, q) in x.iter().zip(&y) {
                    assert!(
                        (p - q).abs() < 1e-10,
                        "{m}x{kk}x{n} ta={ta} tb={tb}: {p} vs {q}"
                    );
                }
            }
        }
    }
}
