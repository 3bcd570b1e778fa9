//! The REST routes the slash-graphql CLI calls next to `/graphql` (docs/spec/dgraph.md §8.3,
//! §8.6): the device-code login and its tokens, and backends and their API keys. REST bodies are
//! not documented: `{"error": "..."}` with a fitting status is the emulator's choice (`error.rs`).
//! The handlers' `///` and `#[utoipa::path]` are published in `/_offcloud/openapi/dgraph.json` as
//! they are written.

use axum::http::{HeaderMap, header};

use crate::auth::{Secret, random_token, sha256_hex};
use crate::clock::iso;
use crate::dgraph::auth::Signed;
use crate::dgraph::error::{ApiError, RestError};
use crate::dgraph::extract::{Json, Uid};
use crate::dgraph::model::{
    Account, ApiKeyCreated, ApiKeyRole, CreateApiKey, DeploymentOut, DeploymentPatch, DeviceCode,
    DeviceCodeExchange, Ignored, Message, NewDeployment, RefreshToken, Revoked, RevokedAll, Tokens,
    new_uid, parse_iso,
};
use crate::dgraph::openapi;
use crate::dgraph::service::Cerebro;

/// How long a device code can be exchanged for a token (the CLI polls at most 300 s).
const DEVICE_CODE_SECS: i64 = 300;

type Answer<T> = Result<axum::Json<T>, RestError>;

// --- device-code login (docs/spec/dgraph.md §8.3) ---

/// Step 1. Approval is immediate (docs/spec/dgraph.md §11, choice 21), so the CLI logs in without a
/// browser.
#[utoipa::path(
    post,
    path = "/command-line/device-code",
    tag = "cli-auth",
    request_body = Option<Ignored>,
    responses(
        (status = 200, description = "A device code, approved at once", body = DeviceCode),
        (status = 400, description = "The body is neither empty, null nor a JSON object", body = openapi::RestError),
    ),
)]
pub async fn device_code(
    cerebro: Cerebro,
    headers: HeaderMap,
    _: Json<Ignored>,
) -> Answer<DeviceCode> {
    let code = random_token(24);
    let user_code = random_token(6).to_uppercase();
    let now = iso(cerebro.now());
    cerebro
        .store
        .insert_cli_code(None, &sha256_hex(&code), "device", &now)
        .await?;
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost:8070");
    Ok(axum::Json(DeviceCode {
        device_code: code,
        verification_uri: format!("http://{host}/activate"),
        verification_uri_complete: format!("http://{host}/activate?user_code={user_code}"),
        user_code,
        expires_in: DEVICE_CODE_SECS,
        interval: 1,
    }))
}

/// The token JSON the CLI saves verbatim as its auth file (docs/spec/dgraph.md §8.2).
async fn token_response(cerebro: &Cerebro, account: &Account) -> Answer<Tokens> {
    let access = cerebro.issue_token(account).await?;
    let refresh = random_token(32);
    let now = cerebro.now();
    cerebro
        .store
        .insert_cli_code(
            Some(&account.id),
            &sha256_hex(&refresh),
            "refresh",
            &iso(now),
        )
        .await?;
    let api_time = i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
    Ok(axum::Json(Tokens {
        access_token: access,
        refresh_token: refresh,
        expires_in: i64::try_from(cerebro.token_ttl_secs()).unwrap_or(i64::MAX),
        token_type: "Bearer".into(),
        scope: "offline_access".into(),
        api_time,
    }))
}

