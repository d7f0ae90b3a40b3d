//! Cases for [`AttentionOps`](crate::backend::AttentionOps): the filterbanks, the read and
//! the write, each forward then backward; the read writing a copy of r, and the write
//! backward and the filterbank backward writing copies of dpatch and dp ([`CopyTo`]); the write
//! with the next step's canvas error and the read backward carried on to the canvas.

use super::{rand, signed, tolerance, Host, Io, Output};
use crate::backend::{Backend, CopyTo, Filterbanks, Window, WindowGrads};
use crate::kernels::filterbank::Geometry;

/// An attention op on `rows` rows of one geometry.
#[derive(Clone, Debug)]
pub(super) enum AttentionCase {
    Filterbank {
        rows: usize,
        geo: Geometry,
    },
    Read {
        rows: usize,
        geo: Geometry,
    },
    Write {
        rows: usize,
        geo: Geometry,
    },
    /// `read_forward_to`: r also into columns 3.. of a wider tensor, or (`into_rows`) into rows
    /// `rows..` of a taller one (random, so a copy that writes too much is caught).
    ReadTo {
        rows: usize,
        geo: Geometry,
        into_rows: bool,
    },
    /// `write_forward_error` then `read_backward_full`: the write with the next step's x̂ of
    /// the updated canvas, and the read's whole backward (carried on to the canvas, dp finished
    /// and copied into columns 3.., rows `rows..` and columns 1.. of random tensors), on one
    /// window; dp and its copies compared apart (`dp`), at their own tolerance.
    Canvas {
        rows: usize,
        geo: Geometry,
        /// Compare dp and its copies (at `ATTENTION_CHAIN`), else every other output (at
        /// `ATTENTION`).
        dp: bool,
    },
    /// `filterbank_forward_pair`: two windows of different N over one image.
    FilterbankPair {
        rows: usize,
        geo: Geometry,
        n2: usize,
    },
    /// `write_backward_to` then `filterbank_backward_to`: dpatch and the finished dp also
    /// into columns 3.. of wider tensors, or (`into_rows`) into rows `rows..` of taller ones,
    /// and each into two more (columns 1.. and rows 2..; random, so a copy that writes too much
    /// is caught).
    BackwardTo {
        rows: usize,
        geo: Geometry,
        into_rows: bool,
    },
}

/// The read writing a copy: into columns on an odd three-channel grid, into rows on another,
/// and as the model does (the encoder input's first columns) at the paper's read.
pub(super) fn copy_cases() -> Vec<AttentionCase> {
    let geo = |n, width, height, channels| Geometry {
        n,
        width,
        height,
        channels,
    };
    vec![
        AttentionCase::ReadTo {
            rows: 3,
            geo: geo(4, 11, 9, 3),
            into_rows: false,
        },
        AttentionCase::ReadTo {
            rows: 3,
            geo: geo(3, 7, 5, 1),
            into_rows: true,
        },
        AttentionCase::ReadTo {
            rows: 100,
            geo: geo(2, 28, 28, 1),
            into_rows: false,
        },
        AttentionCase::BackwardTo {
            rows: 3,
            geo: geo(4, 11, 9, 3),
            into_rows: false,
        },
        AttentionCase::BackwardTo {
            rows: 3,
            geo: geo(3, 7, 5, 1),
            into_rows: true,
        },
        AttentionCase::BackwardTo {
            rows: 100,
            geo: geo(5, 28, 28, 1),
            into_rows: true,
        },
    ]
}

/// The ops that fuse the canvas error into the write and the read's whole backward: on an odd
/// three-channel grid and on the paper's read and write grids, every output but dp, then dp.
pub(super) fn canvas_cases() -> Vec<AttentionCase> {
    let geo = |n, width, height, channels| Geometry {
        n,
        width,
        height,
        channels,
    };
    let mut v = Vec::new();
    for dp in [false, true] {
        for (rows, geo) in [
            (3, geo(4, 11, 9, 3)),
            (100, geo(2, 28, 28, 1)),
            (100, geo(5, 28, 28, 1)),
        ] {
            v.push(AttentionCase::Canvas { rows, geo, dp });
        }
    }
    v
}

/// Two windows' filterbanks at once: odd grids, and the paper's write (N = 5) with its read
/// (N = 2).
pub(super) fn pair_cases() -> Vec<AttentionCase> {
    let geo = |n, width, height, channels| Geometry {
        n,
        width,
        height,
        channels,
    };
    vec![
        AttentionCase::FilterbankPair {
            rows: 3,
            geo: geo(4, 11, 9, 3),
            n2: 3,
        },
        AttentionCase::FilterbankPair {
            rows: 100,
            geo: geo(5, 28, 28, 1),
            n2: 2,
        },
    ]
}

