//! Request bodies and query strings declared once: one type deriving `serde::Deserialize` and
//! `utoipa::ToSchema` (a body) or `utoipa::IntoParams` (a query string) is both what the handler
//! reads ([`Valid`], [`ValidQuery`]) and what `#[utoipa::path]` shows in the OpenAPI document.
//!
//! Before serde reads the input, it is checked against the type's own schema the way pydantic
//! checks a model (docs/spec/memgraph.md §4.4): every problem at once, fields in declaration
//! order, each with pydantic's `type`, `loc`, `msg`, `input` and `ctx`; and pydantic's lax
//! conversions are applied (`"0.5"` for a float, `"true"` for a bool, any query value from its
//! text). The schema keywords read are `type`, `properties`, `required`, `items`, `enum`,
//! `minimum`/`maximum`, `minLength`, `minItems`/`maxItems`, `format: date-time` and `oneOf`;
//! a `$ref` is left to serde.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::{self, DeserializeOwned, Visitor};
use serde_json::{Map, Value, json};
use utoipa::openapi::path::ParameterIn;
use utoipa::{IntoParams, ToSchema};

use super::error::ApiError;
use super::validation::{self, JsonObject, QueryParams};

/// A JSON body of type `T`, checked as pydantic checks a model.
pub struct Valid<T>(pub T);

impl<S, T> FromRequest<S> for Valid<T>
where
    S: Send + Sync,
    T: DeserializeOwned + ToSchema + 'static,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let JsonObject(body) = JsonObject::from_request(req, state).await?;
        from_object(&body).map(Valid)
    }
}

/// Reads a body object already extracted (for a handler that reads one body as two types).
pub fn from_object<T: DeserializeOwned + ToSchema + 'static>(
    body: &Map<String, Value>,
) -> Result<T, ApiError> {
    let schema = schema_of::<T>(|| {
        let mut schema = serde_json::to_value(T::schema()).unwrap_or(Value::Null);
        // pydantic reports fields in declaration order; the schema's properties are sorted.
        if let (Some(order), Some(obj)) = (field_order::<T>(), schema.as_object_mut()) {
            obj.insert("x-order".into(), json!(order));
        }
        schema
    });
    let mut errors = Vec::new();
    let loc = vec![json!("body")];
    let checked = check_object(&schema, body, &loc, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    deserialize(Value::Object(checked), &loc)
}

/// A query string of type `T`, read as FastAPI's `Query(...)` parameters.
pub struct ValidQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ValidQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned + IntoParams + 'static,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let QueryParams(pairs) = QueryParams::from_request_parts(parts, state).await?;
        let params = schema_of::<T>(|| {
            let params: Vec<Value> = T::into_params(|| Some(ParameterIn::Query))
                .into_iter()
                .filter_map(|p| serde_json::to_value(p).ok())
                .collect();
            Value::Array(params)
        });
        let mut errors = Vec::new();
        let mut out = Map::new();
        for param in params.as_array().into_iter().flatten() {
            let Some(name) = param["name"].as_str() else {
                continue;
            };
            let loc = vec![json!("query"), json!(name)];
            // The last value given wins, as Starlette reads a scalar.
            let raw = pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v);
            match raw {
                None if param["required"] == json!(true) => {
                    errors.push(validation::missing(Value::Array(loc), Value::Null));
                }
                None => {}
                Some(raw) => {
                    let input = Value::String(raw.clone());
                    let mut check = Check {
                        errors: &mut errors,
                    };
                    if let Some(v) = check.value(&param["schema"], &input, &loc) {
                        out.insert(name.to_owned(), v);
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        deserialize(Value::Object(out), &[json!("query")]).map(ValidQuery)
    }
}

/// A type's schema (or parameter list) as JSON, made once per type.
fn schema_of<T: 'static>(make: impl FnOnce() -> Value) -> Arc<Value> {
    static SCHEMAS: OnceLock<RwLock<HashMap<TypeId, Arc<Value>>>> = OnceLock::new();
    let schemas = SCHEMAS.get_or_init(Default::default);
    let id = TypeId::of::<T>();
    if let Some(schema) = schemas.read().ok().and_then(|s| s.get(&id).cloned()) {
        return schema;
    }
    let schema = Arc::new(make());
    if let Ok(mut s) = schemas.write() {
        s.insert(id, schema.clone());
    }
    schema
}

/// serde's last word, after the schema check passed: only a type whose schema says less than
/// its `Deserialize` gets here, and the client still hears it in pydantic's shape.
fn deserialize<T: DeserializeOwned>(value: Value, loc: &[Value]) -> Result<T, ApiError> {
    let input = value.clone();
    serde_path_to_error::deserialize(value).map_err(|e| {
        let mut loc = loc.to_vec();
        for segment in e.path().iter() {
            match segment {
                serde_path_to_error::Segment::Seq { index } => loc.push(json!(index)),
                serde_path_to_error::Segment::Map { key } => loc.push(json!(key)),
                serde_path_to_error::Segment::Enum { variant } => loc.push(json!(variant)),
                serde_path_to_error::Segment::Unknown => {}
            }
        }
        let why = e.into_inner().to_string();
        ApiError::validation(validation::error(
            "value_error",
            Value::Array(loc),
            &format!("Value error, {why}"),
            input,
            Some(json!({ "error": why })),
        ))
    })
}

/// Collects pydantic errors while checking values against schemas.
/// (A query string's values are all text, which the checks convert as they do a JSON string.)
struct Check<'a> {
    errors: &'a mut Vec<Value>,
}

