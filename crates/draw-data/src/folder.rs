//! A folder of PNG images as a data set: `DIR/train/*.png` and `DIR/test/*.png`, all of one
//! size, grey or colour (for example the paper's 54 × 54 SVHN patches, cropped by the user's
//! own tool from SVHN's full-number images, or any images of one's own).
//!
//! Each file is decoded with the `png` crate, expanded to 8 bits per sample (palette, 1–4-bit
//! grey and 16-bit files included); an alpha channel is dropped. Grey + colour in one folder,
//! or two sizes, is an error naming both files. Files are taken in name order and have no
//! labels (label 0).

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use crate::dataset::Dataset;
use crate::error::{DataError, Result};
use crate::mnist::Split;

/// A decoded image: `channels` planes of `height × width` intensities in [0, 1].
struct Decoded {
    channels: usize,
    height: usize,
    width: usize,
    pixels: Vec<f32>,
}

/// The sub-folder of `dir` holding `split`: `train` or `test`.
pub fn folder_of(dir: &Path, split: Split) -> PathBuf {
    dir.join(match split {
        Split::Train => "train",
        Split::Test => "test",
    })
}

/// The `.png` files of `split` in name order, or an error naming the folder when it is missing
/// or holds none.
fn png_files(dir: &Path, split: Split) -> Result<Vec<PathBuf>> {
    let folder = folder_of(dir, split);
    let entries = std::fs::read_dir(&folder).map_err(|_| DataError::DatasetMissing {
        path: folder.clone(),
        remedy: format!("mkdir -p {} && cp your-images/*.png {0}", folder.display()),
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("png")))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(DataError::BadSource {
            detail: format!("{}: no .png files", folder.display()),
        });
    }
    Ok(files)
}

/// Decodes one PNG file to channel-major intensities in [0, 1].
fn decode(path: &Path) -> Result<Decoded> {
    let bad = |detail: String| DataError::BadSource {
        detail: format!("{}: {detail}", path.display()),
    };
    let file = File::open(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut decoder = png::Decoder::new(BufReader::new(file));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder
        .read_info()
        .map_err(|e| bad(format!("not a readable PNG ({e})")))?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| bad("image too large".into()))?;
    let mut buf = vec![0; size];
    let frame = reader
        .next_frame(&mut buf)
        .map_err(|e| bad(format!("truncated or corrupt PNG ({e})")))?;
    let (samples, channels) = match frame.color_type {
        png::ColorType::Grayscale => (1, 1),
        png::ColorType::GrayscaleAlpha => (2, 1),
        png::ColorType::Rgb => (3, 3),
        png::ColorType::Rgba => (4, 3),
        png::ColorType::Indexed => return Err(bad("palette not expanded".into())),
    };
    let (width, height) = (frame.width as usize, frame.height as usize);
    let plane = width * height;
    let mut pixels = vec![0.0; channels * plane];
    let rows = buf[..frame.buffer_size()].chunks_exact(frame.line_size);
    for (y, row) in rows.enumerate() {
        for (x, px) in row.chunks_exact(samples).enumerate() {
            for (c, &v) in px[..channels].iter().enumerate() {
                pixels[c * plane + y * width + x] = f32::from(v) / 255.0;
            }
        }
    }
    Ok(Decoded {
        channels,
        height,
        width,
        pixels,
    })
}

/// The (channels, height, width) of the folder's images: those of the first training file.
pub fn folder_shape(dir: &Path) -> Result<(usize, usize, usize)> {
    let files = png_files(dir, Split::Train)?;
    let d = decode(&files[0])?;
    Ok((d.channels, d.height, d.width))
}

