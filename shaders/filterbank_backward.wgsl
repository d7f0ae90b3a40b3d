// dp[r] += ∂/∂(attention outputs) from dF_X, dF_Y, one thread per row (softmax backward, then
// the chain through μ_i = g + (i − centre)·δ and σ²). Bindings: p, fx, fy, dfx, dfy, dp.

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

// (∂/∂g, ∂/∂δ, ∂/∂log σ²) of one axis.
fn axis_backward(axis: u32, r: u32, g: f32, delta: f32, sigma2: f32, len: u32) -> vec3<f32> {
    let n = P.n;
    let inv = 1.0 / sigma2;
    var out = vec3<f32>(0.0, 0.0, 0.0);
    for (var i = 0u; i < n; i++) {
        let offset = f32(i + 1u) - P.filter_centre;
        let mu = g + offset * delta;
        let base = (r * n + i) * len;
        var dot = 0.0;
        for (var a = 0u; a < len; a++) {
            dot += f_at(axis, base + a) * df_at(axis, base + a);
        }
        var dmu = 0.0;
        for (var a = 0u; a < len; a++) {
            let ds = f_at(axis, base + a) * (df_at(axis, base + a) - dot);
            let dd = f32(a + 1u) - mu;
            dmu += ds * dd * inv;
            out.z += ds * dd * dd * inv * 0.5;
        }
        out.x += dmu;
        out.y += dmu * offset;
    }
    return out;
}

fn kernel(t: u32, wg: u32, lid: u32) {
    if (t >= P.rows) {
        return;
    }
    let d = decode(p[t * 5u], p[t * 5u + 1u], p[t * 5u + 2u], p[t * 5u + 3u], p[t * 5u + 4u]);
    let bx = axis_backward(0u, t, d.gx, d.delta, d.sigma2, P.width);
    let by = axis_backward(1u, t, d.gy, d.delta, d.sigma2, P.height);
    dp[t * 5u] += bx.x * P.gx_scale;
    dp[t * 5u + 1u] += by.x * P.gy_scale;
    if (d.sigma_passes) {
        dp[t * 5u + 2u] += bx.z + by.z;
    }
    if (d.delta_passes) {
        dp[t * 5u + 3u] += (bx.y + by.y) * d.delta;
    }
}
