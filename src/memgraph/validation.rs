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
/// `multipart/form-data` (text parts); any other body gives no fields at all.
pub struct FormFields(pub Vec<(String, String)>);

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
            return Ok(FormFields(Vec::new()));
        }
        Ok(FormFields(
            serde_urlencoded::from_bytes(&bytes).unwrap_or_default(),
        ))
    }
}

/// The text parts of a multipart body. A body that does not parse as multipart has no fields,
/// as with Starlette, whose form parser gives up the same way.
async fn read_multipart<S: Send + Sync>(req: Request, state: &S) -> Result<FormFields, ApiError> {
    let Ok(mut multipart) = Multipart::from_request(req, state).await else {
        return Ok(FormFields(Vec::new()));
    };
    let mut fields = Vec::new();
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.file_name().is_none() => {
                let name = field.name().unwrap_or_default().to_owned();
                match field.text().await {
                    Ok(text) => fields.push((name, text)),
                    Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                        return Err(ApiError::PayloadTooLarge);
                    }
                    Err(_) => break,
                }
            }
            Ok(Some(_file)) => continue,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(ApiError::PayloadTooLarge);
            }
            Err(_) => break,
        }
    }
    Ok(FormFields(fields))
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
    errors: Vec<Value>,
}

impl<'a> Fields<'a> {
    pub fn new(body: &'a JsonObject) -> Fields<'a> {
        Fields {
            body: &body.0,
            errors: Vec::new(),
        }
    }

    /// A required `str` (empty when it failed; `finish` then reports why).
    pub fn string(&mut self, name: &str) -> String {
        match self.body.get(name) {
            None => {
                self.errors.push(missing(
                    json!(["body", name]),
                    Value::Object(self.body.clone()),
                ));
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
            self.errors.push(error(
                "enum",
                json!(["body", name]),
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
            self.errors
                .push(error(kind, json!(["body", name]), msg, value.clone(), None));
        }
        parsed
    }

    /// An `Optional[dict] = None`.
    pub fn opt_object(&mut self, name: &str) -> Option<Map<String, Value>> {
        match self.body.get(name)? {
            Value::Null => None,
            Value::Object(map) => Some(map.clone()),
            other => {
                self.errors.push(error(
                    "dict_type",
                    json!(["body", name]),
                    "Input should be a valid dictionary",
                    other.clone(),
                    None,
                ));
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
            self.errors.push(error(
                "value_error",
                json!(["body", name]),
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
                self.errors.push(error(
                    "string_type",
                    json!(["body", name]),
                    "Input should be a valid string",
                    other.clone(),
                    None,
                ));
                None
            }
        }
    }
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
