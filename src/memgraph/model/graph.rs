//! The knowledge graph's wire types (docs/spec/memgraph.md §7.3): entities, relationships and
//! traversals, and the bodies and query strings that create and list them (each declared once:
//! the handler reads it, the OpenAPI document shows it).

use crate::db;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

/// A person, organisation, product... The SDK reads `id`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Entity {
    pub id: String,
    /// Rewritten to the importing tenant, so an import need not carry it.
    #[serde(default)]
    pub tenant_id: String,
    pub entity_type: String,
    pub name: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub properties: Map<String, Value>,
    pub created_at: String,
    pub updated_at: String,
}

impl db::FromRow for Entity {
    fn from_row(row: &impl db::Columns) -> rusqlite::Result<Self> {
        Ok(Entity {
            id: row.column("id")?,
            tenant_id: row.column("tenant_id")?,
            entity_type: row.column("entity_type")?,
            name: row.column("name")?,
            aliases: row.column::<db::Json<_>>("aliases")?.0,
            properties: row.column::<db::Json<_>>("properties")?.0,
            created_at: row.column("created_at")?,
            updated_at: row.column("updated_at")?,
        })
    }
}

/// A directed, typed edge between two entities of one tenant, valid in a time window.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Relationship {
    pub id: String,
    #[serde(default)]
    pub tenant_id: String,
    pub source_entity_id: String,
    pub target_entity_id: String,
    pub relation_type: String,
    pub confidence: f64,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    #[serde(default)]
    pub evidence_sources: Vec<String>,
    pub created_at: String,
}

impl db::FromRow for Relationship {
    fn from_row(row: &impl db::Columns) -> rusqlite::Result<Self> {
        Ok(Relationship {
            id: row.column("id")?,
            tenant_id: row.column("tenant_id")?,
            source_entity_id: row.column("source_entity_id")?,
            target_entity_id: row.column("target_entity_id")?,
            relation_type: row.column("relation_type")?,
            confidence: row.column("confidence")?,
            valid_from: row.column("valid_from")?,
            valid_to: row.column("valid_to")?,
            evidence_sources: row.column::<db::Json<_>>("evidence_sources")?.0,
            created_at: row.column("created_at")?,
        })
    }
}

/// `POST /v2/entities/search` items: the entity and how well it matched (0..1).
#[derive(Debug, Serialize, ToSchema)]
pub struct EntityMatch {
    #[serde(flatten)]
    pub entity: Entity,
    pub score: f64,
}

/// An entity reached by a traversal, with its distance from the nearest seed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reached {
    #[serde(flatten)]
    pub entity: Entity,
    pub depth: i64,
}

/// `POST /v2/graph/traverse`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Traversal {
    pub seed_entity_ids: Vec<String>,
    pub max_depth: i64,
    pub temporal_filter: bool,
    /// Seeds first (depth 0), then by depth.
    pub entities: Vec<Reached>,
    /// The relationships followed, between entities of `entities`.
    pub relationships: Vec<Relationship>,
    /// Whether the walk stopped at its bounds (fan-out per entity, entities in all).
    pub truncated: bool,
}

/// `DELETE /v2/entities/{id}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntityDeleted {
    pub status: &'static str,
    pub id: String,
    /// Its relationships, deleted with it.
    pub relationships_deleted: u64,
}

// ---- requests ----------------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateEntity {
    /// `person`, `organization`, `product`, ...
    pub entity_type: String,
    /// An entity of the same type and name (any case) is resolved to the existing one, which
    /// takes on the new aliases and properties.
    pub name: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub properties: Option<Map<String, Value>>,
    pub aliases: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EntityQuery {
    pub entity_type: Option<String>,
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SearchEntities {
    /// Words matched against the words of names and aliases (a word may be cut short).
    pub query: String,
    #[schema(minimum = 1, maximum = 100, default = 5)]
    pub max_results: Option<i64>,
    pub entity_type: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateRelationship {
    pub source_entity_id: String,
    pub target_entity_id: String,
    pub relation_type: String,
    /// 1.0 when left out.
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub confidence: Option<f64>,
    #[schema(format = DateTime)]
    pub valid_from: Option<String>,
    #[schema(format = DateTime)]
    pub valid_to: Option<String>,
    pub evidence_sources: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RelationshipQuery {
    /// Relationships from or to this entity.
    pub entity_id: Option<String>,
    pub relation_type: Option<String>,
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TraverseRequest {
    /// Where the walk starts; each must be one of the caller's entities.
    #[schema(min_items = 1, max_items = 50)]
    pub entity_ids: Vec<String>,
    #[schema(minimum = 1, maximum = 5, default = 2)]
    pub max_depth: Option<i64>,
    /// Follow only relationships valid now (`valid_from` ≤ now < `valid_to`); true by default.
    pub temporal_filter: Option<bool>,
    /// Follow only these relation types.
    pub relation_types: Option<Vec<String>>,
}

/// `/v2/context` with `create_snapshot`: what the answer held, to cite in a decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContextSnapshot {
    pub query: String,
    pub user_id: Option<String>,
    pub memory_ids: Vec<String>,
    pub entity_ids: Vec<String>,
    pub decision_ids: Vec<String>,
    pub created_at: String,
}

/// The v2 records of an export document (docs/spec/memgraph.md §6.9), which import reads back;
/// each list is left out when `?include=` does not name it.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct GraphExport {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entities: Option<Vec<Entity>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relationships: Option<Vec<Relationship>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decisions: Option<Vec<super::decisions::Decision>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contradictions: Option<Vec<super::decisions::ContradictionRecord>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mcis_history: Option<Vec<super::intelligence::McisSnapshot>>,
}
