//! TypeDB state is real: it survives a restart with a database file, and a reset wipes it.

use reqwest::StatusCode;

use super::{OK, api_token, assert_error, call, clusters, exchange, free_cluster, url};
use crate::support::{TestServer, send, test_config};

#[tokio::test]
async fn credentials_tokens_and_clusters_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config();
    config.database_url = Some(format!("sqlite://{}", dir.path().join("o.db").display()));
    let first = TestServer::start_with(config.clone()).await;
    let c = api_token(&first, "t", "default", "write").await;
    let token = exchange(&first, &c).await;
    let (_, deployed) = call(
        &first,
        "POST",
        &clusters("t", "default", "/deploy"),
        Some(&token),
        Some(free_cluster("f")),
    )
    .await;
    first.stop().await;

    let second = TestServer::start_with(config).await;
    let (status, got) = call(
        &second,
        "GET",
        &clusters("t", "default", "/f"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, OK, "{got}");
    assert_eq!(got["createdAt"], deployed["createdAt"]);
    assert_eq!(
        got["servers"][0]["address"],
        deployed["servers"][0]["address"]
    );
    exchange(&second, &c).await;
}

#[tokio::test]
async fn a_reset_wipes_tokens_and_clusters() {
    let s = TestServer::start().await;
    let c = api_token(&s, "t", "default", "write").await;
    let token = exchange(&s, &c).await;
    call(
        &s,
        "POST",
        &clusters("t", "default", "/deploy"),
        Some(&token),
        Some(free_cluster("f")),
    )
    .await;
    let (status, _) = send(s.http.post(s.main_url("/_offcloud/reset"))).await;
    assert_eq!(status, OK);
    let again = send(s.http.post(url(&s, "/api/v1/auth")).header(
        "Authorization",
        format!("Basic {}:{}", c.client_id, c.client_secret),
    ))
    .await;
    assert_error(&again, StatusCode::BAD_REQUEST, "INVALID_CLIENT_ID");
    assert_error(
        &call(&s, "GET", &clusters("t", "default", ""), Some(&token), None).await,
        StatusCode::UNAUTHORIZED,
        "INVALID_TOKEN",
    );
    // The same team starts from nothing: its free slot is open again.
    let fresh = super::bearer(&s, "t", "default", "write").await;
    let (status, _) = call(
        &s,
        "POST",
        &clusters("t", "default", "/deploy"),
        Some(&fresh),
        Some(free_cluster("f")),
    )
    .await;
    assert_eq!(status, OK);
}
