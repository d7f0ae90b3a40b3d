//! Counter-based random numbers shared by every backend.
//!
//! A value depends only on (seed, stream, index), never on the order in which values are drawn,
//! so any backend (or any thread) that fills the same tensor with the same key gets the same
//! numbers. The hash is SplitMix64's finaliser; normals come from Box–Muller on two 32-bit halves.

/// Identifies one tensor's worth of random numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoiseKey {
    /// The run's seed.
    pub seed: u64,
    /// Which draw (e.g. optimiser step × T + t).
    pub stream: u64,
    /// Added to every element index: a shard holding rows r0.. of a batch draws with offset
    /// r0·cols, so that it gets the numbers the whole batch would.
    pub offset: u64,
}

#[inline]
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl NoiseKey {
    /// A new key.
    pub fn new(seed: u64, stream: u64) -> Self {
        NoiseKey {
            seed,
            stream,
            offset: 0,
        }
    }

    /// The same key with element indices shifted by `offset`.
    pub fn with_offset(self, offset: u64) -> Self {
        NoiseKey { offset, ..self }
    }

    /// 64 random bits for element `index`: `splitmix64(bits_base() ^ (offset + index))`.
    #[inline]
    pub fn bits(&self, index: u64) -> u64 {
        mix(self.bits_base() ^ self.offset.wrapping_add(index))
    }

    /// The key's 64-bit base, `splitmix64(splitmix64(seed) ^ stream)`: what a device kernel
    /// needs to reproduce [`NoiseKey::bits`] (GPU backends compute the last mix themselves).
    #[inline]
    pub fn bits_base(&self) -> u64 {
        mix(mix(self.seed) ^ self.stream)
    }

    /// A uniform sample in [0, 1) for element `index`.
    pub fn uniform(&self, index: u64) -> f64 {
        (self.bits(index) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A standard normal sample for element `index`.
    #[inline]
    pub fn normal(&self, index: u64) -> f64 {
        let h = self.bits(index);
        let u1 = ((h >> 32) as f64 + 1.0) * (1.0 / 4_294_967_296.0);
        let u2 = (h & 0xffff_ffff) as f64 * (1.0 / 4_294_967_296.0);
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normals_have_unit_moments_and_depend_only_on_the_key() {
        let k = NoiseKey::new(7, 3);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|i| k.normal(i)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.01, "var {var}");
        assert_eq!(k.normal(12345), NoiseKey::new(7, 3).normal(12345));
        assert_ne!(k.normal(0), NoiseKey::new(7, 4).normal(0));
        assert_ne!(k.normal(0), NoiseKey::new(8, 3).normal(0));
        assert_eq!(k.with_offset(40).normal(2), k.normal(42));
        let u: Vec<f64> = (0..1000).map(|i| k.uniform(i)).collect();
        assert!(u.iter().all(|&v| (0.0..1.0).contains(&v)));
    }
}
