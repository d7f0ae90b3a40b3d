// dst[dst_row + j][i] = src[i][j], one thread per element of src (rows × cols); dst has
// `rows` columns.
fn kernel(t: u32, wg: u32, lid: u32) {
    let rows = P.rows;
    let cols = P.cols;
    if (t >= rows * cols) {
        return;
    }
    let i = t / cols;
    let j = t % cols;
    dst[(P.dst_row + j) * rows + i] = src[t];
}
