//! `Backend` for [`WgpuBackend`]: every op is one or a few recorded dispatches; nothing but
//! `download`, `sum`, `sum_all` and `sum_squares_all` waits for the device (a training step
//! calls none of them: its sums go to the ledger, `sums_into`).

use draw_core::kernels::filterbank::Geometry;
use draw_core::kernels::ledger::Verdict;
use draw_core::kernels::pointwise::AdamStep;
use draw_core::rng::NoiseKey;
use draw_core::{
    AttentionOps, ColsTo, CopyTo, Filterbanks, Gemm, Latent, LossOps, LstmOps, Mat, MatrixOps,
    OptimOps, ReadFwd, SamplingOps, Storage, Window, WindowGrads,
};

use crate::kernels::Kernel;
use crate::params::{
    dim, AdamParams, AttentionParams, BroadcastParams, CopyColsParams, CopyOutParams,
    CopyRowsParams, ElementwiseParams, FillParams, GemmParams, LatentParams, NormalParams,
    ScaleParams, ShapeParams, TransposeParams, VerdictParams, XentParams,
};
use crate::{grid, workgroups, WgpuBackend, WgpuTensor};

/// A matrix's shape as the kernels see it.
fn shape(t: &WgpuTensor) -> ShapeParams {
    ShapeParams {
        rows: dim(t.rows),
        cols: dim(t.cols),
        ..Default::default()
    }
}

/// An elementwise op over `len` elements with one factor.
fn scaled(len: usize, scale: f64) -> ScaleParams {
    ScaleParams {
        len: dim(len),
        scale: scale as f32,
        ..Default::default()
    }
}

/// An elementwise op over `len` elements.
fn elementwise(len: usize) -> ElementwiseParams {
    ElementwiseParams {
        len: dim(len),
        ..Default::default()
    }
}

/// A row vector against every row of `t`.
fn broadcast(t: &WgpuTensor) -> BroadcastParams {
    BroadcastParams {
        len: dim(t.len()),
        cols: dim(t.cols),
        ..Default::default()
    }
}

/// Attention parameters for `rows` batch rows, the constants computed in f64 as on the CPU.
fn attention(geo: &Geometry, rows: usize) -> AttentionParams {
    let span = (geo.width.max(geo.height) - 1) as f64 / (geo.n - 1) as f64;
    AttentionParams {
        rows: dim(rows),
        n: dim(geo.n),
        width: dim(geo.width),
        height: dim(geo.height),
        channels: dim(geo.channels),
        span: span as f32,
        gx_scale: ((geo.width + 1) as f64 * 0.5) as f32,
        gy_scale: ((geo.height + 1) as f64 * 0.5) as f32,
        filter_centre: ((geo.n + 1) as f64 * 0.5) as f32,
        ..Default::default()
    }
}

impl Storage for WgpuBackend {
    type F = f32;
    type Tensor = WgpuTensor;

    fn fault(&self) -> Option<String> {
        self.recorded_fault()
    }

    fn counters(&self) -> Option<draw_core::DeviceCounters> {
        Some(WgpuBackend::counters(self))
    }

    fn max_tensor_len(&self) -> Option<usize> {
        usize::try_from(self.max_buffer / 4).ok()
    }

    fn name(&self) -> String {
        format!("wgpu f32 on {}", self.adapter())
    }

    fn synchronize(&self) {
        self.wait_idle();
    }

    fn zeros(&self, rows: usize, cols: usize) -> WgpuTensor {
        self.new_tensor(rows, cols)
    }

    fn shape(&self, t: &WgpuTensor) -> (usize, usize) {
        t.shape()
    }

    fn upload(&self, t: &mut WgpuTensor, data: &[f32]) {
        assert_eq!(data.len(), t.len(), "upload length must match the tensor");
        self.write(t, data);
    }

    fn download(&self, t: &WgpuTensor) -> Vec<f32> {
        self.read(t, t.len())
    }

    fn fill(&self, t: &mut WgpuTensor, value: f64) {
        let p = FillParams {
            len: dim(t.len()),
            value: value as f32,
            ..Default::default()
        };
        self.dispatch(Kernel::Fill, p, &[t], grid(t.len()));
    }

    fn copy_cols(
        &self,
        src: &WgpuTensor,
        src_col: usize,
        dst: &mut WgpuTensor,
        dst_col: usize,
        ncols: usize,
        accumulate: bool,
    ) {
        assert!(src_col + ncols <= src.cols && dst_col + ncols <= dst.cols);
        assert_eq!(src.rows, dst.rows, "copy_cols row counts");
        let p = CopyColsParams {
            rows: dim(src.rows),
            ncols: dim(ncols),
            src_cols: dim(src.cols),
            src_col: dim(src_col),
            dst_cols: dim(dst.cols),
            dst_col: dim(dst_col),
            accumulate: accumulate.into(),
            ..Default::default()
        };
        self.dispatch(Kernel::CopyCols, p, &[src, dst], grid(src.rows * ncols));
    }

    fn copy_rows(&self, src: &WgpuTensor, dst: &mut WgpuTensor, dst_row: usize) {
        assert_eq!(src.cols, dst.cols, "copy_rows column counts");
        assert!(dst_row + src.rows <= dst.rows, "copy_rows past the end");
        let p = CopyRowsParams {
            len: dim(src.len()),
            offset: dim(dst_row * dst.cols),
            ..Default::default()
        };
        self.dispatch(Kernel::CopyRows, p, &[src, dst], grid(src.len()));
    }

