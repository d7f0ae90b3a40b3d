//! The crate's error type.

use std::path::PathBuf;

use thiserror::Error;

/// Everything that can go wrong while reading a data set (each such variant names the offending
/// file) or setting up a generated one.
///
/// Variants wrapping an I/O or decoder error keep it as their [`std::error::Error::source`] and
/// leave its text out of their own message, so a chain printer (`anyhow`'s `{:#}`) shows the
/// OS's words once.
#[derive(Debug, Error)]
pub enum DataError {
    /// The file exists but could not be read.
    #[error("{path}: cannot read")]
    Io {
        /// File being read.
        path: PathBuf,
        /// Underlying I/O error.
        source: std::io::Error,
    },
    /// The file starts with the gzip magic but does not decompress.
    #[error("{path}: gzip decompression failed")]
    Gzip {
        /// File being decompressed.
        path: PathBuf,
        /// Underlying decoder error.
        source: std::io::Error,
    },
    /// The buffer ends before the header or payload does.
    #[error("{path}: truncated: expected {expected} bytes, found {found}")]
    Truncated {
        /// File being parsed.
        path: PathBuf,
        /// Bytes needed.
        expected: usize,
        /// Bytes present.
        found: usize,
    },
    /// The IDX magic number does not start with two zero bytes.
    #[error("{path}: bad IDX magic 0x{found:08x} (first two bytes must be zero)")]
    BadMagic {
        /// File being parsed.
        path: PathBuf,
        /// The magic number read.
        found: u32,
    },
    /// The IDX element type is not 0x08 (unsigned byte), the only one supported.
    #[error(
        "{path}: unsupported IDX type code 0x{found:02x} (only 0x08, unsigned byte, is supported)"
    )]
    BadTypeCode {
        /// File being parsed.
        path: PathBuf,
        /// The type code read.
        found: u8,
    },
    /// The IDX rank (number of dimensions) is not the one the caller expects.
    #[error("{path}: IDX rank is {found}, expected {expected}")]
    BadRank {
        /// File being parsed.
        path: PathBuf,
        /// Rank the caller asked for.
        expected: u8,
        /// Rank in the header.
        found: u8,
    },
    /// A dimension is zero, or their product overflows.
    #[error("{path}: bad dimensions: {detail}")]
    BadDimensions {
        /// File being parsed.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// Bytes remain after the payload the header describes.
    #[error("{path}: {extra} trailing bytes after the payload")]
    TrailingBytes {
        /// File being parsed.
        path: PathBuf,
        /// Number of surplus bytes.
        extra: usize,
    },
    /// A file holds, or a gzipped one inflates to, more than its header implies (or than the
    /// format allows); reading stopped one byte past `limit`, so nothing larger was ever held.
    #[error("{path}: more than the {limit} bytes {why} (stopped reading there)")]
    TooLarge {
        /// File being decompressed.
        path: PathBuf,
        /// The most bytes the file may inflate to.
        limit: usize,
        /// Where the limit comes from, e.g. "its IDX header implies".
        why: &'static str,
    },
    /// A record's class label is outside 0..=9.
    #[error("{path}: record {record} has label {label}, expected 0..=9")]
    BadLabel {
        /// File being parsed.
        path: PathBuf,
        /// Zero-based record index within the file.
        record: usize,
        /// The label read.
        label: u8,
    },
    /// Two files that must agree do not (e.g. image and label counts); `detail` names both.
    #[error("mismatch: {detail}")]
    Mismatch {
        /// What disagrees, naming the files.
        detail: String,
    },
    /// The file does not exist.
    #[error("{path}: file not found")]
    NotFound {
        /// Path looked for.
        path: PathBuf,
    },
    /// An MNIST file is missing from the data folder, raw and gzipped; the message says how to
    /// point the loader at a folder that has it.
    #[error(
        "{path}: file not found (nor {path}.gz); pass --data DIR pointing at a folder holding \
         {needs} (raw or .gz), e.g. the copy the repository ships in data/mnist"
    )]
    MnistFileMissing {
        /// The raw file's path, `dir/stem`.
        path: PathBuf,
        /// The files the split needs, e.g. `train-images-idx3-ubyte and train-labels-idx1-ubyte`.
        needs: String,
    },
    /// A MAT-file is malformed or holds what the reader does not support.
    #[error("{path}: bad MAT-file at byte offset {offset}: {detail}")]
    BadMat {
        /// File being parsed.
        path: PathBuf,
        /// Byte offset of the element at fault (0 for faults of the whole file).
        offset: usize,
        /// What is wrong.
        detail: String,
    },
    /// A data set's file is missing; the message names the command that fetches it.
    #[error("{path}: file not found; fetch the data set with `{remedy}` or pass --data DIR pointing at a folder holding it")]
    DatasetMissing {
        /// The file looked for.
        path: PathBuf,
        /// The command that fetches it.
        remedy: String,
    },
    /// An unknown data set name.
    #[error("unknown data set `{name}` (known: {known})")]
    UnknownDataset {
        /// The name given.
        name: String,
        /// The known names.
        known: String,
    },
    /// No files were given, so there is nothing to load.
    #[error("empty dataset: no files given")]
    EmptyDataset,
    /// A generator's configuration cannot work (e.g. a zero-sized canvas or crop).
    #[error("bad generator configuration: {detail}")]
    BadConfig {
        /// What is wrong, naming the generator and the setting.
        detail: String,
    },
    /// A generator's source digits cannot be used (e.g. an empty range, several channels, values
    /// outside [0, 1], or digits larger than the canvas).
    #[error("bad source digits: {detail}")]
    BadSource {
        /// What is wrong, naming the generator.
        detail: String,
    },
}

/// Result alias used throughout the crate.
pub type Result<T> = std::result::Result<T, DataError>;
