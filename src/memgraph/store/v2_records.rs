//! The v2 records (entities, relationships, decisions, contradictions, saved MCIS scores) in
//! export documents (docs/spec/memgraph.md §6.9): all of a tenant's, and an import's written
//! back in the import's transaction, after the beliefs the contradictions name.

use super::Store;
use super::contradictions::insert_contradiction;
use super::decisions::insert_decision;
use super::graph::{insert_entity, insert_relationship};
use super::memory::delete_own;
use crate::db;
use crate::error::Internal;
use crate::memgraph::model::ImportCounts;
use crate::memgraph::model::decisions::{ContradictionRecord, Decision};
use crate::memgraph::model::graph::{Entity, GraphExport, Relationship};
use crate::memgraph::model::intelligence::McisSnapshot;

/// The v2 records of an import document.
#[derive(Default)]
pub struct V2Import {
    pub entities: Vec<Entity>,
    pub relationships: Vec<Relationship>,
    pub decisions: Vec<Decision>,
    pub contradictions: Vec<ContradictionRecord>,
    pub mcis_history: Vec<McisSnapshot>,
}

impl Store {
    /// Every v2 record of a tenant, oldest first, as an export lists them.
    pub async fn v2_export(&self, tenant_id: &str) -> Result<GraphExport, Internal> {
        let (entities, relationships) = self.graph_export(tenant_id).await?;
        Ok(GraphExport {
            entities: Some(entities),
            relationships: Some(relationships),
            decisions: Some(self.decisions_export(tenant_id).await?),
            contradictions: Some(self.contradictions_export(tenant_id).await?),
            mcis_history: Some(self.mcis_export(tenant_id).await?),
        })
    }
}

/// Writes an import's v2 records into this tenant (whatever tenant they name). A record whose id
/// exists is skipped, or with `replace` deleted first when it is this tenant's (an entity's
/// relationships go with it, and come back if the document has them). A relationship whose
/// entities, or a contradiction whose beliefs, are not the tenant's is skipped.
pub(super) async fn import_v2(
    conn: &mut db::Connection,
    tenant_id: &str,
    data: &mut V2Import,
    replace: bool,
    imported: &mut ImportCounts,
    skipped: &mut ImportCounts,
) -> Result<(), db::Error> {
    for e in &mut data.entities {
        e.tenant_id = tenant_id.to_owned();
        if replace {
            delete_own(conn, "memgraph_entities", tenant_id, &e.id).await?;
        }
        let written = insert_entity(conn, e, true).await?;
        tally(written, &mut imported.entities, &mut skipped.entities);
    }
    for r in &mut data.relationships {
        r.tenant_id = tenant_id.to_owned();
        if replace {
            delete_own(conn, "memgraph_relationships", tenant_id, &r.id).await?;
        }
        let written = insert_relationship(conn, r, true).await?;
        tally(
            written,
            &mut imported.relationships,
            &mut skipped.relationships,
        );
    }
    for d in &mut data.decisions {
        d.tenant_id = tenant_id.to_owned();
        if replace {
            delete_own(conn, "memgraph_decisions", tenant_id, &d.id).await?;
        }
        let written = insert_decision(conn, d, true).await?;
        tally(written, &mut imported.decisions, &mut skipped.decisions);
    }
    for c in &mut data.contradictions {
        c.tenant_id = tenant_id.to_owned();
        if replace {
            delete_own(conn, "memgraph_contradictions", tenant_id, &c.id).await?;
        }
        let written = insert_contradiction(conn, c, true).await?;
        tally(
            written,
            &mut imported.contradictions,
            &mut skipped.contradictions,
        );
    }
    for m in &mut data.mcis_history {
        m.tenant_id = tenant_id.to_owned();
        if replace {
            delete_own(conn, "memgraph_mcis_snapshots", tenant_id, &m.id).await?;
        }
        let written = db::query(
            "INSERT OR IGNORE INTO memgraph_mcis_snapshots
                (id, tenant_id, user_id, mcis, grade, sub_scores, inputs, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&m.id)
        .bind(tenant_id)
        .bind(&m.user_id)
        .bind(m.mcis)
        .bind(&m.grade)
        .bind(serde_json::Value::Object(m.sub_scores.clone()).to_string())
        .bind(serde_json::Value::Object(m.inputs.clone()).to_string())
        .bind(&m.created_at)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        tally(
            written > 0,
            &mut imported.mcis_history,
            &mut skipped.mcis_history,
        );
    }
    Ok(())
}

fn tally(written: bool, imported: &mut i64, skipped: &mut i64) {
    if written {
        *imported += 1;
    } else {
        *skipped += 1;
    }
}

/// An entity as a fixture declares it (fixtures): a clash on its id, or on its type and name,
/// is a unique violation.
pub async fn insert_fixture_entity(conn: &mut db::Connection, e: &Entity) -> Result<(), db::Error> {
    insert_entity(conn, e, false).await.map(drop)
}

/// A relationship between two entities of its tenant (fixtures).
pub async fn insert_fixture_relationship(
    conn: &mut db::Connection,
    r: &Relationship,
) -> Result<(), db::Error> {
    insert_relationship(conn, r, false).await.map(drop)
}

/// A decision as a fixture declares it, outcome and all (fixtures).
pub async fn insert_fixture_decision(
    conn: &mut db::Connection,
    d: &Decision,
) -> Result<(), db::Error> {
    insert_decision(conn, d, false).await.map(drop)
}
