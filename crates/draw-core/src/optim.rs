//! Adam with optional global-norm clipping, and the training step that ties the model,
//! its workspace and the optimiser together.

use crate::backend::Backend;
use crate::config::TrainConfig;
use crate::error::{DrawError, Result};
use crate::kernels::pointwise::AdamStep;
use crate::model::{Draw, Loss, Workspace};
use crate::params::DrawParams;
use crate::rng::NoiseKey;

/// Adam's state: first and second moments per parameter and the step count.
pub struct Adam<B: Backend> {
    m: DrawParams<B::Tensor>,
    v: DrawParams<B::Tensor>,
    steps: u64,
}

impl<B: Backend> Adam<B> {
    /// Zero moments for `model`.
    pub fn new(b: &B, model: &Draw<B>) -> Self {
        Adam {
            m: model.zeros_like(b),
            v: model.zeros_like(b),
            steps: 0,
        }
    }

    /// Updates taken so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The global L2 norm of `grads`.
    pub fn grad_norm(b: &B, grads: &DrawParams<B::Tensor>) -> f64 {
        let tensors: Vec<&B::Tensor> = grads.named().into_iter().map(|(_, g)| g).collect();
        b.sum_squares_all(&tensors).iter().sum::<f64>().sqrt()
    }

    /// One update. Returns the gradient norm before clipping; refuses (leaving the parameters
    /// untouched) when it is not finite.
    pub fn update(
        &mut self,
        b: &B,
        params: &mut DrawParams<B::Tensor>,
        grads: &DrawParams<B::Tensor>,
        cfg: &TrainConfig,
    ) -> Result<f64> {
        let norm = Self::grad_norm(b, grads);
        if !norm.is_finite() {
            return Err(DrawError::NonFinite {
                what: "gradient norm",
                step: self.steps + 1,
            });
        }
        self.steps += 1;
        let t = self.steps as i32;
        let (c1, c2) = (1.0 - cfg.beta1.powi(t), 1.0 - cfg.beta2.powi(t));
        let step = AdamStep {
            step_size: cfg.learning_rate * c2.sqrt() / c1,
            beta1: cfg.beta1,
            beta2: cfg.beta2,
            eps: cfg.adam_eps * c2.sqrt(),
            grad_scale: match cfg.clip_norm {
                Some(c) if norm > c => c / norm,
                _ => 1.0,
            },
        };
        let grads = grads.named();
        let ms = self.m.named_mut();
        let vs = self.v.named_mut();
        for ((((_, p), (_, g)), (_, m)), (_, v)) in
            params.named_mut().into_iter().zip(grads).zip(ms).zip(vs)
        {
            b.adam(p, g, m, v, &step);
        }
        Ok(norm)
    }
}

/// What one training step measured.
#[derive(Clone, Copy, Debug)]
pub struct StepStats {
    /// The batch's loss sums (before the update).
    pub loss: Loss,
    /// Global gradient norm before clipping.
    pub grad_norm: f64,
}

/// A model with everything needed to train it: workspace, gradients and Adam state.
pub struct Trainer<B: Backend> {
    /// The model being trained.
    pub model: Draw<B>,
    /// Optimiser settings.
    pub config: TrainConfig,
    /// One workspace per shard of the batch ([`Backend::shards`]).
    workspaces: Vec<Workspace<B>>,
    /// One gradient set per shard; after a step, `grads[0]` holds the whole batch's gradient.
    grads: Vec<DrawParams<B::Tensor>>,
    adam: Adam<B>,
}

impl<B: Backend> Trainer<B> {
    /// Prepares to train `model` with batches of `config.batch_size`.
    pub fn new(b: &B, model: Draw<B>, config: TrainConfig) -> Result<Self> {
        config.validate()?;
        let workspaces = model.shard_workspaces(b, config.batch_size);
        Ok(Trainer {
            grads: workspaces.iter().map(|_| model.zeros_like(b)).collect(),
            workspaces,
            adam: Adam::new(b, &model),
            model,
            config,
        })
    }

    /// Optimiser steps taken.
    pub fn steps(&self) -> u64 {
        self.adam.steps()
    }

