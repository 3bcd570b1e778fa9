//! The exact documents real clients send (spec §9), replayed with the fields each client parses
//! checked: the preview-apps Action's delete flow, both Terraform providers, Infisical,
//! envsecrets, node-lib and the lambda's inline-literal form.

use serde_json::json;

use super::client::{data, error, project, user};
use crate::support::{TestServer, str_of};

#[tokio::test]
async fn preview_apps_action_delete_flow() {
    let s = TestServer::start().await;
    let pat = user(&s, "ada@example.com").await;
    let (tenant, project_id) = project(&s, &pat, "my-app-pr-1").await;
    let found = data(
        &s,
        &pat,
        "query getTenantId ($projectName: String!) { projects (where: { name: { _eq: $projectName } }) { id tenant { id } } }",
        json!({"projectName": "my-app-pr-1"}),
    )
    .await;
    assert_eq!(
        found,
        json!({"projects": [{"id": project_id, "tenant": {"id": tenant}}]})
    );
    let deleted = data(
        &s,
        &pat,
        "mutation deleteTenant ($tenantId: uuid!) { deleteTenant(tenantId: $tenantId) { status } }",
        json!({"tenantId": found["projects"][0]["tenant"]["id"]}),
    )
    .await;
    assert!(deleted["deleteTenant"]["status"].is_string());
    let again = data(
        &s,
        &pat,
        "query getTenantId ($projectName: String!) { projects (where: { name: { _eq: $projectName } }) { id tenant { id } } }",
        json!({"projectName": "my-app-pr-1"}),
    )
    .await;
    // The Action throws "…the given app does not exist." on [].
    assert_eq!(again, json!({"projects": []}));
    // action v1's existence check, and its auth heuristic on the anonymous error.
    let v1 = "query getProjects ($name:String!) { projects( where: {name: {_eq: $name}}) { id name endpoint } }";
    assert_eq!(
        data(&s, &pat, v1, json!({"name": "x"})).await,
        json!({"projects": []})
    );
    let e = error(&s, None, v1, json!({"name": "x"})).await;
    let message = str_of(&e["message"]);
    assert!(message.contains("projects") && message.contains("query_root"));
    s.stop().await;
}

#[tokio::test]
async fn terraform_provider_hasura_cloud_documents() {
    let s = TestServer::start().await;
    let pat = user(&s, "ada@example.com").await;
    let created = data(
        &s,
        &pat,
        "mutation createTenant($name: String, $plan: String!, $region: String!, $cloud: String!) { createTenant(cloud: $cloud, region: $region, name: $name, plan: $plan) { id } }",
        json!({"name": "tf-app", "plan": "cloud_payg", "region": "eu-central-1", "cloud": "aws"}),
    )
    .await;
    let tenant_id = str_of(&created["createTenant"]["id"]);
    let tenant = data(
        &s,
        &pat,
        "query getTenant($tenant_id: uuid!) { tenant_by_pk(id: $tenant_id) { id slug project { id endpoint } } }",
        json!({ "tenant_id": tenant_id }),
    )
    .await;
    let t = &tenant["tenant_by_pk"];
    assert_eq!(t["id"], tenant_id.as_str());
    assert_eq!(t["slug"], "tf-app");
    assert_eq!(
        t["project"]["endpoint"],
        "https://tf-app.hasura.app/v1/graphql"
    );
    let project_id = str_of(&t["project"]["id"]);
    let details = data(
        &s,
        &pat,
        "query getProjectDetails($id: uuid!) { project: projects_by_pk(id: $id) { id name endpoint } }",
        json!({ "id": project_id }),
    )
    .await;
    assert_eq!(
        details,
        json!({"project": {"id": project_id, "name": "tf-app", "endpoint": "https://tf-app.hasura.app/v1/graphql"}})
    );
    let env = data(
        &s,
        &pat,
        "query getTenantENV($tenant_id: uuid!){getTenantEnv(tenantId:$tenant_id){hash envVars}}",
        json!({ "tenant_id": tenant_id }),
    )
    .await;
    let hash = str_of(&env["getTenantEnv"]["hash"]);
    // tenantId and currentHash inlined as literals, envs as a variable.
    let updated = data(
        &s,
        &pat,
        &format!(
            "mutation updateTenantEnv($envs: [UpdateEnvObject!]!) {{ updateTenantEnv(tenantId: \"{tenant_id}\", currentHash: \"{hash}\", envs: $envs) {{ hash envVars }} }}"
        ),
        json!({"envs": [{"key": "TF_VAR", "value": "1"}]}),
    )
    .await;
    assert_eq!(
        updated["updateTenantEnv"]["envVars"]["environment"]["TF_VAR"],
        "1"
    );
    let renamed = data(
        &s,
        &pat,
        "mutation updateProjectName($name: String!, $tenantId: uuid!) { updateTenantName(name: $name, tenantId: $tenantId) { tenant { id } } }",
        json!({"name": "tf-app-2", "tenantId": tenant_id}),
    )
    .await;
    assert_eq!(
        renamed,
        json!({"updateTenantName": {"tenant": {"id": tenant_id}}})
    );
    let ips = data(
        &s,
        &pat,
        "query getGatewayIP { region(where: {is_active: {_eq: true}, nat_ip: {_is_null: false}}) { nat_ip } }",
        json!({}),
    )
    .await;
    assert!(
        ips["region"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["nat_ip"].is_string())
    );
    let deleted = data(
        &s,
        &pat,
        "mutation deleteTenant($tenant_id: uuid!) { deleteTenant(tenantId: $tenant_id) { status } }",
        json!({ "tenant_id": tenant_id }),
    )
    .await;
    assert_eq!(deleted, json!({"deleteTenant": {"status": "deleted"}}));
    s.stop().await;
}

