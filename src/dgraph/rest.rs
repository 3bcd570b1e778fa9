//! The REST routes the slash-graphql CLI calls next to `/graphql` (spec §8.3, §8.6), the Cerebro
//! GraphQL endpoint itself, and the provisioning route `POST /_offcloud/dgraph/accounts`.
//! REST bodies are not documented: `{"error": "..."}` with a fitting status is the emulator's choice.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::cerebro::{self, CerebroSchema, deployment_out};
use super::model::{Account, ApiKeyRole, new_uid};
use super::openapi;
use super::service::{Cerebro, DeploymentPatch, NewDeployment, Refusal};
use super::store::{Store, WriteError};
use crate::AppState;
use crate::auth::{Secret, password, random_token, sha256_hex};
use crate::clock::iso;
use crate::error::Internal;
use crate::session::SessionName;

/// How long a device code can be exchanged for a token (the CLI polls at most 300 s).
const DEVICE_CODE_SECS: i64 = 300;

pub fn rest_error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// A refused request body, answered as [`rest_error`].
pub struct BadBody(String);

impl IntoResponse for BadBody {
    fn into_response(self) -> Response {
        rest_error(StatusCode::BAD_REQUEST, &self.0)
    }
}

fn internal(e: Internal) -> Response {
    e.log();
    rest_error(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
}

fn refusal(r: Refusal) -> Response {
    let status = match &r {
        Refusal::NotFound(_) => StatusCode::NOT_FOUND,
        Refusal::Invalid(_) => StatusCode::BAD_REQUEST,
        Refusal::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    rest_error(status, &r.message())
}

impl FromRequestParts<AppState> for Cerebro {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let session = SessionName::of(&parts.extensions);
        let opened = state.sessions.get(&session).await.map_err(internal)?;
        Ok(Cerebro {
            store: Store::new(opened),
            state: state.clone(),
            session,
        })
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
}

async fn caller(cerebro: &Cerebro, headers: &HeaderMap) -> Result<Option<Account>, Response> {
    match bearer(headers) {
        Some(token) => cerebro.account_of_token(token).await.map_err(internal),
        None => Ok(None),
    }
}

/// The caller of a REST route that needs a Cerebro token.
pub struct Signed {
    cerebro: Cerebro,
    account: Account,
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let cerebro = Cerebro::from_request_parts(parts, state).await?;
        match caller(&cerebro, &parts.headers).await? {
            Some(account) => Ok(Signed { cerebro, account }),
            None => Err(rest_error(StatusCode::UNAUTHORIZED, "unauthorized")),
        }
    }
}

/// `POST /graphql`: Cerebro's GraphQL API.
#[utoipa::path(
    post,
    path = "/graphql",
    tag = "graphql",
    request_body(content(
        (openapi::GraphqlRequest = "application/json"),
        (String = "application/graphql"),
    )),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The GraphQL response; errors are in `errors`", body = openapi::GraphqlResponse),
        (status = 400, description = "The body is not a GraphQL request", body = openapi::GraphqlResponse),
    ),
)]
pub async fn graphql(
    axum::Extension(schema): axum::Extension<Arc<CerebroSchema>>,
    cerebro: Cerebro,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let account = match caller(&cerebro, &headers).await {
        Ok(a) => a,
        Err(r) => return r.into_response(),
    };
    cerebro::execute(&schema, cerebro, account, &headers, &body).await
}

fn json_body(body: &Bytes) -> Result<serde_json::Map<String, Value>, BadBody> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(BadBody("the body must be a JSON object".into())),
    }
}

/// A body the route does not read: empty, `null` or a JSON object (the CLI sends `{}`);
/// anything else is refused, as a JSON API refuses a body of the wrong type.
fn ignored_body(body: &Bytes) -> Result<(), BadBody> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Null | Value::Object(_)) => Ok(()),
        _ => Err(BadBody("the body must be a JSON object".into())),
    }
}

