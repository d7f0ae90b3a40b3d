//! PNG grids of images and GIF animations of the canvas over the T steps.

use anyhow::{Context, Result};
use draw_core::checkpoint;
use std::path::Path;

/// How images are laid out: size, channels, and a square-ish grid.
#[derive(Clone, Copy, Debug)]
pub struct GridLayout {
    /// Image width.
    pub width: usize,
    /// Image height.
    pub height: usize,
    /// 1 (grey) or 3 (RGB).
    pub channels: usize,
    /// Images per grid row.
    pub cols: usize,
    /// Rows of images.
    pub rows: usize,
}

const PAD: usize = 1;

impl GridLayout {
    /// A near-square grid for `n` images.
    pub fn new(n: usize, width: usize, height: usize, channels: usize) -> Self {
        let cols = (n as f64).sqrt().ceil().max(1.0) as usize;
        let rows = n.div_ceil(cols).max(1);
        GridLayout {
            width,
            height,
            channels,
            cols,
            rows,
        }
    }
    /// Pixel width of the whole grid.
    pub fn grid_width(&self) -> usize {
        self.cols * (self.width + PAD) + PAD
    }
    /// Pixel height of the whole grid.
    pub fn grid_height(&self) -> usize {
        self.rows * (self.height + PAD) + PAD
    }

    /// Tiles `images` (n rows of C·B·A values in [0, 1], channel-major) into interleaved 8-bit
    /// pixels (grey, or RGB).
    pub fn tile(&self, images: &[f32]) -> Vec<u8> {
        let (gw, gh, c) = (self.grid_width(), self.grid_height(), self.channels);
        let mut out = vec![40u8; gw * gh * c];
        let size = c * self.width * self.height;
        for (k, img) in images.chunks_exact(size).enumerate() {
            let (gx, gy) = (
                (k % self.cols) * (self.width + PAD) + PAD,
                (k / self.cols) * (self.height + PAD) + PAD,
            );
            for y in 0..self.height {
                for x in 0..self.width {
                    for ch in 0..c {
                        let v = img[ch * self.width * self.height + y * self.width + x];
                        out[((gy + y) * gw + gx + x) * c + ch] =
                            (v.clamp(0.0, 1.0) * 255.0).round() as u8;
                    }
                }
            }
        }
        out
    }
}

/// Writes `images` as one PNG grid.
pub fn write_png(path: &Path, layout: &GridLayout, images: &[f32]) -> Result<()> {
    let mut bytes = Vec::new();
    encode_png(&mut bytes, layout, images)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(checkpoint::write_atomically(path, &bytes)?)
}

/// The PNG of `images` into `out`.
fn encode_png(out: &mut Vec<u8>, layout: &GridLayout, images: &[f32]) -> Result<()> {
    let mut enc = png::Encoder::new(out, layout.grid_width() as u32, layout.grid_height() as u32);
    enc.set_color(if layout.channels == 3 {
        png::ColorType::Rgb
    } else {
        png::ColorType::Grayscale
    });
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header()?;
    w.write_image_data(&layout.tile(images))?;
    w.finish()?;
    Ok(())
}

/// Writes an 8-bit RGB image of `width` × `height` pixels (`rgb` row-major, 3 bytes a pixel)
/// as a PNG, atomically.
pub fn write_rgb_png(path: &Path, (width, height): (u32, u32), rgb: &[u8]) -> Result<()> {
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, width, height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc
            .write_header()
            .with_context(|| format!("writing {}", path.display()))?;
        w.write_image_data(rgb)
            .with_context(|| format!("writing {}", path.display()))?;
        w.finish()?;
    }
    Ok(checkpoint::write_atomically(path, &bytes)?)
}

/// Writes an animated GIF, one frame per step, looping, holding the last frame longer.
/// Written to memory, then to `path` atomically: a crash or a full disk leaves the previous
/// file whole.
pub fn write_gif(path: &Path, layout: &GridLayout, frames: &[Vec<f32>]) -> Result<()> {
    let mut bytes = Vec::new();
    encode_gif(&mut bytes, layout, frames)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(checkpoint::write_atomically(path, &bytes)?)
}

