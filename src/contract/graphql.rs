//! A GraphQL schema, read from the SDL a service publishes, and the check of a GraphQL request
//! against it: root fields (the operations coverage counts), fields, arguments and input values
//! (literals and variables), and `@deprecated`.
//!
//! Two leniencies, both of the servers behind the schemas: a string holding a number is taken
//! for `Int` and `Float` (Dgraph coerces the slash-graphql CLI's `restoreId`,
//! docs/spec/dgraph.md §6.6), and custom scalars take any value.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_graphql::parser::types::{
    BaseType, ConstDirective, DocumentOperations, ExecutableDocument, OperationDefinition,
    OperationType, Selection, SelectionSet, ServiceDocument, Type, TypeKind, TypeSystemDefinition,
};
use async_graphql_value::{ConstValue, Value as GqlValue};
use serde_json::Value;

use super::{Finding, Rule, nearest};
use crate::graphql_limits::GraphqlLimits;

/// One GraphQL schema.
pub struct Schema {
    pub name: &'static str,
    roots: HashMap<&'static str, String>,
    types: HashMap<String, TypeDef>,
    /// `query projects`, `mutation createTenant`: the root fields, in the schema's order.
    pub operations: Vec<Arc<str>>,
}

enum TypeDef {
    /// Objects and interfaces: their fields.
    Output(Vec<FieldDef>),
    Input(Vec<InputDef>),
    Enum(Vec<String>),
    Union,
    Scalar,
}

struct FieldDef {
    name: String,
    args: Vec<InputDef>,
    /// The named type at the bottom of its lists.
    ty: String,
    deprecated: Option<String>,
}

struct InputDef {
    name: String,
    ty: Type,
    has_default: bool,
    deprecated: Option<String>,
}

fn deprecation(directives: &[async_graphql::Positioned<ConstDirective>]) -> Option<String> {
    let directive = directives
        .iter()
        .find(|d| d.node.name.node == "deprecated")?;
    let reason = directive
        .node
        .arguments
        .iter()
        .find(|(name, _)| name.node == "reason")
        .and_then(|(_, v)| match &v.node {
            ConstValue::String(s) => Some(format!(": {s}")),
            _ => None,
        });
    Some(reason.unwrap_or_default())
}

fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named(inner),
    }
}

