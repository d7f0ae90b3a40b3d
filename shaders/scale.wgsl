// T[t] *= α (P.scale).
fn kernel(t: u32, wg: u32, lid: u32) {
    if (t < P.len) {
        T[t] = T[t] * P.scale;
    }
}
