//! Provisioning under `/_offcloud/typedb` (docs/spec/typedb.md §12): what the real service only
//! creates in its web UI. Errors use the control API's `{"error": msg}` shape.
//!
//! - `POST /tokens` `{"team","space","access","name"?,"clientId"?,"clientSecret"?,
//!   "hasPaymentMethod"?}` → 201 `{"clientId","clientSecret","name","team","space","access"}`:
//!   an API token (team and space created if new); the secret is shown this once.
//! - `DELETE /tokens/{clientId}` → 204: revokes it; its access tokens stop working.
//! - `POST /teams` `{"id","hasPaymentMethod"?,"spaces"?}` → 200: creates or updates a team.
//! - `PUT /teams/{team}/spaces/{space}/clusters/{id}/status` `{"status"}` → 200 with the cluster:
//!   forces a status (e.g. `running` at once, or `suspended`); transitional ones run their course
//!   from now.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::Extensions;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::model::{Access, STATUSES, check_name, is_client_id};
use super::store::{Durations, NewApiToken, Scope, Store};
use crate::AppState;
use crate::auth::{Secret, random_token, sha256_hex};
use crate::control_error::response;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewToken {
    team: String,
    space: String,
    access: Access,
    name: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    has_payment_method: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TeamBody {
    id: String,
    has_payment_method: Option<bool>,
    #[serde(default)]
    spaces: Vec<String>,
}

pub async fn create_token(State(state): State<AppState>, req: Request) -> Response {
    let store = match store_of(&state, req.extensions()).await {
        Ok(store) => store,
        Err(response) => return response,
    };
    let body: NewToken = match json_body(req).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    for (field, value) in [("team", &body.team), ("space", &body.space)] {
        if let Err(why) = check_name(value) {
            return bad_request(&format!("{field}: {why}"));
        }
    }
    let client_id = body.client_id.unwrap_or_else(|| random_token(12));
    if !is_client_id(&client_id) {
        return bad_request("clientId must be non-empty, without ':' or whitespace");
    }
    let secret = Secret::new(body.client_secret.unwrap_or_else(|| random_token(24)));
    if secret.expose().is_empty() {
        return bad_request("clientSecret must not be empty");
    }
    let token = NewApiToken {
        client_id,
        secret_hash: sha256_hex(secret.expose()),
        name: body.name.unwrap_or_else(|| "api-token".to_owned()),
        scope: Scope {
            team: body.team,
            space: body.space,
        },
        access: body.access,
        has_payment_method: body.has_payment_method,
    };
    match store.create_api_token(&token).await {
        Ok(true) => (
            StatusCode::CREATED,
            Json(json!({
                "clientId": token.client_id,
                "clientSecret": secret.expose(),
                "name": token.name,
                "team": token.scope.team,
                "space": token.scope.space,
                "access": token.access,
            })),
        )
            .into_response(),
        Ok(false) => response(
            StatusCode::CONFLICT,
            &format!("clientId {:?} is already taken", token.client_id),
        ),
        Err(e) => e.into_response(),
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    req: Request,
) -> Response {
    let client_id = match path_of(path) {
        Ok(client_id) => client_id,
        Err(why) => return bad_request(&why),
    };
    let store = match store_of(&state, req.extensions()).await {
        Ok(store) => store,
        Err(response) => return response,
    };
    match store.delete_api_token(&client_id).await {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => response(
            StatusCode::NOT_FOUND,
            &format!("no API token with clientId {client_id:?}"),
        ),
        Err(e) => e.into_response(),
    }
}

pub async fn put_team(State(state): State<AppState>, req: Request) -> Response {
    let store = match store_of(&state, req.extensions()).await {
        Ok(store) => store,
        Err(response) => return response,
    };
    let body: TeamBody = match json_body(req).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    for name in std::iter::once(&body.id).chain(&body.spaces) {
        if let Err(why) = check_name(name) {
            return bad_request(&format!("{name:?}: {why}"));
        }
    }
    match store
        .put_team(&body.id, body.has_payment_method, &body.spaces)
        .await
    {
        Ok(()) => Json(json!({"id": body.id, "spaces": body.spaces})).into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    status: String,
}

pub async fn force_status(
    State(state): State<AppState>,
    path: Result<Path<(String, String, String)>, PathRejection>,
    req: Request,
) -> Response {
    let (team, space, id) = match path_of(path) {
        Ok(ids) => ids,
        Err(why) => return bad_request(&why),
    };
    let store = match store_of(&state, req.extensions()).await {
        Ok(store) => store,
        Err(response) => return response,
    };
    let body: StatusBody = match json_body(req).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    if !STATUSES.contains(&body.status.as_str()) {
        return bad_request(&format!("status must be one of {}", STATUSES.join(", ")));
    }
    let scope = Scope { team, space };
    let durations = Durations::of(&state.config.typedb);
    match store
        .force_status(&scope, &id, &body.status, durations)
        .await
    {
        Ok(Some(row)) => Json(row.wire(&state.config.typedb)).into_response(),
        Ok(None) => response(
            StatusCode::NOT_FOUND,
            &format!(
                "no cluster {id:?} in space {:?} of team {:?}",
                scope.space, scope.team
            ),
        ),
        Err(e) => e.into_response(),
    }
}

async fn store_of(state: &AppState, extensions: &Extensions) -> Result<Store, Response> {
    match state.sessions.of(extensions).await {
        Ok(session) => Ok(Store::new(session)),
        Err(e) => {
            e.log();
            Err(response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error",
            ))
        }
    }
}

async fn json_body<T: DeserializeOwned>(req: Request) -> Result<T, Response> {
    let bytes = Bytes::from_request(req, &())
        .await
        .map_err(|e| response(e.status(), &e.body_text()))?;
    serde_json::from_slice(&bytes).map_err(|e| bad_request(&format!("invalid body: {e}")))
}

/// Path parameters, or why not, for a 400 in the control API's shape (axum's own answer is
/// text/plain): a segment such as `%FF` is not UTF-8 once decoded.
fn path_of<T>(path: Result<Path<T>, PathRejection>) -> Result<T, String> {
    path.map(|Path(params)| params).map_err(|e| e.body_text())
}

fn bad_request(message: &str) -> Response {
    response(StatusCode::BAD_REQUEST, message)
}
