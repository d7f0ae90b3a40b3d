// z = μ + exp(log σ)·ε and kl[r] += ½ Σ_j (μ² + σ² − 2 log σ − 1), one thread per row;
// P.cols is the latent size. With P.draw = 1, ε is drawn first (normal_common.wgsl, element
// (r, j) at index offset + r·cols + j, as fill_normal) and written to eps. z also goes to
// z_copy when P.copies = 1 (sample_latent_to).
fn kernel(t: u32, wg: u32, lid: u32) {
    if (t >= P.rows) {
        return;
    }
    let n = P.cols;
    let key = vec2<u32>(P.key_lo, P.key_hi);
    let offset = vec2<u32>(P.offset_lo, P.offset_hi);
    var s = 0.0;
    for (var k = 0u; k < n; k++) {
        let at = t * n + k;
        if (P.draw != 0u) {
            eps[at] = normal_at(key, add64(vec2<u32>(at, 0u), offset));
        }
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
