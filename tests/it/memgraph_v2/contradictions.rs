//! Contradictions: recorded when a write supersedes a belief with another value, listed by v2
//! and (the open ones) by v1, settled by PATCH.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use super::{believe, id, ids};
use crate::support::{TestServer, detail};

#[tokio::test]
async fn superseding_a_belief_with_another_value_records_an_open_contradiction() {
    let s = TestServer::start().await;
    let a = s.onboard("c1@example.com").await;
    let paris = believe(&s, a.key(), "alice", "city", "Paris").await;
    s.advance("default", Duration::from_secs(1)).await;
    let berlin = believe(&s, a.key(), "alice", "city", "Berlin").await;
    // The same value again supersedes nothing and records nothing.
    believe(&s, a.key(), "alice", "city", "Berlin").await;

    let (status, listed) = s.get("/v2/contradictions", a.key()).await;
    assert_eq!(status, StatusCode::OK);
    let (_, paris_now) = s.get(&format!("/v1/beliefs/{}", id(&paris)), a.key()).await;
    assert_eq!(
        listed,
        json!([{
            "id": listed[0]["id"], "subject_id": "alice", "key": "city",
            "belief_a_id": paris["id"], "belief_b_id": berlin["id"],
            "beliefs": [paris_now, berlin], "status": "open", "resolution_status": "open",
            "resolved_by": null, "resolved_at": null, "detected_at": berlin["created_at"],
        }])
    );
    // The active belief stays the newest, as supersede decides.
    let (_, page) = s.get("/v1/beliefs?subject_id=alice", a.key()).await;
    assert_eq!(ids(&page["items"]), [id(&berlin)]);

    // v1's report lists the same open ones.
    let (status, report) = s.get("/v1/intelligence/contradictions", a.key()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report, json!({"contradictions": listed, "count": 1}));
    let (_, of_bob) = s
        .get("/v1/intelligence/contradictions?user_id=bob", a.key())
        .await;
    assert_eq!(of_bob, json!({"contradictions": [], "count": 0}));
    let (_, health) = s.get("/v1/intelligence/health", a.key()).await;
    assert_eq!(health["contradictions"], 1);
}

#[tokio::test]
async fn patch_resolves_or_dismisses_and_v1_then_leaves_it_out() {
    let s = TestServer::start().await;
    let a = s.onboard("c2@example.com").await;
    believe(&s, a.key(), "alice", "city", "Paris").await;
    believe(&s, a.key(), "alice", "city", "Berlin").await;
    s.advance("default", Duration::from_secs(1)).await;
    believe(&s, a.key(), "alice", "team", "core").await;
    believe(&s, a.key(), "alice", "team", "infra").await;
    let (_, open) = s.get("/v2/contradictions?status=open", a.key()).await;
    let [team, city] = [id(&open[0]), id(&open[1])];
    assert_eq!(open[0]["key"], "team");

    s.advance("default", Duration::from_secs(1)).await;
    let (status, settled) = s
        .patch(
            &format!("/v2/contradictions/{city}"),
            a.key(),
            json!({"resolution_status": "resolved", "resolved_by": "alice"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(settled["status"], "resolved");
    assert_eq!(settled["resolution_status"], "resolved");
    assert_eq!(settled["resolved_by"], "alice");
    assert!(settled["resolved_at"].as_str() > open[1]["detected_at"].as_str());
    // The defaults: resolved, by "manual"; or dismissed.
    let (_, dismissed) = s
        .patch(
            &format!("/v2/contradictions/{team}"),
            a.key(),
            json!({"resolution_status": "dismissed"}),
        )
        .await;
    assert_eq!(
        (&dismissed["status"], &dismissed["resolved_by"]),
        (&json!("dismissed"), &json!("manual"))
    );

    assert_eq!(
        ids(&s.get("/v2/contradictions?status=resolved", a.key()).await.1),
        [city.as_str()]
    );
    assert_eq!(
        ids(&s
            .get("/v2/contradictions?status=dismissed", a.key())
            .await
            .1),
        [team.as_str()]
    );
    assert_eq!(
        s.get("/v2/contradictions?status=open", a.key()).await.1,
        json!([])
    );
    assert_eq!(
        ids(&s.get("/v2/contradictions?limit=1", a.key()).await.1),
        [team]
    );
    assert_eq!(
        s.get("/v1/intelligence/contradictions", a.key()).await.1,
        json!({"contradictions": [], "count": 0})
    );
    let (_, stats) = s.get("/v1/stats", a.key()).await;
    assert_eq!(stats["open_contradictions"], 0);

    let (status, body) = s
        .patch(
            &format!("/v2/contradictions/{city}"),
            a.key(),
            json!({"resolution_status": "open"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        json!({"detail": [{"type": "literal_error", "loc": ["body", "resolution_status"],
                           "msg": "Input should be 'resolved' or 'dismissed'", "input": "open",
                           "ctx": {"expected": "'resolved' or 'dismissed'"}}]})
    );
    assert_eq!(
        s.patch("/v2/contradictions/nope", a.key(), json!({})).await,
        detail(StatusCode::NOT_FOUND, "Contradiction not found")
    );
    let (status, body) = s.get("/v2/contradictions?status=closed", a.key()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["loc"], json!(["query", "status"]));
}

#[tokio::test]
async fn forgetting_a_belief_forgets_its_contradictions_and_other_tenants_see_none() {
    let s = TestServer::start().await;
    let a = s.onboard("c3@example.com").await;
    let b = s.onboard("c3-other@example.com").await;
    let paris = believe(&s, a.key(), "alice", "city", "Paris").await;
    believe(&s, a.key(), "alice", "city", "Berlin").await;
    let (_, open) = s.get("/v2/contradictions", a.key()).await;
    assert_eq!(s.get("/v2/contradictions", b.key()).await.1, json!([]));
    assert_eq!(
        s.patch(
            &format!("/v2/contradictions/{}", id(&open[0])),
            b.key(),
            json!({})
        )
        .await,
        detail(StatusCode::NOT_FOUND, "Contradiction not found")
    );
    s.delete(&format!("/v1/beliefs/{}", id(&paris)), a.key())
        .await;
    assert_eq!(s.get("/v2/contradictions", a.key()).await.1, json!([]));
    let (_, stats) = s.get("/v1/stats", a.key()).await;
    assert_eq!(stats["open_contradictions"], 0);
    // A batch that changes a key twice records each change.
    let batch = json!({"beliefs": [
        {"subject_id": "bob", "key": "k", "value": "1"},
        {"subject_id": "bob", "key": "k", "value": "2"},
        {"subject_id": "bob", "key": "k", "value": "3"}]});
    let (status, _) = s.post("/v1/beliefs/batch", a.key(), batch).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, bobs) = s.get("/v2/contradictions?subject_id=bob", a.key()).await;
    assert_eq!(bobs.as_array().unwrap().len(), 2);
}
