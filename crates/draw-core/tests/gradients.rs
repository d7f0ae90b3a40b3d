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
