//! Integration tests of dgraph: one submodule per area, and the helpers they share.

mod cerebro;
mod cli;
mod dataplane;
mod hostile;
mod rest;
mod sweep;

use std::time::Duration;

use offcloud::Config;
use offcloud::dgraph::PortRange;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestServer, send, str_of, test_config};

pub const PASSWORD: &str = "correct horse battery";

/// The test configuration: backends on any free port, named by 127.0.0.1 in their `url`.
pub fn dgraph_config() -> Config {
    let mut config = test_config();
    config.dgraph.backend_ports = PortRange::Any;
    config.dgraph.public_host = "127.0.0.1".into();
    config
}

pub async fn start() -> TestServer {
    TestServer::start_with(dgraph_config()).await
}

/// A URL on the Dgraph listener.
pub fn dg(s: &TestServer, path: &str) -> String {
    format!("http://{}{path}", s.dgraph)
}

pub async fn create_account(s: &TestServer, email: &str) -> (StatusCode, Value) {
    send(
        s.http
            .post(s.main_url("/_offcloud/dgraph/accounts"))
            .json(&json!({"email": email, "password": PASSWORD})),
    )
    .await
}

/// Cerebro GraphQL on the Dgraph listener, with an optional bearer token.
pub async fn cerebro(
    s: &TestServer,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> (StatusCode, Value) {
    let mut request = s
        .http
        .post(dg(s, "/graphql"))
        .json(&json!({"query": query, "variables": variables}));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    send(request).await
}

pub async fn login(s: &TestServer, email: &str, password: &str) -> (StatusCode, Value) {
    cerebro(
        s,
        None,
        "query Login($email: String!, $password: String!) {\n  login(email: $email, password: $password) {    \n    token\n  }\n}",
        json!({"email": email, "password": password}),
    )
    .await
}

/// A new account, logged in: its Cerebro token.
pub async fn account(s: &TestServer, email: &str) -> String {
    let (status, body) = create_account(s, email).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = login(s, email, PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    str_of(&body["data"]["login"]["token"])
}

pub const DEPLOYMENT_FIELDS: &str = "uid name zone subdomain url owner jwtToken deploymentMode deploymentType lambdaScript tenantID";

/// Creates a deployment and moves the clock past its creation time: the deployment as listed.
pub async fn deployment(s: &TestServer, token: &str, name: &str, kind: &str) -> Value {
    let (status, body) = cerebro(
        s,
        Some(token),
        &format!(
            "mutation CreateDeployment($deployment: NewDeployment!) {{ createDeployment(input: $deployment) {{ {DEPLOYMENT_FIELDS} }} }}"
        ),
        json!({"deployment": {"name": name, "zone": "us-east-1", "deploymentType": kind}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.get("errors").is_none(), "{body}");
    s.advance("default", Duration::from_secs(31)).await;
    body["data"]["createDeployment"].clone()
}

/// A data-plane URL on the backend's own port.
pub fn backend_url(d: &Value, path: &str) -> String {
    format!("http://{}{path}", str_of(&d["url"]))
}

/// A GraphQL request to a data-plane path, with the token in the given header.
pub async fn data(
    s: &TestServer,
    url: String,
    header: &str,
    token: &str,
    query: &str,
    variables: Value,
) -> (StatusCode, Value) {
    send(
        s.http
            .post(url)
            .header(header, token)
            .json(&json!({"query": query, "variables": variables})),
    )
    .await
}

pub async fn admin(
    s: &TestServer,
    d: &Value,
    query: &str,
    variables: Value,
) -> (StatusCode, Value) {
    data(
        s,
        backend_url(d, "/admin"),
        "X-Auth-Token",
        &str_of(&d["jwtToken"]),
        query,
        variables,
    )
    .await
}

pub async fn slash(
    s: &TestServer,
    d: &Value,
    query: &str,
    variables: Value,
) -> (StatusCode, Value) {
    data(
        s,
        backend_url(d, "/admin/slash"),
        "X-Auth-Token",
        &str_of(&d["jwtToken"]),
        query,
        variables,
    )
    .await
}

pub const UPDATE_SCHEMA: &str = "\nmutation($sch: String!) {\n  updateGQLSchema(input: { set: { schema: $sch } })\n  {\n    gqlSchema {\n      schema\n    }\n  }\n}";
pub const GET_SCHEMA: &str = "{\n  getGQLSchema {\n    schema\n    generatedSchema\n  }\n}";
