//! Plans: what `draw train`, `draw eval` and `draw sample` will do, resolved from their flags
//! by pure functions (presets and overrides applied, everything validated) before anything
//! runs, in the spirit of ripgrep's low-level/high-level arguments.

use crate::args::{EvalArgs, ModelArgs, SampleArgs, TrainArgs};
use crate::backend::BackendChoice;
use anyhow::{bail, Result};
use draw_core::{DrawConfig, TrainConfig};
use draw_data::DatasetName;
use std::path::{Path, PathBuf};

/// The MNIST copy shipped with the repository: `data/mnist` under the working directory, or
/// under the source tree this binary was built from.
pub fn default_data_dir() -> PathBuf {
    let here = PathBuf::from("data/mnist");
    if here.exists() {
        return here;
    }
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/mnist"))
}

/// Where Debian's `dataset-fashion-mnist` package puts the four files.
pub const DEBIAN_FASHION_MNIST: &str = "/usr/share/datasets/fashion-mnist";

/// The folder `draw data download NAME` fills by default: `data/<name>`.
pub fn download_dir(dataset: DatasetName) -> PathBuf {
    PathBuf::from("data").join(dataset.name())
}

/// Where a data set is looked for without `--data`: the shipped MNIST for mnist and mnist2;
/// `data/<name>` (where `draw data download` puts it); for Fashion-MNIST, Debian's folder
/// when `data/fashion-mnist` does not exist.
pub fn default_dataset_dir(dataset: DatasetName) -> PathBuf {
    match dataset {
        DatasetName::Mnist | DatasetName::Mnist2 => default_data_dir(),
        DatasetName::FashionMnist if !download_dir(dataset).exists() => {
            PathBuf::from(DEBIAN_FASHION_MNIST)
        }
        _ => download_dir(dataset),
    }
}

/// `--data` if given, else [`default_dataset_dir`].
pub fn data_dir(dataset: DatasetName, given: Option<&Path>) -> PathBuf {
    given.map_or_else(|| default_dataset_dir(dataset), Path::to_path_buf)
}

/// The model `base` on the images of `dataset` in `dir`: the image size and channels are the
/// data set's (read from the first image for a folder of images).
pub fn model_for(base: &DrawConfig, dataset: DatasetName, dir: &Path) -> Result<DrawConfig> {
    let (channels, height, width) = dataset.shape(dir)?;
    Ok(DrawConfig {
        channels,
        height,
        width,
        ..base.clone()
    })
}

fn check_test_limit(limit: Option<usize>) -> Result<()> {
    if limit == Some(0) {
        bail!("the test-set limit must be at least 1");
    }
    Ok(())
}

/// What `draw train` will do.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainPlan {
    /// The preset's name.
    pub preset: &'static str,
    /// The data set: the preset's, or `--dataset`.
    pub dataset: DatasetName,
    /// The model: the preset's on the data set's image size, with `--steps`, `--read` and
    /// `--write` applied.
    pub model: DrawConfig,
    /// The optimiser settings: the preset's, with the flags applied (`--clip 0`: no clip).
    pub train: TrainConfig,
    /// The data set's directory.
    pub data: PathBuf,
    /// The run directory.
    pub out: PathBuf,
    /// Train on the first N training images only.
    pub train_limit: Option<usize>,
    /// Evaluate on the first N test images only (at least 1).
    pub test_limit: Option<usize>,
    /// A metrics line every this many steps (at least 1), and after the first.
    pub log_every: u64,
    /// A checkpoint every this many steps besides each epoch's end (`None`: epoch ends only).
    pub checkpoint_every: Option<u64>,
    /// Stop after this many optimiser steps in total.
    pub max_steps: Option<u64>,
    /// Where the model runs.
    pub backend: BackendChoice,
    /// The checkpoint to continue from (`--resume`), resolved to a file.
    pub resume: Option<PathBuf>,
    /// Overwrite an existing run in `out` (`--force`).
    pub force: bool,
    /// Print each step's device work on stderr (`--trace-gpu`).
    pub trace_gpu: bool,
    /// Per-tensor gradient norms and parameter maxima in each metrics line
    /// (`--log-grad-norms`).
    pub log_grad_norms: bool,
    /// The model and optimiser flags given on the command line, which a resumed run refuses
    /// (it keeps the checkpoint's).
    pub overrides: Vec<&'static str>,
    /// Which of the settings a resumed run otherwise keeps from its checkpoint were given.
    pub given: Given,
}

