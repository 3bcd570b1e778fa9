//! Cerebro, the control plane's GraphQL API at `POST /graphql` (spec §4): `login`, `deployments`,
//! `createDeployment`, `updateDeployment`, `deleteDeployment`, `getLambdaLogs`, `updateLambda`
//! and the CLI's organization operations. The SDL is not published; this follows spec §4.11.

use async_graphql::{Context, EmptySubscription, ID, InputObject, Object, Schema, SimpleObject};
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::model::{Account, Deployment, Organization, new_uid, parse_iso};
use super::service::{Cerebro, DeploymentPatch, NewDeployment, Refusal};
use crate::auth::{Secret, password};
use crate::clock::iso;

pub type CerebroSchema = Schema<Query, Mutation, EmptySubscription>;

pub fn schema() -> CerebroSchema {
    Schema::build(Query, Mutation, EmptySubscription).finish()
}

/// The caller, when its bearer token was valid.
pub struct Caller(pub Option<Account>);

/// The message every operation but `login` answers without a valid token (emulator choice 23).
const UNAUTHORIZED: &str = "unauthorized";

/// Runs one GraphQL request. An unauthorized call answers `"data": null` (spec §9.1).
pub async fn execute(
    schema: &CerebroSchema,
    cerebro: Cerebro,
    caller: Option<Account>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    let request = match super::graphql::request_from(headers, body) {
        Ok(r) => r,
        Err(why) => {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(serde_json::json!({"errors": [{"message": why}], "data": null})),
            )
                .into_response();
        }
    };
    let mut response =
        super::graphql::execute(schema, request.data(cerebro).data(Caller(caller))).await;
    if response.errors.iter().any(|e| e.message == UNAUTHORIZED) {
        response.data = async_graphql::Value::Null;
    }
    axum::Json(response).into_response()
}

fn refusal(r: Refusal) -> async_graphql::Error {
    async_graphql::Error::new(r.message())
}

fn ctx_parts<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<(&'a Cerebro, &'a Account)> {
    let cerebro = ctx.data::<Cerebro>()?;
    match &ctx.data::<Caller>()?.0 {
        Some(account) => Ok((cerebro, account)),
        None => Err(async_graphql::Error::new(UNAUTHORIZED)),
    }
}

#[derive(SimpleObject)]
pub struct LoginResponse {
    token: String,
}

/// A deployment as Cerebro lists it (spec §4.4).
#[derive(SimpleObject, serde::Serialize, utoipa::ToSchema)]
#[graphql(name = "Deployment")]
#[schema(as = Deployment)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentOut {
    uid: String,
    name: String,
    zone: String,
    subdomain: String,
    url: String,
    owner: String,
    jwt_token: String,
    deployment_mode: String,
    deployment_type: String,
    lambda_script: String,
    #[graphql(name = "tenantID")]
    #[serde(rename = "tenantID")]
    tenant_id: i64,
    size: Option<String>,
    #[graphql(name = "organizationUID")]
    #[serde(rename = "organizationUID")]
    organization_uid: Option<String>,
}

pub async fn deployment_out(
    cerebro: &Cerebro,
    d: Deployment,
) -> Result<DeploymentOut, crate::error::Internal> {
    let jwt_token = cerebro.deployment_token(&d).await?;
    Ok(DeploymentOut {
        url: d.url(cerebro.public_host()),
        uid: d.uid,
        name: d.name,
        zone: d.zone,
        subdomain: d.subdomain,
        owner: d.owner,
        jwt_token,
        deployment_mode: d.deployment_mode,
        deployment_type: d.deployment_type,
        lambda_script: d.lambda_script,
        tenant_id: d.tenant_id,
        size: d.size,
        organization_uid: d.organization_uid,
    })
}

