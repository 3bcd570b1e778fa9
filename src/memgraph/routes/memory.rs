//! The memory API: events, episodes, beliefs, context and the intelligence reads (spec §6.3–6.5,
//! §6.10, §7.3). Viewers read, editors write (spec §5.2).

use crate::memgraph::{model, openapi};
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use super::Result;
use crate::memgraph::auth::{Authorized, Editor, Viewer};
use crate::memgraph::error::ApiError;
use crate::memgraph::model::graph::ContextGraphOptions;
use crate::memgraph::model::{
    BatchCreated, Belief, BeliefPage, BulkDeleted, DreamingHealth, Episode, EpisodeDetail, Event,
    Ingested, StatusId, Timeline, TimelineItem,
};
use crate::memgraph::search;
use crate::memgraph::store::{
    BeliefFilter, BeliefPatch, EpisodeFilter, EventFilter, NewBelief, NewEvent, Store,
};
use crate::memgraph::validation::{
    self, Fields, FormFields, JsonObject, PathPair, PathParam, QueryParams,
};

/// The documented belief types (spec §3.3).
const BELIEF_TYPES: &[&str] = &["fact", "belief", "preference", "tenet"];
/// `POST /v1/beliefs/batch` takes at most this many (spec §3.2).
const BATCH_MAX: usize = 100;
/// List pages: `limit` is 1..=200, 50 by default (spec §6.3, §6.5).
const PAGE_MAX: i64 = 200;
const PAGE_DEFAULT: i64 = 50;

// ---- events ------------------------------------------------------------------------------

/// `POST /v1/events` (spec §6.3). 201, like the other creates (spec §9.4, emulator choice).
#[utoipa::path(
    post,
    path = "/v1/events",
    tag = "memory",
    request_body = openapi::CreateEvent,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 201, description = "The recorded event", body = model::Event),
        openapi::Authed,
    ),
)]
pub async fn create_event(
    auth: Authorized<Editor>,
    store: Store,
    body: JsonObject,
) -> Result<Response> {
    let mut f = Fields::new(&body);
    let user_id = f.string("user_id");
    let event_type = f.string("event_type");
    let content = f.object("content");
    let agent_id = f.opt_string("agent_id");
    let thread_id = f.opt_string("thread_id");
    let _redundant_tenant = f.opt_string("tenant_id");
    f.finish()?;
    let event = NewEvent {
        user_id,
        agent_id,
        thread_id,
        event_type,
        content: Value::Object(content),
    };
    let event = store.record_event(&auth.caller.tenant_id, &event).await?;
    Ok((StatusCode::CREATED, Json(event)).into_response())
}

/// `POST /v1/ingest`: form fields `user_id`, `text`, and optionally a `file` (spec §6.3). The
/// text becomes a `user_message` event. A file that is UTF-8 text (TXT, Markdown) is ingested as
/// text; other files (PDF) are recorded by name and size only, as the emulator extracts nothing.
#[utoipa::path(
    post,
    path = "/v1/ingest",
    tag = "memory",
    request_body(content(
        (openapi::IngestForm = "multipart/form-data"),
        (openapi::IngestForm = "application/x-www-form-urlencoded"),
    )),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Accepted as a user_message event", body = model::Ingested),
        (status = 400, description = "Either text or file is required", body = openapi::HttpError),
        openapi::Authed,
    ),
)]
pub async fn ingest(
    auth: Authorized<Editor>,
    store: Store,
    form: FormFields,
) -> Result<Json<Ingested>> {
    let Some(user_id) = form.get("user_id") else {
        return Err(ApiError::validation(validation::missing(
            json!(["body", "user_id"]),
            Value::Null,
        )));
    };
    let mut content = Map::new();
    let mut text = form.get("text").map(str::to_owned);
    if let Some(file) = form.file("file") {
        let file_text = std::str::from_utf8(&file.bytes).ok().map(str::to_owned);
        content.insert("filename".into(), json!(file.filename));
        content.insert("content_type".into(), json!(file.content_type));
        content.insert("size".into(), json!(file.bytes.len()));
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
        user_id: user_id.to_owned(),
        agent_id: form.get("agent_id").map(str::to_owned),
        thread_id: form.get("thread_id").map(str::to_owned),
        event_type: "user_message".to_owned(),
        content: Value::Object(content),
    };
    let event = store.record_event(&auth.caller.tenant_id, &event).await?;
    Ok(Json(Ingested {
        event_id: event.id,
        status: "accepted",
    }))
}

