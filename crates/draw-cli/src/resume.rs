//! What a training checkpoint holds besides the parameters and the optimiser: where the run
//! stands, so that `draw train --resume` continues it exactly.

use crate::plan::TrainPlan;
use anyhow::{bail, Context, Result};
use draw_core::{Loss, TrainConfig};
use draw_data::DatasetName;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Metadata key of the [`TrainState`] (JSON) in a training checkpoint.
pub const TRAIN_STATE_KEY: &str = "train_state";

/// Loss sums as a checkpoint stores them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LossSums {
    /// Σ L^x.
    pub reconstruction: f64,
    /// Σ L^z.
    pub latent: f64,
    /// Examples summed.
    pub examples: usize,
}

impl From<Loss> for LossSums {
    fn from(l: Loss) -> Self {
        LossSums {
            reconstruction: l.reconstruction,
            latent: l.latent,
            examples: l.examples,
        }
    }
}

impl From<LossSums> for Loss {
    fn from(l: LossSums) -> Self {
        Loss {
            reconstruction: l.reconstruction,
            latent: l.latent,
            examples: l.examples,
        }
    }
}

/// Where a run stands at a checkpoint. The random streams need no state of their own: the
/// shuffle of epoch e is keyed by (seed, e), the binarisation of batch k by (seed, k) and the
/// noise of optimiser step s by (seed, s), so the position and the step count restore them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    /// The preset the run started from.
    pub preset: String,
    /// The optimiser settings (with `epochs` as last extended).
    pub train: TrainConfig,
    /// `--train-limit` of the run.
    pub train_limit: Option<usize>,
    /// `--test-limit` of the run.
    pub test_limit: Option<usize>,
    /// The data set of the run (absent in checkpoints from before data sets were named:
    /// MNIST).
    #[serde(default)]
    pub dataset: Option<String>,
    /// The data set's directory of the run.
    pub data: std::path::PathBuf,
    /// A metrics line every this many steps.
    pub log_every: u64,
    /// A checkpoint every this many steps (`None`: epoch ends only).
    pub checkpoint_every: Option<u64>,
    /// The epoch in progress (1-based).
    pub epoch: usize,
    /// Batches of that epoch already trained on.
    pub batches_done: usize,
    /// Whether that epoch's end (checkpoint, test bound, metrics line) is done.
    pub epoch_closed: bool,
    /// The epoch's loss sums so far.
    pub epoch_loss: LossSums,
    /// The loss sums since the last metrics line.
    pub window: LossSums,
    /// Consecutive optimiser steps skipped for a non-finite loss or gradient.
    pub skipped: u32,
    /// Lines of metrics.jsonl written up to this checkpoint.
    pub metrics_lines: usize,
    /// Training seconds before this checkpoint.
    pub elapsed_sec: f64,
    /// The best test bound after an epoch so far.
    pub best_test_nll: Option<f64>,
    /// The test bound after the last finished epoch.
    pub last_test_nll: Option<f64>,
}

impl TrainState {
    /// The state stored in a checkpoint's metadata, or an error naming what is missing.
    pub fn from_metadata(
        meta: &std::collections::HashMap<String, String>,
        path: &Path,
    ) -> Result<Self> {
        let Some(json) = meta.get(TRAIN_STATE_KEY) else {
            bail!(
                "{} holds parameters only (no `{TRAIN_STATE_KEY}`): it cannot be resumed; \
                 `draw eval`/`draw sample` still use it",
                path.display()
            );
        };
        serde_json::from_str(json)
            .with_context(|| format!("{}: `{TRAIN_STATE_KEY}`", path.display()))
    }
}

impl TrainState {
    /// The run's data set (MNIST when the checkpoint predates named data sets).
    pub fn dataset(&self) -> Result<DatasetName> {
        Ok(DatasetName::parse(
            self.dataset.as_deref().unwrap_or("mnist"),
        )?)
    }
}

impl TrainPlan {
    /// The plan of a resumed run: the checkpoint's model, optimiser settings and data, with
    /// this plan's `--epochs` (to extend the run), learning-rate schedule, intervals,
    /// `--test-limit` and backend. Refuses flags that would change the model or the data.
    pub fn resumed(mut self, state: &TrainState, model: draw_core::DrawConfig) -> Result<Self> {
        if !self.overrides.is_empty() {
            bail!(
                "{} cannot change a resumed run (it keeps its checkpoint's model, optimiser and \
                 data); leave them out, or start a new run",
                self.overrides.join(", ")
            );
        }
        let preset = draw_core::preset(&state.preset)?;
        let epochs = self.given.epochs.then_some(self.train.epochs);
        self.preset = preset.name;
        self.model = model;
        self.train =
            crate::plan::resumed_train(&state.train, epochs, self.given.lr, self.given.lr_decay);
        self.train_limit = state.train_limit;
        self.test_limit = self.test_limit.or(state.test_limit);
        self.dataset = state.dataset()?;
        self.data = state.data.clone();
        if !self.given.log_every {
            self.log_every = state.log_every;
        }
        if !self.given.checkpoint_every {
            self.checkpoint_every = state.checkpoint_every;
        }
        self.train.validate()?;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Cli, Command};
    use clap::Parser;

    fn plan(flags: &[&str]) -> TrainPlan {
        let cli = Cli::try_parse_from(["draw", "train", "--resume", "x"].iter().chain(flags))
            .expect("valid flags");
        let Command::Train(a) = cli.command else {
            unreachable!("parsed `draw train`")
        };
        TrainPlan::from_args(&a, 1).expect("valid plan")
    }

    fn state(epochs: usize) -> TrainState {
        let preset = draw_core::preset("mnist").expect("preset");
        TrainState {
            preset: "mnist".into(),
            train: TrainConfig {
                epochs,
                ..preset.train.clone()
            },
            train_limit: None,
            test_limit: None,
            dataset: Some("mnist2".into()),
            data: "data/mnist".into(),
            log_every: 7,
            checkpoint_every: Some(9),
            epoch: 2,
            batches_done: 0,
            epoch_closed: false,
            epoch_loss: LossSums::default(),
            window: LossSums::default(),
            skipped: 0,
            metrics_lines: 0,
            elapsed_sec: 0.0,
            best_test_nll: None,
            last_test_nll: None,
        }
    }

    #[test]
    fn a_resumed_run_keeps_what_was_not_given_and_takes_what_was() {
        let model = draw_core::preset("mnist").expect("preset").model;
        let kept = plan(&[])
            .resumed(&state(40), model.clone())
            .expect("resumes");
        assert_eq!((kept.train.epochs, kept.log_every), (40, 7));
        assert_eq!(kept.dataset, DatasetName::Mnist2);
        assert_eq!(kept.checkpoint_every, Some(9));
        // `--epochs` equal to some preset's default is still an explicit choice.
        let given = plan(&["--epochs", "1", "--log-every", "3"])
            .resumed(&state(40), model)
            .expect("resumes");
        assert_eq!((given.train.epochs, given.log_every), (1, 3));
    }

    #[test]
    fn the_data_set_is_kept_and_old_checkpoints_mean_mnist() {
        let mut old = serde_json::to_value(state(1)).unwrap();
        old.as_object_mut().unwrap().remove("dataset");
        let old: TrainState = serde_json::from_value(old).unwrap();
        assert_eq!(old.dataset().unwrap(), DatasetName::Mnist);
        let model = draw_core::preset("mnist").expect("preset").model;
        let msg = format!(
            "{:#}",
            plan(&["--dataset", "svhn"])
                .resumed(&state(1), model)
                .unwrap_err()
        );
        assert!(msg.contains("--dataset"), "{msg}");
    }
}
