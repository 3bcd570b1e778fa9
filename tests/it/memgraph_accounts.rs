//! Memgraph onboarding, login, identity, API keys, users, tenant, stats and export.

use std::time::Duration;

use offcloud::config::Ttl;
use offcloud::memgraph::ApiKeyRole;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Auth, TestServer, detail, send, str_of, test_config};

const OK: StatusCode = StatusCode::OK;
const BAD: StatusCode = StatusCode::BAD_REQUEST;
const UNAUTHORIZED: StatusCode = StatusCode::UNAUTHORIZED;

#[tokio::test]
async fn health_reports_a_connected_database() {
    let s = TestServer::start().await;
    let health = s.get("/health", Auth::Nobody).await;
    assert_eq!(
        health,
        (OK, json!({"status": "healthy", "database": "connected"}))
    );
}

#[tokio::test]
async fn health_is_503_when_the_database_is_gone() {
    let s = TestServer::start().await;
    s.session("down").await.db().close().await;
    let health = s.get("/_session/down/health", Auth::Nobody).await;
    assert_eq!(
        health,
        (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"status": "unhealthy", "database": "disconnected"})
        )
    );
    // Other routes answer FastAPI's plain 500, never a panic or a dropped connection.
    let login = s
        .http
        .post(s.mg("/_session/down/v1/auth/login"))
        .form(&[("username", "a@b.co"), ("password", "x")]);
    let response = login.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(response.text().await.unwrap(), "Internal Server Error");
    assert_eq!(
        s.get("/health", Auth::Nobody).await.0,
        OK,
        "other sessions are unaffected"
    );
}

#[tokio::test]
async fn onboarding_returns_a_working_key_for_a_new_tenant() {
    let s = TestServer::start().await;
    let a = s.onboard("alice@example.com").await;
    assert!(a.api_key.starts_with("mg_live_"), "{}", a.api_key);
    assert_eq!(a.api_key.len(), "mg_live_".len() + 32);
    uuid::Uuid::parse_str(&a.tenant_id).expect("tenant id is a uuid");
    uuid::Uuid::parse_str(&a.user_id).expect("user id is a uuid");

    let (status, body) = s.get("/v1/auth/whoami", a.key()).await;
    assert_eq!(status, OK);
    assert_eq!(body["tenant_id"], json!(a.tenant_id));
    assert_eq!(body["tenant_name"], "alice@example.com workspace");
    assert_eq!(body["auth_type"], "api_key");
    assert_eq!(body["role"], "editor");
}

#[tokio::test]
async fn a_second_onboarding_with_the_same_email_is_refused() {
    let s = TestServer::start().await;
    s.onboard("dup@example.com").await;
    let again = json!({"email": "DUP@example.com", "password": "x", "full_name": "x", "cluster_name": "x", "sector": "x"});
    let answer = s.post("/v1/auth/onboard", Auth::Nobody, again).await;
    assert_eq!(answer, detail(BAD, "Email already registered"));
}

#[tokio::test]
async fn login_issues_a_bearer_token_for_the_profile() {
    let s = TestServer::start().await;
    let a = s.onboard("me@example.com").await;
    let (status, body) = s.get("/v1/auth/me", a.bearer()).await;
    assert_eq!(status, OK);
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
    use base64::Engine;
    let decode = |part: &str| -> Value {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    };
    let parts: Vec<&str> = a.token.split('.').collect();
    assert_eq!(parts.len(), 3);
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
        let form = [("username", user), ("password", pass)];
        let response = s
            .http
            .post(s.mg("/v1/auth/login"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), UNAUTHORIZED);
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            json!({"detail": "Incorrect email or password"})
        );
    }
}

#[tokio::test]
async fn login_takes_the_email_case_insensitively() {
    let s = TestServer::start().await;
    let a = s.onboard("Case@Example.com").await;
    let token = s.login("case@example.com", &a.password).await;
    assert_eq!(s.get("/v1/auth/me", Auth::Bearer(&token)).await.0, OK);
}

