//! Resolving selections from SQL (docs/spec/hasura.md §4, §8.2). A table field becomes one
//! statement with its filter, order, page and the caller's visibility in SQL, fetching only the
//! columns the selection needs; each relationship field then costs one statement for all the
//! rows of its level, whatever their number. Nothing is read that the answer does not show.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use async_graphql::parser::types::{Field, OperationType};
use serde_json::{Map, Value};

use super::filter::{BoolExp, Page, Test, check_scalar};
use super::validate::{Operation, RootCall};
use crate::hasura::actions::Output;
use crate::hasura::auth::User;
use crate::hasura::error::ApiError;
use crate::hasura::model::Row;
use crate::hasura::schema::{self, Card, RootField, Scalar, TypeDef};
use crate::hasura::store::Store;
use crate::hasura::store::read::{Fetch, Within};

pub struct Resolver<'a> {
    pub op: &'a Operation,
    pub store: &'a Store,
    pub user: &'a User,
    /// The session clock when the reads began: jobs show the events that have happened by then.
    pub now: String,
}

type Objects<'s> = Pin<Box<dyn Future<Output = Result<Vec<Value>, ApiError>> + Send + 's>>;

/// `query_root`, `mutation_root` or `subscription_root`.
pub fn root_type(kind: OperationType) -> &'static str {
    match kind {
        OperationType::Query => "query_root",
        OperationType::Mutation => "mutation_root",
        OperationType::Subscription => "subscription_root",
    }
}