#[tokio::test]
async fn terraform_provider_hasura_community_documents() {
    let s = TestServer::start().await;
    let pat = user(&s, "ada@example.com").await;
    let (tenant, _) = project(&s, &pat, "community").await;
    let read = data(
        &s,
        &pat,
        "query ($id: uuid!) { tenant_by_pk(id:$id) { id region cloud } }",
        json!({ "id": tenant }),
    )
    .await;
    assert_eq!(
        read,
        json!({"tenant_by_pk": {"id": tenant, "region": "us-east-2", "cloud": "aws"}})
    );
    data(
        &s,
        &pat,
        "mutation ($tenantId: uuid!) { deleteTenant(tenantId:$tenantId) { status } }",
        json!({ "tenantId": tenant }),
    )
    .await;
    // Its destroy check polls until tenant_by_pk is null.
    let gone = data(
        &s,
        &pat,
        "query ($id: uuid!) { tenant_by_pk(id:$id) { id region cloud } }",
        json!({ "id": tenant }),
    )
    .await;
    assert_eq!(gone, json!({"tenant_by_pk": null}));
    s.stop().await;
}

#[tokio::test]
async fn infisical_secret_sync_flow() {
    let s = TestServer::start().await;
    let pat = user(&s, "ada@example.com").await;
    let (tenant, _) = project(&s, &pat, "synced").await;
    let listed = data(
        &s,
        &pat,
        "query { projects { name tenant { id } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        listed,
        json!({"projects": [{"name": "synced", "tenant": {"id": tenant}}]})
    );
    let got = data(
        &s,
        &pat,
        "query getTenantEnv($tenantId: uuid!) { getTenantEnv(tenantId: $tenantId) { hash envVars } }",
        json!({ "tenantId": tenant }),
    )
    .await;
    assert!(got["getTenantEnv"]["envVars"]["environment"].is_object());
    let updated = data(
        &s,
        &pat,
        "mutation updateTenantEnv($currentHash: String!, $envs: [UpdateEnvObject!]!, $tenantId: uuid!) { updateTenantEnv(currentHash: $currentHash, envs: $envs, tenantId: $tenantId) { hash envVars } }",
        json!({"currentHash": got["getTenantEnv"]["hash"], "tenantId": tenant, "envs": [{"key": "API_KEY", "value": "s3cret"}, {"key": "OLD", "value": "x"}]}),
    )
    .await;
    let deleted = data(
        &s,
        &pat,
        "mutation deleteTenantEnv($id: uuid!, $currentHash: String!, $env: [String!]!) { deleteTenantEnv(tenantId: $id, currentHash: $currentHash, deleteEnvs: $env) { hash envVars } }",
        json!({"id": tenant, "currentHash": updated["updateTenantEnv"]["hash"], "env": ["OLD"]}),
    )
    .await;
    let env = deleted["deleteTenantEnv"]["envVars"]["environment"]
        .as_object()
        .unwrap();
    assert_eq!(env["API_KEY"], "s3cret");
    assert!(!env.contains_key("OLD"));
    s.stop().await;
}

