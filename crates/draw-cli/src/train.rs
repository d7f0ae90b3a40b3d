//! `draw train`: a training session on a data set that writes its config, metrics, checkpoints and
//! samples into a run directory.

use crate::args::TrainArgs;
use crate::backend::{with_backend, BackendTask};
use crate::datasets::{load_test, load_train, TrainImages};
use crate::eval::{
    bits_per_dim, check_image_shape, rounded_kl_steps, test_bound, to_float, EVAL_BATCH,
};
use crate::plan::{unix_now, TrainPlan};
use crate::resume::{TrainState, TRAIN_STATE_KEY};
use crate::run_dir::{MetricsLog, RunDir};
use crate::sample::write_samples;
use anyhow::{bail, Context, Result};
use draw_core::checkpoint;
use draw_core::params::ParamSet;
use draw_core::{Backend, Draw, DrawError, Float, Loss, TrainWindow, Trainer};
use draw_data::{binarize_keyed, Batcher, Dataset};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Samples drawn (noise seed 0) into the run directory when training ends.
pub const FINAL_SAMPLES: usize = 64;
/// Consecutive non-finite steps (each skipped, parameters kept) after which training stops.
pub const MAX_SKIPPED_STEPS: u32 = 20;
/// Consecutive failed checkpoint writes (full disk, read-only folder) after which training
/// stops; before that it warns and retries at the next checkpoint.
pub const MAX_FAILED_SAVES: u32 = 3;
/// Exit status after a clean stop on SIGINT/SIGTERM (128 + SIGINT, as shells report it).
pub const INTERRUPTED_EXIT: i32 = 130;

/// Adds to a metrics line, per parameter tensor, the norm of the last step's gradient
/// (`grad_norms`) and the largest |value| (`param_max`), for `--log-grad-norms`: which
/// tensors a gradient spike comes from, and which parameters drift.
pub fn add_tensor_report<B: Backend, P: ParamSet<B::Tensor>>(
    line: &mut serde_json::Value,
    b: &B,
    grads: &P,
    params: &P,
) {
    let each = |set: &P, f: fn(&[B::F]) -> f64| {
        let entries = set
            .named()
            .into_iter()
            .map(|(name, t)| (name.to_string(), json!(f(&b.download(t)))));
        serde_json::Value::Object(entries.collect())
    };
    line["grad_norms"] = each(grads, |v| {
        v.iter().map(|x| x.f64() * x.f64()).sum::<f64>().sqrt()
    });
    line["param_max"] = each(params, |v| v.iter().fold(0.0, |m, x| x.f64().abs().max(m)));
}

/// `draw train`.
pub fn train(a: TrainArgs) -> Result<()> {
    if crate::classify::wants_classifier(&a)? {
        return crate::classify::train(&a, unix_now());
    }
    let plan = TrainPlan::from_args(&a, unix_now())?;
    with_backend(&plan.backend.clone(), Train(plan))
}

/// `draw train`'s work on a backend.
struct Train(TrainPlan);

impl BackendTask for Train {
    type Output = ();

    fn run<B: Backend>(self, b: &B) -> Result<()> {
        let stop = stop_on_signals()?;
        TrainSession::start(b, self.0, stop)?.run()
    }
}

/// The images of a run: the training set (limited by `--train-limit`) and the statically
/// binarised test set (limited by `--test-limit`).
pub struct TrainData {
    /// Training images, in [0, 1], binarised afresh for each batch.
    pub train: TrainImages,
    /// Test images, binarised once.
    pub test: Dataset,
}

impl TrainData {
    /// Loads the plan's data and checks it against the model and the batch size.
    pub fn load(plan: &TrainPlan) -> Result<Self> {
        // (data errors name the file and the remedy)
        let train = load_train(plan.dataset, &plan.data, plan.train_limit)?;
        let test = load_test(plan.dataset, &plan.data, plan.test_limit)?;
        let m = &plan.model;
        if train.shape() != (m.channels, m.height, m.width) {
            let (c, h, w) = train.shape();
            bail!(
                "training images are {w}x{h}x{c}, the model expects {}x{}x{}",
                m.width,
                m.height,
                m.channels
            );
        }
        check_image_shape(&plan.model, &test, "test")?;
        if train.len() < plan.train.batch_size {
            bail!(
                "batch size {} is larger than the training set ({} images)",
                plan.train.batch_size,
                train.len()
            );
        }
        Ok(TrainData { train, test })
    }
}

