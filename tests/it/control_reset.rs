//! `POST /_offcloud/reset?service=NAME`: one service's state goes, the others' stays.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{TestServer, send};
use crate::typedb::{api_token, url};

async fn reset(s: &TestServer, query: &str) -> (StatusCode, serde_json::Value) {
    send(s.http.post(s.main_url(&format!("/_offcloud/reset{query}")))).await
}

async fn exchange_status(s: &TestServer, c: &crate::typedb::Credentials) -> StatusCode {
    s.http
        .post(url(s, "/api/v1/auth"))
        .header(
            "Authorization",
            format!("Basic {}:{}", c.client_id, c.client_secret),
        )
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn resetting_typedb_leaves_memgraph_and_dgraph() {
    let s = TestServer::start().await;
    let account = s.onboard("keep@example.com").await;
    let credentials = api_token(&s, "team", "default", "read").await;
    let (status, _) = crate::dgraph::create_account(&s, "dg@example.com").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(exchange_status(&s, &credentials).await, StatusCode::OK);

    let answer = reset(&s, "?service=typedb").await;
    assert_eq!(
        answer,
        (
            StatusCode::OK,
            json!({"reset": ["default"], "service": "typedb"})
        )
    );

    assert_eq!(
        exchange_status(&s, &credentials).await,
        StatusCode::BAD_REQUEST,
        "the TypeDB API token is gone (INVALID_CLIENT_ID)"
    );
    // Memgraph's tenant and its JWT (signed with a key in offcloud_secrets) still work.
    assert_eq!(
        s.get("/v1/auth/me", account.bearer()).await.0,
        StatusCode::OK
    );
    assert!(!s.login(&account.email, &account.password).await.is_empty());
    // The Dgraph account is still there.
    let (status, _) = crate::dgraph::create_account(&s, "dg@example.com").await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn resetting_dgraph_then_memgraph_empties_each_in_turn() {
    let s = TestServer::start().await;
    let account = s.onboard("gone@example.com").await;
    crate::dgraph::create_account(&s, "dg@example.com").await;
    let credentials = api_token(&s, "team", "default", "read").await;

    reset(&s, "?service=dgraph").await;
    let (status, _) = crate::dgraph::create_account(&s, "dg@example.com").await;
    assert_eq!(status, StatusCode::CREATED, "the Dgraph account was wiped");
    assert_eq!(
        s.get("/v1/auth/me", account.bearer()).await.0,
        StatusCode::OK
    );

    reset(&s, "?service=memgraph").await;
    assert_eq!(
        s.get("/v1/auth/me", account.bearer()).await.0,
        StatusCode::UNAUTHORIZED,
        "the Memgraph user is gone"
    );
    assert_eq!(exchange_status(&s, &credentials).await, StatusCode::OK);
}

#[tokio::test]
async fn a_service_reset_touches_only_the_chosen_session() {
    let s = TestServer::start().await;
    let here = api_token(&s, "team", "default", "read").await;
    let answer = reset(&s, "?service=typedb&session=other").await;
    assert_eq!(
        answer,
        (
            StatusCode::OK,
            json!({"reset": ["other"], "service": "typedb"})
        )
    );
    assert_eq!(exchange_status(&s, &here).await, StatusCode::OK);
}

#[tokio::test]
async fn an_unknown_service_is_a_400_and_resets_nothing() {
    let s = TestServer::start().await;
    let credentials = api_token(&s, "team", "default", "read").await;
    for query in ["?service=mysql", "?service=", "?service=TypeDB"] {
        let (status, body) = reset(&s, query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(body["error"].as_str().unwrap().contains("unknown service"));
    }
    assert_eq!(exchange_status(&s, &credentials).await, StatusCode::OK);
}

// A reset cannot reach the backend listeners; the next create releases the gone deployments'
// ports, and must wait until their sockets are closed to bind one of them again.
#[tokio::test]
async fn a_dgraph_reset_frees_backend_ports_for_the_next_deployment() {
    // A single backend port: the second deployment gets it only if the reset freed it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut config = crate::dgraph::dgraph_config();
    config.dgraph.backend_ports = offcloud::dgraph::PortRange::Range(port, port);
    let s = TestServer::start_with(config).await;
    let token = crate::dgraph::account(&s, "ports@example.com").await;
    let first = crate::dgraph::deployment(&s, &token, "first", "free").await;
    assert!(
        first["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!(":{port}"))
    );

    reset(&s, "?service=dgraph").await;
    let token = crate::dgraph::account(&s, "ports@example.com").await;
    let second = crate::dgraph::deployment(&s, &token, "second", "free").await;
    assert_eq!(second["url"], first["url"], "the port came back");
    assert_ne!(second["uid"], first["uid"]);
}
