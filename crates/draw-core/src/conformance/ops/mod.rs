//! Op-by-op conformance: every [`Backend`] method, forward and backward, on a candidate
//! backend against a reference, at odd sizes (3, 7, 50, 783) and at the paper's MNIST shapes.
//!
//! Each case draws its inputs once on the host (values exactly representable in f32, so both
//! backends start from the same numbers), runs the op on both backends, and compares every
//! output tensor. Outputs that the op accumulates into or partly overwrites start from random
//! values, so a backend that forgets to add, or writes too much, is caught.
//!
//! Error measure: max |a − b| / max(|a|, |b|, 1% of the largest magnitude in the same row),
//! so that entries near zero count against their example's scale rather than their own. With
//! that floor, an op whose error is a few ulp of its row's scale (1.2e-7 each in f32) shows
//! up to ~1e-5; a wrong index or a missing term shows as O(1).
//!
//! The cases live by op family, one file each, mirroring [`crate::backend`]: a new trait
//! method gets its case in the file of its family (each file has the family's case enum, its
//! sizes, inputs, run and tolerance), and its place in [`cases`]' order.
//!
//! | family | file | cases |
//! |---|---|---|
//! | [`Storage`](crate::backend::Storage) | `storage.rs` | fill, copy_cols, copy_rows, transpose_rows |
//! | [`MatrixOps`](crate::backend::MatrixOps) | `matrix.rs` | gemm, scale, the sums, add_bias (with broadcast_rows), gemm_bias, gemm_to (column blocks copied) |
//! | [`LstmOps`](crate::backend::LstmOps) | `lstm.rs` | the cell forward and backward (alone and writing copies: `lstm_forward_to`, `lstm_backward_to`) |
//! | [`AttentionOps`](crate::backend::AttentionOps) | `attention.rs` | filterbanks, read (alone and writing a copy: `read_forward_to`), write; the backwards writing copies (`write_backward_to`, `filterbank_backward_to`) |
//! | [`LossOps`](crate::backend::LossOps) | `loss.rs` | canvas error, Bernoulli loss, softmax cross-entropy |
//! | [`SamplingOps`](crate::backend::SamplingOps) | `sampling.rs` | fill_normal, sample_latent (alone, writing a copy: `sample_latent_to`, and drawing ε: `sample_latent_drawn_to`), its backward writing copies (`sample_latent_backward_to`), latent_log_ratio |
//! | [`OptimOps`](crate::backend::OptimOps) | `optim.rs` | adam, the ledger (sums_into, step_verdict, adam_checked) |

mod attention;
mod loss;
mod lstm;
mod matrix;
mod optim;
mod sampling;
mod storage;

use crate::backend::Backend;
use crate::conformance::{diff, Diff};
use crate::rng::NoiseKey;
use crate::Float;
use attention::AttentionCase;
use loss::LossCase;
use lstm::LstmCase;
use matrix::MatrixCase;
use optim::OptimCase;
use sampling::SamplingCase;
use storage::StorageCase;

/// How closely an f32 candidate must match the reference, per op family (relative, with the
/// row floor above); scaled by the candidate's machine epsilon relative to f32 for wider
/// floats (never below 1e-12). Measured for `CpuBackend<f32>` against the f64 reference,
/// then given headroom for a GPU's exp/log (≤ 3 ulp) and another summation order.
///
/// - `POINTWISE`: a handful of roundings and one exp per element; tanh(c) = 2σ(2c) − 1 cancels
///   near 0, so errors are ulps of the row's scale: measured ≤ 2e-5.
/// - `GEMM`: sums of up to 6400 terms in another order: measured ≤ 6e-5.
/// - `ATTENTION`: a filter is a softmax of −(a − μ)²/(2σ²): an f32 rounding of μ (14 px, ulp
///   1e-6) moves a filter's tail by (a − μ)/σ² × 1e-6 relative, ~1e-4 for sharp filters, and the
///   glimpse sums and the softmax backward (`df − dot`) add to it: measured ≤ 3e-4.
/// - `ATTENTION_CHAIN`: the read's whole backward (`read_backward_full`), whose filterbank
///   backward is fed the read backward's own dF_X and dF_Y (not independent random ones): a
///   row's ∂g̃X or ∂g̃Y is then a small difference of terms of the row's scale (the softmax
///   backward's `df − dot` over near-constant dF), e.g. −0.00367 against −0.00374 in a row whose
///   largest element is 2.52: 7e-5 absolute, 2.8e-5 of the row's scale but 2.8e-3 against the
///   1 % row floor; measured ≤ 7.1e-3, the same in f32 on the CPU backend (the default body,
///   the separate ops in turn) and on wgpu, so it bounds the chain's conditioning in f32, not a
///   backend. Every output but dp stays within `ATTENTION`.
/// - `NOISE`: ε from Box–Muller in f32 on a device (≤ 5e-7 absolute on lavapipe) against f64
///   rounded once on the host; ~1e-5 against a row floor of ~0.035.
pub mod tolerance {
    /// Elementwise ops.
    pub const POINTWISE: f64 = 1e-4;
    /// Matrix products and reductions.
    pub const GEMM: f64 = 3e-4;
    /// Filterbank and attention read/write, forward and backward.
    pub const ATTENTION: f64 = 2e-3;
    /// The attention read's whole backward, dp from the read's own filterbank gradients.
    pub const ATTENTION_CHAIN: f64 = 1e-2;
    /// Standard normals from the counter RNG.
    pub const NOISE: f64 = 1e-4;
}

