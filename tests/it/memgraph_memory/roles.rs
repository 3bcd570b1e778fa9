//! Roles on the memory routes (viewers read, editors and keys write) and tenant isolation.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{id_of, log_event, remember};
use crate::support::{Auth, TestServer, detail};

fn forbidden() -> (StatusCode, Value) {
    detail(StatusCode::FORBIDDEN, "Insufficient permissions")
}

#[tokio::test]
async fn viewers_read_but_do_not_write() {
    let s = TestServer::start().await;
    let a = s.onboard("roles@example.com").await;
    let belief = remember(&s, a.key(), "alice", "k", "v").await;
    let event = log_event(&s, a.key(), "alice", None, "hello").await;
    let (_, viewer) = s.user_with_role(&a, "viewer@example.com", "viewer").await;
    let v = Auth::Bearer(&viewer);
    let belief_path = format!("/v1/beliefs/{}", id_of(&belief));
    let event_path = format!("/v1/events/{}", id_of(&event));

    for path in [
        "/v1/events",
        "/v1/episodes",
        "/v1/beliefs",
        "/v1/stats",
        "/v1/dreaming/health",
        "/v1/beliefs/history/alice/k",
        "/v1/beliefs/timeline/alice",
        "/v1/intelligence/health",
        "/v1/intelligence/contradictions",
        &belief_path,
        &event_path,
    ] {
        assert_eq!(s.get(path, v).await.0, StatusCode::OK, "{path}");
    }
    assert_eq!(
        s.post("/v2/context", v, json!({"query": "v"})).await.0,
        StatusCode::OK
    );

    let body = json!({"subject_id": "a", "key": "k", "value": "v"});
    assert_eq!(s.post("/v1/beliefs", v, body.clone()).await, forbidden());
    assert_eq!(
        s.post("/v1/beliefs/batch", v, json!({"beliefs": [body]}))
            .await,
        forbidden()
    );
    assert_eq!(
        s.patch(&belief_path, v, json!({"value": "x"})).await,
        forbidden()
    );
    assert_eq!(s.delete(&belief_path, v).await, forbidden());
    assert_eq!(
        s.delete("/v1/beliefs?subject_id=alice", v).await,
        forbidden()
    );
    assert_eq!(s.delete(&event_path, v).await, forbidden());
    assert_eq!(
        s.post(
            "/v1/events",
            v,
            json!({"user_id": "a", "event_type": "x", "content": {}})
        )
        .await,
        forbidden()
    );
    let ingest = s
        .http
        .post(s.mg("/v1/ingest"))
        .bearer_auth(&viewer)
        .form(&[("user_id", "a"), ("text", "x")]);
    assert_eq!(crate::support::send(ingest).await, forbidden());

    // Editors write.
    let (_, editor) = s.user_with_role(&a, "editor@example.com", "editor").await;
    let (status, _) = s
        .post(
            "/v1/beliefs",
            Auth::Bearer(&editor),
            json!({"subject_id": "a", "key": "k", "value": "v"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        s.delete(&event_path, Auth::Bearer(&editor)).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn memory_routes_need_credentials() {
    let s = TestServer::start().await;
    for (method, path) in [
        ("GET", "/v1/events"),
        ("POST", "/v1/events"),
        ("POST", "/v1/ingest"),
        ("GET", "/v1/episodes"),
        ("GET", "/v1/beliefs"),
        ("POST", "/v1/beliefs"),
        ("DELETE", "/v1/beliefs"),
        ("POST", "/v2/context"),
        ("POST", "/v1/context"),
        ("GET", "/v1/dreaming/health"),
        ("GET", "/v1/beliefs/timeline/a"),
    ] {
        let (status, body) = s.call(method, path, Auth::Nobody, Some(json!({}))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(body, json!({"detail": "Not authenticated"}));
    }
}

#[tokio::test]
async fn one_tenant_never_sees_anothers_memory() {
    let s = TestServer::start().await;
    let a = s.onboard("isoa@example.com").await;
    let b = s.onboard("isob@example.com").await;
    let belief = remember(&s, a.key(), "alice", "secret", "the launch code").await;
    let event = log_event(&s, a.key(), "alice", None, "the launch code").await;
    let episode = event["episode_id"].as_str().unwrap().to_owned();

    assert_eq!(s.get("/v1/beliefs", b.key()).await.1["count"], 0);
    assert_eq!(s.get("/v1/events", b.key()).await.1, json!([]));
    assert_eq!(s.get("/v1/episodes", b.key()).await.1, json!([]));
    assert_eq!(
        s.get("/v1/beliefs/history/alice/secret", b.key()).await.1,
        json!([])
    );
    assert_eq!(
        s.get("/v1/beliefs/timeline/alice", b.key()).await.1["count"],
        0
    );
    let (_, context) = s
        .post("/v2/context", b.key(), json!({"query": "launch code"}))
        .await;
    assert_eq!(context["memories"], json!([]));
    let (_, stats) = s.get("/v1/stats", b.key()).await;
    assert_eq!(
        (
            stats["total_beliefs"].clone(),
            stats["total_events"].clone()
        ),
        (json!(0), json!(0))
    );

    let not_found = |what: &str| detail(StatusCode::NOT_FOUND, format!("{what} not found"));
    let belief_path = format!("/v1/beliefs/{}", id_of(&belief));
    let event_path = format!("/v1/events/{}", id_of(&event));
    assert_eq!(s.get(&belief_path, b.key()).await, not_found("Belief"));
    assert_eq!(
        s.patch(&belief_path, b.key(), json!({"value": "x"})).await,
        not_found("Belief")
    );
    assert_eq!(s.delete(&belief_path, b.key()).await, not_found("Belief"));
    assert_eq!(s.get(&event_path, b.key()).await, not_found("Event"));
    assert_eq!(s.delete(&event_path, b.key()).await, not_found("Event"));
    assert_eq!(
        s.get(&format!("/v1/episodes/{episode}"), b.key()).await,
        not_found("Episode")
    );
    assert_eq!(
        s.delete("/v1/beliefs?subject_id=alice", b.key()).await.1["deleted"],
        0
    );

    // A's records are untouched.
    assert_eq!(s.get(&belief_path, a.key()).await.1, belief);
    assert_eq!(s.get(&event_path, a.key()).await.1, event);
}

#[tokio::test]
async fn bad_input_never_gets_a_server_error() {
    let s = TestServer::start().await;
    let a = s.onboard("sweep@example.com").await;
    let bodies = [
        json!(null),
        json!([]),
        json!("x"),
        json!(1),
        json!({}),
        json!({"subject_id": [], "key": {}, "value": 1, "confidence": "NaN", "belief_type": 1}),
        json!({"beliefs": "x"}),
        json!({"beliefs": [null, 1, {"x": 1}]}),
        json!({"user_id": "\u{0}", "event_type": "x", "content": {"text": "\u{0}"}}),
        json!({"query": "\"*:^ OR NEAR( AND", "user_id": "a"}),
        json!({"query": "", "limit": 0}),
        json!({"version": "1", "events": [{}], "episodes": [1], "beliefs": [{"id": 1}]}),
    ];
    let paths = [
        ("POST", "/v1/beliefs"),
        ("POST", "/v1/beliefs/batch"),
        ("POST", "/v1/events"),
        ("POST", "/v2/context"),
        ("POST", "/v1/context"),
        ("PATCH", "/v1/beliefs/x"),
        ("POST", "/v1/ingest"),
        ("POST", "/v1/admin/import"),
    ];
    for (method, path) in paths {
        for body in &bodies {
            let who = if path.contains("admin") {
                a.bearer()
            } else {
                a.key()
            };
            let (status, answer) = s.call(method, path, who, Some(body.clone())).await;
            assert!(
                status.is_client_error() || status.is_success(),
                "{method} {path} {body}: {status} {answer}"
            );
            assert!(
                answer.get("detail").is_some() || status.is_success(),
                "{answer}"
            );
        }
    }
    for query in [
        "/v1/beliefs?limit=0",
        "/v1/beliefs?limit=x&include_inactive=maybe",
        "/v1/beliefs?cursor=",
        "/v1/beliefs?cursor=bm90IGEgY3Vyc29y",
        "/v1/events?offset=99999999999999999999",
        "/v1/beliefs/timeline/a?since=yesterday&limit=-1",
        "/v1/episodes?limit=%FF",
        "/v1/beliefs/history/a/b?include_inactive=2",
        "/v1/beliefs/%2F",
        "/v1/events/%00",
    ] {
        let (status, answer) = s.get(query, a.key()).await;
        assert!(
            status.is_client_error() || status.is_success(),
            "{query}: {status} {answer}"
        );
    }
    // A raw malformed JSON body.
    let response = s
        .http
        .post(s.mg("/v1/beliefs"))
        .header("X-API-KEY", &a.api_key)
        .header("content-type", "application/json")
        .body("{subject_id: 1}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn every_memory_route_checks_the_callers_role() {
    let s = TestServer::start().await;
    let a = s.onboard("memmatrix@example.com").await;
    let (_, editor) = s
        .user_with_role(&a, "memeditor@example.com", "editor")
        .await;
    let (_, viewer) = s
        .user_with_role(&a, "memviewer@example.com", "viewer")
        .await;
    let callers = [
        a.bearer(),
        Auth::Bearer(&editor),
        Auth::Bearer(&viewer),
        a.key(),
        Auth::Nobody,
    ];
    let belief = json!({"subject_id": "m", "key": "k", "value": "v"});
    let event = json!({"user_id": "m", "event_type": "user_message", "content": {"text": "t"}});
    // (method, path, body) → status for: admin, editor, viewer (JWTs), API key, no credentials.
    let matrix: Vec<(&str, &str, Option<Value>, [u16; 5])> = vec![
        ("POST", "/v1/events", Some(event), [201, 201, 403, 201, 401]),
        ("GET", "/v1/events", None, [200, 200, 200, 200, 401]),
        ("GET", "/v1/events/x", None, [404, 404, 404, 404, 401]),
        ("DELETE", "/v1/events/x", None, [404, 404, 403, 404, 401]),
        ("GET", "/v1/episodes", None, [200, 200, 200, 200, 401]),
        ("GET", "/v1/episodes/x", None, [404, 404, 404, 404, 401]),
        (
            "GET",
            "/v1/dreaming/health",
            None,
            [200, 200, 200, 200, 401],
        ),
        (
            "POST",
            "/v1/beliefs",
            Some(belief.clone()),
            [201, 201, 403, 201, 401],
        ),
        (
            "POST",
            "/v1/beliefs/batch",
            Some(json!({"beliefs": [belief]})),
            [201, 201, 403, 201, 401],
        ),
        ("GET", "/v1/beliefs", None, [200, 200, 200, 200, 401]),
        ("GET", "/v1/beliefs/x", None, [404, 404, 404, 404, 401]),
        (
            "PATCH",
            "/v1/beliefs/x",
            Some(json!({})),
            [404, 404, 403, 404, 401],
        ),
        ("DELETE", "/v1/beliefs/x", None, [404, 404, 403, 404, 401]),
        (
            "DELETE",
            "/v1/beliefs?subject_id=nobody",
            None,
            [200, 200, 403, 200, 401],
        ),
        (
            "GET",
            "/v1/beliefs/history/m/k",
            None,
            [200, 200, 200, 200, 401],
        ),
        (
            "GET",
            "/v1/beliefs/timeline/m",
            None,
            [200, 200, 200, 200, 401],
        ),
        (
            "POST",
            "/v2/context",
            Some(json!({"query": "v"})),
            [200, 200, 200, 200, 401],
        ),
        (
            "POST",
            "/v1/context",
            Some(json!({"query": "v"})),
            [200, 200, 200, 200, 401],
        ),
        (
            "GET",
            "/v1/intelligence/health",
            None,
            [200, 200, 200, 200, 401],
        ),
        (
            "GET",
            "/v1/intelligence/contradictions",
            None,
            [200, 200, 200, 200, 401],
        ),
        ("GET", "/v1/admin/export", None, [200, 403, 403, 401, 401]),
        (
            "POST",
            "/v1/admin/import",
            Some(json!({"version": 1})),
            [200, 403, 403, 401, 401],
        ),
    ];
    for (method, path, body, expected) in matrix {
        for (who, want) in callers.iter().zip(expected) {
            let (status, answer) = s.call(method, path, *who, body.clone()).await;
            assert_eq!(status.as_u16(), want, "{method} {path}: {answer}");
        }
    }
}
