// The training step's verdict on the device (draw-core's kernels::ledger::step_verdict): from
// the step's loss and squared-gradient sums in `ledger`, whether its update is taken and its
// clipping factor, and the step added to the ledger's accumulators. One thread.
//
// Slots: 0 ok, 1 grad scale, 2 Σ first term (L^x), 3 Σ second term (L^z), 4 Σ norm, 5 taken, 6 skipped, 7 skipped in a
// row, 8 the last skipped update's number (taken + 1), 9 what was not finite (1 loss, 2 norm).

// Whether v is finite, by its exponent bits (WGSL may assume NaN and ∞ away in comparisons).
fn finite(v: f32) -> bool {
    return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;
}

fn range_sum(lo: u32, hi: u32) -> f32 {
    var s = 0.0;
    for (var i = lo; i < hi; i++) {
        s += ledger[i];
    }
    return s;
}

fn kernel(t: u32, wg: u32, lid: u32) {
    if (t != 0u) {
        return;
    }
    let first = range_sum(P.first_lo, P.first_hi);
    let second = range_sum(P.second_lo, P.second_hi);
    let norm = sqrt(range_sum(P.grad_lo, P.grad_hi));
    let loss_ok = finite(first + second);
    if (loss_ok && finite(norm)) {
        var scale = 1.0;
        if (P.has_clip != 0u && norm > P.clip) {
            scale = P.clip / norm;
        }
        ledger[0] = 1.0;
        ledger[1] = scale;
        ledger[2] += first;
        ledger[3] += second;
        ledger[4] += norm;
        ledger[5] += 1.0;
        ledger[7] = 0.0;
    } else {
        ledger[0] = 0.0;
        ledger[1] = 0.0;
        ledger[6] += 1.0;
        ledger[7] += 1.0;
        ledger[8] = ledger[5] + 1.0;
        ledger[9] = select(1.0, 2.0, loss_ok);
    }
}
