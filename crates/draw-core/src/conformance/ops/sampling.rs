//! Cases for [`SamplingOps`](crate::backend::SamplingOps): counter-based normals and the
//! reparameterised latent, forward then backward; the latent writing a copy of z (also with
//! ε drawn by the same op, and after the μ and log σ layer in one op), and its backward
//! writing a copy of `[dμ | d log σ]`.

use super::{rand, signed, tolerance, Host, Io, Output};
use crate::backend::{Backend, CopyTo, Latent};
use crate::rng::NoiseKey;

/// A sampling op and its sizes.
#[derive(Clone, Debug)]
pub(super) enum SamplingCase {
    FillNormal {
        rows: usize,
        cols: usize,
    },
    Latent {
        rows: usize,
        z: usize,
    },
    /// `sample_latent_to`: z also into columns 2.. of a wider tensor (random, so a copy that
    /// writes too much is caught), or (`into_rows`) into rows `rows..` of a taller one.
    LatentTo {
        rows: usize,
        z: usize,
        into_rows: bool,
    },
    /// `sample_latent_drawn_to`: ε drawn by the op (key offset near 2³²), z also into
    /// columns 2.. of a wider tensor.
    Drawn {
        rows: usize,
        z: usize,
    },
    /// `latent_layer_sample_to`: `[μ | log σ]` by a 2z × `inputs` layer, then the sample as
    /// `Drawn`.
    LayerDrawn {
        rows: usize,
        z: usize,
        inputs: usize,
    },
    /// `latent_layer_backward_to`: the backward with its copy into columns 2.., then through
    /// a 2z × `inputs` layer, added to a random input gradient.
    LayerBackward {
        rows: usize,
        z: usize,
        inputs: usize,
    },
    /// `sample_latent_backward_to`: `[dμ | d log σ]` also into columns 2.. of a wider tensor,
    /// or (`into_rows`) into rows `rows..` of a taller one.
    BackwardTo {
        rows: usize,
        z: usize,
        into_rows: bool,
    },
}

/// The latent writing a copy: odd sizes into columns and into rows, and the paper's into
/// columns (the decoder input's first).
pub(super) fn copy_cases() -> Vec<SamplingCase> {
    let cases = [(3, 7, false), (5, 3, true), (100, 100, false)];
    let to = cases
        .into_iter()
        .map(|(rows, z, into_rows)| SamplingCase::LatentTo { rows, z, into_rows });
    let drawn = [(3, 7), (100, 100)]
        .into_iter()
        .map(|(rows, z)| SamplingCase::Drawn { rows, z });
    let backward = [(3, 7, false), (5, 3, true), (100, 100, true)]
        .into_iter()
        .map(|(rows, z, into_rows)| SamplingCase::BackwardTo { rows, z, into_rows });
    to.chain(drawn).chain(backward).collect()
}

/// The layer and the sample in one op: odd sizes, and the paper's (batch 100, z = 100, from
/// h^enc of 256).
pub(super) fn layer_cases() -> Vec<SamplingCase> {
    [(3, 7, 5), (100, 100, 256)]
        .into_iter()
        .flat_map(|(rows, z, inputs)| {
            [
                SamplingCase::LayerDrawn { rows, z, inputs },
                SamplingCase::LayerBackward { rows, z, inputs },
            ]
        })
        .collect()
}

/// Normals at an odd size and at the paper's ε (batch 100, z = 100).
pub(super) fn noise_cases() -> Vec<SamplingCase> {
    [(3, 7), (100, 100)]
        .into_iter()
        .map(|(rows, cols)| SamplingCase::FillNormal { rows, cols })
        .collect()
}

/// The latent at an odd size and at the paper's.
pub(super) fn latent_cases() -> Vec<SamplingCase> {
    [(3, 7), (100, 100)]
        .into_iter()
        .map(|(rows, z)| SamplingCase::Latent { rows, z })
        .collect()
}

impl SamplingCase {
    pub(super) fn name(&self) -> String {
        match self {
            SamplingCase::FillNormal { rows, cols } => format!("fill_normal {rows}x{cols}"),
            SamplingCase::Latent { rows, z } => {
                format!("sample_latent forward+backward, latent_log_ratio rows={rows} z={z}")
            }
            SamplingCase::LatentTo { rows, z, into_rows } => {
                let to = if *into_rows { "rows" } else { "columns" };
                format!("sample_latent_to {to} rows={rows} z={z}")
            }
            SamplingCase::LayerDrawn { rows, z, inputs } => {
                format!("latent_layer_sample_to columns rows={rows} z={z} in={inputs}")
            }
            SamplingCase::LayerBackward { rows, z, inputs } => {
                format!("latent_layer_backward_to columns rows={rows} z={z} in={inputs}")
            }
            SamplingCase::Drawn { rows, z } => {
                format!("sample_latent_drawn_to columns rows={rows} z={z}")
            }
            SamplingCase::BackwardTo { rows, z, into_rows } => {
                let to = if *into_rows { "rows" } else { "columns" };
                format!("sample_latent_backward_to {to} rows={rows} z={z}")
            }
        }
    }

