//! The backend traits: where tensors live and how the model's operations run.
//!
//! A backend owns memory and kernels; draw-core owns the model, backprop through time and the
//! optimiser. Every tensor is a row-major matrix, one example per row. The trait is split by op
//! family, one file each, and [`Backend`] is their sum:
//!
//! | family | file | ops |
//! |---|---|---|
//! | [`Storage`] | `storage.rs` | allocation, shape, upload, download, copies, execution (`run`, shards) |
//! | [`MatrixOps`] | `matrix.rs` | GEMM, bias, scaling, reductions (also writing column blocks of a product to other tensors) |
//! | [`LstmOps`] | `lstm.rs` | the LSTM cell, forward and backward (also writing a copy of h or of the gate gradients) |
//! | [`AttentionOps`] | `attention.rs` | filterbanks, attention read (also writing a copy of r) and write |
//! | [`LossOps`] | `loss.rs` | canvas error, Bernoulli likelihood, softmax cross-entropy |
//! | [`SamplingOps`] | `sampling.rs` | counter-based normals, the reparameterised latent (also writing a copy of z) and its KL |
//! | [`OptimOps`] | `optim.rs` | the fused Adam update |
//!
//! Five methods are required: `zeros`, `shape`, `upload`, `download` ([`Storage`]) and `gemm`
//! ([`MatrixOps`]). Every other method has a default body in [`host`] that downloads its inputs,
//! runs the reference kernel from [`crate::kernels`] and uploads the result: correct on any
//! backend, and the place to override for speed. A fused op a GPU wants (for example the gate
//! GEMM with the LSTM cell in its epilogue) goes into its family with a default made of the
//! family's primitives.

/// `Clone` and `Copy` for a view struct of shared references (`derive` would ask `T: Copy`).
macro_rules! copy_view {
    ($($view:ident),*) => {$(
        impl<T> Clone for $view<'_, T> {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<T> Copy for $view<'_, T> {}
    )*};
}

mod attention;
pub mod host;
mod loss;
mod lstm;
mod matrix;
mod optim;
mod sampling;
mod storage;

pub use attention::{AttentionOps, Filterbanks, ReadFwd, Window, WindowGrads};
pub use loss::LossOps;
pub use lstm::LstmOps;
pub use matrix::{ColsTo, Gemm, Mat, MatrixOps};
pub use optim::OptimOps;
pub use sampling::{Latent, SamplingOps};
pub use storage::{CopyTo, DeviceCounters, Storage};

copy_view!(Gemm, Mat, Window, Latent);

/// Storage and compute for the DRAW model: the sum of the op families. Implement the families
/// (five required methods in all); `Backend` then holds by the blanket impl.
pub trait Backend:
    Storage + MatrixOps + LstmOps + AttentionOps + LossOps + SamplingOps + OptimOps
{
}

impl<B> Backend for B where
    B: Storage + MatrixOps + LstmOps + AttentionOps + LossOps + SamplingOps + OptimOps
{
}
