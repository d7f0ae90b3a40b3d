//! Checkpoints: a round trip reproduces the loss exactly, the file uses PyTorch's names and
//! shapes, and damaged files get errors that name the problem.

mod common;

use draw_rs::core::checkpoint::{self, CONFIG_KEY};
use draw_rs::core::prelude::*;
use draw_rs::core::{preset, TrainConfig};
use draw_rs::cpu::CpuBackend;
use draw_rs::data::Split;
use std::path::PathBuf;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("draw-ckpt-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn trained(name: &str) -> (CpuBackend<f32>, Draw<CpuBackend<f32>>, Vec<f32>) {
    let b = CpuBackend::<f32>::new();
    let mut cfg = preset(name).unwrap().model;
    cfg.steps = 6;
    let x = common::mnist(Split::Test, 20).binarize_static(1).images;
    let model = Draw::new(&b, cfg, 5).unwrap();
    let mut t = Trainer::new(
        &b,
        model,
        TrainConfig {
            batch_size: 20,
            ..TrainConfig::default()
        },
    )
    .unwrap();
    for _ in 0..3 {
        t.step(&b, &x).unwrap();
    }
    (b, t.model, x)
}

#[test]
fn round_trip_reproduces_the_loss_exactly() {
    for name in ["mnist", "quick"] {
        let (b, model, x) = trained(name);
        let dir = tmp(name);
        let path = dir.join("m.safetensors");
        checkpoint::save(
            &path,
            model.config(),
            &model.values(&b),
            &[("step", "3".into())],
        )
        .unwrap();
        let ck = checkpoint::load(&path).unwrap();
        assert_eq!(&ck.config, model.config());
        assert_eq!(ck.metadata["step"], "3");
        let loaded = Draw::from_values(&b, ck.config, &ck.values).unwrap();
        let key = NoiseKey::new(9, 9);
        let mut w1 = model.workspace(&b, 20);
        let mut w2 = loaded.workspace(&b, 20);
        let l1 = model.forward(&b, &mut w1, &x, key).unwrap();
        let l2 = loaded.forward(&b, &mut w2, &x, key).unwrap();
        assert_eq!(l1, l2, "loss must be bit-identical after a round trip");
        for ((n, a), (_, c)) in model
            .params()
            .named()
            .into_iter()
            .zip(loaded.params().named())
        {
            assert_eq!(b.download(a), b.download(c), "{n}");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn file_uses_pytorch_names_and_shapes() {
    let (b, model, _) = trained("mnist");
    let bytes = checkpoint::to_bytes(model.config(), &model.values(&b), &[]).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let expect: &[(&str, &[usize])] = &[
        ("encoder.weight_ih", &[1024, 8 + 256]),
        ("encoder.weight_hh", &[1024, 256]),
        ("encoder.bias_ih", &[1024]),
        ("encoder.bias_hh", &[1024]),
        ("decoder.weight_ih", &[1024, 100]),
        ("decoder.weight_hh", &[1024, 256]),
        ("mu.weight", &[100, 256]),
        ("logsigma.bias", &[100]),
        ("read_attn.weight", &[5, 256]),
        ("write_attn.bias", &[5]),
        ("write.weight", &[25, 256]),
        ("init.canvas", &[784]),
        ("init.c_dec", &[256]),
    ];
    for (name, shape) in expect {
        let t = st.tensor(name).unwrap();
        assert_eq!(t.shape(), *shape, "{name}");
        assert_eq!(t.dtype(), safetensors::Dtype::F32);
    }
    assert_eq!(st.names().len(), 23);
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    assert!(meta.metadata().as_ref().unwrap()[CONFIG_KEY].contains("\"attention\""));
}

#[test]
fn damaged_checkpoints_are_refused_with_a_reason() {
    let (b, model, _) = trained("mnist");
    let dir = tmp("bad");
    let good = checkpoint::to_bytes(model.config(), &model.values(&b), &[]).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated",
            good[..good.len() / 2].to_vec(),
            "not a safetensors file",
        ),
        ("empty", vec![], "not a safetensors file"),
        (
            "garbage",
            b"hello world, not a checkpoint".to_vec(),
            "not a safetensors file",
        ),
    ];
    for (name, bytes, want) in cases {
        let p = dir.join(format!("{name}.safetensors"));
        std::fs::write(&p, bytes).unwrap();
        let err = checkpoint::load(&p).err().expect("must fail").to_string();
        assert!(err.contains(want) && err.contains(name), "{name}: {err}");
    }
    // A checkpoint whose config disagrees with its tensors: the good tensors, re-serialised
    // under a config with a smaller encoder.
    let st = safetensors::SafeTensors::deserialize(&good).unwrap();
    let mut cfg = model.config().clone();
    cfg.enc_size = 128;
    let meta = std::collections::HashMap::from([(
        CONFIG_KEY.to_string(),
        serde_json::to_string(&cfg).unwrap(),
    )]);
    let bytes = safetensors::serialize(st.tensors(), Some(meta)).unwrap();
    let err = checkpoint::from_bytes(&bytes, std::path::Path::new("mismatch.safetensors"))
        .err()
        .expect("must fail")
        .to_string();
    assert!(
        err.contains("mismatch.safetensors")
            && err.contains("encoder.weight_ih")
            && err.contains("[512, 264]"),
        "{err}"
    );
    let missing = checkpoint::load(&dir.join("nope.safetensors"))
        .err()
        .unwrap()
        .to_string();
    assert!(missing.contains("nope.safetensors"), "{missing}");
    std::fs::remove_dir_all(dir).unwrap();
}
