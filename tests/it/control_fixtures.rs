//! Fixtures: the shipped `fixtures/` folder loaded with `--fixtures`, their credentials used
//! through each service's real API, reset re-applying them, `POST /_offcloud/fixtures`, and
//! errors naming the source, the line and the field.

use std::path::PathBuf;

use offcloud::{Config, Server};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Auth, TestServer, send, str_of, test_config};

const MG_KEY: &str = "mg_test_acme_0000000000000000000000000000";
const TDB_CLIENT: &str = "tdb_test_client";
const TDB_SECRET: &str = "tdb_test_secret_0000000000000000";
const HASURA_PAT: &str = "hasura_test_pat_00000000000000000000000000000000";

fn with_fixtures(path: &str) -> Config {
    let mut config = test_config();
    config.fixtures = Some(PathBuf::from(path));
    config
}

async fn shipped() -> TestServer {
    TestServer::start_with(with_fixtures("fixtures")).await
}

/// Memgraph's login in a session: the status, and the token when it worked.
async fn mg_login(
    s: &TestServer,
    session: &str,
    email: &str,
    password: &str,
) -> (StatusCode, String) {
    let (status, body) = send(
        s.http
            .post(s.mg("/v1/auth/login"))
            .header("X-Offcloud-Session", session)
            .form(&[("username", email), ("password", password)]),
    )
    .await;
    let token = body["access_token"].as_str().unwrap_or_default().to_owned();
    (status, token)
}

