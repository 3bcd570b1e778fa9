//! Reading action arguments the way Hasura validates input objects: unknown fields refused,
//! required ones present, strings where strings are expected, with the argument's JSON path.

use serde_json::{Map, Value};

use super::Args;
use crate::hasura::engine::is_uuid;
use crate::hasura::error::ApiError;

impl Args {
    pub(super) fn value(&self, name: &str) -> Option<&Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    pub(super) fn opt_str(&self, name: &str) -> Result<Option<String>, ApiError> {
        opt_string(self.value(name), &format!("{}.args.{name}", self.path))
    }

    pub(super) fn str(&self, name: &str) -> Result<String, ApiError> {
        required(
            self.opt_str(name)?,
            &format!("{}.args.{name}", self.path),
            name,
        )
    }

    /// A `uuid!` argument, which Postgres would refuse if malformed.
    pub(super) fn uuid(&self, name: &str) -> Result<String, ApiError> {
        let id = self.str(name)?;
        if !is_uuid(&id) {
            return Err(ApiError::invalid_uuid(&id));
        }
        Ok(id)
    }

    /// An input-object argument, `null` when absent (refused by [`input_object`]).
    pub(super) fn input(&self, name: &str) -> (Value, String) {
        (
            self.value(name).cloned().unwrap_or(Value::Null),
            format!("{}.args.{name}", self.path),
        )
    }
}

pub(super) fn opt_string(value: Option<&Value>, path: &str) -> Result<Option<String>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(ApiError::validation(
            path,
            format!(
                "expected a string for type 'String', but found {}",
                kind_of(other)
            ),
        )),
    }
}

pub(super) fn required<T>(value: Option<T>, path: &str, name: &str) -> Result<T, ApiError> {
    value.ok_or_else(|| {
        ApiError::validation(
            path,
            format!(
                "missing required field '{}'",
                name.rsplit('.').next().unwrap_or(name)
            ),
        )
    })
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// An input object's fields, refusing unknown ones the way Hasura does.
pub(super) fn input_object<'v>(
    value: &'v Value,
    type_name: &str,
    allowed: &[&str],
    path: &str,
) -> Result<&'v Map<String, Value>, ApiError> {
    let Value::Object(map) = value else {
        return Err(ApiError::validation(
            path,
            format!(
                "expected an object for type '{type_name}', but found {}",
                kind_of(value)
            ),
        ));
    };
    for key in map.keys() {
        if !allowed.contains(&key.as_str()) {
            return Err(ApiError::field_not_found(
                key,
                type_name,
                &format!("{path}.{key}"),
            ));
        }
    }
    Ok(map)
}

pub(super) fn field_str(
    map: &Map<String, Value>,
    name: &str,
    path: &str,
) -> Result<String, ApiError> {
    let path = format!("{path}.{name}");
    required(opt_string(map.get(name), &path)?, &path, name)
}

/// `[UpdateEnvObject!]` / `[UpdateEnvsObject]`: a list (or one object) of `{key, value}`.
pub(super) fn env_list(
    value: Option<&Value>,
    type_name: &str,
    path: &str,
) -> Result<Vec<(String, String)>, ApiError> {
    let items: &[Value] = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(one) => std::slice::from_ref(one),
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if item.is_null() {
            continue;
        }
        let item_path = format!("{path}[{i}]");
        let map = input_object(item, type_name, &["key", "value"], &item_path)?;
        let key = field_str(map, "key", &item_path)?;
        let value = field_str(map, "value", &item_path)?;
        // An environment value is a secret (a database URL, an admin secret): the journal
        // never shows it.
        crate::secrets::remember(&value);
        out.push((key, value));
    }
    Ok(out)
}
