//! Data loading for draw-rs: IDX (MNIST, Fashion-MNIST), CIFAR-10 binary and SVHN MAT-file
//! parsers ([`DatasetName`] names each set), binarisation,
//! shuffled mini-batching, and data sets generated from MNIST (cluttered MNIST, two-digit MNIST).
//!
//! Decisions:
//! - **Images are `f32` in `[0, 1]`**, stored back to back in a [`Dataset`]; within an image the
//!   layout is channel-major then row-major (`ch * H * W + y * W + x`). CIFAR-10's binary format
//!   is already laid out this way, so records are copied plane by plane.
//! - **Strict parsing, no panics on bad input.** [`parse_idx`] checks the magic, the type code
//!   (only `0x08`, unsigned byte: all MNIST files use it), the rank, that no dimension is zero,
//!   and that the payload matches the header exactly, with checked arithmetic for the size.
//!   A short file is [`DataError::Truncated`], a long one [`DataError::TrailingBytes`]; every
//!   error names the file it concerns.
//! - **Gzip is detected by content**, from the `1f 8b` magic, not by extension, so the shipped
//!   `.gz` files and decompressed copies both load. [`load_mnist`] prefers the raw file when
//!   both exist.
//! - **Binarisation** draws each pixel as Bernoulli(intensity). [`Dataset::binarize_static`]
//!   fixes one sample from a seed (the "binarised MNIST" setting); [`binarize_dynamic`] draws a
//!   fresh one per call from the caller's RNG, for resampling each training batch.
//! - **Reproducibility**: [`Batcher`] and static binarisation use `rand`'s `StdRng` seeded
//!   with `seed_from_u64`, so results repeat for a given seed with the same `rand` version
//!   (`StdRng`'s algorithm may change between major `rand` releases).
//! - **Generated sets are keyed, not streamed.** [`ClutteredMnist`] and [`TwoDigitMnist`]
//!   implement [`Generator`]: example `index` of `epoch` is a pure function of
//!   `(seed, epoch, index)`, drawn from a SplitMix64 stream hashed from that key (written out in
//!   this crate, so the images do not depend on the `rand` version). Training data is fresh each
//!   epoch yet a resumed run regenerates it exactly; the validation and test sets are epoch 0 of
//!   fixed seeds, pinned by checksums in the tests. Placements are exposed ([`Piece`],
//!   [`ClutteredLayout`], [`TwoDigitLayout`]) so tests can check them against the pixels.
#![deny(missing_docs)]

mod batch;
mod catalog;
mod cifar;
mod cluttered;
mod dataset;
mod error;
mod folder;
mod idx;
mod mat;
mod mnist;
mod shapes;
mod svhn;
mod synth;
mod two_digit;

pub use batch::{gather, mix_key, Batcher};
pub use catalog::{cifar10_files, DatasetName};
pub use cifar::{
    load_cifar10_files, parse_cifar10, CIFAR_IMAGE_BYTES, CIFAR_RECORD_BYTES, CIFAR_SIDE,
};
pub use cluttered::{
    ClutterConfig, ClutteredLayout, ClutteredMnist, ClutteredSplits, CLUTTERED_TEST_SEED,
    CLUTTERED_VALID_SEED, VALIDATION_DIGITS,
};
pub use dataset::{binarize_dynamic, binarize_keyed, Dataset};
pub use error::{DataError, Result};
pub use folder::{folder_of, folder_shape, load_image_folder};
pub use idx::{parse_idx, read_idx, read_maybe_gzip, IdxArray, IDX_UBYTE};
pub use mat::{parse_mat, MatVar};
pub use mnist::{load_mnist, Split};
pub use shapes::{ColourShapes, SHAPE_COLOURS};
pub use svhn::{load_svhn, parse_svhn, svhn_file};
pub use synth::{Generator, Piece};
pub use two_digit::{
    TwoDigitLayout, TwoDigitMnist, TwoDigitSplits, TWO_DIGIT_CANVAS, TWO_DIGIT_TEST_SEED,
};
