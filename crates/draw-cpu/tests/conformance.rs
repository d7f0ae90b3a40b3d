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
