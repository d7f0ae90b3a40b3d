//! The data sets draw-rs trains on, by name: what each holds and how a split of it loads.

use std::path::{Path, PathBuf};

use crate::cifar::load_cifar10_files;
use crate::dataset::Dataset;
use crate::error::{DataError, Result};
use crate::folder::{folder_shape, load_image_folder};
use crate::mnist::{load_mnist, Split};
use crate::svhn::load_svhn;
use crate::two_digit::TWO_DIGIT_CANVAS;

/// A data set by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DatasetName {
    /// MNIST digits, 28 × 28 grey (shipped in `data/mnist`).
    Mnist,
    /// Fashion-MNIST, 28 × 28 grey, MNIST's IDX format.
    FashionMnist,
    /// Two-digit MNIST, 60 × 60 grey, generated from MNIST (DRAW's Fig. 9).
    Mnist2,
    /// CIFAR-10, 32 × 32 RGB, binary version.
    Cifar10,
    /// SVHN cropped digits, 32 × 32 RGB, MATLAB 5 files.
    Svhn,
    /// A folder of the user's PNG images (`train/`, `test/`), any one size, grey or colour:
    /// e.g. the paper's 54 × 54 SVHN patches.
    Folder,
}

impl DatasetName {
    /// Every data set.
    pub const ALL: [DatasetName; 6] = [
        DatasetName::Mnist,
        DatasetName::FashionMnist,
        DatasetName::Mnist2,
        DatasetName::Cifar10,
        DatasetName::Svhn,
        DatasetName::Folder,
    ];

    /// The name used on the command line and in checkpoints.
    pub fn name(self) -> &'static str {
        match self {
            DatasetName::Mnist => "mnist",
            DatasetName::FashionMnist => "fashion-mnist",
            DatasetName::Mnist2 => "mnist2",
            DatasetName::Cifar10 => "cifar10",
            DatasetName::Svhn => "svhn",
            DatasetName::Folder => "folder",
        }
    }

    /// The data set called `name`, or [`DataError::UnknownDataset`] listing the names.
    pub fn parse(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|d| d.name() == name)
            .ok_or_else(|| DataError::UnknownDataset {
                name: name.into(),
                known: Self::ALL.map(DatasetName::name).join(", "),
            })
    }

    /// Its images' (channels, height, width); `dir` matters only for [`DatasetName::Folder`],
    /// whose shape is that of its first training image.
    pub fn shape(self, dir: &Path) -> Result<(usize, usize, usize)> {
        Ok(match self {
            DatasetName::Mnist | DatasetName::FashionMnist => (1, 28, 28),
            DatasetName::Mnist2 => (1, TWO_DIGIT_CANVAS, TWO_DIGIT_CANVAS),
            DatasetName::Cifar10 | DatasetName::Svhn => (3, 32, 32),
            DatasetName::Folder => folder_shape(dir)?,
        })
    }

    /// Whether its training examples are generated afresh each epoch (from MNIST).
    pub fn is_generated(self) -> bool {
        self == DatasetName::Mnist2
    }

    /// Loads a split of a stored data set from `dir` (MNIST for the generated `mnist2`, whose
    /// examples [`crate::TwoDigitSplits`] makes from it).
    pub fn load(self, dir: &Path, split: Split) -> Result<Dataset> {
        match self {
            DatasetName::Mnist | DatasetName::Mnist2 => load_mnist(dir, split),
            DatasetName::FashionMnist => load_mnist(dir, split).map_err(|e| match e {
                DataError::MnistFileMissing { path, .. } => DataError::DatasetMissing {
                    path,
                    remedy: "apt-get install dataset-fashion-mnist` or `draw data download \
                             fashion-mnist"
                        .into(),
                },
                other => other,
            }),
            DatasetName::Cifar10 => load_cifar10_files(&cifar10_files(dir, split)?),
            DatasetName::Svhn => load_svhn(dir, split),
            DatasetName::Folder => load_image_folder(dir, split),
        }
    }
}

/// The CIFAR-10 binary files of `split` in `dir` or in `dir/cifar-10-batches-bin` (the
/// archive's folder): `data_batch_1.bin` … `data_batch_5.bin`, or `test_batch.bin`.
pub fn cifar10_files(dir: &Path, split: Split) -> Result<Vec<PathBuf>> {
    let names: Vec<String> = match split {
        Split::Train => (1..=5).map(|k| format!("data_batch_{k}.bin")).collect(),
        Split::Test => vec!["test_batch.bin".into()],
    };
    let inner = dir.join("cifar-10-batches-bin");
    let base = if inner.join(&names[0]).is_file() {
        inner
    } else {
        dir.to_path_buf()
    };
    let files: Vec<PathBuf> = names.iter().map(|n| base.join(n)).collect();
    match files.iter().find(|f| !f.is_file()) {
        Some(missing) => Err(DataError::DatasetMissing {
            path: missing.clone(),
            remedy: "draw data download cifar10".into(),
        }),
        None => Ok(files),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_lists_them() {
        for d in DatasetName::ALL {
            assert_eq!(DatasetName::parse(d.name()).unwrap(), d);
        }
        let msg = DatasetName::parse("imagenet").unwrap_err().to_string();
        assert!(
            msg.contains("imagenet") && msg.contains("fashion-mnist, mnist2"),
            "{msg}"
        );
    }

    #[test]
    fn cifar_files_are_found_in_the_archive_folder_or_named_missing() {
        let dir = std::env::temp_dir().join(format!("draw-cat-{}", std::process::id()));
        let inner = dir.join("cifar-10-batches-bin");
        std::fs::create_dir_all(&inner).unwrap();
        std::fs::write(inner.join("test_batch.bin"), [0u8; 3073]).unwrap();
        let files = cifar10_files(&dir, Split::Test).unwrap();
        assert_eq!(files, [inner.join("test_batch.bin")]);
        let d = DatasetName::Cifar10.load(&dir, Split::Test).unwrap();
        assert_eq!((d.len, d.channels, d.height), (1, 3, 32));
        let msg = cifar10_files(&dir, Split::Train).unwrap_err().to_string();
        assert!(
            msg.contains("data_batch_1.bin") && msg.contains("draw data download cifar10"),
            "{msg}"
        );
        let msg = DatasetName::FashionMnist
            .load(&dir, Split::Test)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("dataset-fashion-mnist"), "{msg}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
