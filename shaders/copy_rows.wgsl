// dst[offset + t] = src[src_offset + t] (copy_rows: src_offset = 0; copy_rows_from: offset = 0).
fn kernel(t: u32, wg: u32, lid: u32) {
    if (t < P.len) {
        dst[P.offset + t] = src[P.src_offset + t];
    }
}
