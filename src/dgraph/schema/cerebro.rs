//! Cerebro, the control plane's GraphQL API at `POST /graphql` (docs/spec/dgraph.md §4):
//! `login`, `deployments`, `createDeployment`, `updateDeployment`, `deleteDeployment`,
//! `getLambdaLogs`, `updateLambda` and the CLI's organization operations. The SDL is not
//! published; this follows docs/spec/dgraph.md §4.11. The descriptions (`///` on the GraphQL items)
//! are published in `/_offcloud/schema/dgraph.graphql` as they are written.

use std::borrow::Cow;

use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::registry::Registry;
use async_graphql::{
    Context, ContextSelectionSet, ID, InputObject, Name, Object, OutputType, Positioned,
    ServerResult, SimpleObject, Value,
};

use super::data;
use crate::auth::{Secret, password};
use crate::clock::iso;
use crate::dgraph::error::{ApiError, Result};
use crate::dgraph::model::{
    Account, DeploymentOut, DeploymentPatch, NewDeployment, Organization, new_uid, parse_iso,
};
use crate::dgraph::service::{Cerebro, Wanted};

/// Who called: the account of a valid bearer token, or nobody.
pub struct Caller(pub Option<Account>);

/// The service and the signed-in account, or the error that nulls `data` (docs/spec/dgraph.md
/// §9.1).
fn signed_in<'a>(ctx: &'a Context<'_>) -> Result<(&'a Cerebro, &'a Account)> {
    let cerebro = data::<Cerebro>(ctx)?;
    match &data::<Caller>(ctx)?.0 {
        Some(account) => Ok((cerebro, account)),
        None => Err(ApiError::Unauthorized),
    }
}

#[derive(SimpleObject)]
pub struct LoginResponse {
    token: String,
}

/// `NewDeployment`, with the extra fields CLI 1.18.0 sends (docs/spec/dgraph.md §4.5). The
/// string-typed flags (`enterprise`, `aclEnabled`, ...) are accepted and not acted on.
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
    /// The pre-July-2021 way to set or delete a lambda (docs/spec/dgraph.md §4.6).
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

fn member((uid, a): &(String, Account)) -> Member {
    Member {
        uid: uid.clone(),
        auth0_user: Auth0User {
            name: a.name.clone(),
            email: a.email.clone(),
            id: a.id.clone(),
        },
    }
}

async fn organization_out(cerebro: &Cerebro, org: Organization) -> Result<OrganizationOut> {
    let members = cerebro.store.members(&org.uid).await?;
    let created_by = members
        .iter()
        .find(|(_, a)| a.id == org.created_by)
        .map(member);
    Ok(OrganizationOut {
        uid: org.uid,
        name: org.name,
        created_by,
        members: members.iter().map(member).collect(),
    })
}

/// The organization, when the caller belongs to it.
async fn member_org(cerebro: &Cerebro, account: &Account, org_uid: &str) -> Result<Organization> {
    cerebro
        .store
        .organization_of(&account.id, org_uid)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("organization {org_uid} not found")))
}

/// The answer of `deployments`: `[Deployment!]!` to the schema, resolved in one pass. A list
/// of a thousand deployments would otherwise cost a future per deployment and per field; here
/// the selected fields are found once (fragments flattened; `@skip`/`@include` are already gone)
/// and each deployment becomes an object of them.
pub struct DeploymentList(Vec<DeploymentOut>);

impl OutputType for DeploymentList {
    fn type_name() -> Cow<'static, str> {
        Vec::<DeploymentOut>::type_name()
    }

    fn qualified_type_name() -> String {
        Vec::<DeploymentOut>::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        Vec::<DeploymentOut>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        _field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        let mut selected = Vec::new();
        selected_fields(ctx, &ctx.item.node, &mut selected);
        let list = self
            .0
            .iter()
            .map(|d| {
                let object = selected
                    .iter()
                    .map(|(key, field)| (key.clone(), deployment_field(d, field)))
                    .collect();
                Value::Object(object)
            })
            .collect();
        Ok(Value::List(list))
    }
}

