//! `/_offcloud/faults`: rules that make matching requests fail, wait, or lose their connection.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestServer, send};

async fn add(s: &TestServer, rule: Value) -> Value {
    let (status, body) = send(s.http.post(s.main_url("/_offcloud/faults")).json(&rule)).await;
    assert_eq!(status, StatusCode::CREATED, "{rule} → {body}");
    body
}

async fn faults(s: &TestServer) -> Vec<Value> {
    let (status, body) = send(s.http.get(s.main_url("/_offcloud/faults"))).await;
    assert_eq!(status, StatusCode::OK);
    body["faults"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_fault_fails_exactly_n_times_then_stops() {
    let s = TestServer::start().await;
    let rule = add(
        &s,
        json!({"service": "memgraph", "method": "GET", "path": "/v1/auth/me", "status": 503, "times": 2}),
    )
    .await;
    assert_eq!(rule["id"], "fault-1");
    assert_eq!(rule["times"], 2);
    for _ in 0..2 {
        let (status, body) = send(s.http.get(s.mg("/v1/auth/me"))).await;
        assert_eq!(
            (status, body),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"detail": "Service Unavailable"})
            )
        );
    }
    let (status, _) = send(s.http.get(s.mg("/v1/auth/me"))).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the service answers again"
    );
    assert!(faults(&s).await.is_empty(), "a spent rule is gone");
}

