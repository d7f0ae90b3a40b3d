// Write backward, dP[j][i] = (1/γ)·Σ_x (Σ_y F_Y[j][y]·dc[y][x])·F_X[i][x], one thread per
// (row, channel, j, i).
@group(0) @binding(0) var<uniform> P: AttentionParams;
@group(0) @binding(1) var<storage, read> fx: array<f32>;
@group(0) @binding(2) var<storage, read> fy: array<f32>;
@group(0) @binding(3) var<storage, read> p: array<f32>;
@group(0) @binding(4) var<storage, read> dc: array<f32>;
@group(0) @binding(5) var<storage, read_write> dpatch: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let t = flat_index(wid, nwg, lid);
    let n = P.n;
    let w = P.width;
    let h = P.height;
    let chans = P.channels;
    let per_row = chans * n * n;
    if (t >= P.rows * per_row) {
        return;
    }
    let r = t / per_row;
    let ch = (t % per_row) / (n * n);
    let j = (t % (n * n)) / n;
    let i = t % n;
    let s = 1.0 / exp(clamp(p[r * 5u + 4u], -LOG_CLAMP, LOG_CLAMP));
    let cb = (r * chans + ch) * h * w;
    var acc = 0.0;
    for (var xx = 0u; xx < w; xx++) {
        var v = 0.0;
        for (var y = 0u; y < h; y++) {
            v += fy[(r * n + j) * h + y] * dc[cb + y * w + xx];
        }
        acc += v * fx[(r * n + i) * w + xx];
    }
    dpatch[t] = s * acc;
}
