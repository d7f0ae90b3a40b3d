//! MNIST: a rank-3 IDX image file and a rank-1 IDX label file per split.

use std::path::{Path, PathBuf};

use crate::dataset::Dataset;
use crate::error::{DataError, Result};
use crate::idx::read_idx;

/// Which half of a data set to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Split {
    /// The training set (`train-*`, 60 000 images for MNIST).
    Train,
    /// The test set (`t10k-*`, 10 000 images for MNIST).
    Test,
}

impl Split {
    fn prefix(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "t10k",
        }
    }
}

/// `dir/stem` if it exists, else `dir/stem.gz` if that exists, else
/// [`DataError::MnistFileMissing`] naming `dir/stem` and the files a folder must hold (`needs`).
fn locate(dir: &Path, stem: &str, needs: &[String]) -> Result<PathBuf> {
    let raw = dir.join(stem);
    [raw.clone(), dir.join(format!("{stem}.gz"))]
        .into_iter()
        .find(|p| p.is_file())
        .ok_or_else(|| DataError::MnistFileMissing {
            path: raw,
            needs: needs.join(" and "),
        })
}

/// Loads an MNIST split from `dir`: `{train,t10k}-images-idx3-ubyte` and
/// `{train,t10k}-labels-idx1-ubyte`, each raw or with a `.gz` suffix (raw preferred when both
/// exist). Any rows × cols is accepted; image and label counts must agree and labels be 0..=9.
pub fn load_mnist(dir: &Path, split: Split) -> Result<Dataset> {
    let stems = [
        format!("{}-images-idx3-ubyte", split.prefix()),
        format!("{}-labels-idx1-ubyte", split.prefix()),
    ];
    let image_path = locate(dir, &stems[0], &stems)?;
    let label_path = locate(dir, &stems[1], &stems)?;
    let images = read_idx(&image_path, 3)?;
    let labels = read_idx(&label_path, 1)?;
    let (len, height, width) = (images.dims[0], images.dims[1], images.dims[2]);
    if labels.dims[0] != len {
        return Err(DataError::Mismatch {
            detail: format!(
                "{} holds {len} images but {} holds {} labels",
                image_path.display(),
                label_path.display(),
                labels.dims[0]
            ),
        });
    }
    if let Some((record, &label)) = labels.data.iter().enumerate().find(|(_, &l)| l > 9) {
        return Err(DataError::BadLabel {
            path: label_path,
            record,
            label,
        });
    }
    Ok(Dataset {
        images: images.data.iter().map(|&b| f32::from(b) / 255.0).collect(),
        labels: labels.data,
        len,
        channels: 1,
        height,
        width,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idx::tests::{gzip, idx_bytes, TempDir};

    fn mnist_dir() -> &'static Path {
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/mnist"))
    }

    #[test]
    fn loads_shipped_mnist() {
        let train = load_mnist(mnist_dir(), Split::Train).unwrap();
        assert_eq!(
            (train.len, train.channels, train.height, train.width),
            (60_000, 1, 28, 28)
        );
        assert_eq!(
            (train.images.len(), train.labels.len()),
            (60_000 * 784, 60_000)
        );
        assert_eq!(train.labels[..10], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
        assert!(train.images.iter().all(|v| (0.0..=1.0).contains(v)));
        assert!(train.images.contains(&1.0) && train.images.contains(&0.0));

        let test = load_mnist(mnist_dir(), Split::Test).unwrap();
        assert_eq!((test.len, test.height, test.width), (10_000, 28, 28));
        assert_eq!(test.labels[..10], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
        assert!(test.images.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn static_binarisation_mean_matches_intensity_on_mnist() {
        let d = load_mnist(mnist_dir(), Split::Test).unwrap().subset(1000);
        let mean = |v: &[f32]| v.iter().map(|&x| f64::from(x)).sum::<f64>() / v.len() as f64;
        let b = d.binarize_static(42);
        assert!(b.images.iter().all(|&v| v == 0.0 || v == 1.0));
        assert_eq!(b.images, d.binarize_static(42).images);
        assert_eq!(b.labels, d.labels);
        let (m, mb) = (mean(&d.images), mean(&b.images));
        assert!(
            (m - mb).abs() < 0.01,
            "intensity mean {m}, binarised mean {mb}"
        );
    }

    #[test]
    fn small_split_raw_and_gz_and_mismatch() {
        let dir = TempDir::new();
        let pixels: Vec<u8> = (0..2 * 3 * 4).map(|v| v * 10).collect();
        std::fs::write(
            dir.0.join("t10k-images-idx3-ubyte.gz"),
            gzip(&idx_bytes(&[2, 3, 4], &pixels)),
        )
        .unwrap();
        std::fs::write(
            dir.0.join("t10k-labels-idx1-ubyte"),
            idx_bytes(&[2], &[8, 3]),
        )
        .unwrap();
        let d = load_mnist(&dir.0, Split::Test).unwrap();
        assert_eq!(
            (d.len, d.channels, d.height, d.width, d.labels.as_slice()),
            (2, 1, 3, 4, &[8, 3][..])
        );
        assert_eq!(d.image(1)[0], 120.0 / 255.0);

        std::fs::write(
            dir.0.join("t10k-labels-idx1-ubyte"),
            idx_bytes(&[3], &[8, 3, 1]),
        )
        .unwrap();
        let err = load_mnist(&dir.0, Split::Test).unwrap_err();
        assert!(matches!(err, DataError::Mismatch { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.contains("t10k-images-idx3-ubyte.gz") && msg.contains("t10k-labels-idx1-ubyte"),
            "{msg}"
        );

        std::fs::write(
            dir.0.join("t10k-labels-idx1-ubyte"),
            idx_bytes(&[2], &[8, 12]),
        )
        .unwrap();
        let err = load_mnist(&dir.0, Split::Test).unwrap_err();
        assert!(
            matches!(
                err,
                DataError::BadLabel {
                    record: 1,
                    label: 12,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn missing_files_name_the_path() {
        let dir = TempDir::new();
        let err = load_mnist(&dir.0, Split::Train).unwrap_err();
        assert!(matches!(err, DataError::MnistFileMissing { .. }), "{err:?}");
        assert!(err.to_string().contains("train-images-idx3-ubyte"), "{err}");
    }

    #[test]
    fn missing_files_name_the_remedy() {
        let dir = TempDir::new();
        let msg = load_mnist(&dir.0, Split::Train).unwrap_err().to_string();
        for want in [
            "train-images-idx3-ubyte",
            "--data",
            "train-labels-idx1-ubyte",
            "data/mnist",
        ] {
            assert!(msg.contains(want), "`{want}` missing from: {msg}");
        }
    }
}
