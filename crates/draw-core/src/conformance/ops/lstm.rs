//! Cases for [`LstmOps`](crate::backend::LstmOps): the cell forward, then backward from its
//! outputs.

use super::{rand, signed, tolerance, Host, Io, Output};
use crate::backend::Backend;

/// The LSTM cell on `rows` rows of `h` units.
#[derive(Clone, Debug)]
pub(super) enum LstmCase {
    Cell { rows: usize, h: usize },
}

/// Odd sizes and the paper's (batch 100, 256 units).
pub(super) fn cases() -> Vec<LstmCase> {
    [(3, 7), (50, 3), (100, 256)]
        .into_iter()
        .map(|(rows, h)| LstmCase::Cell { rows, h })
        .collect()
}

impl LstmCase {
    pub(super) fn name(&self) -> String {
        let LstmCase::Cell { rows, h } = *self;
        format!("lstm forward+backward rows={rows} H={h}")
    }

    pub(super) fn tolerance(&self) -> f64 {
        tolerance::POINTWISE
    }

    /// Gate pre-activations in [−3, 3) (every part of the sigmoid), c_prev, the outputs
    /// c and h, dh, the incoming dc and dgates.
    pub(super) fn inputs(&self, s: &mut u64) -> Vec<Host> {
        let LstmCase::Cell { rows, h } = *self;
        vec![
            rand(rows, 4 * h, -3.0, 3.0, s),
            signed(rows, h, s),
            signed(rows, h, s),
            signed(rows, h, s),
            signed(rows, h, s),
            signed(rows, h, s),
            signed(rows, 4 * h, s),
        ]
    }

    pub(super) fn run<B: Backend>(&self, io: &mut Io<'_, B>) -> Vec<Output> {
        let b = io.b;
        let (mut gates, c_prev, mut c, mut h) = (io.next(), io.next(), io.next(), io.next());
        let (dh, mut dc, mut dgates) = (io.next(), io.next(), io.next());
        b.lstm_forward(&mut gates, &c_prev, &mut c, &mut h);
        b.lstm_backward(&gates, &c_prev, &c, &dh, &mut dc, &mut dgates);
        vec![
            io.out("gates", &gates),
            io.out("c", &c),
            io.out("h", &h),
            io.out("dc", &dc),
            io.out("dgates", &dgates),
        ]
    }
}
