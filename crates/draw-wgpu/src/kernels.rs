//! The kernel table: every WGSL compute shader declared once, with its source, headers, entry
//! point, parameter struct and storage bindings; and the pipelines built from it once per
//! device.
//!
//! Binding 0 of every kernel is its parameter struct (`P`, a uniform slot of the arena, bound
//! with a dynamic offset); bindings 1.. are storage buffers of `f32`, at most 8, named and
//! read-only or read-write as listed. The declarations are generated from the row, and so is
//! the entry point of every 256-thread kernel ([`Entry`]): a shader file holds only its maths.
//! The naga tests below check that every kernel validates and uses what its row declares.

use crate::params::{
    AdamParams, AttentionParams, BroadcastParams, CopyColsParams, CopyOutParams, CopyRowsParams,
    ElementwiseParams, FillParams, GemmParams, KernelParams, LatentParams, NormalParams,
    ParamsLayout, ReduceParams, ScaleParams, ShapeParams, TransposeParams, VerdictParams,
    XentParams,
};

/// A file under `shaders/`, compiled in.
pub struct Wgsl {
    /// Its name under `shaders/` (also the label of a kernel in wgpu errors).
    pub file: &'static str,
    /// Its text.
    pub source: &'static str,
}

/// The [`Wgsl`] of `shaders/<file>` (the one place a shader is read; `cargo xtask tidy` reads
/// the file names from these invocations).
macro_rules! wgsl {
    ($file:literal) => {
        Wgsl {
            file: $file,
            source: include_str!(concat!("../../../shaders/", $file)),
        }
    };
}

/// Prepended to every kernel, in this order: shared maths, then the parameter structs.
pub const PRELUDE: &[Wgsl] = &[wgsl!("common.wgsl"), wgsl!("params.wgsl")];
/// No headers past the prelude.
const PLAIN: &[Wgsl] = &[];
/// The filterbank decoding shared by the attention kernels.
const ATTENTION: &[Wgsl] = &[wgsl!("attention_common.wgsl")];
/// Attention kernels that read the images (`x` and `xhat` at bindings 1 and 2).
const READ: &[Wgsl] = &[wgsl!("attention_common.wgsl"), wgsl!("read_images.wgsl")];
/// The filterbank decoding and one filter's row (`filter_row`).
const FILTERBANK: &[Wgsl] = &[
    wgsl!("attention_common.wgsl"),
    wgsl!("filterbank_rows.wgsl"),
];
/// The read backward's x̂ gradient at one pixel (`read_dxhat`).
const READ_DXHAT: &[Wgsl] = &[wgsl!("attention_common.wgsl"), wgsl!("read_dxhat.wgsl")];
/// The attention write's value at one pixel (`write_pixel`).
const WRITE_PIXEL: &[Wgsl] = &[wgsl!("attention_common.wgsl"), wgsl!("write_pixel.wgsl")];
/// The read backward's dF_X and dF_Y, one element each (`read_dfx`, `read_dfy`).
const READ_DF: &[Wgsl] = &[
    wgsl!("attention_common.wgsl"),
    wgsl!("read_images.wgsl"),
    wgsl!("read_backward_dfx.wgsl"),
    wgsl!("read_backward_dfy.wgsl"),
];
/// The write backward's dF_X and dF_Y, one element each (`write_dfx`, `write_dfy`), and the
/// workgroup sum.
const WRITE_DF: &[Wgsl] = &[
    wgsl!("attention_common.wgsl"),
    wgsl!("workgroup_sum.wgsl"),
    wgsl!("write_backward_dfx.wgsl"),
    wgsl!("write_backward_dfy.wgsl"),
];
/// The softmax kernels (binding `logits`).
const SOFTMAX: &[Wgsl] = &[wgsl!("softmax_common.wgsl")];
/// The GEMMs' store of C and of its column copies.
const GEMM_STORE: &[Wgsl] = &[wgsl!("gemm_store.wgsl")];
/// The counter-based normal generator.
const NORMAL: &[Wgsl] = &[wgsl!("normal_common.wgsl")];
/// The counter-based normal generator and the workgroup sum.
const NORMAL_SUM: &[Wgsl] = &[wgsl!("normal_common.wgsl"), wgsl!("workgroup_sum.wgsl")];
/// Kernels that sum within a workgroup.
const SUM: &[Wgsl] = &[wgsl!("workgroup_sum.wgsl")];
/// The filterbank decoding and the workgroup sum.
const ATTENTION_SUM: &[Wgsl] = &[wgsl!("attention_common.wgsl"), wgsl!("workgroup_sum.wgsl")];

