//! A backend's SQL: found by uid, subdomain or API key, its schema, data, lambda logs, exports
//! and restores. Statements take the deployment first: a data-plane caller proved itself with the
//! deployment's own tokens.

use super::{Store, deployment_columns};
use crate::db;
use crate::dgraph::model::{ApiKeyRole, Deployment, ExportTask, Restore};
use crate::error::Internal;

pub(super) const DEPLOYMENT: &str = concat!(
    "SELECT ",
    deployment_columns!(),
    " FROM dgraph_deployments WHERE uid = ?"
);
pub(super) const DEPLOYMENT_BY_SUBDOMAIN: &str = concat!(
    "SELECT ",
    deployment_columns!(),
    " FROM dgraph_deployments WHERE subdomain = ?"
);
pub(super) const API_KEY_ROLE: &str =
    "SELECT role FROM dgraph_api_keys WHERE key_hash = ? AND deployment_uid = ?";
pub(super) const NODES: &str =
    "SELECT id, body FROM dgraph_nodes WHERE deployment_uid = ? ORDER BY id";
/// One page of the objects of one type, in creation order: those typed by a string through one
/// index, those typed by a list (DQL mutations may send one) through another, merged by id.
/// Both index expressions are in migration 0061, written the same way.
pub(super) const NODES_OF_TYPE: &str = "SELECT id, body FROM dgraph_nodes
     WHERE deployment_uid = ?1
       AND (CASE WHEN json_valid(body) THEN json_extract(body, '$.\"dgraph.type\"') END) = ?2
     UNION ALL
     SELECT id, body FROM dgraph_nodes
     WHERE deployment_uid = ?1
       AND (CASE WHEN json_valid(body) THEN json_type(body, '$.\"dgraph.type\"') END) = 'array'
       AND EXISTS (SELECT 1 FROM json_each(body, '$.\"dgraph.type\"') WHERE value = ?2)
     ORDER BY id LIMIT ?3 OFFSET ?4";
pub(super) const NODE: &str = "SELECT body FROM dgraph_nodes WHERE id = ? AND deployment_uid = ?";
pub(super) const NODE_COUNT: &str = "SELECT count(*) FROM dgraph_nodes WHERE deployment_uid = ?";
pub(super) const LAMBDA_LOGS: &str = "SELECT line FROM dgraph_lambda_logs
     WHERE deployment_uid = ? AND at >= ? AND at < ? ORDER BY at, id";
pub(super) const EXPORT_TASK: &str =
    "SELECT task_id, export_id, format, created_at, ready_at FROM dgraph_exports
     WHERE task_id = ? AND deployment_uid = ?";
pub(super) const EXPORT_FILE_NAMES: &str =
    "SELECT name FROM dgraph_export_files WHERE task_id = ? ORDER BY name";
pub(super) const EXPORT_FILE: &str =
    "SELECT content FROM dgraph_export_files WHERE task_id = ? AND name = ?";
pub(super) const RESTORE: &str =
    "SELECT ready_at FROM dgraph_restores WHERE id = ? AND deployment_uid = ?";

impl Store {
    /// A deployment by uid, for the data plane (whose callers prove themselves with its tokens).
    pub async fn deployment(&self, uid: &str) -> Result<Option<Deployment>, Internal> {
        Ok(db::query_as(DEPLOYMENT)
            .bind(uid)
            .fetch_optional(self.session.db())
            .await?)
    }

    pub async fn deployment_by_subdomain(
        &self,
        subdomain: &str,
    ) -> Result<Option<Deployment>, Internal> {
        Ok(db::query_as(DEPLOYMENT_BY_SUBDOMAIN)
            .bind(subdomain)
            .fetch_optional(self.session.db())
            .await?)
    }