#[tokio::test]
async fn api_keys_are_created_listed_and_revoked() {
    let s = TestServer::start().await;
    let a = s.onboard("keys@example.com").await;

    let (status, created) = s
        .post(
            "/v1/api-keys",
            a.bearer(),
            json!({"name": "production-key"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let plaintext = str_of(&created["api_key"]);
    assert!(plaintext.starts_with("mg_live_"));
    assert_eq!(created["name"], "production-key");
    assert_eq!(created["key_prefix"], json!(&plaintext[..12]));
    let key_id = str_of(&created["id"]);
    let new_key = Auth::Key(&plaintext);

    // The new key works, and its use is noted.
    assert_eq!(s.get("/v1/stats", new_key).await.0, OK);

    let (status, list) = s.get("/v1/api-keys", a.bearer()).await;
    assert_eq!(status, OK);
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

    let revoked = s
        .delete(&format!("/v1/api-keys/{key_id}"), a.bearer())
        .await;
    assert_eq!(revoked, (OK, json!({"status": "revoked", "id": key_id})));

    let response = s
        .http
        .get(s.mg("/v1/stats"))
        .header("X-API-KEY", &plaintext)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        UNAUTHORIZED,
        "a revoked key stops working at once"
    );
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"detail": "Not authenticated"})
    );

    let (_, list) = s.get("/v1/api-keys", a.bearer()).await;
    let listed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == json!(key_id))
        .cloned()
        .unwrap();
    assert_eq!(listed["is_active"], false);

    assert_eq!(
        s.get("/v1/stats", a.key()).await.0,
        OK,
        "the onboarding key is untouched"
    );
    let unknown = s.delete("/v1/api-keys/no-such-key", a.bearer()).await;
    assert_eq!(unknown, detail(StatusCode::NOT_FOUND, "API key not found"));
}

#[tokio::test]
async fn secrets_are_stored_only_as_hashes() {
    let s = TestServer::start().await;
    let a = s.onboard("hash@example.com").await;
    let session = s.session("default").await;
    let (hash, prefix): (String, String) =
        offcloud::db::query_as("SELECT key_hash, key_prefix FROM memgraph_api_keys")
            .fetch_one(session.db())
            .await
            .unwrap();
    assert_eq!(hash, offcloud::auth::sha256_hex(&a.api_key));
    assert_eq!(prefix, &a.api_key[..12]);
    let password_hash: String =
        offcloud::db::query_scalar("SELECT password_hash FROM memgraph_users")
            .fetch_one(session.db())
            .await
            .unwrap();
    assert!(password_hash.starts_with("$argon2id$"), "{password_hash}");

    // Nowhere in the database is a plaintext secret.
    let tables: Vec<String> =
        offcloud::db::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(session.db())
            .await
            .unwrap();
    for table in tables {
        let rows = offcloud::db::query(&format!("SELECT * FROM \"{table}\""))
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
    assert_eq!(
        s.get("/v1/auth/me", a.bearer()).await.0,
        OK,
        "still valid a minute before expiry"
    );

    s.advance("default", Duration::from_secs(61)).await;
    let response = s
        .http
        .get(s.mg("/v1/auth/me"))
        .bearer_auth(&a.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), UNAUTHORIZED);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"detail": "Could not validate credentials"})
    );

    assert_eq!(
        s.get("/v1/stats", a.key()).await.0,
        OK,
        "API keys do not expire"
    );
}

#[tokio::test]
async fn the_token_lifetime_is_configurable() {
    let mut config = test_config();
    config.memgraph.jwt_ttl = Ttl(Duration::from_secs(60));
    let s = TestServer::start_with(config).await;
    let a = s.onboard("short@example.com").await;
    s.advance("default", Duration::from_secs(61)).await;
    assert_eq!(s.get("/v1/auth/me", a.bearer()).await.0, UNAUTHORIZED);
}

