// dst[c] += Σ_r src[r, c], one thread per column.
@group(0) @binding(0) var<uniform> P: ShapeParams;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let t = flat_index(wid, nwg, lid);
    if (t >= P.cols) {
        return;
    }
    var s = 0.0;
    for (var r = 0u; r < P.rows; r++) {
        s += src[r * P.cols + t];
    }
    dst[t] = dst[t] + s;
}