impl Schema {
    /// Reads an SDL document; `None` when it does not parse.
    pub fn parse(name: &'static str, sdl: &str) -> Option<Schema> {
        let doc: ServiceDocument = async_graphql::parser::parse_schema(sdl).ok()?;
        let mut roots = HashMap::new();
        let mut types = HashMap::new();
        for definition in doc.definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => {
                    let schema = schema.node;
                    for (kind, root) in [
                        ("query", schema.query),
                        ("mutation", schema.mutation),
                        ("subscription", schema.subscription),
                    ] {
                        if let Some(root) = root {
                            roots.insert(kind, root.node.to_string());
                        }
                    }
                }
                TypeSystemDefinition::Type(ty) => {
                    let ty = ty.node;
                    let def = match ty.kind {
                        TypeKind::Object(o) => TypeDef::Output(fields(o.fields)),
                        TypeKind::Interface(i) => TypeDef::Output(fields(i.fields)),
                        TypeKind::InputObject(i) => TypeDef::Input(inputs(i.fields)),
                        TypeKind::Enum(e) => TypeDef::Enum(
                            e.values
                                .into_iter()
                                .map(|v| v.node.value.node.to_string())
                                .collect(),
                        ),
                        TypeKind::Union(_) => TypeDef::Union,
                        TypeKind::Scalar => TypeDef::Scalar,
                    };
                    types.insert(ty.name.node.to_string(), def);
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        for (kind, default) in [("query", "Query"), ("mutation", "Mutation")] {
            if !roots.contains_key(kind) && types.contains_key(default) {
                roots.insert(kind, default.to_owned());
            }
        }
        let mut operations = Vec::new();
        for kind in ["query", "mutation", "subscription"] {
            if let Some(TypeDef::Output(fields)) = roots.get(kind).and_then(|r| types.get(r)) {
                operations.extend(
                    fields
                        .iter()
                        .map(|f| Arc::from(format!("{kind} {}", f.name))),
                );
            }
        }
        Some(Schema {
            name,
            roots,
            types,
            operations,
        })
    }

    fn operation(&self, kind: &str, field: &str) -> Option<Arc<str>> {
        let name = format!("{kind} {field}");
        self.operations.iter().find(|o| ***o == *name).cloned()
    }

    /// Checks one GraphQL request (`{"query", "variables", "operationName"}`): the operations it
    /// calls and what it breaks. A document the service will refuse anyway (it does not parse,
    /// it is over the limits) is left to the service.
    pub fn check(&self, request: &Value, limits: &GraphqlLimits, out: &mut Checks) {
        let Some(query) = request.get("query").and_then(Value::as_str) else {
            return;
        };
        if limits.check_text(query).is_err() {
            return;
        }
        let Ok(doc) = crate::graphql_limits::parse(query) else {
            return;
        };
        if limits.check_document(&doc).is_err() {
            return;
        }
        let wanted = request.get("operationName").and_then(Value::as_str);
        let Some(operation) = pick(&doc, wanted) else {
            return;
        };
        let kind = match operation.ty {
            OperationType::Query => "query",
            OperationType::Mutation => "mutation",
            OperationType::Subscription => "subscription",
        };
        let Some(root) = self.roots.get(kind) else {
            return;
        };
        let variables = request
            .get("variables")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let mut walk = Walk {
            schema: self,
            doc: &doc,
            kind,
            variables: &variables,
            defaults: operation
                .variable_definitions
                .iter()
                .filter(|v| v.node.default_value.is_some())
                .map(|v| v.node.name.node.to_string())
                .collect(),
            operation: None,
            out,
            spread: HashSet::new(),
        };
        walk.selections(root, &operation.selection_set.node, true, 0);
    }
}

/// What checking a request found.
#[derive(Default)]
pub struct Checks {
    pub operations: Vec<Arc<str>>,
    pub findings: Vec<Finding>,
}

fn pick<'d>(doc: &'d ExecutableDocument, wanted: Option<&str>) -> Option<&'d OperationDefinition> {
    match (&doc.operations, wanted) {
        (DocumentOperations::Single(op), _) => Some(&op.node),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| &op.node),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| &op.node)
        }
        _ => None,
    }
}

fn fields(
    defs: Vec<async_graphql::Positioned<async_graphql::parser::types::FieldDefinition>>,
) -> Vec<FieldDef> {
    defs.into_iter()
        .map(|f| {
            let f = f.node;
            FieldDef {
                name: f.name.node.to_string(),
                args: inputs(f.arguments),
                ty: named(&f.ty.node).to_owned(),
                deprecated: deprecation(&f.directives),
            }
        })
        .collect()
}

fn inputs(
    defs: Vec<async_graphql::Positioned<async_graphql::parser::types::InputValueDefinition>>,
) -> Vec<InputDef> {
    defs.into_iter()
        .map(|i| {
            let i = i.node;
            InputDef {
                name: i.name.node.to_string(),
                ty: i.ty.node,
                has_default: i.default_value.is_some(),
                deprecated: deprecation(&i.directives),
            }
        })
        .collect()
}

/// Deepest selection or input value followed; the limits keep documents well under it.
const MAX_DEPTH: usize = 128;

struct Walk<'a> {
    schema: &'a Schema,
    doc: &'a ExecutableDocument,
    kind: &'static str,
    variables: &'a serde_json::Map<String, Value>,
    defaults: HashSet<String>,
    /// The root field being walked.
    operation: Option<Arc<str>>,
    out: &'a mut Checks,
    /// Fragments being walked, so that none is walked inside itself.
    spread: HashSet<String>,
}

