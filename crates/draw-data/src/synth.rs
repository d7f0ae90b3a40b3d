//! Shared machinery of the generated data sets: a keyed random stream, the [`Piece`] placement
//! record, source-digit checks and clipped pasting.
//!
//! Every generated example is a pure function of `(seed, epoch, index)`: its random draws come
//! from a SplitMix64 stream whose state is derived from that key (and a per-generator domain
//! constant), not from a shared RNG. SplitMix64 is written out here rather than taken from
//! `rand`, so the images do not change when `rand` changes its generators.

use std::ops::Range;

use crate::dataset::Dataset;
use crate::error::{DataError, Result};

/// One rectangle copied from a source digit onto the canvas, as the generator placed it.
///
/// The pixels `source[src_y + r][src_x + c]` for `r < height`, `c < width` are added to
/// `canvas[y + r][x + c]`, and the sum is clipped at 1. A whole digit has `src_y = src_x = 0`
/// and the digit's full size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Piece {
    /// Index of the source digit in the MNIST split the generator was built from.
    pub source: usize,
    /// Top row of the copied rectangle in the source image.
    pub src_y: usize,
    /// Left column of the copied rectangle in the source image.
    pub src_x: usize,
    /// Top row of the rectangle on the canvas.
    pub y: usize,
    /// Left column of the rectangle on the canvas.
    pub x: usize,
    /// Rows copied.
    pub height: usize,
    /// Columns copied.
    pub width: usize,
}

/// SplitMix64's output function (a bijection on `u64`).
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// A SplitMix64 stream whose state is a hash of `(domain, seed, epoch, index)`.
#[derive(Debug, Clone)]
pub(crate) struct KeyedRng(u64);

impl KeyedRng {
    /// The stream for one example; `domain` separates the generators.
    pub(crate) fn new(domain: u64, seed: u64, epoch: u64, index: u64) -> KeyedRng {
        let state = [seed, epoch, index]
            .into_iter()
            .fold(mix(domain), |s, v| mix(s.wrapping_add(GOLDEN) ^ v));
        KeyedRng(state)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix(self.0)
    }

    /// Uniform in `0..n` (exact: Lemire's multiply-and-reject). Panics if `n == 0`.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "empty range");
        let n = n as u64;
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = u128::from(self.next_u64()) * u128::from(n);
            if (m as u64) >= threshold {
                return (m >> 64) as usize;
            }
        }
    }
}

/// The digits `range` of an MNIST split, copied out, after checking they can be pasted.
///
/// `what` names the generator in error messages. Checks: the range is non-empty and inside the
/// split, images have one channel, every value is in `[0, 1]`.
pub(crate) fn source_digits(mnist: &Dataset, range: Range<usize>, what: &str) -> Result<Dataset> {
    let bad = |detail: String| DataError::BadSource {
        detail: format!("{what}: {detail}"),
    };
    if range.is_empty() || range.end > mnist.len {
        return Err(bad(format!(
            "digit range {}..{} is empty or not inside the {} digits given",
            range.start, range.end, mnist.len
        )));
    }
    if mnist.channels != 1 {
        return Err(bad(format!(
            "digits have {} channels, expected 1",
            mnist.channels
        )));
    }
    let size = mnist.image_size();
    let images = mnist.images[range.start * size..range.end * size].to_vec();
    if let Some(pos) = images.iter().position(|v| !(0.0..=1.0).contains(v)) {
        return Err(bad(format!(
            "digit {} has value {} outside [0, 1]",
            range.start + pos / size,
            images[pos]
        )));
    }
    Ok(Dataset {
        images,
        labels: mnist.labels[range.clone()].to_vec(),
        len: range.len(),
        ..*mnist
    })
}

/// Adds `piece` of `digits` (whose first digit has index `offset`) onto the square `canvas` of
/// side `side`, clipping each sum at 1. With non-negative values, clipping after every piece
/// equals clipping the total once.
pub(crate) fn paste(canvas: &mut [f32], side: usize, digits: &Dataset, offset: usize, p: &Piece) {
    let src = digits.image(p.source - offset);
    for r in 0..p.height {
        let s = &src[(p.src_y + r) * digits.width + p.src_x..][..p.width];
        let d = &mut canvas[(p.y + r) * side + p.x..][..p.width];
        d.iter_mut()
            .zip(s)
            .for_each(|(d, &s)| *d = (*d + s).min(1.0));
    }
}

/// A generator of single-channel square images whose example `index` of `epoch` is a pure
/// function of `(seed, epoch, index)`: a resumed run regenerates exactly the same examples, and
/// a fixed evaluation set is one `(seed, epoch)` that never changes.
///
/// An epoch is `epoch_len()` examples, indices `0..epoch_len()`; shuffle them with a
/// [`crate::Batcher`] and fetch each batch with [`Generator::batch`].
pub trait Generator {
    /// Side of the square canvas, in pixels.
    fn side(&self) -> usize;

    /// Examples per epoch.
    fn epoch_len(&self) -> usize;

    /// Writes example `index` of `epoch` under `seed` into `out` (overwriting it; `side()²`
    /// values) and returns its label. Panics if `out` has the wrong length.
    fn example_into(&self, seed: u64, epoch: u64, index: usize, out: &mut [f32]) -> u8;

    /// Pixels per image: `side()²`.
    fn image_size(&self) -> usize {
        self.side() * self.side()
    }

