//! A backend's GraphQL admin APIs: `/admin` (plain Dgraph: `getGQLSchema`, `updateGQLSchema`,
//! ACL `login`, spec §5) here, and `/admin/slash` (spec §6) in `slash.rs`; both run on a
//! [`DataPlane`].

use async_graphql::parser::parse_schema;
use async_graphql::parser::types::{BaseType, TypeKind, TypeSystemDefinition};
use async_graphql::{Context, EmptySubscription, ID, Object, Schema, SimpleObject};

use super::model::Deployment;
use super::service::Cerebro;
use super::slash::{SlashMutation, SlashQuery};
use crate::auth::jwt;
use crate::error::Internal;

pub type AdminSchema = Schema<AdminQuery, AdminMutation, EmptySubscription>;
pub type SlashSchema = Schema<SlashQuery, SlashMutation, EmptySubscription>;

pub fn admin_schema() -> AdminSchema {
    Schema::build(AdminQuery, AdminMutation, EmptySubscription).finish()
}

pub fn slash_schema() -> SlashSchema {
    Schema::build(SlashQuery, SlashMutation, EmptySubscription).finish()
}

/// What a data-plane resolver works on: the deployment, and where its export files are served.
pub struct DataPlane {
    pub cerebro: Cerebro,
    pub deployment: Deployment,
    /// `http://host[/prefix]`: the origin (and front-door prefix) the request came through.
    pub base_url: String,
    /// The Dgraph ACL token in `X-Dgraph-AccessToken`, if any (spec §3.1).
    pub access_token: Option<String>,
}

/// The ACL user every dedicated backend starts with: Dgraph's default guardian (emulator choice,
/// spec §5.3; the real credentials are set in the console).
const ACL_USER: &str = "groot";
const ACL_PASSWORD: &str = "password";
const ACL_KEY: &str = "dgraph.acl";
/// Dgraph's default lifetimes: access JWT 6 hours, refresh JWT 30 days.
const ACL_ACCESS_SECS: i64 = 6 * 3600;
const ACL_REFRESH_SECS: i64 = 30 * 86_400;

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct AclClaims {
    deployment: String,
    user: String,
    pub namespace: i64,
    pub refresh: bool,
    exp: i64,
}

impl jwt::Expiring for AclClaims {
    fn exp(&self) -> i64 {
        self.exp
    }
}

#[derive(SimpleObject)]
pub struct AclJwt {
    #[graphql(name = "accessJWT")]
    access_jwt: String,
    #[graphql(name = "refreshJWT")]
    refresh_jwt: String,
}

#[derive(SimpleObject)]
pub struct LoginPayload {
    response: Option<AclJwt>,
}

pub(super) async fn acl_claims(
    p: &DataPlane,
    token: &str,
) -> async_graphql::Result<Option<AclClaims>> {
    let key = p
        .cerebro
        .store
        .session()
        .signing_key(ACL_KEY)
        .await
        .map_err(internal)?;
    let now = p.cerebro.now().unix_timestamp();
    Ok(jwt::verify::<AclClaims>(token, &key, now).filter(|c| c.deployment == p.deployment.uid))
}

pub(super) fn plane<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<&'a DataPlane> {
    ctx.data::<DataPlane>()
}

pub(super) fn internal(e: Internal) -> async_graphql::Error {
    e.log();
    async_graphql::Error::new("internal error")
}

// ---------- /admin ----------

#[derive(SimpleObject)]
#[graphql(name = "GQLSchema")]
pub struct GqlSchema {
    id: ID,
    schema: String,
    generated_schema: String,
}

#[derive(SimpleObject)]
pub struct UpdateGQLSchemaPayload {
    gql_schema: Option<GqlSchema>,
}

#[derive(async_graphql::InputObject)]
pub struct UpdateGQLSchemaInput {
    set: GQLSchemaPatch,
}

#[derive(async_graphql::InputObject)]
#[graphql(name = "GQLSchemaPatch")]
pub struct GQLSchemaPatch {
    schema: String,
}

fn gql_schema_of(d: &Deployment, schema: &str) -> GqlSchema {
    GqlSchema {
        id: ID(d.uid.clone()),
        schema: schema.to_owned(),
        generated_schema: generated_schema(schema),
    }
}

/// Dgraph's generated schema starts with the input schema; the full generated API (queries,
/// mutations, filters per type) is not emulated.
fn generated_schema(schema: &str) -> String {
    format!("#######################\n# Input Schema\n#######################\n\n{schema}\n")
}

pub struct AdminQuery;

