//! What offcloud keeps in memory to answer fast (API-key owners, users behind tokens, tenant
//! settings, stats counts) never outlives the data it was read from.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Account, Auth, TestServer, send, str_of, test_config};

const OK: StatusCode = StatusCode::OK;
const UNAUTHORIZED: StatusCode = StatusCode::UNAUTHORIZED;

/// A server whose tokens outlive a reset (a configured signing secret), so only the stored user
/// decides whether a token still works.
async fn start() -> TestServer {
    let mut config = test_config();
    config.signing_secret = Some("a fixed secret for cache tests".into());
    TestServer::start_with(config).await
}

async fn reset(s: &TestServer, query: &str) {
    let (status, body) = send(s.http.post(s.main_url(&format!("/_offcloud/reset{query}")))).await;
    assert_eq!(status, OK, "{body}");
}

/// Uses both credentials, so both are cached.
async fn use_both(s: &TestServer, a: &Account) {
    assert_eq!(s.get("/v1/stats", a.key()).await.0, OK);
    assert_eq!(s.get("/v1/stats", a.bearer()).await.0, OK);
}

#[tokio::test]
async fn a_reset_forgets_keys_and_users_seen_before() {
    let s = start().await;
    let a = s.onboard("cache@example.com").await;
    use_both(&s, &a).await;
    reset(&s, "").await;
    assert_eq!(s.get("/v1/stats", a.key()).await.0, UNAUTHORIZED);
    assert_eq!(s.get("/v1/stats", a.bearer()).await.0, UNAUTHORIZED);
}

#[tokio::test]
async fn a_memgraph_reset_forgets_them_too() {
    let s = start().await;
    let a = s.onboard("cache@example.com").await;
    use_both(&s, &a).await;
    reset(&s, "?service=memgraph").await;
    assert_eq!(s.get("/v1/stats", a.key()).await.0, UNAUTHORIZED);
    assert_eq!(s.get("/v1/stats", a.bearer()).await.0, UNAUTHORIZED);
}

#[tokio::test]
async fn another_services_reset_keeps_memgraph_callers() {
    let s = start().await;
    let a = s.onboard("cache@example.com").await;
    use_both(&s, &a).await;
    reset(&s, "?service=typedb").await;
    use_both(&s, &a).await;
}

#[tokio::test]
async fn a_deactivated_user_is_refused_at_once() {
    let s = start().await;
    let a = s.onboard("admin@example.com").await;
    let (status, created) = s
        .post(
            "/v1/users",
            a.bearer(),
            json!({"email": "second@example.com", "password": "AnotherPassword123!",
                   "full_name": "Second", "role": "admin"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let token = s.login("second@example.com", "AnotherPassword123!").await;
    let second = Auth::Bearer(&token);
    assert_eq!(s.get("/v1/stats", second).await.0, OK);

    let user = format!("/v1/users/{}", str_of(&created["id"]));
    let (status, body) = s
        .patch(&user, a.bearer(), json!({"is_active": false}))
        .await;
    assert_eq!(status, OK, "{body}");
    assert_eq!(s.get("/v1/stats", second).await.0, UNAUTHORIZED);
}

async fn last_used(s: &TestServer, a: &Account) -> Value {
    let (status, keys) = s.get("/v1/api-keys", a.bearer()).await;
    assert_eq!(status, OK);
    keys[0]["last_used_at"].clone()
}

#[tokio::test]
async fn a_key_used_steadily_still_notes_its_use_every_minute() {
    let s = start().await;
    let a = s.onboard("cache@example.com").await;
    assert_eq!(s.get("/v1/stats", a.key()).await.0, OK);
    let first = last_used(&s, &a).await;
    assert!(first.is_string(), "{first}");

    // Within the minute the noted use stays; a minute later it moves.
    s.advance("default", Duration::from_secs(30)).await;
    assert_eq!(s.get("/v1/stats", a.key()).await.0, OK);
    assert_eq!(last_used(&s, &a).await, first);
    s.advance("default", Duration::from_secs(61)).await;
    assert_eq!(s.get("/v1/stats", a.key()).await.0, OK);
    let later = last_used(&s, &a).await;
    assert!(later.as_str() > first.as_str(), "{later} after {first}");
}

#[tokio::test]
async fn stats_follow_every_write_and_delete() {
    let s = start().await;
    let a = s.onboard("stats@example.com").await;
    let stats = |events: i64, beliefs: i64, active: i64, users: i64, open: i64| {
        json!({"tenant_id": a.tenant_id, "total_events": events, "total_episodes": events.min(1),
               "total_beliefs": beliefs, "active_beliefs": active,
               "pending_episodes": events.min(1), "total_users": users, "total_entities": 0,
               "total_relationships": 0, "total_decisions": 0, "open_contradictions": open})
    };
    assert_eq!(
        s.get("/v1/stats", a.key()).await,
        (OK, stats(0, 0, 0, 0, 0))
    );

    let beliefs: Vec<Value> = ["alice", "bob", "alice"]
        .iter()
        .enumerate()
        .map(|(i, who)| json!({"subject_id": who, "key": format!("k{i}"), "value": "v"}))
        .collect();
    let (status, body) = s
        .post("/v1/beliefs/batch", a.key(), json!({"beliefs": beliefs}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, event) = s
        .post(
            "/v1/events",
            a.key(),
            json!({"user_id": "carol", "event_type": "user_message", "content": {"text": "hi"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{event}");
    assert_eq!(
        s.get("/v1/stats", a.key()).await,
        (OK, stats(1, 3, 3, 3, 0))
    );

    // A newer version of a belief supersedes the old: one more belief, the same active count,
    // and an open contradiction between the two (gone with the beliefs below).
    let (status, body) = s
        .post(
            "/v1/beliefs",
            a.key(),
            json!({"subject_id": "bob", "key": "k1", "value": "w"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        s.get("/v1/stats", a.key()).await,
        (OK, stats(1, 4, 3, 3, 1))
    );

    // Retracting keeps the rows (and bob, as a user); deleting them forgets bob.
    let (status, _) = s
        .delete("/v1/beliefs?subject_id=bob&soft=true", a.key())
        .await;
    assert_eq!(status, OK);
    assert_eq!(
        s.get("/v1/stats", a.key()).await,
        (OK, stats(1, 4, 2, 3, 1))
    );
    let (status, _) = s.delete("/v1/beliefs?subject_id=bob", a.key()).await;
    assert_eq!(status, OK);
    assert_eq!(
        s.get("/v1/stats", a.key()).await,
        (OK, stats(1, 2, 2, 2, 0))
    );
}
