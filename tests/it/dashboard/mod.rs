//! The dashboard (`/_offcloud/ui/`) in a real browser: headless Chromium driven over WebDriver
//! (`webdriver.rs`), against offcloud started on free ports. Screenshots go to
//! `target/dashboard-screenshots/`. The tables endpoint behind it is tested in `tables.rs`; the
//! contract-testing views in `contract.rs`.

mod contract;
mod seed;
mod tables;
mod token;
mod views;
mod webdriver;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestServer, send, str_of};
use seed::seed;
use webdriver::Browser;

async fn get(s: &TestServer, path: &str) -> Value {
    let (status, body) = send(s.http.get(s.main_url(path))).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

/// Marks the first element matching `selector` whose text contains `text`, and clicks the
/// `inner` element inside it (a row's button, say).
async fn click_in(b: &Browser, selector: &str, text: &str, inner: &str) {
    b.wait_for(
        &format!("{selector} with {text:?}"),
        "document.querySelectorAll('[data-wd-row]').forEach(e => e.removeAttribute('data-wd-row'));
         const found = Array.from(document.querySelectorAll(arguments[0])).find(e => e.textContent.includes(arguments[1]));
         if (!found) return false; found.setAttribute('data-wd-row', ''); return true;",
        json!([selector, text]),
    )
    .await;
    b.click(&format!("[data-wd-row] {inner}")).await;
}

/// Picks an option of a select as a user does.
async fn choose(b: &Browser, select: &str, value: &str) {
    b.click(select).await;
    b.click(&format!("{select} option[value=\"{value}\"]"))
        .await;
}

async fn wait_for_table(b: &Browser, service: &str, table: &str) {
    b.find(&format!("#state-table[data-shows=\"{service}/{table}\"]"))
        .await;
}

#[tokio::test]
async fn state_made_through_the_apis_shows_in_the_tables_and_no_secret_does() {
    let s = TestServer::start_with(seed::config()).await;
    let seeded = seed(&s).await;
    let b = Browser::start(1400, 900).await;

    // `/` leads to the dashboard, which starts on the overview.
    b.goto(&s.main_url("/")).await;
    b.wait_for_text("#ov-listeners tbody", &s.main.to_string())
        .await;
    b.wait_for_text("#ov-services tbody", "cloud.typedb.com")
        .await;
    b.wait_for_text("#live", "live").await;
    b.screenshot("overview").await;
    let mut pages = vec![b.source().await];

    // Every table of every service, with a row opened where there is one.
    let expected = [
        (
            "memgraph",
            "api_keys",
            seeded.memgraph.api_key[..12].to_owned(),
        ),
        ("memgraph", "beliefs", "green".to_owned()),
        ("memgraph", "events", "my colour is green".to_owned()),
        ("typedb", "clusters", "dash-cluster".to_owned()),
        ("typedb", "tokens", seeded.typedb_client_id.clone()),
        (
            "hasura",
            "env_vars",
            "HASURA_GRAPHQL_ADMIN_SECRET".to_owned(),
        ),
        ("hasura", "jobs", "acme-api-pr-7".to_owned()),
        ("hasura", "projects", seeded.hasura_project.clone()),
        (
            "dgraph",
            "deployments",
            str_of(&seeded.dgraph_deployment["url"]),
        ),
    ];
    for service in ["memgraph", "typedb", "hasura", "dgraph"] {
        b.click(&format!("#nav a[data-service=\"{service}\"]"))
            .await;
        b.find(&format!("#state-tabs[data-service=\"{service}\"] button"))
            .await;
        let tables = b
            .eval(
                "return Array.from(document.querySelectorAll('#state-tabs button')).map(b => b.dataset.table)",
                json!([]),
            )
            .await;
        for table in tables.as_array().expect("tabs") {
            let table = table.as_str().expect("a table name");
            b.click(&format!("#state-tabs button[data-table=\"{table}\"]"))
                .await;
            wait_for_table(&b, service, table).await;
            for (_, _, text) in expected
                .iter()
                .filter(|(sv, t, _)| *sv == service && *t == table)
            {
                b.wait_for_text("#state-table tbody", text).await;
            }
            let has_rows = b
                .eval(
                    "return document.querySelector('#state-table tbody button.row-pick') !== null",
                    json!([]),
                )
                .await;
            if has_rows == Value::Bool(true) {
                b.click("#state-table tbody button.row-pick").await;
                b.find("#state-detail:not([hidden])").await;
            }
            pages.push(b.source().await);
        }
        b.screenshot(&format!("state-{service}")).await;
    }

    // A belief's history: every version of its subject's key.
    b.click("#nav a[data-service=\"memgraph\"]").await;
    b.click("#state-tabs button[data-table=\"beliefs\"]").await;
    wait_for_table(&b, "memgraph", "beliefs").await;
    click_in(&b, "#state-table tbody tr", "green", "button.row-pick").await;
    b.click_button(
        "#state-detail-actions button",
        "Show the history of this belief",
    )
    .await;
    b.wait_for_text("#state-range", "1–2 of 2").await;
    b.wait_for_text("#state-table tbody", "blue").await;
    b.screenshot("belief-history").await;

    for page in &pages {
        for secret in &seeded.secrets {
            assert!(
                !page.contains(secret.as_str()),
                "the page shows a secret: {secret}"
            );
        }
    }
    // The TypeDB cluster was starting when the page first showed it; it follows the clock.
    seed::let_time_pass(&s).await;
    b.click("#nav a[data-service=\"typedb\"]").await;
    b.click("#state-tabs button[data-table=\"clusters\"]").await;
    b.wait_for_text("#state-table tbody", "running").await;
    b.screenshot("typedb-clusters").await;

    // The picture in the README: the journal of all that, one GraphQL request opened.
    b.resize(1440, 1000).await;
    b.click("#nav a[data-view=\"requests\"]").await;
    click_in(
        &b,
        "#req-table tbody tr",
        "createPreviewApp",
        "button.row-pick",
    )
    .await;
    b.wait_for_text("#req-detail-body", "githubPersonalAccessToken")
        .await;
    b.screenshot("dashboard").await;
}

#[tokio::test]
async fn a_request_made_by_a_client_shows_up_in_the_journal_without_a_reload() {
    let s = TestServer::start().await;
    let b = Browser::start(1400, 900).await;
    b.goto(&s.main_url("/_offcloud/ui/#/requests")).await;
    b.wait_for_text("#live", "live").await;
    b.find("#req-empty:not([hidden])").await;
    b.eval("window.notReloaded = true; return true", json!([]))
        .await;

    // A client logs in: the request arrives in the open page.
    let a = s.onboard("live@acme.test").await;
    b.wait_for_text("#req-table tbody", "/v1/auth/login").await;
    assert_eq!(
        b.eval("return window.notReloaded === true", json!([]))
            .await,
        Value::Bool(true),
        "the page was reloaded"
    );
    // Its detail: headers and body as the journal shows them, the password redacted.
    click_in(
        &b,
        "#req-table tbody tr",
        "/v1/auth/login",
        "button.row-pick",
    )
    .await;
    b.wait_for_text("#req-detail-body", "password=[redacted]")
        .await;
    b.wait_for_text("#req-detail-body", "access_token").await;
    let page = b.source().await;
    assert!(!page.contains(&a.password), "the password shows");
    assert!(!page.contains(&a.token), "the access token shows");
    assert!(!page.contains(&a.api_key), "the API key shows");
    b.screenshot("journal").await;

    // Filters: by GraphQL operation, by service, by status.
    let (status, user) = send(
        s.http
            .post(s.main_url("/_offcloud/hasura/users"))
            .json(&json!({"email": "live@acme.test"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = send(
        s.http
            .post(format!("http://{}/v1/graphql", s.hasura))
            .header("authorization", format!("pat {}", str_of(&user["pat"])))
            .json(&json!({"query": "query ListMine { projects { id } }"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    b.wait_for_text("#req-table tbody", "ListMine").await;
    b.type_into("#req-operation", "ListMine").await;
    b.wait_for(
        "only the ListMine request",
        "const rows = document.querySelectorAll('#req-table tbody tr');
         return rows.length === 1 && rows[0].textContent.includes('hasura');",
        json!([]),
    )
    .await;
    b.type_into("#req-operation", "").await;
    choose(&b, "#req-service", "typedb").await;
    b.find("#req-empty:not([hidden])").await;
    choose(&b, "#req-service", "").await;
    b.type_into("#req-status", "200").await;
    b.wait_for(
        "only answers with status 200",
        "const rows = Array.from(document.querySelectorAll('#req-table tbody tr'));
         return rows.length >= 2 && rows.every(r => r.children[5].textContent === '200');",
        json!([]),
    )
    .await;
}

#[tokio::test]
async fn each_action_in_the_page_changes_the_server_state() {
    let s = TestServer::start().await;
    let a = s.onboard("act@acme.test").await;
    let exported = get(&s, "/_offcloud/state?session=default").await;
    let b = Browser::start(1400, 900).await;

    // A fault rule, added with the form: it acts, and goes when removed.
    b.goto(&s.main_url("/_offcloud/ui/#/faults")).await;
    b.wait_for_text("#live", "live").await;
    choose(&b, "#fault-form select[name=\"service\"]", "memgraph").await;
    b.type_into("#fault-form input[name=\"path\"]", "/v1/stats")
        .await;
    b.type_into("#fault-form input[name=\"status\"]", "503")
        .await;
    b.type_into("#fault-form input[name=\"times\"]", "2").await;
    b.click("#fault-form button[type=\"submit\"]").await;
    b.wait_for_text("#faults-table tbody", "/v1/stats").await;
    let faults = get(&s, "/_offcloud/faults").await;
    assert_eq!(faults["faults"][0]["service"], "memgraph");
    assert_eq!(faults["faults"][0]["path"], "/v1/stats");
    assert_eq!(faults["faults"][0]["status"], 503);
    assert_eq!(faults["faults"][0]["times"], 2);
    let (status, _) = s.get("/v1/stats", a.key()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    b.screenshot("faults").await;
    b.click_button("#faults-table tbody button", "Remove").await;
    b.find("#faults-empty:not([hidden])").await;
    assert_eq!(get(&s, "/_offcloud/faults").await, json!({"faults": []}));

    // The clock: advanced by a quick button and by a duration, then set.
    b.click("#nav a[data-view=\"clock\"]").await;
    b.click_button("#clock-advance button", "+1h").await;
    b.wait_for_text("#notice", "advanced by 1h").await;
    let clock = get(&s, "/_offcloud/clock").await;
    assert!(clock["offset_ms"].as_u64() >= Some(3_600_000), "{clock}");
    b.type_into("#clock-advance input[name=\"advance\"]", "90s")
        .await;
    b.click("#clock-advance button[type=\"submit\"]").await;
    b.wait_for_text("#notice", "advanced by 90s").await;
    let clock = get(&s, "/_offcloud/clock").await;
    assert!(clock["offset_ms"].as_u64() >= Some(3_690_000), "{clock}");
    b.type_into("#clock-set input[name=\"set\"]", "2099-01-01T00:00:00Z")
        .await;
    b.click("#clock-set button[type=\"submit\"]").await;
    b.wait_for_text("#clock-now", "2099-01-01T00:00").await;
    let clock = get(&s, "/_offcloud/clock").await;
    assert!(
        str_of(&clock["now"]).starts_with("2099-01-01T00:00:0"),
        "{clock}"
    );
    // A bad duration is the control API's error, shown as it.
    b.type_into("#clock-advance input[name=\"advance\"]", "soon")
        .await;
    b.click("#clock-advance button[type=\"submit\"]").await;
    b.wait_for_text("#notice.error", "\"advance\" must be a duration")
        .await;

    // Reset one service: its rows go, the clock stays. It asks for a second press first.
    b.click("#nav a[data-view=\"actions\"]").await;
    choose(&b, "#act-reset select[name=\"service\"]", "memgraph").await;
    b.click("#act-reset button[type=\"submit\"]").await;
    b.wait_for_text("#act-reset button", "Reset now?").await;
    assert_eq!(
        get(&s, "/_offcloud/tables/memgraph/tenants").await["total"],
        1
    );
    b.click("#act-reset button[type=\"submit\"]").await;
    b.wait_for_text("#notice", "Reset memgraph in session default")
        .await;
    assert_eq!(
        get(&s, "/_offcloud/tables/memgraph/tenants").await["total"],
        0
    );
    assert!(get(&s, "/_offcloud/clock").await["offset_ms"].as_u64() > Some(0));

    // Import the export taken at the start: the tenant and its key are back.
    let file = tempfile::Builder::new()
        .suffix(".json")
        .tempfile()
        .expect("temporary file");
    std::fs::write(file.path(), exported.to_string()).expect("written");
    b.type_into(
        "#act-import input[name=\"file\"]",
        &file.path().display().to_string(),
    )
    .await;
    b.click("#act-import button[type=\"submit\"]").await;
    b.click("#act-import button[type=\"submit\"]").await;
    b.wait_for_text("#notice", "into session default").await;
    let (status, me) = s.get("/v1/stats", a.key()).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(
        b.eval(
            "const a = document.querySelector('#act-export'); return [a.getAttribute('href'), a.download]",
            json!([])
        )
        .await,
        json!(["/_offcloud/state?session=default", "offcloud-default.json"])
    );

    // A fixture document, typed in: its key works.
    b.type_into(
        "#act-fixture textarea[name=\"document\"]",
        "memgraph:\n  tenants:\n    - name: Fixture Co\n      api_keys:\n        - key: mg_test_dashboard_fixture_000000000000\n",
    )
    .await;
    b.click("#act-fixture button[type=\"submit\"]").await;
    b.wait_for_text("#notice", "Applied to session default")
        .await;
    let (status, _) = s
        .get(
            "/v1/stats",
            crate::support::Auth::Key("mg_test_dashboard_fixture_000000000000"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // Reset the whole session: the clock is back to real time, the posted fixture stays.
    choose(&b, "#act-reset select[name=\"service\"]", "").await;
    b.click("#act-reset button[type=\"submit\"]").await;
    b.click("#act-reset button[type=\"submit\"]").await;
    b.wait_for_text("#notice", "Reset session default.").await;
    assert_eq!(get(&s, "/_offcloud/clock").await["offset_ms"], 0);
    assert_eq!(
        s.get("/v1/stats", a.key()).await.0,
        StatusCode::UNAUTHORIZED
    );

    // Drop another session, picked in the bar.
    get(&s, "/_offcloud/clock?session=job-7").await;
    b.wait_for_text("#session", "job-7").await;
    choose(&b, "#session", "job-7").await;
    b.wait_for_text("#h-actions", "job-7").await;
    b.click("#act-drop button[type=\"submit\"]").await;
    b.click("#act-drop button[type=\"submit\"]").await;
    b.wait_for_text("#notice", "Dropped session job-7.").await;
    let sessions = get(&s, "/_offcloud/sessions").await;
    assert!(!sessions.to_string().contains("\"job-7\""), "{sessions}");
    b.screenshot("actions").await;
}

#[tokio::test]
async fn the_page_fits_a_narrow_window_and_every_control_has_a_label() {
    let s = TestServer::start().await;
    s.onboard("narrow@acme.test").await;
    let b = Browser::start(400, 800).await;
    for view in [
        "overview",
        "sessions",
        "state/memgraph/users",
        "requests",
        "faults",
        "clock",
        "actions",
        "coverage",
        "violations",
    ] {
        b.goto(&s.main_url(&format!("/_offcloud/ui/#/{view}")))
            .await;
        b.wait_for_text("#live", "live").await;
        b.wait_for(
            &format!("the {view} view"),
            "const section = document.querySelector(`main > section[data-view=\"${arguments[0]}\"]`);
             return section !== null && !section.hidden;",
            json!([view.split('/').next()]),
        )
        .await;
        // Wide tables scroll inside their frame; the page itself never scrolls sideways.
        let widths = b
            .eval(
                "return [document.documentElement.scrollWidth, window.innerWidth]",
                json!([]),
            )
            .await;
        assert!(
            widths[0].as_u64() <= widths[1].as_u64(),
            "{view} is wider than the window: {widths}"
        );
        b.screenshot(&format!("narrow-{}", view.replace('/', "-")))
            .await;
    }
    let unlabelled = b
        .eval(
            "return Array.from(document.querySelectorAll('input, select, textarea, button, a[href]'))
               .filter(e => {
                 if (e.labels && e.labels.length) return false;
                 if (e.getAttribute('aria-label')) return false;
                 return !(e.textContent || '').trim();
               })
               .map(e => e.outerHTML.slice(0, 80));",
            json!([]),
        )
        .await;
    assert_eq!(unlabelled, json!([]), "controls without a label");
}
