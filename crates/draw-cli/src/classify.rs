//! Classifier runs: `draw train --preset cluttered|cluttered60` (and `--resume` of such a run)
//! and `draw eval` of a classifier checkpoint. Training examples are cluttered afresh each
//! epoch (keyed by (seed, epoch, index)); the validation and test sets are the fixed ones of
//! [`ClutteredSplits`], generated batch by batch so that 100 × 100 sets never sit in memory
//! whole.

use crate::args::TrainArgs;
use crate::backend::{with_backend, BackendChoice, BackendTask};
use crate::eval::to_float;
use crate::plan::{data_dir, resume_checkpoint, Intervals, DEFAULT_LOG_EVERY};
use crate::run_dir::{MetricsLog, RunDir};
use crate::train::{Window, INTERRUPTED_EXIT, MAX_SKIPPED_STEPS};
use anyhow::{bail, Result};
use draw_core::checkpoint;
use draw_core::model::classifier::{
    classifier_preset, Classifier, ClassifierConfig, ClassifierTrainer, Score,
};
use draw_core::{Backend, TrainConfig};
use draw_data::{
    Batcher, ClutterConfig, ClutteredMnist, ClutteredSplits, DatasetName, Generator,
    CLUTTERED_TEST_SEED, CLUTTERED_VALID_SEED,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Metadata key of a classifier run's [`ClassifyState`] in its checkpoint.
pub const CLASSIFY_STATE_KEY: &str = "classify_state";
/// Examples per evaluation batch.
pub const EVAL_BATCH: usize = 100;

/// The cluttered set a classifier of `side × side` images is trained and tested on.
pub fn clutter_for(cfg: &ClassifierConfig) -> Result<ClutterConfig> {
    match (cfg.width, cfg.height, cfg.channels) {
        (100, 100, 1) => Ok(ClutterConfig::CLUTTERED_100),
        (60, 60, 1) => Ok(ClutterConfig::CLUTTERED_60),
        (w, h, c) => bail!(
            "no cluttered-MNIST set of {w}x{h}x{c} images (there are 100x100 and 60x60, one \
             channel)"
        ),
    }
}

/// Whether `draw train` with these flags is a classifier run: a classifier preset, or
/// `--resume` of a classifier checkpoint.
pub fn wants_classifier(a: &TrainArgs) -> Result<bool> {
    if let Some(p) = &a.preset {
        return Ok(classifier_preset(p).is_some());
    }
    match &a.resume {
        Some(r) if resume_checkpoint(r).is_file() => {
            Ok(checkpoint::is_classifier(&resume_checkpoint(r))?)
        }
        _ => Ok(false),
    }
}

/// What a classifier run will do, resolved from the flags.
#[derive(Clone, Debug)]
pub struct ClassifyPlan {
    preset: String,
    model: ClassifierConfig,
    train: TrainConfig,
    data: PathBuf,
    out: PathBuf,
    train_limit: Option<usize>,
    test_limit: Option<usize>,
    log_every: u64,
    checkpoint_every: Option<u64>,
    max_steps: Option<u64>,
    backend: BackendChoice,
    force: bool,
    log_grad_norms: bool,
}

/// Where a classifier run stands at a checkpoint; the random streams are keyed by position.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClassifyState {
    preset: String,
    train: TrainConfig,
    train_limit: Option<usize>,
    test_limit: Option<usize>,
    data: PathBuf,
    log_every: u64,
    checkpoint_every: Option<u64>,
    /// The epoch in progress (1-based) and the batches of it done.
    epoch: usize,
    batches_done: usize,
    metrics_lines: usize,
    elapsed_sec: f64,
    /// The lowest validation error after an epoch so far (whose parameters are in
    /// `best.safetensors`); absent in checkpoints from before it was kept.
    #[serde(default)]
    best_valid_error: Option<f64>,
}

impl ClassifyPlan {
    /// When this run logs (not at its first step), checkpoints and stops.
    fn intervals(&self) -> Intervals {
        Intervals {
            log_every: self.log_every,
            log_first: false,
            checkpoint_every: self.checkpoint_every,
            max_steps: self.max_steps,
        }
    }

