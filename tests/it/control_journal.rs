//! `GET/DELETE /_offcloud/requests`: the request journal over real HTTP.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestServer, send, test_config};

async fn journal(s: &TestServer, query: &str) -> Vec<Value> {
    let (status, body) = send(
        s.http
            .get(s.main_url(&format!("/_offcloud/requests{query}"))),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["requests"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_login_is_recorded_with_its_secrets_redacted() {
    let s = TestServer::start().await;
    let account = s.onboard("journal@example.com").await;
    s.get("/v1/auth/me", account.bearer()).await;

    let entries = journal(&s, "?service=memgraph").await;
    let paths: Vec<&str> = entries
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/v1/auth/onboard", "/v1/auth/login", "/v1/auth/me"]);

    let login = &entries[1];
    assert_eq!(login["method"], "POST");
    assert_eq!(login["session"], "default");
    assert_eq!(login["status"], 200);
    assert!(login["duration_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(
        login["request"]["body"],
        "username=journal%40example.com&password=[redacted]"
    );
    assert_eq!(login["response"]["body"]["access_token"], "[redacted]");
    assert_eq!(login["response"]["body"]["token_type"], "[redacted]");
    assert_eq!(
        login["response"]["headers"]["content-type"],
        "application/json"
    );

    let onboard = &entries[0];
    assert_eq!(onboard["request"]["body"]["password"], "[redacted]");
    assert_eq!(onboard["request"]["body"]["email"], "journal@example.com");
    assert_eq!(onboard["response"]["body"]["api_key"], "[redacted]");

    let me = &entries[2];
    assert_eq!(me["request"]["headers"]["authorization"], "[redacted]");
    assert_eq!(me["response"]["body"]["email"], "journal@example.com");

    let text = serde_json::to_string(&entries).unwrap();
    for secret in [&account.token, &account.api_key, &account.password] {
        assert!(!text.contains(secret.as_str()), "a secret leaked: {secret}");
    }
    assert!(entries[0]["id"].as_u64() < entries[2]["id"].as_u64());
}

#[tokio::test]
async fn paths_are_recorded_as_sent_and_filters_apply() {
    let s = TestServer::start().await;
    let (status, _) = send(
        s.http
            .get(s.main_url("/_session/job/memgraph/v1/auth/me?x=1&token=abc")),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    send(
        s.http
            .get(format!("http://{}/api/v1/cluster-versions", s.typedb)),
    )
    .await;
    send(
        s.http
            .delete(format!("http://{}/api/v1/cluster-versions", s.typedb)),
    )
    .await;
    // The control API itself is never recorded.
    send(s.http.get(s.main_url("/_offcloud/info"))).await;

    let all = journal(&s, "").await;
    assert_eq!(all.len(), 3, "{all:?}");
    let first = &all[0];
    assert_eq!(first["path"], "/_session/job/memgraph/v1/auth/me");
    assert_eq!(first["query"], "x=1&token=[redacted]");
    assert_eq!(first["session"], "job");
    assert_eq!(first["status"], 401);

    assert_eq!(journal(&s, "?session=job").await.len(), 1);
    assert_eq!(journal(&s, "?service=typedb").await.len(), 2);
    assert_eq!(journal(&s, "?method=delete").await.len(), 1);
    assert_eq!(journal(&s, "?status=401").await.len(), 1);
    assert_eq!(journal(&s, "?path=/api/v1/cluster").await.len(), 2);
    assert_eq!(journal(&s, "?path=/_session/").await.len(), 1);
    let newest = journal(&s, "?limit=1").await;
    assert_eq!(newest.len(), 1);
    assert_eq!(newest[0]["method"], "DELETE", "limit keeps the newest");
}

#[tokio::test]
async fn graphql_operations_are_found_by_name() {
    let s = TestServer::start().await;
    let graphql = format!("http://{}/v1/graphql", s.hasura);
    send(s.http.post(&graphql).json(&json!({
        "query": "query First { getProjects { id } } query Second { getProjects { id } }",
        "operationName": "Second",
    })))
    .await;
    send(s.http.post(&graphql).json(&json!({
        "query": "# query Decoy\nmutation Named($n: String!) { createProject(name: $n) { id } }",
        "variables": {"n": "x", "adminSecret": "hush"},
    })))
    .await;
    send(
        s.http
            .post(&graphql)
            .json(&json!({"query": "{ anonymous }"})),
    )
    .await;

    let second = journal(&s, "?operation=Second").await;
    assert_eq!(second.len(), 1);
    let named = journal(&s, "?operation=Named").await;
    assert_eq!(named.len(), 1);
    assert_eq!(
        named[0]["request"]["body"]["variables"],
        json!({"n": "x", "adminSecret": "[redacted]"})
    );
    assert!(journal(&s, "?operation=Decoy").await.is_empty());
    assert!(journal(&s, "?operation=First").await.is_empty());
    let all = journal(&s, "?service=hasura").await;
    assert_eq!(all.len(), 3);
    assert_eq!(all[2]["operation"], Value::Null);
}

#[tokio::test]
async fn the_journal_is_a_bounded_ring() {
    let mut config = test_config();
    config.journal_size = 3;
    let s = TestServer::start_with(config).await;
    for i in 0..5 {
        send(s.http.get(s.mg(&format!("/v1/nothing/{i}")))).await;
    }
    let entries = journal(&s, "").await;
    let paths: Vec<&str> = entries
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/v1/nothing/2", "/v1/nothing/3", "/v1/nothing/4"]);
}

#[tokio::test]
async fn a_journal_of_size_zero_records_nothing() {
    let mut config = test_config();
    config.journal_size = 0;
    let s = TestServer::start_with(config).await;
    send(s.http.get(s.mg("/v1/auth/me"))).await;
    assert!(journal(&s, "").await.is_empty());
}

#[tokio::test]
async fn large_bodies_are_cut_but_pass_whole() {
    let s = TestServer::start().await;
    let big = "x".repeat(40 * 1024);
    let (status, body) = send(s.http.post(s.mg("/v1/auth/onboard")).json(
        &json!({"email": "big@example.com", "password": big, "full_name": big,
                          "cluster_name": "c", "sector": "Technology"}),
    ))
    .await;
    assert!(status.is_client_error() || status.is_success(), "{status}");
    let entry = &journal(&s, "").await[0];
    assert_eq!(entry["request"]["body_truncated"], true);
    assert_eq!(
        entry["request"]["body"],
        Value::Null,
        "truncated JSON is not shown"
    );
    assert!(!serde_json::to_string(entry).unwrap().contains(&big[..100]));
    let _ = body;
}

#[tokio::test]
async fn clearing_forgets_all_or_one_session() {
    let s = TestServer::start().await;
    send(s.http.get(s.mg("/v1/auth/me"))).await;
    send(
        s.http
            .get(s.main_url("/_session/other/memgraph/v1/auth/me")),
    )
    .await;
    send(
        s.http
            .get(s.main_url("/_session/other/memgraph/v1/auth/me")),
    )
    .await;
    let (status, body) = send(
        s.http
            .delete(s.main_url("/_offcloud/requests?session=other")),
    )
    .await;
    assert_eq!((status, body), (StatusCode::OK, json!({"cleared": 2})));
    assert_eq!(journal(&s, "").await.len(), 1);
    let (_, body) = send(s.http.delete(s.main_url("/_offcloud/requests"))).await;
    assert_eq!(body, json!({"cleared": 1}));
    assert!(journal(&s, "").await.is_empty());
}

#[tokio::test]
async fn bad_journal_queries_are_400() {
    let s = TestServer::start().await;
    for query in ["?status=abc", "?limit=-1", "?service=mysql"] {
        let (status, body) = send(
            s.http
                .get(s.main_url(&format!("/_offcloud/requests{query}"))),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(body["error"].is_string());
    }
    let (status, _) = send(
        s.http
            .delete(s.main_url("/_offcloud/requests?session=../x")),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_large_response_reaches_the_client_whole_and_is_kept_cut() {
    let s = TestServer::start().await;
    let name = "n".repeat(20 * 1024);
    let (status, body) = send(s.http.post(s.mg("/v1/auth/onboard")).json(&json!({
        "email": "long@example.com", "password": "YourSecurePassword123!",
        "full_name": name, "cluster_name": "c", "sector": "Technology",
    })))
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = s.login("long@example.com", "YourSecurePassword123!").await;
    let response = s
        .http
        .get(s.mg("/v1/auth/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let length = response.headers()["content-length"]
        .to_str()
        .unwrap()
        .to_owned();
    let me: Value = response.json().await.unwrap();
    assert_eq!(
        me["full_name"],
        name.as_str(),
        "the client got the whole body"
    );
    let entry = journal(&s, "?path=/v1/auth/me").await.pop().unwrap();
    assert_eq!(entry["response"]["body_truncated"], true);
    assert_eq!(entry["response"]["body"], Value::Null);
    assert_eq!(
        entry["response"]["headers"]["content-length"],
        length.as_str()
    );
}

#[tokio::test]
async fn a_body_that_is_not_valid_json_still_has_its_secrets_redacted() {
    let s = TestServer::start().await;
    let broken = r#"{"email": "x@example.com", "password": "hunter2-secret", "#;
    let (status, _) = send(
        s.http
            .post(s.mg("/v1/auth/onboard"))
            .header("content-type", "application/json")
            .body(broken),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let entries = journal(&s, "?service=memgraph").await;
    assert_eq!(
        entries[0]["request"]["body"],
        r#"{"email": "x@example.com", "password": "[redacted]", "#
    );
}

#[tokio::test]
async fn the_bare_token_typedb_answers_with_is_redacted() {
    let s = TestServer::start().await;
    let token = crate::typedb::bearer(&s, "t", "default", "admin").await;

    let entries = journal(&s, "?service=typedb&path=/api/v1/auth").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["response"]["body"], "[redacted]");
    assert_eq!(
        entries[0]["request"]["headers"]["authorization"],
        "[redacted]"
    );
    let text = serde_json::to_string(&entries).unwrap();
    assert!(!text.contains(&token), "the access token leaked");
}
