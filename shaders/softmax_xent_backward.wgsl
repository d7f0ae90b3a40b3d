// dlogits = scale·(softmax(logits) − onehot(label)), one thread per row (K is small).
@group(0) @binding(0) var<uniform> P: XentParams;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<f32>;
@group(0) @binding(3) var<storage, read_write> dlogits: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let r = flat_index(wid, nwg, lid);
    if (r >= P.rows) {
        return;
    }
    let n = P.cols;
    let base = r * n;
    var m = logits[base];
    for (var k = 1u; k < n; k++) {
        m = max(m, logits[base + k]);
    }
    var s = 0.0;
    for (var k = 0u; k < n; k++) {
        s += exp_c(logits[base + k] - m);
    }
    let lse = m + log(s);
    let y = labels[r];
    let whole = y >= 0.0 && y < f32(n) && fract(y) == 0.0;
    for (var k = 0u; k < n; k++) {
        var onehot = 0.0;
        if (whole && u32(y) == k) {
            onehot = 1.0;
        }
        dlogits[base + k] = P.scale * (exp_c(logits[base + k] - lse) - onehot);
    }
}
