//! The knowledge graph (docs/spec/memgraph.md §7.3): entities, relationships, traversal, and
//! the graph part of `/v2/context`. Viewers read, editors write, as in the rest of the memory
//! API (docs/spec/memgraph.md §5.2); lists are bare JSON lists, as the SDK types them.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::Result;
use crate::memgraph::auth::{Authorized, Editor, Viewer};
use crate::memgraph::error::{ApiError, HttpError};
use crate::memgraph::model::ContextRequest;
use crate::memgraph::model::decisions::Decision;
use crate::memgraph::model::graph::{
    ContextSnapshot, CreateEntity, CreateRelationship, Entity, EntityDeleted, EntityMatch,
    EntityQuery, Reached, Relationship, RelationshipQuery, SearchEntities, Traversal,
    TraverseRequest,
};
use crate::memgraph::openapi;
use crate::memgraph::store::{NewEntity, NewRelationship, Store, Walk};
use crate::memgraph::validation::{self, PathParam};
use crate::memgraph::validation::{Body, Query};

/// List pages: 1..=200, 50 by default, as the v1 lists.
const PAGE_DEFAULT: i64 = 50;
/// `/v2/context` looks for at most this many entities named in the query.
const CONTEXT_ENTITIES: usize = 10;
/// ... and at most this many similar decisions.
const CONTEXT_DECISIONS: usize = 5;

#[utoipa::path(
    post,
    path = "/v2/entities",
    tag = "graph",
    request_body = CreateEntity,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 201, description = "The entity (the existing one when its type and name match)", body = Entity),
        openapi::Authed,
    ),
)]
pub async fn create_entity(
    auth: Authorized<Editor>,
    store: Store,
    Body(body): Body<CreateEntity>,
) -> Result<Response> {
    let new = NewEntity {
        entity_type: body.entity_type,
        name: body.name,
        aliases: body.aliases.unwrap_or_default(),
        properties: body.properties.unwrap_or_default(),
    };
    let entity = store.create_entity(&auth.caller.tenant_id, &new).await?;
    Ok((StatusCode::CREATED, Json(entity)).into_response())
}

/// Newest first, a bare list.
#[utoipa::path(
    get,
    path = "/v2/entities",
    tag = "graph",
    params(EntityQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Entities, newest first", body = Vec<Entity>),
        openapi::Authed,
    ),
)]
pub async fn list_entities(
    auth: Authorized<Viewer>,
    store: Store,
    Query(q): Query<EntityQuery>,
) -> Result<Json<Vec<Entity>>> {
    let limit = q.limit.unwrap_or(PAGE_DEFAULT);
    let entities = store
        .entities(&auth.caller.tenant_id, q.entity_type.as_deref(), limit)
        .await?;
    Ok(Json(entities))
}

#[utoipa::path(
    get,
    path = "/v2/entities/{entity_id}",
    tag = "graph",
    params(("entity_id" = String, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The entity", body = Entity),
        (status = 404, description = "Entity not found", body = HttpError),
        openapi::Authed,
    ),
)]
pub async fn get_entity(
    auth: Authorized<Viewer>,
    store: Store,
    PathParam(id): PathParam,
) -> Result<Json<Entity>> {
    let entity = store.entity(&auth.caller.tenant_id, &id).await?;
    Ok(Json(entity.ok_or(ApiError::NotFound("Entity not found"))?))
}

/// By the words of names and aliases, best first, a bare list (see `Store::search_entities`).
#[utoipa::path(
    post,
    path = "/v2/entities/search",
    tag = "graph",
    request_body = SearchEntities,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Matching entities, best first", body = Vec<EntityMatch>),
        openapi::Authed,
    ),
)]
pub async fn search_entities(
    auth: Authorized<Viewer>,
    store: Store,
    Body(body): Body<SearchEntities>,
) -> Result<Json<Vec<EntityMatch>>> {
    let max = usize::try_from(body.max_results.unwrap_or(5)).unwrap_or(5);
    let found = store
        .search_entities(
            &auth.caller.tenant_id,
            &body.query,
            body.entity_type.as_deref(),
            max,
            false,
        )
        .await?;
    Ok(Json(
        found
            .into_iter()
            .map(|(entity, score)| EntityMatch { entity, score })
            .collect(),
    ))
}

/// Deletes the entity and every relationship from or to it.
#[utoipa::path(
    delete,
    path = "/v2/entities/{entity_id}",
    tag = "graph",
    params(("entity_id" = String, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Deleted, with its relationships", body = EntityDeleted),
        (status = 404, description = "Entity not found", body = HttpError),
        openapi::Authed,
    ),
)]
pub async fn delete_entity(
    auth: Authorized<Editor>,
    store: Store,
    PathParam(id): PathParam,
) -> Result<Json<EntityDeleted>> {
    let edges = store
        .delete_entity(&auth.caller.tenant_id, &id)
        .await?
        .ok_or(ApiError::NotFound("Entity not found"))?;
    Ok(Json(EntityDeleted {
        status: "deleted",
        id,
        relationships_deleted: edges,
    }))
}