/// A bare list, newest first (spec §6.3, §9.2).
#[utoipa::path(
    get,
    path = "/v1/events",
    tag = "memory",
    params(openapi::EventQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Events, newest first", body = Vec<model::Event>),
        openapi::Authed,
    ),
)]
pub async fn list_events(
    auth: Authorized<Viewer>,
    store: Store,
    query: QueryParams,
) -> Result<Json<Vec<Event>>> {
    let mut q = query.read();
    let filter = EventFilter {
        user_id: q.opt_string("user_id"),
        thread_id: q.opt_string("thread_id"),
        event_type: q.opt_string("event_type"),
        episode_id: q.opt_string("episode_id"),
        limit: q.int("limit", PAGE_DEFAULT, 1, PAGE_MAX),
        offset: q.int("offset", 0, 0, i64::MAX),
    };
    q.finish()?;
    Ok(Json(store.events(&auth.caller.tenant_id, &filter).await?))
}

#[utoipa::path(
    get,
    path = "/v1/events/{event_id}",
    tag = "memory",
    params(("event_id" = String, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The event", body = model::Event),
        (status = 404, description = "Event not found", body = openapi::HttpError),
        openapi::Authed,
    ),
)]
pub async fn get_event(
    auth: Authorized<Viewer>,
    store: Store,
    PathParam(id): PathParam,
) -> Result<Json<Event>> {
    let event = store.event(&auth.caller.tenant_id, &id).await?;
    Ok(Json(event.ok_or(ApiError::NotFound("Event not found"))?))
}

#[utoipa::path(
    delete,
    path = "/v1/events/{event_id}",
    tag = "memory",
    params(("event_id" = String, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Deleted", body = model::StatusId),
        (status = 404, description = "Event not found", body = openapi::HttpError),
        openapi::Authed,
    ),
)]
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

const CONSOLIDATION_STATUSES: &[&str] = &["pending", "processing", "consolidated"];

#[utoipa::path(
    get,
    path = "/v1/episodes",
    tag = "memory",
    params(openapi::EpisodeQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Episodes, newest first", body = Vec<model::Episode>),
        openapi::Authed,
    ),
)]
pub async fn list_episodes(
    auth: Authorized<Viewer>,
    store: Store,
    query: QueryParams,
) -> Result<Json<Vec<Episode>>> {
    let mut q = query.read();
    let filter = EpisodeFilter {
        user_id: q.opt_string("user_id"),
        thread_id: q.opt_string("thread_id"),
        consolidation_status: q.opt_string("consolidation_status"),
        limit: q.int("limit", PAGE_DEFAULT, 1, PAGE_MAX),
        offset: q.int("offset", 0, 0, i64::MAX),
    };
    q.finish()?;
    if let Some(status) = &filter.consolidation_status
        && !CONSOLIDATION_STATUSES.contains(&status.as_str())
    {
        let expected = "'pending', 'processing' or 'consolidated'";
        return Err(ApiError::validation(validation::error(
            "literal_error",
            json!(["query", "consolidation_status"]),
            &format!("Input should be {expected}"),
            json!(status),
            Some(json!({ "expected": expected })),
        )));
    }
    Ok(Json(store.episodes(&auth.caller.tenant_id, &filter).await?))
}

#[utoipa::path(
    get,
    path = "/v1/episodes/{episode_id}",
    tag = "memory",
    params(("episode_id" = String, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The episode with its events", body = model::EpisodeDetail),
        (status = 404, description = "Episode not found", body = openapi::HttpError),
        openapi::Authed,
    ),
)]
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

#[utoipa::path(
    get,
    path = "/v1/dreaming/health",
    tag = "memory",
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The consolidation worker", body = model::DreamingHealth),
        openapi::Authed,
    ),
)]
pub async fn dreaming_health(
    auth: Authorized<Viewer>,
    store: Store,
) -> Result<Json<DreamingHealth>> {
    Ok(Json(store.dreaming_health(&auth.caller.tenant_id).await?))
}

