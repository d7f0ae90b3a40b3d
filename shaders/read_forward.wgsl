// Attention read (eq. 19): r = γ·[F_Y x F_Xᵀ, F_Y x̂ F_Xᵀ], one thread per glimpse value
// (row, image k, channel, j, i).
@group(0) @binding(0) var<uniform> P: AttentionParams;
@group(0) @binding(3) var<storage, read> fx: array<f32>;
@group(0) @binding(4) var<storage, read> fy: array<f32>;
@group(0) @binding(5) var<storage, read> p: array<f32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let t = flat_index(wid, nwg, lid);
    let n = P.n;
    let w = P.width;
    let h = P.height;
    let chans = P.channels;
    let per_row = 2u * chans * n * n;
    if (t >= P.rows * per_row) {
        return;
    }
    let r = t / per_row;
    let q = t % per_row;
    let kc = q / (n * n);
    let k = kc / chans;
    let ch = kc % chans;
    let j = (q % (n * n)) / n;
    let i = q % n;
    var s = 0.0;
    for (var xx = 0u; xx < w; xx++) {
        var v = 0.0;
        for (var y = 0u; y < h; y++) {
            v += fy[(r * n + j) * h + y] * pix(k, r, ch, y, xx);
        }
        s += v * fx[(r * n + i) * w + xx];
    }
    out[t] = s * exp(clamp(p[r * 5u + 4u], -LOG_CLAMP, LOG_CLAMP));
}
