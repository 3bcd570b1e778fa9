//! Projects and tenants: createTenant, the table queries with where/order_by/limit/offset,
//! renames, deleteTenant, regions and plans (spec §6.1–§6.4, §6.11, §6.13).

use serde_json::json;

use super::client::{data, error, hasura_error, project, user};
use crate::support::{TestServer, str_of};

#[tokio::test]
async fn create_tenant_documented_form_makes_project_tenant_and_env() {
    let s = TestServer::start().await;
    let pat = user(&s, "ada@example.com").await;
    let created = data(
        &s,
        &pat,
        r#"mutation createProject {
  createTenant(
    cloud: "aws"
    region: "us-east-2"
    envs: [{ key: "HASURA_GRAPHQL_CORS_DOMAIN", value: "*" }, { key: "MY_ENV_VAR_1", value: "my value 1" }]
  ) {
    id
    name
  }
}"#,
        json!({}),
    )
    .await;
    let tenant_id = str_of(&created["createTenant"]["id"]);
    let name = str_of(&created["createTenant"]["name"]);
    // Emulator choice: generated names are <adjective>-<animal>-<2 digits>.
    let parts: Vec<&str> = name.split('-').collect();
    assert_eq!(parts.len(), 3, "{name}");
    assert_eq!(parts[2].len(), 2);
    assert!(parts[2].bytes().all(|b| b.is_ascii_digit()));

    let tenant = data(
        &s,
        &pat,
        &format!(
            "query getTenantDetails {{ tenant_by_pk(id: \"{tenant_id}\") {{ id slug fqdn cloud region active major_version config {{ hash }} project {{ id name endpoint plan_name tenant {{ id }} }} }} }}"
        ),
        json!({}),
    )
    .await;
    let t = &tenant["tenant_by_pk"];
    assert_eq!(t["id"], tenant_id);
    assert_eq!(t["slug"], name.as_str());
    assert_eq!(t["fqdn"], format!("{name}.hasura.app"));
    assert_eq!(t["cloud"], "aws");
    assert_eq!(t["region"], "us-east-2");
    assert_eq!(t["active"], true);
    assert_eq!(t["major_version"], 2);
    assert_eq!(t["project"]["name"], name.as_str());
    assert_eq!(t["project"]["plan_name"], "cloud_free");
    assert_eq!(
        t["project"]["endpoint"],
        format!("https://{name}.hasura.app/v1/graphql")
    );
    assert_eq!(t["project"]["tenant"]["id"], tenant_id);
    assert_ne!(
        t["project"]["id"], tenant_id,
        "project and tenant ids differ"
    );

    // The documented projects_by_pk form finds the tenant id from the project id.
    let project_id = str_of(&t["project"]["id"]);
    let by_project = data(
        &s,
        &pat,
        &format!("query getProjectTenantId {{ projects_by_pk(id: \"{project_id}\") {{ id tenant {{ id }} }} }}"),
        json!({}),
    )
    .await;
    assert_eq!(
        by_project,
        json!({"projects_by_pk": {"id": project_id, "tenant": {"id": tenant_id}}})
    );

    let env = data(
        &s,
        &pat,
        "query getTenantEnv($tenantId: uuid!) { getTenantEnv(tenantId: $tenantId) { hash envVars } }",
        json!({ "tenantId": tenant_id }),
    )
    .await;
    let vars = env["getTenantEnv"]["envVars"]["environment"]
        .as_object()
        .unwrap();
    assert_eq!(vars["HASURA_GRAPHQL_CORS_DOMAIN"], "*");
    assert_eq!(vars["MY_ENV_VAR_1"], "my value 1");
    let secret = str_of(&vars["HASURA_GRAPHQL_ADMIN_SECRET"]);
    assert_eq!(secret.len(), 64);
    assert_eq!(vars.len(), 3);
    assert_eq!(env["getTenantEnv"]["hash"], t["config"]["hash"]);
    s.stop().await;
}

