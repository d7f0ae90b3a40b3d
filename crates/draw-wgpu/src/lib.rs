//! draw-wgpu: a [`Backend`](draw_core::Backend) whose every op is a WGSL compute shader (the
//! files under the workspace's `shaders/`), run through wgpu on Vulkan, Metal, DX12 or GL.
//!
//! Tensors live in device buffers for their whole life. Ops are recorded into one compute
//! pass; each dispatch takes its parameters from a slot of a uniform arena (dynamic offsets), and
//! its bind group comes from a cache keyed by the tensors it touches, so a training step after
//! the first creates no GPU objects. Work is submitted when the arena fills or when the host
//! needs a value: a training step reads back only its loss sums and one vector of gradient
//! norms. Computes in f32.
#![deny(missing_docs)]

mod device;
mod kernels;
mod ops;
pub mod params;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use draw_core::DeviceCounters;

pub use device::{describe, WgpuError};
pub use kernels::Kernel;

use kernels::Pipeline;
use params::{KernelParams, ReduceParams};

/// Dispatches recorded per submission: the uniform arena holds this many parameter slots, so
/// the submit count of a step is the same on every adapter whatever its uniform-offset
/// alignment (which sets the slot's size).
const DISPATCHES_PER_SUBMIT: u64 = 1024;

/// The byte size of one dispatch's parameter slot under a uniform-offset alignment `align`.
fn slot_stride(align: u64) -> u64 {
    kernels::max_params_bytes().div_ceil(align.max(1)) * align.max(1)
}
/// Bind groups kept before the cache is emptied (entries hold their buffers alive).
const BIND_GROUP_CACHE: usize = 16_384;
/// Workgroup size of the 1-D kernels (`WG` in `shaders/common.wgsl`).
const WG: u64 = 256;
/// The per-dimension workgroup count limit of WebGPU.
const MAX_GROUPS: u64 = 65_535;

/// Which matrix-product kernel to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GemmKernel {
    /// 64 × 64 tiles staged through workgroup memory, a 4 × 4 block per thread: for GPUs.
    Tiled,
    /// One thread per output element straight from the buffers: for CPU adapters (lavapipe),
    /// where barriers are costly and caches tile for free.
    Direct,
}

/// A row-major f32 matrix in a device buffer.
pub struct WgpuTensor {
    buf: wgpu::Buffer,
    rows: usize,
    cols: usize,
    id: u64,
}

impl WgpuTensor {
    /// `(rows, cols)`.
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }
    fn len(&self) -> usize {
        self.rows * self.cols
    }
}

/// Commands recorded but not yet submitted, and the objects reused across submissions.
struct Recorder {
    encoder: Option<wgpu::CommandEncoder>,
    pass: Option<wgpu::ComputePass<'static>>,
    /// Parameters of the recorded dispatches, one `stride`-byte slot each.
    arena: Vec<u8>,
    bind_groups: HashMap<(Kernel, [u64; 8]), wgpu::BindGroup>,
    staging: Option<wgpu::Buffer>,
    /// Dispatches recorded per kernel, indexed by [`Kernel`].
    tally: Vec<u64>,
}

/// Running totals behind [`WgpuBackend::counters`] (relaxed atomics: a count, not a fence).
#[derive(Default)]
struct Counts {
    dispatches: AtomicU64,
    gemms: AtomicU64,
    submits: AtomicU64,
    readbacks: AtomicU64,
    bytes_read: AtomicU64,
    uploads: AtomicU64,
}

impl Counts {
    fn bump(counter: &AtomicU64, by: u64) {
        counter.fetch_add(by, Ordering::Relaxed);
    }

    fn read(&self) -> DeviceCounters {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        DeviceCounters {
            dispatches: get(&self.dispatches),
            gemm_dispatches: get(&self.gemms),
            submits: get(&self.submits),
            readbacks: get(&self.readbacks),
            bytes_read: get(&self.bytes_read),
            uploads: get(&self.uploads),
        }
    }
}

/// The wgpu backend. See the crate docs for how work reaches the GPU.
pub struct WgpuBackend {
    device: wgpu::Device,
    queue: wgpu::Queue,
    info: wgpu::AdapterInfo,
    pipelines: Vec<Pipeline>,
    uniforms: wgpu::Buffer,
    stride: u64,
    max_buffer: u64,
    /// The matrix-product kernel (see [`GemmKernel`]).
    gemm: Kernel,
    next_id: AtomicU64,
    recorder: Mutex<Recorder>,
    /// Reduction results (one f32 per reduced tensor), read back in one copy.
    results: Mutex<Option<WgpuTensor>>,
    /// The first device fault (lost device, out of memory, validation error), reported by
    /// `Storage::fault`.
    fault: Arc<Mutex<Option<String>>>,
    /// What was sent to the device so far.
    counts: Counts,
}

