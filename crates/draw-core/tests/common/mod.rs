//! Helpers shared by draw-core's integration tests.

use draw_core::checkpoint;
use draw_core::config::{DrawConfig, Glimpse};
use draw_core::params;

/// A tiny model with a read attention and a full-image write, for checkpoint tests.
pub fn small_config() -> DrawConfig {
    DrawConfig {
        width: 4,
        height: 3,
        channels: 1,
        steps: 2,
        read: Glimpse::Attention { n: 2 },
        write: Glimpse::Full,
        enc_size: 3,
        dec_size: 2,
        z_size: 2,
    }
}

/// A valid checkpoint of [`small_config`] initialised from `seed`, with `step` in its metadata.
/// (Not every test binary that includes this module uses it.)
#[allow(dead_code)]
pub fn good_checkpoint(seed: u64, step: &str) -> Vec<u8> {
    let cfg = small_config();
    checkpoint::to_bytes(
        &cfg,
        &params::initial_values(&cfg, seed),
        &[("step", step.into())],
    )
    .expect("a valid model serialises")
}
