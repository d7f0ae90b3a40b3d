//! Cases for [`LossOps`](crate::backend::LossOps): the canvas error, the Bernoulli loss and
//! the softmax cross-entropy, each forward then backward.

use super::{rand, signed, tolerance, Host, Io, Output};
use crate::backend::Backend;

/// A loss op on `rows × cols` images.
#[derive(Clone, Debug)]
pub(super) enum LossCase {
    Canvas {
        rows: usize,
        cols: usize,
    },
    Bce {
        rows: usize,
        cols: usize,
    },
    /// Softmax cross-entropy of `rows × classes` logits.
    Xent {
        rows: usize,
        classes: usize,
    },
}

/// Odd sizes and the paper's (batch 100 of 28 × 28).
pub(super) fn cases() -> Vec<LossCase> {
    let mut v = Vec::new();
    for (rows, cols) in [(3, 7), (50, 783), (100, 784)] {
        v.push(LossCase::Canvas { rows, cols });
        v.push(LossCase::Bce { rows, cols });
    }
    // Odd sizes and the classifier's (batch 100 of 10 classes).
    for (rows, classes) in [(3, 7), (50, 10), (100, 10)] {
        v.push(LossCase::Xent { rows, classes });
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
            LossCase::Xent { rows, classes } => {
                format!("softmax_xent forward+backward {rows}x{classes}")
            }
        }
    }

    pub(super) fn tolerance(&self) -> f64 {
        match self {
            LossCase::Canvas { .. } => tolerance::POINTWISE,
            LossCase::Bce { .. } | LossCase::Xent { .. } => tolerance::GEMM,
        }
    }

    /// Canvas and Bernoulli: targets in [0, 1), canvas logits in [−6, 6), and two more tensors
    /// (x̂ or the gradient's incoming values, and dc). Cross-entropy: logits in [−6, 6), whole
    /// class labels (about one row in K + 1 out of range, which has no target), and the
    /// incoming dlogits.
    pub(super) fn inputs(&self, s: &mut u64) -> Vec<Host> {
        match *self {
            LossCase::Canvas { rows, cols } | LossCase::Bce { rows, cols } => vec![
                rand(rows, cols, 0.0, 1.0, s),
                rand(rows, cols, -6.0, 6.0, s),
                signed(rows, cols, s),
                signed(rows, cols, s),
            ],
            LossCase::Xent { rows, classes } => {
                let logits = rand(rows, classes, -6.0, 6.0, s);
                let u = rand(rows, 1, 0.0, classes as f64 + 1.0, s);
                let labels = Host {
                    data: u.data.iter().map(|v| v.floor()).collect(),
                    ..u
                };
                vec![logits, labels, signed(rows, classes, s)]
            }
        }
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
            LossCase::Xent { rows, .. } => {
                let (logits, labels, mut dlogits) = (io.next(), io.next(), io.next());
                let (mut loss, mut correct) = (b.zeros(rows, 1), b.zeros(rows, 1));
                b.softmax_xent(&logits, &labels, &mut loss, &mut correct);
                b.softmax_xent_backward(&logits, &labels, 0.01, &mut dlogits);
                vec![
                    io.out("xent", &loss),
                    io.out("correct", &correct),
                    io.out("dlogits", &dlogits),
                ]
            }
        }
    }
}