/// The fields of an object schema, checked in declaration order (`x-order`, when known).
fn check_object(
    schema: &Value,
    input: &Map<String, Value>,
    loc: &[Value],
    errors: &mut Vec<Value>,
) -> Map<String, Value> {
    let mut check = Check { errors };
    check.object(schema, input, loc)
}

impl Check<'_> {
    fn push(&mut self, kind: &str, loc: &[Value], msg: &str, input: &Value, ctx: Option<Value>) {
        self.errors.push(validation::error(
            kind,
            Value::Array(loc.to_vec()),
            msg,
            input.clone(),
            ctx,
        ));
    }

    fn object(
        &mut self,
        schema: &Value,
        input: &Map<String, Value>,
        loc: &[Value],
    ) -> Map<String, Value> {
        let empty = Map::new();
        let properties = schema["properties"].as_object().unwrap_or(&empty);
        let required: Vec<&str> = schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let mut names: Vec<&str> = schema["x-order"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|n| properties.contains_key(*n))
            .collect();
        for name in properties.keys() {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
        let mut out = Map::new();
        for name in names {
            let mut at = loc.to_vec();
            at.push(json!(name));
            match input.get(name) {
                None if required.contains(&name) => {
                    self.errors.push(validation::missing(
                        Value::Array(at),
                        Value::Object(input.clone()),
                    ));
                }
                None => {}
                Some(value) => {
                    if let Some(v) = self.value(&properties[name], value, &at) {
                        out.insert(name.to_owned(), v);
                    }
                }
            }
        }
        out
    }

    /// The value converted as pydantic would, or `None` after recording why it is invalid.
    fn value(&mut self, schema: &Value, input: &Value, loc: &[Value]) -> Option<Value> {
        if schema.get("$ref").is_some() {
            return Some(input.clone());
        }
        if let Some(branches) = schema["oneOf"].as_array() {
            let nullable = branches.iter().any(|b| b["type"] == "null");
            if input.is_null() && nullable {
                return Some(Value::Null);
            }
            let first = branches.iter().find(|b| b["type"] != "null")?;
            return self.value(first, input, loc);
        }
        let types: Vec<&str> = match &schema["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let Some(kind) = types.iter().copied().find(|t| *t != "null") else {
            // Any value (or only null).
            return Some(input.clone());
        };
        if input.is_null() && types.contains(&"null") {
            return Some(Value::Null);
        }
        if let Some(allowed) = schema["enum"].as_array() {
            return self.literal(allowed, input, loc);
        }
        match kind {
            "string" => self.string(schema, input, loc),
            "integer" => self.integer(schema, input, loc),
            "number" => self.number(schema, input, loc),
            "boolean" => self.boolean(input, loc),
            "array" => self.array(schema, input, loc),
            _ => self.any_object(schema, input, loc),
        }
    }

    fn literal(&mut self, allowed: &[Value], input: &Value, loc: &[Value]) -> Option<Value> {
        if allowed.contains(input) {
            return Some(input.clone());
        }
        let quoted: Vec<String> = allowed
            .iter()
            .map(|a| {
                format!(
                    "'{}'",
                    a.as_str().map_or_else(|| a.to_string(), str::to_owned)
                )
            })
            .collect();
        let expected = match quoted.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => quoted.join(""),
        };
        self.push(
            "literal_error",
            loc,
            &format!("Input should be {expected}"),
            input,
            Some(json!({ "expected": expected })),
        );
        None
    }

    fn string(&mut self, schema: &Value, input: &Value, loc: &[Value]) -> Option<Value> {
        let Value::String(s) = input else {
            self.push(
                "string_type",
                loc,
                "Input should be a valid string",
                input,
                None,
            );
            return None;
        };
        if let Some(min) = schema["minLength"].as_u64()
            && (s.chars().count() as u64) < min
        {
            let plural = if min == 1 { "" } else { "s" };
            self.push(
                "string_too_short",
                loc,
                &format!("String should have at least {min} character{plural}"),
                input,
                Some(json!({ "min_length": min })),
            );
            return None;
        }
        if schema["format"] == "date-time" {
            return match validation::parse_datetime(s) {
                Some(t) => Some(json!(crate::clock::iso(t))),
                None => {
                    let why = if s.len() < 10 {
                        "input is too short"
                    } else {
                        "invalid datetime format"
                    };
                    self.push(
                        "datetime_from_date_parsing",
                        loc,
                        &format!("Input should be a valid datetime or date, {why}"),
                        input,
                        Some(json!({ "error": why })),
                    );
                    None
                }
            };
        }
        Some(input.clone())
    }

    fn integer(&mut self, schema: &Value, input: &Value, loc: &[Value]) -> Option<Value> {
        let n = match input {
            Value::Number(n) if n.is_i64() => n.as_i64(),
            Value::Number(n) => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 9e15 => Some(f as i64),
                _ => {
                    self.push(
                        "int_from_float",
                        loc,
                        "Input should be a valid integer, got a number with a fractional part",
                        input,
                        None,
                    );
                    return None;
                }
            },
            Value::String(s) => match s.trim().parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    self.push(
                        "int_parsing",
                        loc,
                        "Input should be a valid integer, unable to parse string as an integer",
                        input,
                        None,
                    );
                    return None;
                }
            },
            _ => None,
        };
        let Some(n) = n else {
            self.push(
                "int_type",
                loc,
                "Input should be a valid integer",
                input,
                None,
            );
            return None;
        };
        let bound = |key: &str| schema[key].as_f64();
        if let Some(min) = bound("minimum")
            && (n as f64) < min
        {
            let min = min as i64;
            self.push(
                "greater_than_equal",
                loc,
                &format!("Input should be greater than or equal to {min}"),
                input,
                Some(json!({ "ge": min })),
            );
            return None;
        }
        if let Some(max) = bound("maximum")
            && (n as f64) > max
        {
            let max = max as i64;
            self.push(
                "less_than_equal",
                loc,
                &format!("Input should be less than or equal to {max}"),
                input,
                Some(json!({ "le": max })),
            );
            return None;
        }
        Some(json!(n))
    }

    fn number(&mut self, schema: &Value, input: &Value, loc: &[Value]) -> Option<Value> {
        let x = match input {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => match s.trim().parse::<f64>() {
                Ok(x) if x.is_finite() => Some(x),
                _ => {
                    self.push(
                        "float_parsing",
                        loc,
                        "Input should be a valid number, unable to parse string as a number",
                        input,
                        None,
                    );
                    return None;
                }
            },
            _ => None,
        };
        let Some(x) = x else {
            self.push(
                "float_type",
                loc,
                "Input should be a valid number",
                input,
                None,
            );
            return None;
        };
        if let Some(min) = schema["minimum"].as_f64()
            && x < min
        {
            self.push(
                "greater_than_equal",
                loc,
                &format!(
                    "Input should be greater than or equal to {}",
                    python_number(min)
                ),
                input,
                Some(json!({ "ge": min })),
            );
            return None;
        }
        if let Some(max) = schema["maximum"].as_f64()
            && x > max
        {
            self.push(
                "less_than_equal",
                loc,
                &format!(
                    "Input should be less than or equal to {}",
                    python_number(max)
                ),
                input,
                Some(json!({ "le": max })),
            );
            return None;
        }
        Some(json!(x))
    }

    fn boolean(&mut self, input: &Value, loc: &[Value]) -> Option<Value> {
        let parsed = match input {
            Value::Bool(b) => Some(*b),
            Value::Number(n) if n.as_i64() == Some(0) => Some(false),
            Value::Number(n) if n.as_i64() == Some(1) => Some(true),
            Value::String(s) => match s.to_ascii_lowercase().as_str() {
                "true" | "t" | "yes" | "y" | "on" | "1" => Some(true),
                "false" | "f" | "no" | "n" | "off" | "0" => Some(false),
                _ => None,
            },
            _ => None,
        };
        if parsed.is_none() {
            if input.is_string() || input.is_number() {
                self.push(
                    "bool_parsing",
                    loc,
                    "Input should be a valid boolean, unable to interpret input",
                    input,
                    None,
                );
            } else {
                self.push(
                    "bool_type",
                    loc,
                    "Input should be a valid boolean",
                    input,
                    None,
                );
            }
        }
        parsed.map(Value::Bool)
    }

    fn array(&mut self, schema: &Value, input: &Value, loc: &[Value]) -> Option<Value> {
        let Value::Array(items) = input else {
            self.push(
                "list_type",
                loc,
                "Input should be a valid list",
                input,
                None,
            );
            return None;
        };
        let n = items.len() as u64;
        if let Some(min) = schema["minItems"].as_u64()
            && n < min
        {
            let plural = if min == 1 { "" } else { "s" };
            self.push(
                "too_short",
                loc,
                &format!("List should have at least {min} item{plural} after validation, not {n}"),
                input,
                Some(json!({"field_type": "List", "min_length": min, "actual_length": n})),
            );
            return None;
        }
        if let Some(max) = schema["maxItems"].as_u64()
            && n > max
        {
            let plural = if max == 1 { "" } else { "s" };
            self.push(
                "too_long",
                loc,
                &format!("List should have at most {max} item{plural} after validation, not {n}"),
                input,
                Some(json!({"field_type": "List", "max_length": max, "actual_length": n})),
            );
            return None;
        }
        let before = self.errors.len();
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let mut at = loc.to_vec();
            at.push(json!(i));
            if let Some(v) = self.value(&schema["items"], item, &at) {
                out.push(v);
            }
        }
        (self.errors.len() == before).then_some(Value::Array(out))
    }

    /// A nested model (an object schema with properties) or a plain `dict`.
    fn any_object(&mut self, schema: &Value, input: &Value, loc: &[Value]) -> Option<Value> {
        let is_model = schema.get("properties").is_some();
        let Value::Object(map) = input else {
            if is_model {
                self.push(
                    "model_attributes_type",
                    loc,
                    "Input should be a valid dictionary or object to extract fields from",
                    input,
                    None,
                );
            } else {
                self.push(
                    "dict_type",
                    loc,
                    "Input should be a valid dictionary",
                    input,
                    None,
                );
            }
            return None;
        };
        if !is_model {
            return Some(input.clone());
        }
        let before = self.errors.len();
        let out = self.object(schema, map, loc);
        (self.errors.len() == before).then_some(Value::Object(out))
    }
}