/// A string field of a JSON body; present but not a string is a client error.
fn string_field(
    map: &serde_json::Map<String, Value>,
    key: &str,
) -> Result<Option<String>, BadBody> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(BadBody(format!("{key} must be a string"))),
    }
}

// --- device-code login (spec §8.3) ---

/// Step 1. Approval is immediate (emulator choice 21), so the CLI logs in without a browser.
#[utoipa::path(
    post,
    path = "/command-line/device-code",
    tag = "cli-auth",
    request_body = Option<openapi::Ignored>,
    responses(
        (status = 200, description = "A device code, approved at once", body = openapi::DeviceCode),
        (status = 400, description = "The body is neither empty, null nor a JSON object", body = openapi::RestError),
    ),
)]
pub async fn device_code(cerebro: Cerebro, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(refused) = ignored_body(&body) {
        return refused.into_response();
    }
    let code = random_token(24);
    let user_code = random_token(6).to_uppercase();
    let now = iso(cerebro.now());
    if let Err(e) = cerebro
        .store
        .insert_cli_code(&sha256_hex(&code), "device", None, &now)
        .await
    {
        return internal(e);
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost:8070");
    Json(json!({
        "device_code": code,
        "user_code": user_code,
        "verification_uri": format!("http://{host}/activate"),
        "verification_uri_complete": format!("http://{host}/activate?user_code={user_code}"),
        "expires_in": DEVICE_CODE_SECS,
        "interval": 1,
    }))
    .into_response()
}

/// The token JSON the CLI saves verbatim as its auth file (spec §8.2).
async fn token_response(cerebro: &Cerebro, account: &Account) -> Response {
    let access = match cerebro.issue_token(account).await {
        Ok(t) => t,
        Err(e) => return internal(e),
    };
    let refresh = random_token(32);
    let now = cerebro.now();
    if let Err(e) = cerebro
        .store
        .insert_cli_code(
            &sha256_hex(&refresh),
            "refresh",
            Some(&account.id),
            &iso(now),
        )
        .await
    {
        return internal(e);
    }
    let api_time = i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
    Json(json!({
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": cerebro.token_ttl_secs(),
        "token_type": "Bearer",
        "scope": "offline_access",
        "apiTime": api_time,
    }))
    .into_response()
}

/// Step 2: the CLI polls until a 200. The device login signs in as the session's first account
/// (there is no browser to pick one; emulator choice).
#[utoipa::path(
    post,
    path = "/command-line/access-token",
    tag = "cli-auth",
    request_body = openapi::DeviceCodeExchange,
    responses(
        (status = 200, description = "Tokens for the session's first account", body = openapi::Tokens),
        (status = 400, description = "No `deviceCode`, or the body is not a JSON object", body = openapi::RestError),
        (status = 403, description = "`expired_token`, or `authorization_pending` while no account exists", body = openapi::RestError),
    ),
)]
pub async fn access_token(cerebro: Cerebro, body: Bytes) -> Response {
    let map = match json_body(&body) {
        Ok(m) => m,
        Err(r) => return r.into_response(),
    };
    let code = match string_field(&map, "deviceCode") {
        Ok(Some(c)) => c,
        Ok(None) => return rest_error(StatusCode::BAD_REQUEST, "deviceCode is required"),
        Err(r) => return r.into_response(),
    };
    let hash = sha256_hex(&code);
    let found = match cerebro.store.cli_code(&hash, "device").await {
        Ok(f) => f,
        Err(e) => return internal(e),
    };
    let fresh = found.is_some_and(|(created, _)| {
        super::model::parse_iso(&created)
            .is_some_and(|t| (cerebro.now() - t).whole_seconds() < DEVICE_CODE_SECS)
    });
    if !fresh {
        return rest_error(StatusCode::FORBIDDEN, "expired_token");
    }
    let account = match cerebro.store.first_account().await {
        Ok(Some(a)) => a,
        Ok(None) => {
            return rest_error(
                StatusCode::FORBIDDEN,
                "authorization_pending: no account exists (POST /_offcloud/dgraph/accounts)",
            );
        }
        Err(e) => return internal(e),
    };
    if let Err(e) = cerebro.store.delete_cli_code(&hash).await {
        return internal(e);
    }
    token_response(&cerebro, &account).await
}

