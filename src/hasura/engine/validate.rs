//! Reading and checking a GraphQL document before anything runs (docs/spec/hasura.md §3.3,
//! §8.7): the document's limits (`--graphql-max-*`), the operation to run, its variables, and
//! every root field's arguments and selection against [`crate::hasura::schema`], so a bad
//! mutation never writes. Errors come out in Hasura's wording and JSON paths.

use std::collections::HashMap;

use async_graphql::Positioned;
use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, Field, OperationDefinition, OperationType,
    Selection, SelectionSet, Type,
};
use async_graphql_value::{ConstValue, Name, Value as GqlValue};
use serde_json::{Map, Value};

use crate::graphql_limits::GraphqlLimits;
use crate::hasura::error::ApiError;
use crate::hasura::model::GraphqlRequest;
use crate::hasura::schema::{self, Card, RootField, Scalar, TypeDef};

/// One operation of a parsed document, with its variables bound.
pub struct Operation {
    doc: std::sync::Arc<ExecutableDocument>,
    def: OperationDefinition,
    vars: HashMap<Name, ConstValue>,
    var_types: HashMap<Name, Type>,
    /// `--graphql-max-depth`: how deeply an argument's value may nest once variables are in.
    max_depth: usize,
}

/// A root field, ready to run: its response key, what it is, its arguments as JSON, and its path.
pub struct RootCall<'a> {
    pub key: String,
    pub field: &'a Positioned<Field>,
    pub path: String,
}

const MAX_DEPTH: usize = 32;

