//! # draw-cpu
//!
//! The CPU backend for draw-core. Tensors are `ndarray::Array2` in row-major order; matrix
//! products go to the `gemm` crate (runtime-dispatched AVX2/AVX-512 kernels, threaded with
//! rayon); every fused op runs draw-core's reference kernels over the batch rows in parallel on
//! all cores. Generic over the float type: `CpuBackend<f32>` trains, `CpuBackend<f64>` runs the
//! finite-difference checks.
#![deny(missing_docs)]

use draw_core::kernels::attention::{self, WindowRow, WindowRowGrads};
use draw_core::kernels::filterbank::Geometry;
use draw_core::kernels::pointwise::AdamStep;
use draw_core::kernels::{filterbank, lstm, pointwise};
use draw_core::{
    AttentionOps, Float, Latent, LossOps, LstmOps, Mat, MatrixOps, NoiseKey, OptimOps, SamplingOps,
    Storage, Window, WindowGrads,
};
use ndarray::{Array2, Axis};
use rayon::prelude::*;
use std::marker::PhantomData;

/// Runs `f` compiled for the widest vector unit present: the kernels are plain Rust loops
/// built for baseline x86-64 (SSE2); inlined into these `target_feature` functions the
/// compiler vectorises them with AVX-512 or AVX2 instead. No fast-math is involved, so the
/// results are bit-identical to the baseline build.
#[inline(always)]
fn simd<R>(f: impl FnOnce() -> R) -> R {
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

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,avx")]
unsafe fn with_avx512<R>(f: impl FnOnce() -> R) -> R {
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,avx")]
unsafe fn with_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Rows handed to one rayon task at least (smaller tasks cost more than they save).
const MIN_ROWS: usize = 4;

/// One single-threaded rayon pool per thread of the global pool: a shard of a batch runs
/// inside one of them, so its ops (and its GEMMs, whose parallelism follows the current pool)
/// run serially on one core without waking any other thread.
fn shard_pools() -> &'static [rayon::ThreadPool] {
    static POOLS: std::sync::OnceLock<Vec<rayon::ThreadPool>> = std::sync::OnceLock::new();
    POOLS.get_or_init(|| {
        (0..rayon::current_num_threads())
            .map(|k| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(1)
                    .thread_name(move |_| format!("draw-shard-{k}"))
                    .start_handler(|_| flush_denormals())
                    .build()
                    .expect("a one-thread pool can be built")
            })
            .collect()
    })
}

/// The CPU backend, on rayon's global thread pool.
#[derive(Clone, Copy, Debug)]
pub struct CpuBackend<F> {
    _f: PhantomData<F>,
}

impl<F: Float> Default for CpuBackend<F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<F: Float> CpuBackend<F> {
    /// A CPU backend on rayon's global pool (all cores unless `RAYON_NUM_THREADS` says
    /// otherwise). Turns on flush-to-zero for the calling thread and every pool thread.
    pub fn new() -> Self {
        rayon::broadcast(|_| flush_denormals());
        flush_denormals();
        CpuBackend { _f: PhantomData }
    }
}

/// Sets the x86 MXCSR flush-to-zero and denormals-are-zero bits on this thread. Attention
/// filters are Gaussians over 28+ pixels, so most of their entries underflow into subnormal
/// floats, and arithmetic on subnormals is up to ~100× slower; treating them as zero changes
/// no result above 1e-38.
fn flush_denormals() {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: only the FTZ (bit 15) and DAZ (bit 6) flags change; every x86-64 CPU has both.
    #[allow(deprecated)]
    unsafe {
        use std::arch::x86_64::{_mm_getcsr, _mm_setcsr};
        _mm_setcsr(_mm_getcsr() | 0x8040);
    }
}

fn slice<F>(t: &Array2<F>) -> &[F] {
    t.as_slice().expect("CPU tensors are contiguous")
}

fn slice_mut<F>(t: &mut Array2<F>) -> &mut [F] {
    t.as_slice_mut().expect("CPU tensors are contiguous")
}

/// Row `r` of a contiguous row-major buffer with `n` columns.
#[inline]
fn row<F>(v: &[F], r: usize, n: usize) -> &[F] {
    &v[r * n..(r + 1) * n]
}

impl<F: Float> Storage for CpuBackend<F> {
    type F = F;
    type Tensor = Array2<F>;

