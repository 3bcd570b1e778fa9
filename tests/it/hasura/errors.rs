//! Hasura's error envelope and messages (spec §3), and a bad-input sweep: never a 5xx, never a
//! body outside the envelope.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::client::{data, error, graphql_url, hasura_error, project, user};
use crate::support::{TestServer, send};

#[tokio::test]
async fn validation_errors_use_hasura_messages_and_paths() {
    let s = TestServer::start().await;
    let pat = user(&s, "ada@example.com").await;
    let (tenant, _) = project(&s, &pat, "errs").await;
    let cases: Vec<(&str, Value, Value)> = vec![
        (
            "{ projects { id foo } }",
            json!({}),
            hasura_error(
                "field 'foo' not found in type: 'projects'",
                "$.selectionSet.projects.selectionSet.foo",
                "validation-failed",
            ),
        ),
        (
            "{ tenant { project { owner { nope } } } }",
            json!({}),
            hasura_error(
                "field 'nope' not found in type: 'users_public'",
                "$.selectionSet.tenant.selectionSet.project.selectionSet.owner.selectionSet.nope",
                "validation-failed",
            ),
        ),
        (
            "{ nonsense }",
            json!({}),
            hasura_error(
                "field 'nonsense' not found in type: 'query_root'",
                "$.selectionSet.nonsense",
                "validation-failed",
            ),
        ),
        (
            "query getTenantEnv($tenantId: uuid!) { getTenantEnv(tenantId: $tenantId) { hash envVars } }",
            json!({}),
            hasura_error(
                "expecting a value for non-nullable variable: \"tenantId\"",
                "$",
                "validation-failed",
            ),
        ),
        (
            "{ projects_by_pk(id: \"x\") { id } }",
            json!({}),
            hasura_error(
                "invalid input syntax for type uuid: \"x\"",
                "$",
                "data-exception",
            ),
        ),
        (
            "{ projects(where: {id: {_eq: \"x\"}}) { id } }",
            json!({}),
            hasura_error(
                "invalid input syntax for type uuid: \"x\"",
                "$",
                "data-exception",
            ),
        ),
        (
            "{ projects(where: {foo: {_eq: \"x\"}}) { id } }",
            json!({}),
            hasura_error(
                "field 'foo' not found in type: 'projects_bool_exp'",
                "$.selectionSet.projects.args.where.foo",
                "validation-failed",
            ),
        ),
        (
            "{ projects(where: {name: {_regex: \"x\"}}) { id } }",
            json!({}),
            hasura_error(
                "field '_regex' not found in type: 'String_comparison_exp'",
                "$.selectionSet.projects.args.where.name._regex",
                "validation-failed",
            ),
        ),
        (
            "{ projects(order_by: {nope: asc}) { id } }",
            json!({}),
            hasura_error(
                "field 'nope' not found in type: 'projects_order_by'",
                "$.selectionSet.projects.args.order_by.nope",
                "validation-failed",
            ),
        ),
        (
            "{ projects(bogus: 1) { id } }",
            json!({}),
            hasura_error(
                "'projects' has no argument named 'bogus'",
                "$.selectionSet.projects",
                "validation-failed",
            ),
        ),
        (
            "{ projects_by_pk { id } }",
            json!({}),
            hasura_error(
                "missing required field 'id'",
                "$.selectionSet.projects_by_pk.args.id",
                "validation-failed",
            ),
        ),
        (
            "mutation { createTenant(region: \"us-east-2\") { id } }",
            json!({}),
            hasura_error(
                "missing required field 'cloud'",
                "$.selectionSet.createTenant.args.cloud",
                "validation-failed",
            ),
        ),
        (
            "query($id: String!) { projects_by_pk(id: $id) { id } }",
            json!({"id": tenant}),
            hasura_error(
                "variable 'id' is declared as 'String!', but used where 'uuid!' is expected",
                "$.selectionSet.projects_by_pk.args.id",
                "validation-failed",
            ),
        ),
        (
            "{ projects { ",
            json!({}),
            hasura_error("not a valid graphql query", "$.query", "validation-failed"),
        ),
        (
            "query a { users { id } } query b { users { id } }",
            json!({}),
            hasura_error(
                "exactly one operation has to be present in the document when operationName is not specified",
                "$",
                "validation-failed",
            ),
        ),
        (
            "subscription { projects { id } }",
            json!({}),
            hasura_error(
                "field 'projects' not found in type: 'subscription_root'",
                "$.selectionSet.projects",
                "validation-failed",
            ),
        ),
        (
            "query($a: Int) { projects(limit: $a) { id } }",
            json!({"a": 1, "b": 2}),
            hasura_error(
                "unexpected variables in variableValues: b",
                "$",
                "validation-failed",
            ),
        ),
        (
            "{ projects(limit: -1) { id } }",
            json!({}),
            hasura_error(
                "unexpected negative value",
                "$.selectionSet.projects.args.limit",
                "validation-failed",
            ),
        ),
        // A number that is no 32-bit integer is refused as such, before its sign is looked at.
        (
            "{ projects(limit: 3000000000) { id } }",
            json!({}),
            hasura_error(
                "The value 3.0e9 lies outside the bounds or is not an integer. Maybe it is a float, or is there integer overflow?",
                "$.selectionSet.projects.args.limit",
                "parse-failed",
            ),
        ),
        (
            "query($o: Int) { projects(offset: $o) { id } }",
            json!({"o": 2147483648_i64}),
            hasura_error(
                "The value 2.147483648e9 lies outside the bounds or is not an integer. Maybe it is a float, or is there integer overflow?",
                "$.selectionSet.projects.args.offset",
                "parse-failed",
            ),
        ),
        (
            "query($l: Int) { projects(limit: $l) { id } }",
            json!({"l": -2.5}),
            hasura_error(
                "The value -2.5 lies outside the bounds or is not an integer. Maybe it is a float, or is there integer overflow?",
                "$.selectionSet.projects.args.limit",
                "parse-failed",
            ),
        ),
    ];
    for (query, vars, want) in cases {
        assert_eq!(error(&s, Some(&pat), query, vars).await, want, "{query}");
    }
    // A failing mutation field later in the document stops everything before any write.
    let e = error(
        &s,
        Some(&pat),
        "mutation { createTenant(cloud: \"aws\", region: \"us-east-2\", name: \"never\") { id } deleteTenant(tenantId: \"x\") { nope } }",
        json!({}),
    )
    .await;
    assert_eq!(
        e["message"],
        "field 'nope' not found in type: 'TenantDeleteResponse'"
    );
    let projects = data(&s, &pat, "{ projects { name } }", json!({})).await;
    assert_eq!(projects, json!({"projects": [{"name": "errs"}]}));
    s.stop().await;
}

