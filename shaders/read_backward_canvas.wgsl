// Read backward, the x̂ part (`read_dxhat`), carried on to the canvas as the canvas error's
// backward does it: dc −= dx̂·s·(1 − s) with s = σ(c) recovered as x − x̂. One thread per
// pixel.
fn kernel(t: u32, wg: u32, lid: u32) {
    if (t < P.rows * P.channels * P.height * P.width) {
        let d = read_dxhat(t);
        dxhat[t] = d;
        let s = x[t] - xhat[t];
        dc[t] = dc[t] - d * s * (1.0 - s);
    }
}
