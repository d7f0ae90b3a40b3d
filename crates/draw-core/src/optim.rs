//! Adam with optional global-norm clipping, and the training step that ties the model,
//! its workspace and the optimiser together.

use crate::backend::Backend;
use crate::config::TrainConfig;
use crate::error::{DrawError, Result};
use crate::kernels::ledger::{self, Verdict};
use crate::kernels::pointwise::AdamStep;
use crate::model::{Draw, Loss, Workspace};
use crate::params::{DrawParams, ParamSet};
use crate::rng::NoiseKey;
use crate::Float;
use std::marker::PhantomData;

/// Adam's state on the host: first and second moments per parameter (PyTorch's `exp_avg`,
/// `exp_avg_sq`) and the step count. `H` is the model's parameter container of host vectors
/// (the generative model's by default).
#[derive(Clone, Debug, PartialEq)]
pub struct AdamState<H = DrawParams<Vec<f64>>> {
    /// First moments.
    pub m: H,
    /// Second moments.
    pub v: H,
    /// Updates taken.
    pub steps: u64,
}

/// Adam's state: first and second moments per parameter and the step count. `P` is the
/// model's parameter container of backend tensors (the generative model's by default).
pub struct Adam<B: Backend, P = DrawParams<<B as crate::Storage>::Tensor>> {
    m: P,
    v: P,
    steps: u64,
    backend: PhantomData<fn() -> B>,
}

impl<B: Backend> Adam<B> {
    /// Zero moments for `model`.
    pub fn new(b: &B, model: &Draw<B>) -> Self {
        Adam::for_params(b, model.params())
    }

    /// Adam resumed from a saved [`AdamState`], checked against `model`'s parameter shapes.
    pub fn from_state(b: &B, model: &Draw<B>, state: &AdamState) -> Result<Self> {
        Adam::for_params_from_state(b, model.params(), state)
    }
}

