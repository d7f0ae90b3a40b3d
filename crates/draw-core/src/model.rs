//! The DRAW network (paper eqs. 1–6): forward over T steps, hand-written backprop through time,
//! and generation (eqs. 7–9).

use crate::backend::Backend;
use crate::config::{DrawConfig, Glimpse};
use crate::error::{DrawError, Result};
use crate::kernels::filterbank::Geometry;
use crate::params::{self, DrawParams, InitState, Linear, Lstm};
use crate::rng::NoiseKey;
use crate::Float;

/// A DRAW model: its configuration and its parameters, resident on a backend.
pub struct Draw<B: Backend> {
    config: DrawConfig,
    params: DrawParams<B::Tensor>,
    fused: FusedGates<B::Tensor>,
}

/// Each LSTM's input and recurrent weights side by side, `[W_ih | W_hh]`, so that a step's
/// gates are one GEMM on `[input, h_prev]` and the weight gradients of all T steps are one
/// GEMM at the end of backward. Derived from the parameters after every change.
struct FusedGates<T> {
    /// 4·enc × (read_size + dec + enc).
    encoder: T,
    /// 4·dec × (z + dec).
    decoder: T,
    /// `encoder` transposed, (read_size + dec + enc) × 4·enc: the forward gate GEMM reads it
    /// row-major, ~25 % faster than reading `encoder` transposed (measured: 50 × 520 · 520 ×
    /// 1024 on one core, 72 → 92 GFLOP/s). The backward pass reads `encoder` as it is.
    encoder_t: T,
    /// `decoder` transposed, (z + dec) × 4·dec.
    decoder_t: T,
}

/// Loss sums over a batch, in nats.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Loss {
    /// Σ over examples of L^x = −log D(x | c_T).
    pub reconstruction: f64,
    /// Σ over examples of L^z = Σ_t KL(Q(z_t | h^enc_t) ‖ N(0, I)).
    pub latent: f64,
    /// Number of examples summed.
    pub examples: usize,
}

impl Loss {
    /// Mean L^x per example.
    pub fn mean_reconstruction(&self) -> f64 {
        self.reconstruction / self.examples.max(1) as f64
    }
    /// Mean L^z per example.
    pub fn mean_latent(&self) -> f64 {
        self.latent / self.examples.max(1) as f64
    }
    /// Mean L^x + L^z per example: the negative variational bound.
    pub fn mean_total(&self) -> f64 {
        self.mean_reconstruction() + self.mean_latent()
    }
    /// Adds another batch's sums.
    pub fn add(&mut self, other: &Loss) {
        self.reconstruction += other.reconstruction;
        self.latent += other.latent;
        self.examples += other.examples;
    }
}

/// Attention state of one glimpse: raw head outputs (rows × 5) and the two filterbanks.
struct Attn<T> {
    p: T,
    fx: T,
    fy: T,
}

/// Everything one step saves for the backward pass.
struct StepTape<T> {
    xhat: T,
    read: Option<Attn<T>>,
    enc_gates: T,
    enc_c: T,
    enc_h: T,
    mu: T,
    logsig: T,
    eps: T,
    z: T,
    dec_gates: T,
    dec_c: T,
    dec_h: T,
    write: Option<Attn<T>>,
    patch: Option<T>,
}

/// The recurrent states step t starts from: step t − 1's, or the learned initial ones.
struct Previous<'a, T> {
    h_dec: &'a T,
    c_dec: &'a T,
    h_enc: &'a T,
    c_enc: &'a T,
}

fn previous<'a, T>(init: &'a InitState<T>, prev: Option<&'a StepTape<T>>) -> Previous<'a, T> {
    match prev {
        Some(s) => Previous {
            h_dec: &s.dec_h,
            c_dec: &s.dec_c,
            h_enc: &s.enc_h,
            c_enc: &s.enc_c,
        },
        None => Previous {
            h_dec: &init.h_dec,
            c_dec: &init.c_dec,
            h_enc: &init.h_enc,
            c_enc: &init.c_enc,
        },
    }
}

/// Gradient buffers reused by every backward step.
struct Scratch<T> {
    dcanvas: T,
    dh_dec: T,
    dh_dec_next: T,
    dc_dec: T,
    dh_enc: T,
    dh_enc_next: T,
    dc_enc: T,
    dgates_enc: T,
    dgates_dec: T,
    denc_in: T,
    ddec_in: T,
    dfused_enc: T,
    dfused_dec: T,
    dz: T,
    dmu: T,
    dlogsig: T,
    dxhat: T,
    dr: T,
    dp: T,
    dfx_read: T,
    dfy_read: T,
    dfx_write: T,
    dfy_write: T,
    dpatch: T,
}