/// Every op on odd grids (one and three channels) and on the paper's read (N = 2) and write
/// (N = 5) grids over 28 × 28 at batch 100.
pub(super) fn cases() -> Vec<AttentionCase> {
    let geo = |n, width, height, channels| Geometry {
        n,
        width,
        height,
        channels,
    };
    let mut v = Vec::new();
    for geo in [
        geo(3, 7, 5, 1),
        geo(4, 11, 9, 3),
        geo(2, 28, 28, 1),
        geo(5, 28, 28, 1),
    ] {
        let rows = if geo.width == 28 { 100 } else { 3 };
        v.push(AttentionCase::Filterbank { rows, geo });
        v.push(AttentionCase::Read { rows, geo });
        v.push(AttentionCase::Write { rows, geo });
    }
    v
}

fn g(geo: &Geometry) -> String {
    format!("N={} {}x{}x{}", geo.n, geo.channels, geo.height, geo.width)
}

/// Attention outputs in the ranges a trained network produces (log σ² in [−1, 1], so filters
/// at least 0.6 px wide; log δ̃ in [−0.75, 0.5]); row 0 has every log-parameter beyond the clamp
/// (σ² and γ large, δ tiny: wide filters stacked at one point, well conditioned in f32), so
/// the clamping paths are compared.
fn attention_params(rows: usize, stream: &mut u64) -> Host {
    let mut p = rand(rows, 5, -1.0, 1.0, stream);
    for r in 0..rows {
        p.data[r * 5 + 3] = (p.data[r * 5 + 3] * 0.625 - 0.125) as f32 as f64;
    }
    if rows > 1 {
        p.data[2] = 10.5;
        p.data[3] = -11.0;
        p.data[4] = 12.0;
    }
    p
}

impl AttentionCase {
    pub(super) fn name(&self) -> String {
        match self {
            AttentionCase::Filterbank { rows, geo } => {
                format!("filterbank forward+backward rows={rows} {}", g(geo))
            }
            AttentionCase::Read { rows, geo } => {
                format!("read forward+backward rows={rows} {}", g(geo))
            }
            AttentionCase::Write { rows, geo } => {
                format!("write forward+backward rows={rows} {}", g(geo))
            }
            AttentionCase::ReadTo {
                rows,
                geo,
                into_rows,
            } => {
                let to = if *into_rows { "rows" } else { "columns" };
                format!("read_forward_to {to} rows={rows} {}", g(geo))
            }
            AttentionCase::FilterbankPair { rows, geo, n2 } => {
                format!("filterbank_forward_pair rows={rows} {} and N={n2}", g(geo))
            }
            AttentionCase::Canvas { rows, geo, dp } => {
                let ops = "write_forward_error+read_backward_full";
                let what = if *dp { " (dp)" } else { "" };
                format!("{ops}{what} rows={rows} {}", g(geo))
            }
            AttentionCase::BackwardTo {
                rows,
                geo,
                into_rows,
            } => {
                let to = if *into_rows { "rows" } else { "columns" };
                let ops = "write_backward_to+filterbank_backward_to";
                format!("{ops} {to} rows={rows} {}", g(geo))
            }
        }
    }

    pub(super) fn tolerance(&self) -> f64 {
        match self {
            AttentionCase::Canvas { dp: true, .. } => tolerance::ATTENTION_CHAIN,
            _ => tolerance::ATTENTION,
        }
    }

