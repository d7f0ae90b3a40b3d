// Attention read (eq. 19): r = γ·[F_Y x F_Xᵀ, F_Y x̂ F_Xᵀ], one thread per glimpse value
// (row, image k, channel, j, i); also into out_copy when P.copy_ld ≠ 0 (read_forward_to).
fn kernel(t: u32, wg: u32, lid: u32) {
    let n = P.n;
    let w = P.width;
    let h = P.height;
    let chans = P.channels;
    let per_row = 2u * chans * n * n;
    if (t >= P.rows * per_row) {
        return;
    }
    let r = t / per_row;
    let q = t % per_row;
    let kc = q / (n * n);
    let k = kc / chans;
    let ch = kc % chans;
    let j = (q % (n * n)) / n;
    let i = q % n;
    var s = 0.0;
    for (var xx = 0u; xx < w; xx++) {
        var v = 0.0;
        for (var y = 0u; y < h; y++) {
            v += fy[(r * n + j) * h + y] * pix(k, r, ch, y, xx);
        }
        s += v * fx[(r * n + i) * w + xx];
    }
    let v = s * exp(clamp(p[r * 5u + 4u], -LOG_CLAMP, LOG_CLAMP));
    out[t] = v;
    if (P.copy_ld != 0u) {
        out_copy[P.copy_at + r * P.copy_ld + q] = v;
    }
}