impl<B: Backend, P: ParamSet<B::Tensor, Of<B::Tensor> = P>> Adam<B, P> {
    /// Zero moments shaped as `params`.
    pub fn for_params(b: &B, params: &P) -> Self {
        let zeros = |_: &'static str, t: &B::Tensor| {
            let (r, c) = b.shape(t);
            b.zeros(r, c)
        };
        Adam {
            m: params.map(zeros),
            v: params.map(zeros),
            steps: 0,
            backend: PhantomData,
        }
    }

    /// Updates taken so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The moments and step count copied to the host (f32 moments are exact in f64), for a
    /// checkpoint to resume from.
    pub fn state(&self, b: &B) -> AdamState<P::Of<Vec<f64>>> {
        let host = |p: &P| {
            p.map(|_, t| {
                b.download(t)
                    .into_iter()
                    .map(|x| x.f64())
                    .collect::<Vec<f64>>()
            })
        };
        AdamState {
            m: host(&self.m),
            v: host(&self.v),
            steps: self.steps,
        }
    }

    /// Adam resumed from a saved [`AdamState`], checked against the shapes of `params`.
    pub fn for_params_from_state(
        b: &B,
        params: &P,
        state: &AdamState<P::Of<Vec<f64>>>,
    ) -> Result<Self> {
        let mut adam = Adam::for_params(b, params);
        for (which, saved, dst) in [
            ("exp_avg", &state.m, &mut adam.m),
            ("exp_avg_sq", &state.v, &mut adam.v),
        ] {
            let saved = saved.named();
            let dst = dst.named_mut();
            if saved.len() != dst.len() {
                return Err(DrawError::Shape(format!(
                    "optimiser state `{which}` has {} tensors, the model {}",
                    saved.len(),
                    dst.len()
                )));
            }
            for ((name, v), (want, t)) in saved.into_iter().zip(dst) {
                let (r, c) = b.shape(t);
                if name != want || v.len() != r * c {
                    return Err(DrawError::Shape(format!(
                        "optimiser state `{which}.{name}` ({} values) does not match parameter \
                         `{want}` ({r}×{c})",
                        v.len()
                    )));
                }
                let data: Vec<B::F> = v.iter().map(|&x| B::F::of(x)).collect();
                b.upload(t, &data);
            }
        }
        adam.steps = state.steps;
        Ok(adam)
    }

    /// One update decided on the device: each tensor's [`OptimOps::adam_checked`] reads the
    /// clipping factor from `ledger` and does nothing when the ledger's verdict skipped the
    /// step. Counts the step as taken; [`Adam::take_back`] uncounts the skipped ones once the
    /// host has read the ledger.
    ///
    /// [`OptimOps::adam_checked`]: crate::backend::OptimOps::adam_checked
    pub fn update_checked(
        &mut self,
        b: &B,
        (params, grads): (&mut P, &P),
        cfg: &TrainConfig,
        ledger: &B::Tensor,
    ) {
        self.steps += 1;
        let step = self.constants(cfg, 1.0);
        let grads = grads.named();
        let ms = self.m.named_mut();
        let vs = self.v.named_mut();
        for ((((_, p), (_, g)), (_, m)), (_, v)) in
            params.named_mut().into_iter().zip(grads).zip(ms).zip(vs)
        {
            b.adam_checked(p, g, (m, v), &step, ledger);
        }
    }

    /// Uncounts `skipped` steps that [`Adam::update_checked`] counted and the ledger skipped.
    pub fn take_back(&mut self, skipped: u64) {
        self.steps -= skipped.min(self.steps);
    }

    /// The constants of update number `self.steps` (bias corrections folded in).
    fn constants(&self, cfg: &TrainConfig, grad_scale: f64) -> AdamStep {
        let t = self.steps as i32;
        let (c1, c2) = (1.0 - cfg.beta1.powi(t), 1.0 - cfg.beta2.powi(t));
        AdamStep {
            step_size: cfg.learning_rate * c2.sqrt() / c1,
            beta1: cfg.beta1,
            beta2: cfg.beta2,
            eps: cfg.adam_eps * c2.sqrt(),
            grad_scale,
        }
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

/// What the steps recorded since the last read measured ([`Trainer::read_window`]); `S` holds
/// their summed loss terms (a [`Loss`] for DRAW, a classifier's `Score`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TrainWindow<S = Loss> {
    /// The loss sums of the steps taken (`examples`: their batches' images).
    pub loss: S,
    /// Σ of the taken steps' gradient norms before clipping.
    pub grad_norm_sum: f64,
    /// Steps taken.
    pub taken: u64,
    /// Steps skipped because their loss or gradient was not finite (parameters kept).
    pub skipped: u64,
    /// Skipped steps since the last taken one (all of `skipped` when none was taken).
    pub skipped_in_a_row: u64,
    /// The last skipped step.
    pub last_skipped: Option<Skipped>,
}

impl<S> TrainWindow<S> {
    /// Mean gradient norm over the taken steps (0 when none).
    pub fn mean_grad_norm(&self) -> f64 {
        self.grad_norm_sum / self.taken.max(1) as f64
    }

    /// The same window with its loss sums turned into another summary by `f`.
    pub fn map<T>(self, f: impl FnOnce(S) -> T) -> TrainWindow<T> {
        TrainWindow {
            loss: f(self.loss),
            grad_norm_sum: self.grad_norm_sum,
            taken: self.taken,
            skipped: self.skipped,
            skipped_in_a_row: self.skipped_in_a_row,
            last_skipped: self.last_skipped,
        }
    }
}

/// A step skipped because its loss or gradient norm was not finite.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Skipped {
    /// "loss" or "gradient norm": what was not finite.
    pub what: &'static str,
    /// The update number it would have been.
    pub step: u64,
}

impl Skipped {
    /// The error a step returns for it ([`DrawError::NonFinite`]).
    pub fn error(&self) -> DrawError {
        DrawError::NonFinite {
            what: self.what,
            step: self.step,
        }
    }
}