#[tokio::test]
async fn create_tenant_refuses_bad_placement_names_and_duplicates() {
    let s = TestServer::start().await;
    let pat = user(&s, "ada@example.com").await;
    let other = user(&s, "bob@example.com").await;
    let create = |name: &'static str,
                  cloud: &'static str,
                  region: &'static str,
                  plan: &'static str| {
        format!(
            "mutation {{ createTenant(name: \"{name}\", cloud: \"{cloud}\", region: \"{region}\", plan: \"{plan}\") {{ id }} }}"
        )
    };
    let cases = [
        (
            create("ok-name", "moon", "us-east-2", "cloud_free"),
            "invalid cloud \"moon\"",
        ),
        (
            create("ok-name", "aws", "mars-1", "cloud_free"),
            "region \"mars-1\" is not available on cloud \"aws\"",
        ),
        (
            create("ok-name", "aws", "us-east-2", "gold"),
            "invalid plan \"gold\"",
        ),
        (
            create("Bad Name", "aws", "us-east-2", "cloud_free"),
            "invalid project name \"Bad Name\": use lowercase letters, digits and hyphens",
        ),
    ];
    for (doc, message) in cases {
        let e = error(&s, Some(&pat), &doc, json!({})).await;
        assert_eq!(e, hasura_error(message, "$", "unexpected"), "{doc}");
    }
    project(&s, &pat, "taken").await;
    // A name is a subdomain: taken for everyone.
    let e = error(
        &s,
        Some(&other),
        &create("taken", "gcp", "us-central1", "cloud_payg"),
        json!({}),
    )
    .await;
    assert_eq!(
        e,
        hasura_error(
            "a project with the name \"taken\" already exists",
            "$",
            "unexpected"
        )
    );
    let none = data(&s, &other, "{ projects { id } }", json!({})).await;
    assert_eq!(none, json!({"projects": []}));
    // The obsolete databaseUrl argument (tf-community) fails validation.
    let e = error(
        &s,
        Some(&pat),
        "mutation ($databaseUrl: String!, $region: String!, $cloud: String!, $name: String) { createTenant(name:$name, region:$region, databaseUrl:$databaseUrl, cloud:$cloud) { id name } }",
        json!({"databaseUrl": "postgres://x", "region": "us-east-2", "cloud": "aws", "name": "tfc"}),
    )
    .await;
    assert_eq!(
        e,
        hasura_error(
            "'createTenant' has no argument named 'databaseUrl'",
            "$.selectionSet.createTenant",
            "validation-failed"
        )
    );
    s.stop().await;
}

#[tokio::test]
async fn list_queries_filter_order_and_page() {
    let s = TestServer::start().await;
    let pat = user(&s, "ada@example.com").await;
    for name in ["charlie", "alpha", "bravo", "delta-x"] {
        project(&s, &pat, name).await;
    }
    let names = |v: &serde_json::Value, key: &str| -> Vec<String> {
        v[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| str_of(&p["name"]))
            .collect()
    };
    let q = |doc: &str| doc.to_owned();
    let cases: Vec<(String, serde_json::Value, Vec<&str>)> = vec![
        (
            q("query($n: String!) { projects(where: {name: {_eq: $n}}) { name } }"),
            json!({"n": "bravo"}),
            vec!["bravo"],
        ),
        (
            q("{ projects(order_by: {name: asc}) { name } }"),
            json!({}),
            vec!["alpha", "bravo", "charlie", "delta-x"],
        ),
        (
            q("{ projects(order_by: [{name: desc}], limit: 2) { name } }"),
            json!({}),
            vec!["delta-x", "charlie"],
        ),
        (
            q("{ projects(order_by: {name: asc}, limit: 2, offset: 1) { name } }"),
            json!({}),
            vec!["bravo", "charlie"],
        ),
        (
            q("{ projects(where: {name: {_neq: \"alpha\"}}, order_by: {name: asc}) { name } }"),
            json!({}),
            vec!["bravo", "charlie", "delta-x"],
        ),
        (
            q(
                "{ projects(where: {name: {_in: [\"alpha\", \"delta-x\"]}}, order_by: {name: asc}) { name } }",
            ),
            json!({}),
            vec!["alpha", "delta-x"],
        ),
        (
            q(
                "{ projects(where: {name: {_nin: [\"alpha\", \"delta-x\"]}}, order_by: {name: asc}) { name } }",
            ),
            json!({}),
            vec!["bravo", "charlie"],
        ),
        (
            q("{ projects(where: {name: {_like: \"%a%\"}}, order_by: {name: asc}) { name } }"),
            json!({}),
            vec!["alpha", "bravo", "charlie", "delta-x"],
        ),
        (
            q("{ projects(where: {name: {_like: \"%-_\"}}) { name } }"),
            json!({}),
            vec!["delta-x"],
        ),
        (
            q("{ projects(where: {name: {_ilike: \"ALP%\"}}) { name } }"),
            json!({}),
            vec!["alpha"],
        ),
        (
            q(
                "{ projects(where: {_or: [{name: {_eq: \"alpha\"}}, {name: {_eq: \"bravo\"}}]}, order_by: {name: desc}) { name } }",
            ),
            json!({}),
            vec!["bravo", "alpha"],
        ),
        (
            q(
                "{ projects(where: {_and: [{name: {_gte: \"b\"}}, {name: {_lt: \"d\"}}]}, order_by: {name: asc}) { name } }",
            ),
            json!({}),
            vec!["bravo", "charlie"],
        ),
        (
            q(
                "{ projects(where: {_not: {name: {_like: \"%a%a%\"}}}, order_by: {name: asc}) { name } }",
            ),
            json!({}),
            vec!["bravo", "charlie", "delta-x"],
        ),
        (
            q("{ projects(where: {tenant: {slug: {_eq: \"charlie\"}}}) { name } }"),
            json!({}),
            vec!["charlie"],
        ),
        (
            q("{ projects(where: {plan_name: {_is_null: true}}) { name } }"),
            json!({}),
            vec![],
        ),
        (
            q("{ projects(order_by: {tenant: {region: asc, slug: desc}}, limit: 1) { name } }"),
            json!({}),
            vec!["delta-x"],
        ),
    ];
    for (doc, vars, want) in cases {
        let got = data(&s, &pat, &doc, vars).await;
        assert_eq!(names(&got, "projects"), want, "{doc}");
    }
    // Relationship filter from the tenant side (node-lib), and aggregates.
    let t = data(
        &s,
        &pat,
        "query($name: String!) { tenant(where: {project: {name: {_eq: $name}}}, limit: 1) { slug project { name } } projects_aggregate(where: {name: {_like: \"%a%\"}}) { aggregate { count } } }",
        json!({"name": "alpha"}),
    )
    .await;
    assert_eq!(
        t,
        json!({"tenant": [{"slug": "alpha", "project": {"name": "alpha"}}], "projects_aggregate": {"aggregate": {"count": 4}}})
    );
    s.stop().await;
}

