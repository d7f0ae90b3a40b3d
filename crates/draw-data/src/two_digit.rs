//! Two-digit MNIST, the data of DRAW's Fig. 9: two digits chosen uniformly at random (with
//! replacement) from one split, each placed at a uniformly random position fully inside a black
//! square canvas (60×60 in the paper); where they overlap the intensities are added and clipped
//! at 1.
//!
//! Example `index` of `epoch` is a pure function of `(seed, epoch, index)`. An epoch has as many
//! examples as the split has digits. Intensities stay in `[0, 1]`; binarise them as for MNIST.

use std::ops::Range;
use std::path::Path;

use crate::dataset::Dataset;
use crate::error::{DataError, Result};
use crate::mnist::{load_mnist, Split};
use crate::synth::{paste, source_digits, Generator, KeyedRng, Piece};

/// Side of the paper's two-digit canvas.
pub const TWO_DIGIT_CANVAS: usize = 60;
/// Seed of the fixed two-digit test set (generated at epoch 0).
pub const TWO_DIGIT_TEST_SEED: u64 = 0x2d16_17e5_0000_0002;

/// Domain constant separating this generator's random streams from others'.
const DOMAIN: u64 = 0x7477_6f64_6967_6974; // "twodigit"

/// Where the two digits of one example came from and went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TwoDigitLayout {
    /// The two whole digits, in the order they were added.
    pub digits: [Piece; 2],
    /// Their classes, in the same order.
    pub classes: [u8; 2],
}

impl TwoDigitLayout {
    /// The example's label in a [`Dataset`]: `10 · first class + second class` (0..=99).
    pub fn label(&self) -> u8 {
        10 * self.classes[0] + self.classes[1]
    }
}

/// A two-digit MNIST generator over one split's digits.
#[derive(Debug, Clone)]
pub struct TwoDigitMnist {
    canvas: usize,
    digits: Dataset,
    offset: usize,
}

impl TwoDigitMnist {
    /// A generator on a `canvas × canvas` canvas drawing its digits from digits `range` of
    /// `mnist` (copied).
    ///
    /// Errors: [`DataError::BadConfig`] for a zero canvas; [`DataError::BadSource`] for an empty
    /// or out-of-bounds range, images with more than one channel or values outside `[0, 1]`, or
    /// digits larger than the canvas.
    pub fn new(canvas: usize, mnist: &Dataset, range: Range<usize>) -> Result<Self> {
        if canvas == 0 {
            return Err(DataError::BadConfig {
                detail: "two-digit MNIST: canvas must be positive".into(),
            });
        }
        let offset = range.start;
        let digits = source_digits(mnist, range, "two-digit MNIST")?;
        let (h, w) = (digits.height, digits.width);
        if h > canvas || w > canvas {
            return Err(DataError::BadSource {
                detail: format!(
                    "two-digit MNIST: {h}×{w} digits do not fit the {canvas}×{canvas} canvas"
                ),
            });
        }
        Ok(TwoDigitMnist {
            canvas,
            digits,
            offset,
        })
    }

    /// The indices, in the MNIST split given to [`TwoDigitMnist::new`], of the digits used.
    pub fn digit_range(&self) -> Range<usize> {
        self.offset..self.offset + self.digits.len
    }

    /// The placements of example `index` of `epoch` under `seed`: a pure function of the three
    /// (defined for every `index`, though an epoch uses `0..epoch_len()`).
    pub fn layout(&self, seed: u64, epoch: u64, index: usize) -> TwoDigitLayout {
        let mut rng = KeyedRng::new(DOMAIN, seed, epoch, index as u64);
        let (h, w) = (self.digits.height, self.digits.width);
        let mut digit = || {
            let k = rng.below(self.digits.len);
            let piece = Piece {
                source: self.offset + k,
                src_y: 0,
                src_x: 0,
                y: rng.below(self.canvas - h + 1),
                x: rng.below(self.canvas - w + 1),
                height: h,
                width: w,
            };
            (piece, self.digits.labels[k])
        };
        let (a, b) = (digit(), digit());
        TwoDigitLayout {
            digits: [a.0, b.0],
            classes: [a.1, b.1],
        }
    }

