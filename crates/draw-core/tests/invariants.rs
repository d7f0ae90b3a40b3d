//! Invariants of draw-core that ARCHITECTURE.md states, one test each:
//!
//! - a training step after a workspace's first allocates no backend tensor;
//! - the conformance suite calls every op of every backend trait;
//! - the noise ε depends only on (seed, stream, index), never on how the batch is sharded.

use draw_core::backend::{
    AttentionOps, Backend, Gemm, LossOps, LstmOps, MatrixOps, OptimOps, SamplingOps, Storage,
};
use draw_core::config::{DrawConfig, TrainConfig};
use draw_core::conformance::{test_batch, tiny_configs};
use draw_core::model::{Draw, Loss};
use draw_core::optim::Trainer;
use draw_core::params::{initial_values, DrawParams};
use draw_core::reference::{HostBackend, HostTensor};
use draw_core::rng::NoiseKey;
use draw_core::Float;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// [`HostBackend`] that counts its allocations and splits a batch into a chosen number of
/// shards.
///
/// It implements only the five required methods, by delegation, and counts at `zeros`: every
/// other method is the trait's default, which calls *this* backend's `zeros`, `upload` and
/// `download`. So the count sees every backend tensor a step creates, whether the model asks
/// for it (`zeros`, or `tensor`, whose default calls `zeros`) or a host fallback body would.
/// Delegating every method to the inner backend instead would hide the inner defaults'
/// allocations (they call the inner `zeros`, which no one counts), and a `tensor` delegated to
/// the inner backend would bypass the counter. Since `HostBackend` itself implements only the
/// five, the probe runs exactly the reference's code.
struct Probe<F: Float> {
    inner: HostBackend<F>,
    zeros: AtomicUsize,
    shards: usize,
}

impl<F: Float> Probe<F> {
    fn new(shards: usize) -> Self {
        Probe {
            inner: HostBackend::new(),
            zeros: AtomicUsize::new(0),
            shards,
        }
    }

    /// Tensors allocated so far.
    fn allocated(&self) -> usize {
        self.zeros.load(Ordering::SeqCst)
    }
}

impl<F: Float> Storage for Probe<F> {
    type F = F;
    type Tensor = HostTensor<F>;

    fn zeros(&self, rows: usize, cols: usize) -> HostTensor<F> {
        self.zeros.fetch_add(1, Ordering::SeqCst);
        self.inner.zeros(rows, cols)
    }
    fn shape(&self, t: &HostTensor<F>) -> (usize, usize) {
        self.inner.shape(t)
    }
    fn upload(&self, t: &mut HostTensor<F>, data: &[F]) {
        self.inner.upload(t, data)
    }
    fn download(&self, t: &HostTensor<F>) -> Vec<F> {
        self.inner.download(t)
    }
    fn shards(&self, _batch: usize) -> usize {
        self.shards
    }
}

impl<F: Float> MatrixOps for Probe<F> {
    fn gemm(&self, c: &mut HostTensor<F>, g: Gemm<'_, HostTensor<F>>) {
        self.inner.gemm(c, g)
    }
}

impl<F: Float> LstmOps for Probe<F> {}
impl<F: Float> AttentionOps for Probe<F> {}
impl<F: Float> LossOps for Probe<F> {}
impl<F: Float> SamplingOps for Probe<F> {}
impl<F: Float> OptimOps for Probe<F> {}

fn batch_of<F: Float>(cfg: &DrawConfig, batch: usize, seed: u64) -> Vec<F> {
    test_batch(cfg, batch, seed)
        .into_iter()
        .map(F::of)
        .collect()
}

/// Invariant: after a workspace's first training step, a training step allocates no backend
/// tensor (the workspace, gradients and Adam state are made once; the first backward makes
/// its batched gate-gradient buffers). Checked on one shard and on three, on every code path.
#[test]
fn a_training_step_after_the_first_allocates_no_backend_tensor() {
    for shards in [1, 3] {
        for cfg in tiny_configs() {
            let b = Probe::<f32>::new(shards);
            let model = Draw::new(&b, cfg.clone(), 1).unwrap();
            let train = TrainConfig {
                batch_size: 7,
                seed: 2,
                ..TrainConfig::default()
            };
            let mut trainer = Trainer::new(&b, model, train).unwrap();
            assert!(b.allocated() > 0, "the probe counts no allocation at all");
            let x = batch_of::<f32>(&cfg, 7, 3);
            let after: Vec<usize> = (0..3)
                .map(|_| {
                    trainer.step(&b, &x).unwrap();
                    b.allocated()
                })
                .collect();
            assert_eq!(
                after[1],
                after[0],
                "the second step allocated {} tensors ({shards} shards, {cfg:?})",
                after[1] - after[0]
            );
            assert_eq!(
                after[2],
                after[1],
                "the third step allocated {} tensors ({shards} shards, {cfg:?})",
                after[2] - after[1]
            );
        }
    }
}

/// `backend/*.rs` (but the host fallbacks) and `conformance/**/*.rs`, comments removed.
fn sources(dir: &str, skip: &[&str]) -> Vec<(String, String)> {
    fn walk(dir: &Path, skip: &[&str], out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if path.is_dir() {
                walk(&path, skip, out);
            } else if name.ends_with(".rs") && !skip.contains(&name.as_str()) {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((path.display().to_string(), strip_comments(&text)));
            }
        }
    }
    let mut out = Vec::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    walk(&root, skip, &mut out);
    assert!(!out.is_empty(), "no source under {}", root.display());
    out
}