// ---- beliefs -----------------------------------------------------------------------------

/// The fields of one belief to create (spec §6.5), from a body or a batch item.
fn read_belief(f: &mut Fields) -> NewBelief {
    let subject_id = f.string("subject_id");
    let key = f.string("key");
    let value = f.string("value");
    let confidence = f.opt_float_in("confidence", 0.0, 1.0).unwrap_or(0.9);
    let belief_type = f
        .opt_literal("belief_type", BELIEF_TYPES)
        .unwrap_or_else(|| "belief".to_owned());
    let domain = f
        .opt_string("domain")
        .unwrap_or_else(|| "general".to_owned());
    let _redundant_tenant = f.opt_string("tenant_id");
    NewBelief {
        subject_id,
        key,
        value,
        confidence,
        belief_type,
        domain,
    }
}

/// 201 with the belief; the same value as the active version returns that version (spec §6.5).
#[utoipa::path(
    post,
    path = "/v1/beliefs",
    tag = "memory",
    request_body = openapi::CreateBelief,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 201, description = "The belief (the active version when the value is unchanged)", body = model::Belief),
        openapi::Authed,
    ),
)]
pub async fn create_belief(
    auth: Authorized<Editor>,
    store: Store,
    body: JsonObject,
) -> Result<Response> {
    let mut f = Fields::new(&body);
    let new = read_belief(&mut f);
    f.finish()?;
    let mut created = store
        .create_beliefs(&auth.caller.tenant_id, std::slice::from_ref(&new))
        .await?;
    let belief = created
        .pop()
        .ok_or_else(|| crate::error::Internal::msg("belief not created"))?;
    Ok((StatusCode::CREATED, Json(belief)).into_response())
}

/// `{"beliefs": [...]}`, at most 100, all or nothing.
#[utoipa::path(
    post,
    path = "/v1/beliefs/batch",
    tag = "memory",
    request_body = openapi::CreateBeliefs,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 201, description = "The created beliefs", body = model::BatchCreated),
        openapi::Authed,
    ),
)]
pub async fn create_beliefs(
    auth: Authorized<Editor>,
    store: Store,
    body: JsonObject,
) -> Result<Response> {
    let mut f = Fields::new(&body);
    let items = f.list_of_objects("beliefs", BATCH_MAX);
    let mut beliefs = Vec::with_capacity(items.len());
    for (i, item) in items {
        let mut g = Fields::at(item, vec![json!("body"), json!("beliefs"), json!(i)]);
        beliefs.push(read_belief(&mut g));
        f.extend(g.into_errors());
    }
    let _redundant_tenant = f.opt_string("tenant_id");
    f.finish()?;
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
#[utoipa::path(
    get,
    path = "/v1/beliefs",
    tag = "memory",
    params(openapi::BeliefQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "A page of beliefs", body = model::BeliefPage),
        (status = 400, description = "Invalid cursor", body = openapi::HttpError),
        openapi::Authed,
    ),
)]
pub async fn list_beliefs(
    auth: Authorized<Viewer>,
    store: Store,
    query: QueryParams,
) -> Result<Json<BeliefPage>> {
    let mut q = query.read();
    // `user_id` is what old clients sent (spec §6.5).
    let subject_id = q
        .opt_string("subject_id")
        .or_else(|| q.opt_string("user_id"));
    let domain = q.opt_string("domain");
    let belief_type = q.opt_string("belief_type");
    let include_inactive = q.bool("include_inactive", false);
    let limit = q.int("limit", PAGE_DEFAULT, 1, PAGE_MAX);
    let cursor = q.opt_string("cursor");
    q.finish()?;
    let after = match cursor.filter(|c| !c.is_empty()) {
        Some(cursor) => Some(decode_cursor(&cursor).ok_or(ApiError::BadRequest("Invalid cursor"))?),
        None => None,
    };
    let filter = BeliefFilter {
        subject_id,
        domain,
        belief_type,
        include_inactive,
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
/// (spec §6.5, emulator choice).
fn encode_cursor(last: &Belief) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}\n{}", last.created_at, last.id))
}

