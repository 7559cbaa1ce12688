//! The layers of docs/architecture.md, checked on the source: no module
//! imports one above it, and no two modules import each other. Reads every
//! file under `src/` (not `main.rs`, not test modules) for `crate::…` and
//! `super::…` paths.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules, lowest first: each may import only lower layers.
const LAYERS: [(&str, u8); 17] = [
    ("domain", 0),
    ("secret", 1),
    ("config", 2),
    ("store", 2),
    ("export", 2),
    ("logging", 2),
    ("alloc_tuning", 2),
    ("report", 3),
    ("counter", 3),
    ("engine", 4),
    ("feed", 5),
    ("print", 5),
    ("sim", 6),
    ("api", 7),
    ("cli", 7),
    ("tui", 8),
    ("run", 9),
];

/// Pairs that still import each other, each with why it is left (none now:
/// the checksum the archive and the backup share lives in `store::fnv`).
const KNOWN_PAIRS: [(&str, &str); 0] = [];

type Module = Vec<String>;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn module_of(src: &Path, file: &Path) -> Module {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

/// The code a file contributes outside its test module, without comments.
fn code(text: &str) -> String {
    let body = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    body.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The paths after `crate::` or a run of `super::`, resolved from `me`.
fn references(me: &Module, code: &str) -> Vec<Module> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let word = |i: usize| i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
    let path_at = |mut i: usize| {
        let mut segs = Vec::new();
        loop {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            if i == start {
                break;
            }
            segs.push(code[start..i].to_string());
            if code[i..].starts_with("::") {
                i += 2;
            } else {
                break;
            }
        }
        segs
    };
    for (i, _) in code.match_indices("crate::") {
        if !word(i) {
            out.push(path_at(i + "crate::".len()));
        }
    }
    let mut i = 0;
    while let Some(off) = code[i..].find("super::") {
        let start = i + off;
        let mut j = start;
        let mut ups = 0;
        while code[j..].starts_with("super::") {
            ups += 1;
            j += "super::".len();
        }
        i = j;
        if word(start) {
            continue;
        }
        // `super` is the parent module, from `foo.rs` and `foo/mod.rs` alike.
        let keep = me.len().saturating_sub(ups);
        let mut path: Module = me[..keep].to_vec();
        path.extend(path_at(j));
        out.push(path);
    }
    out
}

/// The longest known module a path names (items are dropped).
fn resolve(path: &Module, modules: &BTreeSet<Module>) -> Option<Module> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| modules.contains(p))
}

fn within(a: &Module, b: &Module) -> bool {
    a.len() >= b.len() && a[..b.len()] == b[..]
}

fn graph() -> BTreeMap<Module, BTreeSet<Module>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut list = Vec::new();
    files(&src, &mut list);
    list.retain(|f| f.file_name().is_some_and(|n| n != "main.rs"));
    let modules: BTreeSet<Module> = list.iter().map(|f| module_of(&src, f)).collect();
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for f in &list {
        let me = module_of(&src, f);
        let text = std::fs::read_to_string(f).expect("a source file reads");
        for r in references(&me, &code(&text)) {
            if let Some(to) = resolve(&r, &modules) {
                if to != me && !to.is_empty() {
                    edges.entry(me.clone()).or_default().insert(to);
                }
            }
        }
    }
    edges
}

fn name(m: &Module) -> String {
    m.join("::")
}

#[test]
fn no_module_imports_one_above_it() {
    let layer: BTreeMap<&str, u8> = LAYERS.into_iter().collect();
    let mut upward = Vec::new();
    for (from, tos) in graph() {
        let Some(first) = from.first() else { continue };
        for to in tos {
            if to[0] == *first {
                continue;
            }
            let (a, b) = (layer.get(first.as_str()), layer.get(to[0].as_str()));
            match (a, b) {
                (Some(a), Some(b)) if b < a => {}
                _ => upward.push(format!("{} -> {}", name(&from), name(&to))),
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports that do not go down the layers of docs/architecture.md:\n  {}",
        upward.join("\n  ")
    );
}

#[test]
fn no_two_modules_import_each_other() {
    let edges = graph();
    let known: BTreeSet<(String, String)> = KNOWN_PAIRS
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let mut pairs = Vec::new();
    for (a, tos) in &edges {
        for b in tos {
            // A module's own files may name the whole (an `impl` split by
            // concern, as `engine::writer` and `tui::app` are).
            if within(a, b) || within(b, a) || a > b {
                continue;
            }
            if edges.get(b).is_some_and(|back| back.contains(a))
                && !known.contains(&(name(a), name(b)))
            {
                pairs.push(format!("{} <-> {}", name(a), name(b)));
            }
        }
    }
    assert!(
        pairs.is_empty(),
        "modules that import each other:\n  {}",
        pairs.join("\n  ")
    );
}
