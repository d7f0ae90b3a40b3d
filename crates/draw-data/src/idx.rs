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

/// The header of an IDX buffer: its dimensions, the header's length and the total file length
/// it implies.
struct Header {
    dims: Vec<usize>,
    len: usize,
    total: usize,
}

/// Checks and reads the header at the start of `bytes` (see [`parse_idx`]); `found` is the
/// length reported when the header itself is cut short.
fn parse_header(bytes: &[u8], name: &Path, expected_rank: u8, found: usize) -> Result<Header> {
    let path = || name.to_path_buf();
    let truncated = |expected| DataError::Truncated {
        path: path(),
        expected,
        found,
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
    let len = header_len(rank);
    let header = bytes.get(4..len).ok_or_else(|| truncated(len))?;
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
        .and_then(|count| count.checked_add(len))
        .ok_or_else(|| bad_dims(format!("size of {dims:?} overflows usize")))?;
    Ok(Header { dims, len, total })
}

/// Bytes in the header of an IDX file of `rank`: the magic, then one `u32` per dimension.
fn header_len(rank: u8) -> usize {
    4 + 4 * usize::from(rank)
}

/// Parses an IDX byte buffer (already decompressed); `name` labels errors.
///
/// Checks the header is complete, the magic's first two bytes are zero, the type code is 0x08,
/// the rank equals `expected_rank`, every dimension is non-zero, their product does not overflow
/// and equals the payload length exactly (short: [`DataError::Truncated`], long:
/// [`DataError::TrailingBytes`]). Nothing is allocated before the sizes agree.
pub fn parse_idx(bytes: &[u8], name: &Path, expected_rank: u8) -> Result<IdxArray> {
    let header = parse_header(bytes, name, expected_rank, bytes.len())?;
    check_len(bytes.len(), &header, name)?;
    Ok(IdxArray {
        data: bytes[header.len..].to_vec(),
        dims: header.dims,
    })
}

/// [`parse_idx`] on an owned buffer, reusing it for the elements instead of copying them.
fn parse_idx_owned(mut bytes: Vec<u8>, name: &Path, expected_rank: u8) -> Result<IdxArray> {
    let header = parse_header(&bytes, name, expected_rank, bytes.len())?;
    check_len(bytes.len(), &header, name)?;
    bytes.drain(..header.len);
    Ok(IdxArray {
        dims: header.dims,
        data: bytes,
    })
}

/// A buffer of `found` bytes must be exactly the `header.total` its header implies.
fn check_len(found: usize, header: &Header, name: &Path) -> Result<()> {
    match found.cmp(&header.total) {
        std::cmp::Ordering::Less => Err(DataError::Truncated {
            path: name.to_path_buf(),
            expected: header.total,
            found,
        }),
        std::cmp::Ordering::Greater => Err(DataError::TrailingBytes {
            path: name.to_path_buf(),
            extra: found - header.total,
        }),
        std::cmp::Ordering::Equal => Ok(()),
    }
}

/// The most bytes DEFLATE can inflate one input byte to: a 258-byte match costs at least two
/// bits (one-bit length and distance codes), so 258 × 8 / 2. Gzip framing only lowers it.
pub(crate) const MAX_INFLATE_RATIO: usize = 1032;

/// Whether `bytes` start with the gzip magic `1f 8b`.
fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Reads a whole file; a missing file is [`DataError::NotFound`], other failures
/// [`DataError::Io`].
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => DataError::NotFound {
            path: path.to_path_buf(),
        },
        _ => DataError::Io {
            path: path.to_path_buf(),
            source,
        },
    })
}

