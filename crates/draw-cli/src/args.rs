//! The flags of `draw train`, `draw eval` and `draw sample` as clap parses them (low-level
//! arguments); [`crate::plan`] resolves them into what a command does.

use crate::backend::BackendArgs;
use crate::eval::EVAL_BATCH;
use clap::Args;
use draw_core::Glimpse;
use std::path::PathBuf;

/// `draw train` options.
#[derive(Args, Clone, Debug)]
pub struct TrainArgs {
    /// Preset: quick, mnist or mnist-noattn (`draw presets` lists them) [default: quick].
    #[arg(long)]
    pub preset: Option<String>,
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
    /// Also write a checkpoint every N optimiser steps (always at each epoch's end); 0: epoch
    /// ends only [default: 500, or the resumed run's].
    #[arg(long)]
    pub checkpoint_every: Option<u64>,
    /// Write a metrics line every N optimiser steps [default: 20, or the resumed run's].
    #[arg(long)]
    pub log_every: Option<u64>,
    /// Stop after this many optimiser steps in total (for smoke runs).
    #[arg(long)]
    pub max_steps: Option<u64>,
    /// Continue the run in this directory (or from this checkpoint file) exactly where its
    /// last checkpoint left it; `--epochs` may extend it.
    #[arg(long)]
    pub resume: Option<PathBuf>,
    /// Overwrite the run already in `--out` instead of refusing.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub backend: BackendArgs,
}

/// `draw eval` options.
#[derive(Args, Clone, Debug)]
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
#[derive(Args, Clone, Debug)]
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
    /// Also write canvas-boxes.gif: the canvas with each step's write window drawn as a box
    /// (attention writes only; the paper's Fig. 7).
    #[arg(long)]
    pub boxes: bool,
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
