//! Reading markdown for `tidy`: the paths of ARCHITECTURE.md's code map and the `draw`
//! commands and flags the README shows. Pure functions over the file's text.

/// A piece of code in a markdown file: a backtick span, or one line of a fenced block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Code<'a> {
    /// 1-based line number.
    pub line: usize,
    /// The code, without its backticks.
    pub text: &'a str,
    /// A line of a fenced block (rather than a span in prose).
    pub block: bool,
    /// The paragraph it sits in: blank lines, headings, list items and table rows start a new
    /// one.
    pub paragraph: usize,
    /// The span is bold (`**`x`**`), as the head of a code-map entry is.
    pub bold: bool,
    /// The span sits on a heading line.
    pub heading: bool,
}

/// Every backtick span and fenced-block line of `md`, in order.
pub fn code_pieces(md: &str) -> Vec<Code<'_>> {
    let mut out = Vec::new();
    let (mut fenced, mut paragraph) = (false, 0);
    for (k, line) in md.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            fenced = !fenced;
            paragraph += 1;
            continue;
        }
        if fenced {
            out.push(Code {
                line: k + 1,
                text: strip_shell_comment(line),
                block: true,
                paragraph,
                bold: false,
                heading: false,
            });
            continue;
        }
        let heading = trimmed.starts_with('#');
        if trimmed.is_empty() || heading || trimmed.starts_with('|') || starts_list_item(trimmed) {
            paragraph += 1;
        }
        for (start, text) in spans(line) {
            let bold =
                line[..start].ends_with("**`") && line[start + text.len()..].starts_with("`**");
            out.push(Code {
                line: k + 1,
                text,
                block: false,
                paragraph,
                bold,
                heading,
            });
        }
    }
    out
}

fn starts_list_item(trimmed: &str) -> bool {
    trimmed.starts_with("- ")
        || trimmed.starts_with("* ")
        || trimmed
            .split_once(". ")
            .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The line before a shell comment (` # …`).
fn strip_shell_comment(line: &str) -> &str {
    if line.trim_start().starts_with('#') {
        return "";
    }
    match line.find(" #") {
        Some(i) => &line[..i],
        None => line,
    }
}

/// The backtick spans of one line: (byte offset of the text, text). A span opened by a run of
/// n backticks closes at the next run of exactly n; an unclosed run is plain text.
fn spans(line: &str) -> Vec<(usize, &str)> {
    let bytes = line.as_bytes();
    let run_at = |i: usize| bytes[i..].iter().take_while(|&&b| b == b'`').count();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'`' {
            i += 1;
            continue;
        }
        let n = run_at(i);
        let start = i + n;
        let mut j = start;
        let mut close = None;
        while j < bytes.len() {
            if bytes[j] == b'`' {
                let m = run_at(j);
                if m == n {
                    close = Some(j);
                    break;
                }
                j += m;
            } else {
                j += 1;
            }
        }
        match close {
            Some(end) => {
                let raw = &line[start..end];
                let text = raw.trim();
                let offset = start + (raw.len() - raw.trim_start().len());
                out.push((offset, text));
                i = end + n;
            }
            None => i = start,
        }
    }
    out
}

/// Whether a span reads as a path in the tree: no spaces, only path characters, no globs.
fn looks_like_path(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
}

/// The paths ARCHITECTURE.md's code map names, with their line numbers: every backticked
/// path with a `/` in the `## Code map` section, and every bold or heading span there (an
/// entry's head, such as **`xtask`**). `None` when there is no code map section.
pub fn code_map_paths(md: &str) -> Option<Vec<(usize, String)>> {
    let lines: Vec<&str> = md.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim().eq_ignore_ascii_case("## code map"))?;
    let end = lines[start + 1..]
        .iter()
        .position(|l| l.starts_with("## ") || l.starts_with("# "))
        .map_or(lines.len(), |k| start + 1 + k);
    let mut out: Vec<(usize, String)> = Vec::new();
    for c in code_pieces(md) {
        let inside = c.line > start + 1 && c.line <= end;
        if !inside || c.block || !looks_like_path(c.text) {
            continue;
        }
        if (c.text.contains('/') || c.bold || c.heading) && !out.iter().any(|(_, p)| p == c.text) {
            out.push((c.line, c.text.to_string()));
        }
    }
    Some(out)
}

