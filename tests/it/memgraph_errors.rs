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

/// What FastAPI answers when the body cannot even be parsed as text or JSON (Python's
/// `RecursionError`, `UnicodeDecodeError`), rather than a JSON syntax error.
fn parse_error() -> (StatusCode, Value) {
    (
        StatusCode::BAD_REQUEST,
        json!({"detail": "There was an error parsing the body"}),
    )
}

#[tokio::test]
async fn a_body_nested_too_deep_or_not_utf8_is_a_400_parse_error() {
    let s = TestServer::start().await;
    let a = s.onboard("deep@example.com").await;
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let in_a_field =
        format!(r#"{{"user_id": "u", "event_type": "x", "content": {{"a": {deep}}}}}"#);
    for (path, body) in [
        ("/v1/auth/onboard", deep.clone().into_bytes()),
        ("/v1/events", in_a_field.into_bytes()),
        ("/v1/beliefs", b"{\"subject_id\": \"\xff\xfe\"}".to_vec()),
        ("/v2/context", b"\xc3\x28".to_vec()),
    ] {
        let request = s
            .http
            .post(s.mg(path))
            .header("x-api-key", &a.api_key)
            .header("content-type", "application/json")
            .body(body);
        assert_eq!(send(request).await, parse_error(), "{path}");
    }
}

#[tokio::test]
async fn a_path_parameter_that_is_not_utf8_is_read_as_fastapi_reads_it() {
    let s = TestServer::start().await;
    let a = s.onboard("pct@example.com").await;
    // The router decodes it with replacement characters and the route answers.
    for (path, expected) in [
        ("/v1/beliefs/%FF", json!({"detail": "Belief not found"})),
        ("/v1/events/%C3%28", json!({"detail": "Event not found"})),
        (
            "/v1/episodes/%E2%82",
            json!({"detail": "Episode not found"}),
        ),
    ] {
        let response = s
            .http
            .get(s.mg(path))
            .header("x-api-key", &a.api_key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(
            (response.status(), response.json::<Value>().await.unwrap()),
            (StatusCode::NOT_FOUND, expected),
            "{path}"
        );
    }
    let (status, history) = s.get("/v1/beliefs/history/%FF/%FE", a.key()).await;
    assert_eq!((status, history), (StatusCode::OK, json!([])));
    // A key stored under the replaced text is found by it.
    let (status, _) = s
        .post(
            "/v1/beliefs",
            a.key(),
            json!({"subject_id": "\u{fffd}", "key": "k", "value": "v"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, timeline) = s.get("/v1/beliefs/timeline/%FF", a.key()).await;
    assert_eq!(timeline["count"], 1, "{timeline}");
}

#[tokio::test]
async fn an_absurd_episode_gap_is_not_a_server_error() {
    let s = TestServer::start().await;
    let a = s.onboard("gap@example.com").await;
    for minutes in [1e15, 3e17, 1e300] {
        let (status, body) = s
            .patch(
                "/v1/tenant",
                a.bearer(),
                json!({"settings": {"episode_gap_minutes": minutes}}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = s
            .post(
                "/v1/events",
                a.key(),
                json!({"user_id": "u", "event_type": "user_message", "content": {"text": "hi"}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{minutes}: {body}");
        for path in ["/v1/dreaming/health", "/v1/episodes", "/v1/stats"] {
            let (status, body) = s.get(path, a.key()).await;
            assert_eq!(status, StatusCode::OK, "{minutes} {path}: {body}");
        }
    }
}

#[tokio::test]
async fn a_long_value_is_stored_and_found_and_one_over_the_limit_is_413() {
    let mut config = test_config();
    config.body_limit = 256 * 1024;
    let s = TestServer::start_with(config).await;
    let a = s.onboard("long@example.com").await;
    let long = format!("{} needle", "hay ".repeat(50_000));
    let (status, created) = s
        .post(
            "/v1/beliefs",
            a.key(),
            json!({"subject_id": "u", "key": "k", "value": long}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, found) = s
        .post("/v2/context", a.key(), json!({"query": "needle"}))
        .await;
    assert_eq!(found["memories"][0]["id"], created["id"]);
    let (status, body) = s
        .post(
            "/v1/beliefs",
            a.key(),
            json!({"subject_id": "u", "key": "k", "value": "x".repeat(300 * 1024)}),
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

/// The memory routes, with the same hostile inputs as the accounts routes above.
#[tokio::test]
async fn no_input_makes_a_memory_route_fail() {
    let s = TestServer::start().await;
    let a = s.onboard("fuzzmem@example.com").await;
    let routes = [
        ("POST", "/v1/events"),
        (
            "GET",
            "/v1/events?limit=%FF&offset=99999999999999999999&user_id=%00",
        ),
        ("GET", "/v1/events/%FF%FE"),
        ("DELETE", "/v1/events/x"),
        ("POST", "/v1/ingest"),
        ("GET", "/v1/episodes?consolidation_status=%FF"),
        ("GET", "/v1/episodes/%00"),
        ("GET", "/v1/dreaming/health"),
        (
            "GET",
            "/v1/beliefs?cursor=%FF%FF&limit=-1&include_inactive=maybe",
        ),
        ("POST", "/v1/beliefs"),
        ("DELETE", "/v1/beliefs?subject_id=%FF&soft=%FF"),
        ("POST", "/v1/beliefs/batch"),
        ("GET", "/v1/beliefs/%FF"),
        ("PATCH", "/v1/beliefs/x"),
        ("DELETE", "/v1/beliefs/x"),
        ("GET", "/v1/beliefs/history/%FF/%FF?as_of=%FF"),
        ("GET", "/v1/beliefs/timeline/x?since=99999-01-01&limit=0"),
        ("POST", "/v2/context"),
        ("POST", "/v1/context"),
        ("GET", "/v1/intelligence/health?user_id=%FF"),
        ("GET", "/v1/intelligence/contradictions"),
        ("POST", "/v1/admin/import?mode=%FF"),
    ];
    let deep = format!("{}{}", "{\"a\":".repeat(2000), "}".repeat(2000));
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("application/json", b"{".to_vec()),
        ("application/json", b"null".to_vec()),
        ("application/json", b"{\"beliefs\": [1, {\"confidence\": 1e999}], \"content\": [], \"query\": {}, \"limit\": 1e400, \"version\": \"x\", \"events\": [{}]}".to_vec()),
        ("application/json", b"\xff\xfe\x00".to_vec()),
        ("application/json", deep.into_bytes()),
        ("application/x-www-form-urlencoded", b"user_id=%ZZ&text=%FF".to_vec()),
        ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\n\xff\r\n--x--\r\n".to_vec()),
        ("text/plain", b"hello".to_vec()),
    ];
    let auths = [
        ("x-api-key", a.api_key.clone()),
        ("authorization", format!("Bearer {}", a.token)),
    ];
    for (method, path) in routes {
        for (content_type, body) in &bodies {
            for (name, value) in &auths {
                let response = s
                    .http
                    .request(method.parse().unwrap(), s.mg(path))
                    .header(*name, value)
                    .header("content-type", *content_type)
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                let status = response.status();
                assert!(
                    status.as_u16() < 500,
                    "{method} {path} with {content_type}: {status}"
                );
                let ct = response.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .to_owned();
                assert_eq!(ct, "application/json", "{method} {path}");
                let answer: Value = response.json().await.expect("JSON");
                assert!(
                    status.is_success() || answer.get("detail").is_some(),
                    "{method} {path}: {answer}"
                );
            }
        }
    }
    let (status, _) = s.get("/v1/stats", a.key()).await;
    assert_eq!(status, StatusCode::OK);
}
