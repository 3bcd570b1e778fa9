//! A bounded schemathesis run (PyPI `schemathesis`, default checks) over the three OpenAPI
//! documents, with valid credentials from the shipped fixtures (`fixtures/`), a fixed seed and a
//! few examples per operation.
//!
//! schemathesis lives in `$OFFCLOUD_SCHEMATHESIS` (set by `.ci/clients/contract.sh`), otherwise
//! in `target/contract-venv`, created on first use.
//!
//! Memgraph's is ignored for now: its document does not yet state every rule the server enforces
//! (state-bound 400s); run it with `cargo test --test it -- --ignored schemathesis`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

use crate::support::{TestServer, send, test_config};

fn schemathesis() -> PathBuf {
    if let Some(path) = std::env::var_os("OFFCLOUD_SCHEMATHESIS") {
        return PathBuf::from(path);
    }
    let python = crate::support::PythonClient {
        env_var: "OFFCLOUD_CONTRACT_PYTHON",
        venv: "contract-venv",
        requirement: "schemathesis==4.32.5",
        imports: "schemathesis",
    }
    .python();
    python.with_file_name("schemathesis")
}

/// A run with `headers` on every request, and `config` as its `schemathesis.toml` when given.
async fn run(
    s: &TestServer,
    service: &str,
    headers: Vec<String>,
    config: Option<String>,
) -> (bool, String) {
    let bin = tokio::task::spawn_blocking(schemathesis).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut args = Vec::new();
    if let Some(config) = config {
        let path = dir.path().join("schemathesis.toml");
        std::fs::write(&path, config).unwrap();
        args.push("--config-file".to_owned());
        args.push(path.display().to_string());
    }
    args.extend([
        "run".to_owned(),
        s.main_url(&format!("/_offcloud/openapi/{service}.json")),
        "--url".to_owned(),
        s.main_url(&format!("/{service}")),
        "--max-examples".to_owned(),
        "5".to_owned(),
        "--seed".to_owned(),
        "1".to_owned(),
        "--workers".to_owned(),
        "1".to_owned(),
        "--exclude-deprecated".to_owned(),
    ]);
    for header in headers {
        args.push("-H".to_owned());
        args.push(header);
    }
    let cwd = dir.path().to_owned();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(bin)
            .args(args)
            .current_dir(cwd)
            .output()
            .expect("schemathesis runs")
    })
    .await
    .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// Starts offcloud with the shipped fixtures and returns it with the headers that authenticate
/// schemathesis's requests to `service` (the fixtures' credentials), or the configuration that
/// does.
async fn server_and_credentials(service: &str) -> (TestServer, Vec<String>, Option<String>) {
    let mut config = test_config();
    config.fixtures = Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"));
    let s = TestServer::start_with(config).await;
    let headers = match service {
        "memgraph" => {
            let jwt = s.login("admin@acme.test", "mg-test-password").await;
            vec![
                format!("Authorization: Bearer {jwt}"),
                "X-API-Key: mg_test_acme_0000000000000000000000000000".to_owned(),
            ]
        }
        "typedb" => {
            let config = typedb_config(&s).await;
            return (s, Vec::new(), Some(config));
        }
        _ => {
            let (_, login) = send(s.http.post(s.main_url("/dgraph/graphql")).json(&json!({
                "query": "{ login(email: \"dev@acme.test\", password: \"dg-test-password\") { token } }"
            })))
            .await;
            let token = login["data"]["login"]["token"]
                .as_str()
                .expect("token")
                .to_owned();
            vec![format!("Authorization: Bearer {token}")]
        }
    };
    (s, headers, None)
}

/// TypeDB's run: the fixtures' API token, as Basic credentials for `POST /api/v1/auth` and as an
/// access token for the rest, in the team and space it is scoped to (generated ones are only
/// ever 403). Three default checks do not fit TypeDB and are off, each for a reason the document
/// states:
/// - `ignored_auth` and `missing_required_header` want 401 for a missing `Authorization`, and
///   for bad credentials at `POST /api/v1/auth`: the API answers both with 400
///   (docs/spec/typedb.md §4.1, §4.3).
/// - `positive_data_acceptance` wants every schema-valid request accepted; TypeDB refuses some
///   with 400 for what no schema can state: the cluster's status (`FAILED_PRECONDITION`), the
///   team's one free cluster, the machine types of the cluster's region, the versions of
///   `--typedb-versions`.
async fn typedb_config(s: &TestServer) -> String {
    let (client_id, secret) = ("tdb_test_client", "tdb_test_secret_0000000000000000");
    let response = s
        .http
        .post(s.main_url("/typedb/api/v1/auth"))
        .header("Authorization", format!("Basic {client_id}:{secret}"))
        .send()
        .await
        .unwrap();
    let bearer = response.text().await.unwrap();
    format!(
        r#"
[auth.openapi.basic]
username = "{client_id}"
password = "{secret}"

[auth.openapi.bearer]
bearer = "{bearer}"

[parameters]
"path.team" = "acme"
"path.space" = "default"

[checks]
ignored_auth.enabled = false
missing_required_header.enabled = false
positive_data_acceptance.enabled = false
"#
    )
}

async fn schemathesis_passes_on(service: &str) {
    let (s, headers, config) = server_and_credentials(service).await;
    let (ok, output) = run(&s, service, headers, config).await;
    assert!(ok, "schemathesis on {service}:\n{output}");
}

#[tokio::test]
#[ignore = "the document does not yet state every rule schemathesis finds (see the module doc)"]
async fn schemathesis_finds_no_failure_in_the_memgraph_document() {
    schemathesis_passes_on("memgraph").await;
}

#[tokio::test]
async fn schemathesis_finds_no_failure_in_the_typedb_document() {
    schemathesis_passes_on("typedb").await;
}

#[tokio::test]
async fn schemathesis_finds_no_failure_in_the_dgraph_document() {
    schemathesis_passes_on("dgraph").await;
}
