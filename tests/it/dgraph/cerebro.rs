//! Cerebro's GraphQL API: login, deployments, lambdas, organizations (spec §4).

use std::time::Duration;

use base64::Engine;
use reqwest::StatusCode;
use serde_json::json;

use super::*;

#[tokio::test]
async fn login_returns_a_token_and_bad_credentials_get_null_login_with_an_error() {
    let s = start().await;
    let (status, _) = create_account(&s, "ada@example.com").await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = login(&s, "ada@example.com", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body["data"]["login"]["token"]
            .as_str()
            .is_some_and(|t| t.len() > 20)
    );

    let (status, body) = login(&s, "ada@example.com", "wrong").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"], json!({"login": null}));
    assert_eq!(body["errors"][0]["message"], "Invalid email or password");
    assert_eq!(body["errors"][0]["path"], json!(["login"]));

    let (_, body) = login(&s, "nobody@example.com", PASSWORD).await;
    assert_eq!(body["data"], json!({"login": null}));
}

#[tokio::test]
async fn accounts_are_unique_by_email_and_need_a_password() {
    let s = start().await;
    assert_eq!(
        create_account(&s, "a@example.com").await.0,
        StatusCode::CREATED
    );
    let (status, body) = create_account(&s, "A@example.com").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        body,
        json!({"error": "an account with email A@example.com already exists"})
    );
    let (status, body) = send(
        s.http
            .post(s.main_url("/_offcloud/dgraph/accounts"))
            .json(&json!({"email": "b@example.com"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, json!({"error": "password is required"}));
}

#[tokio::test]
async fn calls_without_a_valid_token_are_unauthorized_with_null_data() {
    let s = start().await;
    let query = "{ deployments { uid } }";
    let (status, body) = cerebro(&s, None, query, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"], serde_json::Value::Null);
    assert_eq!(body["errors"][0]["message"], "unauthorized");
    let (_, body) = cerebro(&s, Some("not-a-token"), query, json!({})).await;
    assert_eq!(body["errors"][0]["message"], "unauthorized");
}

#[tokio::test]
async fn tokens_expire_after_the_configured_lifetime() {
    let s = start().await;
    let token = account(&s, "t@example.com").await;
    let (_, body) = cerebro(&s, Some(&token), "{ deployments { uid } }", json!({})).await;
    assert_eq!(body, json!({"data": {"deployments": []}}));
    s.advance("default", Duration::from_secs(24 * 3600 + 1))
        .await;
    let (_, body) = cerebro(&s, Some(&token), "{ deployments { uid } }", json!({})).await;
    assert_eq!(body["errors"][0]["message"], "unauthorized");
}

#[tokio::test]
async fn created_deployments_are_listed_with_every_documented_field() {
    let s = start().await;
    let token = account(&s, "d@example.com").await;
    let created = deployment(&s, &token, "My New Deployment", "free").await;
    let uid = str_of(&created["uid"]);
    assert!(uid.starts_with("0x"));
    assert_eq!(created["name"], "My New Deployment");
    assert_eq!(created["subdomain"], "my-new-deployment");
    assert_eq!(created["zone"], "us-east-1");
    assert_eq!(created["deploymentMode"], "graphql");
    assert_eq!(created["deploymentType"], "free");
    assert_eq!(created["lambdaScript"], "");
    assert_eq!(created["tenantID"], 0);
    assert!(str_of(&created["url"]).starts_with("127.0.0.1:"));

    // The documented query text, with no `variables` key, as the CLI sends it.
    let (status, body) = send(
        s.http.post(dg(&s, "/graphql")).bearer_auth(&token).json(&json!({
            "query": "{\n      deployments {\n        uid\n        name\n        zone\n        url\n        owner\n        jwtToken\n        deploymentMode\n        lambdaScript\n      }\n    }"
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let list = body["data"]["deployments"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["uid"], created["uid"]);
    assert_eq!(list[0]["jwtToken"], created["jwtToken"]);
    assert_eq!(list[0]["owner"], created["owner"]);
}

#[tokio::test]
async fn one_account_never_sees_or_touches_another_accounts_deployments() {
    let s = start().await;
    let alice = account(&s, "alice@example.com").await;
    let bob = account(&s, "bob@example.com").await;
    let d = deployment(&s, &alice, "alice-app", "free").await;
    let uid = str_of(&d["uid"]);

    let (_, body) = cerebro(&s, Some(&bob), "{ deployments { uid } }", json!({})).await;
    assert_eq!(body, json!({"data": {"deployments": []}}));
    let (_, body) = cerebro(
        &s,
        Some(&bob),
        "mutation DeleteDeployment($deploymentUid: String!) {\n  deleteDeployment(deploymentID: $deploymentUid)\n}",
        json!({"deploymentUid": uid}),
    )
    .await;
    assert_eq!(body["data"], json!({"deleteDeployment": null}));
    assert_eq!(
        body["errors"][0]["message"],
        format!("deployment {uid} not found")
    );
    let (_, body) = cerebro(
        &s,
        Some(&bob),
        "mutation($dep: UpdateDeploymentInput!) { updateDeployment(input: $dep) }",
        json!({"dep": {"uid": uid, "name": "stolen"}}),
    )
    .await;
    assert_eq!(
        body["errors"][0]["message"],
        format!("deployment {uid} not found")
    );
    let (_, body) = cerebro(&s, Some(&alice), "{ deployments { name } }", json!({})).await;
    assert_eq!(
        body,
        json!({"data": {"deployments": [{"name": "alice-app"}]}})
    );
}

#[tokio::test]
async fn update_and_delete_answer_the_documented_messages() {
    let s = start().await;
    let token = account(&s, "u@example.com").await;
    let d = deployment(&s, &token, "testing", "free").await;
    let uid = str_of(&d["uid"]);
    let (_, body) = cerebro(
        &s,
        Some(&token),
        "mutation UpdateDeployment($dep: UpdateDeploymentInput!) {\n updateDeployment(input: $dep)\n}",
        json!({"dep": {"uid": uid, "name": "My Deployment!"}}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"updateDeployment": "Successfully Updated the backend"}})
    );
    let (_, body) = cerebro(&s, Some(&token), "{ deployments { name } }", json!({})).await;
    assert_eq!(
        body,
        json!({"data": {"deployments": [{"name": "My Deployment!"}]}})
    );

    // Flexible mode is for dedicated backends only.
    let (_, body) = cerebro(
        &s,
        Some(&token),
        "mutation($x: UpdateDeploymentInput!) { updateDeployment(input: $x) }",
        json!({"x": {"uid": uid, "deploymentMode": "flexible"}}),
    )
    .await;
    assert_eq!(
        body["errors"][0]["message"],
        "deploymentMode flexible is only available on dedicated backends"
    );

    let (_, body) = cerebro(
        &s,
        Some(&token),
        "mutation DeleteDeployment($deploymentID: String!) {\n  deleteDeployment(deploymentID: $deploymentID)\n}",
        json!({"deploymentID": uid}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"deleteDeployment": "Successfully deleted the Deployment"}})
    );
    let (_, body) = cerebro(&s, Some(&token), "{ deployments { uid } }", json!({})).await;
    assert_eq!(body, json!({"data": {"deployments": []}}));
    // Its data plane is gone with it: its port is closed, its host name unknown.
    assert!(s.http.post(backend_url(&d, "/admin")).send().await.is_err());
    let (status, _) = send(
        s.http
            .post(dg(&s, "/admin"))
            .header("Host", "testing.us-east-1.aws.cloud.dgraph.io")
            .header("X-Auth-Token", str_of(&d["jwtToken"]))
            .json(&json!({"query": GET_SCHEMA})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn create_deployment_validates_its_input() {
    let s = start().await;
    let token = account(&s, "v@example.com").await;
    let create = "mutation($d: NewDeployment!) { createDeployment(input: $d) { uid } }";
    let (_, body) = cerebro(
        &s,
        Some(&token),
        create,
        json!({"d": {"name": "x", "deploymentType": "huge"}}),
    )
    .await;
    assert_eq!(
        body["errors"][0]["message"],
        "invalid deploymentType \"huge\": expected one of free, shared, dedicated"
    );
    let (_, body) = cerebro(
        &s,
        Some(&token),
        create,
        json!({"d": {"name": "x", "subdomain": "Bad_Sub"}}),
    )
    .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("invalid subdomain")
    );
    let (_, body) = cerebro(
        &s,
        Some(&token),
        create,
        json!({"d": {"name": "a", "subdomain": "taken"}}),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
    let (_, body) = cerebro(
        &s,
        Some(&token),
        create,
        json!({"d": {"name": "b", "subdomain": "taken"}}),
    )
    .await;
    assert_eq!(
        body["errors"][0]["message"],
        "subdomain taken is already taken"
    );
    // Missing required input is a GraphQL validation error, not a 500.
    let (status, body) = cerebro(&s, Some(&token), create, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["errors"][0]["message"].is_string());
    // CLI 1.18.0's extra fields are accepted.
    let (_, body) = cerebro(
        &s,
        Some(&token),
        "mutation CreateDeployment($dep: NewDeployment!) { createDeployment(input: $dep) { uid name url owner jwtToken deploymentMode lambdaScript } }",
        json!({"dep": {"name": "full", "zone": "us-test-1", "deploymentMode": "readonly", "organizationUID": null,
            "enterprise": "true", "size": "small", "storage": 10, "aclEnabled": "false", "jaegerEnabled": "false",
            "dgraphHA": "false", "bulkLoadSchemaFilePath": "", "bulkLoadGQLSchemaFilePath": "", "bulkLoadDataFilePath": "",
            "deploymentType": "dedicated"}}),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(
        body["data"]["createDeployment"]["deploymentMode"],
        "readonly"
    );
}

#[tokio::test]
async fn update_lambda_stores_base64_and_writes_log_lines() {
    let s = start().await;
    let token = account(&s, "l@example.com").await;
    let d = deployment(&s, &token, "OrderJourney", "free").await;
    let uid = str_of(&d["uid"]);
    let script = "Ly95b3VyIGxhbWJkYSByZXNvbHZlcgo=";
    let (_, body) = cerebro(
        &s,
        Some(&token),
        "mutation updateLambda($input: UpdateLambdaInput!){\n  updateLambda(input: $input)\n}",
        json!({"input": {"deploymentID": uid, "tenantID": 0, "lambdaScript": script}}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"updateLambda": "Successfully added the lambda function"}})
    );
    let (_, body) = cerebro(
        &s,
        Some(&token),
        "query{\n  deployments {\n    uid\n    lambdaScript\n  }\n}",
        json!({}),
    )
    .await;
    assert_eq!(body["data"]["deployments"][0]["lambdaScript"], script);

    let (_, body) = cerebro(
        &s,
        Some(&token),
        "query GetLambdaLogs($lambdaLogsInput: LambdaLogsInput!) {\n  getLambdaLogs(input: $lambdaLogsInput)\n}",
        json!({"lambdaLogsInput": {"deploymentID": uid}}),
    )
    .await;
    let lines = body["data"]["getLambdaLogs"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "{body}");
    let last = lines[1].as_str().unwrap();
    assert!(
        last.ends_with(" +0000 UTC Server Listening on port 8686!"),
        "{last}"
    );
    assert!(
        lines[0]
            .as_str()
            .unwrap()
            .ends_with("Loaded lambda script (23 bytes)")
    );

    // A start after the lines leaves them out; they are older than an hour later on.
    s.advance("default", Duration::from_secs(7200)).await;
    let (_, body) = cerebro(
        &s,
        Some(&token),
        "query($input: LambdaLogsInput!) { getLambdaLogs(input: $input) }",
        json!({"input": {"deploymentID": uid}}),
    )
    .await;
    assert_eq!(body, json!({"data": {"getLambdaLogs": []}}));

    // Not base64: refused, nothing stored.
    let (_, body) = cerebro(
        &s,
        Some(&token),
        "mutation($i: UpdateLambdaInput!) { updateLambda(input: $i) }",
        json!({"i": {"deploymentID": uid, "lambdaScript": "%%%"}}),
    )
    .await;
    assert_eq!(
        body["errors"][0]["message"],
        "lambdaScript must be base64-encoded"
    );

    // An empty script deletes the lambda.
    let (_, body) = cerebro(
        &s,
        Some(&token),
        "mutation($i: UpdateLambdaInput!) { updateLambda(input: $i) }",
        json!({"i": {"deploymentID": uid, "lambdaScript": ""}}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"updateLambda": "Successfully deleted the lambda function"}})
    );
    let (_, body) = cerebro(
        &s,
        Some(&token),
        "{ deployments { lambdaScript } }",
        json!({}),
    )
    .await;
    assert_eq!(body["data"]["deployments"][0]["lambdaScript"], "");
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(script)
        .unwrap();
    assert_eq!(decoded, b"//your lambda resolver\n");
}

#[tokio::test]
async fn organizations_are_created_and_members_added_and_removed() {
    let s = start().await;
    let owner = account(&s, "owner@example.com").await;
    let member = account(&s, "member@example.com").await;
    let (_, body) = cerebro(
        &s,
        Some(&owner),
        "\nmutation CreateOrganization($name: String!) {\n    createOrganization(input: { name: $name }) {\n      name\n      uid\n    }\n}\n",
        json!({"name": "myorg"}),
    )
    .await;
    assert_eq!(body["data"]["createOrganization"]["name"], "myorg");
    let org = str_of(&body["data"]["createOrganization"]["uid"]);

    let (_, body) = cerebro(
        &s,
        Some(&owner),
        "\nmutation AddOrganizationMember($member: AddOrgMember!) {\n    addOrganizationMember(input: $member) {\n      uid\n      name\n    }\n}\n",
        json!({"member": {"organizationUID": org, "email": "member@example.com"}}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"addOrganizationMember": {"uid": org, "name": "myorg"}}})
    );

    let orgs_query = "\nquery GetOrganizations {\n  organizations {\n    uid\n    name\n    createdBy {\n      auth0User {\n        name\n        email\n        id\n      }\n    }\n    members {\n      uid\n      auth0User {\n        name\n        email\n      }\n    }\n  }\n}\n";
    let (_, body) = cerebro(&s, Some(&member), orgs_query, json!({})).await;
    let orgs = body["data"]["organizations"].as_array().unwrap();
    assert_eq!(orgs.len(), 1);
    assert_eq!(
        orgs[0]["createdBy"]["auth0User"]["email"],
        "owner@example.com"
    );
    let emails: Vec<_> = orgs[0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["auth0User"]["email"].clone())
        .collect();
    assert_eq!(
        emails,
        vec![json!("owner@example.com"), json!("member@example.com")]
    );

    // A deployment of the organization is visible to its members.
    let (_, body) = cerebro(
        &s,
        Some(&owner),
        "mutation($d: NewDeployment!) { createDeployment(input: $d) { uid } }",
        json!({"d": {"name": "shared-app", "organizationUID": org}}),
    )
    .await;
    let uid = body["data"]["createDeployment"]["uid"].clone();
    let (_, body) = cerebro(&s, Some(&member), "{ deployments { uid } }", json!({})).await;
    assert_eq!(body, json!({"data": {"deployments": [{"uid": uid}]}}));

    let (_, body) = cerebro(
        &s,
        Some(&owner),
        "\nmutation DeleteOrganizationMember($member: DeleteOrgMember!) {\n  deleteOrganizationMember(input: $member) {\n      uid\n      name\n  }\n}\n\n",
        json!({"member": {"organizationUID": org, "memberEmail": "member@example.com"}}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"deleteOrganizationMember": {"uid": org, "name": "myorg"}}})
    );
    let (_, body) = cerebro(&s, Some(&member), orgs_query, json!({})).await;
    assert_eq!(body, json!({"data": {"organizations": []}}));
    let (_, body) = cerebro(&s, Some(&member), "{ deployments { uid } }", json!({})).await;
    assert_eq!(body, json!({"data": {"deployments": []}}));

    // Adding someone unknown is an error.
    let (_, body) = cerebro(
        &s,
        Some(&owner),
        "mutation($m: AddOrgMember!) { addOrganizationMember(input: $m) { uid } }",
        json!({"m": {"organizationUID": org, "email": "ghost@example.com"}}),
    )
    .await;
    assert_eq!(
        body["errors"][0]["message"],
        "no user with email ghost@example.com"
    );
}

