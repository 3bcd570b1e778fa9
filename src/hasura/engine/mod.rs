//! A small Hasura-style GraphQL engine (docs/spec/hasura.md §4, §8.7). A request is read and
//! checked whole before anything runs ([`validate`]); table fields are resolved from SQL
//! ([`resolve`]) with their arguments read into a typed filter and page ([`filter`]); action
//! fields run through [`crate::hasura::actions`]; introspection goes to
//! [`crate::hasura::introspection`].

pub(crate) mod filter;
mod resolve;
mod validate;

use async_graphql::parser::types::OperationType;
use serde_json::{Map, Value, json};

use super::Settings;
use super::actions::{self, Args};
use super::auth::{Caller, User};
use super::error::ApiError;
use super::introspection;
use super::model::GraphqlRequest;
use super::schema;
use super::store::Store;
use crate::graphql_limits::GraphqlLimits;
pub use filter::is_uuid;
use resolve::{Resolver, root_type};
pub use validate::graphql_type;
use validate::{Operation, RootCall, is_introspection};

/// One GraphQL request, answered as `{"data":…}` or `{"errors":[…]}`.
pub async fn run(
    store: &Store,
    settings: &Settings,
    limits: &GraphqlLimits,
    caller: &Caller,
    body: Value,
) -> Value {
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
    match execute(store, settings, limits, user, &request).await {
        Ok(data) => json!({"data": data}),
        Err(e) => json!({"errors": [e.into_json()]}),
    }
}

async fn execute(
    store: &Store,
    settings: &Settings,
    limits: &GraphqlLimits,
    user: Option<&User>,
    request: &GraphqlRequest,
) -> Result<Value, ApiError> {
    let op = Operation::prepare(request, limits)?;
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
        for call in &calls {
            data.insert(call.key.clone(), Value::String(root_type(op.kind()).into()));
        }
        return Ok(Value::Object(data));
    };
    for call in &calls {
        let field = &call.field.node;
        let name = field.name.node.as_str();
        let args = || -> Result<Args, ApiError> {
            Ok(Args {
                path: call.path.clone(),
                map: op.args(field, &call.path)?,
            })
        };
        let value = match op.kind() {
            OperationType::Mutation if name != "__typename" => {
                let action = schema::mutation_field(name)
                    .ok_or_else(|| ApiError::field_not_found(name, "mutation_root", &call.path))?;
                let output = actions::mutate(store, settings, user, name, &args()?).await?;
                // Read after the write, at the clock's time after it.
                resolver(&op, store, user)
                    .output(action.output, output, call)
                    .await?
            }
            _ => match schema::query_field(name) {
                Some(schema::RootField::Action(action)) => {
                    let output = actions::query(store, user, name, &args()?).await?;
                    resolver(&op, store, user)
                        .output(action.output, output, call)
                        .await?
                }
                _ => resolver(&op, store, user).root(call).await?,
            },
        };
        data.insert(call.key.clone(), value);
    }
    Ok(Value::Object(data))
}

fn resolver<'a>(op: &'a Operation, store: &'a Store, user: &'a User) -> Resolver<'a> {
    Resolver {
        op,
        store,
        user,
        now: store.now(),
    }
}