#[tokio::test]
async fn a_valid_jwt_takes_priority_over_an_api_key() {
    let s = TestServer::start().await;
    let a = s.onboard("jwt-first@example.com").await;
    let b = s.onboard("other-tenant@example.com").await;
    let both = s
        .http
        .get(s.mg("/v1/auth/whoami"))
        .bearer_auth(&a.token)
        .header("X-API-KEY", &b.api_key);
    let (status, body) = send(both).await;
    assert_eq!(status, OK);
    assert_eq!(body["auth_type"], "jwt");
    assert_eq!(body["tenant_id"], json!(a.tenant_id));
    assert_eq!(body["user_id"], json!(a.user_id));
    assert_eq!(body["role"], "admin");
}

#[tokio::test]
async fn an_invalid_jwt_falls_back_to_a_valid_api_key() {
    let s = TestServer::start().await;
    let a = s.onboard("fallback@example.com").await;
    let both = s
        .http
        .get(s.mg("/v1/auth/whoami"))
        .bearer_auth("not.a.jwt")
        .header("X-API-KEY", &a.api_key);
    let (status, body) = send(both).await;
    assert_eq!(status, OK);
    assert_eq!(body["auth_type"], "api_key");

    let bad_token_only = s.get("/v1/auth/whoami", Auth::Bearer("not.a.jwt")).await;
    assert_eq!(
        bad_token_only,
        detail(UNAUTHORIZED, "Could not validate credentials")
    );
}

#[tokio::test]
async fn dev_mode_lets_anonymous_callers_into_a_development_tenant() {
    let s = TestServer::start().await;
    assert_eq!(
        s.get("/v1/stats", Auth::Nobody).await,
        detail(UNAUTHORIZED, "Not authenticated")
    );

    let mut config = test_config();
    config.memgraph.dev_mode = true;
    let dev = TestServer::start_with(config).await;
    let (status, who) = dev.get("/v1/auth/whoami", Auth::Nobody).await;
    assert_eq!(status, OK);
    assert_eq!(who["auth_type"], "anonymous");
    assert_eq!(who["tenant_name"], "Development");
    assert_eq!(who["role"], "admin");
    let (status, stats) = dev.get("/v1/stats", Auth::Nobody).await;
    assert_eq!(status, OK);
    assert_eq!(stats["tenant_id"], who["tenant_id"]);
    // Credentials still win over anonymity.
    let a = dev.onboard("dev@example.com").await;
    let (_, who) = dev.get("/v1/auth/whoami", a.key()).await;
    assert_eq!(who["tenant_id"], json!(a.tenant_id));
}

#[tokio::test]
async fn the_api_key_role_is_one_setting() {
    let mut config = test_config();
    config.memgraph.api_key_role = ApiKeyRole::Admin;
    let s = TestServer::start_with(config).await;
    let a = s.onboard("keyrole@example.com").await;
    let (_, who) = s.get("/v1/auth/whoami", a.key()).await;
    assert_eq!(who["role"], "admin");
    assert_eq!(
        s.get("/v1/api-keys", a.key()).await.0,
        UNAUTHORIZED,
        "even an admin key cannot use the dashboard-only routes"
    );
}