/// A bound as Python prints it in a message: `1` for 1.0, `0.5` for 0.5.
fn python_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// A struct's field names in declaration order, as its `Deserialize` declares them to serde
/// (the order pydantic reports errors in).
fn field_order<T: DeserializeOwned>() -> Option<Vec<&'static str>> {
    let mut probe = Probe(None);
    let _ = T::deserialize(&mut probe);
    probe.0.map(<[&str]>::to_vec)
}

/// A deserializer that answers nothing and remembers the fields a struct asks for.
struct Probe(Option<&'static [&'static str]>);

#[derive(Debug)]
struct Probed;

impl std::fmt::Display for Probed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("probed")
    }
}

impl std::error::Error for Probed {}

impl de::Error for Probed {
    fn custom<M: std::fmt::Display>(_: M) -> Self {
        Probed
    }
}

impl<'de> de::Deserializer<'de> for &mut Probe {
    type Error = Probed;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Probed> {
        Err(Probed)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Probed> {
        self.0 = Some(fields);
        Err(Probed)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, ToSchema)]
    struct Sample {
        name: String,
        #[schema(minimum = 0.0, maximum = 1.0)]
        confidence: Option<f64>,
        #[schema(max_items = 2)]
        tags: Option<Vec<String>>,
        #[schema(inline)]
        kind: Option<Kind>,
        count: Option<i64>,
    }

