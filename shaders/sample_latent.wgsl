// z = μ + exp(log σ)·ε and kl[r] += ½ Σ_j (μ² + σ² − 2 log σ − 1), one thread per row;
// P.cols is the latent size.
@group(0) @binding(0) var<uniform> P: ShapeParams;
@group(0) @binding(1) var<storage, read> mu: array<f32>;
@group(0) @binding(2) var<storage, read> logsig: array<f32>;
@group(0) @binding(3) var<storage, read> eps: array<f32>;
@group(0) @binding(4) var<storage, read_write> z: array<f32>;
@group(0) @binding(5) var<storage, read_write> kl: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let t = flat_index(wid, nwg, lid);
    if (t >= P.rows) {
        return;
    }
    let n = P.cols;
    var s = 0.0;
    for (var k = 0u; k < n; k++) {
        let at = t * n + k;
        let sg = exp_c(logsig[at]);
        z[at] = mu[at] + sg * eps[at];
        s += mu[at] * mu[at] + sg * sg - 2.0 * logsig[at] - 1.0;
    }
    kl[t] = kl[t] + s * 0.5;
}
