// Prepended to the filterbank kernels: filter i of one axis of one row of window w, a softmax
// over pixels of −(a − μ_i)²/(2σ²), for a grid of n filters with stride scale `span` and
// filter centre `centre`. The kernel supplies `load_p(w, at)`, `store_f(w, axis, at, v)` and
// `load_f(w, axis, at)` for its window bindings.

fn filter_row(w: u32, r: u32, axis: u32, i: u32, n: u32, span: f32, centre: f32) {
    let d = decode_with(load_p(w, r * 5u), load_p(w, r * 5u + 1u), load_p(w, r * 5u + 2u), load_p(w, r * 5u + 3u), load_p(w, r * 5u + 4u), span);
    var g = d.gx;
    var len = P.width;
    if (axis == 1u) {
        g = d.gy;
        len = P.height;
    }
    let mu = g + (f32(i + 1u) - centre) * d.delta;
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
        store_f(w, axis, base + a, v);
        sum += v;
    }
    let inv_sum = 1.0 / sum;
    for (var a = 0u; a < len; a++) {
        store_f(w, axis, base + a, load_f(w, axis, base + a) * inv_sum);
    }
}

// Thread t of a grid of n filters over `rows` rows: (row, axis, filter), as `filter_row` takes
// them.
fn filter_thread(w: u32, t: u32, n: u32, span: f32, centre: f32) {
    let r = t / (2u * n);
    let axis = (t % (2u * n)) / n;
    filter_row(w, r, axis, t % n, n, span, centre);
}
