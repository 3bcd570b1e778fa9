//! A JSON value against a schema of an OpenAPI 3.1 document: the part of JSON Schema offcloud's
//! documents use (`$ref`, `type` with `null`, `properties`/`required`/`additionalProperties`,
//! `items`, `enum`, `oneOf`/`anyOf`/`allOf`, ranges, lengths, `pattern`, `deprecated`).
//!
//! One departure from JSON Schema, on purpose: an object schema that lists `properties` refuses
//! the others unless `additionalProperties` allows them. A field the real API does not define is
//! ignored or refused by it (FastAPI, Hasura); either way the client is wrong.

use std::collections::HashMap;
use std::sync::Mutex;

use regex::Regex;
use serde_json::{Map, Value};

use super::{Rule, nearest};

/// How deep schemas and values are followed (`$ref` chains included); deeper is not checked.
const MAX_DEPTH: usize = 64;

/// What is wrong with a value.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub rule: Rule,
    pub message: String,
}

/// The schemas of one document, to resolve `$ref`s in, and its compiled patterns.
pub struct Schemas {
    components: Value,
    patterns: Mutex<HashMap<String, Option<Regex>>>,
}

impl Schemas {
    /// `components` is the document's `components` object.
    pub fn new(components: Value) -> Schemas {
        Schemas {
            components,
            patterns: Mutex::default(),
        }
    }

    /// `#/components/schemas/Name` → that schema.
    pub fn resolve<'s>(&'s self, mut schema: &'s Value) -> &'s Value {
        for _ in 0..MAX_DEPTH {
            let Some(reference) = keyword(schema, "$ref").and_then(Value::as_str) else {
                return schema;
            };
            let Some(name) = reference.strip_prefix("#/components/schemas/") else {
                return schema;
            };
            match self.components.get("schemas").and_then(|s| s.get(name)) {
                Some(target) => schema = target,
                None => return schema,
            }
        }
        schema
    }

    /// An `allOf` schema as one object schema: the properties and required fields of all its
    /// parts (and of itself); open to other fields when any part is.
    fn merged(&self, schema: &Value, depth: usize) -> Value {
        let mut properties = Map::new();
        let mut required: Vec<Value> = Vec::new();
        let mut open = false;
        let mut parts = vec![(self.resolve(schema), depth)];
        while let Some((part, level)) = parts.pop() {
            if level > MAX_DEPTH {
                continue;
            }
            if let Some(own) = keyword(part, "properties").and_then(Value::as_object) {
                for (name, property) in own {
                    properties.insert(name.clone(), property.clone());
                }
            }
            if let Some(names) = keyword(part, "required").and_then(Value::as_array) {
                required.extend(
                    names
                        .iter()
                        .filter(|n| !required.contains(n))
                        .cloned()
                        .collect::<Vec<_>>(),
                );
            }
            if keyword(part, "additionalProperties").is_some_and(|a| a != &Value::Bool(false)) {
                open = true;
            }
            if let Some(all) = keyword(part, "allOf").and_then(Value::as_array) {
                parts.extend(all.iter().map(|branch| (self.resolve(branch), level + 1)));
            }
        }
        let mut merged = Map::new();
        merged.insert("type".into(), Value::from("object"));
        merged.insert("properties".into(), Value::Object(properties));
        merged.insert("required".into(), Value::Array(required));
        if open {
            merged.insert("additionalProperties".into(), Value::Bool(true));
        }
        Value::Object(merged)
    }

    /// The problems of `value` (at `at`, e.g. `body.beliefs[0].confidence`) against `schema`.
    pub fn check(&self, schema: &Value, value: &Value, at: &str) -> Vec<Problem> {
        let mut problems = Vec::new();
        self.walk(schema, value, &At::Root(at), 0, &mut problems);
        problems
    }

