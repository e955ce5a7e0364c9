//! The declared minimum Rust version (`rust-version` in the workspace's `Cargo.toml`) holds for
//! what users build: no crate our libraries and the CLI depend on (normal and build
//! dependencies, not dev-dependencies) declares a newer one.
//!
//! CI has one toolchain, so this is half of the check; the other half is clippy's
//! `incompatible_msrv` lint, which reads the same `rust-version` and refuses any standard
//! library API stabilised after it (CI runs clippy with `-D warnings`).

use std::collections::{BTreeSet, HashMap};
use std::process::Command;

use serde_json::Value;

/// The crates users build: the facade, its parts and the command line.
const OURS: [&str; 6] = [
    "dingtalk-bot",
    "dingtalk-core",
    "dingtalk-derive",
    "dingtalk-spec",
    "dingtalk-sandbox",
    "dingtalk-bot-cli",
];

fn version(v: &str) -> Vec<u32> {
    v.split('.').map(|n| n.parse().unwrap_or(0)).collect()
}

#[test]
fn no_dependency_needs_a_newer_rust_than_we_declare() {
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).unwrap();
    let packages: HashMap<&str, &Value> = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p))
        .collect();
    let declared = env!("CARGO_PKG_RUST_VERSION");
    assert!(
        !declared.is_empty(),
        "the workspace declares a rust-version"
    );

    // Every package reachable from ours through normal or build dependencies.
    let nodes: HashMap<&str, &Value> = metadata["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n))
        .collect();
    let mut todo: Vec<&str> = packages
        .iter()
        .filter(|(_, p)| OURS.contains(&p["name"].as_str().unwrap()))
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(
        todo.len(),
        OURS.len(),
        "every crate of ours is in the workspace"
    );
    let mut reached = BTreeSet::new();
    while let Some(id) = todo.pop() {
        if !reached.insert(id) {
            continue;
        }
        for dep in nodes[id]["deps"].as_array().unwrap() {
            let used = dep["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"].is_null() || k["kind"] == "build");
            if used {
                todo.push(dep["pkg"].as_str().unwrap());
            }
        }
    }
    let too_new: Vec<String> = reached
        .iter()
        .filter_map(|id| {
            let p = packages[id];
            let needs = p["rust_version"].as_str()?;
            (version(needs) > version(declared)).then(|| format!("{} needs {needs}", p["name"]))
        })
        .collect();
    assert!(
        too_new.is_empty(),
        "the workspace declares rust-version {declared}, but {too_new:?}"
    );
    assert!(
        reached.len() > 50,
        "the dependency graph was read: {reached:?}"
    );
}
