//! CIFAR-10, binary version: records of one label byte then 3072 pixel bytes
//! (the R, G and B planes, each 32×32 row-major), which is already channel-major.

use std::path::{Path, PathBuf};

use crate::dataset::Dataset;
use crate::error::{DataError, Result};
use crate::idx::read_maybe_gzip_capped;

/// Side length of a CIFAR-10 image.
pub const CIFAR_SIDE: usize = 32;
/// Pixel bytes per CIFAR-10 image (3 × 32 × 32).
pub const CIFAR_IMAGE_BYTES: usize = 3 * CIFAR_SIDE * CIFAR_SIDE;
/// Bytes per CIFAR-10 record: one label plus the pixels.
pub const CIFAR_RECORD_BYTES: usize = 1 + CIFAR_IMAGE_BYTES;
/// The most records one file may hold: CIFAR-10 has 60 000 in all, 10 000 per file. The format
/// has no header to bound a gzipped file, so decompression stops here instead.
const CIFAR_MAX_RECORDS: usize = 100_000;

/// Parses CIFAR-10 records from `bytes`; `name` labels errors.
///
/// An empty buffer or one whose length is not a multiple of 3073 is [`DataError::Truncated`]
/// (expecting the next whole record); a label above 9 is [`DataError::BadLabel`].
pub fn parse_cifar10(bytes: &[u8], name: &Path) -> Result<Dataset> {
    if bytes.is_empty() || bytes.len() % CIFAR_RECORD_BYTES != 0 {
        let expected = bytes.len().div_ceil(CIFAR_RECORD_BYTES).max(1) * CIFAR_RECORD_BYTES;
        return Err(DataError::Truncated {
            path: name.to_path_buf(),
            expected,
            found: bytes.len(),
        });
    }
    let len = bytes.len() / CIFAR_RECORD_BYTES;
    let mut images = Vec::with_capacity(len * CIFAR_IMAGE_BYTES);
    let mut labels = Vec::with_capacity(len);
    for (record, chunk) in bytes.chunks_exact(CIFAR_RECORD_BYTES).enumerate() {
        let label = chunk[0];
        if label > 9 {
            return Err(DataError::BadLabel {
                path: name.to_path_buf(),
                record,
                label,
            });
        }
        labels.push(label);
        images.extend(chunk[1..].iter().map(|&b| f32::from(b) / 255.0));
    }
    Ok(Dataset {
        images,
        labels,
        len,
        channels: 3,
        height: CIFAR_SIDE,
        width: CIFAR_SIDE,
    })
}

/// Loads and concatenates CIFAR-10 binary files (`data_batch_*.bin`, `test_batch.bin`) in the
/// order given; gzipped files are accepted too. No files at all is [`DataError::EmptyDataset`];
/// a file of more than 100 000 records, raw or once inflated, is [`DataError::TooLarge`]
/// (decompression stops there).
pub fn load_cifar10_files(paths: &[PathBuf]) -> Result<Dataset> {
    load_cifar10_capped(paths, CIFAR_MAX_RECORDS)
}

fn load_cifar10_capped(paths: &[PathBuf], max_records: usize) -> Result<Dataset> {
    let limit = max_records * CIFAR_RECORD_BYTES;
    let why = "a CIFAR-10 file may hold (100 000 records)";
    let read = |p: &PathBuf| read_maybe_gzip_capped(p, limit, why);
    let mut parts = paths.iter().map(|p| parse_cifar10(&read(p)?, p));
    let mut all = parts.next().ok_or(DataError::EmptyDataset)??;
    for part in parts {
        let part = part?;
        all.images.extend(part.images);
        all.labels.extend(part.labels);
        all.len += part.len;
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idx::tests::{gzip, TempDir};

    /// Record whose pixel at (ch, y, x) has byte value `(ch * 7 + y * 3 + x + seed) % 256`.
    fn record(label: u8, seed: usize) -> Vec<u8> {
        let mut r = vec![label];
        for ch in 0..3 {
            for y in 0..32 {
                r.extend((0..32).map(|x| ((ch * 7 + y * 3 + x + seed) % 256) as u8));
            }
        }
        r
    }

    #[test]
    fn parses_two_records_channel_major() {
        let bytes = [record(3, 0), record(9, 100)].concat();
        let d = parse_cifar10(&bytes, Path::new("data_batch_1.bin")).unwrap();
        assert_eq!((d.len, d.channels, d.height, d.width), (2, 3, 32, 32));
        assert_eq!(d.labels, [3, 9]);
        let px = |i: usize, ch: usize, y: usize, x: usize| d.image(i)[ch * 1024 + y * 32 + x];
        assert_eq!(px(0, 0, 0, 0), 0.0);
        assert_eq!(px(0, 2, 5, 7), (2 * 7 + 5 * 3 + 7) as f32 / 255.0);
        assert_eq!(px(1, 1, 31, 0), (7 + 31 * 3 + 100) as f32 / 255.0);
        assert_eq!(px(0, 2, 31, 31), (14 + 93 + 31) as f32 / 255.0);
    }

    #[test]
    fn truncated_records() {
        let mut bytes = [record(1, 0), record(2, 0)].concat();
        bytes.pop();
        let err = parse_cifar10(&bytes, Path::new("data_batch_2.bin")).unwrap_err();
        assert!(
            matches!(
                err,
                DataError::Truncated {
                    expected: 6146,
                    found: 6145,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("data_batch_2.bin"));
        let err = parse_cifar10(&[], Path::new("empty.bin")).unwrap_err();
        assert!(
            matches!(
                err,
                DataError::Truncated {
                    expected: 3073,
                    found: 0,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn bad_label() {
        let bytes = [record(1, 0), record(10, 0)].concat();
        let err = parse_cifar10(&bytes, Path::new("test_batch.bin")).unwrap_err();
        assert!(
            matches!(
                err,
                DataError::BadLabel {
                    record: 1,
                    label: 10,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("test_batch.bin"));
    }

    #[test]
    fn loads_and_concatenates_files() {
        let dir = TempDir::new();
        let a = dir.0.join("data_batch_1.bin");
        let b = dir.0.join("data_batch_2.bin");
        std::fs::write(&a, [record(0, 1), record(1, 2)].concat()).unwrap();
        std::fs::write(&b, gzip(&record(2, 3))).unwrap();
        let d = load_cifar10_files(&[a.clone(), b]).unwrap();
        assert_eq!(
            (d.len, d.labels.as_slice(), d.images.len()),
            (3, &[0, 1, 2][..], 3 * 3072)
        );
        assert_eq!(d.image(2)[0], 3.0 / 255.0);
        assert!(matches!(
            load_cifar10_files(&[]),
            Err(DataError::EmptyDataset)
        ));
        let missing = dir.0.join("data_batch_9.bin");
        let err = load_cifar10_files(&[a, missing]).unwrap_err();
        assert!(matches!(err, DataError::NotFound { .. }), "{err:?}");
        assert!(err.to_string().contains("data_batch_9.bin"));
    }

    #[test]
    fn gzip_past_the_record_limit_is_refused() {
        let dir = TempDir::new();
        let path = dir.0.join("data_batch_1.bin.gz");
        std::fs::write(
            &path,
            gzip(&[record(1, 0), record(2, 0), record(3, 0)].concat()),
        )
        .unwrap();
        let err = load_cifar10_capped(std::slice::from_ref(&path), 2).unwrap_err();
        assert!(
            matches!(err, DataError::TooLarge { limit: 6146, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("data_batch_1.bin.gz"), "{err}");
        assert_eq!(load_cifar10_capped(&[path], 3).unwrap().len, 3);
    }
}