    fn copy_rows_from(&self, src: &WgpuTensor, src_row: usize, dst: &mut WgpuTensor) {
        assert_eq!(src.cols, dst.cols, "copy_rows_from column counts");
        assert!(
            src_row + dst.rows <= src.rows,
            "copy_rows_from past the end"
        );
        let p = CopyRowsParams {
            len: dim(dst.len()),
            src_offset: dim(src_row * src.cols),
            ..Default::default()
        };
        self.dispatch(Kernel::CopyRows, p, &[src, dst], grid(dst.len()));
    }

    fn transpose_rows(&self, src: &WgpuTensor, dst: &mut WgpuTensor, dst_row: usize) {
        assert_eq!(
            dst.cols, src.rows,
            "transpose_rows: dst has src.rows columns"
        );
        assert!(
            dst_row + src.cols <= dst.rows,
            "transpose_rows past the end"
        );
        let p = TransposeParams {
            rows: dim(src.rows),
            cols: dim(src.cols),
            dst_row: dim(dst_row),
            ..Default::default()
        };
        self.dispatch(Kernel::TransposeRows, p, &[src, dst], grid(src.len()));
    }

    fn broadcast_rows(&self, src: &WgpuTensor, dst: &mut WgpuTensor) {
        let p = broadcast(dst);
        self.dispatch(Kernel::BroadcastRows, p, &[src, dst], grid(dst.len()));
    }
}