/// Whether `--epochs`, `--log-every` and `--checkpoint-every` were given on the command line,
/// and the learning-rate schedule given (a resumed run keeps its own values of those that were
/// not).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Given {
    /// `--lr`.
    pub lr: Option<f64>,
    /// `--lr-decay`.
    pub lr_decay: Option<f64>,
    /// `--epochs`.
    pub epochs: bool,
    /// `--log-every`.
    pub log_every: bool,
    /// `--checkpoint-every`.
    pub checkpoint_every: bool,
}

/// A metrics line every this many steps unless `--log-every` says otherwise.
pub const DEFAULT_LOG_EVERY: u64 = 20;
/// A checkpoint every this many steps unless `--checkpoint-every` says otherwise.
pub const DEFAULT_CHECKPOINT_EVERY: u64 = 500;

/// The checkpoint `--resume PATH` names: PATH itself, or PATH/checkpoint.safetensors when
/// PATH is a directory (a run directory).
pub fn resume_checkpoint(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join("checkpoint.safetensors")
    } else {
        path.to_path_buf()
    }
}

/// The model, optimiser and data flags `a` sets that a resumed run refuses (all but the
/// learning-rate schedule, `--lr` and `--lr-decay`, which may change between runs).
pub fn overrides(a: &TrainArgs) -> Vec<&'static str> {
    let given = [
        ("--preset", a.preset.is_some()),
        ("--dataset", a.dataset.is_some()),
        ("--steps", a.steps.is_some()),
        ("--read", a.read.is_some()),
        ("--write", a.write.is_some()),
        ("--batch-size", a.batch_size.is_some()),
        ("--clip", a.clip.is_some()),
        ("--seed", a.seed.is_some()),
        ("--train-limit", a.train_limit.is_some()),
        ("--data", a.data.is_some()),
    ];
    given.iter().filter(|g| g.1).map(|g| g.0).collect()
}

/// The optimiser settings a resumed run continues with: the checkpoint's `saved`, with the
/// epochs and the learning-rate schedule given on the command line (`None`: kept).
pub fn resumed_train(
    saved: &TrainConfig,
    epochs: Option<usize>,
    lr: Option<f64>,
    lr_decay: Option<f64>,
) -> TrainConfig {
    TrainConfig {
        epochs: epochs.unwrap_or(saved.epochs),
        learning_rate: lr.unwrap_or(saved.learning_rate),
        lr_decay: lr_decay.unwrap_or(saved.lr_decay),
        ..saved.clone()
    }
}

/// Refuses intervals of 0 (they used to become 1 silently).
fn check_intervals(a: &TrainArgs) -> Result<()> {
    if a.log_every == Some(0) {
        bail!("--log-every must be at least 1 (a metrics line every N steps)");
    }
    if a.max_steps == Some(0) {
        bail!("--max-steps must be at least 1");
    }
    Ok(())
}

