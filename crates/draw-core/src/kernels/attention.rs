//! Attention read (eq. 19) and write (eq. 20) on one example, forward and backward.
//!
//! Images are channel-major then row-major (index = ch·A·B + y·A + x); a glimpse patch P is
//! N × N per channel with P[j][i] = Σ_y Σ_x F_Y[j][y]·img[y][x]·F_X[i][x]. The read output is
//! `γ·[P(x), P(x̂)]`; the write adds `(1/γ̂)·F_Yᵀ P F_X` to the canvas. `dp` is the gradient on
//! the five attention outputs; these functions set only its log γ entry (the filterbank
//! backward adds the rest).

use super::filterbank::{Decoded, Geometry};
use super::{axpy, dot};
use crate::Float;

/// One example's attention window: its five head outputs and its two filterbanks.
#[derive(Clone, Copy)]
pub struct WindowRow<'a, F> {
    /// The five raw head outputs (g̃_X, g̃_Y, log σ², log δ̃, log γ).
    pub p: &'a [F],
    /// F_X, N × A.
    pub fx: &'a [F],
    /// F_Y, N × B.
    pub fy: &'a [F],
    /// Image and grid sizes.
    pub geo: &'a Geometry,
}

/// Gradients on one example's window: the filterbanks' and the five head outputs'.
pub struct WindowRowGrads<'a, F> {
    /// ∂L/∂F_X, N × A.
    pub dfx: &'a mut [F],
    /// ∂L/∂F_Y, N × B.
    pub dfy: &'a mut [F],
    /// ∂L/∂p, 5 values.
    pub dp: &'a mut [F],
}

/// P = F_Y·img·F_Xᵀ (N × N), scaled by `scale`: first v = F_Y·img (N × A, as row updates
/// that vectorise), then P[j][i] = v[j]·F_X[i].
#[inline(always)]
fn glimpse<F: Float>(
    img: &[F],
    fx: &[F],
    fy: &[F],
    geo: &Geometry,
    scale: F,
    v: &mut [F],
    out: &mut [F],
) {
    let (n, w, h) = (geo.n, geo.width, geo.height);
    set_rows(v, (img, h), w, |j, y| fy[j * h + y]);
    for j in 0..n {
        let vj = &v[j * w..(j + 1) * w];
        for i in 0..n {
            out[j * n + i] = dot(vj, &fx[i * w..(i + 1) * w]) * scale;
        }
    }
}

/// out[r] = Σ_q coef(r, q)·m[q] for every row r of `out`, where `m` holds `k` rows and all
/// rows are `w` long: a small matrix product as row updates ([`axpy`]) that vectorise.
#[inline(always)]
fn set_rows<F: Float>(
    out: &mut [F],
    (m, k): (&[F], usize),
    w: usize,
    coef: impl Fn(usize, usize) -> F,
) {
    for r in 0..out.len() / w {
        let o = &mut out[r * w..(r + 1) * w];
        o.iter_mut().for_each(|e| *e = F::zero());
        for q in 0..k {
            axpy(coef(r, q), &m[q * w..(q + 1) * w], o);
        }
    }
}

/// Read forward: writes `r` (2·C·N²) = γ·[P(x), P(x̂)].
#[inline(always)]
pub fn read_forward_row<F: Float>(x: &[F], xhat: &[F], win: WindowRow<'_, F>, r: &mut [F]) {
    let WindowRow { p, fx, fy, geo } = win;
    let d = Decoded::new(p, geo);
    let (img, patch) = (geo.height * geo.width, geo.n * geo.n);
    let mut tmp = vec![F::zero(); geo.n * geo.width];
    for (k, src) in [x, xhat].into_iter().enumerate() {
        for ch in 0..geo.channels {
            let o = (k * geo.channels + ch) * patch;
            glimpse(
                &src[ch * img..(ch + 1) * img],
                fx,
                fy,
                geo,
                d.gamma,
                &mut tmp,
                &mut r[o..o + patch],
            );
        }
    }
}