    /// `MemAvailable` of /proc/meminfo on Linux; `None` elsewhere.
    fn memory_available(&self) -> Option<u64> {
        let info = std::fs::read_to_string("/proc/meminfo").ok()?;
        let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    }

    fn name(&self) -> String {
        format!(
            "cpu ({}, {} threads)",
            std::any::type_name::<F>(),
            rayon::current_num_threads()
        )
    }

    fn run<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        // `rayon::scope` runs its closure on a worker of the global pool (injecting it when
        // called from another thread); every op inside then forks from that worker.
        rayon::scope(|_| {
            flush_denormals();
            f()
        })
    }

    /// One shard per core: each runs its rows' whole forward or backward pass serially,
    /// so a step synchronises the cores once instead of at each of its ~1700 small ops.
    fn shards(&self, batch: usize) -> usize {
        rayon::current_num_threads().min(batch).max(1)
    }

    fn run_shards<T: Send>(&self, items: &mut [T], f: impl Fn(usize, &mut T) + Sync) {
        let pools = shard_pools();
        if items.len() <= 1 || pools.len() < items.len() {
            for (k, item) in items.iter_mut().enumerate() {
                f(k, item);
            }
            return;
        }
        let f = &f;
        std::thread::scope(|s| {
            let (first, rest) = items.split_first_mut().expect("at least two items");
            for (k, item) in rest.iter_mut().enumerate() {
                let pool = &pools[k + 1];
                s.spawn(move || pool.install(|| f(k + 1, item)));
            }
            pools[0].install(|| f(0, first));
        });
    }

    fn zeros(&self, rows: usize, cols: usize) -> Array2<F> {
        Array2::zeros((rows, cols))
    }

    fn shape(&self, t: &Array2<F>) -> (usize, usize) {
        t.dim()
    }

    fn upload(&self, t: &mut Array2<F>, data: &[F]) {
        slice_mut(t).copy_from_slice(data);
    }

    fn download(&self, t: &Array2<F>) -> Vec<F> {
        slice(t).to_vec()
    }

    fn fill(&self, t: &mut Array2<F>, value: f64) {
        t.fill(F::of(value));
    }

    fn copy_cols(
        &self,
        src: &Array2<F>,
        src_col: usize,
        dst: &mut Array2<F>,
        dst_col: usize,
        ncols: usize,
        accumulate: bool,
    ) {
        let s = src.slice(ndarray::s![.., src_col..src_col + ncols]);
        let mut d = dst.slice_mut(ndarray::s![.., dst_col..dst_col + ncols]);
        if accumulate {
            d += &s;
        } else {
            d.assign(&s);
        }
    }

    fn copy_rows(&self, src: &Array2<F>, dst: &mut Array2<F>, dst_row: usize) {
        dst.slice_mut(ndarray::s![dst_row..dst_row + src.nrows(), ..])
            .assign(src);
    }

    fn transpose_rows(&self, src: &Array2<F>, dst: &mut Array2<F>, dst_row: usize) {
        // In 32 × 32 tiles, so that reads and writes both stay in cache; a band of 32
        // destination rows per task.
        const TILE: usize = 32;
        let (r, c) = src.dim();
        let s = slice(src);
        let out = &mut slice_mut(dst)[dst_row * r..(dst_row + c) * r];
        out.par_chunks_mut(TILE * r)
            .enumerate()
            .for_each(|(band, rows)| {
                let j0 = band * TILE;
                for i0 in (0..r).step_by(TILE) {
                    for (dj, drow) in rows.chunks_mut(r).enumerate() {
                        let j = j0 + dj;
                        for i in i0..(i0 + TILE).min(r) {
                            drow[i] = s[i * c + j];
                        }
                    }
                }
            });
    }

    fn broadcast_rows(&self, src: &Array2<F>, dst: &mut Array2<F>) {
        let s = src.row(0);
        dst.axis_iter_mut(Axis(0)).for_each(|mut r| r.assign(&s));
    }
}

