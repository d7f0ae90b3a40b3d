//! The one error type of draw-core.

use std::path::PathBuf;

/// Everything that can go wrong in draw-core, each naming what is at fault.
#[derive(Debug, thiserror::Error)]
pub enum DrawError {
    /// A configuration that the model cannot run.
    #[error("invalid config: {field}: {reason}")]
    Config {
        /// The offending field, e.g. `read.n`.
        field: &'static str,
        /// Why it is invalid.
        reason: String,
    },
    /// A checkpoint file that cannot be read or does not fit the config.
    #[error("checkpoint {path}: {reason}")]
    Checkpoint {
        /// The checkpoint file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// An I/O failure on a named file (the OS's text is the source, printed once by a chain
    /// printer).
    #[error("{path}: I/O error")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The loss or a gradient became NaN or infinite.
    #[error("non-finite {what} at step {step}")]
    NonFinite {
        /// What went non-finite (`loss`, `gradient norm`).
        what: &'static str,
        /// The optimiser step (1-based, as in the metrics) at which it happened.
        step: u64,
    },
    /// Inputs whose shapes do not fit the model.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// A batch whose buffers do not fit the backend's memory.
    #[error(
        "batch size {batch} needs {need_mib} MiB of {what}, more than the {have_mib} MiB available; \
         use a smaller --batch-size"
    )]
    OutOfMemory {
        /// The batch size asked for.
        batch: usize,
        /// Which limit: the total memory, or the largest single tensor a device can bind.
        what: &'static str,
        /// MiB needed.
        need_mib: u64,
        /// MiB available.
        have_mib: u64,
    },
}

/// Result with [`DrawError`].
pub type Result<T> = std::result::Result<T, DrawError>;