    /// Resolves the flags of a fresh classifier run (`a.preset` names a classifier preset).
    pub fn from_args(a: &TrainArgs, now_unix: u64) -> Result<Self> {
        let name = a.preset.as_deref().unwrap_or("cluttered");
        let Some(p) = classifier_preset(name) else {
            bail!("`{name}` is not a classifier preset (cluttered, cluttered60)");
        };
        if a.read.is_some() || a.write.is_some() {
            bail!("--read/--write are for the generative presets; the classifier reads through its N x N window");
        }
        if a.log_every == Some(0) || a.max_steps == Some(0) || a.test_limit == Some(0) {
            bail!("--log-every, --max-steps and --test-limit must be at least 1");
        }
        let model = ClassifierConfig {
            glimpses: a.steps.unwrap_or(p.model.glimpses),
            ..p.model
        };
        let train = TrainConfig {
            epochs: a.epochs.unwrap_or(p.train.epochs),
            batch_size: a.batch_size.unwrap_or(p.train.batch_size),
            learning_rate: a.lr.unwrap_or(p.train.learning_rate),
            lr_decay: a.lr_decay.unwrap_or(p.train.lr_decay),
            clip_norm: match a.clip {
                Some(0.0) => None,
                Some(c) => Some(c),
                None => p.train.clip_norm,
            },
            seed: a.seed.unwrap_or(p.train.seed),
            ..p.train
        };
        model.validate()?;
        train.validate()?;
        Ok(ClassifyPlan {
            preset: p.name.to_string(),
            model,
            train,
            data: data_dir(DatasetName::Mnist, a.data.as_deref()),
            out: a
                .out
                .clone()
                .unwrap_or_else(|| PathBuf::from(format!("runs/{}-{now_unix}", p.name))),
            train_limit: a.train_limit,
            test_limit: a.test_limit,
            log_every: a.log_every.unwrap_or(DEFAULT_LOG_EVERY),
            checkpoint_every: a.checkpoint_every.or(Some(500)).filter(|&n| n > 0),
            max_steps: a.max_steps,
            backend: BackendChoice::from_args(&a.backend)?,
            force: a.force,
            log_grad_norms: a.log_grad_norms,
        })
    }

    /// The plan of `--resume`: the checkpoint's model, optimiser and data, with this
    /// command's `--epochs`, learning-rate schedule, intervals, `--max-steps` and backend.
    /// Refuses flags that would
    /// change the model or the data.
    fn resumed(a: &TrainArgs, state: &ClassifyState, model: ClassifierConfig) -> Result<Self> {
        // The model, optimiser and data flags a fresh run takes, and `--out`.
        let mut given = crate::plan::overrides(a);
        if a.out.is_some() {
            given.push("--out");
        }
        if !given.is_empty() {
            bail!(
                "{} cannot change a resumed run; leave them out, or start a new run",
                given.join(", ")
            );
        }
        let path = resume_checkpoint(a.resume.as_deref().unwrap_or(Path::new(".")));
        let train = crate::plan::resumed_train(&state.train, a.epochs, a.lr, a.lr_decay);
        train.validate()?;
        Ok(ClassifyPlan {
            preset: state.preset.clone(),
            model,
            train,
            data: state.data.clone(),
            out: path
                .parent()
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
            train_limit: state.train_limit,
            test_limit: a.test_limit.or(state.test_limit),
            log_every: a.log_every.unwrap_or(state.log_every),
            checkpoint_every: a
                .checkpoint_every
                .map_or(state.checkpoint_every, |n| Some(n).filter(|&n| n > 0)),
            max_steps: a.max_steps,
            backend: BackendChoice::from_args(&a.backend)?,
            force: false,
            log_grad_norms: a.log_grad_norms,
        })
    }
}

/// `draw train` of a classifier preset or run.
pub fn train(a: &TrainArgs, now_unix: u64) -> Result<()> {
    let stop = crate::train::stop_on_signals()?;
    match &a.resume {
        None => {
            let plan = ClassifyPlan::from_args(a, now_unix)?;
            with_backend(&plan.backend.clone(), Fresh(plan, stop))
        }
        Some(r) => {
            let path = resume_checkpoint(r);
            let ck = checkpoint::load_classifier(&path)?;
            let Some(json) = ck.metadata.get(CLASSIFY_STATE_KEY) else {
                bail!(
                    "{} holds parameters only: it cannot be resumed",
                    path.display()
                );
            };
            let state: ClassifyState = serde_json::from_str(json)?;
            let plan = ClassifyPlan::resumed(a, &state, ck.config.clone())?;
            with_backend(&plan.backend.clone(), Resumed(plan, stop, ck, state))
        }
    }
}

struct Fresh(ClassifyPlan, Arc<AtomicBool>);
struct Resumed(
    ClassifyPlan,
    Arc<AtomicBool>,
    checkpoint::ClassifierCheckpoint,
    ClassifyState,
);

