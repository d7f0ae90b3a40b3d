//! `draw eval`, and the test-set bound that training reports after each epoch.

use crate::args::EvalArgs;
use crate::backend::{with_backend, BackendTask};
use crate::plan::EvalPlan;
use anyhow::{bail, Result};
use draw_core::checkpoint;
use draw_core::{evaluate, Backend, Draw, DrawConfig, Float, Loss};
use draw_data::{load_mnist, Dataset, Split};
use std::path::Path;
use std::time::Instant;

/// Seed of the static binarisation of the test set: fixed, so every run reports the bound on
/// the same binary images.
pub const TEST_BINARIZATION_SEED: u64 = 2015;
/// Seed of the noise used when evaluating the bound.
pub const EVAL_NOISE_SEED: u64 = 80_97;
/// Examples per evaluation batch. The noise ε of an image depends on its batch and row, so
/// training and `draw eval` both evaluate in batches of this size to report the same bound.
pub const EVAL_BATCH: usize = 100;

/// Test images (the first `limit` if given), statically binarised with
/// [`TEST_BINARIZATION_SEED`].
pub fn binarized_test_set(data: &Path, limit: Option<usize>) -> Result<Dataset> {
    let test = load_mnist(data, Split::Test)?;
    let test = match limit {
        Some(0) => bail!("the test-set limit must be at least 1"),
        Some(n) => test.subset(n),
        None => test,
    };
    Ok(test.binarize_static(TEST_BINARIZATION_SEED))
}

/// Host `f32` values in the backend's float type.
pub fn to_float<F: Float>(v: &[f32]) -> Vec<F> {
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
            data: plan.data.clone(),
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
        let plan = self.0;
        let model = load_model(b, &plan.checkpoint)?;
        let test = binarized_test_set(&plan.data, plan.limit)?;
        check_image_shape(model.config(), &test, "test")?;
        let t0 = Instant::now();
        let l = test_bound(b, &model, &test, plan.batch_size)?;
        println!(
            "test NLL bound: {:.2} nats (Lx {:.2}, Lz {:.2}) over {} images, {:.1}s on {}",
            l.mean_total(),
            l.mean_reconstruction(),
            l.mean_latent(),
            l.examples,
            t0.elapsed().as_secs_f64(),
            b.name()
        );
        if !l.mean_total().is_finite() {
            bail!(
                "the bound is not finite: {} holds parameters that overflow on the test set",
                plan.checkpoint.display()
            );
        }
        Ok(())
    }
}
