//! No secret offcloud issued or verified reaches `GET /_offcloud/requests`, whatever carries it:
//! for each service, every kind of secret is issued and used through the real API, sometimes in
//! fields not named like a secret (a GraphQL argument written inline, a variable called `$p`, a
//! response field called `key`, a memory's text), then the whole journal is searched for the
//! plaintext.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Auth, TestServer, send, str_of, test_config};

/// The whole journal as JSON text.
async fn journal_text(s: &TestServer) -> String {
    let (status, body) = send(s.http.get(s.main_url("/_offcloud/requests"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!body["requests"].as_array().unwrap().is_empty());
    body.to_string()
}

fn assert_absent(journal: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(secret.len() >= 4, "too short to mean anything: {secret:?}");
        assert!(
            !journal.contains(secret),
            "the journal shows the secret {secret:?}: {journal}"
        );
    }
}

#[tokio::test]
async fn memgraph_passwords_keys_and_tokens_never_reach_the_journal() {
    let s = TestServer::start().await;
    let account = s.onboard("redact@example.com").await;
    let (status, key) = s
        .post("/v1/api-keys", account.bearer(), json!({"name": "ci"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    let new_key = str_of(&key["api_key"]);
    let (_, user) = s
        .post(
            "/v1/users",
            account.bearer(),
            json!({"email": "second@example.com", "password": "second-user-pw", "full_name": "S", "role": "viewer"}),
        )
        .await;
    assert!(user["id"].is_string(), "{user}");
    let second_token = s.login("second@example.com", "second-user-pw").await;
    // Secrets where no field name gives them away: a memory's text, a query parameter, a wrong
    // password.
    let (status, _) = s
        .post(
            "/v1/beliefs",
            Auth::Key(&new_key),
            json!({"subject_id": "user-1", "key": "note", "value": format!("the key is {new_key} and {}", account.password)}),
        )
        .await;
    assert!(status.is_success(), "{status}");
    s.get(
        &format!("/v1/beliefs?subject_id={}", second_token),
        Auth::Key(&account.api_key),
    )
    .await;
    let login = s.http.post(s.mg("/v1/auth/login")).form(&[
        ("username", "redact@example.com"),
        ("password", "not-the-password"),
    ]);
    assert_eq!(
        login.send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );

    assert_absent(
        &journal_text(&s).await,
        &[
            &account.password,
            &account.api_key,
            &account.token,
            &new_key,
            "second-user-pw",
            &second_token,
            "not-the-password",
        ],
    );
}

#[tokio::test]
async fn typedb_client_secrets_and_access_tokens_never_reach_the_journal() {
    let s = TestServer::start().await;
    let (status, token) = send(
        s.http
            .post(s.main_url("/_offcloud/typedb/tokens"))
            .json(&json!({"team": "team-r", "space": "space-r", "access": "admin"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{token}");
    let (id, secret) = (str_of(&token["clientId"]), str_of(&token["clientSecret"]));
    let typedb = |path: &str| format!("http://{}{path}", s.typedb);
    let exchanged = s
        .http
        .post(typedb("/api/v1/auth"))
        .header("Authorization", format!("Basic {id}:{secret}"))
        .send()
        .await
        .unwrap();
    assert_eq!(exchanged.status(), StatusCode::OK);
    let access = exchanged.text().await.unwrap();
    // The secret and the token where no name gives them away: a query string and a body.
    let (status, _) = send(
        s.http
            .get(typedb(&format!(
                "/api/v1/team/team-r/spaces/space-r/clusters?note={secret}"
            )))
            .bearer_auth(&access),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    send(
        s.http
            .post(typedb("/api/v1/team/team-r/spaces/space-r/clusters/deploy"))
            .bearer_auth(&access)
            .json(&json!({"id": access, "description": secret})),
    )
    .await;

    assert_absent(&journal_text(&s).await, &[&secret, &access]);
}

fn hasura_url(s: &TestServer) -> String {
    format!("http://{}/v1/graphql", s.hasura)
}

async fn hasura(s: &TestServer, pat: &str, query: &str, variables: Value) -> Value {
    let (status, body) = send(
        s.http
            .post(hasura_url(s))
            .header("authorization", format!("pat {pat}"))
            .json(&json!({"query": query, "variables": variables})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn hasura_pats_and_env_values_never_reach_the_journal() {
    let s = TestServer::start().await;
    let (status, user) = send(
        s.http
            .post(s.main_url("/_offcloud/hasura/users"))
            .json(&json!({"email": "env@example.com"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let pat = str_of(&user["pat"]);
    let created = hasura(
        &s,
        &pat,
        "mutation { createTenant(cloud: \"aws\", region: \"us-east-2\", name: \"envs\", envs: [{key: \"FROM_CREATE\", value: \"created-env-value\"}]) { id } }",
        json!({}),
    )
    .await;
    let tenant = str_of(&created["data"]["createTenant"]["id"]);
    let got = hasura(
        &s,
        &pat,
        "query($t: uuid!) { getTenantEnv(tenantId: $t) { hash envVars } }",
        json!({"t": tenant}),
    )
    .await;
    let hash = str_of(&got["data"]["getTenantEnv"]["hash"]);
    let admin_secret = str_of(
        &got["data"]["getTenantEnv"]["envVars"]["environment"]["HASURA_GRAPHQL_ADMIN_SECRET"],
    );
    // Inline, then through a variable whose name says nothing.
    let inline = hasura(
        &s,
        &pat,
        &format!(
            "mutation {{ updateTenantEnv(tenantId: \"{tenant}\", currentHash: \"{hash}\", envs: [{{key: \"INLINE\", value: \"inline-env-value\"}}]) {{ hash }} }}"
        ),
        json!({}),
    )
    .await;
    let hash = str_of(&inline["data"]["updateTenantEnv"]["hash"]);
    hasura(
        &s,
        &pat,
        "mutation($t: uuid!, $h: String!, $x: [UpdateEnvObject!]!) { updateTenantEnv(tenantId: $t, currentHash: $h, envs: $x) { hash envVars } }",
        json!({"t": tenant, "h": hash, "x": [{"key": "VIA_VARIABLE", "value": "variable-env-value"}]}),
    )
    .await;

    assert_absent(
        &journal_text(&s).await,
        &[
            &pat,
            &admin_secret,
            "created-env-value",
            "inline-env-value",
            "variable-env-value",
        ],
    );
}

const DGRAPH_PASSWORD: &str = "dg-test-password";

async fn cerebro(s: &TestServer, token: Option<&str>, query: &str, variables: Value) -> Value {
    let mut request = s
        .http
        .post(format!("http://{}/graphql", s.dgraph))
        .json(&json!({"query": query, "variables": variables}));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let (status, body) = send(request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn dgraph_passwords_tokens_and_api_keys_never_reach_the_journal() {
    let mut config = test_config();
    config.dgraph.backend_ports = offcloud::dgraph::PortRange::Any;
    config.dgraph.public_host = "127.0.0.1".into();
    let s = TestServer::start_with(config).await;
    let (status, _) = send(
        s.http
            .post(s.main_url("/_offcloud/dgraph/accounts"))
            .json(&json!({"email": "dev@acme.test", "password": DGRAPH_PASSWORD})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    // The README's own example: the password inline.
    let inline = cerebro(
        &s,
        None,
        &format!(
            "{{ login(email:\"dev@acme.test\", password:\"{DGRAPH_PASSWORD}\") {{ token }} }}"
        ),
        json!({}),
    )
    .await;
    let token = str_of(&inline["data"]["login"]["token"]);
    // In a variable whose name says nothing, and a wrong one inline.
    let variable = cerebro(
        &s,
        None,
        "query($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
        json!({"e": "dev@acme.test", "p": DGRAPH_PASSWORD}),
    )
    .await;
    let second_token = str_of(&variable["data"]["login"]["token"]);
    cerebro(
        &s,
        None,
        "{ login(email:\"dev@acme.test\", password:\"wrong-dgraph-password\") { token } }",
        json!({}),
    )
    .await;

    let created = cerebro(
        &s,
        Some(&token),
        "mutation($d: NewDeployment!) { createDeployment(input: $d) { uid url jwtToken } }",
        json!({"d": {"name": "keys", "zone": "us-east-1", "deploymentType": "free"}}),
    )
    .await;
    let deployment = &created["data"]["createDeployment"];
    let uid = str_of(&deployment["uid"]);
    let jwt = str_of(&deployment["jwtToken"]);
    s.advance("default", Duration::from_secs(31)).await;
    let (status, key) = send(
        s.http
            .post(format!("http://{}/deployments/{uid}/api-keys", s.dgraph))
            .bearer_auth(&token)
            .json(&json!({"name": "ci", "role": "admin"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{key}");
    let api_key = str_of(&key["key"]);
    // The key used on the backend, and echoed where no name gives it away.
    let (status, _) = send(
        s.http
            .post(format!("http://{}/admin", str_of(&deployment["url"])))
            .header("Dg-Auth", &api_key)
            .json(&json!({"query": "{ getGQLSchema { schema } }", "variables": {"note": api_key}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    assert_absent(
        &journal_text(&s).await,
        &[
            DGRAPH_PASSWORD,
            "wrong-dgraph-password",
            &token,
            &second_token,
            &jwt,
            &api_key,
        ],
    );
}

#[tokio::test]
async fn hasura_invitation_keys_and_preview_app_secrets_never_reach_the_journal() {
    let s = TestServer::start().await;
    let mut pats = Vec::new();
    for email in ["owner@example.com", "guest@example.com"] {
        let (status, user) = send(
            s.http
                .post(s.main_url("/_offcloud/hasura/users"))
                .json(&json!({ "email": email })),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{user}");
        pats.push(str_of(&user["pat"]));
    }
    let (owner, guest) = (&pats[0], &pats[1]);
    let created = hasura(
        &s,
        owner,
        "mutation { createTenant(cloud: \"aws\", region: \"us-east-2\", name: \"shared\") { id } }",
        json!({}),
    )
    .await;
    let found = hasura(
        &s,
        owner,
        "query($id: uuid!) { tenant_by_pk(id: $id) { project { id } } }",
        json!({"id": str_of(&created["data"]["createTenant"]["id"])}),
    )
    .await;
    let project = str_of(&found["data"]["tenant_by_pk"]["project"]["id"]);
    let invited = hasura(
        &s,
        owner,
        "mutation($i: InviteColloboratorRequest!) { inviteCollaborator(invite: $i) { key } }",
        json!({"i": {"collaborator_email": "guest@example.com", "privileges": ["admin"], "project_id": project}}),
    )
    .await;
    // The key comes back in a field called `key`, then is sent inline.
    let key = str_of(&invited["data"]["inviteCollaborator"]["key"]);
    let accepted = hasura(
        &s,
        guest,
        &format!("mutation {{ acceptInvite(inviteKey: \"{key}\") {{ id }} }}"),
        json!({}),
    )
    .await;
    assert!(
        accepted["data"]["acceptInvite"]["id"].is_string(),
        "{accepted}"
    );

    // A preview app: the GitHub token and the env values in a variable whose name says nothing.
    let job = hasura(
        &s,
        owner,
        "mutation($x: CreateGithubPreviewAppInputPayload!) { createGitHubPreviewApp(payload: $x) { githubPreviewAppJobID } }",
        json!({"x": {
            "githubPersonalAccessToken": "ghp_preview-github-token",
            "githubRepoDetails": {"branch": "main", "owner": "o", "repo": "r", "directory": "hasura"},
            "projectOptions": {"cloud": "aws", "region": "us-east-2", "name": "preview-one",
                "envVars": [{"key": "DATABASE_URL", "value": "postgres://preview-env-value"}]},
        }}),
    )
    .await;
    assert!(
        job["data"]["createGitHubPreviewApp"]["githubPreviewAppJobID"].is_string(),
        "{job}"
    );
    // The same inline.
    hasura(
        &s,
        owner,
        "mutation { createGitHubPreviewApp(payload: {githubPersonalAccessToken: \"ghp_inline-github-token\", \
         githubRepoDetails: {branch: \"main\", owner: \"o\", repo: \"r\", directory: \"hasura\"}, \
         projectOptions: {cloud: \"aws\", region: \"us-east-2\", name: \"preview-two\", \
         envVars: [{key: \"SECRET_URL\", value: \"inline-preview-env-value\"}]}}) { githubPreviewAppJobID } }",
        json!({}),
    )
    .await;

    let journal = journal_text(&s).await;
    assert_absent(
        &journal,
        &[
            owner,
            guest,
            &key,
            "ghp_preview-github-token",
            "postgres://preview-env-value",
            "ghp_inline-github-token",
            "inline-preview-env-value",
        ],
    );
    // Names are not secrets: the variables' names stay readable.
    assert!(journal.contains("DATABASE_URL") && journal.contains("SECRET_URL"));
}

#[tokio::test]
async fn a_secret_provisioned_through_the_control_api_is_redacted_before_its_first_use() {
    let s = TestServer::start().await;
    let (status, token) = send(
        s.http
            .post(s.main_url("/_offcloud/typedb/tokens"))
            .json(&json!({"team": "team-p", "space": "space-p", "access": "read"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{token}");
    let secret = str_of(&token["clientSecret"]);
    // Sent where nothing checks it: a query parameter of an unauthenticated request.
    let (status, _) = send(s.http.get(format!(
        "http://{}/api/v1/team/team-p/spaces/space-p/clusters?note={secret}",
        s.typedb
    )))
    .await;
    assert!(status.is_client_error(), "{status}");
    assert_absent(&journal_text(&s).await, &[&secret]);
}
