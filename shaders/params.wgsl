// Prepended to every kernel after common.wgsl: the per-dispatch parameter structs, one per
// kernel or family. Each mirrors the Rust struct of the same name in
// crates/draw-wgpu/src/params.rs, field for field (a naga test checks names, offsets and
// sizes). A kernel's row in the table names its struct; the generated
// `@group(0) @binding(0) var<uniform> P: <Name>;` binds its slot of the uniform arena. Every
// field is a 4-byte scalar; `_pad*` rounds a struct up to a multiple of 16 bytes, as uniform
// buffers require.

struct FillParams {
    len: u32,
    value: f32,
    _pad0: u32,
    _pad1: u32,
}

// scale, bce_backward.
struct ScaleParams {
    len: u32,
    scale: f32,
    _pad0: u32,
    _pad1: u32,
}

// canvas_error, canvas_error_backward.
struct ElementwiseParams {
    len: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

// add_bias, broadcast_rows: len = rows·cols.
struct BroadcastParams {
    len: u32,
    cols: u32,
    _pad0: u32,
    _pad1: u32,
}

// sum_rows, bce.
struct ShapeParams {
    rows: u32,
    cols: u32,
    _pad0: u32,
    _pad1: u32,
}

// lstm_forward, lstm_backward: rows × cols (H); copy k of element (r, j) of h (of each
// gate's gradient) goes to at_k + r·ld_k + j of its binding, for k < copies.
struct CopyOutParams {
    rows: u32,
    cols: u32,
    copies: u32,
    ld0: u32,
    at0: u32,
    ld1: u32,
    at1: u32,
    ld2: u32,
    at2: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

// sample_latent, sample_latent_backward: the latent, cols = z ([μ | log σ] 2z per row);
// element (r, j) of z (of [dμ | d log σ]) also goes to at0 + r·ld0 + j of the copy's binding
// when copies = 1; scale is the backward's KL scale; draw = 1 draws ε from the key first
// (index offset + r·cols + j).
struct LatentParams {
    rows: u32,
    cols: u32,
    copies: u32,
    ld0: u32,
    at0: u32,
    scale: f32,
    draw: u32,
    key_lo: u32,
    key_hi: u32,
    offset_lo: u32,
    offset_hi: u32,
    inputs: u32,
}

// softmax_xent, softmax_xent_backward.
struct XentParams {
    rows: u32,
    cols: u32,
    scale: f32,
    _pad0: u32,
}

struct CopyColsParams {
    rows: u32,
    ncols: u32,
    src_cols: u32,
    src_col: u32,
    dst_cols: u32,
    dst_col: u32,
    accumulate: u32,
    _pad0: u32,
}

struct CopyRowsParams {
    len: u32,
    offset: u32,
    src_offset: u32,
    _pad0: u32,
}

struct TransposeParams {
    rows: u32,
    cols: u32,
    dst_row: u32,
    _pad0: u32,
}

struct ReduceParams {
    len: u32,
    slot: u32,
    squares: u32,
    _pad0: u32,
}

// 64-bit values as (lo, hi) halves.
struct NormalParams {
    len: u32,
    key_lo: u32,
    key_hi: u32,
    offset_lo: u32,
    offset_hi: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

// gemm, gemm_direct: C (m × n) ← α·op(A)·op(B) + β·C (+ the row `bias` when bias = 1),
// op(A) m × k; copy k < copies writes (adds, acc_k = 1) columns src_k..src_k + ncols_k of C
// to column dst_k.. of its binding (row stride ld_k).
struct GemmParams {
    m: u32,
    n: u32,
    k: u32,
    lda: u32,
    ldb: u32,
    ldc: u32,
    trans_a: u32,
    trans_b: u32,
    alpha: f32,
    beta: f32,
    bias: u32,
    copies: u32,
    src0: u32,
    ncols0: u32,
    ld0: u32,
    dst0: u32,
    acc0: u32,
    src1: u32,
    ncols1: u32,
    ld1: u32,
    dst1: u32,
    acc1: u32,
    src2: u32,
    ncols2: u32,
    ld2: u32,
    dst2: u32,
    acc2: u32,
    acopy_ld: u32,
    acopy_at: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

// The filterbank and attention kernels (read_forward: copy_ld ≠ 0 writes r also to out_copy,
// element (r, q) at copy_at + r·copy_ld + q): span = (max(A, B) − 1)/(N − 1),
// gx_scale = (A + 1)/2, gy_scale = (B + 1)/2, filter_centre = (N + 1)/2, computed on the host
// in f64 exactly as the CPU does.
struct AttentionParams {
    rows: u32,
    n: u32,
    width: u32,
    height: u32,
    channels: u32,
    span: f32,
    gx_scale: f32,
    gy_scale: f32,
    filter_centre: f32,
    gamma_sign: f32,
    copy_ld: u32,
    copy_at: u32,
    copy1_ld: u32,
    copy1_at: u32,
    n2: u32,
    span2: f32,
    filter_centre2: f32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

struct AdamParams {
    len: u32,
    step_size: f32,
    beta1: f32,
    beta2: f32,
    eps: f32,
    grad_scale: f32,
    _pad0: u32,
    _pad1: u32,
}

struct VerdictParams {
    first_lo: u32,
    first_hi: u32,
    second_lo: u32,
    second_hi: u32,
    grad_lo: u32,
    grad_hi: u32,
    has_clip: u32,
    clip: f32,
}
