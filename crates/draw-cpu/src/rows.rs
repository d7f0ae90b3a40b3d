//! Tensors as rows, and [`par_rows`]: the one parallel loop every fused op runs through.
//!
//! An op hands `par_rows` its outputs cut into rows (with [`rows_mut`], several zipped as a
//! tuple) and a row kernel `|r, outs| ...` that reads row `r` of its inputs with [`row`].
//! The loop splits the batch over rayon with at least [`MIN_ROWS`] rows a task and runs each
//! row inside [`simd`], so the kernel is compiled for AVX-512 or AVX2.
//!
//! The kernel closure must be marked `#[inline(always)]`, as must the draw-core row kernels it
//! calls: only code inlined into the `target_feature` wrapper is vectorised for it.

use crate::simd::simd;
use ndarray::Array2;
use rayon::prelude::*;
use rayon::slice::ChunksMut;

/// Rows handed to one rayon task at least (smaller tasks cost more than they save).
pub(crate) const MIN_ROWS: usize = 4;

/// The elements of a CPU tensor, row-major.
pub(crate) fn slice<F>(t: &Array2<F>) -> &[F] {
    t.as_slice().expect("CPU tensors are contiguous")
}

/// The elements of a CPU tensor, row-major, mutably.
pub(crate) fn slice_mut<F>(t: &mut Array2<F>) -> &mut [F] {
    t.as_slice_mut().expect("CPU tensors are contiguous")
}

/// Row `r` of a contiguous row-major buffer with `n` columns. Inputs are read this way,
/// with the lengths the kernel's shapes fix (`geo.image_len()`, one `n` for all of an LSTM's
/// state rows): a length the compiler can relate to the kernel's loop bounds lets it drop the
/// inner loops' bounds checks, which a length loaded from each tensor would not.
#[inline]
pub(crate) fn row<F>(v: &[F], r: usize, n: usize) -> &[F] {
    &v[r * n..(r + 1) * n]
}

/// An output tensor cut into its rows, for [`par_rows`].
pub(crate) fn rows_mut<F: Send>(t: &mut Array2<F>) -> ChunksMut<'_, F> {
    let n = t.ncols();
    slice_mut(t).par_chunks_mut(n)
}

/// Runs `kernel(r, outs)` for every row `r` in parallel, at least [`MIN_ROWS`] rows a task,
/// compiled for the widest vector unit. `outs` is one output cut into rows ([`rows_mut`]) or a
/// tuple of them, zipped row by row; the kernel reads its inputs' row `r` itself. Mark the
/// kernel `#[inline(always)]` (see the module doc).
#[inline(always)]
pub(crate) fn par_rows<O, K>(outs: O, kernel: K)
where
    O: IntoParallelIterator,
    O::Iter: IndexedParallelIterator,
    K: Fn(usize, O::Item) + Sync,
{
    for_each_indexed(outs, MIN_ROWS, kernel);
}

/// [`par_rows`] for flat buffers cut into fixed-size blocks (`par_chunks` of a slice or a
/// tuple of them): `kernel(i, blocks)` for block `i`, one block a task at the least, since a
/// block is already large.
#[inline(always)]
pub(crate) fn par_blocks<O, K>(blocks: O, kernel: K)
where
    O: IntoParallelIterator,
    O::Iter: IndexedParallelIterator,
    K: Fn(usize, O::Item) + Sync,
{
    for_each_indexed(blocks, 1, kernel);
}

/// The loop behind [`par_rows`] and [`par_blocks`].
#[inline(always)]
fn for_each_indexed<O, K>(items: O, min_len: usize, kernel: K)
where
    O: IntoParallelIterator,
    O::Iter: IndexedParallelIterator,
    K: Fn(usize, O::Item) + Sync,
{
    items
        .into_par_iter()
        .enumerate()
        .with_min_len(min_len)
        .for_each(|(i, item)| {
            simd(
                #[inline(always)]
                || kernel(i, item),
            )
        });
}
