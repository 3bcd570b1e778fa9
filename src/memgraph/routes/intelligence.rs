//! Memory intelligence, benchmarks and analytics (docs/spec/memgraph.md §7.3): every figure is
//! computed from the tenant's stored memory, so the same state gives the same figures. The
//! real service's formulas are not public; the emulator's are here, each in one function:
//! [`mcis_of`] (the score), [`run_scenario`] (the benchmarks). Reads need the viewer role;
//! `mcis?save=true` writes the history and needs an editor.

use axum::Json;
use serde_json::{Map, Value, json};

use super::Result;
use crate::memgraph::auth::{Authorized, Viewer};
use crate::memgraph::error::ApiError;
use crate::memgraph::model::Role;
use crate::memgraph::model::intelligence::{
    Analytics, BenchmarkRequest, BenchmarkRun, Breakdown, ContradictionAnalytics,
    DecisionAnalytics, EvaluateRequest, EvaluatedMemory, Evaluation, GraphAnalytics, Mcis,
    McisHistory, McisHistoryQuery, McisInputs, McisQuery, MemoryAnalytics, Scenario, ScenarioInfo,
    Scenarios, SubScores,
};
use crate::memgraph::openapi;
use crate::memgraph::search;
use crate::memgraph::store::Store;
use crate::memgraph::validation::{Body, Query};

/// How many stored memories a retrieval benchmark checks (the newest).
const BENCHMARK_CASES: i64 = 20;
/// A retrieval case passes when its memory ranks within this many results.
const RECALL_AT: usize = 5;
/// A benchmark passes at this score.
const PASS_SCORE: f64 = 80.0;

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// A retrieval with each result's score explained: `/v2/context`'s ranking (BM25 relevance,
/// halved for a superseded belief).
#[utoipa::path(
    post,
    path = "/v1/intelligence/evaluate",
    tag = "intelligence",
    request_body = EvaluateRequest,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The results and how each was scored", body = Evaluation),
        openapi::Authed,
    ),
)]
pub async fn evaluate(
    auth: Authorized<Viewer>,
    store: Store,
    Body(body): Body<EvaluateRequest>,
) -> Result<Json<Evaluation>> {
    let limit = body.limit.unwrap_or(10);
    let (memories, terms) = super::memory::memories(
        &store,
        &auth.caller.tenant_id,
        &body.query,
        Some(&body.user_id),
        limit,
    )
    .await?;
    let results: Vec<EvaluatedMemory> = memories.iter().map(|m| explain(m, &terms)).collect();
    let top_score = results.first().map_or(0.0, |r| r.score);
    let mean_score = if results.is_empty() {
        0.0
    } else {
        round4(results.iter().map(|r| r.score).sum::<f64>() / results.len() as f64)
    };
    Ok(Json(Evaluation {
        query: body.query,
        user_id: body.user_id,
        query_terms: terms,
        total: results.len(),
        results,
        top_score,
        mean_score,
    }))
}

/// One ranked memory (as `/v2/context` writes it) with its score taken apart.
fn explain(memory: &Value, terms: &[String]) -> EvaluatedMemory {
    let meta = &memory["metadata"];
    let superseded = meta["epistemic_status"] == "superseded";
    let status_weight = if superseded { 0.5 } else { 1.0 };
    let score = memory["score"].as_f64().unwrap_or(0.0);
    let content = memory["content"].as_str().unwrap_or_default().to_owned();
    let label = meta["key"].as_str().unwrap_or_default();
    let words: Vec<String> = search::words(label)
        .chain(search::words(&content))
        .collect();
    EvaluatedMemory {
        id: memory["id"].as_str().unwrap_or_default().to_owned(),
        kind: memory["type"].as_str().unwrap_or("belief").to_owned(),
        score,
        breakdown: Breakdown {
            relevance: round4(score / status_weight),
            status_weight,
            confidence: meta["confidence"].as_f64(),
            matched_terms: terms
                .iter()
                .filter(|t| words.contains(t))
                .cloned()
                .collect(),
        },
        content,
    }
}

