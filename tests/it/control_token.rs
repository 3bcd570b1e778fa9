//! Who can reach what: offcloud binds loopback unless told otherwise, and `--control-token`
//! protects the control API (everything under `/_offcloud` but the health route) with a bearer
//! token, or the cookie a `?token=` visit sets for a browser.

use std::net::{IpAddr, Ipv4Addr};

use offcloud::config::PortSetting;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE, WWW_AUTHENTICATE};
use serde_json::json;

use crate::support::{TestServer, send, test_config};

const TOKEN: &str = "control-token-for-tests";

async fn start() -> TestServer {
    let mut config = test_config();
    config.control_token = Some(TOKEN.to_owned());
    TestServer::start_with(config).await
}

#[test]
fn offcloud_binds_loopback_by_default() {
    assert_eq!(
        offcloud::Config::defaults().bind,
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    );
}

#[tokio::test]
async fn the_control_api_wants_the_token_but_health_does_not() {
    let s = start().await;
    let unauthorized = |body: serde_json::Value| {
        assert_eq!(
            body,
            json!({"error": "the control API needs the token offcloud was started with (--control-token): send it as `Authorization: Bearer TOKEN`"})
        );
    };
    for (method, path) in [
        ("GET", "/_offcloud/info"),
        ("GET", "/_offcloud/state"),
        ("GET", "/_offcloud/requests"),
        ("POST", "/_offcloud/reset"),
        ("POST", "/_offcloud/dgraph/accounts"),
        ("GET", "/_offcloud/ui/"),
        ("GET", "/_offcloud/no-such-route"),
        ("GET", "/_session/job/_offcloud/info"),
    ] {
        let response = s
            .http
            .request(method.parse().unwrap(), s.main_url(path))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{method} {path}"
        );
        assert_eq!(
            response.headers()[WWW_AUTHENTICATE],
            "Bearer realm=\"offcloud\""
        );
        unauthorized(response.json().await.unwrap());
    }
    let (status, body) = send(
        s.http
            .get(s.main_url("/_offcloud/info"))
            .bearer_auth("wrong-token"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    unauthorized(body);

    let (status, info) = send(s.http.get(s.main_url("/_offcloud/info")).bearer_auth(TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(info["settings"]["control_token"], "configured");
    assert!(!info.to_string().contains(TOKEN));
    let (status, body) = send(s.http.get(s.main_url("/_offcloud/health"))).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"status": "healthy"}))
    );
    // The emulated services are not the control API.
    let (status, _) = send(s.http.get(s.mg("/health"))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(s.http.get(s.main_url("/memgraph/health"))).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_visit_with_the_token_sets_a_cookie_for_the_browser() {
    let s = start().await;
    let response = s
        .http
        .get(s.main_url(&format!("/_offcloud/info?token={TOKEN}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert_eq!(
        cookie,
        format!("offcloud_control_token={TOKEN}; Path=/; HttpOnly; SameSite=Strict")
    );
    let pair = cookie.split(';').next().unwrap();
    let (status, _) = send(
        s.http
            .get(s.main_url("/_offcloud/sessions"))
            .header(COOKIE, pair),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(
        s.http
            .get(s.main_url("/_offcloud/sessions"))
            .header(COOKIE, "offcloud_control_token=wrong"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_healthcheck_passes_with_a_control_token_set() {
    let s = start().await;
    let mut config = test_config();
    config.control_token = Some(TOKEN.to_owned());
    config.port = PortSetting::Port(s.main.port());
    let checked = tokio::task::spawn_blocking(move || offcloud::healthcheck::check(&config))
        .await
        .unwrap();
    assert_eq!(checked, Ok(()));
}
