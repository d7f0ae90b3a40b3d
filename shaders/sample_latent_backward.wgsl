// dμ = dz + k·μ, d log σ = dz·σ·ε + k·(σ² − 1), k = kl_scale (P.scale), one thread per
// latent element (r, j); ml holds [μ | log σ] and dml gets [dμ | d log σ] (2z per row,
// z = P.cols). With P.copies = 1 the row also goes to dml_copy
// (sample_latent_backward_to: the rows of all steps).
fn kernel(t: u32, wg: u32, lid: u32) {
    let n = P.cols;
    if (t >= P.rows * n) {
        return;
    }
    let r = t / n;
    let j = t % n;
    let am = 2u * r * n + j;
    let al = am + n;
    let s = exp_c(ml[al]);
    let k = P.scale;
    let dm = dz[t] + k * ml[am];
    let dl = dz[t] * s * eps[t] + k * (s * s - 1.0);
    dml[am] = dm;
    dml[al] = dl;
    if (P.copies > 0u) {
        let c = P.at0 + r * P.ld0 + j;
        dml_copy[c] = dm;
        dml_copy[c + n] = dl;
    }
}