impl TrainPlan {
    /// Resolves `a`: the preset, its overrides and the defaults, validated. `now_unix` (seconds
    /// since 1970) names the default run directory, `runs/<preset>-<now_unix>`.
    pub fn from_args(a: &TrainArgs, now_unix: u64) -> Result<Self> {
        let backend = BackendChoice::from_args(&a.backend)?;
        if a.trace_gpu && !matches!(backend, BackendChoice::Wgpu { .. }) {
            bail!("--trace-gpu counts device work: it applies to --backend wgpu only");
        }
        check_intervals(a)?;
        let preset = draw_core::preset(a.preset.as_deref().unwrap_or("quick"))?;
        let dataset = DatasetName::parse(a.dataset.as_deref().unwrap_or(preset.dataset))?;
        let model = DrawConfig {
            steps: a.steps.unwrap_or(preset.model.steps),
            read: a.read.unwrap_or(preset.model.read),
            write: a.write.unwrap_or(preset.model.write),
            ..model_for(
                &preset.model,
                dataset,
                &data_dir(dataset, a.data.as_deref()),
            )?
        };
        let train = TrainConfig {
            epochs: a.epochs.unwrap_or(preset.train.epochs),
            batch_size: a.batch_size.unwrap_or(preset.train.batch_size),
            learning_rate: a.lr.unwrap_or(preset.train.learning_rate),
            lr_decay: a.lr_decay.unwrap_or(preset.train.lr_decay),
            clip_norm: match a.clip {
                Some(0.0) => None,
                Some(c) => Some(c),
                None => preset.train.clip_norm,
            },
            seed: a.seed.unwrap_or(preset.train.seed),
            ..preset.train.clone()
        };
        model.validate()?;
        train.validate()?;
        check_test_limit(a.test_limit)?;
        Ok(TrainPlan {
            preset: preset.name,
            dataset,
            model,
            train,
            data: data_dir(dataset, a.data.as_deref()),
            out: match (&a.resume, &a.out) {
                (Some(r), None) => resume_checkpoint(r)
                    .parent()
                    .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
                (Some(_), Some(_)) => {
                    bail!("--resume continues the run where it is; leave out --out")
                }
                (None, out) => out
                    .clone()
                    .unwrap_or_else(|| PathBuf::from(format!("runs/{}-{now_unix}", preset.name))),
            },
            train_limit: a.train_limit,
            test_limit: a.test_limit,
            log_every: a.log_every.unwrap_or(DEFAULT_LOG_EVERY),
            checkpoint_every: match a.checkpoint_every.unwrap_or(DEFAULT_CHECKPOINT_EVERY) {
                0 => None,
                n => Some(n),
            },
            given: Given {
                lr: a.lr,
                lr_decay: a.lr_decay,
                epochs: a.epochs.is_some(),
                log_every: a.log_every.is_some(),
                checkpoint_every: a.checkpoint_every.is_some(),
            },
            max_steps: a.max_steps,
            backend,
            resume: a.resume.as_deref().map(resume_checkpoint),
            force: a.force,
            trace_gpu: a.trace_gpu,
            log_grad_norms: a.log_grad_norms,
            overrides: overrides(a),
        })
    }

    /// When this run logs, checkpoints and stops (it also logs its first step).
    pub fn intervals(&self) -> Intervals {
        Intervals {
            log_every: self.log_every,
            log_first: true,
            checkpoint_every: self.checkpoint_every,
            max_steps: self.max_steps,
        }
    }

    /// Whether optimiser step `step` (1-based) writes a metrics line.
    pub fn logs_at(&self, step: u64) -> bool {
        self.intervals().logs_at(step)
    }

    /// Whether optimiser step `step` writes a checkpoint (besides the one at each epoch's end).
    pub fn checkpoints_at(&self, step: u64) -> bool {
        self.intervals().checkpoints_at(step)
    }

    /// Whether training stops after optimiser step `step`.
    pub fn stops_at(&self, step: u64) -> bool {
        self.intervals().stops_at(step)
    }
}

/// When a training run (generative or classifier) writes a metrics line and a checkpoint, and
/// when it stops, by optimiser step (1-based).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Intervals {
    /// A metrics line every this many steps.
    pub log_every: u64,
    /// Whether step 1 also writes one.
    pub log_first: bool,
    /// A checkpoint every this many steps (besides each epoch's end), if any.
    pub checkpoint_every: Option<u64>,
    /// The step after which training stops, if any.
    pub max_steps: Option<u64>,
}

impl Intervals {
    /// Whether step `step` writes a metrics line.
    pub fn logs_at(&self, step: u64) -> bool {
        step.is_multiple_of(self.log_every) || (self.log_first && step == 1)
    }

    /// Whether step `step` writes a checkpoint.
    pub fn checkpoints_at(&self, step: u64) -> bool {
        self.checkpoint_every
            .is_some_and(|n| step.is_multiple_of(n))
    }

    /// Whether training stops after step `step`.
    pub fn stops_at(&self, step: u64) -> bool {
        self.max_steps.is_some_and(|m| step >= m)
    }

    /// Whether anything after step `step` needs the ledger read: a metrics line, a checkpoint
    /// or the stop.
    pub fn reads_at(&self, step: u64) -> bool {
        self.logs_at(step) || self.checkpoints_at(step) || self.stops_at(step)
    }
}

