//! Seeded mutation fuzzing of the parsers a user's file reaches in draw-core: safetensors
//! checkpoints ([`checkpoint::from_bytes`] and [`checkpoint::load`]) and config JSON
//! ([`DrawConfig`] and [`TrainConfig`] deserialisation plus `validate`). Each input must give
//! `Ok` or `Err`: never a panic, a hang, or an allocation beyond a bound set by the input's
//! size. The harness is shared with draw-data's fuzz tests. Run with `--nocapture` for counts.

#[path = "../../draw-data/tests/harness/mod.rs"]
mod harness;

use draw_core::checkpoint::{self, CONFIG_KEY};
use draw_core::config::{presets, DrawConfig, TrainConfig};
use draw_core::params;
use harness::{hostile_fields, mutations, run, truncations, Field, Rng};
use safetensors::tensor::TensorView;
use safetensors::Dtype;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;

const RANDOM: usize = 2500;

/// Allocation bound: a few copies of the input (JSON trees are several times their text).
fn bound(input: &[u8]) -> usize {
    64 * input.len() + (1 << 20)
}

mod common;
use common::small_config;

fn good_checkpoint() -> Vec<u8> {
    common::good_checkpoint(3, "9")
}

/// A tensor to serialise: name, dtype, shape, raw bytes.
type Owned = (String, Dtype, Vec<usize>, Vec<u8>);

fn tensors_of(bytes: &[u8]) -> (Vec<Owned>, HashMap<String, String>) {
    let st = safetensors::SafeTensors::deserialize(bytes).unwrap();
    let (_, meta) = safetensors::SafeTensors::read_metadata(bytes).unwrap();
    let tensors = st
        .tensors()
        .into_iter()
        .map(|(n, t)| (n, t.dtype(), t.shape().to_vec(), t.data().to_vec()))
        .collect();
    (tensors, meta.metadata().clone().unwrap_or_default())
}

/// A valid safetensors file of `tensors` and `meta` (None where safetensors itself refuses).
fn serialize(tensors: &[Owned], meta: HashMap<String, String>) -> Option<Vec<u8>> {
    let views: Vec<(String, TensorView)> = tensors
        .iter()
        .map(|(n, d, s, b)| Some((n.clone(), TensorView::new(*d, s.clone(), b).ok()?)))
        .collect::<Option<_>>()?;
    safetensors::serialize(views, Some(meta)).ok()
}

/// Bytes for `len` elements of `dtype` (zeros: every dtype reads them as a finite zero).
fn zeros(dtype: Dtype, len: usize) -> Vec<u8> {
    vec![0; (len * dtype.bitsize()).div_ceil(8)]
}

/// Config JSON edited at one field (`path` of keys) to a hostile value.
fn edit_json(json: &str, path: &[&str], value: Value) -> String {
    let mut v: Value = serde_json::from_str(json).unwrap();
    let mut at = &mut v;
    for k in &path[..path.len() - 1] {
        at = &mut at[*k];
    }
    at[path[path.len() - 1]] = value;
    v.to_string()
}

fn hostile_json_values() -> Vec<Value> {
    vec![
        json!(0),
        json!(1),
        json!(2),
        json!(-1),
        json!(4097),
        json!(65537),
        json!(u32::MAX),
        json!(u64::MAX),
        json!(1e300),
        json!(-1e300),
        json!(0.5),
        json!("7"),
        json!(""),
        json!(null),
        json!(true),
        json!([]),
        json!({}),
        json!([1, 2]),
        json!({"kind": "attention"}),
        json!({"kind": "attention", "n": u64::MAX}),
        json!({"kind": "attention", "n": 1}),
        json!({"kind": "full", "n": 2}),
        json!({"kind": "sideways"}),
    ]
}

