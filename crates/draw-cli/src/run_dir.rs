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

    /// `best.safetensors`: the epoch checkpoint with the best figure so far (a classifier's
    /// lowest validation error, a generative model's lowest test bound).
    pub fn best(&self) -> PathBuf {
        self.root.join("best.safetensors")
    }

    /// Copies the checkpoint just saved to [`RunDir::best`] (atomically); returns its path.
    pub fn keep_best(&self) -> Result<PathBuf> {
        let best = self.best();
        let bytes = std::fs::read(self.checkpoint())
            .with_context(|| format!("reading {}", self.checkpoint().display()))?;
        draw_core::checkpoint::write_atomically(&best, &bytes)?;
        Ok(best)
    }

    /// `samples.png`: a grid of samples.
    pub fn samples_png(&self) -> PathBuf {
        self.root.join("samples.png")
    }

    /// `canvas.gif`: the samples' canvas over the T steps.
    pub fn canvas_gif(&self) -> PathBuf {
        self.root.join("canvas.gif")
    }

    /// Whether the directory already holds a run (a config, metrics or a checkpoint).
    pub fn holds_run(&self) -> bool {
        [self.config(), self.metrics(), self.checkpoint()]
            .iter()
            .any(|p| p.exists())
    }

    /// Removes temporary files a crashed write left behind (`*.tmp`); returns how many.
    pub fn remove_stale_tmp(&self) -> usize {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return 0;
        };
        entries
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "tmp"))
            .filter(|e| std::fs::remove_file(e.path()).is_ok())
            .count()
    }

    /// Writes `config` to [`RunDir::config`], pretty-printed, atomically.
    pub fn write_config(&self, config: &serde_json::Value) -> Result<()> {
        let text = serde_json::to_string_pretty(config)?;
        Ok(draw_core::checkpoint::write_atomically(
            &self.config(),
            text.as_bytes(),
        )?)
    }

    /// Creates (truncating) [`RunDir::metrics`].
    pub fn create_metrics(&self) -> Result<MetricsLog> {
        let path = self.metrics();
        let file =
            std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(MetricsLog {
            file,
            path,
            lines: 0,
        })
    }

    /// Reopens [`RunDir::metrics`] for a resumed run: keeps its first `lines` lines (those
    /// logged up to the checkpoint; a line after it, or one cut short by a crash, goes) and
    /// appends from there, so the file ends up as an uninterrupted run's.
    pub fn resume_metrics(&self, lines: usize) -> Result<MetricsLog> {
        let path = self.metrics();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let kept: Vec<&str> = text.split_inclusive('\n').take(lines).collect();
        if kept.len() != lines || kept.last().is_some_and(|l| !l.ends_with('\n')) {
            anyhow::bail!(
                "{} has {} whole lines, the checkpoint was written after {lines}: the metrics \
                 file does not belong to this checkpoint",
                path.display(),
                kept.iter().filter(|l| l.ends_with('\n')).count()
            );
        }
        draw_core::checkpoint::write_atomically(&path, kept.concat().as_bytes())?;
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        Ok(MetricsLog { file, path, lines })
    }
}

/// The metrics log: one JSON object per line.
pub struct MetricsLog {
    file: std::fs::File,
    path: PathBuf,
    lines: usize,
}

impl MetricsLog {
    /// Appends `line` as one line of JSON, in one write (a crash leaves at most one partial
    /// line at the end, which a resumed run drops).
    pub fn log(&mut self, line: &serde_json::Value) -> Result<()> {
        self.file
            .write_all(format!("{line}\n").as_bytes())
            .with_context(|| format!("writing {}", self.path.display()))?;
        self.lines += 1;
        Ok(())
    }

    /// Whole lines in the file.
    pub fn lines(&self) -> usize {
        self.lines
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
