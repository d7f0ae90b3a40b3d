//! The training ledger: a small tensor on the backend into which a training step writes its
//! loss and gradient sums, on which it decides (on the device) whether its update is taken
//! and with which clipping factor, and which adds up the taken steps' figures until the host
//! reads it. A step then needs no blocking read-back: the host learns of its loss, and of a
//! skipped non-finite step, when it next reads (at the logging interval).
//!
//! A step's loss has two summed terms: L^x and L^z for DRAW; the cross-entropy and the count of
//! correct answers for the classifier (which is always finite, so the check is the loss's).
//!
//! Layout (one row): the verdict of the step in progress, the accumulators of the steps since
//! the last read, then the step's sums, one slot per summed tensor from [`SUMS`] on.

use crate::Float;
use std::ops::Range;

/// 1 when the step in progress takes its update (finite loss and gradient), else 0.
pub const OK: usize = 0;
/// The step's factor on the gradient: `clip / ‖g‖` when the norm exceeds the clip, else 1.
pub const GRAD_SCALE: usize = 1;
/// Σ over the taken steps of the batch's sums of the first term (L^x; the cross-entropy).
pub const FIRST_TERM: usize = 2;
/// Σ over the taken steps of the batch's sums of the second term (L^z; the correct count).
pub const SECOND_TERM: usize = 3;
/// Σ over the taken steps of the gradient norm before clipping.
pub const GRAD_NORM: usize = 4;
/// Steps taken since the last read.
pub const TAKEN: usize = 5;
/// Steps skipped (non-finite) since the last read.
pub const SKIPPED: usize = 6;
/// Steps skipped since the last taken one (or the last read).
pub const SKIPPED_IN_A_ROW: usize = 7;
/// The update number the last skipped step would have been, counted from the last read (the
/// steps taken before it, plus 1).
pub const LAST_SKIPPED_AT: usize = 8;
/// What was not finite at that step: [`LOSS_NOT_FINITE`] or [`NORM_NOT_FINITE`].
pub const LAST_SKIPPED_WHAT: usize = 9;
/// The first slot of the step's sums.
pub const SUMS: usize = 16;

/// [`LAST_SKIPPED_WHAT`] when the loss was not finite.
pub const LOSS_NOT_FINITE: f64 = 1.0;
/// [`LAST_SKIPPED_WHAT`] when the loss was finite and the gradient norm was not.
pub const NORM_NOT_FINITE: f64 = 2.0;

/// Which ledger slots hold a step's sums, and the clipping threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// Slots whose sum is the batch's first term (one per shard).
    pub first: Range<usize>,
    /// Slots whose sum is the batch's second term.
    pub second: Range<usize>,
    /// Slots whose sum is the squared gradient norm (one per gradient tensor).
    pub grad_squares: Range<usize>,
    /// Global-norm clipping threshold, if any.
    pub clip: Option<f64>,
}

/// Decides the step: reads its sums, sets [`OK`] and [`GRAD_SCALE`], and adds the step to the
/// accumulators (a taken step's losses and norm; a skipped step's count and position). The
/// device kernels compute the same in `F`.
pub fn step_verdict<F: Float>(ledger: &mut [F], v: &Verdict) {
    let sum = |r: &Range<usize>, l: &[F]| l[r.clone()].iter().fold(F::zero(), |s, &x| s + x);
    let (first, second) = (sum(&v.first, ledger), sum(&v.second, ledger));
    let norm = sum(&v.grad_squares, ledger).sqrt();
    let loss_ok = (first + second).f64().is_finite();
    let ok = loss_ok && norm.f64().is_finite();
    if ok {
        ledger[OK] = F::one();
        ledger[GRAD_SCALE] = match v.clip {
            Some(c) if norm.f64() > c => F::of(c) / norm,
            _ => F::one(),
        };
        ledger[FIRST_TERM] += first;
        ledger[SECOND_TERM] += second;
        ledger[GRAD_NORM] += norm;
        ledger[TAKEN] += F::one();
        ledger[SKIPPED_IN_A_ROW] = F::zero();
    } else {
        ledger[OK] = F::zero();
        ledger[GRAD_SCALE] = F::zero();
        ledger[SKIPPED] += F::one();
        ledger[SKIPPED_IN_A_ROW] += F::one();
        ledger[LAST_SKIPPED_AT] = ledger[TAKEN] + F::one();
        ledger[LAST_SKIPPED_WHAT] = F::of(if loss_ok {
            NORM_NOT_FINITE
        } else {
            LOSS_NOT_FINITE
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ledger whose step sums are L^x 1 + 2, L^z 3 and squared gradients 9 + 16 (norm 5),
    /// after `taken` earlier taken steps.
    fn ledger(taken: f64) -> (Vec<f64>, Verdict) {
        let mut l = vec![0.0; SUMS + 5];
        l[TAKEN] = taken;
        l[SUMS..].copy_from_slice(&[1.0, 2.0, 3.0, 9.0, 16.0]);
        let v = Verdict {
            first: SUMS..SUMS + 2,
            second: SUMS + 2..SUMS + 3,
            grad_squares: SUMS + 3..SUMS + 5,
            clip: Some(2.0),
        };
        (l, v)
    }

    #[test]
    fn a_finite_step_is_taken_clipped_and_added_up() {
        let (mut l, v) = ledger(4.0);
        l[SKIPPED_IN_A_ROW] = 3.0;
        step_verdict(&mut l, &v);
        assert_eq!(l[OK], 1.0);
        assert_eq!(l[GRAD_SCALE], 0.4, "clip 2 / norm 5");
        assert_eq!(
            (l[FIRST_TERM], l[SECOND_TERM], l[GRAD_NORM]),
            (3.0, 3.0, 5.0)
        );
        assert_eq!((l[TAKEN], l[SKIPPED], l[SKIPPED_IN_A_ROW]), (5.0, 0.0, 0.0));
        step_verdict(&mut l, &Verdict { clip: None, ..v });
        assert_eq!((l[GRAD_SCALE], l[FIRST_TERM], l[TAKEN]), (1.0, 6.0, 6.0));
    }

    #[test]
    fn a_non_finite_loss_or_norm_is_skipped_and_named() {
        let (mut l, v) = ledger(4.0);
        l[SUMS + 1] = f64::NAN;
        step_verdict(&mut l, &v);
        assert_eq!((l[OK], l[GRAD_SCALE]), (0.0, 0.0));
        assert_eq!((l[TAKEN], l[SKIPPED], l[SKIPPED_IN_A_ROW]), (4.0, 1.0, 1.0));
        assert_eq!(
            (l[LAST_SKIPPED_AT], l[LAST_SKIPPED_WHAT]),
            (5.0, LOSS_NOT_FINITE)
        );
        assert_eq!((l[FIRST_TERM], l[GRAD_NORM]), (0.0, 0.0), "nothing added");
        let (mut l2, v) = ledger(0.0);
        l2[SUMS + 4] = f64::INFINITY;
        step_verdict(&mut l2, &v);
        step_verdict(&mut l2, &v);
        assert_eq!((l2[SKIPPED], l2[SKIPPED_IN_A_ROW]), (2.0, 2.0));
        assert_eq!(
            (l2[LAST_SKIPPED_AT], l2[LAST_SKIPPED_WHAT]),
            (1.0, NORM_NOT_FINITE)
        );
    }
}