impl<F: Float> MatrixOps for CpuBackend<F> {
    fn gemm(
        &self,
        c: &mut Array2<F>,
        alpha: f64,
        a: Mat<'_, Array2<F>>,
        b: Mat<'_, Array2<F>>,
        beta: f64,
    ) {
        let (a, trans_a, b, trans_b) = (a.t, a.transposed, b.t, b.transposed);
        let (m, k) = if trans_a {
            (a.ncols(), a.nrows())
        } else {
            a.dim()
        };
        let (kb, n) = if trans_b {
            (b.ncols(), b.nrows())
        } else {
            b.dim()
        };
        assert!(
            k == kb && c.dim() == (m, n),
            "gemm shape mismatch: {m}x{k} · {kb}x{n} -> {:?}",
            c.dim()
        );
        if m == 0 || n == 0 {
            return;
        }
        if k == 0 {
            c.mapv_inplace(|v| v * F::of(beta));
            return;
        }
        // Row-major strides: element (i, j) of an r × c matrix is at i·c + j.
        let (a_rs, a_cs) = if trans_a {
            (1, a.ncols() as isize)
        } else {
            (a.ncols() as isize, 1)
        };
        let (b_rs, b_cs) = if trans_b {
            (1, b.ncols() as isize)
        } else {
            (b.ncols() as isize, 1)
        };
        let threads = rayon::current_num_threads();
        let par = if threads > 1 {
            gemm::Parallelism::Rayon(threads)
        } else {
            gemm::Parallelism::None
        };
        // SAFETY: the pointers come from contiguous arrays whose shapes were checked above, so
        // every (row, col) visited with these strides lies inside its array; `c` is borrowed
        // mutably and cannot alias `a` or `b`.
        unsafe {
            gemm::gemm(
                m,
                n,
                k,
                c.as_mut_ptr(),
                1,
                n as isize,
                beta != 0.0,
                a.as_ptr(),
                a_cs,
                a_rs,
                b.as_ptr(),
                b_cs,
                b_rs,
                F::of(beta),
                F::of(alpha),
                false,
                false,
                false,
                par,
            );
        }
    }

    fn scale(&self, t: &mut Array2<F>, alpha: f64) {
        let a = F::of(alpha);
        t.mapv_inplace(|v| v * a);
    }

    fn sum(&self, t: &Array2<F>) -> f64 {
        slice(t).iter().map(|v| v.f64()).sum()
    }

    /// Partial sums over fixed chunks of 4096, added in order: parallel, yet the same bits on
    /// every run (rayon's own `sum` splits where work-stealing happens to, and the global
    /// norm's last bits then vary, which moves clipped updates and breaks exact resume).
    fn sum_squares(&self, t: &Array2<F>) -> f64 {
        let partial: Vec<f64> = slice(t)
            .par_chunks(4096)
            .map(|c| c.iter().map(|v| v.f64() * v.f64()).sum::<f64>())
            .collect();
        partial.iter().sum()
    }

    fn add_bias(&self, dst: &mut Array2<F>, bias: &Array2<F>) {
        let b = bias.row(0);
        dst.axis_iter_mut(Axis(0)).for_each(|mut r| r += &b);
    }

    fn sum_rows(&self, src: &Array2<F>, dst: &mut Array2<F>) {
        let mut d = dst.row_mut(0);
        src.axis_iter(Axis(0)).for_each(|r| d += &r);
    }
}

impl<F: Float> LstmOps for CpuBackend<F> {
    fn lstm_forward(
        &self,
        gates: &mut Array2<F>,
        c_prev: &Array2<F>,
        c: &mut Array2<F>,
        h: &mut Array2<F>,
    ) {
        let n = c.ncols();
        let cp = slice(c_prev);
        slice_mut(gates)
            .par_chunks_mut(4 * n)
            .zip(slice_mut(c).par_chunks_mut(n))
            .zip(slice_mut(h).par_chunks_mut(n))
            .enumerate()
            .with_min_len(MIN_ROWS)
            .for_each(|(r, ((g, c), h))| {
                simd(
                    #[inline(always)]
                    || lstm::forward_row(g, row(cp, r, n), c, h),
                )
            });
    }

    fn lstm_backward(
        &self,
        gates: &Array2<F>,
        c_prev: &Array2<F>,
        c: &Array2<F>,
        dh: &Array2<F>,
        dc: &mut Array2<F>,
        dgates: &mut Array2<F>,
    ) {
        let n = c.ncols();
        let (g, cp, cv, dhv) = (slice(gates), slice(c_prev), slice(c), slice(dh));
        slice_mut(dc)
            .par_chunks_mut(n)
            .zip(slice_mut(dgates).par_chunks_mut(4 * n))
            .enumerate()
            .with_min_len(MIN_ROWS)
            .for_each(|(r, (dc, dg))| {
                simd(
                    #[inline(always)]
                    || {
                        lstm::backward_row(
                            row(g, r, 4 * n),
                            row(cp, r, n),
                            row(cv, r, n),
                            row(dhv, r, n),
                            dc,
                            dg,
                        )
                    },
                )
            });
    }
}

