//! Export includes the memory; import loads it back, so export → reset → import → export is the
//! same document (up to the new tenant's ids and the export time).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{log_event, remember};
use crate::support::{Auth, TestServer, detail, send};

/// The memory part of an export, with the tenant id taken out of every record.
fn memory_of(export: &Value) -> Value {
    let mut memory = json!({});
    for part in ["events", "episodes", "beliefs"] {
        let mut records = export[part].clone();
        for record in records.as_array_mut().unwrap() {
            record.as_object_mut().unwrap().remove("tenant_id");
        }
        memory[part] = records;
    }
    memory
}

#[tokio::test]
async fn export_then_reset_then_import_gives_the_same_document() {
    let s = TestServer::start().await;
    let a = s.onboard("exp@example.com").await;
    log_event(&s, a.key(), "alice", Some("t1"), "first").await;
    log_event(&s, a.key(), "alice", Some("t1"), "second").await;
    s.advance("default", Duration::from_secs(3600)).await;
    log_event(&s, a.key(), "bob", None, "third").await;
    remember(&s, a.key(), "alice", "city", "Lisbon").await;
    remember(&s, a.key(), "alice", "city", "Porto").await;
    let (_, soft) = s
        .delete("/v1/beliefs?subject_id=nobody&soft=true", a.key())
        .await;
    assert_eq!(soft["deleted"], 0);

    let (status, before) = s.get("/v1/admin/export", a.bearer()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(before["version"], 1);
    assert_eq!(before["events"].as_array().unwrap().len(), 3);
    assert_eq!(before["episodes"].as_array().unwrap().len(), 2);
    assert_eq!(
        before["episodes"][0]["consolidation_status"],
        "consolidated"
    );
    assert_eq!(before["beliefs"].as_array().unwrap().len(), 2);

    let (status, _) = send(s.http.post(s.main_url("/_offcloud/reset"))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = s.get("/v1/stats", a.key()).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the reset wiped the tenant"
    );

    let b = s.onboard("exp@example.com").await;
    let (status, imported) = s.post("/v1/admin/import", b.bearer(), before.clone()).await;
    assert_eq!(status, StatusCode::OK, "{imported}");
    assert_eq!(
        imported,
        json!({"status": "imported",
               "imported": {"events": 3, "episodes": 2, "beliefs": 2, "entities": 0,
                            "relationships": 0, "decisions": 0, "contradictions": 1,
                            "mcis_history": 0},
               "skipped": {"events": 0, "episodes": 0, "beliefs": 0, "entities": 0,
                           "relationships": 0, "decisions": 0, "contradictions": 0,
                           "mcis_history": 0}})
    );
    let (_, after) = s.get("/v1/admin/export", b.bearer()).await;
    assert_eq!(memory_of(&after), memory_of(&before));
    assert_eq!(after["events"][0]["tenant_id"], b.tenant_id.as_str());
    assert_eq!(after["tenant"]["name"], before["tenant"]["name"]);

    // Importing again skips what exists; replace overwrites.
    let (_, again) = s.post("/v1/admin/import", b.bearer(), before.clone()).await;
    // (The v2 counts: the contradiction the supersede recorded travels with its beliefs.)
    let counts = |events, episodes, beliefs, contradictions| {
        json!({"events": events, "episodes": episodes, "beliefs": beliefs, "entities": 0,
               "relationships": 0, "decisions": 0, "contradictions": contradictions,
               "mcis_history": 0})
    };
    assert_eq!(again["imported"], counts(0, 0, 0, 0));
    assert_eq!(again["skipped"], counts(3, 2, 2, 1));
    let (_, replaced) = s
        .post("/v1/admin/import?mode=replace", b.bearer(), before.clone())
        .await;
    assert_eq!(replaced["imported"], counts(3, 2, 2, 1));
    let (_, after) = s.get("/v1/admin/export", b.bearer()).await;
    assert_eq!(memory_of(&after), memory_of(&before));

    // The imported memory works as memory: the supersede rule continues from it.
    let (_, v3) = s
        .post(
            "/v1/beliefs",
            b.key(),
            json!({"subject_id": "alice", "key": "city", "value": "Faro"}),
        )
        .await;
    assert_eq!(v3["version"], 3);
}

#[tokio::test]
async fn import_checks_its_document() {
    let s = TestServer::start().await;
    let a = s.onboard("imp@example.com").await;
    assert_eq!(
        s.post("/v1/admin/import", a.bearer(), json!({"version": 9}))
            .await,
        detail(StatusCode::BAD_REQUEST, "Unsupported export version")
    );
    let (status, body) = s
        .post("/v1/admin/import", a.bearer(), json!({"events": []}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["loc"], json!(["body", "version"]));
    assert_eq!(body["detail"][0]["type"], "missing");
    let (status, body) = s
        .post(
            "/v1/admin/import",
            a.bearer(),
            json!({"version": 1, "events": [{"id": "x"}], "beliefs": 3}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let locs: Vec<Value> = body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["loc"].clone())
        .collect();
    assert_eq!(
        locs,
        vec![json!(["body", "events", 0]), json!(["body", "beliefs"])]
    );
    let (status, _) = s
        .post(
            "/v1/admin/import?mode=merge",
            a.bearer(),
            json!({"version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Admins with a token only.
    assert_eq!(
        s.post("/v1/admin/import", a.key(), json!({"version": 1}))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    let (_, viewer) = s
        .user_with_role(&a, "impviewer@example.com", "viewer")
        .await;
    assert_eq!(
        s.post(
            "/v1/admin/import",
            Auth::Bearer(&viewer),
            json!({"version": 1})
        )
        .await,
        detail(StatusCode::FORBIDDEN, "Insufficient permissions")
    );
    let (_, nothing) = s
        .post("/v1/admin/import", a.bearer(), json!({"version": 1}))
        .await;
    assert_eq!(
        nothing["imported"],
        json!({"events": 0, "episodes": 0, "beliefs": 0, "entities": 0, "relationships": 0,
               "decisions": 0, "contradictions": 0, "mcis_history": 0})
    );
}

#[tokio::test]
async fn an_import_lands_in_the_callers_tenant_only() {
    let s = TestServer::start().await;
    let a = s.onboard("impa@example.com").await;
    let b = s.onboard("impb@example.com").await;
    remember(&s, a.key(), "alice", "k", "v").await;
    let (_, export) = s.get("/v1/admin/export", a.bearer()).await;
    // The same ids exist in tenant A: B's import skips them rather than touching A's records.
    let (_, result) = s
        .post("/v1/admin/import?mode=replace", b.bearer(), export)
        .await;
    assert_eq!(result["skipped"]["beliefs"], 1);
    assert_eq!(s.get("/v1/beliefs", b.key()).await.1["count"], 0);
    assert_eq!(s.get("/v1/beliefs", a.key()).await.1["count"], 1);
}

#[tokio::test]
async fn export_can_hold_only_the_parts_asked_for() {
    let s = TestServer::start().await;
    let a = s.onboard("include@example.com").await;
    remember(&s, a.key(), "alice", "k", "v").await;
    log_event(&s, a.key(), "alice", None, "hi").await;
    let (status, only) = s.get("/v1/admin/export?include=beliefs", a.bearer()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(only["beliefs"].as_array().unwrap().len(), 1);
    assert!(only.get("events").is_none() && only.get("episodes").is_none());
    assert!(only["tenant"].is_object() && only["users"].is_array());
    // Such a document imports what it has: the belief, once forgotten, comes back.
    let belief_path = format!("/v1/beliefs/{}", only["beliefs"][0]["id"].as_str().unwrap());
    assert_eq!(s.delete(&belief_path, a.key()).await.0, StatusCode::OK);
    let (_, result) = s.post("/v1/admin/import", a.bearer(), only.clone()).await;
    assert_eq!(
        result["imported"],
        json!({"events": 0, "episodes": 0, "beliefs": 1, "entities": 0, "relationships": 0,
               "decisions": 0, "contradictions": 0, "mcis_history": 0})
    );
    assert_eq!(s.get(&belief_path, a.key()).await.1, only["beliefs"][0]);

    let (status, body) = s
        .get("/v1/admin/export?include=events,users", a.bearer())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["input"], "users");
}
