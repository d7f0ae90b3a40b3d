//! `--backend`, `--threads` and `--adapter`: the one place that turns them into a backend and
//! runs a command's work, generic over [`Backend`], on it.

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use draw_core::Backend;

/// Where the model runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BackendKind {
    /// ndarray + gemm + rayon on all cores, f32.
    Cpu,
    /// WGSL compute shaders through wgpu (Vulkan, Metal, DX12, GL), f32.
    Wgpu,
}

impl BackendKind {
    /// The value `--backend` takes for this kind.
    pub fn flag(self) -> &'static str {
        match self {
            BackendKind::Cpu => "cpu",
            BackendKind::Wgpu => "wgpu",
        }
    }
}

/// Options shared by every command that builds a backend.
#[derive(Args, Clone, Debug, Default)]
pub struct BackendArgs {
    /// Backend to run on [default: cpu; `bench`: every backend present].
    #[arg(long, value_enum)]
    pub backend: Option<BackendKind>,
    /// Worker threads for the CPU backend (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// GPU adapter for `--backend wgpu`: part of its name as `draw adapters` prints it
    /// (default: the best; `WGPU_BACKEND=vulkan|metal|dx12|gl` narrows the search).
    #[arg(long)]
    pub adapter: Option<String>,
    /// With `--backend wgpu`: refuse a CPU adapter (llvmpipe/lavapipe, the software fallback
    /// wgpu picks when the GPU's driver is missing) instead of warning and running slowly.
    #[arg(long)]
    pub require_gpu: bool,
}

/// A validated choice of backend: what [`with_backend`] builds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackendChoice {
    /// The CPU backend, on `threads` rayon workers (all cores when `None`).
    Cpu {
        /// Worker threads, at least 1.
        threads: Option<usize>,
    },
    /// The wgpu backend on the adapter whose name contains `adapter` (the best when `None`).
    Wgpu {
        /// Part of the adapter's name.
        adapter: Option<String>,
        /// Refuse a CPU adapter (`--require-gpu`).
        require_gpu: bool,
    },
}

impl BackendChoice {
    /// The backend `args` ask for (CPU by default). Refuses `--threads 0`, and `--adapter` or
    /// `--require-gpu` without `--backend wgpu`.
    pub fn from_args(args: &BackendArgs) -> Result<Self> {
        check_threads(args.threads)?;
        match args.backend.unwrap_or(BackendKind::Cpu) {
            BackendKind::Cpu if args.adapter.is_some() => {
                bail!("--adapter applies to --backend wgpu only")
            }
            BackendKind::Cpu if args.require_gpu => {
                bail!("--require-gpu applies to --backend wgpu only")
            }
            BackendKind::Cpu => Ok(BackendChoice::Cpu {
                threads: args.threads,
            }),
            BackendKind::Wgpu => Ok(BackendChoice::Wgpu {
                adapter: args.adapter.clone(),
                require_gpu: args.require_gpu,
            }),
        }
    }
}

/// The most CPU worker threads `--threads` accepts: more only costs memory and start-up time
/// (each thread is spawned before any work starts).
pub const MAX_THREADS: usize = 1024;

fn check_threads(threads: Option<usize>) -> Result<()> {
    match threads {
        Some(0) => bail!("--threads must be at least 1"),
        Some(t) if t > MAX_THREADS => {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            bail!(
                "--threads {t} is more than the {MAX_THREADS} draw accepts; this machine has \
                 {cores} cores (leave --threads out to use them all)"
            )
        }
        _ => Ok(()),
    }
}

/// Work that runs on whichever backend the command line chose.
pub trait BackendTask {
    /// What the work returns.
    type Output;
    /// Does the work on `b`.
    fn run<B: Backend>(self, b: &B) -> Result<Self::Output>;
}

/// Builds the backend `choice` names and runs `task` on it.
pub fn with_backend<T: BackendTask>(choice: &BackendChoice, task: T) -> Result<T::Output> {
    match choice {
        BackendChoice::Cpu { threads } => task.run(&cpu_backend(*threads)?),
        BackendChoice::Wgpu {
            adapter,
            require_gpu,
        } => task.run(&wgpu_backend(adapter.as_deref(), *require_gpu)?),
    }
}

/// The CPU backend on `threads` workers (all cores when `None`).
pub fn cpu_backend(threads: Option<usize>) -> Result<draw_cpu::CpuBackend<f32>> {
    check_threads(threads)?;
    if let Some(t) = threads {
        // Fails only if the pool was already built, in which case it keeps its size.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build_global();
    }
    Ok(draw_cpu::CpuBackend::new())
}

/// The wgpu backend on the adapter whose name contains `adapter` (the best when `None`); the
/// error names the remedy. A CPU adapter (the software fallback) is named on stderr, or
/// refused when `require_gpu`.
pub fn wgpu_backend(adapter: Option<&str>, require_gpu: bool) -> Result<draw_wgpu::WgpuBackend> {
    let b = draw_wgpu::WgpuBackend::with_adapter(adapter)?;
    if b.is_cpu_adapter() {
        let why = cpu_adapter_note(&b.adapter());
        if require_gpu {
            bail!("--require-gpu refuses this adapter: {why}");
        }
        eprintln!(
            "warning: {why} (--backend cpu runs the CPU backend instead; --require-gpu refuses \
             this fallback)"
        );
    }
    Ok(b)
}

/// Why a CPU adapter is worth a line: what it is, why wgpu may have picked it, what to do.
fn cpu_adapter_note(adapter: &str) -> String {
    let all = draw_wgpu::adapter_names().join("; ");
    format!(
        "wgpu runs on a CPU adapter, {adapter}: correct but far slower than a GPU. If this \
         machine has a GPU, its Vulkan driver (ICD file) is probably not visible here (in a \
         container: mount the driver, or set VK_DRIVER_FILES to its ICD json). Adapters seen: \
         {all}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(
        backend: Option<BackendKind>,
        threads: Option<usize>,
        adapter: Option<&str>,
    ) -> BackendArgs {
        BackendArgs {
            backend,
            threads,
            adapter: adapter.map(str::to_string),
            require_gpu: false,
        }
    }

    #[test]
    fn cpu_is_the_default() {
        assert_eq!(
            BackendChoice::from_args(&args(None, Some(2), None)).unwrap(),
            BackendChoice::Cpu { threads: Some(2) }
        );
    }

    #[test]
    fn adapter_goes_with_wgpu_only() {
        assert_eq!(
            BackendChoice::from_args(&args(Some(BackendKind::Wgpu), None, Some("llvm"))).unwrap(),
            BackendChoice::Wgpu {
                adapter: Some("llvm".into()),
                require_gpu: false,
            }
        );
        let e = BackendChoice::from_args(&args(None, None, Some("llvm"))).unwrap_err();
        assert!(e.to_string().contains("--adapter"), "{e}");
        let mut cpu_gpu = args(None, None, None);
        cpu_gpu.require_gpu = true;
        let e = BackendChoice::from_args(&cpu_gpu).unwrap_err();
        assert!(e.to_string().contains("--require-gpu"), "{e}");
    }

    #[test]
    fn zero_threads_are_refused() {
        let e = BackendChoice::from_args(&args(None, Some(0), None)).unwrap_err();
        assert!(e.to_string().contains("--threads"), "{e}");
    }
}
