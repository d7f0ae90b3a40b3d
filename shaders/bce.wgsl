// out[r] = Σ_k softplus(c) − x·c over row r (Bernoulli NLL on logits), one workgroup per
// row.
fn kernel(t: u32, wg: u32, lid: u32) {
    let r = wg;
    let n = P.cols;
    var s = 0.0;
    if (r < P.rows) {
        for (var k = lid; k < n; k += WG) {
            let cv = c[r * n + k];
            s += softplus(cv) - x[r * n + k] * cv;
        }
    }
    let total = workgroup_sum(lid, s);
    if (lid == 0u && r < P.rows) {
        out[r] = total;
    }
}
