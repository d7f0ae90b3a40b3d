// The GEMM kernels' store of element (r, c) of C, and of its column copies (gemm_to): copy k
// (k < P.copies) takes columns src_k..src_k + ncols_k of C to column dst_k.. of out_k, added
// when acc_k = 1. Each element has one thread, so the added copies need no atomics. With
// P.acopy_ld ≠ 0 (gemm_bias_keep_a: A as it is, k ≤ n, copy 2 unused) the thread of (r, c)
// with c < k also copies A[r][c] to out2.

fn copy_value(old: f32, v: f32, acc: u32) -> f32 {
    return select(v, old + v, acc != 0u);
}

fn store_c(r: u32, c: u32, v: f32) {
    C[r * P.ldc + c] = v;
    if (P.copies > 0u && c >= P.src0 && c < P.src0 + P.ncols0) {
        let at = r * P.ld0 + P.dst0 + c - P.src0;
        out0[at] = copy_value(out0[at], v, P.acc0);
    }
    if (P.copies > 1u && c >= P.src1 && c < P.src1 + P.ncols1) {
        let at = r * P.ld1 + P.dst1 + c - P.src1;
        out1[at] = copy_value(out1[at], v, P.acc1);
    }
    if (P.acopy_ld != 0u && c < P.k) {
        out2[P.acopy_at + r * P.acopy_ld + c] = A[r * P.lda + c];
    }
    if (P.copies > 2u && c >= P.src2 && c < P.src2 + P.ncols2) {
        let at = r * P.ld2 + P.dst2 + c - P.src2;
        out2[at] = copy_value(out2[at], v, P.acc2);
    }
}