impl BackendTask for Fresh {
    type Output = ();
    fn run<B: Backend>(self, b: &B) -> Result<()> {
        let Fresh(plan, stop) = self;
        let dir = RunDir::new(&plan.out);
        if dir.holds_run() && !plan.force {
            bail!(
                "{} already holds a run; continue it with --resume {0}, pass --force to \
                 overwrite it, or choose another --out",
                dir.root().display()
            );
        }
        let dir = RunDir::create(dir.root())?;
        dir.write_config(&json!({"preset": plan.preset, "task": "classifier", "model": plan.model, "train": plan.train, "backend": b.name(), "data": plan.data}))?;
        let metrics = dir.create_metrics()?;
        let model = Classifier::new(b, plan.model.clone(), plan.train.seed)?;
        let trainer = ClassifierTrainer::new(b, model, plan.train.clone())?;
        Session::new(b, plan, (dir, metrics), trainer, stop, (1, 0, 0.0))?.run()
    }
}

impl BackendTask for Resumed {
    type Output = ();
    fn run<B: Backend>(self, b: &B) -> Result<()> {
        let Resumed(plan, stop, ck, state) = self;
        let Some(adam) = ck.optimizer.as_ref() else {
            bail!("the checkpoint has no optimiser state: it cannot be resumed");
        };
        let model = Classifier::from_values(b, ck.config.clone(), &ck.values)?;
        let trainer = ClassifierTrainer::resume(b, model, plan.train.clone(), adam)?;
        let dir = RunDir::new(&plan.out);
        dir.remove_stale_tmp();
        let metrics = dir.resume_metrics(state.metrics_lines)?;
        let at = (state.epoch, state.batches_done, state.elapsed_sec);
        let mut session = Session::new(b, plan, (dir, metrics), trainer, stop, at)?;
        session.best_valid = state.best_valid_error;
        session.run()
    }
}

/// A classifier training run in progress.
struct Session<'b, B: Backend> {
    b: &'b B,
    plan: ClassifyPlan,
    splits: ClutteredSplits,
    train_len: usize,
    dir: RunDir,
    metrics: MetricsLog,
    trainer: ClassifierTrainer<B>,
    stop: Arc<AtomicBool>,
    epoch: usize,
    batches_done: usize,
    elapsed_before: f64,
    started: Instant,
    window: Window<Score>,
    epoch_score: Score,
    skipped: u32,
    /// The lowest validation error after an epoch so far.
    best_valid: Option<f64>,
}

impl<'b, B: Backend> Session<'b, B> {
    fn new(
        b: &'b B,
        plan: ClassifyPlan,
        (dir, metrics): (RunDir, MetricsLog),
        trainer: ClassifierTrainer<B>,
        stop: Arc<AtomicBool>,
        (epoch, batches_done, elapsed_before): (usize, usize, f64),
    ) -> Result<Self> {
        let splits = ClutteredSplits::load(&plan.data, clutter_for(&plan.model)?)?;
        let train_len = plan.train_limit.map_or(splits.train.epoch_len(), |n| {
            n.min(splits.train.epoch_len())
        });
        if train_len < plan.train.batch_size {
            bail!(
                "batch size {} is larger than the training set ({train_len} examples)",
                plan.train.batch_size
            );
        }
        println!(
            "training classifier `{}` on {} ({train_len} cluttered {}x{} examples an epoch), {} \
             glimpses of {}x{}, batch {}, {} epochs, {} -> {}",
            plan.preset,
            b.name(),
            plan.model.width,
            plan.model.height,
            plan.model.glimpses,
            plan.model.read_n,
            plan.model.read_n,
            plan.train.batch_size,
            plan.train.epochs,
            crate::train::schedule(&plan.train),
            plan.out.display()
        );
        Ok(Session {
            b,
            splits,
            train_len,
            dir,
            metrics,
            trainer,
            stop,
            epoch,
            batches_done,
            elapsed_before,
            started: Instant::now(),
            window: Window::new(Score::default()),
            epoch_score: Score::default(),
            skipped: 0,
            best_valid: None,
            plan,
        })
    }
}

