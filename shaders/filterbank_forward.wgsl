// F_X (N × A) and F_Y (N × B) per row: one thread per (row, axis, filter), each filter a
// softmax over pixels of −(a − μ_i)²/(2σ²) (`filter_row`). Bindings: p (rows × 5), fx, fy.

fn load_p(w: u32, at: u32) -> f32 {
    return p[at];
}

fn store_f(w: u32, axis: u32, at: u32, v: f32) {
    if (axis == 0u) {
        fx[at] = v;
    } else {
        fy[at] = v;
    }
}

fn load_f(w: u32, axis: u32, at: u32) -> f32 {
    if (axis == 0u) {
        return fx[at];
    }
    return fy[at];
}

fn kernel(t: u32, wg: u32, lid: u32) {
    if (t < P.rows * 2u * P.n) {
        filter_thread(0u, t, P.n, P.span, P.filter_centre);
    }
}
