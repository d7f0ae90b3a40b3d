//! Evaluation workspaces that record more than the loss sums: the KL of each time step and,
//! for the importance-weighted bound, each row's log importance weight.

use super::workspace::Probe;
use super::{Draw, Workspace};
use crate::backend::Backend;
use crate::error::{DrawError, Result};
use crate::Float;

/// What the last forward pass of probed workspaces ([`Draw::probe_workspaces`]) recorded.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Probed {
    /// Σ over the batch's rows of step t's KL, for t = 1..T.
    pub kl_steps: Vec<f64>,
    /// Per row (in batch order): log D(x | c_T) + log N(z; 0, I) − log Q(z | x), the log
    /// importance weight of the row's latent sample z = (z_1 … z_T); empty unless asked for.
    pub log_weights: Vec<f64>,
}

impl<B: Backend> Draw<B> {
    /// [`Draw::shard_workspaces`] that also record each step's KL and, if `log_weights`, each
    /// row's log importance weight (one [`crate::backend::SamplingOps::latent_log_ratio`] a
    /// step), read by [`Draw::probed`] after [`Draw::forward_shards`].
    pub fn probe_workspaces(&self, b: &B, batch: usize, log_weights: bool) -> Vec<Workspace<B>> {
        let mut shards = self.shard_workspaces(b, batch);
        for ws in &mut shards {
            ws.probe = Some(Probe {
                kl_after: b.zeros(ws.batch, self.config.steps),
                log_ratio: log_weights.then(|| b.zeros(ws.batch, 1)),
            });
        }
        shards
    }

    /// What the last forward pass over `shards` recorded (downloaded: evaluation only).
    pub fn probed(&self, b: &B, shards: &[Workspace<B>]) -> Result<Probed> {
        let t = self.config.steps;
        let mut out = Probed {
            kl_steps: vec![0.0; t],
            log_weights: Vec::new(),
        };
        for ws in shards {
            let p = ws.probe.as_ref().ok_or_else(|| {
                DrawError::Shape("probed: the workspace was not built by probe_workspaces".into())
            })?;
            let after = b.download(&p.kl_after);
            for row in after.chunks(t.max(1)) {
                let mut before = 0.0;
                for (s, v) in out.kl_steps.iter_mut().zip(row) {
                    *s += v.f64() - before;
                    before = v.f64();
                }
            }
            if let Some(r) = &p.log_ratio {
                let bce = b.download(&ws.bce);
                let ratio = b.download(r);
                out.log_weights
                    .extend(bce.iter().zip(&ratio).map(|(l, r)| -l.f64() - r.f64()));
            }
        }
        Ok(out)
    }
}
