//! Realistic state for the dashboard's tests, made through each service's own API (and the
//! control routes that stand for the real services' consoles), with every credential it
//! produced along the way: the dashboard must show the state and none of those.

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Account, TestServer, send, str_of};

/// What the seed made, and every secret that exists afterwards.
pub struct Seeded {
    pub memgraph: Account,
    pub typedb_client_id: String,
    pub hasura_project: String,
    pub hasura_job: String,
    pub dgraph_deployment: Value,
    /// Plaintexts shown once, passwords, tokens, env var values, and every hash and signing
    /// secret stored: nothing of it may reach the dashboard.
    pub secrets: BTreeSet<String>,
}

/// Env var values of the Hasura project: secrets.
const HASURA_ADMIN_SECRET: &str = "hasura-admin-secret-for-dashboard";
const DATABASE_URL: &str = "postgres://app:db-password-for-dashboard@db:5432/app";
const GITHUB_PAT: &str = "ghp_dashboardtestpersonalaccesstoken000";
const PREVIEW_ENV: &str = "preview-env-secret-for-dashboard";
const EVENT_PASSWORD: &str = "event-payload-password-for-dashboard";

/// The configuration the seed needs: Dgraph backends on free ports, and TypeDB clusters that
/// stay `starting` for a minute (the seed moves the clock half a minute for Dgraph).
pub fn config() -> offcloud::Config {
    let mut config = crate::dgraph::dgraph_config();
    config.typedb.starting = offcloud::config::Ttl(Duration::from_secs(60));
    config
}

const CREATE_TENANT: &str = r#"mutation createTenant($envs: [UpdateEnvsObject]) {
  createTenant(cloud: "aws", region: "us-east-2", name: "acme-api", envs: $envs) {
    id
    name
  }
}"#;

const CREATE_PREVIEW_APP: &str = r#"mutation createPreviewApp($pat: String!, $env: [UpdateEnvsObject]) {
  createGitHubPreviewApp(payload: {
    githubPersonalAccessToken: $pat
    githubRepoDetails: {owner: "acme", repo: "api", branch: "feature-x", directory: "hasura"}
    projectOptions: {name: "acme-api-pr-7", cloud: "aws", region: "us-east-2", plan: "cloud_free", envVars: $env}
  }) {
    githubPreviewAppJobID
  }
}"#;

