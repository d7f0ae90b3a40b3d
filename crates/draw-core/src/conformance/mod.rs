//! The conformance suite every backend runs: finite differences of the whole loss for every
//! parameter tensor (for f64 backends), and op-by-op and whole-step agreement with the
//! reference [`HostBackend`](crate::reference::HostBackend).
//!
//! A backend crate runs the whole suite with one line in its tests,
//! `draw_core::conformance_tests!(MyBackend::new());` (see [`conformance_tests!`]): every op
//! forward and backward at odd and at the paper's sizes ([`ops::check_ops`]), then whole
//! training steps and Adam updates ([`assert_steps`]), against [`HostBackend`] in f64. A
//! backend that needs hardware adds `skip_if = <bool expression>` to skip on machines without it.
//!
//! [`HostBackend`]: crate::reference::HostBackend

pub mod ops;

pub use ops::{check_ops, OpCheck};

use crate::backend::Backend;
use crate::config::{DrawConfig, Glimpse, TrainConfig};
use crate::model::Draw;
use crate::optim::Trainer;
use crate::params::DrawParams;
use crate::rng::NoiseKey;
use crate::Float;

/// Tiny models covering every code path: attention read and write on one and on three
/// channels, full-image read and write, and the two mixed cases.
pub fn tiny_configs() -> Vec<DrawConfig> {
    let base = DrawConfig {
        width: 6,
        height: 5,
        channels: 1,
        steps: 3,
        read: Glimpse::Attention { n: 2 },
        write: Glimpse::Attention { n: 3 },
        enc_size: 4,
        dec_size: 5,
        z_size: 3,
    };
    vec![
        base.clone(),
        DrawConfig {
            channels: 3,
            ..base.clone()
        },
        DrawConfig {
            read: Glimpse::Full,
            write: Glimpse::Full,
            ..base.clone()
        },
        DrawConfig {
            read: Glimpse::Full,
            ..base.clone()
        },
        DrawConfig {
            write: Glimpse::Full,
            ..base
        },
    ]
}

/// A deterministic batch in [0, 1] (not binary, to exercise every term of the loss).
pub fn test_batch(cfg: &DrawConfig, batch: usize, seed: u64) -> Vec<f64> {
    let k = NoiseKey::new(seed, 12345);
    (0..(batch * cfg.image_size()) as u64)
        .map(|i| k.uniform(i))
        .collect()
}

/// Mean loss of `model` on `x` with fixed noise.
fn mean_loss<B: Backend>(b: &B, model: &Draw<B>, x: &[B::F]) -> f64 {
    let mut ws = model.workspace(b, x.len() / model.config().image_size());
    model
        .forward(b, &mut ws, x, NoiseKey::new(3, 0))
        .expect("forward")
        .mean_total()
}

/// Checks the backward pass of the whole model against central finite differences of the
/// mean loss, for every element of every parameter tensor. Returns the worst relative error.
///
/// Tolerance: in f64 with h = 1e-6 the numeric derivative is good to ~1e-9; the check demands
/// |analytic − numeric| ≤ 1e-6·max(1, |analytic|).
pub fn check_gradients<B: Backend<F = f64>>(b: &B, cfg: &DrawConfig) -> Result<f64, String> {
    let batch = 3;
    let model = Draw::new(b, cfg.clone(), 11).map_err(|e| e.to_string())?;
    let x = test_batch(cfg, batch, 5);
    let mut ws = model.workspace(b, batch);
    model
        .forward(b, &mut ws, &x, NoiseKey::new(3, 0))
        .map_err(|e| e.to_string())?;
    let mut grads = model.zeros_like(b);
    model
        .backward(b, &mut ws, &mut grads)
        .map_err(|e| e.to_string())?;
    let analytic = grads.map(|_, t| b.download(t));
    let values = model.values(b);
    let h = 1e-6;
    let mut worst: f64 = 0.0;
    for ((name, v), (_, g)) in values.named().into_iter().zip(analytic.named()) {
        for k in 0..v.len() {
            let perturbed = |delta: f64| {
                let mut vals = values.clone();
                for (n, t) in vals.named_mut() {
                    if n == name {
                        t[k] += delta;
                    }
                }
                let m = Draw::from_values(b, cfg.clone(), &vals).expect("same shapes");
                mean_loss(b, &m, &x)
            };
            let num = (perturbed(h) - perturbed(-h)) / (2.0 * h);
            let err = (num - g[k]).abs() / g[k].abs().max(1.0);
            worst = worst.max(err);
            if err > 1e-6 {
                return Err(format!(
                    "{name}[{k}]: analytic {} vs numeric {num} ({cfg:?})",
                    g[k]
                ));
            }
        }
    }
    Ok(worst)
}

