//! offcloud as a contract-testing target: `/_offcloud/coverage`, `/_offcloud/contract/violations`
//! and `--strict` (docs/design.md, "Contract testing"). Also the helper the real-client tests end
//! with: the violations of their traffic.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Auth, TestServer, send, test_config};

/// Every violation of a session, as `(status, rule, message)`.
pub async fn violations(s: &TestServer, session: &str) -> Vec<(u16, String, String)> {
    let url = s.main_url(&format!("/_offcloud/contract/violations?session={session}"));
    let (status, body) = send(s.http.get(url)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .map(|v| {
            (
                v["status"].as_u64().unwrap_or_default() as u16,
                v["rule"].as_str().unwrap_or_default().to_owned(),
                v["message"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The requests of a real client broke no rule of the real API, except the deliberately wrong
/// ones it makes to check its error handling (`expected`, as `(status, rule, message)`).
pub async fn assert_only_deliberate_violations(
    s: &TestServer,
    session: &str,
    expected: &[(u16, &str, &str)],
) {
    let found = violations(s, session).await;
    let found: Vec<(u16, &str, &str)> = found
        .iter()
        .map(|(status, rule, message)| (*status, rule.as_str(), message.as_str()))
        .collect();
    assert_eq!(found, expected, "contract violations of session {session}");
}

async fn coverage(s: &TestServer, query: &str) -> Value {
    let (status, body) = send(
        s.http
            .get(s.main_url(&format!("/_offcloud/coverage{query}"))),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// A Hasura user with a PAT, made through the control route.
async fn hasura_user(s: &TestServer, email: &str) -> String {
    let url = s.main_url("/_offcloud/hasura/users");
    let (status, body) = send(s.http.post(url).json(&json!({ "email": email }))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["pat"].as_str().expect("pat").to_owned()
}

/// A GraphQL request to the Hasura listener (always HTTP 200).
async fn hasura_gql(s: &TestServer, pat: Option<&str>, query: &str, variables: Value) -> Value {
    let mut request = s
        .http
        .post(format!("http://{}/v1/graphql", s.hasura))
        .json(&json!({"query": query, "variables": variables}));
    if let Some(pat) = pat {
        request = request.header("authorization", format!("pat {pat}"));
    }
    let (status, body) = send(request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// How many operations (method and path) offcloud's OpenAPI document of `service` describes.
async fn documented_operations(s: &TestServer, service: &str) -> usize {
    let doc = s
        .http
        .get(s.main_url(&format!("/_offcloud/openapi/{service}.json")))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|k| ["get", "post", "put", "patch", "delete"].contains(&k.as_str()))
                .count()
        })
        .sum()
}

fn operation<'v>(coverage: &'v Value, service: &str, name: &str) -> &'v Value {
    coverage["services"][service]["operations"]
        .as_array()
        .expect("operations")
        .iter()
        .find(|o| o["operation"] == name)
        .unwrap_or_else(|| panic!("{name} is not listed"))
}

#[tokio::test]
async fn coverage_counts_each_operation_with_its_statuses_and_lists_the_uncalled() {
    let s = TestServer::start().await;
    let a = s.onboard("cover@example.com").await;
    s.get("/v1/beliefs?subject_id=u1", a.key()).await;
    s.get("/v1/beliefs?subject_id=u1", a.key()).await;
    s.get("/v1/beliefs", Auth::Nobody).await;
    s.get("/v1/beliefs/00000000-0000-4000-8000-000000000000", a.key())
        .await;

    let body = coverage(&s, "?service=memgraph").await;
    assert_eq!(body["session"], "default");
    let services: Vec<&String> = body["services"].as_object().unwrap().keys().collect();
    assert_eq!(services, ["memgraph"]);
    let memgraph = &body["services"]["memgraph"];
    assert_eq!(
        memgraph["total"],
        documented_operations(&s, "memgraph").await
    );
    // onboard, login, list beliefs, get one belief.
    assert_eq!(memgraph["covered"], 4);
    assert_eq!(
        operation(&body, "memgraph", "GET /v1/beliefs"),
        &json!({"operation": "GET /v1/beliefs", "calls": 3, "statuses": {"200": 2, "401": 1}})
    );
    assert_eq!(
        operation(&body, "memgraph", "GET /v1/beliefs/{belief_id}")["statuses"],
        json!({"404": 1})
    );
    assert_eq!(
        operation(&body, "memgraph", "DELETE /v1/users/{user_id}"),
        &json!({"operation": "DELETE /v1/users/{user_id}", "calls": 0, "statuses": {}})
    );
    // The operations are exactly those of the OpenAPI document.
    assert_eq!(
        memgraph["operations"].as_array().unwrap().len(),
        documented_operations(&s, "memgraph").await
    );

    // Another session counts on its own; DELETE starts again.
    let other = coverage(&s, "?session=other&service=memgraph").await;
    assert_eq!(other["services"]["memgraph"]["covered"], 0);
    let (status, _) = send(s.http.delete(s.main_url("/_offcloud/coverage"))).await;
    assert_eq!(status, StatusCode::OK);
    let body = coverage(&s, "?service=memgraph").await;
    assert_eq!(body["services"]["memgraph"]["covered"], 0);
}

#[tokio::test]
async fn graphql_operations_are_counted_by_root_field() {
    let s = TestServer::start().await;
    let pat = hasura_user(&s, "cover@example.com").await;
    hasura_gql(
        &s,
        Some(&pat),
        "query { projects { id } tenant { id } __typename }",
        json!({}),
    )
    .await;
    hasura_gql(&s, None, "{ projects { id } }", json!({})).await;
    let body = coverage(&s, "?service=hasura").await;
    assert_eq!(
        operation(&body, "hasura", "query projects"),
        &json!({"operation": "query projects", "calls": 2, "statuses": {"200": 2}})
    );
    assert_eq!(operation(&body, "hasura", "query tenant")["calls"], 1);
    assert_eq!(
        operation(&body, "hasura", "mutation createTenant")["calls"],
        0
    );
    assert_eq!(body["services"]["hasura"]["covered"], 2);

    // Dgraph: the REST route and the Cerebro root fields behind it.
    let (status, _) = crate::dgraph::login(&s, "nobody@example.com", "pw").await;
    assert_eq!(status, StatusCode::OK);
    let body = coverage(&s, "?service=dgraph").await;
    assert_eq!(operation(&body, "dgraph", "POST /graphql")["calls"], 1);
    assert_eq!(operation(&body, "dgraph", "query login")["calls"], 1);
    assert_eq!(
        operation(&body, "dgraph", "mutation updateGQLSchema")["calls"],
        0
    );
}

#[tokio::test]
async fn coverage_comes_as_markdown_for_a_job_summary() {
    let s = TestServer::start().await;
    s.get("/health", Auth::Nobody).await;
    let response = s
        .http
        .get(s.main_url("/_offcloud/coverage?format=markdown&service=memgraph"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/markdown; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    let total = documented_operations(&s, "memgraph").await;
    assert!(
        text.starts_with(&format!(
            "# API coverage of session `default`\n\n| Service | Covered | Total | % |\n|---|---:|---:|---:|\n| memgraph | 1 | {total} | {}% |\n",
            100 / total
        )),
        "{text}"
    );
    assert!(
        text.contains("\n| `GET /health` | 1 | 200 ×1 |\n"),
        "{text}"
    );
    assert!(text.contains("\n| `GET /v1/stats` | 0 |  |\n"), "{text}");

    let (status, body) = send(s.http.get(s.main_url("/_offcloud/coverage?format=xml"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["error"],
        "unknown format \"xml\": use json or markdown"
    );
    let (status, body) = send(s.http.get(s.main_url("/_offcloud/coverage?service=nope"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["error"],
        "unknown service \"nope\": use memgraph, typedb, hasura or dgraph"
    );
}

#[tokio::test]
async fn violations_name_the_rule_and_what_to_do() {
    let s = TestServer::start().await;
    let a = s.onboard("broken@example.com").await;
    let response = s
        .http
        .post(s.mg("/v1/belief"))
        .header("X-API-Key", &a.api_key)
        .json(&json!({"subject_id": "u", "key": "k", "value": "v"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.headers()["x-offcloud-violations"], "1");
    s.post(
        "/v1/beliefs",
        a.key(),
        json!({"subject_id": "u", "key": "k", "value": "v", "colour": "red", "confidence": "high"}),
    )
    .await;
    s.get("/v1/beliefs?subjct_id=u&limit=5", a.key()).await;
    s.get("/v1/stats", Auth::Nobody).await;
    // Valid requests are not violations, and carry no header.
    let response = s
        .http
        .get(s.mg("/v1/beliefs?subject_id=u"))
        .header("X-API-Key", &a.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get("x-offcloud-violations").is_none());

    let (status, body) = send(s.http.get(s.main_url("/_offcloud/contract/violations"))).await;
    assert_eq!(status, StatusCode::OK);
    let first = &body["violations"][0];
    assert_eq!(first["service"], "memgraph");
    assert_eq!(first["operation"], Value::Null);
    assert_eq!(first["method"], "POST");
    assert_eq!(first["path"], "/v1/belief");
    assert!(
        first["request_id"]
            .as_str()
            .is_some_and(|id| id.len() == 36),
        "{first}"
    );
    assert_eq!(body["violations"][1]["operation"], "POST /v1/beliefs");
    assert_only_deliberate_violations(
        &s,
        "default",
        &[
            (404, "unknown-route", "POST /v1/belief is not an operation of the memgraph API; did you mean POST /v1/beliefs?"),
            (422, "unknown-field", "`body.colour` is not defined by the API (it defines belief_type, confidence, domain, key, subject_id, tenant_id, value)"),
            (422, "wrong-type", "`body.confidence` must be a number or null, not the string \"high\""),
            (200, "unknown-field", "`query.subjct_id` is not defined by the API; did you mean `subject_id`?"),
            (401, "missing-required", "GET /v1/stats needs credentials: `Authorization: Bearer ...` or `X-API-Key`"),
        ],
    )
    .await;

    // The newest few, oldest first (a dashboard polling a long session reads only those).
    let url = s.main_url("/_offcloud/contract/violations?limit=2");
    let (_, body) = send(s.http.get(&url)).await;
    let rules: Vec<&Value> = body["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| &v["rule"])
        .collect();
    assert_eq!(rules, [&json!("unknown-field"), &json!("missing-required")]);

    // Per service, and cleared with DELETE.
    let url = s.main_url("/_offcloud/contract/violations?service=typedb");
    let (_, body) = send(s.http.get(&url)).await;
    assert_eq!(body, json!({"violations": []}));
    let (_, body) = send(s.http.delete(s.main_url("/_offcloud/contract/violations"))).await;
    assert_eq!(body, json!({"cleared": 5}));
    assert_only_deliberate_violations(&s, "default", &[]).await;
}

#[tokio::test]
async fn graphql_requests_are_checked_against_the_schema_the_service_executes() {
    let s = TestServer::start().await;
    let pat = hasura_user(&s, "gql@example.com").await;
    hasura_gql(
        &s,
        Some(&pat),
        "query { projects(limit: 1, wher: {}) { id nmae } }",
        json!({}),
    )
    .await;
    hasura_gql(
        &s,
        Some(&pat),
        "mutation M($id: uuid!) { updateTenantName(tenantId: $id) { tenant { id } } }",
        json!({"id": "00000000-0000-4000-8000-000000000000"}),
    )
    .await;
    assert_only_deliberate_violations(
        &s,
        "default",
        &[
            (
                200,
                "unknown-field",
                "`query_root.projects` has no argument `wher`; did you mean `where`?",
            ),
            (
                200,
                "unknown-field",
                "`projects.nmae` is not defined by the hasura schema; did you mean `name`?",
            ),
            (
                200,
                "missing-required",
                "`mutation_root.updateTenantName(name)` is required",
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn dev_mode_is_emulator_only_and_sessions_are_not_violations() {
    let mut config = test_config();
    config.memgraph.dev_mode = true;
    let s = TestServer::start_with(config).await;
    let (status, _) = send(s.http.get(s.main_url("/_session/dev/memgraph/v1/stats"))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(s.http.get(s.main_url("/_session/dev/memgraph/health"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_only_deliberate_violations(
        &s,
        "dev",
        &[(200, "emulator-only", "no credentials: the real API answers 401; offcloud lets this request in only because of --memgraph-dev-mode")],
    )
    .await;
}

#[tokio::test]
async fn deprecated_routes_are_violations() {
    let s = TestServer::start().await;
    let token = crate::typedb::bearer(&s, "my-team", "default", "read").await;
    let (status, _) = crate::typedb::call(
        &s,
        "GET",
        "/api/org/my-team/projects/default/clusters",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let found = violations(&s, "default").await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].1, "deprecated");
    assert!(
        found[0]
            .2
            .starts_with("GET /api/org/{team}/projects/{space}/clusters is deprecated"),
        "{found:?}"
    );
}

#[tokio::test]
async fn strict_sessions_refuse_violations_with_the_services_own_error() {
    let s = TestServer::start().await;
    let a = s.onboard("strict@example.com").await;
    let belief = json!({"subject_id": "u", "key": "k", "value": "v", "colour": "red"});
    // Tolerated by default: FastAPI ignores the extra field.
    let (status, _) = s.post("/v1/beliefs", a.key(), belief.clone()).await;
    assert_eq!(status, StatusCode::CREATED);

    let url = s.main_url("/_offcloud/contract");
    let (status, body) = send(s.http.post(&url).json(&json!({"strict": true}))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"session": "default", "strict": true}));
    let (_, body) = send(s.http.get(&url)).await;
    assert_eq!(body, json!({"session": "default", "strict": true}));
    let (status, body) = s.post("/v1/beliefs", a.key(), belief).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        json!({"detail": [{"type": "contract_violation", "loc": [], "input": null,
            "msg": "`body.colour` is not defined by the API (it defines belief_type, confidence, domain, key, subject_id, tenant_id, value)"}]})
    );
    // Refused before the handler ran: nothing was written.
    let (_, listed) = s.get("/v1/beliefs?subject_id=u", a.key()).await;
    assert_eq!(listed["count"], 1, "{listed}");
    // Other sessions keep the default.
    let (status, _) = send(
        s.http
            .post(s.main_url("/_session/loose/memgraph/v1/beliefs"))
            .json(&json!({"x": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, body) = send(s.http.post(&url).json(&json!({"strict": "yes"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn the_strict_flag_refuses_in_every_services_shape() {
    let mut config = test_config();
    config.contract.strict = true;
    let s = TestServer::start_with(config).await;
    let token = crate::typedb::bearer(&s, "my-team", "default", "write").await;
    let (status, body) = crate::typedb::call(
        &s,
        "POST",
        "/api/v1/team/my-team/spaces/default/clusters/x/clone",
        Some(&token),
        Some(json!({"id": "copy", "name": "copy"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"code": "INVALID_ARGUMENT", "message": "`body.name` is not defined by the API (it defines id)"})
    );
    let pat = hasura_user(&s, "strict@example.com").await;
    let body = hasura_gql(&s, Some(&pat), "{ projects(wher: {}) { id } }", json!({})).await;
    assert_eq!(
        body,
        json!({"errors": [{"message": "`query_root.projects` has no argument `wher`; did you mean `where`?",
            "extensions": {"path": "$", "code": "validation-failed"}}]})
    );
}
