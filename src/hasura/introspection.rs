//! Introspection (`__schema`, `__type`) for authenticated callers: the schema of [`super::schema`],
//! built once as an async-graphql dynamic schema in Hasura's generated names (docs/spec/hasura.md
//! §4) — `query_root`, `mutation_root`, the lowercase scalars, `<table>_bool_exp`,
//! `<table>_order_by`, `<table>_select_column`, `<Type>_comparison_exp`. It only answers
//! introspection; data goes through [`super::engine`].

use std::sync::OnceLock;

use async_graphql::dynamic::{
    Enum, Field, FieldFuture, InputObject, InputValue, Object, Scalar as DynScalar, Schema, TypeRef,
};
use serde_json::Value;

use super::engine::graphql_type;
use super::error::ApiError;
use super::schema::{
    ACTION_TYPES, Card, MUTATIONS, QUERY_ACTIONS, Scalar, TABLES, TypeDef, is_root_table,
};

/// Runs an introspection-only operation.
pub async fn execute(
    query: &str,
    variables: Option<Value>,
    operation_name: Option<String>,
) -> Result<Value, ApiError> {
    let schema =
        schema().ok_or_else(|| ApiError::internal("the introspection schema did not build"))?;
    let mut request = async_graphql::Request::new(query);
    if let Some(variables) = variables {
        request = request.variables(async_graphql::Variables::from_json(variables));
    }
    if let Some(name) = operation_name {
        request = request.operation_name(name);
    }
    let response = schema.execute(request).await;
    if let Some(error) = response.errors.first() {
        return Err(ApiError::validation("$", error.message.clone()));
    }
    response.data.into_json().map_err(ApiError::from)
}

/// The schema in SDL, for `/_offcloud/schema/hasura.graphql`; `None` when it did not build.
pub fn sdl() -> Option<String> {
    schema().map(Schema::sdl)
}

fn schema() -> Option<&'static Schema> {
    static SCHEMA: OnceLock<Option<Schema>> = OnceLock::new();
    SCHEMA
        .get_or_init(|| match build() {
            Ok(schema) => Some(schema),
            Err(e) => {
                tracing::error!(error = %e, "hasura introspection schema");
                None
            }
        })
        .as_ref()
}

/// A field that is never resolved (only introspected).
fn field(name: &str, ty: TypeRef) -> Field {
    Field::new(name, ty, |_| FieldFuture::Value(None))
}

/// `[UpdateEnvObject!]!` and friends, as written in [`super::schema`].
fn type_ref(text: &str) -> TypeRef {
    if let Some(inner) = text.strip_suffix('!') {
        return TypeRef::NonNull(Box::new(type_ref(inner)));
    }
    if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        return TypeRef::List(Box::new(type_ref(inner)));
    }
    TypeRef::named(text)
}

fn column_type(t: &TypeDef, column: &str, scalar: Scalar) -> TypeRef {
    let name = graphql_type(Some(scalar));
    if t.pk.contains(&column) {
        TypeRef::named_nn(name)
    } else {
        TypeRef::named(name)
    }
}

fn table_args(field: Field, table: &str) -> Field {
    field
        .argument(InputValue::new(
            "distinct_on",
            TypeRef::named_nn_list(format!("{table}_select_column")),
        ))
        .argument(InputValue::new("limit", TypeRef::named(TypeRef::INT)))
        .argument(InputValue::new("offset", TypeRef::named(TypeRef::INT)))
        .argument(InputValue::new(
            "order_by",
            TypeRef::named_nn_list(format!("{table}_order_by")),
        ))
        .argument(InputValue::new(
            "where",
            TypeRef::named(format!("{table}_bool_exp")),
        ))
}

fn object_type(t: &TypeDef) -> Object {
    let mut object = Object::new(t.name);
    for (column, scalar) in t.columns {
        let mut f = field(column, column_type(t, column, *scalar));
        if *scalar == Scalar::Jsonb {
            f = f.argument(InputValue::new("path", TypeRef::named(TypeRef::STRING)));
        }
        object = object.field(f);
    }
    for rel in t.relations {
        object = object.field(match rel.card {
            Card::Object => field(rel.name, TypeRef::named(rel.target)),
            Card::Array => table_args(
                field(rel.name, TypeRef::named_nn_list_nn(rel.target)),
                rel.target,
            ),
        });
    }
    object
}