/// A flag that the first SIGINT or SIGTERM sets (training then stops cleanly after the step
/// in progress); a second one exits at once with [`INTERRUPTED_EXIT`] (the last checkpoint on
/// disk is whole: checkpoints are written atomically).
pub fn stop_on_signals() -> Result<Arc<AtomicBool>> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use signal_hook::flag;
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [SIGINT, SIGTERM] {
        // The conditional shutdown is registered first, so it fires only when the flag was
        // already set by an earlier signal.
        flag::register_conditional_shutdown(sig, INTERRUPTED_EXIT, Arc::clone(&stop))
            .context("installing the signal handler")?;
        flag::register(sig, Arc::clone(&stop)).context("installing the signal handler")?;
    }
    Ok(stop)
}

/// The losses (`S`: a [`Loss`], a classifier's `Score`) and gradient norms of the steps taken
/// since the last metrics line, and when that line was written.
pub(crate) struct Window<S> {
    /// The taken steps' summed losses.
    pub loss: S,
    grad_norm_sum: f64,
    /// Steps taken.
    pub taken: u64,
    since: Instant,
}

impl<S> Window<S> {
    /// A window starting now with `loss` (a resumed run's sums so far).
    pub fn new(loss: S) -> Self {
        Window {
            loss,
            grad_norm_sum: 0.0,
            taken: 0,
            since: Instant::now(),
        }
    }

    /// Counts a read's taken steps and gradient norms (the caller adds its losses).
    pub fn count<T>(&mut self, w: &TrainWindow<T>) {
        self.grad_norm_sum += w.grad_norm_sum;
        self.taken += w.taken;
    }

    /// Mean gradient norm of the taken steps.
    pub fn mean_grad_norm(&self) -> f64 {
        self.grad_norm_sum / self.taken.max(1) as f64
    }

    /// `examples` over the seconds since the window began.
    pub fn per_second(&self, examples: usize) -> f64 {
        examples as f64 / self.since.elapsed().as_secs_f64()
    }
}

/// Where the run stands: what a checkpoint's [`TrainState`] records.
struct Position {
    /// The epoch in progress (1-based).
    epoch: usize,
    /// Batches of it done.
    batches_done: usize,
    /// Whether its end is done.
    epoch_closed: bool,
    epoch_loss: Loss,
    window: Window<Loss>,
    skipped: u32,
    failed_saves: u32,
    best_test_nll: Option<f64>,
    last_test_nll: Option<f64>,
    /// Training seconds before this process started.
    elapsed_before: f64,
}

/// A training run in progress: everything one optimiser step, one epoch or the end of the run
/// needs. [`TrainSession::start`] sets it up (fresh or resumed), [`TrainSession::run`] trains
/// to the end.
pub struct TrainSession<'b, B: Backend> {
    b: &'b B,
    plan: TrainPlan,
    data: TrainData,
    dir: RunDir,
    metrics: MetricsLog,
    trainer: Trainer<B>,
    batcher: Batcher,
    at: Position,
    stop: Arc<AtomicBool>,
    progress: ProgressBar,
    started: Instant,
}

impl<'b, B: Backend> TrainSession<'b, B> {
    /// A fresh run (config.json, an empty metrics.jsonl, a freshly initialised model), or the
    /// run `--resume` names continued from its checkpoint; prints what is about to run.
    pub fn start(b: &'b B, plan: TrainPlan, stop: Arc<AtomicBool>) -> Result<Self> {
        let (plan, trainer, at, state) = match plan.resume.clone() {
            Some(path) => resume_trainer(b, plan, &path)?,
            None => {
                let model = Draw::new(b, plan.model.clone(), plan.train.seed)?;
                let trainer = Trainer::new(b, model, plan.train.clone())?;
                (plan, trainer, fresh_position(), None)
            }
        };
        let data = TrainData::load(&plan)?;
        let dir = RunDir::new(&plan.out);
        let metrics = match &state {
            Some(s) => {
                let removed = dir.remove_stale_tmp();
                if removed > 0 {
                    eprintln!(
                        "removed {removed} partial temporary file(s) from {}",
                        dir.root().display()
                    );
                }
                dir.resume_metrics(s.metrics_lines)?
            }
            None => new_run_dir(&dir, &plan, b)?,
        };
        let batcher = Batcher::new(
            data.train.len(),
            plan.train.batch_size,
            true,
            plan.train.seed,
        );
        announce(&plan, b, &data, &dir, &at, state.is_some());
        let per_epoch = batcher.batches_per_epoch() as u64;
        let progress = progress_bar(per_epoch * plan.train.epochs as u64)?;
        progress.set_position(per_epoch * (at.epoch as u64 - 1) + at.batches_done as u64);
        Ok(TrainSession {
            b,
            plan,
            data,
            dir,
            metrics,
            trainer,
            batcher,
            at,
            stop,
            progress,
            started: Instant::now(),
        })
    }

