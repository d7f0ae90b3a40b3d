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

impl NoiseKey {
    /// [`NoiseKey::normal`] computed in f32 with plain arithmetic that vectorises (the same
    /// steps as `shaders/fill_normal.wgsl`): the same 64 bits, then Box–Muller with ln from the
    /// exponent bits and an atanh series, and cos from a quarter-turn reduction done in
    /// integers and a Taylor polynomial. Within ~5e-7 of the f64 value.
    #[inline(always)]
    pub fn normal_f32(&self, index: u64) -> f32 {
        let h = self.bits(index);
        (-2.0 * ln_u1((h >> 32) as u32)).sqrt() * cos_turns(h as u32)
    }
}

/// 2·atanh(s) = ln((1 + s)/(1 − s)), series to s¹¹ (|s| ≤ 0.172 here: error < 1e-9).
#[inline(always)]
fn atanh2(s: f32) -> f32 {
    let s2 = s * s;
    2.0 * s
        * (1.0
            + s2 * (1.0 / 3.0
                + s2 * (0.2 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0 + s2 * (1.0 / 11.0))))))
}

/// ln(x) for a normal x > 0: x = f·2ᵉ with f in [√½, √2), then e·ln 2 + 2·atanh((f−1)/(f+1)).
#[inline(always)]
fn ln_acc(x: f32) -> f32 {
    let bits = x.to_bits();
    let mut e = ((bits >> 23) & 0xff) as i32 - 126;
    let mut f = f32::from_bits((bits & 0x007f_ffff) | 0x3f00_0000);
    if f < std::f32::consts::FRAC_1_SQRT_2 {
        f *= 2.0;
        e -= 1;
    }
    let e = e as f32;
    e * 0.693_359_4 + (e * -2.121_944_4e-4 + atanh2((f - 1.0) / (f + 1.0)))
}

/// ln(u1) with u1 = (hi + 1)/2³²; near 1 as ln(1 − m) = 2·atanh(−m/(2 − m)).
#[inline(always)]
fn ln_u1(hi: u32) -> f32 {
    const TWO_M32: f32 = 2.328_306_4e-10;
    if hi < 0x8000_0000 {
        return ln_acc((hi as f32 + 1.0) * TWO_M32);
    }
    let m = (!hi) as f32 * TWO_M32;
    if m < 0.25 {
        atanh2(-m / (2.0 - m))
    } else {
        ln_acc(1.0 - m)
    }
}

/// cos(2π·lo/2³²), reduced exactly in integers to a quarter turn.
#[inline(always)]
fn cos_turns(lo: u32) -> f32 {
    let mut q = lo.abs_diff(0x8000_0000);
    let mut sign = -1.0f32;
    if q > 0x4000_0000 {
        q = 0x8000_0000 - q;
        sign = 1.0;
    }
    let x = std::f32::consts::TAU * (q as f32 * 2.328_306_4e-10);
    let x2 = x * x;
    let c = 1.0
        + x2 * (-0.5
            + x2 * (1.0 / 24.0
                + x2 * (-1.0 / 720.0
                    + x2 * (1.0 / 40_320.0
                        + x2 * (-1.0 / 3_628_800.0 + x2 * (1.0 / 479_001_600.0))))));
    sign * c
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
        let worst = (0..200_000u64)
            .map(|i| (f64::from(k.normal_f32(i)) - k.normal(i)).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-6, "f32 normals within {worst:e} of f64");
        let u: Vec<f64> = (0..1000).map(|i| k.uniform(i)).collect();
        assert!(u.iter().all(|&v| (0.0..1.0).contains(&v)));
    }
}
