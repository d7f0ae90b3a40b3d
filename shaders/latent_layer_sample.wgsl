// The fused μ and log σ layer and the sample, one workgroup per row: thread j of the row
// (j = lid, lid + WG, … < P.cols) computes μ_j = b_j + Σ_k h_k·W[j][k] and
// log σ_j = b_{z+j} + Σ_k h_k·W[z + j][k] (W the 2z × P.inputs layer), writes them to ml,
// draws ε_j (normal_common.wgsl, as sample_latent), writes z_j = μ_j + σ_j·ε_j (and its copy)
// and sums its KL terms; kl[r] += ½ of the row's sum (workgroup_sum).
fn kernel(t: u32, wg: u32, lid: u32) {
    let r = wg;
    let n = P.cols;
    let e = P.inputs;
    let key = vec2<u32>(P.key_lo, P.key_hi);
    let offset = vec2<u32>(P.offset_lo, P.offset_hi);
    var s = 0.0;
    if (r < P.rows) {
        for (var j = lid; j < n; j += WG) {
            var mu = 0.0;
            var ls = 0.0;
            for (var k = 0u; k < e; k++) {
                let hk = h[r * e + k];
                mu += hk * w[j * e + k];
                ls += hk * w[(n + j) * e + k];
            }
            mu += bias[j];
            ls += bias[n + j];
            ml[2u * r * n + j] = mu;
            ml[(2u * r + 1u) * n + j] = ls;
            let at = r * n + j;
            let ej = normal_at(key, add64(vec2<u32>(at, 0u), offset));
            eps[at] = ej;
            let sg = exp_c(ls);
            let zj = mu + sg * ej;
            z[at] = zj;
            if (P.copies > 0u) {
                z_copy[P.at0 + r * P.ld0 + j] = zj;
            }
            s += mu * mu + sg * sg - 2.0 * ls - 1.0;
        }
    }
    let total = workgroup_sum(lid, s);
    if (r < P.rows && lid == 0u) {
        kl[r] = kl[r] + total * 0.5;
    }
}
