//! The recurrent attention classifier learns on (small) cluttered MNIST, and its checkpoints
//! round-trip and resume exactly.

mod common;

use draw_rs::core::checkpoint;
use draw_rs::core::model::classifier::{
    classification_error, Classifier, ClassifierConfig, ClassifierTrainer,
};
use draw_rs::core::TrainConfig;
use draw_rs::cpu::CpuBackend;
use draw_rs::data::{Batcher, ClutterConfig, ClutteredMnist, Generator, Split};

/// 40 × 40 canvases with 2 pieces of clutter: the cluttered task at a size CI affords.
const SMALL: ClutterConfig = ClutterConfig {
    canvas: 40,
    clutter: 2,
    crop: 8,
};

fn small_config() -> ClassifierConfig {
    ClassifierConfig {
        width: 40,
        height: 40,
        channels: 1,
        glimpses: 4,
        read_n: 8,
        lstm_size: 64,
        classes: 10,
    }
}

/// 600 steps of 50 on 5000 cluttered training digits (fresh clutter each epoch) take the
/// error on 500 cluttered test digits from chance (90 %) to below 45 %, half of chance.
/// Measured: 86.4 % → 22.0 % (13 s on 2 cores), so the bound leaves 23 points for another
/// float summation order or CPU.
#[test]
fn classifier_error_falls_well_below_chance() {
    let b = CpuBackend::<f32>::new();
    let train_digits = common::mnist(Split::Train, 5000);
    let test_digits = common::mnist(Split::Test, 500);
    let train = ClutteredMnist::new(SMALL, &train_digits, 0..5000).unwrap();
    let test = ClutteredMnist::new(SMALL, &test_digits, 0..500)
        .unwrap()
        .epoch(11, 0);
    let tc = TrainConfig {
        batch_size: 50,
        seed: 3,
        learning_rate: 2e-3,
        ..TrainConfig::default()
    };
    let model = Classifier::new(&b, small_config(), tc.seed).unwrap();
    let error = |m: &Classifier<CpuBackend<f32>>| {
        classification_error(&b, m, &test.images, &test.labels, 250)
            .unwrap()
            .error_percent()
    };
    let before = error(&model);
    let mut trainer = ClassifierTrainer::new(&b, model, tc).unwrap();
    let batcher = Batcher::new(train.epoch_len(), 50, true, 3);
    let steps = 600;
    'train: for epoch in 0.. {
        for idx in batcher.batches(epoch) {
            let batch = train.batch(3, epoch, &idx);
            trainer.step(&b, &batch.images, &batch.labels).unwrap();
            if trainer.steps() == steps {
                break 'train;
            }
        }
    }
    let after = error(&trainer.model);
    eprintln!("cluttered 40x40 test error: {before:.1} % -> {after:.1} % after {steps} steps");
    assert!(
        after < 45.0,
        "test error went from {before:.1} % to {after:.1} %; expected below 45 % (chance is 90 %)"
    );
}

/// Two steps, a checkpoint with the optimiser's state, a resumed trainer: the next steps are
/// bit for bit those of the uninterrupted run; the generative loader refuses the file by name.
#[test]
fn classifier_checkpoint_resumes_exactly() {
    let b = CpuBackend::<f32>::new();
    let cfg = ClassifierConfig {
        width: 12,
        height: 12,
        channels: 1,
        glimpses: 3,
        read_n: 4,
        lstm_size: 16,
        classes: 10,
    };
    let tc = TrainConfig {
        batch_size: 4,
        ..TrainConfig::default()
    };
    let key = draw_rs::core::NoiseKey::new(9, 9);
    let batch = |k: u64| -> (Vec<f32>, Vec<u8>) {
        let x = (0..4 * 144)
            .map(|i| key.uniform(k * 1000 + i) as f32)
            .collect();
        (x, vec![(k % 10) as u8, 3, 7, 1])
    };
    let model = Classifier::new(&b, cfg.clone(), 2).unwrap();
    let mut straight = ClassifierTrainer::new(&b, model, tc.clone()).unwrap();
    for k in 0..2 {
        let (x, y) = batch(k);
        straight.step(&b, &x, &y).unwrap();
    }
    let dir = std::env::temp_dir().join(format!("draw-classifier-ckpt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("model.safetensors");
    let state = straight.adam_state(&b);
    let values = straight.model.values(&b);
    checkpoint::save_classifier(&path, &cfg, &values, Some(&state), &[]).unwrap();
    assert!(checkpoint::is_classifier(&path).unwrap());
    let ck = checkpoint::load_classifier(&path).unwrap();
    assert_eq!(ck.config, cfg);
    assert_eq!(ck.optimizer.as_ref().map(|a| a.steps), Some(2));
    let model = Classifier::from_values(&b, ck.config, &ck.values).unwrap();
    let opt = ck.optimizer.unwrap();
    let mut resumed = ClassifierTrainer::resume(&b, model, tc, &opt).unwrap();
    for k in 2..4 {
        let (x, y) = batch(k);
        let (s1, _) = straight.step(&b, &x, &y).unwrap();
        let (s2, _) = resumed.step(&b, &x, &y).unwrap();
        assert_eq!(s1, s2);
    }
    assert_eq!(straight.model.values(&b), resumed.model.values(&b));
    let err = checkpoint::load(&path)
        .err()
        .expect("not a generative model");
    assert!(err.to_string().contains("classifier checkpoint"), "{err}");
    // A label that is no class is refused before any kernel sees it.
    let (x, _) = batch(0);
    let err = resumed.step(&b, &x, &[0, 1, 10, 2]).unwrap_err();
    assert!(err.to_string().contains("label 10"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
