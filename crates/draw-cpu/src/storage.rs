//! [`Storage`]: tensors as `ndarray::Array2`, their copies and transposes, and execution.

use crate::pool;
use crate::rows::{slice, slice_mut};
use crate::CpuBackend;
use draw_core::{Float, Storage};
use ndarray::{Array2, Axis};
use rayon::prelude::*;

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
        pool::run(f)
    }

    /// One shard per core (see `pool::shards`).
    fn shards(&self, batch: usize) -> usize {
        pool::shards(batch)
    }

    fn run_shards<T: Send>(&self, items: &mut [T], f: impl Fn(usize, &mut T) + Sync) {
        pool::run_shards(items, f);
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
        // destination rows per task. A copy with no arithmetic: it stays outside `par_rows`
        // and its SIMD dispatch.
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
