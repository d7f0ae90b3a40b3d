//! Attention windows drawn as boxes on images (the paper's Figs. 2 and 7): the extent of the
//! N × N grid, g ± (N/2)·δ on each axis (eqs. 19–20 put the outer filter centres at
//! g ± (N/2 − 1/2)·δ; the half stride beyond them is the grid's edge), with a line as thick
//! as the filters' σ (1 to 4 pixels).

use crate::images::{write_gif, GridLayout};
use anyhow::{bail, Result};
use draw_core::kernels::filterbank::{Decoded, Geometry};
use draw_core::{Backend, Draw, Glimpse, NoiseKey};
use std::path::{Path, PathBuf};

/// A window's box in 0-based pixel coordinates (inclusive), and its line thickness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowBox {
    /// Left column.
    pub x0: i64,
    /// Top row.
    pub y0: i64,
    /// Right column.
    pub x1: i64,
    /// Bottom row.
    pub y1: i64,
    /// Line thickness in pixels: σ rounded, between 1 and 4.
    pub thickness: i64,
}

/// The box of the window with raw head outputs `p` = `[g̃X, g̃Y, log σ², log δ̃, log γ]`.
pub fn window_box(p: &[f64], geo: &Geometry) -> WindowBox {
    let d = Decoded::new(p, geo);
    let half = geo.n as f64 / 2.0 * d.delta;
    // The filterbank's pixel coordinates are 1-based.
    let (cx, cy) = (d.gx - 1.0, d.gy - 1.0);
    let px = |v: f64| v.round().clamp(-1e6, 1e6) as i64;
    WindowBox {
        x0: px(cx - half),
        y0: px(cy - half),
        x1: px(cx + half),
        y1: px(cy + half),
        thickness: px(d.sigma2.sqrt()).clamp(1, 4),
    }
}

/// A one-channel image (values in [0, 1]) as three channels, channel-major.
pub fn to_rgb(grey: &[f32]) -> Vec<f32> {
    grey.repeat(3)
}

/// Draws `b`'s outline in `colour` on the channel-major RGB image `rgb` of `width × height`;
/// the parts outside the image are left out.
pub fn draw_box(rgb: &mut [f32], (width, height): (usize, usize), b: &WindowBox, colour: [f32; 3]) {
    let plane = width * height;
    let t = b.thickness;
    for y in b.y0.max(0)..=b.y1.min(height as i64 - 1) {
        for x in b.x0.max(0)..=b.x1.min(width as i64 - 1) {
            let edge = x - b.x0 < t || b.x1 - x < t || y - b.y0 < t || b.y1 - y < t;
            if edge {
                let k = y as usize * width + x as usize;
                for (ch, &c) in colour.iter().enumerate() {
                    rgb[ch * plane + k] = c;
                }
            }
        }
    }
}

/// Writes `dir/canvas-boxes.gif`: `n` samples (the same noise as `draw sample --seed seed`), the
/// canvas of each step with that step's write window as a red box. Refuses a model whose write
/// is not attention.
pub fn write_box_gif<B: Backend>(
    b: &B,
    model: &Draw<B>,
    dir: &Path,
    n: usize,
    seed: u64,
) -> Result<PathBuf> {
    let cfg = model.config();
    let Glimpse::Attention { n: grid } = cfg.write else {
        bail!("--boxes draws the write windows; this model writes the whole canvas (no attention)");
    };
    if cfg.channels != 1 {
        bail!(
            "--boxes draws on one-channel canvases; this model has {}",
            cfg.channels
        );
    }
    let geo = Geometry {
        n: grid,
        width: cfg.width,
        height: cfg.height,
        channels: 1,
    };
    let g = model.generate_with_windows(b, n, NoiseKey::new(seed, u64::MAX / 2))?;
    let size = cfg.image_size();
    let frames: Vec<Vec<f32>> = g
        .frames
        .iter()
        .zip(&g.windows)
        .map(|(frame, win)| {
            (0..n)
                .flat_map(|i| {
                    let mut rgb = to_rgb(&frame[i * size..(i + 1) * size]);
                    let bx = window_box(&win[i * 5..i * 5 + 5], &geo);
                    draw_box(&mut rgb, (cfg.width, cfg.height), &bx, [1.0, 0.15, 0.1]);
                    rgb
                })
                .collect()
        })
        .collect();
    let path = dir.join("canvas-boxes.gif");
    write_gif(
        &path,
        &GridLayout::new(n, cfg.width, cfg.height, 3),
        &frames,
    )?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On a 29 × 29 image with N = 5: g̃ = 0 puts the centre at pixel (15, 15) 1-based, (14, 14)
    /// 0-based; the span is 28/4 = 7 px, so δ̃ = 2/7 gives δ = 2 and the grid's extent
    /// 14 ± (5/2)·2 = 9..=19; σ² = e⁰ = 1 gives a 1-pixel line.
    #[test]
    fn a_known_window_lands_on_the_pixels_the_equations_give() {
        let geo = Geometry {
            n: 5,
            width: 29,
            height: 29,
            channels: 1,
        };
        let p = [0.0, 0.0, 0.0, (2.0f64 / 7.0).ln(), 0.0];
        let b = window_box(&p, &geo);
        assert_eq!((b.x0, b.y0, b.x1, b.y1, b.thickness), (9, 9, 19, 19, 1));
        let mut rgb = to_rgb(&[0.0; 29 * 29]);
        draw_box(&mut rgb, (29, 29), &b, [1.0, 0.0, 0.0]);
        let red = |x: usize, y: usize| rgb[y * 29 + x];
        for k in 9..=19 {
            for (x, y) in [(9, k), (19, k), (k, 9), (k, 19)] {
                assert_eq!(red(x, y), 1.0, "({x}, {y}) is on the box");
            }
        }
        for (x, y) in [(8, 14), (20, 14), (14, 8), (14, 20), (10, 10), (14, 14)] {
            assert_eq!(red(x, y), 0.0, "({x}, {y}) is off the box");
        }
        // Only the red channel: green and blue planes untouched.
        assert!(rgb[29 * 29..].iter().all(|&v| v == 0.0));
        // g̃X = 0.5 moves the centre to 15·1.5 = 22.5 (1-based), 21.5 0-based: 16.5..26.5
        // rounds (half away from zero) to 17..=27; σ = 2.1 gives a 2-pixel line.
        let p = [0.5, 0.0, (2.1f64 * 2.1).ln(), (2.0f64 / 7.0).ln(), 0.0];
        let b = window_box(&p, &geo);
        assert_eq!((b.x0, b.x1, b.thickness), (17, 27, 2));
        // A window hanging off the image is clipped, not a panic.
        let p = [0.95, -0.95, 0.0, 0.0, 0.0];
        let b = window_box(&p, &geo);
        draw_box(&mut rgb, (29, 29), &b, [0.0, 1.0, 0.0]);
    }
}
