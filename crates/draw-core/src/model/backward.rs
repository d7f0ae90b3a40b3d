//! Backprop through time: the forward stages in reverse, one function each
//! (write → decode → sample → encode → read → canvas error), each step's output gradients
//! also written into all-steps tensors; then every layer's weight gradient over all T steps as
//! one GEMM (and its bias gradient as one column sum).

use super::forward::window;
use super::workspace::{
    previous, GradsAll, Previous, ReadTape, Scratch, StepTape, Workspace, WriteTape,
};
use super::{
    head, linear_backward, linear_input_grad, linear_param_grads, lstm_param_grads, next_read_head,
    Draw,
};
use crate::backend::{Backend, ColsTo, CopyTo, Gemm, Latent, Mat, WindowGrads};
use crate::config::Glimpse;
use crate::error::Result;
use crate::params::DrawParams;

/// What one backward step reads besides its own tape.
struct StepInputs<'a, T> {
    x: &'a T,
    prev: Previous<'a, T>,
    /// 1 / (examples the loss is averaged over).
    scale: f64,
}

/// The all-steps output gradients that step `t` writes (from row t·B, or (t + 1)·B for the
/// heads that read h^dec_t); the weight-gradient GEMMs after the loop read them.
struct StepRows<'a, T> {
    all: &'a mut GradsAll<T>,
    t: usize,
    batch: usize,
}

impl<T> StepRows<'_, T> {
    /// The first row of this step's block.
    fn row(&self) -> usize {
        self.t * self.batch
    }
}

/// What the weight gradients of all steps read besides the output gradients: the LSTMs' inputs
/// and the hidden states, all steps stacked in rows.
struct StepInputsAll<'a, T> {
    enc_in: &'a T,
    dec_in: &'a T,
    h_enc: &'a T,
    h_dec: &'a T,
}