impl WgpuBackend {
    /// One GEMM dispatch, with the bias row added in the epilogue when there is one (the
    /// kernel's `bias` binding then holds `a`, read-only and never read), and the first three
    /// of `copies` written by the epilogue (the rest by `copy_cols` after it).
    fn gemm_dispatch(
        &self,
        c: &mut WgpuTensor,
        g: Gemm<'_, WgpuTensor>,
        bias: Option<&WgpuTensor>,
        copies: &mut [ColsTo<'_, WgpuTensor>],
    ) {
        self.gemm_dispatch_keep_a(c, g, bias, (copies, None));
    }

    /// [`WgpuBackend::gemm_dispatch`], A also written to `a_copy` by the epilogue (A read as
    /// it is, k ≤ n, at most two column copies; the caller checks).
    fn gemm_dispatch_keep_a(
        &self,
        c: &mut WgpuTensor,
        g: Gemm<'_, WgpuTensor>,
        bias: Option<&WgpuTensor>,
        (copies, a_copy): (
            &mut [ColsTo<'_, WgpuTensor>],
            Option<&CopyTo<'_, WgpuTensor>>,
        ),
    ) {
        let Gemm { a, b, alpha, beta } = g;
        let (a, trans_a, b, trans_b) = (a.t, a.transposed, b.t, b.transposed);
        let (m, k) = if trans_a {
            (a.cols, a.rows)
        } else {
            (a.rows, a.cols)
        };
        let (kb, n) = if trans_b {
            (b.cols, b.rows)
        } else {
            (b.rows, b.cols)
        };
        assert_eq!(k, kb, "gemm inner dimensions");
        assert_eq!((c.rows, c.cols), (m, n), "gemm output shape");
        let (fused, rest) = copies.split_at_mut(copies.len().min(3));
        let mut p = GemmParams {
            m: dim(m),
            n: dim(n),
            k: dim(k),
            lda: dim(a.cols),
            ldb: dim(b.cols),
            ldc: dim(c.cols),
            trans_a: trans_a.into(),
            trans_b: trans_b.into(),
            alpha: alpha as f32,
            beta: beta as f32,
            bias: bias.is_some().into(),
            ..Default::default()
        };
        if let Some(bias) = bias {
            assert_eq!(
                (bias.rows, bias.cols),
                (1, n),
                "gemm_bias: a 1 × n bias row"
            );
        }
        let mut outs: [&WgpuTensor; 3] = [c, c, c];
        for (k, to) in fused.iter().enumerate() {
            assert!(
                to.src_col + to.ncols <= n && to.dst_col + to.ncols <= to.dst.cols,
                "gemm_to: a copy outside its tensors"
            );
            assert_eq!(to.dst.rows, m, "gemm_to: a copy's row count");
            let (src, ncols, ld, dst) = (
                dim(to.src_col),
                dim(to.ncols),
                dim(to.dst.cols),
                dim(to.dst_col),
            );
            let acc = to.accumulate.into();
            match k {
                0 => (p.src0, p.ncols0, p.ld0, p.dst0, p.acc0) = (src, ncols, ld, dst, acc),
                1 => (p.src1, p.ncols1, p.ld1, p.dst1, p.acc1) = (src, ncols, ld, dst, acc),
                _ => (p.src2, p.ncols2, p.ld2, p.dst2, p.acc2) = (src, ncols, ld, dst, acc),
            }
            outs[k] = &*to.dst;
        }
        p.copies = dim(fused.len());
        if let Some(to) = a_copy {
            assert!(
                !trans_a && k <= n && fused.len() < 3,
                "gemm_bias_keep_a: A as it is, k ≤ n"
            );
            let (t, ld, at) = copy_target(to, (m, k));
            (p.acopy_ld, p.acopy_at) = (ld, at);
            outs[2] = t;
        }
        let groups = match self.gemm {
            Kernel::GemmDirect => grid(m * n),
            _ => (n.div_ceil(64) as u32, m.div_ceil(64) as u32),
        };
        let tensors = [a, b, &*c, bias.unwrap_or(a), outs[0], outs[1], outs[2]];
        self.dispatch(self.gemm, p, &tensors, groups);
        for to in rest {
            self.copy_cols(c, to.src_col, to.dst, to.dst_col, to.ncols, to.accumulate);
        }
    }
}

impl MatrixOps for WgpuBackend {
    fn gemm(&self, c: &mut WgpuTensor, g: Gemm<'_, WgpuTensor>) {
        self.gemm_dispatch(c, g, None, &mut []);
    }

    fn gemm_bias(&self, c: &mut WgpuTensor, g: Gemm<'_, WgpuTensor>, bias: &WgpuTensor) {
        self.gemm_dispatch(c, g, Some(bias), &mut []);
    }

    fn gemm_bias_keep_a(
        &self,
        c: &mut WgpuTensor,
        g: Gemm<'_, WgpuTensor>,
        bias: &WgpuTensor,
        mut a_copy: CopyTo<'_, WgpuTensor>,
    ) {
        let a = g.a;
        let (k, n) = if g.b.transposed {
            (g.b.t.cols, g.b.t.rows)
        } else {
            g.b.t.shape()
        };
        if a.transposed || k > n {
            // The epilogue has a thread per column of C only: copy A apart.
            self.gemm_dispatch(c, g, Some(bias), &mut []);
            a_copy.copy(self, a.t);
            return;
        }
        self.gemm_dispatch_keep_a(c, g, Some(bias), (&mut [], Some(&a_copy)));
    }

    fn gemm_to(
        &self,
        c: &mut WgpuTensor,
        g: Gemm<'_, WgpuTensor>,
        bias: Option<&WgpuTensor>,
        copies: &mut [ColsTo<'_, WgpuTensor>],
    ) {
        self.gemm_dispatch(c, g, bias, copies);
    }

    fn scale(&self, t: &mut WgpuTensor, alpha: f64) {
        let p = scaled(t.len(), alpha);
        self.dispatch(Kernel::Scale, p, &[t], grid(t.len()));
    }

    fn sum(&self, t: &WgpuTensor) -> f64 {
        self.reduce_all(&[t], false)[0]
    }

    fn sum_squares(&self, t: &WgpuTensor) -> f64 {
        self.reduce_all(&[t], true)[0]
    }

    fn sum_all(&self, ts: &[&WgpuTensor]) -> Vec<f64> {
        self.reduce_all(ts, false)
    }

    fn sum_squares_all(&self, ts: &[&WgpuTensor]) -> Vec<f64> {
        self.reduce_all(ts, true)
    }

    fn add_bias(&self, dst: &mut WgpuTensor, bias: &WgpuTensor) {
        let p = broadcast(dst);
        self.dispatch(Kernel::AddBias, p, &[dst, bias], grid(dst.len()));
    }

    fn sum_rows(&self, src: &WgpuTensor, dst: &mut WgpuTensor) {
        self.dispatch(Kernel::SumRows, shape(src), &[src, dst], grid(src.cols));
    }
}

/// A copy's tensor, row stride and the flat index of its element (0, 0), for an output of
/// `rows × cols` (checked to fit).
fn copy_target<'a>(
    to: &'a CopyTo<'_, WgpuTensor>,
    (rows, cols): (usize, usize),
) -> (&'a WgpuTensor, u32, u32) {
    let (t, at) = match to {
        CopyTo::Cols(t, col) => {
            assert!(
                t.rows == rows && col + cols <= t.cols,
                "CopyTo::Cols outside its tensor"
            );
            (&**t, *col)
        }
        CopyTo::Rows(t, row) => {
            assert!(
                t.cols == cols && row + rows <= t.rows,
                "CopyTo::Rows outside its tensor"
            );
            (&**t, row * t.cols)
        }
    };
    (t, dim(t.cols), dim(at))
}

/// [`CopyOutParams`] for an op on `c`'s shape (the LSTM's states, the latent), without copies.
fn copy_out(c: &WgpuTensor) -> CopyOutParams {
    CopyOutParams {
        rows: dim(c.rows),
        cols: dim(c.cols),
        ..Default::default()
    }
}

/// `p` with one copy of `out` to `to`, and the copy's tensor (to bind).
fn one_copy<'a>(
    p: CopyOutParams,
    to: &'a CopyTo<'_, WgpuTensor>,
    out: &WgpuTensor,
) -> (CopyOutParams, &'a WgpuTensor) {
    let (t, ld0, at0) = copy_target(to, out.shape());
    let p = CopyOutParams {
        copies: 1,
        ld0,
        at0,
        ..p
    };
    (p, t)
}

impl LstmOps for WgpuBackend {
    fn lstm_forward(
        &self,
        gates: &mut WgpuTensor,
        c_prev: &WgpuTensor,
        c: &mut WgpuTensor,
        h: &mut WgpuTensor,
    ) {
        self.lstm_forward_to(gates, c_prev, (c, h), &mut []);
    }

