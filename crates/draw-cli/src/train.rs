//! `draw train`: a training session on MNIST that writes its config, metrics, checkpoints and
//! samples into a run directory.

use crate::args::TrainArgs;
use crate::backend::{with_backend, BackendTask};
use crate::eval::{binarized_test_set, check_image_shape, test_bound, to_float, EVAL_BATCH};
use crate::plan::{unix_now, TrainPlan};
use crate::run_dir::{MetricsLog, RunDir};
use crate::sample::write_samples;
use anyhow::{bail, Result};
use draw_core::checkpoint;
use draw_core::{Backend, Draw, DrawError, Loss, StepStats, Trainer};
use draw_data::{binarize_dynamic, gather, load_mnist, Batcher, Dataset, Split};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::json;
use std::path::Path;
use std::time::Instant;

/// Samples drawn (noise seed 0) into the run directory when training ends.
pub const FINAL_SAMPLES: usize = 64;
/// Mixed into the seed of the binarisation generator, so that it differs from the shuffling's.
const BINARIZATION_SEED_MIX: u64 = 0xb1_4a_21;

/// `draw train`.
pub fn train(a: TrainArgs) -> Result<()> {
    let plan = TrainPlan::from_args(&a, unix_now())?;
    with_backend(&plan.backend.clone(), Train(plan))
}

/// `draw train`'s work on a backend.
struct Train(TrainPlan);

impl BackendTask for Train {
    type Output = ();

    fn run<B: Backend>(self, b: &B) -> Result<()> {
        TrainSession::start(b, self.0)?.run()
    }
}

/// The images of a run: the training set (limited by `--train-limit`) and the statically
/// binarised test set (limited by `--test-limit`).
pub struct TrainData {
    /// Training images, in [0, 1], binarised afresh for each batch.
    pub train: Dataset,
    /// Test images, binarised once.
    pub test: Dataset,
}

impl TrainData {
    /// Loads the plan's data and checks it against the model and the batch size.
    pub fn load(plan: &TrainPlan) -> Result<Self> {
        let train = load_mnist(&plan.data, Split::Train)?;
        let train = match plan.train_limit {
            Some(n) => train.subset(n),
            None => train,
        };
        let test = binarized_test_set(&plan.data, plan.test_limit)?;
        check_image_shape(&plan.model, &train, "training")?;
        check_image_shape(&plan.model, &test, "test")?;
        if train.len < plan.train.batch_size {
            bail!(
                "batch size {} is larger than the training set ({} images)",
                plan.train.batch_size,
                train.len
            );
        }
        Ok(TrainData { train, test })
    }
}

/// The losses since the last metrics line, and when that line was written.
struct Window {
    loss: Loss,
    since: Instant,
}

impl Window {
    fn new() -> Self {
        Window {
            loss: Loss::default(),
            since: Instant::now(),
        }
    }
}

/// A training run in progress: everything one optimiser step, one epoch or the end of the run
/// needs. [`TrainSession::start`] sets it up, [`TrainSession::run`] trains to the end.
pub struct TrainSession<'b, B: Backend> {
    b: &'b B,
    plan: TrainPlan,
    data: TrainData,
    dir: RunDir,
    metrics: MetricsLog,
    trainer: Trainer<B>,
    batcher: Batcher,
    rng: StdRng,
    progress: ProgressBar,
    started: Instant,
}

impl<'b, B: Backend> TrainSession<'b, B> {
    /// Loads the data, creates the run directory (config.json, an empty metrics.jsonl) and a
    /// freshly initialised model, and prints what is about to run.
    pub fn start(b: &'b B, plan: TrainPlan) -> Result<Self> {
        let data = TrainData::load(&plan)?;
        let dir = RunDir::create(&plan.out)?;
        dir.write_config(&json!({"preset": plan.preset, "model": plan.model, "train": plan.train, "backend": b.name(), "data": plan.data}))?;
        let metrics = dir.create_metrics()?;
        let tc = &plan.train;
        let model = Draw::new(b, plan.model.clone(), tc.seed)?;
        let trainer = Trainer::new(b, model, tc.clone())?;
        let batcher = Batcher::new(data.train.len, tc.batch_size, true, tc.seed);
        let rng = StdRng::seed_from_u64(tc.seed ^ BINARIZATION_SEED_MIX);
        println!(
            "training `{}` on {} ({} train / {} test images), T = {}, batch {}, {} epochs -> {}",
            plan.preset,
            b.name(),
            data.train.len,
            data.test.len,
            plan.model.steps,
            tc.batch_size,
            tc.epochs,
            dir.root().display()
        );
        let progress = progress_bar(batcher.batches_per_epoch() as u64 * tc.epochs as u64)?;
        Ok(TrainSession {
            b,
            plan,
            data,
            dir,
            metrics,
            trainer,
            batcher,
            rng,
            progress,
            started: Instant::now(),
        })
    }

    /// Trains every epoch (or up to `--max-steps`), then writes the samples.
    pub fn run(mut self) -> Result<()> {
        for epoch in 1..=self.plan.train.epochs {
            if self.run_epoch(epoch)? {
                break;
            }
        }
        self.finish()
    }

