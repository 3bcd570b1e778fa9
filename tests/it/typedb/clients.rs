//! Real HTTP clients against offcloud: curl as the docs and the bash tutorial call it, and Python
//! `requests` running the tutorial's deploy flow (`deploy_through_api.py`).
//!
//! `requests` lives in a virtualenv: `$OFFCLOUD_TYPEDB_PYTHON` if set (what `.ci/run` does through
//! `.ci/clients/typedb.sh`), otherwise `target/typedb-venv`, created here on first use.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use offcloud::config::Ttl;
use serde_json::Value;

use super::{Credentials, api_token, clusters, url};
use crate::contract::assert_only_deliberate_violations;
use crate::support::{PythonClient, TestServer, test_config};

/// The version the spec's client observations were made with.
const REQUESTS: &str = "requests==2.34.2";

fn python() -> PathBuf {
    PythonClient {
        env_var: "OFFCLOUD_TYPEDB_PYTHON",
        venv: "typedb-venv",
        requirement: REQUESTS,
        imports: "requests",
    }
    .python()
}

async fn run(
    program: PathBuf,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
) -> (bool, String) {
    let output = tokio::task::spawn_blocking(move || {
        Command::new(&program)
            .args(&args)
            .envs(env)
            .output()
            .unwrap_or_else(|e| panic!("{} runs: {e}", program.display()))
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    (output.status.success(), format!("{stdout}{stderr}"))
}

async fn curl(args: &[&str]) -> String {
    let args = ["-sS", "--fail-with-body"]
        .iter()
        .chain(args)
        .map(|a| (*a).to_owned())
        .collect();
    let (ok, output) = run(PathBuf::from("curl"), args, Vec::new()).await;
    assert!(ok, "curl failed: {output}");
    output
}

#[tokio::test]
async fn curl_as_the_docs_write_it_exchanges_and_lists() {
    let s = TestServer::start().await;
    let Credentials {
        client_id,
        client_secret,
    } = api_token(&s, "my-team", "default", "write").await;
    let auth = url(&s, "/api/v1/auth");
    // `curl --request POST --url … --header 'Authorization: Basic {CLIENT-ID}:{CLIENT-SECRET}'`
    let literal = format!("Authorization: Basic {client_id}:{client_secret}");
    let token = curl(&["--request", "POST", "--url", &auth, "--header", &literal]).await;
    // `curl -u id:secret -X POST …`: the standard base64 form.
    let user = format!("{client_id}:{client_secret}");
    let other = curl(&["-u", &user, "-X", "POST", &auth]).await;
    assert_eq!(token.split('.').count(), 3, "{token}");
    assert_eq!(other.split('.').count(), 3, "{other}");
    let bearer = format!("Authorization: Bearer {token}");
    let list = url(&s, &clusters("my-team", "default", ""));
    assert_eq!(
        curl(&["--request", "GET", "--url", &list, "--header", &bearer]).await,
        "[]"
    );
    // The bash tutorial deploys with --json and reads `.status`, or `.message` on failure.
    let deploy = url(&s, &clusters("my-team", "default", "/deploy"));
    let body = super::free_cluster("api-cluster").to_string();
    let answer = curl(&["--json", &body, "-H", &bearer, &deploy]).await;
    let cluster: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(cluster["status"], "starting");
    assert!(cluster.get("message").is_none());
    let args = ["-sS", "--json", &body, "-H", &bearer, &deploy]
        .map(str::to_owned)
        .to_vec();
    let (_, again) = run(PathBuf::from("curl"), args, Vec::new()).await;
    let error: Value = serde_json::from_str(&again).unwrap();
    assert_eq!(error["code"], "ALREADY_EXISTS");
    assert!(error["message"].is_string());
    assert_only_deliberate_violations(&s, "default", &[]).await;
}

#[tokio::test]
async fn python_requests_runs_the_tutorial_deploy_flow() {
    let mut config = test_config();
    // The script polls in real time, so the cluster starts at once.
    config.typedb.starting = Ttl(Duration::ZERO);
    let s = TestServer::start_with(config).await;
    let c = api_token(&s, "my-team", "default", "write").await;
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/typedb/deploy_through_api.py");
    let env = vec![
        ("TYPEDB_CLOUD_URL", url(&s, "")),
        ("TYPEDB_CLIENT_ID", c.client_id),
        ("TYPEDB_CLIENT_SECRET", c.client_secret),
        ("TYPEDB_TEAM", "my-team".to_owned()),
        ("TYPEDB_SPACE", "default".to_owned()),
    ];
    let python = tokio::task::spawn_blocking(python).await.unwrap();
    let (ok, output) = run(python, vec![script.display().to_string()], env).await;
    assert!(ok && output.contains("checks passed"), "{output}");
    assert_only_deliberate_violations(&s, "default", &[]).await;
}
