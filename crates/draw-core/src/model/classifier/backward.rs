//! The classifier's backward pass: the softmax, then the glimpses in reverse (LSTM → read →
//! attention layer), then the LSTM's weight gradients of all T glimpses as one GEMM.

use super::workspace::{ClassifierScratch, ClassifierWorkspace, GlimpseTape};
use super::{Classifier, ClassifierParams};
use crate::backend::{Backend, CopyTo, Gemm, Mat, WindowGrads};
use crate::model::forward::window;
use crate::model::{linear_backward, lstm_param_grads};

impl<B: Backend> Classifier<B> {
    /// The gradient of the mean cross-entropy over `mean_over` examples (the batch, unless the
    /// caller averages over more) of the last [`Classifier::forward`] on `ws`; overwrites
    /// `grads`.
    pub fn backward(
        &self,
        b: &B,
        ws: &mut ClassifierWorkspace<B>,
        mean_over: usize,
        grads: &mut ClassifierParams<B::Tensor>,
    ) {
        use crate::params::ParamSet;
        for (_, g) in grads.named_mut() {
            b.fill(g, 0.0);
        }
        let cfg = &self.config;
        if ws.grads.is_none() {
            ws.grads = Some(self.scratch(b, ws.batch));
        }
        let Some((dgates_all, s)) = ws.grads.as_mut() else {
            unreachable!("allocated just above")
        };
        let last = &ws.steps[cfg.glimpses - 1].h;
        let scale = 1.0 / mean_over.max(1) as f64;
        b.softmax_xent_backward(&ws.logits, &ws.labels, scale, &mut s.dlogits);
        b.fill(&mut s.dh, 0.0);
        b.fill(&mut s.dc, 0.0);
        b.fill(&mut s.dr, 0.0);
        let p = &self.params;
        linear_backward(
            b,
            (&s.dlogits, last),
            &p.classify,
            &mut grads.classify,
            &mut s.dh,
        );
        for t in (0..cfg.glimpses).rev() {
            let (before, rest) = ws.steps.split_at(t);
            let h_prev = before.last().map_or(&ws.h0, |p| &p.h);
            let c_prev = before.last().map_or(&ws.c0, |p| &p.c);
            let dgates_rows = CopyTo::Rows(&mut *dgates_all, t * ws.batch);
            let tape = (&rest[0], h_prev, c_prev);
            self.glimpse_backward(b, tape, (&ws.x, &ws.blank), (s, dgates_rows), grads);
        }
        lstm_param_grads(
            b,
            (dgates_all, &ws.lstm_in_all),
            &mut s.dfused,
            &mut grads.lstm,
        );
    }

    /// Glimpse t in reverse. On entry `s.dh`/`s.dc` hold the gradients on h_t/c_t; on exit,
    /// on h_{t−1}/c_{t−1}, and `s.dgates` (and `dgates_all`, the rows of all glimpses) this
    /// glimpse's gate gradients.
    fn glimpse_backward(
        &self,
        b: &B,
        (st, h_prev, c_prev): (&GlimpseTape<B::Tensor>, &B::Tensor, &B::Tensor),
        (x, blank): (&B::Tensor, &B::Tensor),
        (s, dgates_all): (&mut ClassifierScratch<B::Tensor>, CopyTo<'_, B::Tensor>),
        grads: &mut ClassifierParams<B::Tensor>,
    ) {
        let (g, h) = (self.config.glimpse_size(), self.config.lstm_size);
        let tape = (&st.gates, c_prev, &st.c);
        b.lstm_backward_to(tape, &s.dh, &mut s.dc, &mut s.dgates, dgates_all);
        b.gemm(
            &mut s.din,
            Gemm::new(Mat::n(&s.dgates), Mat::n(&self.fused.weights)),
        );
        b.copy_cols(&s.din, g, &mut s.dh_next, 0, h, false);
        b.copy_cols(&s.din, 0, &mut s.dr, 0, g, false);
        let window_grads = WindowGrads {
            dfx: &mut s.dfx,
            dfy: &mut s.dfy,
            dp: &mut s.dp,
        };
        let a = &st.attn;
        b.read_backward(x, blank, window(a), &s.dr, &mut s.dblank, window_grads);
        b.filterbank_backward(window(a), &s.dfx, &s.dfy, &mut s.dp);
        let p = &self.params;
        linear_backward(b, (&s.dp, h_prev), &p.attn, &mut grads.attn, &mut s.dh_next);
        std::mem::swap(&mut s.dh, &mut s.dh_next);
    }
}
