//! The IDX format (LeCun's MNIST container): big-endian magic `00 00 tt rr`, `rr` big-endian
//! `u32` dimensions, then the elements. Only type `tt = 0x08` (unsigned byte) is supported.

use std::io::Read;
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::error::{DataError, Result};

/// IDX type code for unsigned bytes, the only element type supported.
pub const IDX_UBYTE: u8 = 0x08;

/// A parsed IDX array of unsigned bytes, row-major over `dims`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    /// Dimensions, outermost first; all non-zero.
    pub dims: Vec<usize>,
    /// Elements, `dims.iter().product()` of them.
    pub data: Vec<u8>,
}

/// Parses an IDX byte buffer (already decompressed); `name` labels errors.
///
/// Checks the header is complete, the magic's first two bytes are zero, the type code is 0x08,
/// the rank equals `expected_rank`, every dimension is non-zero, their product does not overflow
/// and equals the payload length exactly (short: [`DataError::Truncated`], long:
/// [`DataError::TrailingBytes`]).
pub fn parse_idx(bytes: &[u8], name: &Path, expected_rank: u8) -> Result<IdxArray> {
    let path = || name.to_path_buf();
    let truncated = |expected| DataError::Truncated {
        path: path(),
        expected,
        found: bytes.len(),
    };
    let Some(&[m0, m1, type_code, rank]) = bytes.first_chunk::<4>() else {
        return Err(truncated(4));
    };
    if m0 != 0 || m1 != 0 {
        let found = u32::from_be_bytes([m0, m1, type_code, rank]);
        return Err(DataError::BadMagic {
            path: path(),
            found,
        });
    }
    if type_code != IDX_UBYTE {
        return Err(DataError::BadTypeCode {
            path: path(),
            found: type_code,
        });
    }
    if rank != expected_rank {
        return Err(DataError::BadRank {
            path: path(),
            expected: expected_rank,
            found: rank,
        });
    }
    let header_len = 4 + 4 * usize::from(rank);
    let header = bytes
        .get(4..header_len)
        .ok_or_else(|| truncated(header_len))?;
    let dims: Vec<usize> = header
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let bad_dims = |detail: String| DataError::BadDimensions {
        path: path(),
        detail,
    };
    if let Some(axis) = dims.iter().position(|&d| d == 0) {
        return Err(bad_dims(format!("dimension {axis} is zero in {dims:?}")));
    }
    let total = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .and_then(|count| count.checked_add(header_len))
        .ok_or_else(|| bad_dims(format!("size of {dims:?} overflows usize")))?;
    match bytes.len().cmp(&total) {
        std::cmp::Ordering::Less => Err(truncated(total)),
        std::cmp::Ordering::Greater => Err(DataError::TrailingBytes {
            path: path(),
            extra: bytes.len() - total,
        }),
        std::cmp::Ordering::Equal => Ok(IdxArray {
            dims,
            data: bytes[header_len..].to_vec(),
        }),
    }
}

