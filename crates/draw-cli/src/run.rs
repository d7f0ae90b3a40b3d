//! `draw train`, `draw eval` and `draw sample`.

use crate::images::{write_gif, write_png, GridLayout};
use crate::{default_data_dir, BackendArgs, BackendKind};
use anyhow::{bail, Context, Result};
use clap::Args;
use draw_core::checkpoint;
use draw_core::{
    evaluate, Backend, Draw, DrawConfig, DrawError, Float, Glimpse, Loss, NoiseKey, TrainConfig,
    Trainer,
};
use draw_data::{binarize_dynamic, gather, load_mnist, Batcher, Dataset, Split};
use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Seed of the static binarisation of the test set: fixed, so every run reports the bound on
/// the same binary images.
pub const TEST_BINARIZATION_SEED: u64 = 2015;
/// Seed of the noise used when evaluating the bound.
pub const EVAL_NOISE_SEED: u64 = 80_97;
/// Examples per evaluation batch. The noise ε of an image depends on its batch and row, so
/// training and `draw eval` both evaluate in batches of this size to report the same bound.
pub const EVAL_BATCH: usize = 100;

/// `draw train` options.
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Preset: quick, mnist or mnist-noattn (`draw presets` lists them).
    #[arg(long, default_value = "quick")]
    pub preset: String,
    /// Directory with the MNIST IDX files (raw or .gz).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Run directory (default: runs/<preset>-<unix time>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Passes over the training set (overrides the preset).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Mini-batch size.
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Adam learning rate.
    #[arg(long)]
    pub lr: Option<f64>,
    /// Global gradient-norm clip; 0 disables clipping.
    #[arg(long)]
    pub clip: Option<f64>,
    /// Glimpses T (overrides the preset).
    #[arg(long)]
    pub steps: Option<usize>,
    /// Read operation: `full` or the attention grid size N (overrides the preset).
    #[arg(long, value_parser = parse_glimpse)]
    pub read: Option<Glimpse>,
    /// Write operation: `full` or the attention grid size N (overrides the preset).
    #[arg(long, value_parser = parse_glimpse)]
    pub write: Option<Glimpse>,
    /// Seed for initialisation, shuffling, binarisation and noise.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Train on the first N training images only.
    #[arg(long)]
    pub train_limit: Option<usize>,
    /// Evaluate on the first N test images only.
    #[arg(long)]
    pub test_limit: Option<usize>,
    /// Also write a checkpoint every N optimiser steps (always at each epoch's end).
    #[arg(long, default_value_t = 500)]
    pub checkpoint_every: u64,
    /// Write a metrics line every N optimiser steps.
    #[arg(long, default_value_t = 20)]
    pub log_every: u64,
    /// Stop after this many optimiser steps in total (for smoke runs).
    #[arg(long)]
    pub max_steps: Option<u64>,
    #[command(flatten)]
    pub backend: BackendArgs,
}

/// `draw eval` options.
#[derive(Args, Debug)]
pub struct EvalArgs {
    /// The checkpoint (.safetensors) to evaluate.
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// Directory with the MNIST IDX files.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Evaluate on the first N test images only.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Examples per forward pass (the bound is reproducible for a given batch size; training
    /// reports it with 100).
    #[arg(long, default_value_t = EVAL_BATCH)]
    pub batch_size: usize,
    #[command(flatten)]
    pub backend: BackendArgs,
}

/// `draw sample` options.
#[derive(Args, Debug)]
pub struct SampleArgs {
    /// The checkpoint (.safetensors) to sample from.
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// Directory for samples.png and canvas.gif (default: the checkpoint's directory).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Number of samples.
    #[arg(long, default_value_t = 64)]
    pub n: usize,
    /// Noise seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[command(flatten)]
    pub backend: BackendArgs,
}

/// Parses `full` or an attention grid size.
fn parse_glimpse(s: &str) -> std::result::Result<Glimpse, String> {
    if s == "full" {
        return Ok(Glimpse::Full);
    }
    s.parse::<usize>()
        .map(|n| Glimpse::Attention { n })
        .map_err(|_| format!("`{s}`: expected `full` or a grid size N"))
}

