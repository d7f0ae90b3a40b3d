//! What one training step of the `mnist` preset sends to the device, pinned from above: a
//! change that adds dispatches, submissions or blocking read-backs to a step fails here. The
//! counts do not depend on the adapter or (but for bytes) on the batch size, so a small batch
//! on lavapipe measures what an H200 would run.
//!
//! Needs an adapter; `DRAW_WGPU_SKIP=1` skips (see `conformance.rs`).

use draw_core::prelude::*;
use draw_core::{DeviceCounters, TrainConfig};

fn skip() -> bool {
    std::env::var_os("DRAW_WGPU_SKIP").is_some_and(|v| v == "1")
}

/// Dispatches per kernel between two tallies, the kernels that ran at all.
fn tally_since(
    b: &draw_wgpu::WgpuBackend,
    before: &[(draw_wgpu::Kernel, u64)],
) -> Vec<(draw_wgpu::Kernel, u64)> {
    b.kernel_tally()
        .into_iter()
        .zip(before)
        .map(|((k, n), (_, m))| (k, n - m))
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// The counts of the second of two training steps (the first one builds the workspace's
/// bind groups) of `preset` at batch `batch`, recorded as `draw train` records them between
/// two reads of the ledger (steady state), with the dispatches per kernel of that step and of
/// a forward pass alone (which adds the loss's reduction).
#[allow(clippy::type_complexity)]
fn step_counts_and_tally(
    preset: &str,
    batch: usize,
) -> (
    DeviceCounters,
    Vec<(draw_wgpu::Kernel, u64)>,
    Vec<(draw_wgpu::Kernel, u64)>,
) {
    let b = draw_wgpu::WgpuBackend::new().unwrap_or_else(|e| panic!("{e}"));
    let preset = draw_core::preset(preset).unwrap();
    let cfg = preset.model.clone();
    let x: Vec<f32> = draw_core::conformance::test_batch(&cfg, batch, 1)
        .into_iter()
        .map(|v| if v < 0.2 { 1.0 } else { 0.0 })
        .collect();
    let model = Draw::new(&b, cfg, 1).unwrap();
    let mut ws = model.workspace(&b, batch);
    let noise = draw_core::NoiseKey::new(1, 0);
    model.forward(&b, &mut ws, &x, noise).unwrap();
    let before = b.kernel_tally();
    model.forward(&b, &mut ws, &x, noise).unwrap();
    let forward = tally_since(&b, &before);
    let tc = TrainConfig {
        batch_size: batch,
        ..preset.train.clone()
    };
    let mut trainer = Trainer::new(&b, model, tc).unwrap();
    trainer.record(&b, &x).unwrap();
    b.synchronize();
    let before = b.counters();
    let tally_before = b.kernel_tally();
    trainer.record(&b, &x).unwrap();
    b.synchronize();
    let counts = b.counters().since(&before);
    let step = tally_since(&b, &tally_before);
    let w = trainer.read_window(&b).unwrap();
    assert_eq!((w.taken, w.skipped), (2, 0), "both steps taken");
    (counts, step, forward)
}

/// Upper bounds on one `mnist` training step (T = 64). Lower them when a change removes work;
/// raising one needs a reason in the commit.
#[test]
fn mnist_step_stays_within_its_dispatch_budget() {
    if skip() {
        return;
    }
    let (c, step, forward) = step_counts_and_tally("mnist", 4);
    eprintln!("mnist step at batch 4: {c}");
    eprintln!("{:<24} {:>8} {:>8}", "kernel", "forward", "step");
    for (k, n) in &step {
        let f = forward.iter().find(|(j, _)| j == k).map_or(0, |(_, m)| *m);
        eprintln!("{:<24} {f:>8} {n:>8}", format!("{k:?}"));
    }
    let bounds = DeviceCounters {
        dispatches: 1_487,
        gemm_dispatches: 392,
        submits: 2,
        readbacks: 0,
        bytes_read: 0,
        uploads: 1,
    };
    let over: Vec<String> = [
        ("dispatches", c.dispatches, bounds.dispatches),
        ("GEMM dispatches", c.gemm_dispatches, bounds.gemm_dispatches),
        ("submits", c.submits, bounds.submits),
        ("blocking read-backs", c.readbacks, bounds.readbacks),
        ("bytes read back", c.bytes_read, bounds.bytes_read),
        ("uploads", c.uploads, bounds.uploads),
    ]
    .iter()
    .filter(|(_, got, max)| got > max)
    .map(|(what, got, max)| format!("{what}: {got} > {max}"))
    .collect();
    assert!(over.is_empty(), "one mnist step costs more: {over:?} ({c})");
}
