//! Preview apps: createGitHubPreviewApp queues two jobs that progress with the session clock
//! (spec §6.8, §6.9, §8.6), replayed with the GitHub Action's own documents (spec §9.1).

use std::time::Duration;

use serde_json::{Value, json};

use super::client::{data, error, hasura_error, user};
use crate::support::{TestServer, str_of};

/// The Action's creation mutation, verbatim (spec §9.1).
pub const CREATE_PREVIEW_APP: &str = r#"mutation createPreviewApp (
  $githubPAT: String!
  $appName: String!
  $githubRepoOwner: String!
  $githubRepo: String!
  $githubBranch: String!
  $githubDir: String!
  $region: String!
  $cloud: String!
  $plan: String!
  $env: [UpdateEnvsObject]
) {
  createGitHubPreviewApp (
    payload: {
      githubPersonalAccessToken: $githubPAT,
      githubRepoDetails: {
          branch:$githubBranch
          owner: $githubRepoOwner
          repo: $githubRepo,
          directory: $githubDir
      },
      projectOptions: {
        cloud: $cloud,
        region: $region,
        plan: $plan,
        name: $appName
        envVars: $env
      }
    }
  ) {
    githubPreviewAppJobID
  }
}"#;

pub const CREATION_JOB: &str = "query getPreviewAppCreationJob($jobId: uuid!) { jobs_by_pk(id: $jobId) { id status tasks { id name task_events(order_by: { created_at: desc }) { id event_type public_event_data error } } } }";
pub const DEPLOYMENT_JOB: &str = "query getJobStatus($jobId: uuid!) { jobs_by_pk(id: $jobId) { status tasks(order_by: { updated_at: asc }) { id name cloud region task_events(order_by: { updated_at: desc }, limit: 1) { event_type id error github_detail } } } }";

pub fn action_variables(name: &str) -> Value {
    json!({"githubDir":"hasura","githubPAT":"ghp_example","githubRepoOwner":"acme","githubRepo":"app","githubBranch":"feature-x","appName":name,"cloud":"aws","region":"us-east-2","plan":"cloud_free","env":[{"key":"HASURA_GRAPHQL_CORS_DOMAIN","value":"*"},{"key":"FOO","value":"bar=baz"}]})
}

#[tokio::test]
async fn jobs_progress_with_the_clock_to_success() {
    let s = TestServer::start().await; // creation 10s, each deployment task 2s
    let pat = user(&s, "ada@example.com").await;
    let created = data(
        &s,
        &pat,
        CREATE_PREVIEW_APP,
        action_variables("my-app-pr-1"),
    )
    .await;
    let job = str_of(&created["createGitHubPreviewApp"]["githubPreviewAppJobID"]);

    let poll = data(&s, &pat, CREATION_JOB, json!({ "jobId": job })).await;
    let j = &poll["jobs_by_pk"];
    assert_eq!(j["id"], job.as_str());
    assert_eq!(j["status"], "running");
    assert_eq!(j["tasks"].as_array().unwrap().len(), 1);
    let events = j["tasks"][0]["task_events"].as_array().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["event_type"], "created");
    assert_eq!(events[0]["public_event_data"], Value::Null);

    s.advance("default", Duration::from_secs(10)).await;
    let poll = data(&s, &pat, CREATION_JOB, json!({ "jobId": job })).await;
    let j = &poll["jobs_by_pk"];
    assert_eq!(j["status"], "success");
    // Newest first, as the Action orders them; it reads the success event's data.
    let events = j["tasks"][0]["task_events"].as_array().unwrap();
    assert_eq!(events[0]["event_type"], "success");
    assert_eq!(events[1]["event_type"], "created");
    let data_ = &events[0]["public_event_data"];
    let project_id = str_of(&data_["projectId"]);
    let deployment = str_of(&data_["githubDeploymentJobID"]);
    assert_eq!(events[0]["error"], Value::Null);

    // The project exists, with the Action's env.
    let p = data(
        &s,
        &pat,
        "query($id: uuid!) { projects_by_pk(id: $id) { name endpoint tenant { id region } } }",
        json!({ "id": project_id }),
    )
    .await;
    assert_eq!(p["projects_by_pk"]["name"], "my-app-pr-1");
    assert_eq!(p["projects_by_pk"]["tenant"]["region"], "us-east-2");
    let tenant = str_of(&p["projects_by_pk"]["tenant"]["id"]);
    let env = data(
        &s,
        &pat,
        "query($t: uuid!) { getTenantEnv(tenantId: $t) { envVars } }",
        json!({ "t": tenant }),
    )
    .await;
    assert_eq!(
        env["getTenantEnv"]["envVars"]["environment"]["FOO"],
        "bar=baz"
    );

    // The deployment job: six tasks, one after another.
    let names = [
        "gh-validation",
        "parse-metadata-migration",
        "apply-migration",
        "apply-metadata",
        "reload-metadata",
        "check-healthz",
    ];
    let poll = data(&s, &pat, DEPLOYMENT_JOB, json!({ "jobId": deployment })).await;
    let tasks = poll["jobs_by_pk"]["tasks"].as_array().unwrap();
    assert_eq!(poll["jobs_by_pk"]["status"], "running");
    assert_eq!(tasks.len(), 6);
    let by_name = |name: &str| tasks.iter().find(|t| t["name"] == name).unwrap().clone();
    assert_eq!(
        by_name("gh-validation")["task_events"][0]["event_type"],
        "created"
    );
    assert_eq!(by_name("gh-validation")["cloud"], "aws");
    assert_eq!(by_name("check-healthz")["task_events"], json!([]));
    for step in 1..=6 {
        s.advance("default", Duration::from_secs(2)).await;
        let poll = data(&s, &pat, DEPLOYMENT_JOB, json!({ "jobId": deployment })).await;
        let tasks = poll["jobs_by_pk"]["tasks"].as_array().unwrap();
        let done = tasks
            .iter()
            .filter(|t| t["task_events"][0]["event_type"] == "success")
            .count();
        assert_eq!(done, step);
        let want = if step == 6 { "success" } else { "running" };
        assert_eq!(poll["jobs_by_pk"]["status"], want);
    }
    let poll = data(&s, &pat, DEPLOYMENT_JOB, json!({ "jobId": deployment })).await;
    let got: Vec<String> = poll["jobs_by_pk"]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| str_of(&t["name"]))
        .collect();
    assert_eq!(got, names);
    // The Action's documents fit the schema Hasura publishes.
    crate::contract::assert_only_deliberate_violations(&s, "default", &[]).await;
    s.stop().await;
}