fn comparison(scalar: Scalar) -> InputObject {
    let ty = graphql_type(Some(scalar));
    let mut input = InputObject::new(format!("{ty}_comparison_exp"));
    for op in ["_eq", "_neq", "_gt", "_gte", "_lt", "_lte"] {
        input = input.field(InputValue::new(op, TypeRef::named(ty)));
    }
    input = input
        .field(InputValue::new("_in", TypeRef::named_nn_list(ty)))
        .field(InputValue::new("_nin", TypeRef::named_nn_list(ty)))
        .field(InputValue::new(
            "_is_null",
            TypeRef::named(TypeRef::BOOLEAN),
        ));
    match scalar {
        Scalar::Text => {
            for op in ["_like", "_nlike", "_ilike", "_nilike"] {
                input = input.field(InputValue::new(op, TypeRef::named(TypeRef::STRING)));
            }
        }
        Scalar::Jsonb => {
            input = input
                .field(InputValue::new("_contains", TypeRef::named("jsonb")))
                .field(InputValue::new("_contained_in", TypeRef::named("jsonb")))
                .field(InputValue::new("_has_key", TypeRef::named(TypeRef::STRING)))
                .field(InputValue::new(
                    "_has_keys_all",
                    TypeRef::named_nn_list(TypeRef::STRING),
                ))
                .field(InputValue::new(
                    "_has_keys_any",
                    TypeRef::named_nn_list(TypeRef::STRING),
                ));
        }
        _ => {}
    }
    input
}

fn input(name: &str, fields: &[(&str, &str)]) -> InputObject {
    fields.iter().fold(InputObject::new(name), |i, (f, ty)| {
        i.field(InputValue::new(*f, type_ref(ty)))
    })
}

