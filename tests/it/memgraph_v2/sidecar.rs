//! The sidecar: post-flight learns, pre-flight recalls within a token budget, process does both.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{believe, decide, id};
use crate::support::TestServer;

fn messages(pairs: &[(&str, &str)]) -> Value {
    pairs
        .iter()
        .map(|(role, content)| json!({"role": role, "content": content}))
        .collect()
}

#[tokio::test]
async fn post_flight_turns_the_users_statements_into_events_and_searchable_beliefs() {
    let s = TestServer::start().await;
    let a = s.onboard("s1@example.com").await;
    let exchange = messages(&[
        ("user", "I moved to Berlin last month. Where should I eat?"),
        ("assistant", "Try Kreuzberg."),
    ]);
    let (status, learned) = s
        .post(
            "/v1/sidecar/post-flight",
            a.key(),
            json!({"user_id": "alice", "agent_id": "chat", "thread_id": "t1",
                   "messages": exchange, "wait": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let belief = &learned["beliefs"][0];
    assert_eq!(
        learned,
        json!({"status": "completed", "messages_received": 2, "events_recorded": 2,
               "beliefs_extracted": 1, "beliefs": [{
                   "id": belief["id"], "tenant_id": a.tenant_id, "subject_id": "alice",
                   "key": "location", "value": "I moved to Berlin last month",
                   "confidence": 0.8, "belief_type": "fact", "domain": "personal",
                   "epistemic_status": "active", "is_active": true, "version": 1,
                   "source": "api", "supersedes_id": null,
                   "created_at": belief["created_at"], "updated_at": belief["created_at"]}]})
    );
    let (_, events) = s.get("/v1/events?user_id=alice", a.key()).await;
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["agent_response", "user_message"]);
    assert_eq!(events[1]["thread_id"], "t1");
    assert_eq!(events[1]["agent_id"], "chat");
    assert_eq!(
        events[1]["content_payload"],
        json!({"text": "I moved to Berlin last month. Where should I eat?", "role": "user"})
    );
    let (_, found) = s
        .post(
            "/v2/context",
            a.key(),
            json!({"query": "berlin", "user_id": "alice"}),
        )
        .await;
    assert_eq!(found["memories"][0]["id"], belief["id"]);

    // Without waiting, the answer is `queued` (learning has happened all the same).
    let later = messages(&[("user", "I live in Paris now.")]);
    let (_, queued) = s
        .post(
            "/v1/sidecar/post-flight",
            a.key(),
            json!({"user_id": "alice", "messages": later}),
        )
        .await;
    assert_eq!(queued, json!({"status": "queued", "messages_received": 1}));
    let (_, page) = s.get("/v1/beliefs?subject_id=alice", a.key()).await;
    assert_eq!(page["items"][0]["value"], "I live in Paris now");
    assert_eq!(page["items"][0]["supersedes_id"], belief["id"]);
    let (_, open) = s.get("/v2/contradictions", a.key()).await;
    assert_eq!(open[0]["key"], "location");
}

#[tokio::test]
async fn pre_flight_builds_the_memory_context_from_rules_memories_lessons_and_reminders() {
    let s = TestServer::start().await;
    let a = s.onboard("s2@example.com").await;
    let learn = messages(&[
        (
            "user",
            "Always answer in British English. Remind me to renew the billing certificate.",
        ),
        ("assistant", "Noted."),
    ]);
    let (status, _) = s
        .post(
            "/v1/sidecar/post-flight",
            a.key(),
            json!({"user_id": "alice", "messages": learn}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let fact = believe(
        &s,
        a.key(),
        "alice",
        "billing_host",
        "Billing runs on host blue-7",
    )
    .await;
    believe(
        &s,
        a.key(),
        "bob",
        "billing_host",
        "Bob's billing is elsewhere",
    )
    .await;
    let failed = decide(
        &s,
        a.key(),
        json!({"goal": "Restart billing on Friday", "user_id": "alice", "outcome": "FAILURE",
               "outcome_assessment": "Change freeze"}),
    )
    .await;

    let (status, recall) = s
        .post(
            "/v1/sidecar/pre-flight",
            a.key(),
            json!({"user_id": "alice", "agent_id": "sdk_sidecar", "message": "restart billing",
                   "token_budget": 4000, "include_profile": true, "include_prospective": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let context = "User rules:\n- Always answer in British English\n\n\
                   Relevant memories:\n- Billing runs on host blue-7\n\
                   - Remind me to renew the billing certificate\n\
                   - Always answer in British English. Remind me to renew the billing certificate.\n\n\
                   Lessons from past attempts:\n- Restart billing on Friday: FAILURE (Change freeze)\n\n\
                   Reminders:\n- Remind me to renew the billing certificate";
    assert_eq!(recall["memory_context"], context);
    assert_eq!(
        recall["system_messages"],
        json!([{"role": "system", "content": context}])
    );
    assert_eq!(recall["memories_found"], 3);
    assert_eq!(recall["memories"][0]["id"], fact["id"]);
    assert_eq!(recall["past_decisions"][0]["id"], failed["id"]);
    assert_eq!(recall["past_decisions"][0]["outcome"], "FAILURE");
    let profile = &recall["profile"];
    assert_eq!(
        profile["tenets"][0]["value"],
        "Always answer in British English"
    );
    assert_eq!(profile["preferences"], json!([]));
    assert_eq!(profile["facts"], json!([]));
    assert_eq!(
        recall["prospective_items"][0]["content"],
        "Remind me to renew the billing certificate"
    );
    assert_eq!(recall["token_budget"], 4000);
    assert_eq!(
        recall["tokens_used"],
        (context.chars().count() as i64 + 3) / 4
    );

    // A small budget keeps what fits; without profile and reminders those parts are left out.
    let (_, small) = s
        .post(
            "/v1/sidecar/pre-flight",
            a.key(),
            json!({"user_id": "alice", "message": "restart billing", "token_budget": 12,
                   "include_profile": false, "include_prospective": false}),
        )
        .await;
    assert_eq!(
        small["memory_context"],
        "Relevant memories:\n- Billing runs on host blue-7"
    );
    assert_eq!(small["memories_found"], 1);
    assert_eq!(small["profile"], Value::Null);
    assert_eq!(small["prospective_items"], json!([]));
    assert_eq!(small["tokens_used"], 12);
    // Nothing relevant, nothing to inject.
    let (_, nothing) = s
        .post(
            "/v1/sidecar/pre-flight",
            a.key(),
            json!({"user_id": "carol", "message": "astronomy"}),
        )
        .await;
    assert_eq!(nothing["memory_context"], "");
    assert_eq!(nothing["system_messages"], json!([]));
    assert_eq!(nothing["memories_found"], 0);
    let _ = id(&fact);
}

#[tokio::test]
async fn process_recalls_for_the_last_message_and_learns_only_the_exchange_before_it() {
    let s = TestServer::start().await;
    let a = s.onboard("s3@example.com").await;
    let conversation = messages(&[
        ("user", "My favourite colour is green."),
        ("assistant", "Nice."),
        ("user", "I work at Acme."),
        ("assistant", "Great."),
        ("user", "What is my favourite colour?"),
    ]);
    let (status, processed) = s
        .post(
            "/v1/sidecar/process",
            a.key(),
            json!({"user_id": "alice", "messages": conversation, "token_budget": 4000,
                   "include_profile": true, "include_prospective": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Recall ran first: nothing stored yet.
    assert_eq!(processed["memories_found"], 0);
    assert_eq!(processed["learning_triggered"], true);
    assert_eq!(processed["messages_learned"], 2);
    assert_eq!(processed["beliefs_extracted"], 1);
    let (_, page) = s.get("/v1/beliefs?subject_id=alice", a.key()).await;
    let keys: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["employer"]);
    let (_, events) = s.get("/v1/events?user_id=alice", a.key()).await;
    assert_eq!(events.as_array().unwrap().len(), 2);

    // The next turn sends it all again: the newer exchange is learned, and recalled from.
    let next = messages(&[
        ("user", "I work at Acme."),
        ("assistant", "Great."),
        ("user", "My favourite colour is green."),
        ("assistant", "Noted."),
        ("user", "Which colour do I like?"),
    ]);
    let (_, turn) = s
        .post(
            "/v1/sidecar/process",
            a.key(),
            json!({"user_id": "alice", "messages": next}),
        )
        .await;
    assert_eq!(turn["messages_learned"], 2);
    let (_, again) = s
        .post(
            "/v1/sidecar/process",
            a.key(),
            json!({"user_id": "alice", "messages": messages(&[("user", "favourite colour?")])}),
        )
        .await;
    assert_eq!(again["learning_triggered"], false);
    assert_eq!(
        again["memories"][0]["content"],
        "My favourite colour is green"
    );
    assert!(
        again["memory_context"]
            .as_str()
            .unwrap()
            .contains("- My favourite colour is green\n")
    );
}

#[tokio::test]
async fn bad_sidecar_bodies_get_fastapi_422s() {
    let s = TestServer::start().await;
    let a = s.onboard("s4@example.com").await;
    let (status, body) = s
        .post(
            "/v1/sidecar/post-flight",
            a.key(),
            json!({"user_id": "u", "messages": [{"role": "user"}, "hi"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        json!({"detail": [
            {"type": "missing", "loc": ["body", "messages", 0, "content"], "msg": "Field required",
             "input": {"role": "user"}},
            {"type": "model_attributes_type", "loc": ["body", "messages", 1],
             "msg": "Input should be a valid dictionary or object to extract fields from",
             "input": "hi"}]})
    );
    let (status, body) = s
        .post(
            "/v1/sidecar/pre-flight",
            a.key(),
            json!({"user_id": "u", "message": "m", "token_budget": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["loc"], json!(["body", "token_budget"]));
}