const MODEL_FIELDS: &[&[&str]] = &[
    &["width"],
    &["height"],
    &["channels"],
    &["steps"],
    &["read"],
    &["read", "n"],
    &["read", "kind"],
    &["write"],
    &["write", "n"],
    &["write", "kind"],
    &["enc_size"],
    &["dec_size"],
    &["z_size"],
];

/// Structured inputs: valid safetensors files whose content is wrong for a DRAW checkpoint.
fn structured_checkpoints(good: &[u8], rng: &mut Rng) -> Vec<Vec<u8>> {
    let (tensors, meta) = tensors_of(good);
    let config = meta[CONFIG_KEY].clone();
    let mut out = Vec::new();
    let mut push = |t: &[Owned], m: HashMap<String, String>| {
        if let Some(b) = serialize(t, m) {
            out.push(b);
        }
    };
    let no_sums = |m: &HashMap<String, String>| {
        let mut m = m.clone();
        m.retain(|k, _| !k.ends_with("_fnv1a64"));
        m
    };
    for i in 0..tensors.len() {
        // Missing tensor, renamed tensor, and a duplicate under a new name (an extra).
        let mut t = tensors.clone();
        t.remove(i);
        push(&t, meta.clone());
        push(&t, no_sums(&meta));
        let mut t = tensors.clone();
        t[i].0.push_str(".renamed");
        push(&t, no_sums(&meta));
        let mut t = tensors.clone();
        let mut extra = tensors[i].clone();
        extra.0 = format!("extra.{}", extra.0);
        t.push(extra);
        push(&t, meta.clone());
        push(&t, no_sums(&meta));
        // Wrong shapes with matching data.
        let len: usize = tensors[i].2.iter().product();
        for shape in [
            vec![len],
            vec![1, len],
            vec![len, 1],
            vec![1, 1, len],
            vec![len + 1],
            vec![0],
            vec![],
        ] {
            let mut t = tensors.clone();
            let n: usize = shape.iter().product();
            t[i].2 = shape;
            t[i].3 = zeros(Dtype::F32, n);
            push(&t, no_sums(&meta));
        }
        // Every dtype, with data of the right length.
        for dtype in [
            Dtype::BOOL,
            Dtype::U8,
            Dtype::I8,
            Dtype::F8_E4M3,
            Dtype::F8_E5M2,
            Dtype::I16,
            Dtype::U16,
            Dtype::F16,
            Dtype::BF16,
            Dtype::I32,
            Dtype::U32,
            Dtype::F64,
            Dtype::I64,
            Dtype::U64,
            Dtype::F4,
            Dtype::F6_E2M3,
        ] {
            let mut t = tensors.clone();
            t[i].1 = dtype;
            t[i].3 = zeros(dtype, len);
            push(&t, no_sums(&meta));
        }
        // Non-finite values, with and without checksums.
        for v in [
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::MAX,
            f32::MIN_POSITIVE,
        ] {
            let mut t = tensors.clone();
            let at = 4 * rng.below(len);
            t[i].3[at..at + 4].copy_from_slice(&v.to_le_bytes());
            push(&t, meta.clone());
            push(&t, no_sums(&meta));
        }
    }
    // Metadata: none, no config, config not JSON, each field hostile (with and without the
    // checksums), T edited, checksums malformed.
    push(&tensors, HashMap::new());
    let mut m = meta.clone();
    m.remove(CONFIG_KEY);
    push(&tensors, m);
    for bad in [
        "",
        "{",
        "null",
        "[]",
        "{}",
        "\"config\"",
        "{\"width\":4}",
        "1e999",
    ] {
        let mut m = meta.clone();
        m.insert(CONFIG_KEY.into(), bad.into());
        push(&tensors, m.clone());
        push(&tensors, no_sums(&m));
    }
    for field in MODEL_FIELDS {
        for v in hostile_json_values() {
            let mut m = meta.clone();
            m.insert(CONFIG_KEY.into(), edit_json(&config, field, v));
            push(&tensors, m.clone());
            push(&tensors, no_sums(&m));
        }
    }
    for steps in [1, 3, 64, 4096, 4097] {
        let mut m = meta.clone();
        m.insert(
            CONFIG_KEY.into(),
            edit_json(&config, &["steps"], json!(steps)),
        );
        push(&tensors, m.clone());
        push(&tensors, no_sums(&m));
    }
    for key in ["data_fnv1a64", "config_fnv1a64"] {
        for bad in [
            "",
            "0",
            "zz",
            "ffffffffffffffff",
            "0000000000000000",
            "+123456789abcdef",
        ] {
            let mut m = meta.clone();
            m.insert(key.into(), bad.into());
            push(&tensors, m);
        }
    }
    out
}

