//! draw-core's conformance suite on the CPU backend: finite differences in f64, and agreement
//! with the reference backend for a whole training step and three Adam updates.

use draw_core::conformance::{check_gradients, compare_step, tiny_configs};
use draw_core::reference::HostBackend;
use draw_cpu::CpuBackend;

#[test]
fn f64_gradients_match_finite_differences() {
    let b = CpuBackend::<f64>::new();
    for cfg in tiny_configs() {
        check_gradients(&b, &cfg).unwrap();
    }
}

/// In f64 the two backends differ only by summation order: 1e-10 relative.
#[test]
fn f64_step_matches_reference() {
    let (r, c) = (HostBackend::<f64>::new(), CpuBackend::<f64>::new());
    for cfg in tiny_configs() {
        let cmp = compare_step(&r, &c, &cfg, 7);
        assert!((cmp.loss.0 - cmp.loss.1).abs() < 1e-10 * cmp.loss.0.abs());
        for (name, d) in cmp.grads.iter().chain(&cmp.after_adam) {
            assert!(d.rel < 1e-10, "{name}: {d:?}");
        }
    }
}

/// f32 against the f64 reference: one step accumulates ~1e-6 relative rounding per op over
/// T steps; gradients agree to 1e-3 relative (floor 1e-3, so tiny entries count as absolute).
/// After three Adam steps values agree to 1e-3 too; Adam normalises each update to about the
/// learning rate (1e-3), so a sign flip of a near-zero gradient would show up as ~2e-3.
#[test]
fn f32_step_matches_f64_reference() {
    let (r, c) = (HostBackend::<f64>::new(), CpuBackend::<f32>::new());
    for cfg in tiny_configs() {
        let cmp = compare_step(&r, &c, &cfg, 7);
        assert!(
            (cmp.loss.0 - cmp.loss.1).abs() < 1e-5 * cmp.loss.0.abs(),
            "{:?}",
            cmp.loss
        );
        for (name, d) in &cmp.grads {
            assert!(d.rel < 1e-3, "grad {name}: {d:?}");
        }
        for (name, d) in &cmp.after_adam {
            assert!(d.abs < 3e-3, "after Adam {name}: {d:?}");
        }
    }
}

/// The shared suite (every op at odd and paper sizes, whole steps and Adam) in f32.
mod f32_suite {
    draw_core::conformance_tests!(draw_cpu::CpuBackend::<f32>::new());
}

/// The shared suite in f64: tolerances shrink with machine epsilon.
mod f64_suite {
    draw_core::conformance_tests!(draw_cpu::CpuBackend::<f64>::new());
}