#[tokio::test]
async fn default_bodies_take_each_services_error_shape() {
    let s = TestServer::start().await;
    add(&s, json!({"service": "typedb", "status": 503})).await;
    add(&s, json!({"service": "hasura", "status": 403})).await;
    add(&s, json!({"service": "dgraph", "status": 500})).await;
    let (status, body) = send(
        s.http
            .get(format!("http://{}/api/v1/cluster-versions", s.typedb)),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        body,
        json!({"code": "UNAVAILABLE", "message": "Service Unavailable"})
    );
    let (status, body) = send(
        s.http
            .post(format!("http://{}/v1/graphql", s.hasura))
            .json(&json!({"query": "{ getProjects { id } }"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "Hasura reports errors with 200");
    assert_eq!(
        body,
        json!({"errors": [{"message": "Forbidden", "extensions": {"path": "$", "code": "access-denied"}}]})
    );
    let (status, body) = send(
        s.http
            .post(format!("http://{}/graphql", s.dgraph))
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        body,
        json!({"errors": [{"message": "Internal Server Error"}]})
    );
}

#[tokio::test]
async fn a_given_body_is_sent_as_is() {
    let s = TestServer::start().await;
    add(
        &s,
        json!({"path": "/v1/*", "status": 418, "body": {"teapot": true}}),
    )
    .await;
    let (status, body) = send(s.http.get(s.mg("/v1/anything/at/all"))).await;
    assert_eq!(
        (status, body),
        (StatusCode::IM_A_TEAPOT, json!({"teapot": true}))
    );
    add(
        &s,
        json!({"service": "typedb", "status": 502, "body": "upstream gone"}),
    )
    .await;
    let response = s
        .http
        .get(format!("http://{}/api/v1/cluster-versions", s.typedb))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(response.text().await.unwrap(), "upstream gone");
}

#[tokio::test]
async fn rules_match_method_path_glob_and_service() {
    let s = TestServer::start().await;
    add(
        &s,
        json!({"method": "post", "path": "/v1/*/login", "status": 500}),
    )
    .await;
    let (status, _) = send(s.http.get(s.mg("/v1/auth/login"))).await;
    assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "GET is not POST");
    let (status, _) = send(s.http.post(s.mg("/v1/auth/me"))).await;
    assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "path differs");
    // The path is the service's own, whichever prefix the client used.
    let (status, body) = send(
        s.http
            .post(s.main_url("/_session/default/memgraph/v1/auth/login"))
            .form(&[("username", "a"), ("password", "b")]),
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body, json!({"detail": "Internal Server Error"}));
}

#[tokio::test]
async fn graphql_operations_are_matched_by_name() {
    let s = TestServer::start().await;
    add(
        &s,
        json!({"service": "hasura", "operation": "Boom", "status": 500}),
    )
    .await;
    let graphql = format!("http://{}/v1/graphql", s.hasura);
    let (status, _) = send(
        s.http
            .post(&graphql)
            .json(&json!({"query": "query Calm { getProjects { id } }"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = send(
        s.http
            .post(&graphql)
            .json(&json!({"query": "query Calm { a } query Boom { b }", "operationName": "Boom"})),
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "unexpected");
    // The service still gets the whole body when the operation does not match.
    let (status, body) = send(
        s.http
            .post(&graphql)
            .json(&json!({"query": "query Calm { getProjects { id } }"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body["errors"][0]["extensions"]["code"] != "unexpected",
        "{body}"
    );
}

#[tokio::test]
async fn a_dropped_connection_is_an_error_not_a_status() {
    let s = TestServer::start().await;
    add(&s, json!({"service": "memgraph", "drop": true, "times": 1})).await;
    let outcome = s.http.get(s.mg("/v1/auth/me")).send().await;
    let error = outcome.expect_err("no status reaches the client");
    assert!(!error.is_status(), "{error}");
    let (status, _) = send(s.http.get(s.mg("/v1/auth/me"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_delay_alone_lets_the_service_answer() {
    let s = TestServer::start().await;
    add(
        &s,
        json!({"service": "memgraph", "delay_ms": 5, "times": 1}),
    )
    .await;
    let (status, body) = send(s.http.get(s.mg("/v1/auth/me"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(faults(&s).await.is_empty());
}

#[tokio::test]
async fn probability_zero_never_fires_and_one_always_does() {
    let s = TestServer::start().await;
    add(
        &s,
        json!({"service": "memgraph", "status": 500, "probability": 0}),
    )
    .await;
    for _ in 0..5 {
        assert_eq!(
            send(s.http.get(s.mg("/v1/auth/me"))).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    send(s.http.delete(s.main_url("/_offcloud/faults"))).await;
    add(
        &s,
        json!({"service": "memgraph", "status": 500, "probability": 1}),
    )
    .await;
    for _ in 0..5 {
        assert_eq!(
            send(s.http.get(s.mg("/v1/auth/me"))).await.0,
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}

#[tokio::test]
async fn faults_are_per_session() {
    let s = TestServer::start().await;
    let (status, rule) = send(
        s.http
            .post(s.main_url("/_offcloud/faults"))
            .header("X-Offcloud-Session", "flaky")
            .json(&json!({"status": 500})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(rule["session"], "flaky");
    assert_eq!(
        send(s.http.get(s.mg("/v1/auth/me"))).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = send(
        s.http
            .get(s.main_url("/_session/flaky/memgraph/v1/auth/me")),
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(faults(&s).await.is_empty(), "the default session has none");
    let (_, listed) = send(s.http.get(s.main_url("/_offcloud/faults?session=flaky"))).await;
    assert_eq!(listed["faults"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn rules_are_listed_and_removed() {
    let s = TestServer::start().await;
    let one = add(&s, json!({"service": "typedb", "status": 500})).await;
    add(&s, json!({"service": "dgraph", "status": 500})).await;
    assert_eq!(faults(&s).await.len(), 2);
    let id = one["id"].as_str().unwrap();
    let response = s
        .http
        .delete(s.main_url(&format!("/_offcloud/faults/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, body) = send(
        s.http
            .delete(s.main_url(&format!("/_offcloud/faults/{id}"))),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"].is_string());
    assert_eq!(faults(&s).await.len(), 1);
    let (_, body) = send(s.http.delete(s.main_url("/_offcloud/faults"))).await;
    assert_eq!(body, json!({"removed": 1}));
    assert!(faults(&s).await.is_empty());
}

#[tokio::test]
async fn faulted_requests_are_in_the_journal() {
    let s = TestServer::start().await;
    add(
        &s,
        json!({"service": "memgraph", "status": 429, "times": 1}),
    )
    .await;
    send(s.http.get(s.mg("/v1/auth/me"))).await;
    let (_, body) = send(s.http.get(s.main_url("/_offcloud/requests?status=429"))).await;
    let entries = body["requests"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0]["response"]["body"],
        json!({"detail": "Too Many Requests"})
    );
}

#[tokio::test]
async fn bad_rules_are_400_and_add_nothing() {
    let s = TestServer::start().await;
    let bad = [
        json!({}),
        json!({"service": "mysql", "status": 500}),
        json!({"status": 99}),
        json!({"status": 700}),
        json!({"status": "500"}),
        json!({"body": {"a": 1}}),
        json!({"drop": true, "status": 500}),
        json!({"status": 500, "times": 0}),
        json!({"status": 500, "times": -1}),
        json!({"status": 500, "probability": 1.5}),
        json!({"status": 500, "probability": -0.1}),
        json!({"delay_ms": 999_999_999_999u64}),
        json!({"status": 500, "colour": "red"}),
        json!([1]),
    ];
    for rule in bad {
        let (status, body) = send(s.http.post(s.main_url("/_offcloud/faults")).json(&rule)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{rule} → {body}");
        assert!(body["error"].is_string(), "{body}");
    }
    let (status, _) = send(s.http.post(s.main_url("/_offcloud/faults")).body("{")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(faults(&s).await.is_empty());
}

#[tokio::test]
async fn a_session_reset_removes_its_rules_a_service_reset_does_not() {
    let s = TestServer::start().await;
    add(&s, json!({"status": 500})).await;
    send(s.http.post(s.main_url("/_offcloud/reset?service=typedb"))).await;
    assert_eq!(faults(&s).await.len(), 1);
    send(s.http.post(s.main_url("/_offcloud/reset"))).await;
    assert!(faults(&s).await.is_empty());
    assert_eq!(
        send(s.http.get(s.mg("/v1/auth/me"))).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn rules_are_bounded_and_room_comes_back_when_some_are_removed() {
    let s = TestServer::start().await;
    let rule = json!({"service": "memgraph", "path": "/v1/nothing", "status": 503,
                      "body": {"padding": "p".repeat(60 * 1024)}});
    for _ in 0..1_000 {
        add(&s, rule.clone()).await;
    }
    let (status, body) = send(s.http.post(s.main_url("/_offcloud/faults")).json(&rule)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("at most 1000 fault rules"),
        "{body}"
    );
    let (status, _) = send(s.http.delete(s.main_url("/_offcloud/faults"))).await;
    assert_eq!(status, StatusCode::OK);
    add(&s, rule).await;
}
