//! Vector-unit dispatch and denormal flushing: how the kernels get AVX-512/AVX2 code and
//! stay fast on the tiny values attention filters produce.

/// Runs `f` compiled for the widest vector unit present: the kernels are plain Rust loops
/// built for baseline x86-64 (SSE2); inlined into these `target_feature` functions the
/// compiler vectorises them with AVX-512 or AVX2 instead. No fast-math is involved, so the
/// results are bit-identical to the baseline build.
///
/// `f` and everything it calls must be `#[inline(always)]`: a function that is not inlined
/// is compiled once for the baseline and runs as SSE (a profile found the LSTM loop doing
/// exactly that, commit 90fe23c).
#[inline(always)]
pub(crate) fn simd<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F, checked just above.
            return unsafe { with_avx512(f) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            return unsafe { with_avx2(f) };
        }
    }
    f()
}

/// `f` compiled with AVX-512F (and AVX2) enabled.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,avx")]
unsafe fn with_avx512<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// `f` compiled with AVX2 enabled.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,avx")]
unsafe fn with_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Sets the x86 MXCSR flush-to-zero and denormals-are-zero bits on this thread. Attention
/// filters are Gaussians over 28+ pixels, so most of their entries underflow into subnormal
/// floats, and arithmetic on subnormals is up to ~100× slower; treating them as zero changes
/// no result above 1e-38.
pub(crate) fn flush_denormals() {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: only the FTZ (bit 15) and DAZ (bit 6) flags change; every x86-64 CPU has both.
    #[allow(deprecated)]
    unsafe {
        use std::arch::x86_64::{_mm_getcsr, _mm_setcsr};
        _mm_setcsr(_mm_getcsr() | 0x8040);
    }
}
