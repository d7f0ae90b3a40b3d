//! The LSTM cell (PyTorch `nn.LSTMCell` gate order i, f, g, o), forward and backward.

use super::{sigmoid, tanh};
use crate::Float;

/// One example: `gates` holds the pre-activations `[i, f, g, o]` (4·H) on entry and the
/// activations on exit; writes `c = f·c_prev + i·g` and `h = o·tanh(c)`.
#[inline]
pub fn forward_row<F: Float>(gates: &mut [F], c_prev: &[F], c: &mut [F], h: &mut [F]) {
    let n = c.len();
    let (ig, rest) = gates.split_at_mut(n);
    let (fg, rest) = rest.split_at_mut(n);
    let (gg, og) = rest.split_at_mut(n);
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
#[inline]
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
    for k in 0..n {
        let (i, f, g, o) = (gates[k], gates[n + k], gates[2 * n + k], gates[3 * n + k]);
        let tc = tanh(c[k]);
        let d_o = dh[k] * tc;
        let dck = dc[k] + dh[k] * o * (one - tc * tc);
        dgates[k] = dck * g * i * (one - i);
        dgates[n + k] = dck * c_prev[k] * f * (one - f);
        dgates[2 * n + k] = dck * i * (one - g * g);
        dgates[3 * n + k] = d_o * o * (one - o);
        dc[k] = dck * f;
    }
}
