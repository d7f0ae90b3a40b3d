// LSTM cell forward (gate order i, f, g, o), one thread per (row, unit). gates hold the
// pre-activations on entry and the activations on exit. P.cols = H. h is also written to
// P.copies copies (lstm_forward_to: the next step's inputs, the rows of all steps).
fn kernel(t: u32, wg: u32, lid: u32) {
    let n = P.cols;
    if (t >= P.rows * n) {
        return;
    }
    let r = t / n;
    let k = t % n;
    let g0 = r * 4u * n + k;
    let i = sigmoid(gates[g0]);
    let f = sigmoid(gates[g0 + n]);
    let g = tanh_c(gates[g0 + 2u * n]);
    let o = sigmoid(gates[g0 + 3u * n]);
    gates[g0] = i;
    gates[g0 + n] = f;
    gates[g0 + 2u * n] = g;
    gates[g0 + 3u * n] = o;
    let ck = f * c_prev[t] + i * g;
    c[t] = ck;
    let hk = o * tanh_c(ck);
    h[t] = hk;
    if (P.copies > 0u) {
        h_copy0[P.at0 + r * P.ld0 + k] = hk;
    }
    if (P.copies > 1u) {
        h_copy1[P.at1 + r * P.ld1 + k] = hk;
    }
    if (P.copies > 2u) {
        h_copy2[P.at2 + r * P.ld2 + k] = hk;
    }
}
