//! `draw`: train, evaluate and sample DRAW models, and benchmark a backend.

mod bench;
mod images;
mod run;

use anyhow::{bail, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// DRAW: a recurrent VAE that draws images step by step (Gregor et al., 2015).
#[derive(Parser)]
#[command(name = "draw", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a model on MNIST; writes metrics, checkpoints and samples under the run directory.
    Train(run::TrainArgs),
    /// Test-set negative log-likelihood bound (nats) of a checkpoint.
    Eval(run::EvalArgs),
    /// A PNG grid of samples and a GIF of the canvas over the T steps.
    Sample(run::SampleArgs),
    /// Training, evaluation and sampling throughput.
    Bench(bench::BenchArgs),
    /// List the presets.
    Presets,
}

/// Where the model runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BackendKind {
    /// ndarray + gemm + rayon on all cores, f32.
    Cpu,
    /// WGSL compute shaders (not in this build yet).
    Wgpu,
}

/// Options shared by every command that builds a backend.
#[derive(Args, Clone, Debug)]
pub struct BackendArgs {
    /// Backend to run on.
    #[arg(long, value_enum, default_value = "cpu")]
    pub backend: BackendKind,
    /// Worker threads for the CPU backend (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

impl BackendArgs {
    /// Builds the CPU backend, or explains why the requested one is unavailable.
    pub fn cpu(&self) -> Result<draw_cpu::CpuBackend<f32>> {
        if self.backend == BackendKind::Wgpu {
            bail!("the wgpu backend is not part of this build yet; use --backend cpu");
        }
        if let Some(t) = self.threads {
            if t == 0 {
                bail!("--threads must be at least 1");
            }
            // Fails only if the pool was already built, in which case it keeps its size.
            let _ = rayon::ThreadPoolBuilder::new()
                .num_threads(t)
                .build_global();
        }
        Ok(draw_cpu::CpuBackend::new())
    }
}

/// The MNIST copy shipped with the repository: `data/mnist` under the working directory, or
/// under the source tree this binary was built from.
pub fn default_data_dir() -> PathBuf {
    let here = PathBuf::from("data/mnist");
    if here.exists() {
        return here;
    }
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/mnist"))
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Train(a) => run::train(a),
        Command::Eval(a) => run::eval(a),
        Command::Sample(a) => run::sample(a),
        Command::Bench(a) => bench::bench(a),
        Command::Presets => {
            for p in draw_core::presets() {
                println!("{:<14} {}", p.name, p.description);
            }
            Ok(())
        }
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
