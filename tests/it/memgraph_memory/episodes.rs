//! Episodes: events grouped per user and thread until a quiet gap, consolidation moving with
//! the clock, and the dreaming health counts.

use std::time::Duration;

use offcloud::config::Ttl;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{id_of, log_event};
use crate::support::{TestServer, detail, str_of, test_config};

const MINUTE: Duration = Duration::from_secs(60);

#[tokio::test]
async fn events_close_in_time_share_an_episode_per_user_and_thread() {
    let s = TestServer::start().await;
    let a = s.onboard("ep1@example.com").await;
    let e1 = log_event(&s, a.key(), "alice", Some("t1"), "hello").await;
    s.advance("default", 10 * MINUTE).await;
    let e2 = log_event(&s, a.key(), "alice", Some("t1"), "still here").await;
    let other_thread = log_event(&s, a.key(), "alice", Some("t2"), "elsewhere").await;
    let other_user = log_event(&s, a.key(), "bob", Some("t1"), "hi").await;
    assert_eq!(e1["episode_id"], e2["episode_id"]);
    assert_ne!(e1["episode_id"], other_thread["episode_id"]);
    assert_ne!(e1["episode_id"], other_user["episode_id"]);

    // More than the gap (30 minutes by default) later: a new episode.
    s.advance("default", 31 * MINUTE).await;
    let e3 = log_event(&s, a.key(), "alice", Some("t1"), "back again").await;
    assert_ne!(e3["episode_id"], e1["episode_id"]);

    let episode_id = str_of(&e1["episode_id"]);
    let (status, episode) = s.get(&format!("/v1/episodes/{episode_id}"), a.key()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(episode["id"], episode_id.as_str());
    assert_eq!(episode["tenant_id"], a.tenant_id.as_str());
    assert_eq!(episode["user_id"], "alice");
    assert_eq!(episode["thread_id"], "t1");
    assert_eq!(episode["event_count"], 2);
    assert_eq!(episode["start_time"], e1["timestamp"]);
    assert_eq!(episode["end_time"], e2["timestamp"]);
    assert_eq!(episode["tags"], json!([]));
    assert_eq!(episode["outcome"], Value::Null);
    assert_eq!(
        episode["events"],
        json!([e1, e2]),
        "its events, oldest first"
    );

    let (_, list) = s
        .get("/v1/episodes?user_id=alice&thread_id=t1", a.key())
        .await;
    let ids: Vec<String> = list.as_array().unwrap().iter().map(id_of).collect();
    assert_eq!(
        ids,
        vec![str_of(&e3["episode_id"]), episode_id],
        "newest first"
    );
    let (_, page) = s
        .get(
            "/v1/episodes?limit=1&offset=1&user_id=alice&thread_id=t1",
            a.key(),
        )
        .await;
    assert_eq!(page.as_array().unwrap().len(), 1);
    let (_, all) = s.get("/v1/episodes", a.key()).await;
    assert_eq!(all.as_array().unwrap().len(), 4);

    assert_eq!(
        s.get("/v1/episodes/nope", a.key()).await,
        detail(StatusCode::NOT_FOUND, "Episode not found")
    );
}

#[tokio::test]
async fn consolidation_moves_from_pending_to_processing_to_consolidated() {
    let s = TestServer::start().await;
    let a = s.onboard("ep2@example.com").await;
    let event = log_event(&s, a.key(), "alice", None, "I like green tea").await;
    let path = format!("/v1/episodes/{}", str_of(&event["episode_id"]));
    let status_of = |body: &Value| body["consolidation_status"].clone();

    let (_, episode) = s.get(&path, a.key()).await;
    assert_eq!(status_of(&episode), "pending");
    assert_eq!(episode["summary"], Value::Null);
    let health = s.get("/v1/dreaming/health", a.key()).await;
    assert_eq!(
        health,
        (
            StatusCode::OK,
            json!({"status": "healthy", "worker_running": false, "last_cycle": null,
            "pending_episodes": 1, "processing_episodes": 0, "consolidated_episodes": 0})
        )
    );

    // Closed after the 30-minute gap, then consolidated in 10 seconds (the defaults).
    s.advance("default", 30 * MINUTE + Duration::from_secs(1))
        .await;
    let (_, episode) = s.get(&path, a.key()).await;
    assert_eq!(status_of(&episode), "processing");
    let (_, health) = s.get("/v1/dreaming/health", a.key()).await;
    assert_eq!(health["worker_running"], true);
    assert_eq!(health["processing_episodes"], 1);
    let (_, stats) = s.get("/v1/stats", a.key()).await;
    assert_eq!(stats["pending_episodes"], 0);

    // A later event of the same user starts a new episode; the closed one stays closed.
    s.advance("default", Duration::from_secs(10)).await;
    let (_, episode) = s.get(&path, a.key()).await;
    assert_eq!(status_of(&episode), "consolidated");
    assert_eq!(episode["summary"], "I like green tea");
    let (_, health) = s.get("/v1/dreaming/health", a.key()).await;
    assert_eq!(health["consolidated_episodes"], 1);
    assert_eq!(health["worker_running"], false);
    assert!(health["last_cycle"].is_string());
    let (_, consolidated) = s
        .get("/v1/episodes?consolidation_status=consolidated", a.key())
        .await;
    assert_eq!(consolidated.as_array().unwrap().len(), 1);
    let (_, pending) = s
        .get("/v1/episodes?consolidation_status=pending", a.key())
        .await;
    assert_eq!(pending, json!([]));

    let (status, body) = s
        .get("/v1/episodes?consolidation_status=done", a.key())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["type"], "literal_error");
}

