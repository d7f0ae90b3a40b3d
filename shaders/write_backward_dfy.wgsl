// Write backward, dF_Y[j][y] = (1/γ)·Σ_ch Σ_x (Σ_i P[j][i]·F_X[i][x])·dc[y][x]: element t =
// (row, j, y) of dF_Y (t < rows·N·B).
fn write_dfy(t: u32) -> f32 {
    let n = P.n;
    let w = P.width;
    let h = P.height;
    let chans = P.channels;
    let r = t / (n * h);
    let j = (t % (n * h)) / h;
    let y = t % h;
    let s = 1.0 / exp(clamp(p[r * 5u + 4u], -LOG_CLAMP, LOG_CLAMP));
    var acc = 0.0;
    for (var ch = 0u; ch < chans; ch++) {
        let cb = (r * chans + ch) * h * w;
        let pb = (r * chans + ch) * n * n;
        for (var xx = 0u; xx < w; xx++) {
            var tv = 0.0;
            for (var i = 0u; i < n; i++) {
                tv += pw[pb + j * n + i] * fx[(r * n + i) * w + xx];
            }
            acc += tv * dc[cb + y * w + xx];
        }
    }
    return s * acc;
}