fn build() -> Result<Schema, async_graphql::dynamic::SchemaError> {
    let mut builder = Schema::build("query_root", Some("mutation_root"), None);
    for scalar in ["uuid", "jsonb", "timestamptz", "bigint"] {
        builder = builder.register(DynScalar::new(scalar));
    }
    builder = builder.register(Enum::new("order_by").items([
        "asc",
        "asc_nulls_first",
        "asc_nulls_last",
        "desc",
        "desc_nulls_first",
        "desc_nulls_last",
    ]));
    for scalar in [
        Scalar::Uuid,
        Scalar::Text,
        Scalar::Int,
        Scalar::Bigint,
        Scalar::Bool,
        Scalar::Timestamptz,
        Scalar::Jsonb,
    ] {
        builder = builder.register(comparison(scalar));
    }
    let mut query = Object::new("query_root");
    for t in TABLES {
        builder = builder.register(object_type(t));
        builder = builder.register(
            Enum::new(format!("{}_select_column", t.name)).items(t.columns.iter().map(|(c, _)| *c)),
        );
        let bool_exp = format!("{}_bool_exp", t.name);
        let mut where_type = InputObject::new(&bool_exp)
            .field(InputValue::new("_and", TypeRef::named_nn_list(&bool_exp)))
            .field(InputValue::new("_or", TypeRef::named_nn_list(&bool_exp)))
            .field(InputValue::new("_not", TypeRef::named(&bool_exp)));
        let mut order_type = InputObject::new(format!("{}_order_by", t.name));
        for (column, scalar) in t.columns {
            let ty = graphql_type(Some(*scalar));
            where_type = where_type.field(InputValue::new(
                *column,
                TypeRef::named(format!("{ty}_comparison_exp")),
            ));
            order_type = order_type.field(InputValue::new(*column, TypeRef::named("order_by")));
        }
        for rel in t.relations {
            where_type = where_type.field(InputValue::new(
                rel.name,
                TypeRef::named(format!("{}_bool_exp", rel.target)),
            ));
            if rel.card == Card::Object {
                order_type = order_type.field(InputValue::new(
                    rel.name,
                    TypeRef::named(format!("{}_order_by", rel.target)),
                ));
            }
        }
        builder = builder.register(where_type).register(order_type);
        builder = builder
            .register(
                Object::new(format!("{}_aggregate_fields", t.name))
                    .field(field("count", TypeRef::named_nn(TypeRef::INT))),
            )
            .register(
                Object::new(format!("{}_aggregate", t.name))
                    .field(field(
                        "aggregate",
                        TypeRef::named(format!("{}_aggregate_fields", t.name)),
                    ))
                    .field(field("nodes", TypeRef::named_nn_list_nn(t.name))),
            );
        if !is_root_table(t.name) {
            continue;
        }
        query = query
            .field(table_args(
                field(t.name, TypeRef::named_nn_list_nn(t.name)),
                t.name,
            ))
            .field(table_args(
                field(
                    &format!("{}_aggregate", t.name),
                    TypeRef::named_nn(format!("{}_aggregate", t.name)),
                ),
                t.name,
            ));
        let by_pk = t.pk.iter().fold(
            field(&format!("{}_by_pk", t.name), TypeRef::named(t.name)),
            |f, column| {
                let ty = graphql_type(t.column(column));
                f.argument(InputValue::new(*column, TypeRef::named_nn(ty)))
            },
        );
        query = query.field(by_pk);
    }
    for t in ACTION_TYPES {
        builder = builder.register(object_type(t));
    }
    for action in QUERY_ACTIONS {
        query = query.field(action_field(action));
    }
    let mut mutation = Object::new("mutation_root");
    for action in MUTATIONS {
        mutation = mutation.field(action_field(action));
    }
    // Input types of the actions and table mutations (docs/spec/hasura.md §5.1).
    let inputs = [
        input(
            "UpdateEnvObject",
            &[("key", "String!"), ("value", "String!")],
        ),
        input(
            "UpdateEnvsObject",
            &[("key", "String!"), ("value", "String!")],
        ),
        input(
            "GithubRepoDetails",
            &[
                ("branch", "String!"),
                ("directory", "String!"),
                ("owner", "String!"),
                ("repo", "String!"),
            ],
        ),
        input(
            "ProjectOptions",
            &[
                ("cloud", "String!"),
                ("envVars", "[UpdateEnvsObject]"),
                ("name", "String!"),
                ("plan", "String"),
                ("region", "String!"),
            ],
        ),
        input(
            "CreateGithubPreviewAppInputPayload",
            &[
                ("githubPersonalAccessToken", "String!"),
                ("githubRepoDetails", "GithubRepoDetails!"),
                ("projectOptions", "ProjectOptions!"),
            ],
        ),
        input("ProjectMiscMetadata", &[("herokuAppName", "String")]),
        input(
            "InviteColloboratorRequest",
            &[
                ("collaborator_email", "String!"),
                ("privileges", "[String!]!"),
                ("project_id", "uuid!"),
            ],
        ),
        input("PersonalAccessTokenInput", &[("description", "String")]),
        input(
            "TransferOwnershipRequest",
            &[("invitee_email", "String!"), ("project_id", "uuid!")],
        ),
        input(
            "projects_set_input",
            &[("name", "String"), ("plan_name", "String")],
        ),
        input("projects_pk_columns_input", &[("id", "uuid!")]),
        input(
            "custom_domain_insert_input",
            &[("fqdn", "String"), ("tenant_id", "uuid")],
        ),
        input(
            "custom_domain_on_conflict",
            &[
                ("constraint", "custom_domain_constraint!"),
                ("update_columns", "[custom_domain_select_column!]!"),
            ],
        ),
    ];
    for i in inputs {
        builder = builder.register(i);
    }
    builder = builder.register(
        Enum::new("custom_domain_constraint")
            .items(["custom_domain_fqdn_key", "custom_domain_pkey"]),
    );
    builder.register(query).register(mutation).finish()
}

fn action_field(action: &super::schema::Action) -> Field {
    action.args.iter().fold(
        field(action.name, TypeRef::named(action.output)),
        |f, (name, ty)| f.argument(InputValue::new(*name, type_ref(ty))),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_schema_builds() {
        assert!(super::schema().is_some());
    }
}