#[tokio::test]
async fn users_are_managed_by_admins() {
    let s = TestServer::start().await;
    let a = s.onboard("boss@example.com").await;

    let new_user = json!({"email": "viewer@example.com", "password": "pw", "full_name": "Vera Viewer", "role": "viewer"});
    let (status, user) = s.post("/v1/users", a.bearer(), new_user).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = str_of(&user["id"]);
    let path = format!("/v1/users/{id}");
    assert_eq!(user["email"], "viewer@example.com");
    assert_eq!(user["full_name"], "Vera Viewer");
    assert_eq!(user["role"], "viewer");
    assert_eq!(user["tenant_id"], json!(a.tenant_id));
    assert_eq!(user["is_active"], true);
    assert!(user.get("password_hash").is_none() && user.get("password").is_none());

    let (status, list) = s.get("/v1/users", a.bearer()).await;
    assert_eq!(status, OK);
    let emails: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["boss@example.com", "viewer@example.com"]);
    assert_eq!(s.get(&path, a.bearer()).await, (OK, user));

    // The new user logs in, and a role change applies to their existing token at once.
    let token = s.login("viewer@example.com", "pw").await;
    let viewer = Auth::Bearer(&token);
    assert_eq!(s.get("/v1/users", viewer).await.0, StatusCode::FORBIDDEN);
    let (status, patched) = s
        .patch(
            &path,
            a.bearer(),
            json!({"role": "admin", "full_name": "Vera Admin"}),
        )
        .await;
    assert_eq!(status, OK);
    assert_eq!(patched["role"], "admin");
    assert_eq!(patched["full_name"], "Vera Admin");
    assert_eq!(s.get("/v1/users", viewer).await.0, OK);

    // A new password replaces the old one.
    assert_eq!(
        s.patch(&path, a.bearer(), json!({"password": "new-pw"}))
            .await
            .0,
        OK
    );
    let old_login = s
        .http
        .post(s.mg("/v1/auth/login"))
        .form(&[("username", "viewer@example.com"), ("password", "pw")]);
    assert_eq!(send(old_login).await.0, UNAUTHORIZED);
    s.login("viewer@example.com", "new-pw").await;

    // Deactivated: no login, and the token in hand stops working.
    assert_eq!(
        s.patch(&path, a.bearer(), json!({"is_active": false}))
            .await
            .0,
        OK
    );
    let login = s
        .http
        .post(s.mg("/v1/auth/login"))
        .form(&[("username", "viewer@example.com"), ("password", "new-pw")]);
    assert_eq!(send(login).await, detail(BAD, "Inactive user"));
    assert_eq!(s.get("/v1/auth/me", viewer).await.0, UNAUTHORIZED);

    assert_eq!(
        s.delete(&path, a.bearer()).await,
        (OK, json!({"status": "deleted", "id": id}))
    );
    assert_eq!(
        s.get(&path, a.bearer()).await,
        detail(StatusCode::NOT_FOUND, "User not found")
    );
}

#[tokio::test]
async fn user_creation_is_validated() {
    let s = TestServer::start().await;
    let a = s.onboard("val@example.com").await;
    let bad_role = s
        .post(
            "/v1/users",
            a.bearer(),
            json!({"email": "x@example.com", "password": "pw", "role": "boss"}),
        )
        .await;
    assert_eq!(
        bad_role,
        detail(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!([{
                "type": "enum", "loc": ["body", "role"], "msg": "Input should be 'admin', 'editor' or 'viewer'",
                "input": "boss", "ctx": {"expected": "'admin', 'editor' or 'viewer'"},
            }])
        )
    );
    let taken = s
        .post(
            "/v1/users",
            a.bearer(),
            json!({"email": "VAL@example.com", "password": "pw"}),
        )
        .await;
    assert_eq!(taken, detail(BAD, "Email already registered"));
}

#[tokio::test]
async fn the_last_admin_cannot_be_removed_and_nobody_deletes_themselves() {
    let s = TestServer::start().await;
    let a = s.onboard("last@example.com").await;
    let me = format!("/v1/users/{}", a.user_id);
    assert_eq!(
        s.delete(&me, a.bearer()).await,
        detail(BAD, "Cannot delete yourself")
    );
    let demoted = s.patch(&me, a.bearer(), json!({"role": "viewer"})).await;
    assert_eq!(demoted, detail(BAD, "Cannot remove the last admin"));

    // With a second admin, the first may step down; then the second is the last.
    let (second, second_token) = s.user_with_role(&a, "second@example.com", "admin").await;
    assert_eq!(
        s.patch(&me, a.bearer(), json!({"role": "editor"})).await.0,
        OK
    );
    let deactivated = s
        .patch(
            &format!("/v1/users/{second}"),
            Auth::Bearer(&second_token),
            json!({"is_active": false}),
        )
        .await;
    assert_eq!(deactivated, detail(BAD, "Cannot remove the last admin"));
}