/// The comparison of one output of one op case.
#[derive(Clone, Debug)]
pub struct OpCheck {
    /// Op and sizes, e.g. `lstm_backward rows=50 H=7`.
    pub case: String,
    /// Which output tensor.
    pub output: &'static str,
    /// The difference found.
    pub diff: Diff,
    /// The largest relative difference allowed.
    pub tolerance: f64,
}

impl OpCheck {
    /// Whether the difference is within tolerance (NaN fails).
    pub fn passes(&self) -> bool {
        self.diff.rel <= self.tolerance
    }
}

/// A host tensor: shape and values.
#[derive(Clone)]
struct Host {
    rows: usize,
    cols: usize,
    data: Vec<f64>,
}

/// Deterministic f32-representable values in [lo, hi), from the next stream.
fn rand(rows: usize, cols: usize, lo: f64, hi: f64, stream: &mut u64) -> Host {
    *stream += 1;
    let k = NoiseKey::new(0xC0FFEE, *stream);
    let data = (0..(rows * cols) as u64)
        .map(|i| (lo + (hi - lo) * k.uniform(i)) as f32 as f64)
        .collect();
    Host { rows, cols, data }
}

/// [`rand`] in [−1, 1), the range of most inputs.
fn signed(rows: usize, cols: usize, stream: &mut u64) -> Host {
    rand(rows, cols, -1.0, 1.0, stream)
}

/// One output of a case, as f64, with its row length (for the row floor of the error).
struct Output {
    name: &'static str,
    cols: usize,
    values: Vec<f64>,
}

impl Output {
    /// A single number (a reduction), its own row.
    fn scalar(name: &'static str, values: Vec<f64>) -> Self {
        Output {
            name,
            cols: 1,
            values,
        }
    }
}

/// A case's inputs on one backend, uploaded all at once before the op runs, handed out in
/// order; and the way back to the host.
struct Io<'a, B: Backend> {
    b: &'a B,
    ins: &'a [Host],
    uploaded: std::vec::IntoIter<B::Tensor>,
}

impl<'a, B: Backend> Io<'a, B> {
    fn new(b: &'a B, ins: &'a [Host]) -> Self {
        let uploaded: Vec<B::Tensor> = ins.iter().map(|h| upload(b, h)).collect();
        Io {
            b,
            ins,
            uploaded: uploaded.into_iter(),
        }
    }

    /// The next input tensor.
    fn next(&mut self) -> B::Tensor {
        self.uploaded.next().expect("input count matches the op")
    }

    /// A fresh upload of input `i` (for an output that starts from an input's values).
    fn again(&self, i: usize) -> B::Tensor {
        upload(self.b, &self.ins[i])
    }

    /// Tensor `t` back on the host as output `name`.
    fn out(&self, name: &'static str, t: &B::Tensor) -> Output {
        Output {
            name,
            cols: self.b.shape(t).1,
            values: self.b.download(t).iter().map(|v| v.f64()).collect(),
        }
    }
}

fn upload<B: Backend>(b: &B, h: &Host) -> B::Tensor {
    let v: Vec<B::F> = h.data.iter().map(|&x| B::F::of(x)).collect();
    b.tensor(h.rows, h.cols, &v)
}

/// One case of the suite, by op family.
#[derive(Clone, Debug)]
enum Op {
    Storage(StorageCase),
    Matrix(MatrixCase),
    Lstm(LstmCase),
    Attention(AttentionCase),
    Loss(LossCase),
    Sampling(SamplingCase),
    Optim(OptimCase),
}

impl Op {
    /// Op and sizes, for the report.
    fn name(&self) -> String {
        match self {
            Op::Storage(c) => c.name(),
            Op::Matrix(c) => c.name(),
            Op::Lstm(c) => c.name(),
            Op::Attention(c) => c.name(),
            Op::Loss(c) => c.name(),
            Op::Sampling(c) => c.name(),
            Op::Optim(c) => c.name(),
        }
    }

    /// The f32 tolerance of the op ([`tolerance`]).
    fn tolerance(&self) -> f64 {
        match self {
            Op::Storage(c) => c.tolerance(),
            Op::Matrix(c) => c.tolerance(),
            Op::Lstm(c) => c.tolerance(),
            Op::Attention(c) => c.tolerance(),
            Op::Loss(c) => c.tolerance(),
            Op::Sampling(c) => c.tolerance(),
            Op::Optim(c) => c.tolerance(),
        }
    }

