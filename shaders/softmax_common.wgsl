// Prepended to the softmax kernels (binding `logits`): the log-sum-exp of the n logits from
// `base`, shifted by their largest value so that no exp overflows.

fn log_sum_exp(base: u32, n: u32) -> f32 {
    var m = logits[base];
    for (var k = 1u; k < n; k++) {
        m = max(m, logits[base + k]);
    }
    var s = 0.0;
    for (var k = 0u; k < n; k++) {
        s += exp_c(logits[base + k] - m);
    }
    return m + log(s);
}
