// dc = scale·(σ(c) − x).
fn kernel(t: u32, wg: u32, lid: u32) {
    if (t < P.len) {
        dc[t] = P.scale * (sigmoid(c[t]) - x[t]);
    }
}
