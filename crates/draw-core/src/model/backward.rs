//! Backprop through time: the forward stages in reverse, one function each
//! (write → decode → sample → encode → read → canvas error), then the LSTM weight gradients of
//! all T steps as one GEMM per LSTM.

use super::forward::window;
use super::workspace::{previous, Previous, ReadTape, Scratch, StepTape, Workspace, WriteTape};
use super::{head, linear_backward, lstm_param_grads, Draw};
use crate::backend::{Backend, CopyTo, Gemm, Latent, Mat, WindowGrads};
use crate::error::Result;
use crate::params::DrawParams;

/// What one backward step reads besides its own tape.
struct StepInputs<'a, T> {
    x: &'a T,
    prev: Previous<'a, T>,
    /// 1 / (examples the loss is averaged over).
    scale: f64,
}

/// The gate gradients of all T steps, encoder's and decoder's, that step t's cells write
/// from row `row` on (the weight-gradient GEMMs after the loop read them).
struct GateRows<'a, T> {
    enc: &'a mut T,
    dec: &'a mut T,
    row: usize,
}

/// An LSTM step in reverse: the gate gradients from `dh` and `dc` (`dc` then holds the
/// gradient on c_{t−1}), also written to `dgates_all`, and through the fused `[W_ih | W_hh]`
/// the gradient on the step's whole input `[input, h_{t−1}]` into `din`.
fn lstm_step_backward<B: Backend>(
    b: &B,
    (gates, c_prev, c): (&B::Tensor, &B::Tensor, &B::Tensor),
    dh: &B::Tensor,
    (dc, dgates): (&mut B::Tensor, &mut B::Tensor),
    dgates_all: CopyTo<'_, B::Tensor>,
    fused: &B::Tensor,
    din: &mut B::Tensor,
) {
    b.lstm_backward_to((gates, c_prev, c), dh, dc, dgates, dgates_all);
    b.gemm(din, Gemm::new(Mat::n(dgates), Mat::n(fused)));
}

impl<B: Backend> Draw<B> {
    /// Backprop through time for the mean loss over the batch of the last [`Draw::forward`]
    /// on `ws`; overwrites `grads`. Fails only when the parameters and the configuration
    /// disagree (an attention glimpse without its head).
    pub fn backward(
        &self,
        b: &B,
        ws: &mut Workspace<B>,
        grads: &mut DrawParams<B::Tensor>,
    ) -> Result<()> {
        let cfg = &self.config;
        let scale = 1.0 / ws.mean_over as f64;
        for (_, g) in grads.named_mut() {
            b.fill(g, 0.0);
        }
        if ws.dgates_all.is_none() {
            let rows = cfg.steps * ws.batch;
            let (e, d) = (cfg.enc_size, cfg.dec_size);
            ws.dgates_all = Some((b.zeros(rows, 4 * e), b.zeros(rows, 4 * d)));
        }
        let Some((dgates_enc_all, dgates_dec_all)) = ws.dgates_all.as_mut() else {
            unreachable!("allocated just above")
        };
        let s = &mut ws.scratch;
        b.bce_backward(&ws.x, &ws.canvas, scale, &mut s.dcanvas);
        for t in [&mut s.dh_dec, &mut s.dc_dec, &mut s.dh_enc, &mut s.dc_enc] {
            b.fill(t, 0.0);
        }
        for t in (0..cfg.steps).rev() {
            let (before, rest) = ws.steps.split_at(t);
            let st = &rest[0];
            let inputs = StepInputs {
                x: &ws.x,
                prev: previous(&ws.init, before),
                scale,
            };
            let rows = GateRows {
                enc: &mut *dgates_enc_all,
                dec: &mut *dgates_dec_all,
                row: t * ws.batch,
            };
            self.backward_step(b, (st, &inputs), s, rows, grads)?;
        }
        lstm_param_grads(
            b,
            (dgates_enc_all, &ws.enc_in),
            &mut s.dfused_enc,
            &mut grads.encoder,
        );
        lstm_param_grads(
            b,
            (dgates_dec_all, &ws.dec_in),
            &mut s.dfused_dec,
            &mut grads.decoder,
        );
        b.sum_rows(&s.dcanvas, &mut grads.init.canvas);
        b.sum_rows(&s.dh_dec, &mut grads.init.h_dec);
        b.sum_rows(&s.dc_dec, &mut grads.init.c_dec);
        b.sum_rows(&s.dh_enc, &mut grads.init.h_enc);
        b.sum_rows(&s.dc_enc, &mut grads.init.c_enc);
        Ok(())
    }

