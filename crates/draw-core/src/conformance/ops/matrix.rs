//! Cases for [`MatrixOps`](crate::backend::MatrixOps): the GEMM in every transpose (alone and
//! with a bias row, `gemm_bias`), scaling, the reductions, and bias rows (with [`Storage::broadcast_rows`], which fills the same
//! tensor shape).
//!
//! [`Storage::broadcast_rows`]: crate::backend::Storage::broadcast_rows

use super::{signed, tolerance, Host, Io, Output};
use crate::backend::{Backend, Gemm, Mat};

/// A matrix op and its sizes.
#[derive(Clone, Debug)]
pub(super) enum MatrixCase {
    Gemm {
        m: usize,
        n: usize,
        k: usize,
        ta: bool,
        tb: bool,
        alpha: f64,
        beta: f64,
        /// Through `gemm_bias`, with a random bias row.
        bias: bool,
    },
    Scale {
        n: usize,
    },
    Sums {
        rows: usize,
        cols: usize,
    },
    Bias {
        rows: usize,
        cols: usize,
    },
}

/// Every transpose at odd sizes and at the paper's gate and weight-gradient GEMMs with
/// α = 1, β = 0; then two with other α and β (accumulating into `c`).
pub(super) fn gemm_cases() -> Vec<MatrixCase> {
    let mut v = Vec::new();
    for &(m, n, k) in &[
        (3, 50, 783),
        (50, 3, 7),
        (7, 783, 50),
        (100, 1024, 520),
        (1024, 520, 300),
    ] {
        for &(ta, tb) in &[(false, false), (false, true), (true, false), (true, true)] {
            v.push(MatrixCase::Gemm {
                m,
                n,
                k,
                ta,
                tb,
                alpha: 1.0,
                beta: 0.0,
                bias: false,
            });
        }
    }
    v.push(MatrixCase::Gemm {
        m: 50,
        n: 7,
        k: 3,
        ta: false,
        tb: true,
        alpha: 0.5,
        beta: 1.0,
        bias: false,
    });
    v.push(MatrixCase::Gemm {
        m: 3,
        n: 783,
        k: 50,
        ta: true,
        tb: false,
        alpha: -1.0,
        beta: 0.25,
        bias: false,
    });
    v
}

/// The reductions, up to the tall tensors of the batched weight gradients.
pub(super) fn sum_cases() -> Vec<MatrixCase> {
    [(3, 7), (50, 783), (6400, 1024)]
        .into_iter()
        .map(|(rows, cols)| MatrixCase::Sums { rows, cols })
        .collect()
}

/// The GEMM with a bias row (`gemm_bias`): every transpose at odd sizes, then the model's
/// uses at the paper's sizes (batch 100): the gate GEMM against the transposed fused weights
/// (8 + 256 + 256 = 520 wide), the linear heads input·Wᵀ (attention 5, μ and log σ 100, patch
/// 25), the full write accumulating into the canvas (β = 1), and one with other α and β.
pub(super) fn gemm_bias_cases() -> Vec<MatrixCase> {
    let case = |(m, n, k), (ta, tb), alpha, beta| MatrixCase::Gemm {
        m,
        n,
        k,
        ta,
        tb,
        alpha,
        beta,
        bias: true,
    };
    let mut v = Vec::new();
    for &(ta, tb) in &[(false, false), (false, true), (true, false), (true, true)] {
        v.push(case((7, 50, 3), (ta, tb), 1.0, 0.0));
        v.push(case((50, 7, 783), (ta, tb), 1.0, 1.0));
    }
    v.push(case((100, 1024, 520), (false, false), 1.0, 0.0));
    for n in [5, 100, 25] {
        v.push(case((100, n, 256), (false, true), 1.0, 0.0));
    }
    v.push(case((100, 784, 256), (false, true), 1.0, 1.0));
    v.push(case((3, 783, 50), (true, false), -1.0, 0.25));
    v
}

/// Bias rows at odd sizes and at the gates'.
pub(super) fn bias_cases() -> Vec<MatrixCase> {
    [(3, 7), (100, 1024)]
        .into_iter()
        .map(|(rows, cols)| MatrixCase::Bias { rows, cols })
        .collect()
}

