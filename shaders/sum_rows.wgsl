// dst[c] += Σ_r src[r, c], one thread per column.
fn kernel(t: u32, wg: u32, lid: u32) {
    if (t >= P.cols) {
        return;
    }
    var s = 0.0;
    for (var r = 0u; r < P.rows; r++) {
        s += src[r * P.cols + t];
    }
    dst[t] = dst[t] + s;
}
