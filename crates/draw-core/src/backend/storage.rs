//! Storage and execution: allocation, host transfer, copies between tensors, and where a step runs.

use super::host;
use crate::Float;

/// Work a device backend has sent to its device, counted since it was made. Differences of
/// two readings ([`DeviceCounters::since`]) give the cost of what ran between them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeviceCounters {
    /// Compute dispatches recorded (each a barrier on most GPUs).
    pub dispatches: u64,
    /// Of those, matrix products.
    pub gemm_dispatches: u64,
    /// Queue submissions.
    pub submits: u64,
    /// Blocking read-backs (the host waits for the device).
    pub readbacks: u64,
    /// Bytes copied back to the host.
    pub bytes_read: u64,
    /// Host-to-device writes (uploads).
    pub uploads: u64,
}

impl DeviceCounters {
    /// What was counted after `earlier` (a reading taken before this one).
    pub fn since(&self, earlier: &DeviceCounters) -> DeviceCounters {
        DeviceCounters {
            dispatches: self.dispatches - earlier.dispatches,
            gemm_dispatches: self.gemm_dispatches - earlier.gemm_dispatches,
            submits: self.submits - earlier.submits,
            readbacks: self.readbacks - earlier.readbacks,
            bytes_read: self.bytes_read - earlier.bytes_read,
            uploads: self.uploads - earlier.uploads,
        }
    }

    /// Each count divided by `steps` (rounded to nearest): the cost of one step of several.
    pub fn per(&self, steps: u64) -> DeviceCounters {
        let d = |x: u64| (x + steps / 2) / steps.max(1);
        DeviceCounters {
            dispatches: d(self.dispatches),
            gemm_dispatches: d(self.gemm_dispatches),
            submits: d(self.submits),
            readbacks: d(self.readbacks),
            bytes_read: d(self.bytes_read),
            uploads: d(self.uploads),
        }
    }
}

impl std::fmt::Display for DeviceCounters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} dispatches ({} GEMM), {} submits, {} blocking read-backs ({} bytes), {} uploads",
            self.dispatches,
            self.gemm_dispatches,
            self.submits,
            self.readbacks,
            self.bytes_read,
            self.uploads
        )
    }
}

/// Where an op also writes one of its outputs (an LSTM step's h into the next step's inputs,
/// its gate gradients into the rows of all steps), so that no copy op has to follow it.
pub enum CopyTo<'a, T> {
    /// Columns `col..col + out.cols` of the tensor (same rows as the output).
    Cols(&'a mut T, usize),
    /// Rows `row..row + out.rows` of the tensor (same columns as the output).
    Rows(&'a mut T, usize),
}

impl<T> CopyTo<'_, T> {
    /// Copies `out` to the destination with the backend's [`Storage::copy_cols`] or
    /// [`Storage::copy_rows`] (the default bodies of the ops that take a `CopyTo`).
    pub fn copy<B: Storage<Tensor = T> + ?Sized>(&mut self, b: &B, out: &T) {
        match self {
            CopyTo::Cols(t, col) => b.copy_cols(out, 0, t, *col, b.shape(out).1, false),
            CopyTo::Rows(t, row) => b.copy_rows(out, t, *row),
        }
    }
}

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

    /// A device fault recorded since the backend was made (device lost, out of memory, a
    /// driver validation error), if any. Ops return no errors, so a device backend records a
    /// fault and answers with zeros; the trainer and the evaluator check here after each batch
    /// and stop with [`crate::DrawError::Device`]. Default: `None`.
    fn fault(&self) -> Option<String> {
        None
    }

    /// What the backend has sent to its device since it was made (dispatches, submissions,
    /// read-backs), where it counts: a device backend's cost in round trips, the same on any
    /// adapter. Benchmarks and `draw train --trace-gpu` print the difference over a step.
    /// Default: `None`, nothing counted.
    fn counters(&self) -> Option<DeviceCounters> {
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
    /// `dst = src[src_row..src_row + dst.rows, :]` (same column count): the inverse of
    /// [`Storage::copy_rows`], splitting a tall tensor (the concatenated μ and log σ layer's
    /// weight gradient) into its parts.
    fn copy_rows_from(&self, src: &Self::Tensor, src_row: usize, dst: &mut Self::Tensor) {
        host::copy_rows_from(self, (src, src_row), dst);
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
