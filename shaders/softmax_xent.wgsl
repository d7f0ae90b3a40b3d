// Softmax cross-entropy per row of class logits, one thread per row (K is small: 10 classes):
// loss[r] = log Σ_k exp(l_k − m) + m − l_y and correct[r] = 1 where the first largest logit is
// the label's. A label that is not a whole number in 0..K has no target (loss = log Σ exp,
// never correct), as in draw-core's `softmax_xent_row`.
fn kernel(t: u32, wg: u32, lid: u32) {
    let r = t;
    if (r >= P.rows) {
        return;
    }
    let n = P.cols;
    let base = r * n;
    var arg = 0u;
    for (var k = 1u; k < n; k++) {
        if (logits[base + k] > logits[base + arg]) {
            arg = k;
        }
    }
    let lse = log_sum_exp(base, n);
    let y = labels[r];
    let whole = y >= 0.0 && y < f32(n) && fract(y) == 0.0;
    if (whole) {
        let label = u32(y);
        loss[r] = lse - logits[base + label];
        correct[r] = select(0.0, 1.0, label == arg);
    } else {
        loss[r] = lse;
        correct[r] = 0.0;
    }
}
