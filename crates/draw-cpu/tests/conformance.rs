//! draw-core's conformance suite on the CPU backend: finite differences of the whole model in
//! f64, and every op, whole training steps and Adam updates against the f64 reference in f32
//! and in f64 (where the tolerances shrink with machine epsilon: the two differ only by
//! summation order).

use draw_core::conformance::{check_gradients, tiny_configs};
use draw_cpu::CpuBackend;

#[test]
fn f64_gradients_match_finite_differences() {
    let b = CpuBackend::<f64>::new();
    for cfg in tiny_configs() {
        check_gradients(&b, &cfg).unwrap();
    }
}

mod f32_suite {
    draw_core::conformance_tests!(draw_cpu::CpuBackend::<f32>::new());
}

mod f64_suite {
    draw_core::conformance_tests!(draw_cpu::CpuBackend::<f64>::new());
}

/// Sampling split across the cores' shards gives the frames of one unsharded batch (each
/// shard draws its own rows' noise).
#[test]
fn sharded_generation_matches_the_reference() {
    use draw_core::prelude::*;
    let (r, c) = (
        draw_core::reference::HostBackend::<f64>::new(),
        CpuBackend::<f64>::new(),
    );
    assert!(c.shards(7) > 1 || rayon::current_num_threads() == 1);
    for cfg in tiny_configs() {
        let values = draw_core::params::initial_values(&cfg, 3);
        let mr = Draw::from_values(&r, cfg.clone(), &values).unwrap();
        let mc = Draw::from_values(&c, cfg.clone(), &values).unwrap();
        let (a, b) = (
            mr.generate(&r, 7, NoiseKey::new(5, 9)).unwrap(),
            mc.generate(&c, 7, NoiseKey::new(5, 9)).unwrap(),
        );
        assert_eq!(a.len(), b.len());
        for (fa, fb) in a.iter().zip(&b) {
            assert_eq!(fa.len(), fb.len());
            for (x, y) in fa.iter().zip(fb) {
                assert!((x - y).abs() <= 1e-6, "{x} vs {y} ({cfg:?})");
            }
        }
    }
}