/// `NewDeployment`, with the extra fields CLI 1.18.0 sends (spec §4.5). The string-typed flags
/// (`enterprise`, `aclEnabled`, ...) are accepted and not acted on.
#[derive(InputObject)]
#[graphql(name = "NewDeployment")]
pub struct NewDeploymentInput {
    name: String,
    zone: Option<String>,
    deployment_type: Option<String>,
    subdomain: Option<String>,
    deployment_mode: Option<String>,
    #[graphql(name = "organizationUID")]
    organization_uid: Option<String>,
    enterprise: Option<String>,
    size: Option<String>,
    storage: Option<i64>,
    acl_enabled: Option<String>,
    jaeger_enabled: Option<String>,
    #[graphql(name = "dgraphHA")]
    dgraph_ha: Option<String>,
    bulk_load_schema_file_path: Option<String>,
    #[graphql(name = "bulkLoadGQLSchemaFilePath")]
    bulk_load_gql_schema_file_path: Option<String>,
    bulk_load_data_file_path: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateDeploymentInput {
    uid: String,
    name: Option<String>,
    deployment_mode: Option<String>,
    #[graphql(name = "organizationUID")]
    organization_uid: Option<String>,
    /// The pre-July-2021 way to set or delete a lambda (spec §4.6).
    lambda_script: Option<String>,
}

#[derive(InputObject)]
pub struct LambdaLogsInput {
    #[graphql(name = "deploymentID")]
    deployment_id: String,
    #[graphql(name = "tenantID")]
    tenant_id: Option<i64>,
    start: Option<String>,
    end: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateLambdaInput {
    #[graphql(name = "deploymentID")]
    deployment_id: String,
    #[graphql(name = "tenantID")]
    tenant_id: Option<i64>,
    lambda_script: String,
}

#[derive(InputObject)]
pub struct NewOrganization {
    name: String,
}

#[derive(InputObject)]
pub struct AddOrgMember {
    #[graphql(name = "organizationUID")]
    organization_uid: String,
    email: String,
}

#[derive(InputObject)]
pub struct DeleteOrgMember {
    #[graphql(name = "organizationUID")]
    organization_uid: String,
    member_email: String,
}

#[derive(SimpleObject)]
pub struct Auth0User {
    name: String,
    email: String,
    id: String,
}

#[derive(SimpleObject)]
pub struct Member {
    uid: String,
    auth0_user: Auth0User,
}

#[derive(SimpleObject)]
#[graphql(name = "Organization")]
pub struct OrganizationOut {
    uid: String,
    name: String,
    created_by: Option<Member>,
    members: Vec<Member>,
}

fn auth0_user(a: &Account) -> Auth0User {
    Auth0User {
        name: a.name.clone(),
        email: a.email.clone(),
        id: a.id.clone(),
    }
}

async fn organization_out(
    cerebro: &Cerebro,
    org: Organization,
) -> async_graphql::Result<OrganizationOut> {
    let members = cerebro
        .store
        .members(&org.uid)
        .await
        .map_err(|e| refusal(e.into()))?;
    let created_by = members
        .iter()
        .find(|(_, a)| a.id == org.created_by)
        .map(|(uid, a)| Member {
            uid: uid.clone(),
            auth0_user: auth0_user(a),
        });
    Ok(OrganizationOut {
        uid: org.uid,
        name: org.name,
        created_by,
        members: members
            .iter()
            .map(|(uid, a)| Member {
                uid: uid.clone(),
                auth0_user: auth0_user(a),
            })
            .collect(),
    })
}

pub struct Query;

#[Object]
impl Query {
    /// A query, not a mutation, and the only operation without auth (spec §4.2).
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> async_graphql::Result<Option<LoginResponse>> {
        let cerebro = ctx.data::<Cerebro>()?;
        let found = cerebro
            .store
            .account_by_email(email.trim())
            .await
            .map_err(|e| refusal(e.into()))?;
        let password = Secret::new(password);
        let account = match found {
            Some((account, hash)) => password::verify(&password, &hash)
                .await
                .map_err(|e| refusal(e.into()))?
                .then_some(account),
            None => None,
        };
        let Some(account) = account else {
            // data.login is null with an error: what CLI 1.18.0 checks (spec §4.2).
            return Err(async_graphql::Error::new("Invalid email or password"));
        };
        let token = cerebro
            .issue_token(&account)
            .await
            .map_err(|e| refusal(e.into()))?;
        Ok(Some(LoginResponse { token }))
    }

    async fn deployments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<DeploymentOut>> {
        let (cerebro, account) = ctx_parts(ctx)?;
        let list = cerebro
            .visible_deployments(account)
            .await
            .map_err(refusal)?;
        let mut out = Vec::with_capacity(list.len());
        for d in list {
            out.push(
                deployment_out(cerebro, d)
                    .await
                    .map_err(|e| refusal(e.into()))?,
            );
        }
        Ok(out)
    }