#[tokio::test]
async fn fragments_aliases_and_directives_resolve() {
    let s = TestServer::start().await;
    let pat = user(&s, "ada@example.com").await;
    let (tenant, _) = project(&s, &pat, "parsed").await;
    let (status, body) = send(
        s.http
            .post(graphql_url(&s))
            .header("authorization", format!("pat {pat}"))
            .json(&json!({
                "query": r#"
        fragment T on tenant { slug }
        query other { users { id } }
        query mine($t: uuid! = "00000000-0000-4000-8000-000000000000", $yes: Boolean!) {
          project: tenant_by_pk(id: $t) { ...T kind: __typename ... on tenant { region @include(if: $yes) cloud @skip(if: $yes) } }
          root: __typename
        }"#,
                "variables": {"t": tenant, "yes": true},
                "operationName": "mine"
            })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"data": {"project": {"slug": "parsed", "kind": "tenant", "region": "us-east-2"}, "root": "query_root"}})
    );
    // The default applies when the variable is absent.
    let (_, body) = send(
        s.http
            .post(graphql_url(&s))
            .header("authorization", format!("pat {pat}"))
            .json(&json!({
                "query": "query mine($t: uuid! = \"00000000-0000-4000-8000-000000000000\") { tenant_by_pk(id: $t) { id } }",
            })),
    )
    .await;
    assert_eq!(body, json!({"data": {"tenant_by_pk": null}}));
    // Batching: an array in, an array out.
    let (status, body) = send(
        s.http
            .post(graphql_url(&s))
            .header("authorization", format!("pat {pat}"))
            .json(&json!([{"query": "{ tenant { slug } }"}, {"query": "{ nope }"}])),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!([{"data": {"tenant": [{"slug": "parsed"}]}},
               {"errors": [hasura_error("field 'nope' not found in type: 'query_root'", "$.selectionSet.nope", "validation-failed")]}])
    );
    s.stop().await;
}

