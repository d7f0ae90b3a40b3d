//! The Gaussian filterbanks F_X (N × A) and F_Y (N × B) from the five attention outputs
//! (paper eqs. 13–18), forward and backward.
//!
//! Conventions: pixel coordinates are 1-based (a = 1..A), so g̃ = 0 is the image centre
//! (A + 1)/2; filter i = 1..N sits at μ_i = g + (i − (N + 1)/2)·δ. Each row is a softmax over
//! pixels of −(a − μ_i)²/(2σ²), so it sums to 1 and never divides by a vanishing sum.
//! The log-parameters log σ², log δ̃ and log γ are clamped to ±[`LOG_CLAMP`] (gradient zero
//! outside), so that exp() and 1/γ stay finite whatever the network outputs.

use crate::Float;

/// Bound on |log σ²|, |log δ̃| and |log γ|.
pub const LOG_CLAMP: f64 = 10.0;

/// Sizes an attention glimpse works on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    /// Grid size N.
    pub n: usize,
    /// Image width A.
    pub width: usize,
    /// Image height B.
    pub height: usize,
    /// Channels C (the same filters apply to each).
    pub channels: usize,
}

impl Geometry {
    /// Length of an F_X row block, N·A.
    pub fn fx_len(&self) -> usize {
        self.n * self.width
    }
    /// Length of an F_Y row block, N·B.
    pub fn fy_len(&self) -> usize {
        self.n * self.height
    }
    /// Pixels per image, C·B·A.
    pub fn image_len(&self) -> usize {
        self.channels * self.height * self.width
    }
    /// Values per glimpse, C·N².
    pub fn patch_len(&self) -> usize {
        self.channels * self.n * self.n
    }
}

/// Clamps a log-parameter; the flag says whether the gradient passes.
#[inline(always)]
pub fn clamp_log<F: Float>(v: F) -> (F, bool) {
    let lim = F::of(LOG_CLAMP);
    if v > lim {
        (lim, false)
    } else if v < -lim {
        (-lim, false)
    } else {
        (v, true)
    }
}

/// The decoded attention parameters of one example.
#[derive(Clone, Copy, Debug)]
pub struct Decoded<F> {
    /// Grid centre x, in 1-based pixels.
    pub gx: F,
    /// Grid centre y, in 1-based pixels.
    pub gy: F,
    /// Stride δ between filter centres, pixels.
    pub delta: F,
    /// Filter variance σ².
    pub sigma2: F,
    /// Intensity γ.
    pub gamma: F,
    delta_passes: bool,
    sigma_passes: bool,
    gamma_passes: bool,
}

impl<F: Float> Decoded<F> {
    /// Decodes `[g̃X, g̃Y, log σ², log δ̃, log γ]` (eqs. 13–16).
    #[inline(always)]
    pub fn new(p: &[F], geo: &Geometry) -> Self {
        let half = F::of(0.5);
        let (ls, sigma_passes) = clamp_log(p[2]);
        let (ld, delta_passes) = clamp_log(p[3]);
        let (lg, gamma_passes) = clamp_log(p[4]);
        let span = F::of((geo.width.max(geo.height) - 1) as f64 / (geo.n - 1) as f64);
        Decoded {
            gx: F::of((geo.width + 1) as f64) * half * (p[0] + F::one()),
            gy: F::of((geo.height + 1) as f64) * half * (p[1] + F::one()),
            delta: span * ld.exp(),
            sigma2: ls.exp(),
            gamma: lg.exp(),
            delta_passes,
            sigma_passes,
            gamma_passes,
        }
    }

    /// ∂γ/∂(log γ) as used by the chain rule: γ, or 0 where clamped.
    pub fn dgamma_dlog(&self) -> F {
        if self.gamma_passes {
            self.gamma
        } else {
            F::zero()
        }
    }

    /// Whether gradient flows into log γ.
    pub fn gamma_passes(&self) -> bool {
        self.gamma_passes
    }
}

#[inline(always)]
fn axis_forward<F: Float>(g: F, delta: F, sigma2: F, n: usize, len: usize, out: &mut [F]) {
    let centre = F::of((n + 1) as f64 * 0.5);
    let inv = F::of(0.5) / sigma2;
    for i in 0..n {
        let mu = g + (F::of((i + 1) as f64) - centre) * delta;
        let row = &mut out[i * len..(i + 1) * len];
        let mut max = F::neg_infinity();
        for (a, v) in row.iter_mut().enumerate() {
            let d = F::of((a + 1) as f64) - mu;
            *v = -(d * d) * inv;
            max = max.max(*v);
        }
        let mut sum = F::zero();
        for v in row.iter_mut() {
            *v = (*v - max).exp_k();
            sum += *v;
        }
        let inv_sum = F::one() / sum;
        for v in row.iter_mut() {
            *v *= inv_sum;
        }
    }
}

/// Returns (∂/∂g, ∂/∂δ, ∂/∂log σ²) of one axis from its filters and their gradient.
#[inline(always)]
fn axis_backward<F: Float>(
    g: F,
    delta: F,
    sigma2: F,
    n: usize,
    len: usize,
    f: &[F],
    df: &[F],
) -> (F, F, F) {
    let centre = F::of((n + 1) as f64 * 0.5);
    let inv = F::one() / sigma2;
    let half = F::of(0.5);
    let (mut dg, mut ddelta, mut dls) = (F::zero(), F::zero(), F::zero());
    for i in 0..n {
        let offset = F::of((i + 1) as f64) - centre;
        let mu = g + offset * delta;
        let fr = &f[i * len..(i + 1) * len];
        let dr = &df[i * len..(i + 1) * len];
        let dot = fr.iter().zip(dr).fold(F::zero(), |s, (&a, &b)| s + a * b);
        let mut dmu = F::zero();
        for a in 0..len {
            // softmax backward, then s = −(a − μ)²/(2σ²)
            let ds = fr[a] * (dr[a] - dot);
            let d = F::of((a + 1) as f64) - mu;
            dmu += ds * d * inv;
            dls += ds * d * d * inv * half;
        }
        dg += dmu;
        ddelta += dmu * offset;
    }
    (dg, ddelta, dls)
}

/// Writes F_X (N·A) and F_Y (N·B) for one example's attention outputs `p` (5 values).
#[inline(always)]
pub fn forward_row<F: Float>(p: &[F], geo: &Geometry, fx: &mut [F], fy: &mut [F]) {
    let d = Decoded::new(p, geo);
    axis_forward(d.gx, d.delta, d.sigma2, geo.n, geo.width, fx);
    axis_forward(d.gy, d.delta, d.sigma2, geo.n, geo.height, fy);
}

/// Adds to `dp` (5 values) the gradient that `dfx`, `dfy` put on the attention outputs.
#[inline(always)]
pub fn backward_row<F: Float>(
    p: &[F],
    geo: &Geometry,
    fx: &[F],
    fy: &[F],
    dfx: &[F],
    dfy: &[F],
    dp: &mut [F],
) {
    let d = Decoded::new(p, geo);
    let (dgx, ddx, dlx) = axis_backward(d.gx, d.delta, d.sigma2, geo.n, geo.width, fx, dfx);
    let (dgy, ddy, dly) = axis_backward(d.gy, d.delta, d.sigma2, geo.n, geo.height, fy, dfy);
    let half = F::of(0.5);
    dp[0] += dgx * F::of((geo.width + 1) as f64) * half;
    dp[1] += dgy * F::of((geo.height + 1) as f64) * half;
    if d.sigma_passes {
        dp[2] += dlx + dly;
    }
    if d.delta_passes {
        dp[3] += (ddx + ddy) * d.delta;
    }
}
