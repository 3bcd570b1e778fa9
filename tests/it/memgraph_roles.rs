//! Who may call what: a role × endpoint matrix (spec §5.2, §5.6), and tenant isolation (§5.1).

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{TestServer, send, str_of};

#[tokio::test]
async fn every_route_checks_the_callers_role() {
    let s = TestServer::start().await;
    let a = s.onboard("matrix@example.com").await;
    let (_, editor) = s.user_with_role(&a, "editor@example.com", "editor").await;
    let (_, viewer) = s.user_with_role(&a, "viewer@example.com", "viewer").await;
    let (victim, _) = s.user_with_role(&a, "victim@example.com", "viewer").await;

    enum As {
        Admin,
        Editor,
        Viewer,
        Key,
        Nobody,
    }
    // (method, path, body) → expected status for admin, editor, viewer, API key, no credentials.
    let user = format!("/v1/users/{victim}");
    let key_path = "/v1/api-keys/unknown";
    let matrix: Vec<(&str, &str, Option<serde_json::Value>, [u16; 5])> = vec![
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
        ("DELETE", key_path, None, [404, 403, 403, 401, 401]),
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
        ("GET", "/v1/admin/export", None, [200, 403, 403, 401, 401]),
        ("GET", "/health", None, [200, 200, 200, 200, 200]),
        ("GET", "/metrics", None, [200, 200, 200, 200, 200]),
    ];
    for (method, path, body, expected) in &matrix {
        for (who, want) in [As::Admin, As::Editor, As::Viewer, As::Key, As::Nobody]
            .into_iter()
            .zip(expected)
        {
            let mut request = s.http.request(method.parse().unwrap(), s.mg(path));
            request = match who {
                As::Admin => request.bearer_auth(&a.token),
                As::Editor => request.bearer_auth(&editor),
                As::Viewer => request.bearer_auth(&viewer),
                As::Key => request.header("X-API-KEY", &a.api_key),
                As::Nobody => request,
            };
            if let Some(body) = body {
                request = request.json(body);
            }
            let (status, response) = send(request).await;
            assert_eq!(status.as_u16(), *want, "{method} {path}: {response}");
            if status == StatusCode::FORBIDDEN {
                assert_eq!(response, json!({"detail": "Insufficient permissions"}));
            }
        }
    }
    // And the admin may delete, last.
    let (status, _) = send(s.http.delete(s.mg(&user)).bearer_auth(&editor)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = send(s.http.delete(s.mg(&user)).bearer_auth(&a.token)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn one_tenant_never_sees_anothers_users_or_keys() {
    let s = TestServer::start().await;
    let a = s.onboard("tenant-a@example.com").await;
    let b = s.onboard("tenant-b@example.com").await;
    let (status, created) = send(
        s.http
            .post(s.mg("/v1/api-keys"))
            .bearer_auth(&b.token)
            .json(&json!({"name": "b-key"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let b_key_id = str_of(&created["id"]);
    let b_key = str_of(&created["api_key"]);

    let (_, users) = send(s.http.get(s.mg("/v1/users")).bearer_auth(&a.token)).await;
    assert_eq!(users.as_array().unwrap().len(), 1);
    assert_eq!(users[0]["id"], json!(a.user_id));
    let (_, keys) = send(s.http.get(s.mg("/v1/api-keys")).bearer_auth(&a.token)).await;
    assert!(
        keys.as_array()
            .unwrap()
            .iter()
            .all(|k| k["id"] != json!(b_key_id))
    );

    let not_found = |what: &str| json!({"detail": format!("{what} not found")});
    let b_user = format!("/v1/users/{}", b.user_id);
    let (status, body) = send(s.http.get(s.mg(&b_user)).bearer_auth(&a.token)).await;
    assert_eq!((status, body), (StatusCode::NOT_FOUND, not_found("User")));
    let (status, body) = send(
        s.http
            .patch(s.mg(&b_user))
            .bearer_auth(&a.token)
            .json(&json!({"role": "viewer"})),
    )
    .await;
    assert_eq!((status, body), (StatusCode::NOT_FOUND, not_found("User")));
    let (status, body) = send(s.http.delete(s.mg(&b_user)).bearer_auth(&a.token)).await;
    assert_eq!((status, body), (StatusCode::NOT_FOUND, not_found("User")));
    let (status, body) = send(
        s.http
            .delete(s.mg(&format!("/v1/api-keys/{b_key_id}")))
            .bearer_auth(&a.token),
    )
    .await;
    assert_eq!(
        (status, body),
        (StatusCode::NOT_FOUND, not_found("API key"))
    );

    // B's key and B's admin are untouched.
    let (status, who) = send(
        s.http
            .get(s.mg("/v1/auth/whoami"))
            .header("X-API-KEY", &b_key),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(who["tenant_id"], json!(b.tenant_id));
    let (_, me) = send(s.http.get(s.mg("/v1/auth/me")).bearer_auth(&b.token)).await;
    assert_eq!(me["role"], "admin");
    // A's tenant reads are A's.
    let (_, tenant) = send(
        s.http
            .get(s.mg("/v1/tenant"))
            .header("X-API-KEY", &a.api_key),
    )
    .await;
    assert_eq!(tenant["id"], json!(a.tenant_id));
    let (_, export) = send(s.http.get(s.mg("/v1/admin/export")).bearer_auth(&a.token)).await;
    assert!(!export.to_string().contains(&b.email));
}
