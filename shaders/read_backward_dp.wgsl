// Read backward, the attention-output row: dp = (0, 0, 0, 0, ∂/∂log γ) with
// ∂/∂γ = Σ dr·(F_Y img F_Xᵀ), one thread per row (the filterbank backward adds the rest).
fn kernel(t: u32, wg: u32, lid: u32) {
    let n = P.n;
    let w = P.width;
    let h = P.height;
    let chans = P.channels;
    if (t >= P.rows) {
        return;
    }
    let r = t;
    var dg = 0.0;
    for (var k = 0u; k < 2u; k++) {
        for (var ch = 0u; ch < chans; ch++) {
            let o = r * 2u * chans * n * n + (k * chans + ch) * n * n;
            for (var j = 0u; j < n; j++) {
                for (var xx = 0u; xx < w; xx++) {
                    var v = 0.0;
                    for (var y = 0u; y < h; y++) {
                        v += fy[(r * n + j) * h + y] * pix(k, r, ch, y, xx);
                    }
                    for (var i = 0u; i < n; i++) {
                        dg += dr[o + j * n + i] * v * fx[(r * n + i) * w + xx];
                    }
                }
            }
        }
    }
    let lg = p[r * 5u + 4u];
    var chain = 0.0;
    if (passes(lg)) {
        chain = exp(lg);
    }
    for (var e = 0u; e < 4u; e++) {
        dp[r * 5u + e] = 0.0;
    }
    dp[r * 5u + 4u] = dg * chain;
}