async fn typedb_auth(
    s: &TestServer,
    session: &str,
    id: &str,
    secret: &str,
) -> (StatusCode, String) {
    let response = s
        .http
        .post(format!("http://{}/api/v1/auth", s.typedb))
        .header("X-Offcloud-Session", session)
        .header("Authorization", format!("Basic {id}:{secret}"))
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn typedb_clusters(s: &TestServer, session: &str, token: &str, space: &str) -> Value {
    let (status, body) = send(
        s.http
            .get(format!(
                "http://{}/api/v1/team/acme/spaces/{space}/clusters",
                s.typedb
            ))
            .header("X-Offcloud-Session", session)
            .bearer_auth(token),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("expected a list, got {list}"))
        .iter()
        .map(|c| str_of(&c["id"]))
        .collect()
}

async fn hasura(s: &TestServer, session: &str, pat: &str, query: &str) -> Value {
    let (status, body) = send(
        s.http
            .post(format!("http://{}/v1/graphql", s.hasura))
            .header("X-Offcloud-Session", session)
            .header("Authorization", format!("pat {pat}"))
            .json(&json!({"query": query})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn dgraph(s: &TestServer, token: Option<&str>, query: &str, variables: Value) -> Value {
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

async fn dgraph_login(s: &TestServer, email: &str, password: &str) -> Value {
    dgraph(
        s,
        None,
        "query Login($email: String!, $password: String!) { login(email: $email, password: $password) { token } }",
        json!({"email": email, "password": password}),
    )
    .await
}

async fn post_fixtures(
    s: &TestServer,
    session: &str,
    content_type: &str,
    body: &str,
) -> (StatusCode, Value) {
    send(
        s.http
            .post(s.main_url(&format!("/_offcloud/fixtures?session={session}")))
            .header("Content-Type", content_type)
            .body(body.to_owned()),
    )
    .await
}

async fn reset(s: &TestServer, query: &str) -> (StatusCode, Value) {
    send(s.http.post(s.main_url(&format!("/_offcloud/reset{query}")))).await
}

// ---- the shipped fixtures, through each service's API ------------------------------------------

#[tokio::test]
async fn shipped_memgraph_fixture_logs_in_and_its_key_works() {
    let s = shipped().await;
    let (status, token) = mg_login(&s, "default", "admin@acme.test", "mg-test-password").await;
    assert_eq!(status, StatusCode::OK);
    let (status, me) = s.get("/v1/auth/me", Auth::Bearer(&token)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["id"], "22222222-2222-4222-8222-222222222222");
    assert_eq!(me["tenant_id"], "11111111-1111-4111-8111-111111111111");
    assert_eq!(me["role"], "admin");

    let (status, belief) = s
        .get(
            "/v1/beliefs/44444444-4444-4444-8444-444444444444",
            Auth::Key(MG_KEY),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{belief}");
    assert_eq!(belief["value"], "blue");
    assert_eq!(belief["confidence"], 0.95);
    let (status, keys) = s.get("/v1/api-keys", Auth::Bearer(&token)).await;
    assert_eq!(status, StatusCode::OK, "{keys}");
    assert_eq!(keys[0]["id"], "33333333-3333-4333-8333-333333333333");
    assert_eq!(keys[0]["key_prefix"], "mg_test_acme");
    let (status, _) = s.get("/v1/auth/me", Auth::Key("mg_test_wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn shipped_typedb_fixture_exchanges_its_token_and_lists_pinned_clusters() {
    let s = shipped().await;
    let (status, token) = typedb_auth(&s, "default", TDB_CLIENT, TDB_SECRET).await;
    assert_eq!(status, StatusCode::OK, "{token}");
    let clusters = typedb_clusters(&s, "default", &token, "default").await;
    assert_eq!(ids(&clusters), ["fixture-cluster"]);
    assert_eq!(clusters[0]["status"], "running");
    assert_eq!(clusters[0]["serverCount"], 1);
    assert_eq!(clusters[0]["isFree"], true);
    assert_eq!(clusters[0]["machineType"], "c2d-highcpu-2");
    assert_eq!(
        typedb_auth(&s, "default", TDB_CLIENT, "wrong").await.0,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn shipped_hasura_fixture_pat_sees_the_pinned_project() {
    let s = shipped().await;
    let body = hasura(
        &s,
        "default",
        HASURA_PAT,
        "query { projects { id name plan_name tenant { id region } } }",
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"projects": [{
            "id": "66666666-6666-4666-8666-666666666666",
            "name": "acme-test",
            "plan_name": "cloud_free",
            "tenant": {"id": "77777777-7777-4777-8777-777777777777", "region": "us-east-2"},
        }]}})
    );
}

#[tokio::test]
async fn shipped_dgraph_fixture_logs_in_and_sees_the_pinned_deployment() {
    let s = shipped().await;
    let login = dgraph_login(&s, "dev@acme.test", "dg-test-password").await;
    let token = str_of(&login["data"]["login"]["token"]);
    let body = dgraph(
        &s,
        Some(&token),
        "{ deployments { uid name subdomain zone deploymentType } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"deployments": [{
            "uid": "0x1f00", "name": "Acme Test", "subdomain": "acme-test",
            "zone": "us-east-1", "deploymentType": "free",
        }]}})
    );
    // The fixture's admin key opens the backend's /admin, reached by its subdomain.
    let admin = format!("http://{}/backends/acme-test/admin", s.dgraph);
    let q = json!({"query": "{ getGQLSchema { schema } }"});
    let (status, body) = send(
        s.http
            .post(&admin)
            .header("Dg-Auth", "dg_test_admin_key_0000000000000000")
            .json(&q),
    )
    .await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"data": {"getGQLSchema": null}}))
    );
    let (status, _) = send(
        s.http
            .post(&admin)
            .header("Dg-Auth", "dg_test_wrong")
            .json(&q),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let wrong = dgraph_login(&s, "dev@acme.test", "nope").await;
    assert!(wrong.get("errors").is_some(), "{wrong}");
}

#[tokio::test]
async fn fixtures_apply_to_every_new_session() {
    let s = shipped().await;
    let (status, _) = mg_login(&s, "other", "admin@acme.test", "mg-test-password").await;
    assert_eq!(status, StatusCode::OK);
    let (status, token) = typedb_auth(&s, "other", TDB_CLIENT, TDB_SECRET).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        ids(&typedb_clusters(&s, "other", &token, "default").await),
        ["fixture-cluster"]
    );
    let body = hasura(&s, "other", HASURA_PAT, "query { projects { id } }").await;
    assert_eq!(
        body["data"]["projects"][0]["id"],
        "66666666-6666-4666-8666-666666666666"
    );
}

