// x̂ = x − σ(c).
fn kernel(t: u32, wg: u32, lid: u32) {
    if (t < P.len) {
        xhat[t] = x[t] - sigmoid(c[t]);
    }
}
