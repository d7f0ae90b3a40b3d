// Write backward, dF_X, dF_Y and d log γ in one dispatch, one workgroup per row: its threads
// take the row's N·A elements of dF_X (`write_dfx`) then its N·B of dF_Y (`write_dfy`) in
// turn, and sum dF_X ⊙ F_X as they go for d log γ = −Σ dF_X ⊙ F_X in closed form (see
// `gamma_backward.wgsl`; zero where log γ is clamped). Writes the row's
// dp = (0, 0, 0, 0, d log γ); the filterbank backward adds the rest.
fn kernel(t: u32, wg: u32, lid: u32) {
    let r = wg;
    let nx = P.n * P.width;
    let ny = P.n * P.height;
    var s = 0.0;
    if (r < P.rows) {
        for (var k = lid; k < nx + ny; k += WG) {
            if (k < nx) {
                let e = r * nx + k;
                let v = write_dfx(e);
                dfx[e] = v;
                s += v * fx[e];
            } else {
                let e = r * ny + k - nx;
                dfy[e] = write_dfy(e);
            }
        }
    }
    let total = workgroup_sum(lid, s);
    if (r < P.rows && lid < 5u) {
        var v = 0.0;
        if (lid == 4u && passes(p[r * 5u + 4u])) {
            v = -total;
        }
        dp[r * 5u + lid] = v;
    }
}