    #[derive(Debug, Deserialize, ToSchema)]
    #[serde(rename_all = "lowercase")]
    enum Kind {
        Fact,
        Belief,
    }

    fn read(body: Value) -> Result<Sample, Vec<Value>> {
        let Value::Object(map) = body else {
            unreachable!()
        };
        from_object::<Sample>(&map).map_err(|e| match e {
            ApiError::Validation(errors) => errors,
            other => panic!("{other:?}"),
        })
    }

    #[test]
    fn lax_values_convert_as_pydantic_converts_them() {
        let sample = read(
            json!({"name": "n", "confidence": "0.5", "count": 3.0, "kind": "fact",
                                 "tags": ["a"]}),
        )
        .unwrap();
        assert_eq!(
            (sample.name.as_str(), sample.tags),
            ("n", Some(vec!["a".to_owned()]))
        );
        assert_eq!(sample.confidence, Some(0.5));
        assert_eq!(sample.count, Some(3));
        assert!(matches!(sample.kind, Some(Kind::Fact)));
    }

    #[test]
    fn every_problem_is_reported_in_field_order() {
        let errors =
            read(json!({"confidence": 2, "tags": ["a", 1, "c"], "kind": "x", "count": 1.5}))
                .unwrap_err();
        let kinds: Vec<&str> = errors.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(
            kinds,
            [
                "missing",
                "less_than_equal",
                "too_long",
                "literal_error",
                "int_from_float"
            ]
        );
        assert_eq!(errors[1]["msg"], "Input should be less than or equal to 1");
        assert_eq!(errors[1]["ctx"], json!({"le": 1.0}));
        assert_eq!(errors[3]["msg"], "Input should be 'fact' or 'belief'");
        let errors = read(json!({"name": 1, "tags": ["a", 1]})).unwrap_err();
        assert_eq!(errors[0]["loc"], json!(["body", "name"]));
        assert_eq!(errors[1]["loc"], json!(["body", "tags", 1]));
        assert_eq!(errors[1]["type"], "string_type");
    }

    #[test]
    fn declaration_order_comes_from_serde() {
        assert_eq!(
            field_order::<Sample>().unwrap(),
            ["name", "confidence", "tags", "kind", "count"]
        );
    }
}
