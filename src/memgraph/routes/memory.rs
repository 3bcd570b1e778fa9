//! The memory API: events, episodes, beliefs, context and the intelligence reads
//! (docs/spec/memgraph.md §6.3–6.5, §6.10, §7.3). Viewers read, editors write (§5.2).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use super::Result;
use crate::memgraph::auth::{Authorized, Editor, Viewer};
use crate::memgraph::error::{ApiError, HttpError};
use crate::memgraph::model::{
    BatchCreated, Belief, BeliefPage, BeliefQuery, BulkDeleteQuery, BulkDeleted, ContextRequest,
    ContextV1, ContextV2, CreateBelief, CreateBeliefs, CreateEvent, DEFAULT_BELIEF_TYPE,
    DEFAULT_CONFIDENCE, DEFAULT_DOMAIN, DreamingHealth, Episode, EpisodeDetail, EpisodeQuery,
    Event, EventQuery, HistoryQuery, IngestForm, Ingested, IntelligenceHealth, StatusId, Timeline,
    TimelineItem, TimelineQuery, UpdateBelief, UserQuery,
};
use crate::memgraph::openapi::Authed;
use crate::memgraph::search;
use crate::memgraph::store::{
    BeliefFilter, BeliefPatch, EpisodeFilter, EventFilter, Kind, Match, NewBelief, NewEvent, Store,
};
use crate::memgraph::validation::{self, Body, Form, JsonBody, PathPair, PathParam, Query};

/// List pages: `limit` is 50 unless given (docs/spec/memgraph.md §6.3, §6.5).
const PAGE_DEFAULT: i64 = 50;

// ---- events ------------------------------------------------------------------------------

/// `POST /v1/events`. 201, like the other creates (an emulator choice).
// docs/spec/memgraph.md §6.3, §9.4
#[utoipa::path(post, path = "/v1/events", tag = "memory", request_body = CreateEvent,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 201, description = "The recorded event", body = Event), Authed))]
pub async fn create_event(
    auth: Authorized<Editor>,
    store: Store,
    Body(body): Body<CreateEvent>,
) -> Result<Response> {
    // `tenant_id` is redundant: the tenant is the caller's.
    let event = NewEvent {
        user_id: body.user_id,
        agent_id: body.agent_id,
        thread_id: body.thread_id,
        event_type: body.event_type,
        content: Value::Object(body.content),
    };
    let event = store.record_event(&auth.caller.tenant_id, &event).await?;
    Ok((StatusCode::CREATED, Json(event)).into_response())
}

/// `POST /v1/ingest`: form fields `user_id`, `text`, and optionally a `file`. The
/// text becomes a `user_message` event. A file that is UTF-8 text (TXT, Markdown) is ingested as
/// text; other files (PDF) are recorded by name and size only, as the emulator extracts nothing.
// docs/spec/memgraph.md §6.3
#[utoipa::path(post, path = "/v1/ingest", tag = "memory",
    request_body(content(
        (IngestForm = "multipart/form-data"),
        (IngestForm = "application/x-www-form-urlencoded"),
    )),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Accepted as a user_message event", body = Ingested),
        (status = 400, description = "Either text or file is required", body = HttpError),
        Authed,
    ))]
pub async fn ingest(
    auth: Authorized<Editor>,
    store: Store,
    Form(form): Form<IngestForm>,
) -> Result<Json<Ingested>> {
    let mut content = Map::new();
    let mut text = form.text;
    if let Some(file) = form.file {
        content.insert("filename".into(), json!(file.filename));
        content.insert("content_type".into(), json!(file.content_type));
        content.insert("size".into(), json!(file.bytes.len()));
        let file_text = String::from_utf8(file.bytes).ok();
        if let Some(file_text) = file_text {
            text = Some(match text {
                Some(t) => format!("{t}\n\n{file_text}"),
                None => file_text,
            });
        }
    } else if text.is_none() {
        return Err(ApiError::BadRequest("Either text or file is required"));
    }
    content.insert("text".into(), json!(text.unwrap_or_default()));
    let event = NewEvent {
        user_id: form.user_id,
        agent_id: form.agent_id,
        thread_id: form.thread_id,
        event_type: "user_message".to_owned(),
        content: Value::Object(content),
    };
    let event = store.record_event(&auth.caller.tenant_id, &event).await?;
    Ok(Json(Ingested {
        event_id: event.id,
        status: "accepted",
    }))
}

