//! Projects with their tenant, env config and custom domains: who may touch which ([`Access`]),
//! and the writes that take that access.

use super::{Access, Env, NewProject, Store, WriteError};
use crate::db;
use crate::error::Internal;
use crate::hasura::auth::User;

/// The columns [`Store::access`] reads: tenant, project, owner, the caller's privileges if a
/// collaborator.
type AccessRow = (String, String, String, Option<String>);

fn access_of(user: &User, row: Option<AccessRow>) -> Option<Access> {
    row.map(|(tenant_id, project_id, owner_id, privileges)| {
        let owner = owner_id == user.id();
        let privileges: Vec<String> = privileges
            .and_then(|p| serde_json::from_str(&p).ok())
            .unwrap_or_default();
        Access {
            tenant_id,
            project_id,
            owner,
            admin: owner || privileges.iter().any(|p| p == "admin"),
        }
    })
}

impl Store {
    /// The user's access to a tenant; `None` when it does not exist or is not theirs to see.
    pub async fn access(&self, user: &User, tenant_id: &str) -> Result<Option<Access>, Internal> {
        let row: Option<AccessRow> = db::query_as(
            "SELECT t.id, p.id, p.owner_id, c.privileges FROM hasura_tenants t
             JOIN hasura_projects p ON p.id = t.project_id
             LEFT JOIN hasura_collaborators c ON c.project_id = p.id AND c.user_id = ?1
             WHERE t.id = ?2 AND (p.owner_id = ?1 OR c.id IS NOT NULL)",
        )
        .bind(user.id())
        .bind(tenant_id)
        .fetch_optional(self.session.db())
        .await?;
        Ok(access_of(user, row))
    }

    /// The same, by the project's id.
    pub async fn access_to_project(
        &self,
        user: &User,
        project_id: &str,
    ) -> Result<Option<Access>, Internal> {
        let row: Option<AccessRow> = db::query_as(
            "SELECT t.id, p.id, p.owner_id, c.privileges FROM hasura_projects p
             JOIN hasura_tenants t ON t.project_id = p.id
             LEFT JOIN hasura_collaborators c ON c.project_id = p.id AND c.user_id = ?1
             WHERE p.id = ?2 AND (p.owner_id = ?1 OR c.id IS NOT NULL)",
        )
        .bind(user.id())
        .bind(project_id)
        .fetch_optional(self.session.db())
        .await?;
        Ok(access_of(user, row))
    }

    /// The tenant's env and its hash.
    pub async fn env(&self, access: &Access) -> Result<Option<(Env, String)>, Internal> {
        let row: Option<(String, String)> =
            db::query_as("SELECT env, hash FROM hasura_configs WHERE tenant_id = ?")
                .bind(&access.tenant_id)
                .fetch_optional(self.session.db())
                .await?;
        match row {
            Some((env, hash)) => Ok(Some((serde_json::from_str(&env)?, hash))),
            None => Ok(None),
        }
    }

