// dst[r, dst_col + c] (+)= src[r, src_col + c], adding when P.accumulate ≠ 0.
@group(0) @binding(0) var<uniform> P: CopyColsParams;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let t = flat_index(wid, nwg, lid);
    if (t >= P.rows * P.ncols) {
        return;
    }
    let r = t / P.ncols;
    let c = t % P.ncols;
    let v = src[r * P.src_cols + P.src_col + c];
    let at = r * P.dst_cols + P.dst_col + c;
    if (P.accumulate != 0u) {
        dst[at] = dst[at] + v;
    } else {
        dst[at] = v;
    }
}
