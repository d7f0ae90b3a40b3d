// z = μ + exp(log σ)·ε and kl[r] += ½ Σ_j (μ² + σ² − 2 log σ − 1), one thread per row;
// P.cols is the latent size. z also goes to z_copy when P.copies = 1 (sample_latent_to).
fn kernel(t: u32, wg: u32, lid: u32) {
    if (t >= P.rows) {
        return;
    }
    let n = P.cols;
    var s = 0.0;
    for (var k = 0u; k < n; k++) {
        let at = t * n + k;
        let sg = exp_c(logsig[at]);
        let zk = mu[at] + sg * eps[at];
        z[at] = zk;
        if (P.copies > 0u) {
            z_copy[P.at0 + t * P.ld0 + k] = zk;
        }
        s += mu[at] * mu[at] + sg * sg - 2.0 * logsig[at] - 1.0;
    }
    kl[t] = kl[t] + s * 0.5;
}