    /// The gradients of the last step.
    pub fn grads(&self) -> &DrawParams<B::Tensor> {
        &self.grads[0]
    }

    /// Forward, backward and one Adam update on a (binarised) batch. The noise of step k is
    /// keyed by (seed, k), so a run is reproducible and two backends draw the same ε. On a
    /// non-finite loss or gradient the parameters are left as they were and an error returned.
    pub fn step(&mut self, b: &B, x: &[B::F]) -> Result<StepStats> {
        b.run(|| self.step_inner(b, x))
    }

    fn step_inner(&mut self, b: &B, x: &[B::F]) -> Result<StepStats> {
        let key = NoiseKey::new(self.config.seed, self.adam.steps());
        let loss = self.model.forward_shards(b, &mut self.workspaces, x, key)?;
        if !loss.mean_total().is_finite() {
            return Err(DrawError::NonFinite {
                what: "loss",
                step: self.adam.steps() + 1,
            });
        }
        self.model
            .backward_shards(b, &mut self.workspaces, &mut self.grads)?;
        let (adam, grads, cfg) = (&mut self.adam, &self.grads[0], &self.config);
        let grad_norm = self
            .model
            .update_params(b, |p| adam.update(b, p, grads, cfg))?;
        Ok(StepStats { loss, grad_norm })
    }
}

/// Evaluates the loss bound on `batches` (each a whole number of images), one noise draw per
/// example, keyed by `seed` and the batch index so the result is reproducible.
pub fn evaluate<'a, B: Backend>(
    b: &B,
    model: &Draw<B>,
    batches: impl IntoIterator<Item = &'a [B::F]>,
    seed: u64,
) -> Result<Loss> {
    let mut total = Loss::default();
    let mut ws: Option<(usize, Vec<Workspace<B>>)> = None;
    let size = model.config().image_size();
    for (i, x) in batches.into_iter().enumerate() {
        let n = x.len() / size;
        if ws.as_ref().map(|w| w.0) != Some(n) {
            ws = Some((n, model.shard_workspaces(b, n)));
        }
        let (_, w) = ws.as_mut().expect("just built");
        let key = NoiseKey::new(seed, i as u64);
        total.add(&b.run(|| model.forward_shards(b, w, x, key))?);
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::{test_batch, tiny_configs};
    use crate::reference::HostBackend;
    use crate::DrawError;

    #[test]
    fn non_finite_loss_is_refused_and_parameters_kept() {
        let b = HostBackend::<f64>::new();
        let cfg = tiny_configs().remove(0);
        let model = Draw::new(&b, cfg.clone(), 1).unwrap();
        let tc = TrainConfig {
            batch_size: 2,
            ..TrainConfig::default()
        };
        let mut t = Trainer::new(&b, model, tc).unwrap();
        let good = test_batch(&cfg, 2, 1);
        t.step(&b, &good).unwrap();
        let before = t.model.values(&b);
        let mut bad = good.clone();
        bad[3] = f64::NAN;
        let err = t.step(&b, &bad).unwrap_err();
        assert!(
            matches!(
                err,
                DrawError::NonFinite {
                    what: "loss",
                    step: 2
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("non-finite loss at step 2"));
        let after = t.model.values(&b);
        for ((n, x), (_, y)) in before.named().into_iter().zip(after.named()) {
            assert_eq!(x, y, "{n} changed");
        }
        assert_eq!(t.steps(), 1);
        // Training goes on from the kept parameters.
        t.step(&b, &good).unwrap();
        assert_eq!(t.steps(), 2);
    }

    #[test]
    fn wrong_batch_size_is_an_error_not_a_panic() {
        let b = HostBackend::<f64>::new();
        let cfg = tiny_configs().remove(0);
        let model = Draw::new(&b, cfg.clone(), 1).unwrap();
        let mut t = Trainer::new(
            &b,
            model,
            TrainConfig {
                batch_size: 2,
                ..TrainConfig::default()
            },
        )
        .unwrap();
        let err = t.step(&b, &test_batch(&cfg, 3, 1)).unwrap_err();
        assert!(err.to_string().contains("expects 2 examples"), "{err}");
    }
}