/// Inputs that edit the JSON header itself (offsets, shapes, dtypes, metadata types) and
/// re-frame it with a correct length, so they reach past the length check.
fn header_edits(good: &[u8], rng: &mut Rng) -> Vec<Vec<u8>> {
    let n = u64::from_le_bytes(good[..8].try_into().unwrap()) as usize;
    let header: Value = serde_json::from_slice(&good[8..8 + n]).unwrap();
    let data = &good[8 + n..];
    let names: Vec<String> = header
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| *k != "__metadata__")
        .cloned()
        .collect();
    let frame = |h: &Value, data: &[u8]| {
        let text = h.to_string();
        let mut b = (text.len() as u64).to_le_bytes().to_vec();
        b.extend(text.as_bytes());
        b.extend(data);
        b
    };
    let hostile = [
        json!(0),
        json!(1),
        json!(-1),
        json!(u32::MAX),
        json!(u64::MAX),
        json!(usize::MAX / 2),
        json!(1e300),
        json!(null),
        json!("F32"),
        json!([]),
        json!([u64::MAX, u64::MAX]),
        json!([4294967296u64, 4294967296u64]),
        json!([0, u64::MAX]),
        json!([u64::MAX, 0]),
        json!([8, 4]),
        json!([0, 0]),
        json!([1, 2, 3]),
        json!("UNKNOWN"),
        json!("F4"),
        json!({}),
    ];
    let mut out = Vec::new();
    for name in &names {
        for field in ["dtype", "shape", "data_offsets"] {
            for v in &hostile {
                let mut h = header.clone();
                h[name][field] = v.clone();
                out.push(frame(&h, data));
            }
        }
        let mut h = header.clone();
        h[name]["shape"] = json!([u64::MAX, 2]);
        out.push(frame(&h, data));
        let mut h = header.clone();
        h[name]["shape"] = json!([1usize << 32, 1usize << 32, 1usize << 32]);
        out.push(frame(&h, data));
    }
    for v in &hostile {
        let mut h = header.clone();
        h["__metadata__"] = v.clone();
        out.push(frame(&h, data));
        let mut h = header.clone();
        h["__metadata__"][CONFIG_KEY] = v.clone();
        out.push(frame(&h, data));
    }
    // Data area cut or extended under a correct header.
    for cut in [0, 1, 4, data.len() / 2, data.len().saturating_sub(1)] {
        out.push(frame(&header, &data[..cut]));
    }
    out.push(frame(&header, &[data, &[0u8; 64][..]].concat()));
    // Random edits of the header's text, re-framed.
    let text = header.to_string();
    for m in mutations(text.as_bytes(), 600, rng) {
        let mut b = (m.len() as u64).to_le_bytes().to_vec();
        b.extend(&m);
        b.extend(data);
        out.push(b);
    }
    out
}

