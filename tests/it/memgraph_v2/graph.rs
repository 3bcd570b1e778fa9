//! Entities, relationships and traversal.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use super::{entity, id, ids, relate};
use crate::support::{TestServer, detail};

#[tokio::test]
async fn an_entity_is_created_read_and_listed_as_a_bare_list() {
    let s = TestServer::start().await;
    let a = s.onboard("g1@example.com").await;
    let alice = entity(
        &s,
        a.key(),
        json!({"entity_type": "person", "name": "Alice Smith", "aliases": ["Ali"],
               "properties": {"role": "cto"}}),
    )
    .await;
    assert_eq!(
        alice,
        json!({"id": alice["id"], "tenant_id": a.tenant_id, "entity_type": "person",
               "name": "Alice Smith", "aliases": ["Ali"], "properties": {"role": "cto"},
               "created_at": alice["created_at"], "updated_at": alice["created_at"]})
    );
    let got = s
        .get(&format!("/v2/entities/{}", id(&alice)), a.key())
        .await;
    assert_eq!(got, (StatusCode::OK, alice.clone()));

    s.advance("default", Duration::from_secs(1)).await;
    let acme = entity(&s, a.key(), json!({"entity_type": "organization"})).await;
    assert_eq!(acme["name"], json!(null));
    assert_eq!(acme["aliases"], json!([]));
    assert_eq!(acme["properties"], json!({}));

    let (status, all) = s.get("/v2/entities", a.key()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&all), [id(&acme), id(&alice)], "newest first");
    let (_, people) = s.get("/v2/entities?entity_type=person", a.key()).await;
    assert_eq!(ids(&people), [id(&alice)]);
    let (_, one) = s.get("/v2/entities?limit=1", a.key()).await;
    assert_eq!(ids(&one), [id(&acme)]);
}

#[tokio::test]
async fn the_same_type_and_name_resolves_to_one_entity_that_learns_the_new_aliases() {
    let s = TestServer::start().await;
    let a = s.onboard("g2@example.com").await;
    let first = entity(
        &s,
        a.key(),
        json!({"entity_type": "person", "name": "Alice Smith", "aliases": ["Ali"],
               "properties": {"role": "cto", "team": "core"}}),
    )
    .await;
    s.advance("default", Duration::from_secs(1)).await;
    let again = entity(
        &s,
        a.key(),
        json!({"entity_type": "person", "name": "alice smith", "aliases": ["ali", "A. Smith"],
               "properties": {"role": "ceo"}}),
    )
    .await;
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["name"], "Alice Smith");
    assert_eq!(again["aliases"], json!(["Ali", "A. Smith"]));
    assert_eq!(again["properties"], json!({"role": "ceo", "team": "core"}));
    assert!(again["updated_at"].as_str() > first["updated_at"].as_str());
    // Another type is another entity.
    let company = entity(
        &s,
        a.key(),
        json!({"entity_type": "organization", "name": "Alice Smith"}),
    )
    .await;
    assert_ne!(company["id"], first["id"]);
}

#[tokio::test]
async fn search_finds_entities_by_the_words_of_names_and_aliases_best_first() {
    let s = TestServer::start().await;
    let a = s.onboard("g3@example.com").await;
    let alice = entity(
        &s,
        a.key(),
        json!({"entity_type": "person", "name": "Alice Smith", "aliases": ["Ali"]}),
    )
    .await;
    let smithy = entity(
        &s,
        a.key(),
        json!({"entity_type": "organization", "name": "Smithy Works"}),
    )
    .await;
    entity(
        &s,
        a.key(),
        json!({"entity_type": "place", "name": "Berlin"}),
    )
    .await;

    let search = |query: &str, extra: serde_json::Value| {
        let mut body = json!({"query": query});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        s.post("/v2/entities/search", a.key(), body)
    };
    // A whole word counts 1, a word cut short ½.
    let (status, found) = search("smith", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&found), [id(&alice), id(&smithy)]);
    assert_eq!(found[0]["score"], 1.0);
    assert_eq!(found[1]["score"], 0.5);
    assert_eq!(found[0]["name"], "Alice Smith");
    // By alias.
    let (_, by_alias) = search("ali", json!({})).await;
    assert_eq!(ids(&by_alias), [id(&alice)]);
    // Several words: the share of them matched.
    let (_, both) = search("alice smith", json!({})).await;
    assert_eq!(both[0]["score"], 1.0);
    assert_eq!(both[1]["score"], 0.25);
    let (_, limited) = search("smith", json!({"max_results": 1})).await;
    assert_eq!(ids(&limited), [id(&alice)]);
    let (_, typed) = search("smith", json!({"entity_type": "organization"})).await;
    assert_eq!(ids(&typed), [id(&smithy)]);
    assert_eq!(
        search("astronomy", json!({})).await,
        (StatusCode::OK, json!([]))
    );
}

