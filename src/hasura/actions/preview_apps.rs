//! Preview apps (docs/spec/hasura.md §6.8, §6.9, §8.6): `createGitHubPreviewApp` queues a
//! creation job, whose success event names the project and a deployment job of six tasks. Both
//! progress with the session clock; the control API can make the next app of a name fail or be
//! skipped instead.

use std::time::Duration;

use serde_json::{Value, json};

use super::input::{env_list, field_str, input_object, opt_string};
use super::tenants::{check_name, check_placement, new_project};
use super::{Args, Output, new_id, object, write_error};
use crate::hasura::Settings;
use crate::hasura::auth::User;
use crate::hasura::error::ApiError;
use crate::hasura::model::{NewEvent, NewJob, NewTask};
use crate::hasura::store::Store;

/// The deployment job's tasks, one after another (docs/spec/hasura.md §9.1).
const DEPLOYMENT_TASKS: &[&str] = &[
    "gh-validation",
    "parse-metadata-migration",
    "apply-migration",
    "apply-metadata",
    "reload-metadata",
    "check-healthz",
];

pub(super) async fn create(
    store: &Store,
    settings: &Settings,
    user: &User,
    args: &Args,
) -> Result<Output, ApiError> {
    let path = format!("{}.args.payload", args.path);
    let payload = args
        .value("payload")
        .cloned()
        .ok_or_else(|| ApiError::action("payload is required"))?;
    let payload = input_object(
        &payload,
        "CreateGithubPreviewAppInputPayload",
        &[
            "githubPersonalAccessToken",
            "githubRepoDetails",
            "projectOptions",
        ],
        &path,
    )?;
    // The GitHub token is required but never stored, nor shown by the journal.
    crate::secrets::remember(&field_str(payload, "githubPersonalAccessToken", &path)?);
    let repo_path = format!("{path}.githubRepoDetails");
    let repo = payload
        .get("githubRepoDetails")
        .cloned()
        .unwrap_or(Value::Null);
    let repo = input_object(
        &repo,
        "GithubRepoDetails",
        &["branch", "directory", "owner", "repo"],
        &repo_path,
    )?;
    let branch = field_str(repo, "branch", &repo_path)?;
    let directory = field_str(repo, "directory", &repo_path)?;
    let owner = field_str(repo, "owner", &repo_path)?;
    let repo_name = field_str(repo, "repo", &repo_path)?;
    let options_path = format!("{path}.projectOptions");
    let options = payload
        .get("projectOptions")
        .cloned()
        .unwrap_or(Value::Null);
    let options = input_object(
        &options,
        "ProjectOptions",
        &["cloud", "envVars", "name", "plan", "region"],
        &options_path,
    )?;
    let cloud = field_str(options, "cloud", &options_path)?;
    let name = field_str(options, "name", &options_path)?;
    let region = field_str(options, "region", &options_path)?;
    let plan = opt_string(options.get("plan"), &format!("{options_path}.plan"))?
        .unwrap_or_else(|| "cloud_free".into());
    let envs = env_list(
        options.get("envVars"),
        "UpdateEnvsObject",
        &format!("{options_path}.envVars"),
    )?;
    check_placement(&cloud, &region, &plan)?;
    check_name(&name)?;

    let project = new_project(settings, user, &name, &cloud, &region, &plan, envs.clone());
    let now = store.session().clock().now();
    let at = |offset: Duration| crate::clock::iso(now + offset);
    let created = settings.preview_app_creation_time.0;
    let step = settings.preview_app_task_time.0;
    let creation_job = new_id();
    let deployment_job = new_id();
    let repo_details =
        json!({"branch": branch, "directory": directory, "owner": owner, "repo": repo_name});
    let input = json!({
        "githubRepoDetails": repo_details,
        "projectOptions": {"cloud": cloud, "region": region, "plan": plan, "name": name,
                           "envVars": envs.iter().map(|(k, v)| json!({"key": k, "value": v})).collect::<Vec<_>>()},
    });
    let event = |event_type: &str, data: Option<Value>, when: Duration| NewEvent {
        id: new_id(),
        event_type: event_type.into(),
        public_event_data: data,
        error: None,
        github_detail: None,
        happens_at: at(when),
    };
    // An injected outcome (control API) ends the creation job instead of success: no project,
    // no deployment job.
    let injected = store.take_preview_outcome(&name).await?;
    let last_event = match &injected {
        None => event(
            "success",
            Some(json!({"projectId": project.project_id, "githubDeploymentJobID": deployment_job})),
            created,
        ),
        Some((outcome, error)) => NewEvent {
            error: (outcome == "failed").then(|| {
                error.clone().unwrap_or_else(|| {
                    "error creating tenant: there was an internal error while serving your request"
                        .into()
                })
            }),
            ..event(outcome, None, created)
        },
    };
    // docs/spec/hasura.md §8.6: the creation job's one task, then the deployment job's six, one
    // after another.
    let creation = NewJob {
        id: creation_job.clone(),
        job_type: "github_preview_app_creation".into(),
        input: input.clone(),
        project_id: injected.is_none().then(|| project.project_id.clone()),
        project_name: Some(name.clone()),
        tasks: vec![NewTask {
            id: new_id(),
            name: "create-preview-app".into(),
            cloud: cloud.clone(),
            region: region.clone(),
            payload: json!({"projectName": name}),
            events: vec![event("created", None, Duration::ZERO), last_event],
        }],
    };
    if injected.is_some() {
        store
            .create_preview_app(user, None, &[creation])
            .await
            .map_err(|e| write_error(e, &name))?;
        return Ok(object(json!({"githubPreviewAppJobID": creation_job})));
    }
    let deployment = NewJob {
        id: deployment_job.clone(),
        job_type: "github_deployment".into(),
        input: json!({"githubRepoDetails": repo_details, "projectId": project.project_id}),
        project_id: Some(project.project_id.clone()),
        project_name: Some(name.clone()),
        tasks: DEPLOYMENT_TASKS
            .iter()
            .enumerate()
            .map(|(i, task)| {
                let start = created + step * u32::try_from(i).unwrap_or(0);
                NewTask {
                    id: new_id(),
                    name: (*task).into(),
                    cloud: cloud.clone(),
                    region: region.clone(),
                    payload: json!({}),
                    events: vec![
                        event("created", None, start),
                        event("success", None, start + step),
                    ],
                }
            })
            .collect(),
    };
    store
        .create_preview_app(user, Some(&project), &[creation, deployment])
        .await
        .map_err(|e| write_error(e, &name))?;
    Ok(object(json!({"githubPreviewAppJobID": creation_job})))
}
