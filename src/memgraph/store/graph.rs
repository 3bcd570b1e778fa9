//! The knowledge graph's SQL: entities (and the words of their names, which search looks up),
//! relationships, and walks over them. Every function takes the tenant first.
//!
//! Costs follow what is returned, never what is stored: lists read one index range up to their
//! limit; search reads, per query word, at most [`TERM_FAN_OUT`] index entries; a walk reads at
//! most [`EDGE_FAN_OUT`] relationships each way per entity and stops at [`WALK_MAX_ENTITIES`].

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};
use uuid::Uuid;

use super::Store;
use crate::db;
use crate::error::Internal;
use crate::memgraph::model::graph::{Entity, Reached, Relationship, Traversal};
use crate::memgraph::search;

const ENTITY_COLUMNS: &str =
    "id, tenant_id, entity_type, name, aliases, properties, created_at, updated_at";
const RELATIONSHIP_COLUMNS: &str =
    "id, tenant_id, source_entity_id, target_entity_id, relation_type,
    confidence, valid_from, valid_to, evidence_sources, created_at";

/// Index entries read per query word (a word cut short can match many).
pub const TERM_FAN_OUT: i64 = 200;
/// Query words looked up.
const MAX_QUERY_TERMS: usize = 8;
/// Relationships followed per entity and direction on a walk.
pub const EDGE_FAN_OUT: i64 = 50;
/// Entities a walk reaches at most.
pub const WALK_MAX_ENTITIES: usize = 500;

// The statements of the request paths, named so the plan test (`store.rs`) reads what runs.

/// The tenant's entity of one type and name (entity resolution).
const ENTITY_BY_NAME: &str =
    "SELECT id FROM memgraph_entities WHERE tenant_id = ? AND entity_type = ? AND name_key = ?";

fn entity_by_id() -> String {
    format!("SELECT {ENTITY_COLUMNS} FROM memgraph_entities WHERE tenant_id = ? AND id = ?")
}

fn entities_page(typed: bool) -> String {
    let typed = if typed { "AND entity_type = ?" } else { "" };
    format!(
        "SELECT {ENTITY_COLUMNS} FROM memgraph_entities WHERE tenant_id = ? {typed}
          ORDER BY created_at DESC, id DESC LIMIT ?"
    )
}

/// Entries of one word (`?2`), or of the words from `?2` up to `?3` (those it starts).
const TERM_EQUAL: &str = "SELECT term, entity_id FROM memgraph_entity_terms
    WHERE tenant_id = ?1 AND term = ?2 LIMIT ?4";
const TERM_PREFIX: &str = "SELECT term, entity_id FROM memgraph_entity_terms
    WHERE tenant_id = ?1 AND term >= ?2 AND term < ?3 LIMIT ?4";

/// Entities named in a JSON array (`?2`) of one tenant (`?1`), of one type (`?3`) if given.
/// The unary `+` keeps the planner from reading the tenant's entities to find them.
fn entities_by_ids() -> String {
    format!(
        "SELECT {ENTITY_COLUMNS} FROM memgraph_entities
          WHERE id IN (SELECT value FROM json_each(?2)) AND +tenant_id = ?1
            AND (?3 IS NULL OR entity_type = ?3)"
    )
}

/// An entity's relationships, each direction through its own index (the `+` keeps the planner
/// from reading the tenant's relationships instead).
const EDGES_OF_ENTITY_DELETE: &str = "DELETE FROM memgraph_relationships
    WHERE +tenant_id = ?1 AND (source_entity_id = ?2 OR target_entity_id = ?2)";

const ENTITY_DELETE: &str = "DELETE FROM memgraph_entities WHERE tenant_id = ? AND id = ?";

const ENTITY_UPDATE: &str =
    "UPDATE memgraph_entities SET aliases = ?, properties = ?, updated_at = ? WHERE id = ?";

const TERMS_OF_ENTITY_DELETE: &str = "DELETE FROM memgraph_entity_terms WHERE entity_id = ?";