    /// The role of the key with that hash, when it belongs to the deployment.
    pub async fn api_key_role(
        &self,
        deployment_uid: &str,
        key_hash: &str,
    ) -> Result<Option<ApiKeyRole>, Internal> {
        let role: Option<String> = db::query_scalar(API_KEY_ROLE)
            .bind(key_hash)
            .bind(deployment_uid)
            .fetch_optional(self.session.db())
            .await?;
        Ok(role.map(|r| {
            if r == "admin" {
                ApiKeyRole::Admin
            } else {
                ApiKeyRole::Client
            }
        }))
    }

    pub async fn set_frozen(&self, uid: &str, at: &str) -> Result<(), Internal> {
        db::query("UPDATE dgraph_deployments SET frozen_at = ? WHERE uid = ?")
            .bind(at)
            .bind(uid)
            .execute(self.session.db())
            .await?;
        Ok(())
    }

    /// Log lines written at or after `start` and before `end` (ISO times), oldest first.
    pub async fn lambda_logs(
        &self,
        uid: &str,
        start: &str,
        end: &str,
    ) -> Result<Vec<String>, Internal> {
        Ok(db::query_scalar(LAMBDA_LOGS)
            .bind(uid)
            .bind(start)
            .bind(end)
            .fetch_all(self.session.db())
            .await?)
    }

    // --- schema and data ---

    pub async fn set_schema(&self, uid: &str, schema: Option<&str>) -> Result<(), Internal> {
        db::query("UPDATE dgraph_deployments SET gql_schema = ? WHERE uid = ?")
            .bind(schema)
            .bind(uid)
            .execute(self.session.db())
            .await?;
        Ok(())
    }

