//! The v2 records around the rest of Memgraph: `/v2/context`, stats, export and import, the
//! state document, roles and fixtures.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{believe, decide, entity, id, ids, relate};
use crate::control_state;
use crate::support::{Auth, TestServer, detail, send};

#[tokio::test]
async fn v2_context_fills_entities_relationships_and_decisions() {
    let s = TestServer::start().await;
    let a = s.onboard("r1@example.com").await;
    let belief = believe(&s, a.key(), "u1", "deploy", "Billing deploys use Helm").await;
    let alice = entity(
        &s,
        a.key(),
        json!({"entity_type": "person", "name": "Alice"}),
    )
    .await;
    let billing = entity(
        &s,
        a.key(),
        json!({"entity_type": "service", "name": "Billing API", "aliases": ["billing"]}),
    )
    .await;
    let unrelated = entity(&s, a.key(), json!({"entity_type": "person", "name": "Zoe"})).await;
    let owns = relate(&s, a.key(), &alice, &billing, "owns").await;
    relate(&s, a.key(), &unrelated, &unrelated, "self").await;
    let d = decide(
        &s,
        a.key(),
        json!({"goal": "Roll back billing", "outcome": "SUCCESS", "user_id": "u1"}),
    )
    .await;
    decide(&s, a.key(), json!({"goal": "Water the plants"})).await;

    let (status, ctx) = s
        .post(
            "/v2/context",
            a.key(),
            json!({"query": "who owns billing", "user_id": "u1", "include_decisions": true,
                   "include_graph": true, "create_snapshot": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&ctx["memories"]), [id(&belief)]);
    let found: Vec<(String, i64)> = ctx["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (id(e), e["depth"].as_i64().unwrap()))
        .collect();
    assert_eq!(found, [(id(&billing), 0), (id(&alice), 1)]);
    assert_eq!(ids(&ctx["relationships"]), [id(&owns)]);
    assert_eq!(ids(&ctx["decisions"]), [id(&d)]);
    assert_eq!(ctx["decisions"][0]["goal"], "Roll back billing");
    assert!(ctx["decisions"][0]["score"].as_f64().unwrap() > 0.0);
    assert_eq!(
        ctx["snapshot"],
        json!({"query": "who owns billing", "user_id": "u1", "memory_ids": [belief["id"]],
               "entity_ids": [billing["id"], alice["id"]], "decision_ids": [d["id"]],
               "created_at": ctx["snapshot"]["created_at"]})
    );

    let (_, bare) = s
        .post(
            "/v2/context",
            a.key(),
            json!({"query": "who owns billing", "user_id": "u1", "include_decisions": false,
                   "include_graph": false}),
        )
        .await;
    assert_eq!(
        (
            &bare["entities"],
            &bare["relationships"],
            &bare["decisions"],
            &bare["snapshot"]
        ),
        (&json!([]), &json!([]), &json!([]), &Value::Null)
    );
    let (status, body) = s
        .post(
            "/v2/context",
            a.key(),
            json!({"query": "q", "include_graph": "yes please"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["loc"], json!(["body", "include_graph"]));
}

/// A tenant with one of each v2 record.
async fn one_of_each(s: &TestServer, email: &str) -> crate::support::Account {
    let a = s.onboard(email).await;
    believe(s, a.key(), "alice", "city", "Paris").await;
    let berlin = believe(s, a.key(), "alice", "city", "Berlin").await;
    let alice = entity(
        s,
        a.key(),
        json!({"entity_type": "person", "name": "Alice"}),
    )
    .await;
    let acme = entity(s, a.key(), json!({"entity_type": "org", "name": "Acme"})).await;
    relate(s, a.key(), &alice, &acme, "works_at").await;
    decide(
        s,
        a.key(),
        json!({"goal": "Move", "beliefs_used": [berlin["id"]], "create_snapshot": true}),
    )
    .await;
    let (status, _) = s.get("/v1/intelligence/mcis?save=true", a.key()).await;
    assert_eq!(status, StatusCode::OK);
    a
}

#[tokio::test]
async fn export_and_import_carry_the_v2_records_into_another_tenant() {
    let s = TestServer::start().await;
    let a = one_of_each(&s, "r2@example.com").await;
    let (status, doc) = s.get("/v1/admin/export", a.bearer()).await;
    assert_eq!(status, StatusCode::OK);
    let lists = [
        "entities",
        "relationships",
        "decisions",
        "contradictions",
        "mcis_history",
    ];
    let sizes: Vec<usize> = lists
        .iter()
        .map(|l| {
            doc[*l]
                .as_array()
                .unwrap_or_else(|| panic!("{l}: {doc}"))
                .len()
        })
        .collect();
    assert_eq!(sizes, [2, 1, 1, 1, 1]);
    let (_, decisions) = s.get("/v2/decisions", a.key()).await;
    assert_eq!(doc["decisions"], decisions);

    let (_, only) = s
        .get("/v1/admin/export?include=entities,decisions", a.bearer())
        .await;
    assert!(only.get("relationships").is_none() && only.get("beliefs").is_none());
    assert_eq!(only["entities"], doc["entities"]);
    let (status, body) = s.get("/v1/admin/export?include=graph", a.bearer()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["detail"][0]["msg"],
        "Input should be 'events', 'episodes', 'beliefs', 'entities', 'relationships', \
         'decisions', 'contradictions' or 'mcis_history'"
    );

    // Into a fresh tenant of a wiped Memgraph (ids are kept, so they must be free): everything
    // comes across, then a second import skips it all.
    let (_, ours) = s.get("/v2/contradictions", a.key()).await;
    let (status, _) = send(s.http.post(s.main_url("/_offcloud/reset?service=memgraph"))).await;
    assert_eq!(status, StatusCode::OK);
    let b = s.onboard("r2-other@example.com").await;
    let (status, imported) = s.post("/v1/admin/import", b.bearer(), doc.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        imported,
        json!({"status": "imported",
               "imported": {"events": 0, "episodes": 0, "beliefs": 2, "entities": 2,
                            "relationships": 1, "decisions": 1, "contradictions": 1,
                            "mcis_history": 1},
               "skipped": {"events": 0, "episodes": 0, "beliefs": 0, "entities": 0,
                           "relationships": 0, "decisions": 0, "contradictions": 0,
                           "mcis_history": 0}})
    );
    let (_, again) = s.post("/v1/admin/import", b.bearer(), doc.clone()).await;
    assert_eq!(again["skipped"]["entities"], 2);
    assert_eq!(again["skipped"]["contradictions"], 1);
    let (_, theirs) = s.get("/v2/contradictions", b.key()).await;
    let mut ours = ours;
    for belief in ours[0]["beliefs"].as_array_mut().unwrap() {
        belief["tenant_id"] = json!(b.tenant_id);
    }
    assert_eq!(theirs, ours, "the same contradiction, now b's");
    let (_, stats) = s.get("/v1/stats", b.key()).await;
    assert_eq!(
        (
            &stats["total_entities"],
            &stats["total_relationships"],
            &stats["total_decisions"],
            &stats["open_contradictions"]
        ),
        (&json!(2), &json!(1), &json!(1), &json!(1))
    );
    let (_, found) = s
        .post("/v2/entities/search", b.key(), json!({"query": "acme"}))
        .await;
    assert_eq!(found[0]["name"], "Acme", "imported entities are searchable");
    let (_, history) = s.get("/v1/intelligence/mcis/history", b.key()).await;
    assert_eq!(history["count"], 1);

    // A relationship whose entities are not the tenant's is skipped; a bad record is a 422.
    let c = s.onboard("r2-third@example.com").await;
    let mut foreign = doc["relationships"].clone();
    foreign[0]["id"] = json!("r-new");
    let partial = json!({"version": 1, "relationships": foreign});
    let (_, skipped) = s.post("/v1/admin/import", c.bearer(), partial).await;
    assert_eq!(skipped["skipped"]["relationships"], 1);
    let (status, body) = s
        .post(
            "/v1/admin/import",
            c.bearer(),
            json!({"version": 1, "entities": [{"id": "e1"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["loc"], json!(["body", "entities", 0]));
}

#[tokio::test]
async fn the_state_document_carries_the_v2_records_and_loads_them_back() {
    let s = TestServer::start().await;
    let a = one_of_each(&s, "r3@example.com").await;
    let before = control_state::export(&s, "").await;
    let document: Value = serde_json::from_str(&before).unwrap();
    let tables = &document["sessions"]["default"]["tables"];
    for table in [
        "memgraph_entities",
        "memgraph_entity_terms",
        "memgraph_relationships",
        "memgraph_decisions",
        "memgraph_contradictions",
        "memgraph_mcis_snapshots",
    ] {
        assert!(tables.get(table).is_some(), "{table} is in the document");
    }
    let (_, analytics) = s.get("/v2/analytics", a.key()).await;
    let (status, _) = send(s.http.post(s.main_url("/_offcloud/reset"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        control_state::import(&s, "", before.clone()).await.0,
        StatusCode::OK
    );
    assert_eq!(control_state::export(&s, "").await, before);
    // The kept counts come back with the rows.
    assert_eq!(
        s.get("/v2/analytics", a.key()).await,
        (StatusCode::OK, analytics)
    );
    let (_, found) = s
        .post("/v2/entities/search", a.key(), json!({"query": "alice"}))
        .await;
    assert_eq!(found[0]["name"], "Alice");
}

#[tokio::test]
async fn viewers_read_the_v2_records_and_editors_and_keys_write_them() {
    let s = TestServer::start().await;
    let a = one_of_each(&s, "r4@example.com").await;
    let (_, viewer) = s
        .user_with_role(&a, "r4-viewer@example.com", "viewer")
        .await;
    let (_, editor) = s
        .user_with_role(&a, "r4-editor@example.com", "editor")
        .await;
    let viewer = Auth::Bearer(&viewer);
    let editor = Auth::Bearer(&editor);
    let (_, entities) = s.get("/v2/entities", a.key()).await;
    let (_, decisions) = s.get("/v2/decisions", a.key()).await;
    let (_, contradictions) = s.get("/v2/contradictions", a.key()).await;
    let entity = format!("/v2/entities/{}", id(&entities[0]));
    let decision = format!("/v2/decisions/{}", id(&decisions[0]));
    let contradiction = format!("/v2/contradictions/{}", id(&contradictions[0]));

    let reads: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", "/v2/entities".into(), None),
        ("GET", entity.clone(), None),
        (
            "POST",
            "/v2/entities/search".into(),
            Some(json!({"query": "a"})),
        ),
        ("GET", "/v2/relationships".into(), None),
        (
            "POST",
            "/v2/graph/traverse".into(),
            Some(json!({"entity_ids": [entities[0]["id"]]})),
        ),
        ("GET", "/v2/decisions".into(), None),
        ("GET", decision.clone(), None),
        ("GET", format!("{decision}/explain"), None),
        ("GET", "/v2/contradictions".into(), None),
        ("GET", "/v2/analytics".into(), None),
        (
            "POST",
            "/v1/intelligence/evaluate".into(),
            Some(json!({"query": "a", "user_id": "u"})),
        ),
        ("GET", "/v1/intelligence/mcis".into(), None),
        ("GET", "/v1/intelligence/mcis/history".into(), None),
        ("GET", "/v1/benchmark/scenarios".into(), None),
        (
            "POST",
            "/v1/benchmark/run".into(),
            Some(json!({"scenario": "locomo"})),
        ),
        (
            "POST",
            "/v1/sidecar/pre-flight".into(),
            Some(json!({"user_id": "u", "message": "m"})),
        ),
    ];
    for (method, path, body) in &reads {
        let (status, answer) = s.call(method, path, viewer, body.clone()).await;
        assert_eq!(status, StatusCode::OK, "viewer {method} {path}: {answer}");
    }
    let messages = json!([{"role": "user", "content": "hi"}]);
    let writes: Vec<(&str, String, Option<Value>)> = vec![
        (
            "POST",
            "/v2/entities".into(),
            Some(json!({"entity_type": "x"})),
        ),
        (
            "POST",
            "/v2/relationships".into(),
            Some(
                json!({"source_entity_id": entities[0]["id"], "target_entity_id": entities[1]["id"],
                     "relation_type": "r"}),
            ),
        ),
        ("POST", "/v2/decisions".into(), Some(json!({"goal": "g"}))),
        (
            "POST",
            "/v2/outcomes/record".into(),
            Some(json!({"decision_id": decisions[0]["id"], "outcome": "SUCCESS"})),
        ),
        ("PATCH", contradiction.clone(), Some(json!({}))),
        (
            "POST",
            "/v1/sidecar/post-flight".into(),
            Some(json!({"user_id": "u", "messages": messages})),
        ),
        (
            "POST",
            "/v1/sidecar/process".into(),
            Some(json!({"user_id": "u", "messages": messages})),
        ),
        ("DELETE", decision.clone(), None),
        ("DELETE", entity.clone(), None),
    ];
    for (method, path, body) in &writes {
        assert_eq!(
            s.call(method, path, viewer, body.clone()).await,
            detail(StatusCode::FORBIDDEN, "Insufficient permissions"),
            "viewer {method} {path}"
        );
    }
    for (i, (method, path, body)) in writes.iter().enumerate() {
        // Half by an editor, half by the API key (an editor too, docs/spec/memgraph.md §5.6).
        let who = if i % 2 == 0 { editor } else { a.key() };
        let (status, answer) = s.call(method, path, who, body.clone()).await;
        assert!(status.is_success(), "{method} {path}: {status} {answer}");
    }
    assert_eq!(
        s.get("/v2/entities", Auth::Nobody).await,
        (
            StatusCode::UNAUTHORIZED,
            json!({"detail": "Not authenticated"})
        )
    );
}

const FIXTURE: &str = "memgraph:
  tenants:
    - name: Graph Test
      api_keys:
        - key: mg_test_graph_0000000000000000000000000000
      beliefs:
        - id: 44444444-4444-4444-8444-444444444400
          subject_id: u1
          key: deploy_day
          value: Deploys go out on Fridays
      entities:
        - id: 55555555-5555-4555-8555-555555555501
          entity_type: person
          name: Alice
          aliases: [Ali]
          properties: {role: cto}
        - id: 55555555-5555-4555-8555-555555555502
          entity_type: organization
          name: Acme
      relationships:
        - source_entity_id: 55555555-5555-4555-8555-555555555501
          target_entity_id: 55555555-5555-4555-8555-555555555502
          relation_type: works_at
          valid_from: 2024-01-01T00:00:00Z
      decisions:
        - id: 66666666-6666-4666-8666-666666666601
          goal: Deploy on Friday
          beliefs_used: [44444444-4444-4444-8444-444444444400]
          outcome: failure
          feedback: Fridays are frozen
          reasoning_steps:
            - {step: 1, description: Check the calendar}
";

#[tokio::test]
async fn fixtures_declare_entities_relationships_and_decisions() {
    let s = TestServer::start().await;
    let post = |doc: &'static str| {
        send(
            s.http
                .post(s.main_url("/_offcloud/fixtures?session=default"))
                .header("Content-Type", "application/yaml")
                .body(doc),
        )
    };
    let (status, answer) = post(FIXTURE).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(
        answer["created"]["memgraph"],
        json!({"tenants": 1, "users": 0, "api_keys": 1, "beliefs": 1, "entities": 2,
               "relationships": 1, "decisions": 1})
    );
    let key = Auth::Key("mg_test_graph_0000000000000000000000000000");
    let (_, alice) = s
        .get("/v2/entities/55555555-5555-4555-8555-555555555501", key)
        .await;
    assert_eq!(alice["aliases"], json!(["Ali"]));
    assert_eq!(alice["properties"], json!({"role": "cto"}));
    let (_, found) = s
        .post("/v2/entities/search", key, json!({"query": "ali"}))
        .await;
    assert_eq!(found[0]["id"], alice["id"]);
    let (_, rels) = s.get("/v2/relationships", key).await;
    assert_eq!(rels[0]["valid_from"], "2024-01-01T00:00:00.000000Z");
    let (_, d) = s
        .get("/v2/decisions/66666666-6666-4666-8666-666666666601", key)
        .await;
    assert_eq!(
        (&d["outcome"], &d["feedback"], &d["reasoning_steps"]),
        (
            &json!("FAILURE"),
            &json!("Fridays are frozen"),
            &json!([{"step": 1, "description": "Check the calendar"}])
        )
    );
    // The fixture states how things are: its outcome moved no confidence.
    let (_, belief) = s
        .get("/v1/beliefs/44444444-4444-4444-8444-444444444400", key)
        .await;
    assert_eq!(belief["confidence"], 0.9);

    let bad = "memgraph:
  tenants:
    - name: Broken
      entities:
        - entity_type: person
          name: Bob
      relationships:
        - source_entity_id: 55555555-5555-4555-8555-555555555599
          target_entity_id: 55555555-5555-4555-8555-555555555599
          relation_type: knows
";
    let (status, answer) = post(bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer,
        json!({"error": "request body:8: memgraph.tenants[0].relationships[0].source_entity_id: \
                         must be the id of one of this tenant's entities"})
    );
}
