//! Cases for [`LstmOps`](crate::backend::LstmOps): the cell forward, then backward from its
//! outputs; and the same writing copies of h and of the gate gradients ([`CopyTo`]).

use super::{rand, signed, tolerance, Host, Io, Output};
use crate::backend::{Backend, CopyTo};

/// The LSTM cell on `rows` rows of `h` units.
#[derive(Clone, Debug)]
pub(super) enum LstmCase {
    Cell {
        rows: usize,
        h: usize,
    },
    /// `lstm_forward_to` with h copied into columns 2.. of a wider tensor and into rows
    /// `rows..` of a taller one (both start random, so a copy that writes too much is
    /// caught), then `lstm_backward_to` with the gate gradients copied into rows `rows..` of
    /// a taller tensor, or (`back_cols`) into columns 3.. of a wider one.
    CellTo {
        rows: usize,
        h: usize,
        back_cols: bool,
    },
}

/// Odd sizes and the paper's (batch 100, 256 units).
pub(super) fn cases() -> Vec<LstmCase> {
    [(3, 7), (50, 3), (100, 256)]
        .into_iter()
        .map(|(rows, h)| LstmCase::Cell { rows, h })
        .collect()
}

/// The copying variants: odd sizes (the gate gradients into columns, then into rows) and the
/// model's use at the paper's sizes (into the rows of step 1 of T).
pub(super) fn copy_cases() -> Vec<LstmCase> {
    [(3, 7, true), (50, 3, false), (100, 256, false)]
        .into_iter()
        .map(|(rows, h, back_cols)| LstmCase::CellTo { rows, h, back_cols })
        .collect()
}

impl LstmCase {
    pub(super) fn name(&self) -> String {
        match *self {
            LstmCase::Cell { rows, h } => format!("lstm forward+backward rows={rows} H={h}"),
            LstmCase::CellTo { rows, h, back_cols } => format!(
                "lstm forward_to+backward_to rows={rows} H={h} dgates into {}",
                if back_cols { "columns" } else { "rows" }
            ),
        }
    }

    pub(super) fn tolerance(&self) -> f64 {
        tolerance::POINTWISE
    }

    /// Gate pre-activations in [−3, 3) (every part of the sigmoid), c_prev, the outputs
    /// c and h, dh, the incoming dc and dgates.
    /// Then, for the copying variant, the copies' destinations.
    pub(super) fn inputs(&self, s: &mut u64) -> Vec<Host> {
        let (rows, h) = match *self {
            LstmCase::Cell { rows, h } | LstmCase::CellTo { rows, h, .. } => (rows, h),
        };
        let mut v = vec![
            rand(rows, 4 * h, -3.0, 3.0, s),
            signed(rows, h, s),
            signed(rows, h, s),
            signed(rows, h, s),
            signed(rows, h, s),
            signed(rows, h, s),
            signed(rows, 4 * h, s),
        ];
        if let LstmCase::CellTo { back_cols, .. } = *self {
            v.push(signed(rows, h + 5, s));
            v.push(signed(3 * rows, h, s));
            v.push(if back_cols {
                signed(rows, 4 * h + 3, s)
            } else {
                signed(3 * rows, 4 * h, s)
            });
        }
        v
    }

    pub(super) fn run<B: Backend>(&self, io: &mut Io<'_, B>) -> Vec<Output> {
        let b = io.b;
        let (mut gates, c_prev, mut c, mut h) = (io.next(), io.next(), io.next(), io.next());
        let (dh, mut dc, mut dgates) = (io.next(), io.next(), io.next());
        let LstmCase::CellTo {
            rows, back_cols, ..
        } = *self
        else {
            b.lstm_forward(&mut gates, &c_prev, &mut c, &mut h);
            b.lstm_backward(&gates, &c_prev, &c, &dh, &mut dc, &mut dgates);
            return vec![
                io.out("gates", &gates),
                io.out("c", &c),
                io.out("h", &h),
                io.out("dc", &dc),
                io.out("dgates", &dgates),
            ];
        };
        let (mut wide, mut tall, mut dg_all) = (io.next(), io.next(), io.next());
        let copies = &mut [CopyTo::Cols(&mut wide, 2), CopyTo::Rows(&mut tall, rows)];
        b.lstm_forward_to(&mut gates, &c_prev, (&mut c, &mut h), copies);
        let to = if back_cols {
            CopyTo::Cols(&mut dg_all, 3)
        } else {
            CopyTo::Rows(&mut dg_all, rows)
        };
        b.lstm_backward_to((&gates, &c_prev, &c), &dh, &mut dc, &mut dgates, to);
        vec![
            io.out("gates", &gates),
            io.out("c", &c),
            io.out("h", &h),
            io.out("h copied into columns", &wide),
            io.out("h copied into rows", &tall),
            io.out("dc", &dc),
            io.out("dgates", &dgates),
            io.out("dgates copied", &dg_all),
        ]
    }
}
