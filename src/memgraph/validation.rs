//! FastAPI's request validation, written once (spec §4.4, §9.5): how a JSON body is read for a
//! pydantic model, how form fields are read, and the 422 error objects pydantic v2 produces
//! (`type`, `loc`, `msg`, `input`, `ctx`; no `url`).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Path, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::model::Role;

/// A `str` path parameter. (axum's own rejection, for a path that does not decode, would be
/// plain text; FastAPI's router finds no such route.)
pub struct PathParam(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathParam {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| PathParam(value))
            .map_err(|_| ApiError::NotFound("Not Found"))
    }
}

/// Two `str` path parameters, such as `/v1/beliefs/history/{subject_id}/{key}`.
pub struct PathPair(pub String, pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathPair {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map(|Path((a, b))| PathPair(a, b))
            .map_err(|_| ApiError::NotFound("Not Found"))
    }
}

/// One pydantic error object.
pub fn error(kind: &str, loc: Value, msg: &str, input: Value, ctx: Option<Value>) -> Value {
    let mut e = json!({ "type": kind, "loc": loc, "msg": msg, "input": input });
    if let (Some(ctx), Some(obj)) = (ctx, e.as_object_mut()) {
        obj.insert("ctx".into(), ctx);
    }
    e
}

pub fn missing(loc: Value, input: Value) -> Value {
    error("missing", loc, "Field required", input, None)
}

/// A JSON request body for a pydantic model: always an object once extracted.
pub struct JsonObject(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase);
        let bytes = read_body(req, state).await?;
        if bytes.is_empty() {
            return Err(ApiError::validation(missing(json!(["body"]), Value::Null)));
        }
        // FastAPI parses JSON when there is no content type or a JSON one; anything else reaches
        // the model as a string, which pydantic rejects as not a dictionary.
        let is_json = content_type.as_deref().is_none_or(|ct| {
            let essence = ct.split(';').next().unwrap_or_default().trim();
            essence.ends_with("/json") || essence.ends_with("+json")
        });
        let value = if is_json {
            serde_json::from_slice::<Value>(&bytes).map_err(|e| json_invalid(&bytes, &e))?
        } else {
            Value::String(String::from_utf8_lossy(&bytes).into_owned())
        };
        match value {
            Value::Object(map) => Ok(JsonObject(map)),
            other => Err(ApiError::validation(error(
                "model_attributes_type",
                json!(["body"]),
                "Input should be a valid dictionary or object to extract fields from",
                other,
                None,
            ))),
        }
    }
}

/// Form fields, as FastAPI's `Form(...)` reads them: from `application/x-www-form-urlencoded` or
/// `multipart/form-data`; any other body gives no fields at all. File parts (`File(...)`) are
/// kept apart, in [`FormFields::files`].
#[derive(Default)]
pub struct FormFields(pub Vec<(String, String)>, pub Vec<UploadFile>);

/// A multipart part that came with a file name.
pub struct UploadFile {
    pub field: String,
    pub filename: String,
    pub content_type: Option<String>,
    pub bytes: Bytes,
}

impl<S: Send + Sync> FromRequest<S> for FormFields {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        if content_type.starts_with("multipart/form-data") {
            return read_multipart(req, state).await;
        }
        let bytes = read_body(req, state).await?;
        if !content_type.starts_with("application/x-www-form-urlencoded") {
            return Ok(FormFields::default());
        }
        Ok(FormFields(
            serde_urlencoded::from_bytes(&bytes).unwrap_or_default(),
            Vec::new(),
        ))
    }
}

/// The parts of a multipart body: text fields, and files (parts with a file name). A body that
/// does not parse as multipart has no fields, as with Starlette, whose form parser gives up the
/// same way.
async fn read_multipart<S: Send + Sync>(req: Request, state: &S) -> Result<FormFields, ApiError> {
    let Ok(mut multipart) = Multipart::from_request(req, state).await else {
        return Ok(FormFields::default());
    };
    let mut form = FormFields::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(ApiError::PayloadTooLarge);
            }
            Err(_) => break,
        };
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field.file_name().map(str::to_owned);
        let content_type = field.content_type().map(str::to_owned);
        match field.bytes().await {
            Ok(bytes) => match filename {
                Some(filename) => form.1.push(UploadFile {
                    field: name,
                    filename,
                    content_type,
                    bytes,
                }),
                None => form
                    .0
                    .push((name, String::from_utf8_lossy(&bytes).into_owned())),
            },
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(ApiError::PayloadTooLarge);
            }
            Err(_) => break,
        }
    }
    Ok(form)
}

