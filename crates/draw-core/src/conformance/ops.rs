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

use crate::backend::{Backend, Latent, Mat, Window, WindowGrads};
use crate::conformance::{diff, Diff};
use crate::kernels::filterbank::Geometry;
use crate::kernels::pointwise::AdamStep;
use crate::rng::NoiseKey;
use crate::Float;

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
/// - `NOISE`: ε from Box–Muller in f32 on a device (≤ 5e-7 absolute on lavapipe) against f64
///   rounded once on the host; ~1e-5 against a row floor of ~0.035.
pub mod tolerance {
    /// Elementwise ops.
    pub const POINTWISE: f64 = 1e-4;
    /// Matrix products and reductions.
    pub const GEMM: f64 = 3e-4;
    /// Filterbank and attention read/write, forward and backward.
    pub const ATTENTION: f64 = 2e-3;
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

/// The ops the suite exercises, with their sizes.
#[derive(Clone, Debug)]
enum Op {
    Gemm {
        m: usize,
        n: usize,
        k: usize,
        ta: bool,
        tb: bool,
        alpha: f64,
        beta: f64,
    },
    Fill {
        n: usize,
    },
    Scale {
        n: usize,
    },
    Sums {
        rows: usize,
        cols: usize,
    },
    CopyCols {
        rows: usize,
        src_cols: usize,
        dst_cols: usize,
        acc: bool,
    },
    CopyRows {
        rows: usize,
        cols: usize,
    },
    Transpose {
        rows: usize,
        cols: usize,
    },
    Bias {
        rows: usize,
        cols: usize,
    },
    FillNormal {
        rows: usize,
        cols: usize,
    },
    Lstm {
        rows: usize,
        h: usize,
    },
    Filterbank {
        rows: usize,
        geo: Geometry,
    },
    Read {
        rows: usize,
        geo: Geometry,
    },
    Write {
        rows: usize,
        geo: Geometry,
    },
    Canvas {
        rows: usize,
        cols: usize,
    },
    Latent {
        rows: usize,
        z: usize,
    },
    Bce {
        rows: usize,
        cols: usize,
    },
    Adam {
        n: usize,
    },
}

fn name(op: &Op) -> String {
    match op {
        Op::Gemm {
            m,
            n,
            k,
            ta,
            tb,
            alpha,
            beta,
        } => {
            format!("gemm {m}x{k}·{k}x{n} ta={ta} tb={tb} α={alpha} β={beta}")
        }
        Op::Fill { n } => format!("fill n={n}"),
        Op::Scale { n } => format!("scale n={n}"),
        Op::Sums { rows, cols } => format!("sum/sum_squares/sum_rows {rows}x{cols}"),
        Op::CopyCols {
            rows,
            src_cols,
            dst_cols,
            acc,
        } => {
            format!("copy_cols rows={rows} {src_cols}→{dst_cols} accumulate={acc}")
        }
        Op::CopyRows { rows, cols } => format!("copy_rows {rows}x{cols}"),
        Op::Transpose { rows, cols } => format!("transpose_rows {rows}x{cols}"),
        Op::Bias { rows, cols } => format!("add_bias/broadcast_rows {rows}x{cols}"),
        Op::FillNormal { rows, cols } => format!("fill_normal {rows}x{cols}"),
        Op::Lstm { rows, h } => format!("lstm forward+backward rows={rows} H={h}"),
        Op::Filterbank { rows, geo } => {
            format!("filterbank forward+backward rows={rows} {}", g(geo))
        }
        Op::Read { rows, geo } => format!("read forward+backward rows={rows} {}", g(geo)),
        Op::Write { rows, geo } => format!("write forward+backward rows={rows} {}", g(geo)),
        Op::Canvas { rows, cols } => format!("canvas_error forward+backward {rows}x{cols}"),
        Op::Latent { rows, z } => format!("sample_latent forward+backward rows={rows} z={z}"),
        Op::Bce { rows, cols } => format!("bce forward+backward {rows}x{cols}"),
        Op::Adam { n } => format!("adam n={n}"),
    }
}

fn g(geo: &Geometry) -> String {
    format!("N={} {}x{}x{}", geo.n, geo.channels, geo.height, geo.width)
}

fn family_tolerance(op: &Op) -> f64 {
    match op {
        Op::Gemm { .. } | Op::Sums { .. } | Op::Bce { .. } => tolerance::GEMM,
        Op::Filterbank { .. } | Op::Read { .. } | Op::Write { .. } => tolerance::ATTENTION,
        Op::FillNormal { .. } => tolerance::NOISE,
        _ => tolerance::POINTWISE,
    }
}

/// The suite's cases: odd sizes and the paper's MNIST shapes (batch 100, 28 × 28, read N = 2,
/// write N = 5, LSTM 256, z = 100, gate GEMM 100 × 520 · 520 × 1024).
fn cases() -> Vec<Op> {
    let mut v = Vec::new();
    for &(m, n, k) in &[
        (3, 50, 783),
        (50, 3, 7),
        (7, 783, 50),
        (100, 1024, 520),
        (1024, 520, 300),
    ] {
        for &(ta, tb) in &[(false, false), (false, true), (true, false), (true, true)] {
            v.push(Op::Gemm {
                m,
                n,
                k,
                ta,
                tb,
                alpha: 1.0,
                beta: 0.0,
            });
        }
    }
    v.push(Op::Gemm {
        m: 50,
        n: 7,
        k: 3,
        ta: false,
        tb: true,
        alpha: 0.5,
        beta: 1.0,
    });
    v.push(Op::Gemm {
        m: 3,
        n: 783,
        k: 50,
        ta: true,
        tb: false,
        alpha: -1.0,
        beta: 0.25,
    });
    for &n in &[3, 783, 100 * 784] {
        v.push(Op::Fill { n });
        v.push(Op::Scale { n });
        v.push(Op::Adam { n });
    }
    for &(rows, cols) in &[(3, 7), (50, 783), (6400, 1024)] {
        v.push(Op::Sums { rows, cols });
    }
    v.push(Op::CopyCols {
        rows: 50,
        src_cols: 7,
        dst_cols: 783,
        acc: false,
    });
    v.push(Op::CopyCols {
        rows: 100,
        src_cols: 256,
        dst_cols: 520,
        acc: true,
    });
    v.push(Op::CopyRows { rows: 3, cols: 7 });
    v.push(Op::CopyRows {
        rows: 100,
        cols: 1024,
    });
    v.push(Op::Transpose { rows: 3, cols: 7 });
    v.push(Op::Transpose {
        rows: 1024,
        cols: 520,
    });
    v.push(Op::Bias { rows: 3, cols: 7 });
    v.push(Op::Bias {
        rows: 100,
        cols: 1024,
    });
    v.push(Op::FillNormal { rows: 3, cols: 7 });
    v.push(Op::FillNormal {
        rows: 100,
        cols: 100,
    });
    for &(rows, h) in &[(3, 7), (50, 3), (100, 256)] {
        v.push(Op::Lstm { rows, h });
    }
    let geos = [
        Geometry {
            n: 3,
            width: 7,
            height: 5,
            channels: 1,
        },
        Geometry {
            n: 4,
            width: 11,
            height: 9,
            channels: 3,
        },
        Geometry {
            n: 2,
            width: 28,
            height: 28,
            channels: 1,
        },
        Geometry {
            n: 5,
            width: 28,
            height: 28,
            channels: 1,
        },
    ];
    for geo in geos {
        let rows = if geo.width == 28 { 100 } else { 3 };
        v.push(Op::Filterbank { rows, geo });
        v.push(Op::Read { rows, geo });
        v.push(Op::Write { rows, geo });
    }
    for &(rows, cols) in &[(3, 7), (50, 783), (100, 784)] {
        v.push(Op::Canvas { rows, cols });
        v.push(Op::Bce { rows, cols });
    }
    for &(rows, z) in &[(3, 7), (100, 100)] {
        v.push(Op::Latent { rows, z });
    }
    v
}

/// Deterministic f32-representable values in [lo, hi).
fn rand(rows: usize, cols: usize, lo: f64, hi: f64, stream: &mut u64) -> Host {
    *stream += 1;
    let k = NoiseKey::new(0xC0FFEE, *stream);
    let data = (0..(rows * cols) as u64)
        .map(|i| (lo + (hi - lo) * k.uniform(i)) as f32 as f64)
        .collect();
    Host { rows, cols, data }
}

/// Attention outputs in the ranges a trained network produces (log σ² in [−1, 1], so filters
/// at least 0.6 px wide; log δ̃ in [−0.75, 0.5]); row 0 has every log-parameter beyond the clamp
/// (σ² and γ large, δ tiny: wide filters stacked at one point, well conditioned in f32), so
/// the clamping paths are compared.
fn attention_params(rows: usize, stream: &mut u64) -> Host {
    let mut p = rand(rows, 5, -1.0, 1.0, stream);
    for r in 0..rows {
        p.data[r * 5 + 3] = (p.data[r * 5 + 3] * 0.625 - 0.125) as f32 as f64;
    }
    if rows > 1 {
        p.data[2] = 10.5;
        p.data[3] = -11.0;
        p.data[4] = 12.0;
    }
    p
}

fn inputs(op: &Op, stream: &mut u64) -> Vec<Host> {
    let r = |rows, cols, s: &mut u64| rand(rows, cols, -1.0, 1.0, s);
    match *op {
        Op::Gemm {
            m, n, k, ta, tb, ..
        } => {
            let a = if ta { r(k, m, stream) } else { r(m, k, stream) };
            let b = if tb { r(n, k, stream) } else { r(k, n, stream) };
            vec![a, b, r(m, n, stream)]
        }
        Op::Fill { n } | Op::Scale { n } => vec![r(1, n, stream)],
        Op::Sums { rows, cols } => vec![r(rows, cols, stream), r(1, cols, stream)],
        Op::CopyCols {
            rows,
            src_cols,
            dst_cols,
            ..
        } => {
            vec![r(rows, src_cols, stream), r(rows, dst_cols, stream)]
        }
        Op::CopyRows { rows, cols } => vec![r(rows, cols, stream), r(3 * rows + 1, cols, stream)],
        Op::Transpose { rows, cols } => vec![r(rows, cols, stream), r(cols + 5, rows, stream)],
        Op::Bias { rows, cols } => vec![r(rows, cols, stream), r(1, cols, stream)],
        Op::FillNormal { rows, cols } => vec![r(rows, cols, stream)],
        Op::Lstm { rows, h } => vec![
            rand(rows, 4 * h, -3.0, 3.0, stream),
            r(rows, h, stream),
            r(rows, h, stream),
            r(rows, h, stream),
            r(rows, h, stream),
            r(rows, h, stream),
            r(rows, 4 * h, stream),
        ],
        Op::Filterbank { rows, geo } => vec![
            attention_params(rows, stream),
            r(rows, geo.fx_len(), stream),
            r(rows, geo.fy_len(), stream),
            r(rows, geo.fx_len(), stream),
            r(rows, geo.fy_len(), stream),
            r(rows, 5, stream),
        ],
        Op::Read { rows, geo } => vec![
            attention_params(rows, stream),
            rand(rows, geo.image_len(), 0.0, 1.0, stream),
            r(rows, geo.image_len(), stream),
            r(rows, 2 * geo.patch_len(), stream),
            r(rows, 2 * geo.patch_len(), stream),
            r(rows, geo.image_len(), stream),
            r(rows, geo.fx_len(), stream),
            r(rows, geo.fy_len(), stream),
            r(rows, 5, stream),
        ],
        Op::Write { rows, geo } => vec![
            attention_params(rows, stream),
            r(rows, geo.patch_len(), stream),
            r(rows, geo.image_len(), stream),
            r(rows, geo.image_len(), stream),
            r(rows, geo.patch_len(), stream),
            r(rows, geo.fx_len(), stream),
            r(rows, geo.fy_len(), stream),
            r(rows, 5, stream),
        ],
        Op::Canvas { rows, cols } | Op::Bce { rows, cols } => vec![
            rand(rows, cols, 0.0, 1.0, stream),
            rand(rows, cols, -6.0, 6.0, stream),
            r(rows, cols, stream),
            r(rows, cols, stream),
        ],
        Op::Latent { rows, z } => vec![
            r(rows, z, stream),
            rand(rows, z, -2.0, 1.0, stream),
            r(rows, z, stream),
            r(rows, z, stream),
            r(rows, 1, stream),
        ],
        Op::Adam { n } => vec![
            r(1, n, stream),
            r(1, n, stream),
            rand(1, n, -0.1, 0.1, stream),
            rand(1, n, 0.0, 0.01, stream),
        ],
    }
}

fn named(name: &'static str, (cols, data): (usize, Vec<f64>)) -> (&'static str, usize, Vec<f64>) {
    (name, cols, data)
}

/// Runs `op` on `b` from host inputs; returns every output, named, as f64.
fn run<B: Backend>(b: &B, op: &Op, ins: &[Host]) -> Vec<(&'static str, usize, Vec<f64>)> {
    let up = |h: &Host| {
        let v: Vec<B::F> = h.data.iter().map(|&x| B::F::of(x)).collect();
        b.tensor(h.rows, h.cols, &v)
    };
    let down = |t: &B::Tensor| -> (usize, Vec<f64>) {
        (
            b.shape(t).1,
            b.download(t).iter().map(|v| v.f64()).collect(),
        )
    };
    let ts: Vec<B::Tensor> = ins.iter().map(up).collect();
    let mut ts = ts.into_iter();
    let mut next = || ts.next().expect("input count matches the op");
    match *op {
        Op::Gemm {
            ta,
            tb,
            alpha,
            beta,
            ..
        } => {
            let (a, bb, mut c) = (next(), next(), next());
            let op = |t, transposed| Mat { t, transposed };
            b.gemm(&mut c, alpha, op(&a, ta), op(&bb, tb), beta);
            vec![named("c", down(&c))]
        }
        Op::Fill { .. } => {
            let mut t = next();
            b.fill(&mut t, -0.375);
            vec![named("t", down(&t))]
        }
        Op::Scale { .. } => {
            let mut t = next();
            b.scale(&mut t, 1.7);
            vec![named("t", down(&t))]
        }
        Op::Sums { .. } => {
            let (src, mut dst) = (next(), next());
            let s = b.sum(&src);
            let q = b.sum_squares(&src);
            let all = b.sum_squares_all(&[&src, &dst]);
            let sums = b.sum_all(&[&dst, &src]);
            b.sum_rows(&src, &mut dst);
            vec![
                ("sum", 1, vec![s]),
                ("sum_squares", 1, vec![q]),
                ("sum_squares_all", 1, all),
                ("sum_all", 1, sums),
                named("sum_rows", down(&dst)),
            ]
        }
        Op::CopyCols {
            src_cols,
            dst_cols,
            acc,
            ..
        } => {
            let (src, mut dst) = (next(), next());
            let n = src_cols.min(dst_cols) - 2;
            b.copy_cols(&src, 1, &mut dst, dst_cols - n - 1, n, acc);
            vec![named("dst", down(&dst))]
        }
        Op::CopyRows { rows, .. } => {
            let (src, mut dst) = (next(), next());
            b.copy_rows(&src, &mut dst, rows + 1);
            vec![named("dst", down(&dst))]
        }
        Op::Transpose { .. } => {
            let (src, mut dst) = (next(), next());
            b.transpose_rows(&src, &mut dst, 3);
            vec![named("dst", down(&dst))]
        }
        Op::Bias { .. } => {
            let (mut dst, bias) = (next(), next());
            b.add_bias(&mut dst, &bias);
            let added = named("add_bias", down(&dst));
            b.broadcast_rows(&bias, &mut dst);
            vec![added, named("broadcast_rows", down(&dst))]
        }
        Op::FillNormal { .. } => {
            let mut t = next();
            b.fill_normal(
                &mut t,
                NoiseKey::new(42, 1_000_003).with_offset(0xffff_fff0),
            );
            vec![named("eps", down(&t))]
        }
        Op::Lstm { .. } => {
            let (mut gates, c_prev, mut c, mut h) = (next(), next(), next(), next());
            let (dh, mut dc, mut dgates) = (next(), next(), next());
            b.lstm_forward(&mut gates, &c_prev, &mut c, &mut h);
            b.lstm_backward(&gates, &c_prev, &c, &dh, &mut dc, &mut dgates);
            vec![
                named("gates", down(&gates)),
                named("c", down(&c)),
                named("h", down(&h)),
                named("dc", down(&dc)),
                named("dgates", down(&dgates)),
            ]
        }
        Op::Filterbank { geo, .. } => {
            let (p, mut fx, mut fy, dfx, dfy, mut dp) =
                (next(), next(), next(), next(), next(), next());
            b.filterbank_forward(&p, &geo, &mut fx, &mut fy);
            let win = Window {
                p: &p,
                fx: &fx,
                fy: &fy,
                geo: &geo,
            };
            b.filterbank_backward(win, &dfx, &dfy, &mut dp);
            vec![
                named("fx", down(&fx)),
                named("fy", down(&fy)),
                named("dp", down(&dp)),
            ]
        }
        Op::Read { rows, geo } => {
            let (p, x, xhat, mut r, dr) = (next(), next(), next(), next(), next());
            let (mut dxhat, mut dfx, mut dfy, mut dp) = (next(), next(), next(), next());
            let (mut fx, mut fy) = (b.zeros(rows, geo.fx_len()), b.zeros(rows, geo.fy_len()));
            b.filterbank_forward(&p, &geo, &mut fx, &mut fy);
            let win = Window {
                p: &p,
                fx: &fx,
                fy: &fy,
                geo: &geo,
            };
            b.read_forward(&x, &xhat, win, &mut r);
            let grads = WindowGrads {
                dfx: &mut dfx,
                dfy: &mut dfy,
                dp: &mut dp,
            };
            b.read_backward(&x, &xhat, win, &dr, &mut dxhat, grads);
            vec![
                named("r", down(&r)),
                named("dxhat", down(&dxhat)),
                named("dfx", down(&dfx)),
                named("dfy", down(&dfy)),
                named("dp", down(&dp)),
            ]
        }
        Op::Write { rows, geo } => {
            let (p, patch, mut canvas, dcanvas) = (next(), next(), next(), next());
            let (mut dpatch, mut dfx, mut dfy, mut dp) = (next(), next(), next(), next());
            let (mut fx, mut fy) = (b.zeros(rows, geo.fx_len()), b.zeros(rows, geo.fy_len()));
            b.filterbank_forward(&p, &geo, &mut fx, &mut fy);
            let win = Window {
                p: &p,
                fx: &fx,
                fy: &fy,
                geo: &geo,
            };
            b.write_forward(&patch, win, &mut canvas);
            let grads = WindowGrads {
                dfx: &mut dfx,
                dfy: &mut dfy,
                dp: &mut dp,
            };
            b.write_backward(&patch, win, &dcanvas, &mut dpatch, grads);
            vec![
                named("canvas", down(&canvas)),
                named("dpatch", down(&dpatch)),
                named("dfx", down(&dfx)),
                named("dfy", down(&dfy)),
                named("dp", down(&dp)),
            ]
        }
        Op::Canvas { .. } => {
            let (x, c, mut xhat, mut dc) = (next(), next(), next(), next());
            b.canvas_error(&x, &c, &mut xhat);
            let dxhat = up(&ins[3]);
            b.canvas_error_backward(&x, &xhat, &dxhat, &mut dc);
            vec![named("xhat", down(&xhat)), named("dc", down(&dc))]
        }
        Op::Bce { rows, .. } => {
            let (x, c, _, mut dc) = (next(), next(), next(), next());
            let mut out = b.zeros(rows, 1);
            b.bce(&x, &c, &mut out);
            b.bce_backward(&x, &c, 0.01, &mut dc);
            vec![named("bce", down(&out)), named("dc", down(&dc))]
        }
        Op::Latent { .. } => {
            let (mu, logsig, eps, mut z, mut kl) = (next(), next(), next(), next(), next());
            let latent = Latent {
                mu: &mu,
                logsig: &logsig,
                eps: &eps,
            };
            b.sample_latent(latent, &mut z, &mut kl);
            let (mut dmu, mut dls) = (up(&ins[0]), up(&ins[1]));
            b.sample_latent_backward(latent, &z, 0.3, &mut dmu, &mut dls);
            vec![
                named("z", down(&z)),
                named("kl", down(&kl)),
                named("dmu", down(&dmu)),
                named("dlogsig", down(&dls)),
            ]
        }
        Op::Adam { .. } => {
            let (mut p, g, mut m, mut v) = (next(), next(), next(), next());
            let step = AdamStep {
                step_size: 1e-3 * (1.0f64 - 0.999f64.powi(3)).sqrt() / (1.0 - 0.9f64.powi(3)),
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8 * (1.0f64 - 0.999f64.powi(3)).sqrt(),
                grad_scale: 0.7,
            };
            b.adam(&mut p, &g, &mut m, &mut v, &step);
            vec![
                named("p", down(&p)),
                named("m", down(&m)),
                named("v", down(&v)),
            ]
        }
    }
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
        let ins = inputs(&op, &mut stream);
        let (a, b) = (run(reference, &op, &ins), run(candidate, &op, &ins));
        let tolerance = (family_tolerance(&op) * eps_ratio).max(1e-12);
        for ((output, cols, x), (_, _, y)) in a.into_iter().zip(b) {
            out.push(OpCheck {
                case: name(&op),
                output,
                diff: diff_rows(&x, &y, cols.max(1)),
                tolerance,
            });
        }
    }
    out
}
