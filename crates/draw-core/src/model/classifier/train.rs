//! Training and evaluating a classifier: Adam over [`ClassifierParams`] (the optimiser the
//! generative model uses) and the error rate over a set.

use super::{Classifier, ClassifierParams, ClassifierWorkspace, Score};
use crate::backend::Backend;
use crate::config::TrainConfig;
use crate::error::{DrawError, Result};
use crate::optim::{Adam, AdamState};

/// A classifier with its workspace, gradients and Adam state.
pub struct ClassifierTrainer<B: Backend> {
    /// The classifier being trained.
    pub model: Classifier<B>,
    /// Optimiser settings.
    pub config: TrainConfig,
    ws: ClassifierWorkspace<B>,
    grads: ClassifierParams<B::Tensor>,
    adam: Adam<B, ClassifierParams<B::Tensor>>,
}

impl<B: Backend> ClassifierTrainer<B> {
    /// Prepares to train `model` with batches of `config.batch_size`.
    pub fn new(b: &B, model: Classifier<B>, config: TrainConfig) -> Result<Self> {
        config.validate()?;
        Ok(ClassifierTrainer {
            ws: model.workspace(b, config.batch_size),
            grads: model.zeros_like(b),
            adam: Adam::for_params(b, model.params()),
            model,
            config,
        })
    }

    /// Continues training from a saved optimiser state: the next step is the one the saved run
    /// would have taken.
    pub fn resume(
        b: &B,
        model: Classifier<B>,
        config: TrainConfig,
        state: &AdamState<ClassifierParams<Vec<f64>>>,
    ) -> Result<Self> {
        let mut t = ClassifierTrainer::new(b, model, config)?;
        t.adam = Adam::for_params_from_state(b, t.model.params(), state)?;
        Ok(t)
    }

    /// The optimiser's state on the host, for a checkpoint.
    pub fn adam_state(&self, b: &B) -> AdamState<ClassifierParams<Vec<f64>>> {
        self.adam.state(b)
    }

    /// Optimiser steps taken.
    pub fn steps(&self) -> u64 {
        self.adam.steps()
    }

    /// The gradients of the last step.
    pub fn grads(&self) -> &ClassifierParams<B::Tensor> {
        &self.grads
    }

    /// Forward, backward and one Adam update on a batch with its labels; returns the batch's
    /// sums (before the update) and the gradient norm. A non-finite loss or gradient leaves
    /// the parameters as they were and is an error.
    pub fn step(&mut self, b: &B, x: &[B::F], labels: &[u8]) -> Result<(Score, f64)> {
        b.run(|| {
            let score = self.model.forward(b, &mut self.ws, x, labels)?;
            check_device(b)?;
            if !score.loss.is_finite() {
                return Err(DrawError::NonFinite {
                    what: "loss",
                    step: self.adam.steps() + 1,
                });
            }
            let batch = self.ws.batch();
            self.model.backward(b, &mut self.ws, batch, &mut self.grads);
            let (adam, grads, cfg) = (&mut self.adam, &self.grads, &self.config);
            let norm = self
                .model
                .update_params(b, |p| adam.update(b, p, grads, cfg))?;
            check_device(b)?;
            Ok((score, norm))
        })
    }
}

fn check_device<B: Backend>(b: &B) -> Result<()> {
    match b.fault() {
        Some(f) => Err(DrawError::Device(f)),
        None => Ok(()),
    }
}

/// Cross-entropy and error of `model` on `images` (whole images, C·B·A values each) with
/// their `labels`, in batches of `batch` (the last may be smaller).
pub fn classification_error<B: Backend>(
    b: &B,
    model: &Classifier<B>,
    images: &[B::F],
    labels: &[u8],
    batch: usize,
) -> Result<Score> {
    let size = model.config().image_size();
    let mut total = Score::default();
    let mut ws: Option<ClassifierWorkspace<B>> = None;
    for (x, y) in images
        .chunks(batch.max(1) * size)
        .zip(labels.chunks(batch.max(1)))
    {
        if ws.as_ref().map(|w| w.batch()) != Some(y.len()) {
            ws = Some(model.workspace(b, y.len()));
        }
        let w = ws.as_mut().expect("just built");
        total.add(&b.run(|| model.forward(b, w, x, y))?);
        check_device(b)?;
    }
    Ok(total)
}
