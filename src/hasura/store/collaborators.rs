//! Collaborators and invitations: to collaborate on a project, or to take it over. An
//! invitation is found by its key's hash and only by the user it was sent to.

use super::{Access, Store};
use crate::db;
use crate::error::Internal;
use crate::hasura::auth::User;
use crate::hasura::model::{Invitation, InvitationKind, NewInvitation};

/// Every privilege, as the previous owner keeps them after a transfer.
const ALL_PRIVILEGES: &str = r#"["admin","graphql_admin","view_metrics"]"#;

impl Store {
    /// Stores an invitation to the project `access` grants; returns when it was made.
    pub async fn insert_invitation(
        &self,
        access: &Access,
        invited_by: &User,
        inv: &NewInvitation<'_>,
    ) -> Result<String, Internal> {
        let now = self.now();
        db::query(
            "INSERT INTO hasura_invitations (kind, id, project_id, collaborator_email, privileges, invited_by, key_hash, invited_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(inv.kind.as_str())
        .bind(inv.id)
        .bind(access.project_id())
        .bind(inv.email)
        .bind(serde_json::to_string(inv.privileges)?)
        .bind(invited_by.id())
        .bind(inv.key_hash)
        .bind(&now)
        .execute(self.session.db())
        .await?;
        Ok(now)
    }

    /// The open invitation of that kind behind a key, if it was sent to this user's email: to
    /// anyone else it does not exist.
    pub async fn invitation_for(
        &self,
        user: &User,
        kind: InvitationKind,
        key_hash: &str,
    ) -> Result<Option<Invitation>, Internal> {
        let row: Option<(String, String, String, String, String, String)> = db::query_as(
            "SELECT id, project_id, collaborator_email, privileges, invited_by, invited_at
             FROM hasura_invitations
             WHERE kind = ? AND key_hash = ? AND accepted_at IS NULL AND declined_at IS NULL",
        )
        .bind(kind.as_str())
        .bind(key_hash)
        .fetch_optional(self.session.db())
        .await?;
        let Some((id, project_id, collaborator_email, privileges, invited_by, invited_at)) = row
        else {
            return Ok(None);
        };
        let email = self.user_email(user).await?.unwrap_or_default();
        if !email.eq_ignore_ascii_case(&collaborator_email) {
            return Ok(None);
        }
        Ok(Some(Invitation {
            id,
            project_id,
            collaborator_email,
            privileges: serde_json::from_str(&privileges).unwrap_or_default(),
            invited_by,
            invited_at,
        }))
    }

    /// Accepting makes the user a collaborator (or updates their privileges), in one transaction.
    pub async fn accept_invitation(
        &self,
        user: &User,
        invitation: &Invitation,
        collaborator_id: &str,
    ) -> Result<(), Internal> {
        let now = self.now();
        let mut tx = self.session.db().begin().await?;
        db::query("UPDATE hasura_invitations SET accepted_at = ? WHERE id = ?")
            .bind(&now)
            .bind(&invitation.id)
            .execute(&mut *tx)
            .await?;
        db::query(
            "INSERT INTO hasura_collaborators (id, project_id, user_id, privileges, created_at)
             VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (project_id, user_id) DO UPDATE SET privileges = excluded.privileges",
        )
        .bind(collaborator_id)
        .bind(&invitation.project_id)
        .bind(user.id())
        .bind(serde_json::to_string(&invitation.privileges)?)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Accepting a transfer makes the user the owner; the previous owner stays on as an admin
    /// collaborator (emulator choice: the real outcome for the previous owner is not published).
    pub async fn accept_ownership(
        &self,
        user: &User,
        invitation: &Invitation,
        collaborator_id: &str,
    ) -> Result<(), Internal> {
        let now = self.now();
        let mut tx = self.session.db().begin().await?;
        db::query("UPDATE hasura_invitations SET accepted_at = ? WHERE id = ?")
            .bind(&now)
            .bind(&invitation.id)
            .execute(&mut *tx)
            .await?;
        db::query(
            "INSERT INTO hasura_collaborators (id, project_id, user_id, privileges, created_at)
             SELECT ?, id, owner_id, ?, ? FROM hasura_projects WHERE id = ?
             ON CONFLICT (project_id, user_id) DO UPDATE SET privileges = excluded.privileges",
        )
        .bind(collaborator_id)
        .bind(ALL_PRIVILEGES)
        .bind(&now)
        .bind(&invitation.project_id)
        .execute(&mut *tx)
        .await?;
        db::query("DELETE FROM hasura_collaborators WHERE project_id = ? AND user_id = ?")
            .bind(&invitation.project_id)
            .bind(user.id())
            .execute(&mut *tx)
            .await?;
        db::query("UPDATE hasura_projects SET owner_id = ?, updated_at = ? WHERE id = ?")
            .bind(user.id())
            .bind(&now)
            .bind(&invitation.project_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Declining closes an invitation, found by [`Store::invitation_for`] for the user it was
    /// sent to.
    pub async fn decline_invitation(&self, invitation: &Invitation) -> Result<(), Internal> {
        db::query("UPDATE hasura_invitations SET declined_at = ? WHERE id = ?")
            .bind(self.now())
            .bind(&invitation.id)
            .execute(self.session.db())
            .await?;
        Ok(())
    }

    /// Removes a collaborator from a project the user owns; false when there is no such
    /// collaborator on any of the user's projects.
    pub async fn delete_collaborator(&self, owner: &User, id: &str) -> Result<bool, Internal> {
        Ok(db::query(
            "DELETE FROM hasura_collaborators
             WHERE id = ? AND project_id IN (SELECT id FROM hasura_projects WHERE owner_id = ?)",
        )
        .bind(id)
        .bind(owner.id())
        .execute(self.session.db())
        .await?
        .rows_affected()
            == 1)
    }
}