/// The Memgraph Cognitive Integrity Score (emulator choice): four sub-scores, 0-100 each —
/// accuracy, the share of active beliefs not caught in an open contradiction (0 with no active
/// beliefs); consistency, the share of recorded contradictions settled (100 with none);
/// confidence, the mean confidence of the active beliefs; decision quality, the share of
/// decisions with a known outcome that succeeded, a partial success counting half (100 with
/// none). The score weighs them 30/20/30/20; grades: A ≥ 85, B ≥ 70, C ≥ 55, D ≥ 40, else F.
pub fn mcis_of(i: &McisInputs) -> (f64, &'static str, SubScores) {
    let share = |part: f64, whole: f64, empty: f64| {
        if whole > 0.0 {
            100.0 * part / whole
        } else {
            empty
        }
    };
    let active = i.active_beliefs as f64;
    let accuracy = share(
        active - i.beliefs_in_open_contradictions as f64,
        active,
        0.0,
    );
    let recorded = (i.open_contradictions + i.settled_contradictions) as f64;
    let consistency = share(i.settled_contradictions as f64, recorded, 100.0);
    let confidence = 100.0 * i.mean_confidence.unwrap_or(0.0);
    let judged = (i.decisions_succeeded + i.decisions_partial + i.decisions_failed) as f64;
    let good = i.decisions_succeeded as f64 + 0.5 * i.decisions_partial as f64;
    let decision_quality = share(good, judged, 100.0);
    let subs = SubScores {
        accuracy: round1(accuracy),
        consistency: round1(consistency),
        confidence: round1(confidence),
        decision_quality: round1(decision_quality),
    };
    let score = round1(
        0.3 * subs.accuracy
            + 0.2 * subs.consistency
            + 0.3 * subs.confidence
            + 0.2 * subs.decision_quality,
    );
    let grade = match score {
        s if s >= 85.0 => "A",
        s if s >= 70.0 => "B",
        s if s >= 55.0 => "C",
        s if s >= 40.0 => "D",
        _ => "F",
    };
    (score, grade, subs)
}

#[utoipa::path(
    get,
    path = "/v1/intelligence/mcis",
    tag = "intelligence",
    params(McisQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The score (saved to the history with save=true)", body = Mcis),
        openapi::Authed,
    ),
)]
pub async fn mcis(
    auth: Authorized<Viewer>,
    store: Store,
    Query(q): Query<McisQuery>,
) -> Result<Json<Mcis>> {
    let save = q.save.unwrap_or(false);
    // Saving writes, which viewers may not (docs/spec/memgraph.md §5.2).
    if save && auth.caller.role < Role::Editor {
        return Err(ApiError::Forbidden);
    }
    let tenant = &auth.caller.tenant_id;
    let inputs = store.mcis_inputs(tenant, q.user_id.as_deref()).await?;
    let (score, grade, sub_scores) = mcis_of(&inputs);
    let mut mcis = Mcis {
        mcis: score,
        grade: grade.to_owned(),
        sub_scores,
        inputs,
        user_id: q.user_id,
        computed_at: store.now(),
        snapshot_id: None,
    };
    if save {
        mcis.snapshot_id = Some(store.save_mcis(tenant, &mcis).await?);
    }
    Ok(Json(mcis))
}

/// Saved scores, newest first: the tenant's (no `user_id`) or one user's.
#[utoipa::path(
    get,
    path = "/v1/intelligence/mcis/history",
    tag = "intelligence",
    params(McisHistoryQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Saved scores, newest first", body = McisHistory),
        openapi::Authed,
    ),
)]
pub async fn mcis_history(
    auth: Authorized<Viewer>,
    store: Store,
    Query(q): Query<McisHistoryQuery>,
) -> Result<Json<McisHistory>> {
    let history = store
        .mcis_history(
            &auth.caller.tenant_id,
            q.user_id.as_deref(),
            q.limit.unwrap_or(30),
        )
        .await?;
    Ok(Json(McisHistory {
        user_id: q.user_id,
        count: history.len(),
        history,
    }))
}

/// The scenarios and what each checks.
const SCENARIOS: [(Scenario, &str, &str); 5] = [
    (
        Scenario::ContradictionStorm,
        "contradiction_storm",
        "Each recorded contradiction: the newer value won (the older version is not the active one).",
    ),
    (
        Scenario::TenetViolation,
        "tenet_violation",
        "Each active tenet: no open contradiction disputes its key.",
    ),
    (
        Scenario::RetrievalAccuracy,
        "retrieval_accuracy",
        "The newest active beliefs: searching for a belief's own words ranks it first.",
    ),
    (
        Scenario::Locomo,
        "locomo",
        "The newest conversation messages: searching for a message's words finds it in the top 5.",
    ),
    (
        Scenario::DeepMemoryRetrieval,
        "deep_memory_retrieval",
        "The newest superseded beliefs: searching for an old value still finds it in the top 5, marked [PREVIOUSLY].",
    ),
];

