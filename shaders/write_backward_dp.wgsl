// Write backward, the attention-output row: dp = (0, 0, 0, 0, ∂/∂log γ) with
// ∂/∂log γ = −(1/γ)·Σ dc·(F_Yᵀ P F_X), one thread per row.
fn kernel(t: u32, wg: u32, lid: u32) {
    let n = P.n;
    let w = P.width;
    let h = P.height;
    let chans = P.channels;
    if (t >= P.rows) {
        return;
    }
    let r = t;
    let lg = p[r * 5u + 4u];
    let s = 1.0 / exp(clamp(lg, -LOG_CLAMP, LOG_CLAMP));
    var dlog = 0.0;
    for (var ch = 0u; ch < chans; ch++) {
        let cb = (r * chans + ch) * h * w;
        let pb = (r * chans + ch) * n * n;
        for (var j = 0u; j < n; j++) {
            for (var xx = 0u; xx < w; xx++) {
                var v = 0.0;
                for (var y = 0u; y < h; y++) {
                    v += fy[(r * n + j) * h + y] * dc[cb + y * w + xx];
                }
                var tv = 0.0;
                for (var i = 0u; i < n; i++) {
                    tv += pw[pb + j * n + i] * fx[(r * n + i) * w + xx];
                }
                dlog -= s * v * tv;
            }
        }
    }
    for (var e = 0u; e < 4u; e++) {
        dp[r * 5u + e] = 0.0;
    }
    if (passes(lg)) {
        dp[r * 5u + 4u] = dlog;
    } else {
        dp[r * 5u + 4u] = 0.0;
    }
}
