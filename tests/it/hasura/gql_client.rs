//! The real Python `gql` client (PyPI) runs every documented operation verbatim
//! (`gql_check.py` beside this file).
//!
//! The client lives in a virtualenv: `$OFFCLOUD_GQL_PYTHON` if set (what `.ci/run` does through
//! `.ci/clients/hasura.sh`), otherwise `target/hasura-venv`, created on first use.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use super::client::{graphql_url, user};
use crate::support::{PythonClient, TestServer};

const GQL: &str = "gql[requests]==3.5.3";

fn gql_python() -> PathBuf {
    PythonClient {
        env_var: "OFFCLOUD_GQL_PYTHON",
        venv: "hasura-venv",
        requirement: GQL,
        imports: "gql, requests",
    }
    .python()
}

#[tokio::test]
async fn python_gql_runs_the_documented_operations() {
    let python = gql_python();
    let s = TestServer::start().await;
    let pat = user(&s, "gql@example.com").await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/hasura/gql_check.py");
    let url = graphql_url(&s);
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python).arg(script).arg(url).arg(pat).output()
    })
    .await
    .unwrap()
    .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "gql_check.py failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(
        results["anonymous"],
        json!([{"message": "field 'projects' not found in type: 'query_root'",
                "extensions": {"path": "$.selectionSet.projects", "code": "validation-failed"}}])
    );
    assert_eq!(
        results["staleHash"],
        "hash mismatch: the env vars were modified; fetch the current hash and retry"
    );
    assert_eq!(results["deleteTenant"], json!({"status": "deleted"}));
    assert_eq!(results["schemaQueryType"], "query_root");
    crate::contract::assert_only_deliberate_violations(&s, "default", &[]).await;
    s.stop().await;
}
