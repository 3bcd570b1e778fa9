//! Hostile input: whatever arrives, TypeDB answers in its own `{"code","message"}` JSON (the
//! control routes in the control API's `{"error"}`), never a 5xx, never text/plain, and the server
//! goes on serving afterwards. Odd path values, wrong types and odd headers are swept in
//! `errors.rs`; this file covers what a fuzzer or a broken client sends beyond them.

use reqwest::StatusCode;
use reqwest::header::HeaderValue;
use serde_json::{Value, json};

use super::{BAD, OK, assert_error, bearer, call, clusters, free_cluster, url};
use crate::support::TestServer;

/// The status, content type and JSON body of an answer; panics when the body is not JSON.
async fn answer_of(request: reqwest::RequestBuilder) -> (StatusCode, String, Value) {
    let response = request.send().await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("{status} {content_type}: not JSON: {text:.200}"));
    (status, content_type, body)
}

/// A refusal in TypeDB's shape: that status and code, as JSON.
#[track_caller]
fn refused(answer: (StatusCode, String, Value), status: StatusCode, code: &str) {
    let (got, content_type, body) = answer;
    assert_eq!(content_type, "application/json", "{body}");
    assert_error(&(got, body), status, code);
}

/// The space still lists exactly `ids`, so nothing hostile left a half-written change.
async fn still_lists(s: &TestServer, token: &str, ids: &[&str]) {
    let (status, list) = call(s, "GET", &clusters("t", "default", ""), Some(token), None).await;
    assert_eq!(status, OK, "{list}");
    let listed: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(listed, ids);
}

#[tokio::test]
async fn json_nested_past_what_the_parser_reads_is_a_400_and_the_server_lives() {
    let s = TestServer::start().await;
    let token = bearer(&s, "t", "default", "admin").await;
    call(
        &s,
        "POST",
        &clusters("t", "default", "/deploy"),
        Some(&token),
        Some(free_cluster("c")),
    )
    .await;
    let arrays = format!(
        "{{\"id\": {}1{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let objects = format!(
        "{{\"backupConfiguration\": {}1{}}}",
        "{\"a\":".repeat(50_000),
        "}".repeat(50_000)
    );
    // Unclosed: the parser gives up at its depth limit before it sees the end.
    let unclosed = "[".repeat(1_000_000);
    for body in [arrays, objects, unclosed] {
        for (method, path) in [
            ("POST", clusters("t", "default", "/deploy")),
            ("PATCH", clusters("t", "default", "/c")),
            ("POST", clusters("t", "default", "/c/clone")),
        ] {
            let request = s
                .http
                .request(method.parse().unwrap(), url(&s, &path))
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(body.clone());
            refused(answer_of(request).await, BAD, "INVALID_ARGUMENT");
        }
    }
    // Nested within what the parser reads, in a field that wants an object of two keys.
    let mut deep = json!(1);
    for _ in 0..100 {
        deep = json!({ "frequency": deep });
    }
    let answer = call(
        &s,
        "PATCH",
        &clusters("t", "default", "/c"),
        Some(&token),
        Some(json!({ "backupConfiguration": deep })),
    )
    .await;
    assert_error(&answer, BAD, "INVALID_ARGUMENT");
    still_lists(&s, &token, &["c"]).await;
}

#[tokio::test]
async fn bytes_that_are_not_utf8_are_refused_in_typedb_shape() {
    let s = TestServer::start().await;
    let token = bearer(&s, "t", "default", "write").await;
    let deploy = url(&s, &clusters("t", "default", "/deploy"));
    let mut inside_a_string = br#"{"id": ""#.to_vec();
    inside_a_string.extend_from_slice(&[0xff, 0xfe]);
    inside_a_string.extend_from_slice(br#"", "serverCount": 1}"#);
    for body in [vec![0xff, 0xfe, 0xfd], inside_a_string] {
        let request = s
            .http
            .post(&deploy)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body);
        refused(answer_of(request).await, BAD, "INVALID_ARGUMENT");
    }
    // Header values with bytes past ASCII: HTTP allows them, a token never has them.
    let latin1 = HeaderValue::from_bytes(b"Bearer \xe9t\xe9").unwrap();
    let request = s
        .http
        .get(url(&s, &clusters("t", "default", "")))
        .header("authorization", latin1);
    refused(
        answer_of(request).await,
        BAD,
        "INVALID_AUTHORIZATION_HEADER",
    );
    let basic = HeaderValue::from_bytes(b"Basic client:s\xffcret").unwrap();
    let request = s
        .http
        .post(url(&s, "/api/v1/auth"))
        .header("authorization", basic);
    refused(
        answer_of(request).await,
        BAD,
        "INVALID_AUTHORIZATION_HEADER",
    );
    still_lists(&s, &token, &[]).await;
}

