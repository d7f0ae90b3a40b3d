//! The model's parameters: names and shapes (PyTorch's), initialisation, and a container that
//! holds one tensor per parameter (used for weights, gradients and Adam moments alike).

use crate::config::{DrawConfig, Glimpse};
use crate::rng::NoiseKey;

/// `nn.Linear`: `weight [out, in]`, `bias [out]` (stored as 1 × out).
#[derive(Clone, Debug, PartialEq)]
pub struct Linear<T> {
    /// Weight, out × in.
    pub weight: T,
    /// Bias, 1 × out.
    pub bias: T,
}

/// `nn.LSTMCell`: gate order i, f, g, o.
#[derive(Clone, Debug, PartialEq)]
pub struct Lstm<T> {
    /// 4H × input.
    pub weight_ih: T,
    /// 4H × H.
    pub weight_hh: T,
    /// 1 × 4H.
    pub bias_ih: T,
    /// 1 × 4H.
    pub bias_hh: T,
}

/// Learned initial states (each 1 × size, broadcast over the batch).
#[derive(Clone, Debug, PartialEq)]
pub struct InitState<T> {
    /// c₀, the canvas logits before the first step (1 × C·B·A).
    pub canvas: T,
    /// h^enc₀.
    pub h_enc: T,
    /// Encoder cell state c^enc₀.
    pub c_enc: T,
    /// h^dec₀.
    pub h_dec: T,
    /// Decoder cell state c^dec₀.
    pub c_dec: T,
}

/// One `T` per parameter of a DRAW model.
#[derive(Clone, Debug, PartialEq)]
pub struct DrawParams<T> {
    /// Encoder LSTM; its input is `[r_t, h^dec_{t−1}]`.
    pub encoder: Lstm<T>,
    /// Decoder LSTM; its input is `z_t`.
    pub decoder: Lstm<T>,
    /// μ head, z × enc.
    pub mu: Linear<T>,
    /// log σ head, z × enc.
    pub logsigma: Linear<T>,
    /// Read attention head, 5 × dec (attention reads only).
    pub read_attn: Option<Linear<T>>,
    /// Write attention head, 5 × dec (attention writes only).
    pub write_attn: Option<Linear<T>>,
    /// Write patch (or whole canvas), write_size × dec.
    pub write: Linear<T>,
    /// Learned initial states.
    pub init: InitState<T>,
}

/// A parameter's internal shape (rows × cols) and its PyTorch shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamShape {
    /// Rows of the backend tensor.
    pub rows: usize,
    /// Columns of the backend tensor.
    pub cols: usize,
    /// Rank-1 in PyTorch (biases, initial states) rather than rank-2.
    pub vector: bool,
}

impl ParamShape {
    pub(crate) fn matrix(rows: usize, cols: usize) -> Self {
        ParamShape {
            rows,
            cols,
            vector: false,
        }
    }
    pub(crate) fn vector(len: usize) -> Self {
        ParamShape {
            rows: 1,
            cols: len,
            vector: true,
        }
    }
    /// Elements in the tensor.
    pub fn len(&self) -> usize {
        self.rows * self.cols
    }
    /// Whether the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The shape as PyTorch stores it.
    pub fn torch_shape(&self) -> Vec<usize> {
        if self.vector {
            vec![self.cols]
        } else {
            vec![self.rows, self.cols]
        }
    }
}

impl<T> DrawParams<T> {
    /// Every parameter with its PyTorch name, in a fixed order.
    pub fn named(&self) -> Vec<(&'static str, &T)> {
        let mut v = vec![
            ("encoder.weight_ih", &self.encoder.weight_ih),
            ("encoder.weight_hh", &self.encoder.weight_hh),
            ("encoder.bias_ih", &self.encoder.bias_ih),
            ("encoder.bias_hh", &self.encoder.bias_hh),
            ("decoder.weight_ih", &self.decoder.weight_ih),
            ("decoder.weight_hh", &self.decoder.weight_hh),
            ("decoder.bias_ih", &self.decoder.bias_ih),
            ("decoder.bias_hh", &self.decoder.bias_hh),
            ("mu.weight", &self.mu.weight),
            ("mu.bias", &self.mu.bias),
            ("logsigma.weight", &self.logsigma.weight),
            ("logsigma.bias", &self.logsigma.bias),
        ];
        if let Some(l) = &self.read_attn {
            v.push(("read_attn.weight", &l.weight));
            v.push(("read_attn.bias", &l.bias));
        }
        if let Some(l) = &self.write_attn {
            v.push(("write_attn.weight", &l.weight));
            v.push(("write_attn.bias", &l.bias));
        }
        v.extend([
            ("write.weight", &self.write.weight),
            ("write.bias", &self.write.bias),
            ("init.canvas", &self.init.canvas),
            ("init.h_enc", &self.init.h_enc),
            ("init.c_enc", &self.init.c_enc),
            ("init.h_dec", &self.init.h_dec),
            ("init.c_dec", &self.init.c_dec),
        ]);
        v
    }

