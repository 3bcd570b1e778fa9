//! Sessions are cheap and bounded: an idle session is parked (its database closed, kept as an
//! image) and comes back intact on its next request; `--max-sessions` refuses one more in each
//! service's error shape; `--session-evict-after` drops idle in-memory sessions with their state.

use std::time::Duration;

use offcloud::config::After;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestServer, send, test_config};

/// Parks every session nobody uses; answers how many were parked.
async fn park_all(s: &TestServer) -> usize {
    s.state().sessions.park_idle(Duration::ZERO).await
}

/// (open, live) session counts.
fn counts(s: &TestServer) -> (usize, usize) {
    s.state().sessions.counts()
}

async fn sessions(s: &TestServer) -> Value {
    let (status, body) = send(s.http.get(s.main_url("/_offcloud/sessions"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["sessions"].clone()
}

#[tokio::test]
async fn a_parked_session_comes_back_with_its_rows_clock_and_tokens() {
    let s = TestServer::start().await;
    let base = s.mg("/_session/parked");
    let account = s.onboard_at(&base, "parked@example.com").await;
    let (status, _) = s
        .post(
            "/_session/parked/v1/beliefs",
            account.key(),
            json!({"subject_id": "alice", "key": "tool", "value": "vim"}),
        )
        .await;
    assert!(status.is_success());
    s.advance("parked", Duration::from_secs(3600)).await;
    let listed_live = sessions(&s).await;

    assert!(park_all(&s).await >= 1);
    assert_eq!(counts(&s).1, 0, "every session is parked");
    // Listing sessions reads what parking kept, and wakes nobody.
    assert_eq!(sessions(&s).await, listed_live);
    assert_eq!(counts(&s).1, 0);

    let (status, me) = s.get("/_session/parked/v1/auth/me", account.bearer()).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["email"], "parked@example.com");
    let (status, beliefs) = s
        .get(
            "/_session/parked/v1/beliefs?subject_id=alice",
            account.key(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(beliefs["items"][0]["value"], "vim", "{beliefs}");
    let (_, clock) = send(s.http.get(s.main_url("/_offcloud/clock?session=parked"))).await;
    assert!(clock["offset_ms"].as_u64().unwrap() >= 3_600_000, "{clock}");
    assert_eq!(counts(&s), (2, 1), "only the session asked for woke up");
}

#[tokio::test]
async fn a_session_in_use_is_not_parked() {
    let s = TestServer::start().await;
    let held = s.session("held").await;
    park_all(&s).await;
    assert_eq!(counts(&s), (2, 1));
    drop(held);
    assert_eq!(park_all(&s).await, 1);
    assert_eq!(counts(&s), (2, 0));
}

#[tokio::test]
async fn a_parked_file_session_keeps_its_writes() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config();
    config.data_dir = Some(dir.path().to_owned());
    let s = TestServer::start_with(config).await;
    let base = s.mg("/_session/filed");
    let account = s.onboard_at(&base, "filed@example.com").await;
    assert!(park_all(&s).await >= 1);
    assert_eq!(counts(&s).1, 0);
    let (status, me) = s.get("/_session/filed/v1/auth/me", account.bearer()).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["email"], "filed@example.com");
    s.stop().await;
}

#[tokio::test]
async fn one_session_too_many_is_refused_in_each_services_shape() {
    let mut config = test_config();
    config.max_sessions = 2;
    let s = TestServer::start_with(config).await;
    // `default` is open; one more fits.
    let (status, _) = send(
        s.http
            .get(s.mg("/health"))
            .header("X-Offcloud-Session", "one"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let full = StatusCode::SERVICE_UNAVAILABLE;
    let (status, body) = send(s.http.get(s.mg("/_session/two/health"))).await;
    assert_eq!(
        (status, body),
        (full, json!({"detail": "Service Unavailable"}))
    );
    let (status, body) = send(s.http.get(format!(
        "http://{}/_session/two/api/v1/team/t/spaces/s/clusters",
        s.typedb
    )))
    .await;
    assert_eq!(
        (status, body),
        (
            full,
            json!({"code": "UNAVAILABLE", "message": "Service Unavailable"})
        )
    );
    let (status, body) = send(
        s.http
            .post(format!("http://{}/_session/two/v1/graphql", s.hasura))
            .json(&json!({"query": "{ projects { id } }"})),
    )
    .await;
    assert_eq!(status, full);
    assert_eq!(
        body["errors"][0]["message"], "Service Unavailable",
        "{body}"
    );
    let (status, body) = send(
        s.http
            .post(format!("http://{}/_session/two/graphql", s.dgraph))
            .json(&json!({"query": "{ deployments { uid } }"})),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            full,
            json!({"errors": [{"message": "Service Unavailable"}]})
        )
    );
    let (status, body) = send(s.http.get(s.main_url("/_offcloud/clock?session=two"))).await;
    assert_eq!(status, full);
    assert!(
        body["error"].as_str().unwrap().contains("--max-sessions"),
        "{body}"
    );
    assert_eq!(sessions(&s).await.as_array().unwrap().len(), 2);

    // Open sessions still answer, and dropping one makes room.
    let (status, _) = send(s.http.get(s.mg("/_session/one/health"))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(s.http.delete(s.main_url("/_offcloud/sessions/one"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = send(s.http.get(s.mg("/_session/two/health"))).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn idle_in_memory_sessions_are_evicted_with_their_state() {
    let idle = Duration::from_secs(2);
    let mut config = test_config();
    config.session_evict_after = After(Some(idle));
    let s = TestServer::start_with(config).await;
    let base = s.mg("/_session/leaving");
    let account = s.onboard_at(&base, "leaving@example.com").await;
    let (status, _) = send(
        s.http
            .post(s.main_url("/_offcloud/faults?session=leaving"))
            .json(&json!({"service": "memgraph", "status": 503})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    tokio::time::sleep(idle + Duration::from_millis(200)).await;
    // The server sweeps every second; this sweep makes sure one ran.
    offcloud::idle::sweep(s.state()).await;
    let names: Vec<Value> = sessions(&s)
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].clone())
        .collect();
    assert_eq!(names, [json!("default")], "`default` is never evicted");
    // The name starts afresh: no account, no fault rule.
    let (status, body) = s
        .get("/_session/leaving/v1/auth/me", account.bearer())
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (_, faults) = send(s.http.get(s.main_url("/_offcloud/faults?session=leaving"))).await;
    assert_eq!(faults, json!({"faults": []}));
}

#[tokio::test]
async fn sessions_are_kept_without_an_eviction_delay() {
    let s = TestServer::start().await;
    s.onboard_at(&s.mg("/_session/kept"), "kept@example.com")
        .await;
    offcloud::idle::sweep(s.state()).await;
    let names: Vec<Value> = sessions(&s)
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].clone())
        .collect();
    assert_eq!(names, [json!("default"), json!("kept")]);
}

#[tokio::test]
async fn beyond_the_live_limit_the_least_recently_used_sessions_are_parked_at_once() {
    let mut config = test_config();
    config.max_live_sessions = 2;
    let s = TestServer::start_with(config).await;
    let mut accounts = Vec::new();
    for i in 0..5 {
        let base = s.mg(&format!("/_session/burst-{i}"));
        accounts.push(s.onboard_at(&base, &format!("burst-{i}@example.com")).await);
    }
    // Without waiting for --session-park-after (10 s): the sweep is told at once.
    let started = std::time::Instant::now();
    while counts(&s).1 > 2 {
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "still live: {:?}",
            counts(&s)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(counts(&s).0, 6);
    // The newest stayed live; every one still has its state.
    for (i, account) in accounts.iter().enumerate() {
        let (status, me) = s
            .get(&format!("/_session/burst-{i}/v1/auth/me"), account.bearer())
            .await;
        assert_eq!(status, StatusCode::OK, "{me}");
        assert_eq!(me["email"], format!("burst-{i}@example.com"));
    }
}
