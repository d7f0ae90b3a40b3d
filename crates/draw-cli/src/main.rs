//! `draw`: train, evaluate and sample DRAW models, and benchmark a backend.

mod bench;
mod images;
mod parity;
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
    /// Prove the backends agree: every op, one step's gradients and Adam, and 50 training
    /// steps on MNIST, CPU against wgpu; non-zero exit past tolerance.
    Parity(parity::ParityArgs),
    /// List the GPU adapters `--backend wgpu` can use, best first.
    Adapters,
}

/// Where the model runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BackendKind {
    /// ndarray + gemm + rayon on all cores, f32.
    Cpu,
    /// WGSL compute shaders through wgpu (Vulkan, Metal, DX12, GL), f32.
    Wgpu,
}

/// Options shared by every command that builds a backend.
#[derive(Args, Clone, Debug)]
pub struct BackendArgs {
    /// Backend to run on [default: cpu; `bench`: every backend present].
    #[arg(long, value_enum)]
    pub backend: Option<BackendKind>,
    /// Worker threads for the CPU backend (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// GPU adapter for `--backend wgpu`: part of its name as `draw adapters` prints it
    /// (default: the best; `WGPU_BACKEND=vulkan|metal|dx12|gl` narrows the search).
    #[arg(long)]
    pub adapter: Option<String>,
}

impl BackendArgs {
    /// The backend asked for, CPU by default.
    pub fn kind(&self) -> BackendKind {
        self.backend.unwrap_or(BackendKind::Cpu)
    }

    /// Builds the wgpu backend on the chosen adapter; the error names the remedy.
    pub fn wgpu(&self) -> Result<draw_wgpu::WgpuBackend> {
        Ok(draw_wgpu::WgpuBackend::with_adapter(
            self.adapter.as_deref(),
        )?)
    }

    /// Builds the CPU backend even when `--adapter` names the GPU (commands that use both).
    pub fn cpu_ignoring_adapter(&self) -> Result<draw_cpu::CpuBackend<f32>> {
        BackendArgs {
            adapter: None,
            ..self.clone()
        }
        .cpu()
    }

    /// Builds the CPU backend.
    pub fn cpu(&self) -> Result<draw_cpu::CpuBackend<f32>> {
        if self.adapter.is_some() {
            bail!("--adapter applies to --backend wgpu only");
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
        Command::Parity(a) => parity::parity(a),
        Command::Presets => {
            for p in draw_core::presets() {
                println!("{:<14} {}", p.name, p.description);
            }
            Ok(())
        }
        Command::Adapters => {
            let names = draw_wgpu::adapter_names();
            if names.is_empty() {
                eprintln!(
                    "{}",
                    draw_wgpu::WgpuError::NoAdapter {
                        backends: "all".into()
                    }
                );
            }
            for n in names {
                println!("{n}");
            }
            Ok(())
        }
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
