// dμ = dz + k·μ, d log σ = dz·σ·ε + k·(σ² − 1), k = kl_scale (P.scale).
@group(0) @binding(0) var<uniform> P: ScaleParams;
@group(0) @binding(1) var<storage, read> mu: array<f32>;
@group(0) @binding(2) var<storage, read> logsig: array<f32>;
@group(0) @binding(3) var<storage, read> eps: array<f32>;
@group(0) @binding(4) var<storage, read> dz: array<f32>;
@group(0) @binding(5) var<storage, read_write> dmu: array<f32>;
@group(0) @binding(6) var<storage, read_write> dlogsig: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let t = flat_index(wid, nwg, lid);
    if (t < P.len) {
        let s = exp_c(logsig[t]);
        let k = P.scale;
        dmu[t] = dz[t] + k * mu[t];
        dlogsig[t] = dz[t] * s * eps[t] + k * (s * s - 1.0);
    }
}
