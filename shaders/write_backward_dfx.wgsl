// Write backward, dF_X[i][x] = (1/γ)·Σ_ch Σ_j P[j][i]·(Σ_y F_Y[j][y]·dc[y][x]): element t =
// (row, i, x) of dF_X (t < rows·N·A).
fn write_dfx(t: u32) -> f32 {
    let n = P.n;
    let w = P.width;
    let h = P.height;
    let chans = P.channels;
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
    return acc;
}
