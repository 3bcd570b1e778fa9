//! Sessions, routing by listener, prefix and Host, and the control API.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{TestServer, send};

#[tokio::test]
async fn sessions_are_isolated_whether_named_by_header_or_prefix() {
    let s = TestServer::start().await;
    // The same email onboards in each session: they share nothing.
    let by_default = s.onboard("same@example.com").await;
    let by_prefix = s
        .onboard_at(&s.main_url("/_session/job-1/memgraph"), "same@example.com")
        .await;
    let by_prefix_on_mg = s
        .onboard_at(&s.mg("/_session/job-2"), "same@example.com")
        .await;

    for (key, session) in [
        (&by_default.api_key, "default"),
        (&by_prefix.api_key, "job-1"),
        (&by_prefix_on_mg.api_key, "job-2"),
    ] {
        let (status, _) = send(
            s.http
                .get(s.mg("/v1/stats"))
                .header("X-API-KEY", key)
                .header("X-Offcloud-Session", session),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{session}'s key works in {session}");
        for other in ["default", "job-1", "job-2"]
            .into_iter()
            .filter(|o| *o != session)
        {
            let (status, _) = send(
                s.http
                    .get(s.mg("/v1/stats"))
                    .header("X-API-KEY", key)
                    .header("X-Offcloud-Session", other),
            )
            .await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{session}'s key is unknown in {other}"
            );
        }
    }
    // A token is only good in its own session too.
    let (status, _) = send(
        s.http
            .get(s.mg("/_session/job-1/v1/auth/me"))
            .bearer_auth(&by_default.token),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn invalid_session_names_are_refused() {
    let s = TestServer::start().await;
    let (status, body) = send(
        s.http
            .get(s.mg("/v1/stats"))
            .header("X-Offcloud-Session", "../etc"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("invalid session name")
    );
    let (status, _) = send(s.http.get(s.main_url("/_session/.x/memgraph/health"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn reset_wipes_one_session_or_all() {
    let s = TestServer::start().await;
    let a = s.onboard("reset@example.com").await;
    let b = s
        .onboard_at(&s.mg("/_session/keep"), "reset@example.com")
        .await;

    let (status, body) = send(s.http.post(s.main_url("/_offcloud/reset?session=default"))).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"reset": ["default"]}))
    );
    let (status, _) = send(
        s.http
            .get(s.mg("/v1/stats"))
            .header("X-API-KEY", &a.api_key),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the default session's key is gone"
    );
    let (status, _) = send(
        s.http
            .get(s.mg("/_session/keep/v1/stats"))
            .header("X-API-KEY", &b.api_key),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "another session is untouched");
    // The email is free again.
    s.onboard("reset@example.com").await;

    // Without ?session=, the request's own session is reset.
    let (status, body) = send(s.http.post(s.main_url("/_session/keep/_offcloud/reset"))).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"reset": ["keep"]})));
    let (status, _) = send(
        s.http
            .get(s.mg("/_session/keep/v1/stats"))
            .header("X-API-KEY", &b.api_key),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, body) = send(s.http.post(s.main_url("/_offcloud/reset?all=true"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["reset"], json!(["default", "keep"]));
}

#[tokio::test]
async fn reset_returns_the_clock_to_real_time_and_voids_tokens() {
    let s = TestServer::start().await;
    let a = s.onboard("clock@example.com").await;
    s.advance("default", std::time::Duration::from_secs(3600))
        .await;
    send(s.http.post(s.main_url("/_offcloud/reset"))).await;
    let session = s.session("default").await;
    assert!(session.clock().offset().is_zero());
    let again = s.onboard("clock@example.com").await;
    let (status, _) = send(s.http.get(s.mg("/v1/auth/me")).bearer_auth(&a.token)).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "tokens from before the reset are void"
    );
    let (status, _) = send(s.http.get(s.mg("/v1/auth/me")).bearer_auth(&again.token)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_main_listener_routes_by_prefix_and_by_host() {
    let s = TestServer::start().await;
    let healthy = json!({"status": "healthy", "database": "connected"});
    let (status, body) = send(s.http.get(s.main_url("/memgraph/health"))).await;
    assert_eq!((status, body), (StatusCode::OK, healthy.clone()));
    for host in [
        "api.memgraph.ai",
        "memgraph.localhost",
        "API.MEMGRAPH.AI:443",
    ] {
        let (status, body) = send(s.http.get(s.main_url("/health")).header("host", host)).await;
        assert_eq!((status, body), (StatusCode::OK, healthy.clone()), "{host}");
    }
    let (status, body) = send(s.http.get(s.main_url("/health"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"].as_str().unwrap().contains("no route"));
    // The Memgraph listener has Memgraph at the root, and nothing else.
    let (status, body) = send(s.http.get(s.mg("/_offcloud/health"))).await;
    assert_eq!(
        (status, body),
        (StatusCode::NOT_FOUND, json!({"detail": "Not Found"}))
    );
}

#[tokio::test]
async fn control_health_and_info_describe_the_running_server() {
    let s = TestServer::start().await;
    let (status, body) = send(s.http.get(s.main_url("/_offcloud/health"))).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"status": "healthy"}))
    );

    send(
        s.http
            .get(s.mg("/health"))
            .header("X-Offcloud-Session", "seen"),
    )
    .await;
    let (status, info) = send(s.http.get(s.main_url("/_offcloud/info"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(info["name"], "offcloud");
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        info["listeners"],
        json!([
            {"name": "main", "address": s.main.to_string()},
            {"name": "memgraph", "address": s.memgraph.to_string()},
            {"name": "typedb", "address": s.typedb.to_string()},
            {"name": "hasura", "address": s.hasura.to_string()},
            {"name": "dgraph", "address": s.dgraph.to_string()},
        ])
    );
    assert_eq!(info["services"][0]["name"], "memgraph");
    assert_eq!(info["services"][0]["port"], s.memgraph.port());
    assert_eq!(info["sessions"], json!(["default", "seen"]));
    assert_eq!(info["settings"]["storage"], json!({"kind": "memory"}));
    assert_eq!(info["settings"]["memgraph"]["api_key_role"], "editor");
    assert_eq!(info["settings"]["memgraph"]["jwt_ttl"], 7 * 86_400);
    assert_eq!(info["settings"]["typedb"]["token_ttl"], 3600);
    assert_eq!(info["settings"]["dgraph"]["backend_ports"], "18070-18169");
    assert_eq!(
        info["settings"]["hasura"]["endpoint"],
        "https://{name}.hasura.app/v1/graphql"
    );
    assert_eq!(info["settings"]["signing_secret"], "generated per session");

    let (status, body) = send(s.http.get(s.main_url("/_offcloud/reset"))).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(body["error"].is_string());
}

#[tokio::test]
async fn info_never_shows_a_configured_signing_secret() {
    let mut config = crate::support::test_config();
    config.signing_secret = Some("s3cr3t-signing-value".into());
    let s = TestServer::start_with(config).await;
    let (_, info) = send(s.http.get(s.main_url("/_offcloud/info"))).await;
    assert_eq!(info["settings"]["signing_secret"], "configured");
    assert!(!info.to_string().contains("s3cr3t-signing-value"));
}

#[tokio::test]
async fn a_configured_signing_secret_signs_the_tokens() {
    let mut config = crate::support::test_config();
    config.signing_secret = Some("shared-secret".into());
    let s = TestServer::start_with(config).await;
    let a = s.onboard("det@example.com").await;
    // Verifiable by anyone who knows the secret, so tests can check or mint tokens themselves.
    use jsonwebtoken::{DecodingKey, Validation, decode};
    let validation = Validation::new(jsonwebtoken::Algorithm::HS256);
    let claims = decode::<serde_json::Value>(
        &a.token,
        &DecodingKey::from_secret(b"shared-secret"),
        &validation,
    )
    .expect("signed with the configured secret")
    .claims;
    assert_eq!(claims["email"], "det@example.com");
    assert!(
        decode::<serde_json::Value>(&a.token, &DecodingKey::from_secret(b"other"), &validation)
            .is_err()
    );
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let s = TestServer::start().await;
    let response = s.http.get(s.mg("/health")).send().await.unwrap();
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    uuid::Uuid::parse_str(&id).expect("a generated uuid");
    let response = s
        .http
        .get(s.mg("/nope"))
        .header("x-request-id", "trace-me")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-me");
}

#[tokio::test]
async fn a_listener_set_to_off_is_not_bound() {
    let mut config = crate::support::test_config();
    config.memgraph.port = offcloud::config::PortSetting::Off;
    let server = offcloud::Server::bind(config).await.unwrap();
    assert!(server.address("main").is_some());
    assert!(server.address("memgraph").is_none());
}
