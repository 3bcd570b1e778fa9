//! The dashboard's contract-testing views in a real browser: violations arriving live with the
//! request they came from, coverage counting as a client calls, and the strict-mode switch.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::webdriver::Browser;
use super::{choose, click_in, get};
use crate::support::{Auth, TestServer, send, str_of};

/// The page has not been reloaded since [`mark_loaded`].
async fn assert_not_reloaded(b: &Browser) {
    assert_eq!(
        b.eval("return window.notReloaded === true", json!([]))
            .await,
        Value::Bool(true),
        "the page was reloaded"
    );
}

async fn mark_loaded(b: &Browser) {
    b.eval("window.notReloaded = true; return true", json!([]))
        .await;
}

/// The cells of the rows of a table body, as text.
async fn cells(b: &Browser, tbody: &str) -> Value {
    b.eval(
        "return Array.from(document.querySelectorAll(arguments[0] + ' tr'))
           .map(tr => Array.from(tr.children).map(td => td.textContent))",
        json!([tbody]),
    )
    .await
}

#[tokio::test]
async fn a_request_off_the_contract_shows_up_in_the_violations_view_with_the_route_meant() {
    let s = TestServer::start().await;
    let a = s.onboard("contract@acme.test").await;
    let b = Browser::start(1400, 900).await;
    b.goto(&s.main_url("/_offcloud/ui/#/violations")).await;
    b.wait_for_text("#live", "live").await;
    b.find("#vio-empty:not([hidden])").await;
    mark_loaded(&b).await;

    // A client posts to a route Memgraph does not have, through the main listener.
    let response = s
        .http
        .post(s.main_url("/memgraph/v1/belief"))
        .header("X-API-Key", &a.api_key)
        .json(&json!({"subject_id": "user-42", "key": "colour", "value": "green"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.headers()["x-offcloud-violations"], "1");
    let message =
        "POST /v1/belief is not an operation of the memgraph API; did you mean POST /v1/beliefs?";
    b.wait_for_text("#vio-table tbody", message).await;
    assert_not_reloaded(&b).await;
    let (_, listed) = send(s.http.get(s.main_url("/_offcloud/contract/violations"))).await;
    let violation = &listed["violations"][0];
    assert_eq!(
        cells(&b, "#vio-table tbody").await,
        json!([[
            "unknown-route",
            format!("POST {}", str_of(&violation["path"])),
            "404",
            message
        ]])
    );

    // A second one, a field the API does not define, arrives on top; the rule filter picks.
    let (status, _) = s
        .post(
            "/v1/beliefs",
            a.key(),
            json!({"subject_id": "user-42", "key": "colour", "value": "green", "colour": "red"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    b.wait_for(
        "two violations, the newest on top",
        "const rows = document.querySelectorAll('#vio-table tbody tr');
         return rows.length === 2 && rows[0].dataset.rule === 'unknown-field';",
        json!([]),
    )
    .await;
    // Its detail: the rule, and the request it came from as the journal recorded it.
    click_in(&b, "#vio-table tbody tr", "body.colour", "button.row-pick").await;
    b.wait_for_text("#vio-detail-body", "\"colour\": \"red\"")
        .await;
    b.wait_for_text("#vio-detail-body", "POST /v1/beliefs")
        .await;
    choose(&b, "#vio-rule", "unknown-route").await;
    b.wait_for(
        "only the unknown route",
        "const rows = document.querySelectorAll('#vio-table tbody tr');
         return rows.length === 1 && rows[0].dataset.rule === 'unknown-route';",
        json!([]),
    )
    .await;

    click_in(&b, "#vio-table tbody tr", "did you mean", "button.row-pick").await;
    b.wait_for_text(
        "#vio-detail-body",
        str_of(&violation["request_id"]).as_str(),
    )
    .await;
    // No route read its body: the journal says so rather than "no body".
    b.wait_for_text(
        "#vio-detail-body",
        "Not recorded: the service answered without reading it.",
    )
    .await;
    b.wait_for_text("#vio-detail-body", "\"detail\": \"Not Found\"")
        .await;
    b.wait_for_text("#vio-detail-body tr", "x-api-key[redacted]")
        .await;
    let page = b.source().await;
    assert!(!page.contains(&a.api_key), "the API key shows");
    b.screenshot("violations").await;

    // And from there to the journal, with that request opened.
    let (_, journal) = send(
        s.http
            .get(s.main_url("/_offcloud/requests?path=/memgraph/v1/belief")),
    )
    .await;
    let id = journal["requests"][0]["id"].as_u64().expect("journal id");
    b.click_button("#vio-detail-body button", "Show in the journal")
        .await;
    b.wait_for_text("#h-req-detail", &format!("Request #{id}"))
        .await;
    b.wait_for_text("#req-table tbody tr.selected", "/memgraph/v1/belief")
        .await;
    assert_not_reloaded(&b).await;
}

#[tokio::test]
async fn coverage_shows_the_called_operations_and_counts_each_call_as_it_comes() {
    let s = TestServer::start().await;
    let a = s.onboard("coverage@acme.test").await;
    let b = Browser::start(1400, 900).await;
    b.goto(&s.main_url("/_offcloud/ui/#/coverage")).await;
    b.wait_for_text("#live", "live").await;
    mark_loaded(&b).await;

    // The summary is the control API's, per service.
    let coverage = get(&s, "/_offcloud/coverage").await;
    for service in ["memgraph", "typedb", "hasura", "dgraph"] {
        let c = &coverage["services"][service];
        b.wait_for(
            &format!("the {service} line"),
            "const tr = document.querySelector(`#cov-summary tr[data-service=\"${arguments[0]}\"]`);
             return tr !== null && tr.children[1].textContent === String(arguments[1])
               && tr.children[2].textContent === String(arguments[2]);",
            json!([service, c["covered"], c["total"]]),
        )
        .await;
    }
    let covered = coverage["services"]["memgraph"]["covered"]
        .as_u64()
        .expect("covered");

    // Uncovered operations are listed, and can be picked out.
    b.click("#cov-summary tr[data-service=\"memgraph\"] button.row-pick")
        .await;
    choose(&b, "#cov-show", "uncovered").await;
    b.type_into("#cov-q", "/v1/beliefs").await;
    let row = "#cov-table tr[data-operation=\"GET /v1/beliefs\"]";
    b.wait_for_text(row, "not called").await;
    b.wait_for(
        "memgraph's uncalled belief operations only",
        "const rows = Array.from(document.querySelectorAll('#cov-table tbody tr'));
         return rows.length > 1 && rows.every(r => r.dataset.service === 'memgraph'
           && r.dataset.operation.includes('/v1/beliefs') && r.classList.contains('uncovered'));",
        json!([]),
    )
    .await;

    // A client lists beliefs: the operation leaves the uncovered ones, and shows as called.
    let (status, _) = s.get("/v1/beliefs?subject_id=u", a.key()).await;
    assert_eq!(status, StatusCode::OK);
    b.wait_for(
        "GET /v1/beliefs to leave the uncalled operations",
        "return document.querySelector(arguments[0]) === null",
        json!([row]),
    )
    .await;
    choose(&b, "#cov-show", "covered").await;
    b.wait_for_text(row, "200 ×1").await;

    // Each call counts, with its status, without a reload.
    let (status, _) = s.get("/v1/beliefs?subject_id=u", a.key()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = s.get("/v1/beliefs", Auth::Nobody).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    b.wait_for(
        "three calls, two 200 and one 401",
        "const tr = document.querySelector(arguments[0]);
         return tr !== null && tr.children[2].textContent === '3'
           && tr.children[3].textContent === '200 ×2, 401 ×1';",
        json!([row]),
    )
    .await;
    b.wait_for_text(
        "#cov-summary tr[data-service=\"memgraph\"] td:nth-child(2)",
        &(covered + 1).to_string(),
    )
    .await;
    assert_not_reloaded(&b).await;
    b.screenshot("coverage").await;

    // Clearing it from the page clears it on the server.
    b.click("#cov-clear").await;
    b.wait_for_text("#notice", "counts from zero again").await;
    let coverage = get(&s, "/_offcloud/coverage?service=memgraph").await;
    assert_eq!(coverage["services"]["memgraph"]["covered"], 0);
    b.find("#cov-empty:not([hidden])").await;
}

/// The session's strict setting, as the control API tells it.
async fn strict(s: &TestServer, session: &str) -> Value {
    get(s, &format!("/_offcloud/contract?session={session}")).await["strict"].clone()
}

#[tokio::test]
async fn strict_mode_switched_in_the_page_is_the_sessions_setting_on_the_server() {
    let s = TestServer::start().await;
    let a = s.onboard("strict@acme.test").await;
    let b = Browser::start(1400, 900).await;
    b.goto(&s.main_url("/_offcloud/ui/#/violations?session=job-1"))
        .await;
    b.wait_for_text("#live", "live").await;
    b.wait_for_text("#h-violations", "job-1").await;
    assert_eq!(strict(&s, "job-1").await, json!(false));

    // By keyboard: the switch takes a space, as any checkbox.
    b.press("#contract-strict", " ").await;
    b.wait_for_text("#notice", "Strict mode on in session job-1")
        .await;
    assert_eq!(strict(&s, "job-1").await, json!(true));
    assert_eq!(
        strict(&s, "default").await,
        json!(false),
        "another session changed"
    );
    b.find("label.strict.on").await;

    // Back off with a click.
    b.click("#contract-strict").await;
    b.wait_for_text("#notice", "Strict mode off in session job-1")
        .await;
    assert_eq!(strict(&s, "job-1").await, json!(false));

    // Set by a script on the default session, it shows there; and it acts.
    let (status, _) = send(
        s.http
            .post(s.main_url("/_offcloud/contract"))
            .json(&json!({"strict": true})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    choose(&b, "#session", "default").await;
    b.wait_for_text("#h-violations", "default").await;
    b.wait_for(
        "the switch to show strict mode on",
        "return document.querySelector('#contract-strict').checked",
        json!([]),
    )
    .await;
    let (status, _) = s
        .post(
            "/v1/beliefs",
            a.key(),
            json!({"subject_id": "u", "key": "k", "value": "v", "colour": "red"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    b.wait_for_text(
        "#vio-table tbody",
        "`body.colour` is not defined by the API",
    )
    .await;
    b.wait_for_text("#vio-table tbody td.s4", "422").await;
    b.screenshot("violations-strict").await;
}