    /// The head outputs, then per op its tensors in the order [`AttentionCase::run`] takes them.
    pub(super) fn inputs(&self, s: &mut u64) -> Vec<Host> {
        match *self {
            AttentionCase::Filterbank { rows, geo } => vec![
                attention_params(rows, s),
                signed(rows, geo.fx_len(), s),
                signed(rows, geo.fy_len(), s),
                signed(rows, geo.fx_len(), s),
                signed(rows, geo.fy_len(), s),
                signed(rows, 5, s),
            ],
            AttentionCase::Read { rows, geo } => vec![
                attention_params(rows, s),
                rand(rows, geo.image_len(), 0.0, 1.0, s),
                signed(rows, geo.image_len(), s),
                signed(rows, 2 * geo.patch_len(), s),
                signed(rows, 2 * geo.patch_len(), s),
                signed(rows, geo.image_len(), s),
                signed(rows, geo.fx_len(), s),
                signed(rows, geo.fy_len(), s),
                signed(rows, 5, s),
            ],
            AttentionCase::Write { rows, geo } => vec![
                attention_params(rows, s),
                signed(rows, geo.patch_len(), s),
                signed(rows, geo.image_len(), s),
                signed(rows, geo.image_len(), s),
                signed(rows, geo.patch_len(), s),
                signed(rows, geo.fx_len(), s),
                signed(rows, geo.fy_len(), s),
                signed(rows, 5, s),
            ],
            AttentionCase::ReadTo {
                rows,
                geo,
                into_rows,
            } => {
                let r = 2 * geo.patch_len();
                vec![
                    attention_params(rows, s),
                    rand(rows, geo.image_len(), 0.0, 1.0, s),
                    signed(rows, geo.image_len(), s),
                    signed(rows, r, s),
                    if into_rows {
                        signed(3 * rows, r, s)
                    } else {
                        signed(rows, r + 5, s)
                    },
                ]
            }
            AttentionCase::FilterbankPair { rows, geo, n2 } => {
                let geo2 = Geometry { n: n2, ..geo };
                vec![
                    attention_params(rows, s),
                    signed(rows, geo.fx_len(), s),
                    signed(rows, geo.fy_len(), s),
                    attention_params(rows, s),
                    signed(rows, geo2.fx_len(), s),
                    signed(rows, geo2.fy_len(), s),
                ]
            }
            AttentionCase::Canvas { rows, geo, .. } => vec![
                attention_params(rows, s),
                signed(rows, geo.patch_len(), s),
                signed(rows, geo.image_len(), s),
                rand(rows, geo.image_len(), 0.0, 1.0, s),
                signed(rows, geo.image_len(), s),
                signed(rows, 2 * geo.patch_len(), s),
                signed(rows, geo.image_len(), s),
                signed(rows, geo.image_len(), s),
                signed(rows, geo.fx_len(), s),
                signed(rows, geo.fy_len(), s),
                signed(rows, 5, s),
                signed(rows, 5 + 3, s),
                signed(3 * rows, 5, s),
                signed(rows, 5 + 1, s),
            ],
            AttentionCase::BackwardTo {
                rows,
                geo,
                into_rows,
            } => {
                let wider = |cols: usize, s: &mut u64| {
                    if into_rows {
                        signed(3 * rows, cols, s)
                    } else {
                        signed(rows, cols + 5, s)
                    }
                };
                vec![
                    attention_params(rows, s),
                    signed(rows, geo.patch_len(), s),
                    signed(rows, geo.image_len(), s),
                    signed(rows, geo.patch_len(), s),
                    signed(rows, geo.fx_len(), s),
                    signed(rows, geo.fy_len(), s),
                    signed(rows, 5, s),
                    wider(geo.patch_len(), s),
                    signed(rows, geo.patch_len() + 3, s),
                    signed(3 * rows, geo.patch_len(), s),
                    wider(5, s),
                    signed(rows, 5 + 3, s),
                    signed(3 * rows, 5, s),
                ]
            }
        }
    }

    pub(super) fn run<B: Backend>(&self, io: &mut Io<'_, B>) -> Vec<Output> {
        match *self {
            AttentionCase::Filterbank { geo, .. } => run_filterbank(io, &geo),
            AttentionCase::Read { rows, geo } => run_read(io, rows, &geo),
            AttentionCase::Write { rows, geo } => run_write(io, rows, &geo),
            AttentionCase::ReadTo {
                rows,
                geo,
                into_rows,
            } => run_read_to(io, (rows, &geo), into_rows),
            AttentionCase::Canvas { rows, geo, dp } => run_canvas(io, (rows, &geo), dp),
            AttentionCase::FilterbankPair { geo, n2, .. } => run_pair(io, &geo, n2),
            AttentionCase::BackwardTo {
                rows,
                geo,
                into_rows,
            } => run_backward_to(io, (rows, &geo), into_rows),
        }
    }
}

/// A copy destination at row `rows` of a taller tensor or column 3 of a wider one.
fn copy_to<T>(t: &mut T, rows: usize, into_rows: bool) -> CopyTo<'_, T> {
    if into_rows {
        CopyTo::Rows(t, rows)
    } else {
        CopyTo::Cols(t, 3)
    }
}

