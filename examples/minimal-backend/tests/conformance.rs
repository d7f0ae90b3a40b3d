//! The example backend passes draw-core's suite with nothing but the required primitives.

use draw_backend_example::VecBackend;

// Every op at odd and paper sizes, whole training steps and Adam, against the f64 reference.
draw_core::conformance_tests!(VecBackend::<f32>::new());

/// In f64, the whole model's gradients match finite differences.
#[test]
fn f64_gradients_match_finite_differences() {
    let b = VecBackend::<f64>::new();
    for cfg in draw_core::conformance::tiny_configs() {
        draw_core::conformance::check_gradients(&b, &cfg).unwrap();
    }
}
