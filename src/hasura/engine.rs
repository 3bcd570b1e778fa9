//! A small Hasura-style GraphQL engine over the caller's visible rows (docs/spec/hasura.md §4,
//! §8.7). Documents are parsed with async-graphql's parser; the operation is validated against
//! [`super::schema`] before anything runs (so a bad mutation never writes), then root fields are
//! resolved: table fields over a [`World`] of rows with Hasura's
//! `where`/`order_by`/`limit`/`offset`/ `distinct_on`, action fields through [`super::actions`].
//! Errors come out in Hasura's wording and JSON paths (`$.selectionSet.projects.args.where.foo`).

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use async_graphql::Positioned;
use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, Field, OperationDefinition, OperationType,
    Selection, SelectionSet, Type,
};
use async_graphql_value::{ConstValue, Name, Value as GqlValue};
use serde_json::{Map, Value};

use super::error::ApiError;
pub use super::model::GraphqlRequest;
use super::model::Row;
use super::schema::{self, Card, RootField, Scalar, TypeDef};

/// Every row the caller may see, by type name (docs/spec/hasura.md §8.2).
#[derive(Default)]
pub struct World {
    pub tables: HashMap<&'static str, Vec<Row>>,
}

impl World {
    pub fn rows(&self, table: &str) -> &[Row] {
        self.tables.get(table).map(Vec::as_slice).unwrap_or(&[])
    }

    /// A row by its `id`.
    pub fn find(&self, table: &str, id: &str) -> Option<&Row> {
        self.rows(table)
            .iter()
            .find(|r| r.get("id").and_then(Value::as_str) == Some(id))
    }

    fn related<'w>(&'w self, rel: &schema::Relation, row: &Row) -> Vec<&'w Row> {
        let Some(key) = row.get(rel.local).filter(|v| !v.is_null()) else {
            return Vec::new();
        };
        self.rows(rel.target)
            .iter()
            .filter(|r| r.get(rel.remote) == Some(key))
            .collect()
    }
}

/// One operation of a parsed document, with its variables bound.
pub struct Operation {
    doc: ExecutableDocument,
    def: OperationDefinition,
    vars: HashMap<Name, ConstValue>,
    var_types: HashMap<Name, Type>,
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
    pub fn prepare(request: &GraphqlRequest) -> Result<Operation, ApiError> {
        let query = request
            .query
            .as_deref()
            .ok_or_else(|| ApiError::parse_failed("$", "the key 'query' was not present"))?;
        let doc = async_graphql::parser::parse_query(query)
            .map_err(|_| ApiError::validation("$.query", "not a valid graphql query"))?;
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
    /// variable.
    pub fn arg(&self, field: &Field, name: &str, path: &str) -> Result<Option<Value>, ApiError> {
        let Some(value) = field.get_argument(name) else {
            return Ok(None);
        };
        if let GqlValue::Variable(var) = &value.node
            && !self.vars.contains_key(var)
        {
            return Ok(None);
        }
        let bound = self.bind(value.node.clone(), &format!("{path}.args.{name}"))?;
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

pub fn is_uuid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok() && s.len() == 36
}

// ---- resolution -----------------------------------------------------------------------------

pub struct Resolver<'a> {
    pub op: &'a Operation,
    pub world: &'a World,
}

impl Resolver<'_> {
    /// A root table field of `query_root`.
    pub fn root(&self, call: &RootCall<'_>) -> Result<Value, ApiError> {
        let field = &call.field.node;
        let name = field.name.node.as_str();
        if name == "__typename" {
            return Ok(Value::String(
                match self.op.kind() {
                    OperationType::Query => "query_root",
                    OperationType::Mutation => "mutation_root",
                    OperationType::Subscription => "subscription_root",
                }
                .into(),
            ));
        }
        match schema::query_field(name) {
            Some(RootField::List(t)) => {
                let rows: Vec<&Row> = self.world.rows(t.name).iter().collect();
                self.list(t, rows, field, &call.path)
            }
            Some(RootField::Aggregate(t)) => {
                let rows: Vec<&Row> = self.world.rows(t.name).iter().collect();
                let rows = self.filter(t, rows, field, &call.path)?;
                self.aggregate(t, &rows, field, &call.path)
            }
            Some(RootField::ByPk(t)) => {
                let mut wanted = Vec::new();
                for col in t.pk {
                    let value = self.op.arg(field, col, &call.path)?.unwrap_or(Value::Null);
                    check_scalar(t.column(col), &value)?;
                    wanted.push((*col, value));
                }
                let found = self.world.rows(t.name).iter().find(|row| {
                    wanted
                        .iter()
                        .all(|(col, v)| row.get(*col).is_some_and(|x| json_eq(x, v)))
                });
                match found {
                    Some(row) => self.object(t, row, field, &call.path),
                    None => Ok(Value::Null),
                }
            }
            _ => Err(ApiError::field_not_found(name, "query_root", &call.path)),
        }
    }

