//! [`SamplingOps`]: counter-based normals and the reparameterised latent with its KL.

use crate::rows::{par_blocks, par_rows, row, rows_mut, slice, slice_mut};
use crate::CpuBackend;
use draw_core::kernels::pointwise;
use draw_core::{Float, Latent, NoiseKey, SamplingOps};
use ndarray::Array2;
use rayon::prelude::*;

impl<F: Float> SamplingOps for CpuBackend<F> {
    fn fill_normal(&self, t: &mut Array2<F>, key: NoiseKey) {
        const CHUNK: usize = 1024;
        par_blocks(
            slice_mut(t).par_chunks_mut(CHUNK),
            #[inline(always)]
            |c, chunk| {
                for (k, v) in chunk.iter_mut().enumerate() {
                    *v = F::normal(&key, (c * CHUNK + k) as u64);
                }
            },
        );
    }

    fn sample_latent(&self, latent: Latent<'_, Array2<F>>, z: &mut Array2<F>, kl: &mut Array2<F>) {
        let n = latent.eps.ncols();
        let (ml, e) = (slice(latent.mu_logsig), slice(latent.eps));
        par_rows(
            (rows_mut(z), rows_mut(kl)),
            #[inline(always)]
            |r, (z, k)| {
                let (m, l) = row(ml, r, 2 * n).split_at(n);
                k[0] += pointwise::sample_latent_row(m, l, row(e, r, n), z)
            },
        );
    }

    fn latent_log_ratio(&self, latent: Latent<'_, Array2<F>>, out: &mut Array2<F>) {
        let n = latent.eps.ncols();
        let (ml, e) = (slice(latent.mu_logsig), slice(latent.eps));
        par_rows(
            rows_mut(out),
            #[inline(always)]
            |r, o| {
                let (m, l) = row(ml, r, 2 * n).split_at(n);
                o[0] += pointwise::latent_log_ratio_row(m, l, row(e, r, n))
            },
        );
    }

    /// Row by row on the calling thread.
    fn sample_latent_backward(
        &self,
        latent: Latent<'_, Array2<F>>,
        dz: &Array2<F>,
        kl_scale: f64,
        dmu_logsig: &mut Array2<F>,
    ) {
        let n = latent.eps.ncols();
        let (ml, e, d) = (slice(latent.mu_logsig), slice(latent.eps), slice(dz));
        for (r, out) in slice_mut(dmu_logsig).chunks_mut(2 * n).enumerate() {
            let (m, l) = row(ml, r, 2 * n).split_at(n);
            let (dm, dl) = out.split_at_mut(n);
            let k = F::of(kl_scale);
            pointwise::sample_latent_backward_row(m, l, row(e, r, n), row(d, r, n), k, dm, dl);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use draw_core::Storage;

    #[test]
    fn sample_latent_keeps_kl_rows_in_order() {
        // The KL column must line up with its rows.
        let b = CpuBackend::<f64>::new();
        // [μ | log σ] rows: (0, 0) and (2, 0).
        let ml = b.tensor(2, 2, &[0.0, 0.0, 2.0, 0.0]);
        let eps = b.tensor(2, 1, &[0.0, 0.0]);
        let (mut z, mut kl) = (b.zeros(2, 1), b.zeros(2, 1));
        let latent = Latent {
            mu_logsig: &ml,
            eps: &eps,
        };
        b.sample_latent(latent, &mut z, &mut kl);
        assert_eq!(b.download(&kl), vec![0.0, 2.0]);
    }
}
