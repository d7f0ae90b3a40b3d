//! The images a run trains and is evaluated on, whichever data set it names: stored sets
//! (MNIST, Fashion-MNIST, CIFAR-10, SVHN) loaded whole, and two-digit MNIST generated afresh
//! each epoch from a key, with a fixed test set.

use crate::eval::TEST_BINARIZATION_SEED;
use anyhow::{bail, Result};
use draw_data::{gather, DatasetName, Generator, Split, TwoDigitMnist, TwoDigitSplits};
use draw_data::{Dataset, TWO_DIGIT_CANVAS, TWO_DIGIT_TEST_SEED};
use std::path::Path;

/// A run's training images.
pub enum TrainImages {
    /// A stored set, in memory.
    Stored(Dataset),
    /// A generated set: example i of epoch e is a pure function of (seed, e, i).
    Generated(TwoDigitMnist),
}

impl TrainImages {
    /// Examples per epoch.
    pub fn len(&self) -> usize {
        match self {
            TrainImages::Stored(d) => d.len,
            TrainImages::Generated(g) => g.epoch_len(),
        }
    }

    /// Its images' (channels, height, width).
    pub fn shape(&self) -> (usize, usize, usize) {
        match self {
            TrainImages::Stored(d) => (d.channels, d.height, d.width),
            TrainImages::Generated(g) => (1, g.side(), g.side()),
        }
    }

    /// The pixels of examples `idx` of (1-based) epoch `epoch` of a run seeded `seed`,
    /// intensities in [0, 1], back to back.
    pub fn batch(&self, idx: &[usize], seed: u64, epoch: usize) -> Vec<f32> {
        match self {
            TrainImages::Stored(d) => gather(d, idx),
            TrainImages::Generated(g) => g.batch(seed, epoch as u64, idx).images,
        }
    }
}

/// The training images of `name` from `dir`, the first `limit` (source digits, for
/// two-digit MNIST) if given.
pub fn load_train(name: DatasetName, dir: &Path, limit: Option<usize>) -> Result<TrainImages> {
    let train = name.load(dir, Split::Train)?;
    let train = match limit {
        Some(n) => train.subset(n),
        None => train,
    };
    if name.is_generated() {
        return Ok(TrainImages::Generated(TwoDigitMnist::new(
            TWO_DIGIT_CANVAS,
            &train,
            0..train.len,
        )?));
    }
    Ok(TrainImages::Stored(train))
}

/// The test images of `name` from `dir` (the first `limit` if given), statically binarised
/// with [`TEST_BINARIZATION_SEED`]; two-digit MNIST's is its fixed generated test set.
pub fn load_test(name: DatasetName, dir: &Path, limit: Option<usize>) -> Result<Dataset> {
    if limit == Some(0) {
        bail!("the test-set limit must be at least 1");
    }
    let test = if name.is_generated() {
        let digits = name.load(dir, Split::Test)?;
        let g = TwoDigitSplits::new(TWO_DIGIT_CANVAS, &digits, &digits)?.test;
        let n = limit.unwrap_or(g.epoch_len()).min(g.epoch_len());
        g.batch(TWO_DIGIT_TEST_SEED, 0, &(0..n).collect::<Vec<_>>())
    } else {
        let test = name.load(dir, Split::Test)?;
        match limit {
            Some(n) => test.subset(n),
            None => test,
        }
    };
    Ok(test.binarize_static(TEST_BINARIZATION_SEED))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_digit_training_is_fresh_each_epoch_and_its_test_set_fixed() {
        let dir = crate::plan::default_data_dir();
        let train = load_train(DatasetName::Mnist2, &dir, Some(500)).unwrap();
        assert_eq!((train.len(), train.shape()), (500, (1, 60, 60)));
        let a = train.batch(&[0, 1], 7, 1);
        assert_eq!(a, train.batch(&[0, 1], 7, 1));
        assert_ne!(a, train.batch(&[0, 1], 7, 2));
        let t = load_test(DatasetName::Mnist2, &dir, Some(3)).unwrap();
        assert_eq!((t.len, t.height), (3, 60));
        assert_eq!(t, load_test(DatasetName::Mnist2, &dir, Some(3)).unwrap());
        assert!(t.images.iter().all(|&v| v == 0.0 || v == 1.0));
        let stored = load_train(DatasetName::Mnist, &dir, Some(10)).unwrap();
        assert_eq!(stored.batch(&[3], 7, 1), stored.batch(&[3], 8, 2));
    }
}
