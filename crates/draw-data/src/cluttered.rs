//! Cluttered MNIST, made as DeepMind's `mnist-cluttered` generator makes it (the data of DRAW's
//! Table 1 and of RAM).
//!
//! On a canvas of zeros: first [`ClutterConfig::clutter`] pieces of clutter, each a
//! `crop × crop` window at a uniformly random offset inside a uniformly chosen digit of the same
//! split (with replacement), added at a uniformly random position fully inside the canvas; then
//! the whole digit at a uniformly random position fully inside the canvas. Every sum is clipped
//! at 1, so values stay in `[0, 1]`. The label is the digit's class.
//!
//! Example `index` of `epoch` is a pure function of `(seed, epoch, index)` and uses digit
//! `range.start + index` of its split, so an epoch of [`Generator::epoch_len`] examples shows
//! every digit of the split once (as `mnist-cluttered` does, drawing digits from a permutation),
//! each with fresh clutter and position; the order is the batcher's.

use std::ops::Range;
use std::path::Path;

use crate::dataset::Dataset;
use crate::error::{DataError, Result};
use crate::mnist::{load_mnist, Split};
use crate::synth::{paste, source_digits, Generator, KeyedRng, Piece};

/// Size of a cluttered canvas and of its clutter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClutterConfig {
    /// Side of the square canvas, in pixels.
    pub canvas: usize,
    /// Pieces of clutter per image.
    pub clutter: usize,
    /// Side of each square piece of clutter, in pixels.
    pub crop: usize,
}

impl ClutterConfig {
    /// 100×100 with 8 pieces of 8×8 clutter: DRAW's Table 1 and RAM's main task.
    pub const CLUTTERED_100: ClutterConfig = ClutterConfig {
        canvas: 100,
        clutter: 8,
        crop: 8,
    };
    /// 60×60 with 4 pieces of 8×8 clutter, the smaller task RAM also reports.
    pub const CLUTTERED_60: ClutterConfig = ClutterConfig {
        canvas: 60,
        clutter: 4,
        crop: 8,
    };
}

/// Seed of the fixed cluttered validation set (generated at epoch 0).
pub const CLUTTERED_VALID_SEED: u64 = 0xc1a7_7e2d_0000_0001;
/// Seed of the fixed cluttered test set (generated at epoch 0).
pub const CLUTTERED_TEST_SEED: u64 = 0xc1a7_7e2d_0000_0002;
/// Number of training digits held out, from the end of the MNIST training set, for validation.
pub const VALIDATION_DIGITS: usize = 10_000;

/// Domain constant separating this generator's random streams from others'.
const DOMAIN: u64 = 0x636c_7574_7465_7264; // "cluttrd"

/// Where everything in one cluttered example came from and went.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClutteredLayout {
    /// The clutter, in the order it was added; each piece is `crop × crop`.
    pub clutter: Vec<Piece>,
    /// The whole digit, added last.
    pub digit: Piece,
    /// The digit's class.
    pub label: u8,
}

/// A cluttered-MNIST generator over one split's digits.
#[derive(Debug, Clone)]
pub struct ClutteredMnist {
    config: ClutterConfig,
    digits: Dataset,
    offset: usize,
}

impl ClutteredMnist {
    /// A generator drawing its digits and its clutter from digits `range` of `mnist` (copied).
    ///
    /// Errors: [`DataError::BadConfig`] for a zero canvas or crop;
    /// [`DataError::BadSource`] for an empty or out-of-bounds range, images with more than one
    /// channel or values outside `[0, 1]`, digits larger than the canvas, or a crop larger than
    /// the digits.
    pub fn new(config: ClutterConfig, mnist: &Dataset, range: Range<usize>) -> Result<Self> {
        if config.canvas == 0 || config.crop == 0 {
            return Err(DataError::BadConfig {
                detail: format!(
                    "cluttered MNIST: canvas and crop must be positive, got {config:?}"
                ),
            });
        }
        let offset = range.start;
        let digits = source_digits(mnist, range, "cluttered MNIST")?;
        let (h, w) = (digits.height, digits.width);
        if h > config.canvas || w > config.canvas || config.crop > h || config.crop > w {
            return Err(DataError::BadSource {
                detail: format!(
                    "cluttered MNIST: {h}×{w} digits must fit the {0}×{0} canvas and hold the \
                     {1}×{1} crop",
                    config.canvas, config.crop
                ),
            });
        }
        Ok(ClutteredMnist {
            config,
            digits,
            offset,
        })
    }

