// dc −= dx̂·s·(1 − s) with s = σ(c) recovered as x − x̂.
@group(0) @binding(0) var<uniform> P: ElementwiseParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> xhat: array<f32>;
@group(0) @binding(3) var<storage, read> dxhat: array<f32>;
@group(0) @binding(4) var<storage, read_write> dc: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let t = flat_index(wid, nwg, lid);
    if (t < P.len) {
        let s = x[t] - xhat[t];
        dc[t] = dc[t] - dxhat[t] * s * (1.0 - s);
    }
}