    /// Log lines between `start` (default: an hour ago) and `end` (default: now), spec §4.8.
    async fn get_lambda_logs(
        &self,
        ctx: &Context<'_>,
        input: LambdaLogsInput,
    ) -> async_graphql::Result<Vec<String>> {
        let (cerebro, account) = ctx_parts(ctx)?;
        let _ = input.tenant_id; // one lambda per free/shared backend (spec §4.9)
        let d = cerebro
            .deployment_of(account, &input.deployment_id)
            .await
            .map_err(refusal)?;
        let now = cerebro.now();
        let time_arg = |name: &str, v: Option<String>, default| match v {
            None => Ok(default),
            Some(s) => parse_iso(&s).ok_or_else(|| {
                async_graphql::Error::new(format!(
                    "invalid {name} {s:?}: expected an RFC 3339 time"
                ))
            }),
        };
        let start = time_arg("start", input.start, now - time::Duration::hours(1))?;
        let end = time_arg("end", input.end, now + time::Duration::seconds(1))?;
        cerebro
            .store
            .lambda_logs(&d.uid, &iso(start), &iso(end))
            .await
            .map_err(|e| refusal(e.into()))
    }

    async fn organizations(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<OrganizationOut>> {
        let (cerebro, account) = ctx_parts(ctx)?;
        let orgs = cerebro
            .store
            .organizations_of(&account.id)
            .await
            .map_err(|e| refusal(e.into()))?;
        let mut out = Vec::new();
        for org in orgs {
            out.push(organization_out(cerebro, org).await?);
        }
        Ok(out)
    }

    /// Older CLI releases (spec §4.10).
    #[graphql(name = "getOrganizationByID")]
    async fn get_organization_by_id(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "orgID")] org_id: ID,
    ) -> async_graphql::Result<Option<OrganizationOut>> {
        let (cerebro, account) = ctx_parts(ctx)?;
        let org = cerebro
            .store
            .organization_of(&account.id, &org_id)
            .await
            .map_err(|e| refusal(e.into()))?;
        match org {
            Some(org) => Ok(Some(organization_out(cerebro, org).await?)),
            None => Ok(None),
        }
    }
}

pub struct Mutation;

#[Object]
impl Mutation {
    async fn create_deployment(
        &self,
        ctx: &Context<'_>,
        input: NewDeploymentInput,
    ) -> async_graphql::Result<Option<DeploymentOut>> {
        let (cerebro, account) = ctx_parts(ctx)?;
        // Accepted for the CLI, not acted on (spec §4.5, emulator choice 5).
        let _ = (
            &input.enterprise,
            input.storage,
            &input.acl_enabled,
            &input.jaeger_enabled,
            &input.dgraph_ha,
            &input.bulk_load_schema_file_path,
            &input.bulk_load_gql_schema_file_path,
            &input.bulk_load_data_file_path,
        );
        let d = cerebro
            .create_deployment(
                account,
                NewDeployment {
                    name: input.name,
                    zone: input.zone,
                    subdomain: input.subdomain,
                    deployment_type: input.deployment_type,
                    deployment_mode: input.deployment_mode,
                    organization_uid: input.organization_uid,
                    size: input.size,
                },
            )
            .await
            .map_err(refusal)?;
        Ok(Some(
            deployment_out(cerebro, d)
                .await
                .map_err(|e| refusal(e.into()))?,
        ))
    }

    async fn update_deployment(
        &self,
        ctx: &Context<'_>,
        input: UpdateDeploymentInput,
    ) -> async_graphql::Result<Option<String>> {
        let (cerebro, account) = ctx_parts(ctx)?;
        cerebro
            .update_deployment(
                account,
                &input.uid,
                DeploymentPatch {
                    name: input.name,
                    deployment_mode: input.deployment_mode,
                    organization_uid: input.organization_uid,
                    lambda_script: input.lambda_script,
                },
            )
            .await
            .map_err(refusal)?;
        Ok(Some("Successfully Updated the backend".into()))
    }

