//! The forward pass, one function per stage of a time step (paper eqs. 3–8):
//! read → encode → sample → decode → write.

use super::workspace::{previous, Attn, Previous, ReadTape, StepTape, Workspace, WriteTape};
use super::{head, linear, lstm_gates_keep, next_read_head, step_noise, Draw, Loss};
use crate::backend::{Backend, ColsTo, CopyTo, Filterbanks, Gemm, Latent, Mat, Window};
use crate::error::Result;
use crate::params::DrawParams;
use crate::params::Linear;
use crate::rng::NoiseKey;

/// A window view of an attention state.
pub(super) fn window<T>(a: &Attn<T>) -> Window<'_, T> {
    Window {
        p: &a.p,
        fx: &a.fx,
        fy: &a.fy,
        geo: &a.geo,
    }
}

/// The LSTMs' inputs in a forward step: this step's `[r_t, h^dec_{t−1}, h^enc_{t−1}]` and
/// `[z_t, h^dec_{t−1}]`, whose recurrent columns the previous step's cells wrote, and the
/// all-steps tensors (for the weight gradients) that receive them at row `row`, and the
/// all-steps hidden states that the cells write (the linear layers' inputs, for theirs).
struct LstmInputs<'a, T> {
    enc_step: &'a mut T,
    enc_all: &'a mut T,
    dec_step: &'a mut T,
    dec_all: &'a mut T,
    h_enc_all: &'a mut T,
    h_dec_all: &'a mut T,
    row: usize,
    batch: usize,
}

impl<B: Backend> Draw<B> {
    /// Runs the encoder and decoder for T steps on the batch `x` (rows of C·B·A values in
    /// [0, 1]), saving what backward needs. Step t draws its noise ε with stream
    /// `noise.stream·T + t`. Returns the loss sums.
    pub fn forward(
        &self,
        b: &B,
        ws: &mut Workspace<B>,
        x: &[B::F],
        noise: NoiseKey,
    ) -> Result<Loss> {
        self.forward_pass(b, ws, x, noise)?;
        let (bce, kl) = Self::loss_terms(ws);
        let sums = b.sum_all(&[bce, kl]);
        Ok(Loss {
            reconstruction: sums[0],
            latent: sums[1],
            examples: ws.batch,
        })
    }

    /// The per-example loss terms of the last forward pass on `ws`: L^x and L^z, each
    /// `rows × 1`, left on the backend.
    pub(crate) fn loss_terms(ws: &Workspace<B>) -> (&B::Tensor, &B::Tensor) {
        (&ws.bce, &ws.kl)
    }

    /// [`Draw::forward`] without summing the loss: the terms stay in the workspace
    /// ([`Draw::loss_terms`]), so nothing is read back.
    pub(crate) fn forward_pass(
        &self,
        b: &B,
        ws: &mut Workspace<B>,
        x: &[B::F],
        noise: NoiseKey,
    ) -> Result<()> {
        self.check_batch(ws.batch, x)?;
        let p = &self.params;
        b.upload(&mut ws.x, x);
        b.broadcast_rows(&p.init.canvas, &mut ws.canvas);
        b.broadcast_rows(&p.init.h_enc, &mut ws.init.h_enc);
        b.broadcast_rows(&p.init.c_enc, &mut ws.init.c_enc);
        b.broadcast_rows(&p.init.h_dec, &mut ws.init.h_dec);
        b.broadcast_rows(&p.init.c_dec, &mut ws.init.c_dec);
        // Step 0's recurrent inputs; every later step's are written by the LSTM cells.
        let (rs, d, e, zs) = (
            self.config.read_size(),
            self.config.dec_size,
            self.config.enc_size,
            self.config.z_size,
        );
        b.copy_cols(&ws.init.h_dec, 0, &mut ws.enc_in_step, rs, d, false);
        b.copy_cols(&ws.init.h_enc, 0, &mut ws.enc_in_step, rs + d, e, false);
        b.copy_cols(&ws.init.h_dec, 0, &mut ws.dec_in_step, zs, d, false);
        b.copy_rows(&ws.init.h_dec, &mut ws.h_dec_all, 0);
        b.fill(&mut ws.kl, 0.0);
        if let Some(r) = ws.probe.as_mut().and_then(|p| p.log_ratio.as_mut()) {
            b.fill(r, 0.0);
        }
        // Step 0's x̂; every later step's is written by the write before it.
        if let Some(st) = ws.steps.first_mut() {
            b.canvas_error(&ws.x, &ws.canvas, &mut st.xhat);
        }
        for t in 0..self.config.steps {
            self.forward_step(b, ws, t, noise)?;
        }
        b.bce(&ws.x, &ws.canvas, &mut ws.bce);
        Ok(())
    }

