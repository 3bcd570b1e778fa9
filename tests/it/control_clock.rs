//! `GET/POST /_offcloud/clock`: reading and moving a session's virtual time over HTTP.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestServer, send};
use crate::typedb::{bearer, call, clusters};

async fn clock(s: &TestServer, url: &str, body: Option<Value>) -> (StatusCode, Value) {
    let request = match body {
        Some(body) => s.http.post(s.main_url(url)).json(&body),
        None => s.http.get(s.main_url(url)),
    };
    send(request).await
}

#[tokio::test]
async fn the_clock_reads_real_time_until_moved() {
    let s = TestServer::start().await;
    let (status, body) = clock(&s, "/_offcloud/clock", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["session"], "default");
    assert_eq!(body["offset_ms"], 0);
    let real_ms = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    let epoch_ms = body["epoch_ms"].as_i64().unwrap() as i128;
    assert!((real_ms - epoch_ms).abs() < 60_000, "{body}");
    let now = body["now"].as_str().unwrap();
    assert!(now.ends_with('Z') && now.len() == 27, "{now}");
}

#[tokio::test]
async fn advancing_moves_the_offset_in_every_notation() {
    let s = TestServer::start().await;
    let (_, body) = clock(&s, "/_offcloud/clock", Some(json!({"advance": "90s"}))).await;
    assert_eq!(body["offset_ms"], 90_000);
    let (_, body) = clock(&s, "/_offcloud/clock", Some(json!({"advance": 30}))).await;
    assert_eq!(body["offset_ms"], 120_000);
    let (_, body) = clock(&s, "/_offcloud/clock", Some(json!({"advance": "1h30m"}))).await;
    assert_eq!(body["offset_ms"], 120_000 + 5_400_000);
    let (_, body) = clock(&s, "/_offcloud/clock", None).await;
    assert_eq!(body["offset_ms"], 5_520_000);
    assert_eq!(body["offset_seconds"], 5520.0);
}

#[tokio::test]
async fn setting_puts_virtual_time_at_that_moment() {
    let s = TestServer::start().await;
    let (status, body) = clock(
        &s,
        "/_offcloud/clock",
        Some(json!({"set": "2099-01-01T00:00:00Z"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body["now"]
            .as_str()
            .unwrap()
            .starts_with("2099-01-01T00:00:0"),
        "{body}"
    );
    let (status, body) = clock(
        &s,
        "/_offcloud/clock",
        Some(json!({"set": "2001-01-01T00:00:00Z"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"error": "\"set\" must not be before real time: virtual time only moves forward"})
    );
}

#[tokio::test]
async fn clocks_are_per_session_chosen_by_header_prefix_or_query() {
    let s = TestServer::start().await;
    send(
        s.http
            .post(s.main_url("/_offcloud/clock"))
            .header("X-Offcloud-Session", "a")
            .json(&json!({"advance": "10s"})),
    )
    .await;
    clock(
        &s,
        "/_session/b/_offcloud/clock",
        Some(json!({"advance": "20s"})),
    )
    .await;
    clock(
        &s,
        "/_offcloud/clock?session=c",
        Some(json!({"advance": "30s"})),
    )
    .await;
    for (session, ms) in [("a", 10_000), ("b", 20_000), ("c", 30_000), ("default", 0)] {
        let (_, body) = clock(&s, &format!("/_offcloud/clock?session={session}"), None).await;
        assert_eq!(body["session"], session);
        assert_eq!(body["offset_ms"], ms, "{session}");
    }
    // A reset brings the session's clock back to real time.
    send(s.http.post(s.main_url("/_offcloud/reset?session=a"))).await;
    let (_, body) = clock(&s, "/_offcloud/clock?session=a", None).await;
    assert_eq!(body["offset_ms"], 0);
}

#[tokio::test]
async fn bad_clock_requests_are_400_with_an_error() {
    let s = TestServer::start().await;
    let bad: &[Value] = &[
        json!({}),
        json!({"advance": "-5s"}),
        json!({"advance": -5}),
        json!({"advance": "soon"}),
        json!({"advance": "5 parsecs"}),
        json!({"advance": true}),
        json!({"advance": "1000000d"}),
        json!({"advance": 1e300}),
        json!({"set": "yesterday"}),
        json!({"set": 5}),
        json!({"advance": "1s", "set": "2099-01-01T00:00:00Z"}),
        json!([1, 2]),
    ];
    for body in bad {
        let (status, answer) = clock(&s, "/_offcloud/clock", Some(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {answer}");
        assert!(answer["error"].is_string(), "{answer}");
    }
    let (status, answer) = send(s.http.post(s.main_url("/_offcloud/clock")).body("not json")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let (status, _) = clock(&s, "/_offcloud/clock?session=../x", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, body) = clock(&s, "/_offcloud/clock", None).await;
    assert_eq!(body["offset_ms"], 0, "no bad request moved the clock");
}

#[tokio::test]
async fn a_memgraph_jwt_expires_when_the_clock_is_advanced_over_http() {
    let s = TestServer::start().await;
    let a = s.onboard("clock@example.com").await;
    clock(&s, "/_offcloud/clock", Some(json!({"advance": "6d23h59m"}))).await;
    assert_eq!(s.get("/v1/auth/me", a.bearer()).await.0, StatusCode::OK);
    clock(&s, "/_offcloud/clock", Some(json!({"advance": "61s"}))).await;
    assert_eq!(
        s.get("/v1/auth/me", a.bearer()).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_typedb_access_token_expires_when_the_clock_is_set_past_it() {
    let s = TestServer::start().await;
    let token = bearer(&s, "team", "default", "read").await;
    let path = clusters("team", "default", "");
    assert_eq!(
        call(&s, "GET", &path, Some(&token), None).await.0,
        StatusCode::OK
    );
    let (_, now) = clock(&s, "/_offcloud/clock", None).await;
    let later =
        time::OffsetDateTime::from_unix_timestamp(now["epoch_ms"].as_i64().unwrap() / 1000 + 3601)
            .unwrap()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
    clock(&s, "/_offcloud/clock", Some(json!({"set": later}))).await;
    let (status, body) = call(&s, "GET", &path, Some(&token), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "TOKEN_EXPIRED");
}
