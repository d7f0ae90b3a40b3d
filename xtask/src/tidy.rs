//! `cargo xtask tidy`: checks what goes stale when code moves and the prose does not.
//!
//! - every path in ARCHITECTURE.md's code map exists;
//! - every `draw` subcommand and flag the README shows exists in the built binary's `--help`;
//! - every shader in `shaders/` is in draw-wgpu's kernel table, and every file the table
//!   includes exists.

use crate::markdown::{code_map_paths, draw_mentions, Mention};
use crate::shaders::{include_paths, resolve, shader_problems};
use crate::OWN_TASKS;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// The file holding draw-wgpu's kernel table, relative to the workspace root.
pub const KERNEL_TABLE: &str = "crates/draw-wgpu/src/kernels.rs";
/// The shader directory, relative to the workspace root.
pub const SHADER_DIR: &str = "shaders";

/// The subcommands of a clap `--help` text: the first word of each line under `Commands:`.
pub fn help_subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| l.trim() != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty() && l.starts_with(' '))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

/// The long flags a clap `--help` text defines: the `--x` names on option lines (those that
/// start with `-`), not flags mentioned in descriptions.
pub fn help_flags(help: &str) -> Vec<String> {
    help.lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with('-'))
        .filter_map(|l| {
            let head = l.split("  ").next()?;
            Some(
                head.split([' ', ','])
                    .filter(|w| w.starts_with("--") && w.len() > 2)
                    .map(|w| w.trim_end_matches(['=', '.']).to_string())
                    .collect::<Vec<_>>(),
            )
        })
        .flatten()
        .collect()
}

/// The problems in `mentions` against the binary's subcommands and each one's flags.
pub fn mention_problems(
    file: &str,
    mentions: &[Mention],
    flags: &BTreeMap<String, Vec<String>>,
) -> Vec<String> {
    let mut out = Vec::new();
    for m in mentions {
        let line = m.line;
        match (&m.command, &m.flag) {
            (Some(c), None) if !flags.contains_key(c) => out.push(format!(
                "{file}:{line}: `draw {c}` is not a draw subcommand (`draw --help`)"
            )),
            (Some(c), Some(f)) if flags.get(c).is_some_and(|fs| !fs.contains(f)) => out.push(
                format!("{file}:{line}: `draw {c}` has no flag `{f}` (`draw {c} --help`)"),
            ),
            (None, Some(f)) if !flags.values().any(|fs| fs.contains(f)) => out.push(format!(
                "{file}:{line}: no draw subcommand has a flag `{f}`"
            )),
            _ => {}
        }
    }
    out
}

/// The crate directory whose `### ` heading (such as ``### `crates/draw-core` ``) line
/// `line` (1-based) sits under, if any.
fn section_base(md: &str, line: usize) -> Option<&str> {
    let heading = md
        .lines()
        .take(line)
        .filter(|l| l.starts_with("### ") || l.starts_with("## "))
        .last()?;
    let inner = heading.split('`').nth(1)?;
    heading.starts_with("### ").then_some(inner)
}

/// The problems of ARCHITECTURE.md's code map: a missing section, or a path that does not
/// exist (`exists` answers for a workspace-relative path). A path under a crate's `### `
/// heading may also be relative to that crate or to its `src/`.
pub fn code_map_problems(file: &str, md: &str, exists: impl Fn(&str) -> bool) -> Vec<String> {
    let found = |line: usize, p: &str| {
        exists(p)
            || section_base(md, line).is_some_and(|base| {
                exists(&format!("{base}/src/{p}")) || exists(&format!("{base}/{p}"))
            })
    };
    match code_map_paths(md) {
        None => vec![format!("{file}: no `## Code map` section")],
        Some(paths) => paths
            .into_iter()
            .filter(|(line, p)| !found(*line, p))
            .map(|(line, p)| {
                format!("{file}:{line}: the code map names `{p}`, which does not exist")
            })
            .collect(),
    }
}

fn read(root: &Path, rel: &str, problems: &mut Vec<String>) -> Option<String> {
    match std::fs::read_to_string(root.join(rel)) {
        Ok(s) => Some(s),
        Err(e) => {
            problems.push(format!("{rel}: cannot read: {e}"));
            None
        }
    }
}

/// `draw [sub] --help`, or a problem.
fn help(draw: &Path, sub: Option<&str>) -> Result<String, String> {
    let out = Command::new(draw)
        .args(sub)
        .arg("--help")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", draw.display()))?;
    if !out.status.success() {
        return Err(format!("`draw {} --help` failed", sub.unwrap_or("")));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Each subcommand of the binary with its flags.
fn draw_flags(draw: &Path) -> Result<BTreeMap<String, Vec<String>>, String> {
    let mut out = BTreeMap::new();
    for sub in help_subcommands(&help(draw, None)?) {
        if sub != "help" {
            let flags = help_flags(&help(draw, Some(&sub))?);
            out.insert(sub, flags);
        }
    }
    Ok(out)
}

fn shader_files(root: &Path) -> Result<Vec<String>, String> {
    let dir = root.join(SHADER_DIR);
    let entries = std::fs::read_dir(&dir).map_err(|e| format!("{SHADER_DIR}/: {e}"))?;
    let mut out: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".wgsl"))
        .map(|n| format!("{SHADER_DIR}/{n}"))
        .collect();
    out.sort();
    Ok(out)
}