#[tokio::test]
async fn huge_strings_and_numbers_are_refused_without_echoing_them_whole() {
    let s = TestServer::start().await;
    let token = bearer(&s, "t", "default", "write").await;
    let huge = "a".repeat(1024 * 1024);
    for (field, value) in [
        ("id", json!(huge)),
        ("region", json!("é".repeat(512 * 1024))),
        ("machineType", json!(huge)),
        ("version", json!(huge)),
    ] {
        let mut body = free_cluster("h");
        body[field] = value;
        let answer = call(
            &s,
            "POST",
            &clusters("t", "default", "/deploy"),
            Some(&token),
            Some(body),
        )
        .await;
        assert_error(&answer, BAD, "INVALID_ARGUMENT");
        let message = answer.1["message"].as_str().unwrap();
        assert!(message.len() < 1024, "{field}: {} bytes", message.len());
        assert!(message.contains(field), "{field}: {message}");
    }
    // Numbers JSON can write but no integer holds.
    for number in ["1e400", "-1e400", "123456789012345678901234567890"] {
        let body = format!(
            r#"{{"id":"n","serverCount":{number},"storageSizeGB":10,"provider":"gcp",
                "region":"europe-west2","isFree":true,"machineType":"c2d-highcpu-2",
                "storageType":"standard-rwo","version":"latest"}}"#
        );
        let request = s
            .http
            .post(url(&s, &clusters("t", "default", "/deploy")))
            .bearer_auth(&token)
            .body(body);
        refused(answer_of(request).await, BAD, "INVALID_ARGUMENT");
    }
    // A bearer token of 64 KiB is only an unknown token.
    let long = format!(
        "{}.{}.{}",
        "a".repeat(32 * 1024),
        "b".repeat(16 * 1024),
        "c"
    );
    let request = s
        .http
        .get(url(&s, &clusters("t", "default", "")))
        .bearer_auth(long);
    refused(
        answer_of(request).await,
        StatusCode::UNAUTHORIZED,
        "INVALID_TOKEN",
    );
    still_lists(&s, &token, &[]).await;
}

#[tokio::test]
async fn the_control_routes_answer_bad_input_in_the_control_shape() {
    let s = TestServer::start().await;
    let token = bearer(&s, "t", "default", "admin").await;
    call(
        &s,
        "POST",
        &clusters("t", "default", "/deploy"),
        Some(&token),
        Some(free_cluster("c")),
    )
    .await;
    let control = |path: &str| s.main_url(&format!("/_offcloud/typedb{path}"));
    let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    for request in [
        s.http.delete(control("/tokens/%FF")),
        s.http.delete(control("/tokens/%E9t%E9")),
        s.http
            .put(control("/teams/%FF/spaces/default/clusters/c/status"))
            .json(&json!({"status": "running"})),
        s.http
            .put(control("/teams/t/spaces/default/clusters/%C3%28/status"))
            .json(&json!({"status": "running"})),
        s.http
            .put(control("/teams/t/spaces/default/clusters/c/status"))
            .body(vec![0xff, 0xfe]),
        s.http.post(control("/tokens")).body(nested.clone()),
        s.http.post(control("/teams")).body(nested),
        s.http
            .post(control("/tokens"))
            .json(&json!({"team": 1, "space": [], "access": "root"})),
        s.http
            .post(control("/teams"))
            .json(&json!({"id": "x".repeat(1024 * 1024)})),
    ] {
        let (status, content_type, body) = answer_of(request).await;
        assert!(status.is_client_error(), "{status} {body}");
        assert_eq!(content_type, "application/json", "{body}");
        assert!(body["error"].is_string(), "{body}");
    }
    let (status, cluster) = call(
        &s,
        "GET",
        &clusters("t", "default", "/c"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, OK, "{cluster}");
}

#[tokio::test]
async fn a_clock_at_the_latest_time_it_shows_keeps_typedb_answering() {
    let s = TestServer::start().await;
    let token = bearer(&s, "t", "default", "admin").await;
    let clock = s.main_url("/_offcloud/clock");
    let (status, body) = crate::support::send(
        s.http
            .post(&clock)
            .json(&json!({"set": "9000-01-01T00:00:00Z"})),
    )
    .await;
    assert_eq!(status, OK, "{body}");
    // Issued before the jump: its hour is long over.
    let answer = call(&s, "GET", &clusters("t", "default", ""), Some(&token), None).await;
    assert_error(&answer, StatusCode::UNAUTHORIZED, "TOKEN_EXPIRED");

    let token = bearer(&s, "t", "default", "admin").await;
    let (status, deployed) = call(
        &s,
        "POST",
        &clusters("t", "default", "/deploy"),
        Some(&token),
        Some(free_cluster("late")),
    )
    .await;
    assert_eq!(status, OK, "{deployed}");
    // 9000-01-01T00:00:00Z in Unix epoch milliseconds.
    assert_eq!(deployed["createdAt"], json!(221_845_392_000_000_i64));
    // The clock goes no further, so the cluster starts and never finishes starting.
    let (status, _) =
        crate::support::send(s.http.post(&clock).json(&json!({"advance": "1h"}))).await;
    assert_eq!(status, BAD);
    for (method, suffix, body) in [
        ("GET", "/late", None),
        ("PATCH", "/late", Some(json!({"id": "later"}))),
        ("POST", "/later/clone", Some(json!({"id": "copy"}))),
        ("DELETE", "/later", None),
        ("DELETE", "/copy", None),
    ] {
        let answer = call(
            &s,
            method,
            &clusters("t", "default", suffix),
            Some(&token),
            body,
        )
        .await;
        assert_eq!(answer.0, OK, "{method} {suffix}: {}", answer.1);
    }
    // Made at the same pinned moment, so in the order made (the rename keeps its place).
    still_lists(&s, &token, &["later", "copy"]).await;
}