/// Each line up to its `//` (the backend and conformance sources have no `//` in strings).
fn strip_comments(src: &str) -> String {
    src.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `(trait, method)` for every `fn` declared directly in a `trait … { }` block.
fn trait_methods(src: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = src;
    while let Some(i) = rest.find("trait ") {
        let before = rest[..i].chars().next_back();
        let after = &rest[i + "trait ".len()..];
        rest = after;
        if before.is_some_and(is_ident) {
            continue;
        }
        let name: String = after.chars().take_while(|&c| is_ident(c)).collect();
        let Some(open) = after.find('{') else { break };
        let (mut depth, mut k) = (0usize, open);
        let body = after.as_bytes();
        loop {
            match body[k] {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                b'f' if depth == 1
                    && after[k..].starts_with("fn ")
                    && !after[..k].chars().next_back().is_some_and(is_ident) =>
                {
                    let m: String = after[k + 3..]
                        .chars()
                        .take_while(|&c| is_ident(c))
                        .collect();
                    out.push((name.clone(), m));
                }
                _ => {}
            }
            k += 1;
        }
        rest = &after[k..];
    }
    out
}

/// Whether `src` calls `.name(` on a receiver that is a name (so `iter().sum()` does not
/// count for the backend's `sum`).
fn calls(src: &str, name: &str) -> bool {
    let pat = format!(".{name}(");
    src.match_indices(&pat)
        .any(|(i, _)| src[..i].chars().next_back().is_some_and(is_ident))
}

/// Trait methods the op-by-op suite need not call by name, and why.
const NOT_OPS: &[(&str, &str)] = &[
    ("name", "a label for reports, no maths"),
    (
        "fault",
        "device health, no maths: Trainer::step and evaluate poll it after each batch",
    ),
    (
        "run",
        "execution context: assert_steps runs every Trainer::step through it",
    ),
    (
        "run_shards",
        "scheduling: assert_steps runs every forward and backward through it; \
         noise_never_depends_on_the_sharding checks that sharding changes no number",
    ),
    (
        "shards",
        "scheduling: as run_shards; the probe in this file overrides it",
    ),
    (
        "synchronize",
        "a barrier for benchmarks' clocks, no maths (a missing one cannot change a value read back)",
    ),
    (
        "counters",
        "instrumentation, no maths: device work counted for benchmarks and traces \
         (draw-wgpu's counters test pins them per training step)",
    ),
    (
        "max_tensor_len",
        "a capacity query, no maths: Trainer::new (optim::check_fits) reads it to refuse a \
         batch whose buffers cannot fit",
    ),
    (
        "memory_available",
        "a capacity query, no maths: as max_tensor_len",
    ),
    (
        "upload",
        "every case's inputs reach the backend through `tensor` (whose default is zeros + \
         upload), and every forward in assert_steps uploads its batch",
    ),
];

/// Invariant: the conformance suite covers every trait method: each `fn` of the backend's
/// family traits is called by name in `conformance/` (or listed in `NOT_OPS` with its
/// reason). Adding a method to a family without a conformance case fails here.
#[test]
fn the_conformance_suite_calls_every_backend_trait_method() {
    let methods: Vec<(String, String)> = sources("backend", &["host.rs"])
        .iter()
        .flat_map(|(_, src)| trait_methods(src))
        .collect();
    let names: BTreeSet<&str> = methods.iter().map(|(_, m)| m.as_str()).collect();
    for required in ["zeros", "shape", "upload", "download", "gemm", "adam"] {
        assert!(
            names.contains(required),
            "the parser missed {required}: {names:?}"
        );
    }
    for (name, _) in NOT_OPS {
        assert!(
            names.contains(name),
            "NOT_OPS lists {name}, which no backend trait declares any more"
        );
    }
    let suite: String = sources("conformance", &[])
        .into_iter()
        .map(|(_, src)| src)
        .collect();
    let missing: Vec<String> = methods
        .iter()
        .filter(|(_, m)| !NOT_OPS.iter().any(|(n, _)| n == m) && !calls(&suite, m))
        .map(|(t, m)| format!("{t}::{m}"))
        .collect();
    assert!(
        missing.is_empty(),
        "trait methods with no conformance case (add one in conformance/ops/<family>.rs): {missing:?}"
    );
}

/// Mean loss terms of `x` under `values`, over the backend's shards of the batch.
fn sharded_loss<B: Backend<F = f64>>(
    b: &B,
    cfg: &DrawConfig,
    values: &DrawParams<Vec<f64>>,
    x: &[f64],
    key: NoiseKey,
) -> (Loss, usize) {
    let model = Draw::from_values(b, cfg.clone(), values).unwrap();
    let mut shards = model.shard_workspaces(b, x.len() / cfg.image_size());
    let loss = model.forward_shards(b, &mut shards, x, key).unwrap();
    (loss, shards.len())
}

/// Invariant: random numbers for ε depend only on (seed, stream, index), never on the
/// sharding: a batch split into 3 or 7 shards has the loss of the whole batch in one, to
/// 1e-12 relative in f64 (only the order of the sums over rows differs).
#[test]
fn noise_never_depends_on_the_sharding() {
    let batch = 7;
    for cfg in tiny_configs() {
        let values = initial_values(&cfg, 7);
        let x = batch_of::<f64>(&cfg, batch, 5);
        for key in [
            NoiseKey::new(9, 4),
            NoiseKey::new(1, 0).with_offset(1 << 33),
        ] {
            let (whole, n) = sharded_loss(&HostBackend::new(), &cfg, &values, &x, key);
            assert_eq!(n, 1);
            for shards in [3, batch] {
                let (split, n) = sharded_loss(&Probe::new(shards), &cfg, &values, &x, key);
                assert_eq!(n, shards);
                let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(b.abs());
                assert!(
                    close(whole.reconstruction, split.reconstruction)
                        && close(whole.latent, split.latent),
                    "{shards} shards: {split:?}, one: {whole:?} ({key:?}, {cfg:?})"
                );
            }
        }
    }
}
