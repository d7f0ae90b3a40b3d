//! The kernel table: every WGSL compute shader, its bindings, and the pipelines built once
//! per device.
//!
//! Binding 0 of every kernel is the per-dispatch [`Params`] slot (a uniform with a dynamic
//! offset); bindings 1.. are storage buffers, at most 7, read-only or read-write as listed.

use bytemuck::{Pod, Zeroable};

/// Per-dispatch parameters, laid out as the WGSL `Params` struct in `shaders/common.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct Params {
    /// `u0`, `u1`, `u2`: sizes, offsets and flags.
    pub u: [u32; 12],
    /// `f0`, `f1`: float constants.
    pub f: [f32; 8],
}

/// Size of [`Params`] in bytes.
pub const PARAMS_BYTES: u64 = std::mem::size_of::<Params>() as u64;

/// Kernel identifiers, in the order of [`KERNELS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
#[allow(missing_docs)]
pub enum Kernel {
    Gemm,
    GemmDirect,
    Fill,
    Scale,
    CopyCols,
    CopyRows,
    TransposeRows,
    AddBias,
    BroadcastRows,
    SumRows,
    FillNormal,
    Reduce,
    LstmForward,
    LstmBackward,
    FilterbankForward,
    FilterbankBackward,
    ReadForward,
    ReadBackwardDxhat,
    ReadBackwardDfx,
    ReadBackwardDfy,
    ReadBackwardDp,
    WriteForward,
    WriteBackwardDpatch,
    WriteBackwardDfx,
    WriteBackwardDfy,
    WriteBackwardDp,
    CanvasError,
    CanvasErrorBackward,
    SampleLatent,
    SampleLatentBackward,
    Bce,
    BceBackward,
    Adam,
}

/// How a kernel is built: its source (after the shared headers) and whether each storage
/// binding is written.
pub struct Spec {
    /// Label, for wgpu errors.
    pub name: &'static str,
    /// The kernel's WGSL (entry point `main`).
    pub source: &'static str,
    /// Headers prepended after `common.wgsl`.
    pub headers: &'static [&'static str],
    /// Per storage binding (1, 2, …): true when the kernel writes it.
    pub writes: &'static [bool],
}

const R: bool = false;
const W: bool = true;

macro_rules! spec {
    ($file:literal, $headers:expr, [$($w:expr),*]) => {
        Spec {
            name: $file,
            source: include_str!(concat!("../../../shaders/", $file, ".wgsl")),
            headers: $headers,
            writes: &[$($w),*],
        }
    };
}

const PLAIN: &[&str] = &[];
const ATTENTION: &[&str] = &[include_str!("../../../shaders/attention_common.wgsl")];
const READ: &[&str] = &[
    include_str!("../../../shaders/attention_common.wgsl"),
    include_str!("../../../shaders/read_images.wgsl"),
];

/// Every kernel, indexed by [`Kernel`].
pub static KERNELS: [Spec; 33] = [
    spec!("gemm", PLAIN, [R, R, W]),
    spec!("gemm_direct", PLAIN, [R, R, W]),
    spec!("fill", PLAIN, [W]),
    spec!("scale", PLAIN, [W]),
    spec!("copy_cols", PLAIN, [R, W]),
    spec!("copy_rows", PLAIN, [R, W]),
    spec!("transpose_rows", PLAIN, [R, W]),
    spec!("add_bias", PLAIN, [W, R]),
    spec!("broadcast_rows", PLAIN, [R, W]),
    spec!("sum_rows", PLAIN, [R, W]),
    spec!("fill_normal", PLAIN, [W]),
    spec!("reduce", PLAIN, [R, W]),
    spec!("lstm_forward", PLAIN, [W, R, W, W]),
    spec!("lstm_backward", PLAIN, [R, R, R, R, W, W]),
    spec!("filterbank_forward", ATTENTION, [R, W, W]),
    spec!("filterbank_backward", ATTENTION, [R, R, R, R, R, W]),
    spec!("read_forward", READ, [R, R, R, R, R, W]),
    spec!("read_backward_dxhat", ATTENTION, [R, R, R, R, W]),
    spec!("read_backward_dfx", READ, [R, R, R, R, R, W]),
    spec!("read_backward_dfy", READ, [R, R, R, R, R, W]),
    spec!("read_backward_dp", READ, [R, R, R, R, R, R, W]),
    spec!("write_forward", ATTENTION, [R, R, R, R, W]),
    spec!("write_backward_dpatch", ATTENTION, [R, R, R, R, W]),
    spec!("write_backward_dfx", ATTENTION, [R, R, R, R, W]),
    spec!("write_backward_dfy", ATTENTION, [R, R, R, R, W]),
    spec!("write_backward_dp", ATTENTION, [R, R, R, R, R, W]),
    spec!("canvas_error", PLAIN, [R, R, W]),
    spec!("canvas_error_backward", PLAIN, [R, R, R, W]),
    spec!("sample_latent", PLAIN, [R, R, R, W, W]),
    spec!("sample_latent_backward", PLAIN, [R, R, R, R, W, W]),
    spec!("bce", PLAIN, [R, R, W]),
    spec!("bce_backward", PLAIN, [R, R, W]),
    spec!("adam", PLAIN, [W, R, W, W]),
];

