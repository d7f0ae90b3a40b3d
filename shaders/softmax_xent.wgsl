// Softmax cross-entropy per row of class logits, one thread per row (K is small: 10 classes):
// loss[r] = log Σ_k exp(l_k − m) + m − l_y and correct[r] = 1 where the first largest logit is
// the label's. A label that is not a whole number in 0..K has no target (loss = log Σ exp,
// never correct), as in draw-core's `softmax_xent_row`.
@group(0) @binding(0) var<uniform> P: XentParams;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<f32>;
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;
@group(0) @binding(4) var<storage, read_write> correct: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let r = flat_index(wid, nwg, lid);
    if (r >= P.rows) {
        return;
    }
    let n = P.cols;
    let base = r * n;
    var arg = 0u;
    for (var k = 1u; k < n; k++) {
        if (logits[base + k] > logits[base + arg]) {
            arg = k;
        }
    }
    let m = logits[base + arg];
    var s = 0.0;
    for (var k = 0u; k < n; k++) {
        s += exp_c(logits[base + k] - m);
    }
    let lse = m + log(s);
    let y = labels[r];
    let whole = y >= 0.0 && y < f32(n) && fract(y) == 0.0;
    if (whole) {
        let t = u32(y);
        loss[r] = lse - logits[base + t];
        correct[r] = select(0.0, 1.0, t == arg);
    } else {
        loss[r] = lse;
        correct[r] = 0.0;
    }
}