    fn walk(&self, schema: &Value, value: &Value, at: &At, depth: usize, out: &mut Vec<Problem>) {
        if depth > MAX_DEPTH {
            return;
        }
        let schema = self.resolve(schema);
        for key in ["oneOf", "anyOf"] {
            if let Some(branches) = keyword(schema, key).and_then(Value::as_array) {
                self.one_of(branches, value, at, depth, out);
            }
        }
        if let Some(all) = keyword(schema, "allOf").and_then(Value::as_array) {
            if value.is_object() {
                // A flattened struct is `allOf` of its parts: an object fits when each field
                // belongs to one of them, so the parts are checked as one object.
                let merged = self.merged(schema, 0);
                self.walk(&merged, value, at, depth + 1, out);
                return;
            }
            for branch in all {
                self.walk(branch, value, at, depth + 1, out);
            }
        }
        if keyword(schema, "type").is_some_and(|ty| !type_fits(ty, value))
            && let Some(types) = types(schema)
        {
            out.push(Problem {
                rule: Rule::WrongType,
                message: format!(
                    "`{at}` must be {}, not {}",
                    types
                        .iter()
                        .map(|t| article(t))
                        .collect::<Vec<_>>()
                        .join(" or "),
                    shown(value)
                ),
            });
            return;
        }
        if let Some(allowed) = keyword(schema, "enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            let listed: Vec<String> = allowed.iter().map(plain).collect();
            out.push(invalid(format!(
                "`{at}` must be one of {}, not {}",
                listed.join(", "),
                shown(value)
            )));
        }
        match value {
            Value::Object(fields) => self.object(schema, fields, at, depth, out),
            Value::Array(items) => self.array(schema, items, at, depth, out),
            Value::String(text) => self.string(schema, text, at, out),
            Value::Number(n) => number(schema, n.as_f64().unwrap_or_default(), at, out),
            Value::Null | Value::Bool(_) => {}
        }
    }

    /// A value fits when one branch has no problems (deprecations aside); else the problems
    /// of the branch that came closest.
    fn one_of(
        &self,
        branches: &[Value],
        value: &Value,
        at: &At,
        depth: usize,
        out: &mut Vec<Problem>,
    ) {
        let mut best: Option<Vec<Problem>> = None;
        // `Option<T>` is `oneOf: [null, T]`: a value that is not null is about `T`.
        let is_null_branch =
            |b: &Value| keyword(self.resolve(b), "type") == Some(&Value::from("null"));
        for branch in branches
            .iter()
            .filter(|b| value.is_null() || !is_null_branch(b))
        {
            let mut problems = Vec::new();
            self.walk(branch, value, at, depth + 1, &mut problems);
            if problems.iter().all(|p| p.rule == Rule::Deprecated) {
                out.extend(problems);
                return;
            }
            if best.as_ref().is_none_or(|b| problems.len() < b.len()) {
                best = Some(problems);
            }
        }
        out.extend(best.unwrap_or_default());
    }

