// dc −= dx̂·s·(1 − s) with s = σ(c) recovered as x − x̂.
fn kernel(t: u32, wg: u32, lid: u32) {
    if (t < P.len) {
        let s = x[t] - xhat[t];
        dc[t] = dc[t] - dxhat[t] * s * (1.0 - s);
    }
}
