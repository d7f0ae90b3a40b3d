// dp[r] += ∂/∂(attention outputs) from dF_X, dF_Y, one workgroup per row, one thread per
// filter (softmax backward, then the chain through μ_i = g + (i − centre)·δ and σ²). With
// P.copy_ld ≠ 0 the finished row of dp also goes to dp_copy, and with P.copy1_ld ≠ 0 to
// dp_copy1 (filterbank_backward_to). With P.gamma_sign ≠ 0 (the read's whole backward) the
// row of dp is set, not added to, and its log γ column is d log γ = P.gamma_sign·Σ dF_X ⊙ F_X
// in closed form (as `gamma_backward.wgsl` computes it: the same sums in the same order).

fn f_at(axis: u32, at: u32) -> f32 {
    if (axis == 0u) {
        return fx[at];
    }
    return fy[at];
}

fn df_at(axis: u32, at: u32) -> f32 {
    if (axis == 0u) {
        return dfx[at];
    }
    return dfy[at];
}

// (∂/∂g, ∂/∂δ, ∂/∂log σ²) of filter i of one axis.
fn filter_backward(axis: u32, r: u32, i: u32, g: f32, delta: f32, sigma2: f32, len: u32) -> vec3<f32> {
    let n = P.n;
    let inv = 1.0 / sigma2;
    let offset = f32(i + 1u) - P.filter_centre;
    let mu = g + offset * delta;
    let base = (r * n + i) * len;
    var dot = 0.0;
    for (var a = 0u; a < len; a++) {
        dot += f_at(axis, base + a) * df_at(axis, base + a);
    }
    var dmu = 0.0;
    var dls = 0.0;
    for (var a = 0u; a < len; a++) {
        let ds = f_at(axis, base + a) * (df_at(axis, base + a) - dot);
        let dd = f32(a + 1u) - mu;
        dmu += ds * dd * inv;
        dls += ds * dd * dd * inv * 0.5;
    }
    return vec3<f32>(dmu, dmu * offset, dls);
}

var<workgroup> part_x: array<vec3<f32>, 256>;
var<workgroup> part_y: array<vec3<f32>, 256>;
var<workgroup> part_g: array<f32, 256>;

// One workgroup per row: thread q < 2N takes filter q % N of axis q / N; the workgroup sums
// the filters' contributions per axis.
fn kernel(t: u32, wg: u32, lid: u32) {
    let row = wg;
    let n = P.n;
    var ax = vec3<f32>(0.0, 0.0, 0.0);
    var ay = vec3<f32>(0.0, 0.0, 0.0);
    var d: Decoded;
    var sg = 0.0;
    if (row < P.rows && P.gamma_sign != 0.0) {
        let len = n * P.width;
        for (var k = lid; k < len; k += WG) {
            sg += dfx[row * len + k] * fx[row * len + k];
        }
    }
    if (row < P.rows) {
        d = decode(p[row * 5u], p[row * 5u + 1u], p[row * 5u + 2u], p[row * 5u + 3u], p[row * 5u + 4u]);
        for (var q = lid; q < 2u * n; q += WG) {
            if (q < n) {
                ax += filter_backward(0u, row, q, d.gx, d.delta, d.sigma2, P.width);
            } else {
                ay += filter_backward(1u, row, q - n, d.gy, d.delta, d.sigma2, P.height);
            }
        }
    }
    part_x[lid] = ax;
    part_y[lid] = ay;
    part_g[lid] = sg;
    workgroupBarrier();
    for (var w = WG / 2u; w > 0u; w = w / 2u) {
        if (lid < w) {
            part_x[lid] += part_x[lid + w];
            part_y[lid] += part_y[lid + w];
            part_g[lid] += part_g[lid + w];
        }
        workgroupBarrier();
    }
    if (lid != 0u || row >= P.rows) {
        return;
    }
    if (P.gamma_sign != 0.0) {
        var g = 0.0;
        if (passes(p[row * 5u + 4u])) {
            g = P.gamma_sign * part_g[0];
        }
        for (var k = 0u; k < 4u; k++) {
            dp[row * 5u + k] = 0.0;
        }
        dp[row * 5u + 4u] = g;
    }
    let bx = part_x[0];
    let by = part_y[0];
    dp[row * 5u] += bx.x * P.gx_scale;
    dp[row * 5u + 1u] += by.x * P.gy_scale;
    if (d.sigma_passes) {
        dp[row * 5u + 2u] += bx.z + by.z;
    }
    if (d.delta_passes) {
        dp[row * 5u + 3u] += (bx.y + by.y) * d.delta;
    }
    for (var k = 0u; k < 5u; k++) {
        let v = dp[row * 5u + k];
        if (P.copy_ld != 0u) {
            dp_copy[P.copy_at + row * P.copy_ld + k] = v;
        }
        if (P.copy1_ld != 0u) {
            dp_copy1[P.copy1_at + row * P.copy1_ld + k] = v;
        }
    }
}
