// Read backward, dF_Y[j][y] = Σ_{image, channel} Σ_x img[y][x]·(Σ_i γ·dr[j][i]·F_X[i][x]),
// element t = (row, j, y) of dF_Y (t < rows·N·B).
fn read_dfy(t: u32) -> f32 {
    let n = P.n;
    let w = P.width;
    let h = P.height;
    let chans = P.channels;
    let r = t / (n * h);
    let j = (t % (n * h)) / h;
    let y = t % h;
    let gamma = exp(clamp(p[r * 5u + 4u], -LOG_CLAMP, LOG_CLAMP));
    var s = 0.0;
    for (var k = 0u; k < 2u; k++) {
        for (var ch = 0u; ch < chans; ch++) {
            let o = r * 2u * chans * n * n + (k * chans + ch) * n * n;
            for (var xx = 0u; xx < w; xx++) {
                var wv = 0.0;
                for (var i = 0u; i < n; i++) {
                    wv += (dr[o + j * n + i] * gamma) * fx[(r * n + i) * w + xx];
                }
                s += pix(k, r, ch, y, xx) * wv;
            }
        }
    }
    return s;
}