    /// Every parameter, mutably, in the order of [`DrawParams::named`].
    pub fn named_mut(&mut self) -> Vec<(&'static str, &mut T)> {
        let mut v = vec![
            ("encoder.weight_ih", &mut self.encoder.weight_ih),
            ("encoder.weight_hh", &mut self.encoder.weight_hh),
            ("encoder.bias_ih", &mut self.encoder.bias_ih),
            ("encoder.bias_hh", &mut self.encoder.bias_hh),
            ("decoder.weight_ih", &mut self.decoder.weight_ih),
            ("decoder.weight_hh", &mut self.decoder.weight_hh),
            ("decoder.bias_ih", &mut self.decoder.bias_ih),
            ("decoder.bias_hh", &mut self.decoder.bias_hh),
            ("mu.weight", &mut self.mu.weight),
            ("mu.bias", &mut self.mu.bias),
            ("logsigma.weight", &mut self.logsigma.weight),
            ("logsigma.bias", &mut self.logsigma.bias),
        ];
        if let Some(l) = &mut self.read_attn {
            v.push(("read_attn.weight", &mut l.weight));
            v.push(("read_attn.bias", &mut l.bias));
        }
        if let Some(l) = &mut self.write_attn {
            v.push(("write_attn.weight", &mut l.weight));
            v.push(("write_attn.bias", &mut l.bias));
        }
        v.extend([
            ("write.weight", &mut self.write.weight),
            ("write.bias", &mut self.write.bias),
            ("init.canvas", &mut self.init.canvas),
            ("init.h_enc", &mut self.init.h_enc),
            ("init.c_enc", &mut self.init.c_enc),
            ("init.h_dec", &mut self.init.h_dec),
            ("init.c_dec", &mut self.init.c_dec),
        ]);
        v
    }