/// The seconds since 1970 now (0 if the clock is before it).
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// What `draw eval` will do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalPlan {
    /// The checkpoint to evaluate.
    pub checkpoint: PathBuf,
    /// `--dataset` (`None`: the one the checkpoint records).
    pub dataset: Option<DatasetName>,
    /// `--data` (`None`: the directory the checkpoint records, or the data set's default).
    pub data: Option<PathBuf>,
    /// Evaluate on the first N test images only (at least 1).
    pub limit: Option<usize>,
    /// Examples per forward pass (at least 1).
    pub batch_size: usize,
    /// Posterior samples per image for the importance-weighted bound, 1 to
    /// [`MAX_IWAE_SAMPLES`] (1: the variational bound only).
    pub samples: usize,
    /// Where the model runs.
    pub backend: BackendChoice,
}

/// The most posterior samples per image `draw eval --samples` takes.
pub const MAX_IWAE_SAMPLES: usize = 100_000;

impl EvalPlan {
    /// Resolves and validates `a`.
    pub fn from_args(a: &EvalArgs) -> Result<Self> {
        let backend = BackendChoice::from_args(&a.backend)?;
        check_test_limit(a.limit)?;
        if a.batch_size == 0 {
            bail!("the evaluation batch size must be at least 1");
        }
        if !(1..=MAX_IWAE_SAMPLES).contains(&a.samples) {
            bail!(
                "--samples {}: the number of posterior samples per image must be between 1 and \
                 {MAX_IWAE_SAMPLES}",
                a.samples
            );
        }
        Ok(EvalPlan {
            checkpoint: model_checkpoint(&a.model)?,
            dataset: a.dataset.as_deref().map(DatasetName::parse).transpose()?,
            data: a.data.clone(),
            limit: a.limit,
            batch_size: a.batch_size,
            samples: a.samples,
            backend,
        })
    }
}

/// File name of a shipped model's parameters in its directory (`models/NAME/`).
pub const MODEL_FILE: &str = "model.safetensors";

/// The shipped models' directory: `models/` under the current directory if it exists, else
/// the repository's (where this binary was built from).
pub fn models_dir() -> PathBuf {
    let here = PathBuf::from("models");
    if here.is_dir() {
        return here;
    }
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../models"))
}

/// The checkpoint `--checkpoint` names, or the shipped model `--pretrained NAME`'s
/// `models/NAME/model.safetensors` (refused, naming where it looked, when absent).
fn model_checkpoint(m: &ModelArgs) -> Result<PathBuf> {
    match (m.checkpoint.as_deref(), m.pretrained.as_deref()) {
        (Some(c), None) => Ok(c.to_path_buf()),
        (None, Some(name)) => {
            let plain = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
            if name.is_empty() || !name.chars().all(plain) {
                bail!("--pretrained `{name}`: a model name is letters, digits, `-` and `_`");
            }
            let path = models_dir().join(name).join(MODEL_FILE);
            if !path.is_file() {
                bail!(
                    "no shipped model `{name}`: {} does not exist (ship one with `draw export \
                     --checkpoint RUN/checkpoint.safetensors --out models/{name}`)",
                    path.display()
                );
            }
            Ok(path)
        }
        _ => bail!("give exactly one of --checkpoint and --pretrained"),
    }
}

/// The most samples `draw sample` draws at once.
pub const MAX_SAMPLES: usize = 10_000;

/// What `draw sample` will do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SamplePlan {
    /// The checkpoint to sample from.
    pub checkpoint: PathBuf,
    /// The directory for samples.png and canvas.gif.
    pub out: PathBuf,
    /// Number of samples, 1 to [`MAX_SAMPLES`].
    pub n: usize,
    /// Noise seed.
    pub seed: u64,
    /// Where the model runs.
    pub backend: BackendChoice,
}

impl SamplePlan {
    /// Resolves and validates `a`; the output directory defaults to the checkpoint's.
    pub fn from_args(a: &SampleArgs) -> Result<Self> {
        let backend = BackendChoice::from_args(&a.backend)?;
        check_sample_count(a.n)?;
        let checkpoint = model_checkpoint(&a.model)?;
        let out = match (&a.out, &a.model.pretrained) {
            (Some(o), _) => o.clone(),
            (None, Some(name)) => PathBuf::from("runs").join(format!("pretrained-{name}")),
            (None, None) => checkpoint
                .parent()
                .map_or(PathBuf::from("."), Path::to_path_buf),
        };
        Ok(SamplePlan {
            checkpoint,
            out,
            n: a.n,
            seed: a.seed,
            backend,
        })
    }
}

