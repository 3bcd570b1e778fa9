//! Hostile input against the real binary, one process per service: deep nesting, alias floods,
//! oversized bodies and strings, invalid UTF-8, bad percent-encoding, wrong types and far-future
//! clock values. Every answer is a client error (or a success) in the service's own shape —
//! never a 5xx, never text/plain — and afterwards the process is alive, still serves, and its
//! memory is bounded. Each request has a deadline, so the suite is bounded in time.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::header::CONTENT_TYPE;
use reqwest::{Client, Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

/// Resident memory the process may hold once the hostile requests are answered (a debug build
/// idles at about 20 MiB, and holds 30 to 36 MiB after them).
const RSS_AFTER_MIB: u64 = 80;
/// The most it may have held at any moment (40 to 71 MiB measured; 100 `login` aliases included).
const RSS_PEAK_MIB: u64 = 150;
/// Bigger than the default `--body-limit` (10 MiB).
const OVER_BODY_LIMIT: usize = 11 * 1024 * 1024;

/// The real binary, every service under its prefix on one port.
struct Binary {
    child: Child,
    base: String,
    http: Client,
}

impl Binary {
    async fn start() -> Binary {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_offcloud"))
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--memgraph-port", "off", "--typedb-port", "off"])
            .args(["--hasura-port", "off", "--dgraph-port", "off"])
            .args(["--dgraph-backend-ports", "off"])
            .env("RUST_LOG", "error")
            .env_remove("OFFCLOUD_DATABASE_URL")
            .env_remove("OFFCLOUD_DATA_DIR")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // A connection each: a server may close one after refusing a body it did not read whole.
        let http = Client::builder()
            .timeout(Duration::from_secs(20))
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        let binary = Binary {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http,
        };
        let started = Instant::now();
        while !binary.healthy().await {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "offcloud did not become healthy"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        binary
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, self.url(path))
    }

    async fn healthy(&self) -> bool {
        let health = self.http.get(self.url("/_offcloud/health")).send().await;
        health.is_ok_and(|r| r.status() == StatusCode::OK)
    }

    /// Sends and checks the answer is no server error and is JSON; returns the status and body.
    async fn answer(&self, what: &str, request: RequestBuilder) -> (StatusCode, Value) {
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{what}: no answer ({e})"));
        let status = response.status();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = response.text().await.unwrap_or_default();
        assert!(!status.is_server_error(), "{what}: {status} {}", cut(&text));
        assert!(
            content_type.starts_with("application/json"),
            "{what}: {status} as {content_type:?}: {}",
            cut(&text)
        );
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{what}: not JSON: {}", cut(&text)));
        (status, body)
    }

    /// A JSON body over the body limit, sent on a connection of its own while its answer is read:
    /// a server answers such a body before reading it all, then closes the connection, and an
    /// HTTP client that writes the whole body first sees only the closed connection.
    async fn oversized(
        &self,
        what: &str,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let address = self.base.trim_start_matches("http://").to_owned();
        let stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        let (mut reader, mut writer) = stream.into_split();
        let body = oversized_json();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let writing = tokio::spawn(async move {
            let _ = writer.write_all(head.as_bytes()).await;
            let _ = writer.write_all(body.as_bytes()).await;
        });
        let mut answer = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(20), reader.read_to_end(&mut answer)).await;
        writing.abort();
        assert!(read.is_ok(), "{what}: no answer in time");
        let text = String::from_utf8_lossy(&answer);
        let (head, body) = text
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("{what}: no answer: {}", cut(&text)));
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("{what}: {}", cut(head)));
        let status = StatusCode::from_u16(status).unwrap();
        let content_type = head
            .lines()
            .find_map(|line| {
                line.to_ascii_lowercase()
                    .strip_prefix("content-type:")
                    .map(|v| v.trim().to_owned())
            })
            .unwrap_or_default();
        assert!(!status.is_server_error(), "{what}: {status} {}", cut(body));
        assert!(
            content_type.starts_with("application/json"),
            "{what}: {status} as {content_type:?}: {}",
            cut(body)
        );
        let body = serde_json::from_str(body)
            .unwrap_or_else(|_| panic!("{what}: not JSON: {}", cut(body)));
        (status, body)
    }

    /// Resident memory now and at its peak, in MiB.
    fn memory_mib(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|kib| kib.parse::<u64>().ok())
                .unwrap_or(0)
                / 1024
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// The process is alive, healthy, and its memory bounded.
    async fn survived(&mut self) {
        assert!(self.child.try_wait().unwrap().is_none(), "offcloud exited");
        assert!(self.healthy().await, "offcloud is not healthy any more");
        // Memory freed by the requests goes back at the allocator's next trim (every 5 s).
        let deadline = Instant::now() + Duration::from_secs(8);
        loop {
            let (rss, peak) = self.memory_mib();
            assert!(peak < RSS_PEAK_MIB, "peak resident memory {peak} MiB");
            if rss < RSS_AFTER_MIB {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "resident memory {rss} MiB after the hostile requests"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn cut(text: &str) -> &str {
    let end = text.char_indices().nth(300).map_or(text.len(), |(i, _)| i);
    &text[..end]
}

/// JSON nested `depth` arrays deep.
fn deep_json(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

/// A JSON body just over the default body limit.
fn oversized_json() -> String {
    json!({ "padding": "x".repeat(OVER_BODY_LIMIT) }).to_string()
}

/// Not UTF-8 (an overlong encoding and lone continuation bytes, in a key and a value),
/// announced as JSON.
const INVALID_UTF8: &[u8] = b"{\"\xc0\xaf\": \"\x80\xff\", \"name\": \"\xc0\xaf\x80\xff\"}";

/// `{ a0: field { id } a1: field { id } ... }`, `count` aliases of one root field.
fn alias_flood(field: &str, selection: &str, count: usize) -> String {
    let mut document = String::from("{ ");
    for i in 0..count {
        document.push_str(&format!("a{i}: {field} {selection} "));
    }
    document.push('}');
    document
}

/// A selection `depth` levels deep: `{ f { f { f ... } } }`.
fn deep_selection(field: &str, depth: usize) -> String {
    format!(
        "{{ {}id{} }}",
        format!("{field} {{ ").repeat(depth),
        " }".repeat(depth)
    )
}

fn assert_fastapi(what: &str, (status, body): &(StatusCode, Value)) {
    assert!(status.is_client_error(), "{what}: {status} {body}");
    let object = body.as_object().unwrap_or_else(|| panic!("{what}: {body}"));
    assert!(
        object.len() == 1 && object.contains_key("detail"),
        "{what}: not FastAPI's shape: {body}"
    );
}

fn assert_typedb(what: &str, (status, body): &(StatusCode, Value)) {
    assert!(status.is_client_error(), "{what}: {status} {body}");
    assert!(
        body["code"].is_string() && body["message"].is_string(),
        "{what}: not TypeDB's shape: {body}"
    );
}

/// A refused GraphQL request: `errors[].message`, and no data.
fn assert_graphql_error(what: &str, (_, body): &(StatusCode, Value)) {
    let errors = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: no errors: {}", cut(&body.to_string())));
    assert!(!errors.is_empty(), "{what}: {body}");
    assert!(
        errors.iter().all(|e| e["message"].is_string()),
        "{what}: {body}"
    );
    assert!(
        body.get("data").is_none_or(Value::is_null),
        "{what}: data came back: {}",
        cut(&body.to_string())
    );
}

/// Hasura's GraphQL errors: HTTP 200, `errors[].extensions.code`.
fn assert_hasura(what: &str, answer: &(StatusCode, Value)) {
    assert_eq!(answer.0, StatusCode::OK, "{what}: {}", answer.1);
    assert_graphql_error(what, answer);
    assert!(
        answer.1["errors"][0]["extensions"]["code"].is_string(),
        "{what}: {}",
        answer.1
    );
}

fn assert_control(what: &str, (status, body): &(StatusCode, Value)) {
    assert!(status.is_client_error(), "{what}: {status} {body}");
    let object = body.as_object().unwrap_or_else(|| panic!("{what}: {body}"));
    assert!(
        object.len() == 1 && body["error"].is_string(),
        "{what}: not the control API's shape: {body}"
    );
}

/// The same hostile bodies to one JSON route of a service, checked with its error shape.
async fn hostile_bodies(
    b: &Binary,
    route: &str,
    auth: &[(&str, &str)],
    shape: fn(&str, &(StatusCode, Value)),
) {
    let post = |body: Vec<u8>, content_type: &str| {
        let mut request = b
            .request(Method::POST, route)
            .header(CONTENT_TYPE, content_type)
            .body(body);
        for (name, value) in auth {
            request = request.header(*name, *value);
        }
        request
    };
    let what = format!("POST {route} with a body over the limit");
    let answer = b.oversized(&what, "POST", route, auth).await;
    shape(&what, &answer);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "JSON nested 100,000 deep",
            deep_json(100_000).into_bytes(),
            "application/json",
        ),
        ("invalid UTF-8", INVALID_UTF8.to_vec(), "application/json"),
        (
            "JSON cut short",
            b"{\"name\": [1, 2".to_vec(),
            "application/json",
        ),
        (
            "wrong types",
            br#"{"name": [1], "email": {}, "id": true, "password": 3.5}"#.to_vec(),
            "application/json",
        ),
        (
            "a body that is not JSON",
            b"name=x&y=%FF".to_vec(),
            "application/x-www-form-urlencoded",
        ),
    ];
    for (case, body, content_type) in cases {
        let what = format!("POST {route} with {case}");
        let answer = b.answer(&what, post(body, content_type)).await;
        shape(&what, &answer);
    }
}

#[tokio::test]
async fn memgraph_refuses_hostile_input_in_fastapi_shape_and_lives() {
    let mut b = Binary::start().await;
    let (status, onboarded) = b
        .answer(
            "onboard",
            b.request(Method::POST, "/memgraph/v1/auth/onboard")
                .json(&json!({
                "email": "hostile@example.com", "password": "Hostile-Password-1",
                "full_name": "H", "cluster_name": "h", "sector": "Technology"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{onboarded}");
    let key = onboarded["api_key"].as_str().unwrap().to_owned();
    let auth = [("x-api-key", key.as_str())];
    for route in [
        "/memgraph/v1/beliefs",
        "/memgraph/v1/auth/onboard",
        "/memgraph/v1/beliefs/batch",
        "/memgraph/v1/admin/import",
        "/memgraph/v2/context",
        "/memgraph/v2/entities",
    ] {
        hostile_bodies(&b, route, &auth, assert_fastapi).await;
    }
    // Strings far longer than any field, inside the body limit.
    let long = "y".repeat(4 * 1024 * 1024);
    let answer = b
        .answer(
            "a 4 MiB belief value",
            b.request(Method::POST, "/memgraph/v1/beliefs")
                .header("x-api-key", &key)
                .json(&json!({"subject_id": long, "key": long, "value": long})),
        )
        .await;
    assert!(
        answer.0.is_success() || answer.0.is_client_error(),
        "{}",
        answer.0
    );
    for path in [
        "/memgraph/v1/beliefs/%FF",
        "/memgraph/v1/beliefs/%",
        "/memgraph/v1/beliefs?subject_id=%FF%FE&limit=%ZZ",
        "/memgraph/v1/beliefs?limit=99999999999999999999999",
        "/memgraph/v1/beliefs?cursor=%00%01",
    ] {
        let what = format!("GET {path}");
        let answer = b
            .answer(
                &what,
                b.request(Method::GET, path).header("x-api-key", &key),
            )
            .await;
        if answer.0.is_client_error() {
            assert_fastapi(&what, &answer);
        }
    }
    let what = "an API key that is not UTF-8";
    let answer = b
        .answer(
            what,
            b.request(Method::GET, "/memgraph/v1/beliefs").header(
                "x-api-key",
                reqwest::header::HeaderValue::from_bytes(b"mg_\xff\xfe").unwrap(),
            ),
        )
        .await;
    assert_fastapi(what, &answer);
    // What the journal and the contract violations keep of a request must not grow with it:
    // megabyte-long unknown field names (each a violation quoting it, with a "did you mean"
    // looked for), and heads of hundreds of KiB.
    let mut unknown = serde_json::Map::new();
    unknown.insert("subject_id".into(), json!("u"));
    unknown.insert("key".into(), json!("k"));
    unknown.insert("value".into(), json!("v"));
    for i in 0..4 {
        unknown.insert(format!("x{i}{}", "a".repeat(1024 * 1024)), json!(1));
    }
    let unknown = Value::Object(unknown).to_string();
    for _ in 0..25 {
        let answer = b
            .answer(
                "a belief with four unknown fields of 1 MiB names",
                b.request(Method::POST, "/memgraph/v1/beliefs")
                    .header("x-api-key", &key)
                    .header(CONTENT_TYPE, "application/json")
                    .body(unknown.clone()),
            )
            .await;
        assert!(!answer.0.is_server_error(), "{}", answer.0);
    }
    let long_query = format!("/memgraph/v1/stats?{}", "q".repeat(30_000));
    for _ in 0..300 {
        let mut request = b
            .request(Method::GET, &long_query)
            .header("x-api-key", &key);
        for i in 0..90 {
            request = request.header(format!("x-pad-{i}"), "h".repeat(3000));
        }
        let answer = b.answer("a head of 300 KiB", request).await;
        assert!(!answer.0.is_server_error(), "{}", answer.0);
    }
    far_future_clock(&b).await;
    let (status, _) = b
        .answer(
            "a belief list after all that",
            b.request(Method::GET, "/memgraph/v1/beliefs")
                .header("x-api-key", &key),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    b.survived().await;
}

#[tokio::test]
async fn typedb_refuses_hostile_input_in_its_shape_and_lives() {
    let mut b = Binary::start().await;
    let (status, token) = b
        .answer(
            "a token",
            b.request(Method::POST, "/_offcloud/typedb/tokens")
                .json(&json!({"team": "team-h", "space": "space-h", "access": "admin"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{token}");
    let basic = format!(
        "Basic {}:{}",
        token["clientId"].as_str().unwrap(),
        token["clientSecret"].as_str().unwrap()
    );
    let exchanged = b
        .request(Method::POST, "/typedb/api/v1/auth")
        .header("authorization", &basic)
        .send()
        .await
        .unwrap();
    assert_eq!(exchanged.status(), StatusCode::OK);
    let bearer = format!("Bearer {}", exchanged.text().await.unwrap());
    let auth = [("authorization", bearer.as_str())];
    for route in [
        "/typedb/api/v1/team/team-h/spaces/space-h/clusters/deploy",
        "/typedb/api/v1/team/team-h/spaces/space-h/clusters/c1/update",
    ] {
        hostile_bodies(&b, route, &auth, assert_typedb).await;
    }
    for path in [
        "/typedb/api/v1/team/%FF/spaces/space-h/clusters",
        "/typedb/api/v1/team/team-h/spaces/%/clusters",
        "/typedb/api/v1/team/team-h/spaces/space-h/clusters/%C0%AF",
        &format!(
            "/typedb/api/v1/team/{}/spaces/s/clusters",
            "t".repeat(30_000)
        ),
    ] {
        let what = format!("GET {}", cut(path));
        let answer = b
            .answer(
                &what,
                b.request(Method::GET, path)
                    .header("authorization", &bearer),
            )
            .await;
        assert_typedb(&what, &answer);
    }
    for credentials in ["Basic ::::", "Basic %FF:%FE", "Bearer a.b.c", "Basic"] {
        let what = format!("auth with {credentials:?}");
        let answer = b
            .answer(
                &what,
                b.request(Method::POST, "/typedb/api/v1/auth")
                    .header("authorization", credentials),
            )
            .await;
        assert_typedb(&what, &answer);
    }
    far_future_clock(&b).await;
    let (status, _) = b
        .answer(
            "a cluster list after all that",
            b.request(
                Method::GET,
                "/typedb/api/v1/team/team-h/spaces/space-h/clusters",
            )
            .header("authorization", &bearer),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    b.survived().await;
}

/// GraphQL documents no real client sends, for a service whose root list field is `field`.
fn hostile_documents(field: &str, filter_argument: &str) -> Vec<(String, Value)> {
    let mut documents = vec![
        (
            "a selection 10,000 deep".to_owned(),
            json!({ "query": deep_selection(field, 10_000) }),
        ),
        (
            "100,000 aliases".to_owned(),
            json!({ "query": alias_flood(field, "{ id }", 100_000) }),
        ),
        (
            "an argument nested 100,000 deep".to_owned(),
            json!({ "query": format!("{{ {field}({filter_argument}: {}1{}) {{ id }} }}", "[".repeat(100_000), "]".repeat(100_000)) }),
        ),
        (
            "an object argument nested 5,000 deep".to_owned(),
            json!({ "query": format!("{{ {field}({filter_argument}: {}{{}}{}) {{ id }} }}", "{_and: [".repeat(5_000), "]}".repeat(5_000)) }),
        ),
        (
            "a fragment bomb".to_owned(),
            json!({ "query": format!(
                "{{ ...F0 }} {} fragment F30 on Query {{ {field} {{ id }} }}",
                (0..30).map(|i| format!("fragment F{i} on Query {{ ...F{n} ...F{n} }}", n = i + 1)).collect::<String>()
            ) }),
        ),
        (
            "a variable nested 100 deep".to_owned(),
            json!({ "query": format!("query($v: [[Int]]) {{ {field}({filter_argument}: $v) {{ id }} }}"), "variables": {"v": serde_json::from_str::<Value>(&deep_json(100)).unwrap()} }),
        ),
        (
            "variables of the wrong types".to_owned(),
            json!({ "query": format!("query($v: Int!) {{ {field}(limit: $v) {{ id }} }}"), "variables": {"v": "ten"} }),
        ),
        (
            "a document that is not GraphQL".to_owned(),
            json!({ "query": "{ \u{0} ( [ \" }" }),
        ),
        (
            "a query that is not a string".to_owned(),
            json!({ "query": {"nested": [1, 2, 3]} }),
        ),
        (
            "a string of 1 MiB in an argument".to_owned(),
            json!({ "query": format!("{{ {field}(where: {{name: {{_eq: \"{}\"}}}}) {{ id }} }}", "z".repeat(1024 * 1024)) }),
        ),
    ];
    // Deep JSON around the variables themselves: the parser's own recursion limit.
    documents.push((
        "variables nested 100,000 deep as raw JSON".to_owned(),
        Value::String(format!(
            "{{\"query\": \"{{ {field} {{ id }} }}\", \"variables\": {{\"v\": {}}}}}",
            deep_json(100_000)
        )),
    ));
    documents
}

/// Posts each document (a `Value::String` is sent as the raw body) and checks the shape.
async fn hostile_graphql(
    b: &Binary,
    route: &str,
    auth: &[(&str, &str)],
    documents: Vec<(String, Value)>,
    shape: fn(&str, &(StatusCode, Value)),
) {
    for (case, document) in documents {
        let body = match document {
            Value::String(raw) => raw,
            other => other.to_string(),
        };
        let mut request = b
            .request(Method::POST, route)
            .header(CONTENT_TYPE, "application/json")
            .body(body);
        for (name, value) in auth {
            request = request.header(*name, *value);
        }
        let what = format!("{route} with {case}");
        let answer = b.answer(&what, request).await;
        shape(&what, &answer);
    }
    let what = format!("{route} with a body over the limit");
    let answer = b.oversized(&what, "POST", route, auth).await;
    shape(&what, &answer);
    let raw: [(&str, Vec<u8>); 2] = [
        ("invalid UTF-8", INVALID_UTF8.to_vec()),
        ("JSON nested 100,000 deep", deep_json(100_000).into_bytes()),
    ];
    for (case, body) in raw {
        let mut request = b
            .request(Method::POST, route)
            .header(CONTENT_TYPE, "application/json")
            .body(body);
        for (name, value) in auth {
            request = request.header(*name, *value);
        }
        let what = format!("{route} with {case}");
        let answer = b.answer(&what, request).await;
        shape(&what, &answer);
    }
}

#[tokio::test]
async fn hasura_refuses_hostile_documents_in_its_shape_and_lives() {
    let mut b = Binary::start().await;
    let (status, user) = b
        .answer(
            "a user",
            b.request(Method::POST, "/_offcloud/hasura/users")
                .json(&json!({"email": "hostile@example.com"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let pat = format!("pat {}", user["pat"].as_str().unwrap());
    let auth = [("authorization", pat.as_str())];
    hostile_graphql(
        &b,
        "/hasura/v1/graphql",
        &auth,
        hostile_documents("projects", "where"),
        assert_hasura,
    )
    .await;
    for path in [
        "/hasura/v1/graphql/%FF",
        "/hasura/v1/%",
        "/hasura/v1/graphql?query=%FF%FE",
    ] {
        let what = format!("GET {path}");
        let answer = b.answer(&what, b.request(Method::GET, path)).await;
        assert!(
            answer.0.is_client_error() || answer.0 == StatusCode::OK,
            "{what}: {}",
            answer.0
        );
    }
    far_future_clock(&b).await;
    let (status, projects) = b
        .answer(
            "projects after all that",
            b.request(Method::POST, "/hasura/v1/graphql")
                .header("authorization", &pat)
                .json(&json!({"query": "{ projects { id } }"})),
        )
        .await;
    assert_eq!(
        (status, projects),
        (StatusCode::OK, json!({"data": {"projects": []}}))
    );
    b.survived().await;
}

#[tokio::test]
async fn dgraph_refuses_hostile_documents_in_its_shape_and_lives() {
    let mut b = Binary::start().await;
    let (status, account) = b
        .answer(
            "an account",
            b.request(Method::POST, "/_offcloud/dgraph/accounts")
                .json(&json!({"email": "hostile@example.com", "password": "Hostile-Password-1"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{account}");
    let (_, login) = b
        .answer(
            "login",
            b.request(Method::POST, "/dgraph/graphql").json(&json!({
                "query": "query($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
                "variables": {"e": "hostile@example.com", "p": "Hostile-Password-1"}})),
        )
        .await;
    let bearer = format!(
        "Bearer {}",
        login["data"]["login"]["token"].as_str().unwrap()
    );
    let auth = [("authorization", bearer.as_str())];
    hostile_graphql(
        &b,
        "/dgraph/graphql",
        &auth,
        hostile_documents("deployments", "filter"),
        assert_graphql_error,
    )
    .await;
    // Unauthenticated floods of the costly field: password checks wait in a queue.
    let logins = alias_flood(
        "login(email: \"hostile@example.com\", password: \"wrong\")",
        "{ token }",
        100,
    );
    let answer = b
        .answer(
            "100 login aliases",
            b.request(Method::POST, "/dgraph/graphql")
                .json(&json!({ "query": logins })),
        )
        .await;
    assert!(
        answer.1["errors"].is_array(),
        "{}",
        cut(&answer.1.to_string())
    );
    for (method, path) in [
        (Method::POST, "/dgraph/deployments/%FF/api-keys"),
        (Method::DELETE, "/dgraph/deployment/%"),
        (Method::GET, "/dgraph/deployment/%C0%AF"),
    ] {
        let what = format!("{method} {path}");
        let answer = b
            .answer(
                &what,
                b.request(method, path)
                    .header("authorization", &bearer)
                    .json(&json!({"name": [1], "role": {}})),
            )
            .await;
        assert!(answer.0.is_client_error(), "{what}: {}", answer.0);
        assert!(
            answer.1["error"].is_string() || answer.1["errors"][0]["message"].is_string(),
            "{what}: {}",
            answer.1
        );
    }
    far_future_clock(&b).await;
    let (status, deployments) = b
        .answer(
            "deployments after all that",
            b.request(Method::POST, "/dgraph/graphql")
                .header("authorization", &bearer)
                .json(&json!({"query": "{ deployments { uid } }"})),
        )
        .await;
    assert_eq!(
        (status, deployments),
        (StatusCode::OK, json!({"data": {"deployments": []}}))
    );
    b.survived().await;
}

/// The clock refuses times past its latest, and time-driven answers still come.
async fn far_future_clock(b: &Binary) {
    for body in [
        json!({"set": "9999-12-31T23:59:59Z"}),
        json!({"set": "+275760-09-13T00:00:00Z"}),
        json!({"advance": "100000000d"}),
        json!({"advance": "18446744073709551615s"}),
        json!({"advance": -1}),
        json!({"set": 1e300}),
    ] {
        let what = format!("POST /_offcloud/clock {body}");
        let answer = b
            .answer(
                &what,
                b.request(Method::POST, "/_offcloud/clock").json(&body),
            )
            .await;
        assert_control(&what, &answer);
    }
}

#[tokio::test]
async fn the_control_api_refuses_hostile_input_in_its_shape_and_lives() {
    let mut b = Binary::start().await;
    for route in [
        "/_offcloud/faults",
        "/_offcloud/typedb/tokens",
        "/_offcloud/hasura/users",
        "/_offcloud/dgraph/accounts",
        "/_offcloud/clock",
    ] {
        hostile_bodies(&b, route, &[], assert_control).await;
    }
    // Pact's state changes ignore fields they do not know (a body without a state is a reset).
    let what = "POST /_offcloud/provider-states with a body over the limit";
    let answer = b
        .oversized(what, "POST", "/_offcloud/provider-states", &[])
        .await;
    assert_control(what, &answer);
    for (case, body) in [
        ("JSON nested 100,000 deep", deep_json(100_000).into_bytes()),
        ("invalid UTF-8", INVALID_UTF8.to_vec()),
        (
            "a state of the wrong type",
            br#"{"state": ["a"], "action": 3}"#.to_vec(),
        ),
    ] {
        let what = format!("POST /_offcloud/provider-states with {case}");
        let answer = b
            .answer(
                &what,
                b.request(Method::POST, "/_offcloud/provider-states")
                    .header(CONTENT_TYPE, "application/json")
                    .body(body),
            )
            .await;
        assert_control(&what, &answer);
    }
    let put_state = |body: Vec<u8>| {
        b.request(Method::PUT, "/_offcloud/state")
            .header(CONTENT_TYPE, "application/json")
            .body(body)
    };
    let what = "PUT /_offcloud/state with a body over the limit";
    let answer = b.oversized(what, "PUT", "/_offcloud/state", &[]).await;
    assert_control(what, &answer);
    for (case, body) in [
        ("JSON nested 100,000 deep", deep_json(100_000).into_bytes()),
        ("invalid UTF-8", INVALID_UTF8.to_vec()),
        (
            "a table of the wrong type",
            json!({"version": 1, "sessions": {"default": {"tables": {"memgraph_tenants": 3}}}})
                .to_string()
                .into_bytes(),
        ),
    ] {
        let what = format!("PUT /_offcloud/state with {case}");
        let answer = b.answer(&what, put_state(body)).await;
        assert_control(&what, &answer);
    }
    // Fixture documents are YAML: nesting and aliases ("billion laughs") are bounded too.
    let laughs = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n\
                  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n\
                  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n\
                  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n\
                  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
    for (case, body) in [
        (
            "YAML nested 100,000 deep",
            format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000)),
        ),
        (
            "YAML nested 100,000 deep in blocks",
            (0..100_000)
                .map(|i| format!("{}- \n", " ".repeat(i % 200)))
                .collect(),
        ),
        (
            "YAML aliases that expand a billion times",
            laughs.to_owned(),
        ),
        (
            "YAML of the wrong types",
            "memgraph:\n  tenants: 3\n".to_owned(),
        ),
    ] {
        let what = format!("POST /_offcloud/fixtures with {case}");
        let answer = b
            .answer(
                &what,
                b.request(Method::POST, "/_offcloud/fixtures")
                    .header(CONTENT_TYPE, "application/yaml")
                    .body(body),
            )
            .await;
        assert_control(&what, &answer);
    }
    for (method, path) in [
        (Method::DELETE, "/_offcloud/sessions/%FF"),
        (Method::DELETE, "/_offcloud/faults/%"),
        (
            Method::GET,
            "/_offcloud/requests?limit=%FF&status=99999999999999999999",
        ),
        (Method::GET, "/_offcloud/state?session=%C0%AF"),
        (Method::GET, "/_offcloud/tables/memgraph/%FF"),
        (Method::GET, "/_offcloud/openapi/%"),
    ] {
        let what = format!("{method} {path}");
        let answer = b.answer(&what, b.request(method, path)).await;
        assert_control(&what, &answer);
    }
    for session in ["%FF", "a%00b", "a%2Fb", "%20", &"s".repeat(10_000)] {
        let what = format!("session {}", cut(session));
        let answer = b
            .answer(
                &what,
                b.request(Method::GET, &format!("/_session/{session}/_offcloud/clock")),
            )
            .await;
        assert_control(&what, &answer);
    }
    far_future_clock(&b).await;
    b.survived().await;
}
