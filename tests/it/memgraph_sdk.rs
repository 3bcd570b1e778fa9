//! The real Python `memgraph-sdk` (PyPI) against offcloud: `tests/sdk/memgraph_sdk_check.py`
//! pings, then drives every memory method of the SDK (remember, get_beliefs, search, add,
//! belief_history, belief_timeline, health, contradictions, forget, forget_all) and checks its
//! error classes on 401, 404, 422 and 429.
//!
//! The SDK lives in a virtualenv: `$OFFCLOUD_SDK_PYTHON` if set (what `.ci/run` does), otherwise
//! `target/sdk-venv`, created here on first use with `python3 -m venv` and pip.

use std::path::{Path, PathBuf};
use std::process::Command;

use reqwest::StatusCode;
use serde_json::json;

use crate::contract::assert_only_deliberate_violations;
use crate::support::{PythonClient, TestServer, send, str_of, test_config};

/// The SDK version the spec describes, with its `mcp` extra (the `mcp` package, and httpx for
/// `AsyncMemgraphClient`).
const SDK: &str = "memgraph-sdk[mcp]==0.8.6";

pub fn sdk_python() -> PathBuf {
    PythonClient {
        env_var: "OFFCLOUD_SDK_PYTHON",
        venv: "sdk-venv",
        requirement: SDK,
        imports: "memgraph_sdk, mcp, httpx",
    }
    .python()
}

/// A server with the rate limit on, and a key there, for the SDK's 429 check.
struct Limited {
    base_url: String,
    api_key: String,
}

async fn run_sdk_check(
    s: &TestServer,
    base_url: String,
    session_base: &str,
    limited: Option<&Limited>,
) {
    let a = s.onboard_at(session_base, "sdk@example.com").await;
    let (status, created) = send(
        s.http
            .post(format!("{session_base}/v1/api-keys"))
            .bearer_auth(&a.token)
            .json(&json!({"name": "to-revoke"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let revoked = str_of(&created["api_key"]);
    let (status, _) = send(
        s.http
            .delete(format!(
                "{session_base}/v1/api-keys/{}",
                str_of(&created["id"])
            ))
            .bearer_auth(&a.token),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/memgraph_sdk_check.py");
    let limited = limited.map(|l| (l.base_url.clone(), l.api_key.clone()));
    let output = tokio::task::spawn_blocking(move || {
        let mut command = Command::new(sdk_python());
        if let Some((url, key)) = limited {
            command
                .env("OFFCLOUD_LIMITED_BASE_URL", url)
                .env("OFFCLOUD_LIMITED_KEY", key);
        }
        command
            .arg(script)
            .env("OFFCLOUD_BASE_URL", base_url)
            .env("OFFCLOUD_API_KEY", &a.api_key)
            .env("OFFCLOUD_TENANT_ID", &a.tenant_id)
            .env("OFFCLOUD_TENANT", format!("{} workspace", a.email))
            .env("OFFCLOUD_REVOKED", revoked)
            .env_remove("MEMGRAPH_API_URL")
            .output()
            .expect("the SDK check runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "memgraph-sdk check failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("checks passed"), "{stdout}");
    println!("{stdout}");
}

#[tokio::test]
async fn the_python_sdk_uses_every_memory_method_and_its_error_classes() {
    let s = TestServer::start().await;
    // A second server limits each key to 60 requests a minute: one more is refused with
    // `Retry-After: 1`, which the SDK waits once before raising its rate-limit error.
    let mut config = test_config();
    config.memgraph.rate_limit = true;
    config.memgraph.rate_limit_per_minute = 60;
    let limited_server = TestServer::start_with(config).await;
    let owner = limited_server.onboard("limited@example.com").await;
    let limited = Limited {
        base_url: limited_server.mg("/v1"),
        api_key: owner.api_key,
    };
    // At the root of the Memgraph listener, as the spec tells SDK users to configure it.
    run_sdk_check(&s, s.mg("/v1"), &s.mg(""), Some(&limited)).await;
    // Through the main listener's prefix, in a session of its own.
    let base = s.main_url("/_session/sdk/memgraph");
    run_sdk_check(&s, format!("{base}/v1"), &base, None).await;
    // The SDK's requests fit the real API, but for the one it sends to check its 422 handling.
    let deliberate = [(
        422,
        "invalid-value",
        "`query.limit` must be at most 200, not 1000",
    )];
    for session in ["default", "sdk"] {
        assert_only_deliberate_violations(&s, session, &deliberate).await;
    }
}