/// A bare list, newest first.
// docs/spec/memgraph.md §6.3, §9.2
#[utoipa::path(get, path = "/v1/events", tag = "memory", params(EventQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, description = "Events, newest first", body = Vec<Event>), Authed))]
pub async fn list_events(
    auth: Authorized<Viewer>,
    store: Store,
    Query(q): Query<EventQuery>,
) -> Result<Json<Vec<Event>>> {
    let filter = EventFilter {
        user_id: q.user_id,
        thread_id: q.thread_id,
        event_type: q.event_type,
        episode_id: q.episode_id,
        limit: q.limit.unwrap_or(PAGE_DEFAULT),
        offset: q.offset.unwrap_or(0),
    };
    Ok(Json(store.events(&auth.caller.tenant_id, &filter).await?))
}

#[utoipa::path(get, path = "/v1/events/{event_id}", tag = "memory",
    params(("event_id" = String, Path)), security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The event", body = Event),
        (status = 404, description = "Event not found", body = HttpError),
        Authed,
    ))]
pub async fn get_event(
    auth: Authorized<Viewer>,
    store: Store,
    PathParam(id): PathParam,
) -> Result<Json<Event>> {
    let event = store.event(&auth.caller.tenant_id, &id).await?;
    Ok(Json(event.ok_or(ApiError::NotFound("Event not found"))?))
}

#[utoipa::path(delete, path = "/v1/events/{event_id}", tag = "memory",
    params(("event_id" = String, Path)), security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Deleted", body = StatusId),
        (status = 404, description = "Event not found", body = HttpError),
        Authed,
    ))]
pub async fn delete_event(
    auth: Authorized<Editor>,
    store: Store,
    PathParam(id): PathParam,
) -> Result<Json<StatusId>> {
    if !store.delete_event(&auth.caller.tenant_id, &id).await? {
        return Err(ApiError::NotFound("Event not found"));
    }
    Ok(Json(StatusId {
        status: "deleted",
        id,
    }))
}

// ---- episodes ----------------------------------------------------------------------------

#[utoipa::path(get, path = "/v1/episodes", tag = "memory", params(EpisodeQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, description = "Episodes, newest first", body = Vec<Episode>), Authed))]
pub async fn list_episodes(
    auth: Authorized<Viewer>,
    store: Store,
    Query(q): Query<EpisodeQuery>,
) -> Result<Json<Vec<Episode>>> {
    let filter = EpisodeFilter {
        user_id: q.user_id,
        thread_id: q.thread_id,
        consolidation_status: q.consolidation_status.map(|s| s.as_str().to_owned()),
        limit: q.limit.unwrap_or(PAGE_DEFAULT),
        offset: q.offset.unwrap_or(0),
    };
    Ok(Json(store.episodes(&auth.caller.tenant_id, &filter).await?))
}

#[utoipa::path(get, path = "/v1/episodes/{episode_id}", tag = "memory",
    params(("episode_id" = String, Path)), security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The episode with its events", body = EpisodeDetail),
        (status = 404, description = "Episode not found", body = HttpError),
        Authed,
    ))]
pub async fn get_episode(
    auth: Authorized<Viewer>,
    store: Store,
    PathParam(id): PathParam,
) -> Result<Json<EpisodeDetail>> {
    let (episode, events) = store
        .episode(&auth.caller.tenant_id, &id)
        .await?
        .ok_or(ApiError::NotFound("Episode not found"))?;
    Ok(Json(EpisodeDetail { episode, events }))
}

#[utoipa::path(get, path = "/v1/dreaming/health", tag = "memory",
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, description = "The consolidation worker", body = DreamingHealth),
        Authed))]
pub async fn dreaming_health(
    auth: Authorized<Viewer>,
    store: Store,
) -> Result<Json<DreamingHealth>> {
    Ok(Json(store.dreaming_health(&auth.caller.tenant_id).await?))
}

// ---- beliefs -----------------------------------------------------------------------------

