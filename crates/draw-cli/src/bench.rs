//! `draw bench`: training, evaluation and sampling throughput of a preset, with achieved
//! GFLOP/s and peak memory. Medians of several timed runs after a warm-up.

use crate::backend::{with_backend, BackendArgs, BackendChoice, BackendKind, BackendTask};
use anyhow::Result;
use clap::Args;
use draw_core::prelude::*;
use draw_core::{DeviceCounters, Glimpse, TrainConfig};
use std::time::Instant;

/// `draw bench` options.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Presets to measure (default: every generative preset and `cluttered`).
    #[arg(long)]
    pub preset: Vec<String>,
    /// Mini-batch size.
    #[arg(long, default_value_t = 100)]
    pub batch_size: usize,
    /// Timed runs per figure (the median is printed).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Training steps per timed run.
    #[arg(long, default_value_t = 2)]
    pub steps_per_run: usize,
    /// Also append each (backend, preset) result to this file as one JSON line.
    #[arg(long)]
    pub json: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub backend: BackendArgs,
}

/// Multiply-adds per image of one forward pass (all T steps), counting the matrix products
/// and the attention glimpses; pointwise work is left out.
pub fn forward_macs(cfg: &DrawConfig) -> f64 {
    let (e, d, z) = (cfg.enc_size as f64, cfg.dec_size as f64, cfg.z_size as f64);
    let (a, b, c) = (cfg.width as f64, cfg.height as f64, cfg.channels as f64);
    let mut per_step = (cfg.read_size() as f64 + d + e) * 4.0 * e + 2.0 * e * z + (z + d) * 4.0 * d;
    per_step += d * cfg.write_size() as f64;
    if let Glimpse::Attention { n } = cfg.read {
        let n = n as f64;
        per_step += 5.0 * d + 2.0 * c * (b * a * n + n * n * b);
    }
    if let Glimpse::Attention { n } = cfg.write {
        let n = n as f64;
        per_step += 5.0 * d + c * (n * n * a + n * b * a);
    }
    per_step * cfg.steps as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Peak resident memory of this process in MiB (Linux), if known.
pub fn peak_memory_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Times `f` (which processes `images` images) `runs` times after one warm-up; images/s.
fn throughput(runs: usize, images: usize, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    f()?;
    let mut rates = Vec::new();
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        f()?;
        rates.push(images as f64 / t.elapsed().as_secs_f64());
    }
    Ok(median(rates))
}

/// Measured single-precision GEMM rate of the backend on a 1024³ product, GFLOP/s: the
/// machine's practical peak for this workload.
pub fn sgemm_peak<B: Backend>(b: &B) -> f64 {
    let n = 1024;
    let data: Vec<B::F> = (0..n * n)
        .map(|i| B::F::of(((i % 17) as f64 - 8.0) * 0.01))
        .collect();
    let x = b.tensor(n, n, &data);
    let mut c = b.zeros(n, n);
    let rate = throughput(5, 1, || {
        b.run(|| b.gemm(&mut c, Gemm::new(Mat::n(&x), Mat::t(&x))));
        b.synchronize();
        Ok(())
    })
    .expect("gemm cannot fail");
    rate * 2.0 * (n * n * n) as f64 / 1e9
}

/// One training step's device work in steady state (recorded, the ledger not read), where the
/// backend counts it (see [`draw_core::DeviceCounters`]); the step runs outside the timed runs.
fn step_counters<B: Backend>(
    b: &B,
    trainer: &mut Trainer<B>,
    x: &[B::F],
) -> Result<Option<DeviceCounters>> {
    b.synchronize();
    let Some(before) = b.counters() else {
        return Ok(None);
    };
    trainer.record(b, x)?;
    b.synchronize();
    let counts = b.counters().map(|after| after.since(&before));
    trainer.read_window(b)?;
    Ok(counts)
}

/// The counts as JSON fields.
fn counters_json(c: &DeviceCounters) -> serde_json::Value {
    serde_json::json!({
        "dispatches": c.dispatches,
        "gemm_dispatches": c.gemm_dispatches,
        "submits": c.submits,
        "blocking_readbacks": c.readbacks,
        "bytes_read": c.bytes_read,
        "uploads": c.uploads,
    })
}