/// Reads a whole file, gunzipping it when it starts with the gzip magic `1f 8b`.
///
/// Detection is by content, not extension, so raw and `.gz` files both work under any name
/// (an IDX file starts with `00 00` and a CIFAR-10 record with a label 0..=9, never `1f`).
pub fn read_maybe_gzip(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => DataError::NotFound {
            path: path.to_path_buf(),
        },
        _ => DataError::Io {
            path: path.to_path_buf(),
            source,
        },
    })?;
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return Ok(raw);
    }
    let mut out = Vec::new();
    MultiGzDecoder::new(raw.as_slice())
        .read_to_end(&mut out)
        .map_err(|source| DataError::Gzip {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(out)
}

/// Reads an IDX file, raw or gzipped (see [`read_maybe_gzip`]), and parses it with [`parse_idx`].
pub fn read_idx(path: &Path, expected_rank: u8) -> Result<IdxArray> {
    parse_idx(&read_maybe_gzip(path)?, path, expected_rank)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fresh directory under the system temp dir, removed on drop.
    pub(crate) struct TempDir(pub PathBuf);

    impl TempDir {
        pub(crate) fn new() -> Self {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let dir =
                std::env::temp_dir().join(format!("draw-data-test-{}-{n}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// Builds an unsigned-byte IDX buffer.
    pub(crate) fn idx_bytes(dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut b = vec![0, 0, IDX_UBYTE, dims.len() as u8];
        dims.iter()
            .for_each(|d| b.extend_from_slice(&d.to_be_bytes()));
        b.extend_from_slice(data);
        b
    }

    pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    fn name() -> &'static Path {
        Path::new("some-file-idx")
    }

    fn parse_err(bytes: &[u8], rank: u8) -> DataError {
        let err = parse_idx(bytes, name(), rank).unwrap_err();
        assert!(err.to_string().contains("some-file-idx"), "{err}");
        err
    }

    #[test]
    fn parses_rank1_and_rank3() {
        let a = parse_idx(&idx_bytes(&[3], &[7, 8, 9]), name(), 1).unwrap();
        assert_eq!(
            a,
            IdxArray {
                dims: vec![3],
                data: vec![7, 8, 9]
            }
        );
        let data: Vec<u8> = (0..24).collect();
        let a = parse_idx(&idx_bytes(&[2, 3, 4], &data), name(), 3).unwrap();
        assert_eq!(a.dims, [2, 3, 4]);
        assert_eq!(a.data, data);
    }

    #[test]
    fn gzip_round_trip_and_raw_through_read_idx() {
        let dir = TempDir::new();
        let bytes = idx_bytes(&[2, 2, 2], &[1, 2, 3, 4, 5, 6, 7, 8]);
        let gz = dir.0.join("x-idx3-ubyte.gz");
        std::fs::write(&gz, gzip(&bytes)).unwrap();
        let raw = dir.0.join("x-idx3-ubyte");
        std::fs::write(&raw, &bytes).unwrap();
        let expected = parse_idx(&bytes, name(), 3).unwrap();
        assert_eq!(read_idx(&gz, 3).unwrap(), expected);
        assert_eq!(read_idx(&raw, 3).unwrap(), expected);
    }

    #[test]
    fn corrupt_gzip_is_gzip_error() {
        let dir = TempDir::new();
        let path = dir.0.join("broken.gz");
        let mut gz = gzip(&idx_bytes(&[4], &[1, 2, 3, 4]));
        gz.truncate(gz.len() - 6);
        std::fs::write(&path, gz).unwrap();
        let err = read_idx(&path, 1).unwrap_err();
        assert!(matches!(err, DataError::Gzip { .. }), "{err:?}");
        assert!(err.to_string().contains("broken.gz"));
    }

    #[test]
    fn truncated_payload() {
        let err = parse_err(&idx_bytes(&[2, 3], &[0; 5]), 2);
        assert!(
            matches!(
                err,
                DataError::Truncated {
                    expected: 18,
                    found: 17,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn truncated_header() {
        let err = parse_err(&[0, 0, 8], 1);
        assert!(
            matches!(
                err,
                DataError::Truncated {
                    expected: 4,
                    found: 3,
                    ..
                }
            ),
            "{err:?}"
        );
        let mut b = idx_bytes(&[2, 3, 4], &[]);
        b.truncate(10);
        let err = parse_err(&b, 3);
        assert!(
            matches!(
                err,
                DataError::Truncated {
                    expected: 16,
                    found: 10,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn wrong_magic() {
        let mut b = idx_bytes(&[1], &[0]);
        b[1] = 1;
        let err = parse_err(&b, 1);
        assert!(
            matches!(
                err,
                DataError::BadMagic {
                    found: 0x0001_0801,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn wrong_type_code() {
        let mut b = idx_bytes(&[1], &[0]);
        b[2] = 0x0d;
        let err = parse_err(&b, 1);
        assert!(
            matches!(err, DataError::BadTypeCode { found: 0x0d, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn wrong_rank() {
        let err = parse_err(&idx_bytes(&[2, 2], &[0; 4]), 3);
        assert!(
            matches!(
                err,
                DataError::BadRank {
                    expected: 3,
                    found: 2,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn zero_dimension() {
        let err = parse_err(&idx_bytes(&[5, 0, 28], &[]), 3);
        assert!(matches!(err, DataError::BadDimensions { .. }), "{err:?}");
    }

    #[test]
    fn overflowing_dimensions() {
        let err = parse_err(&idx_bytes(&[u32::MAX; 3], &[]), 3);
        assert!(matches!(err, DataError::BadDimensions { .. }), "{err:?}");
    }

    #[test]
    fn trailing_bytes() {
        let err = parse_err(&idx_bytes(&[2], &[1, 2, 3]), 1);
        assert!(
            matches!(err, DataError::TrailingBytes { extra: 1, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn missing_file() {
        let dir = TempDir::new();
        let path = dir.0.join("does-not-exist-idx1-ubyte");
        let err = read_idx(&path, 1).unwrap_err();
        assert!(
            matches!(&err, DataError::NotFound { path: p } if *p == path),
            "{err:?}"
        );
        assert!(err.to_string().contains("does-not-exist-idx1-ubyte"));
    }
}
