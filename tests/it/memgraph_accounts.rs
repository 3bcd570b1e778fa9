//! Memgraph onboarding, login, identity, API keys, users, tenant, stats and export.

use std::time::Duration;

use offcloud::config::{ApiKeyRole, Ttl};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{TestServer, send, str_of, test_config};

#[tokio::test]
async fn health_reports_a_connected_database() {
    let s = TestServer::start().await;
    let (status, body) = send(s.http.get(s.mg("/health"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"status": "healthy", "database": "connected"}));
}

#[tokio::test]
async fn health_is_503_when_the_database_is_gone() {
    let s = TestServer::start().await;
    s.session("down").await.db().close().await;
    let (status, body) = send(s.http.get(s.mg("/_session/down/health"))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        body,
        json!({"status": "unhealthy", "database": "disconnected"})
    );
    // Other routes answer FastAPI's plain 500, never a panic or a dropped connection.
    let response = s
        .http
        .post(s.mg("/_session/down/v1/auth/login"))
        .form(&[("username", "a@b.co"), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(response.text().await.unwrap(), "Internal Server Error");
    let (status, _) = send(s.http.get(s.mg("/health"))).await;
    assert_eq!(status, StatusCode::OK, "other sessions are unaffected");
}

#[tokio::test]
async fn onboarding_returns_a_working_key_for_a_new_tenant() {
    let s = TestServer::start().await;
    let a = s.onboard("alice@example.com").await;
    assert!(a.api_key.starts_with("mg_live_"), "{}", a.api_key);
    assert_eq!(a.api_key.len(), "mg_live_".len() + 32);
    uuid::Uuid::parse_str(&a.tenant_id).expect("tenant id is a uuid");
    uuid::Uuid::parse_str(&a.user_id).expect("user id is a uuid");

    let (status, body) = send(
        s.http
            .get(s.mg("/v1/auth/whoami"))
            .header("X-API-KEY", &a.api_key),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["tenant_id"], json!(a.tenant_id));
    assert_eq!(body["tenant_name"], "alice@example.com workspace");
    assert_eq!(body["auth_type"], "api_key");
    assert_eq!(body["role"], "editor");
}

#[tokio::test]
async fn a_second_onboarding_with_the_same_email_is_refused() {
    let s = TestServer::start().await;
    s.onboard("dup@example.com").await;
    let (status, body) = send(s.http.post(s.mg("/v1/auth/onboard")).json(&json!({
        "email": "DUP@example.com", "password": "x", "full_name": "x", "cluster_name": "x", "sector": "x",
    })))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, json!({"detail": "Email already registered"}));
}

#[tokio::test]
async fn login_issues_a_bearer_token_for_the_profile() {
    let s = TestServer::start().await;
    let a = s.onboard("me@example.com").await;
    let (status, body) = send(s.http.get(s.mg("/v1/auth/me")).bearer_auth(&a.token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["id"], json!(a.user_id));
    assert_eq!(body["user_id"], json!(a.user_id));
    assert_eq!(body["email"], "me@example.com");
    assert_eq!(body["full_name"], "Test Admin");
    assert_eq!(body["role"], "admin");
    assert_eq!(body["tenant_id"], json!(a.tenant_id));
    assert_eq!(body["tenant_name"], "me@example.com workspace");
    assert!(
        body["created_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );

    // The token is HS256 and expires seven days after it was issued.
    let parts: Vec<&str> = a.token.split('.').collect();
    assert_eq!(parts.len(), 3);
    use base64::Engine;
    let decode = |p: &str| -> serde_json::Value {
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(decode(parts[0])["alg"], "HS256");
    let claims = decode(parts[1]);
    assert_eq!(claims["sub"], json!(a.user_id));
    assert_eq!(claims["tenant_id"], json!(a.tenant_id));
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        7 * 86_400
    );
}

#[tokio::test]
async fn wrong_passwords_and_unknown_emails_get_the_same_401() {
    let s = TestServer::start().await;
    s.onboard("pw@example.com").await;
    for (user, pass) in [
        ("pw@example.com", "wrong"),
        ("nobody@example.com", "YourSecurePassword123!"),
    ] {
        let response = s
            .http
            .post(s.mg("/v1/auth/login"))
            .form(&[("username", user), ("password", pass)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        assert_eq!(
            response.json::<serde_json::Value>().await.unwrap(),
            json!({"detail": "Incorrect email or password"})
        );
    }
}

#[tokio::test]
async fn login_takes_the_email_case_insensitively() {
    let s = TestServer::start().await;
    let a = s.onboard("Case@Example.com").await;
    let token = s.login("case@example.com", &a.password).await;
    let (status, _) = send(s.http.get(s.mg("/v1/auth/me")).bearer_auth(token)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn api_keys_are_created_listed_and_revoked() {
    let s = TestServer::start().await;
    let a = s.onboard("keys@example.com").await;

    let (status, created) = send(
        s.http
            .post(s.mg("/v1/api-keys"))
            .bearer_auth(&a.token)
            .json(&json!({"name": "production-key"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let plaintext = str_of(&created["api_key"]);
    assert!(plaintext.starts_with("mg_live_"));
    assert_eq!(created["name"], "production-key");
    assert_eq!(created["key_prefix"], json!(&plaintext[..12]));
    let key_id = str_of(&created["id"]);

    // The new key works, and its use is noted.
    let (status, _) = send(
        s.http
            .get(s.mg("/v1/stats"))
            .header("X-API-KEY", &plaintext),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let (status, list) = send(s.http.get(s.mg("/v1/api-keys")).bearer_auth(&a.token)).await;
    assert_eq!(status, StatusCode::OK);
    let list = list.as_array().expect("a bare list").clone();
    assert_eq!(list.len(), 2, "the onboarding key and the new one");
    let listed = list
        .iter()
        .find(|k| k["id"] == json!(key_id))
        .expect("listed");
    assert_eq!(listed["is_active"], true);
    assert!(listed["last_used_at"].is_string());
    assert!(
        !list.iter().any(|k| k.to_string().contains(&plaintext)),
        "listing never shows a plaintext"
    );
    assert!(
        list.iter()
            .all(|k| k.get("api_key").is_none() && k.get("key_hash").is_none())
    );

    let (status, body) = send(
        s.http
            .delete(s.mg(&format!("/v1/api-keys/{key_id}")))
            .bearer_auth(&a.token),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"status": "revoked", "id": key_id}));

    let response = s
        .http
        .get(s.mg("/v1/stats"))
        .header("X-API-KEY", &plaintext)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "a revoked key stops working at once"
    );
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap(),
        json!({"detail": "Not authenticated"})
    );

    let (_, list) = send(s.http.get(s.mg("/v1/api-keys")).bearer_auth(&a.token)).await;
    let listed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == json!(key_id))
        .cloned()
        .unwrap();
    assert_eq!(listed["is_active"], false);

    // The onboarding key is untouched.
    let (status, _) = send(
        s.http
            .get(s.mg("/v1/stats"))
            .header("X-API-KEY", &a.api_key),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = send(
        s.http
            .delete(s.mg("/v1/api-keys/no-such-key"))
            .bearer_auth(&a.token),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({"detail": "API key not found"}));
}

#[tokio::test]
async fn secrets_are_stored_only_as_hashes() {
    let s = TestServer::start().await;
    let a = s.onboard("hash@example.com").await;
    let session = s.session("default").await;
    let (hash, prefix): (String, String) =
        sqlx::query_as("SELECT key_hash, key_prefix FROM memgraph_api_keys")
            .fetch_one(session.db())
            .await
            .unwrap();
    assert_eq!(hash, offcloud::auth::sha256_hex(&a.api_key));
    assert_eq!(prefix, &a.api_key[..12]);
    let password_hash: String = sqlx::query_scalar("SELECT password_hash FROM memgraph_users")
        .fetch_one(session.db())
        .await
        .unwrap();
    assert!(password_hash.starts_with("$argon2id$"), "{password_hash}");

    // Nowhere in the database is a plaintext secret.
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(session.db())
            .await
            .unwrap();
    for table in tables {
        use sqlx::Row;
        let rows = sqlx::query(&format!("SELECT * FROM \"{table}\""))
            .fetch_all(session.db())
            .await
            .unwrap();
        for row in rows {
            for i in 0..row.len() {
                let text: Option<String> = row.try_get(i).unwrap_or(None);
                let text = text.unwrap_or_default();
                assert!(
                    !text.contains(&a.api_key) && !text.contains(&a.password),
                    "{table} holds a plaintext secret"
                );
            }
        }
    }
}

#[tokio::test]
async fn tokens_expire_after_seven_days_of_virtual_time() {
    let s = TestServer::start().await;
    let a = s.onboard("ttl@example.com").await;
    s.advance("default", Duration::from_secs(7 * 86_400 - 60))
        .await;
    let (status, _) = send(s.http.get(s.mg("/v1/auth/me")).bearer_auth(&a.token)).await;
    assert_eq!(status, StatusCode::OK, "still valid a minute before expiry");

    s.advance("default", Duration::from_secs(61)).await;
    let response = s
        .http
        .get(s.mg("/v1/auth/me"))
        .bearer_auth(&a.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap(),
        json!({"detail": "Could not validate credentials"})
    );

    // API keys do not expire.
    let (status, _) = send(
        s.http
            .get(s.mg("/v1/stats"))
            .header("X-API-KEY", &a.api_key),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_token_lifetime_is_configurable() {
    let mut config = test_config();
    config.memgraph_jwt_ttl = Ttl(Duration::from_secs(60));
    let s = TestServer::start_with(config).await;
    let a = s.onboard("short@example.com").await;
    s.advance("default", Duration::from_secs(61)).await;
    let (status, _) = send(s.http.get(s.mg("/v1/auth/me")).bearer_auth(&a.token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_valid_jwt_takes_priority_over_an_api_key() {
    let s = TestServer::start().await;
    let a = s.onboard("jwt-first@example.com").await;
    let b = s.onboard("other-tenant@example.com").await;
    let (status, body) = send(
        s.http
            .get(s.mg("/v1/auth/whoami"))
            .bearer_auth(&a.token)
            .header("X-API-KEY", &b.api_key),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["auth_type"], "jwt");
    assert_eq!(body["tenant_id"], json!(a.tenant_id));
    assert_eq!(body["user_id"], json!(a.user_id));
    assert_eq!(body["role"], "admin");
}

#[tokio::test]
async fn an_invalid_jwt_falls_back_to_a_valid_api_key() {
    let s = TestServer::start().await;
    let a = s.onboard("fallback@example.com").await;
    let (status, body) = send(
        s.http
            .get(s.mg("/v1/auth/whoami"))
            .bearer_auth("not.a.jwt")
            .header("X-API-KEY", &a.api_key),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["auth_type"], "api_key");

    let (status, body) = send(s.http.get(s.mg("/v1/auth/whoami")).bearer_auth("not.a.jwt")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, json!({"detail": "Could not validate credentials"}));
}

#[tokio::test]
async fn dev_mode_lets_anonymous_callers_into_a_development_tenant() {
    let s = TestServer::start().await;
    let (status, body) = send(s.http.get(s.mg("/v1/stats"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, json!({"detail": "Not authenticated"}));

    let mut config = test_config();
    config.memgraph_dev_mode = true;
    let dev = TestServer::start_with(config).await;
    let (status, body) = send(dev.http.get(dev.mg("/v1/auth/whoami"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["auth_type"], "anonymous");
    assert_eq!(body["tenant_name"], "Development");
    assert_eq!(body["role"], "admin");
    let (status, stats) = send(dev.http.get(dev.mg("/v1/stats"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stats["tenant_id"], body["tenant_id"]);
    // Credentials still win over anonymity.
    let a = dev.onboard("dev@example.com").await;
    let (_, who) = send(
        dev.http
            .get(dev.mg("/v1/auth/whoami"))
            .header("X-API-KEY", &a.api_key),
    )
    .await;
    assert_eq!(who["tenant_id"], json!(a.tenant_id));
}

#[tokio::test]
async fn the_api_key_role_is_one_setting() {
    let mut config = test_config();
    config.memgraph_api_key_role = ApiKeyRole::Admin;
    let s = TestServer::start_with(config).await;
    let a = s.onboard("keyrole@example.com").await;
    let (_, body) = send(
        s.http
            .get(s.mg("/v1/auth/whoami"))
            .header("X-API-KEY", &a.api_key),
    )
    .await;
    assert_eq!(body["role"], "admin");
    // Even an admin key cannot use the dashboard-only routes.
    let (status, _) = send(
        s.http
            .get(s.mg("/v1/api-keys"))
            .header("X-API-KEY", &a.api_key),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn users_are_managed_by_admins() {
    let s = TestServer::start().await;
    let a = s.onboard("boss@example.com").await;

    let (status, user) = send(s.http.post(s.mg("/v1/users")).bearer_auth(&a.token).json(&json!({
        "email": "viewer@example.com", "password": "pw", "full_name": "Vera Viewer", "role": "viewer",
    })))
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = str_of(&user["id"]);
    assert_eq!(user["email"], "viewer@example.com");
    assert_eq!(user["full_name"], "Vera Viewer");
    assert_eq!(user["role"], "viewer");
    assert_eq!(user["tenant_id"], json!(a.tenant_id));
    assert_eq!(user["is_active"], true);
    assert!(user.get("password_hash").is_none() && user.get("password").is_none());

    let (status, list) = send(s.http.get(s.mg("/v1/users")).bearer_auth(&a.token)).await;
    assert_eq!(status, StatusCode::OK);
    let emails: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["boss@example.com", "viewer@example.com"]);

    let (status, got) = send(
        s.http
            .get(s.mg(&format!("/v1/users/{id}")))
            .bearer_auth(&a.token),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, user);

    // The new user logs in, and a role change applies to their existing token at once.
    let token = s.login("viewer@example.com", "pw").await;
    let (status, _) = send(s.http.get(s.mg("/v1/users")).bearer_auth(&token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, patched) = send(
        s.http
            .patch(s.mg(&format!("/v1/users/{id}")))
            .bearer_auth(&a.token)
            .json(&json!({"role": "admin", "full_name": "Vera Admin"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(patched["role"], "admin");
    assert_eq!(patched["full_name"], "Vera Admin");
    let (status, _) = send(s.http.get(s.mg("/v1/users")).bearer_auth(&token)).await;
    assert_eq!(status, StatusCode::OK);

    // A new password replaces the old one.
    let (status, _) = send(
        s.http
            .patch(s.mg(&format!("/v1/users/{id}")))
            .bearer_auth(&a.token)
            .json(&json!({"password": "new-pw"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(
        s.http
            .post(s.mg("/v1/auth/login"))
            .form(&[("username", "viewer@example.com"), ("password", "pw")]),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    s.login("viewer@example.com", "new-pw").await;

    // Deactivated: no login, and the token in hand stops working.
    let (status, _) = send(
        s.http
            .patch(s.mg(&format!("/v1/users/{id}")))
            .bearer_auth(&a.token)
            .json(&json!({"is_active": false})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = send(
        s.http
            .post(s.mg("/v1/auth/login"))
            .form(&[("username", "viewer@example.com"), ("password", "new-pw")]),
    )
    .await;
    assert_eq!(
        (status, body),
        (StatusCode::BAD_REQUEST, json!({"detail": "Inactive user"}))
    );
    let (status, _) = send(s.http.get(s.mg("/v1/auth/me")).bearer_auth(&token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, body) = send(
        s.http
            .delete(s.mg(&format!("/v1/users/{id}")))
            .bearer_auth(&a.token),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"status": "deleted", "id": id}));
    let (status, body) = send(
        s.http
            .get(s.mg(&format!("/v1/users/{id}")))
            .bearer_auth(&a.token),
    )
    .await;
    assert_eq!(
        (status, body),
        (StatusCode::NOT_FOUND, json!({"detail": "User not found"}))
    );
}

#[tokio::test]
async fn user_creation_is_validated() {
    let s = TestServer::start().await;
    let a = s.onboard("val@example.com").await;
    let (status, body) = send(
        s.http
            .post(s.mg("/v1/users"))
            .bearer_auth(&a.token)
            .json(&json!({
                "email": "x@example.com", "password": "pw", "role": "boss",
            })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        json!({"detail": [{
            "type": "enum", "loc": ["body", "role"], "msg": "Input should be 'admin', 'editor' or 'viewer'",
            "input": "boss", "ctx": {"expected": "'admin', 'editor' or 'viewer'"},
        }]})
    );

    let (status, body) = send(
        s.http
            .post(s.mg("/v1/users"))
            .bearer_auth(&a.token)
            .json(&json!({
                "email": "VAL@example.com", "password": "pw",
            })),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            json!({"detail": "Email already registered"})
        )
    );
}

#[tokio::test]
async fn the_last_admin_cannot_be_removed_and_nobody_deletes_themselves() {
    let s = TestServer::start().await;
    let a = s.onboard("last@example.com").await;
    let (status, body) = send(
        s.http
            .delete(s.mg(&format!("/v1/users/{}", a.user_id)))
            .bearer_auth(&a.token),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            json!({"detail": "Cannot delete yourself"})
        )
    );
    let (status, body) = send(
        s.http
            .patch(s.mg(&format!("/v1/users/{}", a.user_id)))
            .bearer_auth(&a.token)
            .json(&json!({"role": "viewer"})),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            json!({"detail": "Cannot remove the last admin"})
        )
    );

    // With a second admin, the first may step down.
    let (second, second_token) = s.user_with_role(&a, "second@example.com", "admin").await;
    let (status, _) = send(
        s.http
            .patch(s.mg(&format!("/v1/users/{}", a.user_id)))
            .bearer_auth(&a.token)
            .json(&json!({"role": "editor"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = send(
        s.http
            .patch(s.mg(&format!("/v1/users/{second}")))
            .bearer_auth(&second_token)
            .json(&json!({"is_active": false})),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            json!({"detail": "Cannot remove the last admin"})
        )
    );
}

#[tokio::test]
async fn the_tenant_is_read_by_anyone_in_it_and_changed_by_admins() {
    let s = TestServer::start().await;
    let a = s.onboard("tenant@example.com").await;
    let (status, tenant) = send(
        s.http
            .get(s.mg("/v1/tenant"))
            .header("X-API-KEY", &a.api_key),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(tenant["id"], json!(a.tenant_id));
    assert_eq!(tenant["name"], "tenant@example.com workspace");
    assert_eq!(tenant["sector"], "Technology");
    assert_eq!(
        tenant["settings"],
        json!({
            "belief_confidence_threshold": 0.5, "episode_gap_minutes": 30, "dreaming_enabled": true, "retention_days": null,
        })
    );

    let (status, patched) = send(s.http.patch(s.mg("/v1/tenant")).bearer_auth(&a.token).json(
        &json!({
            "name": "Renamed", "settings": {"retention_days": 30, "custom": "x"},
        }),
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(patched["name"], "Renamed");
    assert_eq!(patched["sector"], "Technology");
    assert_eq!(patched["settings"]["retention_days"], 30);
    assert_eq!(patched["settings"]["custom"], "x");
    assert_eq!(
        patched["settings"]["episode_gap_minutes"], 30,
        "settings merge, they do not replace"
    );

    let (_, again) = send(s.http.get(s.mg("/v1/tenant")).bearer_auth(&a.token)).await;
    assert_eq!(again, patched);

    let (status, _) = send(
        s.http
            .patch(s.mg("/v1/tenant"))
            .header("X-API-KEY", &a.api_key)
            .json(&json!({"name": "x"})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "API keys cannot change tenant settings"
    );
    let (status, body) = send(
        s.http
            .patch(s.mg("/v1/tenant"))
            .bearer_auth(&a.token)
            .json(&json!({"settings": [1]})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["type"], "dict_type");
}

#[tokio::test]
async fn stats_count_the_tenants_own_rows() {
    let s = TestServer::start().await;
    let a = s.onboard("stats@example.com").await;
    let b = s.onboard("stats-other@example.com").await;
    let (status, body) = send(
        s.http
            .get(s.mg("/v1/stats"))
            .header("X-API-KEY", &a.api_key),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({
            "tenant_id": a.tenant_id, "total_events": 0, "total_episodes": 0, "total_beliefs": 0,
            "active_beliefs": 0, "pending_episodes": 0, "total_users": 0,
        })
    );

    // Rows written straight into the session's database (the memory routes come later) are counted,
    // per tenant.
    let db = s.session("default").await;
    let now = "2026-01-01T00:00:00.000000Z";
    for (i, (tenant, subject, active)) in [
        (&a.tenant_id, "alice", 1),
        (&a.tenant_id, "bob", 0),
        (&b.tenant_id, "carol", 1),
    ]
    .into_iter()
    .enumerate()
    {
        sqlx::query("INSERT INTO memgraph_beliefs (id, tenant_id, subject_id, key, value, confidence, belief_type, domain, is_active, created_at, updated_at) VALUES (?, ?, ?, 'k', 'v', 0.9, 'belief', 'general', ?, ?, ?)")
            .bind(format!("b{i}")).bind(tenant).bind(subject).bind(active).bind(now).bind(now)
            .execute(db.db()).await.unwrap();
    }
    sqlx::query("INSERT INTO memgraph_episodes (id, tenant_id, user_id, start_time, end_time, created_at) VALUES ('e1', ?, 'alice', ?, ?, ?)")
        .bind(&a.tenant_id).bind(now).bind(now).bind(now).execute(db.db()).await.unwrap();
    sqlx::query("INSERT INTO memgraph_events (id, tenant_id, user_id, event_type, content_payload, episode_id, timestamp) VALUES ('v1', ?, 'dave', 'user_message', '{}', 'e1', ?)")
        .bind(&a.tenant_id).bind(now).execute(db.db()).await.unwrap();

    let (_, body) = send(
        s.http
            .get(s.mg("/v1/stats"))
            .header("X-API-KEY", &a.api_key),
    )
    .await;
    assert_eq!(
        body,
        json!({
            "tenant_id": a.tenant_id, "total_events": 1, "total_episodes": 1, "total_beliefs": 2,
            "active_beliefs": 1, "pending_episodes": 1, "total_users": 3,
        })
    );
}

#[tokio::test]
async fn export_holds_the_tenant_and_its_users_without_secrets() {
    let s = TestServer::start().await;
    let a = s.onboard("export@example.com").await;
    let (status, body) = send(s.http.get(s.mg("/v1/admin/export")).bearer_auth(&a.token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["version"], 1);
    assert!(body["exported_at"].is_string());
    assert_eq!(body["tenant"]["id"], json!(a.tenant_id));
    assert_eq!(body["tenant"]["sector"], "Technology");
    assert_eq!(
        body["users"],
        json!([{"id": a.user_id, "email": "export@example.com", "full_name": "Test Admin", "role": "admin"}])
    );
    let text = body.to_string();
    assert!(!text.contains("argon2") && !text.contains(&a.api_key) && !text.contains("key_hash"));

    let (status, post) = send(s.http.post(s.mg("/v1/admin/export")).bearer_auth(&a.token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(post["tenant"], body["tenant"]);
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let s = TestServer::start().await;
    let a = s.onboard("metrics@example.com").await;
    for _ in 0..3 {
        send(
            s.http
                .get(s.mg("/v1/stats"))
                .header("X-API-KEY", &a.api_key),
        )
        .await;
    }
    send(s.http.get(s.mg("/v1/stats"))).await;
    send(
        s.http
            .delete(s.mg(&format!("/v1/api-keys/{}", uuid::Uuid::new_v4())))
            .bearer_auth(&a.token),
    )
    .await;
    let response = s.http.get(s.mg("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    assert!(
        text.contains(r#"http_requests_total{method="GET",path="/v1/stats",status="200"} 3"#),
        "{text}"
    );
    assert!(
        text.contains(r#"http_requests_total{method="GET",path="/v1/stats",status="401"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(
            r#"http_requests_total{method="DELETE",path="/v1/api-keys/{key_id}",status="404"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(
            r#"http_request_duration_seconds_count{method="GET",path="/v1/stats",status="200"} 3"#
        ),
        "{text}"
    );
    assert!(
        text.contains("http_request_duration_seconds_bucket{le="),
        "{text}"
    );
}

#[tokio::test]
async fn last_used_at_follows_the_keys_use_to_the_minute() {
    let s = TestServer::start().await;
    let a = s.onboard("lastused@example.com").await;
    let last_used = || async {
        let (_, keys) = send(s.http.get(s.mg("/v1/api-keys")).bearer_auth(&a.token)).await;
        keys[0]["last_used_at"].clone()
    };
    assert_eq!(last_used().await, serde_json::Value::Null, "never used yet");
    send(
        s.http
            .get(s.mg("/v1/stats"))
            .header("X-API-KEY", &a.api_key),
    )
    .await;
    let first = last_used().await;
    assert!(first.is_string());
    send(
        s.http
            .get(s.mg("/v1/stats"))
            .header("X-API-KEY", &a.api_key),
    )
    .await;
    assert_eq!(
        last_used().await,
        first,
        "uses within a minute do not rewrite it"
    );
    s.advance("default", Duration::from_secs(120)).await;
    send(
        s.http
            .get(s.mg("/v1/stats"))
            .header("X-API-KEY", &a.api_key),
    )
    .await;
    let later = last_used().await;
    assert!(
        later.as_str().unwrap() > first.as_str().unwrap(),
        "{later} after {first}"
    );
}
