// dst[offset + t] = src[t].
fn kernel(t: u32, wg: u32, lid: u32) {
    if (t < P.len) {
        dst[P.offset + t] = src[t];
    }
}