#[tokio::test]
async fn delete_tenant_removes_project_and_tenant() {
    let s = TestServer::start().await;
    let pat = user(&s, "ada@example.com").await;
    let (tenant, project_id) = project(&s, &pat, "short-lived").await;
    let deleted = data(
        &s,
        &pat,
        &format!("mutation deleteTenant {{ deleteTenant(tenantId: \"{tenant}\") {{ status }} }}"),
        json!({}),
    )
    .await;
    assert_eq!(deleted, json!({"deleteTenant": {"status": "deleted"}}));
    let gone = data(
        &s,
        &pat,
        "query($t: uuid!, $p: uuid!, $n: String!) { tenant_by_pk(id: $t) { id } projects_by_pk(id: $p) { id } projects(where: {name: {_eq: $n}}) { id } }",
        json!({"t": tenant, "p": project_id, "n": "short-lived"}),
    )
    .await;
    assert_eq!(
        gone,
        json!({"tenant_by_pk": null, "projects_by_pk": null, "projects": []})
    );
    let again = error(
        &s,
        Some(&pat),
        "mutation ($tenantId: uuid!) { deleteTenant(tenantId:$tenantId) { status } }",
        json!({ "tenantId": tenant }),
    )
    .await;
    assert_eq!(again, hasura_error("tenant not found", "$", "unexpected"));
    // The name is free again.
    project(&s, &pat, "short-lived").await;
    s.stop().await;
}

