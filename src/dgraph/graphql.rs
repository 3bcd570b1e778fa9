//! GraphQL over HTTP as Dgraph's endpoints take it: `application/json` bodies
//! (`{"query","variables","operationName"}`) and `application/graphql` raw bodies
//! (docs/spec/dgraph.md §6), with the leniency real clients need (§11, choice 6), and within the
//! document limits (`--graphql-max-*`): the text is measured before it is parsed, the parsed
//! document before it runs, and it is parsed once.

use async_graphql::parser::types::{BaseType, DocumentOperations, Selection};
use async_graphql::{Name, Value as GqlValue};
use axum::body::Bytes;
use axum::http::{HeaderMap, header};

use super::error::{ApiError, Result};
use crate::graphql_limits::GraphqlLimits;

/// The GraphQL request in a body, bounded by the limits and parsed, or why it is refused.
pub fn read(
    headers: &HeaderMap,
    body: &Bytes,
    limits: &GraphqlLimits,
) -> Result<async_graphql::Request> {
    let mut request = request_from(headers, body).map_err(ApiError::Invalid)?;
    limits.check_text(&request.query)?;
    // A document that does not parse is answered by the execution, as a GraphQL error.
    if let Ok(doc) = request.parsed_query() {
        limits.check_document(doc)?;
    }
    coerce_int_variables(&mut request);
    Ok(request)
}

/// The request in the body, or why it is not one.
fn request_from(
    headers: &HeaderMap,
    body: &Bytes,
) -> std::result::Result<async_graphql::Request, String> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("application/graphql") {
        let text = std::str::from_utf8(body).map_err(|_| "the body is not UTF-8".to_owned())?;
        return Ok(async_graphql::Request::new(text));
    }
    let mut value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| format!("invalid JSON in the request body: {e}"))?;
    // `"variables": null` is as good as none.
    if value
        .get("variables")
        .is_some_and(serde_json::Value::is_null)
    {
        value["variables"] = serde_json::json!({});
    }
    if !value.get("query").is_some_and(serde_json::Value::is_string) {
        return Err("the request body has no query".into());
    }
    serde_json::from_value(value).map_err(|e| format!("invalid GraphQL request: {e}"))
}

/// Variables declared `Int` that arrive as strings of digits become numbers: the CLI sends
/// `{"restoreId":"1"}` for `$restoreId: Int!` (docs/spec/dgraph.md §6.6).
fn coerce_int_variables(request: &mut async_graphql::Request) {
    let Ok(doc) = request.parsed_query() else {
        return;
    };
    let ints: Vec<Name> = doc
        .operations
        .iter()
        .flat_map(|(_, op)| op.node.variable_definitions.iter())
        .filter(|var| {
            matches!(&var.node.var_type.node.base, BaseType::Named(ty) if ty.as_str() == "Int")
        })
        .map(|var| Name::new(var.node.name.node.as_str()))
        .collect();
    for name in ints {
        if let Some(GqlValue::String(s)) = request.variables.get(&name)
            && let Ok(n) = s.trim().parse::<i64>()
        {
            request.variables.insert(name, GqlValue::from(n));
        }
    }
}

/// Executes a request the way Dgraph answers: a top-level field whose resolver failed is `null`
/// in `data` next to its error (async-graphql leaves it out, or `data` null altogether).
pub async fn execute<Q, M>(
    schema: &async_graphql::Schema<Q, M, async_graphql::EmptySubscription>,
    mut request: async_graphql::Request,
) -> async_graphql::Response
where
    Q: async_graphql::ObjectType + 'static,
    M: async_graphql::ObjectType + 'static,
{
    let keys = top_level_fields(&mut request);
    let mut response = schema.execute(request).await;
    let validated = response.errors.iter().all(|e| e.path.len() == 1);
    if response.errors.is_empty() || !validated {
        return response;
    }
    let mut data = match std::mem::take(&mut response.data) {
        GqlValue::Object(map) => map,
        _ => Default::default(),
    };
    for key in keys {
        data.entry(Name::new(&key)).or_insert(GqlValue::Null);
    }
    response.data = GqlValue::Object(data);
    response
}

/// The response keys (alias or name) of the top-level fields the request selects.
pub fn top_level_fields(request: &mut async_graphql::Request) -> Vec<String> {
    let operation_name = request.operation_name.clone();
    let Ok(doc) = request.parsed_query() else {
        return Vec::new();
    };
    let op = match (&doc.operations, &operation_name) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name.as_str()),
        (DocumentOperations::Multiple(ops), None) => ops.values().next(),
    };
    let Some(op) = op else {
        return Vec::new();
    };
    op.node
        .selection_set
        .node
        .items
        .iter()
        .filter_map(|s| match &s.node {
            Selection::Field(f) => Some(
                f.node
                    .alias
                    .as_ref()
                    .unwrap_or(&f.node.name)
                    .node
                    .to_string(),
            ),
            _ => None,
        })
        .collect()
}