#[tokio::test]
async fn envsecrets_sync_flow() {
    let s = TestServer::start().await;
    let pat = user(&s, "ada@example.com").await;
    let (tenant, project_id) = project(&s, &pat, "envsecrets").await;
    let listed = data(
        &s,
        &pat,
        "{ projects { name id tenant { id } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        listed,
        json!({"projects": [{"name": "envsecrets", "id": project_id, "tenant": {"id": tenant}}]})
    );
    let got = data(
        &s,
        &pat,
        "query($tenant_id: uuid!) { getTenantEnv(tenantId: $tenant_id){hash} }",
        json!({ "tenant_id": tenant }),
    )
    .await;
    let updated = data(
        &s,
        &pat,
        "mutation($tenant_id: uuid!, $hash: String!, $envs: [UpdateEnvObject!]!) { updateTenantEnv(tenantId: $tenant_id, currentHash: $hash, envs: $envs){hash} }",
        json!({"tenant_id": tenant, "hash": got["getTenantEnv"]["hash"], "envs": [{"key": "DB", "value": "postgres://db"}]}),
    )
    .await;
    // An empty hash is a failure to envsecrets.
    assert_eq!(str_of(&updated["updateTenantEnv"]["hash"]).len(), 40);
    s.stop().await;
}

#[tokio::test]
async fn node_lib_and_lambda_documents() {
    let s = TestServer::start().await;
    let pat = user(&s, "ada@example.com").await;
    let created = data(
        &s,
        &pat,
        "mutation createProject($name: String!, $envs: [UpdateEnvsObject]) { createTenant(name: $name, envs: $envs, cloud: \"aws\", region: \"us-west-1\") { tenant { id slug config { hash } project { id name endpoint } } } }",
        json!({"name": "node-made", "envs": [{"key": "A", "value": "1"}]}),
    )
    .await;
    let t = &created["createTenant"]["tenant"];
    assert_eq!(t["slug"], "node-made");
    assert_eq!(str_of(&t["config"]["hash"]).len(), 40);
    let project_id = str_of(&t["project"]["id"]);
    let by_name = data(
        &s,
        &pat,
        "query getProjectByName($name: String!) { tenant(where: {project: {name: {_eq: $name}}}, limit: 1) { id slug config { hash } project { id name endpoint } } }",
        json!({"name": "node-made"}),
    )
    .await;
    assert_eq!(by_name["tenant"][0], *t);
    let renamed = data(
        &s,
        &pat,
        "mutation($projectId: uuid!, $name: String!) { update_projects_by_pk(pk_columns:{id:$projectId}, _set:{name:$name}) { id name endpoint } }",
        json!({"projectId": project_id, "name": "node-renamed"}),
    )
    .await;
    assert_eq!(renamed["update_projects_by_pk"]["name"], "node-renamed");

    // The lambda inlines everything as literals.
    let tenant = data(
        &s,
        &pat,
        &format!("query getProjectTenantId {{ projects_by_pk(id: \"{project_id}\") {{ tenant {{ id }} }} }}"),
        json!({}),
    )
    .await;
    let tenant_id = str_of(&tenant["projects_by_pk"]["tenant"]["id"]);
    let env = data(
        &s,
        &pat,
        &format!(
            "query getTenantENV {{ getTenantEnv(tenantId: \"{tenant_id}\") {{ hash envVars }} }}"
        ),
        json!({}),
    )
    .await;
    let hash = str_of(&env["getTenantEnv"]["hash"]);
    let updated = data(
        &s,
        &pat,
        &format!("mutation updateTenantEnv {{ updateTenantEnv(tenantId: \"{tenant_id}\", currentHash: \"{hash}\", envs: [{{key: \"CMS_URL\", value: \"https://cms.example.com\"}}, {{key: \"B\", value: \"2\"}}]) {{ hash envVars }} }}"),
        json!({}),
    )
    .await;
    let vars = &updated["updateTenantEnv"]["envVars"]["environment"];
    assert_eq!(vars["CMS_URL"], "https://cms.example.com");
    assert_eq!(vars["A"], "1");
    s.stop().await;
}