#[tokio::test]
async fn cerebro_answers_under_dgraph_on_the_main_port_and_by_its_real_host_names() {
    let s = start().await;
    create_account(&s, "main@example.com").await;
    let login = json!({
        "query": "query login($email: String!, $password: String!) { login(email: $email, password: $password) { token } }",
        "variables": {"email": "main@example.com", "password": PASSWORD},
    });
    for (url, host) in [
        (s.main_url("/dgraph/graphql"), None),
        (s.main_url("/graphql"), Some("cerebro.cloud.dgraph.io")),
        (s.main_url("/graphql"), Some("api.cloud.dgraph.io")),
        (s.main_url("/graphql"), Some("dgraph.localhost:4600")),
    ] {
        let mut request = s.http.post(&url).json(&login);
        if let Some(host) = host {
            request = request.header("Host", host);
        }
        let (status, body) = send(request).await;
        assert_eq!(status, StatusCode::OK, "{url} {host:?}");
        assert!(
            body["data"]["login"]["token"].is_string(),
            "{url} {host:?}: {body}"
        );
    }
}

#[tokio::test]
async fn sessions_have_their_own_accounts() {
    let s = start().await;
    create_account(&s, "sess@example.com").await;
    let (_, body) = send(
        s.http
            .post(dg(&s, "/graphql"))
            .header("X-Offcloud-Session", "elsewhere")
            .json(&json!({
                "query": "query($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
                "variables": {"e": "sess@example.com", "p": PASSWORD},
            })),
    )
    .await;
    assert_eq!(body["data"], json!({"login": null}));
}

