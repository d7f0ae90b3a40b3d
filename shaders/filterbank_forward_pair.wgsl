// The filterbanks of two windows over one image in one dispatch: threads [0, rows·2N) make
// window 0's (p, fx, fy; grid P.n, P.span, P.filter_centre), the next rows·2N₂ window 1's
// (p2, fx2, fy2; grid P.n2, P.span2, P.filter_centre2), one thread per (row, axis, filter)
// as `filterbank_forward.wgsl`.

fn load_p(w: u32, at: u32) -> f32 {
    if (w == 0u) {
        return p[at];
    }
    return p2[at];
}

fn store_f(w: u32, axis: u32, at: u32, v: f32) {
    if (w == 0u) {
        if (axis == 0u) {
            fx[at] = v;
        } else {
            fy[at] = v;
        }
    } else {
        if (axis == 0u) {
            fx2[at] = v;
        } else {
            fy2[at] = v;
        }
    }
}

fn load_f(w: u32, axis: u32, at: u32) -> f32 {
    if (w == 0u) {
        if (axis == 0u) {
            return fx[at];
        }
        return fy[at];
    }
    if (axis == 0u) {
        return fx2[at];
    }
    return fy2[at];
}

fn kernel(t: u32, wg: u32, lid: u32) {
    let first = P.rows * 2u * P.n;
    if (t < first) {
        filter_thread(0u, t, P.n, P.span, P.filter_centre);
    } else if (t < first + P.rows * 2u * P.n2) {
        filter_thread(1u, t - first, P.n2, P.span2, P.filter_centre2);
    }
}
