// d log γ of an attention glimpse in closed form, one workgroup per row with coalesced loads
// of the row's F_X block, from the dF_X just computed. Read (r = γ·F_Y x F_Xᵀ):
// d log γ = Σ dr ⊙ r = Σ dF_X ⊙ F_X. Write (canvas += F_Yᵀ P F_X / γ):
// d log γ = −Σ dc ⊙ (F_Yᵀ P F_X / γ) = −Σ dF_X ⊙ F_X. Zero where log γ is clamped. Writes
// the row's dp = (0, 0, 0, 0, d log γ); the filterbank backward adds the rest. The sign is
// P.gamma_sign (+1 read, −1 write).
fn kernel(t: u32, wg: u32, lid: u32) {
    let r = wg;
    let len = P.n * P.width;
    var s = 0.0;
    if (r < P.rows) {
        for (var k = lid; k < len; k += WG) {
            s += dfx[r * len + k] * fx[r * len + k];
        }
    }
    let total = workgroup_sum(lid, s);
    if (r < P.rows && lid < 5u) {
        var v = 0.0;
        if (lid == 4u && passes(p[r * 5u + 4u])) {
            v = P.gamma_sign * total;
        }
        dp[r * 5u + lid] = v;
    }
}
