//! A strict reader of the subset of MATLAB level-5 MAT-files that SVHN's `*_32x32.mat` use:
//! the 128-byte header (little-endian only), top-level `miMATRIX` elements, raw or inside
//! `miCOMPRESSED` (zlib) elements, holding real numeric arrays (no complex, sparse, cell, struct
//! or char arrays: those are skipped by name, and an error if asked for).
//!
//! Why not a crate: the maintained MAT-file crates either read only v7.3 (HDF5) files, need a
//! C library, or load every variable into `f64`; SVHN's `X` is 225 MB of `uint8` (1.6 GB for
//! `extra`), which this reader keeps as bytes. Every length is checked against the bytes
//! present before anything is allocated; an inflated element stops at the size its own tag
//! declares. Errors name the file, the byte offset and the fault.

use std::io::Read;
use std::path::Path;

use crate::error::{DataError, Result};

/// Element type codes (MAT-file format, table 1-1).
const MI_INT8: u32 = 1;
const MI_UINT8: u32 = 2;
const MI_INT16: u32 = 3;
const MI_UINT16: u32 = 4;
const MI_INT32: u32 = 5;
const MI_UINT32: u32 = 6;
const MI_SINGLE: u32 = 7;
const MI_DOUBLE: u32 = 9;
const MI_INT64: u32 = 12;
const MI_UINT64: u32 = 13;
const MI_MATRIX: u32 = 14;
const MI_COMPRESSED: u32 = 15;

/// Array class `mxUINT8_CLASS`.
pub(crate) const MX_UINT8: u8 = 9;
/// Numeric array classes (`mxDOUBLE_CLASS` 6 to `mxUINT64_CLASS` 15).
const MX_NUMERIC: std::ops::RangeInclusive<u8> = 6..=15;
/// The largest element this reader inflates (SVHN's `extra` X is 1.6 GB).
const MAX_ELEMENT: usize = 1 << 32;

/// One numeric variable of a MAT-file.
#[derive(Debug, Clone, PartialEq)]
pub struct MatVar {
    /// Its name.
    pub name: String,
    /// Its array class (`mxUINT8_CLASS` = 9, `mxDOUBLE_CLASS` = 6, …).
    pub class: u8,
    /// Its dimensions (column-major, at least two).
    pub dims: Vec<usize>,
    /// The element type its values are stored as (MATLAB stores a double array of small
    /// integers as `miUINT8`, for example).
    elem: u32,
    /// The values' bytes, little-endian.
    bytes: Vec<u8>,
}

impl MatVar {
    /// Number of values (the product of the dimensions).
    pub fn len(&self) -> usize {
        self.bytes.len() / elem_size(self.elem).unwrap_or(1)
    }

    /// Whether it holds no values.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The values as bytes, when stored as `miUINT8` (no copy); `None` otherwise.
    pub fn into_u8(self) -> Option<Vec<u8>> {
        (self.elem == MI_UINT8).then_some(self.bytes)
    }

    /// The values as `f64`, whatever numeric type they are stored as.
    pub fn to_f64(&self) -> Vec<f64> {
        let size = elem_size(self.elem).unwrap_or(1);
        self.bytes
            .chunks_exact(size)
            .map(|c| decode(self.elem, c))
            .collect()
    }
}

fn elem_size(elem: u32) -> Option<usize> {
    match elem {
        MI_INT8 | MI_UINT8 => Some(1),
        MI_INT16 | MI_UINT16 => Some(2),
        MI_INT32 | MI_UINT32 | MI_SINGLE => Some(4),
        MI_DOUBLE | MI_INT64 | MI_UINT64 => Some(8),
        _ => None,
    }
}

