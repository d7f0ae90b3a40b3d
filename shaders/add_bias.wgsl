// dst[r, c] += bias[c].
fn kernel(t: u32, wg: u32, lid: u32) {
    if (t < P.len) {
        dst[t] = dst[t] + bias[t % P.cols];
    }
}
