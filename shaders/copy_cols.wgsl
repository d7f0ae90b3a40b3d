// dst[r, dst_col + c] (+)= src[r, src_col + c], adding when P.accumulate ≠ 0.
fn kernel(t: u32, wg: u32, lid: u32) {
    if (t >= P.rows * P.ncols) {
        return;
    }
    let r = t / P.ncols;
    let c = t % P.ncols;
    let v = src[r * P.src_cols + P.src_col + c];
    let at = r * P.dst_cols + P.dst_col + c;
    if (P.accumulate != 0u) {
        dst[at] = dst[at] + v;
    } else {
        dst[at] = v;
    }
}
