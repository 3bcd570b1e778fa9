//! Pact provider verification against offcloud with the real tools from npm
//! (`@pact-foundation/pact` 17): `tests/pact/consumers.cjs` runs consumer tests of a Memgraph
//! client and a Hasura client (PactV3) that write pact files, and `tests/pact/verify.cjs` runs
//! the real `Verifier` against a running offcloud, whose `POST /_offcloud/provider-states` sets up
//! the states of `tests/pact/states/` (`--provider-states`). The passing pacts verify; a
//! deliberately wrong one is rejected.
//!
//! The packages live in `$OFFCLOUD_PACT_NODE_MODULES` (set by `.ci/clients/contract.sh`),
//! otherwise under `target/contract-pact`, installed here with npm on first use.

use std::path::{Path, PathBuf};
use std::process::Command;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestServer, send, test_config};

const PACT: &str = "@pact-foundation/pact@17.1.4";

fn node_modules() -> PathBuf {
    if let Some(path) = std::env::var_os("OFFCLOUD_PACT_NODE_MODULES") {
        return PathBuf::from(path);
    }
    // Tests run in parallel: one installation at a time.
    static INSTALLING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = INSTALLING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/contract-pact");
    let modules = dir.join("node_modules");
    if !modules.join("@pact-foundation/pact").exists() {
        std::fs::create_dir_all(&dir).expect("target/contract-pact");
        let installed = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .arg(PACT)
            .status();
        assert!(
            installed.is_ok_and(|s| s.success()),
            "npm install {PACT} failed: install Node.js or set OFFCLOUD_PACT_NODE_MODULES"
        );
    }
    modules
}

fn pact_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pact")
}

/// Runs `node tests/pact/SCRIPT ARGS` with the Pact packages; answers (success, stdout, stderr).
async fn node(
    script: &str,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
) -> (bool, String, String) {
    let modules = tokio::task::spawn_blocking(node_modules).await.unwrap();
    let script = pact_dir().join(script);
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .args(args)
            .envs(env)
            .env("NODE_PATH", modules)
            .output()
            .expect("node runs")
    })
    .await
    .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn server() -> TestServer {
    let mut config = test_config();
    config.contract.provider_states = Some(pact_dir().join("states"));
    TestServer::start_with(config).await
}

#[tokio::test]
async fn the_pact_verifier_verifies_real_consumer_pacts_and_rejects_a_wrong_one() {
    let pacts = tempfile::tempdir().unwrap();
    let dir = pacts.path().display().to_string();
    let (ok, out, err) = node("consumers.cjs", vec![dir.clone()], Vec::new()).await;
    assert!(ok && out.contains("consumer tests passed"), "{out}\n{err}");

    let s = server().await;
    let env = vec![
        ("MEMGRAPH_URL", format!("http://{}", s.memgraph)),
        ("HASURA_URL", format!("http://{}", s.hasura)),
        ("STATES_URL", s.main_url("/_offcloud/provider-states")),
    ];
    let (ok, out, err) = node("verify.cjs", vec![dir], env).await;
    assert!(ok, "{out}\n{err}");
    let results: Value = serde_json::from_str(out.trim().lines().last().unwrap_or_default())
        .unwrap_or_else(|_| panic!("{out}\n{err}"));
    assert_eq!(
        results,
        json!({"memgraph": true, "hasura": true, "wrong": false}),
        "{err}"
    );
    assert!(
        err.contains("Actual map is missing the following keys: belief_text"),
        "{err}"
    );
    // The verifier's requests are the consumers' own: they fit the real APIs.
    crate::contract::assert_only_deliberate_violations(&s, "default", &[]).await;
}

#[tokio::test]
async fn a_state_change_resets_the_session_and_applies_the_states_fixture() {
    let s = server().await;
    let a = s.onboard("before@example.com").await;
    let url = s.main_url("/_offcloud/provider-states");
    let (status, body) = send(
        s.http
            .post(&url)
            .json(&json!({"state": "a tenant with a belief", "params": {}, "action": "setup"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["session"], "default");
    assert_eq!(
        body["setup"]["a tenant with a belief"]["memgraph"]["beliefs"],
        1
    );
    // The tenant made before is gone; the state's key works.
    let (status, _) = s.get("/v1/stats", a.key()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let key = crate::support::Auth::Key("mg_test_pact_00000000000000000000000000000");
    let (status, beliefs) = s.get("/v1/beliefs?subject_id=user-42", key).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(beliefs["count"], 1);

    // The list form of Pact V2, in another session; teardown undoes nothing.
    let (status, body) = send(
        s.http
            .post(s.main_url("/_offcloud/provider-states?session=v2"))
            .json(&json!({"states": ["a tenant with a belief", "a user with a project"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["session"], "v2");
    assert_eq!(
        body["setup"]["a user with a project"]["hasura"]["projects"],
        1
    );
    let (status, _) = send(
        s.http
            .post(&url)
            .json(&json!({"state": "a tenant with a belief", "action": "teardown"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = s.get("/v1/beliefs?subject_id=user-42", key).await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = send(s.http.post(&url).json(&json!({"state": "a missing state"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["error"],
        "unknown provider state \"a missing state\": the known states are a user with a project, a tenant with a belief"
    );
}

#[tokio::test]
async fn provider_state_files_must_name_their_state_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), "memgraph:\n  tenants: []\n").unwrap();
    let mut config = test_config();
    config.contract.provider_states = Some(dir.path().to_owned());
    let Err(e) = offcloud::Server::bind(config).await else {
        panic!("a state file without `state` starts");
    };
    assert_eq!(
        e.to_string(),
        format!(
            "invalid fixtures: {}:1: state: a provider-state document needs a top-level `state: NAME`",
            dir.path().join("a.yaml").display()
        )
    );
    // `state` is a provider-state document's key only: a fixture file may not have it.
    let fixture = dir.path().join("fixture.yaml");
    std::fs::write(&fixture, "state: x\n").unwrap();
    let mut config = test_config();
    config.fixtures = Some(fixture);
    let Err(e) = offcloud::Server::bind(config).await else {
        panic!("a fixture file with `state` starts");
    };
    assert!(e.to_string().contains("unknown field `state`"), "{e}");
}