fn decode(elem: u32, c: &[u8]) -> f64 {
    let a = |n: usize| -> [u8; 8] {
        let mut b = [0u8; 8];
        b[..n].copy_from_slice(&c[..n]);
        b
    };
    match elem {
        MI_INT8 => f64::from(c[0] as i8),
        MI_UINT8 => f64::from(c[0]),
        MI_INT16 => f64::from(i16::from_le_bytes([c[0], c[1]])),
        MI_UINT16 => f64::from(u16::from_le_bytes([c[0], c[1]])),
        MI_INT32 => f64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        MI_UINT32 => f64::from(u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        MI_SINGLE => f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        MI_DOUBLE => f64::from_le_bytes(a(8)),
        MI_INT64 => i64::from_le_bytes(a(8)) as f64,
        _ => u64::from_le_bytes(a(8)) as f64,
    }
}

/// A cursor over one buffer, with errors naming the file and the absolute offset.
struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Offset of `buf[0]` in the file (0 for the file, the element's for inflated data).
    base: usize,
    path: &'a Path,
}

/// One element: its type and its data.
struct Element<'a> {
    kind: u32,
    data: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn fault(&self, at: usize, detail: impl Into<String>) -> DataError {
        DataError::BadMat {
            path: self.path.to_path_buf(),
            offset: self.base + at,
            detail: detail.into(),
        }
    }

    fn u32_at(&self, at: usize) -> Result<u32> {
        let b = self
            .buf
            .get(at..at + 4)
            .ok_or_else(|| self.fault(at, "truncated: element tag cut short"))?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// The next element (small or normal format); `pad` skips normal elements' padding to 8.
    fn next(&mut self, pad: bool) -> Result<Element<'a>> {
        let at = self.pos;
        let first = self.u32_at(at)?;
        if first >> 16 != 0 {
            // Small data element: type and size share the first word, data in the second.
            let (kind, n) = (first & 0xffff, (first >> 16) as usize);
            if n > 4 {
                return Err(self.fault(at, format!("small element claims {n} bytes (max 4)")));
            }
            let data = self
                .buf
                .get(at + 4..at + 4 + n)
                .ok_or_else(|| self.fault(at, "truncated: small element cut short"))?;
            self.pos = at + 8;
            return Ok(Element { kind, data, at });
        }
        let n = self.u32_at(at + 4)? as usize;
        let start = at + 8;
        let rest = self.buf.len().saturating_sub(start);
        if n > rest {
            return Err(self.fault(
                at,
                format!("truncated: element of {n} bytes, {rest} bytes left"),
            ));
        }
        self.pos = if pad && first != MI_COMPRESSED {
            (start + n).div_ceil(8) * 8
        } else {
            start + n
        };
        Ok(Element {
            kind: first,
            data: &self.buf[start..start + n],
            at,
        })
    }

    fn done(&self) -> bool {
        self.pos >= self.buf.len()
    }
}

/// Checks the 128-byte header: text starting `MATLAB 5.0 MAT-file`, version 0x0100, and the
/// little-endian indicator `IM`.
fn check_header(bytes: &[u8], path: &Path) -> Result<()> {
    let bad = |offset, detail: &str| DataError::BadMat {
        path: path.to_path_buf(),
        offset,
        detail: detail.into(),
    };
    if bytes.len() < 128 {
        return Err(bad(
            0,
            "truncated: shorter than the 128-byte MAT-file header",
        ));
    }
    if !bytes.starts_with(b"MATLAB 5.0 MAT-file") {
        return Err(bad(
            0,
            "not a MATLAB 5 MAT-file (no `MATLAB 5.0 MAT-file` header text; v7.3 HDF5 files \
             are not supported)",
        ));
    }
    match &bytes[126..128] {
        b"IM" => {}
        b"MI" => return Err(bad(126, "big-endian MAT-files are not supported")),
        _ => return Err(bad(126, "bad endian indicator (expected `IM`)")),
    }
    if bytes[124..126] != [0x00, 0x01] {
        return Err(bad(124, "unsupported MAT-file version (expected 0x0100)"));
    }
    Ok(())
}

/// Inflates a `miCOMPRESSED` element's zlib stream: the inner tag first, then exactly the
/// bytes it declares (never more), so a stream that inflates further is refused.
fn inflate(c: &Cursor, e: &Element) -> Result<Vec<u8>> {
    let fault = |d: String| c.fault(e.at, d);
    let mut z = flate2::read::ZlibDecoder::new(e.data);
    let mut tag = [0u8; 8];
    z.read_exact(&mut tag)
        .map_err(|err| fault(format!("compressed element does not inflate: {err}")))?;
    let first = u32::from_le_bytes([tag[0], tag[1], tag[2], tag[3]]);
    let n = u32::from_le_bytes([tag[4], tag[5], tag[6], tag[7]]) as usize;
    if first != MI_MATRIX {
        return Err(fault(format!(
            "compressed element holds type {first}, expected miMATRIX (14)"
        )));
    }
    if n > MAX_ELEMENT {
        return Err(fault(format!("compressed matrix claims {n} bytes")));
    }
    let mut out = tag.to_vec();
    let got = (&mut z)
        .take(n as u64)
        .read_to_end(&mut out)
        .map_err(|err| fault(format!("compressed element does not inflate: {err}")))?;
    if got < n {
        return Err(fault(format!(
            "truncated: compressed matrix declares {n} bytes, inflates to {got}"
        )));
    }
    let mut more = [0u8; 1];
    if matches!(z.read(&mut more), Ok(1)) {
        return Err(fault(format!(
            "compressed element inflates past the {n} bytes its matrix declares"
        )));
    }
    Ok(out)
}