#[utoipa::path(
    get,
    path = "/v1/benchmark/scenarios",
    tag = "intelligence",
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The benchmark scenarios", body = Scenarios),
        openapi::Authed,
    ),
)]
pub async fn benchmark_scenarios(_auth: Authorized<Viewer>) -> Json<Scenarios> {
    Json(Scenarios {
        scenarios: SCENARIOS
            .iter()
            .map(|(_, name, description)| ScenarioInfo { name, description })
            .collect(),
    })
}

/// Runs one scenario over the tenant's stored memory, reading only (see [`run_scenario`]).
#[utoipa::path(
    post,
    path = "/v1/benchmark/run",
    tag = "intelligence",
    request_body = BenchmarkRequest,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The scenario's score", body = BenchmarkRun),
        openapi::Authed,
    ),
)]
pub async fn benchmark_run(
    auth: Authorized<Viewer>,
    store: Store,
    Body(body): Body<BenchmarkRequest>,
) -> Result<Json<BenchmarkRun>> {
    let tenant = &auth.caller.tenant_id;
    let (cases, passed, metrics) =
        run_scenario(&store, tenant, body.scenario, body.user_id.as_deref()).await?;
    let score = if cases == 0 {
        100.0
    } else {
        round1(100.0 * passed as f64 / cases as f64)
    };
    Ok(Json(BenchmarkRun {
        scenario: body.scenario,
        status: "completed",
        score,
        passed: score >= PASS_SCORE,
        cases,
        passed_cases: passed,
        metrics,
        run_at: store.now(),
    }))
}

/// The benchmarks (emulator choice): each checks cases drawn from the stored memory (the
/// newest first, at most [`BENCHMARK_CASES`] for the retrieval ones, 200 for the others) and
/// returns (cases, passed, metrics). Nothing is written.
async fn run_scenario(
    store: &Store,
    tenant: &str,
    scenario: Scenario,
    user: Option<&str>,
) -> Result<(usize, usize, Value)> {
    Ok(match scenario {
        Scenario::ContradictionStorm => {
            let all = store.contradictions(tenant, None, user, 200).await?;
            let mut passed = 0;
            for c in &all {
                let active = store
                    .active_belief_id(tenant, &c.subject_id, &c.key)
                    .await?;
                if active.as_deref() != Some(c.belief_a_id.as_str()) {
                    passed += 1;
                }
            }
            let open = all.iter().filter(|c| c.status == "open").count();
            let metrics = json!({"contradictions": all.len(), "open": open,
                                 "settled": all.len() - open, "newer_value_active": passed});
            (all.len(), passed, metrics)
        }
        Scenario::TenetViolation => {
            let tenets = store
                .newest_beliefs(tenant, user, "active", Some("tenet"), 200)
                .await?;
            let open = store
                .contradictions(tenant, Some("open"), user, 200)
                .await?;
            let violated = tenets
                .iter()
                .filter(|t| {
                    open.iter()
                        .any(|c| c.subject_id == t.subject_id && c.key == t.key)
                })
                .count();
            let metrics = json!({"tenets": tenets.len(), "violated": violated});
            (tenets.len(), tenets.len() - violated, metrics)
        }
        Scenario::RetrievalAccuracy => {
            let beliefs = store
                .newest_beliefs(tenant, user, "active", None, BENCHMARK_CASES)
                .await?;
            let cases: Vec<(String, String)> =
                beliefs.into_iter().map(|b| (b.id, b.value)).collect();
            retrieval(store, tenant, user, &cases, 1).await?
        }
        Scenario::Locomo => {
            let texts = store.newest_texts(tenant, user, BENCHMARK_CASES).await?;
            retrieval(store, tenant, user, &texts, RECALL_AT).await?
        }
        Scenario::DeepMemoryRetrieval => {
            let old = store
                .newest_beliefs(tenant, user, "superseded", None, BENCHMARK_CASES)
                .await?;
            let cases: Vec<(String, String)> = old.into_iter().map(|b| (b.id, b.value)).collect();
            retrieval(store, tenant, user, &cases, RECALL_AT).await?
        }
    })
}

