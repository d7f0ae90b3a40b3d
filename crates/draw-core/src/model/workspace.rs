//! What a forward pass keeps for backward: the per-step tapes, the gathered LSTM inputs and
//! the gradient scratch, allocated once per batch size.

use super::{geometry, Draw};
use crate::backend::{Backend, Storage};
use crate::kernels::filterbank::Geometry;
use crate::params::InitState;

/// Attention state of one glimpse: its geometry, raw head outputs (rows × 5) and the two
/// filterbanks.
pub(super) struct Attn<T> {
    pub geo: Geometry,
    pub p: T,
    pub fx: T,
    pub fy: T,
}

/// How a step read the image: the whole image and the error image, or through attention.
pub(super) enum ReadTape<T> {
    /// `[x, x̂]` went into the encoder as they are.
    Full,
    /// An N × N glimpse of each (eq. 27).
    Attention(Attn<T>),
}

/// How a step wrote to the canvas: a linear map to every pixel, or an attention patch.
pub(super) enum WriteTape<T> {
    /// c += W·h^dec + b.
    Full,
    /// c += (1/γ̂)·F̂_Yᵀ w F̂_X, with the patch w = W·h^dec + b (eq. 28–29).
    Attention {
        /// The write window.
        attn: Attn<T>,
        /// The N × N (per channel) patch written.
        patch: T,
        /// `[p | patch]` (`[p | patch | p_read]` with an attention read: the next step's read
        /// window), the fused layer's product, which its `gemm_to` copies into `attn.p`,
        /// `patch` (and the next step's read window).
        out: T,
    },
}

/// Everything one step saves for the backward pass.
pub(super) struct StepTape<T> {
    pub xhat: T,
    pub read: ReadTape<T>,
    pub enc_gates: T,
    pub enc_c: T,
    pub enc_h: T,
    /// `[μ | log σ]`, one GEMM's output.
    pub mu_logsig: T,
    pub eps: T,
    pub z: T,
    pub dec_gates: T,
    pub dec_c: T,
    pub dec_h: T,
    pub write: WriteTape<T>,
}

/// The recurrent states step t starts from: step t − 1's, or the learned initial ones (h^enc_{t−1}
/// reaches step t only as columns of its input, written by the cell).
pub(super) struct Previous<'a, T> {
    pub h_dec: &'a T,
    pub c_dec: &'a T,
    pub c_enc: &'a T,
}

/// The states step `t` starts from, where `steps[..t]` are the steps before it.
pub(super) fn previous<'a, T>(
    init: &'a InitState<T>,
    before: &'a [StepTape<T>],
) -> Previous<'a, T> {
    match before.last() {
        Some(s) => Previous {
            h_dec: &s.dec_h,
            c_dec: &s.dec_c,
            c_enc: &s.enc_c,
        },
        None => Previous {
            h_dec: &init.h_dec,
            c_dec: &init.c_dec,
            c_enc: &init.c_enc,
        },
    }
}

/// Gradient buffers reused by every backward step.
pub(super) struct Scratch<T> {
    pub dcanvas: T,
    pub dh_dec: T,
    pub dh_dec_next: T,
    pub dc_dec: T,
    pub dh_enc: T,
    pub dh_enc_next: T,
    pub dc_enc: T,
    pub dgates_enc: T,
    pub dgates_dec: T,
    pub denc_in: T,
    pub ddec_in: T,
    pub dfused_enc: T,
    pub dfused_dec: T,
    pub dz: T,
    pub dmu_logsig: T,
    /// The μ and log σ layer's weight gradient `[dW_μ; dW_logσ]` before it is split.
    pub dlatent_weight: T,
    /// Its bias gradient `[db_μ, db_logσ]` before it is split.
    pub dlatent_bias: T,
    pub dxhat: T,
    pub dr: T,
    pub dp: T,
    pub dfx_read: T,
    pub dfy_read: T,
    pub dfx_write: T,
    pub dfy_write: T,
    pub dpatch: T,
    /// `[dp | dpatch]` of the attention write, the fused write layer's output gradient; with
    /// an attention read, `[dp | dpatch | dp_read]`, the last columns written by the read
    /// backward of the step after (zero for the last step).
    pub dwrite_out: T,
}

