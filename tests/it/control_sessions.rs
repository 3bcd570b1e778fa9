//! `GET /_offcloud/sessions` and `DELETE /_offcloud/sessions/NAME`.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestServer, send, test_config};

async fn sessions(s: &TestServer) -> Value {
    let (status, body) = send(s.http.get(s.main_url("/_offcloud/sessions"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn drop_session(s: &TestServer, name: &str) -> (StatusCode, Value) {
    send(
        s.http
            .delete(s.main_url(&format!("/_offcloud/sessions/{name}"))),
    )
    .await
}

/// Onboards a Memgraph tenant in a session; the response status.
async fn onboard_in(s: &TestServer, session: &str, email: &str) -> StatusCode {
    let (status, _) = send(
        s.http
            .post(s.mg("/v1/auth/onboard"))
            .header("X-Offcloud-Session", session)
            .json(
                &json!({"email": email, "password": "pw-123456789", "full_name": "A",
                          "cluster_name": "c", "sector": "Technology"}),
            ),
    )
    .await;
    status
}

async fn login_in(s: &TestServer, session: &str, email: &str) -> StatusCode {
    s.http
        .post(s.mg("/v1/auth/login"))
        .header("X-Offcloud-Session", session)
        .form(&[("username", email), ("password", "pw-123456789")])
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn the_list_shows_open_sessions_with_row_counts_and_clock_offsets() {
    let s = TestServer::start().await;
    assert_eq!(
        onboard_in(&s, "job-1", "a@example.com").await,
        StatusCode::OK
    );
    s.advance("job-1", Duration::from_secs(90)).await;

    let body = sessions(&s).await;
    let list = body["sessions"].as_array().unwrap();
    let names: Vec<&str> = list.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["default", "job-1"]);
    assert_eq!(
        list[0],
        json!({"name": "default", "clock_offset_ms": 0, "tables": {}})
    );
    let job = &list[1];
    let offset = job["clock_offset_ms"].as_u64().unwrap();
    assert!((90_000..100_000).contains(&offset), "{offset}");
    assert_eq!(job["tables"]["memgraph_tenants"], 1);
    assert_eq!(job["tables"]["memgraph_users"], 1);
    assert_eq!(job["tables"]["memgraph_api_keys"], 1);
}

#[tokio::test]
async fn a_dropped_session_loses_its_rows_clock_and_fault_rules() {
    let s = TestServer::start().await;
    onboard_in(&s, "gone", "a@example.com").await;
    s.advance("gone", Duration::from_secs(3600)).await;
    let (status, _) = send(
        s.http
            .post(s.main_url("/_offcloud/faults?session=gone"))
            .json(&json!({"service": "hasura", "status": 503})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    assert_eq!(
        drop_session(&s, "gone").await,
        (StatusCode::NO_CONTENT, Value::String(String::new()))
    );
    let names: Vec<Value> = sessions(&s).await["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].clone())
        .collect();
    assert_eq!(names, vec![json!("default")]);

    // The name starts afresh on next use.
    assert_eq!(
        login_in(&s, "gone", "a@example.com").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(s.session("gone").await.clock().offset(), Duration::ZERO);
    let (_, faults) = send(s.http.get(s.main_url("/_offcloud/faults?session=gone"))).await;
    assert_eq!(faults, json!({"faults": []}));
}

#[tokio::test]
async fn the_default_session_can_be_dropped_and_comes_back_empty() {
    let s = TestServer::start().await;
    s.onboard("d@example.com").await;
    assert_eq!(drop_session(&s, "default").await.0, StatusCode::NO_CONTENT);
    assert_eq!(
        login_in(&s, "default", "d@example.com").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        onboard_in(&s, "default", "d@example.com").await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn dropping_a_session_that_is_not_open_is_a_404_and_a_bad_name_a_400() {
    let s = TestServer::start().await;
    assert_eq!(
        drop_session(&s, "never").await,
        (
            StatusCode::NOT_FOUND,
            json!({"error": "no open session \"never\""})
        )
    );
    onboard_in(&s, "twice", "t@example.com").await;
    assert_eq!(drop_session(&s, "twice").await.0, StatusCode::NO_CONTENT);
    assert_eq!(drop_session(&s, "twice").await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        drop_session(&s, ".hidden").await,
        (
            StatusCode::BAD_REQUEST,
            json!({"error": "invalid session name \".hidden\""})
        )
    );
}

#[tokio::test]
async fn with_file_storage_a_dropped_session_removes_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config();
    config.data_dir = Some(dir.path().to_owned());
    let s = TestServer::start_with(config).await;
    onboard_in(&s, "job", "f@example.com").await;
    let file = dir.path().join("offcloud.job.db");
    assert!(file.exists());

    assert_eq!(drop_session(&s, "job").await.0, StatusCode::NO_CONTENT);
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(".job."))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert!(dir.path().join("offcloud.db").exists(), "default stays");

    assert_eq!(
        login_in(&s, "job", "f@example.com").await,
        StatusCode::UNAUTHORIZED
    );
    s.stop().await;
}

#[tokio::test]
async fn dropping_a_session_closes_its_dgraph_backend_listeners() {
    let s = crate::dgraph::start().await;
    let token = crate::dgraph::account(&s, "dg@example.com").await;
    let d = crate::dgraph::deployment(&s, &token, "doomed", "free").await;
    let (status, _) = crate::dgraph::admin(&s, &d, crate::dgraph::GET_SCHEMA, json!({})).await;
    assert_eq!(status, StatusCode::OK);

    assert_eq!(drop_session(&s, "default").await.0, StatusCode::NO_CONTENT);
    let gone = s
        .http
        .post(crate::dgraph::backend_url(&d, "/admin"))
        .send()
        .await;
    assert!(gone.is_err(), "the port still answers: {gone:?}");
}