/// A window's tensors as host slices, cut per row.
#[derive(Clone, Copy)]
struct RowWindow<'a, F> {
    p: &'a [F],
    fx: &'a [F],
    fy: &'a [F],
    geo: &'a Geometry,
}

impl<'a, F> RowWindow<'a, F> {
    fn new(w: Window<'a, Array2<F>>) -> Self {
        RowWindow {
            p: slice(w.p),
            fx: slice(w.fx),
            fy: slice(w.fy),
            geo: w.geo,
        }
    }

    #[inline(always)]
    fn row(&self, k: usize) -> WindowRow<'a, F> {
        WindowRow {
            p: row(self.p, k, 5),
            fx: row(self.fx, k, self.geo.fx_len()),
            fy: row(self.fy, k, self.geo.fy_len()),
            geo: self.geo,
        }
    }
}

impl<F: Float> AttentionOps for CpuBackend<F> {
    fn filterbank_forward(
        &self,
        p: &Array2<F>,
        geo: &Geometry,
        fx: &mut Array2<F>,
        fy: &mut Array2<F>,
    ) {
        let pv = slice(p);
        slice_mut(fx)
            .par_chunks_mut(geo.fx_len())
            .zip(slice_mut(fy).par_chunks_mut(geo.fy_len()))
            .enumerate()
            .with_min_len(MIN_ROWS)
            .for_each(|(r, (fx, fy))| {
                simd(
                    #[inline(always)]
                    || filterbank::forward_row(row(pv, r, 5), geo, fx, fy),
                )
            });
    }

    fn filterbank_backward(
        &self,
        win: Window<'_, Array2<F>>,
        dfx: &Array2<F>,
        dfy: &Array2<F>,
        dp: &mut Array2<F>,
    ) {
        let w = RowWindow::new(win);
        let (dx, dy) = (slice(dfx), slice(dfy));
        let (lx, ly) = (w.geo.fx_len(), w.geo.fy_len());
        slice_mut(dp)
            .par_chunks_mut(5)
            .enumerate()
            .with_min_len(MIN_ROWS)
            .for_each(|(r, d)| {
                simd(
                    #[inline(always)]
                    || {
                        let wr = w.row(r);
                        let (dxr, dyr) = (row(dx, r, lx), row(dy, r, ly));
                        filterbank::backward_row(wr.p, wr.geo, wr.fx, wr.fy, dxr, dyr, d)
                    },
                )
            });
    }

    fn read_forward(
        &self,
        x: &Array2<F>,
        xhat: &Array2<F>,
        win: Window<'_, Array2<F>>,
        r: &mut Array2<F>,
    ) {
        let w = RowWindow::new(win);
        let (xv, xh, li) = (slice(x), slice(xhat), w.geo.image_len());
        slice_mut(r)
            .par_chunks_mut(2 * w.geo.patch_len())
            .enumerate()
            .with_min_len(MIN_ROWS)
            .for_each(|(k, out)| {
                simd(
                    #[inline(always)]
                    || attention::read_forward_row(row(xv, k, li), row(xh, k, li), w.row(k), out),
                )
            });
    }

    fn read_backward(
        &self,
        x: &Array2<F>,
        xhat: &Array2<F>,
        win: Window<'_, Array2<F>>,
        dr: &Array2<F>,
        dxhat: &mut Array2<F>,
        grads: WindowGrads<'_, Array2<F>>,
    ) {
        let w = RowWindow::new(win);
        let (xv, xh, drv) = (slice(x), slice(xhat), slice(dr));
        let geo = w.geo;
        let (li, lr) = (geo.image_len(), 2 * geo.patch_len());
        slice_mut(dxhat)
            .par_chunks_mut(li)
            .zip(slice_mut(grads.dfx).par_chunks_mut(geo.fx_len()))
            .zip(slice_mut(grads.dfy).par_chunks_mut(geo.fy_len()))
            .zip(slice_mut(grads.dp).par_chunks_mut(5))
            .enumerate()
            .with_min_len(MIN_ROWS)
            .for_each(|(k, (((dxh, dfx), dfy), dp))| {
                simd(
                    #[inline(always)]
                    || {
                        let g = WindowRowGrads { dfx, dfy, dp };
                        let (xr, xhr) = (row(xv, k, li), row(xh, k, li));
                        attention::read_backward_row(xr, xhr, w.row(k), row(drv, k, lr), dxh, g)
                    },
                )
            });
    }