    /// Time step `t`: (2) read, (3) encode, (4) sample, (5) decode, (6) write, then (1) the
    /// next step's x̂ = x − σ(c_t) by the write's op.
    fn forward_step(&self, b: &B, ws: &mut Workspace<B>, t: usize, noise: NoiseKey) -> Result<()> {
        let (before, rest) = ws.steps.split_at_mut(t);
        let Some((st, after)) = rest.split_first_mut() else {
            unreachable!("step {t} of {}", ws.steps.len())
        };
        let prev = previous(&ws.init, before);
        // The read window of a step after the first came with the write before it.
        let head = t == 0 || next_read_head(&self.config) == 0;
        self.read_step(
            b,
            (&ws.x, &mut *st),
            (prev.h_dec, head),
            &mut ws.read_out,
            &mut ws.enc_in_step,
        )?;
        let mut inputs = LstmInputs {
            enc_step: &mut ws.enc_in_step,
            enc_all: &mut ws.enc_in,
            dec_step: &mut ws.dec_in_step,
            dec_all: &mut ws.dec_in,
            h_enc_all: &mut ws.h_enc_all,
            h_dec_all: &mut ws.h_dec_all,
            row: t * ws.batch,
            batch: ws.batch,
        };
        self.encode_step(b, st, &prev, &mut inputs);
        let key = step_noise(
            noise,
            self.config.steps,
            t,
            ws.first_row,
            self.config.z_size,
        );
        self.sample_step(b, st, key, (&mut ws.kl, &mut *inputs.dec_step));
        if let Some(p) = &mut ws.probe {
            b.copy_cols(&ws.kl, 0, &mut p.kl_after, t, 1, false);
            if let Some(r) = &mut p.log_ratio {
                let latent = Latent {
                    mu_logsig: &st.mu_logsig,
                    eps: &st.eps,
                };
                b.latent_log_ratio(latent, r);
            }
        }
        self.decode_step(b, st, &prev, &mut inputs);
        let layers = (&self.params, self.fused.write.as_ref());
        let next = match after.first_mut() {
            Some(next) => Next {
                error: Some((&ws.x, &mut next.xhat)),
                read: match &mut next.read {
                    ReadTape::Attention(a) => Some(a),
                    ReadTape::Full => None,
                },
            },
            None => Next {
                error: None,
                read: None,
            },
        };
        write_step(b, layers, &st.dec_h, &mut st.write, &mut ws.canvas, next)
    }

    /// (2) r_t = read(x, x̂, h^dec_{t−1}) into the first columns of the encoder's input; the
    /// read head's GEMM and filterbanks run here only when `run_head` (else the write before
    /// made the window).
    fn read_step(
        &self,
        b: &B,
        (x, st): (&B::Tensor, &mut StepTape<B::Tensor>),
        (h_dec_prev, run_head): (&B::Tensor, bool),
        read_out: &mut B::Tensor,
        enc_in: &mut B::Tensor,
    ) -> Result<()> {
        match &mut st.read {
            ReadTape::Attention(a) => {
                let h = head(self.params.read_attn.as_ref(), "read")?;
                if run_head {
                    linear(b, &mut a.p, h_dec_prev, h);
                    b.filterbank_forward(&a.p, &a.geo, &mut a.fx, &mut a.fy);
                }
                let to = CopyTo::Cols(enc_in, 0);
                b.read_forward_to((x, &st.xhat), window(a), read_out, to);
            }
            ReadTape::Full => {
                let cab = self.config.image_size();
                b.copy_cols(x, 0, enc_in, 0, cab, false);
                b.copy_cols(&st.xhat, 0, enc_in, cab, cab, false);
            }
        }
        Ok(())
    }

    /// (3) h^enc_t = LSTM^enc(h^enc_{t−1}, [r_t, h^dec_{t−1}]): the input, complete once the
    /// read is in, goes to the all-steps rows; the cell writes h^enc_t into the next step's
    /// and into the all-steps states.
    fn encode_step(
        &self,
        b: &B,
        st: &mut StepTape<B::Tensor>,
        prev: &Previous<'_, B::Tensor>,
        io: &mut LstmInputs<'_, B::Tensor>,
    ) {
        let (rs, d) = (self.config.read_size(), self.config.dec_size);
        let to_all = CopyTo::Rows(&mut *io.enc_all, io.row);
        lstm_gates_keep(
            b,
            &mut st.enc_gates,
            io.enc_step,
            &self.fused.encoder,
            to_all,
        );
        let next_inputs = &mut [
            CopyTo::Cols(io.enc_step, rs + d),
            CopyTo::Rows(io.h_enc_all, io.row),
        ];
        let state = (&mut st.enc_c, &mut st.enc_h);
        b.lstm_forward_to(&mut st.enc_gates, prev.c_enc, state, next_inputs);
    }