/// The largest absolute and relative differences between two tensors' values.
#[derive(Clone, Copy, Debug, Default)]
pub struct Diff {
    /// max |a − b|.
    pub abs: f64,
    /// max |a − b| / max(|a|, |b|, floor).
    pub rel: f64,
}

/// Elementwise comparison with a relative floor (values below `floor` count as absolute).
pub fn diff(a: &[f64], b: &[f64], floor: f64) -> Diff {
    a.iter().zip(b).fold(Diff::default(), |d, (&x, &y)| {
        let e = (x - y).abs();
        Diff {
            abs: d.abs.max(e),
            rel: d.rel.max(e / x.abs().max(y.abs()).max(floor)),
        }
    })
}

/// Loss and every gradient tensor of one forward/backward of `cfg` on two backends, from the
/// same parameters, batch and noise.
pub struct StepComparison {
    /// Mean losses (reference, candidate).
    pub loss: (f64, f64),
    /// Per parameter: name and the difference of its gradient.
    pub grads: Vec<(&'static str, Diff)>,
    /// Per parameter after three Adam steps: name and the difference of its value.
    pub after_adam: Vec<(&'static str, Diff)>,
}

fn host<B: Backend>(b: &B, t: &DrawParams<B::Tensor>) -> DrawParams<Vec<f64>> {
    t.map(|_, t| b.download(t).iter().map(|v| v.f64()).collect())
}

/// Runs one training step's forward and backward, then three Adam steps, on both backends.
pub fn compare_step<R: Backend, C: Backend>(
    reference: &R,
    candidate: &C,
    cfg: &DrawConfig,
    batch: usize,
) -> StepComparison {
    let values = crate::params::initial_values(cfg, 17);
    let x = test_batch(cfg, batch, 9);
    let train = TrainConfig {
        batch_size: batch,
        seed: 4,
        ..TrainConfig::default()
    };
    let xr: Vec<R::F> = x.iter().map(|&v| R::F::of(v)).collect();
    let xc: Vec<C::F> = x.iter().map(|&v| C::F::of(v)).collect();
    let mr = Draw::from_values(reference, cfg.clone(), &values).expect("valid config");
    let mc = Draw::from_values(candidate, cfg.clone(), &values).expect("valid config");
    let mut tr = Trainer::new(reference, mr, train.clone()).expect("valid");
    let mut tc = Trainer::new(candidate, mc, train).expect("valid");
    let sr = tr.step(reference, &xr).expect("reference step");
    let sc = tc.step(candidate, &xc).expect("candidate step");
    let (gr, gc) = (host(reference, tr.grads()), host(candidate, tc.grads()));
    let grads = gr
        .named()
        .into_iter()
        .zip(gc.named())
        .map(|((n, a), (_, b))| (n, diff(a, b, 1e-3)))
        .collect();
    for _ in 0..2 {
        tr.step(reference, &xr).expect("reference step");
        tc.step(candidate, &xc).expect("candidate step");
    }
    let (pr, pc) = (tr.model.values(reference), tc.model.values(candidate));
    let after_adam = pr
        .named()
        .into_iter()
        .zip(pc.named())
        .map(|((n, a), (_, b))| (n, diff(a, b, 1e-3)))
        .collect();
    StepComparison {
        loss: (sr.loss.mean_total(), sc.loss.mean_total()),
        grads,
        after_adam,
    }
}

/// The models [`assert_steps`] trains: [`tiny_configs`] plus the paper's MNIST layer sizes
/// (28 × 28, read N = 2, write N = 5, LSTMs of 256, z = 100) over 4 glimpses.
pub fn step_configs() -> Vec<DrawConfig> {
    let mut v = tiny_configs();
    v.push(
        crate::config::preset("mnist")
            .map(|p| DrawConfig {
                steps: 4,
                ..p.model
            })
            .expect("the mnist preset exists"),
    );
    v
}

/// Runs [`check_ops`] and panics with a table of every failing output.
pub fn assert_ops<R: Backend, C: Backend>(reference: &R, candidate: &C) {
    let checks = check_ops(reference, candidate);
    let failed: Vec<String> = checks
        .iter()
        .filter(|c| !c.passes())
        .map(|c| {
            format!(
                "{} [{}]: max abs {:.3e}, rel {:.3e} > {:.1e}",
                c.case, c.output, c.diff.abs, c.diff.rel, c.tolerance
            )
        })
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} op outputs differ from the reference:\n{}",
        failed.len(),
        checks.len(),
        failed.join("\n")
    );
}