fn relationships_page(typed: bool) -> String {
    let typed = if typed { "AND relation_type = ?" } else { "" };
    format!(
        "SELECT {RELATIONSHIP_COLUMNS} FROM memgraph_relationships WHERE tenant_id = ? {typed}
          ORDER BY created_at DESC, id DESC LIMIT ?"
    )
}

/// One entity's (`?1`) relationships of tenant `?2`, newest first, at most `?5` each way,
/// optionally of one type (`?3`) and valid at a time (`?4`).
fn edges_of_entity() -> String {
    const FILTER: &str = "tenant_id = ?2 AND (?3 IS NULL OR relation_type = ?3)
        AND (?4 IS NULL OR ((valid_from IS NULL OR valid_from <= ?4) AND (valid_to IS NULL OR valid_to > ?4)))";
    format!(
        "SELECT * FROM (SELECT {RELATIONSHIP_COLUMNS} FROM memgraph_relationships
                         WHERE source_entity_id = ?1 AND {FILTER}
                         ORDER BY created_at DESC, id DESC LIMIT ?5)
         UNION ALL
         SELECT * FROM (SELECT {RELATIONSHIP_COLUMNS} FROM memgraph_relationships
                         WHERE target_entity_id = ?1 AND source_entity_id <> ?1 AND {FILTER}
                         ORDER BY created_at DESC, id DESC LIMIT ?5)"
    )
}

fn insert_relationship_sql(verb: &str) -> String {
    format!(
        "{verb} INTO memgraph_relationships ({RELATIONSHIP_COLUMNS})
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10
          WHERE EXISTS (SELECT 1 FROM memgraph_entities WHERE id = ?3 AND tenant_id = ?2)
            AND EXISTS (SELECT 1 FROM memgraph_entities WHERE id = ?4 AND tenant_id = ?2)"
    )
}

/// The statements above, and whether each is given a filter beyond the tenant.
#[cfg(test)]
pub(super) fn statements() -> Vec<(String, bool)> {
    let mut all = vec![
        (ENTITY_BY_NAME.to_owned(), true),
        (entity_by_id(), true),
        (TERM_EQUAL.to_owned(), true),
        // Its filter is the range of words, which the key serves after the tenant.
        (TERM_PREFIX.to_owned(), false),
        (entities_by_ids(), true),
        (EDGES_OF_ENTITY_DELETE.to_owned(), true),
        (ENTITY_DELETE.to_owned(), true),
        (ENTITY_UPDATE.to_owned(), true),
        (TERMS_OF_ENTITY_DELETE.to_owned(), true),
        (edges_of_entity(), true),
        (insert_relationship_sql("INSERT"), true),
    ];
    for typed in [false, true] {
        all.push((entities_page(typed), typed));
        all.push((relationships_page(typed), typed));
    }
    all
}

pub struct NewEntity {
    pub entity_type: String,
    pub name: Option<String>,
    pub aliases: Vec<String>,
    pub properties: Map<String, Value>,
}

pub struct NewRelationship {
    pub source_entity_id: String,
    pub target_entity_id: String,
    pub relation_type: String,
    pub confidence: f64,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    pub evidence_sources: Vec<String>,
}

/// How a walk goes.
pub struct Walk<'a> {
    pub seeds: &'a [String],
    pub max_depth: i64,
    /// Only relationships valid at this time.
    pub valid_at: Option<&'a str>,
    pub relation_types: Option<&'a [String]>,
}

/// The key entity resolution compares names by.
fn name_key(name: Option<&str>) -> Option<String> {
    name.map(|n| n.trim().to_lowercase())
        .filter(|n| !n.is_empty())
}

/// The words search finds an entity by: those of its name and aliases (as `search::words`
/// makes them, so a query matches the way belief search does).
fn entity_terms(e: &Entity) -> HashSet<String> {
    e.name
        .iter()
        .chain(&e.aliases)
        .flat_map(|text| search::words(text).collect::<Vec<_>>())
        .collect()
}