/// Whether a kernel writes a storage binding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// `var<storage, read>`.
    Read,
    /// `var<storage, read_write>`.
    ReadWrite,
}

/// A storage binding: binding k + 1 for the k-th of a kernel's list.
#[derive(Clone, Copy, Debug)]
pub struct Binding {
    /// The WGSL variable's name.
    pub name: &'static str,
    /// Read-only or read-write.
    pub access: Access,
}

/// Who writes a kernel's compute entry point, `main`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// Generated: 256-thread workgroups on a 2-D grid, each thread calling the shader's
    /// `fn kernel(t: u32, wg: u32, lid: u32)` with its flat index `t`, its workgroup's flat
    /// index `wg` and its index `lid` within the workgroup.
    Threads,
    /// The shader's own `@compute fn main` (the tiled GEMM's 16 × 16 workgroups).
    Own,
}

/// The entry point [`Entry::Threads`] generates.
const THREADS_ENTRY: &str = "
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    kernel(flat_index(wid, nwg, lid), wid.y * nwg.x + wid.x, lid);
}
";

/// One row of the table: how a kernel is built and what it binds.
pub struct Spec {
    /// Its shader file.
    pub shader: Wgsl,
    /// Headers prepended after the [`PRELUDE`].
    pub headers: &'static [Wgsl],
    /// Who writes the compute entry point.
    pub entry: Entry,
    /// Layout of the parameter struct at binding 0.
    pub params: ParamsLayout,
    /// Storage bindings 1, 2, … in order.
    pub bindings: &'static [Binding],
}