impl Walk<'_> {
    fn find(&mut self, rule: Rule, message: String) {
        self.out.findings.push(Finding {
            operation: self.operation.clone(),
            rule,
            message,
        });
    }

    fn selections(&mut self, ty: &str, set: &SelectionSet, root: bool, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let schema = self.schema;
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let name = field.name.node.as_str();
                    // `__typename`, `__schema`, `__type`: introspection, not the API's own.
                    if name.starts_with("__") {
                        continue;
                    }
                    if root {
                        self.operation = schema.operation(self.kind, name);
                        if let Some(op) = &self.operation
                            && !self.out.operations.contains(op)
                        {
                            self.out.operations.push(op.clone());
                        }
                    }
                    let Some(TypeDef::Output(defs)) = schema.types.get(ty) else {
                        continue;
                    };
                    let Some(def) = defs.iter().find(|d| d.name == name) else {
                        let known: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
                        let mut message =
                            format!("`{ty}.{name}` is not defined by the {} schema", schema.name);
                        if let Some(meant) = nearest::name(name, known.iter().copied()) {
                            message.push_str(&format!("; did you mean `{meant}`?"));
                        }
                        self.find(Rule::UnknownField, message);
                        continue;
                    };
                    if let Some(why) = &def.deprecated {
                        self.find(
                            Rule::Deprecated,
                            format!("`{ty}.{name}` is deprecated{why}"),
                        );
                    }
                    self.arguments(ty, def, &field.arguments);
                    self.selections(&def.ty, &field.selection_set.node, false, depth + 1);
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    let doc = self.doc;
                    let Some(fragment) = doc.fragments.get(name) else {
                        continue;
                    };
                    if !self.spread.insert(name.to_owned()) {
                        continue;
                    }
                    let on = fragment.node.type_condition.node.on.node.to_string();
                    self.selections(&on, &fragment.node.selection_set.node, root, depth + 1);
                    self.spread.remove(name);
                }
                Selection::InlineFragment(inline) => {
                    let on = inline
                        .node
                        .type_condition
                        .as_ref()
                        .map_or_else(|| ty.to_owned(), |c| c.node.on.node.to_string());
                    self.selections(&on, &inline.node.selection_set.node, root, depth + 1);
                }
            }
        }
    }

    fn arguments(
        &mut self,
        ty: &str,
        def: &FieldDef,
        given: &[(
            async_graphql::Positioned<async_graphql::Name>,
            async_graphql::Positioned<GqlValue>,
        )],
    ) {
        let field = format!("{ty}.{}", def.name);
        for (name, value) in given {
            let name = name.node.as_str();
            let place = format!("{field}({name})");
            let Some(arg) = def.args.iter().find(|a| a.name == name) else {
                let known: Vec<&str> = def.args.iter().map(|a| a.name.as_str()).collect();
                let message = unknown(&format!("`{field}` has no argument `{name}`"), name, &known);
                self.find(Rule::UnknownField, message);
                continue;
            };
            if let Some(why) = &arg.deprecated {
                self.find(Rule::Deprecated, format!("`{place}` is deprecated{why}"));
            }
            self.literal(&arg.ty, &value.node, &place, 0);
        }
        for arg in &def.args {
            if !arg.ty.nullable
                && !arg.has_default
                && !given.iter().any(|(n, _)| n.node == arg.name)
            {
                self.find(
                    Rule::MissingRequired,
                    format!("`{field}({})` is required", arg.name),
                );
            }
        }
    }

    /// A value written in the document.
    fn literal(&mut self, ty: &Type, value: &GqlValue, at: &str, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let schema = self.schema;
        let json = match value {
            GqlValue::Variable(name) => {
                match self.variables.get(name.as_str()) {
                    Some(json) => {
                        let json = json.clone();
                        self.json(ty, &json, &format!("{at} (${name})"), depth);
                    }
                    None if !ty.nullable && !self.defaults.contains(name.as_str()) => self.find(
                        Rule::MissingRequired,
                        format!("`{at}` is required, and the variable ${name} has no value"),
                    ),
                    None => {}
                }
                return;
            }
            GqlValue::List(items) => {
                match &ty.base {
                    BaseType::List(inner) => {
                        for (i, item) in items.iter().enumerate() {
                            self.literal(inner, item, &format!("{at}[{i}]"), depth + 1);
                        }
                    }
                    BaseType::Named(name) => self.find(
                        Rule::WrongType,
                        format!("`{at}` must be {}, not a list", a(name)),
                    ),
                }
                return;
            }
            GqlValue::Object(fields) => {
                let fields: serde_json::Map<String, Value> = fields
                    .iter()
                    .map(|(k, _)| (k.to_string(), Value::Null))
                    .collect();
                // Walked field by field below, with the literal values.
                if let Some(TypeDef::Input(defs)) = schema.types.get(named(ty)) {
                    if let BaseType::List(inner) = &ty.base {
                        self.literal(inner, value, at, depth + 1);
                        return;
                    }
                    let GqlValue::Object(given) = value else {
                        return;
                    };
                    self.input_fields(named(ty), defs, &fields, at);
                    for (name, field) in given {
                        if let Some(def) = defs.iter().find(|d| d.name == name.as_str()) {
                            let ty = def.ty.clone();
                            self.literal(&ty, field, &format!("{at}.{name}"), depth + 1);
                        }
                    }
                    return;
                }
                Value::Object(fields)
            }
            GqlValue::Enum(name) => {
                if let BaseType::List(inner) = &ty.base {
                    self.literal(inner, value, at, depth + 1);
                    return;
                }
                match schema.types.get(named(ty)) {
                    Some(TypeDef::Enum(values)) if !values.iter().any(|v| v == name.as_str()) => {
                        self.find(
                            Rule::InvalidValue,
                            format!("`{at}` must be one of {}, not {name}", values.join(", ")),
                        );
                    }
                    Some(TypeDef::Enum(_) | TypeDef::Scalar) | None => {}
                    Some(_) => self.find(
                        Rule::WrongType,
                        format!("`{at}` must be {}, not the enum value {name}", a(named(ty))),
                    ),
                }
                return;
            }
            other => other.clone().into_json().unwrap_or(Value::Null),
        };
        self.json(ty, &json, at, depth);
    }

    /// A value given as JSON (a variable's), or a literal scalar.
    fn json(&mut self, ty: &Type, value: &Value, at: &str, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let schema = self.schema;
        if value.is_null() {
            if !ty.nullable {
                self.find(Rule::WrongType, format!("`{at}` must not be null"));
            }
            return;
        }
        let name = match &ty.base {
            BaseType::List(inner) => {
                match value {
                    Value::Array(items) => {
                        for (i, item) in items.iter().enumerate() {
                            self.json(inner, item, &format!("{at}[{i}]"), depth + 1);
                        }
                    }
                    // A single value stands for a list of one (input coercion).
                    single => self.json(inner, single, at, depth + 1),
                }
                return;
            }
            BaseType::Named(name) => name.as_str(),
        };
        let fits = match (name, value) {
            ("Int", Value::Number(n)) => n.as_i64().is_some(),
            ("Int", Value::String(s)) => s.trim().parse::<i64>().is_ok(),
            ("Float", Value::Number(_)) => true,
            ("Float", Value::String(s)) => s.trim().parse::<f64>().is_ok(),
            ("String", Value::String(_)) | ("Boolean", Value::Bool(_)) => true,
            ("ID", Value::String(_)) => true,
            ("ID", Value::Number(n)) => n.as_i64().is_some(),
            ("Int" | "Float" | "String" | "Boolean" | "ID", _) => false,
            _ => match schema.types.get(name) {
                Some(TypeDef::Enum(values)) => {
                    if let Value::String(s) = value
                        && !values.contains(s)
                    {
                        self.find(
                            Rule::InvalidValue,
                            format!("`{at}` must be one of {}, not {s:?}", values.join(", ")),
                        );
                    }
                    value.is_string()
                }
                Some(TypeDef::Input(defs)) => {
                    let Value::Object(fields) = value else {
                        self.find(Rule::WrongType, format!("`{at}` must be {}", a(name)));
                        return;
                    };
                    self.input_fields(name, defs, fields, at);
                    for (key, field) in fields {
                        if let Some(def) = defs.iter().find(|d| d.name == *key) {
                            let ty = def.ty.clone();
                            self.json(&ty, field, &format!("{at}.{key}"), depth + 1);
                        }
                    }
                    true
                }
                _ => true,
            },
        };
        if !fits {
            self.find(
                Rule::WrongType,
                format!("`{at}` must be {}, not {value}", a(name)),
            );
        }
    }

    /// The fields of an input object: none it does not define, every required one given.
    fn input_fields(
        &mut self,
        type_name: &str,
        defs: &[InputDef],
        given: &serde_json::Map<String, Value>,
        at: &str,
    ) {
        for key in given.keys() {
            match defs.iter().find(|d| d.name == *key) {
                None => {
                    let known: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
                    let message = unknown(
                        &format!("`{at}.{key}` is not a field of the input type `{type_name}`"),
                        key,
                        &known,
                    );
                    self.find(Rule::UnknownField, message);
                }
                Some(def) => {
                    if let Some(why) = &def.deprecated {
                        self.find(Rule::Deprecated, format!("`{at}.{key}` is deprecated{why}"));
                    }
                }
            }
        }
        for def in defs {
            if !def.ty.nullable && !def.has_default && !given.contains_key(&def.name) {
                self.find(
                    Rule::MissingRequired,
                    format!("`{at}.{}` is required", def.name),
                );
            }
        }
    }
}

