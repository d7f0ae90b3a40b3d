// dst[r, c] = src[c].
fn kernel(t: u32, wg: u32, lid: u32) {
    if (t < P.len) {
        dst[t] = src[t % P.cols];
    }
}