#[Object]
impl AdminQuery {
    /// Null until a schema is set (Dgraph OSS).
    #[graphql(name = "getGQLSchema")]
    async fn get_gql_schema(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<GqlSchema>> {
        let p = plane(ctx)?;
        Ok(p.deployment
            .gql_schema
            .as_deref()
            .map(|s| gql_schema_of(&p.deployment, s)))
    }
}

pub struct AdminMutation;

#[Object]
impl AdminMutation {
    /// Dgraph ACL login (dedicated backends): the `accessJWT` goes in `X-Dgraph-AccessToken`.
    async fn login(
        &self,
        ctx: &Context<'_>,
        user_id: Option<String>,
        password: Option<String>,
        namespace: Option<i64>,
        refresh_token: Option<String>,
    ) -> async_graphql::Result<Option<LoginPayload>> {
        let p = plane(ctx)?;
        if !p.deployment.is_dedicated() {
            return Err(async_graphql::Error::new(
                "ACL is only available on dedicated backends",
            ));
        }
        let (user, namespace) = match refresh_token {
            Some(token) => match acl_claims(p, &token).await? {
                Some(c) if c.refresh => (c.user, c.namespace),
                _ => return Err(async_graphql::Error::new("invalid refresh token")),
            },
            None => {
                let ok = user_id.as_deref() == Some(ACL_USER)
                    && password.as_deref() == Some(ACL_PASSWORD);
                if !ok {
                    return Err(async_graphql::Error::new("invalid username or password"));
                }
                (ACL_USER.to_owned(), namespace.unwrap_or(0))
            }
        };
        let key = p
            .cerebro
            .store
            .session()
            .signing_key(ACL_KEY)
            .await
            .map_err(internal)?;
        let now = p.cerebro.now().unix_timestamp();
        let sign = |refresh: bool, secs: i64| {
            jwt::sign(
                &AclClaims {
                    deployment: p.deployment.uid.clone(),
                    user: user.clone(),
                    namespace,
                    refresh,
                    exp: now + secs,
                },
                &key,
            )
            .map_err(internal)
        };
        Ok(Some(LoginPayload {
            response: Some(AclJwt {
                access_jwt: sign(false, ACL_ACCESS_SECS)?,
                refresh_jwt: sign(true, ACL_REFRESH_SECS)?,
            }),
        }))
    }

    #[graphql(name = "updateGQLSchema")]
    async fn update_gql_schema(
        &self,
        ctx: &Context<'_>,
        input: UpdateGQLSchemaInput,
    ) -> async_graphql::Result<Option<UpdateGQLSchemaPayload>> {
        let p = plane(ctx)?;
        let schema = input.set.schema;
        if let Err(why) = validate_sdl(&schema) {
            // Dgraph's wording (spec §9.1).
            return Err(async_graphql::Error::new(format!(
                "resolving updateGQLSchema failed because {why}"
            )));
        }
        p.cerebro
            .store
            .set_schema(&p.deployment.uid, Some(&schema))
            .await
            .map_err(internal)?;
        Ok(Some(UpdateGQLSchemaPayload {
            gql_schema: Some(gql_schema_of(&p.deployment, &schema)),
        }))
    }
}

/// GraphQL SDL checks Dgraph makes before it accepts a schema: it parses, it declares at least
/// one type, and every field's type is declared or built in. Errors read `input:LINE: message`.
pub fn validate_sdl(schema: &str) -> Result<(), String> {
    let doc = parse_schema(schema).map_err(|e| {
        let line = e.positions().next().map_or(1, |p| p.line);
        format!("input:{line}: {e}")
    })?;
    let mut declared: Vec<String> = [
        "ID",
        "String",
        "Int",
        "Int64",
        "Float",
        "Boolean",
        "DateTime",
        "Point",
        "Polygon",
        "MultiPolygon",
        "PointList",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for def in &doc.definitions {
        if let TypeSystemDefinition::Type(t) = def {
            declared.push(t.node.name.node.to_string());
        }
    }
    let mut any_type = false;
    for def in &doc.definitions {
        let TypeSystemDefinition::Type(t) = def else {
            continue;
        };
        let fields = match &t.node.kind {
            TypeKind::Object(o) => &o.fields,
            TypeKind::Interface(i) => &i.fields,
            _ => continue,
        };
        any_type = true;
        for f in fields {
            let mut ty = &f.node.ty.node;
            while let BaseType::List(inner) = &ty.base {
                ty = inner;
            }
            if let BaseType::Named(name) = &ty.base
                && !declared.iter().any(|d| d == name.as_str())
            {
                return Err(format!(
                    "input:{}: Type {name} not defined",
                    f.node.ty.pos.line
                ));
            }
        }
    }
    if !any_type {
        return Err("input:1: No types found in the schema".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdl_is_checked_like_dgraph() {
        assert!(validate_sdl("type Person { name: String! }").is_ok());
        assert_eq!(
            validate_sdl("type Person {\n  pet: Pet\n}"),
            Err("input:2: Type Pet not defined".into())
        );
        assert!(
            validate_sdl("type Person { name: ")
                .unwrap_err()
                .starts_with("input:1: ")
        );
        assert!(validate_sdl("").is_err());
    }
}
