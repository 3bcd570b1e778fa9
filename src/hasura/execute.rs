//! Running one GraphQL request: parse and validate ([`super::engine`]), then resolve root fields
//! in order — table fields over the caller's [`World`], actions through [`super::actions`]
//! (mutations reload the world after each write), introspection through
//! [`super::introspection`].

use async_graphql::parser::types::OperationType;
use serde_json::{Map, Value, json};

use super::Settings;
use super::actions::{self, Args, Output};
use super::auth::{Caller, User};
use super::engine::{Operation, Resolver, RootCall, World, is_introspection};
use super::error::ApiError;
use super::introspection;
use super::model::GraphqlRequest;
use super::schema;
use super::store::Store;

/// One GraphQL request, answered as `{"data":…}` or `{"errors":[…]}`.
pub async fn run(store: &Store, settings: &Settings, caller: &Caller, body: Value) -> Value {
    let request: GraphqlRequest = match serde_json::from_value(body) {
        Ok(r) => r,
        Err(e) => {
            let e = ApiError::parse_failed("$", format!("Error in $: {e}"));
            return json!({"errors": [e.into_json()]});
        }
    };
    let user = match caller {
        Caller::User(user) => Some(user),
        Caller::Anonymous => None,
    };
    match execute(store, settings, user, &request).await {
        Ok(data) => json!({"data": data}),
        Err(e) => json!({"errors": [e.into_json()]}),
    }
}

async fn execute(
    store: &Store,
    settings: &Settings,
    user: Option<&User>,
    request: &GraphqlRequest,
) -> Result<Value, ApiError> {
    let op = Operation::prepare(request)?;
    let calls = op.root_calls(user.is_some())?;
    let introspective = |c: &&RootCall<'_>| is_introspection(c.field.node.name.node.as_str());
    if let Some(call) = calls.iter().find(introspective) {
        // Emulator choice: introspection is answered on its own, not mixed with data fields.
        let plain = |c: &RootCall<'_>| {
            is_introspection(c.field.node.name.node.as_str())
                || c.field.node.name.node == "__typename"
        };
        if !calls.iter().all(plain) {
            return Err(ApiError::validation(
                &call.path,
                "introspection fields cannot be mixed with other root fields",
            ));
        }
        return introspection::execute(
            request.query.as_deref().unwrap_or_default(),
            request.variables.clone(),
            request.operation_name.clone(),
        )
        .await;
    }
    let mut data = Map::new();
    let Some(user) = user else {
        // Only `__typename` gets this far for the anonymous role.
        let world = World::default();
        let resolver = Resolver {
            op: &op,
            world: &world,
        };
        for call in &calls {
            data.insert(call.key.clone(), resolver.root(call)?);
        }
        return Ok(Value::Object(data));
    };
    let mut world = store.world(user).await?;
    for call in &calls {
        let field = &call.field.node;
        let name = field.name.node.as_str();
        let value = match op.kind() {
            OperationType::Mutation if name != "__typename" => {
                let action = schema::mutation_field(name)
                    .ok_or_else(|| ApiError::field_not_found(name, "mutation_root", &call.path))?;
                let args = Args {
                    path: call.path.clone(),
                    map: op.args(field, &call.path)?,
                };
                let output = actions::mutate(store, settings, user, &world, name, &args).await?;
                world = store.world(user).await?;
                resolve_output(&op, &world, action.output, output, call)?
            }
            _ => match schema::query_field(name) {
                Some(schema::RootField::Action(action)) => {
                    let args = Args {
                        path: call.path.clone(),
                        map: op.args(field, &call.path)?,
                    };
                    let output = actions::query(store, user, name, &args).await?;
                    resolve_output(&op, &world, action.output, output, call)?
                }
                _ => Resolver {
                    op: &op,
                    world: &world,
                }
                .root(call)?,
            },
        };
        data.insert(call.key.clone(), value);
    }
    Ok(Value::Object(data))
}

fn resolve_output(
    op: &Operation,
    world: &World,
    output_type: &str,
    output: Output,
    call: &RootCall<'_>,
) -> Result<Value, ApiError> {
    let ty = schema::type_def(output_type)
        .ok_or_else(|| ApiError::internal("action without output type"))?;
    let resolver = Resolver { op, world };
    match output {
        Output::Null => Ok(Value::Null),
        Output::Object(row) => resolver.object(ty, &row, &call.field.node, &call.path),
        Output::Row(id) => {
            match world
                .rows(ty.name)
                .iter()
                .find(|r| r.get("id").and_then(Value::as_str) == Some(id.as_str()))
            {
                Some(row) => resolver.object(ty, row, &call.field.node, &call.path),
                None => Ok(Value::Null),
            }
        }
    }
}
