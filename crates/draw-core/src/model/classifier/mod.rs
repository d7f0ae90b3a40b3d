//! The recurrent attention classifier of the paper's Section 4.1: T glimpses of an N × N read
//! window, an LSTM over the glimpses, and a softmax over the classes after the last one.
//!
//! Glimpse t (1-based): p_t = W_attn·h_{t−1} + b_attn (eq. 13's five window parameters), the
//! filterbanks F_X, F_Y from p_t, the glimpse r_t = γ·F_Y x F_Xᵀ (eq. 27 on the image alone),
//! and h_t = LSTM(h_{t−1}, r_t). After glimpse T, class logits W_cls·h_T + b_cls and the
//! softmax cross-entropy. h_0 = c_0 = 0 (not learned), so the first window is the attention
//! layer's bias: a learned, example-independent first look (it starts on the whole image, see
//! [`CLASSIFIER_READ_INIT`]); every later window depends on what the glimpses so far showed.
//! The softmax reads h_T alone: the LSTM state is the only place the glimpses are combined,
//! and h_T is the one state that has seen all of them.
//!
//! - `workspace`: the per-glimpse tapes and the backward scratch;
//! - `forward`, `backward`: the glimpse stages (attend → read → LSTM) and their reverse;
//! - `train`: Adam on the classifier and the error-rate evaluation.

mod backward;
mod forward;
mod train;
mod workspace;

pub use train::{classification_error, ClassifierTrainer};
pub use workspace::ClassifierWorkspace;

use super::{fuse, FusedLstm};
use crate::backend::Backend;
use crate::config::TrainConfig;
use crate::error::{DrawError, Result};
use crate::kernels::filterbank::Geometry;
use crate::params::{AttentionInit, Linear, Lstm, ParamSet, ParamShape, ATTENTION_WEIGHT_SCALE};
use crate::rng::NoiseKey;
use crate::Float;
use serde::{Deserialize, Serialize};

/// The classifier's shape: image, glimpses, read window, LSTM and classes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassifierConfig {
    /// Image width A.
    pub width: usize,
    /// Image height B.
    pub height: usize,
    /// Colour channels C.
    pub channels: usize,
    /// Glimpses T.
    pub glimpses: usize,
    /// Read grid size N.
    pub read_n: usize,
    /// LSTM size.
    pub lstm_size: usize,
    /// Number of classes K.
    pub classes: usize,
}

impl ClassifierConfig {
    /// Pixels per image, C·B·A.
    pub fn image_size(&self) -> usize {
        self.channels * self.height * self.width
    }
    /// Values per glimpse, C·N².
    pub fn glimpse_size(&self) -> usize {
        self.channels * self.read_n * self.read_n
    }
    /// The read window's geometry.
    pub fn geometry(&self) -> Geometry {
        Geometry {
            n: self.read_n,
            width: self.width,
            height: self.height,
            channels: self.channels,
        }
    }

    /// Checks that the classifier can run, naming the first field at fault.
    pub fn validate(&self) -> Result<()> {
        let fields = [
            ("width", self.width, 1, 1 << 14),
            ("height", self.height, 1, 1 << 14),
            ("channels", self.channels, 1, 64),
            ("glimpses", self.glimpses, 1, 4096),
            ("read_n", self.read_n, 2, self.width.min(self.height).max(2)),
            ("lstm_size", self.lstm_size, 1, 1 << 16),
            ("classes", self.classes, 2, 1 << 16),
        ];
        for (field, v, lo, hi) in fields {
            if v < lo || v > hi {
                return Err(DrawError::Config {
                    field,
                    reason: format!("{v} is outside {lo}..={hi}"),
                });
            }
        }
        Ok(())
    }
}

/// One `T` per parameter of a classifier, under PyTorch names (`attn.weight`, `lstm.weight_ih`,
/// …, `classify.bias`).
#[derive(Clone, Debug, PartialEq)]
pub struct ClassifierParams<T> {
    /// The attention layer, 5 × H: h_{t−1} → the window of glimpse t.
    pub attn: Linear<T>,
    /// The LSTM; its input is the glimpse, C·N².
    pub lstm: Lstm<T>,
    /// The class layer, K × H: h_T → logits.
    pub classify: Linear<T>,
}

impl<T> ParamSet<T> for ClassifierParams<T> {
    type Of<U> = ClassifierParams<U>;

    fn named(&self) -> Vec<(&'static str, &T)> {
        vec![
            ("attn.weight", &self.attn.weight),
            ("attn.bias", &self.attn.bias),
            ("lstm.weight_ih", &self.lstm.weight_ih),
            ("lstm.weight_hh", &self.lstm.weight_hh),
            ("lstm.bias_ih", &self.lstm.bias_ih),
            ("lstm.bias_hh", &self.lstm.bias_hh),
            ("classify.weight", &self.classify.weight),
            ("classify.bias", &self.classify.bias),
        ]
    }

