// z = μ + exp(log σ)·ε and kl[r] += ½ Σ_j (μ² + σ² − 2 log σ − 1), one thread per row;
// P.cols is the latent size.
fn kernel(t: u32, wg: u32, lid: u32) {
    if (t >= P.rows) {
        return;
    }
    let n = P.cols;
    var s = 0.0;
    for (var k = 0u; k < n; k++) {
        let at = t * n + k;
        let sg = exp_c(logsig[at]);
        z[at] = mu[at] + sg * eps[at];
        s += mu[at] * mu[at] + sg * sg - 2.0 * logsig[at] - 1.0;
    }
    kl[t] = kl[t] + s * 0.5;
}
