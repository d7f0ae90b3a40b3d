//! draw-core's conformance suite on the wgpu backend, against the f64 reference.
//!
//! These tests need an adapter. Without one they fail (CI installs the software Vulkan driver,
//! `mesa-vulkan-drivers`); set `DRAW_WGPU_SKIP=1` to skip them deliberately on a machine with
//! no Vulkan, Metal, DX12 or GL driver.

fn backend() -> draw_wgpu::WgpuBackend {
    draw_wgpu::WgpuBackend::new().unwrap_or_else(|e| panic!("{e}"))
}

fn skip() -> bool {
    std::env::var_os("DRAW_WGPU_SKIP").is_some_and(|v| v == "1")
}

#[test]
fn ops_match_reference() {
    if skip() {
        return;
    }
    let reference = draw_core::reference::HostBackend::<f64>::new();
    draw_core::conformance::assert_ops(&reference, &backend());
}

#[test]
fn training_steps_match_reference() {
    if skip() {
        return;
    }
    let reference = draw_core::reference::HostBackend::<f64>::new();
    draw_core::conformance::assert_steps(&reference, &backend());
}