#[tokio::test]
async fn renames_move_slug_fqdn_and_endpoint() {
    let s = TestServer::start().await;
    let pat = user(&s, "ada@example.com").await;
    let (tenant, project_id) = project(&s, &pat, "old-name").await;
    let renamed = data(
        &s,
        &pat,
        "mutation updateProjectName($name: String!, $tenantId: uuid!) { updateTenantName(name: $name, tenantId: $tenantId) { tenant { id slug fqdn project { name endpoint } } tenant_id } }",
        json!({"name": "new-name", "tenantId": tenant}),
    )
    .await;
    assert_eq!(
        renamed,
        json!({"updateTenantName": {"tenant": {"id": tenant, "slug": "new-name", "fqdn": "new-name.hasura.app",
            "project": {"name": "new-name", "endpoint": "https://new-name.hasura.app/v1/graphql"}}, "tenant_id": tenant}})
    );
    // node-lib's update_projects_by_pk.
    let updated = data(
        &s,
        &pat,
        "mutation($projectId: uuid!, $name: String!) { update_projects_by_pk(pk_columns: {id: $projectId}, _set: {name: $name}) { id name endpoint } }",
        json!({"projectId": project_id, "name": "third-name"}),
    )
    .await;
    assert_eq!(
        updated,
        json!({"update_projects_by_pk": {"id": project_id, "name": "third-name", "endpoint": "https://third-name.hasura.app/v1/graphql"}})
    );
    let e = error(
        &s,
        Some(&pat),
        "mutation($p: uuid!) { update_projects_by_pk(pk_columns: {id: $p}, _set: {owner_id: $p}) { id } }",
        json!({"p": project_id}),
    )
    .await;
    assert_eq!(
        e,
        hasura_error(
            "field 'owner_id' not found in type: 'projects_set_input'",
            "$.selectionSet.update_projects_by_pk.args._set.owner_id",
            "validation-failed"
        )
    );
    // Another user's project: null, unchanged.
    let bob = user(&s, "bob@example.com").await;
    let none = data(
        &s,
        &bob,
        "mutation($p: uuid!) { update_projects_by_pk(pk_columns: {id: $p}, _set: {name: \"bobs\"}) { id } }",
        json!({"p": project_id}),
    )
    .await;
    assert_eq!(none, json!({"update_projects_by_pk": null}));
    let still = data(&s, &pat, "{ projects { name } }", json!({})).await;
    assert_eq!(still, json!({"projects": [{"name": "third-name"}]}));
    s.stop().await;
}

#[tokio::test]
async fn endpoint_and_domain_are_configurable() {
    let mut config = crate::support::test_config();
    config.hasura.endpoint = "http://{name}.apps.test:8080".into();
    config.hasura.app_domain = "apps.test".into();
    let s = TestServer::start_with(config).await;
    let pat = user(&s, "ada@example.com").await;
    project(&s, &pat, "local").await;
    let got = data(
        &s,
        &pat,
        "{ tenant { fqdn project { endpoint } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        got,
        json!({"tenant": [{"fqdn": "local.apps.test", "project": {"endpoint": "http://local.apps.test:8080"}}]})
    );
    s.stop().await;
}

#[tokio::test]
async fn regions_plans_and_privileges_are_listed() {
    let s = TestServer::start().await;
    let pat = user(&s, "ada@example.com").await;
    let ips = data(
        &s,
        &pat,
        "query getGatewayIP { region(where: {is_active: {_eq: true}, nat_ip: {_is_null: false}}) { nat_ip } }",
        json!({}),
    )
    .await;
    assert_eq!(ips["region"].as_array().unwrap().len(), 20);
    let one = data(
        &s,
        &pat,
        "{ region_by_pk(cloud: \"gcp\", name: \"us-central1\") { cloud name } plans(order_by: {name: asc}) { name } privileges_by_pk(slug: \"admin\") { name } }",
        json!({}),
    )
    .await;
    assert_eq!(
        one,
        json!({"region_by_pk": {"cloud": "gcp", "name": "us-central1"},
               "plans": [{"name": "cloud_free"}, {"name": "cloud_free_v2"}, {"name": "cloud_payg"}],
               "privileges_by_pk": {"name": "Admin"}})
    );
    s.stop().await;
}

#[tokio::test]
async fn move_project_region() {
    let s = TestServer::start().await;
    let pat = user(&s, "ada@example.com").await;
    let bob = user(&s, "bob@example.com").await;
    let (_, project_id) = project(&s, &pat, "mover").await;
    let doc = "mutation($p: uuid!, $c: String, $r: String) { moveProjectRegion(projectId: $p, cloud: $c, region: $r) { projectId project { tenant { cloud region } } } }";
    let moved = data(
        &s,
        &pat,
        doc,
        json!({"p": project_id, "c": "gcp", "r": "europe-west1"}),
    )
    .await;
    assert_eq!(
        moved,
        json!({"moveProjectRegion": {"projectId": project_id, "project": {"tenant": {"cloud": "gcp", "region": "europe-west1"}}}})
    );
    let e = error(
        &s,
        Some(&pat),
        doc,
        json!({"p": project_id, "r": "us-east-2"}),
    )
    .await;
    assert_eq!(
        e,
        hasura_error(
            "region \"us-east-2\" is not available on cloud \"gcp\"",
            "$",
            "unexpected"
        )
    );
    let e = error(
        &s,
        Some(&bob),
        doc,
        json!({"p": project_id, "r": "us-west1"}),
    )
    .await;
    assert_eq!(e, hasura_error("project not found", "$", "unexpected"));
    s.stop().await;
}
