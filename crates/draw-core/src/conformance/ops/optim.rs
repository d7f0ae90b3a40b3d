//! Cases for [`OptimOps`](crate::backend::OptimOps): the fused Adam update, and a training
//! step's ledger (sums, verdict, the checked update).

use super::{rand, signed, tolerance, Host, Io, Output};
use crate::backend::Backend;
use crate::kernels::ledger::{self, Verdict};
use crate::kernels::pointwise::AdamStep;
use crate::Float;

/// An optimiser update of `n` parameters, or a ledger step.
#[derive(Clone, Debug)]
pub(super) enum OptimCase {
    Adam {
        n: usize,
    },
    /// Two shards' loss terms and three gradients summed into a ledger, its verdict, and a
    /// checked Adam update of the 783-element parameter; `bad` puts a non-finite value into
    /// the loss (`Some(true)`) or a gradient (`Some(false)`), so the step is skipped.
    Ledger {
        clip: Option<f64>,
        bad: Option<bool>,
    },
}

/// The gradients' shapes of a [`OptimCase::Ledger`] step.
const LEDGER_GRADS: [(usize, usize); 3] = [(5, 7), (1, 3), (1, 783)];

/// Adam's third step (bias corrections folded into the step size and ε) with a clipping
/// scale on the gradient.
fn third_step(grad_scale: f64) -> AdamStep {
    AdamStep {
        step_size: 1e-3 * (1.0f64 - 0.999f64.powi(3)).sqrt() / (1.0 - 0.9f64.powi(3)),
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8 * (1.0f64 - 0.999f64.powi(3)).sqrt(),
        grad_scale,
    }
}

/// Every optimiser case: Adam at three sizes is listed with the fills in [`super::cases`];
/// these are the ledger's.
pub(super) fn ledger_cases() -> Vec<OptimCase> {
    let mut v = Vec::new();
    for clip in [None, Some(1.0), Some(1e6)] {
        v.push(OptimCase::Ledger { clip, bad: None });
    }
    for bad in [true, false] {
        v.push(OptimCase::Ledger {
            clip: Some(1.0),
            bad: Some(bad),
        });
    }
    v
}

impl OptimCase {
    pub(super) fn name(&self) -> String {
        match self {
            OptimCase::Adam { n } => format!("adam n={n}"),
            OptimCase::Ledger { clip, bad } => format!("ledger clip={clip:?} bad={bad:?}"),
        }
    }

    pub(super) fn tolerance(&self) -> f64 {
        match self {
            OptimCase::Adam { .. } => tolerance::POINTWISE,
            // Sums of up to 783 squares, then a square root and a division.
            OptimCase::Ledger { .. } => tolerance::GEMM,
        }
    }

    /// Adam: parameters, gradients, first moments in [−0.1, 0.1) and second in [0, 0.01).
    /// Ledger: its first row (accumulators from earlier steps in [0, 4)), two shards' L^x and
    /// L^z terms, the gradients, then Adam's inputs for the last gradient.
    pub(super) fn inputs(&self, s: &mut u64) -> Vec<Host> {
        match *self {
            OptimCase::Adam { n } => adam_inputs(n, s),
            OptimCase::Ledger { bad, .. } => {
                let cols = ledger::SUMS + 4 + LEDGER_GRADS.len();
                let mut v = vec![rand(1, cols, 0.0, 4.0, s)];
                for rows in [3, 4, 3, 4] {
                    v.push(rand(rows, 1, 0.0, 90.0, s));
                }
                for (r, c) in LEDGER_GRADS {
                    v.push(signed(r, c, s));
                }
                match bad {
                    Some(true) => v[2].data[1] = f64::NAN,
                    Some(false) => v[5].data[4] = f64::INFINITY,
                    None => {}
                }
                v.extend(adam_inputs(783, s).into_iter().skip(1).take(1));
                v.extend(adam_inputs(783, s).into_iter().skip(2));
                v
            }
        }
    }

    pub(super) fn run<B: Backend>(&self, io: &mut Io<'_, B>) -> Vec<Output> {
        match *self {
            OptimCase::Adam { .. } => {
                let (mut p, g, mut m, mut v) = (io.next(), io.next(), io.next(), io.next());
                io.b.adam(&mut p, &g, &mut m, &mut v, &third_step(0.7));
                vec![io.out("p", &p), io.out("m", &m), io.out("v", &v)]
            }
            OptimCase::Ledger { clip, .. } => run_ledger(io, clip),
        }
    }
}

fn adam_inputs(n: usize, s: &mut u64) -> Vec<Host> {
    vec![
        signed(1, n, s),
        signed(1, n, s),
        rand(1, n, -0.1, 0.1, s),
        rand(1, n, 0.0, 0.01, s),
    ]
}

/// A step's sums, verdict and checked update; outputs the ledger's verdict and accumulators
/// (not the step's own sums, which may hold the injected NaN) and the updated parameter.
fn run_ledger<B: Backend>(io: &mut Io<'_, B>, clip: Option<f64>) -> Vec<Output> {
    let mut l = io.next();
    let terms: Vec<B::Tensor> = (0..4).map(|_| io.next()).collect();
    let grads: Vec<B::Tensor> = LEDGER_GRADS.iter().map(|_| io.next()).collect();
    let (mut p, mut m, mut v) = (io.next(), io.next(), io.next());
    let s = ledger::SUMS;
    let n = grads.len();
    let verdict = Verdict {
        first: s..s + 2,
        second: s + 2..s + 4,
        grad_squares: s + 4..s + 4 + n,
        clip,
    };
    io.b.sums_into(&[&terms[0], &terms[1]], &mut l, s, false);
    io.b.sums_into(&[&terms[2], &terms[3]], &mut l, s + 2, false);
    io.b.sums_into(&grads.iter().collect::<Vec<_>>(), &mut l, s + 4, true);
    io.b.step_verdict(&mut l, &verdict);
    let step = third_step(1.0);
    io.b.adam_checked(&mut p, &grads[n - 1], (&mut m, &mut v), &step, &l);
    let head: Vec<f64> = io.b.download(&l)[..ledger::SUMS]
        .iter()
        .map(|x| x.f64())
        .collect();
    vec![
        Output::scalar("ledger", head),
        io.out("p", &p),
        io.out("m", &m),
        io.out("v", &v),
    ]
}
