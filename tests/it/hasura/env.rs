//! Env vars: getTenantEnv, updateTenantEnv (merge), deleteTenantEnv, and the hash as a real
//! compare-and-swap (spec §6.5–§6.7, §8.3, §8.4).

use serde_json::{Value, json};

use super::client::{data, error, gql, hasura_error, project, user};
use crate::support::{TestServer, str_of};

const GET: &str =
    "query getTenantEnv($tenantId: uuid!) { getTenantEnv(tenantId: $tenantId) { hash envVars } }";
const UPDATE: &str = "mutation updateTenantEnv($currentHash: String!, $envs: [UpdateEnvObject!]!, $tenantId: uuid!) { updateTenantEnv(currentHash: $currentHash, envs: $envs, tenantId: $tenantId) { hash envVars } }";
const DELETE: &str = "mutation deleteTenantEnv($id: uuid!, $currentHash: String!, $env: [String!]!) { deleteTenantEnv(tenantId: $id, currentHash: $currentHash, deleteEnvs: $env) { hash envVars } }";

fn mismatch() -> Value {
    hasura_error(
        "hash mismatch: the env vars were modified; fetch the current hash and retry",
        "$",
        "unexpected",
    )
}

fn is_sha1_hex(s: &str) -> bool {
    s.len() == 40
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[tokio::test]
async fn update_merges_delete_removes_and_hashes_chain() {
    let s = TestServer::start().await;
    let pat = user(&s, "ada@example.com").await;
    let (tenant, _) = project(&s, &pat, "envs").await;
    let got = data(&s, &pat, GET, json!({ "tenantId": tenant })).await;
    let h0 = str_of(&got["getTenantEnv"]["hash"]);
    assert!(is_sha1_hex(&h0), "{h0}");
    let secret =
        got["getTenantEnv"]["envVars"]["environment"]["HASURA_GRAPHQL_ADMIN_SECRET"].clone();

    let updated = data(
        &s,
        &pat,
        UPDATE,
        json!({"currentHash": h0, "tenantId": tenant, "envs": [
            {"key": "HASURA_GRAPHQL_ENABLE_CONSOLE", "value": "true"},
            {"key": "SPACED ", "value": " x"}]}),
    )
    .await;
    let h1 = str_of(&updated["updateTenantEnv"]["hash"]);
    assert!(is_sha1_hex(&h1));
    assert_ne!(h1, h0);
    assert_eq!(
        updated["updateTenantEnv"]["envVars"],
        json!({"environment": {"HASURA_GRAPHQL_ADMIN_SECRET": secret, "HASURA_GRAPHQL_ENABLE_CONSOLE": "true", "SPACED ": " x"}})
    );
    // The returned hash is the current one, as getTenantEnv and tenant.config.hash report.
    let again = data(&s, &pat, GET, json!({ "tenantId": tenant })).await;
    assert_eq!(again["getTenantEnv"]["hash"], h1.as_str());
    let config = data(&s, &pat, "{ tenant { config { hash } } }", json!({})).await;
    assert_eq!(config["tenant"][0]["config"]["hash"], h1.as_str());

    // The old hash is stale now.
    let e = error(
        &s,
        Some(&pat),
        UPDATE,
        json!({"currentHash": h0, "tenantId": tenant, "envs": [{"key": "A", "value": "1"}]}),
    )
    .await;
    assert_eq!(e, mismatch());
    let e = error(
        &s,
        Some(&pat),
        DELETE,
        json!({"id": tenant, "currentHash": h0, "env": ["SPACED "]}),
    )
    .await;
    assert_eq!(e, mismatch());

    // Infisical's chain: delete with the hash the update returned.
    let deleted = data(
        &s,
        &pat,
        DELETE,
        json!({"id": tenant, "currentHash": h1, "env": ["SPACED ", "NOT_THERE"]}),
    )
    .await;
    let h2 = str_of(&deleted["deleteTenantEnv"]["hash"]);
    assert_ne!(h2, h1);
    assert_eq!(
        deleted["deleteTenantEnv"]["envVars"],
        json!({"environment": {"HASURA_GRAPHQL_ADMIN_SECRET": secret, "HASURA_GRAPHQL_ENABLE_CONSOLE": "true"}})
    );
    // Same content, same hash: the hash is a function of the env.
    let back = data(
        &s,
        &pat,
        UPDATE,
        json!({"currentHash": h2, "tenantId": tenant, "envs": [{"key": "SPACED ", "value": " x"}]}),
    )
    .await;
    assert_eq!(back["updateTenantEnv"]["hash"], h1.as_str());
    s.stop().await;
}

#[tokio::test]
async fn two_concurrent_updates_with_one_hash_exactly_one_wins() {
    let s = TestServer::start().await;
    let pat = user(&s, "ada@example.com").await;
    let (tenant, _) = project(&s, &pat, "race").await;
    let h0 =
        str_of(&data(&s, &pat, GET, json!({ "tenantId": tenant })).await["getTenantEnv"]["hash"]);
    for round in 0..5 {
        let current = str_of(
            &data(&s, &pat, GET, json!({ "tenantId": tenant })).await["getTenantEnv"]["hash"],
        );
        let a = gql(
            &s,
            Some(&pat),
            UPDATE,
            json!({"currentHash": current, "tenantId": tenant, "envs": [{"key": "WHO", "value": format!("a{round}")}]}),
        );
        let b = gql(
            &s,
            Some(&pat),
            UPDATE,
            json!({"currentHash": current, "tenantId": tenant, "envs": [{"key": "WHO", "value": format!("b{round}")}]}),
        );
        let (a, b) = tokio::join!(a, b);
        let wins: Vec<&Value> = [&a, &b]
            .into_iter()
            .filter(|r| r.get("data").is_some())
            .collect();
        assert_eq!(wins.len(), 1, "{a} {b}");
        let loser = if a.get("data").is_some() { &b } else { &a };
        assert_eq!(loser["errors"][0], mismatch());
        let now = data(&s, &pat, GET, json!({ "tenantId": tenant })).await;
        assert_eq!(now["getTenantEnv"], wins[0]["data"]["updateTenantEnv"]);
    }
    assert_ne!(h0, "");
    s.stop().await;
}

#[tokio::test]
async fn unchanged_update_is_refused_only_behind_the_flag() {
    let s = TestServer::start().await;
    let pat = user(&s, "ada@example.com").await;
    let (tenant, _) = project(&s, &pat, "noop").await;
    let h0 =
        str_of(&data(&s, &pat, GET, json!({ "tenantId": tenant })).await["getTenantEnv"]["hash"]);
    let same = data(
        &s,
        &pat,
        UPDATE,
        json!({"currentHash": h0, "tenantId": tenant, "envs": []}),
    )
    .await;
    assert_eq!(same["updateTenantEnv"]["hash"], h0.as_str());
    s.stop().await;

    let mut config = crate::support::test_config();
    config.hasura.reject_unchanged_env = true;
    let s = TestServer::start_with(config).await;
    let pat = user(&s, "ada@example.com").await;
    let (tenant, _) = project(&s, &pat, "noop").await;
    let h0 =
        str_of(&data(&s, &pat, GET, json!({ "tenantId": tenant })).await["getTenantEnv"]["hash"]);
    let e = error(
        &s,
        Some(&pat),
        UPDATE,
        json!({"currentHash": h0, "tenantId": tenant, "envs": []}),
    )
    .await;
    assert_eq!(
        e,
        hasura_error("no changes in the env vars", "$", "unexpected")
    );
    s.stop().await;
}

#[tokio::test]
async fn env_input_types_are_checked_like_hasura() {
    let s = TestServer::start().await;
    let pat = user(&s, "ada@example.com").await;
    let (tenant, _) = project(&s, &pat, "types").await;
    let h0 =
        str_of(&data(&s, &pat, GET, json!({ "tenantId": tenant })).await["getTenantEnv"]["hash"]);
    // UpdateEnvsObject is createTenant's type, not updateTenantEnv's.
    let e = error(
        &s,
        Some(&pat),
        "mutation($h: String!, $envs: [UpdateEnvsObject!]!, $t: uuid!) { updateTenantEnv(currentHash: $h, envs: $envs, tenantId: $t) { hash } }",
        json!({"h": h0, "t": tenant, "envs": []}),
    )
    .await;
    assert_eq!(
        e,
        hasura_error(
            "variable 'envs' is declared as '[UpdateEnvsObject!]!', but used where '[UpdateEnvObject!]!' is expected",
            "$.selectionSet.updateTenantEnv.args.envs",
            "validation-failed"
        )
    );
    let e = error(
        &s,
        Some(&pat),
        UPDATE,
        json!({"currentHash": h0, "tenantId": tenant, "envs": [{"key": "A"}]}),
    )
    .await;
    assert_eq!(
        e,
        hasura_error(
            "missing required field 'value'",
            "$.selectionSet.updateTenantEnv.args.envs[0].value",
            "validation-failed"
        )
    );
    let e = error(
        &s,
        Some(&pat),
        UPDATE,
        json!({"currentHash": h0, "tenantId": tenant, "envs": [{"key": "A", "value": "1", "secret": true}]}),
    )
    .await;
    assert_eq!(
        e,
        hasura_error(
            "field 'secret' not found in type: 'UpdateEnvObject'",
            "$.selectionSet.updateTenantEnv.args.envs[0].secret",
            "validation-failed"
        )
    );
    // Nothing was written by the refused requests.
    let now = data(&s, &pat, GET, json!({ "tenantId": tenant })).await;
    assert_eq!(now["getTenantEnv"]["hash"], h0.as_str());
    s.stop().await;
}