    /// Stores the objects, in order; their ids.
    pub async fn insert_nodes(&self, uid: &str, nodes: &[String]) -> Result<Vec<i64>, Internal> {
        let mut tx = self.begin().await?;
        let mut ids = Vec::with_capacity(nodes.len());
        for body in nodes {
            let id: i64 = db::query_scalar(
                "INSERT INTO dgraph_nodes (deployment_uid, body) VALUES (?, ?) RETURNING id",
            )
            .bind(uid)
            .bind(body)
            .fetch_one(&mut *tx)
            .await?;
            ids.push(id);
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// The objects of type `ty`, `first` of them after `offset`, in creation order.
    pub async fn nodes_of_type(
        &self,
        uid: &str,
        ty: &str,
        first: usize,
        offset: usize,
    ) -> Result<Vec<(i64, String)>, Internal> {
        let bound = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        Ok(db::query_as(NODES_OF_TYPE)
            .bind(uid)
            .bind(ty)
            .bind(bound(first))
            .bind(bound(offset))
            .fetch_all(self.session.db())
            .await?)
    }

    /// One object by id, whatever its type.
    pub async fn node(&self, uid: &str, id: i64) -> Result<Option<String>, Internal> {
        Ok(db::query_scalar(NODE)
            .bind(id)
            .bind(uid)
            .fetch_optional(self.session.db())
            .await?)
    }

    pub async fn node_count(&self, uid: &str) -> Result<i64, Internal> {
        Ok(db::query_scalar(NODE_COUNT)
            .bind(uid)
            .fetch_one(self.session.db())
            .await?)
    }

    pub async fn nodes(&self, uid: &str) -> Result<Vec<(i64, String)>, Internal> {
        Ok(db::query_as(NODES)
            .bind(uid)
            .fetch_all(self.session.db())
            .await?)
    }

    /// Replaces the bodies of the given nodes and deletes others, in one transaction.
    pub async fn rewrite_nodes(
        &self,
        uid: &str,
        updated: &[(i64, String)],
        deleted: &[i64],
    ) -> Result<(), Internal> {
        let mut tx = self.begin().await?;
        for (id, body) in updated {
            db::query("UPDATE dgraph_nodes SET body = ? WHERE id = ? AND deployment_uid = ?")
                .bind(body)
                .bind(id)
                .bind(uid)
                .execute(&mut *tx)
                .await?;
        }
        for id in deleted {
            db::query("DELETE FROM dgraph_nodes WHERE id = ? AND deployment_uid = ?")
                .bind(id)
                .bind(uid)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Drops all data, and the schema too when asked.
    pub async fn drop_all(&self, uid: &str, and_schema: bool) -> Result<(), Internal> {
        let mut tx = self.begin().await?;
        db::query("DELETE FROM dgraph_nodes WHERE deployment_uid = ?")
            .bind(uid)
            .execute(&mut *tx)
            .await?;
        if and_schema {
            db::query("UPDATE dgraph_deployments SET gql_schema = NULL WHERE uid = ?")
                .bind(uid)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    // --- exports ---

    pub async fn insert_export(
        &self,
        deployment_uid: &str,
        task: &ExportTask,
        files: &[(&str, Vec<u8>)],
    ) -> Result<(), Internal> {
        let mut tx = self.begin().await?;
        db::query(
            "INSERT INTO dgraph_exports (task_id, export_id, deployment_uid, format, created_at, ready_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&task.task_id)
        .bind(&task.export_id)
        .bind(deployment_uid)
        .bind(&task.format)
        .bind(&task.created_at)
        .bind(&task.ready_at)
        .execute(&mut *tx)
        .await?;
        for (name, content) in files {
            db::query("INSERT INTO dgraph_export_files (task_id, name, content) VALUES (?, ?, ?)")
                .bind(&task.task_id)
                .bind(name)
                .bind(content)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn export_task(
        &self,
        deployment_uid: &str,
        task_id: &str,
    ) -> Result<Option<ExportTask>, Internal> {
        Ok(db::query_as(EXPORT_TASK)
            .bind(task_id)
            .bind(deployment_uid)
            .fetch_optional(self.session.db())
            .await?)
    }

    /// The names of an export task's files (the task was found for its deployment first).
    pub async fn export_file_names(&self, task_id: &str) -> Result<Vec<String>, Internal> {
        Ok(db::query_scalar(EXPORT_FILE_NAMES)
            .bind(task_id)
            .fetch_all(self.session.db())
            .await?)
    }

    /// A file of an export task, through its signed URL (whose token names the task).
    pub async fn export_file(
        &self,
        task_id: &str,
        name: &str,
    ) -> Result<Option<Vec<u8>>, Internal> {
        Ok(db::query_scalar(EXPORT_FILE)
            .bind(task_id)
            .bind(name)
            .fetch_optional(self.session.db())
            .await?)
    }

    // --- restores ---

    /// Replaces the target's schema and data with the source's and records the restore.
    pub async fn restore_from(
        &self,
        target: &str,
        source: &Deployment,
        now: &str,
        ready_at: &str,
    ) -> Result<i64, Internal> {
        let mut tx = self.begin().await?;
        db::query("DELETE FROM dgraph_nodes WHERE deployment_uid = ?")
            .bind(target)
            .execute(&mut *tx)
            .await?;
        db::query(
            "INSERT INTO dgraph_nodes (deployment_uid, body)
             SELECT ?, body FROM dgraph_nodes WHERE deployment_uid = ? ORDER BY id",
        )
        .bind(target)
        .bind(&source.uid)
        .execute(&mut *tx)
        .await?;
        db::query("UPDATE dgraph_deployments SET gql_schema = ? WHERE uid = ?")
            .bind(&source.gql_schema)
            .bind(target)
            .execute(&mut *tx)
            .await?;
        let id: i64 = db::query_scalar(
            "INSERT INTO dgraph_restores (deployment_uid, source_uid, created_at, ready_at)
             VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(target)
        .bind(&source.uid)
        .bind(now)
        .bind(ready_at)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn restore(
        &self,
        deployment_uid: &str,
        id: i64,
    ) -> Result<Option<Restore>, Internal> {
        Ok(db::query_as(RESTORE)
            .bind(id)
            .bind(deployment_uid)
            .fetch_optional(self.session.db())
            .await?)
    }
}
