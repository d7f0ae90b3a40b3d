//! Shipped models: `draw export` makes one from a training checkpoint (parameters only, config,
//! recorded bound), `--pretrained NAME` finds it under `models/`, and the repository's own
//! `models/mnist/` evaluates to its recorded bound on the CPU and wgpu backends.
//!
//! The wgpu half needs an adapter (CI installs lavapipe); `DRAW_WGPU_SKIP=1` skips it
//! deliberately, as the other wgpu tests do.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn draw_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_draw"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("runs draw")
}

fn ok(out: &Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The bound `draw eval` printed (2 decimals).
fn printed_bound(stdout: &str) -> f64 {
    let rest = stdout
        .split("test NLL bound: ")
        .nth(1)
        .unwrap_or_else(|| panic!("no bound in {stdout}"));
    rest.split(' ').next().unwrap().parse().unwrap()
}

/// The recorded check of a model directory: (test images, bound).
fn recorded(dir: &Path) -> (usize, f64) {
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("model.json")).unwrap()).unwrap();
    let c = &info["check"];
    (
        c["test_images"].as_u64().unwrap() as usize,
        c["test_nll"].as_f64().unwrap(),
    )
}

#[test]
fn export_ships_a_parameters_only_model_that_pretrained_finds() {
    let tmp = std::env::temp_dir().join(format!("draw-export-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let data = root().join("data/mnist");
    let data = data.to_str().unwrap();
    let run = tmp.join("run");
    ok(&draw_in(
        &tmp,
        &[
            "train",
            "--steps",
            "2",
            "--train-limit",
            "200",
            "--test-limit",
            "30",
            "--epochs",
            "1",
            "--data",
            data,
            "--out",
            run.to_str().unwrap(),
            "--threads",
            "1",
        ],
    ));
    let ckpt = run.join("checkpoint.safetensors");
    let export = |force: bool| {
        let mut a = vec![
            "export",
            "--checkpoint",
            ckpt.to_str().unwrap(),
            "--out",
            "models/tiny",
            "--eval-limit",
            "20",
            "--data",
            data,
        ];
        if force {
            a.push("--force");
        }
        draw_in(&tmp, &a)
    };
    ok(&export(false));
    let dir = tmp.join("models/tiny");
    for f in [
        "model.safetensors",
        "config.json",
        "model.json",
        "README.md",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    let shipped = draw_core::checkpoint::load(&dir.join("model.safetensors")).unwrap();
    assert!(
        shipped.optimizer.is_none(),
        "the optimiser state was not stripped"
    );
    let full = draw_core::checkpoint::load(&ckpt).unwrap();
    assert_eq!(shipped.values, full.values);
    let size = |p: &Path| std::fs::metadata(p).unwrap().len();
    assert!(size(&dir.join("model.safetensors")) * 2 < size(&ckpt));
    // A second export refuses to overwrite, unless forced.
    let again = export(false);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    ok(&export(true));
    // `--pretrained tiny` finds models/tiny under the current directory and reproduces the
    // recorded bound (same backend, same images, same noise: to the printed precision).
    let (n, bound) = recorded(&dir);
    assert_eq!(n, 20);
    let out = ok(&draw_in(
        &tmp,
        &[
            "eval",
            "--pretrained",
            "tiny",
            "--limit",
            "20",
            "--data",
            data,
        ],
    ));
    assert!(
        (printed_bound(&out) - bound).abs() <= 0.005 + 1e-9,
        "{out} vs {bound}"
    );
    ok(&draw_in(
        &tmp,
        &["sample", "--pretrained", "tiny", "--n", "4"],
    ));
    assert!(tmp.join("runs/pretrained-tiny/samples.png").is_file());
    assert!(tmp.join("runs/pretrained-tiny/canvas.gif").is_file());
    let missing = draw_in(&tmp, &["sample", "--pretrained", "nope"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no shipped model `nope`"));
    std::fs::remove_dir_all(&tmp).unwrap();
}

/// `models/mnist/` evaluates to its recorded bound on the first test images it records:
/// on the CPU to the printed precision (the same code and noise; only the shards' summation
/// order may differ with the core count), on wgpu within 0.05 nats (f32 kernels with their own
/// summation order and `exp`, as `cargo xtask parity` measures them).
#[test]
fn shipped_mnist_model_evaluates_to_its_recorded_bound() {
    let dir = root().join("models/mnist");
    if !dir.join("model.safetensors").is_file() {
        eprintln!(
            "skipped: {} holds no model.safetensors yet (ship one with `draw export`)",
            dir.display()
        );
        return;
    }
    let (n, bound) = recorded(&dir);
    let limit = n.to_string();
    let mut backends = vec![("cpu", 0.005 + 1e-9)];
    if std::env::var_os("DRAW_WGPU_SKIP").is_none_or(|v| v != "1") {
        backends.push(("wgpu", 0.05));
    }
    for (backend, tol) in backends {
        let out = ok(&draw_in(
            &root(),
            &[
                "eval",
                "--pretrained",
                "mnist",
                "--limit",
                &limit,
                "--backend",
                backend,
            ],
        ));
        let got = printed_bound(&out);
        assert!(
            (got - bound).abs() <= tol,
            "{backend}: {got} vs recorded {bound}"
        );
    }
}