    fn named_mut(&mut self) -> Vec<(&'static str, &mut T)> {
        vec![
            ("attn.weight", &mut self.attn.weight),
            ("attn.bias", &mut self.attn.bias),
            ("lstm.weight_ih", &mut self.lstm.weight_ih),
            ("lstm.weight_hh", &mut self.lstm.weight_hh),
            ("lstm.bias_ih", &mut self.lstm.bias_ih),
            ("lstm.bias_hh", &mut self.lstm.bias_hh),
            ("classify.weight", &mut self.classify.weight),
            ("classify.bias", &mut self.classify.bias),
        ]
    }

    fn map<U>(&self, mut f: impl FnMut(&'static str, &T) -> U) -> ClassifierParams<U> {
        let attn = Linear {
            weight: f("attn.weight", &self.attn.weight),
            bias: f("attn.bias", &self.attn.bias),
        };
        let lstm = Lstm {
            weight_ih: f("lstm.weight_ih", &self.lstm.weight_ih),
            weight_hh: f("lstm.weight_hh", &self.lstm.weight_hh),
            bias_ih: f("lstm.bias_ih", &self.lstm.bias_ih),
            bias_hh: f("lstm.bias_hh", &self.lstm.bias_hh),
        };
        let classify = Linear {
            weight: f("classify.weight", &self.classify.weight),
            bias: f("classify.bias", &self.classify.bias),
        };
        ClassifierParams {
            attn,
            lstm,
            classify,
        }
    }
}

/// The shape of every classifier parameter for `cfg`.
pub fn shapes(cfg: &ClassifierConfig) -> ClassifierParams<ParamShape> {
    let (h, m, v) = (cfg.lstm_size, ParamShape::matrix, ParamShape::vector);
    ClassifierParams {
        attn: Linear {
            weight: m(5, h),
            bias: v(5),
        },
        lstm: Lstm {
            weight_ih: m(4 * h, cfg.glimpse_size()),
            weight_hh: m(4 * h, h),
            bias_ih: v(4 * h),
            bias_hh: v(4 * h),
        },
        classify: Linear {
            weight: m(cfg.classes, h),
            bias: v(cfg.classes),
        },
    }
}

/// The first window: the whole image (δ̃ = 1), filters half a stride wide (σ = δ/2, so the
/// N × N glimpse is a smoothed low-resolution view of everything), γ = 1. From there the
/// attention layer learns where to look next.
pub const CLASSIFIER_READ_INIT: AttentionInit = AttentionInit {
    extent: 1.0,
    sigma_over_delta: 0.5,
    unit_peak: false,
};

/// Initial values on the host: PyTorch's defaults (U(−1/√fan, 1/√fan)), the attention layer's
/// weights scaled by [`ATTENTION_WEIGHT_SCALE`] and its bias at [`CLASSIFIER_READ_INIT`].
/// Deterministic in `seed`.
pub fn initial_values(cfg: &ClassifierConfig, seed: u64) -> ClassifierParams<Vec<f64>> {
    let mut stream = 0u64;
    let as_draw = crate::DrawConfig {
        width: cfg.width,
        height: cfg.height,
        channels: cfg.channels,
        steps: cfg.glimpses,
        read: crate::Glimpse::Attention { n: cfg.read_n },
        write: crate::Glimpse::Full,
        enc_size: cfg.lstm_size,
        dec_size: cfg.lstm_size,
        z_size: 1,
    };
    let bias = crate::params::attention_bias(&as_draw, cfg.read_n, CLASSIFIER_READ_INIT);
    shapes(cfg).map(|name, s| {
        stream += 1;
        let key = NoiseKey::new(seed ^ 0x0c1a_55e5, stream);
        // Every layer's fan (PyTorch's bound for LSTMCell and for Linear from h) is H.
        let bound = 1.0 / (cfg.lstm_size as f64).sqrt();
        let scale = if name == "attn.weight" {
            ATTENTION_WEIGHT_SCALE
        } else {
            1.0
        };
        match name {
            "attn.bias" => bias.to_vec(),
            _ => (0..s.len() as u64)
                .map(|i| (2.0 * key.uniform(i) - 1.0) * bound * scale)
                .collect(),
        }
    })
}

/// Loss and error sums of a classifier over a batch.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Score {
    /// Σ cross-entropy, nats.
    pub loss: f64,
    /// Examples whose most probable class is their label.
    pub correct: f64,
    /// Examples summed.
    pub examples: usize,
}

impl Score {
    /// Mean cross-entropy per example.
    pub fn mean_loss(&self) -> f64 {
        self.loss / self.examples.max(1) as f64
    }
    /// Error rate in percent.
    pub fn error_percent(&self) -> f64 {
        100.0 * (1.0 - self.correct / self.examples.max(1) as f64)
    }
    /// Adds another batch's sums.
    pub fn add(&mut self, other: &Score) {
        self.loss += other.loss;
        self.correct += other.correct;
        self.examples += other.examples;
    }
}