#[tokio::test]
async fn same_name_replaces_the_previous_app_and_jobs_are_private() {
    let mut config = crate::support::test_config();
    config.hasura.preview_app_creation_time = offcloud::config::Ttl(Duration::ZERO);
    config.hasura.preview_app_task_time = offcloud::config::Ttl(Duration::ZERO);
    let s = TestServer::start_with(config).await;
    let pat = user(&s, "ada@example.com").await;
    let first = data(&s, &pat, CREATE_PREVIEW_APP, action_variables("pr-app")).await;
    let second = data(&s, &pat, CREATE_PREVIEW_APP, action_variables("pr-app")).await;
    let job = str_of(&second["createGitHubPreviewApp"]["githubPreviewAppJobID"]);
    assert_ne!(
        first["createGitHubPreviewApp"],
        second["createGitHubPreviewApp"]
    );
    let poll = data(&s, &pat, CREATION_JOB, json!({ "jobId": job })).await;
    assert_eq!(poll["jobs_by_pk"]["status"], "success");
    // The Action looks the success event up by type.
    let events = poll["jobs_by_pk"]["tasks"][0]["task_events"]
        .as_array()
        .unwrap();
    let success = events
        .iter()
        .find(|e| e["event_type"] == "success")
        .unwrap();
    let new_project = &success["public_event_data"]["projectId"];
    let projects = data(&s, &pat, "{ projects { id name } }", json!({})).await;
    assert_eq!(
        projects,
        json!({"projects": [{"id": new_project, "name": "pr-app"}]})
    );

    // Another user cannot see the job.
    let bob = user(&s, "bob@example.com").await;
    let none = data(&s, &bob, CREATION_JOB, json!({ "jobId": job })).await;
    assert_eq!(none, json!({"jobs_by_pk": null}));
    // Nor take the name.
    let e = error(
        &s,
        Some(&bob),
        CREATE_PREVIEW_APP,
        action_variables("pr-app"),
    )
    .await;
    assert_eq!(
        e,
        hasura_error(
            "a project with the name \"pr-app\" already exists",
            "$",
            "unexpected"
        )
    );
    s.stop().await;
}

