// dμ = dz + k·μ, d log σ = dz·σ·ε + k·(σ² − 1), k = kl_scale (P.scale), one thread per
// element; with P.copies = 2 dμ and d log σ also go to dmu_copy and dlogsig_copy
// (sample_latent_backward_to: the rows of all steps).
fn kernel(t: u32, wg: u32, lid: u32) {
    let n = P.cols;
    if (t >= P.rows * n) {
        return;
    }
    let s = exp_c(logsig[t]);
    let k = P.scale;
    let dm = dz[t] + k * mu[t];
    let dl = dz[t] * s * eps[t] + k * (s * s - 1.0);
    dmu[t] = dm;
    dlogsig[t] = dl;
    if (P.copies > 0u) {
        let r = t / n;
        let j = t % n;
        dmu_copy[P.at0 + r * P.ld0 + j] = dm;
        dlogsig_copy[P.at1 + r * P.ld1 + j] = dl;
    }
}
