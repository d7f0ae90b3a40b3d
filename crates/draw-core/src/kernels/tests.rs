//! Finite-difference checks (f64) of every backward kernel, and filterbank values worked out
//! by hand from the paper's formulas.
//!
//! Tolerance: central differences with h = 1e-6 have truncation error ~h²·f''' ≈ 1e-12 and
//! rounding error ~ε/h ≈ 1e-10, so |analytic − numeric| ≤ 1e-6·max(1, |analytic|) only fails
//! when the derivative itself is wrong.

use super::attention::{WindowRow, WindowRowGrads};
use super::filterbank::Geometry;
use super::*;
use crate::rng::NoiseKey;

fn rand_vec(seed: u64, n: usize, scale: f64) -> Vec<f64> {
    let k = NoiseKey::new(seed, 99);
    (0..n as u64)
        .map(|i| (2.0 * k.uniform(i) - 1.0) * scale)
        .collect()
}

/// Compares `analytic` with central differences of `f` at `x`.
fn fd_check(what: &str, x: &[f64], analytic: &[f64], f: impl Fn(&[f64]) -> f64) {
    let h = 1e-6;
    let mut xp = x.to_vec();
    for k in 0..x.len() {
        xp[k] = x[k] + h;
        let up = f(&xp);
        xp[k] = x[k] - h;
        let down = f(&xp);
        xp[k] = x[k];
        let num = (up - down) / (2.0 * h);
        let tol = 1e-6 * analytic[k].abs().max(1.0);
        assert!(
            (num - analytic[k]).abs() <= tol,
            "{what}[{k}]: analytic {} vs numeric {num}",
            analytic[k]
        );
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn lstm_backward_matches_finite_differences() {
    let h = 7;
    let gates0 = rand_vec(1, 4 * h, 2.0);
    let c_prev = rand_vec(2, h, 1.5);
    let (wh, wc) = (rand_vec(3, h, 1.0), rand_vec(4, h, 1.0));
    let loss = |g: &[f64], cp: &[f64]| {
        let (mut g, mut c, mut hh) = (g.to_vec(), vec![0.0; h], vec![0.0; h]);
        lstm::forward_row(&mut g, cp, &mut c, &mut hh);
        dot(&wh, &hh) + dot(&wc, &c)
    };
    let mut g = gates0.clone();
    let (mut c, mut hh) = (vec![0.0; h], vec![0.0; h]);
    lstm::forward_row(&mut g, &c_prev, &mut c, &mut hh);
    let mut dc = wc.clone();
    let mut dg = vec![0.0; 4 * h];
    lstm::backward_row(&g, &c_prev, &c, &wh, &mut dc, &mut dg);
    fd_check("dgates", &gates0, &dg, |x| loss(x, &c_prev));
    fd_check("dc_prev", &c_prev, &dc, |x| loss(&gates0, x));
}

fn geo(n: usize, width: usize, height: usize, channels: usize) -> Geometry {
    Geometry {
        n,
        width,
        height,
        channels,
    }
}

/// Attention outputs away from the clamps, in several positions.
fn attn_params() -> Vec<[f64; 5]> {
    vec![
        [0.0, 0.0, 0.3, -0.2, 0.1],
        [0.4, -0.3, 1.2, -0.7, -0.4],
        [-0.8, 0.6, -0.5, 0.2, 0.5],
    ]
}

#[test]
fn filterbank_backward_matches_finite_differences() {
    for g in [geo(3, 7, 5, 1), geo(2, 6, 6, 1), geo(5, 9, 11, 1)] {
        for p in attn_params() {
            let (wx, wy) = (rand_vec(5, g.fx_len(), 1.0), rand_vec(6, g.fy_len(), 1.0));
            let loss = |p: &[f64]| {
                let (mut fx, mut fy) = (vec![0.0; g.fx_len()], vec![0.0; g.fy_len()]);
                filterbank::forward_row(p, &g, &mut fx, &mut fy);
                dot(&wx, &fx) + dot(&wy, &fy)
            };
            let (mut fx, mut fy) = (vec![0.0; g.fx_len()], vec![0.0; g.fy_len()]);
            filterbank::forward_row(&p, &g, &mut fx, &mut fy);
            let mut dp = vec![0.0; 5];
            filterbank::backward_row(&p, &g, &fx, &fy, &wx, &wy, &mut dp);
            fd_check("dp", &p, &dp, loss);
        }
    }
}

#[test]
fn filterbank_matches_values_worked_by_hand() {
    // A = B = 3, N = 2, σ² = 1, δ̃ = 0.5 so δ = (3 − 1)/(2 − 1)·0.5 = 1.
    // g̃X = 0 → gX = (3 + 1)/2 = 2: centres μ = 2 ± 0.5 = 1.5, 2.5.
    // g̃Y = 0.5 → gY = 2·1.5 = 3: centres 2.5, 3.5.
    // Row μ = 1.5 over a = 1, 2, 3: e^{−1/8}, e^{−1/8}, e^{−9/8} normalised
    //   = 0.882497/2.089646, … = 0.422319, 0.422319, 0.155362.
    // Row μ = 3.5: e^{−25/8}, e^{−9/8}, e^{−1/8} = 0.043937, 0.324652, 0.882497 over 1.251086.
    let g = geo(2, 3, 3, 1);
    let p = [0.0, 0.5, 0.0, 0.5f64.ln(), 0.0];
    let (mut fx, mut fy) = ([0.0; 6], [0.0; 6]);
    filterbank::forward_row(&p, &g, &mut fx, &mut fy);
    let want_x = [0.422319, 0.422319, 0.155362, 0.155362, 0.422319, 0.422319];
    let want_y = [0.155362, 0.422319, 0.422319, 0.035119, 0.259496, 0.705385];
    for (got, want) in fx.iter().zip(want_x).chain(fy.iter().zip(want_y)) {
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
    }
    // Each filter row sums to one even when σ is tiny and the grid is far off the image.
    let g = geo(4, 10, 10, 1);
    let p = [5.0, -5.0, -9.5, 2.0, 0.0];
    let (mut fx, mut fy) = ([0.0f64; 40], [0.0f64; 40]);
    filterbank::forward_row(&p, &g, &mut fx, &mut fy);
    for row in fx.chunks(10).chain(fy.chunks(10)) {
        assert!(row.iter().all(|v| v.is_finite()));
        assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
}

/// 1 where log γ is inside its clamp (the gradient passes), else 0.
fn gamma_chain(p: &[f64; 5]) -> f64 {
    if filterbank::clamp_log(p[4]).1 {
        1.0
    } else {
        0.0
    }
}

#[test]
fn attention_read_backward_matches_finite_differences() {
    for g in [geo(3, 7, 5, 1), geo(2, 4, 6, 2)] {
        for p in attn_params() {
            let x = rand_vec(10, g.image_len(), 1.0);
            let xhat = rand_vec(11, g.image_len(), 1.0);
            let (mut fx, mut fy) = (vec![0.0; g.fx_len()], vec![0.0; g.fy_len()]);
            filterbank::forward_row(&p, &g, &mut fx, &mut fy);
            let w = rand_vec(12, 2 * g.patch_len(), 1.0);
            let loss = |xh: &[f64], fx: &[f64], fy: &[f64], p: &[f64]| {
                let mut r = vec![0.0; 2 * g.patch_len()];
                attention::read_forward_row(&x, xh, WindowRow { p, fx, fy, geo: &g }, &mut r);
                dot(&w, &r)
            };
            let (mut dxh, mut dfx, mut dfy, mut dp) = (
                vec![0.0; g.image_len()],
                vec![0.0; g.fx_len()],
                vec![0.0; g.fy_len()],
                vec![0.0; 5],
            );
            let win = WindowRow {
                p: &p,
                fx: &fx,
                fy: &fy,
                geo: &g,
            };
            let grads = WindowRowGrads {
                dfx: &mut dfx,
                dfy: &mut dfy,
                dp: &mut dp,
            };
            attention::read_backward_row(&x, &xhat, win, &w, &mut dxh, grads);
            fd_check("dxhat", &xhat, &dxh, |v| loss(v, &fx, &fy, &p));
            fd_check("dfx", &fx, &dfx, |v| loss(&xhat, v, &fy, &p));
            fd_check("dfy", &fy, &dfy, |v| loss(&xhat, &fx, v, &p));
            fd_check("dlog_gamma", &p[4..], &dp[4..], |v| {
                let mut q = p;
                q[4] = v[0];
                loss(&xhat, &fx, &fy, &q)
            });
            // The closed form the GPU uses: d log γ = Σ dr ⊙ r = Σ dF_X ⊙ F_X.
            let closed = gamma_chain(&p) * dot(&dfx, &fx);
            fd_check("dlog_gamma as Σ dF_X ⊙ F_X", &p[4..], &[closed], |v| {
                let mut q = p;
                q[4] = v[0];
                loss(&xhat, &fx, &fy, &q)
            });
        }
    }
}

#[test]
fn attention_write_backward_matches_finite_differences() {
    for g in [geo(3, 7, 5, 1), geo(2, 4, 6, 3)] {
        for p in attn_params() {
            let pw = rand_vec(20, g.patch_len(), 1.0);
            let (mut fx, mut fy) = (vec![0.0; g.fx_len()], vec![0.0; g.fy_len()]);
            filterbank::forward_row(&p, &g, &mut fx, &mut fy);
            let w = rand_vec(21, g.image_len(), 1.0);
            let loss = |pw: &[f64], fx: &[f64], fy: &[f64], p: &[f64]| {
                let mut c = vec![0.0; g.image_len()];
                attention::write_forward_row(pw, WindowRow { p, fx, fy, geo: &g }, &mut c);
                dot(&w, &c)
            };
            let (mut dpw, mut dfx, mut dfy, mut dp) = (
                vec![0.0; g.patch_len()],
                vec![0.0; g.fx_len()],
                vec![0.0; g.fy_len()],
                vec![0.0; 5],
            );
            let win = WindowRow {
                p: &p,
                fx: &fx,
                fy: &fy,
                geo: &g,
            };
            let grads = WindowRowGrads {
                dfx: &mut dfx,
                dfy: &mut dfy,
                dp: &mut dp,
            };
            attention::write_backward_row(&pw, win, &w, &mut dpw, grads);
            fd_check("dpatch", &pw, &dpw, |v| loss(v, &fx, &fy, &p));
            fd_check("dfx", &fx, &dfx, |v| loss(&pw, v, &fy, &p));
            fd_check("dfy", &fy, &dfy, |v| loss(&pw, &fx, v, &p));
            fd_check("dlog_gamma", &p[4..], &dp[4..], |v| {
                let mut q = p;
                q[4] = v[0];
                loss(&pw, &fx, &fy, &q)
            });
            // The closed forms the GPU uses: d log γ = −Σ dF_X ⊙ F_X = −Σ dP ⊙ P.
            for (what, closed) in [
                ("−Σ dF_X ⊙ F_X", -dot(&dfx, &fx)),
                ("−Σ dP ⊙ P", -dot(&dpw, &pw)),
            ] {
                let closed = gamma_chain(&p) * closed;
                fd_check(&format!("dlog_gamma as {what}"), &p[4..], &[closed], |v| {
                    let mut q = p;
                    q[4] = v[0];
                    loss(&pw, &fx, &fy, &q)
                });
            }
        }
    }
}

#[test]
fn pointwise_backwards_match_finite_differences() {
    let n = 9;
    let x: Vec<f64> = rand_vec(30, n, 0.5).iter().map(|v| v + 0.5).collect();
    let c = rand_vec(31, n, 3.0);
    let w = rand_vec(32, n, 1.0);
    // x̂ = x − σ(c)
    let mut xhat = vec![0.0; n];
    pointwise::canvas_error_row(&x, &c, &mut xhat);
    let mut dc = vec![0.0; n];
    pointwise::canvas_error_backward_row(&x, &xhat, &w, &mut dc);
    fd_check("canvas dc", &c, &dc, |c| {
        let mut o = vec![0.0; n];
        pointwise::canvas_error_row(&x, c, &mut o);
        dot(&w, &o)
    });
    // BCE on logits
    let mut dc = vec![0.0; n];
    pointwise::bce_backward_row(&x, &c, 0.7, &mut dc);
    fd_check("bce dc", &c, &dc, |c| 0.7 * pointwise::bce_row(&x, c));
    // z and KL
    let (mu, ls, eps) = (
        rand_vec(33, n, 1.0),
        rand_vec(34, n, 1.0),
        rand_vec(35, n, 2.0),
    );
    let k = 0.3;
    let loss = |mu: &[f64], ls: &[f64]| {
        let mut z = vec![0.0; n];
        let kl = pointwise::sample_latent_row(mu, ls, &eps, &mut z);
        dot(&w, &z) + k * kl
    };
    let (mut dmu, mut dls) = (vec![0.0; n], vec![0.0; n]);
    pointwise::sample_latent_backward_row(&mu, &ls, &eps, &w, k, &mut dmu, &mut dls);
    fd_check("dmu", &mu, &dmu, |v| loss(v, &ls));
    fd_check("dlogsig", &ls, &dls, |v| loss(&mu, v));
}

#[test]
fn kl_and_bce_match_closed_forms() {
    // KL(N(μ, σ²) ‖ N(0, 1)) = ½(μ² + σ² − 2 ln σ − 1): μ = 1, σ = e gives ½(1 + e² − 2 − 1).
    let mut z = [0.0];
    let kl = pointwise::sample_latent_row(&[1.0], &[1.0], &[0.0], &mut z);
    assert!((kl - 0.5 * (std::f64::consts::E.powi(2) - 2.0)).abs() < 1e-12);
    // −log Bernoulli(x = 1 | p = σ(2)) = ln(1 + e^{−2}); extreme logits stay finite.
    assert!((pointwise::bce_row(&[1.0], &[2.0]) - (1.0 + (-2.0f64).exp()).ln()).abs() < 1e-12);
    assert!(pointwise::bce_row(&[0.0f64, 1.0], &[800.0, -800.0]).is_finite());
    assert_eq!(sigmoid(-800.0f64), 0.0);
}

#[test]
fn softmax_xent_backward_matches_finite_differences() {
    // Ten classes as the classifier has, logits spread over ±4, every label in turn.
    let logits = rand_vec(41, 10, 4.0);
    for label in 0..10 {
        let l = label as f64;
        let mut d = vec![0.0; 10];
        pointwise::softmax_xent_backward_row(&logits, l, 0.3, &mut d);
        fd_check("softmax_xent dlogits", &logits, &d, |v| {
            0.3 * pointwise::softmax_xent_row(v, l).0
        });
    }
}

#[test]
fn softmax_xent_matches_closed_forms() {
    // Equal logits: −log(1/K) = log K, and the first index is the argmax.
    let (loss, ok) = pointwise::softmax_xent_row(&[0.5f64; 4], 0.0);
    assert!((loss - 4f64.ln()).abs() < 1e-12);
    assert_eq!(ok, 1.0);
    assert_eq!(pointwise::softmax_xent_row(&[0.5f64; 4], 2.0).1, 0.0);
    // Two classes: −log σ(a − b).
    let (loss, ok) = pointwise::softmax_xent_row(&[3.0f64, 1.0], 1.0);
    assert!((loss - (1.0 + 2f64.exp()).ln()).abs() < 1e-12);
    assert_eq!(ok, 0.0);
    // Extreme logits stay finite; the gradient sums to zero over the classes.
    let big = [800.0f64, -800.0, 0.0];
    assert!(pointwise::softmax_xent_row(&big, 1.0).0.is_finite());
    let mut d = [0.0; 3];
    pointwise::softmax_xent_backward_row(&big, 1.0, 1.0, &mut d);
    assert!(d.iter().sum::<f64>().abs() < 1e-12, "{d:?}");
    // A label that is no class has no target and never counts as correct.
    assert_eq!(pointwise::softmax_xent_row(&[1.0f64, 0.0], 2.0).1, 0.0);
    assert_eq!(pointwise::softmax_xent_row(&[1.0f64, 0.0], 0.5).1, 0.0);
    assert!(pointwise::class_index(-1.0f64, 3).is_none());
}