    /// Trains every epoch (or up to `--max-steps`), then writes the samples.
    pub fn run(mut self) -> Result<()> {
        while self.at.epoch <= self.plan.train.epochs {
            if self.run_epoch()? {
                break;
            }
            self.at.epoch += 1;
            self.at.batches_done = 0;
            self.at.epoch_closed = false;
            self.at.epoch_loss = Loss::default();
        }
        self.finish()
    }

    /// The rest of the current epoch, then its end (checkpoint, test bound). Returns whether
    /// `--max-steps` ended training (the bound is then taken where it stopped, as at an
    /// epoch's end; a resumed run finishes the epoch and takes it again there).
    fn run_epoch(&mut self) -> Result<bool> {
        self.trainer.config = self.plan.train.in_epoch(self.at.epoch);
        let batches = self.batcher.batches(self.at.epoch as u64 - 1);
        let per_epoch = batches.len();
        let mut stopped = false;
        while self.at.batches_done < per_epoch && !stopped {
            let k = self.at.batches_done;
            let global = (self.at.epoch - 1) * per_epoch + k;
            self.step(&batches[k], global as u64)?;
            self.at.batches_done += 1;
            self.progress.inc(1);
            self.after_step()?;
            if self.stop.load(Ordering::SeqCst) {
                self.interrupted()?;
            }
            stopped = self.plan.stops_at(self.trainer.steps());
        }
        if !self.at.epoch_closed {
            self.end_epoch(self.at.batches_done == per_epoch)?;
        }
        Ok(stopped)
    }

    /// One optimiser step on the training images `idx`, binarised afresh (keyed by the batch's
    /// index in the run), recorded without reading anything back.
    fn step(&mut self, idx: &[usize], global_batch: u64) -> Result<()> {
        let images = self
            .data
            .train
            .batch(idx, self.plan.train.seed, self.at.epoch);
        let x: Vec<B::F> = to_float(&binarize_keyed(&images, self.plan.train.seed, global_batch));
        let before = self.trace_start();
        self.trainer.record(self.b, &x)?;
        self.trace_end(before);
        Ok(())
    }

    /// After a step (counted in the position): the ledger is read (one read-back) when a
    /// metrics line, a checkpoint or the end is due, and after every step while steps are
    /// being skipped; then the metrics line and the checkpoint.
    fn after_step(&mut self) -> Result<()> {
        let step = self.trainer.steps();
        if self.at.skipped > 0 || self.plan.intervals().reads_at(step) {
            self.read_window()?;
            let step = self.trainer.steps();
            if self.plan.logs_at(step) && self.at.window.taken > 0 {
                self.log_step()?;
                self.at.window = Window::new(Loss::default());
            }
            if self.plan.checkpoints_at(step) {
                self.save_checkpoint()?;
            }
        }
        Ok(())
    }

    /// Reads what the steps since the last read measured into the metrics window and the
    /// epoch's loss. A non-finite loss or gradient skipped its step on the backend (parameters
    /// kept): named on stderr; after [`MAX_SKIPPED_STEPS`] in a row training stops, keeping
    /// the last checkpoint that evaluates to a finite bound as last-good.safetensors.
    fn read_window(&mut self) -> Result<()> {
        let w = self.trainer.read_window(self.b)?;
        self.at.window.loss.add(&w.loss);
        self.at.window.count(&w);
        self.at.epoch_loss.add(&w.loss);
        self.at.skipped = if w.taken > 0 {
            w.skipped_in_a_row as u32
        } else {
            self.at.skipped + w.skipped as u32
        };
        if let Some(skipped) = w.last_skipped {
            let e = skipped.error();
            self.warn(&format!(
                "{e}: update skipped ({} in a row)",
                self.at.skipped
            ));
            if self.at.skipped >= MAX_SKIPPED_STEPS {
                self.progress.abandon();
                return Err(self.rescue(e));
            }
        }
        Ok(())
    }

