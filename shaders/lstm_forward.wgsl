// LSTM cell forward (gate order i, f, g, o), one thread per (row, unit). gates hold the
// pre-activations on entry and the activations on exit. P.cols = H.
@group(0) @binding(0) var<uniform> P: ShapeParams;
@group(0) @binding(1) var<storage, read_write> gates: array<f32>;
@group(0) @binding(2) var<storage, read> c_prev: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read_write> h: array<f32>;

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
    let i = sigmoid(gates[g0]);
    let f = sigmoid(gates[g0 + n]);
    let g = tanh_c(gates[g0 + 2u * n]);
    let o = sigmoid(gates[g0 + 3u * n]);
    gates[g0] = i;
    gates[g0 + n] = f;
    gates[g0 + 2u * n] = g;
    gates[g0 + 3u * n] = o;
    let ck = f * c_prev[t] + i * g;
    c[t] = ck;
    h[t] = o * tanh_c(ck);
}
