//! Cases for [`LossOps`](crate::backend::LossOps): the canvas error and the Bernoulli loss,
//! each forward then backward.

use super::{rand, signed, tolerance, Host, Io, Output};
use crate::backend::Backend;

/// A loss op on `rows × cols` images.
#[derive(Clone, Debug)]
pub(super) enum LossCase {
    Canvas { rows: usize, cols: usize },
    Bce { rows: usize, cols: usize },
}

/// Odd sizes and the paper's (batch 100 of 28 × 28).
pub(super) fn cases() -> Vec<LossCase> {
    let mut v = Vec::new();
    for (rows, cols) in [(3, 7), (50, 783), (100, 784)] {
        v.push(LossCase::Canvas { rows, cols });
        v.push(LossCase::Bce { rows, cols });
    }
    v
}

impl LossCase {
    pub(super) fn name(&self) -> String {
        match self {
            LossCase::Canvas { rows, cols } => {
                format!("canvas_error forward+backward {rows}x{cols}")
            }
            LossCase::Bce { rows, cols } => format!("bce forward+backward {rows}x{cols}"),
        }
    }

    pub(super) fn tolerance(&self) -> f64 {
        match self {
            LossCase::Canvas { .. } => tolerance::POINTWISE,
            LossCase::Bce { .. } => tolerance::GEMM,
        }
    }

    /// Targets in [0, 1), canvas logits in [−6, 6), and two more tensors (x̂ or the
    /// gradient's incoming values, and dc).
    pub(super) fn inputs(&self, s: &mut u64) -> Vec<Host> {
        let (LossCase::Canvas { rows, cols } | LossCase::Bce { rows, cols }) = *self;
        vec![
            rand(rows, cols, 0.0, 1.0, s),
            rand(rows, cols, -6.0, 6.0, s),
            signed(rows, cols, s),
            signed(rows, cols, s),
        ]
    }

    pub(super) fn run<B: Backend>(&self, io: &mut Io<'_, B>) -> Vec<Output> {
        let b = io.b;
        match *self {
            LossCase::Canvas { .. } => {
                let (x, c, mut xhat, mut dc) = (io.next(), io.next(), io.next(), io.next());
                b.canvas_error(&x, &c, &mut xhat);
                let dxhat = io.again(3);
                b.canvas_error_backward(&x, &xhat, &dxhat, &mut dc);
                vec![io.out("xhat", &xhat), io.out("dc", &dc)]
            }
            LossCase::Bce { rows, .. } => {
                let (x, c, _, mut dc) = (io.next(), io.next(), io.next(), io.next());
                let mut out = b.zeros(rows, 1);
                b.bce(&x, &c, &mut out);
                b.bce_backward(&x, &c, 0.01, &mut dc);
                vec![io.out("bce", &out), io.out("dc", &dc)]
            }
        }
    }
}