/// What a markdown file shows of `draw`: a subcommand (`flag` empty), or a flag of one
/// (`command` empty when the text names no command for it: it must then exist in some
/// subcommand).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mention {
    /// 1-based line number.
    pub line: usize,
    /// The `draw` subcommand.
    pub command: Option<String>,
    /// The flag, with its dashes (`--batch-size`).
    pub flag: Option<String>,
}

/// The pieces of one code piece that matter to `draw`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    /// `draw X`, `…/draw X` or `cargo xtask X` (X may be `a|b|c`: each alternative).
    Draw(Vec<String>),
    /// The start of some other command (`cargo test`, `cargo xtask tidy`, …).
    Other,
    /// `--flag` (a value after `=` dropped).
    Flag(String),
}

fn subcommands(word: &str) -> Option<Vec<String>> {
    let alts: Vec<String> = word.split('|').map(str::to_string).collect();
    let ok = alts.iter().all(|a| {
        a.starts_with(|c: char| c.is_ascii_lowercase())
            && a.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    });
    ok.then_some(alts)
}

fn flag(word: &str) -> Option<String> {
    let rest = word.strip_prefix("--")?;
    if !rest.starts_with(|c: char| c.is_ascii_lowercase()) {
        return None;
    }
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
        .collect();
    Some(format!("--{name}"))
}

fn tokens(text: &str, own_tasks: &[&str]) -> Vec<Token> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        let next = |k: usize| words.get(i + k).copied().and_then(subcommands);
        if w == "draw" || w.ends_with("/draw") {
            match next(1) {
                Some(alts) => {
                    out.push(Token::Draw(alts));
                    i += 2;
                }
                None => {
                    out.push(Token::Other);
                    i += 1;
                }
            }
        } else if w == "cargo" && words.get(i + 1) == Some(&"xtask") {
            match next(2) {
                Some(alts) if !alts.iter().any(|a| own_tasks.contains(&a.as_str())) => {
                    out.push(Token::Draw(alts))
                }
                _ => out.push(Token::Other),
            }
            i += 3;
        } else if let Some(f) = flag(w) {
            out.push(Token::Flag(f));
            i += 1;
        } else {
            if i == 0 {
                out.push(Token::Other);
            }
            i += 1;
        }
    }
    out
}

/// Which command a flag belongs to while reading.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Context {
    /// None named: the flag must exist in some subcommand.
    Any,
    /// These `draw` subcommands.
    Draw(Vec<String>),
    /// Some other program's flags (`cargo test --release`).
    Ignore,
}