fn run_backward_to<B: Backend>(
    io: &mut Io<'_, B>,
    (rows, geo): (usize, &Geometry),
    into_rows: bool,
) -> Vec<Output> {
    let b = io.b;
    let (p, patch, dcanvas, mut dpatch) = (io.next(), io.next(), io.next(), io.next());
    let (mut dfx, mut dfy, mut dp) = (io.next(), io.next(), io.next());
    let (mut dpatch_copy, mut dpatch_cols, mut dpatch_rows) = (io.next(), io.next(), io.next());
    let (mut dp_copy, mut dp_cols, mut dp_rows) = (io.next(), io.next(), io.next());
    let banks = filterbanks(b, &p, rows, geo);
    let win = window_of(&p, &banks, geo);
    let grads = WindowGrads {
        dfx: &mut dfx,
        dfy: &mut dfy,
        dp: &mut dp,
    };
    // Three copies each: past the two a device may write from its kernel.
    let to = &mut [
        copy_to(&mut dpatch_copy, rows, into_rows),
        CopyTo::Cols(&mut dpatch_cols, 1),
        CopyTo::Rows(&mut dpatch_rows, 2),
    ];
    b.write_backward_to((&patch, win, &dcanvas), &mut dpatch, grads, to);
    let to = &mut [
        copy_to(&mut dp_copy, rows, into_rows),
        CopyTo::Cols(&mut dp_cols, 1),
        CopyTo::Rows(&mut dp_rows, 2),
    ];
    b.filterbank_backward_to(win, (&dfx, &dfy), &mut dp, to);
    vec![
        io.out("dpatch", &dpatch),
        io.out("dpatch copied", &dpatch_copy),
        io.out("dpatch copied (2)", &dpatch_cols),
        io.out("dpatch copied (3)", &dpatch_rows),
        io.out("dp", &dp),
        io.out("dp copied", &dp_copy),
        io.out("dp copied (2)", &dp_cols),
        io.out("dp copied (3)", &dp_rows),
    ]
}

fn run_pair<B: Backend>(io: &mut Io<'_, B>, geo: &Geometry, n2: usize) -> Vec<Output> {
    let b = io.b;
    let geo2 = Geometry { n: n2, ..*geo };
    let (p, mut fx, mut fy) = (io.next(), io.next(), io.next());
    let (p2, mut fx2, mut fy2) = (io.next(), io.next(), io.next());
    let first = Filterbanks {
        p: &p,
        geo,
        fx: &mut fx,
        fy: &mut fy,
    };
    let second = Filterbanks {
        p: &p2,
        geo: &geo2,
        fx: &mut fx2,
        fy: &mut fy2,
    };
    b.filterbank_forward_pair(first, second);
    vec![
        io.out("fx", &fx),
        io.out("fy", &fy),
        io.out("fx (second)", &fx2),
        io.out("fy (second)", &fy2),
    ]
}

fn run_canvas<B: Backend>(
    io: &mut Io<'_, B>,
    (rows, geo): (usize, &Geometry),
    compare_dp: bool,
) -> Vec<Output> {
    let b = io.b;
    let (p, patch, mut canvas, x, mut xhat) =
        (io.next(), io.next(), io.next(), io.next(), io.next());
    let (dr, mut dxhat, mut dcanvas) = (io.next(), io.next(), io.next());
    let (mut dfx, mut dfy, mut dp) = (io.next(), io.next(), io.next());
    let (mut dp_cols, mut dp_rows, mut dp_cols1) = (io.next(), io.next(), io.next());
    let banks = filterbanks(b, &p, rows, geo);
    let win = window_of(&p, &banks, geo);
    b.write_forward_error(&patch, win, &mut canvas, (&x, &mut xhat));
    let grads = WindowGrads {
        dfx: &mut dfx,
        dfy: &mut dfy,
        dp: &mut dp,
    };
    // Three copies: past the two a device may write from its kernel.
    let copies = &mut [
        CopyTo::Cols(&mut dp_cols, 3),
        CopyTo::Rows(&mut dp_rows, rows),
        CopyTo::Cols(&mut dp_cols1, 1),
    ];
    let to = (&mut dxhat, &mut dcanvas);
    b.read_backward_full(((&x, &xhat), win, &dr), to, grads, copies);
    if compare_dp {
        return vec![
            io.out("dp", &dp),
            io.out("dp copied", &dp_cols),
            io.out("dp copied (2)", &dp_rows),
            io.out("dp copied (3)", &dp_cols1),
        ];
    }
    vec![
        io.out("canvas", &canvas),
        io.out("xhat", &xhat),
        io.out("dxhat", &dxhat),
        io.out("dcanvas", &dcanvas),
        io.out("dfx", &dfx),
        io.out("dfy", &dfy),
    ]
}