/// Appends `line` to `path` as one JSON line.
fn append_json(path: &std::path::Path, line: &serde_json::Value) -> Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot open --json {}: {e}", path.display()))?;
    writeln!(f, "{line}")?;
    Ok(())
}

/// Training and evaluation throughput of a classifier preset, on images of uniform noise
/// thresholded to 10 % ink (the cost does not depend on the pixels).
fn bench_classifier<B: Backend>(b: &B, name: &str, a: &BenchArgs) -> Result<()> {
    use draw_core::model::classifier::{classifier_preset, Classifier, ClassifierTrainer};
    let Some(p) = classifier_preset(name) else {
        anyhow::bail!("no classifier preset `{name}`");
    };
    let (cfg, n) = (p.model.clone(), a.batch_size);
    let key = NoiseKey::new(1, 7);
    let x: Vec<B::F> = (0..(n * cfg.image_size()) as u64)
        .map(|i| B::F::of(if key.uniform(i) < 0.1 { 1.0 } else { 0.0 }))
        .collect();
    let labels: Vec<u8> = (0..n).map(|i| (i % cfg.classes) as u8).collect();
    let tc = TrainConfig {
        batch_size: n,
        ..p.train.clone()
    };
    let model = Classifier::new(b, cfg.clone(), 1)?;
    let mut trainer = ClassifierTrainer::new(b, model, tc)?;
    let steps = a.steps_per_run.max(1);
    let train = throughput(a.runs, n * steps, || {
        for _ in 0..steps {
            trainer.step(b, &x, &labels)?;
        }
        b.synchronize();
        Ok(())
    })?;
    let model = &trainer.model;
    let mut ws = model.workspace(b, n);
    let eval = throughput(a.runs, n, || {
        b.run(|| model.forward(b, &mut ws, &x, &labels))?;
        b.synchronize();
        Ok(())
    })?;
    println!("{name} (classifier) / {} / batch {n}", b.name());
    println!("  train {train:.1} img/s");
    println!("  eval {eval:.1} img/s");
    if let Some(m) = peak_memory_mib() {
        println!("  peak memory {m:.0} MiB");
    }
    Ok(())
}

fn bench_preset<B: Backend>(b: &B, name: &str, a: &BenchArgs, peak: f64) -> Result<()> {
    if draw_core::model::classifier::classifier_preset(name).is_some() {
        return bench_classifier(b, name, a);
    }
    let preset = draw_core::preset(name)?;
    let cfg = preset.model.clone();
    let n = a.batch_size;
    TrainConfig {
        batch_size: n,
        ..preset.train.clone()
    }
    .validate()?;
    let x: Vec<B::F> = draw_core::conformance::test_batch(&cfg, n, 1)
        .into_iter()
        .map(|v| B::F::of(if v < 0.2 { 1.0 } else { 0.0 }))
        .collect();
    let model = Draw::new(b, cfg.clone(), 1)?;
    let mut trainer = Trainer::new(
        b,
        model,
        TrainConfig {
            batch_size: n,
            ..preset.train.clone()
        },
    )?;
    let steps = a.steps_per_run.max(1);
    // As `draw train` runs: steps recorded with no read-back, the ledger read once per run.
    let train = throughput(a.runs, n * steps, || {
        for _ in 0..steps {
            trainer.record(b, &x)?;
        }
        trainer.read_window(b)?;
        Ok(())
    })?;
    let counts = step_counters(b, &mut trainer, &x)?;
    let model = &trainer.model;
    let mut ws = model.shard_workspaces(b, n);
    let eval = throughput(a.runs, n, || {
        b.run(|| model.forward_shards(b, &mut ws, &x, NoiseKey::new(1, 0)))?;
        Ok(())
    })?;
    let sample = throughput(a.runs, n, || {
        model.generate(b, n, NoiseKey::new(2, 0))?;
        Ok(())
    })?;
    let fwd = 2.0 * forward_macs(&cfg);
    println!("{} / {} / batch {n}", name, b.name());
    let (tg, eg) = (train * 3.0 * fwd / 1e9, eval * fwd / 1e9);
    println!("  train {train:.1} img/s");
    println!(
        "  train {tg:.1} GFLOP/s (3 x forward {:.3} GFLOP/img)",
        fwd / 1e9
    );
    println!("  train {:.0} % of sgemm peak", 100.0 * tg / peak);
    println!("  eval {eval:.1} img/s");
    println!("  eval {eg:.1} GFLOP/s");
    println!("  eval {:.0} % of sgemm peak", 100.0 * eg / peak);
    println!("  sample {sample:.1} img/s");
    if let Some(c) = &counts {
        println!("  per train step: {c}");
    }
    let mem = peak_memory_mib();
    if let Some(m) = mem {
        println!("  peak memory {m:.0} MiB");
    }
    if let Some(path) = &a.json {
        let line = serde_json::json!({
            "preset": name, "backend": b.name(), "batch_size": n,
            "train_img_per_s": train, "eval_img_per_s": eval, "sample_img_per_s": sample,
            "train_gflops": tg, "sgemm_peak_gflops": peak, "peak_memory_mib": mem,
            "per_train_step": counts.as_ref().map(counters_json),
        });
        append_json(path, &line)?;
    }
    Ok(())
}

