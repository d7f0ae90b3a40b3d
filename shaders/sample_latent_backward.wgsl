// dμ = dz + k·μ, d log σ = dz·σ·ε + k·(σ² − 1), k = kl_scale (P.scale).
fn kernel(t: u32, wg: u32, lid: u32) {
    if (t < P.len) {
        let s = exp_c(logsig[t]);
        let k = P.scale;
        dmu[t] = dz[t] + k * mu[t];
        dlogsig[t] = dz[t] * s * eps[t] + k * (s * s - 1.0);
    }
}