/// Refuses a sample count outside 1 to [`MAX_SAMPLES`].
pub fn check_sample_count(n: usize) -> Result<()> {
    if n == 0 || n > MAX_SAMPLES {
        bail!("--n must be between 1 and {MAX_SAMPLES}, got {n}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Cli, Command};
    use clap::Parser;
    use draw_core::Glimpse;

    fn train(flags: &[&str]) -> Result<TrainPlan> {
        let cli = Cli::try_parse_from(["draw", "train"].iter().chain(flags))?;
        let Command::Train(a) = cli.command else {
            unreachable!("parsed `draw train`")
        };
        TrainPlan::from_args(&a, 1234)
    }

    fn message(r: Result<impl std::fmt::Debug>) -> String {
        format!("{:#}", r.unwrap_err())
    }

    #[test]
    fn defaults_are_the_presets() {
        let p = train(&[]).unwrap();
        let quick = draw_core::preset("quick").unwrap();
        assert_eq!(
            (p.preset, &p.model, &p.train),
            ("quick", &quick.model, &quick.train)
        );
        assert_eq!(p.out, PathBuf::from("runs/quick-1234"));
        assert_eq!(
            (p.data, p.dataset),
            (default_data_dir(), DatasetName::Mnist)
        );
        assert_eq!(
            (p.log_every, p.checkpoint_every, p.max_steps),
            (20, Some(500), None)
        );
        assert_eq!(p.backend, BackendChoice::Cpu { threads: None });
    }

    #[test]
    fn overrides_are_applied() {
        let p = train(&[
            "--preset",
            "mnist",
            "--steps",
            "7",
            "--read",
            "full",
            "--write",
            "3",
            "--epochs",
            "2",
            "--batch-size",
            "10",
            "--lr",
            "0.01",
            "--clip",
            "5",
            "--seed",
            "9",
            "--data",
            "d",
            "--out",
            "o",
            "--train-limit",
            "30",
            "--test-limit",
            "20",
        ])
        .unwrap();
        let m = &p.model;
        assert_eq!(
            (p.preset, m.steps, m.read, m.write),
            ("mnist", 7, Glimpse::Full, Glimpse::Attention { n: 3 })
        );
        let mnist = draw_core::preset("mnist").unwrap();
        assert_eq!(
            (m.enc_size, m.z_size),
            (mnist.model.enc_size, mnist.model.z_size)
        );
        let t = &p.train;
        assert_eq!(
            (t.epochs, t.batch_size, t.learning_rate, t.clip_norm, t.seed),
            (2, 10, 0.01, Some(5.0), 9)
        );
        assert_eq!((t.beta1, t.beta2), (mnist.train.beta1, mnist.train.beta2));
        assert_eq!(
            (p.data.as_path(), p.out.as_path()),
            (Path::new("d"), Path::new("o"))
        );
        assert_eq!((p.train_limit, p.test_limit), (Some(30), Some(20)));
    }

    #[test]
    fn presets_name_their_data_set_and_the_model_takes_its_image_size() {
        for (flags, dataset, shape, dir) in [
            (
                &["--preset", "mnist2"][..],
                DatasetName::Mnist2,
                (1, 60, 60),
                default_data_dir(),
            ),
            (
                &["--preset", "svhn"],
                DatasetName::Svhn,
                (3, 32, 32),
                "data/svhn".into(),
            ),
            (
                &["--preset", "cifar"],
                DatasetName::Cifar10,
                (3, 32, 32),
                "data/cifar10".into(),
            ),
            (
                &["--preset", "quick", "--dataset", "cifar10", "--data", "c"],
                DatasetName::Cifar10,
                (3, 32, 32),
                "c".into(),
            ),
            (
                &["--dataset", "fashion-mnist"],
                DatasetName::FashionMnist,
                (1, 28, 28),
                default_dataset_dir(DatasetName::FashionMnist),
            ),
        ] {
            let p = train(flags).unwrap();
            let m = &p.model;
            assert_eq!(
                (p.dataset, (m.channels, m.height, m.width), p.data),
                (dataset, shape, dir)
            );
        }
        let p = train(&["--preset", "cifar", "--dataset", "mnist"]).unwrap();
        let cifar = draw_core::preset("cifar").unwrap().model;
        assert_eq!(
            (p.model.width, p.model.channels, p.model.enc_size),
            (28, 1, cifar.enc_size)
        );
        assert!(message(train(&["--dataset", "imagenet"])).contains("known: mnist"));
        // Table 3's 12 x 12 glimpse does not fit a smaller image: refused by name.
        assert!(
            message(train(&["--preset", "svhn", "--steps", "2", "--read", "40"])).contains("read")
        );
    }

    #[test]
    fn clip_zero_disables_clipping() {
        assert_eq!(train(&["--clip", "0"]).unwrap().train.clip_norm, None);
        assert!(train(&[]).unwrap().train.clip_norm.is_some());
    }

    #[test]
    fn intervals_are_resolved() {
        let p = train(&[
            "--log-every",
            "1",
            "--checkpoint-every",
            "0",
            "--max-steps",
            "3",
        ])
        .unwrap();
        assert_eq!((p.log_every, p.checkpoint_every), (1, None));
        assert!(p.logs_at(1) && p.logs_at(2) && !p.checkpoints_at(500));
        assert!(!p.stops_at(2) && p.stops_at(3));
        let p = train(&["--log-every", "5", "--checkpoint-every", "4"]).unwrap();
        assert!(p.logs_at(1) && !p.logs_at(2) && p.logs_at(10));
        assert!(!p.checkpoints_at(2) && p.checkpoints_at(8) && !p.stops_at(u64::MAX));
    }

    #[test]
    fn invalid_configs_are_refused_by_name() {
        for (flags, needle) in [
            (&["--steps", "0"][..], "steps"),
            (&["--epochs", "0"], "epochs"),
            (&["--batch-size", "0"], "batch_size"),
            (&["--lr=-1"], "learning_rate"),
            (&["--read", "0"], "read"),
            (&["--preset", "nope"], "unknown preset"),
            (&["--test-limit", "0"], "test-set limit"),
            (&["--adapter", "x"], "--adapter"),
            (&["--require-gpu"], "--require-gpu"),
            (&["--trace-gpu"], "--trace-gpu"),
            (&["--threads", "0"], "--threads"),
            (&["--threads", "1025"], "--threads"),
            (&["--log-every", "0"], "--log-every"),
            (&["--max-steps", "0"], "--max-steps"),
        ] {
            let m = message(train(flags));
            assert!(m.contains(needle), "{flags:?}: {m}");
        }
    }

    #[test]
    fn eval_and_sample_plans_are_validated() {
        let eval = |flags: &[&str]| {
            let cli =
                Cli::try_parse_from(["draw", "eval", "--checkpoint", "c"].iter().chain(flags))?;
            let Command::Eval(a) = cli.command else {
                unreachable!()
            };
            EvalPlan::from_args(&a)
        };
        let p = eval(&[]).unwrap();
        assert_eq!(
            (p.batch_size, p.limit, p.data, p.dataset),
            (100, None, None, None)
        );
        let p = eval(&["--dataset", "svhn", "--data", "d"]).unwrap();
        assert_eq!(
            (p.dataset, p.data),
            (Some(DatasetName::Svhn), Some("d".into()))
        );
        assert!(message(eval(&["--dataset", "imagenet"])).contains("unknown data set"));
        assert!(message(eval(&["--limit", "0"])).contains("test-set limit"));
        assert!(message(eval(&["--batch-size", "0"])).contains("batch size"));
        assert!(message(eval(&["--samples", "0"])).contains("posterior samples"));
        assert!(message(eval(&["--samples", "100001"])).contains("posterior samples"));
        assert_eq!(eval(&["--samples", "1000"]).unwrap().samples, 1000);

        let sample = |flags: &[&str]| {
            let cli = Cli::try_parse_from(["draw", "sample"].iter().chain(flags))?;
            let Command::Sample(a) = cli.command else {
                unreachable!()
            };
            SamplePlan::from_args(&a)
        };
        let p = sample(&["--checkpoint", "runs/x/c.safetensors"]).unwrap();
        assert_eq!((p.out.as_path(), p.n, p.seed), (Path::new("runs/x"), 64, 0));
        let p = sample(&["--checkpoint", "c", "--out", "o", "--n", "9"]).unwrap();
        assert_eq!((p.out.as_path(), p.n), (Path::new("o"), 9));
        assert!(message(sample(&["--checkpoint", "c", "--n", "0"])).contains("--n"));
        assert!(message(sample(&["--checkpoint", "c", "--n", "10001"])).contains("10000"));
    }

    #[test]
    fn pretrained_models_are_named_plainly_and_must_exist() {
        let sample = |flags: &[&str]| {
            let cli = Cli::try_parse_from(["draw", "sample"].iter().chain(flags))?;
            let Command::Sample(a) = cli.command else {
                unreachable!()
            };
            SamplePlan::from_args(&a)
        };
        assert!(message(sample(&[])).contains("--checkpoint"));
        assert!(
            message(sample(&["--checkpoint", "c", "--pretrained", "mnist"]))
                .contains("cannot be used with")
        );
        for bad in ["../x", "", "a/b", "m n"] {
            let m = message(sample(&["--pretrained", bad]));
            assert!(m.contains("letters, digits"), "{bad}: {m}");
        }
        let m = message(sample(&["--pretrained", "no-such-model-here"]));
        assert!(m.contains("no shipped model `no-such-model-here`"), "{m}");
        assert!(m.contains("draw export"), "{m}");
    }

    /// Seeded random command lines (flags of train, eval and sample with hostile values) go
    /// through clap and the plans: an error or a plan, never a panic.
    #[test]
    fn fuzzed_command_lines_never_panic() {
        const FLAGS: &[&str] = &[
            "--preset",
            "--dataset",
            "--data",
            "--out",
            "--epochs",
            "--batch-size",
            "--lr",
            "--clip",
            "--steps",
            "--read",
            "--write",
            "--seed",
            "--train-limit",
            "--test-limit",
            "--checkpoint-every",
            "--log-every",
            "--max-steps",
            "--resume",
            "--force",
            "--pretrained",
            "--samples",
            "--backend",
            "--threads",
            "--adapter",
            "--checkpoint",
            "--limit",
            "--n",
        ];
        const VALUES: &[&str] = &[
            "0",
            "1",
            "-1",
            "2",
            "1e309",
            "NaN",
            "inf",
            "-0",
            "18446744073709551616",
            "4294967296",
            "",
            "full",
            "mnist",
            "quick",
            "svhn",
            "cifar",
            "mnist2",
            "cifar10",
            "cpu",
            "wgpu",
            "abc",
            "99999999999",
            "0.0",
            "1e-300",
            "/nonexistent",
            ".",
            "\u{0}",
            "65",
        ];
        let mut state = 0x5eed_u64;
        let mut next = |n: usize| {
            state = draw_data::mix_key(state, 1);
            (state % n as u64) as usize
        };
        let mut tried = 0;
        for _ in 0..4000 {
            let sub = ["train", "eval", "sample"][next(3)];
            let mut argv = vec!["draw".to_string(), sub.to_string()];
            for _ in 0..next(6) {
                argv.push(FLAGS[next(FLAGS.len())].to_string());
                if next(5) > 0 {
                    argv.push(VALUES[next(VALUES.len())].to_string());
                }
            }
            let outcome = std::panic::catch_unwind(|| match Cli::try_parse_from(&argv) {
                Ok(cli) => match cli.command {
                    Command::Train(a) => TrainPlan::from_args(&a, 1).map(|_| ()),
                    Command::Eval(a) => EvalPlan::from_args(&a).map(|_| ()),
                    Command::Sample(a) => SamplePlan::from_args(&a).map(|_| ()),
                    _ => Ok(()),
                },
                Err(e) => Err(e.into()),
            });
            assert!(outcome.is_ok(), "panicked on {argv:?}");
            tried += 1;
        }
        println!("fuzzed command lines: {tried}, panics: 0");
    }

    #[test]
    fn intervals_read_the_ledger_only_where_something_is_due() {
        let i = Intervals {
            log_every: 5,
            log_first: false,
            checkpoint_every: Some(4),
            max_steps: Some(7),
        };
        assert!(!i.logs_at(1) && i.logs_at(5) && i.checkpoints_at(8));
        let due: Vec<u64> = (1..=9).filter(|&s| i.reads_at(s)).collect();
        assert_eq!(due, [4, 5, 7, 8, 9]);
        assert!(Intervals {
            log_first: true,
            ..i
        }
        .logs_at(1));
    }
}