    /// One pass over the training set, then a checkpoint and the test bound. Returns whether
    /// `--max-steps` ended training.
    pub fn run_epoch(&mut self, epoch: usize) -> Result<bool> {
        let mut window = Window::new();
        let mut epoch_loss = Loss::default();
        let mut stopped = false;
        for idx in self.batcher.epoch() {
            let stats = self.step(epoch, &idx)?;
            window.loss.add(&stats.loss);
            epoch_loss.add(&stats.loss);
            let step = self.trainer.steps();
            self.progress.inc(1);
            if self.plan.logs_at(step) {
                self.log_step(epoch, &stats, &window)?;
                window = Window::new();
            }
            if self.plan.checkpoints_at(step) {
                self.save(&self.dir.checkpoint(), epoch)?;
            }
            if self.plan.stops_at(step) {
                stopped = true;
                break;
            }
        }
        self.end_epoch(epoch, &epoch_loss)?;
        Ok(stopped)
    }

    /// One optimiser step on the training images `idx`, binarised afresh. When the loss or the
    /// gradient turns non-finite, saves the parameters from before the step to
    /// last-good.safetensors and fails naming it.
    fn step(&mut self, epoch: usize, idx: &[usize]) -> Result<StepStats> {
        let x = binarize_dynamic(&gather(&self.data.train, idx), &mut self.rng);
        let x: Vec<B::F> = to_float(&x);
        match self.trainer.step(self.b, &x) {
            Ok(s) => Ok(s),
            Err(e @ DrawError::NonFinite { .. }) => {
                // The parameters are those before the failing step: keep them.
                let rescue = self.dir.last_good();
                self.save(&rescue, epoch)?;
                self.progress.abandon();
                bail!(
                    "{e}; the last good parameters are in {} (try a lower --lr or --clip)",
                    rescue.display()
                );
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The progress bar's message and a metrics line for the steps in `window`.
    fn log_step(&mut self, epoch: usize, stats: &StepStats, window: &Window) -> Result<()> {
        let step = self.trainer.steps();
        let w = &window.loss;
        let ips = w.examples as f64 / window.since.elapsed().as_secs_f64();
        self.progress.set_message(format!(
            "loss {:.2} (Lx {:.2} Lz {:.2}) {:.0} img/s",
            w.mean_total(),
            w.mean_reconstruction(),
            w.mean_latent(),
            ips
        ));
        self.metrics.log(&json!({"step": step, "epoch": epoch, "loss": w.mean_total(), "lx": w.mean_reconstruction(), "lz": w.mean_latent(), "grad_norm": stats.grad_norm, "images_per_sec": ips}))
    }

    /// The epoch's checkpoint, its test bound, and its line on the terminal and in the metrics.
    fn end_epoch(&mut self, epoch: usize, epoch_loss: &Loss) -> Result<()> {
        self.save(&self.dir.checkpoint(), epoch)?;
        let t0 = Instant::now();
        let test = test_bound(self.b, &self.trainer.model, &self.data.test, EVAL_BATCH)?;
        let elapsed = self.started.elapsed().as_secs_f64();
        let line = format!(
            "epoch {epoch}: train {:.2} nats | test bound {:.2} nats (Lx {:.2}, Lz {:.2}) | eval {:.1}s | {:.0}s elapsed",
            epoch_loss.mean_total(),
            test.mean_total(),
            test.mean_reconstruction(),
            test.mean_latent(),
            t0.elapsed().as_secs_f64(),
            elapsed
        );
        self.progress.println(&line);
        if self.progress.is_hidden() {
            println!("{line}");
        }
        self.metrics.log(&json!({"epoch": epoch, "step": self.trainer.steps(), "train_loss": epoch_loss.mean_total(), "test_nll": test.mean_total(), "test_lx": test.mean_reconstruction(), "test_lz": test.mean_latent(), "elapsed_sec": self.started.elapsed().as_secs_f64()}))
    }

    /// Writes the samples and prints where everything is.
    fn finish(self) -> Result<()> {
        self.progress.finish_and_clear();
        write_samples(self.b, &self.trainer.model, &self.dir, FINAL_SAMPLES, 0)?;
        println!(
            "done: {} steps in {:.0}s; checkpoint {}, metrics {}, samples {}",
            self.trainer.steps(),
            self.started.elapsed().as_secs_f64(),
            self.dir.checkpoint().display(),
            self.metrics.path().display(),
            self.dir.samples_png().display()
        );
        Ok(())
    }

    /// Saves the model to `path` with the step count and `epoch` in the metadata.
    fn save(&self, path: &Path, epoch: usize) -> Result<()> {
        let model = &self.trainer.model;
        checkpoint::save(
            path,
            model.config(),
            &model.values(self.b),
            &[
                ("step", self.trainer.steps().to_string()),
                ("epoch", epoch.to_string()),
            ],
        )?;
        Ok(())
    }
}

/// The progress bar over `len` optimiser steps.
fn progress_bar(len: u64) -> Result<ProgressBar> {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}")?
            .progress_chars("=> "),
    );
    Ok(pb)
}
