// Read backward, dF_X and dF_Y in one dispatch: threads [0, rows·N·A) each one element of
// dF_X (`read_dfx`), the next rows·N·B each one element of dF_Y (`read_dfy`).
fn kernel(t: u32, wg: u32, lid: u32) {
    let nx = P.rows * P.n * P.width;
    let ny = P.rows * P.n * P.height;
    if (t < nx) {
        dfx[t] = read_dfx(t);
    } else if (t < nx + ny) {
        dfy[t - nx] = read_dfy(t - nx);
    }
}
