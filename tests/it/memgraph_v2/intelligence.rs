//! Intelligence, benchmarks and analytics: figures from the stored memory, the same for the
//! same state.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{believe, decide, entity, relate};
use crate::support::{TestServer, detail};

#[tokio::test]
async fn evaluate_explains_each_results_score() {
    let s = TestServer::start().await;
    let a = s.onboard("i1@example.com").await;
    let old = believe(&s, a.key(), "alice", "city", "Alice lives in Paris").await;
    let new = believe(&s, a.key(), "alice", "city", "Alice lives in Berlin").await;
    let (status, e) = s
        .post(
            "/v1/intelligence/evaluate",
            a.key(),
            json!({"query": "where does alice live? paris", "user_id": "alice"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        e["query_terms"],
        json!(["where", "doe", "alice", "live", "pari"])
    );
    assert_eq!(e["total"], 2);
    let results = e["results"].as_array().unwrap();
    assert_eq!(results[0]["id"], new["id"]);
    assert_eq!(results[1]["id"], old["id"]);
    assert_eq!(results[1]["content"], "[PREVIOUSLY] Alice lives in Paris");
    let superseded = &results[1]["breakdown"];
    assert_eq!(superseded["status_weight"], 0.5);
    assert_eq!(superseded["confidence"], 0.9);
    assert_eq!(
        superseded["matched_terms"],
        json!(["alice", "live", "pari"])
    );
    let relevance = superseded["relevance"].as_f64().unwrap();
    let score = results[1]["score"].as_f64().unwrap();
    assert!((relevance * 0.5 - score).abs() < 1e-3, "{e}");
    assert_eq!(e["top_score"], results[0]["score"]);
    let again = s
        .post(
            "/v1/intelligence/evaluate",
            a.key(),
            json!({"query": "where does alice live? paris", "user_id": "alice"}),
        )
        .await;
    assert_eq!(again, (StatusCode::OK, e));
    let (status, body) = s
        .post("/v1/intelligence/evaluate", a.key(), json!({"query": "x"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["loc"], json!(["body", "user_id"]));
}

/// A tenant with: 3 active beliefs of alice (one key changed once, the change still open), a
/// decision that failed and one that succeeded.
async fn scored_tenant(s: &TestServer) -> crate::support::Account {
    let a = s.onboard("i2@example.com").await;
    believe(s, a.key(), "alice", "city", "Paris").await;
    believe(s, a.key(), "alice", "city", "Berlin").await;
    believe(s, a.key(), "alice", "team", "core").await;
    let (_, low) = s
        .post(
            "/v1/beliefs",
            a.key(),
            json!({"subject_id": "alice", "key": "x", "value": "y", "confidence": 0.6}),
        )
        .await;
    assert_eq!(low["confidence"], 0.6);
    decide(s, a.key(), json!({"goal": "a", "outcome": "FAILURE"})).await;
    decide(s, a.key(), json!({"goal": "b", "outcome": "SUCCESS"})).await;
    a
}

#[tokio::test]
async fn mcis_is_computed_from_the_stored_memory_and_saved_on_request() {
    let s = TestServer::start().await;
    let a = scored_tenant(&s).await;
    let (status, m) = s.get("/v1/intelligence/mcis", a.key()).await;
    assert_eq!(status, StatusCode::OK);
    // accuracy 2/3 undisputed, consistency 0/1 settled, confidence 0.8, decisions 1/2.
    assert_eq!(
        m,
        json!({"mcis": 54.0, "grade": "D",
               "sub_scores": {"accuracy": 66.7, "consistency": 0.0, "confidence": 80.0,
                              "decision_quality": 50.0},
               "inputs": {"active_beliefs": 3, "mean_confidence": 0.8, "open_contradictions": 1,
                          "settled_contradictions": 0, "beliefs_in_open_contradictions": 1,
                          "decisions_succeeded": 1, "decisions_partial": 0, "decisions_failed": 1},
               "user_id": null, "computed_at": m["computed_at"], "snapshot_id": null})
    );
    // The same state, the same score (only the time it was computed at moves).
    let (_, mut again) = s.get("/v1/intelligence/mcis", a.key()).await;
    again["computed_at"] = m["computed_at"].clone();
    assert_eq!(again, m);
    let (_, history) = s.get("/v1/intelligence/mcis/history", a.key()).await;
    assert_eq!(history, json!({"user_id": null, "count": 0, "history": []}));

    // Settling the contradiction raises the score; saving appends to the history.
    let (_, open) = s.get("/v2/contradictions", a.key()).await;
    let path = format!("/v2/contradictions/{}", open[0]["id"].as_str().unwrap());
    s.patch(&path, a.key(), json!({})).await;
    let (_, saved) = s.get("/v1/intelligence/mcis?save=true", a.key()).await;
    assert_eq!(saved["sub_scores"]["accuracy"], 100.0);
    assert_eq!(saved["sub_scores"]["consistency"], 100.0);
    assert_eq!(saved["mcis"], 84.0);
    assert_eq!(saved["grade"], "B");
    let (_, for_alice) = s
        .get("/v1/intelligence/mcis?save=true&user_id=alice", a.key())
        .await;
    let (_, history) = s.get("/v1/intelligence/mcis/history", a.key()).await;
    assert_eq!(
        history,
        json!({"user_id": null, "count": 1, "history": [{
            "id": saved["snapshot_id"], "tenant_id": a.tenant_id, "user_id": null,
            "mcis": 84.0, "grade": "B", "sub_scores": saved["sub_scores"],
            "inputs": saved["inputs"], "created_at": saved["computed_at"]}]})
    );
    let (_, alices) = s
        .get(
            "/v1/intelligence/mcis/history?user_id=alice&limit=5",
            a.key(),
        )
        .await;
    assert_eq!(alices["history"][0]["id"], for_alice["snapshot_id"]);
    // Decisions have no user here, so alice's score counts none: decision quality 100.
    assert_eq!(for_alice["sub_scores"]["decision_quality"], 100.0);

    // Saving writes: a viewer may read the score but not save it.
    let (_, viewer) = s
        .user_with_role(&a, "i2-viewer@example.com", "viewer")
        .await;
    assert_eq!(
        s.get(
            "/v1/intelligence/mcis",
            crate::support::Auth::Bearer(&viewer)
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        s.get(
            "/v1/intelligence/mcis?save=true",
            crate::support::Auth::Bearer(&viewer)
        )
        .await,
        detail(StatusCode::FORBIDDEN, "Insufficient permissions")
    );
    let (status, body) = s.get("/v1/intelligence/mcis?save=perhaps", a.key()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["type"], "bool_parsing");
}

#[tokio::test]
async fn the_benchmarks_score_the_stored_memory_without_changing_it() {
    let s = TestServer::start().await;
    let a = s.onboard("i3@example.com").await;
    let (status, scenarios) = s.get("/v1/benchmark/scenarios", a.key()).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = scenarios["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "contradiction_storm",
            "tenet_violation",
            "retrieval_accuracy",
            "locomo",
            "deep_memory_retrieval"
        ]
    );
    let run = |scenario: &'static str| {
        s.post("/v1/benchmark/run", a.key(), json!({"scenario": scenario}))
    };
    // Nothing stored: nothing to check, full marks.
    let (status, empty) = run("retrieval_accuracy").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        empty,
        json!({"scenario": "retrieval_accuracy", "status": "completed", "score": 100.0,
               "passed": true, "cases": 0, "passed_cases": 0,
               "metrics": {"cases": 0, "within": 1, "hit_rate": 0.0, "mean_reciprocal_rank": 0.0},
               "run_at": empty["run_at"]})
    );

    believe(&s, a.key(), "alice", "city", "Alice lives in Paris").await;
    believe(&s, a.key(), "alice", "city", "Alice lives in Berlin").await;
    believe(&s, a.key(), "alice", "pet", "Alice has a cat called Tom").await;
    s.post(
        "/v1/beliefs",
        a.key(),
        json!({"subject_id": "alice", "key": "rule", "value": "Never deploy on Fridays",
               "belief_type": "tenet"}),
    )
    .await;
    let (_, stats_before) = s.get("/v1/stats", a.key()).await;

    let (_, storm) = run("contradiction_storm").await;
    assert_eq!(
        (&storm["cases"], &storm["passed_cases"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(
        storm["metrics"],
        json!({"contradictions": 1, "open": 1, "settled": 0, "newer_value_active": 1})
    );
    let (_, tenets) = run("tenet_violation").await;
    assert_eq!(tenets["metrics"], json!({"tenets": 1, "violated": 0}));
    assert_eq!(tenets["score"], 100.0);
    let (_, retrieval) = run("retrieval_accuracy").await;
    assert_eq!(retrieval["cases"], 3);
    assert_eq!(retrieval["score"], 100.0);
    let (_, deep) = run("deep_memory_retrieval").await;
    assert_eq!((&deep["cases"], &deep["passed"]), (&json!(1), &json!(true)));
    let (_, locomo) = run("locomo").await;
    assert_eq!(locomo["cases"], 0);
    // The same state, the same figures.
    let (_, again) = run("retrieval_accuracy").await;
    assert_eq!(again["metrics"], retrieval["metrics"]);
    assert_eq!(s.get("/v1/stats", a.key()).await.1, stats_before);

    let (status, body) = run("speed").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let expected = "'contradiction_storm', 'tenet_violation', 'retrieval_accuracy', 'locomo' or \
                    'deep_memory_retrieval'";
    assert_eq!(
        body,
        json!({"detail": [{"type": "literal_error", "loc": ["body", "scenario"],
                           "msg": format!("Input should be {expected}"), "input": "speed",
                           "ctx": {"expected": expected}}]})
    );
}

#[tokio::test]
async fn analytics_counts_decisions_memory_graph_and_contradictions() {
    let s = TestServer::start().await;
    let a = scored_tenant(&s).await;
    decide(
        &s,
        a.key(),
        json!({"goal": "c", "outcome": "PARTIAL", "confidence": 0.5}),
    )
    .await;
    decide(&s, a.key(), json!({"goal": "d", "confidence": 0.9})).await;
    let alice = entity(
        &s,
        a.key(),
        json!({"entity_type": "person", "name": "Alice"}),
    )
    .await;
    let acme = entity(&s, a.key(), json!({"entity_type": "org", "name": "Acme"})).await;
    relate(&s, a.key(), &alice, &acme, "works_at").await;
    let (status, analytics) = s.get("/v2/analytics", a.key()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        analytics,
        json!({"tenant_id": a.tenant_id,
               "decisions": {"total": 4,
                             "by_outcome": {"SUCCESS": 1, "FAILURE": 1, "PARTIAL": 1,
                                            "UNKNOWN": 0, "REVERTED": 0, "PENDING": 1},
                             "success_rate": 0.3333, "mean_confidence": 0.7},
               "memory": {"total_events": 0, "total_episodes": 0, "total_beliefs": 4,
                          "active_beliefs": 3},
               "graph": {"entities": 2, "relationships": 1},
               "contradictions": {"open": 1, "resolved": 0, "dismissed": 0}})
    );
    let (_, stats) = s.get("/v1/stats", a.key()).await;
    let counts: Vec<&Value> = [
        "total_entities",
        "total_relationships",
        "total_decisions",
        "open_contradictions",
    ]
    .iter()
    .map(|k| &stats[*k])
    .collect();
    assert_eq!(counts, [&json!(2), &json!(1), &json!(4), &json!(1)]);
}
