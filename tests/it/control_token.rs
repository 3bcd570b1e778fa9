//! Who can reach what: offcloud binds loopback unless told otherwise, `--control-token` protects
//! the control API (everything under `/_offcloud` but the health route and the dashboard's static
//! files) with a bearer token, and a web page of another origin cannot change state through it.

use std::net::{IpAddr, Ipv4Addr};

use offcloud::config::PortSetting;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, ORIGIN, WWW_AUTHENTICATE};
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
        ("GET", "/_offcloud/tables"),
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
async fn the_dashboard_page_loads_without_the_token_but_its_data_does_not() {
    let s = start().await;
    for path in ["/_offcloud/ui/", "/_offcloud/ui/app.js"] {
        let response = s.http.get(s.main_url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let content_type = response.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(content_type.starts_with("text/"), "{path}: {content_type}");
    }
    // Only reading: a POST to the page's path is the control API's, and wants the token.
    let (status, _) = send(s.http.post(s.main_url("/_offcloud/ui/"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = send(s.http.get(s.main_url("/_offcloud/tables/memgraph/tenants"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = send(
        s.http
            .get(s.main_url("/_offcloud/tables/memgraph/tenants"))
            .bearer_auth(TOKEN),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_page_of_another_origin_cannot_change_state() {
    for token in [None, Some(TOKEN)] {
        let mut config = test_config();
        config.control_token = token.map(str::to_owned);
        let s = TestServer::start_with(config).await;
        let with_token = |request: reqwest::RequestBuilder| match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        let own_origin = format!("http://{}", s.main);
        for (method, path) in [
            ("POST", "/_offcloud/reset"),
            ("POST", "/_offcloud/clock"),
            ("PUT", "/_offcloud/state"),
            ("DELETE", "/_offcloud/sessions/default"),
            ("POST", "/_offcloud/typedb/tokens"),
        ] {
            for origin in ["http://evil.example", "null", "http://localhost:1"] {
                let (status, body) = send(with_token(
                    s.http
                        .request(method.parse().unwrap(), s.main_url(path))
                        .header(ORIGIN, origin)
                        .json(&json!({"advance": "1h"})),
                ))
                .await;
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{method} {path} from {origin}"
                );
                assert_eq!(
                    body,
                    json!({"error": format!("a request from the web page at {origin:?} cannot change the control API of another origin")})
                );
            }
        }
        let (_, clock) = send(with_token(s.http.get(s.main_url("/_offcloud/clock")))).await;
        assert_eq!(clock["offset_ms"], 0, "nothing changed: {clock}");
        // Reading from elsewhere is the browser's business (no CORS headers are given); a page of
        // the same origin, and a client that sends no Origin, act.
        let (status, _) = send(with_token(
            s.http
                .get(s.main_url("/_offcloud/clock"))
                .header(ORIGIN, "http://evil.example"),
        ))
        .await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = send(with_token(
            s.http
                .post(s.main_url("/_offcloud/clock"))
                .header(ORIGIN, &own_origin)
                .json(&json!({"advance": "1h"})),
        ))
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, _) = send(with_token(
            s.http
                .post(s.main_url("/_offcloud/clock"))
                .json(&json!({"advance": "1h"})),
        ))
        .await;
        assert_eq!(status, StatusCode::OK);
    }
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
