// Read backward, dF_X[i][x] = Σ_{image, channel} Σ_y (Σ_j F_Y[j][y]·γ·dr[j][i])·img[y][x],
// element t = (row, i, x) of dF_X (t < rows·N·A).
fn read_dfx(t: u32) -> f32 {
    let n = P.n;
    let w = P.width;
    let h = P.height;
    let chans = P.channels;
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
    return s;
}