/// A trainer's ledger ([`crate::kernels::ledger`]): where its steps leave their sums and
/// verdicts, read by the host only in [`Ledger::read`].
pub(crate) struct Ledger<T> {
    tensor: T,
    verdict: Verdict,
    /// Steps recorded since the last read.
    recorded: u64,
}

impl<T> Ledger<T> {
    /// A zeroed ledger for a loss of two terms summed over `shards` workspaces each, and
    /// `grads` gradient tensors.
    pub(crate) fn new<B: Backend<Tensor = T>>(
        b: &B,
        shards: usize,
        grads: usize,
        clip: Option<f64>,
    ) -> Self {
        let s = ledger::SUMS;
        let verdict = Verdict {
            first: s..s + shards,
            second: s + shards..s + 2 * shards,
            grad_squares: s + 2 * shards..s + 2 * shards + grads,
            clip,
        };
        Ledger {
            tensor: b.zeros(1, verdict.grad_squares.end),
            verdict,
            recorded: 0,
        }
    }

    /// A step's two loss terms (one tensor per shard each) summed into the ledger.
    pub(crate) fn add_terms<B: Backend<Tensor = T>>(&mut self, b: &B, first: &[&T], second: &[&T]) {
        b.sums_into(first, &mut self.tensor, self.verdict.first.start, false);
        b.sums_into(second, &mut self.tensor, self.verdict.second.start, false);
    }

    /// The step's gradients' sums of squares, then its verdict; returns the ledger for
    /// [`Adam::update_checked`].
    pub(crate) fn decide<B: Backend<Tensor = T>>(&mut self, b: &B, grads: &[&T]) -> &T {
        let at = self.verdict.grad_squares.start;
        b.sums_into(grads, &mut self.tensor, at, true);
        b.step_verdict(&mut self.tensor, &self.verdict);
        self.recorded += 1;
        &self.tensor
    }

    /// Reads the ledger (one blocking read-back; none when no step was recorded since the
    /// last read), resets it, and uncounts the skipped steps from `adam`. The loss sums come
    /// back as `[first term, second term]`.
    pub(crate) fn read<B: Backend<Tensor = T>, P: ParamSet<T, Of<T> = P>>(
        &mut self,
        b: &B,
        adam: &mut Adam<B, P>,
    ) -> Result<TrainWindow<[f64; 2]>> {
        if self.recorded == 0 {
            return Ok(TrainWindow::default());
        }
        let l: Vec<f64> = b
            .download(&self.tensor)
            .into_iter()
            .map(|x| x.f64())
            .collect();
        check_device(b)?;
        b.fill(&mut self.tensor, 0.0);
        self.recorded = 0;
        let (taken, skipped) = (l[ledger::TAKEN] as u64, l[ledger::SKIPPED] as u64);
        let first = adam.steps() - taken - skipped;
        adam.take_back(skipped);
        let last_skipped = (skipped > 0).then(|| Skipped {
            what: if l[ledger::LAST_SKIPPED_WHAT] == ledger::LOSS_NOT_FINITE {
                "loss"
            } else {
                "gradient norm"
            },
            step: first + l[ledger::LAST_SKIPPED_AT] as u64,
        });
        Ok(TrainWindow {
            loss: [l[ledger::FIRST_TERM], l[ledger::SECOND_TERM]],
            grad_norm_sum: l[ledger::GRAD_NORM],
            taken,
            skipped,
            skipped_in_a_row: l[ledger::SKIPPED_IN_A_ROW] as u64,
            last_skipped,
        })
    }
}

/// A model with everything needed to train it: workspace, gradients, Adam state and the
/// ledger its steps report to.
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
    ledger: Ledger<B::Tensor>,
}