    fn write_forward(&self, patch: &Array2<F>, win: Window<'_, Array2<F>>, canvas: &mut Array2<F>) {
        let w = RowWindow::new(win);
        let (pw, lp) = (slice(patch), w.geo.patch_len());
        slice_mut(canvas)
            .par_chunks_mut(w.geo.image_len())
            .enumerate()
            .with_min_len(MIN_ROWS)
            .for_each(|(k, c)| {
                simd(
                    #[inline(always)]
                    || attention::write_forward_row(row(pw, k, lp), w.row(k), c),
                )
            });
    }

    fn write_backward(
        &self,
        patch: &Array2<F>,
        win: Window<'_, Array2<F>>,
        dcanvas: &Array2<F>,
        dpatch: &mut Array2<F>,
        grads: WindowGrads<'_, Array2<F>>,
    ) {
        let w = RowWindow::new(win);
        let (pw, dcv) = (slice(patch), slice(dcanvas));
        let geo = w.geo;
        let (li, lp) = (geo.image_len(), geo.patch_len());
        slice_mut(dpatch)
            .par_chunks_mut(lp)
            .zip(slice_mut(grads.dfx).par_chunks_mut(geo.fx_len()))
            .zip(slice_mut(grads.dfy).par_chunks_mut(geo.fy_len()))
            .zip(slice_mut(grads.dp).par_chunks_mut(5))
            .enumerate()
            .with_min_len(MIN_ROWS)
            .for_each(|(k, (((dpw, dfx), dfy), dp))| {
                simd(
                    #[inline(always)]
                    || {
                        let g = WindowRowGrads { dfx, dfy, dp };
                        let pr = row(pw, k, lp);
                        attention::write_backward_row(pr, w.row(k), row(dcv, k, li), dpw, g)
                    },
                )
            });
    }
}

impl<F: Float> LossOps for CpuBackend<F> {
    fn canvas_error(&self, x: &Array2<F>, c: &Array2<F>, xhat: &mut Array2<F>) {
        let n = x.ncols();
        let (xv, cv) = (slice(x), slice(c));
        slice_mut(xhat)
            .par_chunks_mut(n)
            .enumerate()
            .with_min_len(MIN_ROWS)
            .for_each(|(r, o)| {
                simd(
                    #[inline(always)]
                    || pointwise::canvas_error_row(row(xv, r, n), row(cv, r, n), o),
                )
            });
    }

    fn canvas_error_backward(
        &self,
        x: &Array2<F>,
        xhat: &Array2<F>,
        dxhat: &Array2<F>,
        dc: &mut Array2<F>,
    ) {
        let n = x.ncols();
        let (xv, xh, d) = (slice(x), slice(xhat), slice(dxhat));
        slice_mut(dc)
            .par_chunks_mut(n)
            .enumerate()
            .with_min_len(MIN_ROWS)
            .for_each(|(r, o)| {
                simd(
                    #[inline(always)]
                    || {
                        pointwise::canvas_error_backward_row(
                            row(xv, r, n),
                            row(xh, r, n),
                            row(d, r, n),
                            o,
                        )
                    },
                )
            });
    }

    fn bce(&self, x: &Array2<F>, c: &Array2<F>, out: &mut Array2<F>) {
        let n = x.ncols();
        let (xv, cv) = (slice(x), slice(c));
        slice_mut(out)
            .par_iter_mut()
            .enumerate()
            .with_min_len(MIN_ROWS)
            .for_each(|(r, o)| {
                *o = simd(
                    #[inline(always)]
                    || pointwise::bce_row(row(xv, r, n), row(cv, r, n)),
                )
            });
    }

    fn bce_backward(&self, x: &Array2<F>, c: &Array2<F>, scale: f64, dc: &mut Array2<F>) {
        pointwise::bce_backward_row(slice(x), slice(c), F::of(scale), slice_mut(dc));
    }
}

