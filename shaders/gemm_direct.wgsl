// C ← α·op(A)·op(B) + β·C (+ the row `bias` when P.bias = 1; column copies through
// gemm_store.wgsl), one thread per element of C,
// no workgroup memory or barriers.
// Chosen on CPU adapters (lavapipe), which run neighbouring threads as SIMD lanes: lanes share
// a row of op(A) and read neighbouring columns of op(B), and the CPU's caches do the tiling.
// Same parameters as gemm.wgsl; a 1-D grid over M·N.
fn kernel(t: u32, wg: u32, lid: u32) {
    let n_len = P.n;
    if (t >= P.m * n_len) {
        return;
    }
    let r = t / n_len;
    let c = t % n_len;
    let lda = P.lda;
    let ldb = P.ldb;
    var a_at = r * lda;
    var a_step = 1u;
    if (P.trans_a != 0u) {
        a_at = r;
        a_step = lda;
    }
    var b_at = c;
    var b_step = ldb;
    if (P.trans_b != 0u) {
        b_at = c * ldb;
        b_step = 1u;
    }
    var acc = 0.0;
    for (var k = 0u; k < P.k; k++) {
        acc = fma(A[a_at], B[b_at], acc);
        a_at += a_step;
        b_at += b_step;
    }
    let at = r * P.ldc + c;
    var v = P.alpha * acc;
    if (P.beta != 0.0) {
        v += P.beta * C[at];
    }
    if (P.bias != 0u) {
        v += bias[c];
    }
    store_c(r, c, v);
}