/// Searches for each case's text; it passes when its memory ranks within `within`. Metrics:
/// the hit rate and the mean reciprocal rank.
async fn retrieval(
    store: &Store,
    tenant: &str,
    user: Option<&str>,
    cases: &[(String, String)],
    within: usize,
) -> Result<(usize, usize, Value)> {
    let mut passed = 0;
    let mut reciprocal = 0.0;
    for (id, text) in cases {
        let (found, _) = super::memory::memories(store, tenant, text, user, 10).await?;
        if let Some(rank) = found.iter().position(|m| m["id"] == id.as_str()) {
            reciprocal += 1.0 / (rank + 1) as f64;
            if rank < within {
                passed += 1;
            }
        }
    }
    let n = cases.len().max(1) as f64;
    let metrics = json!({
        "cases": cases.len(), "within": within,
        "hit_rate": round4(passed as f64 / n), "mean_reciprocal_rank": round4(reciprocal / n),
    });
    Ok((cases.len(), passed, metrics))
}

/// Decisions by outcome, memory, graph and contradiction counts of the caller's tenant.
#[utoipa::path(
    get,
    path = "/v2/analytics",
    tag = "intelligence",
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Decision observability and memory figures", body = Analytics),
        openapi::Authed,
    ),
)]
pub async fn analytics(auth: Authorized<Viewer>, store: Store) -> Result<Json<Analytics>> {
    let tenant = &auth.caller.tenant_id;
    let stats = store.stats(tenant).await?;
    let (outcomes, mean_confidence) = store.decision_outcomes(tenant).await?;
    let mut by_outcome = Map::new();
    for o in crate::memgraph::model::decisions::Outcome::ALL {
        by_outcome.insert(o.as_str().to_owned(), json!(0));
    }
    by_outcome.insert("PENDING".to_owned(), json!(0));
    let count = |name: &str| -> i64 {
        outcomes
            .iter()
            .find(|(o, _)| o.as_deref().unwrap_or("PENDING") == name)
            .map_or(0, |(_, n)| *n)
    };
    for (name, value) in by_outcome.iter_mut() {
        *value = json!(count(name));
    }
    let (success, failure, partial) = (count("SUCCESS"), count("FAILURE"), count("PARTIAL"));
    let judged = success + failure + partial;
    let statuses = store.contradiction_statuses(tenant).await?;
    let status = |name: &str| {
        statuses
            .iter()
            .find(|(s, _)| s == name)
            .map_or(0, |(_, n)| *n)
    };
    Ok(Json(Analytics {
        tenant_id: tenant.clone(),
        decisions: DecisionAnalytics {
            total: stats.total_decisions,
            by_outcome,
            success_rate: (judged > 0).then(|| round4(success as f64 / judged as f64)),
            mean_confidence,
        },
        memory: MemoryAnalytics {
            total_events: stats.total_events,
            total_episodes: stats.total_episodes,
            total_beliefs: stats.total_beliefs,
            active_beliefs: stats.active_beliefs,
        },
        graph: GraphAnalytics {
            entities: stats.total_entities,
            relationships: stats.total_relationships,
        },
        contradictions: ContradictionAnalytics {
            open: status("open"),
            resolved: status("resolved"),
            dismissed: status("dismissed"),
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_memory_scores_only_what_cannot_be_wrong() {
        let (score, grade, subs) = mcis_of(&McisInputs::default());
        assert_eq!((subs.accuracy, subs.consistency), (0.0, 100.0));
        assert_eq!((subs.confidence, subs.decision_quality), (0.0, 100.0));
        assert_eq!((score, grade), (40.0, "D"));
    }

    #[test]
    fn open_contradictions_and_failures_lower_the_score() {
        let inputs = McisInputs {
            active_beliefs: 4,
            mean_confidence: Some(0.9),
            open_contradictions: 1,
            settled_contradictions: 1,
            beliefs_in_open_contradictions: 1,
            decisions_succeeded: 1,
            decisions_partial: 1,
            decisions_failed: 2,
        };
        let (score, grade, subs) = mcis_of(&inputs);
        assert_eq!(subs.accuracy, 75.0);
        assert_eq!(subs.consistency, 50.0);
        assert_eq!(subs.confidence, 90.0);
        assert_eq!(subs.decision_quality, 37.5);
        assert_eq!((score, grade), (67.0, "C"));
    }
}
