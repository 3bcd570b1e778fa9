//! Token exchange (both Basic forms), bearer checks, expiry on the clock, revocation, and the
//! control route that makes API tokens.

use std::time::Duration;

use base64::Engine;
use offcloud::config::Ttl;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{BAD, OK, api_token, assert_error, bearer, call, clusters, exchange, url};
use crate::support::{TestServer, send, test_config};

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn the_docs_literal_basic_header_returns_the_bare_token_as_text() {
    let s = TestServer::start().await;
    let c = api_token(&s, "my-team", "default", "admin").await;
    let response = s
        .http
        .post(url(&s, "/api/v1/auth"))
        .header(
            "Authorization",
            format!("Basic {}:{}", c.client_id, c.client_secret),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    let token = response.text().await.unwrap();
    assert!(!token.ends_with('\n') && !token.starts_with('"'), "{token}");
    let claims = claims_of(&token);
    assert_eq!(claims["sub"], json!(c.client_id));
    assert_eq!(claims["team"], "my-team");
    assert_eq!(claims["space"], "default");
    assert_eq!(claims["access"], "admin");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
    let listed = call(
        &s,
        "GET",
        &clusters("my-team", "default", ""),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(listed, (OK, json!([])));
}

#[tokio::test]
async fn standard_base64_basic_credentials_work_and_split_at_the_first_colon() {
    let s = TestServer::start().await;
    let (status, body) = send(
        s.http
            .post(s.main_url("/_offcloud/typedb/tokens"))
            .json(&json!({
                "team": "my-team", "space": "default", "access": "read",
                "clientId": "my-client-id", "clientSecret": "my:secret"
            })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["clientSecret"], "my:secret");
    // reqwest's basic_auth, as curl -u and requests' auth= do: base64 of id:secret.
    let response = s
        .http
        .post(url(&s, "/api/v1/auth"))
        .basic_auth("my-client-id", Some("my:secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), OK);
    let token = response.text().await.unwrap();
    assert_eq!(claims_of(&token)["access"], "read");
    // The exact header curl -u 'my-client-id:my:secret' sends (docs/spec/typedb.md §4.2).
    let curl = s
        .http
        .post(url(&s, "/api/v1/auth"))
        .header("Authorization", "Basic bXktY2xpZW50LWlkOm15OnNlY3JldA==")
        .send()
        .await
        .unwrap();
    assert_eq!(curl.status(), OK);
    // The raw form splits at the first colon too.
    let raw = s
        .http
        .post(url(&s, "/api/v1/auth"))
        .header("Authorization", "basic   my-client-id:my:secret ")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), OK);
}

#[tokio::test]
async fn bad_credentials_get_400_with_code_and_message() {
    let s = TestServer::start().await;
    let c = api_token(&s, "my-team", "default", "read").await;
    let post = |header: Option<String>| {
        let mut request = s.http.post(url(&s, "/api/v1/auth"));
        if let Some(h) = header {
            request = request.header("Authorization", h);
        }
        send(request)
    };
    let wrong_secret = post(Some(format!("Basic {}:nope", c.client_id))).await;
    assert_error(&wrong_secret, BAD, "INVALID_CLIENT_SECRET");
    assert_eq!(wrong_secret.1["message"], "Invalid client secret");
    let unknown = post(Some(format!("Basic someone-else:{}", c.client_secret))).await;
    assert_error(&unknown, BAD, "INVALID_CLIENT_ID");
    assert_eq!(unknown.1["message"], "Invalid client ID");
    for header in [
        None,
        Some("Basic".to_owned()),
        Some("Basic ".to_owned()),
        Some("Basic !!!not-base64".to_owned()),
        Some("Basic bm9jb2xvbg==".to_owned()), // "nocolon"
        Some(format!("Bearer {}:{}", c.client_id, c.client_secret)),
        Some("Token abc".to_owned()),
    ] {
        let answer = post(header.clone()).await;
        assert_error(&answer, BAD, "INVALID_AUTHORIZATION_HEADER");
    }
}

#[tokio::test]
async fn other_methods_on_auth_get_405_as_json() {
    let s = TestServer::start().await;
    let answer = send(s.http.get(url(&s, "/api/v1/auth"))).await;
    assert_error(
        &answer,
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
    );
}

#[tokio::test]
async fn bearer_problems_are_400_for_the_header_and_401_for_the_token() {
    let s = TestServer::start().await;
    let path = clusters("my-team", "default", "");
    bearer(&s, "my-team", "default", "read").await;
    assert_error(
        &call(&s, "GET", &path, None, None).await,
        BAD,
        "INVALID_AUTHORIZATION_HEADER",
    );
    for header in ["Bearer", "Bearer    ", "Basic abc", "bearer"] {
        let answer = send(s.http.get(url(&s, &path)).header("Authorization", header)).await;
        assert_error(&answer, BAD, "INVALID_AUTHORIZATION_HEADER");
    }
    let response = s
        .http
        .get(url(&s, &path))
        .bearer_auth("garbage")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer error=\"invalid_token\""
    );
    let answer = (response.status(), response.json::<Value>().await.unwrap());
    assert_error(&answer, StatusCode::UNAUTHORIZED, "INVALID_TOKEN");
    // The docs' sample JWT has a signature that is not ours.
    let sample = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    assert_error(
        &call(&s, "GET", &path, Some(sample), None).await,
        StatusCode::UNAUTHORIZED,
        "INVALID_TOKEN",
    );
}

#[tokio::test]
async fn access_tokens_expire_after_an_hour_on_the_clock() {
    let s = TestServer::start().await;
    let token = bearer(&s, "my-team", "default", "read").await;
    let path = clusters("my-team", "default", "");
    s.advance("default", Duration::from_secs(3590)).await;
    assert_eq!(call(&s, "GET", &path, Some(&token), None).await.0, OK);
    s.advance("default", Duration::from_secs(11)).await;
    let expired = call(&s, "GET", &path, Some(&token), None).await;
    assert_error(&expired, StatusCode::UNAUTHORIZED, "TOKEN_EXPIRED");
    assert_eq!(expired.1["message"], "Access token has expired");
    assert_error(
        &call(&s, "GET", "/api/v1/cluster-versions", Some(&token), None).await,
        StatusCode::UNAUTHORIZED,
        "TOKEN_EXPIRED",
    );
}

#[tokio::test]
async fn the_token_lifetime_is_a_flag() {
    let mut config = test_config();
    config.typedb.token_ttl = Ttl(Duration::from_secs(60));
    let s = TestServer::start_with(config).await;
    let token = bearer(&s, "my-team", "default", "read").await;
    let path = clusters("my-team", "default", "");
    s.advance("default", Duration::from_secs(61)).await;
    assert_error(
        &call(&s, "GET", &path, Some(&token), None).await,
        StatusCode::UNAUTHORIZED,
        "TOKEN_EXPIRED",
    );
}

#[tokio::test]
async fn many_exchanges_give_many_live_tokens() {
    let s = TestServer::start().await;
    let c = api_token(&s, "my-team", "default", "read").await;
    let first = exchange(&s, &c).await;
    let second = exchange(&s, &c).await;
    assert_ne!(first, second);
    let path = clusters("my-team", "default", "");
    assert_eq!(call(&s, "GET", &path, Some(&first), None).await.0, OK);
    assert_eq!(call(&s, "GET", &path, Some(&second), None).await.0, OK);
}

#[tokio::test]
async fn a_revoked_api_token_stops_working_at_once_even_after_use() {
    // Used first, so the server has looked it up (and may keep it) before the revocation.
    let s = TestServer::start().await;
    let c = api_token(&s, "my-team", "default", "admin").await;
    let token = exchange(&s, &c).await;
    let path = clusters("my-team", "default", "");
    for _ in 0..2 {
        assert_eq!(call(&s, "GET", &path, Some(&token), None).await.0, OK);
    }
    let revoke = send(
        s.http
            .delete(s.main_url(&format!("/_offcloud/typedb/tokens/{}", c.client_id))),
    )
    .await;
    assert_eq!(revoke.0, StatusCode::NO_CONTENT);
    assert_error(
        &call(&s, "GET", &path, Some(&token), None).await,
        StatusCode::UNAUTHORIZED,
        "INVALID_TOKEN",
    );
}

#[tokio::test]
async fn a_revoked_api_token_stops_working_at_once() {
    let s = TestServer::start().await;
    let c = api_token(&s, "my-team", "default", "admin").await;
    let token = exchange(&s, &c).await;
    let revoke = s
        .http
        .delete(s.main_url(&format!("/_offcloud/typedb/tokens/{}", c.client_id)))
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), StatusCode::NO_CONTENT);
    let path = clusters("my-team", "default", "");
    assert_error(
        &call(&s, "GET", &path, Some(&token), None).await,
        StatusCode::UNAUTHORIZED,
        "INVALID_TOKEN",
    );
    let again = send(s.http.post(url(&s, "/api/v1/auth")).header(
        "Authorization",
        format!("Basic {}:{}", c.client_id, c.client_secret),
    ))
    .await;
    assert_error(&again, BAD, "INVALID_CLIENT_ID");
    // Re-creating the same client id does not revive the old access token.
    let (status, _) = send(
        s.http
            .post(s.main_url("/_offcloud/typedb/tokens"))
            .json(&json!({
                "team": "my-team", "space": "default", "access": "admin", "clientId": c.client_id
            })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_error(
        &call(&s, "GET", &path, Some(&token), None).await,
        StatusCode::UNAUTHORIZED,
        "INVALID_TOKEN",
    );
    let gone = send(s.http.delete(s.main_url("/_offcloud/typedb/tokens/nobody"))).await;
    assert_eq!(gone.0, StatusCode::NOT_FOUND);
    assert!(gone.1["error"].is_string());
}

#[tokio::test]
async fn the_control_route_refuses_bad_token_requests_in_its_own_shape() {
    let s = TestServer::start().await;
    let make = |body: Value| {
        send(
            s.http
                .post(s.main_url("/_offcloud/typedb/tokens"))
                .json(&body),
        )
    };
    for body in [
        json!({"team": "t", "space": "default", "access": "owner"}),
        json!({"team": "", "space": "default", "access": "read"}),
        json!({"team": "t/x", "space": "default", "access": "read"}),
        json!({"team": "t", "access": "read"}),
        json!({"team": "t", "space": "default", "access": "read", "clientId": "a:b"}),
        json!({"team": "t", "space": "default", "access": "read", "clientSecret": ""}),
        json!([1]),
    ] {
        let (status, answer) = make(body.clone()).await;
        assert_eq!(status, BAD, "{body} -> {answer}");
        assert!(answer["error"].is_string(), "{answer}");
    }
    let pinned = json!({"team": "t", "space": "default", "access": "read", "clientId": "fixed"});
    assert_eq!(make(pinned.clone()).await.0, StatusCode::CREATED);
    let (status, answer) = make(pinned).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(answer["error"].is_string());
}

#[tokio::test]
async fn api_tokens_belong_to_their_session() {
    let s = TestServer::start().await;
    let (status, body) = send(
        s.http
            .post(s.main_url("/_session/job1/_offcloud/typedb/tokens"))
            .json(&json!({"team": "my-team", "space": "default", "access": "read"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let header = format!(
        "Basic {}:{}",
        body["clientId"].as_str().unwrap(),
        body["clientSecret"].as_str().unwrap()
    );
    let elsewhere = send(
        s.http
            .post(url(&s, "/api/v1/auth"))
            .header("Authorization", &header),
    )
    .await;
    assert_error(&elsewhere, BAD, "INVALID_CLIENT_ID");
    let own = s
        .http
        .post(url(&s, "/api/v1/auth"))
        .header("Authorization", &header)
        .header("X-Offcloud-Session", "job1")
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), OK);
}

#[tokio::test]
async fn cluster_versions_need_any_valid_token() {
    let s = TestServer::start().await;
    let token = bearer(&s, "my-team", "default", "read").await;
    let answer = call(&s, "GET", "/api/v1/cluster-versions", Some(&token), None).await;
    assert_eq!(
        answer,
        (OK, json!({"availableVersions": ["2.29.3", "3.5.5"]}))
    );
    assert_error(
        &call(&s, "GET", "/api/v1/cluster-versions", None, None).await,
        BAD,
        "INVALID_AUTHORIZATION_HEADER",
    );
}

#[tokio::test]
async fn the_version_list_is_a_flag_and_latest_is_its_highest() {
    let mut config = test_config();
    config.typedb.versions = vec!["3.10.0".into(), "2.29.3".into(), "3.5.5".into()];
    let s = TestServer::start_with(config).await;
    let token = bearer(&s, "my-team", "default", "write").await;
    let answer = call(&s, "GET", "/api/v1/cluster-versions", Some(&token), None).await;
    assert_eq!(
        answer.1,
        json!({"availableVersions": ["2.29.3", "3.5.5", "3.10.0"]})
    );
    let path = clusters("my-team", "default", "/deploy");
    let deployed = call(
        &s,
        "POST",
        &path,
        Some(&token),
        Some(super::free_cluster("c1")),
    )
    .await;
    assert_eq!(deployed.1["version"], "3.10.0");
}

#[tokio::test]
async fn the_legacy_api_paths_answer_like_api_v1() {
    let s = TestServer::start().await;
    let c = api_token(&s, "my-team", "default", "write").await;
    let response = s
        .http
        .post(url(&s, "/api/auth"))
        .header(
            "Authorization",
            format!("Basic {}:{}", c.client_id, c.client_secret),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), OK);
    let token = response.text().await.unwrap();
    let deployed = call(
        &s,
        "POST",
        "/api/team/my-team/spaces/default/clusters/deploy",
        Some(&token),
        Some(super::free_cluster("legacy")),
    )
    .await;
    assert_eq!(deployed.0, OK, "{}", deployed.1);
    let v1 = call(
        &s,
        "GET",
        &clusters("my-team", "default", "/legacy"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(v1, deployed);
    let org = call(
        &s,
        "GET",
        "/api/org/my-team/projects/default/clusters",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(org.1, json!([deployed.1]));
    let versions = call(&s, "GET", "/api/cluster-versions", Some(&token), None).await;
    assert_eq!(versions.0, OK);
}

#[tokio::test]
async fn the_api_is_also_served_under_typedb_on_the_main_port_and_by_host() {
    let s = TestServer::start().await;
    let c = api_token(&s, "my-team", "default", "read").await;
    let basic = format!("Basic {}:{}", c.client_id, c.client_secret);
    let prefixed = s
        .http
        .post(s.main_url("/typedb/api/v1/auth"))
        .header("Authorization", &basic)
        .send()
        .await
        .unwrap();
    assert_eq!(prefixed.status(), OK);
    let by_host = s
        .http
        .post(s.main_url("/api/v1/auth"))
        .header("Host", "cloud.typedb.com")
        .header("Authorization", &basic)
        .send()
        .await
        .unwrap();
    assert_eq!(by_host.status(), OK);
}
