//! [`OptimOps`]: the fused Adam update, in parallel blocks.

use crate::rows::{par_blocks, slice, slice_mut};
use crate::CpuBackend;
use draw_core::kernels::pointwise::{self, AdamStep};
use draw_core::{Float, OptimOps};
use ndarray::Array2;
use rayon::prelude::*;

impl<F: Float> OptimOps for CpuBackend<F> {
    fn adam(
        &self,
        p: &mut Array2<F>,
        g: &Array2<F>,
        m: &mut Array2<F>,
        v: &mut Array2<F>,
        step: &AdamStep,
    ) {
        const CHUNK: usize = 16 * 1024;
        let blocks = (
            slice_mut(p).par_chunks_mut(CHUNK),
            slice(g).par_chunks(CHUNK),
            slice_mut(m).par_chunks_mut(CHUNK),
            slice_mut(v).par_chunks_mut(CHUNK),
        );
        par_blocks(
            blocks,
            #[inline(always)]
            |_, (p, g, m, v)| pointwise::adam(p, g, m, v, step),
        );
    }
}