/// Checks the kernel table against the shader directory; returns the number of files included.
fn kernel_table_problems(root: &Path, problems: &mut Vec<String>) -> usize {
    let Some(src) = read(root, KERNEL_TABLE, problems) else {
        return 0;
    };
    let base = KERNEL_TABLE.rsplit_once('/').map_or("", |(d, _)| d);
    let included: Vec<String> = match include_paths(&src) {
        Ok(paths) => paths.iter().map(|p| resolve(base, p)).collect(),
        Err(e) => {
            problems.push(format!("{KERNEL_TABLE}: {e}"));
            return 0;
        }
    };
    match shader_files(root) {
        Ok(present) => problems.extend(shader_problems(KERNEL_TABLE, &included, &present, |p| {
            root.join(p).is_file()
        })),
        Err(e) => problems.push(e),
    }
    included.len()
}

/// Runs every check against the tree at `root` and the binary `draw`; prints each problem and
/// returns the exit status (0 when there is none).
pub fn run(root: &Path, draw: &Path) -> i32 {
    let mut problems = Vec::new();
    let mut counts = [0; 3];
    if let Some(md) = read(root, "ARCHITECTURE.md", &mut problems) {
        counts[0] = code_map_paths(&md).map_or(0, |p| p.len());
        problems.extend(code_map_problems("ARCHITECTURE.md", &md, |p| {
            root.join(p).exists()
        }));
    }
    if let Some(md) = read(root, "README.md", &mut problems) {
        let mentions = draw_mentions(&md, OWN_TASKS);
        counts[1] = mentions.len();
        match draw_flags(draw) {
            Ok(flags) => problems.extend(mention_problems("README.md", &mentions, &flags)),
            Err(e) => problems.push(e),
        }
    }
    counts[2] = kernel_table_problems(root, &mut problems);
    for p in &problems {
        eprintln!("{p}");
    }
    if problems.is_empty() {
        let [paths, mentions, shaders] = counts;
        println!(
            "tidy: up to date ({paths} code-map paths, {mentions} README commands and flags, \
             {shaders} kernel-table includes)"
        );
        0
    } else {
        eprintln!("tidy: {} problem(s)", problems.len());
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOP: &str = "DRAW\n\nUsage: draw <COMMAND>\n\nCommands:\n  train     Train a model\n  \
                       eval      Evaluate\n  help      Print this message\n\nOptions:\n  \
                       -h, --help     Print help\n  -V, --version  Print version\n";
    const TRAIN: &str = "Train\n\nUsage: draw train [OPTIONS]\n\nOptions:\n      \
                         --preset <PRESET>\n          Preset (default quick)\n      \
                         --batch-size <BATCH_SIZE>  Mini-batch size; see --lr\n  \
                         -h, --help  Print help\n";

    #[test]
    fn help_texts_are_read() {
        assert_eq!(help_subcommands(TOP), ["train", "eval", "help"]);
        assert_eq!(help_flags(TRAIN), ["--preset", "--batch-size", "--help"]);
        assert_eq!(help_flags(TOP), ["--help", "--version"]);
    }

    #[test]
    fn stale_commands_and_flags_are_named() {
        let flags: BTreeMap<String, Vec<String>> = [
            ("train".to_string(), help_flags(TRAIN)),
            ("eval".to_string(), vec!["--limit".to_string()]),
        ]
        .into();
        let m = |line, c: Option<&str>, f: Option<&str>| Mention {
            line,
            command: c.map(str::to_string),
            flag: f.map(str::to_string),
        };
        let mentions = [
            m(1, Some("train"), None),
            m(2, Some("train"), Some("--preset")),
            m(3, Some("trian"), None),
            m(3, Some("trian"), Some("--x")),
            m(4, Some("eval"), Some("--preset")),
            m(5, None, Some("--limit")),
            m(6, None, Some("--gone")),
        ];
        assert_eq!(
            mention_problems("R.md", &mentions, &flags),
            [
                "R.md:3: `draw trian` is not a draw subcommand (`draw --help`)",
                "R.md:4: `draw eval` has no flag `--preset` (`draw eval --help`)",
                "R.md:6: no draw subcommand has a flag `--gone`",
            ]
        );
    }

    #[test]
    fn code_map_paths_resolve_under_their_crate_heading() {
        let md = "## Code map\n\n### `crates/a`\n\n- `model/`: x\n- `tests/t.rs`\n- `gone/x.rs`\n";
        let tree = ["crates/a", "crates/a/src/model/", "crates/a/tests/t.rs"];
        let problems = code_map_problems("A.md", md, |p| tree.contains(&p));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("`gone/x.rs`"), "{problems:?}");
    }

    #[test]
    fn missing_code_map_paths_are_named() {
        let md = "## Code map\n\n- **`crates/a`**: x\n- **`crates/gone`**: y\n";
        assert_eq!(
            code_map_problems("A.md", md, |p| p == "crates/a"),
            ["A.md:4: the code map names `crates/gone`, which does not exist"]
        );
        assert_eq!(
            code_map_problems("A.md", "# A\n", |_| true),
            ["A.md: no `## Code map` section"]
        );
    }
}
