//! PATs: provisioning, the `pat` scheme, and what anonymous callers get (spec §2).

use reqwest::StatusCode;
use serde_json::json;

use super::client::{data, error, gql, graphql_url, hasura_error, project, user};
use crate::support::{TestServer, send, str_of};

#[tokio::test]
async fn control_route_creates_users_with_a_pat_shown_once() {
    let s = TestServer::start().await;
    let (status, body) = send(
        s.http
            .post(s.main_url("/_offcloud/hasura/users"))
            .json(&json!({"email": "ada@example.com"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let pat = str_of(&body["pat"]);
    assert_eq!(pat.len(), 64);
    assert!(pat.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(body["email"], "ada@example.com");
    let me = data(&s, &pat, "{ users { id email } }", json!({})).await;
    assert_eq!(
        me,
        json!({"users": [{"id": body["id"], "email": "ada@example.com"}]})
    );

    // The same email again: the same user, a second PAT; both work.
    let (status, again) = send(
        s.http
            .post(s.main_url("/_offcloud/hasura/users"))
            .json(&json!({"email": "ada@example.com"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["id"], body["id"]);
    assert_ne!(again["pat"], body["pat"]);
    let me2 = data(&s, &str_of(&again["pat"]), "{ users { id } }", json!({})).await;
    assert_eq!(me2["users"][0]["id"], body["id"]);

    for bad in [json!({}), json!({"email": "not-an-email"}), json!([1])] {
        let (status, body) = send(
            s.http
                .post(s.main_url("/_offcloud/hasura/users"))
                .json(&bad),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body["error"].is_string());
    }
    s.stop().await;
}

#[tokio::test]
async fn missing_malformed_or_unknown_pat_is_the_anonymous_role() {
    let s = TestServer::start().await;
    let pat = user(&s, "ada@example.com").await;
    let query = "query { projects { id } }";
    let expected = hasura_error(
        "field 'projects' not found in type: 'query_root'",
        "$.selectionSet.projects",
        "validation-failed",
    );
    assert_eq!(error(&s, None, query, json!({})).await, expected);
    for header in [
        "pat nonsense".to_owned(),
        "Bearer ".to_owned() + &pat,
        pat.clone(),
        "pat  ".to_owned() + &pat,
        "pat ".to_owned(),
    ] {
        let (status, body) = send(
            s.http
                .post(graphql_url(&s))
                .header("authorization", header)
                .json(&json!({ "query": query })),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, json!({"errors": [expected]}));
    }
    // Mutations name mutation_root; only the first failing field is reported.
    let e = error(
        &s,
        None,
        "mutation { deleteTenant(tenantId: \"x\") { status } createTenant(cloud: \"aws\", region: \"us-east-2\") { id } }",
        json!({}),
    )
    .await;
    assert_eq!(
        e,
        hasura_error(
            "field 'deleteTenant' not found in type: 'mutation_root'",
            "$.selectionSet.deleteTenant",
            "validation-failed"
        )
    );
    // Emulator choice: anonymous callers keep `__typename` and nothing else, not even
    // introspection.
    assert_eq!(
        gql(&s, None, "{ __typename }", json!({})).await,
        json!({"data": {"__typename": "query_root"}})
    );
    let e = error(&s, None, "{ __schema { types { name } } }", json!({})).await;
    assert_eq!(
        e["message"],
        "field '__schema' not found in type: 'query_root'"
    );
    // The valid PAT works.
    assert_eq!(
        data(&s, &pat, query, json!({})).await,
        json!({"projects": []})
    );
    s.stop().await;
}

#[tokio::test]
async fn created_pat_works_and_is_shown_once() {
    let s = TestServer::start().await;
    let pat = user(&s, "ada@example.com").await;
    let made = data(
        &s,
        &pat,
        "mutation { createPersonalAccessToken(token: {description: \"ci\"}) { id token description created_at } }",
        json!({}),
    )
    .await;
    let token = str_of(&made["createPersonalAccessToken"]["token"]);
    assert_eq!(token.len(), 64);
    assert_eq!(made["createPersonalAccessToken"]["description"], "ci");
    let (tenant, _) = project(&s, &token, "made-with-new-pat").await;
    let seen = data(&s, &pat, "{ tenant { id } }", json!({})).await;
    assert_eq!(seen, json!({"tenant": [{"id": tenant}]}));

    // Listed (without the token) and deleted: it stops working at once.
    let id = made["createPersonalAccessToken"]["id"].clone();
    let listed = data(
        &s,
        &pat,
        "{ user_personal_access_tokens(where: {description: {_eq: \"ci\"}}) { id description } }",
        json!({}),
    )
    .await;
    assert_eq!(
        listed,
        json!({"user_personal_access_tokens": [{"id": id, "description": "ci"}]})
    );
    let other = user(&s, "bob@example.com").await;
    let delete =
        "mutation($id: uuid!) { delete_user_personal_access_tokens_by_pk(id: $id) { id } }";
    let none = data(&s, &other, delete, json!({"id": id})).await;
    assert_eq!(
        none,
        json!({"delete_user_personal_access_tokens_by_pk": null})
    );
    assert_eq!(
        data(&s, &token, "{ users { email } }", json!({})).await["users"][0]["email"],
        "ada@example.com"
    );
    let deleted = data(&s, &pat, delete, json!({"id": id})).await;
    assert_eq!(
        deleted,
        json!({"delete_user_personal_access_tokens_by_pk": {"id": id}})
    );
    let e = error(&s, Some(&token), "{ users { email } }", json!({})).await;
    assert_eq!(
        e["message"],
        "field 'users' not found in type: 'query_root'"
    );
    s.stop().await;
}

#[tokio::test]
async fn users_see_only_their_own_projects() {
    let s = TestServer::start().await;
    let ada = user(&s, "ada@example.com").await;
    let bob = user(&s, "bob@example.com").await;
    let (ada_tenant, ada_project) = project(&s, &ada, "ada-app").await;
    let (bob_tenant, _) = project(&s, &bob, "bob-app").await;

    let ada_view = data(
        &s,
        &ada,
        "{ projects { name } tenant { slug } users { email } }",
        json!({}),
    )
    .await;
    assert_eq!(
        ada_view,
        json!({"projects": [{"name": "ada-app"}], "tenant": [{"slug": "ada-app"}], "users": [{"email": "ada@example.com"}]})
    );
    // By-pk lookups of another user's rows are null; actions say the tenant is not found.
    let q =
        "query($p: uuid!, $t: uuid!) { projects_by_pk(id: $p) { id } tenant_by_pk(id: $t) { id } }";
    let bob_view = data(&s, &bob, q, json!({"p": ada_project, "t": ada_tenant})).await;
    assert_eq!(
        bob_view,
        json!({"projects_by_pk": null, "tenant_by_pk": null})
    );
    for doc in [
        "mutation($t: uuid!) { deleteTenant(tenantId: $t) { status } }",
        "query($t: uuid!) { getTenantEnv(tenantId: $t) { hash } }",
        "mutation($t: uuid!) { updateTenantName(tenantId: $t, name: \"stolen\") { tenant_id } }",
    ] {
        let e = error(&s, Some(&bob), doc, json!({"t": ada_tenant})).await;
        assert_eq!(
            e,
            hasura_error("tenant not found", "$", "unexpected"),
            "{doc}"
        );
    }
    // Ada's project is untouched; Bob still has his.
    let still = data(&s, &ada, "{ projects { name } }", json!({})).await;
    assert_eq!(still, json!({"projects": [{"name": "ada-app"}]}));
    let bobs = data(&s, &bob, "{ tenant { id } }", json!({})).await;
    assert_eq!(bobs, json!({"tenant": [{"id": bob_tenant}]}));
    s.stop().await;
}

#[tokio::test]
async fn sessions_and_host_routing_reach_hasura() {
    let s = TestServer::start().await;
    // A user of session job-1, provisioned and used through the session prefix.
    let (status, body) = send(
        s.http
            .post(s.main_url("/_session/job-1/_offcloud/hasura/users"))
            .json(&json!({"email": "ci@example.com"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let pat = str_of(&body["pat"]);
    let query = json!({"query": "{ users { email } }"});
    let (status, body) = send(
        s.http
            .post(s.main_url("/_session/job-1/hasura/v1/graphql"))
            .header("authorization", format!("pat {pat}"))
            .json(&query),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"data": {"users": [{"email": "ci@example.com"}]}})
    );
    // The default session does not know that PAT.
    let (_, body) = send(
        s.http
            .post(s.main_url("/hasura/v1/graphql"))
            .header("authorization", format!("pat {pat}"))
            .json(&query),
    )
    .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "validation-failed");
    // The real host name on the main port.
    let default_pat = user(&s, "host@example.com").await;
    let (status, body) = send(
        s.http
            .post(s.main_url("/v1/graphql"))
            .header("host", "data.pro.hasura.io")
            .header("authorization", format!("pat {default_pat}"))
            .json(&query),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"data": {"users": [{"email": "host@example.com"}]}})
    );
    // Timestamps print as Postgres timestamptz.
    let (tenant, _) = project(&s, &default_pat, "timed").await;
    let t = data(
        &s,
        &default_pat,
        "query($t: uuid!) { tenant_by_pk(id: $t) { created_at } }",
        json!({"t": tenant}),
    )
    .await;
    let created = str_of(&t["tenant_by_pk"]["created_at"]);
    assert!(created.ends_with("+00:00"), "{created}");
    s.stop().await;
}

#[tokio::test]
async fn reset_wipes_users_tokens_and_projects() {
    let s = TestServer::start().await;
    let pat = user(&s, "ada@example.com").await;
    project(&s, &pat, "wiped").await;
    let (status, _) = send(s.http.post(s.main_url("/_offcloud/reset"))).await;
    assert!(status.is_success(), "{status}");
    let e = error(&s, Some(&pat), "{ projects { id } }", json!({})).await;
    assert_eq!(e["extensions"]["code"], "validation-failed");
    // The name is free again for a new user.
    let again = user(&s, "ada@example.com").await;
    project(&s, &again, "wiped").await;
    s.stop().await;
}
