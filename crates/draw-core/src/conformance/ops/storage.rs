//! Cases for [`Storage`](crate::backend::Storage): fill and the copies between tensors.

use super::{signed, tolerance, Host, Io, Output};
use crate::backend::Backend;

/// A storage op and its sizes.
#[derive(Clone, Debug)]
pub(super) enum StorageCase {
    Fill {
        n: usize,
    },
    CopyCols {
        rows: usize,
        src_cols: usize,
        dst_cols: usize,
        acc: bool,
    },
    CopyRows {
        rows: usize,
        cols: usize,
    },
    /// `copy_rows_from`: `rows` rows from row `rows + 1` of a taller tensor.
    CopyRowsFrom {
        rows: usize,
        cols: usize,
    },
    Transpose {
        rows: usize,
        cols: usize,
    },
}

/// The copies: a narrow block into a wide tensor and an LSTM's columns accumulated into the
/// gate input; row gathers, row splits and transposes at odd and at the model's sizes.
pub(super) fn copy_cases() -> Vec<StorageCase> {
    use StorageCase::*;
    vec![
        CopyCols {
            rows: 50,
            src_cols: 7,
            dst_cols: 783,
            acc: false,
        },
        CopyCols {
            rows: 100,
            src_cols: 256,
            dst_cols: 520,
            acc: true,
        },
        CopyRows { rows: 3, cols: 7 },
        CopyRows {
            rows: 100,
            cols: 1024,
        },
        CopyRowsFrom { rows: 3, cols: 7 },
        CopyRowsFrom {
            rows: 100,
            cols: 256,
        },
        Transpose { rows: 3, cols: 7 },
        Transpose {
            rows: 1024,
            cols: 520,
        },
    ]
}

impl StorageCase {
    pub(super) fn name(&self) -> String {
        match *self {
            StorageCase::Fill { n } => format!("fill n={n}"),
            StorageCase::CopyCols {
                rows,
                src_cols,
                dst_cols,
                acc,
            } => format!("copy_cols rows={rows} {src_cols}→{dst_cols} accumulate={acc}"),
            StorageCase::CopyRows { rows, cols } => format!("copy_rows {rows}x{cols}"),
            StorageCase::CopyRowsFrom { rows, cols } => format!("copy_rows_from {rows}x{cols}"),
            StorageCase::Transpose { rows, cols } => format!("transpose_rows {rows}x{cols}"),
        }
    }

    pub(super) fn tolerance(&self) -> f64 {
        tolerance::POINTWISE
    }

    /// The tensor the op writes (and, for the copies, the source before it).
    pub(super) fn inputs(&self, s: &mut u64) -> Vec<Host> {
        match *self {
            StorageCase::Fill { n } => vec![signed(1, n, s)],
            StorageCase::CopyCols {
                rows,
                src_cols,
                dst_cols,
                ..
            } => vec![signed(rows, src_cols, s), signed(rows, dst_cols, s)],
            StorageCase::CopyRows { rows, cols } => {
                vec![signed(rows, cols, s), signed(3 * rows + 1, cols, s)]
            }
            StorageCase::CopyRowsFrom { rows, cols } => {
                vec![signed(3 * rows + 1, cols, s), signed(rows, cols, s)]
            }
            StorageCase::Transpose { rows, cols } => {
                vec![signed(rows, cols, s), signed(cols + 5, rows, s)]
            }
        }
    }

    pub(super) fn run<B: Backend>(&self, io: &mut Io<'_, B>) -> Vec<Output> {
        let b = io.b;
        match *self {
            StorageCase::Fill { .. } => {
                let mut t = io.next();
                b.fill(&mut t, -0.375);
                vec![io.out("t", &t)]
            }
            StorageCase::CopyCols {
                src_cols,
                dst_cols,
                acc,
                ..
            } => {
                let (src, mut dst) = (io.next(), io.next());
                let n = src_cols.min(dst_cols) - 2;
                b.copy_cols(&src, 1, &mut dst, dst_cols - n - 1, n, acc);
                vec![io.out("dst", &dst)]
            }
            StorageCase::CopyRows { rows, .. } => {
                let (src, mut dst) = (io.next(), io.next());
                b.copy_rows(&src, &mut dst, rows + 1);
                vec![io.out("dst", &dst)]
            }
            StorageCase::CopyRowsFrom { rows, .. } => {
                let (src, mut dst) = (io.next(), io.next());
                b.copy_rows_from(&src, rows + 1, &mut dst);
                vec![io.out("dst", &dst)]
            }
            StorageCase::Transpose { .. } => {
                let (src, mut dst) = (io.next(), io.next());
                b.transpose_rows(&src, &mut dst, 3);
                vec![io.out("dst", &dst)]
            }
        }
    }
}
