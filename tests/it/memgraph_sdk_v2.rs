//! The real Python `memgraph-sdk` 0.8.6 beyond the memory methods: its knowledge-graph,
//! decision, contradiction, sidecar and intelligence methods, `AsyncMemgraphClient`, and the MCP
//! server in its `mcp.py` driven through the `mcp` package. Each test runs one check of
//! `tests/sdk/memgraph_v2_check.py` against a fresh tenant (the CLI and the memory methods are in
//! `memgraph_sdk.rs`).

use std::path::Path;
use std::process::Command;

use crate::memgraph_sdk::sdk_python;
use crate::support::TestServer;

async fn run_check(check: &'static str) {
    let s = TestServer::start().await;
    let a = s.onboard(&format!("sdk-{check}@example.com")).await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/memgraph_v2_check.py");
    let base_url = s.mg("/v1");
    let output = tokio::task::spawn_blocking(move || {
        Command::new(sdk_python())
            .arg(script)
            .arg(check)
            .env("OFFCLOUD_BASE_URL", base_url)
            .env("OFFCLOUD_API_KEY", &a.api_key)
            .env_remove("MEMGRAPH_API_URL")
            .env_remove("MEMGRAPH_API_KEY")
            .output()
            .expect("the SDK check runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "memgraph-sdk {check} check failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("checks passed"), "{stdout}");
}

#[tokio::test]
async fn the_sdk_creates_searches_traverses_and_deletes_entities_and_relationships() {
    run_check("entities").await;
}

#[tokio::test]
async fn the_sdk_records_decisions_and_outcomes_and_explains_them() {
    run_check("decisions").await;
}

#[tokio::test]
async fn the_sdk_lists_and_resolves_the_contradictions_its_writes_recorded() {
    run_check("contradictions").await;
}

#[tokio::test]
async fn the_sdk_sidecar_learns_after_and_recalls_before_an_llm_call() {
    run_check("sidecar").await;
}

#[tokio::test]
async fn the_sdk_intelligence_and_benchmarks_score_the_stored_memory() {
    run_check("intelligence").await;
}

#[tokio::test]
async fn the_sdk_context_graph_holds_entities_relationships_and_decisions() {
    run_check("context").await;
}

#[tokio::test]
async fn the_async_client_uses_every_one_of_its_methods() {
    run_check("async").await;
}

#[tokio::test]
async fn the_sdk_mcp_server_tools_work_through_the_mcp_client() {
    run_check("mcp").await;
}

#[tokio::test]
async fn the_sdk_raises_its_error_classes_on_the_new_routes() {
    run_check("errors").await;
}
