//! Reading a JSON request body into a typed request (`model.rs`) the way TypeDB Cloud refuses
//! one: field by field in the request's declared order, stopping at the first problem, with a
//! message that names the field by its path (`backupConfiguration.frequency`).
//!
//! It is a serde `Deserializer`: a request derives `Deserialize` and `ToSchema`, and nothing else.
//! This reader says what is missing and what has the wrong JSON type; a field's own type (a
//! `ServerCount`, a `ClusterId`) refuses a value out of its range, in its own words. `null` is a
//! wrong type, never an absent field: the API refuses it for every field.

use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde_json::Value;

/// Reads `body` as `T`, or says what the first problem is.
pub fn read<'a, T: de::Deserialize<'a>>(body: &'a Value) -> Result<T, Error> {
    T::deserialize(De {
        value: Some(body),
        path: String::new(),
    })
}

/// The message of the first problem, as the API words it.
#[derive(Debug)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

/// One value of the body: `None` when the field is absent.
struct De<'a> {
    value: Option<&'a Value>,
    /// Where the value is, as messages name it; empty for the body itself.
    path: String,
}

impl<'a> De<'a> {
    /// The value, or a missing or wrong-type error when `accept` does not take it.
    fn take<R>(&self, what: &str, accept: impl FnOnce(&'a Value) -> Option<R>) -> Result<R, Error> {
        match self.value {
            None => Err(Error(format!("Missing required field '{}'", self.path))),
            Some(value) => {
                accept(value).ok_or_else(|| Error(format!("Field '{}' must be {what}", self.path)))
            }
        }
    }
}

macro_rules! integers {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.visit_i64(self.take("an integer", Value::as_i64)?)
        }
    )*};
}

impl<'a> de::Deserializer<'a> for De<'a> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let value = self.take("a value", Some)?;
        value.deserialize_any(visitor).map_err(de::Error::custom)
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            None => visitor.visit_none(),
            Some(_) => visitor.visit_some(self),
        }
    }

    fn deserialize_str<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_borrowed_str(self.take("a string", Value::as_str)?)
    }

    fn deserialize_string<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    integers!(deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
              deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64);

    fn deserialize_bool<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_bool(self.take("a boolean", Value::as_bool)?)
    }

    fn deserialize_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let object = self.take("an object", Value::as_object)?;
        let at = |name: &str| match self.path.as_str() {
            "" => name.to_owned(),
            parent => format!("{parent}.{name}"),
        };
        visitor.visit_map(Fields {
            fields: fields
                .iter()
                .map(|&name| {
                    let de = De {
                        value: object.get(name),
                        path: at(name),
                    };
                    (name, de)
                })
                .collect(),
        })
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        <W: Visitor<'a>>
        i128 u128 f32 f64 char bytes byte_buf unit unit_struct seq tuple tuple_struct map enum
        identifier ignored_any
    }
}

/// A request's declared fields, each handed to its visitor in declared order, present or not:
/// the first problem is then the first in that order, whatever the order of the body's keys.
struct Fields<'a> {
    fields: std::collections::VecDeque<(&'static str, De<'a>)>,
}

impl<'a> MapAccess<'a> for Fields<'a> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'a>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.fields.front() {
            Some((name, _)) => seed.deserialize(name.into_deserializer()).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<S: DeserializeSeed<'a>>(&mut self, seed: S) -> Result<S::Value, Error> {
        match self.fields.pop_front() {
            Some((_, de)) => seed.deserialize(de),
            None => Err(de::Error::custom("no field left")),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::typedb::model::{DeployRequest, UpdateRequest};

    fn problem<T: de::DeserializeOwned + fmt::Debug>(body: Value) -> String {
        read::<T>(&body).expect_err("refused").0
    }

    fn deploy() -> Value {
        json!({"id": "c", "serverCount": 1, "storageSizeGB": 10, "provider": "gcp",
               "region": "europe-west2", "isFree": true, "machineType": "c2d-highcpu-2",
               "storageType": "standard-rwo", "version": "latest"})
    }

    #[test]
    fn a_request_reads_when_every_field_fits() {
        let request: DeployRequest = read(&deploy()).unwrap();
        assert_eq!(request.server_count.0, 1);
        assert!(request.backup_configuration.is_none());
        let update: UpdateRequest = read(&json!({"backupConfiguration": {}})).unwrap();
        assert!(update.id.is_none());
        assert!(update.backup_configuration.unwrap().frequency.is_none());
    }

    #[test]
    fn the_first_problem_in_declared_order_is_the_one_reported() {
        let mut body = deploy();
        body["version"] = json!(1);
        body["serverCount"] = json!(2);
        body.as_object_mut().unwrap().remove("provider");
        assert_eq!(
            problem::<DeployRequest>(body.clone()),
            "Field 'serverCount' must be an odd number from 1 to 9"
        );
        body["serverCount"] = json!(1);
        assert_eq!(
            problem::<DeployRequest>(body.clone()),
            "Missing required field 'provider'"
        );
        body["provider"] = json!("gcp");
        assert_eq!(
            problem::<DeployRequest>(body),
            "Field 'version' must be a string"
        );
    }

    #[test]
    fn each_range_checked_field_refuses_in_the_apis_words() {
        let refused = |field: &str, value: Value| {
            let mut body = deploy();
            body[field] = value;
            problem::<DeployRequest>(body)
        };
        assert_eq!(
            refused("provider", json!("azure")),
            "Invalid provider 'azure': must be one of gcp, aws"
        );
        assert_eq!(
            refused("storageSizeGB", json!(5)),
            "Field 'storageSizeGB' must be from 10 to 1000"
        );
        assert_eq!(
            problem::<UpdateRequest>(json!({"backupConfiguration": {"frequency": "weekly"}})),
            "Invalid backupConfiguration.frequency 'weekly': must be one of disabled, hourly, daily"
        );
        assert_eq!(
            problem::<UpdateRequest>(json!({"backupConfiguration": {"retentionDays": 14}})),
            "Field 'backupConfiguration.retentionDays' must be 7 or 30"
        );
    }

    #[test]
    fn null_is_a_wrong_type_and_nested_fields_are_named_by_their_path() {
        assert_eq!(
            problem::<UpdateRequest>(json!({"id": null})),
            "Field 'id' must be a string"
        );
        assert_eq!(
            problem::<UpdateRequest>(json!({"backupConfiguration": null})),
            "Field 'backupConfiguration' must be an object"
        );
        assert_eq!(
            problem::<UpdateRequest>(json!({"backupConfiguration": {"retentionDays": 7.5}})),
            "Field 'backupConfiguration.retentionDays' must be an integer"
        );
        assert_eq!(
            problem::<UpdateRequest>(json!({"storageSizeGB": 515.0})),
            "Field 'storageSizeGB' must be an integer"
        );
    }
}
