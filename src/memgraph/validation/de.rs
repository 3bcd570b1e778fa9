//! Reading a request into a typed model the way pydantic v2 validates a FastAPI model: field by
//! field in the model's declared order, every problem reported rather than the first, lax where
//! pydantic is lax (numeric strings, `"yes"` for true), and held to the constraints the model's
//! OpenAPI schema declares (`minimum`, `maximum`, `maxItems`, `pattern`, the `email`,
//! `date-time` and `binary` formats) — so a client is held to the schema it reads.
//!
//! It is a serde `Deserializer`: a request model derives `Deserialize` and `ToSchema`, and
//! nothing else. It never fails on bad input: it records the error and hands the model a
//! placeholder, so the remaining fields are still read; [`read`] then answers every error.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Value, json};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ArrayItems, KnownFormat, Schema, SchemaFormat};

use super::{UploadFile, email_problem, error, one_of, parse_datetime, python_number};
use crate::memgraph::error::ValidationError;

/// The schemas of a model and of everything it refers to, by name.
pub struct Schemas {
    pub root: RefOr<Schema>,
    pub components: BTreeMap<String, RefOr<Schema>>,
}

/// Form fields or a query string: text by name (one value each), and uploaded files.
pub struct TextFields<'a> {
    pub text: Vec<(&'a str, &'a str)>,
    pub files: &'a [UploadFile],
}