/// Both entities must be the caller's (404 otherwise); `valid_to` must come after `valid_from`.
#[utoipa::path(
    post,
    path = "/v2/relationships",
    tag = "graph",
    request_body = CreateRelationship,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 201, description = "The relationship", body = Relationship),
        (status = 404, description = "Entity not found", body = HttpError),
        openapi::Authed,
    ),
)]
pub async fn create_relationship(
    auth: Authorized<Editor>,
    store: Store,
    Body(body): Body<CreateRelationship>,
) -> Result<Response> {
    if let (Some(from), Some(to)) = (&body.valid_from, &body.valid_to)
        && to <= from
    {
        let why = "valid_to must be after valid_from";
        return Err(ApiError::validation(validation::error(
            "value_error",
            serde_json::json!(["body", "valid_to"]),
            &format!("Value error, {why}"),
            serde_json::json!(to),
            Some(serde_json::json!({ "error": why })),
        )));
    }
    let new = NewRelationship {
        source_entity_id: body.source_entity_id,
        target_entity_id: body.target_entity_id,
        relation_type: body.relation_type,
        confidence: body.confidence.unwrap_or(1.0),
        valid_from: body.valid_from,
        valid_to: body.valid_to,
        evidence_sources: body.evidence_sources.unwrap_or_default(),
    };
    let relationship = store
        .create_relationship(&auth.caller.tenant_id, &new)
        .await?
        .ok_or(ApiError::NotFound("Entity not found"))?;
    Ok((StatusCode::CREATED, Json(relationship)).into_response())
}

/// Newest first, a bare list; `entity_id` keeps those from or to that entity.
#[utoipa::path(
    get,
    path = "/v2/relationships",
    tag = "graph",
    params(RelationshipQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Relationships, newest first", body = Vec<Relationship>),
        openapi::Authed,
    ),
)]
pub async fn list_relationships(
    auth: Authorized<Viewer>,
    store: Store,
    Query(q): Query<RelationshipQuery>,
) -> Result<Json<Vec<Relationship>>> {
    let relationships = store
        .relationships(
            &auth.caller.tenant_id,
            q.entity_id.as_deref(),
            q.relation_type.as_deref(),
            q.limit.unwrap_or(PAGE_DEFAULT),
        )
        .await?;
    Ok(Json(relationships))
}

/// A breadth-first walk from the seeds, both directions, up to `max_depth` steps; bounded per
/// entity and in all (`truncated` says when a bound was reached).
#[utoipa::path(
    post,
    path = "/v2/graph/traverse",
    tag = "graph",
    request_body = TraverseRequest,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "What the walk reached", body = Traversal),
        (status = 404, description = "A seed is not one of the caller's entities", body = HttpError),
        openapi::Authed,
    ),
)]
pub async fn traverse_graph(
    auth: Authorized<Viewer>,
    store: Store,
    Body(body): Body<TraverseRequest>,
) -> Result<Json<Traversal>> {
    let now = store.now();
    let walk = Walk {
        seeds: &body.entity_ids,
        max_depth: body.max_depth.unwrap_or(2),
        valid_at: body.temporal_filter.unwrap_or(true).then_some(now.as_str()),
        relation_types: body.relation_types.as_deref(),
    };
    let traversal = store
        .traverse(&auth.caller.tenant_id, &walk)
        .await?
        .ok_or(ApiError::NotFound("Entity not found"))?;
    Ok(Json(traversal))
}

// ---- /v2/context -------------------------------------------------------------------------------

/// The graph and decision parts of a `/v2/context` answer.
pub struct ContextExtras {
    pub entities: Vec<Reached>,
    pub relationships: Vec<Relationship>,
    pub decisions: Vec<Value>,
    pub snapshot: Option<ContextSnapshot>,
}

/// What `/v2/context` adds to the memories: the caller's entities named in the query (whole
/// words of names and aliases) with the relationships around them (valid now, up to
/// `max_depth` steps, 1 by default), and the decisions whose goals are most like the query
/// (with their `score`); each only when asked for (both are by default). `create_snapshot`
/// answers with the ids of everything retrieved.
pub async fn context_extras(
    store: &Store,
    tenant_id: &str,
    query: &str,
    user_id: Option<&str>,
    options: &ContextRequest,
    memories: &[Value],
) -> Result<ContextExtras> {
    let mut extras = ContextExtras {
        entities: Vec::new(),
        relationships: Vec::new(),
        decisions: Vec::new(),
        snapshot: None,
    };
    if options.include_graph.unwrap_or(true) {
        let found = store
            .search_entities(tenant_id, query, None, CONTEXT_ENTITIES, true)
            .await?;
        let seeds: Vec<String> = found.into_iter().map(|(e, _)| e.id).collect();
        if !seeds.is_empty() {
            let now = store.now();
            let walk = Walk {
                seeds: &seeds,
                max_depth: options.max_depth.unwrap_or(1),
                valid_at: Some(&now),
                relation_types: None,
            };
            if let Some(traversal) = store.traverse(tenant_id, &walk).await? {
                extras.entities = traversal.entities;
                extras.relationships = traversal.relationships;
            }
        }
    }
    if options.include_decisions.unwrap_or(true) {
        let similar = super::decisions::similar_decisions(
            store,
            tenant_id,
            query,
            user_id,
            CONTEXT_DECISIONS,
        )
        .await?;
        extras.decisions = similar
            .into_iter()
            .map(|(decision, score)| scored(decision, score))
            .collect();
    }
    if options.create_snapshot.unwrap_or(false) {
        let ids = |items: &[Value]| -> Vec<String> {
            items
                .iter()
                .filter_map(|m| m["id"].as_str().map(str::to_owned))
                .collect()
        };
        extras.snapshot = Some(ContextSnapshot {
            query: query.to_owned(),
            user_id: user_id.map(str::to_owned),
            memory_ids: ids(memories),
            entity_ids: extras
                .entities
                .iter()
                .map(|e| e.entity.id.clone())
                .collect(),
            decision_ids: ids(&extras.decisions),
            created_at: store.now(),
        });
    }
    Ok(extras)
}

/// A decision as a JSON object with its similarity `score`.
fn scored(decision: Decision, score: f64) -> Value {
    let mut object = match serde_json::to_value(decision) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    object.insert("score".into(), serde_json::json!(score));
    Value::Object(object)
}