/// Read backward: from `dr`, sets `dxhat` (C·B·A), `dfx`, `dfy` and `dp[4]` (overwriting).
///
/// d log γ comes in closed form, Σ dF_X ⊙ F_X (= γ·Σ dr ⊙ P), so the glimpses are not
/// recomputed; every inner loop is an [`axpy`] or a [`dot`] over a filter or image row.
#[inline(always)]
pub fn read_backward_row<F: Float>(
    x: &[F],
    xhat: &[F],
    win: WindowRow<'_, F>,
    dr: &[F],
    dxhat: &mut [F],
    grads: WindowRowGrads<'_, F>,
) {
    let WindowRow { p, fx, fy, geo } = win;
    let WindowRowGrads { dfx, dfy, dp } = grads;
    let d = Decoded::new(p, geo);
    let (n, w, h) = (geo.n, geo.width, geo.height);
    let (img, patch) = (h * w, n * n);
    dfx.iter_mut().for_each(|v| *v = F::zero());
    dfy.iter_mut().for_each(|v| *v = F::zero());
    dp.iter_mut().for_each(|v| *v = F::zero());
    let mut wv = vec![F::zero(); n * w];
    let mut ut = vec![F::zero(); n * h];
    let mut dpatch = vec![F::zero(); patch];
    for (k, src) in [x, xhat].into_iter().enumerate() {
        for ch in 0..geo.channels {
            let o = (k * geo.channels + ch) * patch;
            let im = &src[ch * img..(ch + 1) * img];
            for (q, &g) in dpatch.iter_mut().zip(&dr[o..o + patch]) {
                *q = g * d.gamma;
            }
            // w = dP·F_X (N × A); dF_Y[j][y] += img[y]·w[j]
            for j in 0..n {
                let wj = &mut wv[j * w..(j + 1) * w];
                wj.iter_mut().for_each(|e| *e = F::zero());
                for i in 0..n {
                    axpy(dpatch[j * n + i], &fx[i * w..(i + 1) * w], wj);
                }
                for y in 0..h {
                    dfy[j * h + y] += dot(&im[y * w..(y + 1) * w], wj);
                }
            }
            // uᵀ = dPᵀ·F_Y (N × B); dF_X[i] += Σ_y uᵀ[i][y]·img[y]; dimg[y] = Σ_i uᵀ[i][y]·F_X[i]
            for i in 0..n {
                let ui = &mut ut[i * h..(i + 1) * h];
                ui.iter_mut().for_each(|e| *e = F::zero());
                for j in 0..n {
                    axpy(dpatch[j * n + i], &fy[j * h..(j + 1) * h], ui);
                }
                let dfxi = &mut dfx[i * w..(i + 1) * w];
                for (y, &u) in ui.iter().enumerate() {
                    axpy(u, &im[y * w..(y + 1) * w], dfxi);
                }
            }
            if k == 1 {
                let dimg = &mut dxhat[ch * img..(ch + 1) * img];
                set_rows(dimg, (fx, n), w, |y, i| ut[i * h + y]);
            }
        }
    }
    if d.gamma_passes() {
        dp[4] = dot(dfx, fx);
    }
}

/// Write forward: `canvas += (1/γ)·F_Yᵀ P F_X` per channel, for the patch `pw` (C·N²).
#[inline(always)]
pub fn write_forward_row<F: Float>(pw: &[F], win: WindowRow<'_, F>, canvas: &mut [F]) {
    let WindowRow { p, fx, fy, geo } = win;
    let d = Decoded::new(p, geo);
    let s = F::one() / d.gamma;
    let (n, w, h) = (geo.n, geo.width, geo.height);
    let mut tmp = vec![F::zero(); n * w];
    for ch in 0..geo.channels {
        let pc = &pw[ch * n * n..(ch + 1) * n * n];
        set_rows(&mut tmp, (fx, n), w, |j, i| pc[j * n + i]);
        let out = &mut canvas[ch * h * w..(ch + 1) * h * w];
        for y in 0..h {
            let orow = &mut out[y * w..(y + 1) * w];
            for j in 0..n {
                let c = fy[j * h + y] * s;
                for (o, &t) in orow.iter_mut().zip(&tmp[j * w..(j + 1) * w]) {
                    *o += c * t;
                }
            }
        }
    }
}

/// Write backward: from the canvas gradient `dc`, sets `dpw` (C·N²), `dfx`, `dfy` and
/// `dp[4]` (overwriting); every inner loop is an [`axpy`] or a [`dot`] over a filter or image
/// row (no serial folds).
#[inline(always)]
pub fn write_backward_row<F: Float>(
    pw: &[F],
    win: WindowRow<'_, F>,
    dc: &[F],
    dpw: &mut [F],
    grads: WindowRowGrads<'_, F>,
) {
    let WindowRow { p, fx, fy, geo } = win;
    let WindowRowGrads { dfx, dfy, dp } = grads;
    let d = Decoded::new(p, geo);
    let s = F::one() / d.gamma;
    let (n, w, h) = (geo.n, geo.width, geo.height);
    dfx.iter_mut().for_each(|v| *v = F::zero());
    dfy.iter_mut().for_each(|v| *v = F::zero());
    dp.iter_mut().for_each(|v| *v = F::zero());
    let mut tmp = vec![F::zero(); n * w];
    let mut v = vec![F::zero(); n * w];
    let mut dlog = F::zero();
    for ch in 0..geo.channels {
        let pc = &pw[ch * n * n..(ch + 1) * n * n];
        let dcc = &dc[ch * h * w..(ch + 1) * h * w];
        set_rows(&mut tmp, (fx, n), w, |j, i| pc[j * n + i]);
        // v[j] = Σ_y F_Y[j][y]·dW[y] (N × A); dF_Y[j][y] += s·tmp[j]·dW[y]
        for j in 0..n {
            let vj = &mut v[j * w..(j + 1) * w];
            vj.iter_mut().for_each(|e| *e = F::zero());
            let tj = &tmp[j * w..(j + 1) * w];
            for y in 0..h {
                let drow = &dcc[y * w..(y + 1) * w];
                axpy(fy[j * h + y], drow, vj);
                dfy[j * h + y] += s * dot(tj, drow);
            }
            dlog -= s * dot(vj, tj);
        }
        // dP[j][i] = s·v[j]·F_X[i]; dF_X[i] += s·Σ_j P[j][i]·v[j]
        for j in 0..n {
            let vj = &v[j * w..(j + 1) * w];
            for i in 0..n {
                let f = &fx[i * w..(i + 1) * w];
                dpw[ch * n * n + j * n + i] = s * dot(vj, f);
                axpy(s * pc[j * n + i], vj, &mut dfx[i * w..(i + 1) * w]);
            }
        }
    }
    if d.gamma_passes() {
        dp[4] = dlog;
    }
}