/// What a request holds: a JSON document, or text fields (form or query string).
pub enum Input<'a> {
    Json(&'a Value),
    Fields(TextFields<'a>),
}

/// Reads `input` as `T`, with errors located under `root` (`"body"`, `"query"`): the value, or
/// every error pydantic would list, in its order.
pub fn read<'a, T: de::Deserialize<'a>>(
    input: &'a Input<'a>,
    schemas: &'a Schemas,
    root: &str,
) -> std::result::Result<T, Vec<ValidationError>> {
    let value = match input {
        Input::Json(value) => Value_::Json(value),
        Input::Fields(fields) => Value_::Fields(fields),
    };
    let de = De {
        value,
        schema: schemas.resolve(&schemas.root),
        schemas,
    };
    let (result, mut errors) = Report::collect(json!(root), || T::deserialize(de));
    match result {
        Ok(model) if errors.is_empty() => Ok(model),
        Ok(_) => Err(errors),
        // A model's own `Deserialize` refused a value this reader handed it.
        Err(e) => {
            if errors.is_empty() {
                let msg = format!("Value error, {e}");
                let ctx = json!({ "error": e.to_string() });
                errors.push(error(
                    "value_error",
                    json!([root]),
                    &msg,
                    Value::Null,
                    Some(ctx),
                ));
            }
            Err(errors)
        }
    }
}

/// Records an error at the value being read, from a model's own `Deserialize` (as a pydantic
/// validator raises `ValueError`), `at` below it. `false` outside [`read`], where there is
/// nowhere to record it: the caller should fail instead.
pub fn reject_at(at: Value, kind: &str, msg: &str, input: Value, ctx: Option<Value>) -> bool {
    Report::within(at, || Report::reject(kind, msg, input, ctx))
}

// ---- the report -------------------------------------------------------------------------------

/// Where the reader is and what it found. serde gives a value no way to hand back an error and
/// carry on, and pydantic lists every error, so the reader and the models' own `Deserialize`s
/// record them here, for the one (synchronous) [`read`] running on this thread.
struct Report {
    loc: Vec<Value>,
    errors: Vec<ValidationError>,
}

thread_local! {
    static REPORT: RefCell<Option<Report>> = const { RefCell::new(None) };
}

impl Report {
    fn collect<R>(root: Value, read: impl FnOnce() -> R) -> (R, Vec<ValidationError>) {
        /// Puts back the report of an enclosing read, even if `read` panics.
        struct Restore(Option<Report>);
        impl Drop for Restore {
            fn drop(&mut self) {
                let outer = self.0.take();
                REPORT.with(|r| *r.borrow_mut() = outer);
            }
        }
        let fresh = Report {
            loc: vec![root],
            errors: Vec::new(),
        };
        let outer = REPORT.with(|r| r.borrow_mut().replace(fresh));
        let restore = Restore(outer);
        let result = read();
        let errors = REPORT.with(|r| r.borrow_mut().take().map(|r| r.errors));
        drop(restore);
        (result, errors.unwrap_or_default())
    }

    fn within<R>(segment: Value, read: impl FnOnce() -> R) -> R {
        REPORT.with(|r| {
            if let Some(report) = r.borrow_mut().as_mut() {
                report.loc.push(segment);
            }
        });
        let result = read();
        REPORT.with(|r| {
            if let Some(report) = r.borrow_mut().as_mut() {
                report.loc.pop();
            }
        });
        result
    }

    /// Records an error at the current place; `false` when no [`read`] is running.
    fn reject(kind: &str, msg: &str, input: Value, ctx: Option<Value>) -> bool {
        REPORT.with(|r| match r.borrow_mut().as_mut() {
            Some(report) => {
                let loc = Value::Array(report.loc.clone());
                report.errors.push(error(kind, loc, msg, input, ctx));
                true
            }
            None => false,
        })
    }
}

// ---- schemas ----------------------------------------------------------------------------------

impl Schemas {
    /// The schema a `$ref`, an `Option` (`oneOf` null or T) or a described `$ref` stands for.
    fn resolve<'s>(&'s self, schema: &'s RefOr<Schema>) -> Option<&'s Schema> {
        match schema {
            RefOr::Ref(r) => {
                let name = r.ref_location.rsplit('/').next()?;
                self.resolve(self.components.get(name)?)
            }
            RefOr::T(Schema::OneOf(one_of)) => one_of
                .items
                .iter()
                .find_map(|item| self.resolve(item).filter(|s| !is_null(s))),
            RefOr::T(Schema::AllOf(all_of)) if all_of.items.len() == 1 => {
                self.resolve(&all_of.items[0])
            }
            RefOr::T(schema) => Some(schema),
        }
    }
}

fn is_null(schema: &Schema) -> bool {
    use utoipa::openapi::schema::{SchemaType, Type};
    matches!(schema, Schema::Object(o) if o.schema_type == SchemaType::Type(Type::Null))
}

fn number(n: &utoipa::Number) -> f64 {
    match n {
        utoipa::Number::Int(i) => *i as f64,
        utoipa::Number::UInt(u) => *u as f64,
        utoipa::Number::Float(f) => *f,
    }
}

// ---- the reader -------------------------------------------------------------------------------

/// An empty `null` to stand for "no input" where pydantic reports `"input": null`.
static NULL: Value = Value::Null;

/// pydantic names a bad value of an `Enum` class `enum` and of a `Literal` `literal_error`; the
/// service's only `Enum` is the role.
const PYTHON_ENUMS: &[&str] = &["Role"];

#[derive(Clone, Copy)]
enum Value_<'a> {
    Json(&'a Value),
    Text(&'a str),
    Fields(&'a TextFields<'a>),
    File(&'a UploadFile),
    Bytes(&'a [u8]),
    /// Absent; what pydantic shows as the input of its `missing` error.
    Missing(&'a Value),
    /// Already reported: the model gets a placeholder, silently.
    Failed,
}

#[derive(Clone, Copy)]
struct De<'a> {
    value: Value_<'a>,
    /// What the model's schema says about this value, when it says anything.
    schema: Option<&'a Schema>,
    schemas: &'a Schemas,
}

#[derive(Debug)]
pub struct Error(String);

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

type Result<T> = std::result::Result<T, Error>;

impl<'a> De<'a> {
    fn with(self, value: Value_<'a>, schema: Option<&'a Schema>) -> De<'a> {
        De {
            value,
            schema,
            schemas: self.schemas,
        }
    }

    /// The input as pydantic shows it in an error.
    fn input(&self) -> Value {
        match self.value {
            Value_::Json(v) => v.clone(),
            Value_::Text(s) => json!(s),
            _ => Value::Null,
        }
    }

    /// Whether there is no value to read: absent (reported as `missing`), or already reported.
    fn absent(&self) -> bool {
        match self.value {
            Value_::Missing(input) => {
                Report::reject("missing", "Field required", input.clone(), None);
                true
            }
            Value_::Failed => true,
            _ => false,
        }
    }

    /// Reports a value of the wrong type (or none at all).
    fn wrong_type(&self, kind: &str, msg: &str) {
        if !self.absent() {
            Report::reject(kind, msg, self.input(), None);
        }
    }

    fn object(&self) -> Option<&'a utoipa::openapi::schema::Object> {
        match self.schema {
            Some(Schema::Object(o)) => Some(o),
            _ => None,
        }
    }

    fn format(&self) -> Option<&'a SchemaFormat> {
        self.object().and_then(|o| o.format.as_ref())
    }

    fn string(&self) -> Option<&'a str> {
        let text = self.text();
        if text.is_none() {
            self.wrong_type("string_type", "Input should be a valid string");
        }
        text
    }

    /// The value when it is text: a JSON string, a form field, a query parameter.
    fn text(&self) -> Option<&'a str> {
        match self.value {
            Value_::Json(Value::String(s)) => Some(s),
            Value_::Text(s) => Some(s),
            _ => None,
        }
    }

    fn int(&self) -> Option<i64> {
        let parsed = match (self.value, self.text()) {
            // A float without a fraction is an integer to pydantic; one with a fraction is not.
            (Value_::Json(Value::Number(n)), _) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Some(i),
                (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9e15 => Some(f as i64),
                (None, Some(f)) if f.is_finite() && f.abs() < 9e15 => {
                    let msg =
                        "Input should be a valid integer, got a number with a fractional part";
                    Report::reject("int_from_float", msg, self.input(), None);
                    return None;
                }
                _ => None,
            },
            (_, Some(s)) => match s.trim().parse() {
                Ok(n) => Some(n),
                Err(_) => {
                    let msg =
                        "Input should be a valid integer, unable to parse string as an integer";
                    Report::reject("int_parsing", msg, self.input(), None);
                    return None;
                }
            },
            _ => None,
        };
        let Some(n) = parsed else {
            self.wrong_type("int_type", "Input should be a valid integer");
            return None;
        };
        self.in_range(n as f64, |b| json!(b as i64)).then_some(n)
    }

    fn float(&self) -> Option<f64> {
        let parsed = match (self.value, self.text()) {
            (Value_::Json(Value::Number(n)), _) => n.as_f64(),
            (_, Some(s)) => match s.trim().parse::<f64>() {
                Ok(n) if n.is_finite() => Some(n),
                _ => {
                    let msg = "Input should be a valid number, unable to parse string as a number";
                    Report::reject("float_parsing", msg, self.input(), None);
                    return None;
                }
            },
            _ => None,
        };
        let Some(n) = parsed else {
            self.wrong_type("float_type", "Input should be a valid number");
            return None;
        };
        self.in_range(n, |b| json!(b)).then_some(n)
    }

    /// The schema's `minimum` and `maximum`; `bound` writes a bound as the field's type does.
    fn in_range(&self, n: f64, bound: impl Fn(f64) -> Value) -> bool {
        let Some(object) = self.object() else {
            return true;
        };
        if let Some(ge) = object.minimum.as_ref().map(number)
            && n < ge
        {
            let msg = format!(
                "Input should be greater than or equal to {}",
                python_number(ge)
            );
            let ctx = json!({ "ge": bound(ge) });
            Report::reject("greater_than_equal", &msg, self.input(), Some(ctx));
            return false;
        }
        if let Some(le) = object.maximum.as_ref().map(number)
            && n > le
        {
            let msg = format!(
                "Input should be less than or equal to {}",
                python_number(le)
            );
            let ctx = json!({ "le": bound(le) });
            Report::reject("less_than_equal", &msg, self.input(), Some(ctx));
            return false;
        }
        true
    }

    fn bool(&self) -> Option<bool> {
        let word = |s: &str| match s.to_ascii_lowercase().as_str() {
            "true" | "t" | "yes" | "y" | "on" | "1" => Some(true),
            "false" | "f" | "no" | "n" | "off" | "0" => Some(false),
            _ => None,
        };
        let parsed = match (self.value, self.text()) {
            (Value_::Json(Value::Bool(b)), _) => Some(*b),
            (Value_::Json(Value::Number(n)), _) => match n.as_i64() {
                Some(0) => Some(false),
                Some(1) => Some(true),
                _ => None,
            },
            (_, Some(s)) => {
                let b = word(s);
                if b.is_none() {
                    let msg = "Input should be a valid boolean, unable to interpret input";
                    Report::reject("bool_parsing", msg, self.input(), None);
                }
                return b;
            }
            _ => None,
        };
        if parsed.is_none() {
            self.wrong_type("bool_type", "Input should be a valid boolean");
        }
        parsed
    }

    /// A string held to the schema's `pattern` and format; a date-time comes back in the stored
    /// form, so it compares as text.
    fn checked_string(&self, s: &'a str) -> Option<std::borrow::Cow<'a, str>> {
        match self.format() {
            Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)) => match parse_datetime(s) {
                Some(t) => return Some(crate::clock::iso(t).into()),
                None => {
                    let why = if s.len() < 10 {
                        "input is too short"
                    } else {
                        "invalid datetime format"
                    };
                    let msg = format!("Input should be a valid datetime or date, {why}");
                    let ctx = json!({ "error": why });
                    Report::reject("datetime_from_date_parsing", &msg, json!(s), Some(ctx));
                    return None;
                }
            },
            Some(SchemaFormat::Custom(f)) if f == "email" => {
                if let Some(reason) = email_problem(s) {
                    let msg = format!("value is not a valid email address: {reason}");
                    let ctx = json!({ "reason": reason });
                    Report::reject("value_error", &msg, json!(s), Some(ctx));
                }
            }
            _ => {}
        }
        if let Some(pattern) = self.object().and_then(|o| o.pattern.as_deref())
            && !matches_pattern(pattern, s)
        {
            let msg = format!("String should match pattern '{pattern}'");
            let ctx = json!({ "pattern": pattern });
            Report::reject("string_pattern_mismatch", &msg, json!(s), Some(ctx));
        }
        Some(s.into())
    }

    /// The fields of a model, each with its value and schema, in declared order.
    fn fields(self, fields: &'static [&'static str]) -> Fields<'a> {
        let properties = self.object().map(|o| &o.properties);
        let schema_of = |name: &str| {
            properties
                .and_then(|p| p.get(name))
                .and_then(|s| self.schemas.resolve(s))
        };
        let mut read = Vec::with_capacity(fields.len());
        for &name in fields {
            let schema = schema_of(name);
            let value = match self.value {
                Value_::Json(object @ Value::Object(map)) => match map.get(name) {
                    Some(v) => Value_::Json(v),
                    None => Value_::Missing(object),
                },
                Value_::Fields(fields) => {
                    let is_file = matches!(schema, Some(Schema::Object(o))
                        if o.format == Some(SchemaFormat::KnownFormat(KnownFormat::Binary)));
                    if is_file {
                        match fields.files.iter().find(|f| f.field == name) {
                            Some(file) => Value_::File(file),
                            None => Value_::Missing(&NULL),
                        }
                    } else {
                        match fields.text.iter().find(|(k, _)| *k == name) {
                            Some((_, v)) => Value_::Text(v),
                            None => Value_::Missing(&NULL),
                        }
                    }
                }
                Value_::File(file) => match name {
                    "filename" => Value_::Text(&file.filename),
                    "content_type" => file
                        .content_type
                        .as_deref()
                        .map_or(Value_::Missing(&NULL), Value_::Text),
                    "bytes" => Value_::Bytes(&file.bytes),
                    _ => Value_::Missing(&NULL),
                },
                _ => Value_::Failed,
            };
            read.push((name, self.with(value, schema)));
        }
        Fields { read, next: 0 }
    }
}