impl Operation {
    /// Parses and picks the operation; binds variables (docs/spec/hasura.md §3.3: a missing
    /// non-null variable is `expecting a value for non-nullable variable`).
    ///
    /// The document's limits come first: its text is measured before the parser sees it (a
    /// parser recurses, and a deep enough document would overflow the stack), the parsed
    /// document with its fragments expanded after, and the variables (JSON as deep as the body
    /// parser allows) before they are bound.
    pub fn prepare(
        request: &GraphqlRequest,
        limits: &GraphqlLimits,
    ) -> Result<Operation, ApiError> {
        let query = request
            .query
            .as_deref()
            .ok_or_else(|| ApiError::parse_failed("$", "the key 'query' was not present"))?;
        limits
            .check_text(query)
            .map_err(|e| ApiError::validation("$.query", e.0))?;
        let doc = crate::graphql_limits::parse(query)
            .map_err(|_| ApiError::validation("$.query", "not a valid graphql query"))?;
        limits
            .check_document(&doc)
            .map_err(|e| ApiError::validation("$.query", e.0))?;
        if let Some(variables) = &request.variables {
            let depth = json_depth(variables);
            if depth > limits.max_depth {
                return Err(ApiError::validation(
                    "$.variables",
                    format!(
                        "the variables nest {depth} levels deep; the limit is {} (--graphql-max-depth)",
                        limits.max_depth
                    ),
                ));
            }
        }
        let def = pick(&doc, request.operation_name.as_deref())?.clone();
        let variables = match &request.variables {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(map)) => map.clone(),
            Some(_) => {
                return Err(ApiError::parse_failed(
                    "$.variables",
                    "expected Object, but encountered something else",
                ));
            }
        };
        let mut vars = HashMap::new();
        let mut var_types = HashMap::new();
        for var in &def.variable_definitions {
            let name = var.node.name.node.clone();
            let ty = var.node.var_type.node.clone();
            let given = variables.get(name.as_str()).cloned();
            let value = match given {
                Some(Value::Null) | None => match &var.node.default_value {
                    Some(default) if given.is_none() => Some(default.node.clone()),
                    _ if !ty.nullable => {
                        return Err(ApiError::validation(
                            "$",
                            format!("expecting a value for non-nullable variable: \"{name}\""),
                        ));
                    }
                    _ => given.map(|_| ConstValue::Null),
                },
                Some(v) => Some(ConstValue::from_json(v).map_err(|_| {
                    ApiError::validation("$.variableValues", "invalid variable value")
                })?),
            };
            if let Some(value) = value {
                vars.insert(name.clone(), value);
            }
            var_types.insert(name, ty);
        }
        // Hasura refuses variables the operation does not declare.
        let unexpected: Vec<&str> = variables
            .keys()
            .filter(|k| !var_types.keys().any(|n: &Name| n.as_str() == k.as_str()))
            .map(String::as_str)
            .collect();
        if !unexpected.is_empty() {
            return Err(ApiError::validation(
                "$",
                format!(
                    "unexpected variables in variableValues: {}",
                    unexpected.join(", ")
                ),
            ));
        }
        Ok(Operation {
            doc,
            def,
            vars,
            var_types,
            max_depth: limits.max_depth,
        })
    }

    fn definition(&self) -> &OperationDefinition {
        &self.def
    }

    pub fn kind(&self) -> OperationType {
        self.definition().ty
    }

    /// The root fields, in document order, validated for the role (docs/spec/hasura.md §2.3): an
    /// anonymous caller has no root field but `__typename`.
    pub fn root_calls(&self, authenticated: bool) -> Result<Vec<RootCall<'_>>, ApiError> {
        let def = self.definition();
        let root = match def.ty {
            OperationType::Query => "query_root",
            OperationType::Mutation => "mutation_root",
            OperationType::Subscription => "subscription_root",
        };
        let mut calls = Vec::new();
        for field in self.fields(&def.selection_set.node, 0)? {
            let name = field.node.name.node.as_str();
            let key = field.node.response_key().node.to_string();
            let path = format!("$.selectionSet.{name}");
            if name == "__typename" || (authenticated && is_introspection(name)) {
                calls.push(RootCall { key, field, path });
                continue;
            }
            let known = authenticated
                && match def.ty {
                    OperationType::Query => schema::query_field(name).is_some(),
                    OperationType::Mutation => schema::mutation_field(name).is_some(),
                    // Subscriptions are not emulated (docs/spec/hasura.md §5.2, emulator choice).
                    OperationType::Subscription => false,
                };
            if !known {
                return Err(ApiError::field_not_found(name, root, &path));
            }
            calls.push(RootCall { key, field, path });
        }
        for call in &calls {
            self.validate_root(def.ty, call)?;
        }
        Ok(calls)
    }

    /// Checks a root field's arguments and its whole selection before anything runs.
    fn validate_root(&self, kind: OperationType, call: &RootCall<'_>) -> Result<(), ApiError> {
        let field = &call.field.node;
        let name = field.name.node.as_str();
        if name == "__typename" || is_introspection(name) {
            return Ok(());
        }
        let root = if kind == OperationType::Query {
            schema::query_field(name)
        } else {
            schema::mutation_field(name).map(RootField::Action)
        };
        match root {
            Some(RootField::List(t)) => {
                self.check_args(field, name, TABLE_ARGS, &call.path)?;
                self.validate_selection(t, field, &call.path, 0)
            }
            Some(RootField::Aggregate(t)) => {
                self.check_args(field, name, TABLE_ARGS, &call.path)?;
                self.validate_aggregate(t, field, &call.path)
            }
            Some(RootField::ByPk(t)) => {
                let pk: Vec<(&str, String)> =
                    t.pk.iter()
                        .map(|c| (*c, format!("{}!", graphql_type(t.column(c)))))
                        .collect();
                let declared: Vec<(&str, &str)> =
                    pk.iter().map(|(c, ty)| (*c, ty.as_str())).collect();
                self.check_args(field, name, &declared, &call.path)?;
                self.validate_selection(t, field, &call.path, 0)
            }
            Some(RootField::Action(action)) => {
                self.check_args(field, name, action.args, &call.path)?;
                let output = schema::type_def(action.output)
                    .ok_or_else(|| ApiError::internal("action without output type"))?;
                self.validate_selection(output, field, &call.path, 0)
            }
            None => Err(ApiError::field_not_found(name, "query_root", &call.path)),
        }
    }

    /// Unknown arguments, missing required ones, and variables of the wrong type.
    fn check_args(
        &self,
        field: &Field,
        field_name: &str,
        declared: &[(&str, &str)],
        path: &str,
    ) -> Result<(), ApiError> {
        for (arg, value) in &field.arguments {
            let arg = arg.node.as_str();
            let Some((_, expected)) = declared.iter().find(|(n, _)| *n == arg) else {
                return Err(ApiError::validation(
                    path,
                    format!("'{field_name}' has no argument named '{arg}'"),
                ));
            };
            if let GqlValue::Variable(var) = &value.node {
                let Some(declared_type) = self.var_types.get(var) else {
                    return Err(ApiError::validation(
                        path,
                        format!("unbound variable \"{var}\""),
                    ));
                };
                if let Some(expected_type) = Type::new(expected)
                    && !variable_fits(declared_type, &expected_type)
                {
                    return Err(ApiError::validation(
                        &format!("{path}.args.{arg}"),
                        format!(
                            "variable '{var}' is declared as '{declared_type}', but used where '{expected}' is expected"
                        ),
                    ));
                }
            }
        }
        for (arg, expected) in declared {
            if expected.ends_with('!') && self.arg(field, arg, path)?.is_none() {
                return Err(ApiError::validation(
                    &format!("{path}.args.{arg}"),
                    format!("missing required field '{arg}'"),
                ));
            }
        }
        Ok(())
    }

    fn validate_selection(
        &self,
        ty: &TypeDef,
        field: &Field,
        path: &str,
        depth: usize,
    ) -> Result<(), ApiError> {
        if depth > MAX_DEPTH {
            return Err(ApiError::validation(path, "the query is nested too deeply"));
        }
        for sub in self.fields(&field.selection_set.node, 0)? {
            let name = sub.node.name.node.as_str();
            let sub_path = format!("{path}.selectionSet.{name}");
            if name == "__typename" {
                continue;
            }
            if let Some(scalar) = ty.column(name) {
                let args: &[(&str, &str)] = if scalar == Scalar::Jsonb {
                    &[("path", "String")]
                } else {
                    &[]
                };
                self.check_args(&sub.node, name, args, &sub_path)?;
            } else if let Some(rel) = ty.relation(name) {
                let target = schema::type_def(rel.target)
                    .ok_or_else(|| ApiError::internal("relation without target"))?;
                let args: &[(&str, &str)] = match rel.card {
                    Card::Object => &[],
                    Card::Array => TABLE_ARGS,
                };
                self.check_args(&sub.node, name, args, &sub_path)?;
                self.validate_selection(target, &sub.node, &sub_path, depth + 1)?;
            } else {
                return Err(ApiError::field_not_found(name, ty.name, &sub_path));
            }
        }
        Ok(())
    }

    fn validate_aggregate(&self, ty: &TypeDef, field: &Field, path: &str) -> Result<(), ApiError> {
        let type_name = format!("{}_aggregate", ty.name);
        for sub in self.fields(&field.selection_set.node, 0)? {
            let name = sub.node.name.node.as_str();
            let sub_path = format!("{path}.selectionSet.{name}");
            match name {
                "__typename" => {}
                "nodes" => self.validate_selection(ty, &sub.node, &sub_path, 1)?,
                "aggregate" => {
                    for agg in self.fields(&sub.node.selection_set.node, 0)? {
                        let agg_name = agg.node.name.node.as_str();
                        if agg_name != "count" && agg_name != "__typename" {
                            return Err(ApiError::field_not_found(
                                agg_name,
                                &format!("{}_aggregate_fields", ty.name),
                                &format!("{sub_path}.selectionSet.{agg_name}"),
                            ));
                        }
                    }
                }
                _ => return Err(ApiError::field_not_found(name, &type_name, &sub_path)),
            }
        }
        Ok(())
    }

    /// The fields of a selection set, with fragment spreads and inline fragments flattened.
    /// `@skip`/`@include` are honoured.
    pub fn fields<'a>(
        &'a self,
        set: &'a SelectionSet,
        depth: usize,
    ) -> Result<Vec<&'a Positioned<Field>>, ApiError> {
        if depth > MAX_DEPTH {
            return Err(ApiError::validation("$", "fragments nest too deeply"));
        }
        let mut out = Vec::new();
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    if self.included(&field.node.directives)? {
                        out.push(field);
                    }
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    let fragment = self.doc.fragments.get(name).ok_or_else(|| {
                        ApiError::validation(
                            "$",
                            format!("fragment '{name}' is not defined in the document"),
                        )
                    })?;
                    if self.included(&spread.node.directives)? {
                        out.extend(self.fields(&fragment.node.selection_set.node, depth + 1)?);
                    }
                }
                Selection::InlineFragment(inline) => {
                    if self.included(&inline.node.directives)? {
                        out.extend(self.fields(&inline.node.selection_set.node, depth + 1)?);
                    }
                }
            }
        }
        Ok(out)
    }

    fn included(
        &self,
        directives: &[Positioned<async_graphql::parser::types::Directive>],
    ) -> Result<bool, ApiError> {
        for directive in directives {
            let name = directive.node.name.node.as_str();
            if name != "skip" && name != "include" {
                continue;
            }
            let cond = match directive.node.get_argument("if") {
                Some(v) => self.bind(v.node.clone(), "$")?,
                None => Value::Bool(false),
            };
            let cond = cond.as_bool().unwrap_or(false);
            if (name == "skip" && cond) || (name == "include" && !cond) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn bind(&self, value: GqlValue, path: &str) -> Result<Value, ApiError> {
        let value = value.into_const_with(|name| {
            self.vars.get(&name).cloned().ok_or(name).or_else(|name| {
                if self.var_types.contains_key(&name) {
                    Ok(ConstValue::Null)
                } else {
                    Err(name)
                }
            })
        });
        let value = value
            .map_err(|name| ApiError::validation(path, format!("unbound variable \"{name}\"")))?;
        value
            .into_json()
            .map_err(|_| ApiError::validation(path, "invalid value"))
    }

    /// An argument's value as JSON, variables substituted; `None` when absent or an absent
    /// variable. Its depth is bounded by `--graphql-max-depth` (a literal nests no deeper than
    /// the text, but variables may add to it), so what reads it may recurse.
    pub fn arg(&self, field: &Field, name: &str, path: &str) -> Result<Option<Value>, ApiError> {
        let Some(value) = field.get_argument(name) else {
            return Ok(None);
        };
        if let GqlValue::Variable(var) = &value.node
            && !self.vars.contains_key(var)
        {
            return Ok(None);
        }
        let arg_path = format!("{path}.args.{name}");
        let bound = self.bind(value.node.clone(), &arg_path)?;
        let depth = json_depth(&bound);
        if depth > self.max_depth {
            return Err(ApiError::validation(
                &arg_path,
                format!(
                    "the argument nests {depth} levels deep; the limit is {} (--graphql-max-depth)",
                    self.max_depth
                ),
            ));
        }
        Ok(if bound.is_null() { None } else { Some(bound) })
    }

    /// Every argument of a field, as a JSON object.
    pub fn args(&self, field: &Field, path: &str) -> Result<Map<String, Value>, ApiError> {
        let mut map = Map::new();
        for (name, _) in &field.arguments {
            if let Some(v) = self.arg(field, name.node.as_str(), path)? {
                map.insert(name.node.to_string(), v);
            }
        }
        Ok(map)
    }
}

/// Picks the operation to run, Hasura's way.
fn pick<'d>(
    doc: &'d ExecutableDocument,
    name: Option<&str>,
) -> Result<&'d OperationDefinition, ApiError> {
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Ok(&op.node),
        (DocumentOperations::Multiple(ops), Some(name)) => ops
            .iter()
            .find(|(k, _)| k.as_str() == name)
            .map(|(_, op)| &op.node)
            .ok_or_else(|| {
                ApiError::validation(
                    "$",
                    format!("no such operation found in the document: \"{name}\""),
                )
            }),
        (DocumentOperations::Multiple(ops), None) => {
            if ops.len() == 1 {
                let (_, op) = ops.iter().next().ok_or_else(no_operation)?;
                Ok(&op.node)
            } else {
                Err(no_operation())
            }
        }
    }
}

