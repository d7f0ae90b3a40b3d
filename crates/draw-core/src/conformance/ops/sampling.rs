//! Cases for [`SamplingOps`](crate::backend::SamplingOps): counter-based normals and the
//! reparameterised latent, forward then backward.

use super::{rand, signed, tolerance, Host, Io, Output};
use crate::backend::{Backend, Latent};
use crate::rng::NoiseKey;

/// A sampling op and its sizes.
#[derive(Clone, Debug)]
pub(super) enum SamplingCase {
    FillNormal { rows: usize, cols: usize },
    Latent { rows: usize, z: usize },
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
        }
    }

    pub(super) fn tolerance(&self) -> f64 {
        match self {
            SamplingCase::FillNormal { .. } => tolerance::NOISE,
            SamplingCase::Latent { .. } => tolerance::POINTWISE,
        }
    }

    /// For the latent: μ, log σ in [−2, 1), ε, z and the KL column (random, so a backend
    /// that sets the KL instead of adding to it is caught).
    pub(super) fn inputs(&self, s: &mut u64) -> Vec<Host> {
        match *self {
            SamplingCase::FillNormal { rows, cols } => vec![signed(rows, cols, s)],
            SamplingCase::Latent { rows, z } => vec![
                signed(rows, z, s),
                rand(rows, z, -2.0, 1.0, s),
                signed(rows, z, s),
                signed(rows, z, s),
                signed(rows, 1, s),
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
                let (mu, logsig, eps) = (io.next(), io.next(), io.next());
                let (mut z, mut kl) = (io.next(), io.next());
                let latent = Latent {
                    mu: &mu,
                    logsig: &logsig,
                    eps: &eps,
                };
                b.sample_latent(latent, &mut z, &mut kl);
                let (mut dmu, mut dls) = (io.again(0), io.again(1));
                b.sample_latent_backward(latent, &z, 0.3, &mut dmu, &mut dls);
                let mut ratio = io.again(4);
                b.latent_log_ratio(latent, &mut ratio);
                vec![
                    io.out("z", &z),
                    io.out("kl", &kl),
                    io.out("dmu", &dmu),
                    io.out("dlogsig", &dls),
                    io.out("log_ratio", &ratio),
                ]
            }
        }
    }
}
