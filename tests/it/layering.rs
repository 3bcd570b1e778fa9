//! The core depends on no service: only the registry (`src/services.rs`) names them, so a service
//! can change, or a fifth be added, without touching the core, and no import cycle runs through
//! a service and back.

use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The core's source files: `src/*.rs` but the registry, and everything under `src/control/`
/// and `src/auth/`.
fn core_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = rust_files(&src(), false)
        .into_iter()
        .filter(|f| f.file_name().is_some_and(|n| n != "services.rs"))
        .collect();
    files.extend(rust_files(&src().join("control"), true));
    files.extend(rust_files(&src().join("auth"), true));
    files
}

fn rust_files(dir: &Path, recursive: bool) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if recursive {
                files.extend(rust_files(&path, true));
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// Every path in `code` that starts at `crate::` or `super::` and goes into one of `services`,
/// grouped imports (`crate::{auth, typedb}`) included.
fn service_paths(code: &str, services: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for root in ["crate::", "super::"] {
        for (at, _) in code.match_indices(root) {
            let rest = &code[at + root.len()..];
            let items: Vec<&str> = match rest.strip_prefix('{') {
                Some(group) => group[..group.find('}').unwrap_or(group.len())]
                    .split(',')
                    .collect(),
                None => vec![rest],
            };
            for item in items {
                let first: String = item
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if services.contains(&first.as_str()) {
                    found.push(format!("{root}{first}"));
                }
            }
        }
    }
    found
}

#[test]
fn no_core_file_names_a_service() {
    let services = offcloud::services::all().names();
    let files = core_files();
    assert!(files.iter().any(|f| f.ends_with("routing.rs")));
    assert!(files.iter().any(|f| f.ends_with("control/fixtures/mod.rs")));
    let mut offenders = Vec::new();
    for file in files {
        let code = std::fs::read_to_string(&file).unwrap();
        for path in service_paths(&code, &services) {
            offenders.push(format!("{}: {path}", file.display()));
        }
    }
    assert!(
        offenders.is_empty(),
        "core files reach into a service (go through the registry, `crate::service`):\n{}",
        offenders.join("\n")
    );
}

#[test]
fn service_paths_are_found_whichever_way_they_are_written() {
    let services = ["memgraph", "dgraph"];
    assert_eq!(
        service_paths("use crate::dgraph::close_all;", &services),
        ["crate::dgraph"]
    );
    assert_eq!(
        service_paths("use crate::{auth, memgraph::Metrics};", &services),
        ["crate::memgraph"]
    );
    assert_eq!(
        service_paths("super::dgraph::x(); crate::dgraph_like::y();", &services),
        ["super::dgraph"]
    );
    assert!(service_paths("use crate::session::Session;", &services).is_empty());
}
