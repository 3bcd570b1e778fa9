//! The dashboard of an offcloud started with `--control-token`: the page asks for the token,
//! sends it with every call, and can do nothing without it.

use reqwest::StatusCode;

use super::webdriver::Browser;
use crate::support::{TestServer, send, test_config};

const TOKEN: &str = "dashboard-control-token";

#[tokio::test]
async fn with_a_control_token_the_page_asks_for_it_and_acts_with_it() {
    let mut config = test_config();
    config.control_token = Some(TOKEN.to_owned());
    let s = TestServer::start_with(config).await;
    // A control API read, with the token.
    let server = &s;
    let read = move |path: &'static str| async move {
        let (status, body) = send(server.http.get(server.main_url(path)).bearer_auth(TOKEN)).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        body
    };
    let clock = move || async move {
        read("/_offcloud/clock").await["offset_ms"]
            .as_u64()
            .unwrap_or_default()
    };
    let b = Browser::start(1400, 900).await;

    b.goto(&s.main_url("/_offcloud/ui/#/clock")).await;
    b.find("#token[open]").await;
    b.screenshot("token-asked").await;
    // A wrong token is refused, and asked for again.
    b.type_into("#token input[name=\"token\"]", "not-the-token")
        .await;
    b.click("#token button[type=\"submit\"]").await;
    b.find("#token[open] #token-error:not([hidden])").await;
    assert_eq!(clock().await, 0);

    b.type_into("#token input[name=\"token\"]", TOKEN).await;
    b.click("#token button[type=\"submit\"]").await;
    b.wait_for_text("#live", "live").await;
    b.find("#token:not([open])").await;
    b.click_button("#clock-advance button", "+1h").await;
    b.wait_for_text("#notice", "advanced by 1h").await;
    assert!(clock().await >= 3_600_000);

    // The export, a download, carries the token too.
    b.click("#nav a[data-view=\"actions\"]").await;
    b.click("#act-export").await;
    b.wait_for_text("#notice", "Downloaded offcloud-default.json")
        .await;
    let saved: serde_json::Value =
        serde_json::from_slice(&b.downloaded("offcloud-default.json").await)
            .expect("the download is a JSON document");
    let state = read("/_offcloud/state").await;
    assert_eq!(saved, state, "the download is the session's state");
    b.screenshot("token-accepted").await;
}