    fn object(
        &self,
        schema: &Value,
        fields: &Map<String, Value>,
        at: &At,
        depth: usize,
        out: &mut Vec<Problem>,
    ) {
        let properties = keyword(schema, "properties").and_then(Value::as_object);
        if let Some(required) = keyword(schema, "required").and_then(Value::as_array) {
            for name in required.iter().filter_map(Value::as_str) {
                if !fields.contains_key(name) {
                    out.push(Problem {
                        rule: Rule::MissingRequired,
                        message: format!("`{at}.{name}` is required"),
                    });
                }
            }
        }
        let additional = keyword(schema, "additionalProperties");
        for (name, field) in fields {
            let place = At::Field(at, name);
            if let Some(property) = properties.and_then(|p| named(p, name)) {
                if keyword(self.resolve(property), "deprecated") == Some(&Value::Bool(true)) {
                    out.push(Problem {
                        rule: Rule::Deprecated,
                        message: format!("`{place}` is deprecated"),
                    });
                }
                self.walk(property, field, &place, depth + 1, out);
                continue;
            }
            match additional {
                Some(Value::Bool(true)) => {}
                Some(extra @ Value::Object(_)) => self.walk(extra, field, &place, depth + 1, out),
                // A free-form object (`{"type": "object"}` alone) takes anything.
                None if properties.is_none() => {}
                _ => {
                    let known: Vec<&str> = properties
                        .map(|p| p.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    out.push(Problem {
                        rule: Rule::UnknownField,
                        message: unknown_field(&place.to_string(), name, &known),
                    });
                }
            }
        }
    }

    fn array(
        &self,
        schema: &Value,
        items: &[Value],
        at: &At,
        depth: usize,
        out: &mut Vec<Problem>,
    ) {
        let bound = |key: &str| keyword(schema, key).and_then(Value::as_u64);
        let len = items.len() as u64;
        if let Some(max) = bound("maxItems").filter(|max| len > *max) {
            out.push(invalid(format!(
                "`{at}` must have at most {max} items, not {len}"
            )));
        }
        if let Some(min) = bound("minItems").filter(|min| len < *min) {
            out.push(invalid(format!(
                "`{at}` must have at least {min} items, not {len}"
            )));
        }
        if let Some(item) = keyword(schema, "items") {
            for (i, value) in items.iter().enumerate() {
                self.walk(item, value, &At::Item(at, i), depth + 1, out);
            }
        }
    }

    fn string(&self, schema: &Value, text: &str, at: &At, out: &mut Vec<Problem>) {
        let bound = |key: &str| keyword(schema, key).and_then(Value::as_u64);
        let len = text.chars().count() as u64;
        if let Some(max) = bound("maxLength").filter(|max| len > *max) {
            out.push(invalid(format!(
                "`{at}` must be at most {max} characters long, not {len}"
            )));
        }
        if let Some(min) = bound("minLength").filter(|min| len < *min) {
            out.push(invalid(format!(
                "`{at}` must be at least {min} characters long, not {len}"
            )));
        }
        if let Some(pattern) = keyword(schema, "pattern").and_then(Value::as_str)
            && self.matches(pattern, text) == Some(false)
        {
            out.push(invalid(format!(
                "`{at}` must match {pattern}, not {}",
                shown(&Value::String(text.to_owned()))
            )));
        }
    }

    /// Whether `text` matches the pattern (`None` when the pattern does not compile).
    fn matches(&self, pattern: &str, text: &str) -> Option<bool> {
        let mut patterns = self.patterns.lock().unwrap_or_else(|p| p.into_inner());
        let regex = patterns
            .entry(pattern.to_owned())
            .or_insert_with(|| Regex::new(pattern).ok());
        regex.as_ref().map(|r| r.is_match(text))
    }
}

fn number(schema: &Value, n: f64, at: &At, out: &mut Vec<Problem>) {
    let bound = |key: &str| keyword(schema, key).and_then(Value::as_f64);
    if let Some(max) = bound("maximum").filter(|max| n > *max) {
        out.push(invalid(format!("`{at}` must be at most {max}, not {n}")));
    }
    if let Some(min) = bound("minimum").filter(|min| n < *min) {
        out.push(invalid(format!("`{at}` must be at least {min}, not {n}")));
    }
    if let Some(max) = bound("exclusiveMaximum").filter(|max| n >= *max) {
        out.push(invalid(format!("`{at}` must be less than {max}, not {n}")));
    }
    if let Some(min) = bound("exclusiveMinimum").filter(|min| n <= *min) {
        out.push(invalid(format!("`{at}` must be more than {min}, not {n}")));
    }
}

/// Where a value is in the document checked (e.g. `body.beliefs[0].confidence`), spelled out
/// only when a message names it: most values have nothing to report.
enum At<'a> {
    Root(&'a str),
    Field(&'a At<'a>, &'a str),
    Item(&'a At<'a>, usize),
}

impl std::fmt::Display for At<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            At::Root(name) => f.write_str(name),
            At::Field(parent, name) => write!(f, "{parent}.{name}"),
            At::Item(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

fn invalid(message: String) -> Problem {
    Problem {
        rule: Rule::InvalidValue,
        message,
    }
}

/// The message of a field no schema defines, with the closest defined one.
pub fn unknown_field(place: &str, name: &str, known: &[&str]) -> String {
    let mut message = format!("`{place}` is not defined by the API");
    if let Some(meant) = nearest::name(name, known.iter().copied()) {
        message.push_str(&format!("; did you mean `{meant}`?"));
    } else if !known.is_empty() {
        message.push_str(&format!(" (it defines {})", known.join(", ")));
    }
    message
}

/// The schema's `type`, as a list; `None` when it has none.
fn types(schema: &Value) -> Option<Vec<&str>> {
    match keyword(schema, "type")? {
        Value::String(t) => Some(vec![t.as_str()]),
        Value::Array(ts) => Some(ts.iter().filter_map(Value::as_str).collect()),
        _ => None,
    }
}

/// A keyword of a schema. A schema has a handful: looking along them is quicker than hashing
/// the name (the document's objects keep their order, in a hashed map), and a large request
/// body looks up thousands.
fn keyword<'v>(schema: &'v Value, key: &str) -> Option<&'v Value> {
    named(schema.as_object()?, key)
}

fn named<'v>(map: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    map.iter()
        .find(|(name, _)| name.as_str() == key)
        .map(|(_, value)| value)
}

/// Whether a value is of a schema's `type` (one, or a list), without listing them.
fn type_fits(ty: &Value, value: &Value) -> bool {
    match ty {
        Value::String(t) => fits(t, value),
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).any(|t| fits(t, value)),
        _ => true,
    }
}

