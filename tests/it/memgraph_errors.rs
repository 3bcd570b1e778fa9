//! FastAPI's error shapes, exactly (spec §4), and no input that makes the server fail.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Auth, TestServer, send, test_config};

const ONBOARD_FIELDS: [&str; 5] = ["email", "password", "full_name", "cluster_name", "sector"];

#[tokio::test]
async fn unknown_routes_are_404_not_found() {
    let s = TestServer::start().await;
    for path in ["/nope", "/v1/nope", "/v2/nope", "/v1/users/a/b"] {
        let (status, body) = send(s.http.get(s.mg(path))).await;
        assert_eq!(
            (status, body),
            (StatusCode::NOT_FOUND, json!({"detail": "Not Found"})),
            "{path}"
        );
    }
    let (status, body) = send(s.http.get(s.main_url("/memgraph/v1/nope"))).await;
    assert_eq!(
        (status, body),
        (StatusCode::NOT_FOUND, json!({"detail": "Not Found"}))
    );
}

#[tokio::test]
async fn a_wrong_method_is_405_with_allow() {
    let s = TestServer::start().await;
    let response = s.http.put(s.mg("/v1/auth/login")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()["allow"], "POST");
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"detail": "Method Not Allowed"})
    );
}

#[tokio::test]
async fn a_trailing_slash_redirects_with_307_keeping_the_query_and_prefix() {
    let s = TestServer::start().await;
    let response = s.http.get(s.mg("/v1/stats/?x=1")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(
        response.headers()["location"],
        format!("http://{}/v1/stats?x=1", s.memgraph)
    );
    assert_eq!(response.text().await.unwrap(), "");

    let response = s
        .http
        .get(s.main_url("/_session/slash/memgraph/v1/users/abc/"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(
        response.headers()["location"],
        format!("http://{}/_session/slash/memgraph/v1/users/abc", s.main)
    );

    let (status, _) = send(s.http.get(s.mg("/v1/nothing/"))).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "no redirect to a route that does not exist"
    );
}

#[tokio::test]
async fn missing_fields_are_listed_in_pydantic_shape() {
    let s = TestServer::start().await;
    let (status, body) = s
        .post("/v1/auth/onboard", Auth::Nobody, json!({"email": "a@b.co"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let expected: Vec<Value> = ONBOARD_FIELDS[1..]
        .iter()
        .map(|f| json!({"type": "missing", "loc": ["body", f], "msg": "Field required", "input": {"email": "a@b.co"}}))
        .collect();
    assert_eq!(body, json!({"detail": expected}));
    // Keys come in pydantic's order.
    let text = serde_json::to_string(&body).unwrap();
    assert!(text.starts_with(r#"{"detail":[{"type":"missing","loc":["body","password"],"msg":"Field required","input":"#), "{text}");
}

#[tokio::test]
async fn a_missing_body_is_one_missing_error() {
    let s = TestServer::start().await;
    let (status, body) = send(
        s.http
            .post(s.mg("/v1/auth/onboard"))
            .header("content-type", "application/json"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        json!({"detail": [{"type": "missing", "loc": ["body"], "msg": "Field required", "input": null}]})
    );
}

#[tokio::test]
async fn malformed_json_is_json_invalid_with_the_offset() {
    let s = TestServer::start().await;
    let (status, body) = send(
        s.http
            .post(s.mg("/v1/auth/onboard"))
            .header("content-type", "application/json")
            .body("{email: 1}"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        json!({"detail": [{
            "type": "json_invalid", "loc": ["body", 1], "msg": "JSON decode error", "input": {},
            "ctx": {"error": "Expecting property name enclosed in double quotes"},
        }]})
    );
}

#[tokio::test]
async fn a_wrong_type_is_string_type() {
    let s = TestServer::start().await;
    let (status, body) = s
        .post(
            "/v1/auth/onboard",
            Auth::Nobody,
            json!({
                "email": 1, "password": "p", "full_name": "f", "cluster_name": "c", "sector": "s",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        json!({"detail": [{"type": "string_type", "loc": ["body", "email"], "msg": "Input should be a valid string", "input": 1}]})
    );
}

#[tokio::test]
async fn an_invalid_email_is_a_value_error() {
    let s = TestServer::start().await;
    let (status, body) = s.post("/v1/auth/onboard", Auth::Nobody, json!({
        "email": "not-an-email", "password": "p", "full_name": "f", "cluster_name": "c", "sector": "s",
    })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["type"], "value_error");
    assert_eq!(body["detail"][0]["loc"], json!(["body", "email"]));
    assert_eq!(
        body["detail"][0]["msg"],
        "value is not a valid email address: An email address must have an @-sign."
    );
}

#[tokio::test]
async fn arrays_and_form_data_sent_to_a_json_endpoint_are_not_objects() {
    let s = TestServer::start().await;
    let (status, body) = s.post("/v1/auth/onboard", Auth::Nobody, json!([])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        json!({"detail": [{
            "type": "model_attributes_type", "loc": ["body"],
            "msg": "Input should be a valid dictionary or object to extract fields from", "input": [],
        }]})
    );
    let (status, body) = send(
        s.http
            .post(s.mg("/v1/auth/onboard"))
            .form(&[("email", "a@b.co")]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["type"], "model_attributes_type");
    assert_eq!(body["detail"][0]["input"], "email=a%40b.co");
}

#[tokio::test]
async fn a_json_body_sent_to_the_login_form_is_the_form_422() {
    let s = TestServer::start().await;
    let (status, body) = s
        .post(
            "/v1/auth/login",
            Auth::Nobody,
            json!({"username": "a@b.co", "password": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        json!({"detail": [
            {"type": "missing", "loc": ["body", "username"], "msg": "Field required", "input": null},
            {"type": "missing", "loc": ["body", "password"], "msg": "Field required", "input": null},
        ]})
    );
    let (status, body) = send(s.http.post(s.mg("/v1/auth/login")).form(&[
        ("username", "a@b.co"),
        ("password", "x"),
        ("grant_type", "client_credentials"),
    ]))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["type"], "string_pattern_mismatch");
    assert_eq!(body["detail"][0]["ctx"], json!({"pattern": "^password$"}));
}

#[tokio::test]
async fn login_also_takes_multipart_form_data() {
    let s = TestServer::start().await;
    let a = s.onboard("multipart@example.com").await;
    let form = reqwest::multipart::Form::new()
        .text("username", a.email.clone())
        .text("password", a.password.clone());
    let (status, body) = send(s.http.post(s.mg("/v1/auth/login")).multipart(form)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "bearer");

    let garbled = s
        .http
        .post(s.mg("/v1/auth/login"))
        .header("content-type", "multipart/form-data; boundary=x")
        .body("--x\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nunterminated");
    let (status, body) = send(garbled).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["loc"], json!(["body", "username"]));
}

#[tokio::test]
async fn an_oversized_body_is_413() {
    let mut config = test_config();
    config.body_limit = 1024;
    let s = TestServer::start_with(config).await;
    let big = json!({"email": "a@b.co", "password": "x".repeat(4096), "full_name": "f", "cluster_name": "c", "sector": "s"});
    let (status, body) = send(s.http.post(s.mg("/v1/auth/onboard")).json(&big)).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            json!({"detail": "Request Entity Too Large"})
        )
    );
}

/// Every route, with every kind of bad input we can think of, answered below 500.
#[tokio::test]
async fn no_input_makes_it_fail() {
    let s = TestServer::start().await;
    let a = s.onboard("fuzz@example.com").await;
    let routes = [
        ("POST", "/v1/auth/onboard"),
        ("POST", "/v1/auth/login"),
        ("GET", "/v1/auth/me"),
        ("GET", "/v1/auth/whoami"),
        ("POST", "/v1/api-keys"),
        ("GET", "/v1/api-keys"),
        ("DELETE", "/v1/api-keys/%FF%FE"),
        ("DELETE", "/v1/api-keys/'%20OR%201=1--"),
        ("GET", "/v1/users"),
        ("POST", "/v1/users"),
        ("GET", "/v1/users/%00"),
        ("PATCH", "/v1/users/x"),
        ("DELETE", "/v1/users/x"),
        ("GET", "/v1/tenant"),
        ("PATCH", "/v1/tenant"),
        ("GET", "/v1/stats"),
        ("GET", "/v1/admin/export"),
        ("POST", "/v1/admin/export"),
        ("GET", "/health"),
        ("GET", "/metrics"),
    ];
    let bodies: [(&str, &[u8]); 10] = [
        ("application/json", b"{"),
        ("application/json", b"null"),
        ("application/json", b"{\"email\": {\"$ne\": 1}, \"password\": [], \"role\": 7, \"settings\": \"x\", \"is_active\": \"maybe\"}"),
        ("application/json", b"\xff\xfe\x00"),
        ("application/json", b"{\"name\": \"\\ud800\"}"),
        ("application/x-www-form-urlencoded", b"username=%ZZ&password"),
        ("multipart/form-data; boundary=x", b"--x\r\n"),
        ("text/plain", b"hello"),
        ("application/json", b"{\"email\":\"a@b.co\",\"password\":\"p\",\"full_name\":\"\",\"cluster_name\":\"\",\"sector\":\"\",\"role\":\"admin\",\"name\":\"\"}"),
        ("application/json", b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"),
    ];
    let auths: [Option<(&str, String)>; 4] = [
        None,
        Some(("authorization", format!("Bearer {}", a.token))),
        Some(("x-api-key", a.api_key.clone())),
        Some((
            "authorization",
            "Bearer \u{7f}".replace('\u{7f}', "e30.e30.e30"),
        )),
    ];
    for (method, path) in routes {
        for (content_type, body) in bodies {
            for auth in &auths {
                let mut request = s
                    .http
                    .request(method.parse().unwrap(), s.mg(path))
                    .header("content-type", content_type)
                    .body(body.to_vec());
                if let Some((name, value)) = auth {
                    request = request.header(*name, value);
                }
                let response = request.send().await.unwrap();
                assert!(
                    response.status().as_u16() < 500,
                    "{method} {path} with {content_type} {:?}: {}",
                    String::from_utf8_lossy(body),
                    response.status()
                );
                if response.status() != StatusCode::OK && response.status() != StatusCode::CREATED {
                    let body: Value = response.json().await.expect("error bodies are JSON");
                    assert!(body.get("detail").is_some(), "{method} {path}: {body}");
                }
            }
        }
    }
    // The tenant is intact afterwards.
    let (status, _) = send(s.http.get(s.mg("/v1/auth/me")).bearer_auth(&a.token)).await;
    assert_eq!(status, StatusCode::OK);
}
