//! The parts of the dashboard the other browser tests pass by: the overview's settings and
//! fixtures, the sessions view with clocks and row counts, the journal's method and path
//! filters, and tables that do not move when rows arrive.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::webdriver::Browser;
use super::{choose, click_in, get};
use crate::support::{Auth, TestServer, send, str_of};

/// Where the columns and the frame of a table are: equal before and after rows arrive when
/// nothing moved.
async fn geometry(b: &Browser, table: &str) -> Value {
    b.eval(
        "const t = document.querySelector(arguments[0]);
         const rect = (e) => { const r = e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; };
         return [rect(t.closest('.table-wrap')), Array.from(t.querySelectorAll('thead th')).map(rect)];",
        json!([table]),
    )
    .await
}

#[tokio::test]
async fn the_overview_and_the_sessions_view_show_settings_fixtures_clocks_and_rows() {
    let s = TestServer::start_with(super::seed::config()).await;
    s.onboard("overview@acme.test").await;
    let (status, body) = send(
        s.http
            .post(s.main_url("/_offcloud/fixtures?session=job-2"))
            .header("content-type", "application/yaml")
            .body("memgraph:\n  tenants:\n    - name: Overview Co\n"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = send(
        s.http
            .post(s.main_url("/_offcloud/clock?session=job-2"))
            .json(&json!({"advance": "1h"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let info = get(&s, "/_offcloud/info").await;

    let b = Browser::start(1400, 900).await;
    b.goto(&s.main_url("/_offcloud/ui/#/overview?session=job-2"))
        .await;
    b.wait_for_text("#version", &format!("v{}", str_of(&info["version"])))
        .await;
    b.wait_for_text("#ov-server", "in memory (each start is a clean slate)")
        .await;
    // Every service setting the server reports (lifecycle times among them), as it reports it.
    let mut expected = Vec::new();
    for service in ["memgraph", "typedb", "hasura", "dgraph"] {
        for (key, value) in info["settings"][service].as_object().expect("settings") {
            let value = match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            expected.push(json!([service, key.replace('_', " "), value]));
        }
    }
    assert!(expected.len() > 8, "{info}");
    let shown = b
        .eval(
            "return Array.from(document.querySelectorAll('#ov-settings > div')).flatMap(div =>
               Array.from(div.querySelectorAll('dt')).map(dt =>
                 [div.querySelector('h3').textContent, dt.textContent, dt.nextElementSibling.textContent]));",
            json!([]),
        )
        .await;
    assert_eq!(shown, Value::Array(expected));
    // The fixture posted to the session picked.
    b.wait_for(
        "the posted fixture",
        "return Array.from(document.querySelectorAll('#ov-fixtures tbody tr')).some(tr =>
           tr.children[1].textContent === 'session job-2' && tr.children[2].textContent === 'memgraph: 1 tenants');",
        json!([]),
    )
    .await;
    b.screenshot("overview-fixtures").await;

    // Sessions: each with its clock and its rows, as the control API counts them.
    let sessions = get(&s, "/_offcloud/sessions").await;
    b.click("#nav a[data-view=\"sessions\"]").await;
    for session in sessions["sessions"].as_array().expect("sessions") {
        let rows: u64 = session["tables"]
            .as_object()
            .expect("tables")
            .values()
            .filter_map(Value::as_u64)
            .sum();
        let clock = if session["name"] == "job-2" {
            "+1h"
        } else {
            "real time"
        };
        b.wait_for(
            &format!("session {}", session["name"]),
            "return Array.from(document.querySelectorAll('#sessions-table tbody tr')).some(tr =>
               tr.children[0].textContent === arguments[0] && tr.children[1].textContent === arguments[1]
               && tr.children[2].textContent === arguments[2]);",
            json!([session["name"], clock, rows.to_string()]),
        )
        .await;
    }
    // Picking another one there: the bar and the views follow it.
    click_in(&b, "#sessions-table tbody tr", "default", "button").await;
    b.wait_for(
        "the default session picked",
        "return document.querySelector('#session').value === 'default'
           && document.querySelector('#clock-offset').textContent === 'real time'
           && location.hash === '#/sessions';",
        json!([]),
    )
    .await;
    b.screenshot("sessions").await;
}

#[tokio::test]
async fn rows_arriving_move_no_column_and_the_journal_filters_by_method_and_path() {
    let s = TestServer::start().await;
    let a = s.onboard("steady@acme.test").await;
    let b = Browser::start(1400, 900).await;
    b.goto(&s.main_url("/_offcloud/ui/#/requests")).await;
    b.wait_for_text("#req-table tbody", "/v1/auth/onboard")
        .await;
    let before = geometry(&b, "#req-table").await;
    for _ in 0..40 {
        s.get("/v1/stats", a.key()).await;
    }
    s.get("/v1/beliefs", Auth::Nobody).await;
    b.wait_for(
        "the journal's new rows",
        "return document.querySelectorAll('#req-table tbody tr').length >= 43",
        json!([]),
    )
    .await;
    assert_eq!(geometry(&b, "#req-table").await, before);

    choose(&b, "#req-method", "POST").await;
    b.wait_for(
        "only POST requests",
        "const rows = Array.from(document.querySelectorAll('#req-table tbody tr'));
         return rows.length >= 2 && rows.every(r => r.children[2].textContent === 'POST');",
        json!([]),
    )
    .await;
    choose(&b, "#req-method", "").await;
    b.type_into("#req-path", "/v1/be").await;
    b.wait_for(
        "only the path asked for",
        "const rows = Array.from(document.querySelectorAll('#req-table tbody tr'));
         return rows.length === 1 && rows[0].children[3].textContent === '/v1/beliefs';",
        json!([]),
    )
    .await;

    // The same for violations: each arriving one goes on top, the columns stay.
    b.click("#nav a[data-view=\"violations\"]").await;
    b.wait_for_text("#vio-table tbody", "GET /v1/beliefs").await;
    let before = geometry(&b, "#vio-table").await;
    for path in ["/v1/belief", "/v1/stat", "/v1/user"] {
        s.get(path, a.key()).await;
    }
    b.wait_for(
        "four violations",
        "return document.querySelectorAll('#vio-table tbody tr').length === 4",
        json!([]),
    )
    .await;
    assert_eq!(geometry(&b, "#vio-table").await, before);
}