impl Resolver<'_> {
    /// A table field of `query_root`, or `__typename`.
    pub async fn root(&self, call: &RootCall<'_>) -> Result<Value, ApiError> {
        let field = &call.field.node;
        let name = field.name.node.as_str();
        if name == "__typename" {
            return Ok(Value::String(root_type(self.op.kind()).into()));
        }
        match schema::query_field(name) {
            Some(RootField::List(t)) => {
                let page = Page::read(self.op, t, field, &call.path)?;
                let rows = self.fetch(t, field, &page, Within::Visible).await?;
                Ok(Value::Array(
                    self.objects(t, &rows, field, &call.path).await?,
                ))
            }
            Some(RootField::Aggregate(t)) => self.aggregate(t, field, &call.path).await,
            Some(RootField::ByPk(t)) => {
                let mut key = Vec::new();
                for column in t.pk {
                    let value = self
                        .op
                        .arg(field, column, &call.path)?
                        .unwrap_or(Value::Null);
                    check_scalar(t.column(column), &value)?;
                    key.push((*column, value));
                }
                self.by_pk(t, key, field, &call.path).await
            }
            _ => Err(ApiError::field_not_found(name, "query_root", &call.path)),
        }
    }

    /// What an action answered, resolved against its output type.
    pub async fn output(
        &self,
        output_type: &str,
        output: Output,
        call: &RootCall<'_>,
    ) -> Result<Value, ApiError> {
        let ty = schema::type_def(output_type)
            .ok_or_else(|| ApiError::internal("action without output type"))?;
        let field = &call.field.node;
        match output {
            Output::Null => Ok(Value::Null),
            Output::Object(row) => Ok(first(
                self.objects(ty, std::slice::from_ref(&row), field, &call.path)
                    .await?,
            )),
            Output::Row(id) => {
                self.by_pk(ty, vec![("id", Value::String(id))], field, &call.path)
                    .await
            }
        }
    }

    /// `<table>_by_pk`: the row with that key, if the caller may see it.
    async fn by_pk(
        &self,
        ty: &'static TypeDef,
        key: Vec<(&'static str, Value)>,
        field: &Field,
        path: &str,
    ) -> Result<Value, ApiError> {
        if key.iter().any(|(_, value)| value.is_null()) {
            return Ok(Value::Null);
        }
        let mut equal = Vec::with_capacity(key.len());
        for (column, value) in key {
            let scalar = ty
                .column(column)
                .ok_or_else(|| ApiError::internal("primary key without column"))?;
            equal.push(BoolExp::Column {
                column,
                scalar,
                test: Test::Eq(value),
            });
        }
        let page = Page {
            filter: Some(BoolExp::All(equal)),
            limit: Some(1),
            ..Page::default()
        };
        let rows = self.fetch(ty, field, &page, Within::Key).await?;
        if rows.is_empty() {
            return Ok(Value::Null);
        }
        Ok(first(self.objects(ty, &rows, field, path).await?))
    }

    /// `<table>_aggregate { aggregate { count } nodes { … } }`: the count is of the page.
    async fn aggregate(
        &self,
        ty: &'static TypeDef,
        field: &Field,
        path: &str,
    ) -> Result<Value, ApiError> {
        let page = Page::read(self.op, ty, field, path)?;
        let fields = self.op.fields(&field.selection_set.node, 0)?;
        let nodes: Vec<&Field> = fields
            .iter()
            .map(|f| &f.node)
            .filter(|f| f.name.node == "nodes")
            .collect();
        let (rows, count) = if nodes.is_empty() {
            let fetch = Fetch {
                ty,
                columns: &[],
                page: &page,
                within: Within::Visible,
            };
            (
                Vec::new(),
                self.store.count(self.user, &self.now, &fetch).await?,
            )
        } else {
            let mut columns = Vec::new();
            for node in &nodes {
                for column in self.columns(ty, node)? {
                    if !columns.contains(&column) {
                        columns.push(column);
                    }
                }
            }
            let fetch = Fetch {
                ty,
                columns: &columns,
                page: &page,
                within: Within::Visible,
            };
            let rows = self.store.fetch(self.user, &self.now, &fetch).await?;
            let count = rows.len() as u64;
            (rows, count)
        };
        let mut out = Map::new();
        for sub in &fields {
            let name = sub.node.name.node.as_str();
            let key = sub.node.response_key().node.to_string();
            let sub_path = format!("{path}.selectionSet.{name}");
            let value = match name {
                "__typename" => Value::String(format!("{}_aggregate", ty.name)),
                "nodes" => Value::Array(self.objects(ty, &rows, &sub.node, &sub_path).await?),
                _ => {
                    let mut aggregate = Map::new();
                    for a in self.op.fields(&sub.node.selection_set.node, 0)? {
                        let value = if a.node.name.node == "count" {
                            Value::from(count)
                        } else {
                            Value::String(format!("{}_aggregate_fields", ty.name))
                        };
                        aggregate.insert(a.node.response_key().node.to_string(), value);
                    }
                    Value::Object(aggregate)
                }
            };
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }

    /// The rows of a table field, with the columns its selection needs.
    async fn fetch(
        &self,
        ty: &'static TypeDef,
        field: &Field,
        page: &Page,
        within: Within<'_>,
    ) -> Result<Vec<Row>, ApiError> {
        let columns = self.columns(ty, field)?;
        let fetch = Fetch {
            ty,
            columns: &columns,
            page,
            within,
        };
        Ok(self.store.fetch(self.user, &self.now, &fetch).await?)
    }

    /// The columns a selection shows, and those its relationships join on.
    fn columns(&self, ty: &TypeDef, field: &Field) -> Result<Vec<&'static str>, ApiError> {
        let mut columns: Vec<&'static str> = Vec::new();
        for sub in self.op.fields(&field.selection_set.node, 0)? {
            let name = sub.node.name.node.as_str();
            let column = match ty.columns.iter().find(|(c, _)| *c == name) {
                Some((column, _)) => Some(*column),
                None => ty.relation(name).map(|r| r.local),
            };
            if let Some(column) = column
                && !columns.contains(&column)
            {
                columns.push(column);
            }
        }
        Ok(columns)
    }

    /// The selection of `field` over rows of type `ty`. Each relationship field is fetched once
    /// for all the rows (its `where`, `order_by`, `limit` and `offset` applied per row in SQL),
    /// then resolved the same way one level down: the number of statements follows the depth of
    /// the selection, not the number of rows.
    fn objects<'s>(
        &'s self,
        ty: &'static TypeDef,
        rows: &'s [Row],
        field: &'s Field,
        path: &'s str,
    ) -> Objects<'s> {
        Box::pin(async move {
            if rows.is_empty() {
                return Ok(Vec::new());
            }
            let fields = self.op.fields(&field.selection_set.node, 0)?;
            // Per field: a jsonb column's `path` argument, or a relationship's related objects
            // by the JSON text of their key.
            let mut paths: Vec<Option<String>> = Vec::with_capacity(fields.len());
            let mut related: Vec<HashMap<String, Vec<Value>>> = Vec::with_capacity(fields.len());
            for sub in &fields {
                let name = sub.node.name.node.as_str();
                let sub_path = format!("{path}.selectionSet.{name}");
                let mut json_path = None;
                let mut by_key = HashMap::new();
                if let Some(scalar) = ty.column(name) {
                    if let Some(Value::String(p)) = self.op.arg(&sub.node, "path", &sub_path)?
                        && scalar == Scalar::Jsonb
                    {
                        json_path = Some(p);
                    }
                } else if let Some(relation) = ty.relation(name) {
                    let target = schema::type_def(relation.target)
                        .ok_or_else(|| ApiError::internal("relation without target"))?;
                    let page = match relation.card {
                        Card::Object => Page::default(),
                        Card::Array => Page::read(self.op, target, &sub.node, &sub_path)?,
                    };
                    let mut keys: Vec<Value> = Vec::new();
                    for row in rows {
                        if let Some(key) = row.get(relation.local).filter(|k| !k.is_null())
                            && !keys.contains(key)
                        {
                            keys.push(key.clone());
                        }
                    }
                    if !keys.is_empty() {
                        let mut columns = self.columns(target, &sub.node)?;
                        if !columns.contains(&relation.remote) {
                            columns.push(relation.remote);
                        }
                        let fetch = Fetch {
                            ty: target,
                            columns: &columns,
                            page: &page,
                            within: Within::Related {
                                column: relation.remote,
                                keys: &keys,
                            },
                        };
                        let children = self.store.fetch(self.user, &self.now, &fetch).await?;
                        let objects = self
                            .objects(target, &children, &sub.node, &sub_path)
                            .await?;
                        for (child, object) in children.iter().zip(objects) {
                            let key = child.get(relation.remote).unwrap_or(&Value::Null);
                            by_key
                                .entry(key.to_string())
                                .or_insert_with(Vec::new)
                                .push(object);
                        }
                    }
                } else if name != "__typename" {
                    return Err(ApiError::field_not_found(name, ty.name, &sub_path));
                }
                paths.push(json_path);
                related.push(by_key);
            }
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                let mut object = Map::new();
                for (i, sub) in fields.iter().enumerate() {
                    let name = sub.node.name.node.as_str();
                    let value = if name == "__typename" {
                        Value::String(ty.name.into())
                    } else if ty.column(name).is_some() {
                        let value = row.get(name).cloned().unwrap_or(Value::Null);
                        match &paths[i] {
                            Some(p) => json_path(&value, p),
                            None => value,
                        }
                    } else if let Some(relation) = ty.relation(name) {
                        let found = row
                            .get(relation.local)
                            .filter(|k| !k.is_null())
                            .and_then(|key| related[i].get(&key.to_string()));
                        match (relation.card, found) {
                            (Card::Object, Some(objects)) => {
                                objects.first().cloned().unwrap_or(Value::Null)
                            }
                            (Card::Object, None) => Value::Null,
                            (Card::Array, Some(objects)) => Value::Array(objects.clone()),
                            (Card::Array, None) => Value::Array(Vec::new()),
                        }
                    } else {
                        Value::Null
                    };
                    object.insert(sub.node.response_key().node.to_string(), value);
                }
                out.push(Value::Object(object));
            }
            Ok(out)
        })
    }
}

fn first(mut objects: Vec<Value>) -> Value {
    if objects.is_empty() {
        Value::Null
    } else {
        objects.swap_remove(0)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_paths() {
        let v = serde_json::json!({"projectId": "p", "a": {"b": [1, 2]}});
        assert_eq!(json_path(&v, "projectId"), "p");
        assert_eq!(json_path(&v, "$.a.b[1]"), 2);
        assert_eq!(json_path(&v, "missing"), Value::Null);
    }
}
