// Adam as in adam.wgsl, with the gradient scale and the verdict read from the training
// ledger (draw-core's kernels::ledger): ledger[0] = 1 when the step is taken (else nothing
// changes), ledger[1] = the clipping factor.
fn kernel(t: u32, wg: u32, lid: u32) {
    if (t >= P.len || ledger[0] == 0.0) {
        return;
    }
    let b1 = P.beta1;
    let b2 = P.beta2;
    let gk = g[t] * ledger[1];
    let mk = b1 * m[t] + (1.0 - b1) * gk;
    let vk = b2 * v[t] + (1.0 - b2) * gk * gk;
    m[t] = mk;
    v[t] = vk;
    p[t] = p[t] - P.step_size * mk / (sqrt(vk) + P.eps);
}
