//! Reading draw-wgpu's kernel table for `tidy`: which files its `include_str!`s name, written
//! directly (`include_str!("../x.wgsl")`) or through a table macro
//! (`include_str!(concat!("../", $file, ".wgsl"))` with `spec!("gemm", …)`). Pure functions
//! over the source text.

/// `src` with its `//` and `/* */` comments blanked out (string literals kept), so that a
/// comment mentioning `include_str!` is not read as one.
pub fn strip_comments(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'"' {
            let end = string_end(b, i);
            out.push_str(&src[i..end]);
            i = end;
        } else if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            let close = src[i + 2..].find("*/").map_or(b.len(), |k| i + 2 + k + 2);
            out.push(' ');
            i = close;
        } else {
            let ch = src[i..].chars().next().expect("in bounds");
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// The index just past the string literal starting at `b[start] == '"'`.
fn string_end(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// The index of the bracket closing the one at `s[open]`, skipping string literals.
fn closing(s: &str, open: usize) -> Option<usize> {
    let b = s.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i = string_end(b, i);
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The text inside the bracketed group that starts at the first non-space character at or
/// after `from` (which must be an opening bracket), and the index past its close.
fn group_after(s: &str, from: usize) -> Option<(&str, usize)> {
    let open = from + s[from..].len() - s[from..].trim_start().len();
    if !matches!(s.as_bytes().get(open), Some(b'(' | b'[' | b'{')) {
        return None;
    }
    let close = closing(s, open)?;
    Some((&s[open + 1..close], close + 1))
}

/// `s` split at its top-level commas (not inside brackets or strings), each part trimmed.
fn split_top(s: &str) -> Vec<&str> {
    let b = s.as_bytes();
    let (mut parts, mut depth, mut start, mut i) = (Vec::new(), 0i32, 0, 0);
    while i < b.len() {
        match b[i] {
            b'"' => {
                i = string_end(b, i);
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth -= 1,
            b',' if depth == 0 => {
                parts.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    let last = s[start..].trim();
    if !last.is_empty() {
        parts.push(last);
    }
    parts
}

/// The value of a plain string literal (`"a/b"`), if `s` is one.
fn literal(s: &str) -> Option<String> {
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains(['"', '\\'])).then(|| inner.to_string())
}

/// One part of a `concat!`: a literal or a macro variable (`$file`).
enum Part {
    Lit(String),
    Var(String),
}

fn concat_parts(args: &str) -> Result<Vec<Part>, String> {
    split_top(args)
        .into_iter()
        .map(|a| match (literal(a), a.strip_prefix('$')) {
            (Some(l), _) => Ok(Part::Lit(l)),
            (None, Some(v)) => Ok(Part::Var(v.to_string())),
            _ => Err(format!("cannot read `{a}` in a concat! of include_str!")),
        })
        .collect()
}

/// The files a template names: each invocation of the macro around `at` fills its variable
/// with the literal at the variable's position in the macro's first matcher.
fn expand(src: &str, at: usize, parts: &[Part]) -> Result<Vec<String>, String> {
    let vars: Vec<&str> = parts
        .iter()
        .filter_map(|p| match p {
            Part::Var(v) => Some(v.as_str()),
            Part::Lit(_) => None,
        })
        .collect();
    let [var] = vars[..] else {
        return Err("an include_str!(concat!(…)) with more than one variable".into());
    };
    let def = src[..at]
        .rfind("macro_rules!")
        .ok_or("an include_str!(concat!(…)) with a variable outside a macro_rules!")?;
    let after = &src[def + "macro_rules!".len()..];
    let name: String = after
        .trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    let body_from = def + "macro_rules!".len() + after.find(&name).expect("just read") + name.len();
    let (body, _) = group_after(src, body_from).ok_or("a macro_rules! without a body")?;
    let (matcher, _) = group_after(body, 0).ok_or("a macro_rules! rule without a matcher")?;
    let position = split_top(matcher)
        .iter()
        .position(|m| m.starts_with(&format!("${var}:")))
        .ok_or_else(|| format!("`${var}` is not a top-level argument of `{name}!`"))?;
    let call = format!("{name}!");
    let mut out = Vec::new();
    for (k, _) in src.match_indices(&call) {
        let boundary = src[..k]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        let Some((args, _)) = group_after(src, k + call.len()).filter(|_| boundary) else {
            continue;
        };
        let arg = split_top(args).get(position).copied().unwrap_or("");
        let value = literal(arg)
            .ok_or_else(|| format!("`{name}!({args})`: argument {position} is not a literal"))?;
        out.push(
            parts
                .iter()
                .map(|p| match p {
                    Part::Lit(l) => l.as_str(),
                    Part::Var(_) => value.as_str(),
                })
                .collect(),
        );
    }
    Ok(out)
}

/// Every path `src` includes with `include_str!`, as written (relative to the file), in order
/// of appearance; an `include_str!` it cannot read is an error rather than a silent gap.
pub fn include_paths(src: &str) -> Result<Vec<String>, String> {
    let src = strip_comments(src);
    let mut out = Vec::new();
    for (k, _) in src.match_indices("include_str!") {
        let (inner, _) = group_after(&src, k + "include_str!".len())
            .ok_or("an include_str! without parentheses")?;
        let inner = inner.trim();
        if let Some(l) = literal(inner) {
            out.push(l);
        } else if let Some(rest) = inner.strip_prefix("concat!") {
            let (args, _) = group_after(rest, 0).ok_or("a concat! without parentheses")?;
            let parts = concat_parts(args)?;
            if parts.iter().all(|p| matches!(p, Part::Lit(_))) {
                out.extend(expand_literals(&parts));
            } else {
                out.extend(expand(&src, k, &parts)?);
            }
        } else {
            return Err(format!("cannot read include_str!({inner})"));
        }
    }
    Ok(out)
}

fn expand_literals(parts: &[Part]) -> Option<String> {
    parts
        .iter()
        .map(|p| match p {
            Part::Lit(l) => Some(l.as_str()),
            Part::Var(_) => None,
        })
        .collect()
}

/// `rel` resolved against the directory `base` (both `/`-separated, relative to the workspace
/// root), with `.` and `..` folded away.
pub fn resolve(base: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for p in rel.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// The problems between the shader files present and those the kernel table includes (both
/// workspace-relative): a present file nobody includes, an included file that does not exist.
pub fn shader_problems(
    table: &str,
    included: &[String],
    present: &[String],
    exists: impl Fn(&str) -> bool,
) -> Vec<String> {
    let mut out = Vec::new();
    for p in present {
        if !included.contains(p) {
            out.push(format!("{p} is not in the kernel table ({table})"));
        }
    }
    let mut seen: Vec<&String> = Vec::new();
    for i in included {
        if !seen.contains(&i) && !exists(i) {
            out.push(format!("{table} includes {i}, which does not exist"));
        }
        seen.push(i);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = r#"
//! Loaded with `include_str!("nothing.wgsl")` (a comment, not an include).
macro_rules! spec {
    ($file:literal, $headers:expr, [$($w:expr),*]) => {
        Spec { name: $file, source: include_str!(concat!("../../../shaders/", $file, ".wgsl")) }
    };
}
const READ: &[&str] = &[include_str!("../../../shaders/read_images.wgsl")];
/* spec!("commented", PLAIN, [R]) */
pub static KERNELS: [Spec; 2] = [
    spec!("gemm", PLAIN, [R, R, W]),
    spec!( "fill" , READ, [W]),
];
const COMMON: &str = include_str!(concat!("../../../shaders/", "common", ".wgsl"));
"#;

    #[test]
    fn direct_and_macro_includes_are_read() {
        assert_eq!(
            include_paths(TABLE).unwrap(),
            [
                "../../../shaders/gemm.wgsl",
                "../../../shaders/fill.wgsl",
                "../../../shaders/read_images.wgsl",
                "../../../shaders/common.wgsl",
            ]
        );
    }

    #[test]
    fn unreadable_includes_are_errors() {
        assert!(include_paths("const A: &str = include_str!(PATH);").is_err());
        let two_vars = "macro_rules! k { ($a:literal, $b:literal) => { \
                        include_str!(concat!($a, $b)) }; }";
        assert!(include_paths(two_vars).is_err());
        let not_literal = "macro_rules! k { ($a:expr) => { include_str!(concat!($a)) }; }\nk!(X);";
        assert!(include_paths(not_literal).is_err());
    }

    #[test]
    fn paths_resolve_against_the_table() {
        assert_eq!(
            resolve("crates/draw-wgpu/src", "../../../shaders/gemm.wgsl"),
            "shaders/gemm.wgsl"
        );
        assert_eq!(resolve("a/b", "./c/../d.wgsl"), "a/b/d.wgsl");
    }

    #[test]
    fn unlisted_and_missing_shaders_are_named() {
        let inc = vec!["shaders/a.wgsl".to_string(), "shaders/gone.wgsl".into()];
        let present = vec!["shaders/a.wgsl".to_string(), "shaders/extra.wgsl".into()];
        let p = shader_problems("k.rs", &inc, &present, |p| present.iter().any(|x| x == p));
        assert_eq!(
            p,
            [
                "shaders/extra.wgsl is not in the kernel table (k.rs)",
                "k.rs includes shaders/gone.wgsl, which does not exist",
            ]
        );
        assert!(shader_problems("k.rs", &present, &present, |_| true).is_empty());
    }
}
