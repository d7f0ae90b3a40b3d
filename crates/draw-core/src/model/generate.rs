//! Generation (paper eqs. 7–9): z_t ~ N(0, I) through the decoder alone, the canvas after
//! every step.

use super::forward::{write_step, Next};
use super::shard::shard_rows;
use super::workspace::{write_tape, WriteTape};
use super::{geometry, lstm_gates, step_noise, Draw};
use crate::backend::Backend;
use crate::error::Result;
use crate::rng::NoiseKey;
use crate::Float;

/// What generation produced: the canvas after every step and, when the write is attention,
/// every step's write window.
#[derive(Clone, Debug, Default)]
pub struct Generated {
    /// σ(c_t) for t = 1..T, each `n` rows of C·B·A values in [0, 1].
    pub frames: Vec<Vec<f32>>,
    /// Step t's raw write-head outputs `[g̃X, g̃Y, log σ², log δ̃, log γ]`, `n` rows of 5;
    /// empty when the write is not attention.
    pub windows: Vec<Vec<f64>>,
}

/// A shard's (first row, rows) and what was generated for them.
type ShardFrames = ((usize, usize), Result<Generated>);

impl<B: Backend> Draw<B> {
    /// Generates `n` images with z_t ~ N(0, I) and the decoder alone (eqs. 7–9); returns the
    /// canvas σ(c_t) after every step t = 1..T, each `n` rows of C·B·A values in [0, 1].
    pub fn generate(&self, b: &B, n: usize, noise: NoiseKey) -> Result<Vec<Vec<f32>>> {
        Ok(self.generate_with_windows(b, n, noise)?.frames)
    }

    /// [`Draw::generate`] with every step's write window (for drawing them as boxes).
    pub fn generate_with_windows(&self, b: &B, n: usize, noise: NoiseKey) -> Result<Generated> {
        b.run(|| self.generate_sharded(b, n, noise))
    }

    /// Generates the rows of each shard ([`crate::backend::Storage::run_shards`]) and joins their frames.
    fn generate_sharded(&self, b: &B, n: usize, noise: NoiseKey) -> Result<Generated> {
        let mut parts: Vec<ShardFrames> = shard_rows(b, n)
            .into_iter()
            .map(|r| (r, Ok(Generated::default())))
            .collect();
        b.run_shards(&mut parts, |_, ((first, rows), out)| {
            *out = self.generate_rows(b, *rows, *first, noise);
        });
        let parts: Vec<Generated> = parts.into_iter().map(|(_, f)| f).collect::<Result<_>>()?;
        if let [only] = &parts[..] {
            return Ok(only.clone());
        }
        let join = |of: &dyn Fn(&Generated) -> Option<&[f64]>| -> Vec<f64> {
            parts
                .iter()
                .flat_map(|g| of(g).unwrap_or(&[]).iter().copied())
                .collect()
        };
        let steps = 0..self.config.steps;
        Ok(Generated {
            frames: steps
                .clone()
                .map(|t| {
                    parts
                        .iter()
                        .flat_map(|g| g.frames[t].iter().copied())
                        .collect()
                })
                .collect(),
            windows: match parts[0].windows.is_empty() {
                true => Vec::new(),
                false => steps
                    .map(|t| join(&|g| g.windows.get(t).map(Vec::as_slice)))
                    .collect(),
            },
        })
    }

    /// Rows `first..first + n` of a generated batch: the noise of those rows, T canvases.
    fn generate_rows(&self, b: &B, n: usize, first: usize, noise: NoiseKey) -> Result<Generated> {
        let cfg = &self.config;
        let p = &self.params;
        let (cab, d, z) = (cfg.image_size(), cfg.dec_size, cfg.z_size);
        let (mut h, mut c) = (b.zeros(n, d), b.zeros(n, d));
        let (mut h_new, mut c_new) = (b.zeros(n, d), b.zeros(n, d));
        let (mut canvas, mut zt) = (b.zeros(n, cab), b.zeros(n, z));
        let (mut gates, mut input) = (b.zeros(n, 4 * d), b.zeros(n, z + d));
        let mut write = write_tape(b, n, (geometry(cfg, cfg.write), super::next_read_head(cfg)));
        let (empty, mut shown) = (b.zeros(n, cab), b.zeros(n, cab));
        b.broadcast_rows(&p.init.h_dec, &mut h);
        b.broadcast_rows(&p.init.c_dec, &mut c);
        b.broadcast_rows(&p.init.canvas, &mut canvas);
        let mut frames = Vec::with_capacity(cfg.steps);
        let mut windows = Vec::new();
        for t in 0..cfg.steps {
            b.fill_normal(&mut zt, step_noise(noise, cfg.steps, t, first, z));
            b.copy_cols(&zt, 0, &mut input, 0, z, false);
            b.copy_cols(&h, 0, &mut input, z, d, false);
            lstm_gates(b, &mut gates, &input, &self.fused.decoder);
            b.lstm_forward(&mut gates, &c, &mut c_new, &mut h_new);
            std::mem::swap(&mut h, &mut h_new);
            std::mem::swap(&mut c, &mut c_new);
            // σ(c) on the backend, as the canvas error of an empty image: 0 − σ(c), written by
            // the write's op.
            write_step(
                b,
                (p, self.fused.write.as_ref()),
                &h,
                &mut write,
                &mut canvas,
                Next {
                    error: Some((&empty, &mut shown)),
                    read: None,
                },
            )?;
            if let WriteTape::Attention { attn, .. } = &write {
                windows.push(b.download(&attn.p).into_iter().map(|v| v.f64()).collect());
            }
            let frame = b.download(&shown).into_iter().map(|v| -(v.f64() as f32));
            frames.push(frame.collect());
        }
        Ok(Generated { frames, windows })
    }
}
