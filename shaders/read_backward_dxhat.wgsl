// Read backward, the x̂ part: dx̂[y][x] = Σ_j Σ_i F_Y[j][y]·γ·dr_x̂[j][i]·F_X[i][x], one thread
// per pixel.
@group(0) @binding(0) var<uniform> P: AttentionParams;
@group(0) @binding(1) var<storage, read> fx: array<f32>;
@group(0) @binding(2) var<storage, read> fy: array<f32>;
@group(0) @binding(3) var<storage, read> p: array<f32>;
@group(0) @binding(4) var<storage, read> dr: array<f32>;
@group(0) @binding(5) var<storage, read_write> dxhat: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let t = flat_index(wid, nwg, lid);
    let n = P.n;
    let w = P.width;
    let h = P.height;
    let chans = P.channels;
    let per_row = chans * h * w;
    if (t >= P.rows * per_row) {
        return;
    }
    let r = t / per_row;
    let ch = (t % per_row) / (h * w);
    let y = (t % (h * w)) / w;
    let xx = t % w;
    let gamma = exp(clamp(p[r * 5u + 4u], -LOG_CLAMP, LOG_CLAMP));
    let o = r * 2u * chans * n * n + (chans + ch) * n * n;
    var s = 0.0;
    for (var i = 0u; i < n; i++) {
        var u = 0.0;
        for (var j = 0u; j < n; j++) {
            u += fy[(r * n + j) * h + y] * (dr[o + j * n + i] * gamma);
        }
        s += u * fx[(r * n + i) * w + xx];
    }
    dxhat[t] = s;
}