#[tokio::test]
async fn deleting_an_entity_deletes_its_relationships() {
    let s = TestServer::start().await;
    let a = s.onboard("g4@example.com").await;
    let alice = entity(
        &s,
        a.key(),
        json!({"entity_type": "person", "name": "Alice"}),
    )
    .await;
    let acme = entity(&s, a.key(), json!({"entity_type": "org", "name": "Acme"})).await;
    let bob = entity(&s, a.key(), json!({"entity_type": "person", "name": "Bob"})).await;
    relate(&s, a.key(), &alice, &acme, "works_at").await;
    let kept = relate(&s, a.key(), &bob, &alice, "knows").await;
    relate(&s, a.key(), &acme, &acme, "owns").await;

    let gone = s
        .delete(&format!("/v2/entities/{}", id(&acme)), a.key())
        .await;
    assert_eq!(
        gone,
        (
            StatusCode::OK,
            json!({"status": "deleted", "id": acme["id"], "relationships_deleted": 2})
        )
    );
    let (_, left) = s.get("/v2/relationships", a.key()).await;
    assert_eq!(ids(&left), [id(&kept)]);
    assert_eq!(
        s.get(&format!("/v2/entities/{}", id(&acme)), a.key()).await,
        detail(StatusCode::NOT_FOUND, "Entity not found")
    );
    assert_eq!(
        s.delete(&format!("/v2/entities/{}", id(&acme)), a.key())
            .await,
        detail(StatusCode::NOT_FOUND, "Entity not found")
    );
}

