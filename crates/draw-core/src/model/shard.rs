//! A batch split into contiguous shards that run concurrently ([`Storage::run_shards`]): each
//! shard has its own workspace and gradients, summed into the first shard's after backward.

use super::{Draw, Loss, Workspace};
use crate::backend::{Backend, Storage};
use crate::error::{DrawError, Result};
use crate::params::DrawParams;
use crate::rng::NoiseKey;

/// (first row, rows) of each of the `b.shards(batch)` near-equal contiguous shards of a batch.
pub(super) fn shard_rows<B: Storage>(b: &B, batch: usize) -> Vec<(usize, usize)> {
    let k = b.shards(batch).clamp(1, batch.max(1));
    let mut first = 0;
    (0..k)
        .map(|i| {
            let rows = batch / k + usize::from(i < batch % k);
            first += rows;
            (first - rows, rows)
        })
        .collect()
}

/// The result a shard's closure leaves behind.
fn shard_result<T>(r: Option<Result<T>>) -> Result<T> {
    r.unwrap_or_else(|| {
        Err(DrawError::Shape(
            "a shard did not run: the backend's run_shards skipped an item".into(),
        ))
    })
}

impl<B: Backend> Draw<B> {
    /// Workspaces for a batch of `batch` examples split into `b.shards(batch)` contiguous
    /// shards of near-equal size, for [`Draw::forward_shards`] and [`Draw::backward_shards`].
    pub fn shard_workspaces(&self, b: &B, batch: usize) -> Vec<Workspace<B>> {
        shard_rows(b, batch)
            .into_iter()
            .map(|(first, rows)| self.shard_workspace(b, rows, first, batch))
            .collect()
    }

    /// [`Draw::forward`] of a whole batch `x` over the shards of
    /// [`Draw::shard_workspaces`], run by [`Storage::run_shards`]: the same numbers as one
    /// workspace (each shard draws the noise of its own rows), up to summation order.
    pub fn forward_shards(
        &self,
        b: &B,
        shards: &mut [Workspace<B>],
        x: &[B::F],
        noise: NoiseKey,
    ) -> Result<Loss> {
        let per_shard = self.each_shard(b, shards, x, |ws, xs| self.forward(b, ws, xs, noise))?;
        let mut total = Loss::default();
        for l in &per_shard {
            total.add(l);
        }
        Ok(total)
    }

    /// [`Draw::forward_shards`] without summing the loss: each shard's terms stay in its
    /// workspace ([`Draw::loss_terms`]).
    pub(crate) fn forward_shards_pass(
        &self,
        b: &B,
        shards: &mut [Workspace<B>],
        x: &[B::F],
        noise: NoiseKey,
    ) -> Result<()> {
        self.each_shard(b, shards, x, |ws, xs| self.forward_pass(b, ws, xs, noise))?;
        Ok(())
    }

    /// `f(workspace, its rows of x)` on every shard, by [`Storage::run_shards`].
    fn each_shard<R: Send>(
        &self,
        b: &B,
        shards: &mut [Workspace<B>],
        x: &[B::F],
        f: impl Fn(&mut Workspace<B>, &[B::F]) -> Result<R> + Sync,
    ) -> Result<Vec<R>> {
        let size = self.config.image_size();
        self.check_batch(shards.iter().map(|w| w.batch).sum(), x)?;
        let mut results: Vec<(&mut Workspace<B>, Option<Result<R>>)> =
            shards.iter_mut().map(|w| (w, None)).collect();
        b.run_shards(&mut results, |_, (ws, out)| {
            let xs = &x[ws.first_row * size..(ws.first_row + ws.batch) * size];
            *out = Some(f(ws, xs));
        });
        results.into_iter().map(|(_, r)| shard_result(r)).collect()
    }

    /// [`Draw::backward`] on every shard of the last [`Draw::forward_shards`], then the
    /// shards' gradients summed into `grads[0]` (the gradient of the whole batch's mean loss).
    pub fn backward_shards(
        &self,
        b: &B,
        shards: &mut [Workspace<B>],
        grads: &mut [DrawParams<B::Tensor>],
    ) -> Result<()> {
        let mut items: Vec<_> = shards
            .iter_mut()
            .zip(grads.iter_mut())
            .map(|(ws, g)| (ws, g, None))
            .collect();
        b.run_shards(&mut items, |_, (ws, g, out)| {
            *out = Some(self.backward(b, ws, g))
        });
        for (_, _, r) in items {
            shard_result(r)?;
        }
        if let Some((first, rest)) = grads.split_first_mut() {
            for other in rest {
                for ((_, dst), (_, src)) in first.named_mut().into_iter().zip(other.named()) {
                    let (rows, cols) = b.shape(src);
                    if rows * cols > 0 {
                        b.copy_cols(src, 0, dst, 0, cols, true);
                    }
                }
            }
        }
        Ok(())
    }
}
