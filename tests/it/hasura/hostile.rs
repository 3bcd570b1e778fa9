//! Hostile input: no request can crash the process or a session, and every refusal is in
//! Hasura's own shape — HTTP 200 with `errors[].extensions.code` on `/v1/graphql`, the plain
//! `{"path","error","code"}` elsewhere — never text/plain. Each test checks the server still
//! answers afterwards.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::client::{data, graphql_url, project, user};
use crate::support::{TestServer, send};

/// `{ projects(where: {_and: [{_and: [… {} …]}]}) { id } }`, `depth` levels deep.
fn nested_and(depth: usize) -> String {
    format!(
        "{{ projects(where: {}{{}}{}) {{ id }} }}",
        "{_and: [".repeat(depth),
        "]}".repeat(depth)
    )
}

/// `{_not: {_not: … {name: {_eq: "x"}} …}}`, `depth` levels of `_not`.
fn nested_not(depth: usize) -> Value {
    let mut exp = json!({"name": {"_eq": "x"}});
    for _ in 0..depth {
        exp = json!({ "_not": exp });
    }
    exp
}

/// Posts a raw body; returns the status, the content type and the JSON body.
async fn post_raw(s: &TestServer, pat: Option<&str>, body: String) -> (StatusCode, String, Value) {
    let mut request = s
        .http
        .post(graphql_url(s))
        .header("content-type", "application/json")
        .body(body);
    if let Some(pat) = pat {
        request = request.header("authorization", format!("pat {pat}"));
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    (status, content_type, body)
}

/// The one error of a refused GraphQL request: HTTP 200, JSON, no `data`.
fn refused(answer: (StatusCode, String, Value)) -> Value {
    let (status, content_type, body) = answer;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(content_type, "application/json", "{body}");
    assert!(body.get("data").is_none(), "{body}");
    let errors = body["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{body}");
    errors[0].clone()
}

async fn still_serves(s: &TestServer, pat: &str) {
    let got = data(s, pat, "{ projects { name } }", json!({})).await;
    assert_eq!(got, json!({"projects": [{"name": "survivor"}]}));
}

#[tokio::test]
async fn a_where_nested_a_thousand_levels_is_refused_and_the_server_lives() {
    let s = TestServer::start().await;
    let pat = user(&s, "ada@example.com").await;
    project(&s, &pat, "survivor").await;
    // The 7 KB request that used to overflow a worker's stack and abort the process, without
    // and with a PAT, and its `_not` form.
    let not_query = format!(
        "{{ projects(where: {}{{}}{}) {{ id }} }}",
        "{_not: ".repeat(2000),
        "}".repeat(2000)
    );
    for (who, query) in [
        (None, nested_and(1000)),
        (Some(pat.as_str()), nested_and(1000)),
        (Some(pat.as_str()), not_query),
    ] {
        let error = refused(post_raw(&s, who, json!({ "query": query }).to_string()).await);
        assert_eq!(
            error["extensions"],
            json!({"path": "$.query", "code": "validation-failed"})
        );
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains("levels deep; the limit is 64 (--graphql-max-depth)"),
            "{message}"
        );
    }
    // Within the limit, the same shape runs.
    let got = data(&s, &pat, &nested_and(30), json!({})).await;
    assert_eq!(got["projects"].as_array().unwrap().len(), 1);
    still_serves(&s, &pat).await;
    s.stop().await;
}

#[tokio::test]
async fn variables_nested_deeper_than_the_limit_are_refused_in_hasura_shape() {
    let s = TestServer::start().await;
    let pat = user(&s, "ada@example.com").await;
    project(&s, &pat, "survivor").await;
    let query = "query($w: projects_bool_exp) { projects(where: $w) { id } }";
    // Deeper than --graphql-max-depth, within what the JSON parser reads.
    let body = json!({"query": query, "variables": {"w": nested_not(100)}});
    let error = refused(post_raw(&s, Some(&pat), body.to_string()).await);
    assert_eq!(
        error,
        json!({"message": "the variables nest 103 levels deep; the limit is 64 (--graphql-max-depth)",
               "extensions": {"path": "$.variables", "code": "validation-failed"}})
    );
    // Deeper than the JSON parser reads at all.
    let body = json!({"query": query, "variables": {"w": nested_not(200)}});
    let error = refused(post_raw(&s, Some(&pat), body.to_string()).await);
    assert_eq!(error["extensions"]["code"], "invalid-json");
    // A variable within the limit inside a literal within the limit: the argument as bound is
    // measured too.
    let deep_literal = format!(
        "query($w: projects_bool_exp) {{ projects(where: {}$w{}) {{ id }} }}",
        "{_and: [".repeat(20),
        "]}".repeat(20)
    );
    let body = json!({"query": deep_literal, "variables": {"w": nested_not(40)}});
    let error = refused(post_raw(&s, Some(&pat), body.to_string()).await);
    assert_eq!(
        error,
        json!({"message": "the argument nests 82 levels deep; the limit is 64 (--graphql-max-depth)",
               "extensions": {"path": "$.selectionSet.projects.args.where", "code": "validation-failed"}})
    );
    // The deepest argument allowed runs.
    let body = json!({"query": query, "variables": {"w": nested_not(61)}});
    let (status, _, body) = post_raw(&s, Some(&pat), body.to_string()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"data": {"projects": [{"id": body["data"]["projects"][0]["id"]}]}})
    );
    still_serves(&s, &pat).await;
    s.stop().await;
}