    /// The examples `indices` of `epoch`, in that order, as a single-channel
    /// `side() × side()` set with their labels.
    fn batch(&self, seed: u64, epoch: u64, indices: &[usize]) -> Dataset {
        let size = self.image_size();
        let mut images = vec![0.0; indices.len() * size];
        let labels = indices
            .iter()
            .zip(images.chunks_exact_mut(size))
            .map(|(&i, out)| self.example_into(seed, epoch, i, out))
            .collect();
        Dataset {
            images,
            labels,
            len: indices.len(),
            channels: 1,
            height: self.side(),
            width: self.side(),
        }
    }

    /// All `epoch_len()` examples of `epoch`, in index order. This holds the whole epoch in
    /// memory (4 bytes a pixel: 40 kB per 100×100 image); prefer [`Generator::batch`] for
    /// training.
    fn epoch(&self, seed: u64, epoch: u64) -> Dataset {
        self.batch(seed, epoch, &(0..self.epoch_len()).collect::<Vec<_>>())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::Path;
    use std::sync::OnceLock;

    use super::*;
    use crate::mnist::{load_mnist, Split};

    /// The shipped MNIST (`data/mnist`), training and test sets, loaded once per test binary.
    pub(crate) fn shipped_mnist() -> &'static (Dataset, Dataset) {
        static MNIST: OnceLock<(Dataset, Dataset)> = OnceLock::new();
        MNIST.get_or_init(|| {
            let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/mnist"));
            (
                load_mnist(dir, Split::Train).unwrap(),
                load_mnist(dir, Split::Test).unwrap(),
            )
        })
    }

    /// FNV-1a (64-bit) over the bit patterns of `values` and the `labels`, to pin generated sets.
    pub(crate) fn fnv1a(values: &[f32], labels: &[u8]) -> u64 {
        let bytes = values
            .iter()
            .flat_map(|v| v.to_bits().to_le_bytes())
            .chain(labels.iter().copied());
        bytes.fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    }

    /// A set of `len` single-channel `h × w` images; image `i` is filled with `value(i)` and has
    /// label `i % 10`.
    pub(crate) fn filled(len: usize, h: usize, w: usize, value: impl Fn(usize) -> f32) -> Dataset {
        Dataset {
            images: (0..len)
                .flat_map(|i| std::iter::repeat_n(value(i), h * w))
                .collect(),
            labels: (0..len).map(|i| (i % 10) as u8).collect(),
            len,
            channels: 1,
            height: h,
            width: w,
        }
    }

    #[test]
    fn keyed_rng_is_a_pure_function_of_the_key() {
        let draws = |d, s, e, i| {
            let mut r = KeyedRng::new(d, s, e, i);
            (0..8).map(|_| r.below(1000)).collect::<Vec<_>>()
        };
        assert_eq!(draws(1, 2, 3, 4), draws(1, 2, 3, 4));
        let base = draws(1, 2, 3, 4);
        for other in [
            draws(0, 2, 3, 4),
            draws(1, 0, 3, 4),
            draws(1, 2, 0, 4),
            draws(1, 2, 3, 0),
            draws(1, 3, 2, 4),
        ] {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn below_is_in_range_and_roughly_uniform() {
        let mut r = KeyedRng::new(0, 0, 0, 0);
        let mut counts = [0usize; 7];
        (0..70_000).for_each(|_| counts[r.below(7)] += 1);
        assert!(
            counts.iter().all(|&c| (9_500..10_500).contains(&c)),
            "{counts:?}"
        );
        assert!((0..100).all(|_| r.below(1) == 0));
    }

    #[test]
    fn source_digits_checks_range_channels_and_values() {
        let d = filled(5, 3, 3, |i| i as f32 / 10.0);
        let s = source_digits(&d, 1..4, "t").unwrap();
        assert_eq!((s.len, s.labels.as_slice()), (3, &[1, 2, 3][..]));
        assert_eq!(s.image(0), d.image(1));
        for range in [2..2, 3..6] {
            let err = source_digits(&d, range, "gen").unwrap_err();
            assert!(matches!(err, DataError::BadSource { .. }), "{err:?}");
            assert!(err.to_string().contains("gen: digit range"), "{err}");
        }
        let rgb = Dataset {
            channels: 3,
            ..filled(1, 1, 3, |_| 0.0)
        };
        assert!(source_digits(&rgb, 0..1, "t")
            .unwrap_err()
            .to_string()
            .contains("3 channels"));
        let hot = filled(3, 2, 2, |i| if i == 2 { 1.5 } else { 0.5 });
        let msg = source_digits(&hot, 0..3, "t").unwrap_err().to_string();
        assert!(msg.contains("digit 2 has value 1.5"), "{msg}");
    }

    #[test]
    fn paste_adds_and_clips() {
        let digits = filled(2, 2, 3, |i| 0.25 + 0.5 * i as f32);
        let mut canvas = vec![0.0; 16];
        let p = |source, y, x| Piece {
            source,
            src_y: 0,
            src_x: 1,
            y,
            x,
            height: 2,
            width: 2,
        };
        paste(&mut canvas, 4, &digits, 10, &p(10, 0, 0));
        paste(&mut canvas, 4, &digits, 10, &p(11, 1, 1));
        #[rustfmt::skip]
        let want = [
            0.25, 0.25, 0.0, 0.0,
            0.25, 1.0, 0.75, 0.0,
            0.0, 0.75, 0.75, 0.0,
            0.0, 0.0, 0.0, 0.0,
        ];
        assert_eq!(canvas, want);
    }
}