/// Writes an entity with its words (`ignore`: skip it when the id, or its type and name, exist).
/// Returns whether it was written.
pub(super) async fn insert_entity(
    conn: &mut db::Connection,
    e: &Entity,
    ignore: bool,
) -> Result<bool, db::Error> {
    let verb = if ignore { "INSERT OR IGNORE" } else { "INSERT" };
    let written = db::query(&format!(
        "{verb} INTO memgraph_entities
            (id, tenant_id, entity_type, name, name_key, aliases, properties, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(&e.id)
    .bind(&e.tenant_id)
    .bind(&e.entity_type)
    .bind(&e.name)
    .bind(name_key(e.name.as_deref()))
    .bind(Value::from(e.aliases.clone()).to_string())
    .bind(Value::Object(e.properties.clone()).to_string())
    .bind(&e.created_at)
    .bind(&e.updated_at)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if written > 0 {
        index_terms(conn, e).await?;
    }
    Ok(written > 0)
}

async fn index_terms(conn: &mut db::Connection, e: &Entity) -> Result<(), db::Error> {
    db::query(TERMS_OF_ENTITY_DELETE)
        .bind(&e.id)
        .execute(&mut *conn)
        .await?;
    for term in entity_terms(e) {
        db::query(
            "INSERT OR IGNORE INTO memgraph_entity_terms (tenant_id, term, entity_id) VALUES (?, ?, ?)",
        )
        .bind(&e.tenant_id)
        .bind(term)
        .bind(&e.id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Writes a relationship as given when both its entities are this tenant's (`ignore`: skip it
/// when the id exists). Returns whether it was written.
pub(super) async fn insert_relationship(
    conn: &mut db::Connection,
    r: &Relationship,
    ignore: bool,
) -> Result<bool, db::Error> {
    let verb = if ignore { "INSERT OR IGNORE" } else { "INSERT" };
    let written = db::query(&insert_relationship_sql(verb))
        .bind(&r.id)
        .bind(&r.tenant_id)
        .bind(&r.source_entity_id)
        .bind(&r.target_entity_id)
        .bind(&r.relation_type)
        .bind(r.confidence)
        .bind(&r.valid_from)
        .bind(&r.valid_to)
        .bind(Value::from(r.evidence_sources.clone()).to_string())
        .bind(&r.created_at)
        .execute(conn)
        .await?
        .rows_affected();
    Ok(written > 0)
}

async fn fetch_entity(
    conn: &mut db::Connection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<Entity>, db::Error> {
    db::query_as(&entity_by_id())
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(conn)
        .await
}

impl Store {
    /// Creates an entity, or resolves it to the tenant's entity of the same type and name (any
    /// case), which takes on the new aliases and properties (emulator choice: the real service
    /// resolves entities; the rule here is the exact name).
    pub async fn create_entity(
        &self,
        tenant_id: &str,
        new: &NewEntity,
    ) -> Result<Entity, Internal> {
        let now = self.now();
        let mut tx = self.session.db().begin().await?;
        let existing: Option<String> = match name_key(new.name.as_deref()) {
            Some(key) => {
                db::query_scalar(ENTITY_BY_NAME)
                    .bind(tenant_id)
                    .bind(&new.entity_type)
                    .bind(key)
                    .fetch_optional(&mut *tx)
                    .await?
            }
            None => None,
        };
        let entity = match existing {
            Some(id) => {
                let mut entity = fetch_entity(&mut tx, tenant_id, &id)
                    .await?
                    .ok_or_else(|| Internal::msg("resolved entity vanished"))?;
                for alias in &new.aliases {
                    let known = |a: &String| a.to_lowercase() == alias.to_lowercase();
                    if !entity.aliases.iter().any(known) {
                        entity.aliases.push(alias.clone());
                    }
                }
                for (k, v) in &new.properties {
                    entity.properties.insert(k.clone(), v.clone());
                }
                entity.updated_at = now;
                db::query(ENTITY_UPDATE)
                    .bind(Value::from(entity.aliases.clone()).to_string())
                    .bind(Value::Object(entity.properties.clone()).to_string())
                    .bind(&entity.updated_at)
                    .bind(&entity.id)
                    .execute(&mut *tx)
                    .await?;
                index_terms(&mut tx, &entity).await?;
                entity
            }
            None => {
                let entity = Entity {
                    id: Uuid::new_v4().to_string(),
                    tenant_id: tenant_id.to_owned(),
                    entity_type: new.entity_type.clone(),
                    name: new.name.clone(),
                    aliases: new.aliases.clone(),
                    properties: new.properties.clone(),
                    created_at: now.clone(),
                    updated_at: now,
                };
                insert_entity(&mut tx, &entity, false).await?;
                entity
            }
        };
        tx.commit().await?;
        Ok(entity)
    }

    pub async fn entity(&self, tenant_id: &str, id: &str) -> Result<Option<Entity>, Internal> {
        let mut conn = self.session.db().acquire().await?;
        Ok(fetch_entity(&mut conn, tenant_id, id).await?)
    }

    /// Newest first. Two statements, so each reads its own index.
    pub async fn entities(
        &self,
        tenant_id: &str,
        entity_type: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Entity>, Internal> {
        let sql = entities_page(entity_type.is_some());
        let mut query = db::query_as(&sql).bind(tenant_id);
        if let Some(t) = entity_type {
            query = query.bind(t);
        }
        Ok(query.bind(limit).fetch_all(self.session.db()).await?)
    }

    /// The tenant's entities whose name or alias words start with the query's words, best
    /// first. A query word equal to a word counts 1, one that only starts it counts ½; the score
    /// is their sum over the query's words (0..1). Ties: a name equal to the whole query first,
    /// then by name and id. With `whole_words`, only equal words count (context retrieval, where
    /// the query is a sentence).
    pub async fn search_entities(
        &self,
        tenant_id: &str,
        query: &str,
        entity_type: Option<&str>,
        max_results: usize,
        whole_words: bool,
    ) -> Result<Vec<(Entity, f64)>, Internal> {
        let terms: Vec<String> = search::terms(query)
            .into_iter()
            .take(MAX_QUERY_TERMS)
            .collect();
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let db = self.session.db();
        // Per entity, the best weight each query word found.
        let mut weights: HashMap<String, Vec<f64>> = HashMap::new();
        for (i, term) in terms.iter().enumerate() {
            // Every word starting with `term` sorts between it and it + the last code point.
            let rows: Vec<(String, String)> =
                db::query_as(if whole_words { TERM_EQUAL } else { TERM_PREFIX })
                    .bind(tenant_id)
                    .bind(term)
                    .bind(format!("{term}\u{10FFFF}"))
                    .bind(TERM_FAN_OUT)
                    .fetch_all(db)
                    .await?;
            for (word, entity_id) in rows {
                let weight = if word == *term { 1.0 } else { 0.5 };
                let slot = &mut weights
                    .entry(entity_id)
                    .or_insert_with(|| vec![0.0; terms.len()])[i];
                *slot = f64::max(*slot, weight);
            }
        }
        if weights.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<&String> = weights.keys().collect();
        let entities: Vec<Entity> = db::query_as(&entities_by_ids())
            .bind(tenant_id)
            .bind(serde_json::to_string(&ids)?)
            .bind(entity_type)
            .fetch_all(db)
            .await?;
        let whole_query = terms.join(" ");
        let equals_query = |e: &Entity| {
            e.name.iter().chain(&e.aliases).any(|n| {
                let words: Vec<String> = search::words(n).collect();
                words.join(" ") == whole_query
            })
        };
        let mut scored: Vec<(Entity, f64, bool)> = entities
            .into_iter()
            .map(|e| {
                let sum: f64 = weights.get(&e.id).map_or(0.0, |w| w.iter().sum());
                let score = (sum / terms.len() as f64 * 10_000.0).round() / 10_000.0;
                let exact = equals_query(&e);
                (e, score, exact)
            })
            .collect();
        scored.sort_by(|a, b| {
            b.1.total_cmp(&a.1)
                .then(b.2.cmp(&a.2))
                .then_with(|| a.0.name.cmp(&b.0.name))
                .then_with(|| a.0.id.cmp(&b.0.id))
        });
        scored.truncate(max_results);
        Ok(scored.into_iter().map(|(e, s, _)| (e, s)).collect())
    }

    /// Deletes an entity and its relationships; `None` when not found, else how many
    /// relationships went with it.
    pub async fn delete_entity(&self, tenant_id: &str, id: &str) -> Result<Option<u64>, Internal> {
        let mut tx = self.session.db().begin().await?;
        let edges = db::query(EDGES_OF_ENTITY_DELETE)
            .bind(tenant_id)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let deleted = db::query(ENTITY_DELETE)
            .bind(tenant_id)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if deleted == 0 {
            return Ok(None);
        }
        tx.commit().await?;
        Ok(Some(edges))
    }

    /// Creates a relationship between two of the tenant's entities; `None` when either is not
    /// the tenant's.
    pub async fn create_relationship(
        &self,
        tenant_id: &str,
        new: &NewRelationship,
    ) -> Result<Option<Relationship>, Internal> {
        let relationship = Relationship {
            id: Uuid::new_v4().to_string(),
            tenant_id: tenant_id.to_owned(),
            source_entity_id: new.source_entity_id.clone(),
            target_entity_id: new.target_entity_id.clone(),
            relation_type: new.relation_type.clone(),
            confidence: new.confidence,
            valid_from: new.valid_from.clone(),
            valid_to: new.valid_to.clone(),
            evidence_sources: new.evidence_sources.clone(),
            created_at: self.now(),
        };
        let mut conn = self.session.db().acquire().await?;
        let written = insert_relationship(&mut conn, &relationship, false).await?;
        Ok(written.then_some(relationship))
    }

    /// Newest first: all of the tenant's, or those from or to one entity (the two directions
    /// read from their own indexes, then merged), optionally of one type.
    pub async fn relationships(
        &self,
        tenant_id: &str,
        entity_id: Option<&str>,
        relation_type: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Relationship>, Internal> {
        let db = self.session.db();
        let mut found: Vec<Relationship> = match (entity_id, relation_type) {
            (Some(entity), _) => {
                let mut conn = db.acquire().await?;
                edges_of(&mut conn, tenant_id, entity, relation_type, None, limit).await?
            }
            (None, relation_type) => {
                let sql = relationships_page(relation_type.is_some());
                let mut query = db::query_as(&sql).bind(tenant_id);
                if let Some(t) = relation_type {
                    query = query.bind(t);
                }
                query.bind(limit).fetch_all(db).await?
            }
        };
        found.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(found)
    }

    /// A breadth-first walk from the seeds along relationships in both directions, up to
    /// `max_depth` steps. `None` when a seed is not one of the tenant's entities.
    pub async fn traverse(
        &self,
        tenant_id: &str,
        walk: &Walk<'_>,
    ) -> Result<Option<Traversal>, Internal> {
        let mut conn = self.session.db().acquire().await?;
        let mut depth_of: HashMap<String, i64> = HashMap::new();
        let mut order: Vec<String> = Vec::new();
        for seed in walk.seeds {
            if fetch_entity(&mut conn, tenant_id, seed).await?.is_none() {
                return Ok(None);
            }
            if depth_of.insert(seed.clone(), 0).is_none() {
                order.push(seed.clone());
            }
        }
        let mut edges: Vec<Relationship> = Vec::new();
        let mut seen_edges: HashSet<String> = HashSet::new();
        let mut truncated = false;
        let mut frontier: Vec<String> = order.clone();
        for depth in 1..=walk.max_depth {
            let mut next = Vec::new();
            for node in &frontier {
                let found = edges_of(
                    &mut conn,
                    tenant_id,
                    node,
                    None,
                    walk.valid_at,
                    EDGE_FAN_OUT,
                )
                .await?;
                let outgoing = found.iter().filter(|e| e.source_entity_id == *node).count();
                if outgoing as i64 >= EDGE_FAN_OUT
                    || (found.len() - outgoing) as i64 >= EDGE_FAN_OUT
                {
                    truncated = true;
                }
                for edge in found {
                    if walk
                        .relation_types
                        .is_some_and(|types| !types.contains(&edge.relation_type))
                    {
                        continue;
                    }
                    let other = if edge.source_entity_id == *node {
                        edge.target_entity_id.clone()
                    } else {
                        edge.source_entity_id.clone()
                    };
                    if !depth_of.contains_key(&other) {
                        if depth_of.len() >= WALK_MAX_ENTITIES {
                            truncated = true;
                            continue;
                        }
                        depth_of.insert(other.clone(), depth);
                        order.push(other.clone());
                        next.push(other);
                    }
                    if seen_edges.insert(edge.id.clone()) {
                        edges.push(edge);
                    }
                }
            }
            frontier = next;
        }
        edges.retain(|e| {
            depth_of.contains_key(&e.source_entity_id) && depth_of.contains_key(&e.target_entity_id)
        });
        let mut by_id: HashMap<String, Entity> = HashMap::new();
        for chunk in order.chunks(200) {
            let found: Vec<Entity> = db::query_as(&entities_by_ids())
                .bind(tenant_id)
                .bind(serde_json::to_string(chunk)?)
                .bind(None::<&str>)
                .fetch_all(&mut *conn)
                .await?;
            by_id.extend(found.into_iter().map(|e| (e.id.clone(), e)));
        }
        let entities = order
            .iter()
            .filter_map(|id| {
                let entity = by_id.remove(id)?;
                Some(Reached {
                    depth: depth_of.get(id).copied().unwrap_or(0),
                    entity,
                })
            })
            .collect();
        Ok(Some(Traversal {
            seed_entity_ids: walk.seeds.to_vec(),
            max_depth: walk.max_depth,
            temporal_filter: walk.valid_at.is_some(),
            entities,
            relationships: edges,
            truncated,
        }))
    }

    // ---- export and import ---------------------------------------------------------------

    /// All of a tenant's entities and relationships, oldest first.
    pub async fn graph_export(
        &self,
        tenant_id: &str,
    ) -> Result<(Vec<Entity>, Vec<Relationship>), Internal> {
        let db = self.session.db();
        let entities = db::query_as(&format!(
            "SELECT {ENTITY_COLUMNS} FROM memgraph_entities WHERE tenant_id = ?
              ORDER BY created_at, id"
        ))
        .bind(tenant_id)
        .fetch_all(db)
        .await?;
        let relationships = db::query_as(&format!(
            "SELECT {RELATIONSHIP_COLUMNS} FROM memgraph_relationships WHERE tenant_id = ?
              ORDER BY created_at, id"
        ))
        .bind(tenant_id)
        .fetch_all(db)
        .await?;
        Ok((entities, relationships))
    }
}

/// One entity's relationships, newest first, at most `limit`: those it starts and those it ends
/// (a loop only once), each read from its own index.
async fn edges_of(
    conn: &mut db::Connection,
    tenant_id: &str,
    entity_id: &str,
    relation_type: Option<&str>,
    valid_at: Option<&str>,
    limit: i64,
) -> Result<Vec<Relationship>, db::Error> {
    let mut edges: Vec<Relationship> = db::query_as(&edges_of_entity())
        .bind(entity_id)
        .bind(tenant_id)
        .bind(relation_type)
        .bind(valid_at)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    edges.sort_by(|a, b| (&b.created_at, &b.id).cmp(&(&a.created_at, &a.id)));
    Ok(edges)
}