/// Step 2: the CLI polls until a 200. The device login signs in as the session's first account
/// (there is no browser to pick one; emulator choice).
#[utoipa::path(
    post,
    path = "/command-line/access-token",
    tag = "cli-auth",
    request_body = DeviceCodeExchange,
    responses(
        (status = 200, description = "Tokens for the session's first account", body = Tokens),
        (status = 400, description = "No `deviceCode`, or the body is not a JSON object", body = openapi::RestError),
        (status = 403, description = "`expired_token`, or `authorization_pending` while no account exists", body = openapi::RestError),
    ),
)]
pub async fn access_token(
    cerebro: Cerebro,
    Json(DeviceCodeExchange { device_code }): Json<DeviceCodeExchange>,
) -> Answer<Tokens> {
    let hash = sha256_hex(&device_code);
    let found = cerebro.store.cli_code(&hash, "device").await?;
    let fresh = found.is_some_and(|(created, _)| {
        parse_iso(&created).is_some_and(|t| (cerebro.now() - t).whole_seconds() < DEVICE_CODE_SECS)
    });
    if !fresh {
        return Err(ApiError::Forbidden("expired_token".into()).into());
    }
    let account = cerebro.store.first_account().await?.ok_or_else(|| {
        ApiError::Forbidden(
            "authorization_pending: no account exists (POST /_offcloud/dgraph/accounts)".into(),
        )
    })?;
    cerebro.store.delete_cli_code(&hash).await?;
    token_response(&cerebro, &account).await
}

/// The hash of a refresh token, and its account.
async fn refresh_account(cerebro: &Cerebro, token: &str) -> Result<(String, Account), RestError> {
    let hash = sha256_hex(token);
    let account_id = cerebro
        .store
        .cli_code(&hash, "refresh")
        .await?
        .and_then(|(_, account)| account);
    let account = match account_id {
        Some(id) => cerebro.store.account(&id).await?,
        None => None,
    };
    let account = account.ok_or(ApiError::InvalidRefreshToken)?;
    Ok((hash, account))
}

/// A new token for a refresh token; the old refresh token is spent.
#[utoipa::path(
    post,
    path = "/command-line/access-token/refresh",
    tag = "cli-auth",
    request_body = RefreshToken,
    responses(
        (status = 200, description = "New tokens; the refresh token is spent", body = Tokens),
        (status = 400, description = "No `refreshToken`, or the body is not a JSON object", body = openapi::RestError),
        (status = 401, description = "Unknown refresh token", body = openapi::RestError),
    ),
)]
pub async fn refresh(cerebro: Cerebro, Json(body): Json<RefreshToken>) -> Answer<Tokens> {
    let (hash, account) = refresh_account(&cerebro, &body.refresh_token).await?;
    cerebro.store.delete_cli_code(&hash).await?;
    token_response(&cerebro, &account).await
}

#[utoipa::path(
    post,
    path = "/command-line/access-token/revoke",
    tag = "cli-auth",
    request_body = RefreshToken,
    responses(
        (status = 200, description = "Revoked", body = Revoked),
        (status = 400, description = "No `refreshToken`, or the body is not a JSON object", body = openapi::RestError),
        (status = 401, description = "Unknown refresh token", body = openapi::RestError),
    ),
)]
pub async fn revoke(cerebro: Cerebro, Json(body): Json<RefreshToken>) -> Answer<Revoked> {
    let (hash, _) = refresh_account(&cerebro, &body.refresh_token).await?;
    cerebro.store.delete_cli_code(&hash).await?;
    Ok(axum::Json(Revoked {}))
}

#[utoipa::path(
    post,
    path = "/command-line/access-token/revoke-all",
    tag = "cli-auth",
    request_body = Option<Ignored>,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "How many refresh tokens were revoked", body = RevokedAll),
        (status = 400, description = "The body is neither empty, null nor a JSON object", body = openapi::RestError),
        (status = 401, description = "No or an unknown bearer token", body = openapi::RestError),
    ),
)]
pub async fn revoke_all(signed: Signed, _: Json<Ignored>) -> Answer<RevokedAll> {
    let n = signed
        .cerebro
        .store
        .delete_refresh_tokens(&signed.account.id)
        .await?;
    Ok(axum::Json(RevokedAll {
        tokens_count: i64::try_from(n).unwrap_or(i64::MAX),
    }))
}