    pub(super) fn tolerance(&self) -> f64 {
        match self {
            SamplingCase::FillNormal { .. } => tolerance::NOISE,
            // ε as fill_normal's; z = μ + σ·ε then carries ε's error times σ ≤ e.
            SamplingCase::Drawn { .. } => tolerance::NOISE,
            // The layer's sums of `inputs` products dominate.
            SamplingCase::LayerDrawn { .. } | SamplingCase::LayerBackward { .. } => tolerance::GEMM,
            SamplingCase::Latent { .. }
            | SamplingCase::LatentTo { .. }
            | SamplingCase::BackwardTo { .. } => tolerance::POINTWISE,
        }
    }

    /// For the latent: `[μ | log σ]` (log σ in [−2, 1)), ε, z and the KL column (random, so
    /// a backend that sets the KL instead of adding to it is caught).
    pub(super) fn inputs(&self, s: &mut u64) -> Vec<Host> {
        match *self {
            SamplingCase::FillNormal { rows, cols } => vec![signed(rows, cols, s)],
            SamplingCase::Latent { rows, z } => vec![
                mu_logsig(rows, z, s),
                signed(rows, z, s),
                signed(rows, z, s),
                signed(rows, 1, s),
            ],
            SamplingCase::LatentTo { rows, z, into_rows } => vec![
                mu_logsig(rows, z, s),
                signed(rows, z, s),
                signed(rows, z, s),
                signed(rows, 1, s),
                if into_rows {
                    signed(3 * rows, z, s)
                } else {
                    signed(rows, z + 4, s)
                },
            ],
            SamplingCase::LayerBackward { rows, z, inputs } => vec![
                mu_logsig(rows, z, s),
                signed(rows, z, s),
                signed(rows, z, s),
                signed(rows, 2 * z, s),
                signed(rows, 2 * z + 4, s),
                layer_weight(z, inputs, s),
                signed(rows, inputs, s),
            ],
            SamplingCase::LayerDrawn { rows, z, inputs } => vec![
                signed(rows, inputs, s),
                layer_weight(z, inputs, s),
                signed(1, 2 * z, s),
                signed(rows, 2 * z, s),
                signed(rows, z, s),
                signed(rows, z, s),
                signed(rows, 1, s),
                signed(rows, z + 4, s),
            ],
            SamplingCase::Drawn { rows, z } => vec![
                mu_logsig(rows, z, s),
                signed(rows, z, s),
                signed(rows, z, s),
                signed(rows, 1, s),
                signed(rows, z + 4, s),
            ],
            SamplingCase::BackwardTo { rows, z, into_rows } => vec![
                mu_logsig(rows, z, s),
                signed(rows, z, s),
                signed(rows, z, s),
                signed(rows, 2 * z, s),
                if into_rows {
                    signed(3 * rows, 2 * z, s)
                } else {
                    signed(rows, 2 * z + 4, s)
                },
            ],
        }
    }