/// Tolerances of a whole step for an f32 candidate, scaled by machine epsilon (floor 1e-10)
/// for wider floats. One step accumulates ~1e-6 relative rounding per op over T steps:
/// the loss agrees to 1e-5 relative and gradients to 1e-3 (floor 1e-3, so tiny entries count
/// as absolute). After three Adam steps values agree to 3e-3 absolute: Adam normalises each
/// update to about the learning rate (1e-3), so a sign flip of a near-zero gradient shows up
/// as ~2e-3.
pub fn step_tolerances<C: Backend>() -> (f64, f64, f64) {
    let ratio = <C::F as num_traits::Float>::epsilon().f64() / f64::from(f32::EPSILON);
    let t = |v: f64| (v * ratio).max(1e-10);
    (t(1e-5), t(1e-3), t(3e-3))
}

/// Runs [`compare_step`] on every model of [`step_configs`] at batch 7 and panics on the
/// first difference past [`step_tolerances`].
pub fn assert_steps<R: Backend, C: Backend>(reference: &R, candidate: &C) {
    let (loss_tol, grad_tol, adam_tol) = step_tolerances::<C>();
    for cfg in step_configs() {
        let cmp = compare_step(reference, candidate, &cfg, 7);
        let (a, b) = cmp.loss;
        assert!(
            (a - b).abs() <= loss_tol * a.abs(),
            "loss {a} vs {b} ({cfg:?})"
        );
        for (name, d) in &cmp.grads {
            assert!(d.rel <= grad_tol, "gradient of {name}: {d:?} ({cfg:?})");
        }
        for (name, d) in &cmp.after_adam {
            assert!(
                d.abs <= adam_tol,
                "{name} after 3 Adam steps: {d:?} ({cfg:?})"
            );
        }
    }
}

/// Generates a backend's conformance tests against [`HostBackend`](crate::reference::HostBackend)
/// in f64: `ops_match_reference` ([`assert_ops`]) and `training_steps_match_reference`
/// ([`assert_steps`]). The first argument is an expression that builds the candidate backend.
///
/// ```ignore
/// draw_core::conformance_tests!(draw_cpu::CpuBackend::<f32>::new());
/// ```
///
/// A backend whose tests need hardware that a machine may lack adds `skip_if = <bool
/// expression>`: each test evaluates it first and, when it is true, returns (passing) without
/// building either backend.
///
/// ```ignore
/// draw_core::conformance_tests!(
///     draw_wgpu::WgpuBackend::new().unwrap(),
///     skip_if = std::env::var_os("DRAW_WGPU_SKIP").is_some_and(|v| v == "1")
/// );
/// ```
#[macro_export]
macro_rules! conformance_tests {
    ($make:expr $(,)?) => {
        $crate::conformance_tests!($make, skip_if = false);
    };
    ($make:expr, skip_if = $skip:expr $(,)?) => {
        #[test]
        fn ops_match_reference() {
            if $skip {
                eprintln!("ops_match_reference skipped: skip_if is true");
                return;
            }
            let reference = $crate::reference::HostBackend::<f64>::new();
            $crate::conformance::assert_ops(&reference, &$make);
        }

        #[test]
        fn training_steps_match_reference() {
            if $skip {
                eprintln!("training_steps_match_reference skipped: skip_if is true");
                return;
            }
            let reference = $crate::reference::HostBackend::<f64>::new();
            $crate::conformance::assert_steps(&reference, &$make);
        }
    };
}