/// An LSTM step in reverse: the gate gradients from `dh` and `dc` (`dc` then holds the
/// gradient on c_{t−1}), also written to `dgates_all`, and through the fused `[W_ih | W_hh]`
/// the gradient on the step's whole input `[input, h_{t−1}]` into `din`, whose column blocks
/// (the gradients of the input's parts) also go to `parts` from the same GEMM.
fn lstm_step_backward<B: Backend>(
    b: &B,
    (gates, c_prev, c): (&B::Tensor, &B::Tensor, &B::Tensor),
    dh: &B::Tensor,
    (dc, dgates): (&mut B::Tensor, &mut B::Tensor),
    dgates_all: CopyTo<'_, B::Tensor>,
    (fused, din): (&B::Tensor, &mut B::Tensor),
    parts: &mut [ColsTo<'_, B::Tensor>],
) {
    b.lstm_backward_to((gates, c_prev, c), dh, dc, dgates, dgates_all);
    b.gemm_to(din, Gemm::new(Mat::n(dgates), Mat::n(fused)), None, parts);
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
        if ws.grads_all.is_none() {
            ws.grads_all = Some(self.grads_all(b, ws.batch));
        }
        let Some(all) = ws.grads_all.as_mut() else {
            unreachable!("allocated just above")
        };
        let s = &mut ws.scratch;
        b.bce_backward(&ws.x, &ws.canvas, scale, &mut s.dcanvas);
        if next_read_head(cfg) > 0 {
            // No read after the last step: its columns of the fused write gradient stay zero.
            b.fill(&mut s.dwrite_out, 0.0);
        }
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
            let rows = StepRows {
                all: &mut *all,
                t,
                batch: ws.batch,
            };
            self.backward_step(b, (st, &inputs), s, rows, grads)?;
        }
        let inputs_all = StepInputsAll {
            enc_in: &ws.enc_in,
            dec_in: &ws.dec_in,
            h_enc: &ws.h_enc_all,
            h_dec: &ws.h_dec_all,
        };
        self.param_grads(b, (all, &inputs_all), s, grads)?;
        b.sum_rows(&s.dcanvas, &mut grads.init.canvas);
        b.sum_rows(&s.dh_dec, &mut grads.init.h_dec);
        b.sum_rows(&s.dc_dec, &mut grads.init.c_dec);
        b.sum_rows(&s.dh_enc, &mut grads.init.h_enc);
        b.sum_rows(&s.dc_enc, &mut grads.init.c_enc);
        Ok(())
    }

    /// Every layer's weight and bias gradients from the output gradients and inputs of all
    /// steps: one GEMM per layer (the LSTMs' then split into `weight_ih` and `weight_hh`).
    fn param_grads(
        &self,
        b: &B,
        (all, x): (&GradsAll<B::Tensor>, &StepInputsAll<'_, B::Tensor>),
        s: &mut Scratch<B::Tensor>,
        grads: &mut DrawParams<B::Tensor>,
    ) -> Result<()> {
        let enc = (&all.dgates_enc, x.enc_in);
        lstm_param_grads(b, enc, &mut s.dfused_enc, &mut grads.encoder);
        let dec = (&all.dgates_dec, x.dec_in);
        lstm_param_grads(b, dec, &mut s.dfused_dec, &mut grads.decoder);
        self.latent_param_grads(b, (&all.dmu_logsig, x.h_enc), s, grads);
        if let Glimpse::Attention { .. } = self.config.read {
            let g = head(grads.read_attn.as_mut(), "read")?;
            linear_param_grads(b, (&all.dp_read, x.h_dec), g);
        }
        if let Glimpse::Attention { .. } = self.config.write {
            let g = head(grads.write_attn.as_mut(), "write")?;
            linear_param_grads(b, (&all.dp_write, x.h_dec), g);
            linear_param_grads(b, (&all.dpatch, x.h_dec), &mut grads.write);
        }
        Ok(())
    }

    /// The μ and log σ layers' gradients from the fused layer's over all steps: one GEMM and
    /// one column sum, split into the two layers' tensors.
    fn latent_param_grads(
        &self,
        b: &B,
        (dy, x): (&B::Tensor, &B::Tensor),
        s: &mut Scratch<B::Tensor>,
        grads: &mut DrawParams<B::Tensor>,
    ) {
        let z = self.config.z_size;
        b.gemm(&mut s.dlatent_weight, Gemm::new(Mat::t(dy), Mat::n(x)));
        b.copy_rows_from(&s.dlatent_weight, 0, &mut grads.mu.weight);
        b.copy_rows_from(&s.dlatent_weight, z, &mut grads.logsigma.weight);
        b.fill(&mut s.dlatent_bias, 0.0);
        b.sum_rows(dy, &mut s.dlatent_bias);
        b.copy_cols(&s.dlatent_bias, 0, &mut grads.mu.bias, 0, z, false);
        b.copy_cols(&s.dlatent_bias, z, &mut grads.logsigma.bias, 0, z, false);
    }

    /// One time step in reverse. On entry `s.dh_dec`/`s.dh_enc` hold what step t + 1 sent back
    /// to h^dec_t/h^enc_t and `s.dcanvas` the gradient on c_t; on exit they hold the gradients
    /// on step t − 1's states and on c_{t−1}.
    fn backward_step(
        &self,
        b: &B,
        (st, inputs): (&StepTape<B::Tensor>, &StepInputs<'_, B::Tensor>),
        s: &mut Scratch<B::Tensor>,
        rows: StepRows<'_, B::Tensor>,
        grads: &mut DrawParams<B::Tensor>,
    ) -> Result<()> {
        let (row, next_row) = (rows.row(), rows.row() + rows.batch);
        let all = rows.all;
        let head_rows = (&mut all.dp_write, &mut all.dpatch, next_row);
        self.write_backward(b, st, s, head_rows, grads)?;
        let dec_rows = CopyTo::Rows(&mut all.dgates_dec, row);
        self.decode_backward(b, (st, inputs), s, dec_rows);
        let latent_rows = CopyTo::Rows(&mut all.dmu_logsig, row);
        self.sample_backward(b, st, inputs.scale, s, latent_rows);
        let enc_rows = CopyTo::Rows(&mut all.dgates_enc, row);
        self.encode_backward(b, (st, inputs), s, enc_rows);
        let dp_rows = CopyTo::Rows(&mut all.dp_read, row);
        self.read_backward(b, (st, inputs), s, (dp_rows, rows.t))?;
        std::mem::swap(&mut s.dh_dec, &mut s.dh_dec_next);
        std::mem::swap(&mut s.dh_enc, &mut s.dh_enc_next);
        Ok(())
    }

    /// (6) write: from the canvas gradient to h^dec_t; the head's and the patch's output
    /// gradients also into rows `row..` of their all-steps tensors (`(dp, dpatch, row)`). A full
    /// write accumulates its layer's parameter gradients here.
    fn write_backward(
        &self,
        b: &B,
        st: &StepTape<B::Tensor>,
        s: &mut Scratch<B::Tensor>,
        (dp_all, dpatch_all, row): (&mut B::Tensor, &mut B::Tensor, usize),
        grads: &mut DrawParams<B::Tensor>,
    ) -> Result<()> {
        let p = &self.params;
        match &st.write {
            WriteTape::Attention { attn: a, patch, .. } => {
                let window_grads = WindowGrads {
                    dfx: &mut s.dfx_write,
                    dfy: &mut s.dfy_write,
                    dp: &mut s.dp,
                };
                // dp and dpatch side by side in `dwrite_out` for the fused layer's one
                // input-gradient GEMM, and into their all-steps rows.
                let to = &mut [
                    CopyTo::Rows(dpatch_all, row),
                    CopyTo::Cols(&mut s.dwrite_out, 5),
                ];
                let fwd = (patch, window(a), &s.dcanvas);
                b.write_backward_to(fwd, &mut s.dpatch, window_grads, to);
                let dfs = (&s.dfx_write, &s.dfy_write);
                let to = &mut [
                    CopyTo::Rows(dp_all, row),
                    CopyTo::Cols(&mut s.dwrite_out, 0),
                ];
                b.filterbank_backward_to(window(a), dfs, &mut s.dp, to);
                let l = head(self.fused.write.as_ref(), "write")?;
                linear_input_grad(b, &s.dwrite_out, l, &mut s.dh_dec);
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

    /// (5) decoder: gate gradients, then the gradients on z_t and h^dec_{t−1} (the input
    /// gradient GEMM's two column blocks).
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
            (&self.fused.decoder.weights, &mut s.ddec_in),
            &mut [
                ColsTo::set(&mut s.dz, 0, zs),
                ColsTo::set(&mut s.dh_dec_next, zs, d),
            ],
        );
    }

    /// (4) the latent and its KL: gradients on `[μ | log σ]` (also into the all-steps rows
    /// `copy`), then through their fused layer on h^enc_t, by one op.
    fn sample_backward(
        &self,
        b: &B,
        st: &StepTape<B::Tensor>,
        scale: f64,
        s: &mut Scratch<B::Tensor>,
        copy: CopyTo<'_, B::Tensor>,
    ) {
        let latent = Latent {
            mu_logsig: &st.mu_logsig,
            eps: &st.eps,
        };
        let to_h = (&self.fused.latent.weight, &mut s.dh_enc);
        b.latent_layer_backward_to(latent, (&s.dz, scale), &mut s.dmu_logsig, copy, to_h);
    }

    /// (3) encoder: gate gradients, then the gradients on its input `[r_t, h^dec_{t−1},
    /// h^enc_{t−1}]`, split by the GEMM into the read's (r_t's, or x̂'s for a full read),
    /// h^dec_{t−1}'s (added) and h^enc_{t−1}'s.
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
        let read = match &st.read {
            ReadTape::Attention(_) => ColsTo::set(&mut s.dr, 0, rs),
            ReadTape::Full => {
                let cab = self.config.image_size();
                ColsTo::set(&mut s.dxhat, cab, cab)
            }
        };
        lstm_step_backward(
            b,
            (&st.enc_gates, inputs.prev.c_enc, &st.enc_c),
            &s.dh_enc,
            (&mut s.dc_enc, &mut s.dgates_enc),
            dgates_all,
            (&self.fused.encoder.weights, &mut s.denc_in),
            &mut [
                ColsTo::set(&mut s.dh_enc_next, rs + d, e),
                ColsTo::add(&mut s.dh_dec_next, rs, d),
                read,
            ],
        );
    }

    /// (2) read: from r_t's gradient (which the encoder's backward left in `s.dr`) to x̂ and,
    /// through attention, to the read head (its output gradient also into the all-steps rows
    /// `dp_copy`) and h^dec_{t−1}; then (1) x̂ = x − σ(c_{t−1}): x̂'s gradient onto the canvas
    /// gradient, all by the attention read's one backward op. For a full read the encoder's
    /// backward wrote x̂'s gradient, and only (1) is left. When the fused write layer holds the
    /// read head ([`next_read_head`]), a step t > 0 leaves the head's output gradient in the
    /// last columns of `s.dwrite_out`, and step t − 1's write carries it to h^dec_{t−1} in its
    /// own GEMM.
    fn read_backward(
        &self,
        b: &B,
        (st, inputs): (&StepTape<B::Tensor>, &StepInputs<'_, B::Tensor>),
        s: &mut Scratch<B::Tensor>,
        (dp_copy, t): (CopyTo<'_, B::Tensor>, usize),
    ) -> Result<()> {
        match &st.read {
            ReadTape::Attention(a) => {
                let h = head(self.params.read_attn.as_ref(), "read")?;
                // With the read head in the fused write layer, step t − 1's write carries the
                // window gradient to h^dec_{t−1}.
                let in_write = t > 0 && next_read_head(&self.config) > 0;
                let col = b.shape(&s.dwrite_out).1.saturating_sub(5);
                let window_grads = WindowGrads {
                    dfx: &mut s.dfx_read,
                    dfy: &mut s.dfy_read,
                    dp: &mut s.dp,
                };
                let fwd = ((inputs.x, &st.xhat), window(a), &s.dr);
                let to_canvas = (&mut s.dxhat, &mut s.dcanvas);
                if in_write {
                    let to = &mut [dp_copy, CopyTo::Cols(&mut s.dwrite_out, col)];
                    b.read_backward_full(fwd, to_canvas, window_grads, to);
                } else {
                    b.read_backward_full(fwd, to_canvas, window_grads, &mut [dp_copy]);
                    linear_input_grad(b, &s.dp, h, &mut s.dh_dec_next);
                }
            }
            ReadTape::Full => {
                b.canvas_error_backward(inputs.x, &st.xhat, &s.dxhat, &mut s.dcanvas);
            }
        }
        Ok(())
    }
}
