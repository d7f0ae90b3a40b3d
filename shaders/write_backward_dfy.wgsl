// Write backward, dF_Y[j][y] = (1/γ)·Σ_ch Σ_x (Σ_i P[j][i]·F_X[i][x])·dc[y][x], one thread
// per (row, j, y).
@group(0) @binding(0) var<uniform> P: AttentionParams;
@group(0) @binding(1) var<storage, read> pw: array<f32>;
@group(0) @binding(2) var<storage, read> fx: array<f32>;
@group(0) @binding(3) var<storage, read> p: array<f32>;
@group(0) @binding(4) var<storage, read> dc: array<f32>;
@group(0) @binding(5) var<storage, read_write> dfy: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let t = flat_index(wid, nwg, lid);
    let n = P.n;
    let w = P.width;
    let h = P.height;
    let chans = P.channels;
    if (t >= P.rows * n * h) {
        return;
    }
    let r = t / (n * h);
    let j = (t % (n * h)) / h;
    let y = t % h;
    let s = 1.0 / exp(clamp(p[r * 5u + 4u], -LOG_CLAMP, LOG_CLAMP));
    var acc = 0.0;
    for (var ch = 0u; ch < chans; ch++) {
        let cb = (r * chans + ch) * h * w;
        let pb = (r * chans + ch) * n * n;
        for (var xx = 0u; xx < w; xx++) {
            var tv = 0.0;
            for (var i = 0u; i < n; i++) {
                tv += pw[pb + j * n + i] * fx[(r * n + i) * w + xx];
            }
            acc += tv * dc[cb + y * w + xx];
        }
    }
    dfy[t] = s * acc;
}
