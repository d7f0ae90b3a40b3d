//! Sampling: counter-based normals and the reparameterised latent (paper eq. 3 and the KL of
//! eq. 10), and the latent's sampled log-density ratio for the importance-weighted bound.

use super::{host, CopyTo, Gemm, Mat, MatrixOps};
use crate::rng::NoiseKey;
use crate::Float;

/// The posterior's parameters and the noise a step drew: z = μ + exp(log σ)·ε.
pub struct Latent<'a, T> {
    /// `[μ | log σ]`, rows × 2z: μ in columns 0..z, log σ in z..2z (one linear layer's
    /// output, so that the model computes both with one GEMM).
    pub mu_logsig: &'a T,
    /// ε, rows × z.
    pub eps: &'a T,
}

/// Noise and the latent sample with its KL term. Extends [`MatrixOps`] for the op that makes
/// `[μ | log σ]` by its layer and samples in one.
pub trait SamplingOps: MatrixOps {
    /// Fills with standard normals from `key`; element (r, c) uses index r·cols + c (plus the
    /// key's offset).
    fn fill_normal(&self, t: &mut Self::Tensor, key: NoiseKey) {
        let (r, c) = self.shape(t);
        let v: Vec<_> = (0..(r * c) as u64)
            .map(|i| Self::F::of(key.normal(i)))
            .collect();
        self.upload(t, &v);
    }
    /// z = μ + exp(log σ)·ε; adds each row's KL to the `rows × 1` tensor `kl`.
    fn sample_latent(
        &self,
        latent: Latent<'_, Self::Tensor>,
        z: &mut Self::Tensor,
        kl: &mut Self::Tensor,
    ) {
        host::sample_latent(self, latent, z, kl);
    }
    /// [`SamplingOps::sample_latent`], `z` also written to `z_copy` (the decoder's input, so
    /// that no copy op follows). Default: the sample, then the copy.
    fn sample_latent_to(
        &self,
        latent: Latent<'_, Self::Tensor>,
        (z, kl): (&mut Self::Tensor, &mut Self::Tensor),
        z_copy: CopyTo<'_, Self::Tensor>,
    ) {
        host::sample_latent_to(self, latent, (z, kl), z_copy);
    }
    /// Adds each row's log Q(z | h) − log N(z; 0, I) = Σ_j (½ z² − ½ ε² − log σ), with
    /// z = μ + exp(log σ)·ε, to the `rows × 1` tensor `out` (evaluation only: the
    /// importance-weighted bound).
    fn latent_log_ratio(&self, latent: Latent<'_, Self::Tensor>, out: &mut Self::Tensor) {
        host::latent_log_ratio(self, latent, out);
    }
    /// Gradients of μ and log σ from `dz` and `kl_scale` × KL, as `[dμ | d log σ]` (rows ×
    /// 2z, laid out as [`Latent::mu_logsig`]).
    fn sample_latent_backward(
        &self,
        latent: Latent<'_, Self::Tensor>,
        dz: &Self::Tensor,
        kl_scale: f64,
        dmu_logsig: &mut Self::Tensor,
    ) {
        host::sample_latent_backward(self, latent, (dz, kl_scale), dmu_logsig);
    }
    /// [`SamplingOps::sample_latent_backward`], `[dμ | d log σ]` also written to `copy` (the
    /// rows of all steps that the μ and log σ layer's weight-gradient GEMM reads). Default:
    /// the backward, then the copy.
    fn sample_latent_backward_to(
        &self,
        latent: Latent<'_, Self::Tensor>,
        (dz, kl_scale): (&Self::Tensor, f64),
        dmu_logsig: &mut Self::Tensor,
        copy: CopyTo<'_, Self::Tensor>,
    ) {
        host::sample_latent_backward_to(self, latent, (dz, kl_scale), dmu_logsig, copy);
    }
    /// [`SamplingOps::sample_latent_backward_to`], then through the μ and log σ layer to its
    /// input: `dh` += `[dμ | d log σ]`·W (`weight` the `[W_μ; W_logσ]` layer, 2z × in): a
    /// backward step's latent in one op. Default: the backward, then [`MatrixOps::gemm`].
    fn latent_layer_backward_to(
        &self,
        latent: Latent<'_, Self::Tensor>,
        (dz, kl_scale): (&Self::Tensor, f64),
        dmu_logsig: &mut Self::Tensor,
        copy: CopyTo<'_, Self::Tensor>,
        (weight, dh): (&Self::Tensor, &mut Self::Tensor),
    ) {
        self.sample_latent_backward_to(latent, (dz, kl_scale), dmu_logsig, copy);
        self.gemm(dh, Gemm::add_to(Mat::n(dmu_logsig), Mat::n(weight)));
    }
    /// ε drawn from `key` into `eps` (as [`SamplingOps::fill_normal`]), then
    /// [`SamplingOps::sample_latent_to`] with it: a forward step's sample in one op. Default:
    /// the two ops.
    fn sample_latent_drawn_to(
        &self,
        mu_logsig: &Self::Tensor,
        (eps, key): (&mut Self::Tensor, NoiseKey),
        (z, kl): (&mut Self::Tensor, &mut Self::Tensor),
        z_copy: CopyTo<'_, Self::Tensor>,
    ) {
        host::sample_latent_drawn_to(self, mu_logsig, (eps, key), (z, kl), z_copy);
    }
    /// The fused μ and log σ layer, then the sample: `mu_logsig` = h·Wᵀ + b (`weight` the
    /// `[W_μ; W_logσ]` layer, 2z × in, `bias` 1 × 2z), then
    /// [`SamplingOps::sample_latent_drawn_to`] on it: a forward step's latent in one op.
    /// Default: [`MatrixOps::gemm_bias`], then that.
    fn latent_layer_sample_to(
        &self,
        (h, weight, bias): (&Self::Tensor, &Self::Tensor, &Self::Tensor),
        mu_logsig: &mut Self::Tensor,
        (eps, key): (&mut Self::Tensor, NoiseKey),
        (z, kl): (&mut Self::Tensor, &mut Self::Tensor),
        z_copy: CopyTo<'_, Self::Tensor>,
    ) {
        self.gemm_bias(mu_logsig, Gemm::new(Mat::n(h), Mat::t(weight)), bias);
        self.sample_latent_drawn_to(mu_logsig, (eps, key), (z, kl), z_copy);
    }
}