// --- backends (docs/spec/dgraph.md §8.6) ---

/// `POST /deployments/create`: the CLI reads only `url` (docs/spec/dgraph.md §11, choice 22 for the
/// body).
#[utoipa::path(
    post,
    path = "/deployments/create",
    tag = "deployments",
    request_body = NewDeployment,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new deployment", body = DeploymentOut),
        openapi::Signed,
        openapi::ModeOfTier,
        openapi::OrganizationNamed,
        (status = 409, description = "The subdomain is taken", body = openapi::RestError),
        (status = 429, description = "No backend port to be had: the session's quota (`--dgraph-backend-ports-per-session`) or the range (`--dgraph-backend-ports`) is used up", body = openapi::RestError),
    ),
)]
pub async fn create_deployment(
    signed: Signed,
    Json(new): Json<NewDeployment>,
) -> Answer<DeploymentOut> {
    let created = signed
        .cerebro
        .create_deployment(&signed.account, new)
        .await?;
    Ok(axum::Json(created))
}

/// `PATCH /deployment/{uid}`: name, mode, organization, or the lambda script.
#[utoipa::path(
    patch,
    path = "/deployment/{uid}",
    tag = "deployments",
    params(("uid" = String, Path, description = "The deployment's uid")),
    request_body = Option<DeploymentPatch>,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Updated", body = Message),
        openapi::Signed,
        openapi::ModeOfTier,
        openapi::OneDeployment,
    ),
)]
pub async fn update_deployment(
    signed: Signed,
    Uid(uid): Uid,
    Json(patch): Json<DeploymentPatch>,
) -> Answer<Message> {
    signed
        .cerebro
        .update_deployment(&signed.account, &uid, patch)
        .await?;
    Ok(axum::Json(Message::new("Successfully Updated the backend")))
}

#[utoipa::path(
    delete,
    path = "/deployment/{uid}",
    tag = "deployments",
    params(("uid" = String, Path, description = "The deployment's uid")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Deleted", body = Message),
        (status = 401, description = "No or an unknown bearer token", body = openapi::RestError),
        openapi::OneDeployment,
    ),
)]
pub async fn delete_deployment(signed: Signed, Uid(uid): Uid) -> Answer<Message> {
    signed
        .cerebro
        .delete_deployment(&signed.account, &uid)
        .await?;
    Ok(axum::Json(Message::new(
        "Successfully deleted the Deployment",
    )))
}

/// `POST /deployments/{uid}/api-keys`: the key is shown once (docs/spec/dgraph.md §3.2, §8.6).
#[utoipa::path(
    post,
    path = "/deployments/{uid}/api-keys",
    tag = "deployments",
    params(("uid" = String, Path, description = "The deployment's uid")),
    request_body = Option<CreateApiKey>,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new key, shown once", body = ApiKeyCreated),
        openapi::Signed,
        openapi::OneDeployment,
    ),
)]
pub async fn create_api_key(
    signed: Signed,
    Uid(uid): Uid,
    Json(body): Json<CreateApiKey>,
) -> Answer<ApiKeyCreated> {
    let name = body.name.unwrap_or_else(|| "slash-graphql-cli".into());
    let role = body.role.unwrap_or(ApiKeyRole::Client);
    // The key is issued here and stored only as its hash; it travels once, in this answer.
    let key = Secret::new(random_token(32));
    let key_uid = new_uid();
    let inserted = signed
        .cerebro
        .store
        .insert_api_key(
            &signed.account.id,
            &uid,
            &key_uid,
            &name,
            role,
            &sha256_hex(key.expose()),
            &iso(signed.cerebro.now()),
        )
        .await?;
    if !inserted {
        return Err(ApiError::not_found(format!("deployment {uid} not found")).into());
    }
    Ok(axum::Json(ApiKeyCreated {
        uid: key_uid,
        name,
        role: role.as_str().to_owned(),
        key: key.expose().to_owned(),
    }))
}