/// Keeps the first fault in `slot`.
fn record_fault(slot: &Mutex<Option<String>>, what: String) {
    // A poisoned lock means a thread panicked while recording; the fault it held stays.
    if let Ok(mut f) = slot.lock() {
        f.get_or_insert(what);
    }
}

impl WgpuBackend {
    /// Opens the best adapter (discrete, then integrated, then software), honouring
    /// `WGPU_BACKEND`.
    pub fn new() -> Result<Self, WgpuError> {
        Self::with_adapter(None)
    }

    /// Opens the first adapter whose description (see [`adapter_names`]) contains `name`,
    /// case-insensitive; the best one when `None`.
    pub fn with_adapter(name: Option<&str>) -> Result<Self, WgpuError> {
        Self::with_options(name, None)
    }

    /// [`WgpuBackend::with_adapter`] with the matrix-product kernel chosen (default: tiled on
    /// GPUs, direct on CPU adapters).
    pub fn with_options(name: Option<&str>, gemm: Option<GemmKernel>) -> Result<Self, WgpuError> {
        let adapter = device::choose(name)?;
        let info = adapter.get_info();
        let limits = adapter.limits();
        if limits.max_storage_buffers_per_shader_stage < 8 {
            return Err(WgpuError::Unsuitable {
                adapter: describe(&info),
                why: format!(
                    "{} storage buffers per shader stage (8 needed)",
                    limits.max_storage_buffers_per_shader_stage
                ),
            });
        }
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("draw-wgpu"),
            required_limits: limits.clone(),
            ..Default::default()
        }))
        .map_err(|source| WgpuError::RequestDevice {
            adapter: describe(&info),
            source,
        })?;
        let fault = Arc::new(Mutex::new(None));
        let slot = Arc::clone(&fault);
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            record_fault(&slot, format!("the driver reported: {e}"))
        }));
        let slot = Arc::clone(&fault);
        device.set_device_lost_callback(move |reason, msg| {
            record_fault(&slot, format!("the device was lost ({reason:?}): {msg}"))
        });
        let align = u64::from(limits.min_uniform_buffer_offset_alignment);
        let stride = slot_stride(align);
        let uniforms = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("params arena"),
            size: stride * DISPATCHES_PER_SUBMIT,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let pipelines = kernels::build_all(&device);
        let max_buffer = limits
            .max_buffer_size
            .min(limits.max_storage_buffer_binding_size);
        let cpu_adapter = info.device_type == wgpu::DeviceType::Cpu;
        let gemm = match gemm {
            Some(GemmKernel::Tiled) => Kernel::Gemm,
            Some(GemmKernel::Direct) => Kernel::GemmDirect,
            None if cpu_adapter => Kernel::GemmDirect,
            None => Kernel::Gemm,
        };
        Ok(WgpuBackend {
            device,
            queue,
            info,
            pipelines,
            uniforms,
            stride,
            max_buffer,
            gemm,
            next_id: AtomicU64::new(1),
            recorder: Mutex::new(Recorder {
                encoder: None,
                pass: None,
                arena: Vec::with_capacity((stride * DISPATCHES_PER_SUBMIT) as usize),
                bind_groups: HashMap::new(),
                staging: None,
                tally: vec![0; Kernel::ALL.len()],
            }),
            results: Mutex::new(None),
            fault,
            counts: Counts::default(),
        })
    }

    /// Dispatches, submissions and read-backs since the backend was made (also through
    /// `Storage::counters`).
    pub fn counters(&self) -> DeviceCounters {
        self.counts.read()
    }

    /// Dispatches recorded so far per kernel, in kernel-table order (subtract two tallies to
    /// see where a stretch of work goes).
    pub fn kernel_tally(&self) -> Vec<(Kernel, u64)> {
        // Poisoned only if a thread panicked while recording: an invariant broken elsewhere.
        let rec = self.recorder.lock().expect("recorder lock");
        Kernel::ALL
            .iter()
            .copied()
            .zip(rec.tally.iter().copied())
            .collect()
    }

    /// Whether the adapter is a CPU (llvmpipe/lavapipe, WARP): correct but slow.
    pub fn is_cpu_adapter(&self) -> bool {
        self.info.device_type == wgpu::DeviceType::Cpu
    }

    /// The adapter's description: name, device type, API.
    pub fn adapter(&self) -> String {
        describe(&self.info)
    }

    /// Submits everything recorded and waits until the device has run it.
    fn wait_idle(&self) {
        // Poisoned only if a thread panicked while recording: an invariant broken elsewhere.
        let mut rec = self.recorder.lock().expect("recorder lock");
        self.submit(&mut rec);
        if let Err(e) = self.device.poll(wgpu::PollType::wait_indefinitely()) {
            self.fault(format!("waiting for the device failed: {e}"));
        }
    }

    /// Records a device fault (the first one is kept and reported by `Storage::fault`).
    fn fault(&self, what: String) {
        record_fault(&self.fault, what);
    }

    /// The fault recorded so far, if any.
    pub fn recorded_fault(&self) -> Option<String> {
        self.fault.lock().ok().and_then(|f| f.clone())
    }

    fn new_tensor(&self, rows: usize, cols: usize) -> WgpuTensor {
        let bytes = (rows * cols * 4).max(4) as u64;
        assert!(
            bytes <= self.max_buffer,
            "a {rows} × {cols} tensor ({bytes} bytes) exceeds this adapter's largest storage \
             binding ({} bytes); use a smaller batch",
            self.max_buffer
        );
        let buf = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size: bytes.div_ceil(4) * 4,
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        WgpuTensor {
            buf,
            rows,
            cols,
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// Records one dispatch of `kernel` over `groups` (x, y) workgroups with `params` (the
    /// kernel's parameter struct) and the storage bindings `tensors` (in binding order).
    fn dispatch<P: KernelParams>(
        &self,
        kernel: Kernel,
        params: P,
        tensors: &[&WgpuTensor],
        groups: (u32, u32),
    ) {
        if groups.0 == 0 || groups.1 == 0 {
            return;
        }
        let spec = kernel.spec();
        assert_eq!(P::LAYOUT.name, spec.params.name, "{kernel:?}'s parameters");
        assert_eq!(
            tensors.len(),
            spec.bindings.len(),
            "{kernel:?} binds {:?}",
            spec.bindings.iter().map(|b| b.name).collect::<Vec<_>>()
        );
        // Poisoned only if a thread panicked while recording: an invariant broken elsewhere.
        let mut rec = self.recorder.lock().expect("recorder lock");
        if rec.arena.len() as u64 + self.stride > self.stride * DISPATCHES_PER_SUBMIT {
            self.submit(&mut rec);
        }
        let offset = rec.arena.len();
        rec.arena.extend_from_slice(bytemuck::bytes_of(&params));
        rec.arena.resize(offset + self.stride as usize, 0);
        let mut ids = [0u64; 8];
        for (slot, t) in ids.iter_mut().zip(tensors) {
            *slot = t.id;
        }
        if rec.bind_groups.len() >= BIND_GROUP_CACHE {
            rec.bind_groups.clear();
        }
        let pipeline = &self.pipelines[kernel as usize];
        let bind_group = rec
            .bind_groups
            .entry((kernel, ids))
            .or_insert_with(|| {
                let mut entries = vec![wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: &self.uniforms,
                        offset: 0,
                        size: wgpu::BufferSize::new(spec.params.size as u64),
                    }),
                }];
                for (k, t) in tensors.iter().enumerate() {
                    entries.push(wgpu::BindGroupEntry {
                        binding: k as u32 + 1,
                        resource: t.buf.as_entire_binding(),
                    });
                }
                self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: None,
                    layout: &pipeline.layout,
                    entries: &entries,
                })
            })
            .clone();
        if rec.pass.is_none() {
            let mut encoder = self
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
            let pass = encoder
                .begin_compute_pass(&wgpu::ComputePassDescriptor::default())
                .forget_lifetime();
            rec.encoder = Some(encoder);
            rec.pass = Some(pass);
        }
        let pass = rec.pass.as_mut().expect("pass just opened");
        pass.set_pipeline(&pipeline.pipeline);
        pass.set_bind_group(0, &bind_group, &[offset as u32]);
        pass.dispatch_workgroups(groups.0, groups.1, 1);
        rec.tally[kernel as usize] += 1;
        Counts::bump(&self.counts.dispatches, 1);
        if matches!(kernel, Kernel::Gemm | Kernel::GemmDirect) {
            Counts::bump(&self.counts.gemms, 1);
        }
    }

    /// Submits everything recorded so far (parameters first, then the pass).
    fn submit(&self, rec: &mut Recorder) {
        let Some(pass) = rec.pass.take() else {
            return;
        };
        drop(pass);
        let encoder = rec.encoder.take().expect("encoder with the pass");
        self.queue.write_buffer(&self.uniforms, 0, &rec.arena);
        rec.arena.clear();
        self.queue.submit([encoder.finish()]);
        Counts::bump(&self.counts.submits, 1);
    }

    /// Copies `len` floats of `t` to the host, after all recorded work.
    fn read(&self, t: &WgpuTensor, len: usize) -> Vec<f32> {
        // Poisoned only if a thread panicked while recording: an invariant broken elsewhere.
        let mut rec = self.recorder.lock().expect("recorder lock");
        self.submit(&mut rec);
        if len == 0 {
            return Vec::new();
        }
        let bytes = (len * 4) as u64;
        let fits = rec.staging.as_ref().is_some_and(|s| s.size() >= bytes);
        if !fits {
            rec.staging = Some(self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("read-back staging"),
                size: bytes.next_power_of_two().max(256),
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }));
        }
        let staging = rec.staging.as_ref().expect("staging buffer");
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        encoder.copy_buffer_to_buffer(&t.buf, 0, staging, 0, bytes);
        self.queue.submit([encoder.finish()]);
        Counts::bump(&self.counts.submits, 1);
        Counts::bump(&self.counts.readbacks, 1);
        Counts::bump(&self.counts.bytes_read, bytes);
        let (tx, rx) = std::sync::mpsc::channel();
        staging.map_async(wgpu::MapMode::Read, 0..bytes, move |r| {
            let _ = tx.send(r);
        });
        let mapped = match self.device.poll(wgpu::PollType::wait_indefinitely()) {
            Err(e) => Err(format!("waiting for a read-back failed: {e}")),
            Ok(_) => match rx.recv() {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(format!("mapping a read-back buffer failed: {e}")),
                Err(_) => Err("the read-back never completed".to_string()),
            },
        };
        if let Err(what) = mapped {
            // Answer with zeros; the trainer stops at its next `fault` check.
            self.fault(what);
            return vec![0.0; len];
        }
        let out = {
            // The map callback reported success just above, so the range is mapped.
            let view = staging
                .get_mapped_range(0..bytes)
                .expect("read-back buffer is mapped");
            bytemuck::cast_slice::<u8, f32>(&view).to_vec()
        };
        staging.unmap();
        out
    }

    /// Writes host data into `t`, after all recorded work.
    fn write(&self, t: &WgpuTensor, data: &[f32]) {
        // Poisoned only if a thread panicked while recording: an invariant broken elsewhere.
        let mut rec = self.recorder.lock().expect("recorder lock");
        self.submit(&mut rec);
        if !data.is_empty() {
            self.queue
                .write_buffer(&t.buf, 0, bytemuck::cast_slice(data));
            Counts::bump(&self.counts.uploads, 1);
        }
    }

    /// `out[at + k]` = Σ ts[k] (Σ ts[k]² when `squares`): one single-workgroup dispatch each,
    /// nothing read back.
    pub(crate) fn reduce_into(
        &self,
        ts: &[&WgpuTensor],
        out: &WgpuTensor,
        at: usize,
        squares: bool,
    ) {
        for (k, t) in ts.iter().enumerate() {
            let p = ReduceParams {
                len: params::dim(t.len()),
                slot: params::dim(at + k),
                squares: squares.into(),
                ..Default::default()
            };
            self.dispatch(Kernel::Reduce, p, &[t, out], (1, 1));
        }
    }

    /// Reduces each tensor (Σx or Σx²) into one slot of the results buffer and reads all slots
    /// back in one copy.
    fn reduce_all(&self, ts: &[&WgpuTensor], squares: bool) -> Vec<f64> {
        let mut results = self.results.lock().expect("results lock");
        if results.as_ref().is_none_or(|r| r.len() < ts.len()) {
            *results = Some(self.new_tensor(1, ts.len().next_power_of_two().max(64)));
        }
        let out = results.as_ref().expect("results buffer");
        self.reduce_into(ts, out, 0, squares);
        self.read(out, ts.len())
            .into_iter()
            .map(f64::from)
            .collect()
    }
}

