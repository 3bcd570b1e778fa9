//! Decisions and outcomes (docs/spec/memgraph.md §7.3, §7.5): an agent records what it decided,
//! with its reasoning, tools and the beliefs it used; the outcome comes later and moves those
//! beliefs' confidence (`store::adjusted_confidence` holds the rule); `explain` answers from the
//! stored decision and the beliefs as they are now. Viewers read, editors write.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::Result;
use crate::memgraph::auth::{Authorized, Editor, Viewer};
use crate::memgraph::error::{ApiError, HttpError};
use crate::memgraph::model::StatusId;
use crate::memgraph::model::decisions::{
    BeliefUsed, CreateDecision, Decision, DecisionQuery, DecisionRecorded, Explanation,
    OutcomeRecorded, RecordOutcome,
};
use crate::memgraph::openapi;
use crate::memgraph::search;
use crate::memgraph::store::{DecisionFilter, NewDecision, Store, belief_snapshot};
use crate::memgraph::validation::PathParam;
use crate::memgraph::validation::{Body, Query};

#[utoipa::path(
    post,
    path = "/v2/decisions",
    tag = "decisions",
    request_body = CreateDecision,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 201, description = "The decision, and the beliefs its outcome (if given) moved", body = DecisionRecorded),
        openapi::Authed,
    ),
)]
pub async fn record_decision(
    auth: Authorized<Editor>,
    store: Store,
    Body(body): Body<CreateDecision>,
) -> Result<Response> {
    let objects = |list: Option<Vec<serde_json::Map<String, Value>>>| -> Vec<Value> {
        list.into_iter().flatten().map(Value::Object).collect()
    };
    let new = NewDecision {
        goal: body.goal,
        reasoning_steps: objects(body.reasoning_steps),
        tools_used: objects(body.tools_used),
        beliefs_used: body.beliefs_used.unwrap_or_default(),
        confidence: body.confidence,
        outcome: body.outcome,
        outcome_assessment: body.outcome_assessment,
        agent_id: body.agent_id,
        user_id: body.user_id,
        episode_id: body.episode_id,
        create_snapshot: body.create_snapshot.unwrap_or(false),
    };
    let (decision, beliefs_adjusted) = store.record_decision(&auth.caller.tenant_id, new).await?;
    let recorded = DecisionRecorded {
        decision,
        beliefs_adjusted,
    };
    Ok((StatusCode::CREATED, Json(recorded)).into_response())
}

/// Newest first, a bare list.
#[utoipa::path(
    get,
    path = "/v2/decisions",
    tag = "decisions",
    params(DecisionQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Decisions, newest first", body = Vec<Decision>),
        openapi::Authed,
    ),
)]
pub async fn list_decisions(
    auth: Authorized<Viewer>,
    store: Store,
    Query(q): Query<DecisionQuery>,
) -> Result<Json<Vec<Decision>>> {
    let filter = DecisionFilter {
        agent_id: q.agent_id,
        user_id: q.user_id,
        outcome: q.outcome,
        limit: q.limit.unwrap_or(50),
    };
    Ok(Json(
        store.decisions(&auth.caller.tenant_id, &filter).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/v2/decisions/{decision_id}",
    tag = "decisions",
    params(("decision_id" = String, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The decision", body = Decision),
        (status = 404, description = "Decision not found", body = HttpError),
        openapi::Authed,
    ),
)]
pub async fn get_decision(
    auth: Authorized<Viewer>,
    store: Store,
    PathParam(id): PathParam,
) -> Result<Json<Decision>> {
    let decision = store.decision(&auth.caller.tenant_id, &id).await?;
    Ok(Json(
        decision.ok_or(ApiError::NotFound("Decision not found"))?,
    ))
}

/// Deletes the decision with its snapshot.
#[utoipa::path(
    delete,
    path = "/v2/decisions/{decision_id}",
    tag = "decisions",
    params(("decision_id" = String, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Deleted", body = StatusId),
        (status = 404, description = "Decision not found", body = HttpError),
        openapi::Authed,
    ),
)]
pub async fn delete_decision(
    auth: Authorized<Editor>,
    store: Store,
    PathParam(id): PathParam,
) -> Result<Json<StatusId>> {
    if !store.delete_decision(&auth.caller.tenant_id, &id).await? {
        return Err(ApiError::NotFound("Decision not found"));
    }
    Ok(Json(StatusId {
        status: "deleted",
        id,
    }))
}

/// The stored decision, and each belief it cites as it is now next to how the snapshot (if
/// any) saw it.
#[utoipa::path(
    get,
    path = "/v2/decisions/{decision_id}/explain",
    tag = "decisions",
    params(("decision_id" = String, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The decision explained", body = Explanation),
        (status = 404, description = "Decision not found", body = HttpError),
        openapi::Authed,
    ),
)]
pub async fn explain_decision(
    auth: Authorized<Viewer>,
    store: Store,
    PathParam(id): PathParam,
) -> Result<Json<Explanation>> {
    let tenant = &auth.caller.tenant_id;
    let d = store
        .decision(tenant, &id)
        .await?
        .ok_or(ApiError::NotFound("Decision not found"))?;
    let now = store.beliefs_by_ids(tenant, &d.beliefs_used).await?;
    let snapshot_of = |belief_id: &str| -> Option<Value> {
        d.context_snapshot.as_ref()?["beliefs"]
            .as_array()?
            .iter()
            .find(|b| b["id"] == belief_id)
            .cloned()
    };
    let beliefs_used: Vec<BeliefUsed> = d
        .beliefs_used
        .iter()
        .map(|belief_id| {
            let belief = now.iter().find(|b| b.id == *belief_id).cloned();
            let at_decision = snapshot_of(belief_id);
            let changed_since_decision = at_decision.as_ref().map(|then| match &belief {
                Some(b) => belief_snapshot(b) != *then,
                None => true,
            });
            BeliefUsed {
                id: belief_id.clone(),
                found: belief.is_some(),
                belief,
                at_decision,
                changed_since_decision,
            }
        })
        .collect();
    let summary = summarize(&d, &beliefs_used);
    Ok(Json(Explanation {
        decision_id: d.id,
        goal: d.goal,
        outcome: d.outcome,
        outcome_assessment: d.outcome_assessment,
        feedback: d.feedback,
        confidence: d.confidence,
        reasoning_steps: d.reasoning_steps,
        tools_used: d.tools_used,
        beliefs_used,
        context_snapshot: d.context_snapshot,
        summary,
    }))
}

