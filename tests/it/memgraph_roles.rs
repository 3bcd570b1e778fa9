//! Who may call what: a role × endpoint matrix (docs/spec/memgraph.md §5.2, §5.6), and tenant
//! isolation (§5.1).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Auth, TestServer, detail, str_of};

#[tokio::test]
async fn every_route_checks_the_callers_role() {
    let s = TestServer::start().await;
    let a = s.onboard("matrix@example.com").await;
    let (_, editor) = s.user_with_role(&a, "editor@example.com", "editor").await;
    let (_, viewer) = s.user_with_role(&a, "viewer@example.com", "viewer").await;
    let (victim, _) = s.user_with_role(&a, "victim@example.com", "viewer").await;
    let callers = [
        a.bearer(),
        Auth::Bearer(&editor),
        Auth::Bearer(&viewer),
        a.key(),
        Auth::Nobody,
    ];

    let user = format!("/v1/users/{victim}");
    // (method, path, body) → status for: admin, editor, viewer (JWTs), API key, no credentials.
    let matrix: Vec<(&str, &str, Option<Value>, [u16; 5])> = vec![
        ("GET", "/v1/auth/me", None, [200, 200, 200, 401, 401]),
        ("GET", "/v1/auth/whoami", None, [200, 200, 200, 200, 401]),
        ("GET", "/v1/stats", None, [200, 200, 200, 200, 401]),
        ("GET", "/v1/tenant", None, [200, 200, 200, 200, 401]),
        (
            "PATCH",
            "/v1/tenant",
            Some(json!({"sector": "Health"})),
            [200, 403, 403, 401, 401],
        ),
        ("GET", "/v1/api-keys", None, [200, 403, 403, 401, 401]),
        (
            "POST",
            "/v1/api-keys",
            Some(json!({"name": "k"})),
            [201, 403, 403, 401, 401],
        ),
        (
            "DELETE",
            "/v1/api-keys/unknown",
            None,
            [404, 403, 403, 401, 401],
        ),
        ("GET", "/v1/users", None, [200, 403, 403, 401, 401]),
        (
            "POST",
            "/v1/users",
            Some(json!({"email": "new@example.com", "password": "x"})),
            [201, 403, 403, 401, 401],
        ),
        ("GET", &user, None, [200, 403, 403, 401, 401]),
        (
            "PATCH",
            &user,
            Some(json!({"full_name": "V"})),
            [200, 403, 403, 401, 401],
        ),
        ("DELETE", &user, None, [200, 403, 403, 401, 401]),
        ("GET", "/v1/admin/export", None, [200, 403, 403, 401, 401]),
        ("GET", "/health", None, [200, 200, 200, 200, 200]),
        ("GET", "/metrics", None, [200, 200, 200, 200, 200]),
    ];
    for (method, path, body, expected) in &matrix {
        // The admin goes last, so a successful DELETE does not hide the others' answers.
        for (who, want) in callers.iter().zip(expected).rev() {
            let (status, response) = s.call(method, path, *who, body.clone()).await;
            assert_eq!(status.as_u16(), *want, "{method} {path}: {response}");
            if status == StatusCode::FORBIDDEN {
                assert_eq!(response, json!({"detail": "Insufficient permissions"}));
            }
        }
    }
}

#[tokio::test]
async fn one_tenant_never_sees_anothers_users_or_keys() {
    let s = TestServer::start().await;
    let a = s.onboard("tenant-a@example.com").await;
    let b = s.onboard("tenant-b@example.com").await;
    let (status, created) = s
        .post("/v1/api-keys", b.bearer(), json!({"name": "b-key"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let b_key_id = str_of(&created["id"]);
    let b_key = str_of(&created["api_key"]);

    let (_, users) = s.get("/v1/users", a.bearer()).await;
    assert_eq!(users.as_array().unwrap().len(), 1);
    assert_eq!(users[0]["id"], json!(a.user_id));
    let (_, keys) = s.get("/v1/api-keys", a.bearer()).await;
    assert!(
        keys.as_array()
            .unwrap()
            .iter()
            .all(|k| k["id"] != json!(b_key_id))
    );

    // Another tenant's records are not found, whatever is done to them.
    let no_user = detail(StatusCode::NOT_FOUND, "User not found");
    let b_user = format!("/v1/users/{}", b.user_id);
    assert_eq!(s.get(&b_user, a.bearer()).await, no_user);
    assert_eq!(
        s.patch(&b_user, a.bearer(), json!({"role": "viewer"}))
            .await,
        no_user
    );
    assert_eq!(s.delete(&b_user, a.bearer()).await, no_user);
    let revoke = s
        .delete(&format!("/v1/api-keys/{b_key_id}"), a.bearer())
        .await;
    assert_eq!(revoke, detail(StatusCode::NOT_FOUND, "API key not found"));

    // B's key and B's admin are untouched.
    let (status, who) = s.get("/v1/auth/whoami", Auth::Key(&b_key)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(who["tenant_id"], json!(b.tenant_id));
    assert_eq!(s.get("/v1/auth/me", b.bearer()).await.1["role"], "admin");
    // A's tenant reads are A's.
    assert_eq!(
        s.get("/v1/tenant", a.key()).await.1["id"],
        json!(a.tenant_id)
    );
    let (_, export) = s.get("/v1/admin/export", a.bearer()).await;
    assert!(!export.to_string().contains(&b.email));
}
