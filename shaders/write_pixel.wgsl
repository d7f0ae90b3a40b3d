// Attention write (eq. 20): the value (1/γ)·F_Yᵀ P F_X adds to pixel t = (row, channel, y, x)
// of the canvas (t < rows·C·B·A).
fn write_pixel(t: u32) -> f32 {
    let n = P.n;
    let w = P.width;
    let h = P.height;
    let chans = P.channels;
    let per_row = chans * h * w;
    let r = t / per_row;
    let ch = (t % per_row) / (h * w);
    let y = (t % (h * w)) / w;
    let xx = t % w;
    let s = 1.0 / exp(clamp(p[r * 5u + 4u], -LOG_CLAMP, LOG_CLAMP));
    let pb = (r * chans + ch) * n * n;
    var acc = 0.0;
    for (var j = 0u; j < n; j++) {
        var tj = 0.0;
        for (var i = 0u; i < n; i++) {
            tj += pw[pb + j * n + i] * fx[(r * n + i) * w + xx];
        }
        acc += (fy[(r * n + j) * h + y] * s) * tj;
    }
    return acc;
}