/// The output gradients of all T steps, written by the ops that compute them (`_to`
/// destinations), so that each layer's weight and bias gradients are one GEMM and one column
/// sum after the backward loop. The heads that read h^dec have `(T + 1)·B` rows aligned with
/// [`Workspace::h_dec_all`]: the read head's step t in block t, the write head's and the
/// patch's in block t + 1; the block no step writes stays zero.
pub(super) struct GradsAll<T> {
    /// Encoder gate gradients, rows as in `enc_in`.
    pub dgates_enc: T,
    /// Decoder gate gradients, rows as in `dec_in`.
    pub dgates_dec: T,
    /// The read head's outputs' gradients (no columns for a full read).
    pub dp_read: T,
    /// The write head's outputs' gradients (no columns for a full write).
    pub dp_write: T,
    /// The write patch's gradients (no columns for a full write, whose layer keeps per-step
    /// gradients: its output is the whole image).
    pub dpatch: T,
    /// `[dμ | d log σ]`, rows as in `h_enc_all`.
    pub dmu_logsig: T,
}

/// Preallocated activations and gradient buffers for one batch size: after its first
/// training step, a training step allocates nothing.
pub struct Workspace<B: Backend> {
    pub(super) batch: usize,
    /// Row of the whole batch this workspace's row 0 is (shards of a batch start later).
    pub(super) first_row: usize,
    /// Examples the loss is averaged over (the whole batch, for a shard).
    pub(super) mean_over: usize,
    pub(super) x: B::Tensor,
    pub(super) canvas: B::Tensor,
    pub(super) init: InitState<B::Tensor>,
    pub(super) steps: Vec<StepTape<B::Tensor>>,
    pub(super) read_out: B::Tensor,
    /// `[r_t, h^dec_{t−1}, h^enc_{t−1}]` of step t in rows t·B..(t+1)·B.
    pub(super) enc_in: B::Tensor,
    /// `[z_t, h^dec_{t−1}]` of step t in rows t·B..(t+1)·B.
    pub(super) dec_in: B::Tensor,
    /// One step's encoder input, as the gate GEMM reads it.
    pub(super) enc_in_step: B::Tensor,
    /// One step's decoder input.
    pub(super) dec_in_step: B::Tensor,
    /// h^enc_t of step t in rows t·B..(t+1)·B (written by the encoder cell): the input of the
    /// μ and log σ layers, whose weight gradients are one GEMM over all steps.
    pub(super) h_enc_all: B::Tensor,
    /// The initial h^dec in rows 0..B and h^dec_t of step t in rows (t+1)·B..(t+2)·B (written
    /// by the decoder cell): the read head's inputs are its first T·B rows, the write head's
    /// and the patch's its last T·B.
    pub(super) h_dec_all: B::Tensor,
    /// The output gradients of every step: allocated by the first backward pass, so that
    /// evaluation-only workspaces stay small.
    pub(super) grads_all: Option<GradsAll<B::Tensor>>,
    pub(super) kl: B::Tensor,
    pub(super) bce: B::Tensor,
    pub(super) scratch: Scratch<B::Tensor>,
    /// What an evaluation records beside the loss sums (`None` for training).
    pub(super) probe: Option<Probe<B::Tensor>>,
}

