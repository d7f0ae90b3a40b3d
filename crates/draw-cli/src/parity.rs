//! `draw parity`: proves that the backends agree. Runs draw-core's op conformance suite on
//! every backend present against the f64 reference, compares one training step's gradients and
//! three Adam updates between the CPU and wgpu backends per parameter tensor, and trains both
//! for the first steps on real MNIST from one seed, printing both loss trajectories; then the
//! same trajectory for the recurrent attention classifier on 60 × 60 cluttered MNIST. Exits
//! non-zero past any tolerance, or when there is only one backend to compare.

use crate::backend::{cpu_backend, wgpu_backend, BackendArgs};
use crate::eval::to_float;
use crate::plan::data_dir;
use anyhow::{bail, Result};
use clap::Args;
use draw_core::conformance::{check_ops, compare_step, step_tolerances, OpCheck};
use draw_core::model::classifier::{
    classifier_preset, Classifier, ClassifierConfig, ClassifierTrainer,
};
use draw_core::prelude::*;
use draw_core::reference::HostBackend;
use draw_core::TrainConfig;
use draw_data::{
    binarize_dynamic, gather, load_mnist, Batcher, ClutterConfig, ClutteredMnist, Dataset,
    DatasetName, Generator, Split,
};
use rand::SeedableRng;
use std::path::PathBuf;

/// Relative difference allowed between the two backends' training losses over the
/// trajectory. Both compute in f32 with other summation orders and their own exp; measured
/// ≤ 5.6e-7 over 50 steps of `mnist` (T = 4, batch 20) on lavapipe. The bound leaves room for
/// a GPU's exp/log (≤ 3 ulp) and for Adam amplifying a near-zero gradient's sign flip.
pub const TRAJECTORY_TOLERANCE: f64 = 1e-5;

/// `draw parity` options.
#[derive(Args, Debug)]
pub struct ParityArgs {
    /// Preset whose model is compared (`draw presets`).
    #[arg(long, default_value = "mnist")]
    pub preset: String,
    /// Glimpses T (default 4, so that the trajectory runs in a minute on a software GPU).
    #[arg(long, default_value_t = 4)]
    pub steps: usize,
    /// Mini-batch size of the trajectory.
    #[arg(long, default_value_t = 20)]
    pub batch_size: usize,
    /// Training steps compared.
    #[arg(long, default_value_t = 50)]
    pub train_steps: usize,
    /// Seed of initialisation, batches, binarisation and noise.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Training steps of the classifier (`cluttered60`, batch `--batch-size`) compared; 0
    /// skips it.
    #[arg(long, default_value_t = 20)]
    pub classifier_steps: usize,
    /// Directory with the MNIST IDX files.
    #[arg(long)]
    pub data: Option<PathBuf>,
    #[command(flatten)]
    pub backend: BackendArgs,
}

fn print_ops(cpu: &[OpCheck], gpu: &[OpCheck]) -> usize {
    println!(
        "{:<58} {:<10} {:>10} {:>10} {:>10} {:>10} {:>8}",
        "op (vs f64 reference)", "output", "cpu abs", "cpu rel", "wgpu abs", "wgpu rel", "tol"
    );
    let mut failures = 0;
    for (c, g) in cpu.iter().zip(gpu) {
        let ok = c.passes() && g.passes();
        failures += usize::from(!ok);
        println!(
            "{:<58} {:<10} {:>10.2e} {:>10.2e} {:>10.2e} {:>10.2e} {:>8.0e}{}",
            c.case,
            c.output,
            c.diff.abs,
            c.diff.rel,
            g.diff.abs,
            g.diff.rel,
            c.tolerance,
            if ok { "" } else { "  FAIL" }
        );
    }
    failures
}

/// The compared model (the preset's, with T = `--steps`) and its training settings.
fn setup(a: &ParityArgs) -> Result<(DrawConfig, TrainConfig)> {
    let preset = draw_core::preset(&a.preset)?;
    let cfg = DrawConfig {
        steps: a.steps,
        ..preset.model
    };
    cfg.validate()?;
    let tc = TrainConfig {
        batch_size: a.batch_size,
        seed: a.seed,
        ..preset.train
    };
    Ok((cfg, tc))
}