/// A recurrent attention classifier resident on a backend.
pub struct Classifier<B: Backend> {
    config: ClassifierConfig,
    params: ClassifierParams<B::Tensor>,
    /// `[W_ih | W_hh]` (4H × (C·N² + H)), its transpose and `b_ih + b_hh`.
    fused: FusedLstm<B::Tensor>,
}

impl<B: Backend> Classifier<B> {
    /// A freshly initialised classifier ([`initial_values`]).
    pub fn new(b: &B, config: ClassifierConfig, seed: u64) -> Result<Self> {
        config.validate()?;
        let values = initial_values(&config, seed);
        Self::from_values(b, config, &values)
    }

    /// A classifier holding the given host values, checked against the config's shapes.
    pub fn from_values(
        b: &B,
        config: ClassifierConfig,
        values: &ClassifierParams<Vec<f64>>,
    ) -> Result<Self> {
        config.validate()?;
        let shapes = shapes(&config);
        for ((name, v), (_, s)) in values.named().into_iter().zip(shapes.named()) {
            if v.len() != s.len() {
                return Err(DrawError::Shape(format!(
                    "{name}: {} values given, {:?} needs {}",
                    v.len(),
                    s.torch_shape(),
                    s.len()
                )));
            }
        }
        let mut it = values.named().into_iter();
        let params = shapes.map(|_, s| {
            let (_, v) = it.next().expect("same layout");
            let data: Vec<B::F> = v.iter().map(|&x| B::F::of(x)).collect();
            b.tensor(s.rows, s.cols, &data)
        });
        let width = config.glimpse_size() + config.lstm_size;
        let mut model = Classifier {
            fused: FusedLstm::zeros(b, config.lstm_size, width),
            config,
            params,
        };
        model.sync(b);
        Ok(model)
    }

    fn sync(&mut self, b: &B) {
        fuse(b, &self.params.lstm, &mut self.fused);
    }

    /// The parameters copied to the host as f64.
    pub fn values(&self, b: &B) -> ClassifierParams<Vec<f64>> {
        self.params
            .map(|_, t| b.download(t).into_iter().map(|x| x.f64()).collect())
    }

    /// The configuration.
    pub fn config(&self) -> &ClassifierConfig {
        &self.config
    }

    /// The parameters.
    pub fn params(&self) -> &ClassifierParams<B::Tensor> {
        &self.params
    }

    /// Changes the parameters through `f`, then refreshes the fused LSTM weights.
    pub fn update_params<R>(
        &mut self,
        b: &B,
        f: impl FnOnce(&mut ClassifierParams<B::Tensor>) -> R,
    ) -> R {
        let r = f(&mut self.params);
        self.sync(b);
        r
    }

    /// A zeroed tensor per parameter (gradients).
    pub fn zeros_like(&self, b: &B) -> ClassifierParams<B::Tensor> {
        self.params.map(|_, t| {
            let (r, c) = b.shape(t);
            b.zeros(r, c)
        })
    }
}

/// A named classifier and training configuration (`draw train --preset NAME`).
#[derive(Clone, Debug)]
pub struct ClassifierPreset {
    /// Name used on the command line.
    pub name: &'static str,
    /// One line for `draw presets` and the README.
    pub description: &'static str,
    /// The classifier.
    pub model: ClassifierConfig,
    /// The optimiser settings.
    pub train: TrainConfig,
}

fn cluttered_model(side: usize) -> ClassifierConfig {
    ClassifierConfig {
        width: side,
        height: side,
        channels: 1,
        glimpses: 8,
        read_n: 12,
        lstm_size: 256,
        classes: 10,
    }
}

/// The classifier presets. Adam at 3e-4 with clipping at 10: at 1e-3 a PyTorch model of the
/// same classifier reached 12 % in five epochs and then diverged for good
/// (`shared/papers/experiments-and-pitfalls.md`); at 3e-4 it stayed stable.
pub fn classifier_presets() -> Vec<ClassifierPreset> {
    let train = TrainConfig {
        learning_rate: 3e-4,
        epochs: 20,
        ..TrainConfig::default()
    };
    vec![
        ClassifierPreset {
            name: "cluttered",
            description:
                "the paper's cluttered-MNIST classifier: 100x100, 8 glimpses of 12x12, LSTM 256",
            model: cluttered_model(100),
            train: train.clone(),
        },
        ClassifierPreset {
            name: "cluttered60",
            description: "the same classifier on 60x60 cluttered MNIST (4 pieces of clutter)",
            model: cluttered_model(60),
            train: TrainConfig {
                epochs: 10,
                ..train
            },
        },
    ]
}

/// The classifier preset called `name`, if there is one.
pub fn classifier_preset(name: &str) -> Option<ClassifierPreset> {
    classifier_presets().into_iter().find(|p| p.name == name)
}
