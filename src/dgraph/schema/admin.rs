//! A backend's GraphQL admin API at `/admin` (plain Dgraph, docs/spec/dgraph.md §5):
//! `getGQLSchema`, `updateGQLSchema`, and the ACL `login` of dedicated backends. The SDL checks
//! Dgraph makes on a schema are here too.

use async_graphql::parser::parse_schema;
use async_graphql::parser::types::{BaseType, TypeKind, TypeSystemDefinition};
use async_graphql::{Context, ID, Object, SimpleObject};

use super::{DataPlane, data};
use crate::auth::jwt;
use crate::dgraph::error::{ApiError, Result};
use crate::dgraph::model::Deployment;
use crate::graphql_limits::GraphqlLimits;

/// The ACL user every dedicated backend starts with: Dgraph's default guardian (emulator choice,
/// docs/spec/dgraph.md §5.3; the real credentials are set in the console).
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

/// The claims of an ACL token of this backend, while it is valid.
pub(super) async fn acl_claims(p: &DataPlane, token: &str) -> Result<Option<AclClaims>> {
    let key = p.cerebro.store.session().signing_key(ACL_KEY).await?;
    let now = p.cerebro.now().unix_timestamp();
    Ok(jwt::verify::<AclClaims>(token, &key, now).filter(|c| c.deployment == p.deployment.uid))
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
    async fn get_gql_schema(&self, ctx: &Context<'_>) -> Result<Option<GqlSchema>> {
        let p = data::<DataPlane>(ctx)?;
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
    ) -> Result<Option<LoginPayload>> {
        let p = data::<DataPlane>(ctx)?;
        if !p.deployment.is_dedicated() {
            return Err(ApiError::invalid(
                "ACL is only available on dedicated backends",
            ));
        }
        let (user, namespace) = match refresh_token {
            Some(token) => match acl_claims(p, &token).await? {
                Some(c) if c.refresh => (c.user, c.namespace),
                _ => return Err(ApiError::invalid("invalid refresh token")),
            },
            None => {
                let ok = user_id.as_deref() == Some(ACL_USER)
                    && password.as_deref() == Some(ACL_PASSWORD);
                if !ok {
                    return Err(ApiError::invalid("invalid username or password"));
                }
                (ACL_USER.to_owned(), namespace.unwrap_or(0))
            }
        };
        let key = p.cerebro.store.session().signing_key(ACL_KEY).await?;
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
    ) -> Result<Option<UpdateGQLSchemaPayload>> {
        let p = data::<DataPlane>(ctx)?;
        let schema = input.set.schema;
        // The SDL is parsed: its size and nesting are bounded first, as a query's are (the
        // limits word it "the query").
        let bounded = data::<GraphqlLimits>(ctx)?
            .check_text(&schema)
            .map_err(|e| e.0.replacen("the query", "the schema", 1));
        if let Err(why) = bounded.and_then(|()| validate_sdl(&schema)) {
            // Dgraph's wording (docs/spec/dgraph.md §9.1).
            return Err(ApiError::invalid(format!(
                "resolving updateGQLSchema failed because {why}"
            )));
        }
        p.cerebro
            .store
            .set_schema(&p.deployment.uid, Some(&schema))
            .await?;
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
