//! Shared helpers for the cross-crate tests.
#![allow(dead_code)]

use draw_rs::data::{load_mnist, Dataset, Split};
use std::path::PathBuf;

/// The MNIST copy shipped in `data/mnist`.
pub fn mnist_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/mnist")
}

/// The first `n` images of a split.
pub fn mnist(split: Split, n: usize) -> Dataset {
    load_mnist(&mnist_dir(), split)
        .expect("shipped MNIST loads")
        .subset(n)
}