#[tokio::test]
async fn the_tenant_is_read_by_anyone_in_it_and_changed_by_admins() {
    let s = TestServer::start().await;
    let a = s.onboard("tenant@example.com").await;
    let (status, tenant) = s.get("/v1/tenant", a.key()).await;
    assert_eq!(status, OK);
    assert_eq!(tenant["id"], json!(a.tenant_id));
    assert_eq!(tenant["name"], "tenant@example.com workspace");
    assert_eq!(tenant["sector"], "Technology");
    let defaults = json!({"belief_confidence_threshold": 0.5, "episode_gap_minutes": 30, "dreaming_enabled": true, "retention_days": null});
    assert_eq!(tenant["settings"], defaults);

    let change = json!({"name": "Renamed", "settings": {"retention_days": 30, "custom": "x"}});
    let (status, patched) = s.patch("/v1/tenant", a.bearer(), change).await;
    assert_eq!(status, OK);
    assert_eq!(patched["name"], "Renamed");
    assert_eq!(patched["sector"], "Technology");
    assert_eq!(patched["settings"]["retention_days"], 30);
    assert_eq!(patched["settings"]["custom"], "x");
    assert_eq!(
        patched["settings"]["episode_gap_minutes"], 30,
        "settings merge, they do not replace"
    );
    assert_eq!(s.get("/v1/tenant", a.bearer()).await, (OK, patched));

    let by_key = s.patch("/v1/tenant", a.key(), json!({"name": "x"})).await;
    assert_eq!(
        by_key.0, UNAUTHORIZED,
        "API keys cannot change tenant settings"
    );
    let (status, body) = s
        .patch("/v1/tenant", a.bearer(), json!({"settings": [1]}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["type"], "dict_type");
}

#[tokio::test]
async fn stats_count_the_tenants_own_rows() {
    let s = TestServer::start().await;
    let a = s.onboard("stats@example.com").await;
    let b = s.onboard("stats-other@example.com").await;
    let stats = |events, episodes, beliefs, active, pending, users| {
        json!({
            "tenant_id": a.tenant_id, "total_events": events, "total_episodes": episodes, "total_beliefs": beliefs,
            "active_beliefs": active, "pending_episodes": pending, "total_users": users,
            "total_entities": 0, "total_relationships": 0, "total_decisions": 0,
            "open_contradictions": 0,
        })
    };
    assert_eq!(
        s.get("/v1/stats", a.key()).await,
        (OK, stats(0, 0, 0, 0, 0, 0))
    );

    // Rows written straight into the session's database (the memory routes come later) are
    // counted, per tenant.
    let db = s.session("default").await;
    // Now on the session clock: an episode that ended long ago would count as consolidated.
    let now = &offcloud::clock::iso(db.clock().now());
    let beliefs = [
        (&a.tenant_id, "alice", 1),
        (&a.tenant_id, "bob", 0),
        (&b.tenant_id, "carol", 1),
    ];
    for (i, (tenant, subject, active)) in beliefs.into_iter().enumerate() {
        offcloud::db::query(
            "INSERT INTO memgraph_beliefs (id, tenant_id, tenant_number, subject_id, key, value, confidence,
                                           belief_type, domain, is_active, created_at, updated_at)
             VALUES (?1, ?2, (SELECT number FROM memgraph_tenants WHERE id = ?2), ?3, 'k', 'v', 0.9,
                     'belief', 'general', ?4, ?5, ?6)",
        )
        .bind(format!("b{i}"))
        .bind(tenant)
        .bind(subject)
        .bind(active)
        .bind(now)
        .bind(now)
        .execute(db.db())
        .await
        .unwrap();
    }
    offcloud::db::query("INSERT INTO memgraph_episodes (id, tenant_id, user_id, start_time, end_time, created_at) VALUES ('e1', ?, 'alice', ?, ?, ?)")
        .bind(&a.tenant_id)
        .bind(now)
        .bind(now)
        .bind(now)
        .execute(db.db())
        .await
        .unwrap();
    offcloud::db::query("INSERT INTO memgraph_events (id, tenant_id, user_id, event_type, content_payload, episode_id, timestamp) VALUES ('v1', ?, 'dave', 'user_message', '{}', 'e1', ?)")
        .bind(&a.tenant_id)
        .bind(now)
        .execute(db.db())
        .await
        .unwrap();

    assert_eq!(
        s.get("/v1/stats", a.key()).await,
        (OK, stats(1, 1, 2, 1, 1, 3))
    );
}