/// The numeric variable in a `miMATRIX` element's data, or `None` for another class.
fn parse_matrix(c: &Cursor, e: &Element) -> Result<Option<MatVar>> {
    let mut sub = Cursor {
        buf: e.data,
        pos: 0,
        base: c.base + e.at + 8,
        path: c.path,
    };
    let flags = sub.next(true)?;
    if flags.kind != MI_UINT32 || flags.data.len() != 8 {
        return Err(sub.fault(flags.at, "array flags: expected 8 bytes of miUINT32"));
    }
    let word = u32::from_le_bytes([flags.data[0], flags.data[1], flags.data[2], flags.data[3]]);
    let class = (word & 0xff) as u8;
    let dims_el = sub.next(true)?;
    if dims_el.kind != MI_INT32 || dims_el.data.len() < 8 || dims_el.data.len() % 4 != 0 {
        return Err(sub.fault(dims_el.at, "dimensions: expected at least two miINT32"));
    }
    let mut dims = Vec::new();
    for d in dims_el.data.chunks_exact(4) {
        let d = i32::from_le_bytes([d[0], d[1], d[2], d[3]]);
        let d = usize::try_from(d).map_err(|_| sub.fault(dims_el.at, "negative dimension"))?;
        dims.push(d);
    }
    let name_el = sub.next(true)?;
    if name_el.kind != MI_INT8 && name_el.kind != MI_UINT8 {
        return Err(sub.fault(name_el.at, "array name: expected miINT8 text"));
    }
    let name = String::from_utf8_lossy(name_el.data).into_owned();
    if !MX_NUMERIC.contains(&class) {
        return Ok(None);
    }
    if word & 0x800 != 0 {
        return Err(sub.fault(flags.at, format!("`{name}` is complex (unsupported)")));
    }
    let real = sub.next(true)?;
    let size = elem_size(real.kind).ok_or_else(|| {
        sub.fault(
            real.at,
            format!("`{name}`: unsupported element type {}", real.kind),
        )
    })?;
    let count = dims
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|&n| n.checked_mul(size) == Some(real.data.len()));
    if count.is_none() {
        return Err(sub.fault(
            real.at,
            format!(
                "`{name}`: dimensions {dims:?} do not match {} bytes of type {}",
                real.data.len(),
                real.kind
            ),
        ));
    }
    Ok(Some(MatVar {
        name,
        class,
        dims,
        elem: real.kind,
        bytes: real.data.to_vec(),
    }))
}