    /// The error after too many non-finite steps, with the last good checkpoint copied to
    /// last-good.safetensors when the run's checkpoint evaluates to a finite bound.
    fn rescue(&self, e: DrawError) -> anyhow::Error {
        let ckpt = self.dir.checkpoint();
        let good = crate::eval::load_model(self.b, &ckpt).and_then(|m| {
            let few = self.data.test.subset(self.data.test.len.min(500));
            let l = test_bound(self.b, &m, &few, EVAL_BATCH.min(few.len))?;
            Ok(l.loss.mean_total().is_finite())
        });
        let rescue = self.dir.last_good();
        let advice = "try a lower --lr or --clip";
        match good {
            Ok(true) if std::fs::copy(&ckpt, &rescue).is_ok() => anyhow::anyhow!(
                "{e}, {MAX_SKIPPED_STEPS} steps in a row; the last good checkpoint (finite on the \
                 test set) is {} ({advice})",
                rescue.display()
            ),
            _ => anyhow::anyhow!(
                "{e}, {MAX_SKIPPED_STEPS} steps in a row, and no checkpoint of this run evaluates \
                 to a finite bound ({advice})"
            ),
        }
    }

    /// SIGINT/SIGTERM: the step in progress is done; checkpoint, say how to resume, exit.
    fn interrupted(&mut self) -> Result<()> {
        self.progress.abandon();
        self.save_checkpoint()?;
        eprintln!(
            "interrupted after step {}; checkpoint saved. Continue with:\n  draw train --resume {}",
            self.trainer.steps(),
            self.dir.root().display()
        );
        std::process::exit(INTERRUPTED_EXIT)
    }

    /// Prints `msg` on stderr above the progress bar. (`ProgressBar::println` prints nothing
    /// while the bar is hidden, as it is whenever stderr is not a terminal: a log file or a
    /// pipe would lose the message.)
    /// The device counters before a step, when `--trace-gpu` asked for them.
    fn trace_start(&self) -> Option<draw_core::DeviceCounters> {
        self.plan.trace_gpu.then(|| self.b.counters()).flatten()
    }

    /// Prints what the step since `before` sent to the device (`--trace-gpu`).
    fn trace_end(&self, before: Option<draw_core::DeviceCounters>) {
        let Some(before) = before else { return };
        self.b.synchronize();
        if let Some(now) = self.b.counters() {
            let step = self.trainer.steps();
            self.warn(&format!("step {step}: {}", now.since(&before)));
        }
    }

    /// Prints `line` on stdout above the progress bar (also when the bar is hidden).
    fn say(&self, line: &str) {
        self.progress.println(line);
        if self.progress.is_hidden() {
            println!("{line}");
        }
    }

    fn warn(&self, msg: &str) {
        self.progress.suspend(|| eprintln!("{msg}"));
    }

    /// The progress bar's message and a metrics line for the steps in the window.
    fn log_step(&mut self) -> Result<()> {
        let step = self.trainer.steps();
        let w = &self.at.window;
        let ips = w.per_second(w.loss.examples);
        let l = &w.loss;
        self.progress.set_message(format!(
            "loss {:.2} (Lx {:.2} Lz {:.2}) {:.0} img/s",
            l.mean_total(),
            l.mean_reconstruction(),
            l.mean_latent(),
            ips
        ));
        let mut line = json!({"step": step, "epoch": self.at.epoch, "loss": l.mean_total(), "lx": l.mean_reconstruction(), "lz": l.mean_latent(), "grad_norm": w.mean_grad_norm(), "lr": self.trainer.config.learning_rate, "images_per_sec": ips, "elapsed_sec": self.elapsed()});
        if self.plan.log_grad_norms {
            add_tensor_report(
                &mut line,
                self.b,
                self.trainer.grads(),
                self.trainer.model.params(),
            );
        }
        self.metrics.log(&line)
    }