async fn refresh_account(cerebro: &Cerebro, body: &Bytes) -> Result<(String, Account), Response> {
    let map = json_body(body).map_err(IntoResponse::into_response)?;
    let Some(token) = string_field(&map, "refreshToken").map_err(IntoResponse::into_response)?
    else {
        return Err(rest_error(
            StatusCode::BAD_REQUEST,
            "refreshToken is required",
        ));
    };
    let hash = sha256_hex(&token);
    let account_id = cerebro
        .store
        .cli_code(&hash, "refresh")
        .await
        .map_err(internal)?
        .and_then(|(_, account)| account);
    let account = match account_id {
        Some(id) => cerebro.store.account(&id).await.map_err(internal)?,
        None => None,
    };
    match account {
        Some(a) => Ok((hash, a)),
        None => Err(rest_error(
            StatusCode::UNAUTHORIZED,
            "invalid refresh token",
        )),
    }
}

/// A new token for a refresh token; the old refresh token is spent.
#[utoipa::path(
    post,
    path = "/command-line/access-token/refresh",
    tag = "cli-auth",
    request_body = openapi::RefreshToken,
    responses(
        (status = 200, description = "New tokens; the refresh token is spent", body = openapi::Tokens),
        (status = 400, description = "No `refreshToken`, or the body is not a JSON object", body = openapi::RestError),
        (status = 401, description = "Unknown refresh token", body = openapi::RestError),
    ),
)]
pub async fn refresh(cerebro: Cerebro, body: Bytes) -> Response {
    let (hash, account) = match refresh_account(&cerebro, &body).await {
        Ok(x) => x,
        Err(r) => return r.into_response(),
    };
    if let Err(e) = cerebro.store.delete_cli_code(&hash).await {
        return internal(e);
    }
    token_response(&cerebro, &account).await
}

#[utoipa::path(
    post,
    path = "/command-line/access-token/revoke",
    tag = "cli-auth",
    request_body = openapi::RefreshToken,
    responses(
        (status = 200, description = "Revoked", body = openapi::Revoked),
        (status = 400, description = "No `refreshToken`, or the body is not a JSON object", body = openapi::RestError),
        (status = 401, description = "Unknown refresh token", body = openapi::RestError),
    ),
)]
pub async fn revoke(cerebro: Cerebro, body: Bytes) -> Response {
    let (hash, _) = match refresh_account(&cerebro, &body).await {
        Ok(x) => x,
        Err(r) => return r.into_response(),
    };
    match cerebro.store.delete_cli_code(&hash).await {
        Ok(_) => Json(json!({})).into_response(),
        Err(e) => internal(e),
    }
}

#[utoipa::path(
    post,
    path = "/command-line/access-token/revoke-all",
    tag = "cli-auth",
    request_body = Option<openapi::Ignored>,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "How many refresh tokens were revoked", body = openapi::RevokedAll),
        (status = 400, description = "The body is neither empty, null nor a JSON object", body = openapi::RestError),
        (status = 401, description = "No or an unknown bearer token", body = openapi::RestError),
    ),
)]
pub async fn revoke_all(signed: Signed, body: Bytes) -> Response {
    if let Err(refused) = ignored_body(&body) {
        return refused.into_response();
    }
    match signed
        .cerebro
        .store
        .delete_refresh_tokens(&signed.account.id)
        .await
    {
        Ok(n) => Json(json!({ "tokens_count": n })).into_response(),
        Err(e) => internal(e),
    }
}

// --- backends (spec §8.6) ---