const COMMON: &str = include_str!("../../../shaders/common.wgsl");

/// A built kernel: its pipeline and the layout its bind groups follow.
pub struct Pipeline {
    /// The compute pipeline.
    pub pipeline: wgpu::ComputePipeline,
    /// Bind group 0's layout.
    pub layout: wgpu::BindGroupLayout,
}

/// The full WGSL source of a kernel: shared headers, then the kernel.
pub fn full_source(spec: &Spec) -> String {
    let mut s = String::from(COMMON);
    for h in spec.headers {
        s.push_str(h);
    }
    s.push_str(spec.source);
    s
}

/// Builds every pipeline (once per device).
pub fn build_all(device: &wgpu::Device) -> Vec<Pipeline> {
    KERNELS.iter().map(|spec| build(device, spec)).collect()
}

fn build(device: &wgpu::Device, spec: &Spec) -> Pipeline {
    let mut entries = vec![wgpu::BindGroupLayoutEntry {
        binding: 0,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Uniform,
            has_dynamic_offset: true,
            min_binding_size: wgpu::BufferSize::new(PARAMS_BYTES),
        },
        count: None,
    }];
    for (k, &writes) in spec.writes.iter().enumerate() {
        entries.push(wgpu::BindGroupLayoutEntry {
            binding: k as u32 + 1,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Storage { read_only: !writes },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        });
    }
    let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some(spec.name),
        entries: &entries,
    });
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some(spec.name),
        bind_group_layouts: &[Some(&layout)],
        immediate_size: 0,
    });
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(spec.name),
        source: wgpu::ShaderSource::Wgsl(full_source(spec).into()),
    });
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(spec.name),
        layout: Some(&pipeline_layout),
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    });
    Pipeline { pipeline, layout }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wgpu::naga;

    /// Every kernel parses and validates with naga (no adapter needed), and its storage
    /// bindings match the table: the same count (at most 7), written exactly where listed.
    #[test]
    fn every_kernel_validates_and_matches_its_bindings() {
        for spec in &KERNELS {
            let src = full_source(spec);
            let module = naga::front::wgsl::parse_str(&src)
                .unwrap_or_else(|e| panic!("{}: {}", spec.name, e.emit_to_string(&src)));
            naga::valid::Validator::new(
                naga::valid::ValidationFlags::all(),
                naga::valid::Capabilities::default(),
            )
            .validate(&module)
            .unwrap_or_else(|e| panic!("{}: {e:?}", spec.name));
            let mut storage: Vec<(u32, bool)> = module
                .global_variables
                .iter()
                .filter_map(|(_, v)| match (v.space, &v.binding) {
                    (naga::AddressSpace::Storage { access }, Some(b)) => {
                        Some((b.binding, access.contains(naga::StorageAccess::STORE)))
                    }
                    _ => None,
                })
                .collect();
            storage.sort();
            let expected: Vec<(u32, bool)> = spec
                .writes
                .iter()
                .enumerate()
                .map(|(k, &w)| (k as u32 + 1, w))
                .collect();
            assert_eq!(storage, expected, "{}: storage bindings", spec.name);
            assert!(
                spec.writes.len() <= 7,
                "{}: more than 7 storage bindings",
                spec.name
            );
        }
    }
}
