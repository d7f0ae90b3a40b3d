// out[slot] = Σ src, or Σ src² when P.squares ≠ 0: one workgroup, strided partial sums, then
// a tree.
@group(0) @binding(0) var<uniform> P: ReduceParams;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

var<workgroup> part: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32) {
    var s = 0.0;
    for (var i = lid; i < P.len; i += WG) {
        let v = src[i];
        if (P.squares != 0u) {
            s += v * v;
        } else {
            s += v;
        }
    }
    part[lid] = s;
    workgroupBarrier();
    for (var w = WG / 2u; w > 0u; w = w / 2u) {
        if (lid < w) {
            part[lid] += part[lid + w];
        }
        workgroupBarrier();
    }
    if (lid == 0u) {
        out[P.slot] = part[0];
    }
}