impl FormFields {
    /// A field's value; FastAPI treats an empty form value as absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// The file sent in this field, if any.
    pub fn file(&self, name: &str) -> Option<&UploadFile> {
        self.1.iter().find(|f| f.field == name)
    }
}

async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::validation(missing(json!(["body"]), Value::Null))
        }
    })
}

/// Python's `json` module reports the character offset and its own wording; pydantic puts the
/// offset in `loc` and the wording in `ctx.error`.
fn json_invalid(bytes: &[u8], e: &serde_json::Error) -> ApiError {
    let text = String::from_utf8_lossy(bytes);
    let offset: usize = text
        .split('\n')
        .take(e.line().saturating_sub(1))
        .map(|line| line.chars().count() + 1)
        .sum::<usize>()
        + e.column().saturating_sub(1);
    let serde_message = e.to_string();
    let python_message = if serde_message.starts_with("key must be a string")
        || serde_message.starts_with("trailing comma")
    {
        "Expecting property name enclosed in double quotes"
    } else if serde_message.starts_with("expected `:`") {
        "Expecting ':' delimiter"
    } else if serde_message.starts_with("expected `,`")
        || serde_message.starts_with("EOF while parsing an object")
        || serde_message.starts_with("EOF while parsing a list")
    {
        "Expecting ',' delimiter"
    } else if serde_message.starts_with("trailing characters") {
        "Extra data"
    } else if serde_message.contains("control character") {
        "Invalid control character at"
    } else if serde_message.contains("escape") {
        "Invalid \\escape"
    } else {
        "Expecting value"
    };
    ApiError::validation(error(
        "json_invalid",
        json!(["body", offset]),
        "JSON decode error",
        json!({}),
        Some(json!({ "error": python_message })),
    ))
}

/// Reads the fields of a JSON body as a pydantic model would, collecting every error before
/// answering (pydantic reports all of them at once, in field order).
pub struct Fields<'a> {
    body: &'a Map<String, Value>,
    /// Where this object sits: `["body"]`, or deeper for the items of a list.
    at: Vec<Value>,
    errors: Vec<Value>,
}

