// Adam with clipping folded into the gradient scale: g' = g·scale, m ← β₁m + (1−β₁)g',
// v ← β₂v + (1−β₂)g'², p ← p − step·m/(√v + ε), with scale = P.grad_scale.
fn kernel(t: u32, wg: u32, lid: u32) {
    if (t >= P.len) {
        return;
    }
    let b1 = P.beta1;
    let b2 = P.beta2;
    let gk = g[t] * P.grad_scale;
    let mk = b1 * m[t] + (1.0 - b1) * gk;
    let vk = b2 * v[t] + (1.0 - b2) * gk * gk;
    m[t] = mk;
    v[t] = vk;
    p[t] = p[t] - P.step_size * mk / (sqrt(vk) + P.eps);
}
