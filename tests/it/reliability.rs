//! What a shared, long-running offcloud must survive: a clock moved as far as it goes (every time
//! derived from it still representable), times from requests beyond what can be written, and many
//! password checks at once.

use std::time::Duration;

use offcloud::config::Ttl;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestServer, send, str_of};

async fn set_clock(s: &TestServer, body: Value) -> (StatusCode, Value) {
    send(s.http.post(s.main_url("/_offcloud/clock")).json(&body)).await
}

#[tokio::test]
async fn the_clock_refuses_a_set_or_advance_past_its_latest_time_with_a_400() {
    let s = TestServer::start().await;
    let (status, body) = set_clock(&s, json!({"set": "9999-12-31T23:59:59Z"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"error": "\"set\" must not move the clock past 9000-01-01T00:00:00Z, the latest time it shows"})
    );

    let (status, body) = set_clock(&s, json!({"set": "8999-12-31T00:00:00Z"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = set_clock(&s, json!({"advance": "2d"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"error": "\"advance\" must not move the clock past 9000-01-01T00:00:00Z, the latest time it shows"})
    );
    let (_, now) = send(s.http.get(s.main_url("/_offcloud/clock"))).await;
    assert!(
        str_of(&now["now"]).starts_with("8999-12-31T00:00:0"),
        "{now}"
    );

    // The session is still usable.
    let a = s.onboard("late@example.com").await;
    let (status, me) = s.get("/v1/auth/me", a.bearer()).await;
    assert_eq!(status, StatusCode::OK, "{me}");
}

#[tokio::test]
async fn a_state_document_whose_clock_is_past_the_latest_time_is_refused() {
    let s = TestServer::start().await;
    let (status, mut document) = send(s.http.get(s.main_url("/_offcloud/state"))).await;
    assert_eq!(status, StatusCode::OK);
    document["sessions"]["default"]["clock_offset_ms"] = json!(u64::MAX);
    let (status, body) = send(s.http.put(s.main_url("/_offcloud/state")).json(&document)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"error": "session \"default\": clock_offset_ms puts the clock past 9000-01-01T00:00:00Z, the latest time it shows"})
    );
}

/// Every duration flag at its longest (100 years), the clock at its latest: tokens, lifecycles
/// and preview-app jobs of every service are still issued, listed and read.
#[tokio::test]
async fn at_the_latest_time_with_the_longest_durations_every_service_still_answers() {
    let longest = Ttl(offcloud::clock::LONGEST);
    let mut config = crate::dgraph::dgraph_config();
    for service in offcloud::services::all().iter() {
        for (_, duration) in service.lifecycle_durations(&mut config) {
            *duration = longest;
        }
    }
    config.memgraph.jwt_ttl = longest;
    config.typedb.token_ttl = longest;
    config.dgraph.token_ttl = longest;
    let s = TestServer::start_with(config).await;
    let (status, body) = set_clock(&s, json!({"set": "9000-01-01T00:00:00Z"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["now"], "9000-01-01T00:00:00.000000Z");

    // Memgraph: a token good for a century, a belief, an episode.
    let a = s.onboard("century@example.com").await;
    let (status, me) = s.get("/v1/auth/me", a.bearer()).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    let (status, belief) = s
        .post(
            "/v1/beliefs",
            a.key(),
            json!({"subject_id": "u", "key": "k", "value": "v"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{belief}");
    assert_eq!(belief["created_at"], "9000-01-01T00:00:00.000000Z");
    let (status, health) = s.get("/v1/dreaming/health", a.key()).await;
    assert_eq!(status, StatusCode::OK, "{health}");

    // TypeDB: a cluster that starts for a century.
    let token = crate::typedb::bearer(&s, "team", "default", "write").await;
    let (status, cluster) = crate::typedb::call(
        &s,
        "POST",
        &crate::typedb::clusters("team", "default", "/deploy"),
        Some(&token),
        Some(crate::typedb::free_cluster("late")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{cluster}");
    assert_eq!(cluster["status"], "starting");

    // Dgraph: a Cerebro token and a deployment created a century from now.
    let cerebro_token = crate::dgraph::account(&s, "century@example.com").await;
    let (status, created) = crate::dgraph::cerebro(
        &s,
        Some(&cerebro_token),
        "mutation C($d: NewDeployment!) { createDeployment(input: $d) { uid name } }",
        json!({"d": {"name": "late", "zone": "us-east-1", "deploymentType": "free"}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(created.get("errors").is_none(), "{created}");
    let (status, listed) = crate::dgraph::cerebro(
        &s,
        Some(&cerebro_token),
        "{ deployments { uid name } }",
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["data"]["deployments"][0]["name"], "late", "{listed}");

    // Hasura: a preview app whose seven steps take a century each.
    let (status, user) = send(
        s.http
            .post(s.main_url("/_offcloud/hasura/users"))
            .json(&json!({"email": "century@example.com"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let hasura = |query: &str, variables: Value| {
        s.http
            .post(format!("http://{}/v1/graphql", s.hasura))
            .header("authorization", format!("pat {}", str_of(&user["pat"])))
            .json(&json!({"query": query, "variables": variables}))
    };
    let (status, created) = send(hasura(
        "mutation { createGitHubPreviewApp(payload: {githubPersonalAccessToken: \"ghp_x\", \
         githubRepoDetails: {branch: \"b\", owner: \"o\", repo: \"r\", directory: \"d\"}, \
         projectOptions: {cloud: \"aws\", region: \"us-east-2\", plan: \"cloud_free\", name: \"late-app\"}}) \
         { githubPreviewAppJobID } }",
        json!({}),
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(created.get("errors").is_none(), "{created}");
    let job = &created["data"]["createGitHubPreviewApp"]["githubPreviewAppJobID"];
    let (status, polled) = send(hasura(
        "query J($id: uuid!) { jobs_by_pk(id: $id) { status } }",
        json!({"id": job}),
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        polled["data"]["jobs_by_pk"]["status"], "running",
        "{polled}"
    );
}

#[tokio::test]
async fn a_time_past_year_9999_in_utc_is_not_a_server_error() {
    let s = TestServer::start().await;
    let a = s.onboard("utc@example.com").await;
    // 23:00 five hours west of UTC is already year 10000 in UTC.
    let (status, body) = s
        .get(
            "/v1/beliefs/timeline/u?since=9999-12-31T23:00:00-05:00",
            a.key(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn an_episode_gap_of_billions_of_years_is_not_a_server_error() {
    let s = TestServer::start().await;
    let a = s.onboard("gap@example.com").await;
    let body = json!({"user_id": "u", "event_type": "user_message", "content": {"text": "hi"}});
    let (status, event) = s.post("/v1/events", a.key(), body).await;
    assert_eq!(status, StatusCode::CREATED, "{event}");
    s.advance("default", Duration::from_secs(86_400)).await;
    let (_, health) = s.get("/v1/dreaming/health", a.key()).await;
    assert!(health["last_cycle"].is_string(), "{health}");

    let gap = json!({"settings": {"episode_gap_minutes": 1e15}});
    let (status, tenant) = s.patch("/v1/tenant", a.bearer(), gap).await;
    assert_eq!(status, StatusCode::OK, "{tenant}");
    // The last cycle ended one gap after the episode: past what a time can hold.
    let (status, health) = s.get("/v1/dreaming/health", a.key()).await;
    assert_eq!(status, StatusCode::OK, "{health}");
    assert_eq!(health["last_cycle"], "9999-12-31T23:59:59.999999Z");
}

/// Many `login` aliases in one unauthenticated Cerebro document wait their turn for the password
/// check: every one is answered, the wrong password with Cerebro's error.
#[tokio::test]
async fn login_aliases_in_one_document_are_all_answered() {
    let s = crate::dgraph::start().await;
    let (status, body) = crate::dgraph::create_account(&s, "many@example.com").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let password = crate::dgraph::PASSWORD;
    let mut query = String::from("{");
    for i in 0..8 {
        query.push_str(&format!(
            " a{i}: login(email: \"many@example.com\", password: \"{password}\") {{ token }}"
        ));
    }
    query.push_str(" wrong: login(email: \"many@example.com\", password: \"nope\") { token } }");
    let (status, body) = crate::dgraph::cerebro(&s, None, &query, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    for i in 0..8 {
        let token = &body["data"][format!("a{i}")]["token"];
        assert!(token.as_str().is_some_and(|t| t.len() > 20), "{body}");
    }
    assert_eq!(body["data"]["wrong"], Value::Null);
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{body}");
    assert_eq!(errors[0]["message"], "Invalid email or password");
    assert_eq!(errors[0]["path"], json!(["wrong"]));
}

#[tokio::test]
async fn concurrent_logins_are_all_answered() {
    let s = TestServer::start().await;
    let a = s.onboard("crowd@example.com").await;
    let logins: Vec<_> = (0..8)
        .map(|_| {
            let request = s
                .http
                .post(s.mg("/v1/auth/login"))
                .form(&[("username", &a.email), ("password", &a.password)]);
            tokio::spawn(send(request))
        })
        .collect();
    for login in logins {
        let (status, body) = login.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["token_type"], "bearer");
    }
}