impl<'a> Fields<'a> {
    pub fn new(body: &'a JsonObject) -> Fields<'a> {
        Fields::at(&body.0, vec![json!("body")])
    }

    /// The fields of an object nested at `at` (e.g. `["body", "beliefs", 3]`).
    pub fn at(body: &'a Map<String, Value>, at: Vec<Value>) -> Fields<'a> {
        Fields {
            body,
            at,
            errors: Vec::new(),
        }
    }

    /// Whether the body has this field at all (even as null).
    pub fn has(&self, name: &str) -> bool {
        self.body.contains_key(name)
    }

    fn loc(&self, name: &str) -> Value {
        let mut loc = self.at.clone();
        loc.push(json!(name));
        Value::Array(loc)
    }

    /// Records an error found by the caller, at this field.
    pub fn reject(&mut self, name: &str, kind: &str, msg: &str, input: Value, ctx: Option<Value>) {
        let loc = self.loc(name);
        self.errors.push(error(kind, loc, msg, input, ctx));
    }

    /// The errors so far, to be merged into an enclosing model's.
    pub fn into_errors(self) -> Vec<Value> {
        self.errors
    }

    /// A required `Dict[str, Any]`.
    pub fn object(&mut self, name: &str) -> Map<String, Value> {
        if !self.body.contains_key(name) {
            let loc = self.loc(name);
            self.errors
                .push(missing(loc, Value::Object(self.body.clone())));
            return Map::new();
        }
        if self.body.get(name).is_some_and(Value::is_null) {
            self.reject(
                name,
                "dict_type",
                "Input should be a valid dictionary",
                Value::Null,
                None,
            );
        }
        self.opt_object(name).unwrap_or_default()
    }

    /// An optional float with bounds (pydantic `confloat(ge=, le=)`), lax about numeric strings.
    pub fn opt_float_in(&mut self, name: &str, ge: f64, le: f64) -> Option<f64> {
        let value = self.body.get(name)?;
        let number = match value {
            Value::Null => return None,
            Value::Number(n) => n.as_f64(),
            Value::String(s) => match s.trim().parse::<f64>() {
                Ok(n) if n.is_finite() => Some(n),
                _ => {
                    self.reject(
                        name,
                        "float_parsing",
                        "Input should be a valid number, unable to parse string as a number",
                        value.clone(),
                        None,
                    );
                    return None;
                }
            },
            _ => None,
        };
        let Some(number) = number else {
            self.reject(
                name,
                "float_type",
                "Input should be a valid number",
                value.clone(),
                None,
            );
            return None;
        };
        if number < ge {
            self.reject(
                name,
                "greater_than_equal",
                &format!(
                    "Input should be greater than or equal to {}",
                    python_number(ge)
                ),
                value.clone(),
                Some(json!({ "ge": ge })),
            );
            return None;
        }
        if number > le {
            self.reject(
                name,
                "less_than_equal",
                &format!(
                    "Input should be less than or equal to {}",
                    python_number(le)
                ),
                value.clone(),
                Some(json!({ "le": le })),
            );
            return None;
        }
        Some(number)
    }

    /// An optional int with bounds (pydantic `conint(ge=, le=)`).
    pub fn opt_int_in(&mut self, name: &str, ge: i64, le: i64) -> Option<i64> {
        let value = self.body.get(name)?;
        let n = match value {
            Value::Null => return None,
            Value::Number(n) if n.is_i64() => n.as_i64(),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        let Some(n) = n else {
            self.reject(
                name,
                "int_type",
                "Input should be a valid integer",
                value.clone(),
                None,
            );
            return None;
        };
        if n < ge {
            let msg = format!("Input should be greater than or equal to {ge}");
            self.reject(
                name,
                "greater_than_equal",
                &msg,
                value.clone(),
                Some(json!({ "ge": ge })),
            );
            return None;
        }
        if n > le {
            let msg = format!("Input should be less than or equal to {le}");
            self.reject(
                name,
                "less_than_equal",
                &msg,
                value.clone(),
                Some(json!({ "le": le })),
            );
            return None;
        }
        Some(n)
    }

    /// An optional `Literal[...]` of strings.
    pub fn opt_literal(&mut self, name: &str, allowed: &[&str]) -> Option<String> {
        let value = match self.body.get(name) {
            None | Some(Value::Null) => return None,
            Some(value) => value,
        };
        if let Some(s) = value.as_str().filter(|s| allowed.contains(s)) {
            return Some(s.to_owned());
        }
        let expected = one_of(allowed);
        self.reject(
            name,
            "literal_error",
            &format!("Input should be {expected}"),
            value.clone(),
            Some(json!({ "expected": expected })),
        );
        None
    }

    /// A required list of objects, at most `max` long; each item comes back with its location.
    pub fn list_of_objects(
        &mut self,
        name: &str,
        max: usize,
    ) -> Vec<(usize, &'a Map<String, Value>)> {
        let body = self.body;
        let Some(value) = body.get(name) else {
            let loc = self.loc(name);
            self.errors.push(missing(loc, Value::Object(body.clone())));
            return Vec::new();
        };
        let Value::Array(items) = value else {
            self.reject(
                name,
                "list_type",
                "Input should be a valid list",
                value.clone(),
                None,
            );
            return Vec::new();
        };
        if items.len() > max {
            self.reject(
                name,
                "too_long",
                &format!(
                    "List should have at most {max} items after validation, not {}",
                    items.len()
                ),
                value.clone(),
                Some(
                    json!({"field_type": "List", "max_length": max, "actual_length": items.len()}),
                ),
            );
            return Vec::new();
        }
        let mut objects = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match item {
                Value::Object(map) => objects.push((i, map)),
                other => {
                    let mut loc = self.at.clone();
                    loc.extend([json!(name), json!(i)]);
                    self.errors.push(error(
                        "model_attributes_type",
                        Value::Array(loc),
                        "Input should be a valid dictionary or object to extract fields from",
                        other.clone(),
                        None,
                    ));
                }
            }
        }
        objects
    }

    /// Adds errors found in a nested model.
    pub fn extend(&mut self, errors: Vec<Value>) {
        self.errors.extend(errors);
    }

    /// A required `str` (empty when it failed; `finish` then reports why).
    pub fn string(&mut self, name: &str) -> String {
        match self.body.get(name) {
            None => {
                let loc = self.loc(name);
                self.errors
                    .push(missing(loc, Value::Object(self.body.clone())));
                String::new()
            }
            Some(value) => self.as_string(name, value).unwrap_or_default(),
        }
    }

    /// An `Optional[str] = None`.
    pub fn opt_string(&mut self, name: &str) -> Option<String> {
        match self.body.get(name) {
            None | Some(Value::Null) => None,
            Some(value) => self.as_string(name, value),
        }
    }

    /// A required email address (pydantic's `EmailStr`).
    pub fn email(&mut self, name: &str) -> String {
        let email = self.string(name);
        if self.body.get(name).is_some_and(Value::is_string) {
            self.check_email(name, &email);
        }
        email
    }

    /// An optional role (an `Enum` of admin, editor, viewer).
    pub fn opt_role(&mut self, name: &str) -> Option<Role> {
        let value = match self.body.get(name) {
            None | Some(Value::Null) => return None,
            Some(value) => value,
        };
        let role = value.as_str().and_then(Role::parse);
        if role.is_none() {
            let expected = "'admin', 'editor' or 'viewer'";
            let loc = self.loc(name);
            self.errors.push(error(
                "enum",
                loc,
                &format!("Input should be {expected}"),
                value.clone(),
                Some(json!({ "expected": expected })),
            ));
        }
        role
    }

    /// An `Optional[bool] = None`, with pydantic's lax parsing of strings and 0/1.
    pub fn opt_bool(&mut self, name: &str) -> Option<bool> {
        let value = self.body.get(name)?;
        let parsed = match value {
            Value::Null => return None,
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
            let (kind, msg) = if value.is_string() {
                (
                    "bool_parsing",
                    "Input should be a valid boolean, unable to interpret input",
                )
            } else {
                ("bool_type", "Input should be a valid boolean")
            };
            self.reject(name, kind, msg, value.clone(), None);
        }
        parsed
    }

    /// An `Optional[dict] = None`.
    pub fn opt_object(&mut self, name: &str) -> Option<Map<String, Value>> {
        match self.body.get(name)? {
            Value::Null => None,
            Value::Object(map) => Some(map.clone()),
            other => {
                self.reject(
                    name,
                    "dict_type",
                    "Input should be a valid dictionary",
                    other.clone(),
                    None,
                );
                None
            }
        }
    }

    /// The collected errors as one 422, or `Ok` when there were none.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }

    fn check_email(&mut self, name: &str, email: &str) {
        if let Some(reason) = email_problem(email) {
            let loc = self.loc(name);
            self.errors.push(error(
                "value_error",
                loc,
                &format!("value is not a valid email address: {reason}"),
                json!(email),
                Some(json!({ "reason": reason })),
            ));
        }
    }

    fn as_string(&mut self, name: &str, value: &Value) -> Option<String> {
        match value {
            Value::String(s) => Some(s.clone()),
            other => {
                self.reject(
                    name,
                    "string_type",
                    "Input should be a valid string",
                    other.clone(),
                    None,
                );
                None
            }
        }
    }
}

/// How pydantic lists the allowed values: `'a', 'b' or 'c'`.
fn one_of(allowed: &[&str]) -> String {
    let quoted: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.join(""),
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

/// Query-string parameters, read as FastAPI's `Query(...)` does, errors collected like
/// [`Fields`] (`loc` `["query", name]`, the input kept as the original string).
pub struct QueryParams(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        Ok(QueryParams(
            serde_urlencoded::from_str(query).unwrap_or_default(),
        ))
    }
}

pub struct Query<'a> {
    params: &'a [(String, String)],
    errors: Vec<Value>,
}

impl QueryParams {
    pub fn read(&self) -> Query<'_> {
        Query {
            params: &self.0,
            errors: Vec::new(),
        }
    }
}