#[tokio::test]
async fn a_relationship_joins_two_of_the_callers_entities() {
    let s = TestServer::start().await;
    let a = s.onboard("g5@example.com").await;
    let b = s.onboard("g5-other@example.com").await;
    let alice = entity(
        &s,
        a.key(),
        json!({"entity_type": "person", "name": "Alice"}),
    )
    .await;
    let acme = entity(&s, a.key(), json!({"entity_type": "org", "name": "Acme"})).await;
    let theirs = entity(&s, b.key(), json!({"entity_type": "org", "name": "Globex"})).await;

    let (status, rel) = s
        .post(
            "/v2/relationships",
            a.key(),
            json!({"source_entity_id": alice["id"], "target_entity_id": acme["id"],
                   "relation_type": "works_at", "confidence": 0.8,
                   "valid_from": "2025-01-01", "valid_to": "2027-01-01T00:00:00+01:00",
                   "evidence_sources": ["hr-system"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        rel,
        json!({"id": rel["id"], "tenant_id": a.tenant_id, "source_entity_id": alice["id"],
               "target_entity_id": acme["id"], "relation_type": "works_at", "confidence": 0.8,
               "valid_from": "2025-01-01T00:00:00.000000Z",
               "valid_to": "2026-12-31T23:00:00.000000Z",
               "evidence_sources": ["hr-system"], "created_at": rel["created_at"]})
    );
    // Another tenant's entity is not found, either way round.
    for (from, to) in [(&alice, &theirs), (&theirs, &alice)] {
        let body = json!({"source_entity_id": from["id"], "target_entity_id": to["id"],
                          "relation_type": "x"});
        assert_eq!(
            s.post("/v2/relationships", a.key(), body).await,
            detail(StatusCode::NOT_FOUND, "Entity not found")
        );
    }
    let (status, body) = s
        .post(
            "/v2/relationships",
            a.key(),
            json!({"source_entity_id": alice["id"], "target_entity_id": acme["id"],
                   "relation_type": "x", "valid_from": "2026-01-01", "valid_to": "2025-01-01",
                   "confidence": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        json!({"detail": [{"type": "less_than_equal", "loc": ["body", "confidence"],
                           "msg": "Input should be less than or equal to 1", "input": 2,
                           "ctx": {"le": 1.0}}]})
    );
    let (status, body) = s
        .post(
            "/v2/relationships",
            a.key(),
            json!({"source_entity_id": alice["id"], "target_entity_id": acme["id"],
                   "relation_type": "x", "valid_from": "2026-01-01", "valid_to": "2025-01-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["loc"], json!(["body", "valid_to"]));
    assert_eq!(
        body["detail"][0]["msg"],
        "Value error, valid_to must be after valid_from"
    );
}

#[tokio::test]
async fn relationships_are_listed_from_or_to_an_entity_and_by_type() {
    let s = TestServer::start().await;
    let a = s.onboard("g6@example.com").await;
    let alice = entity(
        &s,
        a.key(),
        json!({"entity_type": "person", "name": "Alice"}),
    )
    .await;
    let bob = entity(&s, a.key(), json!({"entity_type": "person", "name": "Bob"})).await;
    let acme = entity(&s, a.key(), json!({"entity_type": "org", "name": "Acme"})).await;
    let works = relate(&s, a.key(), &alice, &acme, "works_at").await;
    s.advance("default", Duration::from_secs(1)).await;
    let knows = relate(&s, a.key(), &bob, &alice, "knows").await;
    s.advance("default", Duration::from_secs(1)).await;
    let bob_works = relate(&s, a.key(), &bob, &acme, "works_at").await;

    let (status, all) = s.get("/v2/relationships", a.key()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&all), [id(&bob_works), id(&knows), id(&works)]);
    let of_alice = format!("/v2/relationships?entity_id={}", id(&alice));
    assert_eq!(
        ids(&s.get(&of_alice, a.key()).await.1),
        [id(&knows), id(&works)]
    );
    let alice_works = format!("{of_alice}&relation_type=works_at");
    assert_eq!(ids(&s.get(&alice_works, a.key()).await.1), [id(&works)]);
    let (_, typed) = s
        .get("/v2/relationships?relation_type=works_at&limit=1", a.key())
        .await;
    assert_eq!(ids(&typed), [id(&bob_works)]);
    let (status, body) = s.get("/v2/relationships?limit=0", a.key()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        json!({"detail": [{"type": "greater_than_equal", "loc": ["query", "limit"],
                           "msg": "Input should be greater than or equal to 1", "input": "0",
                           "ctx": {"ge": 1}}]})
    );
}

#[tokio::test]
async fn traversal_walks_both_ways_to_max_depth_and_only_along_valid_relationships() {
    let s = TestServer::start().await;
    let a = s.onboard("g7@example.com").await;
    // alice -works_at-> acme <-works_at- bob -knows-> carol; alice -lived_in(ended)-> paris
    let alice = entity(
        &s,
        a.key(),
        json!({"entity_type": "person", "name": "Alice"}),
    )
    .await;
    let acme = entity(&s, a.key(), json!({"entity_type": "org", "name": "Acme"})).await;
    let bob = entity(&s, a.key(), json!({"entity_type": "person", "name": "Bob"})).await;
    let carol = entity(
        &s,
        a.key(),
        json!({"entity_type": "person", "name": "Carol"}),
    )
    .await;
    let paris = entity(
        &s,
        a.key(),
        json!({"entity_type": "place", "name": "Paris"}),
    )
    .await;
    let r1 = relate(&s, a.key(), &alice, &acme, "works_at").await;
    let r2 = relate(&s, a.key(), &bob, &acme, "works_at").await;
    let r3 = relate(&s, a.key(), &bob, &carol, "knows").await;
    let (status, ended) = s
        .post(
            "/v2/relationships",
            a.key(),
            json!({"source_entity_id": alice["id"], "target_entity_id": paris["id"],
                   "relation_type": "lived_in", "valid_to": "2020-01-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let walk = |body: serde_json::Value| s.post("/v2/graph/traverse", a.key(), body);
    let (status, t) = walk(json!({"entity_ids": [alice["id"]]})).await;
    assert_eq!(status, StatusCode::OK);
    let depths: Vec<(String, i64)> = t["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (id(e), e["depth"].as_i64().unwrap()))
        .collect();
    assert_eq!(depths, [(id(&alice), 0), (id(&acme), 1), (id(&bob), 2)]);
    assert_eq!(ids(&t["relationships"]), [id(&r1), id(&r2)]);
    assert_eq!(t["seed_entity_ids"], json!([alice["id"]]));
    assert_eq!(t["max_depth"], 2);
    assert_eq!(t["temporal_filter"], true);
    assert_eq!(t["truncated"], false);
    assert_eq!(t["entities"][1]["name"], "Acme");

    let (_, deep) = walk(json!({"entity_ids": [alice["id"]], "max_depth": 3})).await;
    assert_eq!(ids(&deep["entities"]).len(), 4);
    assert!(ids(&deep["relationships"]).contains(&id(&r3)));
    // Without the temporal filter the ended relationship counts too.
    let (_, all_time) = walk(json!({"entity_ids": [alice["id"]], "max_depth": 1,
                                    "temporal_filter": false}))
    .await;
    // Newest relationship first.
    assert_eq!(
        ids(&all_time["entities"]),
        [id(&alice), id(&paris), id(&acme)]
    );
    assert!(ids(&all_time["relationships"]).contains(&id(&ended)));
    let (_, only) = walk(json!({"entity_ids": [bob["id"]], "max_depth": 1,
                                "relation_types": ["knows"]}))
    .await;
    assert_eq!(ids(&only["entities"]), [id(&bob), id(&carol)]);

    assert_eq!(
        walk(json!({"entity_ids": ["nope"]})).await,
        detail(StatusCode::NOT_FOUND, "Entity not found")
    );
    let (status, body) = walk(json!({"entity_ids": [], "max_depth": 9})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        json!({"detail": [
            {"type": "too_short", "loc": ["body", "entity_ids"],
             "msg": "List should have at least 1 item after validation, not 0", "input": [],
             "ctx": {"field_type": "List", "min_length": 1, "actual_length": 0}},
            {"type": "less_than_equal", "loc": ["body", "max_depth"],
             "msg": "Input should be less than or equal to 5", "input": 9, "ctx": {"le": 5}}]})
    );
}

#[tokio::test]
async fn another_tenants_graph_is_not_found() {
    let s = TestServer::start().await;
    let a = s.onboard("g8@example.com").await;
    let b = s.onboard("g8-other@example.com").await;
    let alice = entity(
        &s,
        a.key(),
        json!({"entity_type": "person", "name": "Alice"}),
    )
    .await;
    let path = format!("/v2/entities/{}", id(&alice));
    assert_eq!(
        s.get(&path, b.key()).await,
        detail(StatusCode::NOT_FOUND, "Entity not found")
    );
    assert_eq!(
        s.delete(&path, b.key()).await,
        detail(StatusCode::NOT_FOUND, "Entity not found")
    );
    assert_eq!(
        s.get("/v2/entities", b.key()).await,
        (StatusCode::OK, json!([]))
    );
    let (_, found) = s
        .post("/v2/entities/search", b.key(), json!({"query": "alice"}))
        .await;
    assert_eq!(found, json!([]));
    // The same name in another tenant is another entity.
    let theirs = entity(
        &s,
        b.key(),
        json!({"entity_type": "person", "name": "Alice"}),
    )
    .await;
    assert_ne!(theirs["id"], alice["id"]);
}

#[tokio::test]
async fn bad_entity_bodies_get_fastapi_422s() {
    let s = TestServer::start().await;
    let a = s.onboard("g9@example.com").await;
    let (status, body) = s
        .post(
            "/v2/entities",
            a.key(),
            json!({"name": 5, "aliases": "Ali", "properties": []}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        json!({"detail": [
            {"type": "missing", "loc": ["body", "entity_type"], "msg": "Field required",
             "input": {"name": 5, "aliases": "Ali", "properties": []}},
            {"type": "string_type", "loc": ["body", "name"],
             "msg": "Input should be a valid string", "input": 5},
            {"type": "dict_type", "loc": ["body", "properties"],
             "msg": "Input should be a valid dictionary", "input": []},
            {"type": "list_type", "loc": ["body", "aliases"],
             "msg": "Input should be a valid list", "input": "Ali"}]})
    );
    let (status, body) = s
        .post(
            "/v2/entities/search",
            a.key(),
            json!({"query": "x", "max_results": "many"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["type"], "int_parsing");
    let (status, body) = s.get("/v2/entities?limit=abc", a.key()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["input"], "abc");
    let (status, body) = s.post("/v2/graph/traverse", a.key(), json!([])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["type"], "model_attributes_type");
}
