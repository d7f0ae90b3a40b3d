// out[slot] = Σ src, or Σ src² when P.squares ≠ 0: one workgroup, strided partial sums, then
// a tree.
fn kernel(t: u32, wg: u32, lid: u32) {
    var s = 0.0;
    for (var i = lid; i < P.len; i += WG) {
        let v = src[i];
        if (P.squares != 0u) {
            s += v * v;
        } else {
            s += v;
        }
    }
    let total = workgroup_sum(lid, s);
    if (lid == 0u) {
        out[P.slot] = total;
    }
}