fn no_operation() -> ApiError {
    ApiError::validation(
        "$",
        "exactly one operation has to be present in the document when operationName is not specified",
    )
}

/// Root fields answered by [`super::introspection`].
pub fn is_introspection(name: &str) -> bool {
    name == "__schema" || name == "__type"
}

const TABLE_ARGS: &[(&str, &str)] = &[
    ("distinct_on", "[select_column!]"),
    ("limit", "Int"),
    ("offset", "Int"),
    ("order_by", "[order_by!]"),
    ("where", "bool_exp"),
];

/// Whether a variable of type `declared` may be used where `expected` is wanted. Table argument
/// types are generic here (`bool_exp`, `order_by`), so only action arguments, primary keys,
/// `limit` and `offset` are compared by name.
fn variable_fits(declared: &Type, expected: &Type) -> bool {
    if !expected.nullable && declared.nullable {
        return false;
    }
    match (&declared.base, &expected.base) {
        (_, BaseType::Named(e)) if is_generic(e) => true,
        (BaseType::List(_), BaseType::List(e)) if matches!(&e.base, BaseType::Named(n) if is_generic(n)) => {
            true
        }
        (BaseType::Named(d), BaseType::Named(e)) => d == e,
        (BaseType::List(d), BaseType::List(e)) => variable_fits(d, e),
        // A single value may stand for a list of one (GraphQL input coercion).
        (BaseType::Named(_), BaseType::List(e)) => variable_fits(declared, e),
        _ => false,
    }
}

