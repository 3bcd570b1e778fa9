//! Hostile input: documents too big, too deep or too wide for any GraphQL entry, one session
//! taking every backend port, and what axum would answer in plain text (undecodable path
//! parameters, bodies over the limit). Always Dgraph's own error shapes, and the server lives on.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::*;

/// Any backend GraphQL entry, with the backend's JWT.
async fn backend_post(s: &TestServer, d: &Value, path: &str, query: &str) -> (StatusCode, Value) {
    data(
        s,
        backend_url(d, path),
        "X-Auth-Token",
        &str_of(&d["jwtToken"]),
        query,
        json!({}),
    )
    .await
}

#[tokio::test]
async fn an_alias_flood_of_deployments_is_refused_in_cerebros_error_shape() {
    let s = start().await;
    let token = account(&s, "flood@example.com").await;
    deployment(&s, &token, "flooded", "free").await;

    // 100k aliases: refused on its size before it is parsed.
    let aliases: String = (0..100_000)
        .map(|i| format!("a{i}: deployments {{ uid }} "))
        .collect();
    let query = format!("{{ {aliases}}}");
    let (status, body) = cerebro(&s, Some(&token), &query, json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"errors": [{"message": format!(
            "the query is {} bytes long; the limit is 262144 (--graphql-max-bytes)",
            query.len()
        )}], "data": null})
    );

    // 3k aliases fit in the size: refused on the fields they select, before any runs.
    let aliases: String = (0..3_000)
        .map(|i| format!("a{i}: deployments {{ uid }} "))
        .collect();
    let (status, body) = cerebro(&s, Some(&token), &format!("{{ {aliases}}}"), json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"errors": [{"message": "the query selects 6000 fields; the limit is 2000 (--graphql-max-fields)"}], "data": null})
    );

    let (status, body) = cerebro(&s, Some(&token), "{ deployments { name } }", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"data": {"deployments": [{"name": "flooded"}]}})
    );
}

#[tokio::test]
async fn a_deep_document_is_refused_before_parsing_on_every_graphql_entry() {
    let s = start().await;
    let token = account(&s, "deep@example.com").await;
    let d = deployment(&s, &token, "deep", "free").await;
    let depth = 10_000;
    let query = format!("{{ a(x: {}{}) }}", "[".repeat(depth), "]".repeat(depth));
    let message = format!(
        "the query nests {} levels deep; the limit is 64 (--graphql-max-depth)",
        depth + 2
    );

    let (status, body) = cerebro(&s, Some(&token), &query, json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"errors": [{"message": message}], "data": null})
    );
    for path in ["/admin", "/admin/slash", "/graphql"] {
        let (status, body) = backend_post(&s, &d, path, &query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(body, json!({"errors": [{"message": message}]}), "{path}");
    }

    // Raw `application/graphql` bodies are measured the same way.
    let (status, body) = send(
        s.http
            .post(dg(&s, "/graphql"))
            .bearer_auth(&token)
            .header("Content-Type", "application/graphql")
            .body(query.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"errors": [{"message": message}], "data": null})
    );

    let (status, _) = admin(&s, &d, GET_SCHEMA, json!({})).await;
    assert_eq!(status, StatusCode::OK, "the server still answers");
}

#[tokio::test]
async fn a_fragment_that_spreads_itself_is_refused_by_a_backends_own_api() {
    let s = start().await;
    let token = account(&s, "cycle@example.com").await;
    let d = deployment(&s, &token, "cycle", "free").await;
    admin(
        &s,
        &d,
        UPDATE_SCHEMA,
        json!({"sch": "type Person { name: String }"}),
    )
    .await;
    // The generated API walks fragments itself: a cycle would never end.
    let query = "query { ...A } fragment A on Query { queryPerson { name } ...A }";
    let (status, body) = backend_post(&s, &d, "/graphql", query).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"errors": [{"message": "fragment \"A\" spreads itself"}]})
    );
    let (status, body) = backend_post(&s, &d, "/graphql", "{ queryPerson { name } }").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"data": {"queryPerson": []}}));
}