/// Preallocated activations and gradient buffers for one batch size: after its first
/// training step, a training step allocates nothing.
pub struct Workspace<B: Backend> {
    batch: usize,
    /// Row of the whole batch this workspace's row 0 is (shards of a batch start later).
    first_row: usize,
    /// Examples the loss is averaged over (the whole batch, for a shard).
    mean_over: usize,
    x: B::Tensor,
    canvas: B::Tensor,
    init: InitState<B::Tensor>,
    steps: Vec<StepTape<B::Tensor>>,
    read_out: B::Tensor,
    /// `[r_t, h^dec_{t−1}, h^enc_{t−1}]` of step t in rows t·B..(t+1)·B.
    enc_in: B::Tensor,
    /// `[z_t, h^dec_{t−1}]` of step t in rows t·B..(t+1)·B.
    dec_in: B::Tensor,
    /// One step's encoder input, as the gate GEMM reads it.
    enc_in_step: B::Tensor,
    /// One step's decoder input.
    dec_in_step: B::Tensor,
    /// Encoder and decoder gate gradients of every step, rows as in `enc_in`: allocated by the
    /// first backward pass, so that evaluation-only workspaces stay small.
    dgates_all: Option<(B::Tensor, B::Tensor)>,
    kl: B::Tensor,
    bce: B::Tensor,
    scratch: Scratch<B::Tensor>,
}

impl<B: Backend> Workspace<B> {
    /// The batch size this workspace was built for.
    pub fn batch(&self) -> usize {
        self.batch
    }
    /// The row of the whole batch where this workspace's rows start (0 unless a shard).
    pub fn first_row(&self) -> usize {
        self.first_row
    }
    /// The canvas logits c_T after the last forward pass.
    pub fn canvas(&self) -> &B::Tensor {
        &self.canvas
    }
}

fn geometry(cfg: &DrawConfig, g: Glimpse) -> Option<Geometry> {
    match g {
        Glimpse::Attention { n } => Some(Geometry {
            n,
            width: cfg.width,
            height: cfg.height,
            channels: cfg.channels,
        }),
        Glimpse::Full => None,
    }
}

/// out = input·Wᵀ + b.
fn linear<B: Backend>(b: &B, out: &mut B::Tensor, input: &B::Tensor, l: &Linear<B::Tensor>) {
    b.gemm(out, 1.0, input, false, &l.weight, true, 0.0);
    b.add_bias(out, &l.bias);
}

/// Accumulates the weight and bias gradients of a linear layer and, if asked, adds its input
/// gradient to `dx`.
fn linear_backward<B: Backend>(
    b: &B,
    dy: &B::Tensor,
    x: &B::Tensor,
    l: &Linear<B::Tensor>,
    g: &mut Linear<B::Tensor>,
    dx: Option<&mut B::Tensor>,
) {
    b.gemm(&mut g.weight, 1.0, dy, true, x, false, 1.0);
    b.sum_rows(dy, &mut g.bias);
    if let Some(dx) = dx {
        b.gemm(dx, 1.0, dy, false, &l.weight, false, 1.0);
    }
}

/// gates = [input, h]·[W_ih | W_hh]ᵀ + b_ih + b_hh.
fn lstm_gates<B: Backend>(
    b: &B,
    gates: &mut B::Tensor,
    input_and_h: &B::Tensor,
    fused_t: &B::Tensor,
    l: &Lstm<B::Tensor>,
) {
    b.gemm(gates, 1.0, input_and_h, false, fused_t, false, 0.0);
    b.add_bias(gates, &l.bias_ih);
    b.add_bias(gates, &l.bias_hh);
}

/// Weight and bias gradients of an LSTM from the gate gradients and inputs of all T steps:
/// one GEMM, then split into `weight_ih` and `weight_hh`.
fn lstm_param_grads<B: Backend>(
    b: &B,
    dgates_all: &B::Tensor,
    inputs_all: &B::Tensor,
    dfused: &mut B::Tensor,
    g: &mut Lstm<B::Tensor>,
) {
    b.gemm(dfused, 1.0, dgates_all, true, inputs_all, false, 0.0);
    let n_in = b.shape(&g.weight_ih).1;
    let n_h = b.shape(&g.weight_hh).1;
    b.copy_cols(dfused, 0, &mut g.weight_ih, 0, n_in, false);
    b.copy_cols(dfused, n_in, &mut g.weight_hh, 0, n_h, false);
    b.sum_rows(dgates_all, &mut g.bias_ih);
    b.sum_rows(dgates_all, &mut g.bias_hh);
}