    /// The epoch's checkpoint, its test bound, and its line on the terminal and in the metrics;
    /// `complete` when every batch of the epoch was trained on.
    fn end_epoch(&mut self, complete: bool) -> Result<()> {
        self.save_checkpoint()?;
        let t0 = Instant::now();
        let steps = test_bound(self.b, &self.trainer.model, &self.data.test, EVAL_BATCH)?;
        let test = steps.loss;
        let (epoch, el) = (self.at.epoch, self.at.epoch_loss);
        let bpd = bits_per_dim(test.mean_total(), &self.plan.model);
        let line = format!(
            "epoch {epoch}: train {:.2} nats | test bound {:.2} nats = {bpd:.4} bits/dim (Lx {:.2}, Lz {:.2}) | eval {:.1}s | {:.0}s elapsed",
            el.mean_total(),
            test.mean_total(),
            test.mean_reconstruction(),
            test.mean_latent(),
            t0.elapsed().as_secs_f64(),
            self.elapsed()
        );
        self.say(&line);
        self.metrics.log(&json!({"epoch": epoch, "step": self.trainer.steps(), "train_loss": el.mean_total(), "test_nll": test.mean_total(), "test_bits_per_dim": bpd, "test_lx": test.mean_reconstruction(), "test_lz": test.mean_latent(), "test_kl_steps": rounded_kl_steps(&steps), "elapsed_sec": self.elapsed()}))?;
        let nll = test.mean_total();
        let improved = self.at.best_test_nll.is_none_or(|b| nll < b);
        self.at.last_test_nll = Some(nll);
        self.at.best_test_nll = Some(self.at.best_test_nll.map_or(nll, |b| b.min(nll)));
        self.at.epoch_closed = complete;
        // The epoch's end is recorded, so a resume does not evaluate it again.
        self.save_checkpoint()?;
        if improved && self.at.failed_saves == 0 {
            // A later divergence then loses nothing: the epoch with the lowest bound is kept.
            let best = self.dir.keep_best()?;
            self.say(&format!(
                "lowest test bound so far ({nll:.2} nats): {}",
                best.display()
            ));
        }
        Ok(())
    }

    /// Training seconds so far, across resumes.
    fn elapsed(&self) -> f64 {
        self.at.elapsed_before + self.started.elapsed().as_secs_f64()
    }

    /// Writes the samples and prints where everything is.
    fn finish(self) -> Result<()> {
        self.progress.finish_and_clear();
        write_samples(self.b, &self.trainer.model, &self.dir, FINAL_SAMPLES, 0)?;
        println!(
            "done: {} steps in {:.0}s; checkpoint {}, metrics {}, samples {}",
            self.trainer.steps(),
            self.elapsed(),
            self.dir.checkpoint().display(),
            self.metrics.path().display(),
            self.dir.samples_png().display()
        );
        Ok(())
    }

    /// The training checkpoint: parameters, optimiser state and [`TrainState`]. A failed
    /// write (full disk, read-only folder) leaves the previous checkpoint whole; training goes
    /// on and retries at the next checkpoint, and stops after [`MAX_FAILED_SAVES`] failures in a
    /// row.
    fn save_checkpoint(&mut self) -> Result<()> {
        // The checkpoint records the steps taken, so the ledger is read first.
        self.read_window()?;
        match self.write_checkpoint() {
            Ok(()) => {
                self.at.failed_saves = 0;
                Ok(())
            }
            Err(e) => {
                self.at.failed_saves += 1;
                if self.at.failed_saves >= MAX_FAILED_SAVES {
                    return Err(e.context(format!(
                        "{MAX_FAILED_SAVES} checkpoint writes failed in a row; the last complete \
                         checkpoint is still {} (free space or fix permissions, then --resume)",
                        self.dir.checkpoint().display()
                    )));
                }
                self.warn(&format!(
                    "warning: {e:#}; the previous checkpoint is intact, training goes on and \
                     retries at the next checkpoint"
                ));
                Ok(())
            }
        }
    }

    fn write_checkpoint(&self) -> Result<()> {
        let model = &self.trainer.model;
        let state = self.state();
        checkpoint::save_training(
            &self.dir.checkpoint(),
            model.config(),
            &model.values(self.b),
            &self.trainer.adam_state(self.b),
            &[
                ("step", self.trainer.steps().to_string()),
                ("epoch", self.at.epoch.to_string()),
                (TRAIN_STATE_KEY, serde_json::to_string(&state)?),
            ],
        )?;
        Ok(())
    }

