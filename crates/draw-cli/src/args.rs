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
    /// Preset: quick, mnist, mnist-noattn, mnist2, svhn or cifar (`draw presets` lists them)
    /// [default: quick].
    #[arg(long)]
    pub preset: Option<String>,
    /// Data set: mnist, fashion-mnist, mnist2, cifar10, svhn, or folder (your own PNG images
    /// in DIR/train and DIR/test, e.g. 54x54 SVHN patches) [default: the preset's]; the model's
    /// image size is the data set's.
    #[arg(long)]
    pub dataset: Option<String>,
    /// Directory with the data set's files (default: data/mnist for mnist and mnist2,
    /// data/<name> for the others, /usr/share/datasets/fashion-mnist as Debian installs it).
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
    /// Adam learning rate: epoch e trains at lr · decay^(e − 1) (see --lr-decay); a resumed
    /// run may change it.
    #[arg(long)]
    pub lr: Option<f64>,
    /// Multiply the learning rate by this after every epoch, in (0, 1] [default: 1, constant];
    /// a resumed run may change it.
    #[arg(long)]
    pub lr_decay: Option<f64>,
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
    /// Debugging: after every step, print on stderr what it sent to the device (dispatches,
    /// GEMMs, submits, blocking read-backs, bytes read back; `--backend wgpu` only).
    #[arg(long)]
    pub trace_gpu: bool,
    /// Debugging: each metrics line also records, per parameter tensor, the norm of the last
    /// step's gradient (`grad_norms`) and the largest |value| (`param_max`): one extra
    /// read-back per line.
    #[arg(long)]
    pub log_grad_norms: bool,
    #[command(flatten)]
    pub backend: BackendArgs,
}

/// Which model `draw eval` and `draw sample` load: a checkpoint or a shipped model.
#[derive(Args, Clone, Debug)]
pub struct ModelArgs {
    /// The checkpoint (.safetensors).
    #[arg(
        long,
        required_unless_present = "pretrained",
        conflicts_with = "pretrained"
    )]
    pub checkpoint: Option<PathBuf>,
    /// A model shipped in the repository's `models/NAME/` (e.g. `mnist`) instead of
    /// `--checkpoint`.
    #[arg(long)]
    pub pretrained: Option<String>,
}

/// `draw eval` options.
#[derive(Args, Clone, Debug)]
pub struct EvalArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Data set [default: the one the checkpoint was trained on].
    #[arg(long)]
    pub dataset: Option<String>,
    /// Directory with the data set's files [default: the training run's].
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Evaluate on the first N test images only.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Examples per forward pass (the bound is reproducible for a given batch size; training
    /// reports it with 100). With `--samples K`, rows (image samples) per forward pass.
    #[arg(long, default_value_t = EVAL_BATCH)]
    pub batch_size: usize,
    /// Posterior samples K per image: above 1, also the importance-weighted bound
    /// (log of the mean of K importance weights per image).
    #[arg(long, default_value_t = 1)]
    pub samples: usize,
    #[command(flatten)]
    pub backend: BackendArgs,
}

/// `draw sample` options.
#[derive(Args, Clone, Debug)]
pub struct SampleArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Directory for samples.png and canvas.gif (default: the checkpoint's directory;
    /// runs/pretrained-NAME for `--pretrained NAME`).
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

/// `draw export` options.
#[derive(Args, Clone, Debug)]
pub struct ExportArgs {
    /// The training checkpoint to export (its run's config.json and metrics.jsonl, when
    /// beside it, say how it was trained).
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// Directory for model.safetensors, config.json, model.json and README.md (e.g.
    /// models/mnist).
    #[arg(long)]
    pub out: PathBuf,
    /// Directory with the MNIST IDX files.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Record the bound on the first N test images (what the shipped-model test checks on
    /// both backends, so small enough for a software GPU in CI).
    #[arg(long, default_value_t = 100)]
    pub eval_limit: usize,
    /// Overwrite a model already in `--out`.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub backend: BackendArgs,
}