impl Query<'_> {
    /// The last value given for a name, as Starlette's `QueryParams` does for a scalar.
    fn raw(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn opt_string(&mut self, name: &str) -> Option<String> {
        self.raw(name).map(str::to_owned)
    }

    pub fn string(&mut self, name: &str) -> String {
        match self.raw(name) {
            Some(v) => v.to_owned(),
            None => {
                self.errors
                    .push(missing(json!(["query", name]), Value::Null));
                String::new()
            }
        }
    }

    /// An `int = Query(default, ge=min, le=max)`.
    pub fn int(&mut self, name: &str, default: i64, min: i64, max: i64) -> i64 {
        let Some(raw) = self.raw(name) else {
            return default;
        };
        let Ok(n) = raw.trim().parse::<i64>() else {
            self.errors.push(error(
                "int_parsing",
                json!(["query", name]),
                "Input should be a valid integer, unable to parse string as an integer",
                json!(raw),
                None,
            ));
            return default;
        };
        if n < min {
            self.errors.push(error(
                "greater_than_equal",
                json!(["query", name]),
                &format!("Input should be greater than or equal to {min}"),
                json!(raw),
                Some(json!({ "ge": min })),
            ));
        } else if n > max {
            self.errors.push(error(
                "less_than_equal",
                json!(["query", name]),
                &format!("Input should be less than or equal to {max}"),
                json!(raw),
                Some(json!({ "le": max })),
            ));
        }
        n
    }

    /// A `bool = Query(default)`, with pydantic's words for true and false.
    pub fn bool(&mut self, name: &str, default: bool) -> bool {
        let Some(raw) = self.raw(name) else {
            return default;
        };
        match raw.to_ascii_lowercase().as_str() {
            "true" | "t" | "yes" | "y" | "on" | "1" => true,
            "false" | "f" | "no" | "n" | "off" | "0" => false,
            _ => {
                self.errors.push(error(
                    "bool_parsing",
                    json!(["query", name]),
                    "Input should be a valid boolean, unable to interpret input",
                    json!(raw),
                    None,
                ));
                default
            }
        }
    }

    /// An `Optional[datetime]`, normalised to the stored form so it compares as text.
    pub fn opt_datetime(&mut self, name: &str) -> Option<String> {
        let raw = self.raw(name)?;
        match parse_datetime(raw) {
            Some(t) => Some(crate::clock::iso(t)),
            None => {
                let why = if raw.len() < 10 {
                    "input is too short"
                } else {
                    "invalid datetime format"
                };
                self.errors.push(error(
                    "datetime_from_date_parsing",
                    json!(["query", name]),
                    &format!("Input should be a valid datetime or date, {why}"),
                    json!(raw),
                    Some(json!({ "error": why })),
                ));
                None
            }
        }
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }
}

