//! State in a database file survives a restart (and each session has its own file).

use reqwest::StatusCode;

use crate::support::{TestServer, send, test_config};

#[tokio::test]
async fn state_and_tokens_survive_a_restart_with_a_database_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("offcloud.db");
    let mut config = test_config();
    config.database_url = Some(format!("sqlite://{}", file.display()));

    let first = TestServer::start_with(config.clone()).await;
    let a = first.onboard("persist@example.com").await;
    let b = first
        .onboard_at(&first.mg("/_session/ci"), "persist@example.com")
        .await;
    let journal: String = offcloud::db::query_scalar("PRAGMA journal_mode")
        .fetch_one(first.session("default").await.db())
        .await
        .unwrap();
    assert_eq!(journal, "wal");
    first.stop().await;
    assert!(file.exists());
    assert!(
        dir.path().join("offcloud.ci.db").exists(),
        "session `ci` has its own file beside the default one"
    );

    let second = TestServer::start_with(config).await;
    let (status, _) = send(
        second
            .http
            .get(second.mg("/v1/stats"))
            .header("X-API-KEY", &a.api_key),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "the key still works");
    let (status, me) = send(
        second
            .http
            .get(second.mg("/v1/auth/me"))
            .bearer_auth(&a.token),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a token issued before the restart is still valid"
    );
    assert_eq!(me["email"], "persist@example.com");
    second.login("persist@example.com", &a.password).await;
    let (status, _) = send(
        second
            .http
            .get(second.mg("/_session/ci/v1/stats"))
            .header("X-API-KEY", &b.api_key),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    second.stop().await;
}

#[tokio::test]
async fn the_data_dir_setting_persists_too() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config();
    config.data_dir = Some(dir.path().to_owned());
    let s = TestServer::start_with(config).await;
    s.onboard("dir@example.com").await;
    s.stop().await;
    assert!(dir.path().join("offcloud.db").exists());
}

#[tokio::test]
async fn an_unusable_database_path_fails_at_start() {
    let mut config = test_config();
    config.database_url = Some("sqlite:///nonexistent-dir/deeper/offcloud.db".into());
    let error = offcloud::Server::bind(config)
        .await
        .err()
        .expect("start fails");
    assert!(error.to_string().contains("database"), "{error}");
}
