// out[r] = Σ_k softplus(c) − x·c over row r (Bernoulli NLL on logits), one workgroup per
// row.
@group(0) @binding(0) var<uniform> P: ShapeParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> c: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

var<workgroup> part: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let r = wid.y * nwg.x + wid.x;
    let n = P.cols;
    var s = 0.0;
    if (r < P.rows) {
        for (var k = lid; k < n; k += WG) {
            let cv = c[r * n + k];
            s += softplus(cv) - x[r * n + k] * cv;
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
    if (lid == 0u && r < P.rows) {
        out[r] = part[0];
    }
}