    fn state(&self) -> TrainState {
        TrainState {
            preset: self.plan.preset.to_string(),
            train: self.plan.train.clone(),
            train_limit: self.plan.train_limit,
            test_limit: self.plan.test_limit,
            dataset: Some(self.plan.dataset.name().to_string()),
            data: self.plan.data.clone(),
            log_every: self.plan.log_every,
            checkpoint_every: self.plan.checkpoint_every,
            epoch: self.at.epoch,
            batches_done: self.at.batches_done,
            epoch_closed: self.at.epoch_closed,
            epoch_loss: self.at.epoch_loss.into(),
            window: self.at.window.loss.into(),
            skipped: self.at.skipped,
            metrics_lines: self.metrics.lines(),
            elapsed_sec: self.elapsed(),
            best_test_nll: self.at.best_test_nll,
            last_test_nll: self.at.last_test_nll,
        }
    }
}

fn fresh_position() -> Position {
    Position {
        epoch: 1,
        batches_done: 0,
        epoch_closed: false,
        epoch_loss: Loss::default(),
        window: Window::new(Loss::default()),
        skipped: 0,
        failed_saves: 0,
        best_test_nll: None,
        last_test_nll: None,
        elapsed_before: 0.0,
    }
}

/// The plan, trainer and position of the run the checkpoint at `path` left.
type Resumed<B> = (TrainPlan, Trainer<B>, Position, Option<TrainState>);

fn resume_trainer<B: Backend>(b: &B, plan: TrainPlan, path: &Path) -> Result<Resumed<B>> {
    let ck = checkpoint::load(path)?;
    let state = TrainState::from_metadata(&ck.metadata, path)?;
    let Some(adam) = ck.optimizer.as_ref() else {
        bail!(
            "{} has no optimiser state: it cannot be resumed",
            path.display()
        );
    };
    let plan = plan.resumed(&state, ck.config.clone())?;
    let model = Draw::from_values(b, ck.config, &ck.values)?;
    let trainer = Trainer::resume(b, model, plan.train.clone(), adam)?;
    let at = Position {
        epoch: state.epoch,
        batches_done: state.batches_done,
        epoch_closed: state.epoch_closed,
        epoch_loss: state.epoch_loss.into(),
        window: Window::new(state.window.into()),
        skipped: state.skipped,
        failed_saves: 0,
        best_test_nll: state.best_test_nll,
        last_test_nll: state.last_test_nll,
        elapsed_before: state.elapsed_sec,
    };
    Ok((plan, trainer, at, Some(state)))
}

/// Creates the run directory of a fresh run, refusing to overwrite another run's unless
/// `--force`; writes config.json and an empty metrics.jsonl.
fn new_run_dir<B: Backend>(dir: &RunDir, plan: &TrainPlan, b: &B) -> Result<MetricsLog> {
    if dir.holds_run() && !plan.force {
        bail!(
            "{} already holds a run; continue it with --resume {0}, pass --force to overwrite \
             it, or choose another --out",
            dir.root().display()
        );
    }
    let dir = RunDir::create(dir.root())?;
    dir.write_config(&json!({"preset": plan.preset, "model": plan.model, "train": plan.train, "backend": b.name(), "dataset": plan.dataset.name(), "data": plan.data}))?;
    dir.create_metrics()
}

fn announce<B: Backend>(
    plan: &TrainPlan,
    b: &B,
    data: &TrainData,
    dir: &RunDir,
    at: &Position,
    resumed: bool,
) {
    let tc = &plan.train;
    let from = if resumed {
        format!(", resumed at epoch {} batch {}", at.epoch, at.batches_done)
    } else {
        String::new()
    };
    println!(
        "training `{}` on {} ({} from {}: {} train / {} test images), T = {}, batch {}, {} epochs, {} -> {}{from}",
        plan.preset,
        b.name(),
        plan.dataset.name(),
        plan.data.display(),
        data.train.len(),
        data.test.len,
        plan.model.steps,
        tc.batch_size,
        tc.epochs,
        schedule(tc),
        dir.root().display()
    );
}

/// The learning-rate schedule in words: "lr 0.001", or "lr 0.001 × 0.95 per epoch".
pub fn schedule(tc: &draw_core::TrainConfig) -> String {
    if tc.lr_decay == 1.0 {
        format!("lr {}", tc.learning_rate)
    } else {
        format!("lr {} × {} per epoch", tc.learning_rate, tc.lr_decay)
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