/// The (response key, field name) pairs a selection set of `Deployment` asks for, in order.
/// Validation made sure of the rest: every field exists, fragments are on `Deployment`, a key
/// is given to one field only.
fn selected_fields<'a>(
    ctx: &ContextSelectionSet<'a>,
    set: &'a SelectionSet,
    out: &mut Vec<(Name, &'a str)>,
) {
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => {
                let key = f.node.alias.as_ref().unwrap_or(&f.node.name).node.clone();
                if !out.iter().any(|(k, _)| *k == key) {
                    out.push((key, f.node.name.node.as_str()));
                }
            }
            Selection::InlineFragment(inline) => {
                selected_fields(ctx, &inline.node.selection_set.node, out);
            }
            Selection::FragmentSpread(spread) => {
                let env: &'a async_graphql::QueryEnv = ctx.query_env;
                if let Some(fragment) = env.fragments.get(&spread.node.fragment_name.node) {
                    selected_fields(ctx, &fragment.node.selection_set.node, out);
                }
            }
        }
    }
}

/// One field of a deployment, by its GraphQL name.
fn deployment_field(d: &DeploymentOut, field: &str) -> Value {
    let text = |s: &String| Value::String(s.clone());
    let optional = |s: &Option<String>| s.as_ref().map_or(Value::Null, text);
    match field {
        "uid" => text(&d.uid),
        "name" => text(&d.name),
        "zone" => text(&d.zone),
        "subdomain" => text(&d.subdomain),
        "url" => text(&d.url),
        "owner" => text(&d.owner),
        "jwtToken" => text(&d.jwt_token),
        "deploymentMode" => text(&d.deployment_mode),
        "deploymentType" => text(&d.deployment_type),
        "lambdaScript" => text(&d.lambda_script),
        "tenantID" => Value::from(d.tenant_id),
        "size" => optional(&d.size),
        "organizationUID" => optional(&d.organization_uid),
        "__typename" => Value::String("Deployment".to_owned()),
        _ => Value::Null,
    }
}

pub struct Query;

#[Object]
impl Query {
    /// A query, not a mutation, and the only operation without auth (docs/spec/dgraph.md §4.2).
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> Result<Option<LoginResponse>> {
        let cerebro = data::<Cerebro>(ctx)?;
        let found = cerebro.store.account_by_email(email.trim()).await?;
        let password = Secret::new(password);
        let account = match found {
            Some((account, hash)) => password::verify(&password, &hash).await?.then_some(account),
            None => None,
        };
        let Some(account) = account else {
            // data.login is null with an error: what CLI 1.18.0 checks (docs/spec/dgraph.md §4.2).
            return Err(ApiError::invalid("Invalid email or password"));
        };
        let token = cerebro.issue_token(&account).await?;
        Ok(Some(LoginResponse { token }))
    }

    async fn deployments(&self, ctx: &Context<'_>) -> Result<DeploymentList> {
        let (cerebro, account) = signed_in(ctx)?;
        // Only what the selection asks for is read and worked out.
        let wanted = Wanted::of(ctx.field().selection_set().map(|f| f.name()));
        Ok(DeploymentList(
            cerebro.visible_deployments(account, wanted).await?,
        ))
    }

    /// Log lines between `start` (default: an hour ago) and `end` (default: now),
    /// docs/spec/dgraph.md §4.8.
    async fn get_lambda_logs(
        &self,
        ctx: &Context<'_>,
        input: LambdaLogsInput,
    ) -> Result<Vec<String>> {
        let (cerebro, account) = signed_in(ctx)?;
        let _ = input.tenant_id; // one lambda per free/shared backend (docs/spec/dgraph.md §4.9)
        let d = cerebro.deployment_of(account, &input.deployment_id).await?;
        let now = cerebro.now();
        let time_arg = |name: &str, v: Option<String>, default| match v {
            None => Ok(default),
            Some(s) => parse_iso(&s).ok_or_else(|| {
                ApiError::invalid(format!("invalid {name} {s:?}: expected an RFC 3339 time"))
            }),
        };
        let start = time_arg("start", input.start, now - time::Duration::hours(1))?;
        let end = time_arg("end", input.end, now + time::Duration::seconds(1))?;
        Ok(cerebro
            .store
            .lambda_logs(&d.uid, &iso(start), &iso(end))
            .await?)
    }

    async fn organizations(&self, ctx: &Context<'_>) -> Result<Vec<OrganizationOut>> {
        let (cerebro, account) = signed_in(ctx)?;
        let mut out = Vec::new();
        for org in cerebro.store.organizations_of(&account.id).await? {
            out.push(organization_out(cerebro, org).await?);
        }
        Ok(out)
    }

