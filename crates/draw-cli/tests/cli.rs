//! The `draw` binary end to end: a short real run (train, eval, sample) and bad inputs that
//! must each end in a clear error, not a panic.

mod common;

use common::{draw, draw_ok, mnist};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn tmp(name: &str) -> PathBuf {
    common::tmp("cli", name)
}

/// An IDX file: magic (type 0x08, rank), dimensions, payload.
fn idx(dims: &[u32], payload_len: usize) -> Vec<u8> {
    let mut v = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        v.extend(d.to_be_bytes());
    }
    v.extend(std::iter::repeat_n(7u8, payload_len));
    v
}

/// A data directory holding the given train-images file and valid other files.
fn data_dir(name: &str, train_images: Vec<u8>, side: u32) -> PathBuf {
    let d = tmp(name);
    std::fs::write(d.join("train-images-idx3-ubyte"), train_images).unwrap();
    let s = side as usize;
    std::fs::write(
        d.join("t10k-images-idx3-ubyte"),
        idx(&[10, side, side], 10 * s * s),
    )
    .unwrap();
    let mut labels = idx(&[10], 10);
    labels[8..].iter_mut().for_each(|b| *b = 3);
    std::fs::write(d.join("t10k-labels-idx1-ubyte"), labels).unwrap();
    let mut tl = idx(&[10], 10);
    tl[8..].iter_mut().for_each(|b| *b = 1);
    std::fs::write(d.join("train-labels-idx1-ubyte"), tl).unwrap();
    d
}

fn fails_with(out: &Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "should fail: {err}");
    assert_eq!(
        out.status.code(),
        Some(1),
        "a clean error exit, not a panic: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "stderr should mention `{n}`: {err}");
    }
}