    /// A new project owned by `owner`, with its tenant and env.
    pub async fn create_project(
        &self,
        owner: &User,
        project: &NewProject,
    ) -> Result<(), WriteError> {
        let mut tx = self.session.db().begin().await?;
        insert_owned_project(&mut tx, project, owner.id(), &self.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes the project; its tenant, env, collaborators, invitations and domains go with it.
    pub async fn delete_project(&self, access: &Access) -> Result<(), Internal> {
        db::query("DELETE FROM hasura_projects WHERE id = ?")
            .bind(&access.project_id)
            .execute(self.session.db())
            .await?;
        Ok(())
    }

    /// Replaces the env only if its hash is still `current_hash`: one statement, so of two
    /// concurrent updates with the same hash exactly one wins.
    pub async fn swap_env(
        &self,
        access: &Access,
        current_hash: &str,
        env: &Env,
        hash: &str,
    ) -> Result<bool, Internal> {
        let swapped = db::query(
            "UPDATE hasura_configs SET env = ?, hash = ?, updated_at = ? WHERE tenant_id = ? AND hash = ?",
        )
        .bind(serde_json::to_string(env)?)
        .bind(hash)
        .bind(self.now())
        .bind(&access.tenant_id)
        .bind(current_hash)
        .execute(self.session.db())
        .await?
        .rows_affected();
        Ok(swapped == 1)
    }

    /// Renames a project: its name, its tenant's slug and fqdn, its endpoint move together.
    pub async fn rename(
        &self,
        access: &Access,
        name: &str,
        fqdn: &str,
        endpoint: &str,
    ) -> Result<(), WriteError> {
        let now = self.now();
        let mut tx = self.session.db().begin().await?;
        db::query("UPDATE hasura_projects SET name = ?, endpoint = ?, updated_at = ? WHERE id = ?")
            .bind(name)
            .bind(endpoint)
            .bind(&now)
            .bind(&access.project_id)
            .execute(&mut *tx)
            .await?;
        db::query(
            "UPDATE hasura_tenants SET slug = ?, fqdn = ?, updated_at = ? WHERE project_id = ?",
        )
        .bind(name)
        .bind(fqdn)
        .bind(&now)
        .bind(&access.project_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn move_region(
        &self,
        access: &Access,
        cloud: &str,
        region: &str,
    ) -> Result<(), Internal> {
        db::query(
            "UPDATE hasura_tenants SET cloud = ?, region = ?, updated_at = ? WHERE project_id = ?",
        )
        .bind(cloud)
        .bind(region)
        .bind(self.now())
        .bind(&access.project_id)
        .execute(self.session.db())
        .await?;
        Ok(())
    }

    pub async fn set_plan(&self, access: &Access, plan: &str) -> Result<(), Internal> {
        db::query("UPDATE hasura_projects SET plan_name = ?, updated_at = ? WHERE id = ?")
            .bind(plan)
            .bind(self.now())
            .bind(&access.project_id)
            .execute(self.session.db())
            .await?;
        Ok(())
    }

    /// The tenant's current cloud and region.
    pub async fn placement(&self, access: &Access) -> Result<Option<(String, String)>, Internal> {
        Ok(
            db::query_as("SELECT cloud, region FROM hasura_tenants WHERE id = ?")
                .bind(&access.tenant_id)
                .fetch_optional(self.session.db())
                .await?,
        )
    }

    pub async fn insert_custom_domain(
        &self,
        access: &Access,
        id: &str,
        fqdn: &str,
    ) -> Result<(), WriteError> {
        let now = self.now();
        db::query(
            "INSERT INTO hasura_custom_domains (id, tenant_id, fqdn, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(&access.tenant_id)
        .bind(fqdn)
        .bind(&now)
        .bind(&now)
        .execute(self.session.db())
        .await?;
        Ok(())
    }

    pub async fn delete_custom_domain(&self, access: &Access, id: &str) -> Result<(), Internal> {
        db::query("DELETE FROM hasura_custom_domains WHERE id = ? AND tenant_id = ?")
            .bind(id)
            .bind(&access.tenant_id)
            .execute(self.session.db())
            .await?;
        Ok(())
    }
}

/// A project, its tenant and its env config, on an open transaction (also the fixtures'
/// insert): the owner is the project's `owner_id`.
pub async fn insert_project(
    conn: &mut db::Connection,
    p: &NewProject,
    now: &str,
) -> Result<(), WriteError> {
    insert_owned_project(conn, p, &p.owner_id, now).await
}

pub(super) async fn insert_owned_project(
    conn: &mut db::Connection,
    p: &NewProject,
    owner_id: &str,
    now: &str,
) -> Result<(), WriteError> {
    db::query(
        "INSERT INTO hasura_projects (id, name, owner_id, plan_name, endpoint, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&p.project_id)
    .bind(&p.name)
    .bind(owner_id)
    .bind(&p.plan)
    .bind(&p.endpoint)
    .bind(now)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    db::query(
        "INSERT INTO hasura_tenants (id, project_id, slug, fqdn, cloud, region, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&p.tenant_id)
    .bind(&p.project_id)
    .bind(&p.name)
    .bind(&p.fqdn)
    .bind(&p.cloud)
    .bind(&p.region)
    .bind(now)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    db::query("INSERT INTO hasura_configs (tenant_id, env, hash, updated_at) VALUES (?, ?, ?, ?)")
        .bind(&p.tenant_id)
        .bind(serde_json::to_string(&p.env)?)
        .bind(&p.hash)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
