// Read backward, the x̂ part (`read_dxhat`), one thread per pixel.
fn kernel(t: u32, wg: u32, lid: u32) {
    if (t < P.rows * P.channels * P.height * P.width) {
        dxhat[t] = read_dxhat(t);
    }
}