/// One belief to create, with the defaults a body leaves out (docs/spec/memgraph.md §6.5).
fn new_belief(body: CreateBelief) -> NewBelief {
    // `tenant_id` is redundant: the tenant is the caller's.
    NewBelief {
        subject_id: body.subject_id,
        key: body.key,
        value: body.value,
        confidence: body.confidence.unwrap_or(DEFAULT_CONFIDENCE),
        belief_type: body
            .belief_type
            .unwrap_or(DEFAULT_BELIEF_TYPE)
            .as_str()
            .to_owned(),
        domain: body.domain.unwrap_or_else(|| DEFAULT_DOMAIN.to_owned()),
    }
}

/// 201 with the belief; the same value as the active version returns that version.
// docs/spec/memgraph.md §6.5
#[utoipa::path(post, path = "/v1/beliefs", tag = "memory", request_body = CreateBelief,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 201, body = Belief,
        description = "The belief (the active version when the value is unchanged)"), Authed))]
pub async fn create_belief(
    auth: Authorized<Editor>,
    store: Store,
    Body(body): Body<CreateBelief>,
) -> Result<Response> {
    let new = new_belief(body);
    let mut created = store
        .create_beliefs(&auth.caller.tenant_id, std::slice::from_ref(&new))
        .await?;
    let belief = created
        .pop()
        .ok_or_else(|| crate::error::Internal::msg("belief not created"))?;
    Ok((StatusCode::CREATED, Json(belief)).into_response())
}

/// `{"beliefs": [...]}`, at most 100, all or nothing.
// docs/spec/memgraph.md §3.2
#[utoipa::path(post, path = "/v1/beliefs/batch", tag = "memory", request_body = CreateBeliefs,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 201, description = "The created beliefs", body = BatchCreated), Authed))]
pub async fn create_beliefs(
    auth: Authorized<Editor>,
    store: Store,
    Body(body): Body<CreateBeliefs>,
) -> Result<Response> {
    let beliefs: Vec<NewBelief> = body.beliefs.into_iter().map(new_belief).collect();
    let items = store
        .create_beliefs(&auth.caller.tenant_id, &beliefs)
        .await?;
    let created = BatchCreated {
        created: items.len(),
        items,
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// `{"items", "next_cursor", "count"}`, newest first, one page at a time.
#[utoipa::path(get, path = "/v1/beliefs", tag = "memory", params(BeliefQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "A page of beliefs", body = BeliefPage),
        (status = 400, description = "Invalid cursor", body = HttpError),
        Authed,
    ))]
pub async fn list_beliefs(
    auth: Authorized<Viewer>,
    store: Store,
    Query(q): Query<BeliefQuery>,
) -> Result<Json<BeliefPage>> {
    // `user_id` is what old clients sent (docs/spec/memgraph.md §6.5).
    let subject_id = q.subject_id.or(q.user_id);
    let limit = q.limit.unwrap_or(PAGE_DEFAULT);
    let after = match q.cursor.filter(|c| !c.is_empty()) {
        Some(cursor) => Some(decode_cursor(&cursor).ok_or(ApiError::BadRequest("Invalid cursor"))?),
        None => None,
    };
    let filter = BeliefFilter {
        subject_id,
        domain: q.domain,
        belief_type: q.belief_type,
        include_inactive: q.include_inactive.unwrap_or(false),
        // One more than asked, to know whether a next page exists.
        limit: limit + 1,
        after,
    };
    let (mut items, count) = store.beliefs(&auth.caller.tenant_id, &filter).await?;
    let more = items.len() as i64 > limit;
    items.truncate(usize::try_from(limit).unwrap_or(0));
    let next_cursor = match items.last() {
        Some(last) if more => Some(encode_cursor(last)),
        _ => None,
    };
    Ok(Json(BeliefPage {
        items,
        next_cursor,
        count,
    }))
}

/// The cursor is opaque to clients: the position (created_at, id) of a page's last item
/// (docs/spec/memgraph.md §6.5, emulator choice).
fn encode_cursor(last: &Belief) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}\n{}", last.created_at, last.id))
}

fn decode_cursor(cursor: &str) -> Option<(String, String)> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim_end_matches('=')).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (created_at, id) = text.split_once('\n')?;
    Some((created_at.to_owned(), id.to_owned()))
}

