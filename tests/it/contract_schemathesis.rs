//! A bounded schemathesis run (PyPI `schemathesis`, default checks) over the three OpenAPI
//! documents, with valid credentials from the shipped fixtures (`fixtures/`), a fixed seed and a
//! few examples per operation.
//!
//! schemathesis lives in `$OFFCLOUD_SCHEMATHESIS` (set by `.ci/clients/contract.sh`), otherwise
//! in `target/contract-venv`, created on first use. Where a default check cannot fit a service
//! (a refusal no schema can state), its configuration below says which and why.

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
            let headers = vec![
                format!("Authorization: Bearer {jwt}"),
                "X-API-Key: mg_test_acme_0000000000000000000000000000".to_owned(),
            ];
            return (s, headers, Some(memgraph_config()));
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
/// ever 403).
///
/// `positive_data_acceptance` wants every schema-valid request accepted; these operations refuse
/// some with 400, as the document says, for what no schema can state (docs/spec/typedb.md §6.2,
/// §6.3, §7.3–7.5): the cluster's status (`FAILED_PRECONDITION`: suspend, resume, destroy, and
/// update or clone while destroying), and at deploy and update the rules between fields (the
/// provider's regions, machine types and storage types, the free tier), the versions of
/// `--typedb-versions`, the team's payment method and its one free cluster.
///
/// `ignored_auth` and `missing_required_header` stay off: both hold that a request without
/// `Authorization` must get 401 (or 403), and `POST /api/v1/auth` 401 for bad credentials, and
/// schemathesis takes no other status for that header (neither `expected-statuses` nor any
/// statement of the document changes it). TypeDB answers 400 for both (docs/spec/typedb.md §4.1,
/// §4.3), and the document says so on every operation.
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
    let mut config = format!(
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
"#
    );
    for operation in [
        "deploy",
        "update_cluster",
        "clone_cluster",
        "suspend_cluster",
        "resume_cluster",
        "destroy_cluster",
    ] {
        config.push_str(&format!(
            r#"
[[operations]]
include-operation-id = "{operation}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx", "400"]
"#
        ));
    }
    config
}

/// Memgraph's run. `positive_data_acceptance` wants every schema-valid request accepted; these
/// operations refuse some, with the service's status, for what no schema can state (each
/// documents the refusal; docs/spec/memgraph.md §6.2, §6.3, §6.5, §6.7):
/// - 400: an email already registered (`onboard`, `create_user`), the last admin or yourself
///   (`update_user`, `delete_user`), a cursor the service did not issue (`list_beliefs`), neither
///   text nor a file part (`ingest`: a form field named `file` is not a file).
/// - 422: a `valid_to` not after `valid_from` (`create_relationship`).
fn memgraph_config() -> String {
    let accepted = |operation: &str, refusal: &str| {
        format!(
            r#"
[[operations]]
include-operation-id = "{operation}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx", "{refusal}"]
"#
        )
    };
    let mut config = String::new();
    for operation in [
        "onboard",
        "create_user",
        "update_user",
        "delete_user",
        "list_beliefs",
        "ingest",
    ] {
        config.push_str(&accepted(operation, "400"));
    }
    config.push_str(&accepted("create_relationship", "422"));
    config
}

async fn schemathesis_passes_on(service: &str) {
    let (s, headers, config) = server_and_credentials(service).await;
    let (ok, output) = run(&s, service, headers, config).await;
    assert!(ok, "schemathesis on {service}:\n{output}");
}

#[tokio::test]
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