#[tokio::test]
async fn transport_errors_and_bad_input_sweep_never_5xx() {
    let s = TestServer::start().await;
    let pat = user(&s, "ada@example.com").await;
    let url = graphql_url(&s);
    // GET: emulator choice, HTTP 200 not-supported.
    let (status, body) = send(s.http.get(&url)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["errors"][0]["extensions"]["code"], "not-supported");
    let (status, body) = send(s.http.post(format!("http://{}/v1/nothing", s.hasura))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        json!({"path": "$", "error": "resource does not exist", "code": "not-found"})
    );
    let (status, body) = send(s.http.put(&url)).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["code"], "method-not-allowed");
    // Also reachable on the main port under /hasura.
    let (status, body) = send(
        s.http
            .post(s.main_url("/hasura/v1/graphql"))
            .header("authorization", format!("pat {pat}"))
            .json(&json!({"query": "{ users { email } }"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"data": {"users": [{"email": "ada@example.com"}]}})
    );

    let raw_bodies: Vec<String> = vec![
        "".into(),
        "not json".into(),
        "null".into(),
        "42".into(),
        "{}".into(),
        r#"{"query": 5}"#.into(),
        r#"{"query": "{ users { id } }", "variables": [1]}"#.into(),
        r#"{"query": "{ users { id } }", "variables": "x"}"#.into(),
        r#"{"query": "query($a: uuid!) { projects_by_pk(id: $a) { id } }", "variables": {"a": {"x": 1}}}"#.into(),
        r#"{"query": "query($a: Int) { projects(limit: $a) { id } }", "variables": {"a": "ten"}}"#.into(),
        r#"{"query": "{ projects(where: {name: 5}) { id } }"}"#.into(),
        r#"{"query": "{ projects(where: {_and: 5}) { id } }"}"#.into(),
        r#"{"query": "{ projects(order_by: {name: sideways}) { id } }"}"#.into(),
        r#"{"query": "{ projects(distinct_on: [nope]) { id } }"}"#.into(),
        r#"{"query": "{ projects(where: {name: {_is_null: 3}}) { id } }"}"#.into(),
        r#"{"query": "{ users { id ...Missing } }"}"#.into(),
        r#"{"query": "fragment A on users { ...A } { users { ...A } }"}"#.into(),
        r#"{"query": "mutation { createTenant(cloud: 5, region: []) { id } }"}"#.into(),
        r#"{"query": "mutation { updateTenantEnv(tenantId: \"x\", currentHash: \"y\", envs: 7) { hash } }"}"#.into(),
        r#"{"query": "mutation { deleteTenantEnv(tenantId: \"x\", currentHash: \"y\", deleteEnvs: [1]) { hash } }"}"#.into(),
        r#"{"query": "mutation { createGitHubPreviewApp { githubPreviewAppJobID } }"}"#.into(),
        r#"{"query": "mutation { createGitHubPreviewApp(payload: 3) { githubPreviewAppJobID } }"}"#.into(),
        r#"{"query": "mutation { insert_custom_domain_one(object: {fqdn: \"a.b\", tenant_id: \"x\"}) { id } }"}"#.into(),
        r#"{"query": "mutation { inviteCollaborator(invite: {collaborator_email: \"a\", privileges: 3, project_id: \"x\"}) { id } }"}"#.into(),
        r#"{"query": "mutation { acceptInvite(inviteKey: \"nope\") { id } }"}"#.into(),
        r#"{"query": "mutation { update_projects_by_pk(pk_columns: {}, _set: {}) { id } }"}"#.into(),
        r#"{"query": "{ tenant { health_status(path: 5) } }"}"#.into(),
        format!(r#"{{"query": "{{ {} }}"}}"#, "users { id } ".repeat(200)),
        format!(r#"{{"query": "{{ {}"}}"#, "tenant { project { ".repeat(40)),
    ];
    for raw in raw_bodies {
        let response = s
            .http
            .post(&url)
            .header("authorization", format!("pat {pat}"))
            .header("content-type", "application/json")
            .body(raw.clone())
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{raw} -> {text}");
        let body: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{raw} -> {text}"));
        let ok_data = body.get("data").is_some() && body.get("errors").is_none();
        let ok_error = body["errors"][0]["message"].is_string() && body.get("data").is_none();
        assert!(ok_data || ok_error, "{raw} -> {text}");
        if let Some(code) = body["errors"][0]["extensions"]["code"].as_str() {
            assert_ne!(code, "GenericServerError", "{raw} -> {text}");
        }
    }
    s.stop().await;
}

#[tokio::test]
async fn introspection_shows_hasura_names_to_authenticated_callers() {
    let s = TestServer::start().await;
    let pat = user(&s, "ada@example.com").await;
    let got = data(
        &s,
        &pat,
        r#"{ __schema { queryType { name } mutationType { name } }
             uuid: __type(name: "uuid") { kind }
             env: __type(name: "UpdateEnvObject") { inputFields { name } }
             envs: __type(name: "UpdateEnvsObject") { name }
             exp: __type(name: "projects_bool_exp") { inputFields { name } }
             root: __type(name: "query_root") { fields { name } } }"#,
        json!({}),
    )
    .await;
    assert_eq!(
        got["__schema"],
        json!({"queryType": {"name": "query_root"}, "mutationType": {"name": "mutation_root"}})
    );
    assert_eq!(got["uuid"], json!({"kind": "SCALAR"}));
    assert_eq!(
        got["env"],
        json!({"inputFields": [{"name": "key"}, {"name": "value"}]})
    );
    assert_eq!(got["envs"], json!({"name": "UpdateEnvsObject"}));
    let exp: Vec<&str> = got["exp"]["inputFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(
        exp.contains(&"_and") && exp.contains(&"tenant") && exp.contains(&"name"),
        "{exp:?}"
    );
    let root: Vec<&str> = got["root"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    for f in [
        "projects",
        "projects_by_pk",
        "tenant",
        "tenant_by_pk",
        "jobs_by_pk",
        "getTenantEnv",
        "region",
        "users",
    ] {
        assert!(root.contains(&f), "{f} missing from {root:?}");
    }
    let e = error(
        &s,
        Some(&pat),
        "{ __schema { queryType { name } } projects { id } }",
        json!({}),
    )
    .await;
    assert_eq!(e["extensions"]["code"], "validation-failed");
    s.stop().await;
}