/// `draw bench`. With several presets or backends, each (backend, preset) pair runs in a child
/// process of its own, so that each peak-memory figure belongs to that pair alone. Without
/// `--backend`, every backend present is measured (wgpu where an adapter exists).
pub fn bench(a: BenchArgs) -> Result<()> {
    let names: Vec<String> = if a.preset.is_empty() {
        // Every generative preset, and the paper's classifier (`cluttered`).
        let mut v: Vec<String> = draw_core::presets()
            .iter()
            .map(|p| p.name.to_string())
            .collect();
        v.push("cluttered".to_string());
        v
    } else {
        a.preset.clone()
    };
    let backends = match a.backend.backend {
        Some(k) => vec![k],
        None if draw_wgpu::adapter_names().is_empty() => {
            println!("wgpu: no adapter, measuring the CPU backend only");
            vec![BackendKind::Cpu]
        }
        None => vec![BackendKind::Cpu, BackendKind::Wgpu],
    };
    if names.len() > 1 || backends.len() > 1 {
        return bench_in_children(&a, &backends, &names);
    }
    let choice = BackendChoice::from_args(&BackendArgs {
        backend: Some(backends[0]),
        ..a.backend.clone()
    })?;
    with_backend(
        &choice,
        Bench {
            preset: &names[0],
            args: &a,
        },
    )
}

/// Runs `draw bench` once per (backend, preset) pair, each in a child process.
fn bench_in_children(a: &BenchArgs, backends: &[BackendKind], names: &[String]) -> Result<()> {
    let exe = std::env::current_exe()?;
    for kind in backends {
        for name in names {
            let mut cmd = std::process::Command::new(&exe);
            cmd.args(["bench", "--preset", name])
                .args(["--batch-size", &a.batch_size.to_string()])
                .args(["--runs", &a.runs.to_string()])
                .args(["--steps-per-run", &a.steps_per_run.to_string()]);
            if let Some(j) = &a.json {
                cmd.arg("--json").arg(j);
            }
            if let Some(t) = a.backend.threads {
                cmd.args(["--threads", &t.to_string()]);
            }
            if let Some(ad) = &a.backend.adapter {
                cmd.args(["--adapter", ad]);
            }
            if a.backend.require_gpu && *kind == BackendKind::Wgpu {
                cmd.arg("--require-gpu");
            }
            let flag = kind.flag();
            cmd.args(["--backend", flag]);
            let status = cmd.status()?;
            if !status.success() {
                anyhow::bail!("bench of preset `{name}` on {flag} failed");
            }
        }
    }
    Ok(())
}

/// `draw bench` of one preset on a backend: the sgemm peak, then the preset's figures.
struct Bench<'a> {
    preset: &'a str,
    args: &'a BenchArgs,
}

impl BackendTask for Bench<'_> {
    type Output = ();

    fn run<B: Backend>(self, b: &B) -> Result<()> {
        let peak = sgemm_peak(b);
        println!("sgemm peak {peak:.1} GFLOP/s ({})", b.name());
        bench_preset(b, self.preset, self.args, peak)
    }
}
