//! The LSTM cell.

use super::{host, Storage};

/// The LSTM cell on every row (gate order i, f, g, o, as PyTorch's `nn.LSTMCell`).
pub trait LstmOps: Storage {
    /// LSTM cell forward ([`crate::kernels::lstm::forward_row`] on every row): activates
    /// `gates` in place and writes the new cell state `c` and hidden state `h`.
    fn lstm_forward(
        &self,
        gates: &mut Self::Tensor,
        c_prev: &Self::Tensor,
        c: &mut Self::Tensor,
        h: &mut Self::Tensor,
    ) {
        host::lstm_forward(self, gates, c_prev, (c, h));
    }
    /// LSTM cell backward ([`crate::kernels::lstm::backward_row`] on every row): from `dh`
    /// and the incoming `dc`, sets `dgates` and replaces `dc` with the gradient on `c_prev`.
    fn lstm_backward(
        &self,
        gates: &Self::Tensor,
        c_prev: &Self::Tensor,
        c: &Self::Tensor,
        dh: &Self::Tensor,
        dc: &mut Self::Tensor,
        dgates: &mut Self::Tensor,
    ) {
        host::lstm_backward(self, (gates, c_prev, c), dh, dc, dgates);
    }
}
