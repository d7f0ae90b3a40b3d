//! The LSTM cell.

use super::{host, CopyTo, Storage};

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
    /// [`LstmOps::lstm_forward`], the new `h` also written to each of `h_copies` (the next
    /// step's inputs, so that no copy op follows). Default: the cell, then one copy each.
    fn lstm_forward_to(
        &self,
        gates: &mut Self::Tensor,
        c_prev: &Self::Tensor,
        (c, h): (&mut Self::Tensor, &mut Self::Tensor),
        h_copies: &mut [CopyTo<'_, Self::Tensor>],
    ) {
        host::lstm_forward_to(self, (gates, c_prev), (c, h), h_copies);
    }
    /// [`LstmOps::lstm_backward`], `dgates` also written to `dgates_copy` (the rows of all
    /// steps that the weight-gradient GEMM reads). Default: the cell backward, then the copy.
    fn lstm_backward_to(
        &self,
        (gates, c_prev, c): (&Self::Tensor, &Self::Tensor, &Self::Tensor),
        dh: &Self::Tensor,
        dc: &mut Self::Tensor,
        dgates: &mut Self::Tensor,
        dgates_copy: CopyTo<'_, Self::Tensor>,
    ) {
        host::lstm_backward_to(self, (gates, c_prev, c), (dh, dc), dgates, dgates_copy);
    }
}