impl<F: Float> SamplingOps for CpuBackend<F> {
    fn fill_normal(&self, t: &mut Array2<F>, key: NoiseKey) {
        const CHUNK: usize = 1024;
        slice_mut(t)
            .par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(c, chunk)| {
                simd(
                    #[inline(always)]
                    || {
                        for (k, v) in chunk.iter_mut().enumerate() {
                            *v = F::normal(&key, (c * CHUNK + k) as u64);
                        }
                    },
                )
            });
    }

    fn sample_latent(&self, latent: Latent<'_, Array2<F>>, z: &mut Array2<F>, kl: &mut Array2<F>) {
        let n = latent.mu.ncols();
        let (m, l, e) = (slice(latent.mu), slice(latent.logsig), slice(latent.eps));
        slice_mut(z)
            .chunks_mut(n)
            .zip(slice_mut(kl).iter_mut())
            .enumerate()
            .for_each(|(r, (z, k))| {
                simd(
                    #[inline(always)]
                    || {
                        *k += pointwise::sample_latent_row(
                            row(m, r, n),
                            row(l, r, n),
                            row(e, r, n),
                            z,
                        )
                    },
                )
            });
    }

    fn sample_latent_backward(
        &self,
        latent: Latent<'_, Array2<F>>,
        dz: &Array2<F>,
        kl_scale: f64,
        dmu: &mut Array2<F>,
        dlogsig: &mut Array2<F>,
    ) {
        pointwise::sample_latent_backward_row(
            slice(latent.mu),
            slice(latent.logsig),
            slice(latent.eps),
            slice(dz),
            F::of(kl_scale),
            slice_mut(dmu),
            slice_mut(dlogsig),
        );
    }
}

impl<F: Float> OptimOps for CpuBackend<F> {
    fn adam(
        &self,
        p: &mut Array2<F>,
        g: &Array2<F>,
        m: &mut Array2<F>,
        v: &mut Array2<F>,
        step: &AdamStep,
    ) {
        const CHUNK: usize = 16 * 1024;
        slice_mut(p)
            .par_chunks_mut(CHUNK)
            .zip(slice(g).par_chunks(CHUNK))
            .zip(slice_mut(m).par_chunks_mut(CHUNK))
            .zip(slice_mut(v).par_chunks_mut(CHUNK))
            .for_each(|(((p, g), m), v)| {
                simd(
                    #[inline(always)]
                    || pointwise::adam(p, g, m, v, step),
                )
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemm_handles_every_transpose_and_beta() {
        let b = CpuBackend::<f64>::new();
        let host = draw_core::reference::HostBackend::<f64>::new();
        let k = NoiseKey::new(1, 2);
        for (m, kk, n) in [(3, 50, 7), (1, 1, 1), (17, 33, 65)] {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let (ar, ac) = if ta { (kk, m) } else { (m, kk) };
                let (br, bc) = if tb { (n, kk) } else { (kk, n) };
                let av: Vec<f64> = (0..ar * ac).map(|i| k.normal(i as u64)).collect();
                let bv: Vec<f64> = (0..br * bc).map(|i| k.normal(1000 + i as u64)).collect();
                let cv: Vec<f64> = (0..m * n).map(|i| k.normal(9000 + i as u64)).collect();
                let mut c1 = b.tensor(m, n, &cv);
                let mut c2 = host.tensor(m, n, &cv);
                let (a1, b1) = (b.tensor(ar, ac, &av), b.tensor(br, bc, &bv));
                let (a2, b2) = (host.tensor(ar, ac, &av), host.tensor(br, bc, &bv));
                let op = |t, transposed| Mat { t, transposed };
                b.gemm(&mut c1, 0.5, op(&a1, ta), op(&b1, tb), 2.0);
                let op = |t, transposed| Mat { t, transposed };
                host.gemm(&mut c2, 0.5, op(&a2, ta), op(&b2, tb), 2.0);
                let (x, y) = (b.download(&c1), host.download(&c2));
                for (p, q) in x.iter().zip(&y) {
                    assert!(
                        (p - q).abs() < 1e-10,
                        "{m}x{kk}x{n} ta={ta} tb={tb}: {p} vs {q}"
                    );
                }
            }
        }
    }

    #[test]
    fn sample_latent_keeps_kl_rows_in_order() {
        // The KL column must line up with its rows.
        let b = CpuBackend::<f64>::new();
        let mu = b.tensor(2, 1, &[0.0, 2.0]);
        let ls = b.tensor(2, 1, &[0.0, 0.0]);
        let eps = b.tensor(2, 1, &[0.0, 0.0]);
        let (mut z, mut kl) = (b.zeros(2, 1), b.zeros(2, 1));
        let latent = Latent {
            mu: &mu,
            logsig: &ls,
            eps: &eps,
        };
        b.sample_latent(latent, &mut z, &mut kl);
        assert_eq!(b.download(&kl), vec![0.0, 2.0]);
    }
}
