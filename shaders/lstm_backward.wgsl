// LSTM cell backward, one thread per (row, unit): dc holds the gradient reaching c on entry
// and the gradient for c_prev on exit. P.cols = H. With P.copies = 1 the gate gradients are
// also written to dgates_copy (lstm_backward_to: the rows of all steps).
fn kernel(t: u32, wg: u32, lid: u32) {
    let n = P.cols;
    if (t >= P.rows * n) {
        return;
    }
    let r = t / n;
    let k = t % n;
    let g0 = r * 4u * n + k;
    let i = gates[g0];
    let f = gates[g0 + n];
    let g = gates[g0 + 2u * n];
    let o = gates[g0 + 3u * n];
    let tc = tanh_c(c[t]);
    let d_o = dh[t] * tc;
    let dck = dc[t] + dh[t] * o * (1.0 - tc * tc);
    var d: array<f32, 4>;
    d[0] = dck * g * i * (1.0 - i);
    d[1] = dck * c_prev[t] * f * (1.0 - f);
    d[2] = dck * i * (1.0 - g * g);
    d[3] = d_o * o * (1.0 - o);
    let at = P.at0 + r * P.ld0 + k;
    for (var j = 0u; j < 4u; j++) {
        dgates[g0 + j * n] = d[j];
        if (P.copies > 0u) {
            dgates_copy[at + j * n] = d[j];
        }
    }
    dc[t] = dck * f;
}
