//! Every error from every route is in its service's own shape (or the control API's), never
//! axum's plain text: a path parameter that is not UTF-8 once percent-decoded (`%FF`), a body
//! over `--body-limit`, a wrong content type, JSON that does not parse. The front door answers any
//! plain-text client error in the shape of the service that produced it.

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

use crate::support::{TestServer, test_config};

const LIMIT: usize = 4096;

async fn start() -> TestServer {
    let mut config = test_config();
    config.body_limit = LIMIT;
    TestServer::start_with(config).await
}

/// A body over the limit, as JSON.
fn oversize() -> String {
    json!({"query": "{ a }", "padding": "x".repeat(LIMIT * 2)}).to_string()
}

/// Sends and returns the status, the content type and the body as JSON (it must be JSON).
async fn answer(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.expect("answered");
    let status = response.status();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.text().await.unwrap();
    assert!(
        content_type.starts_with("application/json"),
        "{status} answered as {content_type:?}: {text}"
    );
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    (status, body)
}

#[tokio::test]
async fn control_routes_answer_bad_path_parameters_and_bodies_in_the_control_shape() {
    let s = start().await;
    for (method, path) in [
        ("DELETE", "/_offcloud/faults/%FF"),
        ("DELETE", "/_offcloud/sessions/%FF"),
        ("GET", "/_offcloud/openapi/%FF"),
        ("GET", "/_offcloud/schema/%FF"),
        ("DELETE", "/_offcloud/typedb/tokens/%FF"),
    ] {
        let (status, body) =
            answer(s.http.request(method.parse().unwrap(), s.main_url(path))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {path}: {body}");
        assert!(body["error"].is_string(), "{method} {path}: {body}");
        assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
    }

    let (status, body) = answer(
        s.http
            .post(s.main_url("/_offcloud/hasura/users"))
            .header(CONTENT_TYPE, "application/json")
            .body("{not json"),
    )
    .await;
    assert!(status.is_client_error(), "{status}: {body}");
    assert!(body["error"].is_string(), "{body}");

    let (status, body) = answer(
        s.http
            .post(s.main_url("/_offcloud/typedb/tokens"))
            .header(CONTENT_TYPE, "application/json")
            .body(oversize()),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(body["error"].is_string(), "{body}");
}

#[tokio::test]
async fn memgraph_answers_bad_path_parameters_and_bodies_in_fastapi_shape() {
    let s = start().await;
    let account = s.onboard("shapes@example.com").await;
    let (status, body) = answer(
        s.http
            .get(s.mg("/v1/beliefs/%FF"))
            .header("X-API-KEY", &account.api_key),
    )
    .await;
    assert!(status.is_client_error(), "{status}: {body}");
    assert!(body.get("detail").is_some(), "{body}");

    let (status, body) = answer(
        s.http
            .post(s.mg("/v1/beliefs"))
            .header("X-API-KEY", &account.api_key)
            .header(CONTENT_TYPE, "application/json")
            .body(oversize()),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            json!({"detail": "Request Entity Too Large"})
        )
    );
}

#[tokio::test]
async fn typedb_answers_bad_path_parameters_and_bodies_in_its_shape() {
    let s = start().await;
    let typedb = |path: &str| format!("http://{}{path}", s.typedb);
    let (status, body) = answer(
        s.http
            .get(typedb("/api/v1/team/%FF/spaces/s/clusters"))
            .bearer_auth("not-a-token"),
    )
    .await;
    assert!(status.is_client_error(), "{status}: {body}");
    assert!(
        body["code"].is_string() && body["message"].is_string(),
        "{body}"
    );

    let (status, body) = answer(
        s.http
            .post(typedb("/api/v1/team/t/spaces/s/clusters/deploy"))
            .header(CONTENT_TYPE, "application/json")
            .body(oversize()),
    )
    .await;
    assert!(status.is_client_error(), "{status}: {body}");
    assert!(
        body["code"].is_string() && body["message"].is_string(),
        "{body}"
    );
}

#[tokio::test]
async fn hasura_answers_bad_paths_and_bodies_in_its_graphql_shape() {
    let s = start().await;
    let hasura = |path: &str| format!("http://{}{path}", s.hasura);
    for request in [
        s.http
            .post(hasura("/v1/graphql"))
            .header(CONTENT_TYPE, "application/json")
            .body(oversize()),
        s.http
            .post(hasura("/v1/graphql"))
            .header(CONTENT_TYPE, "application/json")
            .body("{not json"),
    ] {
        let (_, body) = answer(request).await;
        let errors = body["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"));
        assert!(errors[0]["extensions"]["code"].is_string(), "{body}");
    }
    // Off the GraphQL route, Hasura's own REST error shape.
    let (status, body) = answer(s.http.get(hasura("/v1/graphql/%FF"))).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::NOT_FOUND,
            json!({"path": "$", "error": "resource does not exist", "code": "not-found"})
        )
    );
}

#[tokio::test]
async fn dgraph_answers_bad_path_parameters_and_bodies_in_its_shape() {
    let s = start().await;
    let dgraph = |path: &str| format!("http://{}{path}", s.dgraph);
    for request in [
        s.http
            .post(dgraph("/deployments/%FF/api-keys"))
            .bearer_auth("not-a-token")
            .json(&json!({})),
        s.http.delete(dgraph("/deployment/%FF")).bearer_auth("x"),
        s.http
            .post(dgraph("/graphql"))
            .header(CONTENT_TYPE, "application/json")
            .body(oversize()),
        s.http
            .post(dgraph("/deployments/create"))
            .bearer_auth("not-a-token")
            .header(CONTENT_TYPE, "application/json")
            .body(oversize()),
    ] {
        let (status, body) = answer(request).await;
        assert!(status.is_client_error(), "{status}: {body}");
        assert!(
            body["error"].is_string() || body["errors"][0]["message"].is_string(),
            "{body}"
        );
    }
}