#[tokio::test]
async fn older_cli_operations_still_answer() {
    let s = start().await;
    let token = account(&s, "old@example.com").await;
    let (_, body) = cerebro(
        &s,
        Some(&token),
        "mutation($name: String!) { createOrganization(input: { name: $name }) { uid } }",
        json!({"name": "legacy"}),
    )
    .await;
    let org = str_of(&body["data"]["createOrganization"]["uid"]);
    let by_id = "query GetOrganizationById($orgID: ID!) { getOrganizationByID(orgID: $orgID) { uid name members { uid auth0User { name email id } } createdBy { auth0User { name } } } }";
    let (_, body) = cerebro(&s, Some(&token), by_id, json!({"orgID": org})).await;
    assert_eq!(body["data"]["getOrganizationByID"]["name"], "legacy");
    assert_eq!(
        body["data"]["getOrganizationByID"]["members"][0]["auth0User"]["email"],
        "old@example.com"
    );
    let other = account(&s, "stranger@example.com").await;
    let (_, body) = cerebro(&s, Some(&other), by_id, json!({"orgID": org})).await;
    assert_eq!(body, json!({"data": {"getOrganizationByID": null}}));

    // Before July 2021 the lambda was set and deleted through updateDeployment (spec §4.6).
    let d = deployment(&s, &token, "legacy", "free").await;
    let update = "mutation($input: UpdateDeploymentInput!) { updateDeployment(input: $input) }";
    let (_, body) = cerebro(
        &s,
        Some(&token),
        update,
        json!({"input": {"uid": d["uid"], "lambdaScript": "Ly95b3VyIGxhbWJkYSByZXNvbHZlcgo="}}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"updateDeployment": "Successfully Updated the backend"}})
    );
    let (_, body) = cerebro(
        &s,
        Some(&token),
        "{ deployments { lambdaScript } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body["data"]["deployments"][0]["lambdaScript"],
        "Ly95b3VyIGxhbWJkYSByZXNvbHZlcgo="
    );
    cerebro(
        &s,
        Some(&token),
        update,
        json!({"input": {"uid": d["uid"], "lambdaScript": ""}}),
    )
    .await;
    let (_, body) = cerebro(
        &s,
        Some(&token),
        "{ deployments { lambdaScript } }",
        json!({}),
    )
    .await;
    assert_eq!(body["data"]["deployments"][0]["lambdaScript"], "");
}