    fn lstm_forward_to(
        &self,
        gates: &mut WgpuTensor,
        c_prev: &WgpuTensor,
        (c, h): (&mut WgpuTensor, &mut WgpuTensor),
        h_copies: &mut [CopyTo<'_, WgpuTensor>],
    ) {
        let (fused, rest) = h_copies.split_at_mut(h_copies.len().min(3));
        let mut p = copy_out(c);
        let mut bound: [&WgpuTensor; 3] = [h, h, h];
        for (k, to) in fused.iter().enumerate() {
            let (t, ld, at) = copy_target(to, h.shape());
            bound[k] = t;
            match k {
                0 => (p.ld0, p.at0) = (ld, at),
                1 => (p.ld1, p.at1) = (ld, at),
                _ => (p.ld2, p.at2) = (ld, at),
            }
        }
        p.copies = dim(fused.len());
        let tensors = [&*gates, c_prev, c, h, bound[0], bound[1], bound[2]];
        self.dispatch(Kernel::LstmForward, p, &tensors, grid(c.len()));
        for to in rest {
            to.copy(self, h);
        }
    }

    fn lstm_backward(
        &self,
        gates: &WgpuTensor,
        c_prev: &WgpuTensor,
        c: &WgpuTensor,
        dh: &WgpuTensor,
        dc: &mut WgpuTensor,
        dgates: &mut WgpuTensor,
    ) {
        let tensors = [gates, c_prev, c, dh, dc, dgates, dgates];
        self.dispatch(Kernel::LstmBackward, copy_out(c), &tensors, grid(c.len()));
    }

    fn lstm_backward_to(
        &self,
        (gates, c_prev, c): (&WgpuTensor, &WgpuTensor, &WgpuTensor),
        dh: &WgpuTensor,
        dc: &mut WgpuTensor,
        dgates: &mut WgpuTensor,
        dgates_copy: CopyTo<'_, WgpuTensor>,
    ) {
        let (p, t) = one_copy(copy_out(c), &dgates_copy, dgates);
        let tensors = [gates, c_prev, c, dh, dc, dgates, t];
        self.dispatch(Kernel::LstmBackward, p, &tensors, grid(c.len()));
    }
}

impl AttentionOps for WgpuBackend {
    fn filterbank_forward(
        &self,
        p: &WgpuTensor,
        geo: &Geometry,
        fx: &mut WgpuTensor,
        fy: &mut WgpuTensor,
    ) {
        let rows = p.rows;
        let a = attention(geo, rows);
        self.dispatch(
            Kernel::FilterbankForward,
            a,
            &[p, fx, fy],
            grid(rows * 2 * geo.n),
        );
    }

    fn filterbank_forward_pair(
        &self,
        first: Filterbanks<'_, WgpuTensor>,
        second: Filterbanks<'_, WgpuTensor>,
    ) {
        let (g1, g2) = (first.geo, second.geo);
        assert!(
            (g1.width, g1.height) == (g2.width, g2.height) && first.p.rows == second.p.rows,
            "filterbank_forward_pair: two windows over one image and batch"
        );
        let rows = first.p.rows;
        let two = attention(g2, rows);
        let a = AttentionParams {
            n2: two.n,
            span2: two.span,
            filter_centre2: two.filter_centre,
            ..attention(g1, rows)
        };
        let tensors = [
            first.p,
            &*first.fx,
            &*first.fy,
            second.p,
            &*second.fx,
            &*second.fy,
        ];
        self.dispatch(
            Kernel::FilterbankForwardPair,
            a,
            &tensors,
            grid(rows * 2 * (g1.n + g2.n)),
        );
    }

    fn filterbank_backward(
        &self,
        win: Window<'_, WgpuTensor>,
        dfx: &WgpuTensor,
        dfy: &WgpuTensor,
        dp: &mut WgpuTensor,
    ) {
        let Window { p, fx, fy, geo } = win;
        let rows = p.rows;
        let a = attention(geo, rows);
        self.dispatch(
            Kernel::FilterbankBackward,
            a,
            &[p, fx, fy, dfx, dfy, dp, dp, dp],
            workgroups(rows as u64),
        );
    }

