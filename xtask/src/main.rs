//! `cargo xtask`: the project's task runner (matklad's xtask pattern).
//!
//! - `cargo xtask tidy`: checks what goes stale (ARCHITECTURE.md's code map against the tree,
//!   the README's `draw` commands and flags against `draw --help`, the shader files against
//!   draw-wgpu's kernel table); exits non-zero listing each problem.
//! - `cargo xtask <command> [flags…]`, for any other command: builds the `draw` binary in
//!   release mode and runs `draw <command> [flags…]` (`train`, `bench`, `parity`, `eval`,
//!   `sample`, `adapters`, …: whatever `draw --help` lists). `cargo xtask sample` without
//!   `--checkpoint` samples the shipped model (`--pretrained mnist`).

mod markdown;
mod shaders;
mod tidy;

use std::path::{Path, PathBuf};
use std::process::{exit, Command};

/// The tasks xtask runs itself; every other command goes to `draw`.
pub const OWN_TASKS: &[&str] = &["tidy"];

fn usage() -> ! {
    eprintln!("usage: cargo xtask tidy");
    eprintln!("       cargo xtask <draw command> [flags passed to `draw <command>`]");
    eprintln!("       (`draw --help` lists the commands: train, eval, sample, bench, parity, …)");
    exit(2)
}

/// The workspace root.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the workspace")
        .to_path_buf()
}

/// Runs `cmd`, exiting with its status when it fails.
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

/// Builds the `draw` binary in release mode with the calling cargo; returns its path.
fn build_draw(root: &Path) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run(Command::new(&cargo).current_dir(root).args([
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
    target.join("release").join("draw")
}

/// `cargo xtask sample` without a model samples the shipped `mnist` model.
fn default_model(task: &str, rest: &[String]) -> Vec<&'static str> {
    let names_model = |a: &String| {
        ["--checkpoint", "--pretrained", "-h", "--help"]
            .iter()
            .any(|f| a == f || a.starts_with(&format!("{f}=")))
    };
    if task == "sample" && !rest.iter().any(names_model) {
        vec!["--pretrained", "mnist"]
    } else {
        Vec::new()
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let task = args.next().unwrap_or_else(|| usage());
    let rest: Vec<String> = args.collect();
    let root = root();
    match task.as_str() {
        "tidy" => exit(tidy::run(&root, &build_draw(&root))),
        "-h" | "--help" | "help" => usage(),
        // `draw` runs in the caller's directory, so relative paths mean what the caller
        // expects; it finds the shipped MNIST from any directory.
        _ => run(Command::new(build_draw(&root))
            .arg(&task)
            .args(&rest)
            .args(default_model(&task, &rest))),
    }
}

#[cfg(test)]
mod tests {
    use super::default_model;

    #[test]
    fn sample_defaults_to_the_shipped_model() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(default_model("sample", &[]), ["--pretrained", "mnist"]);
        assert_eq!(
            default_model("sample", &args(&["--n", "4"])),
            ["--pretrained", "mnist"]
        );
        for given in [&["--checkpoint", "c"][..], &["--pretrained=x"], &["--help"]] {
            assert!(
                default_model("sample", &args(given)).is_empty(),
                "{given:?}"
            );
        }
        assert!(default_model("eval", &[]).is_empty());
    }
}