    /// The configuration.
    pub fn config(&self) -> ClutterConfig {
        self.config
    }

    /// The indices, in the MNIST split given to [`ClutteredMnist::new`], of the digits used.
    pub fn digit_range(&self) -> Range<usize> {
        self.offset..self.offset + self.digits.len
    }

    /// The placements of example `index` of `epoch` under `seed`: a pure function of the three.
    /// Panics if `index >= epoch_len()`.
    pub fn layout(&self, seed: u64, epoch: u64, index: usize) -> ClutteredLayout {
        assert!(
            index < self.digits.len,
            "example {index} out of range: an epoch has {} examples",
            self.digits.len
        );
        let mut rng = KeyedRng::new(DOMAIN, seed, epoch, index as u64);
        let ClutterConfig {
            canvas,
            clutter,
            crop,
        } = self.config;
        let (h, w) = (self.digits.height, self.digits.width);
        let clutter = (0..clutter)
            .map(|_| Piece {
                source: self.offset + rng.below(self.digits.len),
                src_y: rng.below(h - crop + 1),
                src_x: rng.below(w - crop + 1),
                y: rng.below(canvas - crop + 1),
                x: rng.below(canvas - crop + 1),
                height: crop,
                width: crop,
            })
            .collect();
        let digit = Piece {
            source: self.offset + index,
            src_y: 0,
            src_x: 0,
            y: rng.below(canvas - h + 1),
            x: rng.below(canvas - w + 1),
            height: h,
            width: w,
        };
        ClutteredLayout {
            clutter,
            digit,
            label: self.digits.labels[index],
        }
    }

    /// Draws `layout` into `out` (overwritten): zeros, then the clutter, then the digit, each sum
    /// clipped at 1. Panics if `out.len() != image_size()` or a piece does not fit.
    pub fn render(&self, layout: &ClutteredLayout, out: &mut [f32]) {
        assert_eq!(out.len(), self.image_size(), "output buffer size");
        out.fill(0.0);
        let side = self.config.canvas;
        for piece in layout.clutter.iter().chain([&layout.digit]) {
            paste(out, side, &self.digits, self.offset, piece);
        }
    }
}

impl Generator for ClutteredMnist {
    fn side(&self) -> usize {
        self.config.canvas
    }

    /// One per source digit: example `index` shows digit `digit_range().start + index`.
    fn epoch_len(&self) -> usize {
        self.digits.len
    }

    /// [`ClutteredMnist::layout`] then [`ClutteredMnist::render`]; panics as they do.
    fn example_into(&self, seed: u64, epoch: u64, index: usize, out: &mut [f32]) -> u8 {
        let layout = self.layout(seed, epoch, index);
        self.render(&layout, out);
        layout.label
    }
}

/// The three cluttered-MNIST splits: training from the first 50 000 MNIST training digits,
/// validation from the last [`VALIDATION_DIGITS`], test from the 10 000 test digits; each
/// split's clutter comes from its own digits.
#[derive(Debug, Clone)]
pub struct ClutteredSplits {
    /// Training examples, generated afresh for each `(seed, epoch)`.
    pub train: ClutteredMnist,
    /// Validation generator; its fixed set is [`ClutteredSplits::valid_set`].
    pub valid: ClutteredMnist,
    /// Test generator; its fixed set is [`ClutteredSplits::test_set`].
    pub test: ClutteredMnist,
}

impl ClutteredSplits {
    /// The splits of `config` from loaded MNIST training and test sets. The training set must
    /// hold more than [`VALIDATION_DIGITS`] digits; otherwise as [`ClutteredMnist::new`].
    pub fn new(
        config: ClutterConfig,
        mnist_train: &Dataset,
        mnist_test: &Dataset,
    ) -> Result<ClutteredSplits> {
        let cut = mnist_train.len.saturating_sub(VALIDATION_DIGITS);
        Ok(ClutteredSplits {
            train: ClutteredMnist::new(config, mnist_train, 0..cut)?,
            valid: ClutteredMnist::new(config, mnist_train, cut..mnist_train.len)?,
            test: ClutteredMnist::new(config, mnist_test, 0..mnist_test.len)?,
        })
    }