#[tokio::test]
async fn a_schema_nested_past_the_limit_is_refused_without_being_parsed() {
    let s = start().await;
    let token = account(&s, "sdl@example.com").await;
    let d = deployment(&s, &token, "sdl", "free").await;
    let depth = 10_000;
    let sdl = format!(
        "type T {{ f: {}String{} }}",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    // The SDL arrives in a variable: the query's own limits never see it.
    let (status, body) = admin(&s, &d, UPDATE_SCHEMA, json!({ "sch": sdl })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"], json!({"updateGQLSchema": null}));
    assert_eq!(
        body["errors"][0]["message"],
        format!(
            "resolving updateGQLSchema failed because the schema nests {} levels deep; the limit is 64 (--graphql-max-depth)",
            depth + 1
        )
    );
}

/// A port nobody listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A Cerebro call in a session, through the `/_session/NAME` prefix.
async fn cerebro_in(
    s: &TestServer,
    session: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> (StatusCode, Value) {
    let mut request = s
        .http
        .post(dg(s, &format!("/_session/{session}/graphql")))
        .json(&json!({"query": query, "variables": variables}));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    send(request).await
}

async fn account_in(s: &TestServer, session: &str, email: &str) -> String {
    let (status, body) = send(
        s.http
            .post(s.main_url(&format!("/_session/{session}/_offcloud/dgraph/accounts")))
            .json(&json!({"email": email, "password": PASSWORD})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, body) = cerebro_in(
        s,
        session,
        None,
        "query($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
        json!({"e": email, "p": PASSWORD}),
    )
    .await;
    str_of(&body["data"]["login"]["token"])
}

const CREATE: &str = "mutation($d: NewDeployment!) { createDeployment(input: $d) { uid url } }";

#[tokio::test]
async fn a_session_holds_at_most_its_quota_of_backend_ports() {
    let mut config = dgraph_config();
    config.dgraph.backend_ports_per_session = 2;
    let s = TestServer::start_with(config).await;
    let token = account_in(&s, "greedy", "greedy@example.com").await;
    let mut uids = Vec::new();
    for name in ["one", "two"] {
        let (_, body) = cerebro_in(
            &s,
            "greedy",
            Some(&token),
            CREATE,
            json!({"d": {"name": name}}),
        )
        .await;
        assert!(body.get("errors").is_none(), "{body}");
        uids.push(str_of(&body["data"]["createDeployment"]["uid"]));
    }
    let (status, body) = cerebro_in(
        &s,
        "greedy",
        Some(&token),
        CREATE,
        json!({"d": {"name": "three"}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"], json!({"createDeployment": null}));
    assert_eq!(
        body["errors"][0]["message"],
        "this session already has 2 backend ports, its quota (see --dgraph-backend-ports-per-session)"
    );

    // Another session has its own quota.
    let other = account_in(&s, "modest", "modest@example.com").await;
    let (_, body) = cerebro_in(
        &s,
        "modest",
        Some(&other),
        CREATE,
        json!({"d": {"name": "mine"}}),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");

    // A delete gives the port back to its session.
    let (_, body) = cerebro_in(
        &s,
        "greedy",
        Some(&token),
        "mutation($id: String!) { deleteDeployment(deploymentID: $id) }",
        json!({"id": uids[0]}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"deleteDeployment": "Successfully deleted the Deployment"}})
    );
    let (_, body) = cerebro_in(
        &s,
        "greedy",
        Some(&token),
        CREATE,
        json!({"d": {"name": "three"}}),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
}

#[tokio::test]
async fn one_session_using_up_the_ports_blocks_neither_the_list_nor_the_deletes_of_another() {
    // One port in all: the session "hog" takes it.
    let port = free_port();
    let mut config = dgraph_config();
    config.dgraph.backend_ports = offcloud::dgraph::PortRange::Range(port, port);
    let s = TestServer::start_with(config).await;
    let hog = account_in(&s, "hog", "hog@example.com").await;
    let (_, body) = cerebro_in(&s, "hog", Some(&hog), CREATE, json!({"d": {"name": "hog"}})).await;
    assert_eq!(
        body["data"]["createDeployment"]["url"],
        format!("127.0.0.1:{port}")
    );
    let hogged = str_of(&body["data"]["createDeployment"]["uid"]);

    // The other session's backend comes from a fixture: it wants a port at its first read.
    let (status, body) = send(
        s.http
            .post(s.main_url("/_offcloud/fixtures?session=victim"))
            .json(&json!({"dgraph": {
                "accounts": [{"email": "victim@example.com", "password": PASSWORD}],
                "deployments": [{"uid": "0xbeef", "owner": "victim@example.com",
                                 "name": "Victim App", "zone": "us-east-1"}],
            }})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, body) = cerebro_in(
        &s,
        "victim",
        None,
        "query($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
        json!({"e": "victim@example.com", "p": PASSWORD}),
    )
    .await;
    let victim = str_of(&body["data"]["login"]["token"]);

    // Listed all the same, reached by its host name until a port is free.
    let list = "{ deployments { uid url } }";
    let (status, body) = cerebro_in(&s, "victim", Some(&victim), list, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"data": {"deployments": [{"uid": "0xbeef", "url": "victim-app.us-east-1.aws.cloud.dgraph.io"}]}})
    );
    // A create has no port to give: refused, and nothing is left behind.
    let (_, body) = cerebro_in(
        &s,
        "victim",
        Some(&victim),
        CREATE,
        json!({"d": {"name": "new"}}),
    )
    .await;
    assert_eq!(
        body["errors"][0]["message"],
        "no free port left for a new backend (see --dgraph-backend-ports)"
    );

    // Once the hog lets go, the victim's backend gets the port at its next read.
    let (_, body) = cerebro_in(
        &s,
        "hog",
        Some(&hog),
        "mutation($id: String!) { deleteDeployment(deploymentID: $id) }",
        json!({"id": hogged}),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
    let (_, body) = cerebro_in(&s, "victim", Some(&victim), list, json!({})).await;
    assert_eq!(
        body,
        json!({"data": {"deployments": [{"uid": "0xbeef", "url": format!("127.0.0.1:{port}")}]}})
    );

    // And a deployment without a port is deleted like any other.
    let (_, body) = cerebro_in(
        &s,
        "hog",
        Some(&hog),
        CREATE,
        json!({"d": {"name": "again"}}),
    )
    .await;
    assert_eq!(
        body["errors"][0]["message"],
        "no free port left for a new backend (see --dgraph-backend-ports)"
    );
    let (status, body) = send(
        s.http
            .delete(dg(&s, "/_session/victim/deployment/0xbeef"))
            .bearer_auth(&victim),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, body) = cerebro_in(&s, "victim", Some(&victim), list, json!({})).await;
    assert_eq!(body, json!({"data": {"deployments": []}}));
}

#[tokio::test]
async fn a_path_parameter_that_does_not_decode_is_not_found_in_dgraphs_shape() {
    let s = start().await;
    let token = account(&s, "pct@example.com").await;
    let d = deployment(&s, &token, "pct", "free").await;
    for (method, path) in [
        ("PATCH", "/deployment/%FF"),
        ("DELETE", "/deployment/%FF"),
        ("POST", "/deployments/%FF/api-keys"),
    ] {
        let (status, body) = send(
            s.http
                .request(method.parse().unwrap(), dg(&s, path))
                .bearer_auth(&token)
                .json(&json!({})),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
        assert_eq!(body, json!({"error": "Not Found"}), "{method} {path}");
    }
    let (status, body) = send(s.http.get(backend_url(&d, "/exports/%FF/g01.json.gz"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({"errors": [{"message": "Not Found"}]}));
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_in_each_fronts_shape() {
    let mut config = dgraph_config();
    config.body_limit = 4096;
    let s = TestServer::start_with(config).await;
    let token = account(&s, "big@example.com").await;
    let d = deployment(&s, &token, "big", "free").await;
    let big = json!({"query": format!("{{ deployments {{ uid }} }} # {}", "x".repeat(8192))});
    let message = "the request body is larger than 4096 bytes (--body-limit)";

    let (status, body) = send(
        s.http
            .post(dg(&s, "/graphql"))
            .bearer_auth(&token)
            .json(&big),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        body,
        json!({"errors": [{"message": message}], "data": null})
    );

    for path in ["/deployments/create", "/command-line/access-token"] {
        let (status, body) = send(s.http.post(dg(&s, path)).bearer_auth(&token).json(&big)).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        assert_eq!(body, json!({"error": message}), "{path}");
    }
    let (status, body) = send(
        s.http
            .post(s.main_url("/_offcloud/dgraph/accounts"))
            .json(&big),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body, json!({"error": message}));

    for path in ["/admin", "/admin/slash", "/graphql", "/mutate"] {
        let (status, body) = send(
            s.http
                .post(backend_url(&d, path))
                .header("X-Auth-Token", str_of(&d["jwtToken"]))
                .json(&big),
        )
        .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        assert_eq!(body, json!({"errors": [{"message": message}]}), "{path}");
    }
}
