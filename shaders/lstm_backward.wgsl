// LSTM cell backward, one thread per (row, unit): dc holds the gradient reaching c on entry
// and the gradient for c_prev on exit. P.cols = H.
@group(0) @binding(0) var<uniform> P: ShapeParams;
@group(0) @binding(1) var<storage, read> gates: array<f32>;
@group(0) @binding(2) var<storage, read> c_prev: array<f32>;
@group(0) @binding(3) var<storage, read> c: array<f32>;
@group(0) @binding(4) var<storage, read> dh: array<f32>;
@group(0) @binding(5) var<storage, read_write> dc: array<f32>;
@group(0) @binding(6) var<storage, read_write> dgates: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let t = flat_index(wid, nwg, lid);
    let n = P.cols;
    if (t >= P.rows * n) {
        return;
    }
    let r = t / n;
    let k = t % n;
    let g0 = r * 4u * n + k;
    let i = gates[g0];
    let f = gates[g0 + n];
    let g = gates[g0 + 2u * n];
    let o = gates[g0 + 3u * n];
    let tc = tanh_c(c[t]);
    let d_o = dh[t] * tc;
    let dck = dc[t] + dh[t] * o * (1.0 - tc * tc);
    dgates[g0] = dck * g * i * (1.0 - i);
    dgates[g0 + n] = dck * c_prev[t] * f * (1.0 - f);
    dgates[g0 + 2u * n] = dck * i * (1.0 - g * g);
    dgates[g0 + 3u * n] = d_o * o * (1.0 - o);
    dc[t] = dck * f;
}