fn fuse<B: Backend>(b: &B, l: &Lstm<B::Tensor>, out: &mut B::Tensor, out_t: &mut B::Tensor) {
    let n_in = b.shape(&l.weight_ih).1;
    let n_h = b.shape(&l.weight_hh).1;
    b.copy_cols(&l.weight_ih, 0, out, 0, n_in, false);
    b.copy_cols(&l.weight_hh, 0, out, n_in, n_h, false);
    b.transpose_rows(&l.weight_ih, out_t, 0);
    b.transpose_rows(&l.weight_hh, out_t, n_in);
}

impl<B: Backend> Draw<B> {
    /// A freshly initialised model (see [`params::initial_values`]).
    pub fn new(b: &B, config: DrawConfig, seed: u64) -> Result<Self> {
        config.validate()?;
        let values = params::initial_values(&config, seed);
        Self::from_values(b, config, &values)
    }

    /// A model holding the given host values, checked against the config's shapes.
    pub fn from_values(b: &B, config: DrawConfig, values: &DrawParams<Vec<f64>>) -> Result<Self> {
        config.validate()?;
        let shapes = params::shapes(&config);
        let expected: Vec<_> = shapes
            .named()
            .into_iter()
            .map(|(n, s)| (n, s.clone()))
            .collect();
        let got = values.named();
        if got.len() != expected.len() {
            return Err(DrawError::Shape(format!(
                "{} parameter tensors given, the config needs {}",
                got.len(),
                expected.len()
            )));
        }
        for ((name, v), (want, s)) in got.iter().zip(&expected) {
            if name != want {
                return Err(DrawError::Shape(format!(
                    "parameter `{want}` missing (found `{name}`)"
                )));
            }
            if v.len() != s.len() {
                return Err(DrawError::Shape(format!(
                    "{name}: {} values given, {:?} needs {}",
                    v.len(),
                    s.torch_shape(),
                    s.len()
                )));
            }
        }
        let by_name: std::collections::HashMap<_, _> = expected.into_iter().collect();
        let params = values.map(|name, v| {
            let s = &by_name[name];
            let data: Vec<B::F> = v.iter().map(|&x| B::F::of(x)).collect();
            b.tensor(s.rows, s.cols, &data)
        });
        let (e, d) = (config.enc_size, config.dec_size);
        let mut model = Draw {
            fused: FusedGates {
                encoder: b.zeros(4 * e, config.read_size() + d + e),
                decoder: b.zeros(4 * d, config.z_size + d),
                encoder_t: b.zeros(config.read_size() + d + e, 4 * e),
                decoder_t: b.zeros(config.z_size + d, 4 * d),
            },
            config,
            params,
        };
        model.sync(b);
        Ok(model)
    }

    /// The parameters copied to the host as f64.
    pub fn values(&self, b: &B) -> DrawParams<Vec<f64>> {
        self.params
            .map(|_, t| b.download(t).into_iter().map(|x| x.f64()).collect())
    }

    /// The model's configuration.
    pub fn config(&self) -> &DrawConfig {
        &self.config
    }

    /// The parameters (PyTorch names and layouts, see [`DrawParams::named`]).
    pub fn params(&self) -> &DrawParams<B::Tensor> {
        &self.params
    }

    /// Changes the parameters through `f`, then refreshes what the model derives from them.
    pub fn update_params<R>(
        &mut self,
        b: &B,
        f: impl FnOnce(&mut DrawParams<B::Tensor>) -> R,
    ) -> R {
        let r = f(&mut self.params);
        self.sync(b);
        r
    }

    fn sync(&mut self, b: &B) {
        let f = &mut self.fused;
        fuse(b, &self.params.encoder, &mut f.encoder, &mut f.encoder_t);
        fuse(b, &self.params.decoder, &mut f.decoder, &mut f.decoder_t);
    }

    /// A zeroed tensor per parameter (gradients, Adam moments).
    pub fn zeros_like(&self, b: &B) -> DrawParams<B::Tensor> {
        self.params.map(|_, t| {
            let (r, c) = b.shape(t);
            b.zeros(r, c)
        })
    }

    /// Buffers for batches of `batch` examples.
    pub fn workspace(&self, b: &B, batch: usize) -> Workspace<B> {
        self.shard_workspace(b, batch, 0, batch)
    }

    /// Workspaces for a batch of `batch` examples split into `b.shards(batch)` contiguous
    /// shards of near-equal size, for [`Draw::forward_shards`] and [`Draw::backward_shards`].
    pub fn shard_workspaces(&self, b: &B, batch: usize) -> Vec<Workspace<B>> {
        shard_rows(b, batch)
            .into_iter()
            .map(|(first, rows)| self.shard_workspace(b, rows, first, batch))
            .collect()
    }

