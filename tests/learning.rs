//! DRAW learns on real MNIST: a bounded number of steps on a subset must lower the test-set
//! bound by a stated margin, with and without attention.

mod common;

use draw_rs::core::{evaluate, Draw, DrawConfig, Glimpse, TrainConfig, Trainer};
use draw_rs::cpu::CpuBackend;
use draw_rs::data::{binarize_dynamic, gather, Batcher, Split};
use rand::SeedableRng;

fn learn(cfg: DrawConfig, steps: usize, margin: f64) {
    let b = CpuBackend::<f32>::new();
    let train = common::mnist(Split::Train, 5000);
    let test = common::mnist(Split::Test, 500).binarize_static(7);
    let tc = TrainConfig {
        batch_size: 50,
        seed: 3,
        ..TrainConfig::default()
    };
    let model = Draw::new(&b, cfg, tc.seed).unwrap();
    let bound = |m: &Draw<CpuBackend<f32>>| {
        evaluate(&b, m, test.images.chunks(250 * test.image_size()), 1)
            .unwrap()
            .mean_total()
    };
    let before = bound(&model);
    let mut trainer = Trainer::new(&b, model, tc).unwrap();
    let mut batcher = Batcher::new(train.len, 50, true, 3);
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let mut done = 0;
    while done < steps {
        for idx in batcher.epoch() {
            let x = binarize_dynamic(&gather(&train, &idx), &mut rng);
            trainer.step(&b, &x).unwrap();
            done += 1;
            if done == steps {
                break;
            }
        }
    }
    let after = bound(&trainer.model);
    assert!(
        after < before - margin,
        "test bound went from {before:.2} to {after:.2} nats; expected a drop of more than {margin}"
    );
    // The model now beats the trivial all-pixels-at-their-mean bound by a wide margin.
    assert!(after < 200.0, "test bound {after:.2}");
}

fn small(read: Glimpse, write: Glimpse, steps: usize) -> DrawConfig {
    DrawConfig {
        width: 28,
        height: 28,
        channels: 1,
        steps,
        read,
        write,
        enc_size: 64,
        dec_size: 64,
        z_size: 10,
    }
}

/// 300 steps of batch 50 (3 passes over 5000 images) take an untrained model from ~550 nats
/// (every pixel at probability ½ costs 784·ln 2 = 543 nats) to well under 200.
#[test]
fn no_attention_model_learns_on_real_mnist() {
    learn(small(Glimpse::Full, Glimpse::Full, 4), 300, 300.0);
}

#[test]
fn attention_model_learns_on_real_mnist() {
    learn(
        small(Glimpse::Attention { n: 2 }, Glimpse::Attention { n: 5 }, 8),
        300,
        300.0,
    );
}