#[test]
fn train_eval_sample_end_to_end() {
    let out = tmp("e2e");
    let o = out.to_str().unwrap();
    let data = mnist();
    let train = draw_ok(&[
        "train",
        "--preset",
        "mnist",
        "--steps",
        "3",
        "--data",
        data.to_str().unwrap(),
        "--out",
        o,
        "--train-limit",
        "200",
        "--test-limit",
        "100",
        "--batch-size",
        "50",
        "--max-steps",
        "4",
    ]);
    let text = String::from_utf8_lossy(&train.stdout);
    assert!(text.contains("test bound"), "{text}");
    for f in [
        "checkpoint.safetensors",
        "metrics.jsonl",
        "config.json",
        "samples.png",
        "canvas.gif",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let metrics = std::fs::read_to_string(out.join("metrics.jsonl")).unwrap();
    assert!(
        metrics.lines().any(|l| l.contains("\"test_nll\"")),
        "{metrics}"
    );
    let ck = out.join("checkpoint.safetensors");
    let eval = draw_ok(&[
        "eval",
        "--checkpoint",
        ck.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--limit",
        "100",
    ]);
    let e = String::from_utf8_lossy(&eval.stdout);
    assert!(e.contains("test NLL bound") && e.contains("nats"), "{e}");
    assert!(e.contains("KL per step (nats): "), "{e}");
    assert!(
        !e.contains("importance-weighted"),
        "K = 1 prints the bound only: {e}"
    );
    let iw = draw_ok(&[
        "eval",
        "--checkpoint",
        ck.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--limit",
        "4",
        "--samples",
        "25",
        "--batch-size",
        "50",
    ]);
    let e = String::from_utf8_lossy(&iw.stdout);
    assert!(
        e.contains("importance-weighted bound (K = 25): ") && e.contains("over 4 images"),
        "{e}"
    );
    let sdir = out.join("s");
    draw_ok(&[
        "sample",
        "--checkpoint",
        ck.to_str().unwrap(),
        "--out",
        sdir.to_str().unwrap(),
        "--n",
        "9",
    ]);
    assert_eq!(
        &std::fs::read(sdir.join("canvas.gif")).unwrap()[..6],
        b"GIF89a"
    );
    assert_eq!(
        &std::fs::read(sdir.join("samples.png")).unwrap()[1..4],
        b"PNG"
    );
    std::fs::remove_dir_all(out).unwrap();
}

fn train_on(dir: &Path) -> Output {
    let o = dir.join("run");
    draw(&[
        "train",
        "--data",
        dir.to_str().unwrap(),
        "--out",
        o.to_str().unwrap(),
        "--max-steps",
        "1",
        "--batch-size",
        "5",
    ])
}

#[test]
fn truncated_data_file_is_named() {
    let d = data_dir("trunc", idx(&[10, 28, 28], 10 * 784 - 100), 28);
    fails_with(&train_on(&d), &["train-images-idx3-ubyte", "truncated"]);
}

#[test]
fn wrong_magic_is_named() {
    let mut bytes = idx(&[10, 28, 28], 10 * 784);
    bytes[0] = 0x12;
    let d = data_dir("magic", bytes, 28);
    fails_with(&train_on(&d), &["train-images-idx3-ubyte", "magic"]);
}

#[test]
fn wrong_image_dimensions_are_named() {
    let d = data_dir("dims", idx(&[10, 27, 27], 10 * 27 * 27), 27);
    fails_with(&train_on(&d), &["27x27", "28x28"]);
}

#[test]
fn missing_data_directory_is_named() {
    let out = draw(&["train", "--data", "/nonexistent/mnist", "--max-steps", "1"]);
    fails_with(&out, &["/nonexistent/mnist"]);
}

#[test]
fn impossible_configs_are_refused() {
    fails_with(&draw(&["train", "--steps", "0"]), &["steps"]);
    fails_with(
        &draw(&["train", "--preset", "nope"]),
        &["unknown preset", "quick"],
    );
    fails_with(&draw(&["train", "--lr=-1"]), &["learning_rate"]);
    fails_with(
        &draw(&["train", "--backend", "cpu", "--adapter", "x"]),
        &["--adapter", "wgpu"],
    );
    fails_with(
        &draw(&["eval", "--checkpoint", "/nonexistent.safetensors"]),
        &["/nonexistent.safetensors"],
    );
    fails_with(&draw(&["train", "--epochs", "0"]), &["epochs"]);
    fails_with(&draw(&["train", "--steps", "100000"]), &["steps"]);
    fails_with(&draw(&["train", "--batch-size", "0"]), &["batch_size"]);
    fails_with(&draw(&["train", "--test-limit", "0"]), &["test-set limit"]);
}

#[test]
fn damaged_checkpoint_is_refused_by_eval_and_sample() {
    let d = tmp("badckpt");
    let p = d.join("broken.safetensors");
    std::fs::write(&p, b"\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":").unwrap();
    let ps = p.to_str().unwrap();
    fails_with(
        &draw(&["eval", "--checkpoint", ps]),
        &["broken.safetensors", "not a safetensors file"],
    );
    fails_with(
        &draw(&["sample", "--checkpoint", ps]),
        &["broken.safetensors"],
    );
    std::fs::remove_dir_all(d).unwrap();
}

/// Whether the wgpu tests are skipped on purpose (`DRAW_WGPU_SKIP=1`, for a machine with no
/// adapter at all; CI installs lavapipe and does not set it).
fn wgpu_skipped() -> bool {
    std::env::var_os("DRAW_WGPU_SKIP").is_some_and(|v| v == "1")
}

/// The test NLL bound `draw eval` prints, in nats.
fn bound(out: &Output) -> f64 {
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = text.split("test NLL bound: ").nth(1).expect("a bound line");
    after.split_whitespace().next().unwrap().parse().unwrap()
}

/// `--backend wgpu` writes what the CPU backend writes, and a checkpoint from either backend
/// evaluates to the same bound on the other (needs an adapter: CI installs lavapipe; set
/// DRAW_WGPU_SKIP=1 where there is none).
#[test]
fn wgpu_trains_and_checkpoints_evaluate_alike_on_both_backends() {
    if wgpu_skipped() {
        return;
    }
    let out = tmp("wgpu");
    let data = mnist();
    let (o, d) = (out.to_str().unwrap(), data.to_str().unwrap());
    draw_ok(&[
        "train",
        "--backend",
        "wgpu",
        "--preset",
        "mnist",
        "--steps",
        "3",
        "--data",
        d,
        "--out",
        o,
        "--train-limit",
        "100",
        "--test-limit",
        "100",
        "--batch-size",
        "20",
        "--max-steps",
        "2",
    ]);
    for f in [
        "checkpoint.safetensors",
        "metrics.jsonl",
        "config.json",
        "samples.png",
        "canvas.gif",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let ck = out.join("checkpoint.safetensors");
    let ck = ck.to_str().unwrap();
    let eval = |backend: &str| {
        bound(&draw(&[
            "eval",
            "--backend",
            backend,
            "--checkpoint",
            ck,
            "--data",
            d,
            "--limit",
            "100",
        ]))
    };
    let (cpu, gpu) = (eval("cpu"), eval("wgpu"));
    // Printed to 2 decimals; f32 on both sides agrees to ~1e-6 relative.
    assert!((cpu - gpu).abs() <= 0.011, "cpu {cpu} vs wgpu {gpu}");
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn unknown_adapter_is_named() {
    if wgpu_skipped() {
        return;
    }
    let out = draw(&[
        "eval",
        "--backend",
        "wgpu",
        "--adapter",
        "no-such-gpu",
        "--checkpoint",
        "x",
    ]);
    fails_with(&out, &["no-such-gpu", "available"]);
}

/// A CIFAR-10 folder in the archive's layout with `n` records per file.
fn cifar_dir(name: &str, n: usize) -> PathBuf {
    let d = tmp(name);
    let inner = d.join("cifar-10-batches-bin");
    std::fs::create_dir_all(&inner).unwrap();
    let mut records = Vec::new();
    for i in 0..n {
        records.push((i % 10) as u8);
        // Red top half, blue bottom half: a colour image the grid must keep in colour.
        let plane = |ch: usize| {
            (0..1024).map(move |p| {
                if (p < 512) == (ch == 0) && ch != 1 {
                    250u8
                } else {
                    5
                }
            })
        };
        records.extend((0..3).flat_map(plane));
    }
    for f in [
        "test_batch.bin",
        "data_batch_1.bin",
        "data_batch_2.bin",
        "data_batch_3.bin",
        "data_batch_4.bin",
        "data_batch_5.bin",
    ] {
        std::fs::write(inner.join(f), &records).unwrap();
    }
    d
}

/// `draw args`' stdout, failing the test unless it succeeds.
fn ok(args: &[&str]) -> String {
    String::from_utf8_lossy(&draw_ok(args).stdout).into_owned()
}

#[test]
fn colour_cifar_trains_evaluates_from_the_checkpoint_and_samples_in_colour() {
    let data = cifar_dir("cifar-data", 20);
    let out = tmp("cifar-run");
    let text = ok(&[
        "train",
        "--preset",
        "cifar",
        "--steps",
        "2",
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--batch-size",
        "20",
        "--max-steps",
        "1",
        "--test-limit",
        "10",
    ]);
    assert!(
        text.contains("`cifar` on") && text.contains("cifar10 from") && text.contains("bits/dim"),
        "{text}"
    );
    let ck = out.join("checkpoint.safetensors");
    // No --dataset: the checkpoint names cifar10 and its folder.
    let e = ok(&[
        "eval",
        "--checkpoint",
        ck.to_str().unwrap(),
        "--limit",
        "10",
    ]);
    assert!(
        e.contains("over 10 cifar10 test images") && e.contains("bits/dim"),
        "{e}"
    );
    let nats: f64 = bound(&draw(&[
        "eval",
        "--checkpoint",
        ck.to_str().unwrap(),
        "--limit",
        "10",
    ]));
    let bpd: f64 = e
        .split("= ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (bpd - nats / (3072.0 * std::f64::consts::LN_2)).abs() < 1e-3,
        "{e}"
    );
    let png = std::fs::read(out.join("samples.png")).unwrap();
    assert_eq!(
        png[25], 2,
        "samples.png should be an RGB PNG (colour type 2)"
    );
    std::fs::remove_dir_all(out).unwrap();
    std::fs::remove_dir_all(data).unwrap();
}

#[test]
fn two_digit_mnist_trains_resumes_and_evaluates_on_its_own_test_set() {
    let out = tmp("mnist2-run");
    let o = out.to_str().unwrap();
    let common = [
        "--steps",
        "2",
        "--train-limit",
        "60",
        "--test-limit",
        "10",
        "--batch-size",
        "20",
    ];
    let args: Vec<&str> = [
        "train",
        "--preset",
        "mnist2",
        "--out",
        o,
        "--max-steps",
        "1",
    ]
    .into_iter()
    .chain(common)
    .collect();
    let text = ok(&args);
    assert!(
        text.contains("mnist2 from") && text.contains("60 train / 10 test"),
        "{text}"
    );
    let resumed = ok(&["train", "--resume", o]);
    assert!(
        resumed.contains("mnist2 from") && resumed.contains("resumed at epoch 1 batch 1"),
        "{resumed}"
    );
    let refused = draw(&["train", "--resume", o, "--dataset", "mnist"]);
    fails_with(&refused, &["--dataset"]);
    let ck = out.join("checkpoint.safetensors");
    let e = ok(&[
        "eval",
        "--checkpoint",
        ck.to_str().unwrap(),
        "--limit",
        "10",
    ]);
    assert!(e.contains("over 10 mnist2 test images"), "{e}");
    std::fs::remove_dir_all(out).unwrap();
}

/// A one-shot HTTP server on 127.0.0.1: answers every request with `status` and `body`.
fn serve(status: &'static str, body: Vec<u8>) -> String {
    use std::io::{BufRead, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { continue };
            let mut r = std::io::BufReader::new(s.try_clone().unwrap());
            let mut line = String::new();
            while r.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(&body);
        }
    });
    base
}

#[test]
fn data_download_errors_name_the_url_and_leave_nothing() {
    for (status, body, needle) in [
        ("404 Not Found", b"nope".to_vec(), "HTTP 404"),
        ("200 OK", b"not the real file".to_vec(), "checksum mismatch"),
    ] {
        let base = serve(status, body);
        let dir = tmp("dl");
        let out = Command::new(env!("CARGO_BIN_EXE_draw"))
            .args(["data", "download", "svhn", "--dir", dir.to_str().unwrap()])
            .env("DRAW_DATA_MIRROR", &base)
            .output()
            .unwrap();
        fails_with(&out, &[&format!("{base}/train_32x32.mat"), needle]);
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            0,
            "{needle}: files left behind"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
    let list = ok(&["data", "list"]);
    for name in ["mnist ", "fashion-mnist", "mnist2", "cifar10", "svhn"] {
        assert!(list.contains(name), "{list}");
    }
    fails_with(
        &draw(&["data", "download", "mnist"]),
        &["ships in data/mnist"],
    );
}

/// A classifier run end to end: two steps of `cluttered60`, the epoch line with validation and
/// test error (printed and in metrics.jsonl), `draw eval` of its checkpoint, `draw glimpses`,
/// and a generative-only flag refused.
#[test]
fn classifier_trains_evaluates_and_draws_its_glimpses() {
    let out = tmp("classifier-run");
    let o = out.to_str().unwrap();
    let data = mnist();
    let d = data.to_str().unwrap();
    let flags = [
        "train",
        "--preset",
        "cluttered60",
        "--max-steps",
        "2",
        "--batch-size",
        "10",
        "--train-limit",
        "50",
        "--test-limit",
        "20",
        "--data",
        d,
        "--out",
        o,
    ];
    let r = draw(&flags);
    let stdout = String::from_utf8_lossy(&r.stdout);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(
        stdout.contains("validation error") && stdout.contains("test error"),
        "{stdout}"
    );
    let metrics = std::fs::read_to_string(out.join("metrics.jsonl")).unwrap();
    assert!(metrics.contains("\"valid_error\"") && metrics.contains("\"test_error\""));
    let ck = out.join("checkpoint.safetensors");
    let c = ck.to_str().unwrap();
    let e = draw(&["eval", "--checkpoint", c, "--limit", "20", "--data", d]);
    assert!(
        String::from_utf8_lossy(&e.stdout).contains("test error"),
        "{e:?}"
    );
    let g = draw(&["glimpses", "--checkpoint", c, "--n", "2", "--data", d]);
    assert!(g.status.success(), "{g:?}");
    for f in ["glimpses.png", "glimpses.gif", "glimpses.json"] {
        assert!(out.join(f).exists(), "{f}");
    }
    let bad = draw(&[
        "train",
        "--preset",
        "cluttered60",
        "--read",
        "2",
        "--out",
        o,
        "--force",
    ]);
    fails_with(&bad, &["--read"]);
    std::fs::remove_dir_all(&out).ok();
}

/// A folder data set of `n` 54 × 54 RGB PNGs per split (the paper's SVHN patch size): a
/// coloured square on black, its colour and place varying with the index.
fn png_folder(name: &str, n: usize) -> PathBuf {
    let d = tmp(name);
    for split in ["train", "test"] {
        std::fs::create_dir_all(d.join(split)).unwrap();
        for i in 0..n {
            let mut rgb = vec![0u8; 54 * 54 * 3];
            for y in 10 + i % 20..30 + i % 20 {
                for x in 5 + i % 30..20 + i % 30 {
                    rgb[(y * 54 + x) * 3 + i % 3] = 240;
                }
            }
            let f = std::fs::File::create(d.join(split).join(format!("{i:03}.png"))).unwrap();
            let mut enc = png::Encoder::new(std::io::BufWriter::new(f), 54, 54);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            enc.write_header().unwrap().write_image_data(&rgb).unwrap();
        }
    }
    d
}

#[test]
fn a_folder_of_png_images_trains_the_svhn_model_at_its_own_size() {
    let data = png_folder("png-data", 12);
    let out = tmp("png-run");
    let text = ok(&[
        "train",
        "--preset",
        "svhn",
        "--dataset",
        "folder",
        "--steps",
        "2",
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--batch-size",
        "6",
        "--max-steps",
        "2",
    ]);
    assert!(
        text.contains("folder from") && text.contains("12 train / 12 test images"),
        "{text}"
    );
    let ck = out.join("checkpoint.safetensors");
    let e = ok(&["eval", "--checkpoint", ck.to_str().unwrap()]);
    assert!(e.contains("over 12 folder test images"), "{e}");
    let config = std::fs::read_to_string(out.join("config.json")).unwrap();
    assert!(
        config.contains("\"width\": 54") && config.contains("\"channels\": 3"),
        "{config}"
    );
    // A file of another size (the run's sample grid) is refused by name.
    std::fs::copy(
        out.join("samples.png"),
        data.join("train").join("zz-odd.png"),
    )
    .unwrap();
    let refused = draw(&[
        "train",
        "--preset",
        "quick",
        "--dataset",
        "folder",
        "--data",
        data.to_str().unwrap(),
        "--out",
        tmp("png-refused").to_str().unwrap(),
    ]);
    fails_with(&refused, &["zz-odd.png", "000.png"]);
    std::fs::remove_dir_all(out).unwrap();
    std::fs::remove_dir_all(data).unwrap();
}

#[test]
fn a_classifier_run_keeps_its_lowest_validation_error_checkpoint() {
    let out = tmp("classifier-best");
    let data = mnist();
    let text = ok(&[
        "train",
        "--preset",
        "cluttered60",
        "--epochs",
        "2",
        "--batch-size",
        "10",
        "--train-limit",
        "20",
        "--test-limit",
        "20",
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    // Epoch 1 is always the best so far; epoch 2 only if its validation error is lower.
    let kept = text.matches("lowest validation error so far").count();
    assert!((1..=2).contains(&kept), "{text}");
    let best = out.join("best.safetensors");
    let e = ok(&[
        "eval",
        "--checkpoint",
        best.to_str().unwrap(),
        "--limit",
        "20",
        "--data",
        data.to_str().unwrap(),
    ]);
    assert!(e.contains("test error"), "{e}");
    std::fs::remove_dir_all(&out).ok();
}

/// A generative run copies each epoch checkpoint that lowers the test bound to
/// best.safetensors, which evaluates to the lowest bound in the run's metrics (so a later
/// divergence loses nothing).
#[test]
fn a_generative_run_keeps_its_lowest_test_bound_checkpoint() {
    let out = tmp("generative-best");
    let data = mnist();
    let text = ok(&[
        "train",
        "--preset",
        "quick",
        "--steps",
        "4",
        "--epochs",
        "3",
        "--lr",
        "0.02",
        "--batch-size",
        "50",
        "--train-limit",
        "100",
        "--test-limit",
        "100",
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let metrics = std::fs::read_to_string(out.join("metrics.jsonl")).unwrap();
    let bounds: Vec<f64> = metrics
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["test_nll"].as_f64())
        .collect();
    assert_eq!(bounds.len(), 3, "{metrics}");
    let lowest = bounds.iter().cloned().fold(f64::INFINITY, f64::min);
    let improvements = (0..3)
        .filter(|&i| bounds[..i].iter().all(|&b| bounds[i] < b))
        .count();
    assert_eq!(
        text.matches("lowest test bound so far").count(),
        improvements,
        "{text}"
    );
    let e = ok(&[
        "eval",
        "--checkpoint",
        out.join("best.safetensors").to_str().unwrap(),
        "--limit",
        "100",
        "--data",
        data.to_str().unwrap(),
    ]);
    assert!(
        e.contains(&format!("test NLL bound: {lowest:.2} nats")),
        "{lowest}: {e}"
    );
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn grad_norm_logging_splits_the_step_norm_by_tensor() {
    let out = tmp("grad-norms");
    let data = mnist();
    ok(&[
        "train",
        "--preset",
        "quick",
        "--steps",
        "3",
        "--max-steps",
        "2",
        "--log-every",
        "1",
        "--log-grad-norms",
        "--batch-size",
        "20",
        "--train-limit",
        "40",
        "--test-limit",
        "20",
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let metrics = std::fs::read_to_string(out.join("metrics.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = metrics
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["grad_norms"].is_object())
        .collect();
    assert_eq!(lines.len(), 2, "one line per step: {metrics}");
    for line in &lines {
        let norms = line["grad_norms"].as_object().unwrap();
        assert!(norms.contains_key("encoder.weight_ih") && norms.contains_key("write.bias"));
        // Each line covers one step, so the tensors' norms make up the step's global norm.
        let total = norms
            .values()
            .map(|v| v.as_f64().unwrap().powi(2))
            .sum::<f64>()
            .sqrt();
        let global = line["grad_norm"].as_f64().unwrap();
        assert!(
            (total - global).abs() <= 1e-4 * global,
            "{total} vs {global}"
        );
        let maxima = line["param_max"].as_object().unwrap();
        assert_eq!(maxima.len(), norms.len());
        assert!(maxima["decoder.weight_hh"].as_f64().unwrap() > 0.0);
    }
    std::fs::remove_dir_all(&out).ok();
}
