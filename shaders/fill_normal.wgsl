// Standard normals (normal_common.wgsl): element t uses index offset + t.
fn kernel(t: u32, wg: u32, lid: u32) {
    if (t >= P.len) {
        return;
    }
    let index = add64(vec2<u32>(t, 0u), vec2<u32>(P.offset_lo, P.offset_hi));
    T[t] = normal_at(vec2<u32>(P.key_lo, P.key_hi), index);
}
