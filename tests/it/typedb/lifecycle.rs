//! Statuses move on the session clock: starting → running, suspending → suspended,
//! resuming → running, destroying → gone; wrong-state actions are refused.

use std::time::Duration;

use offcloud::config::Ttl;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{BAD, OK, assert_error, bearer, call, clusters, free_cluster, paid_cluster};
use crate::support::{TestServer, test_config};

fn servers(cluster: &Value) -> Vec<&str> {
    cluster["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_cluster_goes_through_its_whole_lifecycle_on_the_clock() {
    let s = TestServer::start().await;
    let token = bearer(&s, "t", "default", "admin").await;
    let path = clusters("t", "default", "/c");
    let mut body = paid_cluster("c");
    body["serverCount"] = json!(3);
    body["version"] = json!("2.29.3");
    let (_, deployed) = call(
        &s,
        "POST",
        &clusters("t", "default", "/deploy"),
        Some(&token),
        Some(body),
    )
    .await;
    assert_eq!(
        (deployed["status"].as_str(), servers(&deployed)),
        (Some("starting"), vec!["pending"; 3])
    );
    let get = || call(&s, "GET", &path, Some(&token), None);
    s.advance("default", Duration::from_millis(2900)).await;
    assert_eq!(get().await.1["status"], "starting");
    s.advance("default", Duration::from_millis(100)).await;
    let (_, running) = get().await;
    assert_eq!(
        (running["status"].as_str(), servers(&running)),
        (Some("running"), vec!["running"; 3])
    );
    assert_eq!(
        running["servers"][0]["address"],
        deployed["servers"][0]["address"]
    );

    let (status, suspending) = call(
        &s,
        "POST",
        &clusters("t", "default", "/c/suspend"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, OK);
    assert_eq!(
        (suspending["status"].as_str(), servers(&suspending)),
        (Some("suspending"), vec!["running"; 3])
    );
    s.advance("default", Duration::from_secs(3)).await;
    let (_, suspended) = get().await;
    assert_eq!(suspended["status"], "suspended");
    assert_eq!(suspended["servers"], json!([]));

    let (status, resuming) = call(
        &s,
        "POST",
        &clusters("t", "default", "/c/resume"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, OK);
    assert_eq!(
        (resuming["status"].as_str(), servers(&resuming)),
        (Some("resuming"), vec!["pending"; 3])
    );
    assert_eq!(
        resuming["servers"][2]["address"], deployed["servers"][2]["address"],
        "addresses are stable"
    );
    s.advance("default", Duration::from_secs(3)).await;
    assert_eq!(get().await.1["status"], "running");

    let (status, destroying) = call(&s, "DELETE", &path, Some(&token), None).await;
    assert_eq!(status, OK);
    assert_eq!(
        (destroying["status"].as_str(), servers(&destroying)),
        (Some("destroying"), vec!["running"; 3])
    );
    assert_eq!(
        call(&s, "GET", &clusters("t", "default", ""), Some(&token), None)
            .await
            .1[0]["status"],
        "destroying"
    );
    s.advance("default", Duration::from_secs(3)).await;
    assert_error(&get().await, StatusCode::NOT_FOUND, "NOT_FOUND");
    assert_eq!(
        call(&s, "GET", &clusters("t", "default", ""), Some(&token), None).await,
        (OK, json!([]))
    );
    // The id can be used again once its cluster is gone.
    let again = call(
        &s,
        "POST",
        &clusters("t", "default", "/deploy"),
        Some(&token),
        Some(paid_cluster("c")),
    )
    .await;
    assert_eq!(again.0, OK);
}

#[tokio::test]
async fn the_list_example_shows_a_running_and_a_suspended_cluster() {
    let s = TestServer::start().await;
    let token = bearer(&s, "my-team", "default", "write").await;
    let deploy = clusters("my-team", "default", "/deploy");
    call(
        &s,
        "POST",
        &deploy,
        Some(&token),
        Some(free_cluster("my-cluster")),
    )
    .await;
    call(
        &s,
        "POST",
        &deploy,
        Some(&token),
        Some(paid_cluster("my-cluster-2")),
    )
    .await;
    s.advance("default", Duration::from_secs(3)).await;
    call(
        &s,
        "POST",
        &clusters("my-team", "default", "/my-cluster-2/suspend"),
        Some(&token),
        None,
    )
    .await;
    s.advance("default", Duration::from_secs(3)).await;
    let (_, listed) = call(
        &s,
        "GET",
        &clusters("my-team", "default", ""),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(listed[0]["status"], "running");
    assert_eq!(servers(&listed[0]), ["running"]);
    assert_eq!(listed[1]["status"], "suspended");
    assert_eq!(listed[1]["servers"], json!([]));
}

#[tokio::test]
async fn actions_in_the_wrong_state_are_refused_with_400() {
    let s = TestServer::start().await;
    let token = bearer(&s, "t", "default", "admin").await;
    call(
        &s,
        "POST",
        &clusters("t", "default", "/deploy"),
        Some(&token),
        Some(paid_cluster("c")),
    )
    .await;
    let act = |action: &'static str| {
        let path = clusters("t", "default", &format!("/c/{action}"));
        let token = token.clone();
        let s = &s;
        async move { call(s, "POST", &path, Some(&token), None).await }
    };
    // starting: neither suspend nor resume.
    assert_error(&act("suspend").await, BAD, "FAILED_PRECONDITION");
    assert_error(&act("resume").await, BAD, "FAILED_PRECONDITION");
    s.advance("default", Duration::from_secs(3)).await;
    assert_error(&act("resume").await, BAD, "FAILED_PRECONDITION");
    assert_eq!(act("suspend").await.0, OK);
    assert_error(&act("suspend").await, BAD, "FAILED_PRECONDITION");
    assert_error(&act("resume").await, BAD, "FAILED_PRECONDITION");
    s.advance("default", Duration::from_secs(3)).await;
    // Destroyed while suspended: no servers.
    let path = clusters("t", "default", "/c");
    let (status, destroying) = call(&s, "DELETE", &path, Some(&token), None).await;
    assert_eq!((status, &destroying["servers"]), (OK, &json!([])));
    assert_error(
        &call(&s, "DELETE", &path, Some(&token), None).await,
        BAD,
        "FAILED_PRECONDITION",
    );
    assert_error(&act("resume").await, BAD, "FAILED_PRECONDITION");
    assert_error(
        &call(&s, "PATCH", &path, Some(&token), Some(json!({"id": "d"}))).await,
        BAD,
        "FAILED_PRECONDITION",
    );
    assert_error(
        &call(
            &s,
            "POST",
            &clusters("t", "default", "/c/clone"),
            Some(&token),
            Some(json!({"id": "d"})),
        )
        .await,
        BAD,
        "FAILED_PRECONDITION",
    );
}

#[tokio::test]
async fn suspending_and_resuming_a_free_cluster_is_allowed() {
    let s = TestServer::start().await;
    let token = bearer(&s, "t", "default", "write").await;
    call(
        &s,
        "POST",
        &clusters("t", "default", "/deploy"),
        Some(&token),
        Some(free_cluster("f")),
    )
    .await;
    s.advance("default", Duration::from_secs(3)).await;
    assert_eq!(
        call(
            &s,
            "POST",
            &clusters("t", "default", "/f/suspend"),
            Some(&token),
            None
        )
        .await
        .0,
        OK
    );
    s.advance("default", Duration::from_secs(3)).await;
    assert_eq!(
        call(
            &s,
            "POST",
            &clusters("t", "default", "/f/resume"),
            Some(&token),
            None
        )
        .await
        .0,
        OK
    );
}

#[tokio::test]
async fn durations_are_flags_and_zero_settles_at_the_next_read() {
    let mut config = test_config();
    config.typedb.starting = Ttl(Duration::ZERO);
    config.typedb.destroying = Ttl(Duration::ZERO);
    config.typedb.suspending = Ttl(Duration::from_secs(60));
    let s = TestServer::start_with(config).await;
    let token = bearer(&s, "t", "default", "admin").await;
    let (_, deployed) = call(
        &s,
        "POST",
        &clusters("t", "default", "/deploy"),
        Some(&token),
        Some(paid_cluster("c")),
    )
    .await;
    assert_eq!(
        deployed["status"], "starting",
        "the deploy answer is always starting"
    );
    let path = clusters("t", "default", "/c");
    assert_eq!(
        call(&s, "GET", &path, Some(&token), None).await.1["status"],
        "running"
    );
    call(
        &s,
        "POST",
        &clusters("t", "default", "/c/suspend"),
        Some(&token),
        None,
    )
    .await;
    s.advance("default", Duration::from_secs(59)).await;
    assert_eq!(
        call(&s, "GET", &path, Some(&token), None).await.1["status"],
        "suspending"
    );
    s.advance("default", Duration::from_secs(1)).await;
    assert_eq!(
        call(&s, "GET", &path, Some(&token), None).await.1["status"],
        "suspended"
    );
    call(&s, "DELETE", &path, Some(&token), None).await;
    assert_error(
        &call(&s, "GET", &path, Some(&token), None).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    );
}

#[tokio::test]
async fn clusters_in_one_session_do_not_move_with_another_sessions_clock() {
    let s = TestServer::start().await;
    let token = bearer(&s, "t", "default", "write").await;
    call(
        &s,
        "POST",
        &clusters("t", "default", "/deploy"),
        Some(&token),
        Some(free_cluster("f")),
    )
    .await;
    s.advance("other", Duration::from_secs(60)).await;
    let path = clusters("t", "default", "/f");
    assert_eq!(
        call(&s, "GET", &path, Some(&token), None).await.1["status"],
        "starting"
    );
}

#[tokio::test]
async fn the_control_api_can_force_a_status() {
    let s = TestServer::start().await;
    let token = bearer(&s, "t", "default", "write").await;
    call(
        &s,
        "POST",
        &clusters("t", "default", "/deploy"),
        Some(&token),
        Some(free_cluster("f")),
    )
    .await;
    let force = |status: &str, id: &str| {
        s.http
            .put(s.main_url(&format!(
                "/_offcloud/typedb/teams/t/spaces/default/clusters/{id}/status"
            )))
            .json(&json!({ "status": status }))
    };
    let (status, forced) = crate::support::send(force("suspended", "f")).await;
    assert_eq!(status, OK, "{forced}");
    assert_eq!(
        (&forced["status"], &forced["servers"]),
        (&json!("suspended"), &json!([]))
    );
    let path = clusters("t", "default", "/f");
    assert_eq!(call(&s, "GET", &path, Some(&token), None).await.1, forced);
    let (status, _) = crate::support::send(force("running", "f")).await;
    assert_eq!(status, OK);
    assert_eq!(
        call(&s, "GET", &path, Some(&token), None).await.1["status"],
        "running"
    );
    let (status, body) = crate::support::send(force("exploded", "f")).await;
    assert_eq!(status, BAD);
    assert!(body["error"].is_string());
    let (status, body) = crate::support::send(force("running", "nope")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"].is_string());
}

#[tokio::test]
async fn the_global_lifecycle_flag_makes_transitions_instant_unless_a_service_flag_says_otherwise()
{
    let args = ["offcloud", "--lifecycle", "0", "--typedb-suspending", "1h"];
    let mut config = offcloud::config::Cli::try_parse_resolved(args)
        .unwrap()
        .config;
    let ports = test_config();
    (config.bind, config.port, config.memgraph.port) =
        (ports.bind, ports.port, ports.memgraph.port);
    (config.typedb.port, config.hasura.port, config.dgraph.port) =
        (ports.typedb.port, ports.hasura.port, ports.dgraph.port);
    let s = TestServer::start_with(config).await;
    let token = bearer(&s, "t", "default", "admin").await;
    call(
        &s,
        "POST",
        &clusters("t", "default", "/deploy"),
        Some(&token),
        Some(paid_cluster("c")),
    )
    .await;
    let path = clusters("t", "default", "/c");
    let get = || call(&s, "GET", &path, Some(&token), None);
    assert_eq!(get().await.1["status"], "running");

    call(
        &s,
        "POST",
        &clusters("t", "default", "/c/suspend"),
        Some(&token),
        None,
    )
    .await;
    s.advance("default", Duration::from_secs(59 * 60)).await;
    assert_eq!(get().await.1["status"], "suspending");
}
