//! Storage and execution: allocation, host transfer, copies between tensors, and where a step runs.

use super::host;
use crate::Float;

/// Where tensors live, how they move to and from the host, and how work is scheduled.
/// `zeros`, `shape`, `upload` and `download` are required.
pub trait Storage: Send + Sync {
    /// Scalar type the backend computes in.
    type F: Float;
    /// A row-major matrix resident wherever the backend keeps its memory.
    type Tensor: Send + Sync;

    /// Human-readable name (device, float type).
    fn name(&self) -> String {
        std::any::type_name::<Self>().to_string()
    }

    /// A `rows × cols` tensor of zeros.
    fn zeros(&self, rows: usize, cols: usize) -> Self::Tensor;
    /// `(rows, cols)` of a tensor.
    fn shape(&self, t: &Self::Tensor) -> (usize, usize);
    /// Overwrites a tensor with host data (length rows·cols, row-major).
    fn upload(&self, t: &mut Self::Tensor, data: &[Self::F]);
    /// Copies a tensor to the host, row-major.
    fn download(&self, t: &Self::Tensor) -> Vec<Self::F>;

    /// Runs `f` (a whole training step, evaluation batch or generation) in the backend's
    /// execution context. The CPU backend runs it on a worker of its thread pool, so that the
    /// many small parallel ops of a step are not each handed over from a foreign thread.
    /// Default: runs `f` directly.
    fn run<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        f()
    }

    /// How many shards to split a batch of `batch` rows into for [`Storage::run_shards`]
    /// (at most `batch`). Default: 1, the whole batch at once.
    fn shards(&self, batch: usize) -> usize {
        let _ = batch;
        1
    }

    /// Runs `f(k, &mut items[k])` for every shard k, concurrently where the backend can, each
    /// call's ops confined to its shard (the CPU backend gives each shard one core with no
    /// inner parallelism, so a step synchronises once instead of once per op). Default: in
    /// order on the calling thread.
    fn run_shards<T: Send>(&self, items: &mut [T], f: impl Fn(usize, &mut T) + Sync) {
        for (k, item) in items.iter_mut().enumerate() {
            f(k, item);
        }
    }

    /// The most elements one tensor may hold, where the backend has a fixed limit (a GPU's
    /// largest storage binding). The trainer checks a batch's buffers against it before
    /// allocating any. Default: `None`, no limit.
    fn max_tensor_len(&self) -> Option<usize> {
        None
    }

    /// Bytes the backend can still allocate, where it can tell (the CPU backend reads the
    /// operating system's available memory). Default: `None`, unknown.
    fn memory_available(&self) -> Option<u64> {
        None
    }

    /// Blocks until every op issued so far has finished. Device backends that queue work
    /// asynchronously override it; benchmarks call it before reading the clock. Default: no-op.
    fn synchronize(&self) {}

    /// A tensor holding `data`.
    fn tensor(&self, rows: usize, cols: usize, data: &[Self::F]) -> Self::Tensor {
        let mut t = self.zeros(rows, cols);
        self.upload(&mut t, data);
        t
    }
    /// Sets every element to `value`.
    fn fill(&self, t: &mut Self::Tensor, value: f64) {
        let (r, c) = self.shape(t);
        self.upload(t, &vec![Self::F::of(value); r * c]);
    }
    /// `dst[:, dst_col..+ncols] (+)= src[:, src_col..+ncols]`; adds when `accumulate`.
    fn copy_cols(
        &self,
        src: &Self::Tensor,
        src_col: usize,
        dst: &mut Self::Tensor,
        dst_col: usize,
        ncols: usize,
        accumulate: bool,
    ) {
        host::copy_cols(self, (src, src_col), (dst, dst_col), ncols, accumulate);
    }
    /// `dst[dst_row..dst_row + src.rows, :] = src` (same column count): gathers per-step
    /// tensors into one tall tensor for the batched weight-gradient GEMMs.
    fn copy_rows(&self, src: &Self::Tensor, dst: &mut Self::Tensor, dst_row: usize) {
        host::copy_rows(self, src, dst, dst_row);
    }
    /// `dst[dst_row + j][i] = src[i][j]`: writes srcᵀ (cols × rows) into `dst` (which has
    /// `src.rows` columns) from row `dst_row` on. Keeps the forward pass's transposed copy of
    /// the LSTM weights, whose row-major layout the gate GEMM reads fastest.
    fn transpose_rows(&self, src: &Self::Tensor, dst: &mut Self::Tensor, dst_row: usize) {
        host::transpose_rows(self, src, dst, dst_row);
    }
    /// Sets every row of `dst` to the `1 × cols` row `src` (learned initial states).
    fn broadcast_rows(&self, src: &Self::Tensor, dst: &mut Self::Tensor) {
        let s = self.download(src);
        let rows = self.shape(dst).0;
        self.upload(dst, &s.repeat(rows));
    }
}
