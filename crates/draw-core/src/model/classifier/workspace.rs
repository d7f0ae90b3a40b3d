//! What a classifier's forward pass keeps for backward, and the backward scratch, allocated
//! once per batch size.

use super::Classifier;
use crate::backend::Backend;
use crate::model::workspace::{attn, Attn};

/// Everything one glimpse saves for the backward pass.
pub(super) struct GlimpseTape<T> {
    /// The window: head outputs and filterbanks.
    pub attn: Attn<T>,
    /// Activated LSTM gates.
    pub gates: T,
    /// Cell state c_t.
    pub c: T,
    /// Hidden state h_t.
    pub h: T,
}

/// Gradient buffers of the backward pass.
pub(super) struct ClassifierScratch<T> {
    pub dlogits: T,
    pub dh: T,
    pub dh_next: T,
    pub dc: T,
    pub dgates: T,
    /// Gradient on one glimpse's LSTM input `[r_t, h_{t−1}]`.
    pub din: T,
    /// Gradient on the read's output `[r_t, 0]`: the second half (the blank image's glimpse)
    /// stays zero.
    pub dr: T,
    /// The read backward's gradient on the blank image (unused).
    pub dblank: T,
    pub dfx: T,
    pub dfy: T,
    pub dp: T,
    /// ∂L/∂[W_ih | W_hh].
    pub dfused: T,
}

/// Preallocated activations and gradient buffers for one batch size.
pub struct ClassifierWorkspace<B: Backend> {
    pub(super) batch: usize,
    pub(super) x: B::Tensor,
    /// Zeros: the read op reads `[x, x̂]`; the classifier has no x̂ and passes this.
    pub(super) blank: B::Tensor,
    /// Class labels as floats, rows × 1.
    pub(super) labels: B::Tensor,
    /// h_0 = c_0 = 0.
    pub(super) h0: B::Tensor,
    pub(super) c0: B::Tensor,
    pub(super) steps: Vec<GlimpseTape<B::Tensor>>,
    /// The read's output `[r_t, r̂_t]` (the second half reads the blank image).
    pub(super) read_out: B::Tensor,
    /// One glimpse's LSTM input `[r_t, h_{t−1}]`.
    pub(super) lstm_in: B::Tensor,
    /// Every glimpse's LSTM input, glimpse t in rows t·B..(t+1)·B.
    pub(super) lstm_in_all: B::Tensor,
    pub(super) logits: B::Tensor,
    pub(super) loss: B::Tensor,
    pub(super) correct: B::Tensor,
    /// The gate gradients of every glimpse, rows as in `lstm_in_all`, and the scratch:
    /// allocated by the first backward pass, so evaluation workspaces stay small.
    pub(super) grads: Option<(B::Tensor, ClassifierScratch<B::Tensor>)>,
}

impl<B: Backend> ClassifierWorkspace<B> {
    /// The batch size this workspace was built for.
    pub fn batch(&self) -> usize {
        self.batch
    }
    /// The class logits of the last forward pass, rows × K.
    pub fn logits(&self) -> &B::Tensor {
        &self.logits
    }
    /// Glimpse `t`'s raw window parameters `[g̃X, g̃Y, log σ², log δ̃, log γ]` of the last
    /// forward pass, rows × 5; `None` past the last glimpse.
    pub fn window(&self, t: usize) -> Option<&B::Tensor> {
        self.steps.get(t).map(|s| &s.attn.p)
    }
}

impl<B: Backend> Classifier<B> {
    /// Buffers for batches of `batch` examples.
    pub fn workspace(&self, b: &B, batch: usize) -> ClassifierWorkspace<B> {
        let cfg = &self.config;
        let (n, h, g) = (batch, cfg.lstm_size, cfg.glimpse_size());
        let z0 = |c: usize| b.zeros(n, c);
        let steps = (0..cfg.glimpses)
            .map(|_| GlimpseTape {
                attn: attn(b, n, cfg.geometry()),
                gates: z0(4 * h),
                c: z0(h),
                h: z0(h),
            })
            .collect();
        ClassifierWorkspace {
            batch,
            x: z0(cfg.image_size()),
            blank: z0(cfg.image_size()),
            labels: z0(1),
            h0: z0(h),
            c0: z0(h),
            steps,
            read_out: z0(2 * g),
            lstm_in: z0(g + h),
            lstm_in_all: b.zeros(cfg.glimpses * n, g + h),
            logits: z0(cfg.classes),
            loss: z0(1),
            correct: z0(1),
            grads: None,
        }
    }

    /// The backward pass's buffers for `n` rows.
    pub(super) fn scratch(&self, b: &B, n: usize) -> (B::Tensor, ClassifierScratch<B::Tensor>) {
        let cfg = &self.config;
        let (h, g, geo) = (cfg.lstm_size, cfg.glimpse_size(), cfg.geometry());
        let z0 = |c: usize| b.zeros(n, c);
        let scratch = ClassifierScratch {
            dlogits: z0(cfg.classes),
            dh: z0(h),
            dh_next: z0(h),
            dc: z0(h),
            dgates: z0(4 * h),
            din: z0(g + h),
            dr: z0(2 * g),
            dblank: z0(cfg.image_size()),
            dfx: z0(geo.fx_len()),
            dfy: z0(geo.fy_len()),
            dp: z0(5),
            dfused: b.zeros(4 * h, g + h),
        };
        (b.zeros(cfg.glimpses * n, 4 * h), scratch)
    }
}
