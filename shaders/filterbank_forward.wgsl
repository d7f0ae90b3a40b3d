// F_X (N × A) and F_Y (N × B) per row: one thread per (row, axis, filter), each filter a
// softmax over pixels of −(a − μ_i)²/(2σ²). Bindings: p (rows × 5), fx, fy.

fn store_f(axis: u32, at: u32, v: f32) {
    if (axis == 0u) {
        fx[at] = v;
    } else {
        fy[at] = v;
    }
}

fn load_f(axis: u32, at: u32) -> f32 {
    if (axis == 0u) {
        return fx[at];
    }
    return fy[at];
}

fn kernel(t: u32, wg: u32, lid: u32) {
    let n = P.n;
    if (t >= P.rows * 2u * n) {
        return;
    }
    let r = t / (2u * n);
    let axis = (t % (2u * n)) / n;
    let i = t % n;
    let d = decode(p[r * 5u], p[r * 5u + 1u], p[r * 5u + 2u], p[r * 5u + 3u], p[r * 5u + 4u]);
    var g = d.gx;
    var len = P.width;
    if (axis == 1u) {
        g = d.gy;
        len = P.height;
    }
    let mu = g + (f32(i + 1u) - P.filter_centre) * d.delta;
    let inv = 0.5 / d.sigma2;
    let base = (r * n + i) * len;
    var mx = -3.0e38;
    for (var a = 0u; a < len; a++) {
        let dd = f32(a + 1u) - mu;
        mx = max(mx, -(dd * dd) * inv);
    }
    var sum = 0.0;
    for (var a = 0u; a < len; a++) {
        let dd = f32(a + 1u) - mu;
        let v = exp(-(dd * dd) * inv - mx);
        store_f(axis, base + a, v);
        sum += v;
    }
    let inv_sum = 1.0 / sum;
    for (var a = 0u; a < len; a++) {
        store_f(axis, base + a, load_f(axis, base + a) * inv_sum);
    }
}
