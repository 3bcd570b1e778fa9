//! Access levels per token, and isolation: a token sees only its own team's space.

use reqwest::StatusCode;
use serde_json::json;

use super::{OK, assert_error, bearer, call, clusters, listed_ids, paid_cluster};
use crate::support::TestServer;

const FORBIDDEN: StatusCode = StatusCode::FORBIDDEN;

#[tokio::test]
async fn each_level_can_do_what_the_access_matrix_says() {
    let s = TestServer::start().await;
    let admin = bearer(&s, "t", "default", "admin").await;
    let write = bearer(&s, "t", "default", "write").await;
    let read = bearer(&s, "t", "default", "read").await;
    let deploy = clusters("t", "default", "/deploy");
    call(&s, "POST", &deploy, Some(&admin), Some(paid_cluster("c"))).await;
    s.advance("default", std::time::Duration::from_secs(3))
        .await;

    // read: get and list only.
    assert_eq!(
        call(&s, "GET", &clusters("t", "default", ""), Some(&read), None)
            .await
            .0,
        OK
    );
    assert_eq!(
        call(
            &s,
            "GET",
            &clusters("t", "default", "/c"),
            Some(&read),
            None
        )
        .await
        .0,
        OK
    );
    let writes = [
        ("POST", deploy.clone(), Some(paid_cluster("r"))),
        ("POST", clusters("t", "default", "/c/suspend"), None),
        ("POST", clusters("t", "default", "/c/resume"), None),
        (
            "POST",
            clusters("t", "default", "/c/clone"),
            Some(json!({"id": "r"})),
        ),
        (
            "PATCH",
            clusters("t", "default", "/c"),
            Some(json!({"id": "r"})),
        ),
        ("DELETE", clusters("t", "default", "/c"), None),
    ];
    for (method, path, body) in &writes {
        let answer = call(&s, method, path, Some(&read), body.clone()).await;
        assert_error(&answer, FORBIDDEN, "PERMISSION_DENIED");
    }
    // write: everything but destroy.
    let answer = call(
        &s,
        "DELETE",
        &clusters("t", "default", "/c"),
        Some(&write),
        None,
    )
    .await;
    assert_error(&answer, FORBIDDEN, "PERMISSION_DENIED");
    assert_eq!(
        call(&s, "POST", &deploy, Some(&write), Some(paid_cluster("w")))
            .await
            .0,
        OK
    );
    assert_eq!(
        call(
            &s,
            "POST",
            &clusters("t", "default", "/c/suspend"),
            Some(&write),
            None
        )
        .await
        .0,
        OK
    );
    assert_eq!(
        call(
            &s,
            "POST",
            &clusters("t", "default", "/c/clone"),
            Some(&write),
            Some(json!({"id": "w2"}))
        )
        .await
        .0,
        OK
    );
    assert_eq!(
        call(
            &s,
            "PATCH",
            &clusters("t", "default", "/w"),
            Some(&write),
            Some(json!({"id": "w3"}))
        )
        .await
        .0,
        OK
    );
    assert_eq!(
        call(
            &s,
            "GET",
            &clusters("t", "default", "/w3"),
            Some(&write),
            None
        )
        .await
        .0,
        OK
    );
    // admin: destroy too.
    assert_eq!(
        call(
            &s,
            "DELETE",
            &clusters("t", "default", "/w3"),
            Some(&admin),
            None
        )
        .await
        .0,
        OK
    );
    // Nothing a refused request touched has changed.
    let ids = listed_ids(&s, &read).await;
    assert_eq!(ids, ["c", "w3", "w2"]);
}

#[tokio::test]
async fn a_token_sees_nothing_of_another_space_or_team() {
    let s = TestServer::start().await;
    let mine = bearer(&s, "t", "default", "admin").await;
    let other_space = bearer(&s, "t", "staging", "admin").await;
    let other_team = bearer(&s, "u", "default", "admin").await;
    call(
        &s,
        "POST",
        &clusters("t", "default", "/deploy"),
        Some(&mine),
        Some(paid_cluster("c")),
    )
    .await;
    for token in [&other_space, &other_team] {
        for (method, path) in [
            ("GET", clusters("t", "default", "")),
            ("GET", clusters("t", "default", "/c")),
            ("GET", clusters("t", "default", "/missing")),
            ("DELETE", clusters("t", "default", "/c")),
            ("POST", clusters("t", "default", "/c/suspend")),
            ("GET", clusters("nobody", "nowhere", "/c")),
        ] {
            let answer = call(&s, method, &path, Some(token), None).await;
            assert_error(&answer, StatusCode::FORBIDDEN, "PERMISSION_DENIED");
        }
        let deploy = call(
            &s,
            "POST",
            &clusters("t", "default", "/deploy"),
            Some(token),
            Some(paid_cluster("x")),
        )
        .await;
        assert_error(&deploy, StatusCode::FORBIDDEN, "PERMISSION_DENIED");
    }
    // Their own spaces are empty; the same id means a different cluster there.
    assert_eq!(
        call(
            &s,
            "GET",
            &clusters("t", "staging", ""),
            Some(&other_space),
            None
        )
        .await,
        (OK, json!([]))
    );
    assert_eq!(
        call(
            &s,
            "GET",
            &clusters("u", "default", ""),
            Some(&other_team),
            None
        )
        .await,
        (OK, json!([]))
    );
    assert_error(
        &call(
            &s,
            "GET",
            &clusters("u", "default", "/c"),
            Some(&other_team),
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    );
    assert_eq!(
        call(
            &s,
            "GET",
            &clusters("t", "default", "/c"),
            Some(&mine),
            None
        )
        .await
        .0,
        OK
    );
}