/// Test images, statically binarised with [`TEST_BINARIZATION_SEED`].
pub fn binarized_test_set(data: &Path, limit: Option<usize>) -> Result<Dataset> {
    let test = load_mnist(data, Split::Test)?;
    let test = match limit {
        Some(0) => bail!("the test-set limit must be at least 1"),
        Some(n) => test.subset(n),
        None => test,
    };
    Ok(test.binarize_static(TEST_BINARIZATION_SEED))
}

fn to_float<F: Float>(v: &[f32]) -> Vec<F> {
    v.iter().map(|&x| F::of(x as f64)).collect()
}

/// The negative log-likelihood bound on `set`, in batches of `batch`.
pub fn test_bound<B: Backend>(b: &B, model: &Draw<B>, set: &Dataset, batch: usize) -> Result<Loss> {
    if batch == 0 {
        bail!("the evaluation batch size must be at least 1");
    }
    let data: Vec<B::F> = to_float(&set.images);
    let chunk = batch.min(set.len.max(1)) * set.image_size();
    Ok(evaluate(b, model, data.chunks(chunk), EVAL_NOISE_SEED)?)
}

fn check_image_shape(cfg: &DrawConfig, set: &Dataset, what: &str) -> Result<()> {
    if (set.width, set.height, set.channels) != (cfg.width, cfg.height, cfg.channels) {
        bail!(
            "{what} images are {}x{}x{}, the model expects {}x{}x{}",
            set.width,
            set.height,
            set.channels,
            cfg.width,
            cfg.height,
            cfg.channels
        );
    }
    Ok(())
}

struct Metrics(std::fs::File, PathBuf);

impl Metrics {
    fn log(&mut self, v: serde_json::Value) -> Result<()> {
        writeln!(self.0, "{v}").with_context(|| format!("writing {}", self.1.display()))
    }
}

fn save<B: Backend>(b: &B, model: &Draw<B>, path: &Path, step: u64, epoch: usize) -> Result<()> {
    checkpoint::save(
        path,
        model.config(),
        &model.values(b),
        &[("step", step.to_string()), ("epoch", epoch.to_string())],
    )?;
    Ok(())
}

/// `draw train`.
pub fn train(a: TrainArgs) -> Result<()> {
    match a.backend.kind() {
        BackendKind::Cpu => train_on(&a.backend.cpu()?, a),
        BackendKind::Wgpu => train_on(&a.backend.wgpu()?, a),
    }
}

