//! Contradictions' SQL: recorded by the belief write path, listed, settled. Every function takes
//! the tenant first.

use std::collections::HashMap;

use serde_json::{Value, json};
use uuid::Uuid;

use super::Store;
use super::decisions::beliefs_by_ids;
use crate::db;
use crate::error::Internal;
use crate::memgraph::model::Belief;
use crate::memgraph::model::decisions::{Contradiction, ContradictionRecord};

const CONTRADICTION_COLUMNS: &str = "id, tenant_id, subject_id, key, belief_a_id, belief_b_id,
    status, resolved_by, resolved_at, detected_at";

// The statements of the request paths, named so the plan test (`store.rs`) reads what runs.

/// A page of contradictions, newest first: tenant `?1`, and those of subject `?2` and status
/// `?3` that are given; at most `?4`.
fn contradictions_page(subject: bool, status: bool) -> String {
    let mut sql =
        format!("SELECT {CONTRADICTION_COLUMNS} FROM memgraph_contradictions WHERE tenant_id = ?1");
    if subject {
        sql.push_str(" AND subject_id = ?2");
    }
    if status {
        sql.push_str(" AND status = ?3");
    }
    sql.push_str(" ORDER BY detected_at DESC, id DESC LIMIT ?4");
    sql
}

fn contradiction_settle() -> String {
    format!(
        "UPDATE memgraph_contradictions SET status = ?, resolved_by = ?, resolved_at = ?
          WHERE tenant_id = ? AND id = ? RETURNING {CONTRADICTION_COLUMNS}"
    )
}

const OPEN_OF_SUBJECT: &str = "SELECT count(*) FROM memgraph_contradictions
    WHERE tenant_id = ? AND subject_id = ? AND status = 'open'";

/// The statements above, and whether each is given a filter beyond the tenant.
#[cfg(test)]
pub(super) fn statements() -> Vec<(String, bool)> {
    let mut all = vec![
        (contradiction_settle(), true),
        (OPEN_OF_SUBJECT.to_owned(), true),
    ];
    for (subject, status) in [(false, false), (false, true), (true, false), (true, true)] {
        all.push((contradictions_page(subject, status), subject || status));
    }
    all
}