    /// A container of the same layout with each entry mapped.
    pub fn map<U>(&self, mut f: impl FnMut(&'static str, &T) -> U) -> DrawParams<U> {
        // Built in the order of `named`, so `f` sees the parameters in that order.
        macro_rules! lstm {
            ($l:expr, $p:literal) => {
                Lstm {
                    weight_ih: f(concat!($p, ".weight_ih"), &$l.weight_ih),
                    weight_hh: f(concat!($p, ".weight_hh"), &$l.weight_hh),
                    bias_ih: f(concat!($p, ".bias_ih"), &$l.bias_ih),
                    bias_hh: f(concat!($p, ".bias_hh"), &$l.bias_hh),
                }
            };
        }
        macro_rules! lin {
            ($l:expr, $p:literal) => {
                Linear {
                    weight: f(concat!($p, ".weight"), &$l.weight),
                    bias: f(concat!($p, ".bias"), &$l.bias),
                }
            };
        }
        let encoder = lstm!(self.encoder, "encoder");
        let decoder = lstm!(self.decoder, "decoder");
        let mu = lin!(self.mu, "mu");
        let logsigma = lin!(self.logsigma, "logsigma");
        let read_attn = self.read_attn.as_ref().map(|l| lin!(l, "read_attn"));
        let write_attn = self.write_attn.as_ref().map(|l| lin!(l, "write_attn"));
        let write = lin!(self.write, "write");
        let init = InitState {
            canvas: f("init.canvas", &self.init.canvas),
            h_enc: f("init.h_enc", &self.init.h_enc),
            c_enc: f("init.c_enc", &self.init.c_enc),
            h_dec: f("init.h_dec", &self.init.h_dec),
            c_dec: f("init.c_dec", &self.init.c_dec),
        };
        DrawParams {
            encoder,
            decoder,
            mu,
            logsigma,
            read_attn,
            write_attn,
            write,
            init,
        }
    }
}

/// A model's parameter container: one `T` per parameter under its PyTorch name. Adam, the
/// gradient norm and the checkpoints work through it, so the generative model
/// ([`DrawParams`]) and the classifier
/// ([`ClassifierParams`](crate::model::classifier::ClassifierParams)) share them.
pub trait ParamSet<T> {
    /// The same container holding `U`s.
    type Of<U>: ParamSet<U>;
    /// Every parameter with its name, in a fixed order.
    fn named(&self) -> Vec<(&'static str, &T)>;
    /// Every parameter, mutably, in the order of [`ParamSet::named`].
    fn named_mut(&mut self) -> Vec<(&'static str, &mut T)>;
    /// The same layout with each entry mapped, visited in the order of [`ParamSet::named`].
    fn map<U>(&self, f: impl FnMut(&'static str, &T) -> U) -> Self::Of<U>;
}

impl<T> ParamSet<T> for DrawParams<T> {
    type Of<U> = DrawParams<U>;
    fn named(&self) -> Vec<(&'static str, &T)> {
        DrawParams::named(self)
    }
    fn named_mut(&mut self) -> Vec<(&'static str, &mut T)> {
        DrawParams::named_mut(self)
    }
    fn map<U>(&self, f: impl FnMut(&'static str, &T) -> U) -> DrawParams<U> {
        DrawParams::map(self, f)
    }
}

/// The shape of every parameter for `cfg`.
pub fn shapes(cfg: &DrawConfig) -> DrawParams<ParamShape> {
    let (e, d, z) = (cfg.enc_size, cfg.dec_size, cfg.z_size);
    let m = ParamShape::matrix;
    let v = ParamShape::vector;
    let lstm = |h: usize, input: usize| Lstm {
        weight_ih: m(4 * h, input),
        weight_hh: m(4 * h, h),
        bias_ih: v(4 * h),
        bias_hh: v(4 * h),
    };
    let lin = |out: usize, input: usize| Linear {
        weight: m(out, input),
        bias: v(out),
    };
    let attn = |g: Glimpse| match g {
        Glimpse::Attention { .. } => Some(lin(5, d)),
        Glimpse::Full => None,
    };
    DrawParams {
        encoder: lstm(e, cfg.read_size() + d),
        decoder: lstm(d, z),
        mu: lin(z, e),
        logsigma: lin(z, e),
        read_attn: attn(cfg.read),
        write_attn: attn(cfg.write),
        write: lin(cfg.write_size(), d),
        init: InitState {
            canvas: v(cfg.image_size()),
            h_enc: v(e),
            c_enc: v(e),
            h_dec: v(d),
            c_dec: v(d),
        },
    }
}

/// Where an attention grid starts: the fraction δ̃ of the image its N filters span, the filter
/// width as a fraction of the stride (σ = ratio·δ), and whether the intensity γ compensates the
/// filters' spread.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AttentionInit {
    /// δ̃ at initialisation (1 spans the whole image, eq. 16).
    pub extent: f64,
    /// σ/δ at initialisation.
    pub sigma_over_delta: f64,
    /// Start 1/γ at 2πσ², the inverse of a unit 2-D Gaussian's peak, so that a unit patch
    /// value adds about one logit at its filter's centre (write); otherwise γ = 1 (read).
    pub unit_peak: bool,
}

/// The read grid starts on the image centre spanning a quarter of it, with filters about one
/// pixel wide (σ = 0.15·δ; for MNIST's 2 × 2 read, δ = 6.75 px and σ ≈ 1 px): each of the four
/// readings is then a nearly single-pixel sample of the digit's core, which varies strongly
/// between examples and so gives the encoder something to encode from the first step.
pub const READ_INIT: AttentionInit = AttentionInit {
    extent: 0.25,
    sigma_over_delta: 0.15,
    unit_peak: false,
};
/// The write grid starts spanning the whole canvas with filters half a stride wide, and with
/// 1/γ̂ = 2πσ². Without that, each unit of the patch is spread over a Gaussian of mass one
/// (peak 1/(2πσ²) ≈ 0.014 for MNIST's 5 × 5 write), the decoder needs patch values in the
/// hundreds to move the canvas, the write head's gradients explode and the latent collapses.
pub const WRITE_INIT: AttentionInit = AttentionInit {
    extent: 1.0,
    sigma_over_delta: 0.5,
    unit_peak: true,
};
/// Attention-head weights start at this fraction of PyTorch's default range, so that every
/// example starts near the designed grid.
pub const ATTENTION_WEIGHT_SCALE: f64 = 0.1;

/// The bias `[g̃X, g̃Y, log σ², log δ̃, log γ]` that puts a grid of `n` filters where `init` says.
pub fn attention_bias(cfg: &DrawConfig, n: usize, init: AttentionInit) -> [f64; 5] {
    let span = (cfg.width.max(cfg.height) - 1) as f64 / (n - 1) as f64;
    let delta = span * init.extent;
    let sigma2 = (delta * init.sigma_over_delta).powi(2);
    let log_gamma = if init.unit_peak {
        -(std::f64::consts::TAU * sigma2).ln()
    } else {
        0.0
    };
    [0.0, 0.0, sigma2.ln(), init.extent.ln(), log_gamma]
}

/// Initial values on the host: PyTorch's defaults (U(−1/√fan, 1/√fan) for LSTM and linear
/// layers), zeros for the learned initial states, and the attention heads as described at
/// [`READ_INIT`], [`WRITE_INIT`] and [`ATTENTION_WEIGHT_SCALE`]. Deterministic in `seed`.
pub fn initial_values(cfg: &DrawConfig, seed: u64) -> DrawParams<Vec<f64>> {
    let s = shapes(cfg);
    let mut stream = 0u64;
    let mut uniform = |len: usize, bound: f64| {
        stream += 1;
        let key = NoiseKey::new(seed ^ 0x5eed_1a17, stream);
        (0..len as u64)
            .map(|i| (2.0 * key.uniform(i) - 1.0) * bound)
            .collect::<Vec<f64>>()
    };
    let lstm = |l: &Lstm<ParamShape>, h: usize, u: &mut dyn FnMut(usize, f64) -> Vec<f64>| {
        let b = 1.0 / (h as f64).sqrt();
        Lstm {
            weight_ih: u(l.weight_ih.len(), b),
            weight_hh: u(l.weight_hh.len(), b),
            bias_ih: u(l.bias_ih.len(), b),
            bias_hh: u(l.bias_hh.len(), b),
        }
    };
    let lin = |l: &Linear<ParamShape>, u: &mut dyn FnMut(usize, f64) -> Vec<f64>| {
        let b = 1.0 / (l.weight.cols as f64).sqrt();
        Linear {
            weight: u(l.weight.len(), b),
            bias: u(l.bias.len(), b),
        }
    };
    let encoder = lstm(&s.encoder, cfg.enc_size, &mut uniform);
    let decoder = lstm(&s.decoder, cfg.dec_size, &mut uniform);
    let mu = lin(&s.mu, &mut uniform);
    let logsigma = lin(&s.logsigma, &mut uniform);
    let mut attn = |shape: &Option<Linear<ParamShape>>, g: Glimpse, init: AttentionInit| {
        let (l, n) = match (shape, g) {
            (Some(l), Glimpse::Attention { n }) => (l, n),
            _ => return None,
        };
        let mut w = lin(l, &mut uniform);
        w.weight
            .iter_mut()
            .for_each(|v| *v *= ATTENTION_WEIGHT_SCALE);
        w.bias = attention_bias(cfg, n, init).to_vec();
        Some(w)
    };
    let read_attn = attn(&s.read_attn, cfg.read, READ_INIT);
    let write_attn = attn(&s.write_attn, cfg.write, WRITE_INIT);
    let write = lin(&s.write, &mut uniform);
    let zeros = |p: &ParamShape| vec![0.0; p.len()];
    DrawParams {
        encoder,
        decoder,
        mu,
        logsigma,
        read_attn,
        write_attn,
        write,
        init: InitState {
            canvas: zeros(&s.init.canvas),
            h_enc: zeros(&s.init.h_enc),
            c_enc: zeros(&s.init.c_enc),
            h_dec: zeros(&s.init.h_dec),
            c_dec: zeros(&s.init.c_dec),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mnist_attention_starts_where_documented() {
        let cfg = crate::preset("mnist").unwrap().model;
        let r = attention_bias(&cfg, 2, READ_INIT);
        // δ = 27·0.25 = 6.75 px, σ = 0.15·6.75 = 1.0125 px, γ = 1.
        assert!((r[3].exp() * 27.0 - 6.75).abs() < 1e-12);
        assert!((r[2].exp().sqrt() - 1.0125).abs() < 1e-12);
        assert_eq!(r[4], 0.0);
        let w = attention_bias(&cfg, 5, WRITE_INIT);
        // δ = 27/4 = 6.75 px, σ = 3.375 px, 1/γ̂ = 2π·3.375².
        assert!((w[2].exp().sqrt() - 3.375).abs() < 1e-12);
        assert!(((-w[4]).exp() - std::f64::consts::TAU * 3.375 * 3.375).abs() < 1e-9);
    }
}