#[tokio::test]
async fn a_filter_too_big_for_sqlite_is_the_callers_error_not_the_servers() {
    let s = TestServer::start().await;
    let pat = user(&s, "ada@example.com").await;
    project(&s, &pat, "survivor").await;
    // Relationships followed 40 levels down, within the depth limit.
    let mut exp = json!({"name": {"_eq": "survivor"}});
    for _ in 0..20 {
        exp = json!({"tenant": {"project": exp}});
    }
    let body = json!({"query": "query($w: projects_bool_exp) { projects(where: $w) { id } }",
                      "variables": {"w": exp}});
    let error = refused(post_raw(&s, Some(&pat), body.to_string()).await);
    assert_eq!(error["extensions"]["code"], "validation-failed", "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .starts_with("the query is too large or too deeply nested to run"),
        "{error}"
    );
    still_serves(&s, &pat).await;
    s.stop().await;
}

#[tokio::test]
async fn alias_floods_and_deep_selections_are_refused_before_they_run() {
    let s = TestServer::start().await;
    let pat = user(&s, "ada@example.com").await;
    project(&s, &pat, "survivor").await;
    let flood: String = (0..3000)
        .map(|i| format!("a{i}: projects {{ id }} "))
        .collect();
    let error = refused(
        post_raw(
            &s,
            Some(&pat),
            json!({ "query": format!("{{ {flood} }}") }).to_string(),
        )
        .await,
    );
    assert_eq!(
        error,
        json!({"message": "the query selects 6000 fields; the limit is 2000 (--graphql-max-fields)",
               "extensions": {"path": "$.query", "code": "validation-failed"}})
    );
    // A fragment bomb: short text, 2^30 fields once expanded.
    let mut bomb = String::from("{ ...F0 }\n");
    for i in 0..30 {
        bomb.push_str(&format!(
            "fragment F{i} on query_root {{ a: projects {{ ...F{n} }} b: projects {{ ...F{n} }} }}\n",
            n = i + 1
        ));
    }
    bomb.push_str("fragment F30 on projects { id }\n");
    let error = refused(post_raw(&s, Some(&pat), json!({ "query": bomb }).to_string()).await);
    assert_eq!(error["extensions"]["code"], "validation-failed", "{error}");
    still_serves(&s, &pat).await;
    s.stop().await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_answered_in_hasura_shape() {
    let mut config = crate::support::test_config();
    config.body_limit = 4096;
    let s = TestServer::start_with(config).await;
    let pat = user(&s, "ada@example.com").await;
    project(&s, &pat, "survivor").await;
    let big = json!({"query": format!("{{ projects {{ id }} }} # {}", "x".repeat(8000))});
    let error = refused(post_raw(&s, Some(&pat), big.to_string()).await);
    assert_eq!(
        error,
        json!({"message": "the request body is larger than the limit (--body-limit)",
               "extensions": {"path": "$", "code": "validation-failed"}})
    );
    // The same on the main listener's /hasura prefix.
    let response = s
        .http
        .post(s.main_url("/hasura/v1/graphql"))
        .header("content-type", "application/json")
        .body(big.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "validation-failed");
    still_serves(&s, &pat).await;
    s.stop().await;
}

#[tokio::test]
async fn bad_percent_encoding_is_answered_in_hasura_shape() {
    let s = TestServer::start().await;
    let pat = user(&s, "ada@example.com").await;
    project(&s, &pat, "survivor").await;
    let not_found = json!({"path": "$", "error": "resource does not exist", "code": "not-found"});
    for path in ["/v1/graphql%FF", "/v1/%FF%FE", "/%C0%AF", "/v1/graph%ZZql"] {
        let (status, body) = send(
            s.http
                .post(format!("http://{}{path}", s.hasura))
                .header("authorization", format!("pat {pat}"))
                .json(&json!({"query": "{ projects { id } }"})),
        )
        .await;
        assert_eq!(
            (status, body),
            (StatusCode::NOT_FOUND, not_found.clone()),
            "{path}"
        );
    }
    // A query string is not Hasura's business: bad encoding there changes nothing.
    let (status, body) = send(
        s.http
            .post(format!("http://{}/v1/graphql?x=%FF%", s.hasura))
            .header("authorization", format!("pat {pat}"))
            .json(&json!({"query": "{ projects { name } }"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"data": {"projects": [{"name": "survivor"}]}}));
    still_serves(&s, &pat).await;
    s.stop().await;
}