/// Whether a value is of a JSON Schema type.
pub fn fits(ty: &str, value: &Value) -> bool {
    match ty {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "string" => value.is_string(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "number" => value.is_number(),
        "integer" => value.as_i64().is_some() || value.as_u64().is_some(),
        _ => true,
    }
}

fn article(ty: &str) -> String {
    match ty {
        "null" => "null".to_owned(),
        "integer" | "object" | "array" => format!("an {ty}"),
        other => format!("a {other}"),
    }
}

/// A value as a message shows it: its kind, and short scalars themselves.
fn shown(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) if s.chars().count() <= 40 => format!("the string {s:?}"),
        Value::String(_) => "a long string".to_owned(),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A query-string or form value as the schema reads it: a number, a boolean, or the text.
pub fn coerce(schemas: &Schemas, schema: &Value, text: &str) -> Value {
    let schema = schemas.resolve(schema);
    let mut kinds: Vec<&str> = types(schema).unwrap_or_default();
    for key in ["oneOf", "anyOf"] {
        for branch in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            kinds.extend(types(schemas.resolve(branch)).unwrap_or_default());
        }
    }
    if kinds.contains(&"integer")
        && let Ok(n) = text.trim().parse::<i64>()
    {
        return Value::from(n);
    }
    if kinds.contains(&"number")
        && let Ok(n) = text.trim().parse::<f64>()
        && let Some(n) = serde_json::Number::from_f64(n)
    {
        return Value::Number(n);
    }
    // What pydantic reads as a boolean in a query string or a form.
    if kinds.contains(&"boolean") {
        match text.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" | "t" | "y" => return Value::Bool(true),
            "false" | "0" | "no" | "off" | "f" | "n" => return Value::Bool(false),
            _ => {}
        }
    }
    Value::String(text.to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schemas() -> Schemas {
        Schemas::new(json!({"schemas": {
            "Belief": {
                "type": "object",
                "required": ["subject_id", "value"],
                "properties": {
                    "subject_id": {"type": "string"},
                    "value": {"type": "string"},
                    "confidence": {"type": ["number", "null"], "minimum": 0.0, "maximum": 1.0},
                    "belief_type": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Kind"}]},
                    "content": {"type": "object"},
                }
            },
            "Kind": {"type": "string", "enum": ["fact", "belief"]},
        }}))
    }

    fn rules(problems: &[Problem]) -> Vec<(Rule, &str)> {
        problems
            .iter()
            .map(|p| (p.rule, p.message.as_str()))
            .collect()
    }

    #[test]
    fn a_fitting_value_has_no_problems() {
        let s = schemas();
        let value = json!({"subject_id": "u", "value": "v", "confidence": 0.5,
                           "belief_type": "fact", "content": {"free": ["form"]}});
        assert_eq!(
            s.check(
                &json!({"$ref": "#/components/schemas/Belief"}),
                &value,
                "body"
            ),
            []
        );
    }

    #[test]
    fn each_broken_rule_is_named_with_its_place() {
        let s = schemas();
        let value = json!({"subject_id": 7, "confidence": 2, "belief_type": "facts", "colour": 1});
        let problems = s.check(
            &json!({"$ref": "#/components/schemas/Belief"}),
            &value,
            "body",
        );
        assert_eq!(
            rules(&problems),
            [
                (Rule::MissingRequired, "`body.value` is required"),
                (
                    Rule::WrongType,
                    "`body.subject_id` must be a string, not the number 7"
                ),
                (
                    Rule::InvalidValue,
                    "`body.confidence` must be at most 1, not 2"
                ),
                (
                    Rule::InvalidValue,
                    "`body.belief_type` must be one of fact, belief, not the string \"facts\""
                ),
                (
                    Rule::UnknownField,
                    "`body.colour` is not defined by the API (it defines subject_id, value, confidence, belief_type, content)"
                ),
            ]
        );
    }

    #[test]
    fn query_text_is_read_as_the_schema_types_it() {
        let s = schemas();
        assert_eq!(
            coerce(&s, &json!({"type": ["integer", "null"]}), "50"),
            json!(50)
        );
        assert_eq!(
            coerce(&s, &json!({"type": "integer"}), "many"),
            json!("many")
        );
        assert_eq!(coerce(&s, &json!({"type": "boolean"}), "True"), json!(true));
    }
}
