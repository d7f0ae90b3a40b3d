//! The optimiser's fused update.

use super::Storage;
use crate::kernels::pointwise::{self, AdamStep};

/// Optimiser updates (multi-tensor variants belong here too).
pub trait OptimOps: Storage {
    /// One Adam update of `p` from gradient `g` and moments `m`, `v`.
    fn adam(
        &self,
        p: &mut Self::Tensor,
        g: &Self::Tensor,
        m: &mut Self::Tensor,
        v: &mut Self::Tensor,
        step: &AdamStep,
    ) {
        let gv = self.download(g);
        let (mut pv, mut mv, mut vv) = (self.download(p), self.download(m), self.download(v));
        pointwise::adam(&mut pv, &gv, &mut mv, &mut vv, step);
        self.upload(p, &pv);
        self.upload(m, &mv);
        self.upload(v, &vv);
    }
}
