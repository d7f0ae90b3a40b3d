//! Adapter choice: the best GPU by default, a named one on request, and a clear error naming
//! the remedy where there is none.

use thiserror::Error;

/// Why no wgpu device could be opened.
#[derive(Debug, Error)]
pub enum WgpuError {
    /// No adapter at all (no GPU driver, no software Vulkan).
    #[error(
        "no GPU adapter found (backends: {backends}); install a GPU driver, or the software \
         Vulkan driver with `apt-get install mesa-vulkan-drivers libvulkan1`, or run with \
         `--backend cpu`"
    )]
    NoAdapter {
        /// The wgpu backends that were searched.
        backends: String,
    },
    /// `--adapter NAME` matched nothing.
    #[error("no adapter matches {wanted:?}; available: {available}")]
    AdapterNotFound {
        /// The requested name (substring, case-insensitive).
        wanted: String,
        /// The adapters that exist.
        available: String,
    },
    /// The adapter lacks something the kernels need.
    #[error("adapter {adapter} cannot run draw-wgpu: {why}")]
    Unsuitable {
        /// The adapter's name.
        adapter: String,
        /// What is missing.
        why: String,
    },
    /// The driver refused to open a device.
    #[error("could not open a device on {adapter}: {source}")]
    RequestDevice {
        /// The adapter's name.
        adapter: String,
        /// wgpu's error.
        source: wgpu::RequestDeviceError,
    },
}

/// One line describing an adapter: name, type, API.
pub fn describe(info: &wgpu::AdapterInfo) -> String {
    format!("{} ({:?}, {:?})", info.name, info.device_type, info.backend)
}

fn rank(info: &wgpu::AdapterInfo) -> (u8, u8) {
    let kind = match info.device_type {
        wgpu::DeviceType::DiscreteGpu => 4,
        wgpu::DeviceType::IntegratedGpu => 3,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Cpu => 1,
        wgpu::DeviceType::Other => 0,
    };
    // Prefer the native compute APIs over GL for the same device.
    let api = match info.backend {
        wgpu::Backend::Vulkan | wgpu::Backend::Metal | wgpu::Backend::Dx12 => 1,
        _ => 0,
    };
    (kind, api)
}

fn enumerate(backends: wgpu::Backends) -> Vec<wgpu::Adapter> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends,
        ..wgpu::InstanceDescriptor::new_without_display_handle_from_env()
    });
    pollster::block_on(instance.enumerate_adapters(backends))
}

/// Every adapter wgpu can see, best first: the backends named by `WGPU_BACKEND` (e.g.
/// `vulkan`, `gl`) when set; otherwise Vulkan, Metal and DX12, and GL only where those find
/// nothing.
pub fn adapters() -> Vec<wgpu::Adapter> {
    let mut all = match wgpu::Backends::from_env() {
        Some(b) => enumerate(b),
        None => {
            let native = enumerate(wgpu::Backends::PRIMARY);
            if native.is_empty() {
                enumerate(wgpu::Backends::SECONDARY)
            } else {
                native
            }
        }
    };
    all.sort_by_key(|a| std::cmp::Reverse(rank(&a.get_info())));
    all
}

/// The best adapter, or the first whose description contains `wanted` (case-insensitive).
pub fn choose(wanted: Option<&str>) -> Result<wgpu::Adapter, WgpuError> {
    let all = adapters();
    if all.is_empty() {
        let backends = wgpu::Backends::from_env().unwrap_or(wgpu::Backends::all());
        return Err(WgpuError::NoAdapter {
            backends: format!("{backends:?}"),
        });
    }
    let Some(wanted) = wanted else {
        return Ok(all.into_iter().next().expect("non-empty"));
    };
    let needle = wanted.to_lowercase();
    let names: Vec<String> = all.iter().map(|a| describe(&a.get_info())).collect();
    match names
        .iter()
        .position(|n| n.to_lowercase().contains(&needle))
    {
        Some(k) => Ok(all.into_iter().nth(k).expect("index from position")),
        None => Err(WgpuError::AdapterNotFound {
            wanted: wanted.to_string(),
            available: names.join("; "),
        }),
    }
}
