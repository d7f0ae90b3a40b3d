//! The classifier's forward pass: per glimpse attend → read → LSTM, then the class softmax.

use super::workspace::ClassifierWorkspace;
use super::{Classifier, Score};
use crate::backend::{Backend, CopyTo};
use crate::error::{DrawError, Result};
use crate::model::forward::window;
use crate::model::{linear, lstm_gates};
use crate::Float;

impl<B: Backend> Classifier<B> {
    /// Runs the T glimpses on the batch `x` (rows of C·B·A values in [0, 1]) with class
    /// `labels`, saving what backward needs. Returns the cross-entropy and correct-count sums.
    pub fn forward(
        &self,
        b: &B,
        ws: &mut ClassifierWorkspace<B>,
        x: &[B::F],
        labels: &[u8],
    ) -> Result<Score> {
        self.forward_pass(b, ws, x, labels)?;
        let sums = b.sum_all(&[&ws.loss, &ws.correct]);
        Ok(Score {
            loss: sums[0],
            correct: sums[1],
            examples: ws.batch,
        })
    }

    /// The per-example cross-entropy and correct flags of the last forward pass on `ws`, each
    /// `rows × 1`, left on the backend.
    pub(crate) fn score_terms(ws: &ClassifierWorkspace<B>) -> (&B::Tensor, &B::Tensor) {
        (&ws.loss, &ws.correct)
    }

    /// [`Classifier::forward`] without summing: the terms stay in the workspace.
    pub(crate) fn forward_pass(
        &self,
        b: &B,
        ws: &mut ClassifierWorkspace<B>,
        x: &[B::F],
        labels: &[u8],
    ) -> Result<()> {
        let cfg = &self.config;
        if x.len() != ws.batch * cfg.image_size() || labels.len() != ws.batch {
            return Err(DrawError::Shape(format!(
                "batch holds {} values and {} labels; the workspace expects {} examples of {} \
                 pixels",
                x.len(),
                labels.len(),
                ws.batch,
                cfg.image_size()
            )));
        }
        if let Some(&bad) = labels.iter().find(|&&l| l as usize >= cfg.classes) {
            return Err(DrawError::Shape(format!(
                "label {bad} is not a class of this classifier (0..{})",
                cfg.classes
            )));
        }
        b.upload(&mut ws.x, x);
        let ys: Vec<B::F> = labels.iter().map(|&l| B::F::of(f64::from(l))).collect();
        b.upload(&mut ws.labels, &ys);
        // h₀ in the LSTM input; every later h_t is written there by the cell.
        let (g, h) = (cfg.glimpse_size(), cfg.lstm_size);
        b.copy_cols(&ws.h0, 0, &mut ws.lstm_in, g, h, false);
        for t in 0..cfg.glimpses {
            self.glimpse(b, ws, t)?;
        }
        let last = &ws.steps[cfg.glimpses - 1].h;
        linear(b, &mut ws.logits, last, &self.params.classify);
        b.softmax_xent(&ws.logits, &ws.labels, &mut ws.loss, &mut ws.correct);
        Ok(())
    }

    /// Glimpse `t`: the window from h_{t−1}, the N × N read, the LSTM step.
    fn glimpse(&self, b: &B, ws: &mut ClassifierWorkspace<B>, t: usize) -> Result<()> {
        let g = self.config.glimpse_size();
        let (before, rest) = ws.steps.split_at_mut(t);
        let st = &mut rest[0];
        let (h_prev, c_prev) = match before.last() {
            Some(p) => (&p.h, &p.c),
            None => (&ws.h0, &ws.c0),
        };
        let a = &mut st.attn;
        linear(b, &mut a.p, h_prev, &self.params.attn);
        b.filterbank_forward(&a.p, &a.geo, &mut a.fx, &mut a.fy);
        b.read_forward(&ws.x, &ws.blank, window(a), &mut ws.read_out);
        b.copy_cols(&ws.read_out, 0, &mut ws.lstm_in, 0, g, false);
        lstm_gates(b, &mut st.gates, &ws.lstm_in, &self.fused);
        b.copy_rows(&ws.lstm_in, &mut ws.lstm_in_all, t * ws.batch);
        let next_input = &mut [CopyTo::Cols(&mut ws.lstm_in, g)];
        b.lstm_forward_to(&mut st.gates, c_prev, (&mut st.c, &mut st.h), next_input);
        Ok(())
    }
}