/// RFC 3339, or without an offset (taken as UTC), or a bare date (its midnight, UTC).
pub(super) fn parse_datetime(raw: &str) -> Option<time::OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
    let raw = raw.trim();
    if let Ok(t) = time::OffsetDateTime::parse(raw, &Rfc3339) {
        return Some(t);
    }
    let naive = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    if let Ok(t) = time::PrimitiveDateTime::parse(raw, naive) {
        return Some(t.assume_utc());
    }
    let date = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(raw, date)
        .ok()
        .map(|d| d.midnight().assume_utc())
}

/// The first thing `email-validator` (behind pydantic's `EmailStr`) would object to, in its words.
fn email_problem(email: &str) -> Option<&'static str> {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Some("An email address must have an @-sign.");
    };
    if local.is_empty() {
        return Some("There must be something before the @-sign.");
    }
    if domain.is_empty() {
        return Some("There must be something after the @-sign.");
    }
    if email.chars().any(char::is_whitespace) {
        return Some("The email address contains invalid characters.");
    }
    if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
        return Some("The part after the @-sign is not valid. It should have a period.");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_error(text: &str) -> Value {
        let e = serde_json::from_str::<Value>(text).unwrap_err();
        match json_invalid(text.as_bytes(), &e) {
            ApiError::Validation(mut errors) => errors.remove(0),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn malformed_json_reads_like_python() {
        let e = decode_error("{email: 1}");
        assert_eq!(e["loc"], json!(["body", 1]));
        assert_eq!(
            e["ctx"]["error"],
            "Expecting property name enclosed in double quotes"
        );
        assert_eq!(decode_error("{\"a\": }")["ctx"]["error"], "Expecting value");
        assert_eq!(
            decode_error("{\"a\" 1}")["ctx"]["error"],
            "Expecting ':' delimiter"
        );
        assert_eq!(decode_error("{} x")["ctx"]["error"], "Extra data");
    }

    #[test]
    fn emails_need_an_at_sign_and_a_dotted_domain() {
        assert_eq!(email_problem("a@b.co"), None);
        assert!(email_problem("ab.co").unwrap().contains("@-sign"));
        assert!(email_problem("a@localhost").unwrap().contains("period"));
    }
}
