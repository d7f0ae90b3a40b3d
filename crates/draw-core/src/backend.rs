//! The `Backend` trait: where tensors live and how the model's operations run.
//!
//! A backend owns memory and kernels; draw-core owns the model, backprop through time and the
//! optimiser. Every tensor is a row-major matrix, one example per row. Five methods are
//! required (allocation, shape, upload, download, gemm); everything else has a default body
//! that downloads its inputs, runs the reference kernel from [`crate::kernels`] on the host and
//! uploads the result: correct on any backend, and the place to override for speed.

use crate::kernels::{attention, filterbank, filterbank::Geometry, lstm, pointwise};
use crate::rng::NoiseKey;
use crate::Float;

/// Storage and compute for the DRAW model. See the module docs for the required/provided split.
pub trait Backend: Send + Sync {
    /// Scalar type the backend computes in.
    type F: Float;
    /// A row-major matrix resident wherever the backend keeps its memory.
    type Tensor: Send + Sync;

    /// Human-readable name (device, float type).
    fn name(&self) -> String {
        std::any::type_name::<Self>().to_string()
    }

    // ---------------------------------------------------------------- required primitives

    /// A `rows × cols` tensor of zeros.
    fn zeros(&self, rows: usize, cols: usize) -> Self::Tensor;
    /// `(rows, cols)` of a tensor.
    fn shape(&self, t: &Self::Tensor) -> (usize, usize);
    /// Overwrites a tensor with host data (length rows·cols, row-major).
    fn upload(&self, t: &mut Self::Tensor, data: &[Self::F]);
    /// Copies a tensor to the host, row-major.
    fn download(&self, t: &Self::Tensor) -> Vec<Self::F>;
    /// `c ← α·op(a)·op(b) + β·c`, where op transposes when asked. With β = 0, `c` is not read.
    #[allow(clippy::too_many_arguments)]
    fn gemm(
        &self,
        c: &mut Self::Tensor,
        alpha: f64,
        a: &Self::Tensor,
        trans_a: bool,
        b: &Self::Tensor,
        trans_b: bool,
        beta: f64,
    );

    // ---------------------------------------------------------------- provided primitives