/// Descriptions of every adapter wgpu can see, best first (what `--adapter` matches against).
pub fn adapter_names() -> Vec<String> {
    device::adapters()
        .iter()
        .map(|a| describe(&a.get_info()))
        .collect()
}

/// Workgroups for `threads` threads of a 1-D kernel, as a 2-D grid within the per-dimension
/// limit (kernels recover the flat index and bounds-check).
fn grid(threads: usize) -> (u32, u32) {
    let groups = (threads as u64).div_ceil(WG);
    workgroups(groups)
}

/// `groups` workgroups laid out as a 2-D grid.
fn workgroups(groups: u64) -> (u32, u32) {
    if groups == 0 {
        return (0, 0);
    }
    let x = groups.min(MAX_GROUPS);
    (x as u32, groups.div_ceil(x) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parameter_slot_fits_every_kernel_at_any_alignment() {
        // Small alignments (software adapters) up to WebGPU's default 256: every slot holds the
        // largest parameter struct and starts on an allowed dynamic offset.
        for align in [4, 16, 64, 256] {
            let stride = slot_stride(align);
            assert!(stride >= kernels::max_params_bytes(), "{align}");
            assert_eq!(stride % align, 0, "{align}");
            assert!(
                stride < kernels::max_params_bytes() + align,
                "{align}: no slack slot"
            );
        }
    }
}