    /// Draws `layout` into `out` (overwritten): zeros, then both digits, each sum clipped at 1.
    /// Panics if `out.len() != image_size()` or a digit does not fit.
    pub fn render(&self, layout: &TwoDigitLayout, out: &mut [f32]) {
        assert_eq!(out.len(), self.image_size(), "output buffer size");
        out.fill(0.0);
        for piece in &layout.digits {
            paste(out, self.canvas, &self.digits, self.offset, piece);
        }
    }
}

impl Generator for TwoDigitMnist {
    fn side(&self) -> usize {
        self.canvas
    }

    /// As many examples as source digits.
    fn epoch_len(&self) -> usize {
        self.digits.len
    }

    /// [`TwoDigitMnist::layout`] then [`TwoDigitMnist::render`]; returns
    /// [`TwoDigitLayout::label`].
    fn example_into(&self, seed: u64, epoch: u64, index: usize, out: &mut [f32]) -> u8 {
        let layout = self.layout(seed, epoch, index);
        self.render(&layout, out);
        layout.label()
    }
}

/// Two-digit MNIST's splits: training pairs from all MNIST training digits, test pairs from the
/// test digits.
#[derive(Debug, Clone)]
pub struct TwoDigitSplits {
    /// Training pairs, generated afresh for each `(seed, epoch)`.
    pub train: TwoDigitMnist,
    /// Test generator; its fixed set is [`TwoDigitSplits::test_set`].
    pub test: TwoDigitMnist,
}

impl TwoDigitSplits {
    /// The splits on a `canvas × canvas` canvas (the paper's is [`TWO_DIGIT_CANVAS`]) from
    /// loaded MNIST training and test sets; errors as [`TwoDigitMnist::new`].
    pub fn new(canvas: usize, mnist_train: &Dataset, mnist_test: &Dataset) -> Result<Self> {
        Ok(TwoDigitSplits {
            train: TwoDigitMnist::new(canvas, mnist_train, 0..mnist_train.len)?,
            test: TwoDigitMnist::new(canvas, mnist_test, 0..mnist_test.len)?,
        })
    }

    /// Loads MNIST from `dir` (as [`load_mnist`]) and builds the splits.
    pub fn load(dir: &Path, canvas: usize) -> Result<Self> {
        let train = load_mnist(dir, Split::Train)?;
        let test = load_mnist(dir, Split::Test)?;
        TwoDigitSplits::new(canvas, &train, &test)
    }

