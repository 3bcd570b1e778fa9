//! The bad-input sweep: whatever arrives, the answer is a `{"code","message"}` 4xx, never a 5xx.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{BAD, OK, assert_error, bearer, call, clusters, free_cluster, url};
use crate::support::{TestServer, body_of, send};

#[tokio::test]
async fn unknown_paths_are_404_and_wrong_methods_405_in_json() {
    let s = TestServer::start().await;
    let token = bearer(&s, "t", "default", "admin").await;
    for path in [
        "/",
        "/api",
        "/api/v2/auth",
        "/api/v1/team/t/spaces/default",
        "/api/v1/team/t/spaces/default/clusters/c/start",
    ] {
        let answer = call(&s, "GET", path, Some(&token), None).await;
        assert_error(&answer, StatusCode::NOT_FOUND, "NOT_FOUND");
    }
    for (method, path) in [
        ("GET", clusters("t", "default", "/deploy")),
        ("PUT", clusters("t", "default", "/c")),
        ("POST", clusters("t", "default", "")),
        ("GET", clusters("t", "default", "/c/suspend")),
        ("DELETE", "/api/v1/cluster-versions".to_owned()),
        ("PATCH", clusters("t", "default", "/c/clone")),
    ] {
        let answer = call(&s, method, &path, Some(&token), None).await;
        assert_error(
            &answer,
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
        );
    }
}

#[tokio::test]
async fn bodies_parse_as_json_whatever_the_content_type() {
    let s = TestServer::start().await;
    let token = bearer(&s, "t", "default", "write").await;
    let path = url(&s, &clusters("t", "default", "/deploy"));
    // curl -d without --json sends form encoding; the JSON inside is still read.
    let response = s
        .http
        .post(&path)
        .bearer_auth(&token)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(free_cluster("f").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    for (content_type, body) in [
        (Some("application/json"), "".to_owned()),
        (Some("application/json"), "{".to_owned()),
        (Some("application/json"), "[]".to_owned()),
        (Some("application/json"), "null".to_owned()),
        (Some("text/plain"), "id=x".to_owned()),
        (None, "\u{0}\u{1}".to_owned()),
        (Some("application/json"), "{\"id\": \"x\"}".to_owned()),
        (Some("application/json"), json!({"id": null}).to_string()),
    ] {
        let mut request = s.http.post(&path).bearer_auth(&token).body(body.clone());
        if let Some(content_type) = content_type {
            request = request.header("Content-Type", content_type);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let answer = (status, body_of(response).await);
        assert_error(&answer, BAD, "INVALID_ARGUMENT");
    }
    let huge = "x".repeat(3 * 1024 * 1024);
    let answer = send(s.http.post(&path).bearer_auth(&token).body(huge)).await;
    assert!(answer.0.is_client_error(), "{answer:?}");
    assert_eq!(answer.1["code"], "INVALID_ARGUMENT", "{:?}", answer.1);
}

#[tokio::test]
async fn odd_paths_values_and_headers_never_get_a_5xx() {
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
    let long = "x".repeat(500);
    let odd_ids = ["%00", "%E2%82%AC", "..", "a%2Fb", "%FF", long.as_str()];
    let weird_values = [
        json!(null),
        json!(-1),
        json!(1e308),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(""),
        json!("x".repeat(10_000)),
        json!([1, 2]),
        json!({"a": {"b": []}}),
        json!(true),
    ];
    for id in odd_ids {
        for (method, suffix) in [
            ("GET", ""),
            ("DELETE", ""),
            ("POST", "/suspend"),
            ("POST", "/resume"),
        ] {
            let answer = call(
                &s,
                method,
                &clusters("t", "default", &format!("/{id}{suffix}")),
                Some(&token),
                None,
            )
            .await;
            assert!(
                answer.0.is_client_error(),
                "{method} {id}{suffix}: {answer:?}"
            );
            assert!(answer.1["message"].is_string(), "{answer:?}");
        }
        let answer = call(
            &s,
            "GET",
            &format!("/api/v1/team/{id}/spaces/{id}/clusters"),
            Some(&token),
            None,
        )
        .await;
        assert!(answer.0.is_client_error(), "{answer:?}");
    }
    let fields = [
        "id",
        "serverCount",
        "storageSizeGB",
        "provider",
        "region",
        "isFree",
        "machineType",
        "storageType",
        "version",
        "backupConfiguration",
    ];
    for field in fields {
        for value in &weird_values {
            let mut body = free_cluster("w");
            body[field] = value.clone();
            let deploy = call(
                &s,
                "POST",
                &clusters("t", "default", "/deploy"),
                Some(&token),
                Some(body),
            )
            .await;
            assert_eq!(deploy.0, BAD, "{field}={value}: {}", deploy.1);
            let patch = call(
                &s,
                "PATCH",
                &clusters("t", "default", "/c"),
                Some(&token),
                Some(json!({ field: value })),
            )
            .await;
            assert!(
                !patch.0.is_server_error(),
                "patch {field}={value}: {}",
                patch.1
            );
            let clone = call(
                &s,
                "POST",
                &clusters("t", "default", "/c/clone"),
                Some(&token),
                Some(json!({ field: value })),
            )
            .await;
            assert!(
                !clone.0.is_server_error(),
                "clone {field}={value}: {}",
                clone.1
            );
        }
    }
    for header in [
        "Bearer \u{7f}",
        "Bearer a.b.c",
        "Bearer ....",
        "Basic x:y",
        "Bearer Bearer x",
    ] {
        let response = s
            .http
            .get(url(&s, &clusters("t", "default", "")))
            .header("Authorization", header)
            .send()
            .await;
        if let Ok(response) = response {
            assert!(
                response.status().is_client_error(),
                "{header}: {}",
                response.status()
            );
            let body: Value = body_of(response).await;
            assert!(body["message"].is_string());
        }
    }
    // The cluster the sweep aimed at is untouched.
    let (_, c) = call(
        &s,
        "GET",
        &clusters("t", "default", "/c"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(
        (c["id"].as_str(), c["isFree"].as_bool()),
        (Some("c"), Some(true))
    );
}
