//! Talking to the Hasura listener: users with PATs from the control route, GraphQL requests.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestServer, send, str_of};

pub fn graphql_url(s: &TestServer) -> String {
    format!("http://{}/v1/graphql", s.hasura)
}

/// A new user (control route) and their PAT.
pub async fn user(s: &TestServer, email: &str) -> String {
    let (status, body) = send(
        s.http
            .post(s.main_url("/_offcloud/hasura/users"))
            .json(&json!({ "email": email })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    str_of(&body["pat"])
}

/// Posts a GraphQL request as `pat`; Hasura answers 200 whatever happens.
pub async fn gql(s: &TestServer, pat: Option<&str>, query: &str, variables: Value) -> Value {
    let mut request = s
        .http
        .post(graphql_url(s))
        .json(&json!({"query": query, "variables": variables}));
    if let Some(pat) = pat {
        request = request.header("authorization", format!("pat {pat}"));
    }
    let (status, body) = send(request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// The `data` of a request that must succeed.
pub async fn data(s: &TestServer, pat: &str, query: &str, variables: Value) -> Value {
    let body = gql(s, Some(pat), query, variables).await;
    assert!(body.get("errors").is_none(), "unexpected errors: {body}");
    body["data"].clone()
}

/// The single error of a request that must fail, checking the envelope: no `data`, no
/// `locations`.
pub async fn error(s: &TestServer, pat: Option<&str>, query: &str, variables: Value) -> Value {
    let body = gql(s, pat, query, variables).await;
    assert!(body.get("data").is_none(), "{body}");
    let errors = body["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{body}");
    assert!(errors[0].get("locations").is_none(), "{body}");
    errors[0].clone()
}

pub fn hasura_error(message: &str, path: &str, code: &str) -> Value {
    json!({"message": message, "extensions": {"path": path, "code": code}})
}

pub const CREATE: &str = "mutation createTenant($name: String, $plan: String, $region: String!, $cloud: String!, $envs: [UpdateEnvsObject]) {
  createTenant(cloud: $cloud, region: $region, name: $name, plan: $plan, envs: $envs) { id name }
}";

/// Creates a project named `name`; returns (tenant id, project id).
pub async fn project(s: &TestServer, pat: &str, name: &str) -> (String, String) {
    let created = data(
        s,
        pat,
        CREATE,
        json!({"name": name, "cloud": "aws", "region": "us-east-2"}),
    )
    .await;
    let tenant_id = str_of(&created["createTenant"]["id"]);
    let found = data(
        s,
        pat,
        "query($id: uuid!) { tenant_by_pk(id: $id) { project { id } } }",
        json!({ "id": tenant_id }),
    )
    .await;
    (tenant_id, str_of(&found["tenant_by_pk"]["project"]["id"]))
}