/// The contradiction rule (emulator choice; docs/spec/memgraph.md §6.5, §7.3): a write that
/// supersedes an active belief with a different value records a contradiction between the two
/// versions (subject, key, the older as `belief_a_id`, the newer as `belief_b_id`), `open`. The
/// supersede rule has already made the newer one the active belief; a contradiction only
/// records that the memory changed its mind, for someone to resolve or dismiss. Writing the
/// same value again supersedes nothing and records nothing; `PATCH /v1/beliefs/{id}` edits in
/// place and records nothing either. A batch records all its contradictions in one statement.
pub(super) async fn record_on_supersede(
    conn: &mut db::Connection,
    tenant_id: &str,
    superseded: &[Superseded<'_>],
    now: &str,
) -> Result<(), db::Error> {
    let rows: Vec<Value> = superseded
        .iter()
        .filter(|s| s.older_value != s.newer.value)
        .map(|s| {
            json!([
                Uuid::new_v4().to_string(),
                s.newer.subject_id,
                s.newer.key,
                s.older_id,
                s.newer.id
            ])
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    db::query(
        "INSERT INTO memgraph_contradictions
            (id, tenant_id, subject_id, key, belief_a_id, belief_b_id, status, detected_at)
         SELECT r.value ->> 0, ?1, r.value ->> 1, r.value ->> 2, r.value ->> 3, r.value ->> 4,
                'open', ?2
           FROM json_each(?3) r",
    )
    .bind(tenant_id)
    .bind(now)
    .bind(Value::from(rows).to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// A belief version a write retired, and the version that took its place.
pub(super) struct Superseded<'a> {
    pub older_id: &'a str,
    pub older_value: &'a str,
    pub newer: &'a Belief,
}

/// Writes a contradiction as given when both its beliefs are this tenant's (`ignore`: skip it
/// when the id exists). Returns whether it was written.
pub(super) async fn insert_contradiction(
    conn: &mut db::Connection,
    c: &ContradictionRecord,
    ignore: bool,
) -> Result<bool, db::Error> {
    let verb = if ignore { "INSERT OR IGNORE" } else { "INSERT" };
    let written = db::query(&format!(
        "{verb} INTO memgraph_contradictions ({CONTRADICTION_COLUMNS})
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10
          WHERE ?7 IN ('open', 'resolved', 'dismissed')
            AND EXISTS (SELECT 1 FROM memgraph_beliefs WHERE id = ?5 AND tenant_id = ?2)
            AND EXISTS (SELECT 1 FROM memgraph_beliefs WHERE id = ?6 AND tenant_id = ?2)"
    ))
    .bind(&c.id)
    .bind(&c.tenant_id)
    .bind(&c.subject_id)
    .bind(&c.key)
    .bind(&c.belief_a_id)
    .bind(&c.belief_b_id)
    .bind(&c.status)
    .bind(&c.resolved_by)
    .bind(&c.resolved_at)
    .bind(&c.detected_at)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(written > 0)
}

/// Records with both their beliefs as they are now.
async fn with_beliefs(
    conn: &mut db::Connection,
    tenant_id: &str,
    records: Vec<ContradictionRecord>,
) -> Result<Vec<Contradiction>, db::Error> {
    let ids: Vec<String> = records
        .iter()
        .flat_map(|c| [c.belief_a_id.clone(), c.belief_b_id.clone()])
        .collect();
    let beliefs: HashMap<String, Belief> = beliefs_by_ids(conn, tenant_id, &ids)
        .await?
        .into_iter()
        .map(|b| (b.id.clone(), b))
        .collect();
    Ok(records
        .into_iter()
        .map(|c| {
            let pair = [&c.belief_a_id, &c.belief_b_id]
                .into_iter()
                .filter_map(|id| beliefs.get(id).cloned())
                .collect();
            Contradiction {
                id: c.id,
                subject_id: c.subject_id,
                key: c.key,
                belief_a_id: c.belief_a_id,
                belief_b_id: c.belief_b_id,
                beliefs: pair,
                resolution_status: c.status.clone(),
                status: c.status,
                resolved_by: c.resolved_by,
                resolved_at: c.resolved_at,
                detected_at: c.detected_at,
            }
        })
        .collect())
}

impl Store {
    /// Newest first, optionally of one status and one subject.
    pub async fn contradictions(
        &self,
        tenant_id: &str,
        status: Option<&str>,
        subject_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Contradiction>, Internal> {
        let sql = contradictions_page(subject_id.is_some(), status.is_some());
        let mut conn = self.session.db().acquire().await?;
        let records: Vec<ContradictionRecord> = db::query_as(&sql)
            .bind(tenant_id)
            .bind(subject_id)
            .bind(status)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?;
        Ok(with_beliefs(&mut conn, tenant_id, records).await?)
    }

    /// Sets a contradiction's status and who settled it. `None` when not the tenant's.
    pub async fn resolve_contradiction(
        &self,
        tenant_id: &str,
        id: &str,
        status: &str,
        resolved_by: &str,
    ) -> Result<Option<Contradiction>, Internal> {
        let mut tx = self.session.db().begin().await?;
        let record: Option<ContradictionRecord> = db::query_as(&contradiction_settle())
            .bind(status)
            .bind(resolved_by)
            .bind(self.now())
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(record) = record else {
            return Ok(None);
        };
        let mut listed = with_beliefs(&mut tx, tenant_id, vec![record]).await?;
        tx.commit().await?;
        Ok(listed.pop())
    }

    /// How many of one subject's contradictions are open (all subjects: the kept count).
    pub async fn open_contradictions(
        &self,
        tenant_id: &str,
        subject_id: Option<&str>,
    ) -> Result<i64, Internal> {
        let query = match subject_id {
            Some(subject) => db::query_scalar(OPEN_OF_SUBJECT)
                .bind(tenant_id)
                .bind(subject),
            None => db::query_scalar(
                "SELECT coalesce((SELECT open_contradictions FROM memgraph_tenant_counts
                                   WHERE tenant_id = ?), 0)",
            )
            .bind(tenant_id),
        };
        Ok(query.fetch_one(self.session.db()).await?)
    }

    /// All of a tenant's contradictions, oldest first.
    pub async fn contradictions_export(
        &self,
        tenant_id: &str,
    ) -> Result<Vec<ContradictionRecord>, Internal> {
        Ok(db::query_as(&format!(
            "SELECT {CONTRADICTION_COLUMNS} FROM memgraph_contradictions WHERE tenant_id = ?
              ORDER BY detected_at, id"
        ))
        .bind(tenant_id)
        .fetch_all(self.session.db())
        .await?)
    }
}