/// `POST /deployments/create`: the CLI reads only `url` (emulator choice 22 for the body).
#[utoipa::path(
    post,
    path = "/deployments/create",
    tag = "deployments",
    request_body = openapi::CreateDeployment,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new deployment", body = cerebro::DeploymentOut),
        openapi::Signed,
        openapi::OrganizationNamed,
    ),
)]
pub async fn create_deployment(signed: Signed, body: Bytes) -> Response {
    let map = match json_body(&body) {
        Ok(m) => m,
        Err(r) => return r.into_response(),
    };
    let new = match new_deployment_of(&map) {
        Ok(n) => n,
        Err(r) => return r.into_response(),
    };
    let d = match signed.cerebro.create_deployment(&signed.account, new).await {
        Ok(d) => d,
        Err(r) => return refusal(r),
    };
    match deployment_out(&signed.cerebro, d).await {
        Ok(out) => Json(deployment_json(out)).into_response(),
        Err(e) => internal(e),
    }
}

/// The CLI's create body (spec §8.6); `deploymentType` and `size` are accepted too.
fn new_deployment_of(map: &serde_json::Map<String, Value>) -> Result<NewDeployment, BadBody> {
    Ok(NewDeployment {
        name: string_field(map, "name")?.unwrap_or_default(),
        zone: string_field(map, "zone")?,
        subdomain: string_field(map, "subdomain")?,
        deployment_type: string_field(map, "deploymentType")?,
        deployment_mode: string_field(map, "deploymentMode")?,
        organization_uid: string_field(map, "organizationId")?,
        size: string_field(map, "size")?,
    })
}

/// The CLI's PATCH body: only the keys it was given (spec §8.6).
fn patch_of(map: &serde_json::Map<String, Value>) -> Result<DeploymentPatch, BadBody> {
    Ok(DeploymentPatch {
        name: string_field(map, "name")?,
        deployment_mode: string_field(map, "deploymentMode")?,
        organization_uid: string_field(map, "organizationId")?,
        lambda_script: string_field(map, "lambdaScript")?,
    })
}

fn deployment_json(d: cerebro::DeploymentOut) -> Value {
    serde_json::to_value(d).unwrap_or(Value::Null)
}

/// `PATCH /deployment/{uid}`: name, mode, organization, or the lambda script.
#[utoipa::path(
    patch,
    path = "/deployment/{uid}",
    tag = "deployments",
    params(("uid" = String, Path, description = "The deployment's uid")),
    request_body = openapi::UpdateDeployment,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Updated", body = openapi::Message),
        openapi::Signed,
        openapi::OneDeployment,
    ),
)]
pub async fn update_deployment(signed: Signed, Path(uid): Path<String>, body: Bytes) -> Response {
    let map = match json_body(&body) {
        Ok(m) => m,
        Err(r) => return r.into_response(),
    };
    let patch = match patch_of(&map) {
        Ok(p) => p,
        Err(r) => return r.into_response(),
    };
    match signed
        .cerebro
        .update_deployment(&signed.account, &uid, patch)
        .await
    {
        Ok(()) => Json(json!({"response": {"message": "Successfully Updated the backend"}}))
            .into_response(),
        Err(r) => refusal(r),
    }
}

#[utoipa::path(
    delete,
    path = "/deployment/{uid}",
    tag = "deployments",
    params(("uid" = String, Path, description = "The deployment's uid")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Deleted", body = openapi::Message),
        (status = 401, description = "No or an unknown bearer token", body = openapi::RestError),
        openapi::OneDeployment,
    ),
)]
pub async fn delete_deployment(signed: Signed, Path(uid): Path<String>) -> Response {
    match signed
        .cerebro
        .delete_deployment(&signed.account, &uid)
        .await
    {
        Ok(()) => Json(json!({"response": {"message": "Successfully deleted the Deployment"}}))
            .into_response(),
        Err(r) => refusal(r),
    }
}

