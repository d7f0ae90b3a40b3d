//! The LSTM cell (PyTorch `nn.LSTMCell` gate order i, f, g, o), forward and backward.

use super::{sigmoid, tanh};
use crate::Float;

/// One example: `gates` holds the pre-activations `[i, f, g, o]` (4·H) on entry and the
/// activations on exit; writes `c = f·c_prev + i·g` and `h = o·tanh(c)`.
#[inline(always)]
pub fn forward_row<F: Float>(gates: &mut [F], c_prev: &[F], c: &mut [F], h: &mut [F]) {
    let n = c.len();
    let (ig, rest) = gates.split_at_mut(n);
    let (fg, rest) = rest.split_at_mut(n);
    let (gg, og) = rest.split_at_mut(n);
    // Every slice exactly n long, so the loop carries no bounds checks and vectorises.
    let (og, c_prev, h) = (&mut og[..n], &c_prev[..n], &mut h[..n]);
    for k in 0..n {
        let i = sigmoid(ig[k]);
        let f = sigmoid(fg[k]);
        let g = tanh(gg[k]);
        let o = sigmoid(og[k]);
        ig[k] = i;
        fg[k] = f;
        gg[k] = g;
        og[k] = o;
        let ck = f * c_prev[k] + i * g;
        c[k] = ck;
        h[k] = o * tanh(ck);
    }
}

/// One example's backward. `gates` are the activations saved by [`forward_row`]; `dh` is the
/// gradient reaching `h`; `dc` holds the gradient reaching `c` from later steps on entry and
/// the gradient for `c_prev` on exit; `dgates` receives the gradient of the pre-activations.
#[inline(always)]
pub fn backward_row<F: Float>(
    gates: &[F],
    c_prev: &[F],
    c: &[F],
    dh: &[F],
    dc: &mut [F],
    dgates: &mut [F],
) {
    let n = c.len();
    let one = F::one();
    // Exact-length views, so the loop carries no bounds checks and vectorises.
    let (gi, rest) = gates[..4 * n].split_at(n);
    let (gf, rest) = rest.split_at(n);
    let (gg, go) = rest.split_at(n);
    let (c_prev, dh, dc) = (&c_prev[..n], &dh[..n], &mut dc[..n]);
    let (di, rest) = dgates[..4 * n].split_at_mut(n);
    let (df, rest) = rest.split_at_mut(n);
    let (dg, d_og) = rest.split_at_mut(n);
    for k in 0..n {
        let (i, f, g, o) = (gi[k], gf[k], gg[k], go[k]);
        let tc = tanh(c[k]);
        let d_o = dh[k] * tc;
        let dck = dc[k] + dh[k] * o * (one - tc * tc);
        di[k] = dck * g * i * (one - i);
        df[k] = dck * c_prev[k] * f * (one - f);
        dg[k] = dck * i * (one - g * g);
        d_og[k] = d_o * o * (one - o);
        dc[k] = dck * f;
    }
}
