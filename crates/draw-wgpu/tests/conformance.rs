//! draw-core's conformance suite on the wgpu backend, against the f64 reference.
//!
//! These tests need an adapter. Without one they fail (CI installs the software Vulkan driver,
//! `mesa-vulkan-drivers`); set `DRAW_WGPU_SKIP=1` to skip them deliberately on a machine with
//! no Vulkan, Metal, DX12 or GL driver.

use draw_core::prelude::*;

fn backend() -> draw_wgpu::WgpuBackend {
    draw_wgpu::WgpuBackend::new().unwrap_or_else(|e| panic!("{e}"))
}

fn skip() -> bool {
    std::env::var_os("DRAW_WGPU_SKIP").is_some_and(|v| v == "1")
}

// Every op at odd and paper sizes, whole training steps and Adam, against the f64 reference.
draw_core::conformance_tests!(backend(), skip_if = skip());

/// The kernel the adapter does not pick by default (tiled on lavapipe), so that CI checks
/// both matrix-product kernels.
#[test]
fn other_gemm_kernel_matches_reference() {
    if skip() {
        return;
    }
    let first = backend();
    let other = if first.name().contains("(Cpu,") {
        draw_wgpu::GemmKernel::Tiled
    } else {
        draw_wgpu::GemmKernel::Direct
    };
    let b = draw_wgpu::WgpuBackend::with_options(None, Some(other)).unwrap();
    let reference = draw_core::reference::HostBackend::<f64>::new();
    draw_core::conformance::assert_ops(&reference, &b);
}
