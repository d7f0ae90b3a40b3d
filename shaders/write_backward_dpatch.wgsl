// Write backward, dP[j][i] = (1/γ)·Σ_x (Σ_y F_Y[j][y]·dc[y][x])·F_X[i][x], one thread per
// (row, channel, j, i). With P.copy_ld ≠ 0 dP also goes to dpatch_copy, and with
// P.copy1_ld ≠ 0 to dpatch_copy1 (write_backward_to).
fn kernel(t: u32, wg: u32, lid: u32) {
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
    let v = s * acc;
    dpatch[t] = v;
    if (P.copy_ld != 0u) {
        dpatch_copy[P.copy_at + r * P.copy_ld + t % per_row] = v;
    }
    if (P.copy1_ld != 0u) {
        dpatch_copy1[P.copy1_at + r * P.copy1_ld + t % per_row] = v;
    }
}
