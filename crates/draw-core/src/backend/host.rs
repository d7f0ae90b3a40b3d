//! The default bodies of the backend traits: download the inputs, run the reference kernel from
//! [`crate::kernels`] on the host, upload the outputs. Correct on any backend that implements
//! the five required methods; slow by design (every call round-trips through host memory).

use super::{
    AttentionOps, ColsTo, CopyTo, Gemm, Latent, LstmOps, MatrixOps, SamplingOps, Storage, Window,
    WindowGrads,
};
use crate::kernels::attention::{self, WindowRow, WindowRowGrads};
use crate::kernels::filterbank::{self, Geometry};
use crate::kernels::{lstm, pointwise};
use crate::rng::NoiseKey;
use crate::Float;

/// Runs `f` on the whole downloaded contents of `ins` and `out` (an elementwise op), then
/// uploads `out`. `out` is downloaded first, so `f` may accumulate into it.
pub fn elementwise<B: Storage + ?Sized>(
    b: &B,
    ins: &[&B::Tensor],
    out: &mut B::Tensor,
    f: impl FnOnce(&[&[B::F]], &mut [B::F]),
) {
    let owned: Vec<Vec<B::F>> = ins.iter().map(|t| b.download(t)).collect();
    let views: Vec<&[B::F]> = owned.iter().map(Vec::as_slice).collect();
    let mut o = b.download(out);
    f(&views, &mut o);
    b.upload(out, &o);
}

/// [`Storage::copy_cols`] on the host.
pub fn copy_cols<B: Storage + ?Sized>(
    b: &B,
    (src, src_col): (&B::Tensor, usize),
    (dst, dst_col): (&mut B::Tensor, usize),
    ncols: usize,
    accumulate: bool,
) {
    let ((rows, sc), (_, dc)) = (b.shape(src), b.shape(dst));
    let s = b.download(src);
    let mut d = b.download(dst);
    for r in 0..rows {
        let from = &s[r * sc + src_col..r * sc + src_col + ncols];
        let to = &mut d[r * dc + dst_col..r * dc + dst_col + ncols];
        for (o, &v) in to.iter_mut().zip(from) {
            *o = if accumulate { *o + v } else { v };
        }
    }
    b.upload(dst, &d);
}

/// [`Storage::copy_rows`] on the host.
pub fn copy_rows<B: Storage + ?Sized>(b: &B, src: &B::Tensor, dst: &mut B::Tensor, dst_row: usize) {
    let s = b.download(src);
    let mut d = b.download(dst);
    let cols = b.shape(dst).1;
    d[dst_row * cols..dst_row * cols + s.len()].copy_from_slice(&s);
    b.upload(dst, &d);
}

/// [`Storage::copy_rows_from`] on the host.
pub fn copy_rows_from<B: Storage + ?Sized>(
    b: &B,
    (src, src_row): (&B::Tensor, usize),
    dst: &mut B::Tensor,
) {
    let (rows, cols) = b.shape(dst);
    assert_eq!(b.shape(src).1, cols, "copy_rows_from column counts");
    assert!(
        src_row + rows <= b.shape(src).0,
        "copy_rows_from past the end"
    );
    let s = b.download(src);
    b.upload(dst, &s[src_row * cols..(src_row + rows) * cols]);
}

/// [`Storage::transpose_rows`] on the host.
pub fn transpose_rows<B: Storage + ?Sized>(
    b: &B,
    src: &B::Tensor,
    dst: &mut B::Tensor,
    dst_row: usize,
) {
    let ((r, c), dc) = (b.shape(src), b.shape(dst).1);
    let s = b.download(src);
    let mut d = b.download(dst);
    for i in 0..r {
        for j in 0..c {
            d[(dst_row + j) * dc + i] = s[i * c + j];
        }
    }
    b.upload(dst, &d);
}

/// [`super::MatrixOps::add_bias`] on the host.
pub fn add_bias<B: Storage + ?Sized>(b: &B, dst: &mut B::Tensor, bias: &B::Tensor) {
    let bv = b.download(bias);
    let mut d = b.download(dst);
    for row in d.chunks_exact_mut(bv.len()) {
        row.iter_mut().zip(&bv).for_each(|(o, &v)| *o += v);
    }
    b.upload(dst, &d);
}

