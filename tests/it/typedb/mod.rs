//! Integration tests of typedb: one submodule per area, and the helpers they share.

mod access;
mod auth;
mod clients;
mod clusters;
mod errors;
mod fixtures;
mod hostile;
mod lifecycle;
mod state;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestServer, send, str_of};

pub const OK: StatusCode = StatusCode::OK;
pub const BAD: StatusCode = StatusCode::BAD_REQUEST;

/// Client credentials of an API token made through the control API.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
}

/// A URL on the TypeDB listener, where the API is at the root.
pub fn url(s: &TestServer, path: &str) -> String {
    format!("http://{}{path}", s.typedb)
}

/// `…/clusters` of a team space, plus `rest`.
pub fn clusters(team: &str, space: &str, rest: &str) -> String {
    format!("/api/v1/team/{team}/spaces/{space}/clusters{rest}")
}

/// Makes an API token through `POST /_offcloud/typedb/tokens` (default session).
pub async fn api_token(s: &TestServer, team: &str, space: &str, access: &str) -> Credentials {
    let (status, body) = send(
        s.http
            .post(s.main_url("/_offcloud/typedb/tokens"))
            .json(&json!({"team": team, "space": space, "access": access})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "create token: {body}");
    Credentials {
        client_id: str_of(&body["clientId"]),
        client_secret: str_of(&body["clientSecret"]),
    }
}

/// Exchanges credentials with the documented raw header, `Basic ID:SECRET`.
pub async fn exchange(s: &TestServer, c: &Credentials) -> String {
    let response = s
        .http
        .post(url(s, "/api/v1/auth"))
        .header(
            "Authorization",
            format!("Basic {}:{}", c.client_id, c.client_secret),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), OK);
    response.text().await.unwrap()
}

/// An access token of a fresh API token with that level.
pub async fn bearer(s: &TestServer, team: &str, space: &str, access: &str) -> String {
    let c = api_token(s, team, space, access).await;
    exchange(s, &c).await
}

/// A request to the TypeDB listener with an optional bearer and JSON body.
pub async fn call(
    s: &TestServer,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = s.http.request(method.parse().unwrap(), url(s, path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    send(request).await
}

/// The ids of team `t`'s `default` space, as its cluster list gives them.
pub async fn listed_ids(s: &TestServer, token: &str) -> Vec<String> {
    let (status, listed) = call(s, "GET", &clusters("t", "default", ""), Some(token), None).await;
    assert_eq!(status, OK, "{listed}");
    listed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The docs' deploy body, verbatim, with another id.
pub fn free_cluster(id: &str) -> Value {
    json!({"id": id, "serverCount": 1, "storageSizeGB": 10, "provider": "gcp",
           "region": "europe-west2", "isFree": true, "machineType": "c2d-highcpu-2",
           "storageType": "standard-rwo", "version": "latest"})
}

/// A paid GCP cluster.
pub fn paid_cluster(id: &str) -> Value {
    json!({"id": id, "serverCount": 1, "storageSizeGB": 50, "provider": "gcp",
           "region": "us-east1", "isFree": false, "machineType": "c2d-highcpu-4",
           "storageType": "standard-rwo", "version": "3.5.5"})
}

/// Asserts a `{"code","message"}` error with that status and code.
#[track_caller]
pub fn assert_error(answer: &(StatusCode, Value), status: StatusCode, code: &str) {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert_eq!(answer.1["code"], code, "{}", answer.1);
    assert!(
        answer.1["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{}",
        answer.1
    );
    assert_eq!(
        answer.1.as_object().map(|o| o.len()),
        Some(2),
        "{}",
        answer.1
    );
}
