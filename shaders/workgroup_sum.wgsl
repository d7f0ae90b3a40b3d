// Prepended to the kernels that sum within a workgroup: the sum of every thread's `s`, a tree
// over workgroup memory, returned to every thread. Call it from uniform control flow.

var<workgroup> part: array<f32, 256>;

fn workgroup_sum(lid: u32, s: f32) -> f32 {
    part[lid] = s;
    workgroupBarrier();
    for (var w = WG / 2u; w > 0u; w = w / 2u) {
        if (lid < w) {
            part[lid] += part[lid + w];
        }
        workgroupBarrier();
    }
    return part[0];
}