    /// Runs `f` (a whole training step, evaluation batch or generation) in the backend's
    /// execution context. The CPU backend runs it on a worker of its thread pool, so that the
    /// many small parallel ops of a step are not each handed over from a foreign thread.
    /// Default: runs `f` directly.
    fn run<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        f()
    }

    /// How many shards to split a batch of `batch` rows into for [`Backend::run_shards`]
    /// (at most `batch`). Default: 1, the whole batch at once.
    fn shards(&self, batch: usize) -> usize {
        let _ = batch;
        1
    }

    /// Runs `f(k, &mut items[k])` for every shard k, concurrently where the backend can, each
    /// call's ops confined to its shard (the CPU backend gives each shard one core with no
    /// inner parallelism, so a step synchronises once instead of once per op). Default: in
    /// order on the calling thread.
    fn run_shards<T: Send>(&self, items: &mut [T], f: impl Fn(usize, &mut T) + Sync) {
        for (k, item) in items.iter_mut().enumerate() {
            f(k, item);
        }
    }

    /// Blocks until every op issued so far has finished. Device backends that queue work
    /// asynchronously override it; benchmarks call it before reading the clock. Default: no-op.
    fn synchronize(&self) {}

    /// A tensor holding `data`.
    fn tensor(&self, rows: usize, cols: usize, data: &[Self::F]) -> Self::Tensor {
        let mut t = self.zeros(rows, cols);
        self.upload(&mut t, data);
        t
    }
    /// Sets every element to `value`.
    fn fill(&self, t: &mut Self::Tensor, value: f64) {
        let (r, c) = self.shape(t);
        self.upload(t, &vec![Self::F::of(value); r * c]);
    }
    /// Multiplies every element by `alpha`.
    fn scale(&self, t: &mut Self::Tensor, alpha: f64) {
        let a = Self::F::of(alpha);
        let v: Vec<_> = self.download(t).into_iter().map(|x| x * a).collect();
        self.upload(t, &v);
    }
    /// Σ of all elements, accumulated in f64.
    fn sum(&self, t: &Self::Tensor) -> f64 {
        self.download(t).iter().map(|x| x.f64()).sum()
    }
    /// Σ of squares of all elements, accumulated in f64.
    fn sum_squares(&self, t: &Self::Tensor) -> f64 {
        self.download(t).iter().map(|x| x.f64() * x.f64()).sum()
    }
    /// Σ of each tensor (the loss sums), accumulated in f64. Device backends override this to
    /// read all the sums back at once. Default: [`Backend::sum`] on each.
    fn sum_all(&self, ts: &[&Self::Tensor]) -> Vec<f64> {
        ts.iter().map(|t| self.sum(t)).collect()
    }
    /// Σ of squares of each tensor (the gradient norm), accumulated in f64. Device backends
    /// override this to read all the sums back at once. Default: [`Backend::sum_squares`] on each.
    fn sum_squares_all(&self, ts: &[&Self::Tensor]) -> Vec<f64> {
        ts.iter().map(|t| self.sum_squares(t)).collect()
    }
    /// `dst[:, dst_col..+ncols] (+)= src[:, src_col..+ncols]`; adds when `accumulate`.
    #[allow(clippy::too_many_arguments)]
    fn copy_cols(
        &self,
        src: &Self::Tensor,
        src_col: usize,
        dst: &mut Self::Tensor,
        dst_col: usize,
        ncols: usize,
        accumulate: bool,
    ) {
        let ((rows, sc), (_, dc)) = (self.shape(src), self.shape(dst));
        let s = self.download(src);
        let mut d = self.download(dst);
        for r in 0..rows {
            let from = &s[r * sc + src_col..r * sc + src_col + ncols];
            let to = &mut d[r * dc + dst_col..r * dc + dst_col + ncols];
            for (o, &v) in to.iter_mut().zip(from) {
                *o = if accumulate { *o + v } else { v };
            }
        }
        self.upload(dst, &d);
    }
    /// `dst[dst_row..dst_row + src.rows, :] = src` (same column count): gathers per-step
    /// tensors into one tall tensor for the batched weight-gradient GEMMs.
    fn copy_rows(&self, src: &Self::Tensor, dst: &mut Self::Tensor, dst_row: usize) {
        let s = self.download(src);
        let mut d = self.download(dst);
        let cols = self.shape(dst).1;
        d[dst_row * cols..dst_row * cols + s.len()].copy_from_slice(&s);
        self.upload(dst, &d);
    }
    /// `dst[dst_row + j][i] = src[i][j]`: writes srcᵀ (cols × rows) into `dst` (which has
    /// `src.rows` columns) from row `dst_row` on. Keeps the forward pass's transposed copy of
    /// the LSTM weights, whose row-major layout the gate GEMM reads fastest.
    fn transpose_rows(&self, src: &Self::Tensor, dst: &mut Self::Tensor, dst_row: usize) {
        let ((r, c), dc) = (self.shape(src), self.shape(dst).1);
        let s = self.download(src);
        let mut d = self.download(dst);
        for i in 0..r {
            for j in 0..c {
                d[(dst_row + j) * dc + i] = s[i * c + j];
            }
        }
        self.upload(dst, &d);
    }
    /// Adds the `1 × cols` row `bias` to every row of `dst`.
    fn add_bias(&self, dst: &mut Self::Tensor, bias: &Self::Tensor) {
        let b = self.download(bias);
        let mut d = self.download(dst);
        for row in d.chunks_exact_mut(b.len()) {
            row.iter_mut().zip(&b).for_each(|(o, &v)| *o += v);
        }
        self.upload(dst, &d);
    }
    /// Adds the column sums of `src` to the `1 × cols` tensor `dst` (bias gradients).
    fn sum_rows(&self, src: &Self::Tensor, dst: &mut Self::Tensor) {
        let s = self.download(src);
        let mut d = self.download(dst);
        let n = d.len();
        for row in s.chunks_exact(n) {
            d.iter_mut().zip(row).for_each(|(o, &v)| *o += v);
        }
        self.upload(dst, &d);
    }
    /// Sets every row of `dst` to the `1 × cols` row `src` (learned initial states).
    fn broadcast_rows(&self, src: &Self::Tensor, dst: &mut Self::Tensor) {
        let s = self.download(src);
        let rows = self.shape(dst).0;
        self.upload(dst, &s.repeat(rows));
    }
    /// Fills with standard normals from `key`; element (r, c) uses index r·cols + c (plus the
    /// key's offset).
    fn fill_normal(&self, t: &mut Self::Tensor, key: NoiseKey) {
        let (r, c) = self.shape(t);
        let v: Vec<_> = (0..(r * c) as u64)
            .map(|i| Self::F::of(key.normal(i)))
            .collect();
        self.upload(t, &v);
    }

    // ---------------------------------------------------------------- fused ops

    /// LSTM cell forward ([`lstm::forward_row`] on every row).
    fn lstm_forward(
        &self,
        gates: &mut Self::Tensor,
        c_prev: &Self::Tensor,
        c: &mut Self::Tensor,
        h: &mut Self::Tensor,
    ) {
        let n = self.shape(c).1;
        let (mut g, cp) = (self.download(gates), self.download(c_prev));
        let (mut cv, mut hv) = (self.download(c), self.download(h));
        for r in 0..self.shape(c).0 {
            let (a, b) = (r * n, (r + 1) * n);
            lstm::forward_row(
                &mut g[4 * a..4 * b],
                &cp[a..b],
                &mut cv[a..b],
                &mut hv[a..b],
            );
        }
        self.upload(gates, &g);
        self.upload(c, &cv);
        self.upload(h, &hv);
    }
    /// LSTM cell backward ([`lstm::backward_row`] on every row).
    fn lstm_backward(
        &self,
        gates: &Self::Tensor,
        c_prev: &Self::Tensor,
        c: &Self::Tensor,
        dh: &Self::Tensor,
        dc: &mut Self::Tensor,
        dgates: &mut Self::Tensor,
    ) {
        let n = self.shape(c).1;
        let (g, cp, cv, dhv) = (
            self.download(gates),
            self.download(c_prev),
            self.download(c),
            self.download(dh),
        );
        let (mut dcv, mut dg) = (self.download(dc), self.download(dgates));
        for r in 0..self.shape(c).0 {
            let (a, b) = (r * n, (r + 1) * n);
            lstm::backward_row(
                &g[4 * a..4 * b],
                &cp[a..b],
                &cv[a..b],
                &dhv[a..b],
                &mut dcv[a..b],
                &mut dg[4 * a..4 * b],
            );
        }
        self.upload(dc, &dcv);
        self.upload(dgates, &dg);
    }
    /// Filterbanks F_X, F_Y from the attention outputs `p` (rows × 5).
    fn filterbank_forward(
        &self,
        p: &Self::Tensor,
        geo: &Geometry,
        fx: &mut Self::Tensor,
        fy: &mut Self::Tensor,
    ) {
        let pv = self.download(p);
        let (mut x, mut y) = (self.download(fx), self.download(fy));
        let (lx, ly) = (geo.fx_len(), geo.fy_len());
        for r in 0..self.shape(p).0 {
            filterbank::forward_row(
                &pv[r * 5..r * 5 + 5],
                geo,
                &mut x[r * lx..(r + 1) * lx],
                &mut y[r * ly..(r + 1) * ly],
            );
        }
        self.upload(fx, &x);
        self.upload(fy, &y);
    }
    /// Adds to `dp` the gradient of the attention outputs from `dfx`, `dfy`.
    #[allow(clippy::too_many_arguments)]
    fn filterbank_backward(
        &self,
        p: &Self::Tensor,
        geo: &Geometry,
        fx: &Self::Tensor,
        fy: &Self::Tensor,
        dfx: &Self::Tensor,
        dfy: &Self::Tensor,
        dp: &mut Self::Tensor,
    ) {
        let (pv, x, y, dx, dy) = (
            self.download(p),
            self.download(fx),
            self.download(fy),
            self.download(dfx),
            self.download(dfy),
        );
        let mut d = self.download(dp);
        let (lx, ly) = (geo.fx_len(), geo.fy_len());
        for r in 0..self.shape(p).0 {
            let (sx, sy) = (r * lx..(r + 1) * lx, r * ly..(r + 1) * ly);
            filterbank::backward_row(
                &pv[r * 5..r * 5 + 5],
                geo,
                &x[sx.clone()],
                &y[sy.clone()],
                &dx[sx],
                &dy[sy],
                &mut d[r * 5..r * 5 + 5],
            );
        }
        self.upload(dp, &d);
    }
    /// Attention read: `r = γ·[F_Y x F_Xᵀ, F_Y x̂ F_Xᵀ]`.
    #[allow(clippy::too_many_arguments)]
    fn read_forward(
        &self,
        x: &Self::Tensor,
        xhat: &Self::Tensor,
        fx: &Self::Tensor,
        fy: &Self::Tensor,
        p: &Self::Tensor,
        geo: &Geometry,
        r: &mut Self::Tensor,
    ) {
        let (xv, xh, fxv, fyv, pv) = (
            self.download(x),
            self.download(xhat),
            self.download(fx),
            self.download(fy),
            self.download(p),
        );
        let mut rv = self.download(r);
        let (li, lx, ly, lr) = (
            geo.image_len(),
            geo.fx_len(),
            geo.fy_len(),
            2 * geo.patch_len(),
        );
        for k in 0..self.shape(x).0 {
            attention::read_forward_row(
                &xv[k * li..(k + 1) * li],
                &xh[k * li..(k + 1) * li],
                &fxv[k * lx..(k + 1) * lx],
                &fyv[k * ly..(k + 1) * ly],
                &pv[k * 5..k * 5 + 5],
                geo,
                &mut rv[k * lr..(k + 1) * lr],
            );
        }
        self.upload(r, &rv);
    }
    /// Attention read backward: sets `dxhat`, `dfx`, `dfy` and the log γ column of `dp`.
    #[allow(clippy::too_many_arguments)]
    fn read_backward(
        &self,
        x: &Self::Tensor,
        xhat: &Self::Tensor,
        fx: &Self::Tensor,
        fy: &Self::Tensor,
        p: &Self::Tensor,
        geo: &Geometry,
        dr: &Self::Tensor,
        dxhat: &mut Self::Tensor,
        dfx: &mut Self::Tensor,
        dfy: &mut Self::Tensor,
        dp: &mut Self::Tensor,
    ) {
        let (xv, xh, fxv, fyv, pv, drv) = (
            self.download(x),
            self.download(xhat),
            self.download(fx),
            self.download(fy),
            self.download(p),
            self.download(dr),
        );
        let (mut dxh, mut dx, mut dy, mut dpv) = (
            self.download(dxhat),
            self.download(dfx),
            self.download(dfy),
            self.download(dp),
        );
        let (li, lx, ly, lr) = (
            geo.image_len(),
            geo.fx_len(),
            geo.fy_len(),
            2 * geo.patch_len(),
        );
        for k in 0..self.shape(x).0 {
            attention::read_backward_row(
                &xv[k * li..(k + 1) * li],
                &xh[k * li..(k + 1) * li],
                &fxv[k * lx..(k + 1) * lx],
                &fyv[k * ly..(k + 1) * ly],
                &pv[k * 5..k * 5 + 5],
                geo,
                &drv[k * lr..(k + 1) * lr],
                &mut dxh[k * li..(k + 1) * li],
                &mut dx[k * lx..(k + 1) * lx],
                &mut dy[k * ly..(k + 1) * ly],
                &mut dpv[k * 5..k * 5 + 5],
            );
        }
        self.upload(dxhat, &dxh);
        self.upload(dfx, &dx);
        self.upload(dfy, &dy);
        self.upload(dp, &dpv);
    }
    /// Attention write: `canvas += (1/γ)·F_Yᵀ P F_X`.
    #[allow(clippy::too_many_arguments)]
    fn write_forward(
        &self,
        patch: &Self::Tensor,
        fx: &Self::Tensor,
        fy: &Self::Tensor,
        p: &Self::Tensor,
        geo: &Geometry,
        canvas: &mut Self::Tensor,
    ) {
        let (pw, fxv, fyv, pv) = (
            self.download(patch),
            self.download(fx),
            self.download(fy),
            self.download(p),
        );
        let mut cv = self.download(canvas);
        let (li, lx, ly, lp) = (geo.image_len(), geo.fx_len(), geo.fy_len(), geo.patch_len());
        for k in 0..self.shape(patch).0 {
            attention::write_forward_row(
                &pw[k * lp..(k + 1) * lp],
                &fxv[k * lx..(k + 1) * lx],
                &fyv[k * ly..(k + 1) * ly],
                &pv[k * 5..k * 5 + 5],
                geo,
                &mut cv[k * li..(k + 1) * li],
            );
        }
        self.upload(canvas, &cv);
    }
    /// Attention write backward: sets `dpatch`, `dfx`, `dfy` and the log γ column of `dp`.
    #[allow(clippy::too_many_arguments)]
    fn write_backward(
        &self,
        patch: &Self::Tensor,
        fx: &Self::Tensor,
        fy: &Self::Tensor,
        p: &Self::Tensor,
        geo: &Geometry,
        dcanvas: &Self::Tensor,
        dpatch: &mut Self::Tensor,
        dfx: &mut Self::Tensor,
        dfy: &mut Self::Tensor,
        dp: &mut Self::Tensor,
    ) {
        let (pw, fxv, fyv, pv, dcv) = (
            self.download(patch),
            self.download(fx),
            self.download(fy),
            self.download(p),
            self.download(dcanvas),
        );
        let (mut dpw, mut dx, mut dy, mut dpv) = (
            self.download(dpatch),
            self.download(dfx),
            self.download(dfy),
            self.download(dp),
        );
        let (li, lx, ly, lp) = (geo.image_len(), geo.fx_len(), geo.fy_len(), geo.patch_len());
        for k in 0..self.shape(patch).0 {
            attention::write_backward_row(
                &pw[k * lp..(k + 1) * lp],
                &fxv[k * lx..(k + 1) * lx],
                &fyv[k * ly..(k + 1) * ly],
                &pv[k * 5..k * 5 + 5],
                geo,
                &dcv[k * li..(k + 1) * li],
                &mut dpw[k * lp..(k + 1) * lp],
                &mut dx[k * lx..(k + 1) * lx],
                &mut dy[k * ly..(k + 1) * ly],
                &mut dpv[k * 5..k * 5 + 5],
            );
        }
        self.upload(dpatch, &dpw);
        self.upload(dfx, &dx);
        self.upload(dfy, &dy);
        self.upload(dp, &dpv);
    }
    /// x̂ = x − σ(c).
    fn canvas_error(&self, x: &Self::Tensor, c: &Self::Tensor, xhat: &mut Self::Tensor) {
        let (xv, cv) = (self.download(x), self.download(c));
        let mut o = self.download(xhat);
        pointwise::canvas_error_row(&xv, &cv, &mut o);
        self.upload(xhat, &o);
    }
    /// `dc += ∂x̂/∂c · dx̂`.
    fn canvas_error_backward(
        &self,
        x: &Self::Tensor,
        xhat: &Self::Tensor,
        dxhat: &Self::Tensor,
        dc: &mut Self::Tensor,
    ) {
        let (xv, xh, dxh) = (self.download(x), self.download(xhat), self.download(dxhat));
        let mut d = self.download(dc);
        pointwise::canvas_error_backward_row(&xv, &xh, &dxh, &mut d);
        self.upload(dc, &d);
    }
    /// z = μ + exp(log σ)·ε; adds each row's KL to the `rows × 1` tensor `kl`.
    fn sample_latent(
        &self,
        mu: &Self::Tensor,
        logsig: &Self::Tensor,
        eps: &Self::Tensor,
        z: &mut Self::Tensor,
        kl: &mut Self::Tensor,
    ) {
        let n = self.shape(mu).1;
        let (m, l, e) = (self.download(mu), self.download(logsig), self.download(eps));
        let (mut zv, mut k) = (self.download(z), self.download(kl));
        for (r, kr) in k.iter_mut().enumerate() {
            let s = r * n..(r + 1) * n;
            *kr += pointwise::sample_latent_row(
                &m[s.clone()],
                &l[s.clone()],
                &e[s.clone()],
                &mut zv[s],
            );
        }
        self.upload(z, &zv);
        self.upload(kl, &k);
    }
    /// Gradients of μ and log σ from `dz` and `kl_scale` × KL.
    #[allow(clippy::too_many_arguments)]
    fn sample_latent_backward(
        &self,
        mu: &Self::Tensor,
        logsig: &Self::Tensor,
        eps: &Self::Tensor,
        dz: &Self::Tensor,
        kl_scale: f64,
        dmu: &mut Self::Tensor,
        dlogsig: &mut Self::Tensor,
    ) {
        let (m, l, e, d) = (
            self.download(mu),
            self.download(logsig),
            self.download(eps),
            self.download(dz),
        );
        let (mut dm, mut dl) = (self.download(dmu), self.download(dlogsig));
        pointwise::sample_latent_backward_row(
            &m,
            &l,
            &e,
            &d,
            Self::F::of(kl_scale),
            &mut dm,
            &mut dl,
        );
        self.upload(dmu, &dm);
        self.upload(dlogsig, &dl);
    }
    /// Per-row Bernoulli negative log-likelihood of `x` under logits `c`, into `out` (rows × 1).
    fn bce(&self, x: &Self::Tensor, c: &Self::Tensor, out: &mut Self::Tensor) {
        let (rows, n) = self.shape(x);
        let (xv, cv) = (self.download(x), self.download(c));
        let o: Vec<_> = (0..rows)
            .map(|r| pointwise::bce_row(&xv[r * n..(r + 1) * n], &cv[r * n..(r + 1) * n]))
            .collect();
        self.upload(out, &o);
    }
    /// Sets `dc` = scale·(σ(c) − x).
    fn bce_backward(&self, x: &Self::Tensor, c: &Self::Tensor, scale: f64, dc: &mut Self::Tensor) {
        let (xv, cv) = (self.download(x), self.download(c));
        let mut d = self.download(dc);
        pointwise::bce_backward_row(&xv, &cv, Self::F::of(scale), &mut d);
        self.upload(dc, &d);
    }
    /// One Adam update of `p` from gradient `g` and moments `m`, `v`.
    fn adam(
        &self,
        p: &mut Self::Tensor,
        g: &Self::Tensor,
        m: &mut Self::Tensor,
        v: &mut Self::Tensor,
        step: &pointwise::AdamStep,
    ) {
        let gv = self.download(g);
        let (mut pv, mut mv, mut vv) = (self.download(p), self.download(m), self.download(v));
        pointwise::adam(&mut pv, &gv, &mut mv, &mut vv, step);
        self.upload(p, &pv);
        self.upload(m, &mv);
        self.upload(v, &vv);
    }
}
