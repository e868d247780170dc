//! The crate's modules form layers: no top-level module reaches, through
//! any chain of `crate::` paths in non-test code, back to itself. A cycle
//! makes every module in it depend on all the others (build, test and
//! review them as one); the test names the edges that close it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module of a source file (`src/remediate/policy.rs` ->
/// `remediate`).
fn module_of(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).expect("under src");
    let first = rel.components().next().expect("a component");
    first
        .as_os_str()
        .to_string_lossy()
        .trim_end_matches(".rs")
        .to_owned()
}

/// Non-test code of a file: test modules (`#[cfg(test)]` to the end, as
/// this crate writes them) and comments removed.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

fn graph() -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let root = crate::common::root().join("src");
    let mut edges: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !name.ends_with(".rs") || matches!(name, "tests.rs" | "versions.rs" | "proptests.rs")
            {
                continue;
            }
            let from = module_of(&root, &path);
            let text = code(&std::fs::read_to_string(&path).expect("read"));
            for (i, _) in text.match_indices("crate::") {
                let to: String = text[i + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !to.is_empty() && to != from && !matches!(from.as_str(), "main" | "lib") {
                    edges
                        .entry(from.clone())
                        .or_default()
                        .entry(to)
                        .or_default()
                        .insert(
                            path.strip_prefix(&root)
                                .unwrap_or(&path)
                                .display()
                                .to_string(),
                        );
                }
            }
        }
    }
    edges
}

/// A path from `to` back to `from`, if any.
fn path_back(
    edges: &BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
    from: &str,
    to: &str,
) -> Option<Vec<String>> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![vec![to.to_owned()]];
    while let Some(path) = stack.pop() {
        let last = path.last().expect("non-empty").clone();
        if last == from {
            return Some(path);
        }
        if !seen.insert(last.clone()) {
            continue;
        }
        for next in edges.get(&last).into_iter().flat_map(|m| m.keys()) {
            let mut p = path.clone();
            p.push(next.clone());
            stack.push(p);
        }
    }
    None
}

/// Edges between sibling modules (`remediate::policy` ->
/// `remediate::history`, `sim::kube::logs` -> `sim::kube::watch`): `super::x`
/// in a module's file and `crate::<parent>::x`.
fn child_graph() -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let root = crate::common::root().join("src");
    let mut edges: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !name.ends_with(".rs") || matches!(name, "tests.rs" | "versions.rs" | "proptests.rs")
            {
                continue;
            }
            let rel = path.strip_prefix(&root).expect("under src");
            let parts: Vec<String> = rel
                .components()
                .map(|c| {
                    c.as_os_str()
                        .to_string_lossy()
                        .trim_end_matches(".rs")
                        .to_owned()
                })
                .collect();
            if parts.len() < 2 {
                continue; // top level: the other test
            }
            let parent = parts[..parts.len() - 1].join("::");
            let from = parts.join("::");
            let text = code(&std::fs::read_to_string(&path).expect("read"));
            let ident = |s: &str| -> String {
                s.chars()
                    .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                    .collect()
            };
            let mut targets = Vec::new();
            for (i, _) in text.match_indices("super::") {
                targets.push(ident(&text[i + 7..]));
            }
            let prefix = format!("crate::{parent}::");
            for (i, _) in text.match_indices(&prefix) {
                targets.push(ident(&text[i + prefix.len()..]));
            }
            for t in targets {
                let sibling = root
                    .join(parts[..parts.len() - 1].join("/"))
                    .join(format!("{t}.rs"));
                let to = format!("{parent}::{t}");
                if t.is_empty() || to == from || !sibling.exists() {
                    continue; // an item of the parent, not a sibling module
                }
                edges
                    .entry(from.clone())
                    .or_default()
                    .entry(to)
                    .or_default()
                    .insert(rel.display().to_string());
            }
        }
    }
    edges
}

#[test]
fn no_child_module_depends_on_itself_through_its_siblings() {
    let edges = child_graph();
    assert!(edges.len() > 10, "{edges:?}");
    let mut cycles = Vec::new();
    for (from, tos) in &edges {
        for (to, files) in tos {
            if let Some(back) = path_back(&edges, from, to) {
                cycles.push(format!(
                    "{from} -> {} (in {})",
                    back.join(" -> "),
                    files.iter().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
}

#[test]
fn no_module_depends_on_itself_through_others() {
    let edges = graph();
    assert!(edges.len() > 10, "{edges:?}");
    let mut cycles = Vec::new();
    for (from, tos) in &edges {
        for (to, files) in tos {
            if let Some(back) = path_back(&edges, from, to) {
                cycles.push(format!(
                    "{from} -> {} (in {})",
                    back.join(" -> "),
                    files.iter().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
}
