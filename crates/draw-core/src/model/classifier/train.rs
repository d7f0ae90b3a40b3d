//! Training and evaluating a classifier: Adam over [`ClassifierParams`] (the optimiser the
//! generative model uses) and the error rate over a set.

use super::{Classifier, ClassifierParams, ClassifierWorkspace, Score};
use crate::backend::Backend;
use crate::config::TrainConfig;
use crate::error::{DrawError, Result};
use crate::optim::{Adam, AdamState, Ledger, TrainWindow};
use crate::params::ParamSet;

/// A classifier with its workspace, gradients, Adam state and the ledger its steps report to
/// (as [`crate::Trainer`]'s).
pub struct ClassifierTrainer<B: Backend> {
    /// The classifier being trained.
    pub model: Classifier<B>,
    /// Optimiser settings.
    pub config: TrainConfig,
    ws: ClassifierWorkspace<B>,
    grads: ClassifierParams<B::Tensor>,
    adam: Adam<B, ClassifierParams<B::Tensor>>,
    ledger: Ledger<B::Tensor>,
}

impl<B: Backend> ClassifierTrainer<B> {
    /// Prepares to train `model` with batches of `config.batch_size`.
    pub fn new(b: &B, model: Classifier<B>, config: TrainConfig) -> Result<Self> {
        config.validate()?;
        let grads = model.zeros_like(b);
        Ok(ClassifierTrainer {
            ws: model.workspace(b, config.batch_size),
            ledger: Ledger::new(b, 1, grads.named().len(), config.clip_norm),
            grads,
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
    /// the parameters as they were and is an error. [`ClassifierTrainer::record`] is the same
    /// step without the read-back.
    pub fn step(&mut self, b: &B, x: &[B::F], labels: &[u8]) -> Result<(Score, f64)> {
        self.record(b, x, labels)?;
        let w = self.read_window(b)?;
        match w.last_skipped {
            Some(s) => Err(s.error()),
            None => Ok((w.loss, w.grad_norm_sum)),
        }
    }

    /// One training step with no blocking read-back (see [`crate::Trainer::record`]): a
    /// non-finite step is skipped on the backend; [`ClassifierTrainer::read_window`] tells.
    pub fn record(&mut self, b: &B, x: &[B::F], labels: &[u8]) -> Result<()> {
        b.run(|| {
            self.model.forward_pass(b, &mut self.ws, x, labels)?;
            let (loss, correct) = Classifier::score_terms(&self.ws);
            self.ledger.add_terms(b, &[loss], &[correct]);
            let batch = self.ws.batch();
            self.model.backward(b, &mut self.ws, batch, &mut self.grads);
            let grads: Vec<_> = self.grads.named().into_iter().map(|(_, g)| g).collect();
            let ledger = self.ledger.decide(b, &grads);
            let (adam, grads, cfg) = (&mut self.adam, &self.grads, &self.config);
            self.model
                .update_params(b, |p| adam.update_checked(b, (p, grads), cfg, ledger));
            check_device(b)
        })
    }

    /// Reads the ledger once for the steps recorded since the last read (see
    /// [`crate::Trainer::read_window`]): their summed cross-entropy and correct counts.
    pub fn read_window(&mut self, b: &B) -> Result<TrainWindow<Score>> {
        let batch = self.config.batch_size;
        let w = self.ledger.read(b, &mut self.adam)?;
        let taken = w.taken as usize;
        Ok(w.map(|[loss, correct]| Score {
            loss,
            correct,
            examples: taken * batch,
        }))
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
