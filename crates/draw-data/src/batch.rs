//! Shuffled mini-batches.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

use crate::dataset::Dataset;

/// Shuffled mini-batch indices: epoch e is a permutation drawn from a `StdRng` seeded by
/// (seed, e) alone, so any epoch can be regenerated without replaying the ones before it (a
/// resumed run sees the same order as one that was never interrupted).
#[derive(Debug, Clone)]
pub struct Batcher {
    len: usize,
    batch_size: usize,
    drop_last: bool,
    seed: u64,
    next_epoch: u64,
}

/// SplitMix64's finaliser: a well-mixed 64-bit key from two words.
pub fn mix_key(a: u64, b: u64) -> u64 {
    let mut z = a ^ b
        .wrapping_add(0x9e37_79b9_7f4a_7c15)
        .wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Batcher {
    /// Batches of `batch_size` over indices `0..len`; when `drop_last`, the final partial batch
    /// of each epoch is dropped. Panics if `batch_size` is zero.
    pub fn new(len: usize, batch_size: usize, drop_last: bool, seed: u64) -> Batcher {
        assert!(batch_size > 0, "batch_size must be positive");
        Batcher {
            len,
            batch_size,
            drop_last,
            seed,
            next_epoch: 0,
        }
    }

    /// Number of batches [`Batcher::epoch`] returns.
    pub fn batches_per_epoch(&self) -> usize {
        if self.drop_last {
            self.len / self.batch_size
        } else {
            self.len.div_ceil(self.batch_size)
        }
    }

    /// Index lists for the next epoch ([`Batcher::batches`] of a counter starting at 0), so
    /// successive calls differ but the whole sequence is reproducible from the seed.
    pub fn epoch(&mut self) -> Vec<Vec<usize>> {
        let e = self.next_epoch;
        self.next_epoch += 1;
        self.batches(e)
    }

    /// Index lists for epoch `epoch` (0-based): a pure function of (seed, epoch).
    pub fn batches(&self, epoch: u64) -> Vec<Vec<usize>> {
        let mut order: Vec<usize> = (0..self.len).collect();
        order.shuffle(&mut StdRng::seed_from_u64(mix_key(self.seed, epoch)));
        order
            .chunks(self.batch_size)
            .take(self.batches_per_epoch())
            .map(<[usize]>::to_vec)
            .collect()
    }
}

/// Gathers the images at `indices` into one contiguous, batch-major buffer.
/// Panics if an index is out of range.
pub fn gather(dataset: &Dataset, indices: &[usize]) -> Vec<f32> {
    let mut out = Vec::with_capacity(indices.len() * dataset.image_size());
    indices
        .iter()
        .for_each(|&i| out.extend_from_slice(dataset.image(i)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(batches: &[Vec<usize>]) -> Vec<usize> {
        let mut all = batches.concat();
        all.sort_unstable();
        all
    }

    #[test]
    fn every_index_once_without_drop_last() {
        let mut b = Batcher::new(103, 10, false, 1);
        assert_eq!(b.batches_per_epoch(), 11);
        let e = b.epoch();
        assert_eq!(e.len(), 11);
        assert!(e[..10].iter().all(|x| x.len() == 10));
        assert_eq!(e[10].len(), 3);
        assert_eq!(sorted(&e), (0..103).collect::<Vec<_>>());
    }

    #[test]
    fn drop_last_drops_partial_batch() {
        let mut b = Batcher::new(103, 10, true, 1);
        assert_eq!(b.batches_per_epoch(), 10);
        let e = b.epoch();
        assert_eq!(e.len(), 10);
        assert!(e.iter().all(|x| x.len() == 10));
        let all = sorted(&e);
        all.windows(2)
            .for_each(|w| assert!(w[0] < w[1], "duplicate index"));
        assert!(all.iter().all(|&i| i < 103));
        assert_eq!(Batcher::new(100, 10, true, 0).epoch().len(), 10);
        assert!(Batcher::new(5, 10, true, 0).epoch().is_empty());
        assert_eq!(
            sorted(&Batcher::new(5, 10, false, 0).epoch()),
            [0, 1, 2, 3, 4]
        );
    }

    #[test]
    fn reproducible_and_epochs_differ() {
        let (mut a, mut b) = (
            Batcher::new(100, 16, false, 9),
            Batcher::new(100, 16, false, 9),
        );
        let (a1, a2) = (a.epoch(), a.epoch());
        assert_eq!((a1.clone(), a2.clone()), (b.epoch(), b.epoch()));
        assert_ne!(a1, a2);
        assert_ne!(a1, Batcher::new(100, 16, false, 10).epoch());
        assert_ne!(a1.concat(), (0..100).collect::<Vec<_>>(), "not shuffled");
    }

    #[test]
    fn any_epoch_regenerates_without_the_ones_before() {
        let mut a = Batcher::new(100, 16, false, 9);
        let seen: Vec<_> = (0..4).map(|_| a.epoch()).collect();
        let b = Batcher::new(100, 16, false, 9);
        assert_eq!(b.batches(3), seen[3]);
        assert_eq!(b.batches(0), seen[0]);
    }

    #[test]
    fn gather_is_batch_major() {
        let d = Dataset {
            images: (0..12).map(|v| v as f32).collect(),
            labels: vec![0; 3],
            len: 3,
            channels: 1,
            height: 2,
            width: 2,
        };
        assert_eq!(
            gather(&d, &[2, 0]),
            [8.0, 9.0, 10.0, 11.0, 0.0, 1.0, 2.0, 3.0]
        );
        assert!(gather(&d, &[]).is_empty());
    }
}
