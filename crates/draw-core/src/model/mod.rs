//! The DRAW network (paper eqs. 1–6): forward over T steps, hand-written backprop through time,
//! and generation (eqs. 7–9).
//!
//! - `workspace`: the activations a forward pass keeps for backward, allocated once per batch;
//! - `forward`: one function per stage of a time step (read, encode, sample, decode, write);
//! - `backward`: the same stages in reverse, one function each, mirroring `forward`;
//! - `shard`: a batch split into shards that run concurrently ([`crate::backend::Storage::run_shards`]);
//! - `generate`: sampling from the prior with the decoder alone;
//! - `classifier`: the recurrent attention classifier (paper §4.1), built from the same stages.

mod backward;
pub mod classifier;
mod forward;
mod generate;
mod probe;
mod shard;
mod workspace;

pub use generate::Generated;
pub use probe::Probed;
pub use workspace::{Workspace, WorkspaceSize};

use crate::backend::{Backend, CopyTo, Gemm, Mat};
use crate::config::{DrawConfig, Glimpse};
use crate::error::{DrawError, Result};
use crate::kernels::filterbank::Geometry;
use crate::params::{self, DrawParams, Linear, Lstm};
use crate::rng::NoiseKey;
use crate::Float;

/// A DRAW model: its configuration and its parameters, resident on a backend.
pub struct Draw<B: Backend> {
    config: DrawConfig,
    params: DrawParams<B::Tensor>,
    fused: FusedGates<B::Tensor>,
}

/// Each LSTM's input and recurrent weights side by side, `[W_ih | W_hh]`, and its two biases
/// summed, so that a step's gates are one GEMM with the bias on `[input, h_prev]` and the
/// weight gradients of all T steps are one GEMM at the end of backward. Derived from the
/// parameters after every change ([`fuse`]).
struct FusedGates<T> {
    /// Input width read_size + dec + enc.
    encoder: FusedLstm<T>,
    /// Input width z + dec.
    decoder: FusedLstm<T>,
    /// The μ and log σ layers as one, `[W_μ; W_logσ]` (2z × enc) and `[b_μ, b_logσ]`, so
    /// that a step's `[μ | log σ]` is one GEMM ([`crate::backend::Latent`]).
    latent: Linear<T>,
    /// With an attention write, its head and patch layers as one, `[W_head; W_write]`
    /// ((5 + patch) × dec) and `[b_head, b_write]`: a step's window and patch are one GEMM.
    /// With an attention read too, the read head's rows follow (`[W_head; W_write;
    /// W_read_head]`, ([`next_read_head`]) more rows): the three layers that read h^dec_t are
    /// one GEMM forward (the read head's output is step t + 1's window) and one backward.
    write: Option<Linear<T>>,
}

/// What an LSTM's gate ops read, derived from its parameters (H hidden units, input width
/// `width` = its input's plus H).
struct FusedLstm<T> {
    /// `[W_ih | W_hh]`, 4H × width: the backward pass reads it as it is.
    weights: T,
    /// `weights` transposed, width × 4H: the forward gate GEMM reads it row-major, ~25 %
    /// faster than reading `weights` transposed (measured: 50 × 520 · 520 × 1024 on one core,
    /// 72 → 92 GFLOP/s).
    weights_t: T,
    /// `b_ih + b_hh`, 1 × 4H: the gate GEMM adds it in its epilogue.
    bias: T,
}

