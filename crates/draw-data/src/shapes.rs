//! Synthetic colour images with structure, for tests that a colour model learns: one filled
//! rectangle or disc of one of six saturated colours on black, each image a pure function of
//! `(seed, index)`. Every intensity is 0 or 1, so Bernoulli binarisation leaves the images as
//! they are and a reconstruction's colour can be compared with the true one exactly.

use crate::dataset::Dataset;
use crate::error::{DataError, Result};
use crate::synth::KeyedRng;

/// The colours (R, G, B): red, green, blue, yellow, cyan, magenta.
pub const SHAPE_COLOURS: [[f32; 3]; 6] = [
    [1.0, 0.0, 0.0],
    [0.0, 1.0, 0.0],
    [0.0, 0.0, 1.0],
    [1.0, 1.0, 0.0],
    [0.0, 1.0, 1.0],
    [1.0, 0.0, 1.0],
];

/// Domain constant separating this generator's random streams from others'.
const DOMAIN: u64 = 0x636f_6c73_6861_7065; // "colshape"

/// Coloured shapes on a `side × side` RGB canvas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColourShapes {
    side: usize,
}

impl ColourShapes {
    /// Shapes on a `side × side` canvas; [`DataError::BadConfig`] below 8 pixels.
    pub fn new(side: usize) -> Result<Self> {
        if !(8..=4096).contains(&side) {
            return Err(DataError::BadConfig {
                detail: format!("colour shapes: side {side} outside 8..=4096"),
            });
        }
        Ok(ColourShapes { side })
    }

    /// Image `index` under `seed` into `out` (3·side² values, channel-major); returns its label,
    /// `2 · colour + kind` (kind 0 rectangle, 1 disc; colour indexes [`SHAPE_COLOURS`]).
    pub fn example_into(&self, seed: u64, index: usize, out: &mut [f32]) -> u8 {
        let s = self.side;
        assert_eq!(out.len(), 3 * s * s, "output buffer size");
        out.fill(0.0);
        let mut rng = KeyedRng::new(DOMAIN, seed, 0, index as u64);
        let colour = rng.below(SHAPE_COLOURS.len());
        let kind = rng.below(2);
        let (h, w) = (s / 4 + rng.below(s / 4 + 1), s / 4 + rng.below(s / 4 + 1));
        let (y0, x0) = (rng.below(s - h + 1), rng.below(s - w + 1));
        let (cy, cx, r) = (
            y0 as f32 + h as f32 / 2.0,
            x0 as f32 + w as f32 / 2.0,
            h.min(w) as f32 / 2.0,
        );
        for y in y0..y0 + h {
            for x in x0..x0 + w {
                let (dy, dx) = (y as f32 + 0.5 - cy, x as f32 + 0.5 - cx);
                if kind == 1 && dy * dy + dx * dx > r * r {
                    continue;
                }
                for (ch, &v) in SHAPE_COLOURS[colour].iter().enumerate() {
                    out[ch * s * s + y * s + x] = v;
                }
            }
        }
        (2 * colour + kind) as u8
    }

    /// Images `0..n` under `seed`.
    pub fn set(&self, seed: u64, n: usize) -> Dataset {
        let size = 3 * self.side * self.side;
        let mut images = vec![0.0; n * size];
        let labels = images
            .chunks_exact_mut(size)
            .enumerate()
            .map(|(i, out)| self.example_into(seed, i, out))
            .collect();
        Dataset {
            images,
            labels,
            len: n,
            channels: 3,
            height: self.side,
            width: self.side,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_coloured_shape_per_image_deterministic_from_the_seed() {
        let g = ColourShapes::new(16).unwrap();
        let d = g.set(4, 200);
        assert_eq!(d, g.set(4, 200));
        assert_ne!(d.images, g.set(5, 200).images);
        let mut colours = [0usize; 6];
        for i in 0..d.len {
            let img = d.image(i);
            let colour = SHAPE_COLOURS[usize::from(d.labels[i] / 2)];
            colours[usize::from(d.labels[i] / 2)] += 1;
            let mut lit = 0;
            for p in 0..256 {
                let px = [img[p], img[256 + p], img[512 + p]];
                if px != [0.0; 3] {
                    assert_eq!(px, colour, "image {i} pixel {p}");
                    lit += 1;
                }
            }
            assert!((9..=64).contains(&lit), "image {i}: {lit} pixels lit");
        }
        assert!(colours.iter().all(|&c| c > 15), "{colours:?}");
        assert!(ColourShapes::new(4).is_err());
    }
}