// ---- reset ------------------------------------------------------------------------------------

#[tokio::test]
async fn reset_removes_later_data_and_brings_the_fixtures_back() {
    let s = shipped().await;
    let (_, token) = mg_login(&s, "default", "admin@acme.test", "mg-test-password").await;
    // Data created after start: another user, and the fixture admin's password changed.
    let (status, body) = s
        .post(
            "/v1/users",
            Auth::Bearer(&token),
            json!({"email": "later@acme.test", "password": "later-password", "role": "viewer"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let admin = "/v1/users/22222222-2222-4222-8222-222222222222";
    let (status, body) = s
        .patch(
            admin,
            Auth::Bearer(&token),
            json!({"password": "changed-password"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        mg_login(&s, "default", "admin@acme.test", "mg-test-password")
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );

    assert_eq!(
        reset(&s, "").await,
        (StatusCode::OK, json!({"reset": ["default"]}))
    );

    assert_eq!(
        mg_login(&s, "default", "later@acme.test", "later-password")
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        mg_login(&s, "default", "admin@acme.test", "mg-test-password")
            .await
            .0,
        StatusCode::OK
    );
    let login = dgraph_login(&s, "dev@acme.test", "dg-test-password").await;
    assert!(login["data"]["login"]["token"].is_string(), "{login}");
}

#[tokio::test]
async fn resetting_one_service_reapplies_only_its_fixtures() {
    let s = shipped().await;
    let (_, token) = typedb_auth(&s, "default", TDB_CLIENT, TDB_SECRET).await;
    let (status, body) = send(
        s.http
            .post(format!(
                "http://{}/api/v1/team/acme/spaces/default/clusters/deploy",
                s.typedb
            ))
            .bearer_auth(&token)
            .json(
                &json!({"id": "later", "serverCount": 1, "storageSizeGB": 50, "provider": "gcp",
                          "region": "us-east1", "isFree": false, "machineType": "c2d-highcpu-4",
                          "storageType": "standard-rwo", "version": "3.5.5"}),
            ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, mg_token) = mg_login(&s, "default", "admin@acme.test", "mg-test-password").await;
    let (status, _) = s
        .post(
            "/v1/users",
            Auth::Bearer(&mg_token),
            json!({"email": "kept@acme.test", "password": "kept-password"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, _) = reset(&s, "?service=typedb").await;
    assert_eq!(status, StatusCode::OK);

    let (status, token) = typedb_auth(&s, "default", TDB_CLIENT, TDB_SECRET).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        ids(&typedb_clusters(&s, "default", &token, "default").await),
        ["fixture-cluster"]
    );
    // Memgraph was not reset, nor seeded twice (its pinned ids would clash).
    assert_eq!(
        mg_login(&s, "default", "kept@acme.test", "kept-password")
            .await
            .0,
        StatusCode::OK
    );
    let (_, users) = s.get("/v1/users", Auth::Bearer(&mg_token)).await;
    assert_eq!(users.as_array().map(Vec::len), Some(3), "{users}");
}

// ---- POST /_offcloud/fixtures ----------------------------------------------------------------

const TYPEDB_JSON: &str = r#"{"typedb": {
  "teams": [{"id": "rt-team", "hasPaymentMethod": false}],
  "tokens": [{"team": "rt-team", "space": "default", "clientId": "rt-client",
              "clientSecret": "rt-secret", "access": "read"}],
  "clusters": [{"team": "rt-team", "space": "default", "id": "rt-free", "isFree": true}]
}}"#;

const MEMGRAPH_YAML: &str = "memgraph:
  tenants:
    - name: Runtime
      users:
        - email: rt@acme.test
          password: rt-password
          role: editor
";

#[tokio::test]
async fn posted_documents_apply_at_once_in_json_and_yaml() {
    let s = TestServer::start().await;
    let answer = post_fixtures(&s, "rt", "application/json", TYPEDB_JSON).await;
    assert_eq!(
        answer,
        (
            StatusCode::CREATED,
            json!({"session": "rt", "created": {"typedb": {"teams": 1, "spaces": 1, "tokens": 1, "clusters": 1}}})
        )
    );
    let answer = post_fixtures(&s, "rt", "application/yaml", MEMGRAPH_YAML).await;
    assert_eq!(
        answer,
        (
            StatusCode::CREATED,
            json!({"session": "rt", "created": {"memgraph": {"tenants": 1, "users": 1, "api_keys": 0, "beliefs": 0}}})
        )
    );
    assert_eq!(
        mg_login(&s, "rt", "rt@acme.test", "rt-password").await.0,
        StatusCode::OK
    );
    assert_eq!(
        typedb_auth(&s, "rt", "rt-client", "rt-secret").await.0,
        StatusCode::OK
    );
    // Only that session.
    assert_eq!(
        mg_login(&s, "default", "rt@acme.test", "rt-password")
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );

    let (status, listed) = send(s.http.get(s.main_url("/_offcloud/fixtures"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        listed,
        json!({"files": [], "sessions": {"rt": [
            {"source": "request body", "created": {"typedb": {"teams": 1, "spaces": 1, "tokens": 1, "clusters": 1}}},
            {"source": "request body", "created": {"memgraph": {"tenants": 1, "users": 1, "api_keys": 0, "beliefs": 0}}},
        ]}})
    );
}

#[tokio::test]
async fn posted_documents_come_back_after_their_sessions_reset() {
    let s = TestServer::start().await;
    let (status, _) = post_fixtures(&s, "rt", "application/yaml", MEMGRAPH_YAML).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, token) = mg_login(&s, "rt", "rt@acme.test", "rt-password").await;
    let (status, _) = send(
        s.http
            .patch(s.mg("/v1/tenant"))
            .header("X-Offcloud-Session", "rt")
            .bearer_auth(&token)
            .json(&json!({"name": "Renamed"})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "an editor may not rename the tenant"
    );

    assert_eq!(
        reset(&s, "?session=rt").await,
        (StatusCode::OK, json!({"reset": ["rt"]}))
    );
    assert_eq!(
        mg_login(&s, "rt", "rt@acme.test", "rt-password").await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_taken_pinned_id_is_a_409_and_nothing_is_applied() {
    let s = shipped().await;
    let doc = "hasura:
  users:
    - email: new@acme.test
      pats: [hasura_test_new_pat]
memgraph:
  tenants:
    - name: Clash
      users:
        - id: 22222222-2222-4222-8222-222222222222
          email: clash@acme.test
          password: pw
";
    let answer = post_fixtures(&s, "default", "application/yaml", doc).await;
    assert_eq!(
        answer,
        (
            StatusCode::CONFLICT,
            json!({"error": "request body:9: memgraph.tenants[0].users[0].id: already exists in this session"})
        )
    );
    let body = hasura(
        &s,
        "default",
        "hasura_test_new_pat",
        "query { projects { id } }",
    )
    .await;
    assert!(
        body.get("errors").is_some(),
        "the hasura user was not kept: {body}"
    );
    let (_, listed) = send(s.http.get(s.main_url("/_offcloud/fixtures"))).await;
    assert_eq!(listed["sessions"], json!({}));
}

#[tokio::test]
async fn a_bad_document_is_a_400_and_changes_nothing() {
    let s = TestServer::start().await;
    let doc = "hasura:
  users:
    - email: fine@acme.test
      pats: [hasura_test_fine]
typedb:
  clusters:
    - {team: nowhere, space: default, id: c1}
";
    let (status, body) = post_fixtures(&s, "default", "application/yaml", doc).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let body = hasura(
        &s,
        "default",
        "hasura_test_fine",
        "query { projects { id } }",
    )
    .await;
    assert!(body.get("errors").is_some(), "{body}");
}

// ---- errors: source, line, field -------------------------------------------------------------

async fn error_of(doc: &str) -> String {
    let s = TestServer::start().await;
    let (status, body) = post_fixtures(&s, "default", "application/yaml", doc).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    str_of(&body["error"])
}

#[tokio::test]
async fn a_syntax_error_names_its_line() {
    let doc = "typedb:\n  teams:\n    - id: [acme\n";
    assert_eq!(
        error_of(doc).await,
        "request body:3: typedb.teams[0].id: expected string scalar"
    );
}

#[tokio::test]
async fn an_unknown_field_is_refused() {
    let doc = "dgraph:\n  accounts:\n    - email: a@b.test\n      password: x\n      pasword: y\n";
    assert_eq!(
        error_of(doc).await,
        "request body:5: dgraph.accounts[0].pasword: unknown field `pasword`, expected one of id, email, password, name"
    );
}

#[tokio::test]
async fn a_wrong_type_names_the_field() {
    let doc = "typedb:\n  teams:\n    - id: acme\n  clusters:\n    - team: acme\n      space: default\n      id: c1\n      serverCount: three\n";
    assert_eq!(
        error_of(doc).await,
        "request body:8: typedb.clusters[0].serverCount: invalid i64"
    );
}

#[tokio::test]
async fn a_bad_value_uses_the_services_own_rules() {
    let doc = "typedb:
  teams:
    - id: acme
  clusters:
    - team: acme
      space: default
      id: c1
    - team: acme
      space: default
      id: c2
      serverCount: 4
";
    assert_eq!(
        error_of(doc).await,
        "request body:10: typedb.clusters[1].serverCount: Field 'serverCount' must be an odd number from 1 to 9"
    );
    let doc = "typedb:
  teams:
    - id: acme
  clusters:
    - {team: acme, space: default, id: c1, provider: gcp, region: mars}
";
    assert_eq!(
        error_of(doc).await,
        "request body:5: typedb.clusters[0].region: Invalid region 'mars' for provider 'gcp'"
    );
}

#[tokio::test]
async fn a_memgraph_value_the_api_would_refuse_is_refused_in_its_words() {
    let doc = "memgraph:
  tenants:
    - name: Acme
      beliefs:
        - {subject_id: u, key: k, value: v, belief_type: guess}
";
    assert_eq!(
        error_of(doc).await,
        "request body:5: memgraph.tenants[0].beliefs[0].belief_type: \
         must be fact, belief, preference or tenet"
    );
    let doc = "memgraph:
  tenants:
    - name: Acme
      decisions:
        - {goal: Ship, outcome: maybe}
";
    assert_eq!(
        error_of(doc).await,
        "request body:5: memgraph.tenants[0].decisions[0].outcome: \
         must be SUCCESS, FAILURE, PARTIAL, UNKNOWN or REVERTED"
    );
}

#[tokio::test]
async fn a_duplicate_email_is_refused() {
    let doc = "memgraph:
  tenants:
    - name: One
      users:
        - {email: same@acme.test, password: a}
    - name: Two
      users:
        - {email: Same@acme.test, password: b}
";
    assert_eq!(
        error_of(doc).await,
        "request body:8: memgraph.tenants[1].users[0].email: duplicate email \"Same@acme.test\" (first declared on line 5)"
    );
}

#[tokio::test]
async fn a_reference_to_an_undeclared_space_is_refused() {
    let doc = "typedb:
  teams:
    - id: acme
  clusters:
    - team: acme
      space: missing
      id: c1
";
    assert_eq!(
        error_of(doc).await,
        "request body:6: typedb.clusters[0].space: space \"missing\" of team \"acme\" is not declared in typedb.spaces"
    );
}

#[tokio::test]
async fn a_bad_fixture_file_stops_the_start_and_names_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.yaml"),
        "hasura:\n  users:\n    - email: owner@acme.test\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b.yaml"),
        "hasura:\n  projects:\n    - name: orphan\n      owner: nobody@acme.test\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("README.md"), "not a fixture").unwrap();
    let folder = dir.path().display().to_string();
    let error = match Server::bind(with_fixtures(&folder)).await {
        Ok(_) => panic!("a bad fixture file must stop the start"),
        Err(e) => e.to_string(),
    };
    assert_eq!(
        error,
        format!(
            "invalid fixtures: {folder}/b.yaml:4: hasura.projects[0].owner: user \"nobody@acme.test\" is not declared in hasura.users"
        )
    );
}

#[tokio::test]
async fn two_files_declaring_the_same_email_stop_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let doc = "dgraph:\n  accounts:\n    - email: twice@acme.test\n      password: pw\n";
    std::fs::write(dir.path().join("one.yml"), doc).unwrap();
    std::fs::write(
        dir.path().join("two.json"),
        r#"{"dgraph": {"accounts": [{"email": "twice@acme.test", "password": "pw"}]}}"#,
    )
    .unwrap();
    let folder = dir.path().display().to_string();
    let error = match Server::bind(with_fixtures(&folder)).await {
        Ok(_) => panic!("clashing fixture files must stop the start"),
        Err(e) => e.to_string(),
    };
    assert_eq!(
        error,
        format!(
            "invalid fixtures: {folder}/two.json:1: dgraph.accounts[0].email: already declared by an earlier fixture file"
        )
    );
}

#[tokio::test]
async fn the_listing_shows_loaded_files_without_secrets() {
    let s = shipped().await;
    let (status, listed) = send(s.http.get(s.main_url("/_offcloud/fixtures"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["files"][0]["source"], "fixtures/dgraph.yaml");
    assert_eq!(
        listed["files"][2]["created"],
        json!({"memgraph": {"tenants": 1, "users": 2, "api_keys": 1, "beliefs": 1}})
    );
    let (_, info) = send(s.http.get(s.main_url("/_offcloud/info"))).await;
    assert_eq!(info["settings"]["fixtures"], "fixtures");
    let text = listed.to_string();
    for secret in [
        MG_KEY,
        TDB_SECRET,
        HASURA_PAT,
        "mg-test-password",
        "dg-test-password",
    ] {
        assert!(!text.contains(secret), "{text}");
    }
}

#[tokio::test]
async fn a_persistent_session_is_seeded_once_and_reopens_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = with_fixtures("fixtures");
    config.data_dir = Some(dir.path().to_owned());

    let first = TestServer::start_with(config.clone()).await;
    let (_, token) = mg_login(&first, "ci", "admin@acme.test", "mg-test-password").await;
    let admin = "/v1/users/22222222-2222-4222-8222-222222222222";
    let (status, _) = send(
        first
            .http
            .patch(first.mg(admin))
            .header("X-Offcloud-Session", "ci")
            .bearer_auth(&token)
            .json(&json!({"password": "changed-password"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    first.stop().await;

    // Reopened, not seeded again: the pinned ids do not clash, the change is kept.
    let second = TestServer::start_with(config).await;
    assert_eq!(
        mg_login(&second, "ci", "admin@acme.test", "changed-password")
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        mg_login(&second, "ci", "admin@acme.test", "mg-test-password")
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    // A session whose file is new is seeded.
    assert_eq!(
        mg_login(&second, "fresh", "admin@acme.test", "mg-test-password")
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_fixture_deployment_gets_its_own_backend_port_like_a_created_one() {
    let mut config = crate::dgraph::dgraph_config();
    config.fixtures = Some(PathBuf::from("fixtures/dgraph.yaml"));
    let s = TestServer::start_with(config).await;
    let login = dgraph_login(&s, "dev@acme.test", "dg-test-password").await;
    let token = str_of(&login["data"]["login"]["token"]);
    let body = dgraph(&s, Some(&token), "{ deployments { uid url } }", json!({})).await;
    let url = str_of(&body["data"]["deployments"][0]["url"]);
    assert!(url.starts_with("127.0.0.1:"), "{url}");
    let (status, body) = send(
        s.http
            .post(format!("http://{url}/admin"))
            .header("Dg-Auth", "dg_test_admin_key_0000000000000000")
            .json(&json!({"query": "{ getGQLSchema { schema } }"})),
    )
    .await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"data": {"getGQLSchema": null}}))
    );
    // Read again, the same port.
    let again = dgraph(&s, Some(&token), "{ deployments { url } }", json!({})).await;
    assert_eq!(again["data"]["deployments"][0]["url"], url.as_str());
}
