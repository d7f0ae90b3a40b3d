//! `draw`: train, evaluate and sample DRAW models, and benchmark a backend.
//!
//! Each command parses its flags ([`args`]), resolves them into a plan by a pure function
//! ([`plan`]), then runs its work on the chosen backend ([`backend::with_backend`]).

mod args;
mod backend;
mod bench;
mod boxes;
mod classify;
mod data_cmd;
mod datasets;
mod download;
mod eval;
mod export;
mod glimpses;
mod images;
mod parity;
mod plan;
mod plot;
mod resume;
mod run_dir;
mod sample;
mod train;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// DRAW: a recurrent VAE that draws images step by step (Gregor et al., 2015).
#[derive(Parser)]
#[command(name = "draw", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a model on a data set (MNIST by default; the classifier presets on cluttered
    /// MNIST); writes metrics, checkpoints and samples under the run directory.
    Train(Box<args::TrainArgs>),
    /// Test-set negative log-likelihood bound (nats) of a checkpoint, or a classifier's test
    /// error.
    Eval(args::EvalArgs),
    /// A PNG grid of samples and a GIF of the canvas over the T steps.
    Sample(args::SampleArgs),
    /// PNG charts of a run's metrics.jsonl: the bound against epochs and wall time, L^x and
    /// L^z, and the KL of each step at the last evaluation.
    Plot(plot::PlotArgs),
    /// A training checkpoint as a model to ship: parameters only, config, and its measured
    /// bound (for models/NAME/, used by `--pretrained NAME`).
    Export(args::ExportArgs),
    /// Where a classifier looks: each glimpse's read window on test images (PNG strip, GIF).
    Glimpses(glimpses::GlimpsesArgs),
    /// Training, evaluation and sampling throughput.
    Bench(bench::BenchArgs),
    /// List the presets.
    Presets,
    /// Prove the backends agree: every op, one step's gradients and Adam, and 50 training
    /// steps on MNIST, CPU against wgpu; non-zero exit past tolerance.
    Parity(parity::ParityArgs),
    /// List the GPU adapters `--backend wgpu` can use, best first.
    Adapters,
    /// The data sets: which are present (`list`), and fetching them (`download NAME`).
    #[command(subcommand)]
    Data(data_cmd::DataCommand),
}

/// `draw presets`.
fn presets() {
    for p in draw_core::presets() {
        println!("{:<14} {}", p.name, p.description);
    }
    for p in draw_core::model::classifier::classifier_presets() {
        println!("{:<14} {}", p.name, p.description);
    }
}

/// `draw adapters`.
fn adapters() {
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
}

fn run(command: Command) -> Result<()> {
    match command {
        Command::Train(a) => train::train(*a),
        Command::Eval(a) => eval::eval(a),
        Command::Sample(a) => sample::sample(a),
        Command::Plot(a) => plot::plot(a),
        Command::Export(a) => export::export(a),
        Command::Glimpses(a) => glimpses::glimpses(a),
        Command::Bench(a) => bench::bench(a),
        Command::Parity(a) => parity::parity(a),
        Command::Data(c) => data_cmd::data(c),
        Command::Presets => {
            presets();
            Ok(())
        }
        Command::Adapters => {
            adapters();
            Ok(())
        }
    }
}

fn main() {
    if let Err(e) = run(Cli::parse().command) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
