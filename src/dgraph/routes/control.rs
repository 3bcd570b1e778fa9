//! Provisioning under `/_offcloud/dgraph` (docs/design.md, "The emulator's own control API"):
//! Cerebro accounts are made in Dgraph Cloud's web console, so the emulator makes them here.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::auth::{Secret, password};
use crate::clock::iso;
use crate::dgraph::error::{ApiError, RestError};
use crate::dgraph::extract::Json;
use crate::dgraph::model::{Account, NewAccount};
use crate::dgraph::service::Cerebro;
use crate::dgraph::store::WriteError;

/// `POST /_offcloud/dgraph/accounts` `{"email","password","name"?}` → 201 with the account.
/// The password is stored only as its argon2id hash.
pub async fn create_account(
    cerebro: Cerebro,
    Json(NewAccount {
        email,
        password: pass,
        name,
    }): Json<NewAccount>,
) -> Result<(StatusCode, axum::Json<Value>), RestError> {
    let email = email.map(|e| e.trim().to_owned()).unwrap_or_default();
    if !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        return Err(ApiError::invalid("a valid email is required").into());
    }
    let pass = pass
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ApiError::invalid("password is required"))?;
    let hash = password::hash(&Secret::new(pass)).await?;
    let account = Account {
        id: uuid::Uuid::new_v4().to_string(),
        name: name.unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_owned()),
        email,
    };
    match cerebro
        .store
        .insert_account(&account, &hash, &iso(cerebro.now()))
        .await
    {
        Ok(()) => Ok((
            StatusCode::CREATED,
            axum::Json(json!({"id": account.id, "email": account.email, "name": account.name})),
        )),
        Err(WriteError::Taken) => Err(ApiError::Conflict(format!(
            "an account with email {} already exists",
            account.email
        ))
        .into()),
        Err(WriteError::Internal(e)) => Err(e.into()),
    }
}