/// Every `draw` subcommand and flag that `md` shows in code. A flag belongs to the command
/// before it in the same code piece; a span that holds only flags belongs to the last `draw`
/// command of its paragraph (as in "`draw train` flags: `--preset`, `--epochs`"); a flag after
/// another program (`cargo test --release`) is not `draw`'s. `cargo xtask X` is `draw X`
/// unless X is one of `own_tasks`.
pub fn draw_mentions(md: &str, own_tasks: &[&str]) -> Vec<Mention> {
    let mut out = Vec::new();
    let mut paragraph = (usize::MAX, Context::Any);
    for c in code_pieces(md) {
        if paragraph.0 != c.paragraph {
            paragraph = (c.paragraph, Context::Any);
        }
        let mut ctx = if c.block {
            Context::Ignore
        } else {
            paragraph.1.clone()
        };
        for t in tokens(c.text, own_tasks) {
            match t {
                Token::Draw(alts) => {
                    for a in &alts {
                        out.push(Mention {
                            line: c.line,
                            command: Some(a.clone()),
                            flag: None,
                        });
                    }
                    ctx = Context::Draw(alts);
                    if !c.block {
                        paragraph.1 = ctx.clone();
                    }
                }
                Token::Other => ctx = Context::Ignore,
                Token::Flag(f) => match &ctx {
                    Context::Ignore => {}
                    Context::Any => out.push(Mention {
                        line: c.line,
                        command: None,
                        flag: Some(f),
                    }),
                    Context::Draw(alts) => out.extend(alts.iter().map(|a| Mention {
                        line: c.line,
                        command: Some(a.clone()),
                        flag: Some(f.clone()),
                    })),
                },
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(line: usize, command: Option<&str>, flag: Option<&str>) -> Mention {
        Mention {
            line,
            command: command.map(str::to_string),
            flag: flag.map(str::to_string),
        }
    }

    #[test]
    fn spans_and_blocks_are_found() {
        let md = "a `x` b ``y `z` y`` c `open\n```sh\nrun this # not this\n```\n**`bold`**\n";
        let p = code_pieces(md);
        let texts: Vec<&str> = p.iter().map(|c| c.text).collect();
        assert_eq!(texts, ["x", "y `z` y", "run this", "bold"]);
        assert!(p[2].block && !p[0].block);
        assert!(p[3].bold && !p[0].bold);
        assert_eq!((p[0].line, p[2].line, p[3].line), (1, 3, 5));
    }

    #[test]
    fn code_map_paths_are_the_sections_paths_and_entry_heads() {
        let md = "# A\n`crates/outside` \n## Code map\n\n- **`crates/draw-core`**: `config` \
                  (`crates/draw-core/src/model.rs`), `[W | H]`, `a::b`\n- **`xtask`**: tasks\n\
                  ### `crates/ide`\n## Invariants\n`crates/after`\n";
        assert_eq!(
            code_map_paths(md).unwrap(),
            [
                (5, "crates/draw-core".to_string()),
                (5, "crates/draw-core/src/model.rs".to_string()),
                (6, "xtask".to_string()),
                (7, "crates/ide".to_string()),
            ]
        );
        assert_eq!(code_map_paths("# no map\n`a/b`\n"), None);
    }

    #[test]
    fn commands_and_their_flags_are_read() {
        let md = "```sh\n\
                  cargo xtask train --backend cpu --preset mnist   # any `draw x` flag\n\
                  target/release/draw eval --checkpoint c.safetensors --n=4\n\
                  cargo test --workspace --release\n\
                  cargo xtask tidy --strict\n\
                  ```\n";
        assert_eq!(
            draw_mentions(md, &["tidy"]),
            [
                m(2, Some("train"), None),
                m(2, Some("train"), Some("--backend")),
                m(2, Some("train"), Some("--preset")),
                m(3, Some("eval"), None),
                m(3, Some("eval"), Some("--checkpoint")),
                m(3, Some("eval"), Some("--n")),
            ]
        );
    }

    #[test]
    fn flag_spans_belong_to_the_paragraphs_command() {
        let md = "`--backend wgpu` picks one; `cargo bench --bench ops` is not ours.\n\n\
                  `draw train` flags: `--preset`,\n`--lr`.\n\n`--seed` alone.\n\
                  | `cargo xtask train|bench` | `--runs` |\n";
        assert_eq!(
            draw_mentions(md, &["tidy"]),
            [
                m(1, None, Some("--backend")),
                m(3, Some("train"), None),
                m(3, Some("train"), Some("--preset")),
                m(4, Some("train"), Some("--lr")),
                m(6, None, Some("--seed")),
                m(7, Some("train"), None),
                m(7, Some("bench"), None),
                m(7, Some("train"), Some("--runs")),
                m(7, Some("bench"), Some("--runs")),
            ]
        );
    }

    #[test]
    fn prose_words_are_not_commands() {
        assert!(draw_mentions("DRAW draws; the `draw` binary; `draw_core::x`\n", &[]).is_empty());
    }
}