/// The animated GIF of `frames` into `out`.
fn encode_gif(out: &mut Vec<u8>, layout: &GridLayout, frames: &[Vec<f32>]) -> Result<()> {
    let (w, h) = (layout.grid_width() as u16, layout.grid_height() as u16);
    let grey: Vec<u8> = (0..=255u8).flat_map(|v| [v, v, v]).collect();
    let palette: &[u8] = if layout.channels == 1 { &grey } else { &[] };
    let mut enc = gif::Encoder::new(out, w, h, palette)?;
    enc.set_repeat(gif::Repeat::Infinite)?;
    for (t, images) in frames.iter().enumerate() {
        let pixels = layout.tile(images);
        let mut frame = if layout.channels == 1 {
            gif::Frame {
                width: w,
                height: h,
                buffer: std::borrow::Cow::Owned(pixels),
                ..Default::default()
            }
        } else {
            gif::Frame::from_rgb_speed(w, h, &pixels, 10)
        };
        frame.delay = if t + 1 == frames.len() { 200 } else { 8 };
        enc.write_frame(&frame)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_land_where_expected() {
        let l = GridLayout::new(3, 2, 2, 1);
        assert_eq!(
            (l.cols, l.rows, l.grid_width(), l.grid_height()),
            (2, 2, 7, 7)
        );
        let imgs = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.5, 0.5, 0.5, 0.5];
        let t = l.tile(&imgs);
        assert_eq!(t[7 + 1], 255); // image 0 at (1, 1), top-left pixel
        assert_eq!(t[2 * 7 + 5], 255); // image 1 at (4, 1), bottom-right pixel (5, 2)
        assert_eq!(t[4 * 7 + 1], 128); // image 2 at (1, 4)
        assert_eq!(t[0], 40); // padding
    }

    #[test]
    fn colour_tiles_keep_each_channel() {
        // One 2 x 1 RGB image, channel-major: pixel 0 pure red, pixel 1 pure blue.
        let l = GridLayout::new(1, 2, 1, 3);
        let t = l.tile(&[1.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
        let w = l.grid_width();
        assert_eq!(t.len(), w * l.grid_height() * 3);
        assert_eq!(&t[(w + 1) * 3..(w + 1) * 3 + 3], &[255, 0, 0]);
        assert_eq!(&t[(w + 2) * 3..(w + 2) * 3 + 3], &[0, 0, 255]);
        assert_eq!(&t[..3], &[40, 40, 40]);
        // The GIF's frames decode to the same colours.
        let mut gif = Vec::new();
        encode_gif(&mut gif, &l, &[vec![1.0, 0.0, 0.0, 0.0, 0.0, 1.0]]).unwrap();
        let mut opts = gif::DecodeOptions::new();
        opts.set_color_output(gif::ColorOutput::RGBA);
        let mut dec = opts.read_info(gif.as_slice()).unwrap();
        let frame = dec.read_next_frame().unwrap().unwrap();
        let px = |i: usize| &frame.buffer[i * 4..i * 4 + 3];
        assert_eq!((px(w + 1), px(w + 2)), (&[255, 0, 0][..], &[0, 0, 255][..]));
    }

    #[test]
    fn png_and_gif_are_written() {
        let dir = std::env::temp_dir().join(format!("draw-img-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let l = GridLayout::new(4, 3, 3, 1);
        let frames = vec![vec![0.2; 36], vec![0.8; 36]];
        write_png(&dir.join("a.png"), &l, &frames[1]).unwrap();
        write_gif(&dir.join("a.gif"), &l, &frames).unwrap();
        let png = std::fs::read(dir.join("a.png")).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        let gif = std::fs::read(dir.join("a.gif")).unwrap();
        assert_eq!(&gif[..6], b"GIF89a");
        let rgb = GridLayout::new(1, 2, 2, 3);
        write_gif(&dir.join("c.gif"), &rgb, &[vec![0.5; 12]]).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