    /// Older CLI releases (docs/spec/dgraph.md §4.10).
    #[graphql(name = "getOrganizationByID")]
    async fn get_organization_by_id(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "orgID")] org_id: ID,
    ) -> Result<Option<OrganizationOut>> {
        let (cerebro, account) = signed_in(ctx)?;
        match cerebro.store.organization_of(&account.id, &org_id).await? {
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
    ) -> Result<Option<DeploymentOut>> {
        let (cerebro, account) = signed_in(ctx)?;
        // Accepted for the CLI, not acted on (docs/spec/dgraph.md §4.5, §11 choice 5).
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
        let new = NewDeployment {
            name: input.name,
            zone: input.zone,
            subdomain: input.subdomain,
            deployment_type: input.deployment_type,
            deployment_mode: input.deployment_mode,
            organization_uid: input.organization_uid,
            size: input.size,
        };
        Ok(Some(cerebro.create_deployment(account, new).await?))
    }

    async fn update_deployment(
        &self,
        ctx: &Context<'_>,
        input: UpdateDeploymentInput,
    ) -> Result<Option<String>> {
        let (cerebro, account) = signed_in(ctx)?;
        let patch = DeploymentPatch {
            name: input.name,
            deployment_mode: input.deployment_mode,
            organization_uid: input.organization_uid,
            lambda_script: input.lambda_script,
        };
        cerebro
            .update_deployment(account, &input.uid, patch)
            .await?;
        Ok(Some("Successfully Updated the backend".into()))
    }

    async fn delete_deployment(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "deploymentID")] deployment_id: String,
    ) -> Result<Option<String>> {
        let (cerebro, account) = signed_in(ctx)?;
        cerebro.delete_deployment(account, &deployment_id).await?;
        Ok(Some("Successfully deleted the Deployment".into()))
    }

    /// An empty script deletes the lambda (docs/spec/dgraph.md §4.9); the message for a delete is
    /// unknown, the emulator says so plainly.
    async fn update_lambda(
        &self,
        ctx: &Context<'_>,
        input: UpdateLambdaInput,
    ) -> Result<Option<String>> {
        let (cerebro, account) = signed_in(ctx)?;
        let _ = input.tenant_id; // ignored for free and shared backends (docs/spec/dgraph.md §4.9)
        cerebro
            .update_lambda(account, &input.deployment_id, &input.lambda_script)
            .await?;
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
    ) -> Result<Option<OrganizationOut>> {
        let (cerebro, account) = signed_in(ctx)?;
        let name = input.name.trim();
        if name.is_empty() {
            return Err(ApiError::invalid("organization name is required"));
        }
        let uid = new_uid();
        cerebro
            .store
            .create_organization(&account.id, &uid, &new_uid(), name, &iso(cerebro.now()))
            .await?;
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
    ) -> Result<Option<OrganizationOut>> {
        let (cerebro, account) = signed_in(ctx)?;
        let org = member_org(cerebro, account, &input.organization_uid).await?;
        let email = input.email.trim();
        let (member, _) = cerebro
            .store
            .account_by_email(email)
            .await?
            .ok_or_else(|| ApiError::invalid(format!("no user with email {email}")))?;
        cerebro
            .store
            .add_member(&org.uid, &member.id, &new_uid())
            .await?;
        Ok(Some(organization_out(cerebro, org).await?))
    }

    async fn delete_organization_member(
        &self,
        ctx: &Context<'_>,
        input: DeleteOrgMember,
    ) -> Result<Option<OrganizationOut>> {
        let (cerebro, account) = signed_in(ctx)?;
        let org = member_org(cerebro, account, &input.organization_uid).await?;
        let email = input.member_email.trim();
        let not_member =
            || ApiError::invalid(format!("{email} is not a member of the organization"));
        let (member, _) = cerebro
            .store
            .account_by_email(email)
            .await?
            .ok_or_else(not_member)?;
        if member.id == org.created_by {
            return Err(ApiError::invalid(
                "the organization's creator cannot be removed",
            ));
        }
        if !cerebro.store.remove_member(&org.uid, &member.id).await? {
            return Err(not_member());
        }
        Ok(Some(organization_out(cerebro, org).await?))
    }
}
