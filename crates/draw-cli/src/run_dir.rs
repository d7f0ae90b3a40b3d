//! A run directory: the one place that knows its file names.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The files of one run: the resolved config, the metrics log, the checkpoints and the
/// samples. `draw train` writes them all; `draw sample` writes the samples.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunDir {
    root: PathBuf,
}

impl RunDir {
    /// The run directory at `root` (nothing is created).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        RunDir { root: root.into() }
    }

    /// The run directory at `root`, created with its parents if missing.
    pub fn create(root: impl Into<PathBuf>) -> Result<Self> {
        let dir = RunDir::new(root);
        std::fs::create_dir_all(&dir.root)
            .with_context(|| format!("creating {}", dir.root.display()))?;
        Ok(dir)
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `config.json`: preset, model and training configs, backend and data directory.
    pub fn config(&self) -> PathBuf {
        self.root.join("config.json")
    }

    /// `metrics.jsonl`: one JSON object per logged step and per epoch.
    pub fn metrics(&self) -> PathBuf {
        self.root.join("metrics.jsonl")
    }

    /// `checkpoint.safetensors`: the latest parameters.
    pub fn checkpoint(&self) -> PathBuf {
        self.root.join("checkpoint.safetensors")
    }

    /// `last-good.safetensors`: the parameters before a step that went non-finite.
    pub fn last_good(&self) -> PathBuf {
        self.root.join("last-good.safetensors")
    }

    /// `samples.png`: a grid of samples.
    pub fn samples_png(&self) -> PathBuf {
        self.root.join("samples.png")
    }

    /// `canvas.gif`: the samples' canvas over the T steps.
    pub fn canvas_gif(&self) -> PathBuf {
        self.root.join("canvas.gif")
    }

    /// Writes `config` to [`RunDir::config`], pretty-printed.
    pub fn write_config(&self, config: &serde_json::Value) -> Result<()> {
        let path = self.config();
        std::fs::write(&path, serde_json::to_string_pretty(config)?)
            .with_context(|| format!("writing {}", path.display()))
    }

    /// Creates (truncating) [`RunDir::metrics`].
    pub fn create_metrics(&self) -> Result<MetricsLog> {
        let path = self.metrics();
        let file =
            std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(MetricsLog { file, path })
    }
}

/// The metrics log: one JSON object per line.
pub struct MetricsLog {
    file: std::fs::File,
    path: PathBuf,
}

impl MetricsLog {
    /// Appends `line` as one line of JSON.
    pub fn log(&mut self, line: &serde_json::Value) -> Result<()> {
        writeln!(self.file, "{line}").with_context(|| format!("writing {}", self.path.display()))
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_sit_in_the_directory() {
        let d = RunDir::new("runs/x");
        assert_eq!(d.root(), Path::new("runs/x"));
        for (p, name) in [
            (d.config(), "config.json"),
            (d.metrics(), "metrics.jsonl"),
            (d.checkpoint(), "checkpoint.safetensors"),
            (d.last_good(), "last-good.safetensors"),
            (d.samples_png(), "samples.png"),
            (d.canvas_gif(), "canvas.gif"),
        ] {
            assert_eq!(p, Path::new("runs/x").join(name));
        }
    }

    #[test]
    fn creates_and_writes() {
        let root = std::env::temp_dir().join(format!("draw-rundir-{}", std::process::id()));
        let d = RunDir::create(root.join("a/b")).unwrap();
        d.write_config(&serde_json::json!({"k": 1})).unwrap();
        let mut m = d.create_metrics().unwrap();
        m.log(&serde_json::json!({"step": 1})).unwrap();
        m.log(&serde_json::json!({"step": 2})).unwrap();
        drop(m);
        assert_eq!(
            std::fs::read_to_string(d.metrics()).unwrap(),
            "{\"step\":1}\n{\"step\":2}\n"
        );
        assert!(std::fs::read_to_string(d.config())
            .unwrap()
            .contains("\"k\": 1"));
        std::fs::remove_dir_all(root).unwrap();
    }
}
