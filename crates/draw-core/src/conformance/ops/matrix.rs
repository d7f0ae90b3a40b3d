//! Cases for [`MatrixOps`](crate::backend::MatrixOps): the GEMM in every transpose (alone and
//! with a bias row, `gemm_bias`; writing column blocks to other tensors, `gemm_to`), scaling, the reductions, and bias rows (with [`Storage::broadcast_rows`], which fills the same
//! tensor shape).
//!
//! [`Storage::broadcast_rows`]: crate::backend::Storage::broadcast_rows

use super::{signed, tolerance, Host, Io, Output};
use crate::backend::{Backend, ColsTo, CopyTo, Gemm, Mat};

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
    /// `gemm_to` (`n` ≥ 8) with four copies of column blocks (the first, overwriting, from
    /// column 1 of its destination; an accumulating one of n − 5 columns; the last two
    /// columns; and a fourth, accumulating, past the three a device may fuse).
    GemmTo {
        m: usize,
        n: usize,
        k: usize,
        tb: bool,
        bias: bool,
    },
    /// `gemm_bias_keep_a` (A as it is, B transposed or not): A also into rows `m..` of a
    /// taller random tensor.
    GemmKeepA {
        m: usize,
        n: usize,
        k: usize,
        tb: bool,
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

/// `gemm_bias_keep_a` at odd sizes with n ≥ k and n < k, and at the encoder's gate GEMM
/// (100 × 520 · 520 × 1024).
pub(super) fn gemm_keep_a_cases() -> Vec<MatrixCase> {
    [
        (5, 11, 7, false),
        (5, 11, 7, true),
        (5, 3, 7, false),
        (100, 1024, 520, false),
    ]
    .into_iter()
    .map(|(m, n, k, tb)| MatrixCase::GemmKeepA { m, n, k, tb })
    .collect()
}

/// `gemm_to` at odd sizes, with and without a bias, and at the model's uses: an LSTM's input
/// gradient (100 × 1024 · 1024 × 520) split into its parts, and the write head and patch as
/// one layer (30 outputs from h^dec, with the bias).
pub(super) fn gemm_to_cases() -> Vec<MatrixCase> {
    [
        (7, 11, 5, false, false),
        (9, 13, 50, true, true),
        (100, 520, 1024, false, false),
        (100, 30, 256, true, true),
    ]
    .into_iter()
    .map(|(m, n, k, tb, bias)| MatrixCase::GemmTo { m, n, k, tb, bias })
    .collect()
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
            MatrixCase::GemmTo { m, n, k, tb, bias } => {
                format!("gemm_to {m}x{k}·{k}x{n} tb={tb} bias={bias}, 4 column copies")
            }
            MatrixCase::GemmKeepA { m, n, k, tb } => {
                format!("gemm_bias_keep_a {m}x{k}·{k}x{n} tb={tb}, A into rows")
            }
            MatrixCase::Scale { n } => format!("scale n={n}"),
            MatrixCase::Sums { rows, cols } => format!("sum/sum_squares/sum_rows {rows}x{cols}"),
            MatrixCase::Bias { rows, cols } => format!("add_bias/broadcast_rows {rows}x{cols}"),
        }
    }

    pub(super) fn tolerance(&self) -> f64 {
        match self {
            MatrixCase::Gemm { .. }
            | MatrixCase::GemmTo { .. }
            | MatrixCase::GemmKeepA { .. }
            | MatrixCase::Sums { .. } => tolerance::GEMM,
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
            MatrixCase::GemmKeepA { m, n, k, tb } => {
                let b = if tb { signed(n, k, s) } else { signed(k, n, s) };
                vec![
                    signed(m, k, s),
                    b,
                    signed(m, n, s),
                    signed(1, n, s),
                    signed(3 * m, k, s),
                ]
            }
            MatrixCase::GemmTo { m, n, k, tb, bias } => {
                let b = if tb { signed(n, k, s) } else { signed(k, n, s) };
                vec![
                    signed(m, k, s),
                    b,
                    signed(m, n, s),
                    signed(1, n, s),
                    signed(m, 6, s),
                    signed(m, n - 3, s),
                    signed(m, 7, s),
                    signed(m, 3, s),
                ]
                .into_iter()
                .enumerate()
                .filter(|(i, _)| bias || *i != 3)
                .map(|(_, h)| h)
                .collect()
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
            MatrixCase::GemmTo { n, tb, bias, .. } => run_gemm_to(io, n, tb, bias),
            MatrixCase::GemmKeepA { m, tb, .. } => {
                let (a, bb, mut c) = (io.next(), io.next(), io.next());
                let (bias, mut copy) = (io.next(), io.next());
                let g = Gemm::new(
                    Mat::n(&a),
                    Mat {
                        t: &bb,
                        transposed: tb,
                    },
                );
                b.gemm_bias_keep_a(&mut c, g, &bias, CopyTo::Rows(&mut copy, m));
                vec![io.out("c", &c), io.out("a copied", &copy)]
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
fn run_gemm_to<B: Backend>(io: &mut Io<'_, B>, n: usize, tb: bool, bias: bool) -> Vec<Output> {
    let b = io.b;
    let (a, bb, mut c) = (io.next(), io.next(), io.next());
    let bias_row = bias.then(|| io.next());
    let (mut d0, mut d1, mut d2, mut d3) = (io.next(), io.next(), io.next(), io.next());
    let g = Gemm::new(
        Mat::n(&a),
        Mat {
            t: &bb,
            transposed: tb,
        },
    );
    let mut copies = [
        ColsTo {
            dst_col: 1,
            ..ColsTo::set(&mut d0, 0, 3)
        },
        ColsTo::add(&mut d1, 3, n - 5),
        ColsTo {
            dst_col: 4,
            ..ColsTo::set(&mut d2, n - 2, 2)
        },
        ColsTo::add(&mut d3, 1, 2),
    ];
    b.gemm_to(&mut c, g, bias_row.as_ref(), &mut copies);
    vec![
        io.out("c", &c),
        io.out("copy 0", &d0),
        io.out("copy 1 (added)", &d1),
        io.out("copy 2", &d2),
        io.out("copy 3 (added)", &d3),
    ]
}

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
