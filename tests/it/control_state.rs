//! `GET`/`PUT /_offcloud/state`: the whole state as one JSON document, and back.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::dgraph::{account, cerebro, deployment};
use crate::support::{TestServer, send, str_of};
use crate::typedb::{api_token, exchange};

/// The exported document, as bytes.
pub async fn export(s: &TestServer, query: &str) -> String {
    let response = s
        .http
        .get(s.main_url(&format!("/_offcloud/state{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    response.text().await.unwrap()
}

pub async fn import(s: &TestServer, query: &str, document: String) -> (StatusCode, Value) {
    send(
        s.http
            .put(s.main_url(&format!("/_offcloud/state{query}")))
            .body(document),
    )
    .await
}

async fn reset(s: &TestServer, query: &str) {
    let (status, body) = send(s.http.post(s.main_url(&format!("/_offcloud/reset{query}")))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

fn parse(document: &str) -> Value {
    serde_json::from_str(document).unwrap()
}

/// The index of a column in a table of a parsed document.
fn column(document: &Value, session: &str, table: &str, name: &str) -> usize {
    document["sessions"][session]["tables"][table]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column {name} in {table}"))
}

#[tokio::test]
async fn export_reset_import_gives_the_same_bytes_and_old_tokens_still_work() {
    let s = TestServer::start().await;
    let a = s.onboard("snap@example.com").await;
    let credentials = api_token(&s, "team", "space", "admin").await;
    let typedb_token = exchange(&s, &credentials).await;

    let before = export(&s, "").await;
    reset(&s, "").await;
    assert_eq!(
        s.get("/v1/auth/me", a.bearer()).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        import(&s, "", before.clone()).await,
        (
            StatusCode::OK,
            json!({"loaded": ["default"], "emptied": []})
        )
    );
    assert_eq!(export(&s, "").await, before);

    // The JWT was signed before the export with a key that came back with it.
    let (status, me) = s.get("/v1/auth/me", a.bearer()).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["email"], "snap@example.com");
    assert_eq!(
        s.get("/v1/beliefs?subject_id=alice", a.key()).await.0,
        StatusCode::OK
    );
    let (status, _) = send(
        s.http
            .get(crate::typedb::url(
                &s,
                &crate::typedb::clusters("team", "space", ""),
            ))
            .bearer_auth(typedb_token.trim_matches('"')),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!exchange(&s, &credentials).await.is_empty());
}

#[tokio::test]
async fn the_document_keeps_types_secrets_and_versions_but_not_migrations() {
    let s = TestServer::start().await;
    let a = s.onboard("types@example.com").await;
    let (status, belief) = s
        .post(
            "/v1/beliefs",
            a.key(),
            json!({"subject_id": "alice", "key": "lang", "value": "Rust", "confidence": 0.7}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{belief}");
    s.advance("default", Duration::from_millis(90_061)).await;

    let document = parse(&export(&s, "").await);
    assert_eq!(document["offcloud"], "state");
    assert_eq!(document["version"], 1);
    assert_eq!(document["schema"], offcloud::db::schema_version());
    let session = &document["sessions"]["default"];
    let offset = session["clock_offset_ms"].as_u64().unwrap();
    assert!((90_061..100_000).contains(&offset), "{offset}");
    let tables = session["tables"].as_object().unwrap();
    assert!(!tables.contains_key("_sqlx_migrations"));
    assert!(tables.contains_key("offcloud_secrets"));
    assert!(
        tables
            .values()
            .all(|t| !t["rows"].as_array().unwrap().is_empty()),
        "empty tables are left out"
    );
    let beliefs = &session["tables"]["memgraph_beliefs"];
    let row = &beliefs["rows"][0];
    assert_eq!(
        row[column(&document, "default", "memgraph_beliefs", "confidence")],
        json!(0.7)
    );
    assert_eq!(
        row[column(&document, "default", "memgraph_beliefs", "is_active")],
        json!(1)
    );
    assert_eq!(
        row[column(&document, "default", "memgraph_beliefs", "id")],
        belief["id"]
    );
    assert_eq!(
        row[column(&document, "default", "memgraph_beliefs", "supersedes_id")],
        Value::Null
    );
}

#[tokio::test]
async fn the_clock_offset_comes_back_with_an_import() {
    let s = TestServer::start().await;
    s.onboard("clock@example.com").await;
    s.advance("default", Duration::from_secs(7200)).await;
    let before = export(&s, "").await;
    reset(&s, "").await;
    assert_eq!(s.session("default").await.clock().offset(), Duration::ZERO);
    import(&s, "", before).await;
    let offset = s.session("default").await.clock().offset();
    assert!(offset >= Duration::from_secs(7200) && offset < Duration::from_secs(7300));
}

#[tokio::test]
async fn blobs_travel_as_base64_and_come_back_whole() {
    let s = crate::dgraph::start().await;
    let token = account(&s, "blob@example.com").await;
    let d = deployment(&s, &token, "blobs", "free").await;
    let (_, body) =
        crate::dgraph::slash(&s, &d, "mutation { export { signedUrls } }", json!({})).await;
    let url = str_of(&body["data"]["export"]["signedUrls"][0]);
    let original = s
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();

    let before = export(&s, "").await;
    let document = parse(&before);
    let content = &document["sessions"]["default"]["tables"]["dgraph_export_files"]["rows"][0]
        [column(&document, "default", "dgraph_export_files", "content")];
    assert!(content["base64"].is_string(), "{content}");

    reset(&s, "").await;
    assert_eq!(import(&s, "", before.clone()).await.0, StatusCode::OK);
    assert_eq!(export(&s, "").await, before);
    let again = s.http.get(&url).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.bytes().await.unwrap(), original);
}

#[tokio::test]
async fn a_document_of_another_schema_version_is_refused() {
    let s = TestServer::start().await;
    let mut document = parse(&export(&s, "").await);
    document["schema"] = json!(offcloud::db::schema_version() + 1);
    let answer = import(&s, "", document.to_string()).await;
    assert_eq!(
        answer,
        (
            StatusCode::BAD_REQUEST,
            json!({"error": format!(
                "the state document is from schema version {}, this offcloud has schema version {}",
                offcloud::db::schema_version() + 1,
                offcloud::db::schema_version()
            )})
        )
    );
}

#[tokio::test]
async fn a_bad_document_gets_a_400_naming_where_and_changes_nothing() {
    let s = TestServer::start().await;
    s.onboard("keep@example.com").await;
    s.onboard("other@example.com").await;
    let good = export(&s, "").await;
    let document = parse(&good);
    let users = "memgraph_users";
    let active = column(&document, "default", users, "is_active");

    let mut cases: Vec<(Value, String)> = Vec::new();
    let mut d = document.clone();
    d["sessions"]["default"]["tables"]["memgraph_nope"] = json!({"columns": [], "rows": []});
    cases.push((
        d,
        r#"session "default", table "memgraph_nope": no such table"#.into(),
    ));
    let mut d = document.clone();
    d["sessions"]["default"]["tables"][users]["columns"][0] = json!("nickname");
    cases.push((
        d,
        r#"session "default", table "memgraph_users": no such column "nickname""#.into(),
    ));
    let mut d = document.clone();
    d["sessions"]["default"]["tables"][users]["rows"][1][active] = json!("yes");
    cases.push((
        d,
        r#"session "default", table "memgraph_users", row 1, column "is_active": expected an integer, got "yes""#.into(),
    ));
    let mut d = document.clone();
    d["sessions"]["default"]["tables"][users]["rows"][0][0] = json!(12);
    cases.push((
        d,
        r#"session "default", table "memgraph_users", row 0, column "id": expected a string, got 12"#.into(),
    ));
    let mut d = document.clone();
    d["sessions"]["default"]["tables"][users]["rows"][0]
        .as_array_mut()
        .unwrap()
        .pop();
    cases.push((
        d,
        format!(
            r#"session "default", table "memgraph_users", row 0: {} values for {} columns"#,
            document["sessions"]["default"]["tables"][users]["columns"]
                .as_array()
                .unwrap()
                .len()
                - 1,
            document["sessions"]["default"]["tables"][users]["columns"]
                .as_array()
                .unwrap()
                .len()
        ),
    ));
    let mut d = document.clone();
    let first = d["sessions"]["default"]["tables"][users]["rows"][0].clone();
    d["sessions"]["default"]["tables"][users]["rows"][1] = first;
    cases.push((
        d,
        r#"session "default", table "memgraph_users", row 1: UNIQUE constraint failed: memgraph_users.email_lower"#.into(),
    ));
    let mut d = document.clone();
    d["sessions"]["default"]["tables"][users]["rows"][1][active] = Value::Null;
    cases.push((
        d,
        r#"session "default", table "memgraph_users", row 1: NOT NULL constraint failed: memgraph_users.is_active"#.into(),
    ));
    let mut d = document.clone();
    d["sessions"]["bad/name"] = json!({"clock_offset_ms": 0, "tables": {}});
    cases.push((d, r#"invalid session name "bad/name""#.into()));
    let mut d = document.clone();
    d["offcloud"] = json!("fixtures");
    cases.push((
        d,
        r#"not a state document: "offcloud" is "fixtures", expected "state""#.into(),
    ));
    let mut d = document.clone();
    d["version"] = json!(2);
    cases.push((
        d,
        "state document version 2 is not supported (this offcloud reads version 1)".into(),
    ));

    for (bad, message) in cases {
        let answer = import(&s, "", bad.to_string()).await;
        assert_eq!(
            answer,
            (StatusCode::BAD_REQUEST, json!({ "error": message }))
        );
        assert_eq!(export(&s, "").await, good, "after: {message}");
    }

    // A row whose parent is missing: found at the end, before anything is committed.
    let mut d = document.clone();
    d["sessions"]["default"]["tables"]
        .as_object_mut()
        .unwrap()
        .remove("memgraph_tenants");
    let (status, body) = import(&s, "", d.to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let error = str_of(&body["error"]);
    assert!(
        error.starts_with(r#"session "default", table "memgraph_"#)
            && error.contains(
                r#", row 0: refers to a row of "memgraph_tenants" that is not in the document"#
            ),
        "{error}"
    );
    assert_eq!(export(&s, "").await, good);

    // Not JSON, or not the document's shape: serde's message, with where.
    let (status, body) = import(&s, "", "{\"offcloud\": \"state\",".into()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        str_of(&body["error"]).starts_with("invalid state document: EOF while parsing"),
        "{body}"
    );
    let mut d = document.clone();
    d["extra"] = json!(1);
    let (status, body) = import(&s, "", d.to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        str_of(&body["error"]).contains("unknown field `extra`"),
        "{body}"
    );
    assert_eq!(export(&s, "").await, good);
}

#[tokio::test]
async fn a_failure_in_one_session_leaves_every_session_unchanged() {
    let s = TestServer::start().await;
    s.onboard("a@example.com").await;
    send(s.http.post(s.mg("/_session/second/v1/auth/onboard")).json(
        &json!({"email": "b@example.com", "password": "pw-123456789",
                          "full_name": "B", "cluster_name": "b", "sector": "Technology"}),
    ))
    .await;
    let good = export(&s, "").await;
    let mut d = parse(&good);
    assert!(d["sessions"]["second"].is_object(), "{d}");
    // Sessions are written in name order: "default" passes, "second" fails.
    d["sessions"]["second"]["tables"]
        .as_object_mut()
        .unwrap()
        .remove("memgraph_tenants");
    let (status, _) = import(&s, "", d.to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(export(&s, "").await, good);
}

#[tokio::test]
async fn one_session_is_exported_alone_and_can_be_copied_into_another() {
    let s = TestServer::start().await;
    let a = s.onboard("one@example.com").await;
    let default_before = export(&s, "?session=default").await;
    assert_eq!(
        parse(&default_before)["sessions"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        vec!["default"]
    );

    let (status, body) = import(&s, "?session=copy", default_before.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"loaded": ["copy"], "emptied": []}));
    let copy = parse(&export(&s, "?session=copy").await);
    assert_eq!(
        copy["sessions"]["copy"],
        parse(&default_before)["sessions"]["default"]
    );
    // The same user, the same key, in the copy (and the default session untouched).
    let (status, _) = send(
        s.http
            .get(s.mg("/_session/copy/v1/auth/me"))
            .bearer_auth(&a.token),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(export(&s, "?session=default").await, default_before);

    // With ?session=, the document must hold one session.
    let whole = export(&s, "").await;
    let (status, body) = import(&s, "?session=copy", whole).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            json!({"error": "with ?session= the document must hold exactly one session, it holds 2"})
        )
    );
    let (status, body) = send(s.http.get(s.main_url("/_offcloud/state?session=a/b"))).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            json!({"error": "invalid session name \"a/b\""})
        )
    );
    let (status, body) = import(&s, "?session=..", default_before).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            json!({"error": "invalid session name \"..\""})
        )
    );
}

#[tokio::test]
async fn the_whole_state_empties_open_sessions_it_does_not_name() {
    let s = TestServer::start().await;
    let empty = export(&s, "").await;
    send(s.http.post(s.mg("/_session/extra/v1/auth/onboard")).json(
        &json!({"email": "x@example.com", "password": "pw-123456789",
                          "full_name": "X", "cluster_name": "x", "sector": "Technology"}),
    ))
    .await;
    s.advance("extra", Duration::from_secs(60)).await;
    let (status, body) = import(&s, "", empty.clone()).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::OK,
            json!({"loaded": ["default"], "emptied": ["extra"]})
        )
    );
    let after = parse(&export(&s, "").await);
    assert_eq!(
        after["sessions"]["extra"],
        json!({"clock_offset_ms": 0, "tables": {}})
    );
}

const DEPLOYMENTS: &str = "{ deployments { uid url jwtToken } }";

#[tokio::test]
async fn dgraph_backends_serve_again_after_an_import_and_gone_ones_close() {
    let s = crate::dgraph::start().await;
    let token = account(&s, "dg@example.com").await;
    let without = export(&s, "").await;
    let d = deployment(&s, &token, "kept", "free").await;
    let with = export(&s, "").await;

    // Into a fresh server: the deployment's listener is bound again when Cerebro lists it.
    let fresh = crate::dgraph::start().await;
    assert_eq!(import(&fresh, "", with.clone()).await.0, StatusCode::OK);
    let (_, body) = cerebro(&fresh, Some(&token), DEPLOYMENTS, json!({})).await;
    let listed = &body["data"]["deployments"][0];
    assert_eq!(listed["uid"], d["uid"], "{body}");
    let (status, schema) =
        crate::dgraph::admin(&fresh, listed, crate::dgraph::GET_SCHEMA, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{schema}");
    assert!(schema.get("errors").is_none(), "{schema}");

    // Back to a state without it: its port is closed.
    assert_eq!(import(&s, "", without).await.0, StatusCode::OK);
    let gone = s
        .http
        .post(crate::dgraph::backend_url(&d, "/admin"))
        .send()
        .await;
    assert!(gone.is_err(), "the port still answers: {gone:?}");
    let (_, body) = cerebro(&s, Some(&token), DEPLOYMENTS, json!({})).await;
    assert_eq!(body, json!({"data": {"deployments": []}}));
}

#[tokio::test]
async fn a_state_file_is_saved_at_shutdown_and_loaded_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state.json");
    let mut config = crate::support::test_config();
    config.state_file = Some(file.clone());
    config.state_file_save = true;

    // First start: no file yet, which is fine.
    let s = TestServer::start_with(config.clone()).await;
    let a = s.onboard("kept@example.com").await;
    let exported = export(&s, "").await;
    s.stop().await;
    assert_eq!(std::fs::read_to_string(&file).unwrap(), exported);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["state.json"], "no temporary file is left");

    let s = TestServer::start_with(config).await;
    assert_eq!(export(&s, "").await, exported);
    let (status, _) = s.get("/v1/auth/me", a.bearer()).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a token of the first run still works"
    );
    s.stop().await;
}