    /// One time step in reverse. On entry `s.dh_dec`/`s.dh_enc` hold what step t + 1 sent back
    /// to h^dec_t/h^enc_t and `s.dcanvas` the gradient on c_t; on exit they hold the gradients
    /// on step t − 1's states and on c_{t−1}.
    fn backward_step(
        &self,
        b: &B,
        (st, inputs): (&StepTape<B::Tensor>, &StepInputs<'_, B::Tensor>),
        s: &mut Scratch<B::Tensor>,
        rows: GateRows<'_, B::Tensor>,
        grads: &mut DrawParams<B::Tensor>,
    ) -> Result<()> {
        self.write_backward(b, st, s, grads)?;
        let dec_rows = CopyTo::Rows(rows.dec, rows.row);
        self.decode_backward(b, (st, inputs), s, dec_rows);
        self.sample_backward(b, st, inputs.scale, s, grads);
        let enc_rows = CopyTo::Rows(rows.enc, rows.row);
        self.encode_backward(b, (st, inputs), s, enc_rows);
        self.read_backward(b, st, inputs, s, grads)?;
        // (1) x̂ = x − σ(c_{t−1})
        b.canvas_error_backward(inputs.x, &st.xhat, &s.dxhat, &mut s.dcanvas);
        std::mem::swap(&mut s.dh_dec, &mut s.dh_dec_next);
        std::mem::swap(&mut s.dh_enc, &mut s.dh_enc_next);
        Ok(())
    }

    /// (6) write: from the canvas gradient to the write head's parameters and h^dec_t.
    fn write_backward(
        &self,
        b: &B,
        st: &StepTape<B::Tensor>,
        s: &mut Scratch<B::Tensor>,
        grads: &mut DrawParams<B::Tensor>,
    ) -> Result<()> {
        let p = &self.params;
        match &st.write {
            WriteTape::Attention { attn: a, patch } => {
                let window_grads = WindowGrads {
                    dfx: &mut s.dfx_write,
                    dfy: &mut s.dfy_write,
                    dp: &mut s.dp,
                };
                b.write_backward(patch, window(a), &s.dcanvas, &mut s.dpatch, window_grads);
                b.filterbank_backward(window(a), &s.dfx_write, &s.dfy_write, &mut s.dp);
                let h = head(p.write_attn.as_ref(), "write")?;
                let ghead = head(grads.write_attn.as_mut(), "write")?;
                linear_backward(b, (&s.dp, &st.dec_h), h, ghead, &mut s.dh_dec);
                linear_backward(
                    b,
                    (&s.dpatch, &st.dec_h),
                    &p.write,
                    &mut grads.write,
                    &mut s.dh_dec,
                );
            }
            WriteTape::Full => {
                linear_backward(
                    b,
                    (&s.dcanvas, &st.dec_h),
                    &p.write,
                    &mut grads.write,
                    &mut s.dh_dec,
                );
            }
        }
        Ok(())
    }

    /// (5) decoder: gate gradients, then the gradients on z_t and h^dec_{t−1}.
    fn decode_backward(
        &self,
        b: &B,
        (st, inputs): (&StepTape<B::Tensor>, &StepInputs<'_, B::Tensor>),
        s: &mut Scratch<B::Tensor>,
        dgates_all: CopyTo<'_, B::Tensor>,
    ) {
        let (zs, d) = (self.config.z_size, self.config.dec_size);
        lstm_step_backward(
            b,
            (&st.dec_gates, inputs.prev.c_dec, &st.dec_c),
            &s.dh_dec,
            (&mut s.dc_dec, &mut s.dgates_dec),
            dgates_all,
            &self.fused.decoder.weights,
            &mut s.ddec_in,
        );
        b.copy_cols(&s.ddec_in, 0, &mut s.dz, 0, zs, false);
        b.copy_cols(&s.ddec_in, zs, &mut s.dh_dec_next, 0, d, false);
    }

    /// (4) the latent and its KL: gradients on μ, log σ, their heads and h^enc_t.
    fn sample_backward(
        &self,
        b: &B,
        st: &StepTape<B::Tensor>,
        scale: f64,
        s: &mut Scratch<B::Tensor>,
        grads: &mut DrawParams<B::Tensor>,
    ) {
        let p = &self.params;
        let latent = Latent {
            mu: &st.mu,
            logsig: &st.logsig,
            eps: &st.eps,
        };
        b.sample_latent_backward(latent, &s.dz, scale, &mut s.dmu, &mut s.dlogsig);
        linear_backward(b, (&s.dmu, &st.enc_h), &p.mu, &mut grads.mu, &mut s.dh_enc);
        linear_backward(
            b,
            (&s.dlogsig, &st.enc_h),
            &p.logsigma,
            &mut grads.logsigma,
            &mut s.dh_enc,
        );
    }

    /// (3) encoder: gate gradients, then the gradients on its input `[r_t, h^dec_{t−1},
    /// h^enc_{t−1}]`.
    fn encode_backward(
        &self,
        b: &B,
        (st, inputs): (&StepTape<B::Tensor>, &StepInputs<'_, B::Tensor>),
        s: &mut Scratch<B::Tensor>,
        dgates_all: CopyTo<'_, B::Tensor>,
    ) {
        let (rs, d, e) = (
            self.config.read_size(),
            self.config.dec_size,
            self.config.enc_size,
        );
        lstm_step_backward(
            b,
            (&st.enc_gates, inputs.prev.c_enc, &st.enc_c),
            &s.dh_enc,
            (&mut s.dc_enc, &mut s.dgates_enc),
            dgates_all,
            &self.fused.encoder.weights,
            &mut s.denc_in,
        );
        b.copy_cols(&s.denc_in, rs + d, &mut s.dh_enc_next, 0, e, false);
        b.copy_cols(&s.denc_in, rs, &mut s.dh_dec_next, 0, d, true);
    }

    /// (2) read: from the encoder input's gradient to x̂ and, through attention, to the read
    /// head and h^dec_{t−1}.
    fn read_backward(
        &self,
        b: &B,
        st: &StepTape<B::Tensor>,
        inputs: &StepInputs<'_, B::Tensor>,
        s: &mut Scratch<B::Tensor>,
        grads: &mut DrawParams<B::Tensor>,
    ) -> Result<()> {
        match &st.read {
            ReadTape::Attention(a) => {
                let rs = self.config.read_size();
                b.copy_cols(&s.denc_in, 0, &mut s.dr, 0, rs, false);
                let window_grads = WindowGrads {
                    dfx: &mut s.dfx_read,
                    dfy: &mut s.dfy_read,
                    dp: &mut s.dp,
                };
                b.read_backward(
                    inputs.x,
                    &st.xhat,
                    window(a),
                    &s.dr,
                    &mut s.dxhat,
                    window_grads,
                );
                b.filterbank_backward(window(a), &s.dfx_read, &s.dfy_read, &mut s.dp);
                let h = head(self.params.read_attn.as_ref(), "read")?;
                let ghead = head(grads.read_attn.as_mut(), "read")?;
                linear_backward(b, (&s.dp, inputs.prev.h_dec), h, ghead, &mut s.dh_dec_next);
            }
            ReadTape::Full => {
                let cab = self.config.image_size();
                b.copy_cols(&s.denc_in, cab, &mut s.dxhat, 0, cab, false);
            }
        }
        Ok(())
    }
}
