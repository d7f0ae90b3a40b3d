// dlogits = scale·(softmax(logits) − onehot(label)), one thread per row (K is small).
fn kernel(t: u32, wg: u32, lid: u32) {
    let r = t;
    if (r >= P.rows) {
        return;
    }
    let n = P.cols;
    let base = r * n;
    let lse = log_sum_exp(base, n);
    let y = labels[r];
    let whole = y >= 0.0 && y < f32(n) && fract(y) == 0.0;
    for (var k = 0u; k < n; k++) {
        var onehot = 0.0;
        if (whole && u32(y) == k) {
            onehot = 1.0;
        }
        dlogits[base + k] = P.scale * (exp_c(logits[base + k] - lse) - onehot);
    }
}