async fn start_error(config: offcloud::Config) -> String {
    match offcloud::Server::bind(config).await {
        Ok(_) => panic!("the server started"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn a_bad_state_file_stops_the_start_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state.json");
    let mut config = crate::support::test_config();
    config.state_file = Some(file.clone());

    std::fs::write(&file, "{\"offcloud\": \"state\"").unwrap();
    let error = start_error(config.clone()).await;
    assert!(
        error.starts_with(&format!(
            "cannot load the state file {}: invalid state document: EOF while parsing",
            file.display()
        )),
        "{error}"
    );

    let s = TestServer::start().await;
    s.onboard("x@example.com").await;
    let mut document = parse(&export(&s, "").await);
    document["sessions"]["default"]["tables"]["memgraph_users"]["columns"][0] = json!("nope");
    std::fs::write(&file, document.to_string()).unwrap();
    assert_eq!(
        start_error(config.clone()).await,
        format!(
            r#"cannot load the state file {}: session "default", table "memgraph_users": no such column "nope""#,
            file.display()
        )
    );

    let mut config = crate::support::test_config();
    config.state_file_save = true;
    assert_eq!(
        start_error(config).await,
        "configuration: --state-file-save needs --state-file"
    );
}

#[tokio::test]
async fn an_import_replaces_the_signing_keys_a_session_had_in_memory() {
    let first = TestServer::start().await;
    let a = first.onboard("first@example.com").await;
    let document = export(&first, "").await;

    // The second server has signed (and cached) its own key before the import.
    let s = TestServer::start().await;
    let b = s.onboard("second@example.com").await;
    assert_eq!(s.get("/v1/auth/me", b.bearer()).await.0, StatusCode::OK);
    assert_eq!(import(&s, "", document).await.0, StatusCode::OK);

    let (status, me) = s.get("/v1/auth/me", a.bearer()).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["email"], "first@example.com");
    assert_eq!(
        s.get("/v1/auth/me", b.bearer()).await.0,
        StatusCode::UNAUTHORIZED
    );
}