/// The seed, in the default session of a server started with [`config`].
pub async fn seed(s: &TestServer) -> Seeded {
    let mut secrets = BTreeSet::new();

    // ---- Memgraph: a tenant with its admin, a second user, keys, beliefs with a history, an event.
    let a = s.onboard("ana@acme.test").await;
    secrets.extend([a.password.clone(), a.api_key.clone(), a.token.clone()]);
    let (status, key) = s
        .post("/v1/api-keys", a.bearer(), json!({"name": "ci runner"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    secrets.insert(str_of(&key["api_key"]));
    let (_, viewer_token) = s.user_with_role(&a, "viewer@acme.test", "viewer").await;
    secrets.extend(["pw-for-tests".to_owned(), viewer_token]);
    for (subject, value) in [("user-42", "blue"), ("user-42", "green"), ("user-7", "red")] {
        let (status, body) = s
            .post(
                "/v1/beliefs",
                a.key(),
                json!({"subject_id": subject, "key": "favourite_colour", "value": value,
                       "confidence": 0.9}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, body) = s
        .post(
            "/v1/events",
            a.key(),
            json!({"user_id": "user-42", "event_type": "message", "thread_id": "t-1",
                   "content": {"text": "my colour is green", "password": EVENT_PASSWORD}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    secrets.insert(EVENT_PASSWORD.to_owned());

    // ---- TypeDB: a token (its secret exchanged for an access token), a cluster starting.
    let token = crate::typedb::api_token(s, "acme", "default", "admin").await;
    secrets.insert(token.client_secret.clone());
    let access = crate::typedb::exchange(s, &token).await;
    secrets.insert(access.clone());
    let (status, body) = crate::typedb::call(
        s,
        "POST",
        &crate::typedb::clusters("acme", "default", "/deploy"),
        Some(&access),
        Some(crate::typedb::free_cluster("dash-cluster")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // ---- Hasura: a user with a PAT, a project with secret env vars, a preview app.
    let (status, user) = send(
        s.http
            .post(s.main_url("/_offcloud/hasura/users"))
            .json(&json!({"email": "owner@acme.test"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let pat = str_of(&user["pat"]);
    secrets.insert(pat.clone());
    let created = hasura(
        s,
        &pat,
        CREATE_TENANT,
        json!({"envs": [
            {"key": "HASURA_GRAPHQL_ADMIN_SECRET", "value": HASURA_ADMIN_SECRET},
            {"key": "DATABASE_URL", "value": DATABASE_URL},
        ]}),
    )
    .await;
    let hasura_project = str_of(&created["createTenant"]["name"]);
    let job = hasura(
        s,
        &pat,
        CREATE_PREVIEW_APP,
        json!({"pat": GITHUB_PAT, "env": [{"key": "PREVIEW_SECRET", "value": PREVIEW_ENV}]}),
    )
    .await;
    let hasura_job = str_of(&job["createGitHubPreviewApp"]["githubPreviewAppJobID"]);
    secrets.extend([
        HASURA_ADMIN_SECRET.to_owned(),
        DATABASE_URL.to_owned(),
        GITHUB_PAT.to_owned(),
        PREVIEW_ENV.to_owned(),
    ]);

    // ---- Dgraph: an account, a deployment (ready: the helper moves the clock), an API key.
    let cerebro_token = crate::dgraph::account(s, "dev@acme.test").await;
    secrets.extend([crate::dgraph::PASSWORD.to_owned(), cerebro_token.clone()]);
    let deployment = crate::dgraph::deployment(s, &cerebro_token, "acme graph", "free").await;
    secrets.insert(str_of(&deployment["jwtToken"]));
    let uid = str_of(&deployment["uid"]);
    let (status, key) = send(
        s.http
            .post(crate::dgraph::dg(
                s,
                &format!("/deployments/{uid}/api-keys"),
            ))
            .bearer_auth(&cerebro_token)
            .json(&json!({"name": "ci", "role": "admin"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{key}");
    secrets.insert(str_of(&key["key"]));

    secrets.extend(stored_secrets(s).await);
    Seeded {
        memgraph: a,
        typedb_client_id: token.client_id,
        hasura_project,
        hasura_job,
        dgraph_deployment: deployment,
        secrets,
    }
}

/// A Hasura GraphQL request that must succeed: its `data`.
pub async fn hasura(s: &TestServer, pat: &str, query: &str, variables: Value) -> Value {
    let (status, body) = send(
        s.http
            .post(format!("http://{}/v1/graphql", s.hasura))
            .header("authorization", format!("pat {pat}"))
            .json(&json!({"query": query, "variables": variables})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    body["data"].clone()
}

/// Every secret the database holds, read from the full export: hash and secret columns,
/// signing keys, and the values of Hasura's env vars. Password hashes count whole and by their
/// digest alone.
async fn stored_secrets(s: &TestServer) -> BTreeSet<String> {
    let (status, state) = send(s.http.get(s.main_url("/_offcloud/state?session=default"))).await;
    assert_eq!(status, StatusCode::OK);
    let mut found = BTreeSet::new();
    let tables = state["sessions"]["default"]["tables"]
        .as_object()
        .expect("tables");
    for (table, content) in tables {
        let columns: Vec<&str> = content["columns"]
            .as_array()
            .expect("columns")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for row in content["rows"].as_array().expect("rows") {
            for (column, value) in columns.iter().zip(row.as_array().expect("row")) {
                let Some(text) = value.as_str() else { continue };
                let secret_column = ["hash", "secret", "password", "token"]
                    .iter()
                    .any(|w| column.contains(w));
                if secret_column || table == "offcloud_secrets" && *column == "value" {
                    found.insert(text.to_owned());
                    if let Some(digest) = text.rsplit('$').next().filter(|d| d.len() >= 16) {
                        found.insert(digest.to_owned());
                    }
                }
                if table == "hasura_configs" && *column == "env" {
                    let env: Value = serde_json::from_str(text).expect("env is JSON");
                    for value in env.as_object().expect("env object").values() {
                        found.insert(str_of(value));
                    }
                }
            }
        }
    }
    assert!(
        found.len() >= 10,
        "the export should hold hashes and keys: {found:?}"
    );
    found
}

/// Lets the TypeDB cluster and the Hasura jobs finish.
pub async fn let_time_pass(s: &TestServer) {
    s.advance("default", Duration::from_secs(120)).await;
}