/// Appends what `reader` yields to `out`, refusing with [`DataError::TooLarge`] to let `out`
/// exceed `limit` bytes (`why` says where the limit comes from); read errors are
/// [`DataError::Gzip`].
///
/// At most `limit + 1` bytes are ever read, and `out` grows only as bytes arrive (doubling,
/// from 64 KiB, never past `limit + 1`), so neither a hostile header nor a gzip bomb can make
/// it allocate more than the limit or more than twice what the input really holds.
pub(crate) fn read_capped(
    mut reader: impl Read,
    out: &mut Vec<u8>,
    limit: usize,
    path: &Path,
    why: &'static str,
) -> Result<()> {
    let hard = limit.saturating_add(1);
    let mut filled = out.len();
    loop {
        if filled == out.len() {
            if filled >= hard {
                break;
            }
            let target = filled.saturating_add(filled.max(1 << 16)).min(hard);
            out.reserve_exact(target - filled);
            out.resize(target, 0);
        }
        match reader.read(&mut out[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(source) => {
                return Err(DataError::Gzip {
                    path: path.to_path_buf(),
                    source,
                })
            }
        }
    }
    out.truncate(filled);
    if filled > limit {
        return Err(DataError::TooLarge {
            path: path.to_path_buf(),
            limit,
            why,
        });
    }
    Ok(())
}

/// Reads a whole file, gunzipping it when it starts with the gzip magic `1f 8b`.
///
/// Detection is by content, not extension, so raw and `.gz` files both work under any name
/// (an IDX file starts with `00 00` and a CIFAR-10 record with a label 0..=9, never `1f`).
/// The decompressed size is bounded only by DEFLATE's ratio (1032 × the file's size); readers
/// of a known format should cap it (as [`read_idx`] does from the header).
pub fn read_maybe_gzip(path: &Path) -> Result<Vec<u8>> {
    read_maybe_gzip_capped(path, usize::MAX, "")
}

/// [`read_maybe_gzip`], refusing with [`DataError::TooLarge`] a file larger than `limit`
/// bytes, raw or once inflated (decompression stops one byte past the limit).
pub(crate) fn read_maybe_gzip_capped(
    path: &Path,
    limit: usize,
    why: &'static str,
) -> Result<Vec<u8>> {
    let raw = read_file(path)?;
    let too_large = || DataError::TooLarge {
        path: path.to_path_buf(),
        limit,
        why,
    };
    if !is_gzip(&raw) {
        return if raw.len() > limit {
            Err(too_large())
        } else {
            Ok(raw)
        };
    }
    let mut out = Vec::new();
    read_capped(
        MultiGzDecoder::new(raw.as_slice()),
        &mut out,
        limit,
        path,
        why,
    )?;
    Ok(out)
}

/// Reads an IDX stream (already decompressed) whose source file is `file_len` bytes long:
/// the header first, then at most the payload it implies plus one byte, so a stream longer
/// than its header says is refused ([`DataError::TooLarge`]) without being read to the end,
/// and one shorter is [`DataError::Truncated`].
///
/// A header implying more than `file_len × 1032` bytes (DEFLATE's largest ratio) cannot be
/// satisfied and is refused before reading on; otherwise memory grows only as real bytes
/// arrive, never from the header's claim.
pub(crate) fn read_idx_stream(
    mut reader: impl Read,
    file_len: usize,
    name: &Path,
    expected_rank: u8,
) -> Result<IdxArray> {
    let gzip_err = |source| DataError::Gzip {
        path: name.to_path_buf(),
        source,
    };
    let mut bytes = Vec::new();
    (&mut reader)
        .take(4)
        .read_to_end(&mut bytes)
        .map_err(gzip_err)?;
    if let Some(&rank) = bytes.get(3) {
        (&mut reader)
            .take(header_len(rank) as u64 - 4)
            .read_to_end(&mut bytes)
            .map_err(gzip_err)?;
    }
    let header = parse_header(&bytes, name, expected_rank, bytes.len())?;
    let most = file_len.saturating_mul(MAX_INFLATE_RATIO);
    if header.total > most {
        return Err(DataError::BadDimensions {
            path: name.to_path_buf(),
            detail: format!(
                "{:?} needs {} bytes, more than a {file_len}-byte gzip file can inflate to",
                header.dims, header.total
            ),
        });
    }
    read_capped(
        reader,
        &mut bytes,
        header.total,
        name,
        "its IDX header implies",
    )?;
    parse_idx_owned(bytes, name, expected_rank)
}

/// Reads an IDX file, raw or gzipped (see [`read_maybe_gzip`]), and parses it with [`parse_idx`].
///
/// A gzipped file is inflated only as far as its header implies, plus one byte to see there is
/// no more: a file that inflates further is [`DataError::TooLarge`], whatever its size.
pub fn read_idx(path: &Path, expected_rank: u8) -> Result<IdxArray> {
    let raw = read_file(path)?;
    if !is_gzip(&raw) {
        return parse_idx_owned(raw, path, expected_rank);
    }
    read_idx_stream(
        MultiGzDecoder::new(raw.as_slice()),
        raw.len(),
        path,
        expected_rank,
    )
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

    /// `err`'s text as `anyhow` prints it with `{:#}`: its Display, then each source's.
    pub(crate) fn with_chain(err: &dyn std::error::Error) -> String {
        let mut text = err.to_string();
        let mut source = err.source();
        while let Some(s) = source {
            text.push_str(&format!(": {s}"));
            source = s.source();
        }
        text
    }

    #[test]
    fn gzip_inflating_past_its_header_is_refused() {
        // A header for 10 images of 28 x 28 (7 856 bytes in all), then 100 MB of zeros: about
        // 100 KB gzipped. Before the fix all 100 MB were inflated before the size check.
        let dir = TempDir::new();
        let mut bytes = idx_bytes(&[10, 28, 28], &[]);
        bytes.resize(16 + 100_000_000, 0);
        let path = dir.0.join("bomb-idx3-ubyte.gz");
        std::fs::write(&path, gzip(&bytes)).unwrap();
        drop(bytes);
        let err = read_idx(&path, 3).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("bomb-idx3-ubyte.gz") && msg.contains("more than the 7856 bytes"),
            "{msg}"
        );
    }

    /// Header for 10 images of 28 x 28, then zeros for ever, counting what is read.
    struct Endless {
        header: Vec<u8>,
        read: usize,
    }

    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(1 << 20);
            for (i, b) in buf[..n].iter_mut().enumerate() {
                *b = self.header.get(self.read + i).copied().unwrap_or(0);
            }
            self.read += n;
            Ok(n)
        }
    }

    #[test]
    fn stream_longer_than_its_header_is_read_only_one_byte_past_it() {
        let implied = 16 + 10 * 28 * 28;
        let mut endless = Endless {
            header: idx_bytes(&[10, 28, 28], &[]),
            read: 0,
        };
        let err = read_idx_stream(&mut endless, 1 << 20, name(), 3).unwrap_err();
        assert!(
            matches!(err, DataError::TooLarge { limit, .. } if limit == implied),
            "{err:?}"
        );
        assert!(endless.read <= implied + 1, "read {} bytes", endless.read);
        // The same stream cut to exactly the header's size is accepted.
        let exact = idx_bytes(&[10, 28, 28], &[7; 7840]);
        let a = read_idx_stream(exact.as_slice(), 1 << 20, name(), 3).unwrap();
        assert_eq!((a.dims, a.data), (vec![10, 28, 28], vec![7; 7840]));
    }

    #[test]
    fn header_beyond_what_the_gzip_can_inflate_to_is_refused_before_reading() {
        let mut endless = Endless {
            header: idx_bytes(&[60_000, 28, 28], &[]),
            read: 0,
        };
        let err = read_idx_stream(&mut endless, 1000, name(), 3).unwrap_err();
        assert!(matches!(err, DataError::BadDimensions { .. }), "{err:?}");
        assert_eq!(endless.read, 16);
    }

    #[test]
    fn os_errors_print_their_text_once() {
        // Reading a directory fails with an OS error ("Is a directory" on Unix).
        let dir = TempDir::new();
        let err = read_idx(&dir.0, 1).unwrap_err();
        let text = with_chain(&err);
        assert_eq!(text.matches("os error").count(), 1, "{text}");
        assert!(text.contains(&dir.0.display().to_string()), "{text}");
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
