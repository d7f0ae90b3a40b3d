//! In-memory image sets and Bernoulli binarisation.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A set of images as `f32` in `[0, 1]` with their class labels.
///
/// Images are stored back to back; within one image the index of a pixel is
/// `ch * height * width + y * width + x` (channel-major, then row-major).
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// All pixels, `len * image_size()` of them.
    pub images: Vec<f32>,
    /// One class label per image.
    pub labels: Vec<u8>,
    /// Number of images.
    pub len: usize,
    /// Channels per image (1 for MNIST, 3 for CIFAR-10).
    pub channels: usize,
    /// Rows per image.
    pub height: usize,
    /// Columns per image.
    pub width: usize,
}

impl Dataset {
    /// Number of values per image: `channels * height * width`.
    pub fn image_size(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// The pixels of image `i`. Panics if `i >= len`.
    pub fn image(&self, i: usize) -> &[f32] {
        let size = self.image_size();
        &self.images[i * size..(i + 1) * size]
    }

    /// The first `min(n, len)` images and labels.
    pub fn subset(&self, n: usize) -> Dataset {
        let len = n.min(self.len);
        Dataset {
            images: self.images[..len * self.image_size()].to_vec(),
            labels: self.labels[..len].to_vec(),
            len,
            ..*self
        }
    }

    /// A fixed binarised copy: each pixel becomes 1.0 with probability equal to its intensity,
    /// else 0.0, drawn from a `StdRng` seeded with `seed` (same seed, same result).
    pub fn binarize_static(&self, seed: u64) -> Dataset {
        let mut rng = StdRng::seed_from_u64(seed);
        Dataset {
            images: binarize_dynamic(&self.images, &mut rng),
            labels: self.labels.clone(),
            ..*self
        }
    }
}

/// A fresh Bernoulli(intensity) sample per pixel from the caller's `rng` (used per training batch).
///
/// Intensities are assumed to lie in `[0, 1]`; 0 always maps to 0.0 and 1 always to 1.0.
pub fn binarize_dynamic(images: &[f32], rng: &mut impl Rng) -> Vec<f32> {
    images
        .iter()
        .map(|&p| if rng.random::<f32>() < p { 1.0 } else { 0.0 })
        .collect()
}

/// [`binarize_dynamic`] with a generator seeded by (seed, step) alone: training step k's
/// binary images depend only on the run's seed and k, so a resumed run draws the same ones.
pub fn binarize_keyed(images: &[f32], seed: u64, step: u64) -> Vec<f32> {
    use rand::SeedableRng;
    let key = crate::batch::mix_key(seed ^ 0xb1_4a_21, step);
    binarize_dynamic(images, &mut rand::rngs::StdRng::seed_from_u64(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Dataset {
        let images: Vec<f32> = (0..3 * 2 * 2 * 2).map(|v| v as f32 / 24.0).collect();
        Dataset {
            images,
            labels: vec![4, 5, 6],
            len: 3,
            channels: 2,
            height: 2,
            width: 2,
        }
    }

    #[test]
    fn image_and_subset() {
        let d = toy();
        assert_eq!(d.image_size(), 8);
        assert_eq!(d.image(1), &d.images[8..16]);
        let s = d.subset(2);
        assert_eq!(
            (s.len, s.labels.as_slice(), s.images.len()),
            (2, &[4, 5][..], 16)
        );
        assert_eq!(s.image(1), d.image(1));
        assert_eq!(d.subset(10), d);
    }

    #[test]
    fn binarize_static_is_deterministic_and_binary() {
        let d = toy();
        let a = d.binarize_static(7);
        assert_eq!(a, d.binarize_static(7));
        assert!(a.images.iter().all(|&v| v == 0.0 || v == 1.0));
        assert_eq!(a.images[0], 0.0, "intensity 0 must stay 0");
        let big = Dataset {
            images: vec![0.5; 10_000],
            labels: vec![0],
            len: 1,
            channels: 1,
            height: 100,
            width: 100,
        };
        assert_ne!(big.binarize_static(1).images, big.binarize_static(2).images);
    }

    #[test]
    fn keyed_binarization_depends_on_seed_and_step_only() {
        let img = vec![0.5f32; 256];
        assert_eq!(binarize_keyed(&img, 1, 7), binarize_keyed(&img, 1, 7));
        assert_ne!(binarize_keyed(&img, 1, 7), binarize_keyed(&img, 1, 8));
        assert_ne!(binarize_keyed(&img, 1, 7), binarize_keyed(&img, 2, 7));
    }

    #[test]
    fn binarize_dynamic_extremes_and_mean() {
        let mut rng = StdRng::seed_from_u64(3);
        assert_eq!(
            binarize_dynamic(&[0.0, 1.0, 0.0, 1.0], &mut rng),
            [0.0, 1.0, 0.0, 1.0]
        );
        let b = binarize_dynamic(&vec![0.25; 100_000], &mut rng);
        let mean = b.iter().sum::<f32>() / b.len() as f32;
        assert!((mean - 0.25).abs() < 0.01, "{mean}");
    }
}