fn decode_cursor(cursor: &str) -> Option<(String, String)> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim_end_matches('=')).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (created_at, id) = text.split_once('\n')?;
    Some((created_at.to_owned(), id.to_owned()))
}

#[utoipa::path(
    get,
    path = "/v1/beliefs/{belief_id}",
    tag = "memory",
    params(("belief_id" = String, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The belief", body = model::Belief),
        (status = 404, description = "Belief not found", body = openapi::HttpError),
        openapi::Authed,
    ),
)]
pub async fn get_belief(
    auth: Authorized<Viewer>,
    store: Store,
    PathParam(id): PathParam,
) -> Result<Json<Belief>> {
    let belief = store.belief(&auth.caller.tenant_id, &id).await?;
    Ok(Json(belief.ok_or(ApiError::NotFound("Belief not found"))?))
}

/// Changes a belief in place; `confidence_score` is the old clients' name for `confidence`.
#[utoipa::path(
    patch,
    path = "/v1/beliefs/{belief_id}",
    tag = "memory",
    params(("belief_id" = String, Path)),
    request_body = openapi::UpdateBelief,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The new version", body = model::Belief),
        (status = 404, description = "Belief not found", body = openapi::HttpError),
        openapi::Authed,
    ),
)]
pub async fn update_belief(
    auth: Authorized<Editor>,
    store: Store,
    PathParam(id): PathParam,
    body: JsonObject,
) -> Result<Json<Belief>> {
    let mut f = Fields::new(&body);
    let patch = BeliefPatch {
        value: f.opt_string("value"),
        confidence: f.opt_float_in("confidence", 0.0, 1.0).or(f.opt_float_in(
            "confidence_score",
            0.0,
            1.0,
        )),
        domain: f.opt_string("domain"),
        belief_type: f.opt_literal("belief_type", BELIEF_TYPES),
    };
    f.finish()?;
    let belief = store
        .update_belief(&auth.caller.tenant_id, &id, &patch)
        .await?;
    Ok(Json(belief.ok_or(ApiError::NotFound("Belief not found"))?))
}

#[utoipa::path(
    delete,
    path = "/v1/beliefs/{belief_id}",
    tag = "memory",
    params(("belief_id" = String, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Deleted", body = model::StatusId),
        (status = 404, description = "Belief not found", body = openapi::HttpError),
        openapi::Authed,
    ),
)]
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
#[utoipa::path(
    delete,
    path = "/v1/beliefs",
    tag = "memory",
    params(openapi::BulkDeleteQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "How many were deleted", body = model::BulkDeleted),
        openapi::Authed,
    ),
)]
pub async fn delete_beliefs(
    auth: Authorized<Editor>,
    store: Store,
    query: QueryParams,
) -> Result<Json<BulkDeleted>> {
    let mut q = query.read();
    let subject_id = q.string("subject_id");
    let domain = q.opt_string("domain");
    let soft = q.bool("soft", false);
    q.finish()?;
    let deleted = store
        .delete_beliefs(&auth.caller.tenant_id, &subject_id, domain.as_deref(), soft)
        .await?;
    Ok(Json(BulkDeleted {
        status: "deleted",
        deleted,
        domain,
    }))
}

/// Every version of one key, oldest first (a bare list).
#[utoipa::path(
    get,
    path = "/v1/beliefs/history/{subject_id}/{key}",
    tag = "memory",
    params(
        ("subject_id" = String, Path),
        ("key" = String, Path),
        openapi::HistoryQuery
    ),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Every version of one key, newest first", body = Vec<model::Belief>),
        openapi::Authed,
    ),
)]
pub async fn belief_history(
    auth: Authorized<Viewer>,
    store: Store,
    PathPair(subject_id, key): PathPair,
    query: QueryParams,
) -> Result<Json<Vec<Belief>>> {
    let mut q = query.read();
    let include_inactive = q.bool("include_inactive", true);
    let as_of = q.opt_datetime("as_of");
    q.finish()?;
    let history = store
        .belief_history(
            &auth.caller.tenant_id,
            &subject_id,
            &key,
            include_inactive,
            as_of.as_deref(),
        )
        .await?;
    Ok(Json(history))
}