/// Losses of the first training steps on real MNIST, one per batch.
fn trajectory<B: Backend>(
    b: &B,
    cfg: &DrawConfig,
    tc: &TrainConfig,
    x_batches: &[Vec<f32>],
) -> Result<Vec<f64>> {
    let model = Draw::new(b, cfg.clone(), tc.seed)?;
    let mut trainer = Trainer::new(b, model, tc.clone())?;
    x_batches
        .iter()
        .map(|x| Ok(trainer.step(b, &to_float::<B::F>(x))?.loss.mean_total()))
        .collect()
}

/// `draw parity`.
pub fn parity(a: ParityArgs) -> Result<()> {
    let cpu = cpu_backend(a.backend.threads)?;
    let gpu = match wgpu_backend(a.backend.adapter.as_deref(), a.backend.require_gpu) {
        Ok(g) => g,
        Err(e) => bail!("parity needs a second backend: wgpu: {e}"),
    };
    println!("backends: {} | {}", cpu.name(), gpu.name());
    let reference = HostBackend::<f64>::new();
    let mut failures = print_ops(&check_ops(&reference, &cpu), &check_ops(&reference, &gpu));
    let (cfg, tc) = setup(&a)?;
    failures += compare_one_step(&cpu, &gpu, &cfg, &a);
    failures += compare_trajectories(&cpu, &gpu, &cfg, &tc, &a)?;
    if a.classifier_steps > 0 {
        failures += compare_classifier(&cpu, &gpu, &a)?;
    }
    if failures > 0 {
        bail!("{failures} comparisons past tolerance");
    }
    println!("parity: every comparison within tolerance");
    Ok(())
}

/// One training step's loss, gradients and three Adam updates, CPU against wgpu; prints the
/// table and returns the number of comparisons past tolerance.
fn compare_one_step<C: Backend>(
    cpu: &C,
    gpu: &draw_wgpu::WgpuBackend,
    cfg: &DrawConfig,
    a: &ParityArgs,
) -> usize {
    let mut failures = 0;
    let (loss_tol, grad_tol, adam_tol) = step_tolerances::<draw_wgpu::WgpuBackend>();
    let cmp = compare_step(cpu, gpu, cfg, a.batch_size);
    let (l0, l1) = cmp.loss;
    let loss_ok = (l0 - l1).abs() <= loss_tol * l0.abs();
    failures += usize::from(!loss_ok);
    println!(
        "\none training step, `{}` with T = {}, batch {}: loss cpu {l0:.6} wgpu {l1:.6}{}",
        a.preset,
        a.steps,
        a.batch_size,
        if loss_ok { "" } else { "  FAIL" }
    );
    println!(
        "{:<22} {:>12} {:>12} {:>14} {:>14}",
        "parameter (cpu|wgpu)", "grad abs", "grad rel", "3 Adam abs", "3 Adam rel"
    );
    for ((name, g), (_, p)) in cmp.grads.iter().zip(&cmp.after_adam) {
        let ok = g.rel <= grad_tol && p.abs <= adam_tol;
        failures += usize::from(!ok);
        println!(
            "{name:<22} {:>12.2e} {:>12.2e} {:>14.2e} {:>14.2e}{}",
            g.abs,
            g.rel,
            p.abs,
            p.rel,
            if ok { "" } else { "  FAIL" }
        );
    }
    println!("(tolerances: gradient rel {grad_tol:.0e}, parameters after 3 Adam steps abs {adam_tol:.0e})");
    failures
}

