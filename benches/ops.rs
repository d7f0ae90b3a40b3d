//! Criterion benches of the hot operations on the CPU backend, at the paper's MNIST shapes
//! (batch 100, LSTM 256, read N = 2, write N = 5, 28 × 28) and the colour presets' glimpse
//! (N = 12 on 32 × 32 × 3), and of a whole training step.
//! Run with `cargo bench --bench ops`; throughput figures for the README come from
//! `cargo xtask bench`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use draw_rs::core::kernels::filterbank::Geometry;
use draw_rs::core::prelude::*;
use draw_rs::core::{preset, TrainConfig, Window, WindowGrads};
use draw_rs::cpu::CpuBackend;

const BATCH: usize = 100;

fn filled(
    b: &CpuBackend<f32>,
    rows: usize,
    cols: usize,
    seed: u64,
    scale: f64,
) -> ndarray::Array2<f32> {
    let k = NoiseKey::new(seed, 0);
    let v: Vec<f32> = (0..rows * cols)
        .map(|i| (k.normal(i as u64) * scale) as f32)
        .collect();
    b.tensor(rows, cols, &v)
}

fn ops(c: &mut Criterion) {
    let b = CpuBackend::<f32>::new();
    let mut g = c.benchmark_group("ops");
    // Encoder gates: [r, h_dec, h_enc] (100 × 520) times the 1024 × 520 weights.
    let (x, w) = (
        filled(&b, BATCH, 520, 1, 1.0),
        filled(&b, 1024, 520, 2, 0.05),
    );
    let mut out = b.zeros(BATCH, 1024);
    g.throughput(Throughput::Elements((2 * BATCH * 520 * 1024) as u64));
    g.bench_function("gate_gemm_100x520x1024", |bn| {
        bn.iter(|| b.gemm(&mut out, Gemm::new(Mat::n(&x), Mat::t(&w))))
    });
    g.throughput(Throughput::Elements(BATCH as u64));
    let pre = filled(&b, BATCH, 1024, 3, 1.0);
    let c_prev = filled(&b, BATCH, 256, 4, 1.0);
    let (mut gates, mut cc, mut h) = (pre.clone(), b.zeros(BATCH, 256), b.zeros(BATCH, 256));
    g.bench_function("lstm_forward", |bn| {
        bn.iter(|| {
            gates.assign(&pre);
            b.lstm_forward(&mut gates, &c_prev, &mut cc, &mut h)
        })
    });
    let dh = filled(&b, BATCH, 256, 5, 1.0);
    let (mut dc, mut dg) = (b.zeros(BATCH, 256), b.zeros(BATCH, 1024));
    g.bench_function("lstm_backward", |bn| {
        bn.iter(|| b.lstm_backward(&gates, &c_prev, &cc, &dh, &mut dc, &mut dg))
    });
    let mnist = |n| Geometry {
        n,
        width: 28,
        height: 28,
        channels: 1,
    };
    attention(&mut g, &b, ("read", "n2"), mnist(2));
    attention(&mut g, &b, ("write", "n5"), mnist(5));
    // The colour presets' glimpses (svhn: N = 12 on 32 × 32 × 3).
    let rgb = Geometry {
        n: 12,
        width: 32,
        height: 32,
        channels: 3,
    };
    attention(&mut g, &b, ("read", "n12_rgb"), rgb);
    attention(&mut g, &b, ("write", "n12_rgb"), rgb);
    g.finish();
}

/// The filterbank and the attention `kind` ("read" or "write"), forward and backward, at
/// `geo`; `tag` names the shape in the bench names.
fn attention(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    b: &CpuBackend<f32>,
    (kind, tag): (&str, &str),
    geo: Geometry,
) {
    let name = format!("{kind}_{tag}");
    let p = filled(b, BATCH, 5, 6, 0.3);
    let (mut fx, mut fy) = (b.zeros(BATCH, geo.fx_len()), b.zeros(BATCH, geo.fy_len()));
    g.bench_function(format!("filterbank_forward_{name}"), |bn| {
        bn.iter(|| b.filterbank_forward(&p, &geo, &mut fx, &mut fy))
    });
    let (dfx, dfy) = (
        filled(b, BATCH, geo.fx_len(), 7, 1.0),
        filled(b, BATCH, geo.fy_len(), 8, 1.0),
    );
    let mut dp = b.zeros(BATCH, 5);
    let win = Window {
        p: &p,
        fx: &fx,
        fy: &fy,
        geo: &geo,
    };
    g.bench_function(format!("filterbank_backward_{name}"), |bn| {
        bn.iter(|| b.filterbank_backward(win, &dfx, &dfy, &mut dp))
    });
    let img = filled(b, BATCH, geo.image_len(), 9, 1.0);
    let mut dx = b.zeros(BATCH, geo.image_len());
    let mut outs = [
        b.zeros(BATCH, geo.fx_len()),
        b.zeros(BATCH, geo.fy_len()),
        b.zeros(BATCH, 5),
    ];
    if kind == "read" {
        let mut r = b.zeros(BATCH, 2 * geo.patch_len());
        g.bench_function(format!("attention_read_forward_{tag}"), |bn| {
            bn.iter(|| b.read_forward(&img, &img, win, &mut r))
        });
        g.bench_function(format!("attention_read_backward_{tag}"), |bn| {
            bn.iter(|| b.read_backward(&img, &img, win, &r, &mut dx, window_grads(&mut outs)))
        });
    } else {
        let patch = filled(b, BATCH, geo.patch_len(), 10, 1.0);
        let mut canvas = b.zeros(BATCH, geo.image_len());
        let mut dpatch = b.zeros(BATCH, geo.patch_len());
        g.bench_function(format!("attention_write_forward_{tag}"), |bn| {
            bn.iter(|| b.write_forward(&patch, win, &mut canvas))
        });
        g.bench_function(format!("attention_write_backward_{tag}"), |bn| {
            bn.iter(|| b.write_backward(&patch, win, &img, &mut dpatch, window_grads(&mut outs)))
        });
    }
}

/// ∂L/∂F_X, ∂L/∂F_Y and ∂L/∂p as the attention backward ops take them.
fn window_grads(outs: &mut [ndarray::Array2<f32>; 3]) -> WindowGrads<'_, ndarray::Array2<f32>> {
    let [dfx, dfy, dp] = outs;
    WindowGrads { dfx, dfy, dp }
}

fn training_step(c: &mut Criterion) {
    let b = CpuBackend::<f32>::new();
    let mut g = c.benchmark_group("train_step");
    g.sample_size(10);
    g.throughput(Throughput::Elements(BATCH as u64));
    for name in ["mnist", "quick"] {
        let p = preset(name).unwrap();
        let x: Vec<f32> = draw_rs::core::conformance::test_batch(&p.model, BATCH, 1)
            .into_iter()
            .map(|v| if v < 0.2 { 1.0 } else { 0.0 })
            .collect();
        let model = Draw::new(&b, p.model.clone(), 1).unwrap();
        let mut t = Trainer::new(
            &b,
            model,
            TrainConfig {
                batch_size: BATCH,
                ..p.train.clone()
            },
        )
        .unwrap();
        g.bench_function(name, |bn| bn.iter(|| t.step(&b, &x).unwrap()));
        let model = &t.model;
        let mut ws = model.shard_workspaces(&b, BATCH);
        g.bench_function(format!("{name}_forward"), |bn| {
            bn.iter(|| {
                b.run(|| model.forward_shards(&b, &mut ws, &x, NoiseKey::new(1, 0)))
                    .unwrap()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, ops, training_step);
criterion_main!(benches);