impl<B: Backend> Session<'_, B> {
    /// Every epoch (or up to `--max-steps`).
    fn run(mut self) -> Result<()> {
        let batcher = Batcher::new(
            self.train_len,
            self.plan.train.batch_size,
            true,
            self.plan.train.seed,
        );
        while self.epoch <= self.plan.train.epochs {
            self.trainer.config = self.plan.train.in_epoch(self.epoch);
            let batches = batcher.batches(self.epoch as u64 - 1);
            while self.batches_done < batches.len() {
                self.step(&batches[self.batches_done])?;
                self.batches_done += 1;
                self.after_step()?;
                if self.stop.load(Ordering::SeqCst) {
                    self.save()?;
                    eprintln!(
                        "interrupted after step {}; checkpoint saved. Continue with:\n  draw train --resume {}",
                        self.trainer.steps(),
                        self.dir.root().display()
                    );
                    std::process::exit(INTERRUPTED_EXIT);
                }
                if self.plan.intervals().stops_at(self.trainer.steps()) {
                    self.end_epoch()?;
                    return self.finish();
                }
            }
            let valid = self.end_epoch()?;
            self.epoch += 1;
            self.batches_done = 0;
            self.epoch_score = Score::default();
            let best = self.best_valid.is_none_or(|b| valid < b);
            if best {
                self.best_valid = Some(valid);
            }
            self.save()?;
            if best {
                self.keep_best(valid)?;
            }
        }
        self.finish()
    }

    /// One optimiser step on the training examples `idx` of the current epoch, recorded with
    /// no read-back (a non-finite step is skipped on the backend, parameters kept).
    fn step(&mut self, idx: &[usize]) -> Result<()> {
        let (seed, epoch) = (self.plan.train.seed, self.epoch as u64 - 1);
        let batch = self.splits.train.batch(seed, epoch, idx);
        let x: Vec<B::F> = to_float(&batch.images);
        self.trainer.record(self.b, &x, &batch.labels)?;
        Ok(())
    }

    /// After a step (counted in the position): the ledger is read when a metrics line, a
    /// checkpoint or the end is due, and after every step while steps are being skipped; then
    /// the metrics line and the checkpoint.
    fn after_step(&mut self) -> Result<()> {
        let intervals = self.plan.intervals();
        if self.skipped == 0 && !intervals.reads_at(self.trainer.steps()) {
            return Ok(());
        }
        self.read_window()?;
        let step = self.trainer.steps();
        if intervals.logs_at(step) && self.window.taken > 0 {
            let (w, norm) = (self.window.loss, self.window.mean_grad_norm());
            let ips = self.window.per_second(w.examples);
            let mut line = json!({"step": step, "epoch": self.epoch, "loss": w.mean_loss(), "train_error": w.error_percent(), "grad_norm": norm, "lr": self.trainer.config.learning_rate, "images_per_sec": ips});
            if self.plan.log_grad_norms {
                let (grads, params) = (self.trainer.grads(), self.trainer.model.params());
                crate::train::add_tensor_report(&mut line, self.b, grads, params);
            }
            self.metrics.log(&line)?;
            eprintln!(
                "step {step}: loss {:.3}, train error {:.1} %, {ips:.0} img/s",
                w.mean_loss(),
                w.error_percent()
            );
            self.window = Window::new(Score::default());
        }
        if intervals.checkpoints_at(step) {
            self.save()?;
        }
        Ok(())
    }

    /// Reads what the steps since the last read measured into the metrics window and the
    /// epoch's score; names a skipped step, and stops after [`MAX_SKIPPED_STEPS`] in a row.
    fn read_window(&mut self) -> Result<()> {
        let w = self.trainer.read_window(self.b)?;
        self.window.loss.add(&w.loss);
        self.window.count(&w);
        self.epoch_score.add(&w.loss);
        self.skipped = if w.taken > 0 {
            w.skipped_in_a_row as u32
        } else {
            self.skipped + w.skipped as u32
        };
        if let Some(s) = w.last_skipped {
            let e = s.error();
            eprintln!("{e}: update skipped ({} in a row)", self.skipped);
            if self.skipped >= MAX_SKIPPED_STEPS {
                bail!("{e}, {MAX_SKIPPED_STEPS} steps in a row (try a lower --lr or --clip)");
            }
        }
        Ok(())
    }

    /// Copies the checkpoint just saved (an epoch's end) to `best.safetensors`: the parameters
    /// with the lowest validation error so far, which is how a run's result is chosen.
    fn keep_best(&self, valid: f64) -> Result<()> {
        let best = self.dir.keep_best()?;
        println!(
            "lowest validation error so far ({valid:.2} %): {}",
            best.display()
        );
        Ok(())
    }

    /// Validation and test error, printed and logged; returns the validation error (%).
    fn end_epoch(&mut self) -> Result<f64> {
        self.read_window()?;
        let t0 = Instant::now();
        let limit = self.plan.test_limit;
        let valid = set_error(
            self.b,
            &self.trainer.model,
            &self.splits.valid,
            CLUTTERED_VALID_SEED,
            limit,
        )?;
        let test = set_error(
            self.b,
            &self.trainer.model,
            &self.splits.test,
            CLUTTERED_TEST_SEED,
            limit,
        )?;
        let e = &self.epoch_score;
        println!(
            "epoch {}: train loss {:.3}, train error {:.2} % | validation error {:.2} % | test error {:.2} % ({} images) | eval {:.1}s | {:.0}s elapsed",
            self.epoch,
            e.mean_loss(),
            e.error_percent(),
            valid.error_percent(),
            test.error_percent(),
            test.examples,
            t0.elapsed().as_secs_f64(),
            self.elapsed()
        );
        self.metrics.log(&json!({"epoch": self.epoch, "step": self.trainer.steps(), "train_loss": e.mean_loss(), "train_error": e.error_percent(), "valid_error": valid.error_percent(), "valid_loss": valid.mean_loss(), "test_error": test.error_percent(), "test_loss": test.mean_loss(), "elapsed_sec": self.elapsed()}))?;
        Ok(valid.error_percent())
    }

    fn elapsed(&self) -> f64 {
        self.elapsed_before + self.started.elapsed().as_secs_f64()
    }

    /// The training checkpoint: parameters, optimiser state, [`ClassifyState`]; the ledger is
    /// read first, so the checkpoint counts only the steps taken.
    fn save(&mut self) -> Result<()> {
        self.read_window()?;
        let state = ClassifyState {
            preset: self.plan.preset.clone(),
            train: self.plan.train.clone(),
            train_limit: self.plan.train_limit,
            test_limit: self.plan.test_limit,
            data: self.plan.data.clone(),
            log_every: self.plan.log_every,
            checkpoint_every: self.plan.checkpoint_every,
            epoch: self.epoch,
            batches_done: self.batches_done,
            metrics_lines: self.metrics.lines(),
            elapsed_sec: self.elapsed(),
            best_valid_error: self.best_valid,
        };
        let m = &self.trainer.model;
        checkpoint::save_classifier(
            &self.dir.checkpoint(),
            m.config(),
            &m.values(self.b),
            Some(&self.trainer.adam_state(self.b)),
            &[
                ("step", self.trainer.steps().to_string()),
                ("preset", self.plan.preset.clone()),
                (CLASSIFY_STATE_KEY, serde_json::to_string(&state)?),
            ],
        )?;
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        self.save()?;
        println!(
            "done: {} steps in {:.0}s; checkpoint {}, metrics {}",
            self.trainer.steps(),
            self.elapsed(),
            self.dir.checkpoint().display(),
            self.metrics.path().display()
        );
        Ok(())
    }
}