#[utoipa::path(get, path = "/v1/beliefs/{belief_id}", tag = "memory",
    params(("belief_id" = String, Path)), security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The belief", body = Belief),
        (status = 404, description = "Belief not found", body = HttpError),
        Authed,
    ))]
pub async fn get_belief(
    auth: Authorized<Viewer>,
    store: Store,
    PathParam(id): PathParam,
) -> Result<Json<Belief>> {
    let belief = store.belief(&auth.caller.tenant_id, &id).await?;
    Ok(Json(belief.ok_or(ApiError::NotFound("Belief not found"))?))
}

/// Changes a belief in place; `confidence_score` is the old clients' name for `confidence`.
#[utoipa::path(patch, path = "/v1/beliefs/{belief_id}", tag = "memory",
    params(("belief_id" = String, Path)), request_body = UpdateBelief,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The new version", body = Belief),
        (status = 404, description = "Belief not found", body = HttpError),
        Authed,
    ))]
pub async fn update_belief(
    auth: Authorized<Editor>,
    store: Store,
    PathParam(id): PathParam,
    Body(body): Body<UpdateBelief>,
) -> Result<Json<Belief>> {
    let patch = BeliefPatch {
        value: body.value,
        confidence: body.confidence.or(body.confidence_score),
        domain: body.domain,
        belief_type: body.belief_type.map(|t| t.as_str().to_owned()),
    };
    let belief = store
        .update_belief(&auth.caller.tenant_id, &id, &patch)
        .await?;
    Ok(Json(belief.ok_or(ApiError::NotFound("Belief not found"))?))
}

#[utoipa::path(delete, path = "/v1/beliefs/{belief_id}", tag = "memory",
    params(("belief_id" = String, Path)), security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Deleted", body = StatusId),
        (status = 404, description = "Belief not found", body = HttpError),
        Authed,
    ))]
pub async fn delete_belief(
    auth: Authorized<Editor>,
    store: Store,
    PathParam(id): PathParam,
) -> Result<Json<StatusId>> {
    if !store.delete_belief(&auth.caller.tenant_id, &id).await? {
        return Err(ApiError::NotFound("Belief not found"));
    }
    Ok(Json(StatusId {
        status: "deleted",
        id,
    }))
}

/// `DELETE /v1/beliefs?subject_id=&domain=&soft=` (the SDK's `forget_all`).
#[utoipa::path(delete, path = "/v1/beliefs", tag = "memory", params(BulkDeleteQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, description = "How many were deleted", body = BulkDeleted), Authed))]
pub async fn delete_beliefs(
    auth: Authorized<Editor>,
    store: Store,
    Query(q): Query<BulkDeleteQuery>,
) -> Result<Json<BulkDeleted>> {
    let soft = q.soft.unwrap_or(false);
    let deleted = store
        .delete_beliefs(
            &auth.caller.tenant_id,
            &q.subject_id,
            q.domain.as_deref(),
            soft,
        )
        .await?;
    Ok(Json(BulkDeleted {
        status: "deleted",
        deleted,
        domain: q.domain,
    }))
}

/// Every version of one key, oldest first (a bare list).
// docs/spec/memgraph.md §6.5
#[utoipa::path(get, path = "/v1/beliefs/history/{subject_id}/{key}", tag = "memory",
    params(("subject_id" = String, Path), ("key" = String, Path), HistoryQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, description = "Every version of one key, oldest first",
        body = Vec<Belief>), Authed))]
pub async fn belief_history(
    auth: Authorized<Viewer>,
    store: Store,
    PathPair(subject_id, key): PathPair,
    Query(q): Query<HistoryQuery>,
) -> Result<Json<Vec<Belief>>> {
    let include_inactive = q.include_inactive.unwrap_or(true);
    let history = store
        .belief_history(
            &auth.caller.tenant_id,
            &subject_id,
            &key,
            include_inactive,
            q.as_of.as_deref(),
        )
        .await?;
    Ok(Json(history))
}

#[utoipa::path(get, path = "/v1/beliefs/timeline/{subject_id}", tag = "memory",
    params(("subject_id" = String, Path), TimelineQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, description = "A subject's belief changes", body = Timeline), Authed))]