fn train_on<B: Backend>(b: &B, a: TrainArgs) -> Result<()> {
    let preset = draw_core::preset(&a.preset)?;
    let mut model_cfg = preset.model.clone();
    if let Some(t) = a.steps {
        model_cfg.steps = t;
    }
    if let Some(g) = a.read {
        model_cfg.read = g;
    }
    if let Some(g) = a.write {
        model_cfg.write = g;
    }
    let tc = TrainConfig {
        epochs: a.epochs.unwrap_or(preset.train.epochs),
        batch_size: a.batch_size.unwrap_or(preset.train.batch_size),
        learning_rate: a.lr.unwrap_or(preset.train.learning_rate),
        clip_norm: match a.clip {
            Some(0.0) => None,
            Some(c) => Some(c),
            None => preset.train.clip_norm,
        },
        seed: a.seed.unwrap_or(preset.train.seed),
        ..preset.train.clone()
    };
    model_cfg.validate()?;
    tc.validate()?;
    let data_dir = a.data.clone().unwrap_or_else(default_data_dir);
    let train_set = load_mnist(&data_dir, Split::Train)?;
    let train_set = match a.train_limit {
        Some(n) => train_set.subset(n),
        None => train_set,
    };
    let test_set = binarized_test_set(&data_dir, a.test_limit)?;
    check_image_shape(&model_cfg, &train_set, "training")?;
    check_image_shape(&model_cfg, &test_set, "test")?;
    if train_set.len < tc.batch_size {
        bail!(
            "batch size {} is larger than the training set ({} images)",
            tc.batch_size,
            train_set.len
        );
    }
    let out = a.out.clone().unwrap_or_else(|| {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        PathBuf::from(format!("runs/{}-{t}", preset.name))
    });
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let cfg_path = out.join("config.json");
    std::fs::write(&cfg_path, serde_json::to_string_pretty(&json!({"preset": preset.name, "model": model_cfg, "train": tc, "backend": b.name(), "data": data_dir}))?)
        .with_context(|| format!("writing {}", cfg_path.display()))?;
    let metrics_path = out.join("metrics.jsonl");
    let mut metrics = Metrics(
        std::fs::File::create(&metrics_path)
            .with_context(|| format!("creating {}", metrics_path.display()))?,
        metrics_path.clone(),
    );
    let ckpt = out.join("checkpoint.safetensors");

    let model = Draw::new(b, model_cfg.clone(), tc.seed)?;
    let mut trainer = Trainer::new(b, model, tc.clone())?;
    let mut batcher = Batcher::new(train_set.len, tc.batch_size, true, tc.seed);
    let mut rng = rand::rngs::StdRng::seed_from_u64(tc.seed ^ 0xb1_4a_21);
    println!(
        "training `{}` on {} ({} train / {} test images), T = {}, batch {}, {} epochs -> {}",
        preset.name,
        b.name(),
        train_set.len,
        test_set.len,
        model_cfg.steps,
        tc.batch_size,
        tc.epochs,
        out.display()
    );
    let per_epoch = batcher.batches_per_epoch() as u64;
    let pb = ProgressBar::new(per_epoch * tc.epochs as u64);
    pb.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}")?
            .progress_chars("=> "),
    );
    let started = Instant::now();
    let mut done = false;
    for epoch in 1..=tc.epochs {
        let mut window = (Loss::default(), Instant::now());
        let mut epoch_loss = Loss::default();
        for idx in batcher.epoch() {
            let x = binarize_dynamic(&gather(&train_set, &idx), &mut rng);
            let x: Vec<B::F> = to_float(&x);
            let stats = match trainer.step(b, &x) {
                Ok(s) => s,
                Err(e @ DrawError::NonFinite { .. }) => {
                    // The parameters are those before the failing step: keep them.
                    let rescue = out.join("last-good.safetensors");
                    save(b, &trainer.model, &rescue, trainer.steps(), epoch)?;
                    pb.abandon();
                    bail!(
                        "{e}; the last good parameters are in {} (try a lower --lr or --clip)",
                        rescue.display()
                    );
                }
                Err(e) => return Err(e.into()),
            };
            window.0.add(&stats.loss);
            epoch_loss.add(&stats.loss);
            let step = trainer.steps();
            pb.inc(1);
            if step % a.log_every.max(1) == 0 || step == 1 {
                let secs = window.1.elapsed().as_secs_f64();
                let ips = window.0.examples as f64 / secs;
                pb.set_message(format!(
                    "loss {:.2} (Lx {:.2} Lz {:.2}) {:.0} img/s",
                    window.0.mean_total(),
                    window.0.mean_reconstruction(),
                    window.0.mean_latent(),
                    ips
                ));
                metrics.log(json!({"step": step, "epoch": epoch, "loss": window.0.mean_total(), "lx": window.0.mean_reconstruction(), "lz": window.0.mean_latent(), "grad_norm": stats.grad_norm, "images_per_sec": ips}))?;
                window = (Loss::default(), Instant::now());
            }
            if a.checkpoint_every > 0 && step % a.checkpoint_every == 0 {
                save(b, &trainer.model, &ckpt, step, epoch)?;
            }
            if a.max_steps.is_some_and(|m| step >= m) {
                done = true;
                break;
            }
        }
        save(b, &trainer.model, &ckpt, trainer.steps(), epoch)?;
        let t0 = Instant::now();
        let test = test_bound(b, &trainer.model, &test_set, EVAL_BATCH)?;
        let line = format!(
            "epoch {epoch}: train {:.2} nats | test bound {:.2} nats (Lx {:.2}, Lz {:.2}) | eval {:.1}s | {:.0}s elapsed",
            epoch_loss.mean_total(),
            test.mean_total(),
            test.mean_reconstruction(),
            test.mean_latent(),
            t0.elapsed().as_secs_f64(),
            started.elapsed().as_secs_f64()
        );
        pb.println(&line);
        if pb.is_hidden() {
            println!("{line}");
        }
        metrics.log(json!({"epoch": epoch, "step": trainer.steps(), "train_loss": epoch_loss.mean_total(), "test_nll": test.mean_total(), "test_lx": test.mean_reconstruction(), "test_lz": test.mean_latent(), "elapsed_sec": started.elapsed().as_secs_f64()}))?;
        if done {
            break;
        }
    }
    pb.finish_and_clear();
    write_samples(b, &trainer.model, &out, 64, 0)?;
    println!(
        "done: {} steps in {:.0}s; checkpoint {}, metrics {}, samples {}",
        trainer.steps(),
        started.elapsed().as_secs_f64(),
        ckpt.display(),
        metrics_path.display(),
        out.join("samples.png").display()
    );
    Ok(())
}

