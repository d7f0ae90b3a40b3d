// Write backward, dF_X[i][x] = (1/γ)·Σ_ch Σ_j P[j][i]·(Σ_y F_Y[j][y]·dc[y][x]), one thread
// per (row, i, x).
@group(0) @binding(0) var<uniform> P: AttentionParams;
@group(0) @binding(1) var<storage, read> pw: array<f32>;
@group(0) @binding(2) var<storage, read> fy: array<f32>;
@group(0) @binding(3) var<storage, read> p: array<f32>;
@group(0) @binding(4) var<storage, read> dc: array<f32>;
@group(0) @binding(5) var<storage, read_write> dfx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let t = flat_index(wid, nwg, lid);
    let n = P.n;
    let w = P.width;
    let h = P.height;
    let chans = P.channels;
    if (t >= P.rows * n * w) {
        return;
    }
    let r = t / (n * w);
    let i = (t % (n * w)) / w;
    let xx = t % w;
    let s = 1.0 / exp(clamp(p[r * 5u + 4u], -LOG_CLAMP, LOG_CLAMP));
    var acc = 0.0;
    for (var ch = 0u; ch < chans; ch++) {
        let cb = (r * chans + ch) * h * w;
        let pb = (r * chans + ch) * n * n;
        for (var j = 0u; j < n; j++) {
            var v = 0.0;
            for (var y = 0u; y < h; y++) {
                v += fy[(r * n + j) * h + y] * dc[cb + y * w + xx];
            }
            acc += (s * pw[pb + j * n + i]) * v;
        }
    }
    dfx[t] = acc;
}
