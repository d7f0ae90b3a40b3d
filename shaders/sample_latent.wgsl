// z = μ + exp(log σ)·ε and kl[r] += ½ Σ_j (μ² + σ² − 2 log σ − 1), one thread per row;
// P.cols is the latent size z, and ml holds [μ | log σ] (2z per row). With P.draw = 1, ε is
// drawn first (normal_common.wgsl, element (r, j) at index offset + r·cols + j, as
// fill_normal) and written to eps. z also goes to z_copy when P.copies = 1
// (sample_latent_to).
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
        let mu = ml[2u * t * n + k];
        let ls = ml[(2u * t + 1u) * n + k];
        let sg = exp_c(ls);
        let zk = mu + sg * eps[at];
        z[at] = zk;
        if (P.copies > 0u) {
            z_copy[P.at0 + t * P.ld0 + k] = zk;
        }
        s += mu * mu + sg * sg - 2.0 * ls - 1.0;
    }
    kl[t] = kl[t] + s * 0.5;
}