/// Every numeric variable of the MAT-file in `bytes` (`path` labels errors), in file order.
/// Variables of other classes are skipped.
pub fn parse_mat(bytes: &[u8], path: &Path) -> Result<Vec<MatVar>> {
    check_header(bytes, path)?;
    let mut c = Cursor {
        buf: bytes,
        pos: 128,
        base: 0,
        path,
    };
    let mut vars = Vec::new();
    while !c.done() {
        let e = c.next(true)?;
        let var = match e.kind {
            MI_MATRIX => parse_matrix(&c, &e)?,
            MI_COMPRESSED => {
                let inflated = inflate(&c, &e)?;
                let inner = Cursor {
                    buf: &inflated,
                    pos: 0,
                    base: 0,
                    path,
                };
                let m = Element {
                    kind: MI_MATRIX,
                    data: &inflated[8..],
                    at: 0,
                };
                parse_matrix(&inner, &m).map_err(|err| match err {
                    DataError::BadMat { detail, .. } => DataError::BadMat {
                        path: path.to_path_buf(),
                        offset: e.at,
                        detail: format!("in the compressed element: {detail}"),
                    },
                    other => other,
                })?
            }
            k => return Err(c.fault(e.at, format!("unexpected top-level element type {k}"))),
        };
        vars.extend(var);
    }
    Ok(vars)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;

    /// A level-5 MAT-file writer for tests, writing what MATLAB writes: the header, then one
    /// element per variable (optionally zlib-compressed), names in the small format when they
    /// fit in 4 bytes.
    pub(crate) struct MatWriter {
        pub(crate) bytes: Vec<u8>,
        compress: bool,
    }

    fn element(kind: u32, data: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        if data.len() <= 4 && kind != MI_MATRIX {
            b.extend(((data.len() as u32) << 16 | kind).to_le_bytes());
            b.extend(data);
            b.resize(8, 0);
            return b;
        }
        b.extend(kind.to_le_bytes());
        b.extend((data.len() as u32).to_le_bytes());
        b.extend(data);
        b.resize(b.len().div_ceil(8) * 8, 0);
        b
    }

    impl MatWriter {
        pub(crate) fn new(compress: bool) -> Self {
            let mut bytes = b"MATLAB 5.0 MAT-file, Platform: GLNXA64, Created on: test".to_vec();
            bytes.resize(116, b' ');
            bytes.extend([0u8; 8]);
            bytes.extend([0x00, 0x01]);
            bytes.extend(b"IM");
            MatWriter { bytes, compress }
        }

        /// Adds a variable of `class` with `dims`, values stored as element type `elem`.
        pub(crate) fn var(
            &mut self,
            name: &str,
            class: u8,
            dims: &[usize],
            elem: u32,
            data: &[u8],
        ) {
            let mut m = element(
                MI_UINT32,
                &[u32::from(class).to_le_bytes(), [0; 4]].concat(),
            );
            let d: Vec<u8> = dims
                .iter()
                .flat_map(|&d| (d as i32).to_le_bytes())
                .collect();
            m.extend(element(MI_INT32, &d));
            m.extend(element(MI_INT8, name.as_bytes()));
            m.extend(element(elem, data));
            let matrix = element(MI_MATRIX, &m);
            if self.compress {
                let mut z = flate2::write::ZlibEncoder::new(Vec::new(), Default::default());
                z.write_all(&matrix).unwrap();
                let z = z.finish().unwrap();
                self.bytes.extend(MI_COMPRESSED.to_le_bytes());
                self.bytes.extend((z.len() as u32).to_le_bytes());
                self.bytes.extend(z);
            } else {
                self.bytes.extend(matrix);
            }
        }

        /// A `uint8` array stored as `miUINT8`.
        pub(crate) fn u8(&mut self, name: &str, dims: &[usize], data: &[u8]) {
            self.var(name, MX_UINT8, dims, MI_UINT8, data);
        }

        /// A `double` array of small integers, stored as `miUINT8` as MATLAB does.
        pub(crate) fn double_as_u8(&mut self, name: &str, dims: &[usize], data: &[u8]) {
            self.var(name, 6, dims, MI_UINT8, data);
        }

        /// A `double` array stored as `miDOUBLE`.
        pub(crate) fn double(&mut self, name: &str, dims: &[usize], data: &[f64]) {
            let b: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
            self.var(name, 6, dims, MI_DOUBLE, &b);
        }
    }

    #[test]
    fn reads_raw_and_compressed_variables() {
        for compress in [false, true] {
            let mut w = MatWriter::new(compress);
            w.u8("X", &[2, 3], &[1, 2, 3, 4, 5, 6]);
            w.double_as_u8("y", &[3, 1], &[10, 1, 2]);
            w.double("long_name", &[1, 2], &[0.5, -2.0]);
            // A char array: skipped.
            w.var("c", 4, &[1, 2], MI_UINT16, &[65, 0, 66, 0]);
            let vars = parse_mat(&w.bytes, Path::new("t.mat")).unwrap();
            let names: Vec<_> = vars.iter().map(|v| v.name.as_str()).collect();
            assert_eq!(names, ["X", "y", "long_name"], "compress {compress}");
            assert_eq!((vars[0].class, &vars[0].dims[..]), (MX_UINT8, &[2, 3][..]));
            assert_eq!(vars[1].to_f64(), [10.0, 1.0, 2.0]);
            assert_eq!(vars[2].to_f64(), [0.5, -2.0]);
            assert_eq!(vars[0].clone().into_u8().unwrap(), [1, 2, 3, 4, 5, 6]);
            assert!(vars[1].clone().into_u8().is_some() && vars[2].clone().into_u8().is_none());
        }
    }

    #[test]
    fn faults_name_file_offset_and_cause() {
        let p = Path::new("svhn/train_32x32.mat");
        let mut w = MatWriter::new(false);
        w.u8("X", &[2, 3], &[1, 2, 3, 4, 5, 6]);
        let good = w.bytes.clone();
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (good[..100].to_vec(), "128-byte"),
            (b"HDF5".repeat(40), "MATLAB 5"),
            ([&good[..126], b"MI", &good[128..]].concat(), "big-endian"),
            (good[..good.len() - 9].to_vec(), "truncated"),
            (
                [&good[..], &[7, 0, 0, 0, 0, 0, 0, 0]].concat(),
                "top-level element type 7",
            ),
        ];
        for (bytes, needle) in cases {
            let msg = parse_mat(&bytes, p).unwrap_err().to_string();
            assert!(
                msg.contains("svhn/train_32x32.mat") && msg.contains(needle),
                "{msg}"
            );
        }
        // Dimensions that disagree with the data.
        let mut w = MatWriter::new(true);
        w.u8("X", &[2, 4], &[1, 2, 3, 4, 5, 6]);
        let msg = parse_mat(&w.bytes, p).unwrap_err().to_string();
        assert!(
            msg.contains("do not match") && msg.contains("offset 128"),
            "{msg}"
        );
    }
}