    /// Buffers for rows `first_row..first_row + rows` of a batch of `mean_over` examples.
    fn shard_workspace(
        &self,
        b: &B,
        batch: usize,
        first_row: usize,
        mean_over: usize,
    ) -> Workspace<B> {
        let cfg = &self.config;
        let (n, cab, e, d, z) = (
            batch,
            cfg.image_size(),
            cfg.enc_size,
            cfg.dec_size,
            cfg.z_size,
        );
        let rs = cfg.read_size();
        let z0 = |c: usize| b.zeros(n, c);
        let attn = |g: Option<Geometry>| {
            g.map(|g| Attn {
                p: b.zeros(n, 5),
                fx: b.zeros(n, g.fx_len()),
                fy: b.zeros(n, g.fy_len()),
            })
        };
        let (gr, gw) = (geometry(cfg, cfg.read), geometry(cfg, cfg.write));
        let steps = (0..cfg.steps)
            .map(|_| StepTape {
                xhat: z0(cab),
                read: attn(gr),
                enc_gates: z0(4 * e),
                enc_c: z0(e),
                enc_h: z0(e),
                mu: z0(z),
                logsig: z0(z),
                eps: z0(z),
                z: z0(z),
                dec_gates: z0(4 * d),
                dec_c: z0(d),
                dec_h: z0(d),
                write: attn(gw),
                patch: gw.map(|g| z0(g.patch_len())),
            })
            .collect();
        let fx_len = |g: Option<Geometry>| g.map_or(0, |g| g.fx_len());
        let fy_len = |g: Option<Geometry>| g.map_or(0, |g| g.fy_len());
        Workspace {
            batch,
            first_row,
            mean_over,
            x: z0(cab),
            canvas: z0(cab),
            init: InitState {
                canvas: z0(cab),
                h_enc: z0(e),
                c_enc: z0(e),
                h_dec: z0(d),
                c_dec: z0(d),
            },
            steps,
            read_out: z0(if gr.is_some() { rs } else { 0 }),
            enc_in: b.zeros(cfg.steps * n, rs + d + e),
            dec_in: b.zeros(cfg.steps * n, z + d),
            enc_in_step: z0(rs + d + e),
            dec_in_step: z0(z + d),
            dgates_all: None,
            kl: z0(1),
            bce: z0(1),
            scratch: Scratch {
                dcanvas: z0(cab),
                dh_dec: z0(d),
                dh_dec_next: z0(d),
                dc_dec: z0(d),
                dh_enc: z0(e),
                dh_enc_next: z0(e),
                dc_enc: z0(e),
                dgates_enc: z0(4 * e),
                dgates_dec: z0(4 * d),
                denc_in: z0(rs + d + e),
                ddec_in: z0(z + d),
                dfused_enc: b.zeros(4 * e, rs + d + e),
                dfused_dec: b.zeros(4 * d, z + d),
                dz: z0(z),
                dmu: z0(z),
                dlogsig: z0(z),
                dxhat: z0(cab),
                dr: z0(rs),
                dp: z0(5),
                dfx_read: z0(fx_len(gr)),
                dfy_read: z0(fy_len(gr)),
                dfx_write: z0(fx_len(gw)),
                dfy_write: z0(fy_len(gw)),
                dpatch: z0(gw.map_or(0, |g| g.patch_len())),
            },
        }
    }

