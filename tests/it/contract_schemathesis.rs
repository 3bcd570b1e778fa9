//! A bounded schemathesis run (PyPI `schemathesis`, default checks) over the three OpenAPI
//! documents, with valid credentials from the shipped fixtures (`fixtures/`), a fixed seed and a
//! few examples per operation.
//!
//! schemathesis lives in `$OFFCLOUD_SCHEMATHESIS` (set by `.ci/clients/contract.sh`), otherwise
//! in `target/contract-venv`, created on first use.
//!
//! Ignored for now: the documents do not yet state every rule the server enforces (state-bound
//! 400s of Memgraph, TypeDB's 400 for a missing `Authorization`, Dgraph's base64 lambda scripts
//! and dedicated-only modes); run it with `cargo test --test it -- --ignored schemathesis`.

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

async fn run(s: &TestServer, service: &str, headers: Vec<String>) -> (bool, String) {
    let bin = tokio::task::spawn_blocking(schemathesis).await.unwrap();
    let mut args = vec![
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
    ];
    for header in headers {
        args.push("-H".to_owned());
        args.push(header);
    }
    let dir = tempfile::tempdir().unwrap();
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
/// schemathesis's requests to `service` (the fixtures' credentials).
async fn server_and_credentials(service: &str) -> (TestServer, Vec<String>) {
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
            let response = s
                .http
                .post(s.main_url("/typedb/api/v1/auth"))
                .header(
                    "Authorization",
                    "Basic tdb_test_client:tdb_test_secret_0000000000000000",
                )
                .send()
                .await
                .unwrap();
            vec![format!(
                "Authorization: Bearer {}",
                response.text().await.unwrap()
            )]
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
    (s, headers)
}

async fn schemathesis_passes_on(service: &str) {
    let (s, headers) = server_and_credentials(service).await;
    let (ok, output) = run(&s, service, headers).await;
    assert!(ok, "schemathesis on {service}:\n{output}");
}

#[tokio::test]
#[ignore = "the document does not yet state every rule schemathesis finds (see the module doc)"]
async fn schemathesis_finds_no_failure_in_the_memgraph_document() {
    schemathesis_passes_on("memgraph").await;
}

#[tokio::test]
#[ignore = "the document does not yet state every rule schemathesis finds (see the module doc)"]
async fn schemathesis_finds_no_failure_in_the_typedb_document() {
    schemathesis_passes_on("typedb").await;
}

#[tokio::test]
#[ignore = "the document does not yet state every rule schemathesis finds (see the module doc)"]
async fn schemathesis_finds_no_failure_in_the_dgraph_document() {
    schemathesis_passes_on("dgraph").await;
}