fn is_generic(name: &str) -> bool {
    matches!(name, "bool_exp" | "order_by" | "select_column")
}

/// The GraphQL scalar of a column type.
pub fn graphql_type(scalar: Option<Scalar>) -> &'static str {
    match scalar {
        Some(Scalar::Uuid) => "uuid",
        Some(Scalar::Text) | None => "String",
        Some(Scalar::Int) => "Int",
        Some(Scalar::Bigint) => "bigint",
        Some(Scalar::Bool) => "Boolean",
        Some(Scalar::Timestamptz) => "timestamptz",
        Some(Scalar::Jsonb) => "jsonb",
    }
}

/// How deeply lists and objects nest in a JSON value (a scalar is 0), without recursion.
pub fn json_depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 1)];
    while let Some((value, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match value {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(map) => Box::new(map.values()),
            _ => continue,
        };
        deepest = deepest.max(depth);
        stack.extend(children.map(|child| (child, depth + 1)));
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_types_must_fit() {
        let t = |s: &str| Type::new(s).unwrap();
        assert!(variable_fits(
            &t("[UpdateEnvObject!]!"),
            &t("[UpdateEnvObject!]!")
        ));
        assert!(!variable_fits(
            &t("[UpdateEnvsObject]"),
            &t("[UpdateEnvObject!]!")
        ));
        assert!(variable_fits(&t("uuid!"), &t("uuid")));
        assert!(!variable_fits(&t("uuid"), &t("uuid!")));
        assert!(!variable_fits(&t("String!"), &t("uuid!")));
    }

    #[test]
    fn json_depth_counts_lists_and_objects() {
        assert_eq!(json_depth(&serde_json::json!("x")), 0);
        assert_eq!(json_depth(&serde_json::json!({})), 1);
        assert_eq!(json_depth(&serde_json::json!({"_and": [{"_not": {}}]})), 4);
    }
}