fn run_read_to<B: Backend>(
    io: &mut Io<'_, B>,
    (rows, geo): (usize, &Geometry),
    into_rows: bool,
) -> Vec<Output> {
    let b = io.b;
    let (p, x, xhat, mut r, mut copy) = (io.next(), io.next(), io.next(), io.next(), io.next());
    let banks = filterbanks(b, &p, rows, geo);
    let win = window_of(&p, &banks, geo);
    let to = if into_rows {
        CopyTo::Rows(&mut copy, rows)
    } else {
        CopyTo::Cols(&mut copy, 3)
    };
    b.read_forward_to((&x, &xhat), win, &mut r, to);
    vec![io.out("r", &r), io.out("r copied", &copy)]
}

fn run_filterbank<B: Backend>(io: &mut Io<'_, B>, geo: &Geometry) -> Vec<Output> {
    let b = io.b;
    let (p, mut fx, mut fy) = (io.next(), io.next(), io.next());
    let (dfx, dfy, mut dp) = (io.next(), io.next(), io.next());
    b.filterbank_forward(&p, geo, &mut fx, &mut fy);
    let win = Window {
        p: &p,
        fx: &fx,
        fy: &fy,
        geo,
    };
    b.filterbank_backward(win, &dfx, &dfy, &mut dp);
    vec![io.out("fx", &fx), io.out("fy", &fy), io.out("dp", &dp)]
}

/// The window of head outputs `p` and their filterbanks `[F_X, F_Y]`.
fn window_of<'a, T>(p: &'a T, [fx, fy]: &'a [T; 2], geo: &'a Geometry) -> Window<'a, T> {
    Window { p, fx, fy, geo }
}

/// The filterbanks of `p`, in new tensors.
fn filterbanks<B: Backend>(b: &B, p: &B::Tensor, rows: usize, geo: &Geometry) -> [B::Tensor; 2] {
    let (mut fx, mut fy) = (b.zeros(rows, geo.fx_len()), b.zeros(rows, geo.fy_len()));
    b.filterbank_forward(p, geo, &mut fx, &mut fy);
    [fx, fy]
}

fn run_read<B: Backend>(io: &mut Io<'_, B>, rows: usize, geo: &Geometry) -> Vec<Output> {
    let b = io.b;
    let (p, x, xhat, mut r, dr) = (io.next(), io.next(), io.next(), io.next(), io.next());
    let (mut dxhat, mut dfx, mut dfy, mut dp) = (io.next(), io.next(), io.next(), io.next());
    let [fx, fy] = filterbanks(b, &p, rows, geo);
    let win = Window {
        p: &p,
        fx: &fx,
        fy: &fy,
        geo,
    };
    b.read_forward(&x, &xhat, win, &mut r);
    let grads = WindowGrads {
        dfx: &mut dfx,
        dfy: &mut dfy,
        dp: &mut dp,
    };
    b.read_backward(&x, &xhat, win, &dr, &mut dxhat, grads);
    vec![
        io.out("r", &r),
        io.out("dxhat", &dxhat),
        io.out("dfx", &dfx),
        io.out("dfy", &dfy),
        io.out("dp", &dp),
    ]
}

fn run_write<B: Backend>(io: &mut Io<'_, B>, rows: usize, geo: &Geometry) -> Vec<Output> {
    let b = io.b;
    let (p, patch, mut canvas, dcanvas) = (io.next(), io.next(), io.next(), io.next());
    let (mut dpatch, mut dfx, mut dfy, mut dp) = (io.next(), io.next(), io.next(), io.next());
    let [fx, fy] = filterbanks(b, &p, rows, geo);
    let win = Window {
        p: &p,
        fx: &fx,
        fy: &fy,
        geo,
    };
    b.write_forward(&patch, win, &mut canvas);
    let grads = WindowGrads {
        dfx: &mut dfx,
        dfy: &mut dfy,
        dp: &mut dp,
    };
    b.write_backward(&patch, win, &dcanvas, &mut dpatch, grads);
    vec![
        io.out("canvas", &canvas),
        io.out("dpatch", &dpatch),
        io.out("dfx", &dfx),
        io.out("dfy", &dfy),
        io.out("dp", &dp),
    ]
}
