//! Reading a REST body's JSON object into its declared type, with the CLI's looseness and
//! Dgraph's words: the fields are read in the order the type declares them (so the first
//! refusal is the same whatever order the client wrote them in), a field that is `null` is as
//! good as absent, a missing one the type needs is "`<field>` is required", and a value of the
//! wrong type is "`<field>` must be a string". A type's own `Deserialize` refusal (`try_from`)
//! is answered in its own words.
//!
//! It is a serde `Deserializer`: a body type derives `Deserialize` and `ToSchema`, and nothing
//! else.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

/// Why a body was refused: the message of a 400.
#[derive(Debug)]
pub struct Refusal(pub String);

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refusal {}

impl de::Error for Refusal {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Refusal(msg.to_string())
    }

    fn missing_field(field: &'static str) -> Self {
        Refusal(format!("{field} is required"))
    }
}

/// Reads the body's object as `T`, or the first refusal.
pub fn read<'de, T: Deserialize<'de>>(object: &'de Map<String, Value>) -> Result<T, Refusal> {
    T::deserialize(Object(object))
}

/// The body's object.
struct Object<'de>(&'de Map<String, Value>);

impl<'de> de::Deserializer<'de> for Object<'de> {
    type Error = Refusal;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refusal> {
        self.deserialize_map(visitor)
    }

    /// Every field, in the body's order.
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refusal> {
        let fields = self
            .0
            .iter()
            .filter(|(_, value)| !value.is_null())
            .map(|(name, value)| (name.as_str(), value))
            .collect();
        visitor.visit_map(Fields { fields, next: 0 })
    }

    /// The declared fields, in the declared order; the others are not read.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        declared: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Refusal> {
        let fields = declared
            .iter()
            .filter_map(|&name| {
                let value = self.0.get(name).filter(|value| !value.is_null())?;
                Some((name, value))
            })
            .collect();
        visitor.visit_map(Fields { fields, next: 0 })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct enum identifier ignored_any
    }
}

/// The fields to read, each with its value (never `null`).
struct Fields<'de> {
    fields: Vec<(&'de str, &'de Value)>,
    next: usize,
}

impl<'de> MapAccess<'de> for Fields<'de> {
    type Error = Refusal;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Refusal> {
        match self.fields.get(self.next) {
            Some(&(name, _)) => seed.deserialize(name.into_deserializer()).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Refusal> {
        let Some(&(name, value)) = self.fields.get(self.next) else {
            return Err(de::Error::custom("no field left"));
        };
        self.next += 1;
        seed.deserialize(Field { name, value })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.fields.len() - self.next)
    }
}

/// One field's value, refused in the field's name.
struct Field<'de> {
    name: &'de str,
    value: &'de Value,
}

impl<'de> Field<'de> {
    fn text(&self) -> Result<&'de str, Refusal> {
        match self.value {
            Value::String(s) => Ok(s),
            _ => Err(Refusal(format!("{} must be a string", self.name))),
        }
    }
}

impl<'de> de::Deserializer<'de> for Field<'de> {
    type Error = Refusal;

    /// A value of a type other than a string or a string enum, as JSON has it.
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refusal> {
        self.value
            .deserialize_any(visitor)
            .map_err(|e| Refusal(format!("{} is invalid: {e}", self.name)))
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refusal> {
        visitor.visit_borrowed_str(self.text()?)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refusal> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refusal> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Refusal> {
        visitor.visit_enum(self.text()?.into_deserializer())
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Refusal> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refusal> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::dgraph::model::{CreateApiKey, DeploymentPatch, DeviceCodeExchange, NewDeployment};

    fn read_value<T: for<'de> Deserialize<'de>>(body: Value) -> Result<T, String> {
        match body {
            Value::Object(map) => read(&map).map_err(|e| e.0),
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn the_first_refusal_is_in_declared_order_whatever_the_body_order() {
        let refused =
            read_value::<NewDeployment>(json!({"size": 1, "deploymentType": 2, "zone": 3}));
        assert_eq!(refused.unwrap_err(), "zone must be a string");
        let refused = read_value::<NewDeployment>(json!({"size": 1, "deploymentMode": 2}));
        assert_eq!(refused.unwrap_err(), "deploymentMode must be a string");
    }

    #[test]
    fn null_is_as_good_as_absent() {
        let read = read_value::<DeploymentPatch>(json!({"name": null, "lambdaScript": "eA=="}));
        let patch = read.unwrap();
        assert_eq!(patch.name, None);
        assert_eq!(patch.lambda_script.as_deref(), Some("eA=="));
        assert_eq!(
            read_value::<DeviceCodeExchange>(json!({"deviceCode": null})).err(),
            Some("deviceCode is required".to_owned())
        );
    }

    #[test]
    fn a_missing_name_is_refused_after_the_fields_that_are_there() {
        assert_eq!(
            read_value::<NewDeployment>(json!({"size": 1})).err(),
            Some("size must be a string".to_owned())
        );
        assert_eq!(
            read_value::<NewDeployment>(json!({"deploymentType": "bogus"})).err(),
            Some("name is required".to_owned())
        );
    }

    #[test]
    fn a_role_is_refused_in_its_own_words() {
        assert_eq!(
            read_value::<CreateApiKey>(json!({"role": "owner"})).err(),
            Some("invalid role \"owner\": use admin or client".to_owned())
        );
        assert_eq!(
            read_value::<CreateApiKey>(json!({"role": ["admin"]})).err(),
            Some("role must be a string".to_owned())
        );
        let key = read_value::<CreateApiKey>(json!({"role": "admin", "other": {}})).unwrap();
        assert_eq!(key.role, Some(crate::dgraph::model::ApiKeyRole::Admin));
    }
}
