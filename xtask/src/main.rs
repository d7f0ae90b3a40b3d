//! `cargo xtask`: the project's task runner (matklad's xtask pattern).
//!
//! - `cargo xtask train [--backend cpu] [--preset P] [draw train flags…]`: builds the `draw`
//!   binary in release mode and trains (on the MNIST copy in `data/mnist` by default).
//! - `cargo xtask bench [--backend B] [--preset P]…`: builds in release mode and prints training,
//!   evaluation and sampling throughput (all presets when none is given).
//! - `cargo xtask parity [draw parity flags…]`: every op, one step's gradients and 50 training
//!   steps on MNIST, CPU against wgpu; exits non-zero past tolerance.
//! - `cargo xtask sample|eval|adapters …`: the same pass-through for the other `draw` commands.

use std::path::PathBuf;
use std::process::{exit, Command};

fn usage() -> ! {
    eprintln!("usage: cargo xtask <train|bench|parity|eval|sample|adapters> [flags passed to `draw <command>`]");
    exit(2)
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the workspace")
        .to_path_buf()
}

fn run(cmd: &mut Command) {
    match cmd.status() {
        Ok(s) if s.success() => {}
        Ok(s) => exit(s.code().unwrap_or(1)),
        Err(e) => {
            eprintln!("xtask: cannot run {cmd:?}: {e}");
            exit(1)
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let task = args.next().unwrap_or_else(|| usage());
    if !matches!(
        task.as_str(),
        "train" | "bench" | "parity" | "eval" | "sample" | "adapters"
    ) {
        usage();
    }
    let rest: Vec<String> = args.collect();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = root();
    run(Command::new(&cargo).current_dir(&root).args([
        "build",
        "--release",
        "--quiet",
        "-p",
        "draw-cli",
    ]));
    // A relative CARGO_TARGET_DIR is relative to the workspace, where the build above ran.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(|d| root.join(d))
        .unwrap_or_else(|| root.join("target"));
    // `draw` runs in the caller's directory, so relative paths mean what the caller expects;
    // it finds the shipped MNIST from any directory.
    run(Command::new(target.join("release").join("draw"))
        .arg(&task)
        .args(&rest));
}