    /// Refuses a host batch that is not `rows` whole images.
    fn check_batch(&self, rows: usize, x: &[B::F]) -> Result<()> {
        let size = self.config.image_size();
        if x.len() != rows * size {
            return Err(DrawError::Shape(format!(
                "batch holds {} values; the workspace expects {rows} examples of {size} pixels",
                x.len()
            )));
        }
        Ok(())
    }

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
        self.check_batch(ws.batch, x)?;
        let cfg = &self.config;
        let p = &self.params;
        let (cab, rs, d) = (cfg.image_size(), cfg.read_size(), cfg.dec_size);
        let (e, zs, n) = (cfg.enc_size, cfg.z_size, ws.batch);
        let (gr, gw) = (geometry(cfg, cfg.read), geometry(cfg, cfg.write));
        b.upload(&mut ws.x, x);
        b.broadcast_rows(&p.init.canvas, &mut ws.canvas);
        b.broadcast_rows(&p.init.h_enc, &mut ws.init.h_enc);
        b.broadcast_rows(&p.init.c_enc, &mut ws.init.c_enc);
        b.broadcast_rows(&p.init.h_dec, &mut ws.init.h_dec);
        b.broadcast_rows(&p.init.c_dec, &mut ws.init.c_dec);
        b.fill(&mut ws.kl, 0.0);
        for t in 0..cfg.steps {
            let (done, rest) = ws.steps.split_at_mut(t);
            let st = &mut rest[0];
            let Previous {
                h_dec: h_dec_prev,
                c_dec: c_dec_prev,
                h_enc: h_enc_prev,
                c_enc: c_enc_prev,
            } = previous(&ws.init, done.last());

            // (1) x̂ = x − σ(c_{t−1}); (2) r_t = read(x, x̂, h^dec_{t−1})
            b.canvas_error(&ws.x, &ws.canvas, &mut st.xhat);
            match (gr, st.read.as_mut(), p.read_attn.as_ref()) {
                (Some(g), Some(a), Some(head)) => {
                    linear(b, &mut a.p, h_dec_prev, head);
                    b.filterbank_forward(&a.p, &g, &mut a.fx, &mut a.fy);
                    b.read_forward(&ws.x, &st.xhat, &a.fx, &a.fy, &a.p, &g, &mut ws.read_out);
                    b.copy_cols(&ws.read_out, 0, &mut ws.enc_in_step, 0, rs, false);
                }
                _ => {
                    b.copy_cols(&ws.x, 0, &mut ws.enc_in_step, 0, cab, false);
                    b.copy_cols(&st.xhat, 0, &mut ws.enc_in_step, cab, cab, false);
                }
            }
            // (3) encoder on [r_t, h^dec_{t−1}]
            b.copy_cols(h_dec_prev, 0, &mut ws.enc_in_step, rs, d, false);
            b.copy_cols(h_enc_prev, 0, &mut ws.enc_in_step, rs + d, e, false);
            lstm_gates(
                b,
                &mut st.enc_gates,
                &ws.enc_in_step,
                &self.fused.encoder_t,
                &p.encoder,
            );
            b.copy_rows(&ws.enc_in_step, &mut ws.enc_in, t * n);
            b.lstm_forward(&mut st.enc_gates, c_enc_prev, &mut st.enc_c, &mut st.enc_h);
            // (4) z_t = μ + σ·ε
            linear(b, &mut st.mu, &st.enc_h, &p.mu);
            linear(b, &mut st.logsig, &st.enc_h, &p.logsigma);
            let key = NoiseKey::new(
                noise.seed,
                noise
                    .stream
                    .wrapping_mul(cfg.steps as u64)
                    .wrapping_add(t as u64),
            )
            .with_offset(noise.offset + (ws.first_row * zs) as u64);
            b.fill_normal(&mut st.eps, key);
            b.sample_latent(&st.mu, &st.logsig, &st.eps, &mut st.z, &mut ws.kl);
            // (5) decoder on z_t
            b.copy_cols(&st.z, 0, &mut ws.dec_in_step, 0, zs, false);
            b.copy_cols(h_dec_prev, 0, &mut ws.dec_in_step, zs, d, false);
            lstm_gates(
                b,
                &mut st.dec_gates,
                &ws.dec_in_step,
                &self.fused.decoder_t,
                &p.decoder,
            );
            b.copy_rows(&ws.dec_in_step, &mut ws.dec_in, t * n);
            b.lstm_forward(&mut st.dec_gates, c_dec_prev, &mut st.dec_c, &mut st.dec_h);
            // (6) c_t = c_{t−1} + write(h^dec_t)
            write_step(
                b,
                p,
                gw,
                &st.dec_h,
                st.write.as_mut(),
                st.patch.as_mut(),
                &mut ws.canvas,
            );
        }
        b.bce(&ws.x, &ws.canvas, &mut ws.bce);
        let sums = b.sum_all(&[&ws.bce, &ws.kl]);
        Ok(Loss {
            reconstruction: sums[0],
            latent: sums[1],
            examples: ws.batch,
        })
    }

    /// [`Draw::forward`] of a whole batch `x` over the shards of
    /// [`Draw::shard_workspaces`], run by [`Backend::run_shards`]: the same numbers as one
    /// workspace (each shard draws the noise of its own rows), up to summation order.
    pub fn forward_shards(
        &self,
        b: &B,
        shards: &mut [Workspace<B>],
        x: &[B::F],
        noise: NoiseKey,
    ) -> Result<Loss> {
        let size = self.config.image_size();
        self.check_batch(shards.iter().map(|w| w.batch).sum(), x)?;
        let mut results: Vec<(&mut Workspace<B>, Option<Result<Loss>>)> =
            shards.iter_mut().map(|w| (w, None)).collect();
        b.run_shards(&mut results, |_, (ws, out)| {
            let xs = &x[ws.first_row * size..(ws.first_row + ws.batch) * size];
            *out = Some(self.forward(b, ws, xs, noise));
        });
        let mut total = Loss::default();
        for (_, r) in results {
            total.add(&r.expect("every shard ran")?);
        }
        Ok(total)
    }

    /// [`Draw::backward`] on every shard of the last [`Draw::forward_shards`], then the
    /// shards' gradients summed into `grads[0]` (the gradient of the whole batch's mean loss).
    pub fn backward_shards(
        &self,
        b: &B,
        shards: &mut [Workspace<B>],
        grads: &mut [DrawParams<B::Tensor>],
    ) {
        let mut items: Vec<_> = shards.iter_mut().zip(grads.iter_mut()).collect();
        b.run_shards(&mut items, |_, (ws, g)| self.backward(b, ws, g));
        if let Some((first, rest)) = grads.split_first_mut() {
            for other in rest {
                for ((_, dst), (_, src)) in first.named_mut().into_iter().zip(other.named()) {
                    let (rows, cols) = b.shape(src);
                    if rows * cols > 0 {
                        b.copy_cols(src, 0, dst, 0, cols, true);
                    }
                }
            }
        }
    }

    /// Backprop through time for the mean loss over the batch of the last [`Draw::forward`]
    /// on `ws`; overwrites `grads`.
    pub fn backward(&self, b: &B, ws: &mut Workspace<B>, grads: &mut DrawParams<B::Tensor>) {
        let cfg = &self.config;
        let p = &self.params;
        let (cab, rs, d) = (cfg.image_size(), cfg.read_size(), cfg.dec_size);
        let (e, zs, n) = (cfg.enc_size, cfg.z_size, ws.batch);
        let (gr, gw) = (geometry(cfg, cfg.read), geometry(cfg, cfg.write));
        let scale = 1.0 / ws.mean_over as f64;
        for (_, g) in grads.named_mut() {
            b.fill(g, 0.0);
        }
        if ws.dgates_all.is_none() {
            let rows = cfg.steps * ws.batch;
            ws.dgates_all = Some((b.zeros(rows, 4 * e), b.zeros(rows, 4 * d)));
        }
        let (dgates_enc_all, dgates_dec_all) = ws.dgates_all.as_mut().expect("allocated above");
        let s = &mut ws.scratch;
        b.bce_backward(&ws.x, &ws.canvas, scale, &mut s.dcanvas);
        for t in [&mut s.dh_dec, &mut s.dc_dec, &mut s.dh_enc, &mut s.dc_enc] {
            b.fill(t, 0.0);
        }
        for t in (0..cfg.steps).rev() {
            let (done, rest) = ws.steps.split_at(t);
            let st = &rest[0];
            let Previous {
                h_dec: h_dec_prev,
                c_dec: c_dec_prev,
                c_enc: c_enc_prev,
                ..
            } = previous(&ws.init, done.last());

            // (6) write; s.dh_dec already holds what step t+1 sent back to h^dec_t
            match (
                gw,
                &st.write,
                &st.patch,
                &p.write_attn,
                &mut grads.write_attn,
            ) {
                (Some(g), Some(a), Some(patch), Some(head), Some(ghead)) => {
                    b.write_backward(
                        patch,
                        &a.fx,
                        &a.fy,
                        &a.p,
                        &g,
                        &s.dcanvas,
                        &mut s.dpatch,
                        &mut s.dfx_write,
                        &mut s.dfy_write,
                        &mut s.dp,
                    );
                    b.filterbank_backward(
                        &a.p,
                        &g,
                        &a.fx,
                        &a.fy,
                        &s.dfx_write,
                        &s.dfy_write,
                        &mut s.dp,
                    );
                    linear_backward(b, &s.dp, &st.dec_h, head, ghead, Some(&mut s.dh_dec));
                    linear_backward(
                        b,
                        &s.dpatch,
                        &st.dec_h,
                        &p.write,
                        &mut grads.write,
                        Some(&mut s.dh_dec),
                    );
                }
                _ => linear_backward(
                    b,
                    &s.dcanvas,
                    &st.dec_h,
                    &p.write,
                    &mut grads.write,
                    Some(&mut s.dh_dec),
                ),
            }
            // (5) decoder
            b.lstm_backward(
                &st.dec_gates,
                c_dec_prev,
                &st.dec_c,
                &s.dh_dec,
                &mut s.dc_dec,
                &mut s.dgates_dec,
            );
            b.copy_rows(&s.dgates_dec, dgates_dec_all, t * n);
            b.gemm(
                &mut s.ddec_in,
                1.0,
                &s.dgates_dec,
                false,
                &self.fused.decoder,
                false,
                0.0,
            );
            b.copy_cols(&s.ddec_in, 0, &mut s.dz, 0, zs, false);
            b.copy_cols(&s.ddec_in, zs, &mut s.dh_dec_next, 0, d, false);
            // (4) latent and its KL
            b.sample_latent_backward(
                &st.mu,
                &st.logsig,
                &st.eps,
                &s.dz,
                scale,
                &mut s.dmu,
                &mut s.dlogsig,
            );
            linear_backward(
                b,
                &s.dmu,
                &st.enc_h,
                &p.mu,
                &mut grads.mu,
                Some(&mut s.dh_enc),
            );
            linear_backward(
                b,
                &s.dlogsig,
                &st.enc_h,
                &p.logsigma,
                &mut grads.logsigma,
                Some(&mut s.dh_enc),
            );
            // (3) encoder
            b.lstm_backward(
                &st.enc_gates,
                c_enc_prev,
                &st.enc_c,
                &s.dh_enc,
                &mut s.dc_enc,
                &mut s.dgates_enc,
            );
            b.copy_rows(&s.dgates_enc, dgates_enc_all, t * n);
            b.gemm(
                &mut s.denc_in,
                1.0,
                &s.dgates_enc,
                false,
                &self.fused.encoder,
                false,
                0.0,
            );
            b.copy_cols(&s.denc_in, rs + d, &mut s.dh_enc_next, 0, e, false);
            b.copy_cols(&s.denc_in, rs, &mut s.dh_dec_next, 0, d, true);
            // (2) read
            match (gr, &st.read, &p.read_attn, &mut grads.read_attn) {
                (Some(g), Some(a), Some(head), Some(ghead)) => {
                    b.copy_cols(&s.denc_in, 0, &mut s.dr, 0, rs, false);
                    b.read_backward(
                        &ws.x,
                        &st.xhat,
                        &a.fx,
                        &a.fy,
                        &a.p,
                        &g,
                        &s.dr,
                        &mut s.dxhat,
                        &mut s.dfx_read,
                        &mut s.dfy_read,
                        &mut s.dp,
                    );
                    b.filterbank_backward(
                        &a.p,
                        &g,
                        &a.fx,
                        &a.fy,
                        &s.dfx_read,
                        &s.dfy_read,
                        &mut s.dp,
                    );
                    linear_backward(b, &s.dp, h_dec_prev, head, ghead, Some(&mut s.dh_dec_next));
                }
                _ => b.copy_cols(&s.denc_in, cab, &mut s.dxhat, 0, cab, false),
            }
            // (1) x̂ depends on c_{t−1}
            b.canvas_error_backward(&ws.x, &st.xhat, &s.dxhat, &mut s.dcanvas);
            std::mem::swap(&mut s.dh_dec, &mut s.dh_dec_next);
            std::mem::swap(&mut s.dh_enc, &mut s.dh_enc_next);
        }
        lstm_param_grads(
            b,
            dgates_enc_all,
            &ws.enc_in,
            &mut s.dfused_enc,
            &mut grads.encoder,
        );
        lstm_param_grads(
            b,
            dgates_dec_all,
            &ws.dec_in,
            &mut s.dfused_dec,
            &mut grads.decoder,
        );
        b.sum_rows(&s.dcanvas, &mut grads.init.canvas);
        b.sum_rows(&s.dh_dec, &mut grads.init.h_dec);
        b.sum_rows(&s.dc_dec, &mut grads.init.c_dec);
        b.sum_rows(&s.dh_enc, &mut grads.init.h_enc);
        b.sum_rows(&s.dc_enc, &mut grads.init.c_enc);
    }

    /// Generates `n` images with z_t ~ N(0, I) and the decoder alone (eqs. 7–9); returns the
    /// canvas σ(c_t) after every step t = 1..T, each `n` rows of C·B·A values in [0, 1].
    pub fn generate(&self, b: &B, n: usize, noise: NoiseKey) -> Vec<Vec<f32>> {
        b.run(|| self.generate_inner(b, n, noise))
    }

    /// Generates the rows of each shard ([`Backend::run_shards`]) and joins their frames.
    fn generate_inner(&self, b: &B, n: usize, noise: NoiseKey) -> Vec<Vec<f32>> {
        let mut parts: Vec<ShardFrames> = shard_rows(b, n)
            .into_iter()
            .map(|r| (r, Vec::new()))
            .collect();
        b.run_shards(&mut parts, |_, ((first, rows), out)| {
            *out = self.generate_rows(b, *rows, *first, noise);
        });
        if parts.len() == 1 {
            return parts.pop().expect("one part").1;
        }
        (0..self.config.steps)
            .map(|t| {
                parts
                    .iter()
                    .flat_map(|(_, f)| f[t].iter().copied())
                    .collect()
            })
            .collect()
    }

    /// Rows `first..first + n` of a generated batch: the noise of those rows, T canvases.
    fn generate_rows(&self, b: &B, n: usize, first: usize, noise: NoiseKey) -> Vec<Vec<f32>> {
        let cfg = &self.config;
        let p = &self.params;
        let (cab, d, z) = (cfg.image_size(), cfg.dec_size, cfg.z_size);
        let gw = geometry(cfg, cfg.write);
        let mut h = b.zeros(n, d);
        let mut c = b.zeros(n, d);
        let (mut h_new, mut c_new) = (b.zeros(n, d), b.zeros(n, d));
        let mut canvas = b.zeros(n, cab);
        let mut zt = b.zeros(n, z);
        let mut gates = b.zeros(n, 4 * d);
        let mut input = b.zeros(n, z + d);
        let mut attn = gw.map(|g| Attn {
            p: b.zeros(n, 5),
            fx: b.zeros(n, g.fx_len()),
            fy: b.zeros(n, g.fy_len()),
        });
        let mut patch = gw.map(|g| b.zeros(n, g.patch_len()));
        let (empty, mut shown) = (b.zeros(n, cab), b.zeros(n, cab));
        b.broadcast_rows(&p.init.h_dec, &mut h);
        b.broadcast_rows(&p.init.c_dec, &mut c);
        b.broadcast_rows(&p.init.canvas, &mut canvas);
        let mut frames = Vec::with_capacity(cfg.steps);
        for t in 0..cfg.steps {
            let key = NoiseKey::new(
                noise.seed,
                noise
                    .stream
                    .wrapping_mul(cfg.steps as u64)
                    .wrapping_add(t as u64),
            )
            .with_offset(noise.offset + (first * z) as u64);
            b.fill_normal(&mut zt, key);
            b.copy_cols(&zt, 0, &mut input, 0, z, false);
            b.copy_cols(&h, 0, &mut input, z, d, false);
            lstm_gates(b, &mut gates, &input, &self.fused.decoder_t, &p.decoder);
            b.lstm_forward(&mut gates, &c, &mut c_new, &mut h_new);
            std::mem::swap(&mut h, &mut h_new);
            std::mem::swap(&mut c, &mut c_new);
            write_step(b, p, gw, &h, attn.as_mut(), patch.as_mut(), &mut canvas);
            // σ(c) on the backend, as the canvas error of an empty image: 0 − σ(c).
            b.canvas_error(&empty, &canvas, &mut shown);
            frames.push(
                b.download(&shown)
                    .into_iter()
                    .map(|v| -(v.f64() as f32))
                    .collect(),
            );
        }
        frames
    }
}

