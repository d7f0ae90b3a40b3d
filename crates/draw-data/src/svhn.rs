//! SVHN cropped digits (`train_32x32.mat`, `test_32x32.mat`, `extra_32x32.mat`): MATLAB 5
//! files holding `X`, `uint8` of 32 × 32 × 3 × n in column-major order (row, column, channel,
//! image), and `y`, n labels 1 to 10 (10 meaning the digit 0).

use std::path::{Path, PathBuf};

use crate::dataset::Dataset;
use crate::error::{DataError, Result};
use crate::idx::read_file;
use crate::mat::{parse_mat, MatVar, MX_UINT8};
use crate::mnist::Split;

fn bad(path: &Path, detail: String) -> DataError {
    DataError::BadMat {
        path: path.to_path_buf(),
        offset: 0,
        detail,
    }
}

fn take(vars: &mut Vec<MatVar>, name: &str, path: &Path) -> Result<MatVar> {
    let i = vars.iter().position(|v| v.name == name).ok_or_else(|| {
        bad(
            path,
            format!("no numeric variable `{name}` (SVHN files hold X and y)"),
        )
    })?;
    Ok(vars.swap_remove(i))
}

/// Parses an SVHN `.mat` file's bytes (`path` labels errors): RGB images in `[0, 1]`,
/// channel-major, and labels 0..=9.
pub fn parse_svhn(bytes: &[u8], path: &Path) -> Result<Dataset> {
    let mut vars = parse_mat(bytes, path)?;
    let x = take(&mut vars, "X", path)?;
    let y = take(&mut vars, "y", path)?;
    let &[h, w, c, n] = x.dims.as_slice() else {
        return Err(bad(
            path,
            format!("`X` has dimensions {:?}, expected [H, W, 3, n]", x.dims),
        ));
    };
    if c != 3 || h == 0 || w == 0 || n == 0 {
        return Err(bad(
            path,
            format!("`X` has dimensions {:?}, expected [H, W, 3, n ≥ 1]", x.dims),
        ));
    }
    if y.len() != n || y.dims.iter().filter(|&&d| d != 1).count() > 1 {
        return Err(bad(
            path,
            format!("`y` has dimensions {:?}, expected [{n}, 1]", y.dims),
        ));
    }
    let mut labels = Vec::with_capacity(n);
    for (record, v) in y.to_f64().into_iter().enumerate() {
        if !(1.0..=10.0).contains(&v) || v.fract() != 0.0 {
            return Err(bad(
                path,
                format!("`y` of image {record} is {v}, expected 1 to 10"),
            ));
        }
        labels.push((v as u8) % 10);
    }
    let class = x.class;
    let raw = x
        .into_u8()
        .filter(|_| class == MX_UINT8)
        .ok_or_else(|| bad(path, format!("`X` is not a uint8 array (class {class})")))?;
    let plane = h * w;
    let mut images = vec![0f32; raw.len()];
    for (i, img) in raw.chunks_exact(3 * plane).enumerate() {
        let out = &mut images[i * 3 * plane..(i + 1) * 3 * plane];
        for ch in 0..3 {
            for col in 0..w {
                for row in 0..h {
                    let v = img[ch * plane + col * h + row];
                    out[ch * plane + row * w + col] = f32::from(v) / 255.0;
                }
            }
        }
    }
    Ok(Dataset {
        images,
        labels,
        len: n,
        channels: 3,
        height: h,
        width: w,
    })
}

/// The file of a split in `dir`: `train_32x32.mat` or `test_32x32.mat`.
pub fn svhn_file(dir: &Path, split: Split) -> PathBuf {
    dir.join(match split {
        Split::Train => "train_32x32.mat",
        Split::Test => "test_32x32.mat",
    })
}

/// Loads an SVHN split from `dir` ([`svhn_file`]); a missing file is
/// [`DataError::DatasetMissing`] with the remedy.
pub fn load_svhn(dir: &Path, split: Split) -> Result<Dataset> {
    let path = svhn_file(dir, split);
    if !path.is_file() {
        return Err(DataError::DatasetMissing {
            path,
            remedy: "draw data download svhn".into(),
        });
    }
    parse_svhn(&read_file(&path)?, &path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mat::tests::MatWriter;

    /// Two 2 × 3 RGB images in SVHN's column-major layout, value = 100·ch + 10·row + col + i.
    fn two_images() -> Vec<u8> {
        let mut x = vec![0u8; 2 * 3 * 2 * 3];
        for i in 0..2 {
            for ch in 0..3 {
                for col in 0..3 {
                    for row in 0..2 {
                        x[i * 18 + ch * 6 + col * 2 + row] = (50 * ch + 10 * row + col + i) as u8;
                    }
                }
            }
        }
        x
    }

    #[test]
    fn transposes_to_channel_major_rows_and_maps_label_10_to_0() {
        for compress in [false, true] {
            let mut w = MatWriter::new(compress);
            w.u8("X", &[2, 3, 3, 2], &two_images());
            w.double_as_u8("y", &[2, 1], &[10, 7]);
            let d = parse_svhn(&w.bytes, Path::new("t.mat")).unwrap();
            assert_eq!((d.len, d.channels, d.height, d.width), (2, 3, 2, 3));
            assert_eq!(d.labels, [0, 7]);
            for i in 0..2 {
                for ch in 0..3 {
                    for row in 0..2 {
                        for col in 0..3 {
                            let want = (50 * ch + 10 * row + col + i) as f32 / 255.0;
                            assert_eq!(d.image(i)[ch * 6 + row * 3 + col], want);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn wrong_shapes_and_labels_name_the_fault() {
        let p = Path::new("svhn/test_32x32.mat");
        type Build = Box<dyn Fn(&mut MatWriter)>;
        let cases: Vec<(Build, &str)> = vec![
            (Box::new(|w| w.u8("X", &[2, 3, 3, 2], &two_images())), "`y`"),
            (
                Box::new(|w| {
                    w.u8("X", &[2, 3, 3, 2], &two_images());
                    w.double("y", &[2, 1], &[11.0, 1.0]);
                }),
                "expected 1 to 10",
            ),
            (
                Box::new(|w| {
                    w.u8("X", &[2, 9, 1, 2], &two_images());
                    w.double("y", &[2, 1], &[1.0, 1.0]);
                }),
                "expected [H, W, 3",
            ),
            (
                Box::new(|w| {
                    w.u8("X", &[2, 3, 3, 2], &two_images());
                    w.double("y", &[3, 1], &[1.0, 1.0, 2.0]);
                }),
                "expected [2, 1]",
            ),
        ];
        for (build, needle) in cases {
            let mut w = MatWriter::new(true);
            build(&mut w);
            let msg = parse_svhn(&w.bytes, p).unwrap_err().to_string();
            assert!(
                msg.contains("svhn/test_32x32.mat") && msg.contains(needle),
                "{msg}"
            );
        }
        let msg = load_svhn(Path::new("/nonexistent"), Split::Train)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("train_32x32.mat") && msg.contains("draw data download svhn"),
            "{msg}"
        );
    }
}
