//! Cases for [`OptimOps`](crate::backend::OptimOps): the fused Adam update.

use super::{rand, signed, tolerance, Host, Io, Output};
use crate::backend::Backend;
use crate::kernels::pointwise::AdamStep;

/// An optimiser update of `n` parameters.
#[derive(Clone, Debug)]
pub(super) enum OptimCase {
    Adam { n: usize },
}

impl OptimCase {
    pub(super) fn name(&self) -> String {
        let OptimCase::Adam { n } = *self;
        format!("adam n={n}")
    }

    pub(super) fn tolerance(&self) -> f64 {
        tolerance::POINTWISE
    }

    /// Parameters, gradients, first moments in [−0.1, 0.1) and second in [0, 0.01).
    pub(super) fn inputs(&self, s: &mut u64) -> Vec<Host> {
        let OptimCase::Adam { n } = *self;
        vec![
            signed(1, n, s),
            signed(1, n, s),
            rand(1, n, -0.1, 0.1, s),
            rand(1, n, 0.0, 0.01, s),
        ]
    }

    /// Adam's third step (bias corrections folded into the step size and ε) with a clipping
    /// scale on the gradient.
    pub(super) fn run<B: Backend>(&self, io: &mut Io<'_, B>) -> Vec<Output> {
        let (mut p, g, mut m, mut v) = (io.next(), io.next(), io.next(), io.next());
        let step = AdamStep {
            step_size: 1e-3 * (1.0f64 - 0.999f64.powi(3)).sqrt() / (1.0 - 0.9f64.powi(3)),
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8 * (1.0f64 - 0.999f64.powi(3)).sqrt(),
            grad_scale: 0.7,
        };
        io.b.adam(&mut p, &g, &mut m, &mut v, &step);
        vec![io.out("p", &p), io.out("m", &m), io.out("v", &v)]
    }
}