    /// The fixed test set: epoch 0 of `test` under [`TWO_DIGIT_TEST_SEED`], as many images as
    /// test digits (10 000 for MNIST).
    pub fn test_set(&self) -> Dataset {
        self.test.epoch(TWO_DIGIT_TEST_SEED, 0)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::synth::tests::{filled, fnv1a, shipped_mnist};

    #[test]
    fn both_digits_inside_and_drawn_from_the_range() {
        let d = filled(30, 28, 28, |i| i as f32 / 30.0);
        let g = TwoDigitMnist::new(60, &d, 5..30).unwrap();
        assert_eq!((g.epoch_len(), g.side(), g.digit_range()), (25, 60, 5..30));
        let (mut lo, mut hi) = (usize::MAX, 0);
        let mut sources = std::collections::HashSet::new();
        for epoch in 0..40 {
            for i in 0..25 {
                let l = g.layout(1, epoch, i);
                for (p, &class) in l.digits.iter().zip(&l.classes) {
                    assert_eq!((p.src_y, p.src_x, p.height, p.width), (0, 0, 28, 28));
                    assert!(p.y + 28 <= 60 && p.x + 28 <= 60, "digit outside: {p:?}");
                    assert!((5..30).contains(&p.source), "{p:?}");
                    assert_eq!(class, d.labels[p.source]);
                    (lo, hi) = (lo.min(p.x), hi.max(p.x));
                    sources.insert(p.source);
                }
                assert_eq!(l.label(), 10 * l.classes[0] + l.classes[1]);
            }
        }
        assert_eq!((lo, hi, sources.len()), (0, 32, 25));
    }

    #[test]
    fn overlap_adds_and_clips() {
        // Digits at 0.375 everywhere: a pixel is 0.375 under one digit, 0.75 under both.
        let d = filled(4, 28, 28, |_| 0.375);
        let g = TwoDigitMnist::new(60, &d, 0..4).unwrap();
        let mut out = vec![0.0; 3600];
        for i in 0..30 {
            let l = g.layout(2, 0, i);
            g.render(&l, &mut out);
            let inside = |p: &Piece, y: usize, x: usize| {
                (p.y..p.y + 28).contains(&y) && (p.x..p.x + 28).contains(&x)
            };
            for (k, &v) in out.iter().enumerate() {
                let n = l
                    .digits
                    .iter()
                    .filter(|p| inside(p, k / 60, k % 60))
                    .count();
                assert_eq!(v, 0.375 * n as f32, "pixel {k} of example {i}");
            }
        }
        let hot = filled(2, 28, 28, |_| 0.75);
        let g = TwoDigitMnist::new(28, &hot, 0..2).unwrap();
        assert!(g.batch(0, 0, &[0]).images.iter().all(|&v| v == 1.0));
    }

    #[test]
    fn deterministic_from_the_key_and_errors() {
        let d = filled(10, 28, 28, |i| i as f32 / 10.0);
        let g = TwoDigitMnist::new(60, &d, 0..10).unwrap();
        let a = g.batch(3, 1, &[0, 7]);
        assert_eq!(a, g.batch(3, 1, &[0, 7]));
        assert_eq!(g.batch(3, 1, &[7]).images, a.image(1));
        assert_eq!(a.labels[1], g.layout(3, 1, 7).label());
        for (seed, epoch, i) in [(4, 1, 7), (3, 2, 7), (3, 1, 8)] {
            assert_ne!(g.layout(seed, epoch, i), g.layout(3, 1, 7));
        }
        let msg = TwoDigitMnist::new(20, &d, 0..10).unwrap_err().to_string();
        assert!(
            msg.contains("28×28 digits do not fit the 20×20 canvas"),
            "{msg}"
        );
        let msg = TwoDigitMnist::new(0, &d, 0..10).unwrap_err().to_string();
        assert!(msg.contains("canvas must be positive"), "{msg}");
        let msg = TwoDigitMnist::new(60, &d, 0..11).unwrap_err().to_string();
        assert!(msg.contains("two-digit MNIST: digit range 0..11"), "{msg}");
    }

    #[test]
    fn shipped_mnist_test_set_is_pinned() {
        let (train, test) = shipped_mnist();
        let s = TwoDigitSplits::new(TWO_DIGIT_CANVAS, train, test).unwrap();
        assert_eq!((s.train.epoch_len(), s.test.epoch_len()), (60_000, 10_000));
        let t = s.test.batch(TWO_DIGIT_TEST_SEED, 0, &[0, 1, 2, 3]);
        assert!(t.images.iter().all(|v| (0.0..=1.0).contains(v)));
        for i in 0..4 {
            let l = s.test.layout(TWO_DIGIT_TEST_SEED, 0, i);
            assert_eq!(t.labels[i], l.label());
            // Every pixel is the clipped sum of the two test digits under it.
            let mut want = vec![0.0f32; 3600];
            for p in &l.digits {
                for r in 0..28 {
                    for c in 0..28 {
                        want[(p.y + r) * 60 + p.x + c] += test.image(p.source)[r * 28 + c];
                    }
                }
            }
            want.iter_mut().for_each(|v| *v = v.min(1.0));
            assert_eq!(t.image(i), want);
        }
        println!("two-digit test: {:#018x}", fnv1a(&t.images, &t.labels));
        assert_eq!(fnv1a(&t.images, &t.labels), 0x9beb_8822_f905_3d5a);
    }

    /// Timing of one training epoch (60 000 pairs) in batches of 100.
    /// Run with `cargo test --release -p draw-data -- --ignored --nocapture generation_speed`.
    #[test]
    #[ignore]
    fn generation_speed() {
        let (train, test) = shipped_mnist();
        let s = TwoDigitSplits::new(TWO_DIGIT_CANVAS, train, test).unwrap();
        let idx: Vec<usize> = (0..s.train.epoch_len()).collect();
        let start = Instant::now();
        let mut checksum = 0u64;
        for chunk in idx.chunks(100) {
            let b = s.train.batch(1, 0, chunk);
            checksum += b.labels.iter().map(|&l| u64::from(l)).sum::<u64>();
        }
        let dt = start.elapsed().as_secs_f64();
        println!(
            "two-digit 60×60: {} examples in {dt:.3} s ({:.0} img/s) [label sum {checksum}]",
            idx.len(),
            idx.len() as f64 / dt
        );
    }
}