    /// The selection of `field` over one row of type `ty`.
    pub fn object(
        &self,
        ty: &TypeDef,
        row: &Row,
        field: &Field,
        path: &str,
    ) -> Result<Value, ApiError> {
        let mut out = Map::new();
        for sub in self.op.fields(&field.selection_set.node, 0)? {
            let name = sub.node.name.node.as_str();
            let key = sub.node.response_key().node.to_string();
            let sub_path = format!("{path}.selectionSet.{name}");
            let value = if name == "__typename" {
                Value::String(ty.name.into())
            } else if let Some(scalar) = ty.column(name) {
                let value = row.get(name).cloned().unwrap_or(Value::Null);
                match self.op.arg(&sub.node, "path", &sub_path)? {
                    Some(Value::String(p)) if scalar == Scalar::Jsonb => json_path(&value, &p),
                    _ => value,
                }
            } else if let Some(rel) = ty.relation(name) {
                let target = schema::type_def(rel.target)
                    .ok_or_else(|| ApiError::internal("relation without target"))?;
                let related = self.world.related(rel, row);
                match rel.card {
                    Card::Object => match related.first() {
                        Some(r) => self.object(target, r, &sub.node, &sub_path)?,
                        None => Value::Null,
                    },
                    Card::Array => self.list(target, related, &sub.node, &sub_path)?,
                }
            } else {
                return Err(ApiError::field_not_found(name, ty.name, &sub_path));
            };
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }

    fn list(
        &self,
        ty: &TypeDef,
        rows: Vec<&Row>,
        field: &Field,
        path: &str,
    ) -> Result<Value, ApiError> {
        let rows = self.filter(ty, rows, field, path)?;
        let items = rows
            .into_iter()
            .map(|row| self.object(ty, row, field, path))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Value::Array(items))
    }

