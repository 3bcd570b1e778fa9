//! `GET /_offcloud/tables[/{service}/{table}]`: the dashboard's read-only view of a session's
//! state, without secrets, paged in SQL.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::seed::{self, hasura, let_time_pass, seed};
use crate::support::{TestServer, send, str_of};

async fn get(s: &TestServer, path: &str) -> (StatusCode, Value) {
    send(s.http.get(s.main_url(path))).await
}

/// The rows of a table as objects, column name → value.
async fn rows(s: &TestServer, service: &str, table: &str, query: &str) -> Vec<Value> {
    let (status, page) = get(
        s,
        &format!("/_offcloud/tables/{service}/{table}?limit=500{query}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let columns: Vec<String> = page["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| str_of(&c["name"]))
        .collect();
    page["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| {
            let object: serde_json::Map<String, Value> = columns
                .iter()
                .cloned()
                .zip(row.as_array().expect("row").iter().cloned())
                .collect();
            Value::Object(object)
        })
        .collect()
}

#[tokio::test]
async fn no_secret_made_through_the_apis_reaches_the_tables_or_their_search() {
    let s = TestServer::start_with(seed::config()).await;
    let seeded = seed(&s).await;

    let (status, catalogue) = get(&s, "/_offcloud/tables").await;
    assert_eq!(status, StatusCode::OK);
    let mut everything = catalogue.to_string();
    let tables = catalogue["tables"].as_array().expect("tables").clone();
    assert!(tables.len() >= 25, "{catalogue}");
    for table in &tables {
        let path = format!(
            "/_offcloud/tables/{}/{}?limit=500",
            str_of(&table["service"]),
            str_of(&table["name"])
        );
        let (status, page) = get(&s, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {page}");
        assert_eq!(page["total"], table["rows"], "{path}");
        everything.push_str(&page.to_string());
    }
    for secret in &seeded.secrets {
        assert!(
            !everything.contains(secret.as_str()),
            "the tables show a secret: {secret}"
        );
    }
    // Nor can a search find rows by a secret they hold (hidden, masked or redacted values).
    for secret in &seeded.secrets {
        for table in &tables {
            let path = format!(
                "/_offcloud/tables/{}/{}",
                str_of(&table["service"]),
                str_of(&table["name"])
            );
            let (status, page) = send(
                s.http
                    .get(s.main_url(&path))
                    .query(&[("q", secret.as_str())]),
            )
            .await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(page["total"], 0, "{path} finds rows by {secret}");
        }
    }
}

#[tokio::test]
async fn state_made_through_each_api_shows_as_the_apis_report_it() {
    let s = TestServer::start_with(seed::config()).await;
    let seeded = seed(&s).await;

    // Memgraph: keys by prefix and dates, beliefs with their history.
    let keys = rows(&s, "memgraph", "api_keys", "").await;
    assert_eq!(keys.len(), 2);
    let onboarding_prefix = &seeded.memgraph.api_key[..12];
    assert!(keys.iter().any(|k| k["key_prefix"] == onboarding_prefix));
    assert!(keys.iter().all(|k| k["state"] == "active"));
    let history = rows(
        &s,
        "memgraph",
        "beliefs",
        "&eq.subject_id=user-42&eq.key=favourite_colour&sort=version&order=desc",
    )
    .await;
    let versions: Vec<(i64, &str, bool)> = history
        .iter()
        .map(|b| {
            (
                b["version"].as_i64().unwrap_or(0),
                b["value"].as_str().unwrap_or(""),
                b["is_active"] == true,
            )
        })
        .collect();
    assert_eq!(versions, [(2, "green", true), (1, "blue", false)]);
    let events = rows(&s, "memgraph", "events", "").await;
    assert_eq!(
        events[0]["content_payload"],
        json!({"text": "my colour is green", "password": "[redacted]"})
    );

    // TypeDB: the cluster's status follows the session clock, as the API's does.
    let clusters = rows(&s, "typedb", "clusters", "").await;
    assert_eq!(clusters[0]["id"], "dash-cluster");
    assert_eq!(clusters[0]["status"], "starting");
    let tokens = rows(&s, "typedb", "tokens", "").await;
    assert_eq!(tokens[0]["client_id"], seeded.typedb_client_id.as_str());
    let_time_pass(&s).await;
    let clusters = rows(&s, "typedb", "clusters", "").await;
    assert_eq!(clusters[0]["status"], "running");
    let token = crate::typedb::bearer(&s, "acme", "default", "read").await;
    let (_, cluster) = crate::typedb::call(
        &s,
        "GET",
        &crate::typedb::clusters("acme", "default", "/dash-cluster"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(cluster["status"], "running", "{cluster}");

    // Hasura: env vars by name, values masked; the job's status as the API derives it.
    let env = rows(
        &s,
        "hasura",
        "env_vars",
        &format!("&eq.project={}", seeded.hasura_project),
    )
    .await;
    let names: Vec<&str> = env.iter().filter_map(|e| e["name"].as_str()).collect();
    assert_eq!(names, ["DATABASE_URL", "HASURA_GRAPHQL_ADMIN_SECRET"]);
    assert!(env.iter().all(|e| e["value"] == "••••••"));
    let jobs = rows(
        &s,
        "hasura",
        "jobs",
        &format!("&eq.id={}", seeded.hasura_job),
    )
    .await;
    assert_eq!(jobs[0]["status"], "success", "{jobs:?}");
    assert_eq!(
        jobs[0]["repo"],
        json!({"branch": "feature-x", "directory": "hasura", "owner": "acme", "repo": "api"})
    );

    // Dgraph: the deployment's backend URL is the one Cerebro gives, and it is ready.
    let deployments = rows(&s, "dgraph", "deployments", "").await;
    assert_eq!(deployments[0]["url"], seeded.dgraph_deployment["url"]);
    assert_eq!(deployments[0]["state"], "ready");
}

#[tokio::test]
async fn a_hasura_job_shows_the_status_the_api_reports_at_every_step() {
    let s = TestServer::start().await;
    let (_, user) = send(
        s.http
            .post(s.main_url("/_offcloud/hasura/users"))
            .json(&json!({"email": "steps@acme.test"})),
    )
    .await;
    let pat = str_of(&user["pat"]);
    let created = hasura(
        &s,
        &pat,
        "mutation { createGitHubPreviewApp(payload: {githubPersonalAccessToken: \"x\",
           githubRepoDetails: {branch: \"b\", owner: \"o\", repo: \"r\", directory: \"d\"},
           projectOptions: {cloud: \"aws\", region: \"us-east-2\", plan: \"cloud_free\", name: \"steps-pr-1\"}
         }) { githubPreviewAppJobID } }",
        json!({}),
    )
    .await;
    let first = str_of(&created["createGitHubPreviewApp"]["githubPreviewAppJobID"]);
    // Creation takes 10 s, then the deployment job's tasks 2 s each.
    for step in 0..12 {
        let jobs = hasura(
            &s,
            &pat,
            "{ jobs(order_by: {created_at: asc}) { id status } }",
            json!({}),
        )
        .await;
        for job in jobs["jobs"].as_array().expect("jobs") {
            let shown = rows(
                &s,
                "hasura",
                "jobs",
                &format!("&eq.id={}", str_of(&job["id"])),
            )
            .await;
            assert_eq!(
                shown[0]["status"], job["status"],
                "step {step}, job {} (the first is {first})",
                job["id"]
            );
        }
        s.advance("default", Duration::from_secs(2)).await;
    }
}

#[tokio::test]
async fn rows_are_paged_searched_filtered_and_sorted_in_sql() {
    let s = TestServer::start().await;
    let a = s.onboard("pages@acme.test").await;
    for i in 0..30 {
        let (status, _) = s
            .post(
                "/v1/beliefs",
                a.key(),
                json!({"subject_id": format!("user-{i:02}"), "key": "plan",
                       "value": if i % 3 == 0 { "pro" } else { "free" }}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let page = |query: &'static str| {
        let s = &s;
        async move {
            let (status, page) =
                get(s, &format!("/_offcloud/tables/memgraph/beliefs{query}")).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            page
        }
    };
    let subjects = |page: &Value| -> Vec<String> {
        page["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| str_of(&r[2]))
            .collect()
    };

    // Newest first, by pages.
    let first = page("?limit=10").await;
    assert_eq!(first["total"], 30);
    assert_eq!(first["offset"], 0);
    assert_eq!(first["limit"], 10);
    assert_eq!(subjects(&first)[0], "user-29");
    let third = page("?limit=10&offset=20").await;
    assert_eq!(subjects(&third).last().map(String::as_str), Some("user-00"));
    assert_eq!(page("?limit=10&offset=30").await["rows"], json!([]));

    // Search any text column, exact filters, sort.
    let pro = page("?q=PRO").await;
    assert_eq!(pro["total"], 10);
    let one = page("?eq.subject_id=user-07").await;
    assert_eq!(subjects(&one), ["user-07"]);
    let sorted = page("?sort=subject_id&order=asc&limit=3").await;
    assert_eq!(subjects(&sorted), ["user-00", "user-01", "user-02"]);
    // `_` and `%` are searched as themselves.
    assert_eq!(page("?q=user_0").await["total"], 0);
    assert_eq!(page("?q=%25").await["total"], 0);
    // Limits are clamped.
    assert_eq!(page("?limit=100000").await["limit"], 500);
}

#[tokio::test]
async fn bad_table_requests_get_clear_errors_and_open_no_session() {
    let s = TestServer::start().await;
    let cases = [
        (
            "/_offcloud/tables/memgraph/nope",
            StatusCode::NOT_FOUND,
            "no table memgraph/nope: GET /_offcloud/tables lists them",
        ),
        (
            "/_offcloud/tables/memgraph/users?sort=password_hash",
            StatusCode::BAD_REQUEST,
            "no column \"password_hash\" in memgraph/users",
        ),
        (
            "/_offcloud/tables/memgraph/events?sort=content_payload",
            StatusCode::BAD_REQUEST,
            "column \"content_payload\" cannot be filtered or sorted on",
        ),
        (
            "/_offcloud/tables/hasura/env_vars?eq.value=x",
            StatusCode::BAD_REQUEST,
            "column \"value\" cannot be filtered or sorted on",
        ),
        (
            "/_offcloud/tables/memgraph/users?limit=many",
            StatusCode::BAD_REQUEST,
            "\"limit\" must be a whole number, not \"many\"",
        ),
        (
            "/_offcloud/tables/memgraph/users?order=up",
            StatusCode::BAD_REQUEST,
            "\"order\" must be asc or desc",
        ),
        (
            "/_offcloud/tables/memgraph/users?where=1",
            StatusCode::BAD_REQUEST,
            "unknown parameter \"where\": use session, limit, offset, q, sort, order or eq.COLUMN",
        ),
        (
            "/_offcloud/tables?service=redis",
            StatusCode::BAD_REQUEST,
            "unknown service \"redis\": use memgraph, typedb, hasura or dgraph",
        ),
        (
            "/_offcloud/tables/memgraph/users?session=job-9",
            StatusCode::NOT_FOUND,
            "no open session \"job-9\"",
        ),
        (
            "/_offcloud/tables?session=bad%20name",
            StatusCode::BAD_REQUEST,
            "invalid session name \"bad name\"",
        ),
    ];
    for (path, status, message) in cases {
        assert_eq!(
            get(&s, path).await,
            (status, json!({ "error": message })),
            "{path}"
        );
    }
    let (_, sessions) = get(&s, "/_offcloud/sessions").await;
    let names: Vec<&str> = sessions["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(!names.contains(&"job-9"), "{sessions}");
}

#[tokio::test]
async fn the_dashboard_is_served_from_the_binary_and_the_root_leads_to_it() {
    let s = TestServer::start().await;
    let response = s.http.get(s.main_url("/")).send().await.expect("answer");
    assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(response.headers()["location"], "/_offcloud/ui/");
    let response = s
        .http
        .get(s.main_url("/_offcloud/ui"))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(response.headers()["location"], "/_offcloud/ui/");

    let page = s
        .http
        .get(s.main_url("/_offcloud/ui/"))
        .send()
        .await
        .expect("answer");
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .expect("text");
    assert!(
        policy.starts_with("default-src 'none'; script-src 'self';"),
        "{policy}"
    );
    let html = page.text().await.expect("html");
    assert!(html.contains("<script src=\"app.js\" defer></script>"));
    for (file, kind) in [
        ("app.js", "text/javascript; charset=utf-8"),
        ("app.css", "text/css; charset=utf-8"),
        ("icon.svg", "image/svg+xml"),
    ] {
        let asset = s
            .http
            .get(s.main_url(&format!("/_offcloud/ui/{file}")))
            .send()
            .await
            .expect("answer");
        assert_eq!(asset.status(), StatusCode::OK, "{file}");
        assert_eq!(asset.headers()["content-type"], kind, "{file}");
    }
    assert_eq!(
        get(&s, "/_offcloud/ui/secrets.txt").await,
        (
            StatusCode::NOT_FOUND,
            json!({"error": "no file \"secrets.txt\" in the dashboard: it is at /_offcloud/ui/"})
        )
    );

    // Only a browser's GET of `/` on the main listener is redirected.
    let (status, _) = send(s.http.post(s.main_url("/"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(s.http.get(s.main_url("/_session/job-1/"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = send(s.http.get(s.mg("/"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({"detail": "Not Found"}));
    let (status, body) = send(
        s.http
            .get(s.main_url("/"))
            .header("host", "api.memgraph.ai"),
    )
    .await;
    assert_eq!(
        (status, body),
        (StatusCode::NOT_FOUND, json!({"detail": "Not Found"}))
    );
}