#[utoipa::path(
    get,
    path = "/v1/beliefs/timeline/{subject_id}",
    tag = "memory",
    params(("subject_id" = String, Path), openapi::TimelineQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "A subject's belief changes", body = model::Timeline),
        openapi::Authed,
    ),
)]
pub async fn belief_timeline(
    auth: Authorized<Viewer>,
    store: Store,
    PathParam(subject_id): PathParam,
    query: QueryParams,
) -> Result<Json<Timeline>> {
    let mut q = query.read();
    let domain = q.opt_string("domain");
    let since = q.opt_datetime("since");
    let limit = q.int("limit", PAGE_DEFAULT, 1, 1000);
    q.finish()?;
    let beliefs = store
        .belief_timeline(
            &auth.caller.tenant_id,
            &subject_id,
            domain.as_deref(),
            since.as_deref(),
            limit,
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

/// What both context versions read from the body: the query (`task` in old clients), the user,
/// and how many memories to return.
fn read_context(body: &JsonObject, legacy: bool) -> Result<(String, Option<String>, i64)> {
    let mut f = Fields::new(body);
    let query = if legacy && !f.has("query") && f.has("task") {
        f.string("task")
    } else {
        f.string("query")
    };
    let user_id = f.opt_string("user_id");
    let limit = f.opt_int_in("limit", 1, 100).unwrap_or(CONTEXT_DEFAULT);
    let _agent = f.opt_string("agent_id");
    let _redundant_tenant = f.opt_string("tenant_id");
    f.finish()?;
    Ok((query, user_id, limit))
}

/// The memories for a query, as `/v2/context` lists them, best first (`search.rs` says how they
/// are scored). A superseded belief scores half and reads `[PREVIOUSLY] …`, as the real service
/// shows archived memories (spec §7.5).
pub(super) async fn memories(
    store: &Store,
    tenant_id: &str,
    query: &str,
    user_id: Option<&str>,
    limit: i64,
) -> Result<(Vec<Value>, Vec<String>)> {
    let terms = search::terms(query);
    let (beliefs, events) = store.search_candidates(tenant_id, user_id).await?;
    let docs: Vec<search::Doc> = beliefs
        .iter()
        .map(|b| search::Doc {
            label: &b.key,
            text: &b.value,
        })
        .chain(events.iter().map(|e| search::Doc {
            label: &e.event_type,
            text: event_text(e),
        }))
        .collect();
    let mut memories: Vec<(f64, Value)> = search::rank(&terms, &docs)
        .into_iter()
        .filter_map(|(i, score)| match beliefs.get(i) {
            Some(b) => Some(belief_memory(b, score)),
            None => events
                .get(i - beliefs.len())
                .map(|e| event_memory(e, score)),
        })
        .collect();
    // Stable: equal scores keep the newest-first order of the candidates.
    memories.sort_by(|a, b| b.0.total_cmp(&a.0));
    memories.truncate(usize::try_from(limit).unwrap_or(0));
    Ok((memories.into_iter().map(|(_, m)| m).collect(), terms))
}

/// The text of an event: `content.text` when there is one.
fn event_text(e: &Event) -> &str {
    e.content_payload
        .get("text")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn belief_memory(b: &Belief, relevance: f64) -> (f64, Value) {
    let superseded = b.epistemic_status == "superseded";
    let score = if superseded {
        relevance / 2.0
    } else {
        relevance
    };
    let content = if superseded {
        format!("[PREVIOUSLY] {}", b.value)
    } else {
        b.value.clone()
    };
    let memory = json!({
        "id": b.id, "content": content, "score": round(score), "type": "belief",
        "metadata": {
            "key": b.key, "value": b.value, "domain": b.domain,
            "belief_type": b.belief_type, "confidence": b.confidence,
            "subject_id": b.subject_id, "epistemic_status": b.epistemic_status,
            "version": b.version, "created_at": b.created_at,
        },
    });
    (score, memory)
}

fn event_memory(e: &Event, score: f64) -> (f64, Value) {
    let memory = json!({
        "id": e.id, "content": event_text(e), "score": round(score), "type": "event",
        "metadata": {
            "event_type": e.event_type, "user_id": e.user_id, "thread_id": e.thread_id,
            "episode_id": e.episode_id, "timestamp": e.timestamp,
        },
    });
    (score, memory)
}

fn round(score: f64) -> f64 {
    (score * 10_000.0).round() / 10_000.0
}

/// `POST /v2/context` (spec §6.10): ranked memories, with the entities, relationships and
/// decisions around the query (`graph.rs`, `context_extras`).
#[utoipa::path(
    post,
    path = "/v2/context",
    tag = "memory",
    request_body = openapi::ContextRequest,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Ranked memories", body = openapi::ContextV2),
        openapi::Authed,
    ),
)]
pub async fn context_v2(
    auth: Authorized<Viewer>,
    store: Store,
    body: JsonObject,
) -> Result<Json<Value>> {
    let (query, user_id, limit) = read_context(&body, false)?;
    let options: ContextGraphOptions = crate::memgraph::typed::from_object(&body.0)?;
    let tenant = &auth.caller.tenant_id;
    let (memories, terms) = memories(&store, tenant, &query, user_id.as_deref(), limit).await?;
    let extras = super::graph::context_extras(
        &store,
        tenant,
        &query,
        user_id.as_deref(),
        &options,
        &memories,
    )
    .await?;
    Ok(Json(json!({
        "memories": memories,
        "entities": extras.entities,
        "relationships": extras.relationships,
        "decisions": extras.decisions,
        "snapshot": extras.snapshot,
        "debug": {"query_terms": terms, "ranking": "bm25", "user_id": user_id},
    })))
}

