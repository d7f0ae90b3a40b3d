// dst[r, dst_col + c] (+)= src[r, src_col + c]. u0 = (rows, ncols, src_cols, src_col),
// u1 = (dst_cols, dst_col, accumulate).
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let t = flat_index(wid, nwg, lid);
    if (t >= P.u0.x * P.u0.y) {
        return;
    }
    let r = t / P.u0.y;
    let c = t % P.u0.y;
    let v = src[r * P.u0.z + P.u0.w + c];
    let at = r * P.u1.x + P.u1.y + c;
    if (P.u1.z != 0u) {
        dst[at] = dst[at] + v;
    } else {
        dst[at] = v;
    }
}
