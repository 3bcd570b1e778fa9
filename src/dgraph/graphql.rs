//! GraphQL over HTTP as Dgraph's endpoints take it: `application/json` bodies
//! (`{"query","variables","operationName"}`) and `application/graphql` raw bodies (spec §6), and
//! the leniency real clients need (spec §11, choice 6).

use async_graphql::parser::parse_query;
use async_graphql::parser::types::BaseType;
use async_graphql::{Name, Value as GqlValue};
use axum::body::Bytes;
use axum::http::{HeaderMap, header};

/// The request in the body, or why it is not one.
pub fn request_from(headers: &HeaderMap, body: &Bytes) -> Result<async_graphql::Request, String> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut request = if content_type.starts_with("application/graphql") {
        let text = std::str::from_utf8(body).map_err(|_| "the body is not UTF-8".to_owned())?;
        async_graphql::Request::new(text)
    } else {
        let value: serde_json::Value = serde_json::from_slice(body)
            .map_err(|e| format!("invalid JSON in the request body: {e}"))?;
        // `"variables": null` is as good as none.
        let mut value = value;
        if value
            .get("variables")
            .is_some_and(serde_json::Value::is_null)
        {
            value["variables"] = serde_json::json!({});
        }
        if !value.get("query").is_some_and(serde_json::Value::is_string) {
            return Err("the request body has no query".into());
        }
        serde_json::from_value(value).map_err(|e| format!("invalid GraphQL request: {e}"))?
    };
    coerce_int_variables(&mut request);
    Ok(request)
}

/// Variables declared `Int` that arrive as strings of digits become numbers: the CLI sends
/// `{"restoreId":"1"}` for `$restoreId: Int!` (spec §6.6).
fn coerce_int_variables(request: &mut async_graphql::Request) {
    let Ok(doc) = parse_query(&request.query) else {
        return;
    };
    for (_, op) in doc.operations.iter() {
        for var in &op.node.variable_definitions {
            let BaseType::Named(ty) = &var.node.var_type.node.base else {
                continue;
            };
            if ty.as_str() != "Int" {
                continue;
            }
            let name = Name::new(var.node.name.node.as_str());
            if let Some(GqlValue::String(s)) = request.variables.get(&name)
                && let Ok(n) = s.trim().parse::<i64>()
            {
                request.variables.insert(name, GqlValue::from(n));
            }
        }
    }
}

/// Executes a request the way Dgraph answers: a top-level field whose resolver failed is `null`
/// in `data` next to its error (async-graphql leaves it out, or `data` null altogether).
pub async fn execute<Q, M>(
    schema: &async_graphql::Schema<Q, M, async_graphql::EmptySubscription>,
    request: async_graphql::Request,
) -> async_graphql::Response
where
    Q: async_graphql::ObjectType + 'static,
    M: async_graphql::ObjectType + 'static,
{
    let keys = top_level_fields(&request);
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
pub fn top_level_fields(request: &async_graphql::Request) -> Vec<String> {
    use async_graphql::parser::types::{DocumentOperations, Selection};
    let Ok(doc) = parse_query(&request.query) else {
        return Vec::new();
    };
    let op = match (&doc.operations, &request.operation_name) {
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
