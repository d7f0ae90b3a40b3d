// dst[r, c] += bias[c].
@group(0) @binding(0) var<uniform> P: BroadcastParams;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let t = flat_index(wid, nwg, lid);
    if (t < P.len) {
        dst[t] = dst[t] + bias[t % P.cols];
    }
}