/// `POST /deployments/{uid}/api-keys`: the key is shown once (spec §3.2, §8.6).
#[utoipa::path(
    post,
    path = "/deployments/{uid}/api-keys",
    tag = "deployments",
    params(("uid" = String, Path, description = "The deployment's uid")),
    request_body = openapi::CreateApiKey,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new key, shown once", body = openapi::ApiKeyCreated),
        openapi::Signed,
        openapi::OneDeployment,
    ),
)]
pub async fn create_api_key(signed: Signed, Path(uid): Path<String>, body: Bytes) -> Response {
    let map = match json_body(&body) {
        Ok(m) => m,
        Err(r) => return r.into_response(),
    };
    let (name, role) = match (string_field(&map, "name"), string_field(&map, "role")) {
        (Ok(n), Ok(r)) => (n, r),
        (Err(r), _) | (_, Err(r)) => return r.into_response(),
    };
    let name = name.unwrap_or_else(|| "slash-graphql-cli".into());
    let role_text = role.unwrap_or_else(|| "client".into());
    let Some(role) = ApiKeyRole::parse(&role_text) else {
        return rest_error(
            StatusCode::BAD_REQUEST,
            &format!("invalid role {role_text:?}: use admin or client"),
        );
    };
    let d = match signed.cerebro.deployment_of(&signed.account, &uid).await {
        Ok(d) => d,
        Err(r) => return refusal(r),
    };
    let key = Secret::new(random_token(32));
    let key_uid = new_uid();
    if let Err(e) = signed
        .cerebro
        .store
        .insert_api_key(
            &key_uid,
            &d.uid,
            &name,
            role,
            &sha256_hex(key.expose()),
            &iso(signed.cerebro.now()),
        )
        .await
    {
        return internal(e);
    }
    Json(json!({"uid": key_uid, "name": name, "role": role.as_str(), "key": key.expose()}))
        .into_response()
}

// --- provisioning (SPEC.md, control API) ---

/// `POST /_offcloud/dgraph/accounts` `{"email","password","name"?}` → 201 with the account.
pub async fn create_account(cerebro: Cerebro, body: Bytes) -> Response {
    let map = match json_body(&body) {
        Ok(m) => m,
        Err(r) => return r.into_response(),
    };
    let (email, pass, name) = match (
        string_field(&map, "email"),
        string_field(&map, "password"),
        string_field(&map, "name"),
    ) {
        (Ok(e), Ok(p), Ok(n)) => (e, p, n),
        (Err(r), _, _) | (_, Err(r), _) | (_, _, Err(r)) => return r.into_response(),
    };
    let email = email.map(|e| e.trim().to_owned()).unwrap_or_default();
    if !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        return rest_error(StatusCode::BAD_REQUEST, "a valid email is required");
    }
    let Some(pass) = pass.filter(|p| !p.is_empty()) else {
        return rest_error(StatusCode::BAD_REQUEST, "password is required");
    };
    let hash = match password::hash(&Secret::new(pass)).await {
        Ok(h) => h,
        Err(e) => return internal(e),
    };
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
        Ok(()) => (
            StatusCode::CREATED,
            Json(json!({"id": account.id, "email": account.email, "name": account.name})),
        )
            .into_response(),
        Err(WriteError::Taken) => rest_error(
            StatusCode::CONFLICT,
            &format!("an account with email {} already exists", account.email),
        ),
        Err(WriteError::Internal(e)) => internal(e),
    }
}

/// Unknown REST paths and methods.
pub async fn not_found() -> Response {
    rest_error(StatusCode::NOT_FOUND, "Not Found")
}

/// axum answers a wrong method with an empty 405; the emulator keeps its JSON error shape (the
/// `Allow` header stays).
pub async fn method_not_allowed(response: Response) -> Response {
    if response.status() != StatusCode::METHOD_NOT_ALLOWED
        || response.headers().contains_key(header::CONTENT_TYPE)
    {
        return response;
    }
    let (parts, _) = response.into_parts();
    let mut answer = rest_error(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        answer.headers_mut().insert(header::ALLOW, allow.clone());
    }
    answer
}