pub async fn belief_timeline(
    auth: Authorized<Viewer>,
    store: Store,
    PathParam(subject_id): PathParam,
    Query(q): Query<TimelineQuery>,
) -> Result<Json<Timeline>> {
    let beliefs = store
        .belief_timeline(
            &auth.caller.tenant_id,
            &subject_id,
            q.domain.as_deref(),
            q.since.as_deref(),
            q.limit.unwrap_or(PAGE_DEFAULT),
        )
        .await?;
    let timeline: Vec<TimelineItem> = beliefs
        .into_iter()
        .map(|b| {
            let change = match b.epistemic_status.as_str() {
                "superseded" => "superseded",
                "retracted" => "deleted",
                _ => "created",
            };
            TimelineItem {
                timestamp: if b.is_active {
                    b.created_at
                } else {
                    b.updated_at
                },
                id: b.id,
                key: b.key,
                value: b.value,
                change,
                version: b.version,
                confidence: b.confidence,
                domain: b.domain,
                belief_type: b.belief_type,
            }
        })
        .collect();
    Ok(Json(Timeline {
        subject_id,
        count: timeline.len(),
        timeline,
    }))
}

// ---- context -----------------------------------------------------------------------------

/// How many memories a context answer holds unless the body says `limit`.
const CONTEXT_DEFAULT: i64 = 10;

/// The memories for a query, as `/v2/context` lists them, best first (`search.rs` says how they
/// are scored). A superseded belief scores half and reads `[PREVIOUSLY] …`, as the real service
/// shows archived memories (docs/spec/memgraph.md §7.5).
pub(super) async fn memories(
    store: &Store,
    tenant_id: &str,
    query: &str,
    user_id: Option<&str>,
    limit: i64,
) -> Result<(Vec<Value>, Vec<String>)> {
    let terms = search::terms(query);
    if terms.is_empty() {
        return Ok((Vec::new(), terms));
    }
    let (collection, mut matches) = store.search(tenant_id, user_id, &terms).await?;
    // The order equal scores keep: beliefs, then events, each newest first.
    matches.sort_by(|a, b| {
        (a.kind != Kind::Belief)
            .cmp(&(b.kind != Kind::Belief))
            .then_with(|| b.at.cmp(&a.at))
            .then_with(|| b.rowid.cmp(&a.rowid))
    });
    let bags: Vec<&search::Bag> = matches.iter().map(|m| &m.bag).collect();
    let mut ranked: Vec<(f64, &Match)> = search::rank(&terms, collection, &bags)
        .into_iter()
        .map(|(i, score)| {
            let m = &matches[i];
            (if m.superseded { score / 2.0 } else { score }, m)
        })
        .collect();
    // Stable: equal scores keep the order above.
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    ranked.truncate(usize::try_from(limit).unwrap_or(0));
    let rowids = |kind: Kind| -> Vec<i64> {
        ranked
            .iter()
            .filter(|(_, m)| m.kind == kind)
            .map(|(_, m)| m.rowid)
            .collect()
    };
    let (beliefs, events) = store
        .memories(tenant_id, &rowids(Kind::Belief), &rowids(Kind::Event))
        .await?;
    let memories = ranked
        .iter()
        .filter_map(|(score, m)| match m.kind {
            Kind::Belief => beliefs.get(&m.rowid).map(|b| belief_memory(b, *score)),
            Kind::Event => events.get(&m.rowid).map(|e| event_memory(e, *score)),
        })
        .collect();
    Ok((memories, terms))
}

/// The text of an event: `content.text` when there is one.
fn event_text(e: &Event) -> &str {
    search::event_text(&e.content_payload)
}

/// A belief as a memory; `score` is already halved for a superseded one.
fn belief_memory(b: &Belief, score: f64) -> Value {
    let superseded = b.epistemic_status == "superseded";
    let content = if superseded {
        format!("[PREVIOUSLY] {}", b.value)
    } else {
        b.value.clone()
    };
    json!({
        "id": b.id, "content": content, "score": round(score), "type": "belief",
        "metadata": {
            "key": b.key, "value": b.value, "domain": b.domain,
            "belief_type": b.belief_type, "confidence": b.confidence,
            "subject_id": b.subject_id, "epistemic_status": b.epistemic_status,
            "version": b.version, "created_at": b.created_at,
        },
    })
}