impl<B: Backend> Trainer<B> {
    /// Prepares to train `model` with batches of `config.batch_size`.
    pub fn new(b: &B, model: Draw<B>, config: TrainConfig) -> Result<Self> {
        config.validate()?;
        check_fits(b, &model, config.batch_size)?;
        let workspaces = model.shard_workspaces(b, config.batch_size);
        let n_grads = model.params().named().len();
        Ok(Trainer {
            grads: workspaces.iter().map(|_| model.zeros_like(b)).collect(),
            ledger: Ledger::new(b, workspaces.len(), n_grads, config.clip_norm),
            workspaces,
            adam: Adam::new(b, &model),
            model,
            config,
        })
    }

    /// Continues training `model` from a saved optimiser state (see [`Trainer::adam_state`]):
    /// the next step is the one the saved run would have taken.
    pub fn resume(b: &B, model: Draw<B>, config: TrainConfig, state: &AdamState) -> Result<Self> {
        let mut t = Trainer::new(b, model, config)?;
        t.adam = Adam::from_state(b, &t.model, state)?;
        Ok(t)
    }

    /// The optimiser's state on the host, for a checkpoint. Read the window first
    /// ([`Trainer::read_window`]): until then, skipped steps still count as taken.
    pub fn adam_state(&self, b: &B) -> AdamState {
        self.adam.state(b)
    }

    /// Optimiser steps taken, counting the steps recorded since the last read as taken.
    pub fn steps(&self) -> u64 {
        self.adam.steps()
    }

    /// The gradients of the last step.
    pub fn grads(&self) -> &DrawParams<B::Tensor> {
        &self.grads[0]
    }

    /// Forward, backward and one Adam update on a (binarised) batch, then the step's loss and
    /// gradient norm read back. The noise of step k is keyed by (seed, k), so a run is
    /// reproducible and two backends draw the same ε. On a non-finite loss or gradient the
    /// parameters are left as they were and an error returned. [`Trainer::record`] is the
    /// same step without the read-back.
    pub fn step(&mut self, b: &B, x: &[B::F]) -> Result<StepStats> {
        self.record(b, x)?;
        let w = self.read_window(b)?;
        match w.last_skipped {
            Some(s) => Err(s.error()),
            None => Ok(StepStats {
                loss: w.loss,
                grad_norm: w.grad_norm_sum,
            }),
        }
    }

    /// One training step with no blocking read-back: the loss and gradient sums go to the
    /// ledger, whose verdict on the device skips a non-finite step (parameters and moments
    /// kept). Errors only for a wrong batch or a device fault; [`Trainer::read_window`] tells
    /// what the recorded steps measured and which were skipped.
    pub fn record(&mut self, b: &B, x: &[B::F]) -> Result<()> {
        b.run(|| self.record_inner(b, x))
    }

    fn record_inner(&mut self, b: &B, x: &[B::F]) -> Result<()> {
        let key = NoiseKey::new(self.config.seed, self.adam.steps());
        let model = &self.model;
        model.forward_shards_pass(b, &mut self.workspaces, x, key)?;
        let (recon, latent): (Vec<_>, Vec<_>) =
            self.workspaces.iter().map(Draw::loss_terms).unzip();
        self.ledger.add_terms(b, &recon, &latent);
        model.backward_shards(b, &mut self.workspaces, &mut self.grads)?;
        let grads: Vec<_> = self.grads[0].named().into_iter().map(|(_, g)| g).collect();
        let ledger = self.ledger.decide(b, &grads);
        let (adam, grads, cfg) = (&mut self.adam, &self.grads[0], &self.config);
        self.model
            .update_params(b, |p| adam.update_checked(b, (p, grads), cfg, ledger));
        check_device(b)
    }

    /// Reads the ledger (the one blocking read-back of the steps since the last read; none
    /// when no step was recorded) and resets it; uncounts the skipped steps.
    pub fn read_window(&mut self, b: &B) -> Result<TrainWindow> {
        let batch = self.config.batch_size;
        let w = self.ledger.read(b, &mut self.adam)?;
        let taken = w.taken as usize;
        Ok(w.map(|[reconstruction, latent]| Loss {
            reconstruction,
            latent,
            examples: taken * batch,
        }))
    }
}