#[tokio::test]
async fn a_zero_gap_and_consolidation_time_make_every_event_its_own_finished_episode() {
    let mut config = test_config();
    config.memgraph.episode_gap = Ttl(Duration::ZERO);
    config.memgraph.consolidation_time = Ttl(Duration::ZERO);
    let s = TestServer::start_with(config).await;
    let a = s.onboard("ep3@example.com").await;
    let e1 = log_event(&s, a.key(), "alice", None, "one").await;
    let e2 = log_event(&s, a.key(), "alice", None, "two").await;
    assert_ne!(e1["episode_id"], e2["episode_id"]);
    let (_, episodes) = s.get("/v1/episodes", a.key()).await;
    for episode in episodes.as_array().unwrap() {
        assert_eq!(episode["consolidation_status"], "consolidated");
    }
}

#[tokio::test]
async fn a_longer_gap_keeps_events_together() {
    let mut config = test_config();
    config.memgraph.episode_gap = Ttl(Duration::from_secs(2 * 3600));
    let s = TestServer::start_with(config).await;
    let a = s.onboard("ep4@example.com").await;
    let e1 = log_event(&s, a.key(), "alice", None, "one").await;
    s.advance("default", 90 * MINUTE).await;
    let e2 = log_event(&s, a.key(), "alice", None, "two").await;
    assert_eq!(e1["episode_id"], e2["episode_id"]);
}

#[tokio::test]
async fn stats_count_real_rows() {
    let s = TestServer::start().await;
    let a = s.onboard("ep5@example.com").await;
    log_event(&s, a.key(), "alice", None, "one").await;
    log_event(&s, a.key(), "bob", None, "two").await;
    super::remember(&s, a.key(), "carol", "k", "v1").await;
    super::remember(&s, a.key(), "carol", "k", "v2").await;
    let (status, stats) = s.get("/v1/stats", a.key()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        stats,
        json!({"tenant_id": a.tenant_id, "total_events": 2, "total_episodes": 2, "total_beliefs": 2,
               "active_beliefs": 1, "pending_episodes": 2, "total_users": 3, "total_entities": 0,
               "total_relationships": 0, "total_decisions": 0, "open_contradictions": 1})
    );
}

#[tokio::test]
async fn the_tenants_settings_set_its_episode_gap_and_dreaming() {
    let mut config = test_config();
    config.memgraph.episode_gap = Ttl(Duration::from_secs(5 * 60));
    let s = TestServer::start_with(config).await;
    let a = s.onboard("ep6@example.com").await;
    // The flag is the new tenant's setting.
    let (_, tenant) = s.get("/v1/tenant", a.key()).await;
    assert_eq!(tenant["settings"]["episode_gap_minutes"], 5);

    let (status, _) = s
        .patch(
            "/v1/tenant",
            a.bearer(),
            json!({"settings": {"episode_gap_minutes": 60, "dreaming_enabled": false}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let e1 = log_event(&s, a.key(), "alice", None, "one").await;
    s.advance("default", 50 * MINUTE).await;
    let e2 = log_event(&s, a.key(), "alice", None, "two").await;
    assert_eq!(
        e1["episode_id"], e2["episode_id"],
        "within the tenant's 60 minutes"
    );

    // With dreaming disabled, a closed episode waits, pending.
    s.advance("default", 3 * 60 * MINUTE).await;
    let path = format!("/v1/episodes/{}", str_of(&e1["episode_id"]));
    assert_eq!(
        s.get(&path, a.key()).await.1["consolidation_status"],
        "pending"
    );
    let (_, health) = s.get("/v1/dreaming/health", a.key()).await;
    assert_eq!(health["pending_episodes"], 1);

    s.patch(
        "/v1/tenant",
        a.bearer(),
        json!({"settings": {"dreaming_enabled": true}}),
    )
    .await;
    assert_eq!(
        s.get(&path, a.key()).await.1["consolidation_status"],
        "consolidated"
    );
}
