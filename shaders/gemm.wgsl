// C ← α·op(A)·op(B) + β·C, op transposing when asked, plus the row `bias` on every row when
// P.bias = 1 (gemm_bias: the bias in the epilogue). A 64 × 64 tile of C per workgroup of
// 16 × 16 threads, each thread a 4 × 4 block (rows lid.y + 16i, columns lid.x + 16j), K in
// slices of 16 staged in workgroup memory. With β = 0, C is not read.

var<workgroup> As: array<f32, 1024>; // [k][m], 16 × 64
var<workgroup> Bs: array<f32, 1024>; // [k][n], 16 × 64

fn load_a(m: u32, k: u32) -> f32 {
    if (m >= P.m || k >= P.k) {
        return 0.0;
    }
    if (P.trans_a != 0u) {
        return A[k * P.lda + m];
    }
    return A[m * P.lda + k];
}

fn load_b(k: u32, n: u32) -> f32 {
    if (n >= P.n || k >= P.k) {
        return 0.0;
    }
    if (P.trans_b != 0u) {
        return B[n * P.ldb + k];
    }
    return B[k * P.ldb + n];
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let m0 = wid.y * 64u;
    let n0 = wid.x * 64u;
    let tid = lid.y * 16u + lid.x;
    var acc: array<f32, 16>;
    for (var e = 0u; e < 16u; e++) {
        acc[e] = 0.0;
    }
    let k_len = P.k;
    for (var k0 = 0u; k0 < k_len; k0 += 16u) {
        for (var e = 0u; e < 4u; e++) {
            let idx = tid + e * 256u;
            // Consecutive threads read consecutive addresses in either layout.
            var m: u32;
            var k: u32;
            if (P.trans_a != 0u) {
                m = idx % 64u;
                k = idx / 64u;
            } else {
                k = idx % 16u;
                m = idx / 16u;
            }
            As[k * 64u + m] = load_a(m0 + m, k0 + k);
            var n: u32;
            var kb: u32;
            if (P.trans_b != 0u) {
                kb = idx % 16u;
                n = idx / 16u;
            } else {
                n = idx % 64u;
                kb = idx / 64u;
            }
            Bs[kb * 64u + n] = load_b(k0 + kb, n0 + n);
        }
        workgroupBarrier();
        for (var k = 0u; k < 16u; k++) {
            var a: array<f32, 4>;
            var b: array<f32, 4>;
            for (var i = 0u; i < 4u; i++) {
                a[i] = As[k * 64u + lid.y + 16u * i];
                b[i] = Bs[k * 64u + lid.x + 16u * i];
            }
            for (var i = 0u; i < 4u; i++) {
                for (var j = 0u; j < 4u; j++) {
                    acc[i * 4u + j] = fma(a[i], b[j], acc[i * 4u + j]);
                }
            }
        }
        workgroupBarrier();
    }
    let alpha = P.alpha;
    let beta = P.beta;
    for (var i = 0u; i < 4u; i++) {
        let r = m0 + lid.y + 16u * i;
        for (var j = 0u; j < 4u; j++) {
            let c = n0 + lid.x + 16u * j;
            if (r < P.m && c < P.n) {
                let at = r * P.ldc + c;
                var v = alpha * acc[i * 4u + j];
                if (beta != 0.0) {
                    v += beta * C[at];
                }
                if (P.bias != 0u) {
                    v += bias[c];
                }
                store_c(r, c, v);
            }
        }
    }
}
