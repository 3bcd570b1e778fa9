//! The CLI's REST routes: device-code login, tokens, backends, API keys (spec §8.3, §8.6).

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::*;

async fn device_login(s: &TestServer) -> Value {
    let (status, code) = send(
        s.http
            .post(dg(s, "/command-line/device-code"))
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for field in ["device_code", "user_code", "verification_uri_complete"] {
        assert!(code[field].is_string(), "{field}");
    }
    assert!(code["expires_in"].is_number() && code["interval"].is_number());
    let (status, token) = send(
        s.http
            .post(dg(s, "/command-line/access-token"))
            .json(&json!({"deviceCode": code["device_code"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{token}");
    token
}

#[tokio::test]
async fn device_login_signs_in_the_first_account_at_once() {
    let s = start().await;
    // No account yet: the CLI keeps polling.
    let (_, code) = send(
        s.http
            .post(dg(&s, "/command-line/device-code"))
            .json(&json!({})),
    )
    .await;
    let (status, _) = send(
        s.http
            .post(dg(&s, "/command-line/access-token"))
            .json(&json!({"deviceCode": code["device_code"]})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    create_account(&s, "first@example.com").await;
    create_account(&s, "second@example.com").await;
    let token = device_login(&s).await;
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["expires_in"], 86400);
    assert!(token["apiTime"].is_i64());
    let access = str_of(&token["access_token"]);
    let d = deployment(&s, &access, "mine", "free").await;
    assert!(d["uid"].is_string());

    // A device code is spent once used; an unknown one is refused.
    let (status, _) = send(
        s.http
            .post(dg(&s, "/command-line/access-token"))
            .json(&json!({"deviceCode": "nope"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Refresh gives a new token and spends the old refresh token.
    let refresh = token["refresh_token"].clone();
    let (status, again) = send(
        s.http
            .post(dg(&s, "/command-line/access-token/refresh"))
            .json(&json!({"refreshToken": refresh})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(again["access_token"].is_string());
    let (status, body) = send(
        s.http
            .post(dg(&s, "/command-line/access-token/refresh"))
            .json(&json!({"refreshToken": refresh})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, json!({"error": "invalid refresh token"}));

    // Revoke one, then all.
    let (status, _) = send(
        s.http
            .post(dg(&s, "/command-line/access-token/revoke"))
            .json(&json!({"refreshToken": again["refresh_token"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    device_login(&s).await;
    device_login(&s).await;
    let (status, body) = send(
        s.http
            .post(dg(&s, "/command-line/access-token/revoke-all"))
            .bearer_auth(&access)
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"tokens_count": 2}));
}

#[tokio::test]
async fn backends_are_created_updated_and_destroyed_over_rest() {
    let s = start().await;
    let token = account(&s, "rest@example.com").await;
    let (status, created) = send(
        s.http
            .post(dg(&s, "/deployments/create"))
            .bearer_auth(&token)
            .json(&json!({"name": "My New Backend", "zone": "us-east-1", "subdomain": "mysub", "deploymentMode": "graphql", "organizationId": ""})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(created["subdomain"], "mysub");
    assert_eq!(created["name"], "My New Backend");
    assert!(created["url"].is_string() && created["jwtToken"].is_string());
    let uid = str_of(&created["uid"]);

    let (status, body) = send(
        s.http
            .patch(dg(&s, &format!("/deployment/{uid}")))
            .bearer_auth(&token)
            .json(&json!({"name": "Renamed"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"response": {"message": "Successfully Updated the backend"}})
    );
    let (status, _) = send(
        s.http
            .patch(dg(&s, &format!("/deployment/{uid}")))
            .bearer_auth(&token)
            .json(&json!({"lambdaScript": "Ly8gaGk="})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = cerebro(
        &s,
        Some(&token),
        "{ deployments { name lambdaScript } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"deployments": [{"name": "Renamed", "lambdaScript": "Ly8gaGk="}]}})
    );
    let (status, body) = send(
        s.http
            .patch(dg(&s, &format!("/deployment/{uid}")))
            .bearer_auth(&token)
            .json(&json!({"name": 5})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, json!({"error": "name must be a string"}));

    // Another account cannot touch it.
    let other = account(&s, "other-rest@example.com").await;
    let (status, body) = send(
        s.http
            .delete(dg(&s, &format!("/deployment/{uid}")))
            .bearer_auth(&other),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        json!({"error": format!("deployment {uid} not found")})
    );
    let (status, _) = send(
        s.http
            .post(dg(&s, &format!("/deployments/{uid}/api-keys")))
            .bearer_auth(&other)
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, _) = send(
        s.http
            .delete(dg(&s, &format!("/deployment/{uid}")))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = cerebro(&s, Some(&token), "{ deployments { uid } }", json!({})).await;
    assert_eq!(body, json!({"data": {"deployments": []}}));
    // Its port is released: nothing answers there any more.
    let gone = s.http.post(backend_url(&created, "/admin")).send().await;
    assert!(gone.is_err() || gone.unwrap().status() != StatusCode::OK);
}

/// The refusals the OpenAPI document states, each with its status: a request the document
/// allows is refused only for the caller's state (a 403, 404, 409 or 429), never with a 400.
#[tokio::test]
async fn rest_refusals_that_depend_on_state_have_their_own_status() {
    let mut config = dgraph_config();
    config.dgraph.backend_ports_per_session = 2;
    let s = TestServer::start_with(config).await;
    let token = account(&s, "states@example.com").await;
    let create = |body: Value| {
        send(
            s.http
                .post(dg(&s, "/deployments/create"))
                .bearer_auth(&token)
                .json(&body),
        )
    };

    // The CLI's `deploy-backend -m flexible` names no type: a free backend's tier refuses it.
    let (status, body) = create(json!({"name": "flex", "deploymentMode": "flexible"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body,
        json!({"error": "deploymentMode flexible is only available on dedicated backends"})
    );
    let (status, created) = create(json!({"name": "a", "subdomain": "taken"})).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let uid = str_of(&created["uid"]);
    let (status, body) = create(json!({"name": "b", "subdomain": "taken"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body, json!({"error": "subdomain taken is already taken"}));

    let (status, body) = send(
        s.http
            .patch(dg(&s, &format!("/deployment/{uid}")))
            .bearer_auth(&token)
            .json(&json!({"deploymentMode": "readonly"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body,
        json!({"error": "deploymentMode readonly is only available on dedicated backends"})
    );

    // The session's second port is its last.
    let (status, _) = create(json!({"name": "c"})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = create(json!({"name": "d"})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        body,
        json!({"error": "this session already has 2 backend ports, its quota (see --dgraph-backend-ports-per-session)"})
    );
}

/// A body the route reads field by field may be left out or `null`; one that is not an object
/// is refused, on the routes that do not read it too.
#[tokio::test]
async fn rest_bodies_are_objects_null_or_nothing() {
    let s = start().await;
    let token = account(&s, "bodies@example.com").await;
    let d = deployment(&s, &token, "bodies", "free").await;
    let uid = str_of(&d["uid"]);
    let (status, body) = send(
        s.http
            .patch(dg(&s, &format!("/deployment/{uid}")))
            .bearer_auth(&token)
            .json(&Value::Null),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, key) = send(
        s.http
            .post(dg(&s, &format!("/deployments/{uid}/api-keys")))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{key}");
    assert_eq!(key["role"], "client");
    assert_eq!(key["name"], "slash-graphql-cli");

    let refused = json!({"error": "the body must be a JSON object"});
    for path in [
        "/command-line/device-code",
        "/command-line/access-token/revoke-all",
        "/deployments/create",
    ] {
        let (status, body) = send(
            s.http
                .post(dg(&s, path))
                .bearer_auth(&token)
                .json(&json!([null, null])),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(body, refused, "{path}");
    }
    let (status, body) = send(
        s.http
            .post(dg(&s, "/command-line/access-token/revoke-all"))
            .bearer_auth(&token)
            .json(&Value::Null),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn rest_routes_need_a_valid_bearer_token() {
    let s = start().await;
    for (method, path) in [
        ("POST", "/deployments/create"),
        ("PATCH", "/deployment/0x1"),
        ("DELETE", "/deployment/0x1"),
        ("POST", "/deployments/0x1/api-keys"),
        ("POST", "/command-line/access-token/revoke-all"),
    ] {
        let (status, body) = send(
            s.http
                .request(method.parse().unwrap(), dg(&s, path))
                .bearer_auth("bad")
                .json(&json!({})),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(body, json!({"error": "unauthorized"}));
    }
}

#[tokio::test]
async fn api_keys_are_shown_once_and_carry_their_role() {
    let s = start().await;
    let token = account(&s, "keys@example.com").await;
    let d = deployment(&s, &token, "keys", "free").await;
    let uid = str_of(&d["uid"]);
    let (status, body) = send(
        s.http
            .post(dg(&s, &format!("/deployments/{uid}/api-keys")))
            .bearer_auth(&token)
            .json(&json!({"name": "ci", "role": "client"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["name"], "ci");
    assert_eq!(body["role"], "client");
    assert!(body["uid"].is_string());
    let (status, body) = send(
        s.http
            .post(dg(&s, &format!("/deployments/{uid}/api-keys")))
            .bearer_auth(&token)
            .json(&json!({"role": "owner"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"error": "invalid role \"owner\": use admin or client"})
    );
}

#[tokio::test]
async fn backends_listen_again_after_a_restart_with_a_database_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = dgraph_config();
    config.database_url = Some(format!(
        "sqlite://{}",
        dir.path().join("offcloud.db").display()
    ));

    let first = TestServer::start_with(config.clone()).await;
    let token = account(&first, "persist@example.com").await;
    let d = deployment(&first, &token, "persist", "free").await;
    admin(
        &first,
        &d,
        UPDATE_SCHEMA,
        json!({"sch": "type Kept { a: String }"}),
    )
    .await;
    first.stop().await;
    assert!(
        first_is_closed(&d).await,
        "the backend's port closes with the server"
    );

    let second = TestServer::start_with(config).await;
    // The virtual clock starts over; the backend's creation time must pass again.
    second
        .advance("default", std::time::Duration::from_secs(31))
        .await;
    let (_, body) = cerebro(
        &second,
        Some(&token),
        "{ deployments { url jwtToken } }",
        json!({}),
    )
    .await;
    let again = body["data"]["deployments"][0].clone();
    assert_eq!(again["jwtToken"], d["jwtToken"]);
    let (status, body) = admin(&second, &again, "{ getGQLSchema { schema } }", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"data": {"getGQLSchema": {"schema": "type Kept { a: String }"}}})
    );
}

async fn first_is_closed(d: &Value) -> bool {
    reqwest::Client::new()
        .post(backend_url(d, "/admin"))
        .send()
        .await
        .is_err()
}

#[tokio::test]
async fn a_session_reset_releases_the_ports_of_its_backends_at_the_next_create() {
    let s = start().await;
    let token = account(&s, "reset@example.com").await;
    let old = deployment(&s, &token, "old", "free").await;
    let (status, _) = send(s.http.post(s.main_url("/_offcloud/reset"))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(s.http.post(backend_url(&old, "/admin")).json(&json!({}))).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the wiped backend is not found"
    );
    let token = account(&s, "reset@example.com").await;
    deployment(&s, &token, "new", "free").await;
    assert!(first_is_closed(&old).await, "its port is released");
}
