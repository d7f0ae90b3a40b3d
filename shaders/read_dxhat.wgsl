// Read backward, the x̂ part: dx̂[y][x] = Σ_j Σ_i F_Y[j][y]·γ·dr_x̂[j][i]·F_X[i][x] at pixel
// t = (row, channel, y, x) (t < rows·C·B·A).
fn read_dxhat(t: u32) -> f32 {
    let n = P.n;
    let w = P.width;
    let h = P.height;
    let chans = P.channels;
    let per_row = chans * h * w;
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
    return s;
}
