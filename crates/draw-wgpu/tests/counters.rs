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

/// The counts of the second of two training steps (the first one builds the workspace's
/// bind groups) of `preset` at batch `batch`, recorded as `draw train` records them between
/// two reads of the ledger (steady state).
fn step_counts(preset: &str, batch: usize) -> DeviceCounters {
    let b = draw_wgpu::WgpuBackend::new().unwrap_or_else(|e| panic!("{e}"));
    let preset = draw_core::preset(preset).unwrap();
    let cfg = preset.model.clone();
    let x: Vec<f32> = draw_core::conformance::test_batch(&cfg, batch, 1)
        .into_iter()
        .map(|v| if v < 0.2 { 1.0 } else { 0.0 })
        .collect();
    let model = Draw::new(&b, cfg, 1).unwrap();
    let tc = TrainConfig {
        batch_size: batch,
        ..preset.train.clone()
    };
    let mut trainer = Trainer::new(&b, model, tc).unwrap();
    trainer.record(&b, &x).unwrap();
    b.synchronize();
    let before = b.counters();
    trainer.record(&b, &x).unwrap();
    b.synchronize();
    let counts = b.counters().since(&before);
    let w = trainer.read_window(&b).unwrap();
    assert_eq!((w.taken, w.skipped), (2, 0), "both steps taken");
    counts
}

/// Upper bounds on one `mnist` training step (T = 64). Lower them when a change removes work;
/// raising one needs a reason in the commit.
#[test]
fn mnist_step_stays_within_its_dispatch_budget() {
    if skip() {
        return;
    }
    let c = step_counts("mnist", 4);
    eprintln!("mnist step at batch 4: {c}");
    let bounds = DeviceCounters {
        dispatches: 2_320,
        gemm_dispatches: 646,
        submits: 3,
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
