// T[t] = value.
fn kernel(t: u32, wg: u32, lid: u32) {
    if (t < P.len) {
        T[t] = P.value;
    }
}
