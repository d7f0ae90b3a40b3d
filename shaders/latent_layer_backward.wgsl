// The latent's backward, then through the μ and log σ layer to its input, one workgroup per
// row: thread j (j = lid, lid + WG, … < P.cols) computes dμ_j = dz_j + k·μ_j and
// d log σ_j = dz_j·σ_j·ε_j + k·(σ_j² − 1) (k = P.scale) as sample_latent_backward, writes them
// to dml and its copy and keeps them in workgroup memory; after a barrier, thread i
// (< P.inputs) adds Σ_j dml_j·W[j][i] over the 2z rows of W to dh. Needs 2z ≤ 1024 (the host
// falls back to two ops past that).

var<workgroup> row_dml: array<f32, 1024>;

fn kernel(t: u32, wg: u32, lid: u32) {
    let r = wg;
    let n = P.cols;
    let e = P.inputs;
    if (r < P.rows) {
        for (var j = lid; j < n; j += WG) {
            let at = r * n + j;
            let am = 2u * r * n + j;
            let al = am + n;
            let s = exp_c(ml[al]);
            let k = P.scale;
            let dm = dz[at] + k * ml[am];
            let dl = dz[at] * s * eps[at] + k * (s * s - 1.0);
            dml[am] = dm;
            dml[al] = dl;
            if (P.copies > 0u) {
                let c = P.at0 + r * P.ld0 + j;
                dml_copy[c] = dm;
                dml_copy[c + n] = dl;
            }
            row_dml[j] = dm;
            row_dml[n + j] = dl;
        }
    }
    workgroupBarrier();
    if (r < P.rows) {
        for (var i = lid; i < e; i += WG) {
            var acc = 0.0;
            for (var j = 0u; j < 2u * n; j++) {
                acc += row_dml[j] * w[j * e + i];
            }
            dh[r * e + i] = dh[r * e + i] + acc;
        }
    }
}