/// The explanation in sentences, from the stored decision only.
fn summarize(d: &Decision, beliefs: &[BeliefUsed]) -> String {
    let mut parts = vec![format!("Goal: {}.", d.goal.trim_end_matches('.'))];
    let steps = d.reasoning_steps.len();
    if steps > 0 {
        parts.push(format!(
            "{steps} reasoning step{}.",
            if steps == 1 { "" } else { "s" }
        ));
    }
    let tools: Vec<&str> = d
        .tools_used
        .iter()
        .filter_map(|t| t["tool_name"].as_str().or(t["tool"].as_str()))
        .collect();
    if !tools.is_empty() {
        parts.push(format!("Tools used: {}.", tools.join(", ")));
    }
    if !beliefs.is_empty() {
        let gone = beliefs.iter().filter(|b| !b.found).count();
        let changed = beliefs
            .iter()
            .filter(|b| b.found && b.changed_since_decision == Some(true))
            .count();
        let mut line = format!(
            "Relied on {} belief{}",
            beliefs.len(),
            if beliefs.len() == 1 { "" } else { "s" }
        );
        if changed > 0 {
            line.push_str(&format!(", {changed} changed since"));
        }
        if gone > 0 {
            line.push_str(&format!(", {gone} no longer stored"));
        }
        parts.push(format!("{line}."));
    }
    match d.outcome {
        Some(outcome) => {
            let mut line = format!("Outcome: {}", outcome.as_str());
            if let Some(why) = d.feedback.as_deref().or(d.outcome_assessment.as_deref()) {
                line.push_str(&format!(" ({})", why.trim_end_matches('.')));
            }
            parts.push(format!("{line}."));
        }
        None => parts.push("Outcome: not yet known.".to_owned()),
    }
    parts.join(" ")
}

/// Sets the outcome (and feedback) of a decision; a new outcome moves the confidence of the
/// beliefs it used.
#[utoipa::path(
    post,
    path = "/v2/outcomes/record",
    tag = "decisions",
    request_body = RecordOutcome,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The decision with its outcome, and the beliefs it moved", body = OutcomeRecorded),
        (status = 404, description = "Decision not found", body = HttpError),
        openapi::Authed,
    ),
)]
pub async fn record_outcome(
    auth: Authorized<Editor>,
    store: Store,
    Body(body): Body<RecordOutcome>,
) -> Result<Json<OutcomeRecorded>> {
    let (decision, beliefs_adjusted) = store
        .record_outcome(
            &auth.caller.tenant_id,
            &body.decision_id,
            body.outcome,
            body.feedback.as_deref(),
        )
        .await?
        .ok_or(ApiError::NotFound("Decision not found"))?;
    Ok(Json(OutcomeRecorded {
        status: "recorded",
        decision,
        beliefs_adjusted,
    }))
}

/// The decisions whose goals are most like `text` (BM25 over the goals, `search.rs`), best
/// first, among the tenant's most recent ones; with a user, only that user's and those of no
/// user (emulator choice: how `past_decisions` and `/v2/context` find "similar tasks").
pub async fn similar_decisions(
    store: &Store,
    tenant_id: &str,
    text: &str,
    user_id: Option<&str>,
    limit: usize,
) -> Result<Vec<(Decision, f64)>> {
    let candidates: Vec<Decision> = store
        .recent_decisions(tenant_id)
        .await?
        .into_iter()
        .filter(|d| user_id.is_none() || d.user_id.is_none() || d.user_id.as_deref() == user_id)
        .collect();
    let terms = search::terms(text);
    let bags: Vec<search::Bag> = candidates
        .iter()
        .map(|d| search::bag("", &d.goal))
        .collect();
    // The candidates are the whole collection ranked against.
    let collection = search::Collection {
        docs: bags.len() as i64,
        length: bags.iter().flat_map(|b| b.values()).sum(),
    };
    let ranked = search::rank(&terms, collection, &bags.iter().collect::<Vec<_>>());
    let mut slots: Vec<Option<Decision>> = candidates.into_iter().map(Some).collect();
    Ok(ranked
        .into_iter()
        .take(limit)
        .filter_map(|(i, score)| {
            let decision = slots.get_mut(i)?.take()?;
            Some((decision, (score * 10_000.0).round() / 10_000.0))
        })
        .collect())
}
