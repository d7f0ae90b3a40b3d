//! `draw eval`, and the test-set bound that training reports after each epoch.

use crate::args::EvalArgs;
use crate::backend::{with_backend, BackendTask};
use crate::datasets::load_test;
use crate::plan::EvalPlan;
use anyhow::{bail, Result};
use draw_core::checkpoint;
use draw_core::{evaluate_steps, importance_weighted, Backend, Draw, DrawConfig, Float, StepBound};
use draw_data::{Dataset, DatasetName};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Seed of the static binarisation of the test set: fixed, so every run reports the bound on
/// the same binary images.
pub const TEST_BINARIZATION_SEED: u64 = 2015;
/// Seed of the noise used when evaluating the bound.
pub const EVAL_NOISE_SEED: u64 = 80_97;
/// Seed of the posterior samples of the importance-weighted bound.
pub const IWAE_NOISE_SEED: u64 = 2016;
/// Examples per evaluation batch. The noise ε of an image depends on its batch and row, so
/// training and `draw eval` both evaluate in batches of this size to report the same bound.
pub const EVAL_BATCH: usize = 100;

/// A bound in nats per image as bits per dimension: nats / (C·H·W·ln 2).
pub fn bits_per_dim(nats: f64, cfg: &DrawConfig) -> f64 {
    nats / (cfg.image_size() as f64 * std::f64::consts::LN_2)
}

/// The data set and directory `draw eval` uses: `--dataset`/`--data` when given, else what
/// the checkpoint's training state records, else the data set whose images have the model's
/// size (MNIST for 28 × 28 grey, two-digit MNIST for 60 × 60 grey).
pub fn eval_data(
    given: (Option<DatasetName>, Option<&Path>),
    checkpoint: &Path,
    meta: &std::collections::HashMap<String, String>,
    cfg: &DrawConfig,
) -> Result<(DatasetName, PathBuf)> {
    let state = crate::resume::TrainState::from_metadata(meta, checkpoint).ok();
    let recorded = state.as_ref().map(|s| s.dataset()).transpose()?;
    let by_shape = || match (cfg.channels, cfg.height, cfg.width) {
        (1, 28, 28) => Ok(DatasetName::Mnist),
        (1, 60, 60) => Ok(DatasetName::Mnist2),
        (c, h, w) => Err(anyhow::anyhow!(
            "{} records no data set and its {w}x{h}x{c} images match several; pass --dataset",
            checkpoint.display()
        )),
    };
    let dataset = match (given.0, recorded) {
        (Some(d), _) | (None, Some(d)) => d,
        (None, None) => by_shape()?,
    };
    let data = match (given.1, &state) {
        (Some(d), _) => d.to_path_buf(),
        (None, Some(s)) if Some(dataset) == recorded => s.data.clone(),
        _ => crate::plan::default_dataset_dir(dataset),
    };
    Ok((dataset, data))
}

/// Host `f32` values in the backend's float type.
pub fn to_float<F: Float>(v: &[f32]) -> Vec<F> {
    v.iter().map(|&x| F::of(x as f64)).collect()
}

/// The negative log-likelihood bound on `set` with each step's KL, in batches of `batch`.
pub fn test_bound<B: Backend>(
    b: &B,
    model: &Draw<B>,
    set: &Dataset,
    batch: usize,
) -> Result<StepBound> {
    if batch == 0 {
        bail!("the evaluation batch size must be at least 1");
    }
    let data: Vec<B::F> = to_float(&set.images);
    let chunk = batch.min(set.len.max(1)) * set.image_size();
    Ok(evaluate_steps(
        b,
        model,
        data.chunks(chunk),
        EVAL_NOISE_SEED,
    )?)
}

/// Each step's mean KL rounded to 1e-4 nats, for a metrics line.
pub fn rounded_kl_steps(s: &StepBound) -> Vec<f64> {
    s.mean_kl_steps()
        .iter()
        .map(|k| (k * 1e4).round() / 1e4)
        .collect()
}

/// Refuses images whose size differs from the model's; `what` names the set.
pub fn check_image_shape(cfg: &DrawConfig, set: &Dataset, what: &str) -> Result<()> {
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

/// The model a checkpoint holds, on `b`.
pub fn load_model<B: Backend>(b: &B, path: &Path) -> Result<Draw<B>> {
    let ck = checkpoint::load(path)?;
    Ok(Draw::from_values(b, ck.config, &ck.values)?)
}

/// `draw eval`.
pub fn eval(a: EvalArgs) -> Result<()> {
    let plan = EvalPlan::from_args(&a)?;
    if plan.checkpoint.is_file() && checkpoint::is_classifier(&plan.checkpoint)? {
        let task = crate::classify::EvalClassifier {
            checkpoint: plan.checkpoint.clone(),
            // Cluttered MNIST is generated from MNIST.
            data: crate::plan::data_dir(DatasetName::Mnist, plan.data.as_deref()),
            limit: plan.limit,
        };
        return with_backend(&plan.backend.clone(), task);
    }
    with_backend(&plan.backend.clone(), Eval(plan))
}

/// `draw eval`'s work on a backend.
struct Eval(EvalPlan);

impl BackendTask for Eval {
    type Output = ();

    fn run<B: Backend>(self, b: &B) -> Result<()> {
        let plan: EvalPlan = self.0;
        let ck = checkpoint::load(&plan.checkpoint)?;
        let given = (plan.dataset, plan.data.as_deref());
        let (dataset, data) = eval_data(given, &plan.checkpoint, &ck.metadata, &ck.config)?;
        let model = Draw::from_values(b, ck.config, &ck.values)?;
        let test = load_test(dataset, &data, plan.limit)?;
        check_image_shape(model.config(), &test, "test")?;
        let t0 = Instant::now();
        let s = test_bound(b, &model, &test, plan.batch_size)?;
        let l = &s.loss;
        println!(
            "test NLL bound: {:.2} nats per image = {:.4} bits/dim (Lx {:.2}, Lz {:.2}) over {} {} test images, {:.1}s on {}",
            l.mean_total(),
            bits_per_dim(l.mean_total(), model.config()),
            l.mean_reconstruction(),
            l.mean_latent(),
            l.examples,
            dataset.name(),
            t0.elapsed().as_secs_f64(),
            b.name()
        );
        println!("KL per step (nats): {}", kl_steps_line(&s.mean_kl_steps()));
        let finite = |v: f64| -> Result<()> {
            if !v.is_finite() {
                bail!(
                    "the bound is not finite: {} holds parameters that overflow on the test set",
                    plan.checkpoint.display()
                );
            }
            Ok(())
        };
        finite(l.mean_total())?;
        if plan.samples > 1 {
            let t0 = Instant::now();
            let x: Vec<B::F> = to_float(&test.images);
            let iw = importance_weighted(
                b,
                &model,
                &x,
                plan.samples,
                (plan.batch_size, IWAE_NOISE_SEED),
            )?;
            println!(
                "importance-weighted bound (K = {}): {:.2} nats over {} images, {:.1}s",
                plan.samples,
                iw.mean_nll(),
                iw.log_px.len(),
                t0.elapsed().as_secs_f64()
            );
            finite(iw.mean_nll())?;
        }
        Ok(())
    }
}

/// Per-step KL values, 2 decimals, space-separated.
fn kl_steps_line(k: &[f64]) -> String {
    k.iter()
        .map(|v| format!("{v:.2}"))
        .collect::<Vec<_>>()
        .join(" ")
}