/// FastAPI's patterns here are anchored literals (`^password$`); nothing else is declared.
fn matches_pattern(pattern: &str, s: &str) -> bool {
    let literal = pattern
        .strip_prefix('^')
        .and_then(|p| p.strip_suffix('$'))
        .unwrap_or(pattern);
    s == literal
}

macro_rules! ints {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
            visitor.visit_i64(self.int().unwrap_or(0))
        }
    )*};
}

impl<'a> de::Deserializer<'a> for De<'a> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        match self.value {
            Value_::Json(value) => value.deserialize_any(visitor).map_err(de::Error::custom),
            Value_::Text(s) => visitor.visit_str(s),
            Value_::Bytes(b) => visitor.visit_bytes(b),
            Value_::File(_) | Value_::Fields(_) => visitor.visit_map(self.fields(&[])),
            Value_::Missing(_) | Value_::Failed => {
                self.absent();
                visitor.visit_unit()
            }
        }
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        match self.value {
            Value_::Json(Value::Null) | Value_::Missing(_) | Value_::Failed => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_str<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        match self.string().and_then(|s| self.checked_string(s)) {
            Some(std::borrow::Cow::Borrowed(s)) => visitor.visit_borrowed_str(s),
            Some(std::borrow::Cow::Owned(s)) => visitor.visit_string(s),
            None => visitor.visit_str(""),
        }
    }

    fn deserialize_string<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_char<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    ints!(deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
          deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64);

    fn deserialize_f64<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_f64(self.float().unwrap_or(0.0))
    }

    fn deserialize_f32<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_bool<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_bool(self.bool().unwrap_or(false))
    }

    fn deserialize_map<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        match self.value {
            Value_::Json(value @ Value::Object(_)) => {
                value.deserialize_map(visitor).map_err(de::Error::custom)
            }
            _ => {
                self.wrong_type("dict_type", "Input should be a valid dictionary");
                visitor.visit_map(Fields::default())
            }
        }
    }

    fn deserialize_seq<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        let items = match self.value {
            Value_::Json(Value::Array(items)) => items,
            Value_::Bytes(bytes) => {
                return visitor.visit_seq(de::value::SeqDeserializer::new(bytes.iter().copied()));
            }
            _ => {
                self.wrong_type("list_type", "Input should be a valid list");
                return visitor.visit_seq(Items::default());
            }
        };
        let array = match self.schema {
            Some(Schema::Array(array)) => Some(array),
            _ => None,
        };
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        if let Some(min) = array.and_then(|a| a.min_items)
            && items.len() < min
        {
            let msg = format!(
                "List should have at least {min} item{} after validation, not {}",
                plural(min),
                items.len()
            );
            let ctx =
                json!({"field_type": "List", "min_length": min, "actual_length": items.len()});
            Report::reject("too_short", &msg, self.input(), Some(ctx));
            return visitor.visit_seq(Items::default());
        }
        if let Some(max) = array.and_then(|a| a.max_items)
            && items.len() > max
        {
            let msg = format!(
                "List should have at most {max} item{} after validation, not {}",
                plural(max),
                items.len()
            );
            let ctx =
                json!({"field_type": "List", "max_length": max, "actual_length": items.len()});
            Report::reject("too_long", &msg, self.input(), Some(ctx));
            return visitor.visit_seq(Items::default());
        }
        let item_schema = array.and_then(|a| match &a.items {
            ArrayItems::RefOrSchema(item) => self.schemas.resolve(item),
            ArrayItems::False => None,
        });
        visitor.visit_seq(Items {
            items: items
                .iter()
                .map(|v| self.with(Value_::Json(v), item_schema))
                .collect(),
            next: 0,
        })
    }

    fn deserialize_tuple<V: Visitor<'a>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        let is_object = matches!(
            self.value,
            Value_::Json(Value::Object(_)) | Value_::Fields(_) | Value_::File(_)
        );
        if is_object {
            return visitor.visit_map(self.fields(fields));
        }
        let msg = "Input should be a valid dictionary or object to extract fields from";
        self.wrong_type("model_attributes_type", msg);
        visitor.visit_map(self.with(Value_::Failed, None).fields(fields))
    }

    fn deserialize_enum<V: Visitor<'a>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        if let Some(variant) = self.text().and_then(|g| variants.iter().find(|v| **v == g)) {
            return visitor.visit_enum(variant.into_deserializer());
        }
        if !self.absent() {
            let expected = one_of(variants);
            let kind = if PYTHON_ENUMS.contains(&name) {
                "enum"
            } else {
                "literal_error"
            };
            let msg = format!("Input should be {expected}");
            let ctx = json!({ "expected": expected });
            Report::reject(kind, &msg, self.input(), Some(ctx));
        }
        let placeholder = variants.first().copied().unwrap_or_default();
        visitor.visit_enum(placeholder.into_deserializer())
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_bytes<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        match self.value {
            Value_::Bytes(b) => visitor.visit_borrowed_bytes(b),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_unit<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_unit()
    }

    fn deserialize_identifier<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_unit()
    }
}

/// A model's fields, handed to its visitor one by one, each read at its own `loc`.
#[derive(Default)]
struct Fields<'a> {
    read: Vec<(&'static str, De<'a>)>,
    next: usize,
}

impl<'a> MapAccess<'a> for Fields<'a> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'a>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        match self.read.get(self.next) {
            Some((name, _)) => seed.deserialize(name.into_deserializer()).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<S: DeserializeSeed<'a>>(&mut self, seed: S) -> Result<S::Value> {
        let Some(&(name, de)) = self.read.get(self.next) else {
            return Err(de::Error::custom("no field left"));
        };
        self.next += 1;
        Report::within(json!(name), || seed.deserialize(de))
    }
}

/// A list's items, each read at its index.
#[derive(Default)]
struct Items<'a> {
    items: Vec<De<'a>>,
    next: usize,
}

impl<'a> SeqAccess<'a> for Items<'a> {
    type Error = Error;

    fn next_element_seed<S: DeserializeSeed<'a>>(&mut self, seed: S) -> Result<Option<S::Value>> {
        let Some(&de) = self.items.get(self.next) else {
            return Ok(None);
        };
        let index = self.next;
        self.next += 1;
        Report::within(json!(index), || seed.deserialize(de)).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len() - self.next)
    }
}
