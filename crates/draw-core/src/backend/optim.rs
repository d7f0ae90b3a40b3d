//! The optimiser's fused update, and the training ledger that lets a step decide on the
//! device whether to take it ([`crate::kernels::ledger`]).

use super::MatrixOps;
use crate::kernels::ledger::{self, Verdict};
use crate::kernels::pointwise::{self, AdamStep};
use crate::Float;

/// Optimiser updates (multi-tensor variants belong here too).
pub trait OptimOps: MatrixOps {
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

    /// `ledger[at + i]` = Σ of `ts[i]` (Σ of squares when `squares`), left on the device: a
    /// step's loss and gradient sums for [`OptimOps::step_verdict`]. Default:
    /// [`MatrixOps::sum`] or [`MatrixOps::sum_squares`] of each, written into the ledger.
    fn sums_into(&self, ts: &[&Self::Tensor], ledger: &mut Self::Tensor, at: usize, squares: bool) {
        let mut l = self.download(ledger);
        for (slot, t) in l[at..at + ts.len()].iter_mut().zip(ts) {
            let s = if squares {
                self.sum_squares(t)
            } else {
                self.sum(t)
            };
            *slot = Self::F::of(s);
        }
        self.upload(ledger, &l);
    }

    /// Decides the step from the sums in `ledger` ([`ledger::step_verdict`]): whether its
    /// update is taken and its clipping factor, and adds it to the ledger's accumulators.
    fn step_verdict(&self, ledger: &mut Self::Tensor, verdict: &Verdict) {
        let mut l = self.download(ledger);
        ledger::step_verdict(&mut l, verdict);
        self.upload(ledger, &l);
    }

    /// [`OptimOps::adam`] with the gradient scaled by the ledger's [`ledger::GRAD_SCALE`]
    /// (`step.grad_scale` is ignored), and no change at all when its [`ledger::OK`] is 0.
    fn adam_checked(
        &self,
        p: &mut Self::Tensor,
        g: &Self::Tensor,
        (m, v): (&mut Self::Tensor, &mut Self::Tensor),
        step: &AdamStep,
        ledger: &Self::Tensor,
    ) {
        let l = self.download(ledger);
        if l[ledger::OK].f64() == 0.0 {
            return;
        }
        let step = AdamStep {
            grad_scale: l[ledger::GRAD_SCALE].f64(),
            ..*step
        };
        self.adam(p, g, m, v, &step);
    }
}