/// An evaluation workspace's extra records, filled by every forward pass.
pub(super) struct Probe<T> {
    /// The running KL column after step t in column t (rows × T).
    pub kl_after: T,
    /// Σ_t log Q(z_t | h^enc_t) − log N(z_t; 0, I) per row (rows × 1), when asked for.
    pub log_ratio: Option<T>,
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

/// An attention window's buffers for `n` rows.
pub(super) fn attn<B: Storage>(b: &B, n: usize, geo: Geometry) -> Attn<B::Tensor> {
    Attn {
        geo,
        p: b.zeros(n, 5),
        fx: b.zeros(n, geo.fx_len()),
        fy: b.zeros(n, geo.fy_len()),
    }
}

/// A step's write buffers for `n` rows, the fused layer's product `extra` columns wider than
/// `[p | patch]` ([`super::next_read_head`]).
pub(super) fn write_tape<B: Storage>(
    b: &B,
    n: usize,
    (gw, extra): (Option<Geometry>, usize),
) -> WriteTape<B::Tensor> {
    match gw {
        Some(g) => WriteTape::Attention {
            attn: attn(b, n, g),
            patch: b.zeros(n, g.patch_len()),
            out: b.zeros(n, 5 + g.patch_len() + extra),
        },
        None => WriteTape::Full,
    }
}

/// What a training workspace for a batch holds, counted before allocating it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkspaceSize {
    /// Elements of every buffer together (forward tapes, gathered LSTM inputs and gate
    /// gradients, backward scratch).
    pub total: u64,
    /// Elements of the largest single buffer.
    pub largest: u64,
}

impl<B: Backend> Draw<B> {
    /// The elements a training workspace for `batch` rows allocates (as
    /// [`Draw::workspace`] plus the gate gradients of the first backward pass), so a caller
    /// can refuse a batch that does not fit before allocating anything.
    pub fn workspace_size(&self, batch: usize) -> WorkspaceSize {
        let cfg = &self.config;
        let n = batch as u64;
        let (cab, rs) = (cfg.image_size() as u64, cfg.read_size() as u64);
        let (e, d, z, t) = (
            cfg.enc_size as u64,
            cfg.dec_size as u64,
            cfg.z_size as u64,
            cfg.steps as u64,
        );
        let glimpse = |g: Option<Geometry>| g.map_or(0, |g| 5 + (g.fx_len() + g.fy_len()) as u64);
        let glimpse_head = |g: Option<Geometry>| g.map_or(0, |_| 5);
        let (gr, gw) = (geometry(cfg, cfg.read), geometry(cfg, cfg.write));
        let patch = gw.map_or(0, |g| g.patch_len() as u64);
        let extra = super::next_read_head(cfg) as u64;
        let write_out = gw.map_or(0, |g| 5 + g.patch_len() as u64 + extra);
        let per_step = cab + glimpse(gr) + 6 * e + 4 * z + 6 * d + glimpse(gw) + patch + write_out;
        let heads = glimpse_head(gr) + glimpse_head(gw) + patch;
        let gathered = [
            t * n * (rs + d + e),
            t * n * (z + d),
            t * n * 4 * e,
            t * n * 4 * d,
            t * n * (e + 2 * z),
            (t + 1) * n * (d + heads),
        ];
        let scratch = cab * 3
            + 6 * d
            + 6 * e
            + 3 * z
            + 2 * rs
            + 5
            + 2 * glimpse(gr.or(gw))
            + patch
            + write_out;
        // The fused layers' weight gradients before they are split.
        let fused = 4 * e * (rs + d + e) + 4 * d * (z + d) + 2 * z * e + 2 * z;
        let total = t * n * per_step
            + gathered.iter().sum::<u64>()
            + n * (scratch + 5 * e + 5 * d + 2 * cab + rs + 2)
            + fused;
        WorkspaceSize {
            total,
            largest: gathered.into_iter().max().unwrap_or(0).max(n * cab),
        }
    }

    /// Buffers for batches of `batch` examples.
    pub fn workspace(&self, b: &B, batch: usize) -> Workspace<B> {
        self.shard_workspace(b, batch, 0, batch)
    }