impl MatrixCase {
    pub(super) fn name(&self) -> String {
        match *self {
            MatrixCase::Gemm {
                m,
                n,
                k,
                ta,
                tb,
                alpha,
                beta,
                bias,
            } => {
                let op = if bias { "gemm_bias" } else { "gemm" };
                format!("{op} {m}x{k}·{k}x{n} ta={ta} tb={tb} α={alpha} β={beta}")
            }
            MatrixCase::Scale { n } => format!("scale n={n}"),
            MatrixCase::Sums { rows, cols } => format!("sum/sum_squares/sum_rows {rows}x{cols}"),
            MatrixCase::Bias { rows, cols } => format!("add_bias/broadcast_rows {rows}x{cols}"),
        }
    }

    pub(super) fn tolerance(&self) -> f64 {
        match self {
            MatrixCase::Gemm { .. } | MatrixCase::Sums { .. } => tolerance::GEMM,
            MatrixCase::Scale { .. } | MatrixCase::Bias { .. } => tolerance::POINTWISE,
        }
    }

    /// Operands and the output (random, so a GEMM with β = 0 that reads `c` is caught).
    pub(super) fn inputs(&self, s: &mut u64) -> Vec<Host> {
        match *self {
            MatrixCase::Gemm {
                m,
                n,
                k,
                ta,
                tb,
                bias,
                ..
            } => {
                let a = if ta { signed(k, m, s) } else { signed(m, k, s) };
                let b = if tb { signed(n, k, s) } else { signed(k, n, s) };
                let mut v = vec![a, b, signed(m, n, s)];
                if bias {
                    v.push(signed(1, n, s));
                }
                v
            }
            MatrixCase::Scale { n } => vec![signed(1, n, s)],
            MatrixCase::Sums { rows, cols } | MatrixCase::Bias { rows, cols } => {
                vec![signed(rows, cols, s), signed(1, cols, s)]
            }
        }
    }

    pub(super) fn run<B: Backend>(&self, io: &mut Io<'_, B>) -> Vec<Output> {
        let b = io.b;
        match *self {
            MatrixCase::Gemm {
                ta,
                tb,
                alpha,
                beta,
                bias,
                ..
            } => {
                let (a, bb, mut c) = (io.next(), io.next(), io.next());
                let op = |t, transposed| Mat { t, transposed };
                let g = Gemm::scaled(op(&a, ta), op(&bb, tb), alpha, beta);
                if bias {
                    b.gemm_bias(&mut c, g, &io.next());
                } else {
                    b.gemm(&mut c, g);
                }
                vec![io.out("c", &c)]
            }
            MatrixCase::Scale { .. } => {
                let mut t = io.next();
                b.scale(&mut t, 1.7);
                vec![io.out("t", &t)]
            }
            MatrixCase::Sums { .. } => run_sums(io),
            MatrixCase::Bias { .. } => {
                let (mut dst, bias) = (io.next(), io.next());
                b.add_bias(&mut dst, &bias);
                let added = io.out("add_bias", &dst);
                b.broadcast_rows(&bias, &mut dst);
                vec![added, io.out("broadcast_rows", &dst)]
            }
        }
    }
}

/// Every reduction of one tensor (and of it with the row tensor), then the column sums
/// added into the row tensor.
fn run_sums<B: Backend>(io: &mut Io<'_, B>) -> Vec<Output> {
    let b = io.b;
    let (src, mut dst) = (io.next(), io.next());
    let s = b.sum(&src);
    let q = b.sum_squares(&src);
    let all = b.sum_squares_all(&[&src, &dst]);
    let sums = b.sum_all(&[&dst, &src]);
    b.sum_rows(&src, &mut dst);
    vec![
        Output::scalar("sum", vec![s]),
        Output::scalar("sum_squares", vec![q]),
        Output::scalar("sum_squares_all", all),
        Output::scalar("sum_all", sums),
        io.out("sum_rows", &dst),
    ]
}
