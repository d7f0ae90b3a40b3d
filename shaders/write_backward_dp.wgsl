// Write backward, the attention-output row: dp = (0, 0, 0, 0, ∂/∂log γ) with
// ∂/∂log γ = −(1/γ)·Σ dc·(F_Yᵀ P F_X), one thread per row.
@group(0) @binding(0) var<uniform> P: AttentionParams;
@group(0) @binding(1) var<storage, read> pw: array<f32>;
@group(0) @binding(2) var<storage, read> fx: array<f32>;
@group(0) @binding(3) var<storage, read> fy: array<f32>;
@group(0) @binding(4) var<storage, read> p: array<f32>;
@group(0) @binding(5) var<storage, read> dc: array<f32>;
@group(0) @binding(6) var<storage, read_write> dp: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let t = flat_index(wid, nwg, lid);
    let n = P.n;
    let w = P.width;
    let h = P.height;
    let chans = P.channels;
    if (t >= P.rows) {
        return;
    }
    let r = t;
    let lg = p[r * 5u + 4u];
    let s = 1.0 / exp(clamp(lg, -LOG_CLAMP, LOG_CLAMP));
    var dlog = 0.0;
    for (var ch = 0u; ch < chans; ch++) {
        let cb = (r * chans + ch) * h * w;
        let pb = (r * chans + ch) * n * n;
        for (var j = 0u; j < n; j++) {
            for (var xx = 0u; xx < w; xx++) {
                var v = 0.0;
                for (var y = 0u; y < h; y++) {
                    v += fy[(r * n + j) * h + y] * dc[cb + y * w + xx];
                }
                var tv = 0.0;
                for (var i = 0u; i < n; i++) {
                    tv += pw[pb + j * n + i] * fx[(r * n + i) * w + xx];
                }
                dlog -= s * v * tv;
            }
        }
    }
    for (var e = 0u; e < 4u; e++) {
        dp[r * 5u + e] = 0.0;
    }
    if (passes(lg)) {
        dp[r * 5u + 4u] = dlog;
    } else {
        dp[r * 5u + 4u] = 0.0;
    }
}