/// The error of `model` on the fixed set of `gen` under `seed` (epoch 0), the first `limit`
/// examples, generated batch by batch.
pub fn set_error<B: Backend>(
    b: &B,
    model: &Classifier<B>,
    gen: &ClutteredMnist,
    seed: u64,
    limit: Option<usize>,
) -> Result<Score> {
    let n = limit.map_or(gen.epoch_len(), |l| l.min(gen.epoch_len()));
    let mut total = Score::default();
    let idx: Vec<usize> = (0..n).collect();
    for chunk in idx.chunks(EVAL_BATCH) {
        let set = gen.batch(seed, 0, chunk);
        let x: Vec<B::F> = to_float(&set.images);
        total.add(&draw_core::model::classifier::classification_error(
            b,
            model,
            &x,
            &set.labels,
            EVAL_BATCH,
        )?);
    }
    Ok(total)
}

/// `draw eval` of a classifier checkpoint: its test error on the fixed cluttered test set.
pub struct EvalClassifier {
    /// The checkpoint.
    pub checkpoint: PathBuf,
    /// The MNIST directory.
    pub data: PathBuf,
    /// The first N test examples only.
    pub limit: Option<usize>,
}

impl BackendTask for EvalClassifier {
    type Output = ();
    fn run<B: Backend>(self, b: &B) -> Result<()> {
        let ck = checkpoint::load_classifier(&self.checkpoint)?;
        let model = Classifier::from_values(b, ck.config.clone(), &ck.values)?;
        let splits = ClutteredSplits::load(&self.data, clutter_for(&ck.config)?)?;
        let t0 = Instant::now();
        let s = set_error(b, &model, &splits.test, CLUTTERED_TEST_SEED, self.limit)?;
        println!(
            "test error: {:.2} % ({} of {} cluttered {}x{} test images; cross-entropy {:.4} nats), {:.1}s on {}",
            s.error_percent(),
            s.examples - s.correct.round() as usize,
            s.examples,
            ck.config.width,
            ck.config.height,
            s.mean_loss(),
            t0.elapsed().as_secs_f64(),
            b.name()
        );
        Ok(())
    }
}