/// `POST /v1/context` (legacy, spec §6.10): the same memories, plus a system message that
/// lists them, which the CLI prints.
#[utoipa::path(
    post,
    path = "/v1/context",
    tag = "memory",
    request_body = openapi::ContextRequest,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Ranked memories and a system message", body = openapi::ContextV1),
        openapi::Authed,
    ),
)]
pub async fn context_v1(
    auth: Authorized<Viewer>,
    store: Store,
    body: JsonObject,
) -> Result<Json<Value>> {
    let (query, user_id, limit) = read_context(&body, true)?;
    let (memories, terms) = memories(
        &store,
        &auth.caller.tenant_id,
        &query,
        user_id.as_deref(),
        limit,
    )
    .await?;
    let system = if memories.is_empty() {
        "No relevant memories found.".to_owned()
    } else {
        let lines: Vec<String> = memories
            .iter()
            .filter_map(|m| m["content"].as_str().map(|c| format!("- {c}")))
            .collect();
        format!("Relevant memories:\n{}", lines.join("\n"))
    };
    Ok(Json(json!({
        "messages": [{"role": "system", "content": system}],
        "retrieved_items": memories,
        "debug": {"query_terms": terms, "ranking": "bm25", "user_id": user_id},
    })))
}

// ---- intelligence ------------------------------------------------------------------------

/// `GET /v1/intelligence/health`: counts of the stored memory (the SDK README's "belief count,
/// episode count and similar").
#[utoipa::path(
    get,
    path = "/v1/intelligence/health",
    tag = "memory",
    params(openapi::UserQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Counts of the stored memory", body = openapi::IntelligenceHealth),
        openapi::Authed,
    ),
)]
pub async fn intelligence_health(
    auth: Authorized<Viewer>,
    store: Store,
    query: QueryParams,
) -> Result<Json<Value>> {
    let mut q = query.read();
    let user_id = q.opt_string("user_id");
    q.finish()?;
    let tenant = &auth.caller.tenant_id;
    let (beliefs, active, episodes, events) =
        store.memory_counts(tenant, user_id.as_deref()).await?;
    let contradictions = store
        .open_contradictions(tenant, user_id.as_deref())
        .await?;
    Ok(Json(json!({
        "status": "healthy",
        "user_id": user_id,
        "total_beliefs": beliefs,
        "active_beliefs": active,
        "inactive_beliefs": beliefs - active,
        "total_episodes": episodes,
        "total_events": events,
        "contradictions": contradictions,
    })))
}