/// The first `--train-steps` training losses on real MNIST on both backends; prints them and
/// returns 1 if they differ past [`TRAJECTORY_TOLERANCE`], else 0.
fn compare_trajectories<C: Backend, G: Backend>(
    cpu: &C,
    gpu: &G,
    cfg: &DrawConfig,
    tc: &TrainConfig,
    a: &ParityArgs,
) -> Result<usize> {
    let train = load_mnist(
        &data_dir(DatasetName::Mnist, a.data.as_deref()),
        Split::Train,
    )?;
    let mut batcher = Batcher::new(train.len, a.batch_size, true, a.seed);
    let mut rng = rand::rngs::StdRng::seed_from_u64(a.seed);
    let batches: Vec<Vec<f32>> = batcher
        .epoch()
        .into_iter()
        .take(a.train_steps)
        .map(|idx| binarize_dynamic(&gather(&train, &idx), &mut rng))
        .collect();
    let (lc, lg) = (
        trajectory(cpu, cfg, tc, &batches)?,
        trajectory(gpu, cfg, tc, &batches)?,
    );
    println!(
        "\ntraining on MNIST, seed {}: step, loss cpu, loss wgpu, rel diff",
        a.seed
    );
    Ok(print_trajectories(&lc, &lg))
}

/// Prints two loss trajectories side by side; 1 if they differ past
/// [`TRAJECTORY_TOLERANCE`], else 0.
fn print_trajectories(lc: &[f64], lg: &[f64]) -> usize {
    let mut worst: f64 = 0.0;
    for (k, (c, g)) in lc.iter().zip(lg).enumerate() {
        let rel = (c - g).abs() / c.abs();
        worst = worst.max(rel);
        println!("{:>4} {c:>12.5} {g:>12.5} {rel:>10.2e}", k + 1);
    }
    let traj_ok = worst <= TRAJECTORY_TOLERANCE;
    println!(
        "max relative loss difference over {} steps: {worst:.2e} (tolerance {TRAJECTORY_TOLERANCE:.0e}){}",
        lc.len(),
        if traj_ok { "" } else { "  FAIL" }
    );
    usize::from(!traj_ok)
}

/// The classifier's first `--classifier-steps` training losses on 60 × 60 cluttered MNIST
/// (the `cluttered60` preset's model, training digits of epoch 0) on both backends; prints
/// them and returns 1 if they differ past [`TRAJECTORY_TOLERANCE`], else 0.
fn compare_classifier<C: Backend, G: Backend>(cpu: &C, gpu: &G, a: &ParityArgs) -> Result<usize> {
    let Some(preset) = classifier_preset("cluttered60") else {
        bail!("the `cluttered60` classifier preset is missing");
    };
    let mnist = load_mnist(
        &data_dir(DatasetName::Mnist, a.data.as_deref()),
        Split::Train,
    )?;
    let gen = ClutteredMnist::new(ClutterConfig::CLUTTERED_60, &mnist, 0..mnist.len)?;
    let mut batcher = Batcher::new(gen.epoch_len(), a.batch_size, true, a.seed);
    let batches: Vec<Dataset> = batcher
        .epoch()
        .into_iter()
        .take(a.classifier_steps)
        .map(|idx| gen.batch(a.seed, 0, &idx))
        .collect();
    let tc = TrainConfig {
        batch_size: a.batch_size,
        seed: a.seed,
        ..preset.train
    };
    let (lc, lg) = (
        classifier_trajectory(cpu, &preset.model, &tc, &batches)?,
        classifier_trajectory(gpu, &preset.model, &tc, &batches)?,
    );
    println!(
        "\nclassifier `cluttered60` ({} glimpses of {}x{}), batch {}: step, loss cpu, loss wgpu, rel diff",
        preset.model.glimpses, preset.model.read_n, preset.model.read_n, a.batch_size
    );
    Ok(print_trajectories(&lc, &lg))
}

/// The classifier's cross-entropy over the batches, one optimiser step each.
fn classifier_trajectory<B: Backend>(
    b: &B,
    cfg: &ClassifierConfig,
    tc: &TrainConfig,
    batches: &[Dataset],
) -> Result<Vec<f64>> {
    let model = Classifier::new(b, cfg.clone(), tc.seed)?;
    let mut trainer = ClassifierTrainer::new(b, model, tc.clone())?;
    batches
        .iter()
        .map(|d| {
            let x = to_float::<B::F>(&d.images);
            Ok(trainer.step(b, &x, &d.labels)?.0.mean_loss())
        })
        .collect()
}