    async fn delete_deployment(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "deploymentID")] deployment_id: String,
    ) -> async_graphql::Result<Option<String>> {
        let (cerebro, account) = ctx_parts(ctx)?;
        cerebro
            .delete_deployment(account, &deployment_id)
            .await
            .map_err(refusal)?;
        Ok(Some("Successfully deleted the Deployment".into()))
    }

    /// An empty script deletes the lambda (spec §4.9); the message for a delete is unknown, the
    /// emulator says so plainly.
    async fn update_lambda(
        &self,
        ctx: &Context<'_>,
        input: UpdateLambdaInput,
    ) -> async_graphql::Result<Option<String>> {
        let (cerebro, account) = ctx_parts(ctx)?;
        let _ = input.tenant_id; // ignored for free and shared backends (spec §4.9)
        let d = cerebro
            .deployment_of(account, &input.deployment_id)
            .await
            .map_err(refusal)?;
        cerebro
            .update_lambda(&d, &input.lambda_script)
            .await
            .map_err(refusal)?;
        Ok(Some(if input.lambda_script.trim().is_empty() {
            "Successfully deleted the lambda function".into()
        } else {
            "Successfully added the lambda function".into()
        }))
    }

    async fn create_organization(
        &self,
        ctx: &Context<'_>,
        input: NewOrganization,
    ) -> async_graphql::Result<Option<OrganizationOut>> {
        let (cerebro, account) = ctx_parts(ctx)?;
        let name = input.name.trim();
        if name.is_empty() {
            return Err(async_graphql::Error::new("organization name is required"));
        }
        let uid = new_uid();
        cerebro
            .store
            .create_organization(&uid, &new_uid(), name, &account.id, &iso(cerebro.now()))
            .await
            .map_err(|e| refusal(e.into()))?;
        let org = Organization {
            uid,
            name: name.to_owned(),
            created_by: account.id.clone(),
        };
        Ok(Some(organization_out(cerebro, org).await?))
    }

    async fn add_organization_member(
        &self,
        ctx: &Context<'_>,
        input: AddOrgMember,
    ) -> async_graphql::Result<Option<OrganizationOut>> {
        let (cerebro, account) = ctx_parts(ctx)?;
        let org = member_org(cerebro, account, &input.organization_uid).await?;
        let (member, _) = cerebro
            .store
            .account_by_email(input.email.trim())
            .await
            .map_err(|e| refusal(e.into()))?
            .ok_or_else(|| {
                async_graphql::Error::new(format!("no user with email {}", input.email.trim()))
            })?;
        cerebro
            .store
            .add_member(&org.uid, &member.id, &new_uid())
            .await
            .map_err(|e| refusal(e.into()))?;
        Ok(Some(organization_out(cerebro, org).await?))
    }

    async fn delete_organization_member(
        &self,
        ctx: &Context<'_>,
        input: DeleteOrgMember,
    ) -> async_graphql::Result<Option<OrganizationOut>> {
        let (cerebro, account) = ctx_parts(ctx)?;
        let org = member_org(cerebro, account, &input.organization_uid).await?;
        let email = input.member_email.trim();
        let member = cerebro
            .store
            .account_by_email(email)
            .await
            .map_err(|e| refusal(e.into()))?
            .map(|(a, _)| a);
        let Some(member) = member else {
            return Err(async_graphql::Error::new(format!(
                "{email} is not a member of the organization"
            )));
        };
        if member.id == org.created_by {
            return Err(async_graphql::Error::new(
                "the organization's creator cannot be removed",
            ));
        }
        let removed = cerebro
            .store
            .remove_member(&org.uid, &member.id)
            .await
            .map_err(|e| refusal(e.into()))?;
        if !removed {
            return Err(async_graphql::Error::new(format!(
                "{email} is not a member of the organization"
            )));
        }
        Ok(Some(organization_out(cerebro, org).await?))
    }
}

/// The organization, when the caller belongs to it.
async fn member_org(
    cerebro: &Cerebro,
    account: &Account,
    org_uid: &str,
) -> async_graphql::Result<Organization> {
    cerebro
        .store
        .organization_of(&account.id, org_uid)
        .await
        .map_err(|e| refusal(e.into()))?
        .ok_or_else(|| async_graphql::Error::new(format!("organization {org_uid} not found")))
}
