//! `draw export`: a training checkpoint as a model to ship (`models/NAME/`): the parameters
//! only, the configuration, and what is known of how it was trained and what it scores.

use crate::args::ExportArgs;
use crate::backend::{with_backend, BackendChoice, BackendTask};
use crate::datasets::load_test;
use crate::eval::{check_image_shape, eval_data, load_model, test_bound, EVAL_BATCH};
use crate::plan::MODEL_FILE;
use crate::resume::TrainState;
use anyhow::{bail, Context, Result};
use draw_core::{checkpoint, Backend};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// `draw export`, validated.
struct Export {
    checkpoint: PathBuf,
    out: PathBuf,
    /// `--data` (`None`: the directory the checkpoint records, or the data set's default).
    data: Option<PathBuf>,
    eval_limit: usize,
}

/// `draw export`.
pub fn export(a: ExportArgs) -> Result<()> {
    let backend = BackendChoice::from_args(&a.backend)?;
    if a.eval_limit == 0 {
        bail!("--eval-limit must be at least 1 (the bound recorded for the shipped-model test)");
    }
    let model = a.out.join(MODEL_FILE);
    if model.exists() && !a.force {
        bail!(
            "{} already exists: pass --force to replace it",
            model.display()
        );
    }
    let task = Export {
        checkpoint: a.checkpoint,
        out: a.out,
        data: a.data,
        eval_limit: a.eval_limit,
    };
    with_backend(&backend, task)
}

/// The run's `config.json` and last evaluation line of `metrics.jsonl`, when they sit beside
/// the checkpoint.
fn run_record(checkpoint: &Path) -> (Option<Value>, Option<Value>) {
    let dir = checkpoint.parent().unwrap_or(Path::new("."));
    let config = std::fs::read_to_string(dir.join("config.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    let last_eval = std::fs::read_to_string(dir.join("metrics.jsonl"))
        .ok()
        .and_then(|t| {
            t.lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .rfind(|v| v.get("test_nll").is_some())
        });
    (config, last_eval)
}

/// The model directory's README: what the model is and the figures model.json holds.
fn readme(info: &Value) -> String {
    let mut s = String::from("# A shipped DRAW model\n\n");
    s += "Written by `draw export`. Sample from it with `draw sample --pretrained NAME` (or \
          `cargo xtask sample` for `mnist`); evaluate it with `draw eval --pretrained NAME`.\n\n";
    s += &format!(
        "- Parameters: {} ({} bytes, f32, parameters only), exported from `{}`.\n",
        info["parameters"],
        info["bytes"],
        info["exported_from"].as_str().unwrap_or("?")
    );
    let c = &info["check"];
    s += &format!(
        "- Test bound on the first {} test images (batch {}, on {}): {:.4} nats (L^x {:.4}, \
         L^z {:.4}). `crates/draw-cli/tests/shipped_model.rs` checks it.\n",
        c["test_images"],
        c["batch_size"],
        c["backend"].as_str().unwrap_or("?"),
        c["test_nll"].as_f64().unwrap_or(f64::NAN),
        c["test_lx"].as_f64().unwrap_or(f64::NAN),
        c["test_lz"].as_f64().unwrap_or(f64::NAN)
    );
    if let Some(t) = info.get("trained").filter(|t| !t.is_null()) {
        s += &format!(
            "- Training: {} epochs, {} steps, {:.2} hours; the test bound at its last \
             evaluation (10 000 images unless the run had --test-limit): {:.2} nats.\n",
            t["epoch"],
            t["step"],
            t["elapsed_sec"].as_f64().unwrap_or(f64::NAN) / 3600.0,
            t["test_nll"].as_f64().unwrap_or(f64::NAN)
        );
    }
    if let Some(r) = info.get("run").filter(|r| !r.is_null()) {
        s += &format!(
            "- Run configuration (preset, model, optimiser, backend): `{}`.\n",
            serde_json::to_string(r).unwrap_or_default()
        );
    }
    if let Some(t) = info.get("train_at_checkpoint").filter(|t| !t.is_null()) {
        s += &format!(
            "- Optimiser settings in force at the checkpoint (a resumed run may have changed \
             the learning rate): `{}`.\n",
            serde_json::to_string(t).unwrap_or_default()
        );
    }
    s
}

impl BackendTask for Export {
    type Output = ();

    fn run<B: Backend>(self, b: &B) -> Result<()> {
        let ck = checkpoint::load(&self.checkpoint)?;
        let bytes = checkpoint::to_bytes(&ck.config, &ck.values, &[])?;
        let model = load_model(b, &self.checkpoint)?;
        let given = (None, self.data.as_deref());
        let (dataset, data) = eval_data(given, &self.checkpoint, &ck.metadata, &ck.config)?;
        let test = load_test(dataset, &data, Some(self.eval_limit))?;
        check_image_shape(model.config(), &test, "test")?;
        let l = test_bound(b, &model, &test, EVAL_BATCH)?.loss;
        if !l.mean_total().is_finite() {
            bail!(
                "{}: the bound is not finite, nothing to ship",
                self.checkpoint.display()
            );
        }
        let (run, trained) = run_record(&self.checkpoint);
        // The optimiser settings in force at the checkpoint (a resume may have changed the
        // learning rate since the run's config.json was written).
        let in_force = TrainState::from_metadata(&ck.metadata, &self.checkpoint)
            .ok()
            .map(|s| s.train);
        let parameters: usize = ck.values.named().iter().map(|(_, v)| v.len()).sum();
        let info = json!({
            "exported_from": self.checkpoint.display().to_string(),
            "parameters": parameters,
            "bytes": bytes.len(),
            "check": {"test_images": l.examples, "batch_size": EVAL_BATCH, "backend": b.name(),
                      "test_nll": l.mean_total(), "test_lx": l.mean_reconstruction(),
                      "test_lz": l.mean_latent()},
            "trained": trained,
            "run": run,
            "train_at_checkpoint": in_force,
        });
        std::fs::create_dir_all(&self.out)
            .with_context(|| format!("creating {}", self.out.display()))?;
        let write =
            |name: &str, text: &[u8]| checkpoint::write_atomically(&self.out.join(name), text);
        write(MODEL_FILE, &bytes)?;
        write(
            "config.json",
            serde_json::to_string_pretty(&ck.config)?.as_bytes(),
        )?;
        write(
            "model.json",
            serde_json::to_string_pretty(&info)?.as_bytes(),
        )?;
        write("README.md", readme(&info).as_bytes())?;
        println!(
            "wrote {} ({} parameters, {} bytes; bound on the first {} test images {:.4} nats)",
            self.out.join(MODEL_FILE).display(),
            parameters,
            bytes.len(),
            l.examples,
            l.mean_total()
        );
        Ok(())
    }
}