/// [`MatrixOps::gemm_bias`] from the backend's own ops: the product, then the bias rows (no
/// round trip beyond what those two ops make).
pub fn gemm_bias<B: MatrixOps + ?Sized>(
    b: &B,
    c: &mut B::Tensor,
    g: Gemm<'_, B::Tensor>,
    bias: &B::Tensor,
) {
    b.gemm(c, g);
    b.add_bias(c, bias);
}

/// [`super::MatrixOps::gemm_to`] from the backend's own ops: the product (with its bias),
/// then one `copy_cols` per copy.
pub fn gemm_to<B: MatrixOps + ?Sized>(
    b: &B,
    c: &mut B::Tensor,
    (g, bias): (Gemm<'_, B::Tensor>, Option<&B::Tensor>),
    copies: &mut [ColsTo<'_, B::Tensor>],
) {
    match bias {
        Some(bias) => b.gemm_bias(c, g, bias),
        None => b.gemm(c, g),
    }
    for to in copies {
        b.copy_cols(c, to.src_col, to.dst, to.dst_col, to.ncols, to.accumulate);
    }
}

/// [`super::MatrixOps::sum_rows`] on the host.
pub fn sum_rows<B: Storage + ?Sized>(b: &B, src: &B::Tensor, dst: &mut B::Tensor) {
    let s = b.download(src);
    let mut d = b.download(dst);
    let n = d.len();
    for row in s.chunks_exact(n) {
        d.iter_mut().zip(row).for_each(|(o, &v)| *o += v);
    }
    b.upload(dst, &d);
}

/// [`super::LstmOps::lstm_forward`] on the host.
pub fn lstm_forward<B: Storage + ?Sized>(
    b: &B,
    gates: &mut B::Tensor,
    c_prev: &B::Tensor,
    (c, h): (&mut B::Tensor, &mut B::Tensor),
) {
    let (rows, n) = b.shape(c);
    let (mut g, cp) = (b.download(gates), b.download(c_prev));
    let (mut cv, mut hv) = (b.download(c), b.download(h));
    for r in 0..rows {
        let (lo, hi) = (r * n, (r + 1) * n);
        lstm::forward_row(
            &mut g[4 * lo..4 * hi],
            &cp[lo..hi],
            &mut cv[lo..hi],
            &mut hv[lo..hi],
        );
    }
    b.upload(gates, &g);
    b.upload(c, &cv);
    b.upload(h, &hv);
}

/// [`LstmOps::lstm_forward_to`] from the backend's own ops: the cell, then each copy.
pub fn lstm_forward_to<B: LstmOps + ?Sized>(
    b: &B,
    (gates, c_prev): (&mut B::Tensor, &B::Tensor),
    (c, h): (&mut B::Tensor, &mut B::Tensor),
    h_copies: &mut [CopyTo<'_, B::Tensor>],
) {
    b.lstm_forward(gates, c_prev, c, h);
    for to in h_copies {
        to.copy(b, h);
    }
}

/// [`LstmOps::lstm_backward_to`] from the backend's own ops: the cell backward, then the copy.
pub fn lstm_backward_to<B: LstmOps + ?Sized>(
    b: &B,
    (gates, c_prev, c): (&B::Tensor, &B::Tensor, &B::Tensor),
    (dh, dc): (&B::Tensor, &mut B::Tensor),
    dgates: &mut B::Tensor,
    mut dgates_copy: CopyTo<'_, B::Tensor>,
) {
    b.lstm_backward(gates, c_prev, c, dh, dc, dgates);
    dgates_copy.copy(b, dgates);
}

/// [`AttentionOps::read_forward_to`] from the backend's own ops: the read, then the copy.
pub fn read_forward_to<B: AttentionOps + ?Sized>(
    b: &B,
    (x, xhat): (&B::Tensor, &B::Tensor),
    win: Window<'_, B::Tensor>,
    r: &mut B::Tensor,
    mut r_copy: CopyTo<'_, B::Tensor>,
) {
    b.read_forward(x, xhat, win, r);
    r_copy.copy(b, r);
}

/// [`SamplingOps::sample_latent_to`] from the backend's own ops: the sample, then the copy.
pub fn sample_latent_to<B: SamplingOps + ?Sized>(
    b: &B,
    latent: Latent<'_, B::Tensor>,
    (z, kl): (&mut B::Tensor, &mut B::Tensor),
    mut z_copy: CopyTo<'_, B::Tensor>,
) {
    b.sample_latent(latent, z, kl);
    z_copy.copy(b, z);
}

/// [`AttentionOps::filterbank_backward_to`] from the backend's own ops: the filterbank
/// backward, then each copy of the whole `dp`.
pub fn filterbank_backward_to<B: AttentionOps + ?Sized>(
    b: &B,
    win: Window<'_, B::Tensor>,
    (dfx, dfy): (&B::Tensor, &B::Tensor),
    dp: &mut B::Tensor,
    dp_copies: &mut [CopyTo<'_, B::Tensor>],
) {
    b.filterbank_backward(win, dfx, dfy, dp);
    for to in dp_copies {
        to.copy(b, dp);
    }
}

/// [`AttentionOps::write_backward_to`] from the backend's own ops: the write backward, then
/// each copy of `dpatch`.
pub fn write_backward_to<B: AttentionOps + ?Sized>(
    b: &B,
    (patch, win, dcanvas): (&B::Tensor, Window<'_, B::Tensor>, &B::Tensor),
    dpatch: &mut B::Tensor,
    grads: WindowGrads<'_, B::Tensor>,
    dpatch_copies: &mut [CopyTo<'_, B::Tensor>],
) {
    b.write_backward(patch, win, dcanvas, dpatch, grads);
    for to in dpatch_copies {
        to.copy(b, dpatch);
    }
}

/// [`SamplingOps::sample_latent_backward_to`] from the backend's own ops: the backward, then
/// the copy.
pub fn sample_latent_backward_to<B: SamplingOps + ?Sized>(
    b: &B,
    latent: Latent<'_, B::Tensor>,
    (dz, kl_scale): (&B::Tensor, f64),
    dmu_logsig: &mut B::Tensor,
    mut copy: CopyTo<'_, B::Tensor>,
) {
    b.sample_latent_backward(latent, dz, kl_scale, dmu_logsig);
    copy.copy(b, dmu_logsig);
}

/// [`SamplingOps::sample_latent_drawn_to`] from the backend's own ops: ε from `key` into
/// `eps` ([`SamplingOps::fill_normal`]), then [`SamplingOps::sample_latent_to`].
pub fn sample_latent_drawn_to<B: SamplingOps + ?Sized>(
    b: &B,
    mu_logsig: &B::Tensor,
    (eps, key): (&mut B::Tensor, NoiseKey),
    (z, kl): (&mut B::Tensor, &mut B::Tensor),
    z_copy: CopyTo<'_, B::Tensor>,
) {
    b.fill_normal(eps, key);
    let latent = Latent { mu_logsig, eps };
    b.sample_latent_to(latent, (z, kl), z_copy);
}

/// [`super::LstmOps::lstm_backward`] on the host.
pub fn lstm_backward<B: Storage + ?Sized>(
    b: &B,
    (gates, c_prev, c): (&B::Tensor, &B::Tensor, &B::Tensor),
    dh: &B::Tensor,
    dc: &mut B::Tensor,
    dgates: &mut B::Tensor,
) {
    let (rows, n) = b.shape(c);
    let (g, cp, cv, dhv) = (
        b.download(gates),
        b.download(c_prev),
        b.download(c),
        b.download(dh),
    );
    let (mut dcv, mut dg) = (b.download(dc), b.download(dgates));
    for r in 0..rows {
        let (lo, hi) = (r * n, (r + 1) * n);
        lstm::backward_row(
            &g[4 * lo..4 * hi],
            &cp[lo..hi],
            &cv[lo..hi],
            &dhv[lo..hi],
            &mut dcv[lo..hi],
            &mut dg[4 * lo..4 * hi],
        );
    }
    b.upload(dc, &dcv);
    b.upload(dgates, &dg);
}

/// A window's tensors downloaded once, sliced per row.
struct HostWindow<'g, F> {
    p: Vec<F>,
    fx: Vec<F>,
    fy: Vec<F>,
    geo: &'g Geometry,
}

impl<'g, F: Float> HostWindow<'g, F> {
    fn new<B: Storage<F = F> + ?Sized>(b: &B, win: Window<'g, B::Tensor>) -> Self {
        HostWindow {
            p: b.download(win.p),
            fx: b.download(win.fx),
            fy: b.download(win.fy),
            geo: win.geo,
        }
    }

    fn row(&self, k: usize) -> WindowRow<'_, F> {
        let (lx, ly) = (self.geo.fx_len(), self.geo.fy_len());
        WindowRow {
            p: &self.p[k * 5..k * 5 + 5],
            fx: &self.fx[k * lx..(k + 1) * lx],
            fy: &self.fy[k * ly..(k + 1) * ly],
            geo: self.geo,
        }
    }
}

/// A window's gradients downloaded once, sliced per row, uploaded at the end.
struct HostWindowGrads<F> {
    dfx: Vec<F>,
    dfy: Vec<F>,
    dp: Vec<F>,
}

impl<F: Float> HostWindowGrads<F> {
    fn new<B: Storage<F = F> + ?Sized>(b: &B, g: &WindowGrads<'_, B::Tensor>) -> Self {
        HostWindowGrads {
            dfx: b.download(g.dfx),
            dfy: b.download(g.dfy),
            dp: b.download(g.dp),
        }
    }

    fn row(&mut self, k: usize, geo: &Geometry) -> WindowRowGrads<'_, F> {
        let (lx, ly) = (geo.fx_len(), geo.fy_len());
        WindowRowGrads {
            dfx: &mut self.dfx[k * lx..(k + 1) * lx],
            dfy: &mut self.dfy[k * ly..(k + 1) * ly],
            dp: &mut self.dp[k * 5..k * 5 + 5],
        }
    }

    fn upload<B: Storage<F = F> + ?Sized>(self, b: &B, g: WindowGrads<'_, B::Tensor>) {
        b.upload(g.dfx, &self.dfx);
        b.upload(g.dfy, &self.dfy);
        b.upload(g.dp, &self.dp);
    }
}

/// [`super::AttentionOps::filterbank_forward`] on the host.
pub fn filterbank_forward<B: Storage + ?Sized>(
    b: &B,
    p: &B::Tensor,
    geo: &Geometry,
    (fx, fy): (&mut B::Tensor, &mut B::Tensor),
) {
    let pv = b.download(p);
    let (mut x, mut y) = (b.download(fx), b.download(fy));
    let (lx, ly) = (geo.fx_len(), geo.fy_len());
    for r in 0..b.shape(p).0 {
        filterbank::forward_row(
            &pv[r * 5..r * 5 + 5],
            geo,
            &mut x[r * lx..(r + 1) * lx],
            &mut y[r * ly..(r + 1) * ly],
        );
    }
    b.upload(fx, &x);
    b.upload(fy, &y);
}

/// [`super::AttentionOps::filterbank_backward`] on the host.
pub fn filterbank_backward<B: Storage + ?Sized>(
    b: &B,
    win: Window<'_, B::Tensor>,
    (dfx, dfy): (&B::Tensor, &B::Tensor),
    dp: &mut B::Tensor,
) {
    let rows = b.shape(win.p).0;
    let w = HostWindow::new(b, win);
    let (dx, dy) = (b.download(dfx), b.download(dfy));
    let mut d = b.download(dp);
    let (lx, ly) = (w.geo.fx_len(), w.geo.fy_len());
    for r in 0..rows {
        let wr = w.row(r);
        filterbank::backward_row(
            wr.p,
            wr.geo,
            wr.fx,
            wr.fy,
            &dx[r * lx..(r + 1) * lx],
            &dy[r * ly..(r + 1) * ly],
            &mut d[r * 5..r * 5 + 5],
        );
    }
    b.upload(dp, &d);
}

/// [`super::AttentionOps::read_forward`] on the host.
pub fn read_forward<B: Storage + ?Sized>(
    b: &B,
    (x, xhat): (&B::Tensor, &B::Tensor),
    win: Window<'_, B::Tensor>,
    r: &mut B::Tensor,
) {
    let rows = b.shape(x).0;
    let w = HostWindow::new(b, win);
    let (xv, xh) = (b.download(x), b.download(xhat));
    let mut rv = b.download(r);
    let (li, lr) = (w.geo.image_len(), 2 * w.geo.patch_len());
    for k in 0..rows {
        attention::read_forward_row(
            &xv[k * li..(k + 1) * li],
            &xh[k * li..(k + 1) * li],
            w.row(k),
            &mut rv[k * lr..(k + 1) * lr],
        );
    }
    b.upload(r, &rv);
}

/// [`super::AttentionOps::read_backward`] on the host.
pub fn read_backward<B: Storage + ?Sized>(
    b: &B,
    (x, xhat): (&B::Tensor, &B::Tensor),
    win: Window<'_, B::Tensor>,
    dr: &B::Tensor,
    dxhat: &mut B::Tensor,
    grads: WindowGrads<'_, B::Tensor>,
) {
    let rows = b.shape(x).0;
    let w = HostWindow::new(b, win);
    let mut g = HostWindowGrads::new(b, &grads);
    let (xv, xh, drv) = (b.download(x), b.download(xhat), b.download(dr));
    let mut dxh = b.download(dxhat);
    let (li, lr) = (w.geo.image_len(), 2 * w.geo.patch_len());
    for k in 0..rows {
        attention::read_backward_row(
            &xv[k * li..(k + 1) * li],
            &xh[k * li..(k + 1) * li],
            w.row(k),
            &drv[k * lr..(k + 1) * lr],
            &mut dxh[k * li..(k + 1) * li],
            g.row(k, w.geo),
        );
    }
    b.upload(dxhat, &dxh);
    g.upload(b, grads);
}

/// [`super::AttentionOps::write_forward`] on the host.
pub fn write_forward<B: Storage + ?Sized>(
    b: &B,
    patch: &B::Tensor,
    win: Window<'_, B::Tensor>,
    canvas: &mut B::Tensor,
) {
    let rows = b.shape(patch).0;
    let w = HostWindow::new(b, win);
    let pw = b.download(patch);
    let mut cv = b.download(canvas);
    let (li, lp) = (w.geo.image_len(), w.geo.patch_len());
    for k in 0..rows {
        attention::write_forward_row(
            &pw[k * lp..(k + 1) * lp],
            w.row(k),
            &mut cv[k * li..(k + 1) * li],
        );
    }
    b.upload(canvas, &cv);
}

/// [`super::AttentionOps::write_backward`] on the host.
pub fn write_backward<B: Storage + ?Sized>(
    b: &B,
    patch: &B::Tensor,
    win: Window<'_, B::Tensor>,
    dcanvas: &B::Tensor,
    dpatch: &mut B::Tensor,
    grads: WindowGrads<'_, B::Tensor>,
) {
    let rows = b.shape(patch).0;
    let w = HostWindow::new(b, win);
    let mut g = HostWindowGrads::new(b, &grads);
    let (pw, dcv) = (b.download(patch), b.download(dcanvas));
    let mut dpw = b.download(dpatch);
    let (li, lp) = (w.geo.image_len(), w.geo.patch_len());
    for k in 0..rows {
        attention::write_backward_row(
            &pw[k * lp..(k + 1) * lp],
            w.row(k),
            &dcv[k * li..(k + 1) * li],
            &mut dpw[k * lp..(k + 1) * lp],
            g.row(k, w.geo),
        );
    }
    b.upload(dpatch, &dpw);
    g.upload(b, grads);
}

/// [`super::LossOps::bce`] on the host.
pub fn bce<B: Storage + ?Sized>(b: &B, x: &B::Tensor, c: &B::Tensor, out: &mut B::Tensor) {
    let (rows, n) = b.shape(x);
    let (xv, cv) = (b.download(x), b.download(c));
    let o: Vec<_> = (0..rows)
        .map(|r| pointwise::bce_row(&xv[r * n..(r + 1) * n], &cv[r * n..(r + 1) * n]))
        .collect();
    b.upload(out, &o);
}

/// A latent's width z, its `[μ | log σ]` rows (2z wide) and ε, on the host.
type HostLatent<F> = (usize, Vec<F>, Vec<F>);

/// A latent's width z, its `[μ | log σ]` rows and ε, downloaded.
fn download_latent<B: Storage + ?Sized>(b: &B, latent: Latent<'_, B::Tensor>) -> HostLatent<B::F> {
    (
        b.shape(latent.eps).1,
        b.download(latent.mu_logsig),
        b.download(latent.eps),
    )
}

/// [`super::SamplingOps::sample_latent`] on the host.
pub fn sample_latent<B: Storage + ?Sized>(
    b: &B,
    latent: Latent<'_, B::Tensor>,
    z: &mut B::Tensor,
    kl: &mut B::Tensor,
) {
    let (n, ml, e) = download_latent(b, latent);
    let (mut zv, mut k) = (b.download(z), b.download(kl));
    for (r, kr) in k.iter_mut().enumerate() {
        let (m, l) = ml[2 * r * n..2 * (r + 1) * n].split_at(n);
        let s = r * n..(r + 1) * n;
        *kr += pointwise::sample_latent_row(m, l, &e[s.clone()], &mut zv[s]);
    }
    b.upload(z, &zv);
    b.upload(kl, &k);
}

/// [`super::SamplingOps::latent_log_ratio`] on the host.
pub fn latent_log_ratio<B: Storage + ?Sized>(
    b: &B,
    latent: Latent<'_, B::Tensor>,
    out: &mut B::Tensor,
) {
    let (n, ml, e) = download_latent(b, latent);
    let mut o = b.download(out);
    for (r, v) in o.iter_mut().enumerate() {
        let (m, l) = ml[2 * r * n..2 * (r + 1) * n].split_at(n);
        *v += pointwise::latent_log_ratio_row(m, l, &e[r * n..(r + 1) * n]);
    }
    b.upload(out, &o);
}

/// [`super::SamplingOps::sample_latent_backward`] on the host.
pub fn sample_latent_backward<B: Storage + ?Sized>(
    b: &B,
    latent: Latent<'_, B::Tensor>,
    (dz, kl_scale): (&B::Tensor, f64),
    dmu_logsig: &mut B::Tensor,
) {
    let (n, ml, e) = download_latent(b, latent);
    let d = b.download(dz);
    let mut dml = b.download(dmu_logsig);
    for r in 0..b.shape(dz).0 {
        let (m, l) = ml[2 * r * n..2 * (r + 1) * n].split_at(n);
        let (dm, dl) = dml[2 * r * n..2 * (r + 1) * n].split_at_mut(n);
        let s = r * n..(r + 1) * n;
        let k = B::F::of(kl_scale);
        pointwise::sample_latent_backward_row(m, l, &e[s.clone()], &d[s], k, dm, dl);
    }
    b.upload(dmu_logsig, &dml);
}

/// [`super::LossOps::softmax_xent`] on the host.
pub fn softmax_xent<B: Storage + ?Sized>(
    b: &B,
    (logits, labels): (&B::Tensor, &B::Tensor),
    loss: &mut B::Tensor,
    correct: &mut B::Tensor,
) {
    let (rows, k) = b.shape(logits);
    let (lv, yv) = (b.download(logits), b.download(labels));
    let (mut lo, mut co) = (vec![B::F::of(0.0); rows], vec![B::F::of(0.0); rows]);
    for r in 0..rows {
        (lo[r], co[r]) = pointwise::softmax_xent_row(&lv[r * k..(r + 1) * k], yv[r]);
    }
    b.upload(loss, &lo);
    b.upload(correct, &co);
}

/// [`super::LossOps::softmax_xent_backward`] on the host.
pub fn softmax_xent_backward<B: Storage + ?Sized>(
    b: &B,
    (logits, labels): (&B::Tensor, &B::Tensor),
    scale: f64,
    dlogits: &mut B::Tensor,
) {
    let (rows, k) = b.shape(logits);
    let (lv, yv) = (b.download(logits), b.download(labels));
    let mut d = vec![B::F::of(0.0); rows * k];
    for (r, (out, &y)) in d.chunks_exact_mut(k.max(1)).zip(&yv).enumerate() {
        let s = r * k..(r + 1) * k;
        pointwise::softmax_xent_backward_row(&lv[s], y, B::F::of(scale), out);
    }
    b.upload(dlogits, &d);
}