/// A shard's (first row, rows) and the frames generated for them.
type ShardFrames = ((usize, usize), Vec<Vec<f32>>);

/// (first row, rows) of each of the `b.shards(batch)` near-equal contiguous shards of a batch.
fn shard_rows<B: Backend>(b: &B, batch: usize) -> Vec<(usize, usize)> {
    let k = b.shards(batch).clamp(1, batch.max(1));
    let mut first = 0;
    (0..k)
        .map(|i| {
            let rows = batch / k + usize::from(i < batch % k);
            first += rows;
            (first - rows, rows)
        })
        .collect()
}

/// c += write(h^dec): the attention write (eq. 20) or a linear map to every pixel.
fn write_step<B: Backend>(
    b: &B,
    p: &DrawParams<B::Tensor>,
    gw: Option<Geometry>,
    h_dec: &B::Tensor,
    attn: Option<&mut Attn<B::Tensor>>,
    patch: Option<&mut B::Tensor>,
    canvas: &mut B::Tensor,
) {
    match (gw, attn, patch, p.write_attn.as_ref()) {
        (Some(g), Some(a), Some(patch), Some(head)) => {
            linear(b, &mut a.p, h_dec, head);
            b.filterbank_forward(&a.p, &g, &mut a.fx, &mut a.fy);
            linear(b, patch, h_dec, &p.write);
            b.write_forward(patch, &a.fx, &a.fy, &a.p, &g, canvas);
        }
        _ => {
            b.gemm(canvas, 1.0, h_dec, false, &p.write.weight, true, 1.0);
            b.add_bias(canvas, &p.write.bias);
        }
    }
}