    pub(super) fn run<B: Backend>(&self, io: &mut Io<'_, B>) -> Vec<Output> {
        let b = io.b;
        match *self {
            SamplingCase::FillNormal { .. } => {
                let mut t = io.next();
                // An offset near 2³², so that index arithmetic in 32 bits is caught.
                b.fill_normal(
                    &mut t,
                    NoiseKey::new(42, 1_000_003).with_offset(0xffff_fff0),
                );
                vec![io.out("eps", &t)]
            }
            SamplingCase::Latent { .. } => {
                let (ml, eps) = (io.next(), io.next());
                let (mut z, mut kl) = (io.next(), io.next());
                let latent = Latent {
                    mu_logsig: &ml,
                    eps: &eps,
                };
                b.sample_latent(latent, &mut z, &mut kl);
                let mut dml = io.again(0);
                b.sample_latent_backward(latent, &z, 0.3, &mut dml);
                let mut ratio = io.again(3);
                b.latent_log_ratio(latent, &mut ratio);
                vec![
                    io.out("z", &z),
                    io.out("kl", &kl),
                    io.out("[dmu | dlogsig]", &dml),
                    io.out("log_ratio", &ratio),
                ]
            }
            SamplingCase::LatentTo {
                rows, into_rows, ..
            } => {
                let (ml, eps) = (io.next(), io.next());
                let (mut z, mut kl, mut copy) = (io.next(), io.next(), io.next());
                let latent = Latent {
                    mu_logsig: &ml,
                    eps: &eps,
                };
                let to = if into_rows {
                    CopyTo::Rows(&mut copy, rows)
                } else {
                    CopyTo::Cols(&mut copy, 2)
                };
                b.sample_latent_to(latent, (&mut z, &mut kl), to);
                vec![
                    io.out("z", &z),
                    io.out("kl", &kl),
                    io.out("z copied", &copy),
                ]
            }
            SamplingCase::LayerBackward { .. } => {
                let (ml, eps, dz) = (io.next(), io.next(), io.next());
                let (mut dml, mut copy) = (io.next(), io.next());
                let (weight, mut dh) = (io.next(), io.next());
                let latent = Latent {
                    mu_logsig: &ml,
                    eps: &eps,
                };
                let to = CopyTo::Cols(&mut copy, 2);
                let to_h = (&weight, &mut dh);
                b.latent_layer_backward_to(latent, (&dz, 0.3), &mut dml, to, to_h);
                vec![
                    io.out("[dmu | dlogsig]", &dml),
                    io.out("[dmu | dlogsig] copied", &copy),
                    io.out("dh (added)", &dh),
                ]
            }
            SamplingCase::LayerDrawn { .. } => {
                let (h, weight, bias) = (io.next(), io.next(), io.next());
                let (mut ml, mut eps) = (io.next(), io.next());
                let (mut z, mut kl, mut copy) = (io.next(), io.next(), io.next());
                let key = NoiseKey::new(42, 1_000_003).with_offset(0xffff_fff0);
                let to = CopyTo::Cols(&mut copy, 2);
                let layer = (&h, &weight, &bias);
                b.latent_layer_sample_to(layer, &mut ml, (&mut eps, key), (&mut z, &mut kl), to);
                vec![
                    io.out("mu_logsig", &ml),
                    io.out("eps", &eps),
                    io.out("z", &z),
                    io.out("kl", &kl),
                    io.out("z copied", &copy),
                ]
            }
            SamplingCase::Drawn { .. } => {
                let (ml, mut eps) = (io.next(), io.next());
                let (mut z, mut kl, mut copy) = (io.next(), io.next(), io.next());
                let key = NoiseKey::new(42, 1_000_003).with_offset(0xffff_fff0);
                let to = CopyTo::Cols(&mut copy, 2);
                b.sample_latent_drawn_to(&ml, (&mut eps, key), (&mut z, &mut kl), to);
                vec![
                    io.out("eps", &eps),
                    io.out("z", &z),
                    io.out("kl", &kl),
                    io.out("z copied", &copy),
                ]
            }
            SamplingCase::BackwardTo {
                rows, into_rows, ..
            } => run_backward_to(io, rows, into_rows),
        }
    }
}

/// A 2z × `inputs` layer of weights in ±0.5/√in, so that log σ stays where training keeps it.
fn layer_weight(z: usize, inputs: usize, s: &mut u64) -> Host {
    let mut w = rand(2 * z, inputs, -0.5, 0.5, s);
    let k = 1.0 / (inputs as f64).sqrt();
    w.data.iter_mut().for_each(|v| *v = (*v * k) as f32 as f64);
    w
}

/// `[μ | log σ]` for `rows` rows of a latent of `z`: μ in [−1, 1), log σ in [−2, 1).
fn mu_logsig(rows: usize, z: usize, s: &mut u64) -> Host {
    let (mu, logsig) = (signed(rows, z, s), rand(rows, z, -2.0, 1.0, s));
    let data = (0..rows)
        .flat_map(|r| {
            let row = r * z..(r + 1) * z;
            mu.data[row.clone()]
                .iter()
                .chain(&logsig.data[row])
                .copied()
        })
        .collect();
    Host {
        rows,
        cols: 2 * z,
        data,
    }
}

fn run_backward_to<B: Backend>(io: &mut Io<'_, B>, rows: usize, into_rows: bool) -> Vec<Output> {
    let b = io.b;
    let (ml, eps, dz) = (io.next(), io.next(), io.next());
    let (mut dml, mut copy) = (io.next(), io.next());
    let latent = Latent {
        mu_logsig: &ml,
        eps: &eps,
    };
    let to = if into_rows {
        CopyTo::Rows(&mut copy, rows)
    } else {
        CopyTo::Cols(&mut copy, 2)
    };
    b.sample_latent_backward_to(latent, (&dz, 0.3), &mut dml, to);
    vec![
        io.out("[dmu | dlogsig]", &dml),
        io.out("[dmu | dlogsig] copied", &copy),
    ]
}
