//! Context: memories ranked by BM25 relevance, v2 and the legacy v1 shape, and the
//! intelligence reads.

use reqwest::StatusCode;
use serde_json::json;

use super::{log_event, remember};
use crate::support::{TestServer, str_of};

#[tokio::test]
async fn v2_context_ranks_the_matching_memory_first() {
    let s = TestServer::start().await;
    let a = s.onboard("ctx1@example.com").await;
    let k8s = remember(
        &s,
        a.key(),
        "alice",
        "deployment_preference",
        "Prefers Kubernetes over Docker Compose",
    )
    .await;
    remember(
        &s,
        a.key(),
        "alice",
        "food",
        "Likes spicy ramen and green tea",
    )
    .await;
    remember(
        &s,
        a.key(),
        "alice",
        "editor",
        "Uses Neovim for Rust and Python",
    )
    .await;
    remember(
        &s,
        a.key(),
        "bob",
        "deployment_preference",
        "Kubernetes everywhere",
    )
    .await;

    let (status, body) = s
        .post(
            "/v2/context",
            a.key(),
            json!({"query": "how does she deploy? kubernetes?", "user_id": "alice"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let memories = body["memories"].as_array().unwrap();
    assert_eq!(memories.len(), 1, "only alice's matching memory: {body}");
    let top = &memories[0];
    assert_eq!(top["id"], k8s["id"]);
    assert_eq!(top["type"], "belief");
    assert_eq!(top["content"], "Prefers Kubernetes over Docker Compose");
    let score = top["score"].as_f64().unwrap();
    assert!(score > 0.0 && score < 1.0, "{score}");
    assert_eq!(top["metadata"]["key"], "deployment_preference");
    assert_eq!(top["metadata"]["domain"], "general");
    assert_eq!(top["metadata"]["belief_type"], "belief");
    for empty in ["entities", "relationships", "decisions"] {
        assert_eq!(body[empty], json!([]));
    }
    assert_eq!(body["snapshot"], json!(null));

    // More matching words rank higher.
    let (_, body) = s
        .post(
            "/v2/context",
            a.key(),
            json!({"query": "rust python green tea", "user_id": "alice"}),
        )
        .await;
    let contents: Vec<String> = body["memories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| str_of(&m["content"]))
        .collect();
    assert_eq!(contents.len(), 2);
    let scores: Vec<f64> = body["memories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["score"].as_f64().unwrap())
        .collect();
    assert!(scores[0] >= scores[1]);

    let (_, none) = s
        .post(
            "/v2/context",
            a.key(),
            json!({"query": "astronomy", "user_id": "alice"}),
        )
        .await;
    assert_eq!(none["memories"], json!([]));
    // Without a user: the whole tenant.
    let (_, everyone) = s
        .post("/v2/context", a.key(), json!({"query": "kubernetes"}))
        .await;
    assert_eq!(everyone["memories"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn context_finds_ingested_text_and_marks_superseded_beliefs() {
    let s = TestServer::start().await;
    let a = s.onboard("ctx2@example.com").await;
    log_event(
        &s,
        a.key(),
        "alice",
        None,
        "My dentist appointment is on Friday",
    )
    .await;
    remember(&s, a.key(), "alice", "city", "Lives in Lisbon").await;
    remember(&s, a.key(), "alice", "city", "Lives in Porto").await;

    let (_, body) = s
        .post(
            "/v2/context",
            a.key(),
            json!({"query": "dentist", "user_id": "alice"}),
        )
        .await;
    assert_eq!(body["memories"][0]["type"], "event");
    assert_eq!(
        body["memories"][0]["content"],
        "My dentist appointment is on Friday"
    );

    let (_, body) = s
        .post(
            "/v2/context",
            a.key(),
            json!({"query": "lives", "user_id": "alice"}),
        )
        .await;
    let contents: Vec<String> = body["memories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| str_of(&m["content"]))
        .collect();
    assert_eq!(
        contents,
        vec![
            "Lives in Porto".to_owned(),
            "[PREVIOUSLY] Lives in Lisbon".to_owned()
        ]
    );
}

#[tokio::test]
async fn v1_context_answers_with_a_system_message_of_memories() {
    let s = TestServer::start().await;
    let a = s.onboard("ctx3@example.com").await;
    remember(
        &s,
        a.key(),
        "cli_user",
        "general_x",
        "The build uses cargo nextest",
    )
    .await;
    let (status, body) = s
        .post(
            "/v1/context",
            a.key(),
            json!({"query": "nextest", "user_id": "cli_user", "agent_id": "cli"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["messages"],
        json!([{"role": "system", "content": "Relevant memories:\n- The build uses cargo nextest"}])
    );
    assert_eq!(body["retrieved_items"].as_array().unwrap().len(), 1);
    // Old clients called the query `task`.
    let (_, old) = s
        .post(
            "/v1/context",
            a.key(),
            json!({"task": "nextest", "user_id": "cli_user", "tenant_id": a.tenant_id}),
        )
        .await;
    assert_eq!(old["retrieved_items"], body["retrieved_items"]);
    let (status, body) = s
        .post("/v1/context", a.key(), json!({"user_id": "x"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["loc"], json!(["body", "query"]));
}

#[tokio::test]
async fn intelligence_reads_count_stored_beliefs() {
    let s = TestServer::start().await;
    let a = s.onboard("ctx4@example.com").await;
    remember(&s, a.key(), "alice", "k", "1").await;
    remember(&s, a.key(), "alice", "k", "2").await;
    remember(&s, a.key(), "bob", "k", "1").await;
    log_event(&s, a.key(), "alice", None, "hi").await;
    let (status, health) = s
        .get("/v1/intelligence/health?user_id=alice", a.key())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        health,
        json!({"status": "healthy", "user_id": "alice", "total_beliefs": 2, "active_beliefs": 1,
               "inactive_beliefs": 1, "total_episodes": 1, "total_events": 1, "contradictions": 1})
    );
    let (_, all) = s.get("/v1/intelligence/health", a.key()).await;
    assert_eq!(all["total_beliefs"], 3);
    // Superseding alice's `k` recorded a contradiction (the v2 records cover the rest).
    let (status, contradictions) = s.get("/v1/intelligence/contradictions", a.key()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(contradictions["count"], 1);
    assert_eq!(contradictions["contradictions"][0]["key"], "k");
    let (_, of_bob) = s
        .get("/v1/intelligence/contradictions?user_id=bob", a.key())
        .await;
    assert_eq!(of_bob, json!({"contradictions": [], "count": 0}));
}