    /// Loads MNIST from `dir` (as [`load_mnist`]) and builds the splits.
    pub fn load(dir: &Path, config: ClutterConfig) -> Result<ClutteredSplits> {
        let train = load_mnist(dir, Split::Train)?;
        let test = load_mnist(dir, Split::Test)?;
        ClutteredSplits::new(config, &train, &test)
    }

    /// The fixed validation set: epoch 0 of `valid` under [`CLUTTERED_VALID_SEED`].
    pub fn valid_set(&self) -> Dataset {
        self.valid.epoch(CLUTTERED_VALID_SEED, 0)
    }

    /// The fixed test set: epoch 0 of `test` under [`CLUTTERED_TEST_SEED`].
    pub fn test_set(&self) -> Dataset {
        self.test.epoch(CLUTTERED_TEST_SEED, 0)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::synth::tests::{filled, fnv1a, shipped_mnist};

    const PRESETS: [ClutterConfig; 2] = [ClutterConfig::CLUTTERED_100, ClutterConfig::CLUTTERED_60];

    /// 50 digits of 28×28 whose pixel `(y, x)` of digit `i` is `((i * 31 + y * 7 + x) % 97) / 96`.
    fn patterned() -> Dataset {
        let mut d = filled(50, 28, 28, |_| 0.0);
        for (k, v) in d.images.iter_mut().enumerate() {
            let (i, y, x) = (k / 784, k / 28 % 28, k % 28);
            *v = ((i * 31 + y * 7 + x) % 97) as f32 / 96.0;
        }
        d
    }

    #[test]
    fn presets() {
        assert_eq!(
            (ClutterConfig::CLUTTERED_100, ClutterConfig::CLUTTERED_60),
            (
                ClutterConfig {
                    canvas: 100,
                    clutter: 8,
                    crop: 8
                },
                ClutterConfig {
                    canvas: 60,
                    clutter: 4,
                    crop: 8
                }
            )
        );
    }

    #[test]
    fn layout_counts_sizes_and_every_piece_inside() {
        let d = patterned();
        for config in PRESETS {
            let g = ClutteredMnist::new(config, &d, 10..50).unwrap();
            assert_eq!((g.epoch_len(), g.digit_range()), (40, 10..50));
            let side = config.canvas;
            let (mut min_y, mut max_y) = (usize::MAX, 0);
            for epoch in 0..25 {
                for i in 0..40 {
                    let l = g.layout(5, epoch, i);
                    assert_eq!(l.clutter.len(), config.clutter);
                    for p in &l.clutter {
                        assert_eq!((p.height, p.width), (8, 8));
                        assert!((10..50).contains(&p.source), "{p:?}");
                        assert!(p.src_y + 8 <= 28 && p.src_x + 8 <= 28, "{p:?}");
                        assert!(p.y + 8 <= side && p.x + 8 <= side, "{p:?}");
                    }
                    let p = l.digit;
                    assert_eq!((p.source, p.src_y, p.src_x), (10 + i, 0, 0));
                    assert_eq!((p.height, p.width), (28, 28));
                    assert!(p.y + 28 <= side && p.x + 28 <= side, "digit outside: {p:?}");
                    assert_eq!(l.label, d.labels[10 + i]);
                    (min_y, max_y) = (min_y.min(p.y), max_y.max(p.y));
                }
            }
            // 1000 draws reach both ends of the allowed range (a miss would be ~1e-6 likely).
            assert_eq!((min_y, max_y), (0, side - 28), "{config:?}");
        }
    }

    #[test]
    fn render_is_the_clipped_sum_of_the_layout() {
        let d = patterned();
        let g = ClutteredMnist::new(ClutterConfig::CLUTTERED_60, &d, 0..50).unwrap();
        let mut out = vec![7.0; 3600];
        for i in 0..50 {
            let l = g.layout(1, 2, i);
            g.render(&l, &mut out);
            let mut want = vec![0.0f32; 3600];
            for p in l.clutter.iter().chain([&l.digit]) {
                for r in 0..p.height {
                    for c in 0..p.width {
                        let v = d.image(p.source)[(p.src_y + r) * 28 + p.src_x + c];
                        want[(p.y + r) * 60 + p.x + c] += v;
                    }
                }
            }
            want.iter_mut().for_each(|v| *v = v.min(1.0));
            assert!(out.iter().all(|v| (0.0..=1.0).contains(v)));
            let err = out.iter().zip(&want).map(|(a, b)| (a - b).abs());
            assert!(err.fold(0.0, f32::max) < 1e-6, "example {i}");
        }
    }

    #[test]
    fn clutter_count_and_size_seen_in_the_pixels() {
        // With every source pixel at 1/64, nothing clips (at most 9 layers), so the image's sum is
        // (clutter · crop² + 28²) / 64 and its support is at most that many pixels.
        let d = filled(20, 28, 28, |_| 1.0 / 64.0);
        for config in PRESETS {
            let g = ClutteredMnist::new(config, &d, 0..20).unwrap();
            let want = (config.clutter * 64 + 784) as f32 / 64.0;
            for i in 0..20 {
                let img = g.batch(3, 0, &[i]).images;
                let sum: f32 = img.iter().sum();
                assert!((sum - want).abs() < 1e-3, "{config:?}: {sum} vs {want}");
                assert!(img.iter().filter(|&&v| v > 0.0).count() <= config.clutter * 64 + 784);
            }
        }
        let none = ClutterConfig {
            clutter: 0,
            ..ClutterConfig::CLUTTERED_60
        };
        let g = ClutteredMnist::new(none, &d, 0..20).unwrap();
        let img = g.batch(3, 0, &[0]).images;
        assert_eq!(img.iter().filter(|&&v| v > 0.0).count(), 784);
    }

    #[test]
    fn deterministic_from_the_key() {
        let d = patterned();
        let g = ClutteredMnist::new(ClutterConfig::CLUTTERED_100, &d, 0..50).unwrap();
        let a = g.batch(9, 4, &[3, 17, 3]);
        assert_eq!(a, g.batch(9, 4, &[3, 17, 3]));
        assert_eq!(a.image(0), a.image(2));
        assert_eq!((a.len, a.height, a.width, a.channels), (3, 100, 100, 1));
        assert_eq!(a.labels, [d.labels[3], d.labels[17], d.labels[3]]);
        let mut one = vec![0.0; 10_000];
        assert_eq!(g.example_into(9, 4, 17, &mut one), d.labels[17]);
        assert_eq!(one, a.image(1));
        for (seed, epoch) in [(10, 4), (9, 5), (0, 0)] {
            assert_ne!(g.batch(seed, epoch, &[3]).images, a.image(0));
        }
        let clone = ClutteredMnist::new(ClutterConfig::CLUTTERED_100, &d, 0..50).unwrap();
        assert_eq!(clone.epoch(9, 4).subset(18).image(17), a.image(1));
    }

    #[test]
    fn splits_draw_digits_and_clutter_from_their_own_digits() {
        // Training digits are 0.3 everywhere, validation digits 0.5, test digits 0.35: every
        // non-zero pixel of an image is a clipped multiple of its split's value.
        let train = filled(60_000, 8, 8, |i| if i < 50_000 { 0.3 } else { 0.5 });
        let test = filled(10_000, 8, 8, |_| 0.35);
        let s = ClutteredSplits::new(ClutterConfig::CLUTTERED_60, &train, &test).unwrap();
        assert_eq!(
            (
                s.train.digit_range(),
                s.valid.digit_range(),
                s.test.digit_range()
            ),
            (0..50_000, 50_000..60_000, 0..10_000)
        );
        let check = |g: &ClutteredMnist, seed, value: f32, src: Range<usize>| {
            let b = g.batch(seed, 1, &[0, 1, 2, 4_999, 9_999]);
            for v in b.images.iter().filter(|&&v| v > 0.0) {
                let k = (v / value).round();
                assert!(
                    (v - k * value).abs() < 1e-5 || *v == 1.0,
                    "{v} is not a multiple of {value}"
                );
            }
            for i in [0, 1, 2, 4_999, 9_999] {
                let l = g.layout(seed, 1, i);
                assert!(l
                    .clutter
                    .iter()
                    .chain([&l.digit])
                    .all(|p| src.contains(&p.source)));
            }
        };
        check(&s.train, 1, 0.3, 0..50_000);
        check(&s.valid, 2, 0.5, 50_000..60_000);
        check(&s.test, 3, 0.35, 0..10_000);
        assert_eq!(s.valid.layout(0, 0, 7).label, train.labels[50_007]);
        let small = filled(VALIDATION_DIGITS, 8, 8, |_| 0.0);
        let err = ClutteredSplits::new(ClutterConfig::CLUTTERED_60, &small, &test).unwrap_err();
        assert!(err.to_string().contains("digit range 0..0"), "{err}");
    }

    #[test]
    fn bad_configs_and_sources_are_named() {
        let d = filled(3, 28, 28, |_| 0.5);
        let msg = |config, d: &Dataset| {
            ClutteredMnist::new(config, d, 0..d.len)
                .unwrap_err()
                .to_string()
        };
        let c = ClutterConfig::CLUTTERED_60;
        assert!(
            msg(ClutterConfig { crop: 0, ..c }, &d).contains("canvas and crop must be positive")
        );
        assert!(
            msg(ClutterConfig { canvas: 20, ..c }, &d).contains("28×28 digits must fit the 20×20")
        );
        assert!(msg(ClutterConfig { crop: 29, ..c }, &d).contains("hold the 29×29 crop"));
        assert!(msg(c, &filled(2, 28, 28, |_| -0.1)).contains("outside [0, 1]"));
        // A digit exactly the canvas size always lands at (0, 0).
        let g = ClutteredMnist::new(ClutterConfig { canvas: 28, ..c }, &d, 0..3).unwrap();
        assert_eq!(
            (g.layout(0, 0, 1).digit.y, g.layout(0, 0, 1).digit.x),
            (0, 0)
        );
    }

    #[test]
    fn shipped_mnist_sets_are_pinned() {
        let (train, test) = shipped_mnist();
        for (config, valid_sum, test_sum) in [
            (
                ClutterConfig::CLUTTERED_100,
                0xe573_74b4_90f6_00b6,
                0x600a_fe9e_ffe3_216d,
            ),
            (
                ClutterConfig::CLUTTERED_60,
                0xa34c_e727_f005_d2bb,
                0x9392_e1a3_47d7_47a8,
            ),
        ] {
            let s = ClutteredSplits::new(config, train, test).unwrap();
            assert_eq!((s.train.epoch_len(), s.valid.epoch_len()), (50_000, 10_000));
            let t = s.test.batch(CLUTTERED_TEST_SEED, 0, &[0, 1, 2, 3]);
            let v = s.valid.batch(CLUTTERED_VALID_SEED, 0, &[0, 1, 2, 3]);
            assert_eq!(t.labels, [7, 2, 1, 0]);
            assert_eq!(v.labels, train.labels[50_000..50_004]);
            for (set, g, seed) in [
                (&t, &s.test, CLUTTERED_TEST_SEED),
                (&v, &s.valid, CLUTTERED_VALID_SEED),
            ] {
                assert!(set.images.iter().all(|v| (0.0..=1.0).contains(v)));
                for i in 0..4 {
                    // The whole digit is there: every canvas pixel under it is at least its value.
                    let p = g.layout(seed, 0, i).digit;
                    let src = if seed == CLUTTERED_TEST_SEED {
                        test
                    } else {
                        train
                    };
                    for r in 0..28 {
                        for c in 0..28 {
                            let on = set.image(i)[(p.y + r) * config.canvas + p.x + c];
                            assert!(on >= src.image(p.source)[r * 28 + c]);
                        }
                    }
                }
            }
            println!(
                "{config:?}: valid {:#018x}, test {:#018x}",
                fnv1a(&v.images, &v.labels),
                fnv1a(&t.images, &t.labels)
            );
            assert_eq!(
                fnv1a(&v.images, &v.labels),
                valid_sum,
                "{config:?} validation"
            );
            assert_eq!(fnv1a(&t.images, &t.labels), test_sum, "{config:?} test");
        }
    }

    /// Timing of one training epoch of 100×100 examples on the shipped digits, in batches of 100.
    /// Run with `cargo test --release -p draw-data -- --ignored --nocapture generation_speed`.
    #[test]
    #[ignore]
    fn generation_speed() {
        let (train, test) = shipped_mnist();
        for config in PRESETS {
            let s = ClutteredSplits::new(config, train, test).unwrap();
            let start = Instant::now();
            let mut checksum = 0u64;
            let idx: Vec<usize> = (0..s.train.epoch_len()).collect();
            for chunk in idx.chunks(100) {
                let b = s.train.batch(1, 0, chunk);
                checksum += b.labels.iter().map(|&l| u64::from(l)).sum::<u64>();
            }
            let dt = start.elapsed().as_secs_f64();
            println!(
                "{config:?}: {} examples in {dt:.3} s ({:.0} img/s) [label sum {checksum}]",
                idx.len(),
                idx.len() as f64 / dt
            );
        }
    }
}
