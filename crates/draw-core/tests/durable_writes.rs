//! A checkpoint write that fails part-way (a full disk) leaves the previous checkpoint whole
//! and removes its temporary file, so the next write can succeed.

use draw_core::checkpoint;
use draw_core::config::DrawConfig;
use draw_core::optim::AdamState;
use draw_core::params::{self, DrawParams};
use std::path::Path;

mod common;

fn config() -> DrawConfig {
    common::small_config()
}

/// `values` as a checkpoint stores them (f32).
fn as_f32(values: &DrawParams<Vec<f64>>) -> DrawParams<Vec<f64>> {
    values.map(|_, v| v.iter().map(|&x| x as f32 as f64).collect())
}

/// Adam's state for a checkpoint written after `steps` updates (its moments are the
/// parameters scaled, any finite values do).
fn adam(values: &DrawParams<Vec<f64>>, steps: u64) -> AdamState {
    let scaled = |k: f64| values.map(|_, v| v.iter().map(|&x| x * k).collect());
    AdamState {
        m: scaled(0.5),
        v: scaled(0.0),
        steps,
    }
}

#[test]
fn a_save_onto_a_full_disk_keeps_the_previous_checkpoint() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full on this system");
        return;
    }
    let dir = std::env::temp_dir().join(format!("draw-core-durable-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("checkpoint.safetensors");
    let cfg = config();
    let first = params::initial_values(&cfg, 1);
    let meta = |step: u64| [("step", step.to_string())];
    checkpoint::save_training(&path, &cfg, &first, &adam(&first, 1), &meta(1)).unwrap();
    let before = std::fs::read(&path).unwrap();

    // Every write to the temporary file now fails with ENOSPC, as on a full disk.
    let tmp = checkpoint::tmp_path(&path);
    std::os::unix::fs::symlink("/dev/full", &tmp).unwrap();
    let second = params::initial_values(&cfg, 2);
    let err = checkpoint::save_training(&path, &cfg, &second, &adam(&second, 2), &meta(2))
        .unwrap_err()
        .to_string();
    // ENOSPC is 28 on Linux, the one system with /dev/full.
    let enospc = std::io::Error::from_raw_os_error(28).to_string();
    assert!(err.contains(&enospc), "{err}");
    assert!(err.contains("checkpoint.safetensors"), "{err}");
    assert!(
        std::fs::symlink_metadata(&tmp).is_err(),
        "the failed write left its temporary file"
    );

    assert!(
        std::fs::read(&path).unwrap() == before,
        "the previous checkpoint changed"
    );
    let ck = checkpoint::load(&path).unwrap();
    assert!(ck.values == as_f32(&first), "the previous values");
    assert_eq!(ck.optimizer.as_ref().map(|a| a.steps), Some(1));
    assert_eq!(ck.metadata["step"], "1");

    // The temporary file is gone, so the next write succeeds.
    checkpoint::save_training(&path, &cfg, &second, &adam(&second, 2), &meta(2)).unwrap();
    let ck = checkpoint::load(&path).unwrap();
    assert!(ck.values == as_f32(&second), "the new values");
    assert_eq!(ck.optimizer.map(|a| a.steps), Some(2));
    std::fs::remove_dir_all(dir).unwrap();
}