fn load_model<B: Backend>(b: &B, path: &Path) -> Result<Draw<B>> {
    let ck = checkpoint::load(path)?;
    Ok(Draw::from_values(b, ck.config, &ck.values)?)
}

/// `draw eval`.
pub fn eval(a: EvalArgs) -> Result<()> {
    match a.backend.kind() {
        BackendKind::Cpu => eval_on(&a.backend.cpu()?, &a),
        BackendKind::Wgpu => eval_on(&a.backend.wgpu()?, &a),
    }
}

fn eval_on<B: Backend>(b: &B, a: &EvalArgs) -> Result<()> {
    let model = load_model(b, &a.checkpoint)?;
    let data = a.data.clone().unwrap_or_else(default_data_dir);
    let test = binarized_test_set(&data, a.limit)?;
    check_image_shape(model.config(), &test, "test")?;
    let t0 = Instant::now();
    let l = test_bound(b, &model, &test, a.batch_size)?;
    println!(
        "test NLL bound: {:.2} nats (Lx {:.2}, Lz {:.2}) over {} images, {:.1}s on {}",
        l.mean_total(),
        l.mean_reconstruction(),
        l.mean_latent(),
        l.examples,
        t0.elapsed().as_secs_f64(),
        b.name()
    );
    Ok(())
}

fn write_samples<B: Backend>(
    b: &B,
    model: &Draw<B>,
    out: &Path,
    n: usize,
    seed: u64,
) -> Result<()> {
    if n == 0 || n > 10_000 {
        bail!("--n must be between 1 and 10000, got {n}");
    }
    let cfg = model.config();
    let frames = model.generate(b, n, NoiseKey::new(seed, u64::MAX / 2))?;
    let layout = GridLayout::new(n, cfg.width, cfg.height, cfg.channels);
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    write_png(
        &out.join("samples.png"),
        &layout,
        frames.last().expect("T >= 1"),
    )?;
    write_gif(&out.join("canvas.gif"), &layout, &frames)?;
    Ok(())
}

/// `draw sample`.
pub fn sample(a: SampleArgs) -> Result<()> {
    match a.backend.kind() {
        BackendKind::Cpu => sample_on(&a.backend.cpu()?, &a),
        BackendKind::Wgpu => sample_on(&a.backend.wgpu()?, &a),
    }
}

fn sample_on<B: Backend>(b: &B, a: &SampleArgs) -> Result<()> {
    let model = load_model(b, &a.checkpoint)?;
    let out = a.out.clone().unwrap_or_else(|| {
        a.checkpoint
            .parent()
            .map_or(PathBuf::from("."), Path::to_path_buf)
    });
    write_samples(b, &model, &out, a.n, a.seed)?;
    println!(
        "wrote {} and {}",
        out.join("samples.png").display(),
        out.join("canvas.gif").display()
    );
    Ok(())
}
