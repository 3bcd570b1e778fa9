//! Collaborators (docs/spec/hasura.md §6.12): invitations by email — to collaborate with a set
//! of privileges, or to take the project over — answered with the key by the invited user, and
//! the owner's removal of a collaborator. Both kinds of invitation go through the same code;
//! [`Kind`] holds what differs.

use serde_json::{Value, json};

use super::input::{field_str, input_object};
use super::{Args, Output, new_id, not_allowed, object, project_not_found};
use crate::auth::sha256_hex;
use crate::hasura::auth::User;
use crate::hasura::engine::is_uuid;
use crate::hasura::error::ApiError;
use crate::hasura::model::{Invitation, InvitationKind, NewInvitation};
use crate::hasura::seeds;
use crate::hasura::store::Store;

/// What differs between an invitation to collaborate and one to take a project over.
pub(super) struct Kind {
    kind: InvitationKind,
    /// The mutation's argument, and its input type.
    argument: &'static str,
    input_type: &'static str,
    /// The input's and the output's name for the invited email.
    email_field: &'static str,
    /// Collaborators are invited with privileges; a new owner has them all.
    with_privileges: bool,
    /// Only the owner may give the project away; any admin may invite.
    owner_only: bool,
}

/// `inviteCollaborator`, `acceptInvite`, `declineInvite`.
pub(super) const INVITE: Kind = Kind {
    kind: InvitationKind::Collaborator,
    argument: "invite",
    input_type: "InviteColloboratorRequest",
    email_field: "collaborator_email",
    with_privileges: true,
    owner_only: false,
};

/// `transferOwnershipInvite`, `acceptTransferOwnershipInvite`,
/// `declineTransferOwnershipInvite`.
pub(super) const TRANSFER: Kind = Kind {
    kind: InvitationKind::Ownership,
    argument: "input",
    input_type: "TransferOwnershipRequest",
    email_field: "invitee_email",
    with_privileges: false,
    owner_only: true,
};

impl Kind {
    /// The invitation as the mutation answers it (`ProjectCollaboratorInvitation` or
    /// `ProjectOwnershipTransferInvitation`), with its key.
    fn output(&self, invitation: &Invitation, key: &str) -> Output {
        let mut out = json!({
            "id": invitation.id,
            "invited_at": invitation.invited_at,
            "invited_by": invitation.invited_by,
            "key": key,
            "project_id": invitation.project_id,
        });
        out[self.email_field] = json!(invitation.collaborator_email);
        if self.with_privileges {
            out["privileges"] = json!(invitation.privileges);
        }
        object(out)
    }
}

/// Sends an invitation of `kind` to an email, for a project the caller may give it for.
pub(super) async fn invite(
    store: &Store,
    user: &User,
    args: &Args,
    kind: &Kind,
) -> Result<Output, ApiError> {
    let (input, path) = args.input(kind.argument);
    let allowed: &[&str] = if kind.with_privileges {
        &[kind.email_field, "privileges", "project_id"]
    } else {
        &[kind.email_field, "project_id"]
    };
    let input = input_object(&input, kind.input_type, allowed, &path)?;
    let email = field_str(input, kind.email_field, &path)?;
    let project_id = field_str(input, "project_id", &path)?;
    let privileges = if kind.with_privileges {
        privileges(input.get("privileges"), &path)?
    } else {
        Vec::new()
    };
    if !email.contains('@') {
        return Err(ApiError::action(format!("invalid email \"{email}\"")));
    }
    for p in &privileges {
        if !seeds::PRIVILEGES.iter().any(|(slug, _, _)| slug == p) {
            return Err(ApiError::action(format!("invalid privilege \"{p}\"")));
        }
    }
    let access = if is_uuid(&project_id) {
        store.access_to_project(user, &project_id).await?
    } else {
        None
    };
    let access = access.ok_or_else(project_not_found)?;
    let allowed = if kind.owner_only {
        access.is_owner()
    } else {
        access.is_admin()
    };
    if !allowed {
        return Err(not_allowed());
    }
    let key = crate::auth::random_token(24);
    let id = new_id();
    let invited_at = store
        .insert_invitation(
            &access,
            user,
            &NewInvitation {
                kind: kind.kind,
                id: &id,
                email: &email,
                privileges: &privileges,
                key_hash: &sha256_hex(&key),
            },
        )
        .await?;
    let invitation = Invitation {
        id,
        project_id,
        collaborator_email: email,
        privileges,
        invited_by: user.id().to_owned(),
        invited_at,
    };
    Ok(kind.output(&invitation, &key))
}

/// `privileges: [String!]!` (one string stands for a list of one).
fn privileges(value: Option<&Value>, path: &str) -> Result<Vec<String>, ApiError> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .map(|p| p.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                ApiError::validation(&format!("{path}.privileges"), "expected a list of strings")
            }),
        Some(Value::String(one)) => Ok(vec![one.clone()]),
        _ => Err(ApiError::validation(
            &format!("{path}.privileges"),
            "missing required field 'privileges'",
        )),
    }
}

/// Accepts or declines an invitation of `kind` by its key; only the invited user may.
pub(super) async fn answer(
    store: &Store,
    user: &User,
    args: &Args,
    kind: &Kind,
    accept: bool,
) -> Result<Output, ApiError> {
    let key = args.str("inviteKey")?;
    let invitation = store
        .invitation_for(user, kind.kind, &sha256_hex(&key))
        .await?
        .ok_or_else(|| ApiError::action("invitation not found"))?;
    match (accept, kind.kind) {
        (true, InvitationKind::Collaborator) => {
            store
                .accept_invitation(user, &invitation, &new_id())
                .await?
        }
        (true, InvitationKind::Ownership) => {
            store.accept_ownership(user, &invitation, &new_id()).await?
        }
        (false, _) => store.decline_invitation(&invitation).await?,
    }
    Ok(kind.output(&invitation, &key))
}

/// `delete_project_collaborators_by_pk`: the project's owner removes a collaborator; answers
/// with the removed row, or null.
pub(super) async fn remove(store: &Store, user: &User, args: &Args) -> Result<Output, ApiError> {
    let id = args.uuid("id")?;
    let Some(collaborator) = store
        .visible_row(user, "project_collaborators", &id)
        .await?
    else {
        return Ok(Output::Null);
    };
    if !store.delete_collaborator(user, &id).await? {
        return Ok(Output::Null);
    }
    Ok(Output::Object(collaborator))
}
