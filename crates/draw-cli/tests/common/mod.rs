//! What every `draw` end-to-end test needs: running the binary, temporary run directories and
//! the shipped MNIST. Each test file uses part of it.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `draw` with `args` to completion.
pub fn draw<S: AsRef<OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_draw"))
        .args(args)
        .output()
        .expect("runs draw")
}

/// Runs `draw` with `args`, failing the test with its stderr unless it succeeds.
pub fn draw_ok<S: AsRef<OsStr>>(args: &[S]) -> Output {
    let out = draw(args);
    assert!(
        out.status.success(),
        "draw {:?} failed: {}",
        args.iter().map(|a| a.as_ref()).collect::<Vec<_>>(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A fresh, empty temporary directory named after the test process, `kind` and `name`.
pub fn tmp(kind: &str, name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("draw-{kind}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The MNIST copy shipped in the repository.
pub fn mnist() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/mnist"))
}

/// A path as a command-line argument.
pub fn s(p: &Path) -> String {
    p.to_str().expect("UTF-8 temp path").to_string()
}
