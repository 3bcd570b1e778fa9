//! A small part of the GraphQL API Dgraph generates from the user's schema (docs/spec/dgraph.md
//! §7 leaves it unspecified): for each object type `T`, `queryT(first, offset)`, `getT(id)`,
//! `addT(input: [AddTInput!]!) { t numUids }` and `deleteT(filter: { id: [...] }) { msg numUids }`,
//! over the objects stored as `{"dgraph.type": "T", "T.field": ...}`. Scalar fields only; any
//! other argument or field answers an error saying it is not emulated.

use std::collections::HashMap;

use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
    TypeKind, TypeSystemDefinition,
};
use async_graphql::{Name, Value as ConstValue};
use serde_json::{Map, Value, json};

use super::store::Store;
use crate::error::Internal;

/// The object types of the user's schema: type name → field name → (named type, is ID).
struct Types(HashMap<String, Vec<(String, String)>>);

impl Types {
    fn parse(sdl: &str) -> Types {
        let mut types = HashMap::new();
        if let Ok(doc) = async_graphql::parser::parse_schema(sdl) {
            for def in doc.definitions {
                let TypeSystemDefinition::Type(t) = def else {
                    continue;
                };
                let TypeKind::Object(o) = t.node.kind else {
                    continue;
                };
                let fields = o
                    .fields
                    .iter()
                    .map(|f| {
                        let ty = match &f.node.ty.node.base {
                            BaseType::Named(n) => n.to_string(),
                            BaseType::List(_) => "[list]".to_owned(),
                        };
                        (f.node.name.node.to_string(), ty)
                    })
                    .collect();
                types.insert(t.node.name.node.to_string(), fields);
            }
        }
        Types(types)
    }

    fn field_type(&self, ty: &str, field: &str) -> Option<&str> {
        self.0
            .get(ty)?
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, t)| t.as_str())
    }
}

const SCALARS: &[&str] = &["String", "Int", "Int64", "Float", "Boolean", "DateTime"];

/// One request's execution: its document, variables, and the errors met on the way.
struct Run<'a> {
    doc: &'a ExecutableDocument,
    types: Types,
    store: &'a Store,
    uid: &'a str,
    variables: &'a async_graphql::Variables,
    errors: Vec<Value>,
}

/// Executes the request; the result is the JSON body.
pub async fn execute(
    store: &Store,
    deployment_uid: &str,
    sdl: &str,
    read_only: bool,
    request: &mut async_graphql::Request,
) -> Result<Value, Internal> {
    let operation_name = request.operation_name.clone();
    let variables = request.variables.clone();
    // Parsed once, within the document limits (`graphql::read`), which also refuse a fragment
    // that spreads itself: the walks below recurse through fragments.
    let doc = match request.parsed_query() {
        Ok(doc) => doc,
        Err(e) => return Ok(json!({"errors": [{"message": e.message}], "data": null})),
    };
    let op = match (&doc.operations, &operation_name) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name.as_str()),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
        _ => None,
    };
    let Some(op) = op else {
        return Ok(
            json!({"errors": [{"message": "unknown or ambiguous operation"}], "data": null}),
        );
    };
    let mut variables = variables;
    for def in &op.node.variable_definitions {
        let name = Name::new(def.node.name.node.as_str());
        if !variables.contains_key(&name)
            && let Some(default) = &def.node.default_value
        {
            variables.insert(name, default.node.clone());
        }
    }
    let kind = op.node.ty;
    if kind == OperationType::Mutation && read_only {
        return Ok(
            json!({"errors": [{"message": "mutations are not allowed: the backend is in read-only mode"}], "data": null}),
        );
    }
    let mut run = Run {
        doc,
        types: Types::parse(sdl),
        store,
        uid: deployment_uid,
        variables: &variables,
        errors: Vec::new(),
    };
    let root = if kind == OperationType::Mutation {
        "Mutation"
    } else {
        "Query"
    };
    let mut data = Map::new();
    for (key, field) in run.fields(&op.node.selection_set.node) {
        let value = run.top_level(root, &field).await?;
        data.insert(key, value);
    }
    let mut body = json!({ "data": data });
    if !run.errors.is_empty() {
        body["errors"] = Value::Array(run.errors);
    }
    Ok(body)
}

/// A selected field, its arguments resolved.
#[derive(Clone)]
struct Selected<'a> {
    name: String,
    key: String,
    args: HashMap<String, ConstValue>,
    selection: &'a SelectionSet,
}

