// LSTM cell backward, one thread per (row, unit): dc holds the gradient reaching c on entry
// and the gradient for c_prev on exit. P.cols = H.
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
    dgates[g0] = dck * g * i * (1.0 - i);
    dgates[g0 + n] = dck * c_prev[t] * f * (1.0 - f);
    dgates[g0 + 2u * n] = dck * i * (1.0 - g * g);
    dgates[g0 + 3u * n] = d_o * o * (1.0 - o);
    dc[t] = dck * f;
}