impl<T> FusedLstm<T> {
    /// Zeros for an LSTM of `hidden` units whose gate GEMM reads `width` columns; [`fuse`]
    /// fills them.
    fn zeros<B: Backend<Tensor = T>>(b: &B, hidden: usize, width: usize) -> Self {
        FusedLstm {
            weights: b.zeros(4 * hidden, width),
            weights_t: b.zeros(width, 4 * hidden),
            bias: b.zeros(1, 4 * hidden),
        }
    }
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

/// The attention geometry of a glimpse, or `None` for the full image.
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

/// The columns of the read head that the fused write layer also computes (5 with attention
/// read and write, else 0): the heads that read h^dec_t, the write's of step t and the read's
/// of step t + 1, are one layer ([`FusedGates::write`]).
pub(super) fn next_read_head(cfg: &DrawConfig) -> usize {
    match (cfg.read, cfg.write) {
        (Glimpse::Attention { .. }, Glimpse::Attention { .. }) => 5,
        _ => 0,
    }
}

/// The attention head `which` ("read" or "write") of an attention glimpse, or a named error
/// when the parameters lack it (the configuration and the parameters disagree).
fn head<H>(h: Option<H>, which: &str) -> Result<H> {
    h.ok_or_else(|| {
        DrawError::Shape(format!(
            "the configuration asks for {which} attention but the parameters have no \
             `{which}_attn` head"
        ))
    })
}

/// The noise key of time step `t` for a workspace whose rows start at `first_row` of the
/// whole batch: stream `noise.stream·T + t`, offset by the rows before it (so a shard draws
/// the numbers the whole batch would).
fn step_noise(noise: NoiseKey, steps: usize, t: usize, first_row: usize, z: usize) -> NoiseKey {
    NoiseKey::new(
        noise.seed,
        noise
            .stream
            .wrapping_mul(steps as u64)
            .wrapping_add(t as u64),
    )
    .with_offset(noise.offset + (first_row * z) as u64)
}

/// out = input·Wᵀ + b.
fn linear<B: Backend>(b: &B, out: &mut B::Tensor, input: &B::Tensor, l: &Linear<B::Tensor>) {
    b.gemm_bias(out, Gemm::new(Mat::n(input), Mat::t(&l.weight)), &l.bias);
}

/// Accumulates the weight and bias gradients of a linear layer and adds its input gradient to
/// `dx`.
fn linear_backward<B: Backend>(
    b: &B,
    (dy, x): (&B::Tensor, &B::Tensor),
    l: &Linear<B::Tensor>,
    g: &mut Linear<B::Tensor>,
    dx: &mut B::Tensor,
) {
    linear_param_grads(b, (dy, x), g);
    linear_input_grad(b, dy, l, dx);
}

/// Accumulates the weight and bias gradients of a linear layer from its output gradients and
/// inputs: of one step, or of all steps stacked in rows (one GEMM for the whole sequence).
fn linear_param_grads<B: Backend>(
    b: &B,
    (dy, x): (&B::Tensor, &B::Tensor),
    g: &mut Linear<B::Tensor>,
) {
    b.gemm(&mut g.weight, Gemm::add_to(Mat::t(dy), Mat::n(x)));
    b.sum_rows(dy, &mut g.bias);
}

/// Adds a linear layer's input gradient `dy·W` to `dx`.
fn linear_input_grad<B: Backend>(b: &B, dy: &B::Tensor, l: &Linear<B::Tensor>, dx: &mut B::Tensor) {
    b.gemm(dx, Gemm::add_to(Mat::n(dy), Mat::n(&l.weight)));
}

/// gates = [input, h]·[W_ih | W_hh]ᵀ + (b_ih + b_hh): one GEMM with its bias, from the fused
/// weights ([`fuse`]).
fn lstm_gates<B: Backend>(
    b: &B,
    gates: &mut B::Tensor,
    input_and_h: &B::Tensor,
    fused: &FusedLstm<B::Tensor>,
) {
    let g = Gemm::new(Mat::n(input_and_h), Mat::n(&fused.weights_t));
    b.gemm_bias(gates, g, &fused.bias);
}

/// [`lstm_gates`], the step's input `[input, h]` also written to `input_copy` (its all-steps
/// rows) by the same op.
fn lstm_gates_keep<B: Backend>(
    b: &B,
    gates: &mut B::Tensor,
    input_and_h: &B::Tensor,
    fused: &FusedLstm<B::Tensor>,
    input_copy: CopyTo<'_, B::Tensor>,
) {
    let g = Gemm::new(Mat::n(input_and_h), Mat::n(&fused.weights_t));
    b.gemm_bias_keep_a(gates, g, &fused.bias, input_copy);
}

/// Weight and bias gradients of an LSTM from the gate gradients and inputs of all T steps:
/// one GEMM, then split into `weight_ih` and `weight_hh`.
fn lstm_param_grads<B: Backend>(
    b: &B,
    (dgates_all, inputs_all): (&B::Tensor, &B::Tensor),
    dfused: &mut B::Tensor,
    g: &mut Lstm<B::Tensor>,
) {
    b.gemm(dfused, Gemm::new(Mat::t(dgates_all), Mat::n(inputs_all)));
    let n_in = b.shape(&g.weight_ih).1;
    let n_h = b.shape(&g.weight_hh).1;
    b.copy_cols(dfused, 0, &mut g.weight_ih, 0, n_in, false);
    b.copy_cols(dfused, n_in, &mut g.weight_hh, 0, n_h, false);
    b.sum_rows(dgates_all, &mut g.bias_ih);
    b.sum_rows(dgates_all, &mut g.bias_hh);
}

/// Refreshes `out` from the LSTM's parameters `l`.
fn fuse<B: Backend>(b: &B, l: &Lstm<B::Tensor>, out: &mut FusedLstm<B::Tensor>) {
    let n_in = b.shape(&l.weight_ih).1;
    let n_h = b.shape(&l.weight_hh).1;
    b.copy_cols(&l.weight_ih, 0, &mut out.weights, 0, n_in, false);
    b.copy_cols(&l.weight_hh, 0, &mut out.weights, n_in, n_h, false);
    b.transpose_rows(&l.weight_ih, &mut out.weights_t, 0);
    b.transpose_rows(&l.weight_hh, &mut out.weights_t, n_in);
    let gates = b.shape(&l.bias_ih).1;
    b.copy_cols(&l.bias_ih, 0, &mut out.bias, 0, gates, false);
    b.copy_cols(&l.bias_hh, 0, &mut out.bias, 0, gates, true);
}

/// Checks host parameter values against the shapes a configuration needs.
fn check_values(config: &DrawConfig, values: &DrawParams<Vec<f64>>) -> Result<()> {
    let shapes = params::shapes(config);
    let expected = shapes.named();
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
    Ok(())
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
        check_values(&config, values)?;
        let shapes = params::shapes(&config);
        let by_name: std::collections::HashMap<_, _> = shapes.named().into_iter().collect();
        let params = values.map(|name, v| {
            let s = &by_name[name];
            let data: Vec<B::F> = v.iter().map(|&x| B::F::of(x)).collect();
            b.tensor(s.rows, s.cols, &data)
        });
        let (e, d, z) = (config.enc_size, config.dec_size, config.z_size);
        let mut model = Draw {
            fused: FusedGates {
                encoder: FusedLstm::zeros(b, e, config.read_size() + d + e),
                decoder: FusedLstm::zeros(b, d, z + d),
                latent: Linear {
                    weight: b.zeros(2 * z, e),
                    bias: b.zeros(1, 2 * z),
                },
                write: geometry(&config, config.write).map(|g| {
                    let rows = 5 + g.patch_len() + next_read_head(&config);
                    Linear {
                        weight: b.zeros(rows, d),
                        bias: b.zeros(1, rows),
                    }
                }),
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
        fuse(b, &self.params.encoder, &mut self.fused.encoder);
        fuse(b, &self.params.decoder, &mut self.fused.decoder);
        let (p, out) = (&self.params, &mut self.fused.latent);
        let z = self.config.z_size;
        b.copy_rows(&p.mu.weight, &mut out.weight, 0);
        b.copy_rows(&p.logsigma.weight, &mut out.weight, z);
        b.copy_cols(&p.mu.bias, 0, &mut out.bias, 0, z, false);
        b.copy_cols(&p.logsigma.bias, 0, &mut out.bias, z, z, false);
        if let (Some(out), Some(head)) = (&mut self.fused.write, &p.write_attn) {
            let (heads, patch) = (b.shape(&head.bias).1, b.shape(&p.write.bias).1);
            b.copy_rows(&head.weight, &mut out.weight, 0);
            b.copy_rows(&p.write.weight, &mut out.weight, heads);
            b.copy_cols(&head.bias, 0, &mut out.bias, 0, heads, false);
            b.copy_cols(&p.write.bias, 0, &mut out.bias, heads, patch, false);
            if let (5, Some(read)) = (next_read_head(&self.config), &p.read_attn) {
                b.copy_rows(&read.weight, &mut out.weight, heads + patch);
                b.copy_cols(&read.bias, 0, &mut out.bias, heads + patch, 5, false);
            }
        }
    }

    /// A zeroed tensor per parameter (gradients, Adam moments).
    pub fn zeros_like(&self, b: &B) -> DrawParams<B::Tensor> {
        self.params.map(|_, t| {
            let (r, c) = b.shape(t);
            b.zeros(r, c)
        })
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
}