fn unknown(message: &str, name: &str, known: &[&str]) -> String {
    match nearest::name(name, known.iter().copied()) {
        Some(meant) => format!("{message}; did you mean `{meant}`?"),
        None if known.is_empty() => message.to_owned(),
        None => format!("{message} (it has {})", known.join(", ")),
    }
}

fn a(name: &str) -> String {
    let vowel = name.starts_with(['A', 'E', 'I', 'O', 'U', 'a', 'e', 'i', 'o', 'u']);
    format!("{} {name}", if vowel { "an" } else { "a" })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SDL: &str = r#"
        type Query { projects(limit: Int, where: ProjectFilter): [Project!]! project(id: ID!): Project
                     old: String @deprecated(reason: "use projects") }
        type Mutation { rename(input: Rename!): Project }
        type Project { id: ID! name: String! plan: Plan }
        enum Plan { free pro }
        input ProjectFilter { name: String plan: Plan }
        input Rename { id: ID! name: String! }
        schema { query: Query mutation: Mutation }
    "#;

    fn check(request: Value) -> Checks {
        let schema = Schema::parse("test", SDL).unwrap();
        let mut checks = Checks::default();
        schema.check(&request, &GraphqlLimits::default(), &mut checks);
        checks
    }

    fn messages(checks: &Checks) -> Vec<(Rule, &str)> {
        checks
            .findings
            .iter()
            .map(|f| (f.rule, f.message.as_str()))
            .collect()
    }

    #[test]
    fn root_fields_are_the_operations() {
        let checks = check(
            json!({"query": "query Q { projects(limit: 2) { id name } __typename a: project(id: 1) { plan } }"}),
        );
        let ops: Vec<&str> = checks.operations.iter().map(|o| &**o).collect();
        assert_eq!(ops, ["query projects", "query project"]);
        assert_eq!(messages(&checks), []);
    }

    #[test]
    fn unknown_fields_arguments_and_bad_variables_are_found() {
        let checks = check(json!({
            "query": "mutation M($r: Rename!) { rename(input: $r, force: true) { id nmae } } ",
            "variables": {"r": {"id": "1", "nam": "x"}}
        }));
        assert_eq!(
            messages(&checks),
            [
                (
                    Rule::UnknownField,
                    "`Mutation.rename(input) ($r).nam` is not a field of the input type `Rename`; did you mean `name`?"
                ),
                (
                    Rule::MissingRequired,
                    "`Mutation.rename(input) ($r).name` is required"
                ),
                (
                    Rule::UnknownField,
                    "`Mutation.rename` has no argument `force` (it has input)"
                ),
                (
                    Rule::UnknownField,
                    "`Project.nmae` is not defined by the test schema; did you mean `name`?"
                ),
            ]
        );
        assert_eq!(
            &*checks.findings[0].operation.clone().unwrap(),
            "mutation rename"
        );
    }

    #[test]
    fn literals_enums_and_deprecations_are_checked() {
        let checks = check(
            json!({"query": "{ projects(where: {plan: gold, owner: \"x\"}) { id } old project { id } }"}),
        );
        assert_eq!(
            messages(&checks),
            [
                (
                    Rule::UnknownField,
                    "`Query.projects(where).owner` is not a field of the input type `ProjectFilter` (it has name, plan)"
                ),
                (
                    Rule::InvalidValue,
                    "`Query.projects(where).plan` must be one of free, pro, not gold"
                ),
                (Rule::Deprecated, "`Query.old` is deprecated: use projects"),
                (Rule::MissingRequired, "`Query.project(id)` is required"),
            ]
        );
    }
}