    fn filterbank_backward_to(
        &self,
        win: Window<'_, WgpuTensor>,
        dfs: (&WgpuTensor, &WgpuTensor),
        dp: &mut WgpuTensor,
        dp_copies: &mut [CopyTo<'_, WgpuTensor>],
    ) {
        self.filterbank_backward_dispatch(win, dfs, dp, dp_copies, 0.0);
    }

    fn read_forward(
        &self,
        x: &WgpuTensor,
        xhat: &WgpuTensor,
        win: Window<'_, WgpuTensor>,
        r: &mut WgpuTensor,
    ) {
        let Window { p, fx, fy, geo } = win;
        let a = attention(geo, x.rows);
        let tensors = [x, xhat, fx, fy, p, r, r];
        self.dispatch(Kernel::ReadForward, a, &tensors, grid(r.len()));
    }

    fn read_forward_to(
        &self,
        (x, xhat): (&WgpuTensor, &WgpuTensor),
        win: Window<'_, WgpuTensor>,
        r: &mut WgpuTensor,
        r_copy: CopyTo<'_, WgpuTensor>,
    ) {
        let Window { p, fx, fy, geo } = win;
        let (t, copy_ld, copy_at) = copy_target(&r_copy, r.shape());
        let a = AttentionParams {
            copy_ld,
            copy_at,
            ..attention(geo, x.rows)
        };
        let tensors = [x, xhat, fx, fy, p, r, t];
        self.dispatch(Kernel::ReadForward, a, &tensors, grid(r.len()));
    }

    fn read_backward(
        &self,
        x: &WgpuTensor,
        xhat: &WgpuTensor,
        win: Window<'_, WgpuTensor>,
        dr: &WgpuTensor,
        dxhat: &mut WgpuTensor,
        grads: WindowGrads<'_, WgpuTensor>,
    ) {
        let Window { p, fx, fy, geo } = win;
        let a = attention(geo, x.rows);
        self.dispatch(
            Kernel::ReadBackwardDxhat,
            a,
            &[fx, fy, p, dr, dxhat],
            grid(dxhat.len()),
        );
        self.read_backward_filters((x, xhat), win, dr, grads);
    }

    fn write_forward(
        &self,
        patch: &WgpuTensor,
        win: Window<'_, WgpuTensor>,
        canvas: &mut WgpuTensor,
    ) {
        let Window { p, fx, fy, geo } = win;
        let a = attention(geo, patch.rows);
        self.dispatch(
            Kernel::WriteForward,
            a,
            &[patch, fx, fy, p, canvas],
            grid(canvas.len()),
        );
    }

    fn write_forward_error(
        &self,
        patch: &WgpuTensor,
        win: Window<'_, WgpuTensor>,
        canvas: &mut WgpuTensor,
        (x, xhat): (&WgpuTensor, &mut WgpuTensor),
    ) {
        let Window { p, fx, fy, geo } = win;
        assert!(
            x.shape() == canvas.shape() && xhat.shape() == canvas.shape(),
            "write_forward_error: x, x̂ and the canvas differ in shape"
        );
        let a = attention(geo, patch.rows);
        self.dispatch(
            Kernel::WriteForwardError,
            a,
            &[patch, fx, fy, p, canvas, x, xhat],
            grid(canvas.len()),
        );
    }

    fn read_backward_full(
        &self,
        ((x, xhat), win, dr): ReadFwd<'_, WgpuTensor>,
        (dxhat, dcanvas): (&mut WgpuTensor, &mut WgpuTensor),
        grads: WindowGrads<'_, WgpuTensor>,
        dp_copies: &mut [CopyTo<'_, WgpuTensor>],
    ) {
        let Window { p, fx, fy, geo } = win;
        let WindowGrads { dfx, dfy, dp } = grads;
        assert!(
            dcanvas.shape() == dxhat.shape(),
            "read_backward_full: dx̂ and the canvas gradient differ in shape"
        );
        let a = attention(geo, x.rows);
        self.dispatch(
            Kernel::ReadBackwardCanvas,
            a,
            &[x, xhat, fx, fy, p, dr, dxhat, dcanvas],
            grid(dxhat.len()),
        );
        self.dispatch(
            Kernel::ReadBackwardDf,
            a,
            &[x, xhat, fx, fy, p, dr, dfx, dfy],
            grid(dfx.len() + dfy.len()),
        );
        // log γ's gradient with the filterbanks' (one workgroup per row), dp set.
        self.filterbank_backward_dispatch(win, (dfx, dfy), dp, dp_copies, 1.0);
    }

    fn write_backward(
        &self,
        patch: &WgpuTensor,
        win: Window<'_, WgpuTensor>,
        dcanvas: &WgpuTensor,
        dpatch: &mut WgpuTensor,
        grads: WindowGrads<'_, WgpuTensor>,
    ) {
        self.write_backward_dispatches((patch, win, dcanvas), dpatch, grads, &mut []);
    }

    fn write_backward_to(
        &self,
        (patch, win, dcanvas): (&WgpuTensor, Window<'_, WgpuTensor>, &WgpuTensor),
        dpatch: &mut WgpuTensor,
        grads: WindowGrads<'_, WgpuTensor>,
        dpatch_copies: &mut [CopyTo<'_, WgpuTensor>],
    ) {
        let copies = dpatch_copies;
        self.write_backward_dispatches((patch, win, dcanvas), dpatch, grads, copies);
    }
}

/// `a` with the first two of `copies` of `out` (the attention backward kernels' `copy` and
/// `copy1`), and the tensors to bind for them (`out` where there is no copy).
fn attention_copies<'a>(
    a: AttentionParams,
    copies: &'a [CopyTo<'_, WgpuTensor>],
    out: &'a WgpuTensor,
) -> (AttentionParams, [&'a WgpuTensor; 2]) {
    let mut p = a;
    let mut bound = [out, out];
    for (k, to) in copies.iter().take(2).enumerate() {
        let (t, ld, at) = copy_target(to, out.shape());
        bound[k] = t;
        if k == 0 {
            (p.copy_ld, p.copy_at) = (ld, at);
        } else {
            (p.copy1_ld, p.copy1_at) = (ld, at);
        }
    }
    (p, bound)
}

impl WgpuBackend {
    /// The filterbank backward, the finished dp also into `dp_copies` (the first two by the
    /// kernel, any more by copy ops); with `gamma_sign` ≠ 0 it sets dp, log γ's column from dF_X
    /// in closed form (the read's whole backward), else it adds to dp.
    fn filterbank_backward_dispatch(
        &self,
        win: Window<'_, WgpuTensor>,
        (dfx, dfy): (&WgpuTensor, &WgpuTensor),
        dp: &mut WgpuTensor,
        dp_copies: &mut [CopyTo<'_, WgpuTensor>],
        gamma_sign: f32,
    ) {
        let Window { p, fx, fy, geo } = win;
        let rows = p.rows;
        let (fused, rest) = dp_copies.split_at_mut(dp_copies.len().min(2));
        let (a, [t0, t1]) = attention_copies(attention(geo, rows), fused, dp);
        let a = AttentionParams { gamma_sign, ..a };
        self.dispatch(
            Kernel::FilterbankBackward,
            a,
            &[p, fx, fy, dfx, dfy, dp, t0, t1],
            workgroups(rows as u64),
        );
        for to in rest {
            to.copy(self, dp);
        }
    }

    /// The attention read backward past x̂: the filterbanks' gradients (one dispatch), then
    /// log γ's from dF_X (one workgroup per row).
    fn read_backward_filters(
        &self,
        (x, xhat): (&WgpuTensor, &WgpuTensor),
        win: Window<'_, WgpuTensor>,
        dr: &WgpuTensor,
        grads: WindowGrads<'_, WgpuTensor>,
    ) {
        let Window { p, fx, fy, geo } = win;
        let WindowGrads { dfx, dfy, dp } = grads;
        let rows = x.rows;
        let a = attention(geo, rows);
        self.dispatch(
            Kernel::ReadBackwardDf,
            a,
            &[x, xhat, fx, fy, p, dr, dfx, dfy],
            grid(dfx.len() + dfy.len()),
        );
        let g = AttentionParams {
            gamma_sign: 1.0,
            ..a
        };
        self.dispatch(
            Kernel::GammaBackward,
            g,
            &[fx, dfx, p, dp],
            workgroups(rows as u64),
        );
    }

    /// The attention write backward's two dispatches, the patch's gradient also written to
    /// `dpatch_copies` (the first two by the kernel, any more by copy ops).
    fn write_backward_dispatches(
        &self,
        (patch, win, dcanvas): (&WgpuTensor, Window<'_, WgpuTensor>, &WgpuTensor),
        dpatch: &mut WgpuTensor,
        grads: WindowGrads<'_, WgpuTensor>,
        dpatch_copies: &mut [CopyTo<'_, WgpuTensor>],
    ) {
        let Window { p, fx, fy, geo } = win;
        let WindowGrads { dfx, dfy, dp } = grads;
        let rows = patch.rows;
        let a = attention(geo, rows);
        let dc = dcanvas;
        let (fused, rest) = dpatch_copies.split_at_mut(dpatch_copies.len().min(2));
        let (ap, [t0, t1]) = attention_copies(a, fused, dpatch);
        self.dispatch(
            Kernel::WriteBackwardDpatch,
            ap,
            &[fx, fy, p, dc, dpatch, t0, t1],
            grid(dpatch.len()),
        );
        for to in rest {
            to.copy(self, dpatch);
        }
        self.dispatch(
            Kernel::WriteBackwardDf,
            a,
            &[patch, fx, fy, p, dc, dfx, dfy, dp],
            workgroups(rows as u64),
        );
    }
}

impl LossOps for WgpuBackend {
    fn canvas_error(&self, x: &WgpuTensor, c: &WgpuTensor, xhat: &mut WgpuTensor) {
        let p = elementwise(x.len());
        self.dispatch(Kernel::CanvasError, p, &[x, c, xhat], grid(x.len()));
    }

    fn canvas_error_backward(
        &self,
        x: &WgpuTensor,
        xhat: &WgpuTensor,
        dxhat: &WgpuTensor,
        dc: &mut WgpuTensor,
    ) {
        let p = elementwise(x.len());
        self.dispatch(
            Kernel::CanvasErrorBackward,
            p,
            &[x, xhat, dxhat, dc],
            grid(x.len()),
        );
    }

    fn bce(&self, x: &WgpuTensor, c: &WgpuTensor, out: &mut WgpuTensor) {
        self.dispatch(
            Kernel::Bce,
            shape(x),
            &[x, c, out],
            workgroups(x.rows as u64),
        );
    }

    fn bce_backward(&self, x: &WgpuTensor, c: &WgpuTensor, scale: f64, dc: &mut WgpuTensor) {
        let p = scaled(x.len(), scale);
        self.dispatch(Kernel::BceBackward, p, &[x, c, dc], grid(x.len()));
    }

    fn softmax_xent(
        &self,
        logits: &WgpuTensor,
        labels: &WgpuTensor,
        loss: &mut WgpuTensor,
        correct: &mut WgpuTensor,
    ) {
        let p = xent(logits, 0.0);
        let g = grid(logits.rows);
        self.dispatch(Kernel::SoftmaxXent, p, &[logits, labels, loss, correct], g);
    }

    fn softmax_xent_backward(
        &self,
        logits: &WgpuTensor,
        labels: &WgpuTensor,
        scale: f64,
        dlogits: &mut WgpuTensor,
    ) {
        let p = xent(logits, scale);
        let g = grid(logits.rows);
        self.dispatch(
            Kernel::SoftmaxXentBackward,
            p,
            &[logits, labels, dlogits],
            g,
        );
    }
}

/// The widest `[dμ | d log σ]` row `shaders/latent_layer_backward.wgsl` keeps in workgroup
/// memory (its `row_dml`).
const LATENT_ROW_MAX: usize = 1024;

/// The generator's parameters for `len` normals from `key`.
fn normal_params(len: usize, key: NoiseKey) -> NormalParams {
    let base = key.bits_base();
    let lo = |v: u64| (v & 0xffff_ffff) as u32;
    NormalParams {
        len: dim(len),
        key_lo: lo(base),
        key_hi: lo(base >> 32),
        offset_lo: lo(key.offset),
        offset_hi: lo(key.offset >> 32),
        ..Default::default()
    }
}

/// [`LatentParams`] for a latent of `eps`'s shape: no copies, no draw, no scale.
/// The parameters of a sample that draws its ε from `key` into `eps` and copies z to `z_copy`
/// (`sample_latent_drawn_to`, `latent_layer_sample_to`), with the copy's target tensor.
fn drawn_latent_params<'a>(
    eps: &WgpuTensor,
    key: NoiseKey,
    z_copy: &'a CopyTo<'_, WgpuTensor>,
    z: &WgpuTensor,
) -> (LatentParams, &'a WgpuTensor) {
    let (t, ld0, at0) = copy_target(z_copy, z.shape());
    let noise = normal_params(eps.len(), key);
    let p = LatentParams {
        copies: 1,
        ld0,
        at0,
        draw: 1,
        key_lo: noise.key_lo,
        key_hi: noise.key_hi,
        offset_lo: noise.offset_lo,
        offset_hi: noise.offset_hi,
        ..latent_params(eps)
    };
    (p, t)
}

fn latent_params(eps: &WgpuTensor) -> LatentParams {
    LatentParams {
        rows: dim(eps.rows),
        cols: dim(eps.cols),
        ..Default::default()
    }
}

/// The cross-entropy kernels' parameters for `logits`.
fn xent(logits: &WgpuTensor, scale: f64) -> XentParams {
    XentParams {
        rows: dim(logits.rows),
        cols: dim(logits.cols),
        scale: scale as f32,
        ..Default::default()
    }
}

impl SamplingOps for WgpuBackend {
    fn fill_normal(&self, t: &mut WgpuTensor, key: NoiseKey) {
        let p = normal_params(t.len(), key);
        self.dispatch(Kernel::FillNormal, p, &[t], grid(t.len()));
    }

    fn sample_latent(
        &self,
        latent: Latent<'_, WgpuTensor>,
        z: &mut WgpuTensor,
        kl: &mut WgpuTensor,
    ) {
        let Latent { mu_logsig, eps } = latent;
        let tensors = [mu_logsig, eps, z, kl, z];
        self.dispatch(
            Kernel::SampleLatent,
            latent_params(eps),
            &tensors,
            grid(eps.rows),
        );
    }

    fn sample_latent_to(
        &self,
        latent: Latent<'_, WgpuTensor>,
        (z, kl): (&mut WgpuTensor, &mut WgpuTensor),
        z_copy: CopyTo<'_, WgpuTensor>,
    ) {
        let Latent { mu_logsig, eps } = latent;
        let (t, ld0, at0) = copy_target(&z_copy, z.shape());
        let p = LatentParams {
            copies: 1,
            ld0,
            at0,
            ..latent_params(eps)
        };
        let tensors = [mu_logsig, eps, z, kl, t];
        self.dispatch(Kernel::SampleLatent, p, &tensors, grid(eps.rows));
    }

    fn latent_layer_sample_to(
        &self,
        (h, weight, bias): (&WgpuTensor, &WgpuTensor, &WgpuTensor),
        mu_logsig: &mut WgpuTensor,
        (eps, key): (&mut WgpuTensor, NoiseKey),
        (z, kl): (&mut WgpuTensor, &mut WgpuTensor),
        z_copy: CopyTo<'_, WgpuTensor>,
    ) {
        let zs = eps.cols;
        assert!(
            weight.shape() == (2 * zs, h.cols)
                && bias.shape() == (1, 2 * zs)
                && mu_logsig.shape() == (h.rows, 2 * zs)
                && eps.rows == h.rows,
            "latent_layer_sample_to: a 2z × in layer, its bias, and rows × 2z outputs"
        );
        let (p, t) = drawn_latent_params(eps, key, &z_copy, z);
        let p = LatentParams {
            inputs: dim(h.cols),
            ..p
        };
        let tensors = [h, weight, bias, &*mu_logsig, &*eps, z, kl, t];
        self.dispatch(
            Kernel::LatentLayerSample,
            p,
            &tensors,
            workgroups(h.rows as u64),
        );
    }

    fn sample_latent_drawn_to(
        &self,
        mu_logsig: &WgpuTensor,
        (eps, key): (&mut WgpuTensor, NoiseKey),
        (z, kl): (&mut WgpuTensor, &mut WgpuTensor),
        z_copy: CopyTo<'_, WgpuTensor>,
    ) {
        let (p, t) = drawn_latent_params(eps, key, &z_copy, z);
        let tensors = [mu_logsig, &*eps, z, kl, t];
        self.dispatch(Kernel::SampleLatent, p, &tensors, grid(eps.rows));
    }

    fn sample_latent_backward(
        &self,
        latent: Latent<'_, WgpuTensor>,
        dz: &WgpuTensor,
        kl_scale: f64,
        dmu_logsig: &mut WgpuTensor,
    ) {
        let Latent { mu_logsig, eps } = latent;
        let p = LatentParams {
            scale: kl_scale as f32,
            ..latent_params(eps)
        };
        let tensors = [mu_logsig, eps, dz, dmu_logsig, dmu_logsig];
        self.dispatch(Kernel::SampleLatentBackward, p, &tensors, grid(eps.len()));
    }

    fn latent_layer_backward_to(
        &self,
        latent: Latent<'_, WgpuTensor>,
        (dz, kl_scale): (&WgpuTensor, f64),
        dmu_logsig: &mut WgpuTensor,
        copy: CopyTo<'_, WgpuTensor>,
        (weight, dh): (&WgpuTensor, &mut WgpuTensor),
    ) {
        let Latent { mu_logsig, eps } = latent;
        if 2 * eps.cols > LATENT_ROW_MAX {
            self.sample_latent_backward_to(latent, (dz, kl_scale), dmu_logsig, copy);
            self.gemm(dh, Gemm::add_to(Mat::n(dmu_logsig), Mat::n(weight)));
            return;
        }
        assert!(
            weight.shape() == (2 * eps.cols, dh.cols) && dh.rows == eps.rows,
            "latent_layer_backward_to: a 2z × in layer and a rows × in input gradient"
        );
        let (t, ld0, at0) = copy_target(&copy, dmu_logsig.shape());
        let p = LatentParams {
            copies: 1,
            ld0,
            at0,
            scale: kl_scale as f32,
            inputs: dim(dh.cols),
            ..latent_params(eps)
        };
        let tensors = [mu_logsig, eps, dz, &*dmu_logsig, t, weight, dh];
        self.dispatch(
            Kernel::LatentLayerBackward,
            p,
            &tensors,
            workgroups(eps.rows as u64),
        );
    }

    fn sample_latent_backward_to(
        &self,
        latent: Latent<'_, WgpuTensor>,
        (dz, kl_scale): (&WgpuTensor, f64),
        dmu_logsig: &mut WgpuTensor,
        copy: CopyTo<'_, WgpuTensor>,
    ) {
        let Latent { mu_logsig, eps } = latent;
        let (t, ld0, at0) = copy_target(&copy, dmu_logsig.shape());
        let p = LatentParams {
            copies: 1,
            ld0,
            at0,
            scale: kl_scale as f32,
            ..latent_params(eps)
        };
        let tensors = [mu_logsig, eps, dz, dmu_logsig, t];
        self.dispatch(Kernel::SampleLatentBackward, p, &tensors, grid(eps.len()));
    }
}

impl OptimOps for WgpuBackend {
    fn adam(
        &self,
        p: &mut WgpuTensor,
        g: &WgpuTensor,
        m: &mut WgpuTensor,
        v: &mut WgpuTensor,
        step: &AdamStep,
    ) {
        let pr = adam_params(p.len(), step);
        self.dispatch(Kernel::Adam, pr, &[p, g, m, v], grid(p.len()));
    }

    fn sums_into(&self, ts: &[&WgpuTensor], ledger: &mut WgpuTensor, at: usize, squares: bool) {
        assert!(at + ts.len() <= ledger.len(), "sums_into past the ledger");
        self.reduce_into(ts, ledger, at, squares);
    }

    fn step_verdict(&self, ledger: &mut WgpuTensor, v: &Verdict) {
        assert!(
            v.grad_squares.end <= ledger.len(),
            "verdict past the ledger"
        );
        let p = VerdictParams {
            first_lo: dim(v.first.start),
            first_hi: dim(v.first.end),
            second_lo: dim(v.second.start),
            second_hi: dim(v.second.end),
            grad_lo: dim(v.grad_squares.start),
            grad_hi: dim(v.grad_squares.end),
            has_clip: v.clip.is_some().into(),
            clip: v.clip.unwrap_or(0.0) as f32,
            ..Default::default()
        };
        self.dispatch(Kernel::StepVerdict, p, &[ledger], (1, 1));
    }

    fn adam_checked(
        &self,
        p: &mut WgpuTensor,
        g: &WgpuTensor,
        (m, v): (&mut WgpuTensor, &mut WgpuTensor),
        step: &AdamStep,
        ledger: &WgpuTensor,
    ) {
        let pr = adam_params(p.len(), step);
        self.dispatch(
            Kernel::AdamChecked,
            pr,
            &[p, g, m, v, ledger],
            grid(p.len()),
        );
    }
}

/// [`AdamParams`] for `len` elements (`adam_checked` reads its gradient scale from the ledger
/// instead of `grad_scale`).
fn adam_params(len: usize, step: &AdamStep) -> AdamParams {
    AdamParams {
        len: dim(len),
        step_size: step.step_size as f32,
        beta1: step.beta1 as f32,
        beta2: step.beta2 as f32,
        eps: step.eps as f32,
        grad_scale: step.grad_scale as f32,
        ..Default::default()
    }
}
