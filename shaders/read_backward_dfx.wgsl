// Read backward, dF_X[i][x] = Σ_{image, channel} Σ_y (Σ_j F_Y[j][y]·γ·dr[j][i])·img[y][x],
// one thread per (row, i, x).
@group(0) @binding(0) var<uniform> P: AttentionParams;
@group(0) @binding(3) var<storage, read> fy: array<f32>;
@group(0) @binding(4) var<storage, read> p: array<f32>;
@group(0) @binding(5) var<storage, read> dr: array<f32>;
@group(0) @binding(6) var<storage, read_write> dfx: array<f32>;

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
    let gamma = exp(clamp(p[r * 5u + 4u], -LOG_CLAMP, LOG_CLAMP));
    var s = 0.0;
    for (var k = 0u; k < 2u; k++) {
        for (var ch = 0u; ch < chans; ch++) {
            let o = r * 2u * chans * n * n + (k * chans + ch) * n * n;
            for (var y = 0u; y < h; y++) {
                var u = 0.0;
                for (var j = 0u; j < n; j++) {
                    u += fy[(r * n + j) * h + y] * (dr[o + j * n + i] * gamma);
                }
                s += u * pix(k, r, ch, y, xx);
            }
        }
    }
    dfx[t] = s;
}