/// Loads every PNG of `split` (see the module's documentation).
pub fn load_image_folder(dir: &Path, split: Split) -> Result<Dataset> {
    let files = png_files(dir, split)?;
    let first = decode(&files[0])?;
    let shape = (first.channels, first.height, first.width);
    let mut images = first.pixels;
    images.reserve(files.len().saturating_sub(1) * images.len());
    for f in &files[1..] {
        let d = decode(f)?;
        if (d.channels, d.height, d.width) != shape {
            return Err(DataError::Mismatch {
                detail: format!(
                    "{} is {}x{}x{} (channels x height x width) but {} is {}x{}x{}; every image \
                     of a folder data set must have one size and colour type",
                    f.display(),
                    d.channels,
                    d.height,
                    d.width,
                    files[0].display(),
                    shape.0,
                    shape.1,
                    shape.2
                ),
            });
        }
        images.extend_from_slice(&d.pixels);
    }
    Ok(Dataset {
        images,
        labels: vec![0; files.len()],
        len: files.len(),
        channels: shape.0,
        height: shape.1,
        width: shape.2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes a PNG of `color` (Grayscale or Rgb, 8-bit) from its interleaved bytes.
    fn write_png(path: &Path, (w, h): (u32, u32), color: png::ColorType, data: &[u8]) {
        let file = File::create(path).unwrap();
        let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
        enc.set_color(color);
        enc.set_depth(png::BitDepth::Eight);
        enc.write_header().unwrap().write_image_data(data).unwrap();
    }

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("draw-folder-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("train")).unwrap();
        std::fs::create_dir_all(d.join("test")).unwrap();
        d
    }

    #[test]
    fn colour_images_load_channel_major_in_name_order() {
        let d = tmp("rgb");
        // 2 x 1 pixels: (255, 0, 51) then (0, 255, 102).
        write_png(
            &d.join("train/b.png"),
            (2, 1),
            png::ColorType::Rgb,
            &[255, 0, 51, 0, 255, 102],
        );
        write_png(&d.join("train/a.png"), (2, 1), png::ColorType::Rgb, &[0; 6]);
        std::fs::write(d.join("train/notes.txt"), "not an image").unwrap();
        assert_eq!(folder_shape(&d).unwrap(), (3, 1, 2));
        let set = load_image_folder(&d, Split::Train).unwrap();
        assert_eq!((set.len, set.channels, set.height, set.width), (2, 3, 1, 2));
        assert_eq!(set.image(0), [0.0; 6]);
        assert_eq!(set.image(1), [1.0, 0.0, 0.0, 1.0, 0.2, 0.4]);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn grey_images_load_as_one_channel() {
        let d = tmp("grey");
        write_png(
            &d.join("test/x.png"),
            (1, 2),
            png::ColorType::Grayscale,
            &[0, 255],
        );
        let set = load_image_folder(&d, Split::Test).unwrap();
        assert_eq!((set.channels, set.height, set.width), (1, 2, 1));
        assert_eq!(set.images, [0.0, 1.0]);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn bad_folders_are_named() {
        let d = tmp("bad");
        let msg = load_image_folder(&d, Split::Train).unwrap_err().to_string();
        assert!(
            msg.contains("train") && msg.contains("no .png files"),
            "{msg}"
        );
        std::fs::remove_dir_all(d.join("test")).unwrap();
        let msg = load_image_folder(&d, Split::Test).unwrap_err().to_string();
        assert!(msg.contains("test") && msg.contains("mkdir"), "{msg}");
        write_png(
            &d.join("train/a.png"),
            (2, 2),
            png::ColorType::Grayscale,
            &[0; 4],
        );
        write_png(
            &d.join("train/b.png"),
            (3, 2),
            png::ColorType::Grayscale,
            &[0; 6],
        );
        let msg = load_image_folder(&d, Split::Train).unwrap_err().to_string();
        assert!(msg.contains("b.png") && msg.contains("a.png"), "{msg}");
        std::fs::write(d.join("train/b.png"), b"\x89PNG\r\n\x1a\n truncated").unwrap();
        let msg = load_image_folder(&d, Split::Train).unwrap_err().to_string();
        assert!(msg.contains("b.png") && msg.contains("PNG"), "{msg}");
        std::fs::remove_dir_all(&d).unwrap();
    }
}