fn event_memory(e: &Event, score: f64) -> Value {
    json!({
        "id": e.id, "content": event_text(e), "score": round(score), "type": "event",
        "metadata": {
            "event_type": e.event_type, "user_id": e.user_id, "thread_id": e.thread_id,
            "episode_id": e.episode_id, "timestamp": e.timestamp,
        },
    })
}

fn round(score: f64) -> f64 {
    (score * 10_000.0).round() / 10_000.0
}

/// `POST /v2/context`: ranked memories, with the entities, relationships and decisions around
/// the query (`graph.rs`, `context_extras`).
// docs/spec/memgraph.md §6.10
#[utoipa::path(post, path = "/v2/context", tag = "memory", request_body = ContextRequest,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, description = "Ranked memories", body = ContextV2), Authed))]
pub async fn context_v2(
    auth: Authorized<Viewer>,
    store: Store,
    Body(body): Body<ContextRequest>,
) -> Result<Json<ContextV2>> {
    let limit = body.limit.unwrap_or(CONTEXT_DEFAULT);
    let tenant = &auth.caller.tenant_id;
    let user_id = body.user_id.as_deref();
    let (memories, terms) = memories(&store, tenant, &body.query, user_id, limit).await?;
    let extras =
        super::graph::context_extras(&store, tenant, &body.query, user_id, &body, &memories)
            .await?;
    Ok(Json(ContextV2 {
        memories,
        entities: extras.entities,
        relationships: extras.relationships,
        decisions: extras.decisions,
        snapshot: extras.snapshot,
        debug: json!({"query_terms": terms, "ranking": "bm25", "user_id": user_id}),
    }))
}

/// `POST /v1/context` (legacy): the same memories, plus a system message that
/// lists them, which the CLI prints.
// docs/spec/memgraph.md §6.10
#[utoipa::path(post, path = "/v1/context", tag = "memory", request_body = ContextRequest,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, description = "Ranked memories and a system message",
        body = ContextV1), Authed))]
pub async fn context_v1(
    auth: Authorized<Viewer>,
    store: Store,
    JsonBody(mut body): JsonBody,
) -> Result<Json<ContextV1>> {
    // Old clients send the query as `task`.
    if let Value::Object(fields) = &mut body
        && !fields.contains_key("query")
        && let Some(task) = fields.remove("task")
    {
        fields.insert("query".to_owned(), task);
    }
    let body: ContextRequest = validation::read_json(&body)?;
    let limit = body.limit.unwrap_or(CONTEXT_DEFAULT);
    let tenant = &auth.caller.tenant_id;
    let user_id = body.user_id;
    let (memories, terms) =
        memories(&store, tenant, &body.query, user_id.as_deref(), limit).await?;
    let system = if memories.is_empty() {
        "No relevant memories found.".to_owned()
    } else {
        let lines: Vec<String> = memories
            .iter()
            .filter_map(|m| m["content"].as_str().map(|c| format!("- {c}")))
            .collect();
        format!("Relevant memories:\n{}", lines.join("\n"))
    };
    Ok(Json(ContextV1 {
        messages: vec![json!({"role": "system", "content": system})],
        retrieved_items: memories,
        debug: json!({"query_terms": terms, "ranking": "bm25", "user_id": user_id}),
    }))
}

// ---- intelligence ------------------------------------------------------------------------

/// `GET /v1/intelligence/health`: counts of the stored memory (the SDK README's "belief count,
/// episode count and similar").
#[utoipa::path(get, path = "/v1/intelligence/health", tag = "memory", params(UserQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, description = "Counts of the stored memory",
        body = IntelligenceHealth), Authed))]
pub async fn intelligence_health(
    auth: Authorized<Viewer>,
    store: Store,
    Query(q): Query<UserQuery>,
) -> Result<Json<IntelligenceHealth>> {
    let tenant = &auth.caller.tenant_id;
    let user_id = q.user_id;
    let (beliefs, active, episodes, events) =
        store.memory_counts(tenant, user_id.as_deref()).await?;
    let contradictions = store
        .open_contradictions(tenant, user_id.as_deref())
        .await?;
    Ok(Json(IntelligenceHealth {
        status: "healthy",
        user_id,
        total_beliefs: beliefs,
        active_beliefs: active,
        inactive_beliefs: beliefs - active,
        total_episodes: episodes,
        total_events: events,
        contradictions,
    }))
}
