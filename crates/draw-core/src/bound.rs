//! Test-set bounds beyond the training loss: the variational bound with the KL of each time
//! step ([`evaluate_steps`]), and the importance-weighted bound of Burda et al. (2016)
//! ([`importance_weighted`]).
//!
//! The importance-weighted bound of an image x with K posterior samples z⁽ᵏ⁾ ~ Q(z | x) is
//! log (1/K) Σ_k D(x | z⁽ᵏ⁾) N(z⁽ᵏ⁾; 0, I) / Q(z⁽ᵏ⁾ | x); its expectation rises with K towards
//! log P(x) and never exceeds it. For K = 1 its expectation is the variational bound that
//! training reports (which uses the KL in closed form, so one sampled value is not equal to
//! it, only its mean).

use crate::backend::Backend;
use crate::error::{DrawError, Result};
use crate::model::{Draw, Loss, Workspace};
use crate::optim::check_device;
use crate::rng::NoiseKey;

/// The variational bound with each step's KL.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepBound {
    /// The loss sums, as [`crate::evaluate`] returns them.
    pub loss: Loss,
    /// Σ over examples of step t's KL, t = 1..T (their sum is `loss.latent`).
    pub kl_steps: Vec<f64>,
}

impl StepBound {
    /// Mean KL of each step per example, in nats.
    pub fn mean_kl_steps(&self) -> Vec<f64> {
        let n = self.loss.examples.max(1) as f64;
        self.kl_steps.iter().map(|k| k / n).collect()
    }
}

/// [`crate::evaluate`] that also records each step's KL: the same loss (the same noise).
pub fn evaluate_steps<'a, B: Backend>(
    b: &B,
    model: &Draw<B>,
    batches: impl IntoIterator<Item = &'a [B::F]>,
    seed: u64,
) -> Result<StepBound> {
    let mut total = StepBound {
        loss: Loss::default(),
        kl_steps: vec![0.0; model.config().steps],
    };
    let mut ws: Option<(usize, Vec<Workspace<B>>)> = None;
    let size = model.config().image_size();
    for (i, x) in batches.into_iter().enumerate() {
        let n = x.len() / size;
        if ws.as_ref().map(|w| w.0) != Some(n) {
            ws = Some((n, model.probe_workspaces(b, n, false)));
        }
        let (_, w) = ws.as_mut().expect("just built");
        let key = NoiseKey::new(seed, i as u64);
        total
            .loss
            .add(&b.run(|| model.forward_shards(b, w, x, key))?);
        check_device(b)?;
        let p = model.probed(b, w)?;
        for (s, v) in total.kl_steps.iter_mut().zip(&p.kl_steps) {
            *s += v;
        }
    }
    Ok(total)
}

/// Per-image importance-weighted estimates of log P(x).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportanceWeighted {
    /// Samples per image K.
    pub samples: usize,
    /// log (1/K) Σ_k w_k of each image, in nats.
    pub log_px: Vec<f64>,
}

impl ImportanceWeighted {
    /// The bound as a negative log-likelihood: −mean log P̂(x), in nats.
    pub fn mean_nll(&self) -> f64 {
        -self.log_px.iter().sum::<f64>() / self.log_px.len().max(1) as f64
    }
}

/// Running log Σ exp of one image's log weights, in f64.
#[derive(Clone, Copy)]
struct LogSumExp {
    max: f64,
    sum: f64,
}

impl LogSumExp {
    const EMPTY: LogSumExp = LogSumExp {
        max: f64::NEG_INFINITY,
        sum: 0.0,
    };

    fn add(&mut self, v: f64) {
        if v > self.max {
            self.sum = self.sum * (self.max - v).exp() + 1.0;
            self.max = v;
        } else {
            self.sum += (v - self.max).exp();
        }
    }

    fn log_mean(&self, k: usize) -> f64 {
        self.max + self.sum.ln() - (k as f64).ln()
    }
}

/// The importance-weighted bound of every image in `images` (rows of C·B·A values) with
/// `samples` posterior samples each.
///
/// Image i's samples are rows i·K..(i+1)·K of a sequence of rows cut into forward passes of
/// `batch_rows` rows (the image repeated, each row drawing its own noise); pass j draws its
/// noise from `NoiseKey::new(seed, j)`. So the estimate is reproducible for a given
/// `batch_rows`, and one image's samples may span passes.
pub fn importance_weighted<B: Backend>(
    b: &B,
    model: &Draw<B>,
    images: &[B::F],
    samples: usize,
    (batch_rows, seed): (usize, u64),
) -> Result<ImportanceWeighted> {
    let size = model.config().image_size();
    if samples == 0 || batch_rows == 0 {
        return Err(DrawError::Config {
            field: "samples/batch_rows",
            reason: "the importance-weighted bound needs at least 1 sample and 1 row a pass".into(),
        });
    }
    if images.len() % size != 0 {
        return Err(DrawError::Shape(format!(
            "{} values are not whole images of {size}",
            images.len()
        )));
    }
    let n_img = images.len() / size;
    let total_rows = n_img * samples;
    let mut acc = vec![LogSumExp::EMPTY; n_img];
    let mut ws: Option<(usize, Vec<Workspace<B>>)> = None;
    let mut x = Vec::with_capacity(batch_rows.min(total_rows) * size);
    for (pass, first) in (0..total_rows).step_by(batch_rows).enumerate() {
        let rows = batch_rows.min(total_rows - first);
        x.clear();
        for r in first..first + rows {
            let i = r / samples;
            x.extend_from_slice(&images[i * size..(i + 1) * size]);
        }
        if ws.as_ref().map(|w| w.0) != Some(rows) {
            ws = Some((rows, model.probe_workspaces(b, rows, true)));
        }
        let (_, w) = ws.as_mut().expect("just built");
        b.run(|| model.forward_shards(b, w, &x, NoiseKey::new(seed, pass as u64)))?;
        check_device(b)?;
        for (r, lw) in (first..).zip(model.probed(b, w)?.log_weights) {
            acc[r / samples].add(lw);
        }
    }
    Ok(ImportanceWeighted {
        samples,
        log_px: acc.iter().map(|a| a.log_mean(samples)).collect(),
    })
}