    /// (4) `[μ | log σ]` by the fused layer, then z_t = μ + σ·ε with ε drawn from `key`, all
    /// by one op, z_t also into the first columns of the decoder's input; adds the step's KL
    /// to `kl`.
    fn sample_step(
        &self,
        b: &B,
        st: &mut StepTape<B::Tensor>,
        key: NoiseKey,
        (kl, dec_in): (&mut B::Tensor, &mut B::Tensor),
    ) {
        let l = &self.fused.latent;
        b.latent_layer_sample_to(
            (&st.enc_h, &l.weight, &l.bias),
            &mut st.mu_logsig,
            (&mut st.eps, key),
            (&mut st.z, kl),
            CopyTo::Cols(dec_in, 0),
        );
    }

    /// (5) h^dec_t = LSTM^dec(h^dec_{t−1}, z_t): the input (z_t written by the sample) goes to
    /// the all-steps rows; the cell writes h^dec_t into both LSTMs' next inputs and into the
    /// all-steps states.
    fn decode_step(
        &self,
        b: &B,
        st: &mut StepTape<B::Tensor>,
        prev: &Previous<'_, B::Tensor>,
        io: &mut LstmInputs<'_, B::Tensor>,
    ) {
        let (rs, zs) = (self.config.read_size(), self.config.z_size);
        let to_all = CopyTo::Rows(&mut *io.dec_all, io.row);
        lstm_gates_keep(
            b,
            &mut st.dec_gates,
            io.dec_step,
            &self.fused.decoder,
            to_all,
        );
        let next_inputs = &mut [
            CopyTo::Cols(io.enc_step, rs),
            CopyTo::Cols(io.dec_step, zs),
            CopyTo::Rows(io.h_dec_all, io.row + io.batch),
        ];
        let state = (&mut st.dec_c, &mut st.dec_h);
        b.lstm_forward_to(&mut st.dec_gates, prev.c_dec, state, next_inputs);
    }
}

/// An attention state's filterbanks to make.
fn filterbanks<T>(a: &mut Attn<T>) -> Filterbanks<'_, T> {
    let Attn { geo, p, fx, fy } = a;
    Filterbanks { p, geo, fx, fy }
}

/// What a write step also writes for the step after it.
pub(super) struct Next<'a, T> {
    /// `(x, x̂)`: x̂ = x − σ(c_t) (the next step's canvas error, by the attention write's own
    /// op).
    pub error: Option<(&'a T, &'a mut T)>,
    /// The next step's read window, when the fused write layer computes its p
    /// ([`next_read_head`]); its filterbanks are made with the write's.
    pub read: Option<&'a mut Attn<T>>,
}

/// (6) c_t = c_{t−1} + write(h^dec_t): the attention write (eq. 29), whose head and patch
/// are one GEMM through the fused write layer (`fused`, which with an attention read also
/// computes the next step's read window into `next.read`, whose filterbanks are made with the
/// write's), or a linear map to every pixel; then the next step's x̂ (`next.error`).
pub(super) fn write_step<B: Backend>(
    b: &B,
    (p, fused): (&DrawParams<B::Tensor>, Option<&Linear<B::Tensor>>),
    h_dec: &B::Tensor,
    tape: &mut WriteTape<B::Tensor>,
    canvas: &mut B::Tensor,
    next: Next<'_, B::Tensor>,
) -> Result<()> {
    let Next { error, read } = next;
    match tape {
        WriteTape::Attention {
            attn: a,
            patch,
            out,
        } => {
            let l = head(fused, "write")?;
            let g = Gemm::new(Mat::n(h_dec), Mat::t(&l.weight));
            let n = b.shape(patch).1;
            let (p_write, patch_to) = (ColsTo::set(&mut a.p, 0, 5), ColsTo::set(patch, 5, n));
            match read {
                Some(r) => {
                    let copies = &mut [p_write, patch_to, ColsTo::set(&mut r.p, 5 + n, 5)];
                    b.gemm_to(out, g, Some(&l.bias), copies);
                    b.filterbank_forward_pair(filterbanks(a), filterbanks(r));
                }
                None => {
                    b.gemm_to(out, g, Some(&l.bias), &mut [p_write, patch_to]);
                    b.filterbank_forward(&a.p, &a.geo, &mut a.fx, &mut a.fy);
                }
            }
            match error {
                Some(error) => b.write_forward_error(patch, window(a), canvas, error),
                None => b.write_forward(patch, window(a), canvas),
            }
        }
        WriteTape::Full => {
            let g = Gemm::add_to(Mat::n(h_dec), Mat::t(&p.write.weight));
            b.gemm_bias(canvas, g, &p.write.bias);
            if let Some((x, xhat)) = error {
                b.canvas_error(x, canvas, xhat);
            }
        }
    }
    Ok(())
}