    fn aggregate(
        &self,
        ty: &TypeDef,
        rows: &[&Row],
        field: &Field,
        path: &str,
    ) -> Result<Value, ApiError> {
        let mut out = Map::new();
        for sub in self.op.fields(&field.selection_set.node, 0)? {
            let name = sub.node.name.node.as_str();
            let key = sub.node.response_key().node.to_string();
            let sub_path = format!("{path}.selectionSet.{name}");
            let value = match name {
                "__typename" => Value::String(format!("{}_aggregate", ty.name)),
                "nodes" => Value::Array(
                    rows.iter()
                        .map(|row| self.object(ty, row, &sub.node, &sub_path))
                        .collect::<Result<Vec<_>, _>>()?,
                ),
                _ => {
                    let mut agg = Map::new();
                    for a in self.op.fields(&sub.node.selection_set.node, 0)? {
                        let value = if a.node.name.node == "count" {
                            Value::from(rows.len())
                        } else {
                            Value::String(format!("{}_aggregate_fields", ty.name))
                        };
                        agg.insert(a.node.response_key().node.to_string(), value);
                    }
                    Value::Object(agg)
                }
            };
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }

    /// `where`, `order_by`, `distinct_on`, `offset`, `limit`, in Postgres's order of operations.
    fn filter<'r>(
        &self,
        ty: &TypeDef,
        rows: Vec<&'r Row>,
        field: &Field,
        path: &str,
    ) -> Result<Vec<&'r Row>, ApiError> {
        let mut rows = rows;
        if let Some(exp) = self.op.arg(field, "where", path)? {
            let where_path = format!("{path}.args.where");
            let mut kept = Vec::new();
            for row in rows {
                if self.matches(ty, row, &exp, &where_path)? {
                    kept.push(row);
                }
            }
            rows = kept;
        }
        if let Some(order) = self.op.arg(field, "order_by", path)? {
            let keys = order_keys(ty, &order, &format!("{path}.args.order_by"))?;
            let mut keyed: Vec<(Vec<Value>, &Row)> = rows
                .into_iter()
                .map(|row| (keys.iter().map(|k| self.sort_value(row, k)).collect(), row))
                .collect();
            keyed.sort_by(|(a, _), (b, _)| {
                for ((x, y), key) in a.iter().zip(b).zip(&keys) {
                    let ord = compare_for_order(x, y, key.desc, key.nulls_first);
                    if ord != Ordering::Equal {
                        return ord;
                    }
                }
                Ordering::Equal
            });
            rows = keyed.into_iter().map(|(_, row)| row).collect();
        }
        if let Some(columns) = self.op.arg(field, "distinct_on", path)? {
            let columns: Vec<String> = match columns {
                Value::Array(items) => items
                    .iter()
                    .filter_map(|c| c.as_str().map(str::to_owned))
                    .collect(),
                Value::String(c) => vec![c],
                _ => Vec::new(),
            };
            for c in &columns {
                if ty.column(c).is_none() {
                    return Err(ApiError::validation(
                        &format!("{path}.args.distinct_on"),
                        format!(
                            "unexpected value '{c}' for enum: '{}_select_column'",
                            ty.name
                        ),
                    ));
                }
            }
            let mut seen = HashSet::new();
            rows.retain(|row| {
                let key: Vec<String> = columns
                    .iter()
                    .map(|c| row.get(c).map(Value::to_string).unwrap_or_default())
                    .collect();
                seen.insert(key)
            });
        }
        let offset = count_arg(self.op.arg(field, "offset", path)?, path, "offset")?;
        let limit = count_arg(self.op.arg(field, "limit", path)?, path, "limit")?;
        let rows: Vec<&Row> = rows
            .into_iter()
            .skip(offset.unwrap_or(0))
            .take(limit.unwrap_or(usize::MAX))
            .collect();
        Ok(rows)
    }

    fn sort_value(&self, row: &Row, key: &OrderKey) -> Value {
        let mut current: Option<&Row> = Some(row);
        for rel in &key.through {
            current = current.and_then(|r| self.world.related(rel, r).into_iter().next());
        }
        current
            .and_then(|r| r.get(key.column))
            .cloned()
            .unwrap_or(Value::Null)
    }

    /// Hasura's boolean expressions (docs/spec/hasura.md §4): `_and`, `_or`, `_not`, column
    /// comparisons and relationship filters (an array relationship matches when any related row
    /// does).
    fn matches(&self, ty: &TypeDef, row: &Row, exp: &Value, path: &str) -> Result<bool, ApiError> {
        let Value::Object(exp) = exp else {
            return Err(ApiError::validation(
                path,
                format!("expected an object for type '{}_bool_exp'", ty.name),
            ));
        };
        for (key, value) in exp {
            let sub_path = format!("{path}.{key}");
            let ok = match key.as_str() {
                "_and" => {
                    let mut all = true;
                    for (i, e) in as_list(value).iter().enumerate() {
                        all &= self.matches(ty, row, e, &format!("{sub_path}[{i}]"))?;
                    }
                    all
                }
                "_or" => {
                    let items = as_list(value);
                    let mut any = false;
                    for (i, e) in items.iter().enumerate() {
                        any |= self.matches(ty, row, e, &format!("{sub_path}[{i}]"))?;
                    }
                    any
                }
                "_not" => !self.matches(ty, row, value, &sub_path)?,
                column => {
                    if let Some(scalar) = ty.column(column) {
                        compare(
                            scalar,
                            row.get(column).unwrap_or(&Value::Null),
                            value,
                            &sub_path,
                        )?
                    } else if let Some(rel) = ty.relation(column) {
                        let target = schema::type_def(rel.target)
                            .ok_or_else(|| ApiError::internal("relation without target"))?;
                        let mut any = false;
                        for related in self.world.related(rel, row) {
                            any |= self.matches(target, related, value, &sub_path)?;
                        }
                        any
                    } else {
                        return Err(ApiError::field_not_found(
                            column,
                            &format!("{}_bool_exp", ty.name),
                            &sub_path,
                        ));
                    }
                }
            };
            if !ok {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

fn as_list(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    }
}

fn count_arg(value: Option<Value>, path: &str, name: &str) -> Result<Option<usize>, ApiError> {
    match value {
        None => Ok(None),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(n) => Ok(Some(usize::try_from(n).unwrap_or(usize::MAX))),
            None => Err(ApiError::validation(
                &format!("{path}.args.{name}"),
                "unexpected negative value",
            )),
        },
        Some(_) => Err(ApiError::validation(
            &format!("{path}.args.{name}"),
            "expected a 32-bit integer for type 'Int'",
        )),
    }
}

/// Checks a value against a column type the way Postgres would.
fn check_scalar(scalar: Option<Scalar>, value: &Value) -> Result<(), ApiError> {
    if scalar == Some(Scalar::Uuid) {
        match value {
            Value::String(s) if is_uuid(s) => {}
            Value::String(s) => return Err(ApiError::invalid_uuid(s)),
            Value::Null => {}
            other => return Err(ApiError::invalid_uuid(&other.to_string())),
        }
    }
    Ok(())
}

/// One column comparison (`<type>_comparison_exp`). A null operand makes the condition true, as
/// in Hasura v2.
fn compare(scalar: Scalar, have: &Value, exp: &Value, path: &str) -> Result<bool, ApiError> {
    let type_name = format!("{}_comparison_exp", graphql_type(Some(scalar)));
    let Value::Object(ops) = exp else {
        return Err(ApiError::validation(
            path,
            format!("expected an object for type '{type_name}'"),
        ));
    };
    for (op, operand) in ops {
        let op_path = format!("{path}.{op}");
        if operand.is_null() {
            continue;
        }
        let allowed = match op.as_str() {
            "_eq" | "_neq" | "_gt" | "_gte" | "_lt" | "_lte" | "_in" | "_nin" | "_is_null" => true,
            "_like" | "_nlike" | "_ilike" | "_nilike" => scalar == Scalar::Text,
            "_contains" | "_contained_in" | "_has_key" | "_has_keys_all" | "_has_keys_any" => {
                scalar == Scalar::Jsonb
            }
            _ => false,
        };
        if !allowed {
            return Err(ApiError::field_not_found(op, &type_name, &op_path));
        }
        if matches!(op.as_str(), "_in" | "_nin") {
            for v in as_list(operand) {
                check_scalar(Some(scalar), &v)?;
            }
        } else if op != "_is_null" {
            check_scalar(Some(scalar), operand)?;
        }
        let ok = match op.as_str() {
            "_is_null" => {
                let want = operand.as_bool().ok_or_else(|| {
                    ApiError::validation(&op_path, "expected a boolean for type 'Boolean'")
                })?;
                have.is_null() == want
            }
            _ if have.is_null() => false,
            "_eq" => json_eq(have, operand),
            "_neq" => !json_eq(have, operand),
            "_gt" => json_cmp(have, operand) == Some(Ordering::Greater),
            "_gte" => matches!(
                json_cmp(have, operand),
                Some(Ordering::Greater | Ordering::Equal)
            ),
            "_lt" => json_cmp(have, operand) == Some(Ordering::Less),
            "_lte" => matches!(
                json_cmp(have, operand),
                Some(Ordering::Less | Ordering::Equal)
            ),
            "_in" => as_list(operand).iter().any(|v| json_eq(have, v)),
            "_nin" => !as_list(operand).iter().any(|v| json_eq(have, v)),
            "_like" | "_nlike" | "_ilike" | "_nilike" => {
                let (Some(s), Some(pattern)) = (have.as_str(), operand.as_str()) else {
                    return Err(ApiError::validation(
                        &op_path,
                        "expected a string for type 'String'",
                    ));
                };
                let insensitive = op.contains('i');
                let hit = like(pattern, s, insensitive);
                if op.starts_with("_n") { !hit } else { hit }
            }
            "_has_key" => {
                let key = operand.as_str().unwrap_or_default();
                have.as_object().is_some_and(|o| o.contains_key(key))
            }
            "_has_keys_all" | "_has_keys_any" => {
                let keys = as_list(operand);
                let has = |k: &Value| {
                    k.as_str()
                        .is_some_and(|k| have.as_object().is_some_and(|o| o.contains_key(k)))
                };
                if op == "_has_keys_all" {
                    keys.iter().all(has)
                } else {
                    keys.iter().any(has)
                }
            }
            "_contains" => json_contains(have, operand),
            "_contained_in" => json_contains(operand, have),
            _ => false,
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn json_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn json_contains(have: &Value, want: &Value) -> bool {
    match (have, want) {
        (Value::Object(h), Value::Object(w)) => w
            .iter()
            .all(|(k, v)| h.get(k).is_some_and(|hv| json_contains(hv, v))),
        (Value::Array(h), Value::Array(w)) => {
            w.iter().all(|v| h.iter().any(|hv| json_contains(hv, v)))
        }
        _ => json_eq(have, want),
    }
}

/// SQL `LIKE`: `%` any run, `_` any one character.
pub fn like(pattern: &str, text: &str, insensitive: bool) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = if insensitive {
        (
            pattern.to_lowercase().chars().collect(),
            text.to_lowercase().chars().collect(),
        )
    } else {
        (pattern.chars().collect(), text.chars().collect())
    };
    // Classic two-pointer wildcard match with backtracking to the last `%`.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '_' || (p[pi] != '%' && p[pi] == t[ti])) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '%' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '%')
}

/// A jsonb column's `path` argument: `projectId`, `$.a.b`, `a[0]`.
fn json_path(value: &Value, path: &str) -> Value {
    let path = path.trim_start_matches('$').trim_start_matches('.');
    let mut current = value;
    for segment in path.split('.').filter(|s| !s.is_empty()) {
        let (name, index) = match segment.split_once('[') {
            Some((name, rest)) => (name, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (segment, None),
        };
        if !name.is_empty() {
            match current.get(name) {
                Some(v) => current = v,
                None => return Value::Null,
            }
        }
        if let Some(i) = index {
            match current.get(i) {
                Some(v) => current = v,
                None => return Value::Null,
            }
        }
    }
    current.clone()
}

struct OrderKey {
    through: Vec<&'static schema::Relation>,
    column: &'static str,
    desc: bool,
    nulls_first: bool,
}

/// `order_by` (an object or a list of them) as sort keys; object relationships nest.
fn order_keys(ty: &TypeDef, order: &Value, path: &str) -> Result<Vec<OrderKey>, ApiError> {
    let mut keys = Vec::new();
    let items = as_list(order);
    for (i, item) in items.iter().enumerate() {
        let item_path = if items.len() > 1 || order.is_array() {
            format!("{path}[{i}]")
        } else {
            path.to_owned()
        };
        collect_order(ty, item, &item_path, Vec::new(), &mut keys)?;
    }
    Ok(keys)
}

fn collect_order(
    ty: &TypeDef,
    item: &Value,
    path: &str,
    through: Vec<&'static schema::Relation>,
    keys: &mut Vec<OrderKey>,
) -> Result<(), ApiError> {
    let Value::Object(map) = item else {
        return Err(ApiError::validation(
            path,
            format!("expected an object for type '{}_order_by'", ty.name),
        ));
    };
    for (key, value) in map {
        let sub_path = format!("{path}.{key}");
        if let Some((column, _)) = ty.columns.iter().find(|(c, _)| c == key) {
            let (desc, nulls_first) = match value.as_str() {
                Some("asc") | Some("asc_nulls_last") => (false, false),
                Some("asc_nulls_first") => (false, true),
                Some("desc") | Some("desc_nulls_first") => (true, true),
                Some("desc_nulls_last") => (true, false),
                _ => {
                    return Err(ApiError::validation(
                        &sub_path,
                        format!("unexpected value {value} for enum: 'order_by'"),
                    ));
                }
            };
            keys.push(OrderKey {
                through: through.clone(),
                column,
                desc,
                nulls_first,
            });
        } else if let Some(rel) = ty.relation(key).filter(|r| r.card == Card::Object) {
            let target = schema::type_def(rel.target)
                .ok_or_else(|| ApiError::internal("relation without target"))?;
            let mut deeper = through.clone();
            deeper.push(rel);
            collect_order(target, value, &sub_path, deeper, keys)?;
        } else {
            return Err(ApiError::field_not_found(
                key,
                &format!("{}_order_by", ty.name),
                &sub_path,
            ));
        }
    }
    Ok(())
}

fn compare_for_order(a: &Value, b: &Value, desc: bool, nulls_first: bool) -> Ordering {
    match (a.is_null(), b.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) => {
            if nulls_first {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        (false, true) => {
            if nulls_first {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (false, false) => {
            let ord = json_cmp(a, b).unwrap_or(Ordering::Equal);
            if desc { ord.reverse() } else { ord }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns() {
        assert!(like("my-%", "my-app", false));
        assert!(like("%app%", "my-app-pr-1", false));
        assert!(like("a_c", "abc", false));
        assert!(!like("a_c", "abbc", false));
        assert!(like("MY%", "my-app", true));
        assert!(!like("MY%", "my-app", false));
        assert!(like("%", "", false));
    }

    #[test]
    fn json_paths() {
        let v = serde_json::json!({"projectId": "p", "a": {"b": [1, 2]}});
        assert_eq!(json_path(&v, "projectId"), "p");
        assert_eq!(json_path(&v, "$.a.b[1]"), 2);
        assert_eq!(json_path(&v, "missing"), Value::Null);
    }

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
}