#[tokio::test]
async fn documented_forms_and_bad_payloads() {
    let s = TestServer::start().await;
    let pat = user(&s, "ada@example.com").await;
    let created = data(
        &s,
        &pat,
        r#"mutation createGitHubPreviewApp {
  createGitHubPreviewApp(
    payload: {
      githubPersonalAccessToken: "<github_access_token>"
      githubRepoDetails: { branch: "main", owner: "my-org", repo: "my-repo", directory: "backend/hasura" }
      projectOptions: {
        cloud: "aws"
        region: "us-east-2"
        plan: "cloud_free"
        name: "my-app_name"
        envVars: [
          { key: "HASURA_GRAPHQL_AUTH_HOOK", value: "https://my-webhook.com" }
          { key: "MY_ENV_VAR_1", value: "my value 1" }
        ]
      }
    }
  ) { githubPreviewAppJobID }
}"#,
        json!({}),
    )
    .await;
    let job = str_of(&created["createGitHubPreviewApp"]["githubPreviewAppJobID"]);
    let status = data(
        &s,
        &pat,
        "query getPreviewAppCreationStatus($jobId: uuid!) { jobs_by_pk(id: $jobId) { id status tasks { id name task_events { id event_type public_event_data error } } } }",
        json!({ "jobId": job }),
    )
    .await;
    assert_eq!(status["jobs_by_pk"]["id"], job.as_str());
    // The GitHub token is not kept in the job's input.
    let input = data(
        &s,
        &pat,
        "query($j: uuid!) { jobs_by_pk(id: $j) { input job_type project_name } }",
        json!({"j": job}),
    )
    .await;
    assert!(
        !input.to_string().contains("github_access_token"),
        "{input}"
    );
    assert_eq!(input["jobs_by_pk"]["project_name"], "my-app_name");

    let e = error(
        &s,
        Some(&pat),
        "mutation { createGitHubPreviewApp(payload: {githubPersonalAccessToken: \"t\", githubRepoDetails: {branch: \"b\", owner: \"o\", repo: \"r\"}, projectOptions: {cloud: \"aws\", region: \"us-east-2\", name: \"x\"}}) { githubPreviewAppJobID } }",
        json!({}),
    )
    .await;
    assert_eq!(
        e,
        hasura_error(
            "missing required field 'directory'",
            "$.selectionSet.createGitHubPreviewApp.args.payload.githubRepoDetails.directory",
            "validation-failed"
        )
    );
    let e = error(
        &s,
        Some(&pat),
        "query($j: uuid!) { jobs_by_pk(id: $j) { id } }",
        json!({"j": "not-a-uuid"}),
    )
    .await;
    assert_eq!(
        e,
        hasura_error(
            "invalid input syntax for type uuid: \"not-a-uuid\"",
            "$",
            "data-exception"
        )
    );
    let unknown = data(
        &s,
        &pat,
        "query($j: uuid!) { jobs_by_pk(id: $j) { id } }",
        json!({"j": "590d9f87-2fb4-4a13-8fb6-615d7da23eb0"}),
    )
    .await;
    assert_eq!(unknown, json!({"jobs_by_pk": null}));
    s.stop().await;
}

#[tokio::test]
async fn injected_failure_and_skip_end_the_creation_job() {
    let s = TestServer::start().await;
    let pat = user(&s, "ada@example.com").await;
    let inject = |body: Value| {
        s.http
            .post(s.main_url("/_offcloud/hasura/preview-app-outcomes"))
            .json(&body)
    };
    let (status, _) = crate::support::send(inject(
        json!({"name": "doomed", "outcome": "failed", "error": "migration 3 failed"}),
    ))
    .await;
    assert_eq!(status, reqwest::StatusCode::CREATED);
    let (status, _) =
        crate::support::send(inject(json!({"name": "later", "outcome": "skipped"}))).await;
    assert_eq!(status, reqwest::StatusCode::CREATED);
    let (status, body) =
        crate::support::send(inject(json!({"name": "x", "outcome": "exploded"}))).await;
    assert_eq!(status, reqwest::StatusCode::BAD_REQUEST);
    assert!(body["error"].is_string());

    let created = data(&s, &pat, CREATE_PREVIEW_APP, action_variables("doomed")).await;
    let job = str_of(&created["createGitHubPreviewApp"]["githubPreviewAppJobID"]);
    let poll = data(&s, &pat, CREATION_JOB, json!({ "jobId": job })).await;
    assert_eq!(poll["jobs_by_pk"]["status"], "running");
    s.advance("default", Duration::from_secs(10)).await;
    let poll = data(&s, &pat, CREATION_JOB, json!({ "jobId": job })).await;
    assert_eq!(poll["jobs_by_pk"]["status"], "failed");
    let events = poll["jobs_by_pk"]["tasks"][0]["task_events"]
        .as_array()
        .unwrap();
    let failed = events.iter().find(|e| e["event_type"] == "failed").unwrap();
    // The Action throws this error text.
    assert_eq!(failed["error"], "migration 3 failed");
    assert_eq!(
        data(&s, &pat, "{ projects { id } }", json!({})).await,
        json!({"projects": []})
    );

    let created = data(&s, &pat, CREATE_PREVIEW_APP, action_variables("later")).await;
    let job = str_of(&created["createGitHubPreviewApp"]["githubPreviewAppJobID"]);
    s.advance("default", Duration::from_secs(10)).await;
    let poll = data(&s, &pat, CREATION_JOB, json!({ "jobId": job })).await;
    assert_eq!(poll["jobs_by_pk"]["status"], "skipped");

    // Outcomes are used once: the next "doomed" succeeds.
    let created = data(&s, &pat, CREATE_PREVIEW_APP, action_variables("doomed")).await;
    let job = str_of(&created["createGitHubPreviewApp"]["githubPreviewAppJobID"]);
    s.advance("default", Duration::from_secs(10)).await;
    let poll = data(&s, &pat, CREATION_JOB, json!({ "jobId": job })).await;
    assert_eq!(poll["jobs_by_pk"]["status"], "success");
    s.stop().await;
}