#[test]
fn fuzz_checkpoint_from_bytes() {
    let mut rng = Rng::new(0xc4e7);
    let good = good_checkpoint();
    let mut inputs = truncations(&good);
    inputs.extend(hostile_fields(&good, &[Field::le64(0)], 50, &mut rng));
    inputs.extend(mutations(&good, RANDOM, &mut rng));
    inputs.extend(structured_checkpoints(&good, &mut rng));
    inputs.extend(header_edits(&good, &mut rng));
    // A header length of 100 MB over a file of a few bytes, and a 4 GB one.
    inputs.push([&99_999_999u64.to_le_bytes()[..], b"{}"].concat());
    inputs.push([&(1u64 << 32).to_le_bytes()[..], b"{}"].concat());
    run("checkpoint from_bytes (safetensors)", inputs, bound, |b| {
        let Ok(ck) = checkpoint::from_bytes(b, Path::new("fuzz.safetensors")) else {
            return false;
        };
        // What is accepted must be usable: a valid config and finite values of its shapes.
        ck.config.validate().unwrap();
        let shapes = params::shapes(&ck.config);
        for ((name, v), (_, s)) in ck.values.named().into_iter().zip(shapes.named()) {
            assert_eq!(v.len(), s.len(), "{name}");
            assert!(
                v.iter().all(|x| x.is_finite()),
                "non-finite {name} accepted"
            );
        }
        true
    });
}

#[test]
fn fuzz_checkpoint_load_files() {
    let mut rng = Rng::new(0xf11e5);
    let good = good_checkpoint();
    let mut inputs: Vec<Vec<u8>> = truncations(&good).into_iter().step_by(5).collect();
    inputs.extend(mutations(&good, 500, &mut rng));
    let dir = std::env::temp_dir().join(format!("draw-core-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("fuzz.safetensors");
    let report = run("checkpoint load (file)", inputs, bound, move |b| {
        std::fs::write(&path, b).unwrap();
        checkpoint::load(&path).is_ok()
    });
    assert!(report.ok > 0);
    // A directory and a missing file are errors too.
    assert!(checkpoint::load(&dir).is_err());
    assert!(checkpoint::load(&dir.join("missing.safetensors")).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn fuzz_config_json() {
    let mut rng = Rng::new(0xc0f);
    let mut seeds: Vec<String> = presets()
        .iter()
        .map(|p| serde_json::to_string(&p.model).unwrap())
        .collect();
    seeds.push(serde_json::to_string(&small_config()).unwrap());
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    for s in &seeds {
        inputs.extend(truncations(s.as_bytes()));
        inputs.extend(mutations(s.as_bytes(), RANDOM / seeds.len(), &mut rng));
        for field in MODEL_FIELDS {
            for v in hostile_json_values() {
                inputs.push(edit_json(s, field, v).into_bytes());
            }
        }
    }
    // Deep nesting, a huge number, a long string, duplicate keys.
    inputs.push("[".repeat(100_000).into_bytes());
    inputs.push(format!("{{\"width\":1{}}}", "0".repeat(10_000)).into_bytes());
    inputs.push(format!("{{\"width\":\"{}\"}}", "a".repeat(100_000)).into_bytes());
    inputs.push(br#"{"width":4,"width":5}"#.to_vec());
    run("config DrawConfig (JSON + validate)", inputs, bound, |b| {
        std::str::from_utf8(b)
            .ok()
            .and_then(|s| serde_json::from_str::<DrawConfig>(s).ok())
            .is_some_and(|c| c.validate().is_ok())
    });

    let train = serde_json::to_string(&TrainConfig::default()).unwrap();
    let mut inputs = truncations(train.as_bytes());
    inputs.extend(mutations(train.as_bytes(), RANDOM, &mut rng));
    let fields = [
        "batch_size",
        "epochs",
        "learning_rate",
        "beta1",
        "beta2",
        "adam_eps",
        "clip_norm",
        "seed",
    ];
    for field in fields {
        for v in hostile_json_values() {
            inputs.push(edit_json(&train, &[field], v).into_bytes());
        }
    }
    run("config TrainConfig (JSON + validate)", inputs, bound, |b| {
        serde_json::from_slice::<TrainConfig>(b).is_ok_and(|c| c.validate().is_ok())
    });
}