    /// The case's host inputs, drawn from the next streams.
    fn inputs(&self, stream: &mut u64) -> Vec<Host> {
        match self {
            Op::Storage(c) => c.inputs(stream),
            Op::Matrix(c) => c.inputs(stream),
            Op::Lstm(c) => c.inputs(stream),
            Op::Attention(c) => c.inputs(stream),
            Op::Loss(c) => c.inputs(stream),
            Op::Sampling(c) => c.inputs(stream),
            Op::Optim(c) => c.inputs(stream),
        }
    }

    /// Runs the case on `b` from host inputs; every output, named, as f64.
    fn run<B: Backend>(&self, b: &B, ins: &[Host]) -> Vec<Output> {
        let io = &mut Io::new(b, ins);
        match self {
            Op::Storage(c) => c.run(io),
            Op::Matrix(c) => c.run(io),
            Op::Lstm(c) => c.run(io),
            Op::Attention(c) => c.run(io),
            Op::Loss(c) => c.run(io),
            Op::Sampling(c) => c.run(io),
            Op::Optim(c) => c.run(io),
        }
    }
}

/// The suite's cases: odd sizes and the paper's MNIST shapes (batch 100, 28 × 28, read N = 2,
/// write N = 5, LSTM 256, z = 100, gate GEMM 100 × 520 · 520 × 1024).
///
/// The order fixes the inputs: each case draws the next random streams, so moving a case
/// changes the inputs of every later one. Add a new case at the end.
fn cases() -> Vec<Op> {
    let mut v: Vec<Op> = matrix::gemm_cases().into_iter().map(Op::Matrix).collect();
    for n in [3, 783, 100 * 784] {
        v.push(Op::Storage(StorageCase::Fill { n }));
        v.push(Op::Matrix(MatrixCase::Scale { n }));
        v.push(Op::Optim(OptimCase::Adam { n }));
    }
    v.extend(matrix::sum_cases().into_iter().map(Op::Matrix));
    v.extend(storage::copy_cases().into_iter().map(Op::Storage));
    v.extend(matrix::bias_cases().into_iter().map(Op::Matrix));
    v.extend(sampling::noise_cases().into_iter().map(Op::Sampling));
    v.extend(lstm::cases().into_iter().map(Op::Lstm));
    v.extend(attention::cases().into_iter().map(Op::Attention));
    v.extend(loss::cases().into_iter().map(Op::Loss));
    v.extend(sampling::latent_cases().into_iter().map(Op::Sampling));
    v.extend(matrix::gemm_bias_cases().into_iter().map(Op::Matrix));
    v.extend(matrix::gemm_to_cases().into_iter().map(Op::Matrix));
    v.extend(lstm::copy_cases().into_iter().map(Op::Lstm));
    v.extend(attention::copy_cases().into_iter().map(Op::Attention));
    v.extend(sampling::copy_cases().into_iter().map(Op::Sampling));
    v.extend(optim::ledger_cases().into_iter().map(Op::Optim));
    v.extend(attention::canvas_cases().into_iter().map(Op::Attention));
    v.extend(attention::pair_cases().into_iter().map(Op::Attention));
    v.extend(sampling::layer_cases().into_iter().map(Op::Sampling));
    v.extend(matrix::gemm_keep_a_cases().into_iter().map(Op::Matrix));
    v
}

/// [`diff`] row by row, each row's floor 1% of its largest magnitude (in either backend).
fn diff_rows(a: &[f64], b: &[f64], cols: usize) -> Diff {
    if a.len() != b.len() {
        return Diff {
            abs: f64::INFINITY,
            rel: f64::INFINITY,
        };
    }
    a.chunks(cols)
        .zip(b.chunks(cols))
        .fold(Diff::default(), |d, (x, y)| {
            let scale = x.iter().chain(y).fold(0.0f64, |m, v| m.max(v.abs()));
            let r = diff(x, y, (0.01 * scale).max(1e-30));
            Diff {
                abs: d.abs.max(r.abs),
                rel: if r.rel.is_nan() {
                    f64::NAN
                } else {
                    d.rel.max(r.rel)
                },
            }
        })
}

/// Runs every case on both backends and compares every output. The candidate passes when
/// every [`OpCheck::passes`].
pub fn check_ops<R: Backend, C: Backend>(reference: &R, candidate: &C) -> Vec<OpCheck> {
    let eps_ratio = <C::F as num_traits::Float>::epsilon().f64() / f64::from(f32::EPSILON);
    let mut stream = 0;
    let mut out = Vec::new();
    for op in cases() {
        let ins = op.inputs(&mut stream);
        let (a, b) = (op.run(reference, &ins), op.run(candidate, &ins));
        let tolerance = (op.tolerance() * eps_ratio).max(1e-12);
        for (x, y) in a.into_iter().zip(b) {
            out.push(OpCheck {
                case: op.name(),
                output: x.name,
                diff: diff_rows(&x.values, &y.values, x.cols.max(1)),
                tolerance,
            });
        }
    }
    out
}
