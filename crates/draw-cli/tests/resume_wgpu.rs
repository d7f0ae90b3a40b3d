//! Resume on the wgpu backend: a run stopped by `--max-steps` and continued with `--resume`
//! ends where an uninterrupted run does, within the parity tolerance (the GPU's summation
//! order is fixed per kernel, but it is not the CPU's bit-for-bit guarantee).
//!
//! Needs an adapter (CI installs lavapipe); `DRAW_WGPU_SKIP=1` skips it deliberately.

mod common;

use common::draw;
use std::path::{Path, PathBuf};

fn run_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("draw-wgpu-resume-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// The losses of the step lines of a run's metrics.jsonl.
fn step_losses(dir: &Path) -> Vec<(u64, f64)> {
    std::fs::read_to_string(dir.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v.get("loss").is_some())
        .map(|v| (v["step"].as_u64().unwrap(), v["loss"].as_f64().unwrap()))
        .collect()
}

#[test]
fn resumed_wgpu_run_matches_an_uninterrupted_one() {
    if std::env::var_os("DRAW_WGPU_SKIP").is_some_and(|v| v == "1") {
        return;
    }
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/mnist");
    let common = [
        "--backend",
        "wgpu",
        "--preset",
        "quick",
        "--steps",
        "2",
        "--train-limit",
        "100",
        "--test-limit",
        "25",
        "--batch-size",
        "25",
        "--epochs",
        "1",
        "--log-every",
        "1",
        "--data",
        data,
    ];
    let (straight, split) = (run_dir("straight"), run_dir("split"));
    let run = |extra: &[&str]| {
        let out = draw(&[&["train"], &common[..], extra].concat());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["--out", straight.to_str().unwrap()]);
    run(&["--out", split.to_str().unwrap(), "--max-steps", "2"]);
    let out = draw(&["train", "--resume", split.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (a, b) = (step_losses(&straight), step_losses(&split));
    assert_eq!(a.len(), 4, "{a:?}");
    assert_eq!(
        a.iter().map(|x| x.0).collect::<Vec<_>>(),
        b.iter().map(|x| x.0).collect::<Vec<_>>()
    );
    for ((step, x), (_, y)) in a.iter().zip(&b) {
        assert!((x - y).abs() <= 1e-5 * x.abs(), "step {step}: {x} vs {y}");
    }
    let _ = std::fs::remove_dir_all(straight);
    let _ = std::fs::remove_dir_all(split);
}
