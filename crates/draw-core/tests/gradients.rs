//! The whole model's backward pass against finite differences, on the reference backend in f64.

use draw_core::conformance::{check_gradients, tiny_configs};
use draw_core::reference::HostBackend;

#[test]
fn every_parameter_gradient_matches_finite_differences() {
    let b = HostBackend::<f64>::new();
    for cfg in tiny_configs() {
        let worst = check_gradients(&b, &cfg).unwrap();
        assert!(worst < 1e-6);
    }
}

/// The classifier's backward pass (softmax, T glimpses of LSTM, read attention and attention
/// layer in reverse) against central differences of its mean cross-entropy, every parameter
/// entry, in f64 at a tiny size (7 × 6 image, 3 glimpses of 3 × 3, LSTM 5, 4 classes, 3
/// examples). Tolerance as the generative model's: 1e-6 relative (floor 1).
#[test]
fn classifier_gradients_match_finite_differences() {
    use draw_core::model::classifier::{initial_values, Classifier, ClassifierConfig};
    use draw_core::params::ParamSet;
    use draw_core::Storage;
    let b = HostBackend::<f64>::new();
    let cfg = ClassifierConfig {
        width: 7,
        height: 6,
        channels: 1,
        glimpses: 3,
        read_n: 3,
        lstm_size: 5,
        classes: 4,
    };
    let key = draw_core::NoiseKey::new(5, 1);
    let x: Vec<f64> = (0..3 * 42).map(|i| key.uniform(i)).collect();
    let labels = [2u8, 0, 3];
    let mut values = initial_values(&cfg, 3);
    // Attention weights large enough that every window depends on the glimpses before it.
    for v in values.attn.weight.iter_mut() {
        *v *= 10.0;
    }
    let loss = |vals: &draw_core::model::classifier::ClassifierParams<Vec<f64>>| {
        let m = Classifier::from_values(&b, cfg.clone(), vals).unwrap();
        let mut ws = m.workspace(&b, 3);
        m.forward(&b, &mut ws, &x, &labels).unwrap().mean_loss()
    };
    let model = Classifier::from_values(&b, cfg.clone(), &values).unwrap();
    let mut ws = model.workspace(&b, 3);
    model.forward(&b, &mut ws, &x, &labels).unwrap();
    let mut grads = model.zeros_like(&b);
    model.backward(&b, &mut ws, 3, &mut grads);
    let grads: Vec<(&str, Vec<f64>)> = grads
        .named()
        .into_iter()
        .map(|(n, t)| (n, b.download(t)))
        .collect();
    let h = 1e-6;
    let mut worst = 0.0f64;
    for (k, (name, g)) in grads.iter().enumerate() {
        for (i, &gi) in g.iter().enumerate() {
            let mut up = values.clone();
            up.named_mut()[k].1[i] += h;
            let mut down = values.clone();
            down.named_mut()[k].1[i] -= h;
            let num = (loss(&up) - loss(&down)) / (2.0 * h);
            let err = (num - gi).abs() / gi.abs().max(1.0);
            assert!(err < 1e-6, "{name}[{i}]: analytic {gi} vs numeric {num}");
            worst = worst.max(err);
        }
    }
    // Every parameter tensor gets a gradient (none is silently cut off).
    for (name, g) in &grads {
        assert!(g.iter().any(|v| v.abs() > 1e-9), "{name} has no gradient");
    }
    assert!(worst < 1e-6);
}