impl<'a> Run<'a> {
    /// The fields of a selection set, fragments flattened, as (response key, field).
    fn fields(&mut self, set: &'a SelectionSet) -> Vec<(String, Selected<'a>)> {
        let mut out = Vec::new();
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    let f = &f.node;
                    let mut args = HashMap::new();
                    for (name, value) in &f.arguments {
                        let resolved = value.node.clone().into_const_with(|var| {
                            Ok::<_, std::convert::Infallible>(
                                self.variables
                                    .get(&var)
                                    .cloned()
                                    .unwrap_or(ConstValue::Null),
                            )
                        });
                        let Ok(v) = resolved;
                        args.insert(name.node.to_string(), v);
                    }
                    let key = f.alias.as_ref().unwrap_or(&f.name).node.to_string();
                    out.push((
                        key.clone(),
                        Selected {
                            name: f.name.node.to_string(),
                            key,
                            args,
                            selection: &f.selection_set.node,
                        },
                    ));
                }
                Selection::InlineFragment(frag) => {
                    out.extend(self.fields(&frag.node.selection_set.node));
                }
                Selection::FragmentSpread(spread) => {
                    let doc = self.doc;
                    if let Some(frag) = doc.fragments.get(&spread.node.fragment_name.node) {
                        out.extend(self.fields(&frag.node.selection_set.node));
                    }
                }
            }
        }
        out
    }

    fn error(&mut self, path: &str, message: String) -> Value {
        self.errors
            .push(json!({"message": message, "path": [path]}));
        Value::Null
    }

    async fn top_level(&mut self, root: &str, f: &Selected<'a>) -> Result<Value, Internal> {
        if f.name == "__typename" {
            return Ok(json!(root));
        }
        let (verb, ty) = split_verb(&f.name);
        let known = self.types.0.contains_key(ty);
        let allowed_args: &[&str] = match (root, verb) {
            ("Query", "query") => &["first", "offset"],
            ("Query", "get") => &["id"],
            ("Mutation", "add") => &["input"],
            ("Mutation", "delete") => &["filter"],
            _ => &[],
        };
        if !known || allowed_args.is_empty() {
            return Ok(self.error(
                &f.key,
                format!("Not resolving {}. offcloud emulates only queryT, getT, addT and deleteT of the schema's object types", f.name),
            ));
        }
        if let Some(bad) = f.args.keys().find(|a| !allowed_args.contains(&a.as_str())) {
            return Ok(self.error(
                &f.key,
                format!("argument {bad} of {} is not emulated by offcloud", f.name),
            ));
        }
        match verb {
            "query" => {
                let offset = int_arg(&f.args, "offset").unwrap_or(0);
                let first = int_arg(&f.args, "first").unwrap_or(usize::MAX);
                let page = self
                    .store
                    .nodes_of_type(self.uid, ty, first, offset)
                    .await?;
                let items: Vec<Value> = page
                    .into_iter()
                    .filter_map(|(id, body)| object_of(ty, id, &body))
                    .map(|n| self.project(ty, &n, f.selection))
                    .collect();
                Ok(Value::Array(items))
            }
            "get" => {
                let node = match string_arg(&f.args, "id").as_deref().and_then(node_id) {
                    Some(id) => self.node_of(ty, id).await?,
                    None => None,
                };
                Ok(node.map_or(Value::Null, |n| self.project(ty, &n, f.selection)))
            }
            "add" => self.add(ty, f).await,
            _ => self.delete(ty, f).await,
        }
    }

    /// The object with this id, when it is of type `ty`.
    async fn node_of(
        &self,
        ty: &str,
        id: i64,
    ) -> Result<Option<(i64, Map<String, Value>)>, Internal> {
        let body = self.store.node(self.uid, id).await?;
        Ok(body.and_then(|body| object_of(ty, id, &body)))
    }

    /// The node as the selection asks for it: `T.f` predicates under the field names.
    fn project(&self, ty: &str, node: &(i64, Map<String, Value>), set: &SelectionSet) -> Value {
        let mut out = Map::new();
        self.project_into(ty, node.0, &node.1, set, &mut out);
        Value::Object(out)
    }

    fn project_into(
        &self,
        ty: &str,
        id: i64,
        node: &Map<String, Value>,
        set: &SelectionSet,
        out: &mut Map<String, Value>,
    ) {
        for item in &set.items {
            let f = match &item.node {
                Selection::Field(f) => &f.node,
                Selection::InlineFragment(frag) => {
                    self.project_into(ty, id, node, &frag.node.selection_set.node, out);
                    continue;
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(frag) = self.doc.fragments.get(&spread.node.fragment_name.node) {
                        self.project_into(ty, id, node, &frag.node.selection_set.node, out);
                    }
                    continue;
                }
            };
            let name = f.name.node.as_str();
            let key = f.alias.as_ref().unwrap_or(&f.name).node.to_string();
            let value = match (name, self.types.field_type(ty, name)) {
                ("__typename", _) => json!(ty),
                (_, Some("ID")) => json!(node_uid(id)),
                (_, Some(t)) if SCALARS.contains(&t) => node
                    .get(&format!("{ty}.{name}"))
                    .cloned()
                    .unwrap_or(Value::Null),
                _ => Value::Null,
            };
            out.insert(key, value);
        }
    }

    async fn add(&mut self, ty: &str, f: &Selected<'a>) -> Result<Value, Internal> {
        let inputs = match f.args.get("input") {
            Some(ConstValue::List(items)) => items.clone(),
            Some(obj @ ConstValue::Object(_)) => vec![obj.clone()],
            _ => return Ok(self.error(&f.key, format!("{} needs an input list", f.name))),
        };
        let mut bodies = Vec::new();
        let mut nodes = Vec::new();
        for input in inputs {
            let ConstValue::Object(fields) = input else {
                return Ok(self.error(&f.key, "each input must be an object".into()));
            };
            let mut node = Map::new();
            node.insert("dgraph.type".into(), json!(ty));
            for (name, value) in fields {
                match self.types.field_type(ty, name.as_str()) {
                    Some(t) if SCALARS.contains(&t) => {
                        let v = value.into_json().unwrap_or(Value::Null);
                        node.insert(format!("{ty}.{name}"), v);
                    }
                    _ => {
                        return Ok(self.error(
                            &f.key,
                            format!(
                                "field {name} of {ty} cannot be set through offcloud's {}",
                                f.name
                            ),
                        ));
                    }
                }
            }
            bodies.push(Value::Object(node.clone()).to_string());
            nodes.push(node);
        }
        let ids = self.store.insert_nodes(self.uid, &bodies).await?;
        let added: Vec<(i64, Map<String, Value>)> = ids.into_iter().zip(nodes).collect();
        let mut out = Map::new();
        for (key, sub) in self.fields(f.selection) {
            let value = match sub.name.as_str() {
                "numUids" => json!(added.len()),
                "__typename" => json!(format!("Add{ty}Payload")),
                _ => Value::Array(
                    added
                        .iter()
                        .map(|n| self.project(ty, n, sub.selection))
                        .collect(),
                ),
            };
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }

    async fn delete(&mut self, ty: &str, f: &Selected<'a>) -> Result<Value, Internal> {
        let ids: Vec<String> = match f.args.get("filter") {
            Some(ConstValue::Object(filter)) => match filter.get("id") {
                Some(ConstValue::List(ids)) => ids
                    .iter()
                    .filter_map(|i| match i {
                        ConstValue::String(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect(),
                _ => {
                    return Ok(self.error(
                        &f.key,
                        format!("{}: only filter {{ id: [...] }} is emulated", f.name),
                    ));
                }
            },
            _ => return Ok(self.error(&f.key, format!("{} needs a filter", f.name))),
        };
        // One lookup per id named (the document's size bounds them), each once.
        let mut doomed: Vec<i64> = Vec::new();
        for id in ids.iter().filter_map(|id| node_id(id)) {
            if !doomed.contains(&id) && self.node_of(ty, id).await?.is_some() {
                doomed.push(id);
            }
        }
        self.store.rewrite_nodes(self.uid, &[], &doomed).await?;
        let mut out = Map::new();
        for (key, sub) in self.fields(f.selection) {
            let value = match sub.name.as_str() {
                "numUids" => json!(doomed.len()),
                "msg" => json!("Deleted"),
                "__typename" => json!(format!("Delete{ty}Payload")),
                _ => Value::Null,
            };
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

/// `queryPerson` → ("query", "Person").
fn split_verb(field: &str) -> (&str, &str) {
    for verb in ["query", "get", "add", "delete"] {
        if let Some(ty) = field.strip_prefix(verb)
            && ty.starts_with(|c: char| c.is_ascii_uppercase())
        {
            return (verb, ty);
        }
    }
    ("", field)
}

fn node_uid(id: i64) -> String {
    format!("0x{id:x}")
}

/// The id in a uid `node_uid` wrote (`0x1f`); `None` for anything else, which names no object.
fn node_id(uid: &str) -> Option<i64> {
    let hex = uid.strip_prefix("0x")?;
    let id = i64::from_str_radix(hex, 16).ok()?;
    (node_uid(id) == uid).then_some(id)
}

/// A stored body as an object of type `ty`; `None` when it is not one.
fn object_of(ty: &str, id: i64, body: &str) -> Option<(i64, Map<String, Value>)> {
    match serde_json::from_str::<Value>(body) {
        Ok(Value::Object(map)) if has_type(&map, ty) => Some((id, map)),
        _ => None,
    }
}

fn has_type(node: &Map<String, Value>, ty: &str) -> bool {
    match node.get("dgraph.type") {
        Some(Value::String(t)) => t == ty,
        Some(Value::Array(ts)) => ts.iter().any(|t| t.as_str() == Some(ty)),
        _ => false,
    }
}

fn int_arg(args: &HashMap<String, ConstValue>, name: &str) -> Option<usize> {
    match args.get(name) {
        Some(ConstValue::Number(n)) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
        _ => None,
    }
}

fn string_arg(args: &HashMap<String, ConstValue>, name: &str) -> Option<String> {
    match args.get(name) {
        Some(ConstValue::String(s)) => Some(s.clone()),
        _ => None,
    }
}