#[tokio::test]
async fn export_holds_the_tenant_and_its_users_without_secrets() {
    let s = TestServer::start().await;
    let a = s.onboard("export@example.com").await;
    let (status, body) = s.get("/v1/admin/export", a.bearer()).await;
    assert_eq!(status, OK);
    assert_eq!(body["version"], 1);
    assert!(body["exported_at"].is_string());
    assert_eq!(body["tenant"]["id"], json!(a.tenant_id));
    assert_eq!(body["tenant"]["sector"], "Technology");
    let admin = json!({"id": a.user_id, "email": "export@example.com", "full_name": "Test Admin", "role": "admin"});
    assert_eq!(body["users"], json!([admin]));
    let text = body.to_string();
    assert!(!text.contains("argon2") && !text.contains(&a.api_key) && !text.contains("key_hash"));

    let (status, post) = s.call("POST", "/v1/admin/export", a.bearer(), None).await;
    assert_eq!(status, OK);
    assert_eq!(post["tenant"], body["tenant"]);
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let s = TestServer::start().await;
    let a = s.onboard("metrics@example.com").await;
    for _ in 0..3 {
        s.get("/v1/stats", a.key()).await;
    }
    s.get("/v1/stats", Auth::Nobody).await;
    s.delete(
        &format!("/v1/api-keys/{}", uuid::Uuid::new_v4()),
        a.bearer(),
    )
    .await;
    let response = s.http.get(s.mg("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    for line in [
        r#"http_requests_total{method="GET",path="/v1/stats",status="200"} 3"#,
        r#"http_requests_total{method="GET",path="/v1/stats",status="401"} 1"#,
        r#"http_requests_total{method="DELETE",path="/v1/api-keys/{key_id}",status="404"} 1"#,
        r#"http_request_duration_seconds_count{method="GET",path="/v1/stats",status="200"} 3"#,
        "http_request_duration_seconds_bucket{le=",
    ] {
        assert!(text.contains(line), "{line} in:\n{text}");
    }
}

#[tokio::test]
async fn last_used_at_follows_the_keys_use_to_the_minute() {
    let s = TestServer::start().await;
    let a = s.onboard("lastused@example.com").await;
    let last_used =
        || async { s.get("/v1/api-keys", a.bearer()).await.1[0]["last_used_at"].clone() };
    assert_eq!(last_used().await, Value::Null, "never used yet");
    s.get("/v1/stats", a.key()).await;
    let first = last_used().await;
    assert!(first.is_string());
    s.get("/v1/stats", a.key()).await;
    assert_eq!(
        last_used().await,
        first,
        "uses within a minute do not rewrite it"
    );
    s.advance("default", Duration::from_secs(120)).await;
    s.get("/v1/stats", a.key()).await;
    let later = last_used().await;
    assert!(
        later.as_str().unwrap() > first.as_str().unwrap(),
        "{later} after {first}"
    );
}