    /// Buffers for rows `first_row..first_row + rows` of a batch of `mean_over` examples.
    pub(super) fn shard_workspace(
        &self,
        b: &B,
        batch: usize,
        first_row: usize,
        mean_over: usize,
    ) -> Workspace<B> {
        let cfg = &self.config;
        let (n, cab, e, d) = (batch, cfg.image_size(), cfg.enc_size, cfg.dec_size);
        let rs = cfg.read_size();
        let (gr, gw) = (geometry(cfg, cfg.read), geometry(cfg, cfg.write));
        let z0 = |c: usize| b.zeros(n, c);
        let steps = (0..cfg.steps).map(|_| self.step_tape(b, n)).collect();
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
            dec_in: b.zeros(cfg.steps * n, cfg.z_size + d),
            enc_in_step: z0(rs + d + e),
            dec_in_step: z0(cfg.z_size + d),
            h_enc_all: b.zeros(cfg.steps * n, e),
            h_dec_all: b.zeros((cfg.steps + 1) * n, d),
            grads_all: None,
            kl: z0(1),
            bce: z0(1),
            scratch: self.scratch(b, n, (gr, gw)),
            probe: None,
        }
    }

    /// One step's tape for `n` rows.
    fn step_tape(&self, b: &B, n: usize) -> StepTape<B::Tensor> {
        let cfg = &self.config;
        let (e, d, z) = (cfg.enc_size, cfg.dec_size, cfg.z_size);
        let z0 = |c: usize| b.zeros(n, c);
        StepTape {
            xhat: z0(cfg.image_size()),
            read: match geometry(cfg, cfg.read) {
                Some(g) => ReadTape::Attention(attn(b, n, g)),
                None => ReadTape::Full,
            },
            enc_gates: z0(4 * e),
            enc_c: z0(e),
            enc_h: z0(e),
            mu_logsig: z0(2 * z),
            eps: z0(z),
            z: z0(z),
            dec_gates: z0(4 * d),
            dec_c: z0(d),
            dec_h: z0(d),
            write: write_tape(b, n, (geometry(cfg, cfg.write), super::next_read_head(cfg))),
        }
    }

    /// The all-steps output gradients for `n` rows a step ([`GradsAll`]).
    pub(super) fn grads_all(&self, b: &B, n: usize) -> GradsAll<B::Tensor> {
        let cfg = &self.config;
        let (t, z) = (cfg.steps, cfg.z_size);
        let (gr, gw) = (geometry(cfg, cfg.read), geometry(cfg, cfg.write));
        let head = |g: Option<Geometry>| b.zeros((t + 1) * n, g.map_or(0, |_| 5));
        GradsAll {
            dgates_enc: b.zeros(t * n, 4 * cfg.enc_size),
            dgates_dec: b.zeros(t * n, 4 * cfg.dec_size),
            dp_read: head(gr),
            dp_write: head(gw),
            dpatch: b.zeros((t + 1) * n, gw.map_or(0, |g| g.patch_len())),
            dmu_logsig: b.zeros(t * n, 2 * z),
        }
    }

    /// The backward pass's gradient buffers for `n` rows.
    fn scratch(
        &self,
        b: &B,
        n: usize,
        (gr, gw): (Option<Geometry>, Option<Geometry>),
    ) -> Scratch<B::Tensor> {
        let cfg = &self.config;
        let (cab, e, d, z) = (cfg.image_size(), cfg.enc_size, cfg.dec_size, cfg.z_size);
        let rs = cfg.read_size();
        let z0 = |c: usize| b.zeros(n, c);
        let fx_len = |g: Option<Geometry>| g.map_or(0, |g| g.fx_len());
        let fy_len = |g: Option<Geometry>| g.map_or(0, |g| g.fy_len());
        Scratch {
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
            dmu_logsig: z0(2 * z),
            dlatent_weight: b.zeros(2 * z, e),
            dlatent_bias: b.zeros(1, 2 * z),
            dxhat: z0(cab),
            dr: z0(rs),
            dp: z0(5),
            dfx_read: z0(fx_len(gr)),
            dfy_read: z0(fy_len(gr)),
            dfx_write: z0(fx_len(gw)),
            dfy_write: z0(fy_len(gw)),
            dpatch: z0(gw.map_or(0, |g| g.patch_len())),
            dwrite_out: z0(gw.map_or(0, |g| 5 + g.patch_len() + super::next_read_head(cfg))),
        }
    }
}
