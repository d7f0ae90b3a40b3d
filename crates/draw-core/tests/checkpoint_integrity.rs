//! Checkpoints that are damaged or edited after saving are refused with a named reason:
//! non-finite values name their tensor, a checksum in the metadata catches flipped bits in the
//! data and edits to the config, and I/O errors print the OS's text once.

use draw_core::checkpoint;
use draw_core::config::DrawConfig;
use draw_core::params;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

mod common;

fn config() -> DrawConfig {
    common::small_config()
}

fn good() -> Vec<u8> {
    common::good_checkpoint(7, "5")
}

fn name() -> &'static Path {
    Path::new("integrity.safetensors")
}

/// The data area: everything after the 8-byte length and the JSON header.
fn data_start(bytes: &[u8]) -> usize {
    8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize
}

/// The same tensors re-serialised with `edit` applied to the metadata and `values` to the data
/// of tensor `tensor`.
fn rebuilt(
    bytes: &[u8],
    edit: impl FnOnce(&mut HashMap<String, String>),
    tensor: &str,
    value: f32,
) -> Vec<u8> {
    let st = safetensors::SafeTensors::deserialize(bytes).unwrap();
    let (_, meta) = safetensors::SafeTensors::read_metadata(bytes).unwrap();
    let mut meta = meta.metadata().clone().unwrap();
    edit(&mut meta);
    let owned: Vec<(String, Vec<usize>, Vec<u8>)> = st
        .tensors()
        .into_iter()
        .map(|(n, t)| {
            let mut data = t.data().to_vec();
            if n == tensor {
                data[4..8].copy_from_slice(&value.to_le_bytes());
            }
            (n, t.shape().to_vec(), data)
        })
        .collect();
    let views: Vec<(String, safetensors::tensor::TensorView)> = owned
        .iter()
        .map(|(n, s, d)| {
            let v = safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), d);
            (n.clone(), v.unwrap())
        })
        .collect();
    safetensors::serialize(views, Some(meta)).unwrap()
}

fn refused(bytes: &[u8]) -> String {
    match checkpoint::from_bytes(bytes, name()) {
        Ok(_) => panic!("accepted a damaged checkpoint"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn round_trip_still_loads() {
    let ck = checkpoint::from_bytes(&good(), name()).unwrap();
    assert_eq!(ck.config, config());
    assert_eq!(ck.metadata["step"], "5");
}

#[test]
fn non_finite_values_are_refused_naming_the_tensor() {
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        // Without a checksum (an older checkpoint) and with one recomputed to match: the values
        // themselves must be refused.
        let bytes = rebuilt(
            &good(),
            |m| m.retain(|k, _| k == "config"),
            "mu.weight",
            bad,
        );
        let msg = refused(&bytes);
        assert!(
            msg.contains("mu.weight") && msg.contains("non-finite") && msg.contains("integrity"),
            "{msg}"
        );
    }
}

#[test]
fn a_flipped_bit_in_the_data_is_refused() {
    let bytes = good();
    let start = data_start(&bytes);
    for at in [start, start + 37, bytes.len() - 1] {
        let mut b = bytes.clone();
        b[at] ^= 0x04;
        let msg = refused(&b);
        assert!(
            msg.contains("data_fnv1a64") && msg.contains("integrity.safetensors"),
            "{msg}"
        );
    }
}

#[test]
fn an_edited_config_is_refused() {
    // T edited from 2 to 3: the tensors still fit (T shapes nothing), only the checksum tells.
    let bytes = rebuilt(
        &good(),
        |m| {
            let edited = m["config"].replace("\"steps\":2", "\"steps\":3");
            assert_ne!(edited, m["config"]);
            m.insert("config".into(), edited);
        },
        "",
        0.0,
    );
    let msg = refused(&bytes);
    assert!(msg.contains("config_fnv1a64"), "{msg}");
}

#[test]
fn checkpoints_without_a_checksum_still_load() {
    let bytes = rebuilt(&good(), |m| m.retain(|k, _| k == "config"), "", 0.0);
    let ck = checkpoint::from_bytes(&bytes, name()).unwrap();
    assert_eq!(ck.config, config());
}

#[test]
fn a_malformed_checksum_is_refused() {
    let bytes = rebuilt(
        &good(),
        |m| {
            m.insert("data_fnv1a64".into(), "not hex".into());
        },
        "",
        0.0,
    );
    assert!(refused(&bytes).contains("data_fnv1a64"));
}

/// `err`'s text as `anyhow` prints it with `{:#}`: its Display, then each source's.
fn with_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

#[test]
fn io_errors_print_the_os_text_once() {
    let missing = std::env::temp_dir().join("draw-core-no-such-checkpoint.safetensors");
    let err = checkpoint::load(&missing).err().unwrap();
    let text = with_chain(&err);
    assert_eq!(text.matches("os error").count(), 1, "{text}");
    assert!(text.contains("draw-core-no-such-checkpoint"), "{text}");

    let dir: PathBuf =
        std::env::temp_dir().join(format!("draw-core-ckpt-dir-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub.safetensors")).unwrap();
    let cfg = config();
    let values = params::initial_values(&cfg, 1);
    let err = checkpoint::save(&dir.join("sub.safetensors"), &cfg, &values, &[]).unwrap_err();
    let text = with_chain(&err);
    assert_eq!(text.matches("os error").count(), 1, "{text}");
    assert!(
        !dir.join("sub.safetensors.tmp").exists(),
        "a failed save left its temporary file behind"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
