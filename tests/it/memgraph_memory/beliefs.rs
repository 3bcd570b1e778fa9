//! Beliefs: create and the supersede rule, batch, cursor pages, read, patch, delete one and
//! many (soft too), history, timeline.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{id_of, remember};
use crate::support::{TestServer, detail, str_of};

#[tokio::test]
async fn a_new_belief_has_defaults_and_can_be_read_back() {
    let s = TestServer::start().await;
    let a = s.onboard("b1@example.com").await;
    let belief = remember(&s, a.key(), "alice", "preferred_language", "Python 3.12").await;
    assert_eq!(belief["tenant_id"], a.tenant_id.as_str());
    assert_eq!(belief["subject_id"], "alice");
    assert_eq!(belief["confidence"], 0.9);
    assert_eq!(belief["belief_type"], "belief");
    assert_eq!(belief["domain"], "general");
    assert_eq!(belief["epistemic_status"], "active");
    assert_eq!(belief["is_active"], true);
    assert_eq!(belief["version"], 1);
    assert_eq!(belief["source"], "api");
    assert_eq!(belief["supersedes_id"], Value::Null);
    assert_eq!(belief["created_at"], belief["updated_at"]);
    let read = s
        .get(&format!("/v1/beliefs/{}", id_of(&belief)), a.key())
        .await;
    assert_eq!(read, (StatusCode::OK, belief));

    // The documented example body.
    let (status, doc) = s
        .post(
            "/v1/beliefs",
            a.key(),
            json!({"subject_id":"alice","key":"deployment_preference",
                   "value":"Prefers Kubernetes over Docker Compose","confidence":0.95,
                   "belief_type":"preference","domain":"infrastructure","tenant_id": a.tenant_id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(doc["confidence"], 0.95);
    assert_eq!(doc["belief_type"], "preference");
    assert_eq!(doc["domain"], "infrastructure");
}

#[tokio::test]
async fn the_same_value_twice_keeps_one_copy() {
    let s = TestServer::start().await;
    let a = s.onboard("b2@example.com").await;
    let first = remember(&s, a.key(), "alice", "city", "Lisbon").await;
    let again = remember(&s, a.key(), "alice", "city", "Lisbon").await;
    assert_eq!(first, again);
    let (_, page) = s
        .get(
            "/v1/beliefs?subject_id=alice&include_inactive=true",
            a.key(),
        )
        .await;
    assert_eq!(page["count"], 1);
}

#[tokio::test]
async fn a_new_value_supersedes_the_old_and_bumps_the_version() {
    let s = TestServer::start().await;
    let a = s.onboard("b3@example.com").await;
    let v1 = remember(&s, a.key(), "alice", "city", "Lisbon").await;
    s.advance("default", Duration::from_secs(5)).await;
    let v2 = remember(&s, a.key(), "alice", "city", "Porto").await;
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["supersedes_id"], v1["id"]);
    assert_eq!(v2["is_active"], true);

    let (_, old) = s.get(&format!("/v1/beliefs/{}", id_of(&v1)), a.key()).await;
    assert_eq!(old["epistemic_status"], "superseded");
    assert_eq!(old["is_active"], false);
    assert_eq!(old["updated_at"], v2["created_at"]);

    // Only the active version is listed by default.
    let (_, page) = s.get("/v1/beliefs?subject_id=alice", a.key()).await;
    assert_eq!(
        page,
        json!({"items": [v2.clone()], "next_cursor": null, "count": 1})
    );
    let (_, all) = s
        .get(
            "/v1/beliefs?subject_id=alice&include_inactive=true",
            a.key(),
        )
        .await;
    assert_eq!(all["items"], json!([v2, old]));

    // Going back to the old value is a third version, not a revival.
    let v3 = remember(&s, a.key(), "alice", "city", "Lisbon").await;
    assert_eq!(v3["version"], 3);
    assert_ne!(v3["id"], v1["id"]);
}

#[tokio::test]
async fn history_lists_every_version_oldest_first() {
    let s = TestServer::start().await;
    let a = s.onboard("b4@example.com").await;
    let v1 = remember(&s, a.key(), "alice", "city", "Lisbon").await;
    s.advance("default", Duration::from_secs(60)).await;
    let v2 = remember(&s, a.key(), "alice", "city", "Porto").await;
    remember(&s, a.key(), "alice", "other", "x").await;

    let (status, history) = s.get("/v1/beliefs/history/alice/city", a.key()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(history.as_array().unwrap().len(), 2);
    assert_eq!(history[0]["id"], v1["id"]);
    assert_eq!(history[0]["epistemic_status"], "superseded");
    assert_eq!(history[1], v2);

    let (_, active) = s
        .get(
            "/v1/beliefs/history/alice/city?include_inactive=false",
            a.key(),
        )
        .await;
    assert_eq!(active, json!([v2]));

    // as_of: what was believed at the time of the first version.
    let as_of = str_of(&v1["created_at"]);
    let (_, then) = s
        .get(
            &format!("/v1/beliefs/history/alice/city?as_of={as_of}"),
            a.key(),
        )
        .await;
    assert_eq!(then.as_array().unwrap().len(), 1);
    assert_eq!(then[0]["id"], v1["id"]);

    let (status, body) = s
        .get("/v1/beliefs/history/alice/city?as_of=soon", a.key())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["loc"], json!(["query", "as_of"]));
    assert_eq!(
        s.get("/v1/beliefs/history/nobody/city", a.key()).await.1,
        json!([])
    );
}

#[tokio::test]
async fn the_timeline_shows_each_change_newest_first() {
    let s = TestServer::start().await;
    let a = s.onboard("b5@example.com").await;
    let v1 = remember(&s, a.key(), "alice", "city", "Lisbon").await;
    s.advance("default", Duration::from_secs(60)).await;
    let v2 = remember(&s, a.key(), "alice", "city", "Porto").await;
    s.advance("default", Duration::from_secs(60)).await;
    let (status, other) = s
        .post(
            "/v1/beliefs",
            a.key(),
            json!({"subject_id": "alice", "key": "tool", "value": "vim", "domain": "tech"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, timeline) = s.get("/v1/beliefs/timeline/alice", a.key()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(timeline["subject_id"], "alice");
    assert_eq!(timeline["count"], 3);
    let changes: Vec<(String, String)> = timeline["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (str_of(&t["id"]), str_of(&t["change"])))
        .collect();
    // v1 was superseded at the moment v2 was created; the later creation comes first.
    assert_eq!(changes[0], (id_of(&other), "created".into()));
    assert_eq!(changes.len(), 3);
    assert!(changes.contains(&(id_of(&v2), "created".into())));
    assert!(changes.contains(&(id_of(&v1), "superseded".into())));
    assert_eq!(timeline["timeline"][0]["timestamp"], other["created_at"]);

    let (_, tech) = s
        .get("/v1/beliefs/timeline/alice?domain=tech&limit=50", a.key())
        .await;
    assert_eq!(tech["count"], 1);
    let (_, limited) = s.get("/v1/beliefs/timeline/alice?limit=1", a.key()).await;
    assert_eq!(limited["count"], 1);
    let since = str_of(&other["created_at"]);
    let (_, recent) = s
        .get(
            &format!("/v1/beliefs/timeline/alice?since={since}"),
            a.key(),
        )
        .await;
    assert_eq!(recent["count"], 1);
    let (_, nobody) = s.get("/v1/beliefs/timeline/nobody", a.key()).await;
    assert_eq!(
        nobody,
        json!({"subject_id": "nobody", "count": 0, "timeline": []})
    );
}

#[tokio::test]
async fn pages_follow_an_opaque_cursor_to_the_end() {
    let s = TestServer::start().await;
    let a = s.onboard("b6@example.com").await;
    let mut made = Vec::new();
    for i in 0..5 {
        made.push(remember(&s, a.key(), "alice", &format!("k{i}"), "v").await);
    }
    made.reverse(); // newest first

    let (_, empty) = s.get("/v1/beliefs?subject_id=nobody", a.key()).await;
    assert_eq!(empty, json!({"items": [], "next_cursor": null, "count": 0}));

    // An exact page: no next cursor.
    let (_, exact) = s.get("/v1/beliefs?subject_id=alice&limit=5", a.key()).await;
    assert_eq!(exact["items"], json!(made));
    assert_eq!(exact["next_cursor"], Value::Null);

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/beliefs?subject_id=alice&limit=2&cursor={c}"),
            None => "/v1/beliefs?subject_id=alice&limit=2".to_owned(),
        };
        let (status, page) = s.get(&path, a.key()).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["count"], 5);
        pages += 1;
        seen.extend(page["items"].as_array().unwrap().clone());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3, "2 + 2 + 1");
    assert_eq!(seen, made);

    assert_eq!(
        s.get("/v1/beliefs?cursor=%%%", a.key()).await,
        detail(StatusCode::BAD_REQUEST, "Invalid cursor")
    );
}

#[tokio::test]
async fn lists_filter_by_domain_and_type_and_accept_user_id() {
    let s = TestServer::start().await;
    let a = s.onboard("b7@example.com").await;
    let (_, fact) = s
        .post("/v1/beliefs", a.key(), json!({"subject_id": "alice", "key": "a", "value": "1", "belief_type": "fact", "domain": "tech"}))
        .await;
    let general = remember(&s, a.key(), "alice", "b", "2").await;
    remember(&s, a.key(), "bob", "c", "3").await;
    let (_, tech) = s
        .get("/v1/beliefs?subject_id=alice&domain=tech", a.key())
        .await;
    assert_eq!(tech["items"], json!([fact]));
    let (_, beliefs) = s
        .get("/v1/beliefs?user_id=alice&belief_type=belief", a.key())
        .await;
    assert_eq!(beliefs["items"], json!([general]));
    let (_, everyone) = s.get("/v1/beliefs", a.key()).await;
    assert_eq!(everyone["count"], 3);
}

#[tokio::test]
async fn patch_changes_a_belief_in_place() {
    let s = TestServer::start().await;
    let a = s.onboard("b8@example.com").await;
    let belief = remember(&s, a.key(), "alice", "city", "Lisbon").await;
    s.advance("default", Duration::from_secs(1)).await;
    let path = format!("/v1/beliefs/{}", id_of(&belief));
    let (status, patched) = s
        .patch(
            &path,
            a.key(),
            json!({"value": "Porto", "confidence_score": 0.5}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["id"], belief["id"]);
    assert_eq!(patched["value"], "Porto");
    assert_eq!(patched["confidence"], 0.5);
    assert_eq!(patched["version"], 2);
    assert_ne!(patched["updated_at"], belief["updated_at"]);
    assert_eq!(s.get(&path, a.key()).await.1, patched);

    let (status, body) = s
        .patch(
            &path,
            a.key(),
            json!({"confidence": 2, "belief_type": "guess"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        json!({"detail": [
            {"type": "less_than_equal", "loc": ["body", "confidence"], "msg": "Input should be less than or equal to 1",
             "input": 2, "ctx": {"le": 1.0}},
            {"type": "literal_error", "loc": ["body", "belief_type"],
             "msg": "Input should be 'fact', 'belief', 'preference' or 'tenet'", "input": "guess",
             "ctx": {"expected": "'fact', 'belief', 'preference' or 'tenet'"}}]})
    );
    assert_eq!(
        s.patch("/v1/beliefs/nope", a.key(), json!({"value": "x"}))
            .await,
        detail(StatusCode::NOT_FOUND, "Belief not found")
    );
}

#[tokio::test]
async fn forget_deletes_one_belief() {
    let s = TestServer::start().await;
    let a = s.onboard("b9@example.com").await;
    let belief = remember(&s, a.key(), "alice", "city", "Lisbon").await;
    let path = format!("/v1/beliefs/{}", id_of(&belief));
    assert_eq!(
        s.delete(&path, a.key()).await,
        (
            StatusCode::OK,
            json!({"status": "deleted", "id": id_of(&belief)})
        )
    );
    assert_eq!(
        s.get(&path, a.key()).await,
        detail(StatusCode::NOT_FOUND, "Belief not found")
    );
    assert_eq!(
        s.delete(&path, a.key()).await,
        detail(StatusCode::NOT_FOUND, "Belief not found")
    );
}

#[tokio::test]
async fn forget_all_deletes_or_retracts_a_subjects_beliefs() {
    let s = TestServer::start().await;
    let a = s.onboard("b10@example.com").await;
    remember(&s, a.key(), "alice", "a", "1").await;
    remember(&s, a.key(), "alice", "a", "2").await; // two versions
    let (_, tech) = s
        .post(
            "/v1/beliefs",
            a.key(),
            json!({"subject_id": "alice", "key": "t", "value": "x", "domain": "tech"}),
        )
        .await;
    let bob = remember(&s, a.key(), "bob", "a", "1").await;

    // Soft, one domain: the active belief is retracted, still in history.
    let soft = s
        .delete(
            "/v1/beliefs?subject_id=alice&domain=tech&soft=true",
            a.key(),
        )
        .await;
    assert_eq!(
        soft,
        (
            StatusCode::OK,
            json!({"status": "deleted", "deleted": 1, "domain": "tech"})
        )
    );
    let (_, retracted) = s
        .get(&format!("/v1/beliefs/{}", id_of(&tech)), a.key())
        .await;
    assert_eq!(retracted["is_active"], false);
    assert_eq!(retracted["epistemic_status"], "retracted");
    let (_, timeline) = s
        .get("/v1/beliefs/timeline/alice?domain=tech", a.key())
        .await;
    assert_eq!(timeline["timeline"][0]["change"], "deleted");

    // Hard: every version of every key of the subject.
    let hard = s.delete("/v1/beliefs?subject_id=alice", a.key()).await;
    assert_eq!(
        hard,
        (
            StatusCode::OK,
            json!({"status": "deleted", "deleted": 3, "domain": null})
        )
    );
    let (_, left) = s.get("/v1/beliefs?include_inactive=true", a.key()).await;
    assert_eq!(left["items"], json!([bob]));

    let (status, body) = s.delete("/v1/beliefs", a.key()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        json!({"detail": [{"type": "missing", "loc": ["query", "subject_id"], "msg": "Field required", "input": null}]})
    );
}

#[tokio::test]
async fn a_batch_lists_newest_first_in_the_order_made_every_time() {
    // Every belief of a batch is made at the same moment; the list's order among them must not
    // be left to chance, or a test asserting a page would pass on one run and fail on the next.
    let s = TestServer::start().await;
    let a = s.onboard("b12@example.com").await;
    let beliefs: Vec<Value> = (0..40)
        .map(|i| json!({"subject_id": "alice", "key": format!("k{i}"), "value": "v"}))
        .collect();
    let (status, made) = s
        .post("/v1/beliefs/batch", a.key(), json!({"beliefs": beliefs}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let mut made = made["items"].as_array().unwrap().clone();
    made.reverse();
    let (status, page) = s
        .get("/v1/beliefs?subject_id=alice&limit=50", a.key())
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["items"], Value::Array(made.clone()));

    // Pages of 7 through the same moment: each belief once, in the same order.
    let mut seen = Vec::new();
    let mut path = "/v1/beliefs?subject_id=alice&limit=7".to_owned();
    loop {
        let (status, page) = s.get(&path, a.key()).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        seen.extend(page["items"].as_array().unwrap().clone());
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/beliefs?subject_id=alice&limit=7&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, made);
}

#[tokio::test]
async fn a_batch_creates_up_to_100_all_or_nothing() {
    let s = TestServer::start().await;
    let a = s.onboard("b11@example.com").await;
    let beliefs: Vec<Value> = (0..100)
        .map(|i| json!({"subject_id": "alice", "key": format!("k{i}"), "value": "v"}))
        .collect();
    let (status, body) = s
        .post("/v1/beliefs/batch", a.key(), json!({"beliefs": beliefs}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["created"], 100);
    assert_eq!(body["items"].as_array().unwrap().len(), 100);
    assert_eq!(body["items"][7]["key"], "k7");

    let too_many: Vec<Value> = (0..101)
        .map(|i| json!({"subject_id": "bob", "key": format!("k{i}"), "value": "v"}))
        .collect();
    let (status, body) = s
        .post("/v1/beliefs/batch", a.key(), json!({"beliefs": too_many}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let error = &body["detail"][0];
    assert_eq!(error["type"], "too_long");
    assert_eq!(error["loc"], json!(["body", "beliefs"]));
    assert_eq!(
        error["msg"],
        "List should have at most 100 items after validation, not 101"
    );
    assert_eq!(
        error["ctx"],
        json!({"field_type": "List", "max_length": 100, "actual_length": 101})
    );

    // One bad item refuses the whole batch, with the item's location; pydantic reads the items
    // in order.
    let (status, body) = s
        .post(
            "/v1/beliefs/batch",
            a.key(),
            json!({"beliefs": [{"subject_id": "bob", "key": "ok", "value": "v"},
                                {"subject_id": "bob", "key": "bad", "value": "v", "confidence": -1},
                                "nope"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["detail"][0]["loc"],
        json!(["body", "beliefs", 1, "confidence"])
    );
    assert_eq!(body["detail"][0]["type"], "greater_than_equal");
    assert_eq!(body["detail"][1]["loc"], json!(["body", "beliefs", 2]));
    assert_eq!(body["detail"][1]["type"], "model_attributes_type");
    let (_, bob) = s.get("/v1/beliefs?subject_id=bob", a.key()).await;
    assert_eq!(bob["count"], 0);
}

#[tokio::test]
async fn a_bad_belief_body_gets_fastapi_422s() {
    let s = TestServer::start().await;
    let a = s.onboard("b12@example.com").await;
    let (status, body) = s
        .post("/v1/beliefs", a.key(), json!({"subject_id": "alice"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        json!({"detail": [
            {"type": "missing", "loc": ["body", "key"], "msg": "Field required", "input": {"subject_id": "alice"}},
            {"type": "missing", "loc": ["body", "value"], "msg": "Field required", "input": {"subject_id": "alice"}}]})
    );
    let (status, body) = s
        .post(
            "/v1/beliefs",
            a.key(),
            json!({"subject_id": "a", "key": "k", "value": "v", "confidence": "high"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["type"], "float_parsing");
}

#[tokio::test]
async fn a_batch_applies_the_supersede_rule_item_by_item() {
    let s = TestServer::start().await;
    let a = s.onboard("b13@example.com").await;
    let old = remember(&s, a.key(), "alice", "city", "Lisbon").await;
    let (status, body) = s
        .post(
            "/v1/beliefs/batch",
            a.key(),
            json!({"beliefs": [
                {"subject_id": "alice", "key": "city", "value": "Porto"},
                {"subject_id": "alice", "key": "city", "value": "Faro"},
                {"subject_id": "alice", "key": "city", "value": "Faro"},
                {"subject_id": "alice", "key": "pet", "value": "cat"},
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let items = body["items"].as_array().unwrap();
    // Each answer is the belief as it was made: Porto was active until Faro came.
    assert_eq!(items[0]["value"], "Porto");
    assert_eq!(items[0]["version"], 2);
    assert_eq!(items[0]["is_active"], true);
    assert_eq!(items[0]["epistemic_status"], "active");
    assert_eq!(items[0]["supersedes_id"], old["id"]);
    assert_eq!(items[1]["value"], "Faro");
    assert_eq!(items[1]["version"], 3);
    assert_eq!(items[1]["supersedes_id"], items[0]["id"]);
    assert_eq!(
        items[2], items[1],
        "the same value again is the same version"
    );
    assert_eq!(items[3]["version"], 1);
    assert_eq!(body["created"], 4);

    let (_, history) = s.get("/v1/beliefs/history/alice/city", a.key()).await;
    let stored: Vec<(&str, &str, bool)> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["value"].as_str().unwrap(),
                b["epistemic_status"].as_str().unwrap(),
                b["is_active"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        stored,
        vec![
            ("Lisbon", "superseded", false),
            ("Porto", "superseded", false),
            ("Faro", "active", true)
        ]
    );
}

/// What the stats and the search read besides the beliefs themselves, of one tenant: the kept
/// belief counts, the users named, the postings (with the belief each names), and the sizes of
/// the search collections.
async fn derived_of(db: &offcloud::db::Db, tenant: &str) -> Vec<String> {
    let mut rows: Vec<String> = Vec::new();
    for sql in [
        "SELECT 'counts', beliefs, active_beliefs, users, NULL, NULL
           FROM memgraph_tenant_counts WHERE tenant_id = ?1",
        "SELECT 'user', user_id, refs, NULL, NULL, NULL
           FROM memgraph_tenant_users
          WHERE tenant_number = (SELECT number FROM memgraph_tenants WHERE id = ?1)",
        "SELECT 'posting', t.term, t.user_id, t.kind, b.id, t.doc
           FROM memgraph_search_terms t JOIN memgraph_beliefs b ON b.rowid = t.doc
          WHERE t.tenant_number = (SELECT number FROM memgraph_tenants WHERE id = ?1) AND t.kind = 'belief'",
        "SELECT 'collection', docs, length, NULL, NULL, NULL
           FROM memgraph_search_tenants WHERE tenant_id = ?1",
        "SELECT 'user collection', user_id, docs, length, NULL, NULL
           FROM memgraph_search_users
          WHERE tenant_number = (SELECT number FROM memgraph_tenants WHERE id = ?1)",
    ] {
        let found: Vec<offcloud::db::Row> = offcloud::db::query(sql)
            .bind(tenant)
            .fetch_all(db)
            .await
            .unwrap();
        for row in &found {
            use rusqlite::types::Value;
            let mut line = Vec::new();
            for i in 0..6 {
                line.push(match row.value(i).unwrap() {
                    Value::Null => "null".to_owned(),
                    Value::Integer(n) => n.to_string(),
                    Value::Real(x) => x.to_string(),
                    Value::Text(text) => text.clone(),
                    Value::Blob(bytes) => format!("{bytes:?}"),
                });
            }
            rows.push(line.join(" "));
        }
    }
    rows.sort();
    rows
}

#[tokio::test]
async fn a_batch_keeps_the_same_counts_and_search_index_as_beliefs_written_one_by_one() {
    let s = TestServer::start().await;
    let a = s.onboard("b14@example.com").await;
    remember(&s, a.key(), "alice", "city", "Lisbon").await;
    for beliefs in [
        // A key made and superseded in the same batch, one superseded from before, a new user.
        json!([{"subject_id": "alice", "key": "city", "value": "Porto"},
               {"subject_id": "alice", "key": "city", "value": "Faro"},
               {"subject_id": "alice", "key": "pets", "value": "Two cats, one dog"},
               {"subject_id": "bob", "key": "city", "value": "Faro"}]),
        // The same value again (nothing written), and words shared with other beliefs.
        json!([{"subject_id": "alice", "key": "city", "value": "Faro"},
               {"subject_id": "bob", "key": "pets", "value": "cats cats cats"},
               {"subject_id": "carol", "key": "city", "value": "Lisbon, Faro"}]),
    ] {
        let (status, body) = s
            .post("/v1/beliefs/batch", a.key(), json!({"beliefs": beliefs}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let session = s.session("default").await;
    let db = session.db();
    let by_batch = derived_of(db, &a.tenant_id).await;
    // Seven versions, five of them active, of three users.
    assert!(
        by_batch.contains(&"counts 7 5 3 null null".to_owned()),
        "{by_batch:#?}"
    );

    // The same rows written again one by one, with the same rowids: the insert triggers derive
    // the figures this time.
    db.execute_batch(
        "CREATE TEMP TABLE written AS SELECT rowid AS r, * FROM memgraph_beliefs;
         DELETE FROM memgraph_contradictions;
         DELETE FROM memgraph_beliefs;
         DELETE FROM memgraph_search_terms;
         DELETE FROM memgraph_search_users;
         DELETE FROM memgraph_search_tenants;
         DELETE FROM memgraph_tenant_users;
         DELETE FROM memgraph_tenant_counts;
         INSERT INTO memgraph_beliefs
               (rowid, id, tenant_id, tenant_number, subject_id, key, value, confidence,
                belief_type, domain, epistemic_status, is_active, version, source,
                supersedes_id, created_at, updated_at, search_bag)
         SELECT r, id, tenant_id, tenant_number, subject_id, key, value, confidence, belief_type, domain,
                epistemic_status, is_active, version, source, supersedes_id, created_at,
                updated_at, search_bag
           FROM temp.written ORDER BY r;
         DROP TABLE temp.written;",
    )
    .await
    .unwrap();
    let by_rows = derived_of(db, &a.tenant_id).await;
    assert_eq!(by_batch, by_rows);
}