/// Declares the [`Kernel`] enum and the [`KERNELS`] table from one list of rows.
macro_rules! kernels {
    ($(
        $(#[$doc:meta])*
        $kernel:ident {
            shader: $shader:expr,
            headers: $headers:expr,
            entry: $entry:ident,
            params: $params:ty,
            bindings: [$($binding:ident: $access:ident),* $(,)?] $(,)?
        }
    )*) => {
        /// Kernel identifiers, one per row of the kernel table (`KERNELS`, in its order).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Kernel {
            $($(#[$doc])* $kernel,)*
        }

        impl Kernel {
            /// Every kernel, in table order.
            pub const ALL: &[Kernel] = &[$(Kernel::$kernel),*];
        }

        /// Every kernel, indexed by [`Kernel`].
        pub static KERNELS: &[Spec] = &[$(
            Spec {
                shader: $shader,
                headers: $headers,
                entry: Entry::$entry,
                params: <$params as KernelParams>::LAYOUT,
                bindings: &[$(Binding { name: stringify!($binding), access: Access::$access }),*],
            },
        )*];
    };
}

kernels! {
    /// C ← α·op(A)·op(B) + β·C (+ a bias row; column blocks also written to up to three
    /// copies, placeholders binding `C`) on 64 × 64 tiles staged in workgroup memory (for GPUs).
    Gemm {
        shader: wgsl!("gemm.wgsl"), headers: GEMM_STORE, entry: Own,
        params: GemmParams,
        bindings: [
            A: Read, B: Read, C: ReadWrite, bias: Read, out0: ReadWrite, out1: ReadWrite,
            out2: ReadWrite,
        ],
    }
    /// C ← α·op(A)·op(B) + β·C (+ a bias row; column copies as `Gemm`), one thread per element
    /// (for CPU adapters).
    GemmDirect {
        shader: wgsl!("gemm_direct.wgsl"), headers: GEMM_STORE, entry: Threads,
        params: GemmParams,
        bindings: [
            A: Read, B: Read, C: ReadWrite, bias: Read, out0: ReadWrite, out1: ReadWrite,
            out2: ReadWrite,
        ],
    }
    /// Every element set to a value.
    Fill {
        shader: wgsl!("fill.wgsl"), headers: PLAIN, entry: Threads,
        params: FillParams,
        bindings: [T: ReadWrite],
    }
    /// Every element multiplied by α.
    Scale {
        shader: wgsl!("scale.wgsl"), headers: PLAIN, entry: Threads,
        params: ScaleParams,
        bindings: [T: ReadWrite],
    }
    /// A block of columns copied (or added) into another matrix.
    CopyCols {
        shader: wgsl!("copy_cols.wgsl"), headers: PLAIN, entry: Threads,
        params: CopyColsParams,
        bindings: [src: Read, dst: ReadWrite],
    }
    /// A matrix copied into rows of another, or rows of a matrix copied out into another.
    CopyRows {
        shader: wgsl!("copy_rows.wgsl"), headers: PLAIN, entry: Threads,
        params: CopyRowsParams,
        bindings: [src: Read, dst: ReadWrite],
    }
    /// A matrix transposed into rows of another.
    TransposeRows {
        shader: wgsl!("transpose_rows.wgsl"), headers: PLAIN, entry: Threads,
        params: TransposeParams,
        bindings: [src: Read, dst: ReadWrite],
    }
    /// A bias row added to every row.
    AddBias {
        shader: wgsl!("add_bias.wgsl"), headers: PLAIN, entry: Threads,
        params: BroadcastParams,
        bindings: [dst: ReadWrite, bias: Read],
    }
    /// A row copied to every row.
    BroadcastRows {
        shader: wgsl!("broadcast_rows.wgsl"), headers: PLAIN, entry: Threads,
        params: BroadcastParams,
        bindings: [src: Read, dst: ReadWrite],
    }
    /// Column sums added to a row.
    SumRows {
        shader: wgsl!("sum_rows.wgsl"), headers: PLAIN, entry: Threads,
        params: ShapeParams,
        bindings: [src: Read, dst: ReadWrite],
    }
    /// Standard normals from a `NoiseKey`.
    FillNormal {
        shader: wgsl!("fill_normal.wgsl"), headers: NORMAL, entry: Threads,
        params: NormalParams,
        bindings: [T: ReadWrite],
    }
    /// Σx or Σx² into one slot of the results buffer.
    Reduce {
        shader: wgsl!("reduce.wgsl"), headers: SUM, entry: Threads,
        params: ReduceParams,
        bindings: [src: Read, out: ReadWrite],
    }
    /// LSTM cell forward, h also written to up to three copies (placeholders bind `h`).
    LstmForward {
        shader: wgsl!("lstm_forward.wgsl"), headers: PLAIN, entry: Threads,
        params: CopyOutParams,
        bindings: [
            gates: ReadWrite, c_prev: Read, c: ReadWrite, h: ReadWrite, h_copy0: ReadWrite,
            h_copy1: ReadWrite, h_copy2: ReadWrite,
        ],
    }
    /// LSTM cell backward, the gate gradients also written to a copy (the placeholder binds
    /// `dgates`).
    LstmBackward {
        shader: wgsl!("lstm_backward.wgsl"), headers: PLAIN, entry: Threads,
        params: CopyOutParams,
        bindings: [
            gates: Read, c_prev: Read, c: Read, dh: Read, dc: ReadWrite, dgates: ReadWrite,
            dgates_copy: ReadWrite,
        ],
    }
    /// The filterbanks F_X, F_Y from the attention outputs.
    FilterbankForward {
        shader: wgsl!("filterbank_forward.wgsl"), headers: FILTERBANK, entry: Threads,
        params: AttentionParams,
        bindings: [p: Read, fx: ReadWrite, fy: ReadWrite],
    }
    /// Two windows' filterbanks over one image (threads split between them).
    FilterbankForwardPair {
        shader: wgsl!("filterbank_forward_pair.wgsl"), headers: FILTERBANK, entry: Threads,
        params: AttentionParams,
        bindings: [
            p: Read, fx: ReadWrite, fy: ReadWrite, p2: Read, fx2: ReadWrite, fy2: ReadWrite,
        ],
    }
    /// The filterbanks' gradients carried back to the attention outputs, dp also written to
    /// up to two copies (placeholders bind `dp`); with `gamma_sign` ≠ 0 (the read's whole
    /// backward) log γ's too, in closed form from dF_X, dp set rather than added to.
    FilterbankBackward {
        shader: wgsl!("filterbank_backward.wgsl"), headers: ATTENTION, entry: Threads,
        params: AttentionParams,
        bindings: [
            p: Read, fx: Read, fy: Read, dfx: Read, dfy: Read, dp: ReadWrite, dp_copy: ReadWrite,
            dp_copy1: ReadWrite,
        ],
    }
    /// Attention read, r also written to a copy (the placeholder binds `out`).
    ReadForward {
        shader: wgsl!("read_forward.wgsl"), headers: READ, entry: Threads,
        params: AttentionParams,
        bindings: [
            x: Read, xhat: Read, fx: Read, fy: Read, p: Read, out: ReadWrite, out_copy: ReadWrite,
        ],
    }
    /// Attention read backward, to x̂.
    ReadBackwardDxhat {
        shader: wgsl!("read_backward_dxhat.wgsl"), headers: READ_DXHAT, entry: Threads,
        params: AttentionParams,
        bindings: [fx: Read, fy: Read, p: Read, dr: Read, dxhat: ReadWrite],
    }
    /// Attention read backward, to x̂, carried on to the canvas (the canvas error's backward).
    ReadBackwardCanvas {
        shader: wgsl!("read_backward_canvas.wgsl"), headers: READ_DXHAT, entry: Threads,
        params: AttentionParams,
        bindings: [
            x: Read, xhat: Read, fx: Read, fy: Read, p: Read, dr: Read, dxhat: ReadWrite,
            dc: ReadWrite,
        ],
    }
    /// Attention read backward, to F_X and F_Y (one dispatch, threads split between them).
    ReadBackwardDf {
        shader: wgsl!("read_backward_df.wgsl"), headers: READ_DF, entry: Threads,
        params: AttentionParams,
        bindings: [
            x: Read, xhat: Read, fx: Read, fy: Read, p: Read, dr: Read, dfx: ReadWrite,
            dfy: ReadWrite,
        ],
    }
    /// Attention read backward, to log γ in closed form from dF_X (one workgroup per row;
    /// `gamma_sign` +1 for a read, −1 for a write).
    GammaBackward {
        shader: wgsl!("gamma_backward.wgsl"), headers: ATTENTION_SUM, entry: Threads,
        params: AttentionParams,
        bindings: [fx: Read, dfx: Read, p: Read, dp: ReadWrite],
    }
    /// Attention write, added to the canvas.
    WriteForward {
        shader: wgsl!("write_forward.wgsl"), headers: WRITE_PIXEL, entry: Threads,
        params: AttentionParams,
        bindings: [pw: Read, fx: Read, fy: Read, p: Read, canvas: ReadWrite],
    }
    /// Attention write, added to the canvas, then x̂ = x − σ(canvas).
    WriteForwardError {
        shader: wgsl!("write_forward_error.wgsl"), headers: WRITE_PIXEL, entry: Threads,
        params: AttentionParams,
        bindings: [pw: Read, fx: Read, fy: Read, p: Read, canvas: ReadWrite, x: Read, xhat: ReadWrite],
    }
    /// Attention write backward, to the patch, also written to up to two copies
    /// (placeholders bind `dpatch`).
    WriteBackwardDpatch {
        shader: wgsl!("write_backward_dpatch.wgsl"), headers: ATTENTION, entry: Threads,
        params: AttentionParams,
        bindings: [
            fx: Read, fy: Read, p: Read, dc: Read, dpatch: ReadWrite, dpatch_copy: ReadWrite,
            dpatch_copy1: ReadWrite,
        ],
    }
    /// Attention write backward, to F_X, F_Y and log γ (in closed form from dF_X), one
    /// workgroup per row.
    WriteBackwardDf {
        shader: wgsl!("write_backward_df.wgsl"), headers: WRITE_DF, entry: Threads,
        params: AttentionParams,
        bindings: [
            pw: Read, fx: Read, fy: Read, p: Read, dc: Read, dfx: ReadWrite, dfy: ReadWrite,
            dp: ReadWrite,
        ],
    }
    /// x̂ = x − σ(c).
    CanvasError {
        shader: wgsl!("canvas_error.wgsl"), headers: PLAIN, entry: Threads,
        params: ElementwiseParams,
        bindings: [x: Read, c: Read, xhat: ReadWrite],
    }
    /// The canvas error's gradient, subtracted from dc.
    CanvasErrorBackward {
        shader: wgsl!("canvas_error_backward.wgsl"), headers: PLAIN, entry: Threads,
        params: ElementwiseParams,
        bindings: [x: Read, xhat: Read, dxhat: Read, dc: ReadWrite],
    }
    /// z = μ + σ·ε (ε drawn first when asked; z also written to a copy, the placeholder
    /// binds `z`) and the KL term per row.
    SampleLatent {
        shader: wgsl!("sample_latent.wgsl"), headers: NORMAL, entry: Threads,
        params: LatentParams,
        bindings: [ml: Read, eps: ReadWrite, z: ReadWrite, kl: ReadWrite, z_copy: ReadWrite],
    }
    /// The fused μ and log σ layer, then the sample as `SampleLatent` draws it, one workgroup
    /// per row.
    LatentLayerSample {
        shader: wgsl!("latent_layer_sample.wgsl"), headers: NORMAL_SUM, entry: Threads,
        params: LatentParams,
        bindings: [
            h: Read, w: Read, bias: Read, ml: ReadWrite, eps: ReadWrite, z: ReadWrite,
            kl: ReadWrite, z_copy: ReadWrite,
        ],
    }
    /// The latent's backward, then through the μ and log σ layer to its input (added), one
    /// workgroup per row.
    LatentLayerBackward {
        shader: wgsl!("latent_layer_backward.wgsl"), headers: PLAIN, entry: Threads,
        params: LatentParams,
        bindings: [
            ml: Read, eps: Read, dz: Read, dml: ReadWrite, dml_copy: ReadWrite, w: Read,
            dh: ReadWrite,
        ],
    }
    /// The latent sample's and KL term's gradients, also written to a copy (the placeholder
    /// binds `dml`).
    SampleLatentBackward {
        shader: wgsl!("sample_latent_backward.wgsl"), headers: PLAIN, entry: Threads,
        params: LatentParams,
        bindings: [ml: Read, eps: Read, dz: Read, dml: ReadWrite, dml_copy: ReadWrite],
    }
    /// Bernoulli NLL on logits per row.
    Bce {
        shader: wgsl!("bce.wgsl"), headers: SUM, entry: Threads,
        params: ShapeParams,
        bindings: [x: Read, c: Read, out: ReadWrite],
    }
    /// The Bernoulli NLL's gradient.
    BceBackward {
        shader: wgsl!("bce_backward.wgsl"), headers: PLAIN, entry: Threads,
        params: ScaleParams,
        bindings: [x: Read, c: Read, dc: ReadWrite],
    }
    /// Softmax cross-entropy and argmax hit per row of class logits.
    SoftmaxXent {
        shader: wgsl!("softmax_xent.wgsl"), headers: SOFTMAX, entry: Threads,
        params: XentParams,
        bindings: [logits: Read, labels: Read, loss: ReadWrite, correct: ReadWrite],
    }
    /// The softmax cross-entropy's gradient on the logits.
    SoftmaxXentBackward {
        shader: wgsl!("softmax_xent_backward.wgsl"), headers: SOFTMAX, entry: Threads,
        params: XentParams,
        bindings: [logits: Read, labels: Read, dlogits: ReadWrite],
    }
    /// One Adam step.
    Adam {
        shader: wgsl!("adam.wgsl"), headers: PLAIN, entry: Threads,
        params: AdamParams,
        bindings: [p: ReadWrite, g: Read, m: ReadWrite, v: ReadWrite],
    }
    /// One Adam step, its gradient scale and verdict read from the training ledger.
    AdamChecked {
        shader: wgsl!("adam_checked.wgsl"), headers: PLAIN, entry: Threads,
        params: AdamParams,
        bindings: [p: ReadWrite, g: Read, m: ReadWrite, v: ReadWrite, ledger: Read],
    }
    /// The training step's verdict (take or skip, clipping factor) and the ledger's sums.
    StepVerdict {
        shader: wgsl!("step_verdict.wgsl"), headers: PLAIN, entry: Threads,
        params: VerdictParams,
        bindings: [ledger: ReadWrite],
    }
}

impl Kernel {
    /// The kernel's row of [`KERNELS`].
    pub(crate) fn spec(self) -> &'static Spec {
        &KERNELS[self as usize]
    }
}

/// The largest parameter struct, in bytes (what one slot of the uniform arena must hold).
pub fn max_params_bytes() -> u64 {
    KERNELS
        .iter()
        .map(|s| s.params.size as u64)
        .max()
        .unwrap_or(0)
}

/// A built kernel: its pipeline and the layout its bind groups follow.
pub struct Pipeline {
    /// The compute pipeline.
    pub pipeline: wgpu::ComputePipeline,
    /// Bind group 0's layout.
    pub layout: wgpu::BindGroupLayout,
}

/// The full WGSL source of a kernel: the prelude, its headers, its bindings and entry point
/// (generated from its row, so table and shader cannot disagree), then the kernel.
pub fn full_source(spec: &Spec) -> String {
    let mut src: String = PRELUDE
        .iter()
        .chain(spec.headers)
        .map(|h| h.source)
        .collect();
    src += &format!(
        "\n@group(0) @binding(0) var<uniform> P: {};\n",
        spec.params.name
    );
    for (k, b) in spec.bindings.iter().enumerate() {
        let access = match b.access {
            Access::Read => "read",
            Access::ReadWrite => "read_write",
        };
        src += &format!(
            "@group(0) @binding({}) var<storage, {access}> {}: array<f32>;\n",
            k + 1,
            b.name
        );
    }
    if spec.entry == Entry::Threads {
        src += THREADS_ENTRY;
    }
    src + spec.shader.source
}

/// Builds every pipeline (once per device), indexed by [`Kernel`].
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
            min_binding_size: wgpu::BufferSize::new(spec.params.size as u64),
        },
        count: None,
    }];
    for (k, b) in spec.bindings.iter().enumerate() {
        entries.push(wgpu::BindGroupLayoutEntry {
            binding: k as u32 + 1,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Storage {
                    read_only: b.access == Access::Read,
                },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        });
    }
    let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some(spec.shader.file),
        entries: &entries,
    });
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some(spec.shader.file),
        bind_group_layouts: &[Some(&layout)],
        immediate_size: 0,
    });
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(spec.shader.file),
        source: wgpu::ShaderSource::Wgsl(full_source(spec).into()),
    });
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(spec.shader.file),
        layout: Some(&pipeline_layout),
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    });
    Pipeline { pipeline, layout }
}

#[cfg(test)]
mod tests;
