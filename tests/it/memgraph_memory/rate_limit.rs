//! The optional per-key rate limit: 429 `{"detail":"Rate limit exceeded"}` with `Retry-After`.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{TestServer, test_config};

#[tokio::test]
async fn keys_are_unlimited_by_default() {
    let s = TestServer::start().await;
    let a = s.onboard("rl0@example.com").await;
    for _ in 0..150 {
        assert_eq!(s.get("/v1/stats", a.key()).await.0, StatusCode::OK);
    }
}

#[tokio::test]
async fn a_key_over_its_allowance_gets_429_with_retry_after_until_time_passes() {
    let mut config = test_config();
    config.memgraph.rate_limit = true;
    config.memgraph.rate_limit_per_minute = 3;
    let s = TestServer::start_with(config).await;
    let a = s.onboard("rl1@example.com").await;
    let b = s.onboard("rl2@example.com").await;
    for _ in 0..3 {
        assert_eq!(s.get("/v1/stats", a.key()).await.0, StatusCode::OK);
    }
    let response = s
        .http
        .get(s.mg("/v1/stats"))
        .header("X-API-KEY", &a.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "20");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body, json!({"detail": "Rate limit exceeded"}));

    // Other keys, tokens and public routes are not limited by this key's use.
    assert_eq!(s.get("/v1/stats", b.key()).await.0, StatusCode::OK);
    assert_eq!(s.get("/v1/stats", a.bearer()).await.0, StatusCode::OK);
    assert_eq!(
        s.get("/health", crate::support::Auth::Nobody).await.0,
        StatusCode::OK
    );

    s.advance("default", Duration::from_secs(20)).await;
    assert_eq!(s.get("/v1/stats", a.key()).await.0, StatusCode::OK);
    assert_eq!(
        s.get("/v1/stats", a.key()).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}