/// A recorded device fault as an error.
pub(crate) fn check_device<B: Backend>(b: &B) -> Result<()> {
    match b.fault() {
        Some(f) => Err(DrawError::Device(f)),
        None => Ok(()),
    }
}

/// Refuses, before allocating, a batch whose training buffers exceed the backend's largest
/// tensor or its available memory (each named in the error with the batch size and MiB).
pub fn check_fits<B: Backend>(b: &B, model: &Draw<B>, batch: usize) -> Result<()> {
    let size = model.workspace_size(batch);
    let bytes = std::mem::size_of::<B::F>() as u64;
    let mib = |elements: u64| (elements * bytes).div_ceil(1 << 20);
    if let Some(max) = b.max_tensor_len() {
        if size.largest > max as u64 {
            return Err(DrawError::OutOfMemory {
                batch,
                what: "one buffer (the device's largest storage binding)",
                need_mib: mib(size.largest),
                have_mib: mib(max as u64),
            });
        }
    }
    if let Some(avail) = b.memory_available() {
        // Gradients and Adam's moments come on top of the workspace; the parameters are small.
        if size.total * bytes > avail {
            return Err(DrawError::OutOfMemory {
                batch,
                what: "memory",
                need_mib: mib(size.total),
                have_mib: avail >> 20,
            });
        }
    }
    Ok(())
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
        check_device(b)?;
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

    /// Recorded steps read back at once: a non-finite batch among them is skipped on the
    /// backend (named at the read, not counted), and the good ones add up to what `step`
    /// reports for each.
    #[test]
    fn recorded_steps_report_at_the_read_and_skip_a_non_finite_one() {
        let b = HostBackend::<f64>::new();
        let cfg = tiny_configs().remove(0);
        let tc = TrainConfig {
            batch_size: 2,
            ..TrainConfig::default()
        };
        let new = || Trainer::new(&b, Draw::new(&b, cfg.clone(), 1).unwrap(), tc.clone()).unwrap();
        let (good, other) = (test_batch(&cfg, 2, 1), test_batch(&cfg, 2, 2));
        let mut bad = good.clone();
        bad[3] = f64::NAN;
        let mut stepped = new();
        let l1 = stepped.step(&b, &good).unwrap();
        let l2 = stepped.step(&b, &other).unwrap();
        let mut recorded = new();
        recorded.record(&b, &good).unwrap();
        recorded.record(&b, &other).unwrap();
        let w = recorded.read_window(&b).unwrap();
        assert_eq!((w.taken, w.skipped, w.last_skipped), (2, 0, None));
        assert_eq!(w.loss.examples, 4);
        let sum = l1.loss.reconstruction + l2.loss.reconstruction;
        assert!((w.loss.reconstruction - sum).abs() < 1e-9 * sum, "{w:?}");
        assert!((w.grad_norm_sum - l1.grad_norm - l2.grad_norm).abs() < 1e-9);
        assert_eq!(recorded.model.values(&b), stepped.model.values(&b));
        assert_eq!(recorded.read_window(&b).unwrap(), TrainWindow::default());

        let before = recorded.model.values(&b);
        recorded.record(&b, &bad).unwrap();
        recorded.record(&b, &bad).unwrap();
        assert_eq!(recorded.steps(), 4, "counted until read");
        let w = recorded.read_window(&b).unwrap();
        assert_eq!((w.taken, w.skipped, w.skipped_in_a_row), (0, 2, 2));
        let skipped = w.last_skipped.unwrap();
        assert_eq!((skipped.what, skipped.step), ("loss", 3));
        assert_eq!(recorded.steps(), 2);
        assert_eq!(
            recorded.model.values(&b),
            before,
            "skipped steps change nothing"
        );
        assert_eq!(recorded.adam_state(&b), stepped.adam_state(&b));
    }

    #[test]
    fn resumed_trainer_continues_bit_for_bit() {
        let b = HostBackend::<f32>::new();
        for cfg in tiny_configs() {
            let tc = TrainConfig {
                batch_size: 3,
                ..TrainConfig::default()
            };
            let batch =
                |k: u64| -> Vec<f32> { test_batch(&cfg, 3, k).iter().map(|&v| v as f32).collect() };
            let mut straight =
                Trainer::new(&b, Draw::new(&b, cfg.clone(), 4).unwrap(), tc.clone()).unwrap();
            for k in 0..2 {
                straight.step(&b, &batch(k)).unwrap();
            }
            // Save what a checkpoint holds, rebuild from it, and go on beside the original.
            let (values, state) = (straight.model.values(&b), straight.adam_state(&b));
            let model = Draw::from_values(&b, cfg.clone(), &values).unwrap();
            let mut resumed = Trainer::resume(&b, model, tc.clone(), &state).unwrap();
            assert_eq!(resumed.steps(), 2);
            for k in 2..4 {
                let (l1, l2) = (
                    straight.step(&b, &batch(k)).unwrap(),
                    resumed.step(&b, &batch(k)).unwrap(),
                );
                assert_eq!(l1.loss, l2.loss);
            }
            assert_eq!(straight.model.values(&b), resumed.model.values(&b));
            assert_eq!(straight.adam_state(&b), resumed.adam_state(&b));
        }
    }

    #[test]
    fn optimiser_state_of_another_model_is_refused() {
        let b = HostBackend::<f64>::new();
        let cfgs = tiny_configs();
        let m0 = Draw::new(&b, cfgs[0].clone(), 1).unwrap();
        let state = Adam::new(&b, &m0).state(&b);
        // cfgs[2] reads and writes the full image: no attention heads, other shapes.
        let m1 = Draw::new(&b, cfgs[2].clone(), 1).unwrap();
        let err = Adam::from_state(&b, &m1, &state).err().expect("refused");
        assert!(err.to_string().contains("optimiser state"), "{err}");
    }

    /// A host backend whose device has failed.
    struct Faulty(HostBackend<f64>);

    impl crate::Storage for Faulty {
        type F = f64;
        type Tensor = crate::reference::HostTensor<f64>;
        fn zeros(&self, rows: usize, cols: usize) -> Self::Tensor {
            self.0.zeros(rows, cols)
        }
        fn shape(&self, t: &Self::Tensor) -> (usize, usize) {
            self.0.shape(t)
        }
        fn upload(&self, t: &mut Self::Tensor, data: &[f64]) {
            self.0.upload(t, data)
        }
        fn download(&self, t: &Self::Tensor) -> Vec<f64> {
            self.0.download(t)
        }
        fn fault(&self) -> Option<String> {
            Some("the device was lost (test)".into())
        }
    }
    impl crate::MatrixOps for Faulty {
        fn gemm(&self, c: &mut Self::Tensor, g: crate::Gemm<'_, Self::Tensor>) {
            self.0.gemm(c, g)
        }
    }
    impl crate::LstmOps for Faulty {}
    impl crate::AttentionOps for Faulty {}
    impl crate::LossOps for Faulty {}
    impl crate::SamplingOps for Faulty {}
    impl crate::OptimOps for Faulty {}

    #[test]
    fn a_device_fault_stops_the_step_and_the_evaluation_with_its_words() {
        let b = Faulty(HostBackend::new());
        let cfg = tiny_configs().remove(0);
        let tc = TrainConfig {
            batch_size: 2,
            ..TrainConfig::default()
        };
        let mut t = Trainer::new(&b, Draw::new(&b, cfg.clone(), 1).unwrap(), tc).unwrap();
        let x = test_batch(&cfg, 2, 1);
        let err = t.step(&b, &x).unwrap_err();
        assert!(matches!(err, DrawError::Device(_)), "{err}");
        assert!(err.to_string().contains("device was lost"), "{err}");
        let err = evaluate(&b, &t.model, [x.as_slice()], 1).unwrap_err();
        assert!(matches!(err, DrawError::Device(_)), "{err}");
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
