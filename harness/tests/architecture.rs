//! The module graph of both crates runs one way (README.md, "Architecture"): no module imports
//! one that imports it back, and the scenario format depends only on leaf vocabularies.
//!
//! A module is a file; an import is a `crate::`, `super::` or `self::` path in its code (doc
//! links count, tests do not). A module using its own ancestors is how a module is split into
//! files, so those edges are not counted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Module = Vec<String>;

fn crate_src(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(name)
        .join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/a/b.rs` and `src/a/b/mod.rs` -> `[a, b]`; `lib.rs` and `main.rs` -> `[]`.
fn module_of(src: &Path, file: &Path) -> Module {
    let relative = file
        .strip_prefix(src)
        .expect("under src")
        .with_extension("");
    let mut parts: Module = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts
        .last()
        .is_some_and(|p| p == "mod" || p == "lib" || p == "main")
    {
        parts.pop();
    }
    parts
}

/// Every module's imports of other modules of the crate.
fn graph(src: &Path) -> BTreeMap<Module, BTreeSet<Module>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeMap<Module, PathBuf> =
        files.into_iter().map(|f| (module_of(src, &f), f)).collect();
    let path = regex::Regex::new(r"\b(?:crate|super|self)(?:::[A-Za-z_][A-Za-z0-9_]*)+")
        .expect("a valid pattern");
    let mut edges = BTreeMap::new();
    for (module, file) in &modules {
        let text = std::fs::read_to_string(file).expect("a readable source file");
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let mut targets = BTreeSet::new();
        for found in path.find_iter(code) {
            let parts: Vec<&str> = found.as_str().split("::").collect();
            let (mut target, rest): (Module, &[&str]) = if parts[0] == "crate" {
                (Vec::new(), &parts[1..])
            } else {
                let mut base = module.clone();
                let mut rest = &parts[..];
                while let Some(first) = rest.first().filter(|p| **p == "super" || **p == "self") {
                    if *first == "super" {
                        base.pop();
                    }
                    rest = &rest[1..];
                }
                (base, rest)
            };
            target.extend(rest.iter().map(|p| (*p).to_owned()));
            while !target.is_empty() && !modules.contains_key(&target) {
                target.pop();
            }
            let is_ancestor = module.starts_with(&target);
            if !target.is_empty() && !is_ancestor {
                targets.insert(target);
            }
        }
        edges.insert(module.clone(), targets);
    }
    edges
}

/// A cycle of the graph, if it has one, as the modules on it.
fn cycle(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Option<Vec<Module>> {
    fn visit(
        node: &Module,
        edges: &BTreeMap<Module, BTreeSet<Module>>,
        path: &mut Vec<Module>,
        done: &mut BTreeSet<Module>,
    ) -> Option<Vec<Module>> {
        if let Some(at) = path.iter().position(|m| m == node) {
            return Some(path[at..].to_vec());
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, edges, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.clone());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|start| visit(start, edges, &mut Vec::new(), &mut done))
}

fn names(modules: &[Module]) -> Vec<String> {
    modules.iter().map(|m| m.join("::")).collect()
}

#[test]
fn neither_crate_has_a_module_cycle() {
    for name in ["harness", "mock-vendors"] {
        let edges = graph(&crate_src(name));
        if let Some(cycle) = cycle(&edges) {
            panic!(
                "{name}: these modules import each other: {:?}",
                names(&cycle)
            );
        }
    }
}

#[test]
fn the_scenario_format_uses_only_leaf_vocabularies() {
    let edges = graph(&crate_src("harness"));
    let scenario = ["scenario".to_owned()];
    for (module, targets) in &edges {
        if !module.starts_with(&scenario) {
            continue;
        }
        for target in targets.iter().filter(|t| !t.starts_with(&scenario)) {
            let imports = &edges[target];
            assert!(
                imports.is_empty(),
                "{} imports {}, which is not a leaf: it imports {:?}",
                module.join("::"),
                target.join("::"),
                names(&imports.iter().cloned().collect::<Vec<_>>())
            );
        }
    }
}

#[test]
fn the_check_finds_a_cycle_when_there_is_one() {
    let a = vec!["a".to_owned()];
    let b = vec!["b".to_owned()];
    let mut edges = BTreeMap::from([
        (a.clone(), BTreeSet::from([b.clone()])),
        (b.clone(), BTreeSet::new()),
    ]);
    assert_eq!(cycle(&edges), None);
    edges.insert(b.clone(), BTreeSet::from([a.clone()]));
    assert_eq!(cycle(&edges).map(|c| c.len()), Some(2));
}
