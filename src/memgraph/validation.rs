//! FastAPI's request validation, written once (docs/spec/memgraph.md §4.4, §9.5): how a JSON
//! body, form fields and a query string are read into a model ([`Body`], [`Form`], [`Query`];
//! `de.rs` reads them as pydantic does), and the 422 error objects pydantic v2 produces (`type`,
//! `loc`, `msg`, `input`, `ctx`; no `url`).

mod de;

use std::any::TypeId;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, Multipart, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use utoipa::openapi::RefOr;
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::schema::{ObjectBuilder, Schema};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ValidationError};
use crate::contract::ParsedJson;
use de::{Input, Schemas, TextFields};

/// A `str` path parameter.
pub struct PathParam(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathParam {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        match path_params(parts).as_slice() {
            [value] => Ok(PathParam(value.clone())),
            _ => Err(ApiError::NotFound("Not Found")),
        }
    }
}

/// Two `str` path parameters, such as `/v1/beliefs/history/{subject_id}/{key}`.
pub struct PathPair(pub String, pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathPair {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        match path_params(parts).as_slice() {
            [a, b] => Ok(PathPair(a.clone(), b.clone())),
            _ => Err(ApiError::NotFound("Not Found")),
        }
    }
}

/// The path's parameters, percent-decoded as uvicorn decodes a path: bytes that are not UTF-8
/// become U+FFFD, and the route answers for that text. (axum's own extractor refuses them, in
/// plain text.)
fn path_params(parts: &Parts) -> Vec<String> {
    let Some(template) = parts.extensions.get::<MatchedPath>() else {
        return Vec::new();
    };
    // From the end: a prefix the path was routed under may be in one and not the other.
    let mut params: Vec<String> = template
        .as_str()
        .rsplit('/')
        .zip(parts.uri.path().rsplit('/'))
        .filter(|(segment, _)| segment.starts_with('{'))
        .map(|(_, raw)| percent_decode_lossy(raw))
        .collect();
    params.reverse();
    params
}

fn percent_decode_lossy(raw: &str) -> String {
    let hex = |b: Option<&u8>| b.and_then(|b| char::from(*b).to_digit(16));
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%'
            && let (Some(high), Some(low)) = (hex(bytes.get(i + 1)), hex(bytes.get(i + 2)))
        {
            decoded.extend(u8::try_from(high * 16 + low).ok());
            i += 3;
        } else {
            decoded.push(b);
            i += 1;
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// One pydantic error object; `loc` is a JSON array (`["body", "email"]`).
pub fn error(
    kind: &str,
    loc: Value,
    msg: &str,
    input: Value,
    ctx: Option<Value>,
) -> ValidationError {
    let loc = match loc {
        Value::Array(loc) => loc,
        other => vec![other],
    };
    ValidationError {
        kind: kind.to_owned(),
        loc,
        msg: msg.to_owned(),
        input,
        ctx,
    }
}

pub fn missing(loc: Value, input: Value) -> ValidationError {
    error("missing", loc, "Field required", input, None)
}

/// A JSON request body, read as the model `T`.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + ToSchema + 'static> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let JsonBody(value) = JsonBody::from_request(req, state).await?;
        read_json(&value).map(Body)
    }
}

/// A request body as FastAPI parses it for a model, before the model reads it.
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(mut req: Request, state: &S) -> Result<Self, ApiError> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase);
        // FastAPI parses JSON when there is no content type or a JSON one; anything else reaches
        // the model as a string, which pydantic rejects as not a dictionary.
        let is_json = content_type.as_deref().is_none_or(|ct| {
            let essence = ct.split(';').next().unwrap_or_default().trim();
            essence.ends_with("/json") || essence.ends_with("+json")
        });
        // The contract check parsed these very bytes already, the way they are parsed below.
        if let Some(ParsedJson(value)) = req.extensions_mut().remove::<ParsedJson>()
            && is_json
        {
            return Ok(JsonBody(value));
        }
        let bytes = read_body(req, state).await?;
        if bytes.is_empty() {
            return Err(ApiError::validation(missing(json!(["body"]), Value::Null)));
        }
        let value = if is_json {
            // Python decodes the bytes before it parses them, and its parser recurses as deep
            // as its stack allows; FastAPI reports either failure apart from JSON errors.
            if std::str::from_utf8(&bytes).is_err() {
                return Err(ApiError::UnparsableBody);
            }
            serde_json::from_slice::<Value>(&bytes).map_err(|e| {
                if e.to_string().starts_with("recursion limit exceeded") {
                    ApiError::UnparsableBody
                } else {
                    json_invalid(&bytes, &e)
                }
            })?
        } else {
            Value::String(String::from_utf8_lossy(&bytes).into_owned())
        };
        Ok(JsonBody(value))
    }
}

/// Reads a parsed body as the model `T`.
pub fn read_json<T: DeserializeOwned + ToSchema + 'static>(value: &Value) -> Result<T, ApiError> {
    let schemas = schemas_of::<T>(model_schemas::<T>);
    de::read(&Input::Json(value), schemas, "body").map_err(ApiError::Validation)
}

/// Form fields (`application/x-www-form-urlencoded` or `multipart/form-data`), read as the model
/// `T`, as FastAPI reads `Form(...)` and `File(...)` parameters.
pub struct Form<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + ToSchema + 'static> FromRequest<S> for Form<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let form = FormFields::from_request(req, state).await?;
        // The first value of a name counts, and an empty one is as good as none.
        let mut text: Vec<(&str, &str)> = Vec::with_capacity(form.0.len());
        for (name, value) in &form.0 {
            if !text.iter().any(|(n, _)| n == name) {
                text.push((name, value));
            }
        }
        text.retain(|(_, value)| !value.is_empty());
        let input = Input::Fields(TextFields {
            text,
            files: &form.1,
        });
        let schemas = schemas_of::<T>(model_schemas::<T>);
        de::read(&input, schemas, "body")
            .map(Form)
            .map_err(ApiError::Validation)
    }
}

/// The query string, read as the parameters `T` declares (`Query(...)` in FastAPI).
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + IntoParams + 'static> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let params: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
        // The last value of a name counts, as with Starlette's `QueryParams` for a scalar.
        let text = params
            .iter()
            .rev()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let input = Input::Fields(TextFields { text, files: &[] });
        let schemas = schemas_of::<T>(params_schemas::<T>);
        de::read(&input, schemas, "query")
            .map(Query)
            .map_err(ApiError::Validation)
    }
}

/// A list of records read each as serde reads `T` (the export document's own records, not a
/// pydantic model): a record that does not read is a `value_error` at its index, and the others
/// are still read.
pub struct Records<T>(pub Vec<T>);

impl<'de, T: DeserializeOwned> Deserialize<'de> for Records<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let items = Vec::<Value>::deserialize(deserializer)?;
        let mut records = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            match T::deserialize(&item) {
                Ok(record) => records.push(record),
                Err(e) => {
                    let msg = format!("Value error, {e}");
                    let ctx = Some(json!({ "error": e.to_string() }));
                    if !de::reject_at(json!(i), "value_error", &msg, item, ctx) {
                        return Err(serde::de::Error::custom(msg));
                    }
                }
            }
        }
        Ok(Records(records))
    }
}

/// A file sent in a form (FastAPI's `UploadFile`).
#[derive(Deserialize)]
pub struct Upload {
    pub filename: String,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// The schemas a model is read against, built once per model.
fn schemas_of<T: 'static>(build: fn() -> Schemas) -> &'static Schemas {
    static BUILT: OnceLock<Mutex<HashMap<TypeId, &'static Schemas>>> = OnceLock::new();
    let built = BUILT.get_or_init(Default::default);
    let mut built = built
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // A handful of models, each built once: leaking them is what keeps them.
    built
        .entry(TypeId::of::<T>())
        .or_insert_with(|| Box::leak(Box::new(build())))
}

fn model_schemas<T: ToSchema>() -> Schemas {
    let mut components = Vec::new();
    T::schemas(&mut components);
    Schemas {
        root: T::schema(),
        components: components.into_iter().collect(),
    }
}

fn params_schemas<T: IntoParams>() -> Schemas {
    let mut object = ObjectBuilder::new();
    for param in T::into_params(|| Some(ParameterIn::Query)) {
        if let Some(schema) = param.schema {
            object = object.property(param.name, schema);
        }
    }
    Schemas {
        root: RefOr::T(Schema::Object(object.build())),
        components: BTreeMap::new(),
    }
}

/// Form fields, as FastAPI reads them: from `application/x-www-form-urlencoded` or
/// `multipart/form-data`; any other body gives no fields at all. File parts (`File(...)`) are
/// kept apart.
#[derive(Default)]
struct FormFields(Vec<(String, String)>, Vec<UploadFile>);

/// A multipart part that came with a file name.
struct UploadFile {
    field: String,
    filename: String,
    content_type: Option<String>,
    bytes: Bytes,
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

/// How pydantic lists the allowed values: `'a', 'b' or 'c'`.
pub fn one_of(allowed: &[&str]) -> String {
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
            ApiError::Validation(mut errors) => serde_json::to_value(errors.remove(0)).unwrap(),
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
    fn path_parameters_decode_with_replacement_characters() {
        assert_eq!(
            percent_decode_lossy("caf%C3%A9%20au%20lait"),
            "café au lait"
        );
        assert_eq!(percent_decode_lossy("%FF%2"), "\u{fffd}%2");
        assert_eq!(percent_decode_lossy("100%"), "100%");
    }

    #[test]
    fn emails_need_an_at_sign_and_a_dotted_domain() {
        assert_eq!(email_problem("a@b.co"), None);
        assert!(email_problem("ab.co").unwrap().contains("@-sign"));
        assert!(email_problem("a@localhost").unwrap().contains("period"));
    }

    fn errors_of<T: DeserializeOwned + ToSchema + 'static>(body: Value) -> Value {
        match read_json::<T>(&body) {
            Err(ApiError::Validation(errors)) => serde_json::to_value(errors).unwrap(),
            Err(other) => panic!("{other:?}"),
            Ok(_) => Value::Null,
        }
    }

    #[test]
    fn a_model_is_held_to_its_schema_field_by_field() {
        use crate::memgraph::model::UpdateBelief;
        let errors = errors_of::<UpdateBelief>(json!({
            "value": 3, "confidence_score": "1.5", "belief_type": "guess", "other": [],
        }));
        assert_eq!(
            errors,
            json!([
                {"type": "string_type", "loc": ["body", "value"],
                 "msg": "Input should be a valid string", "input": 3},
                {"type": "less_than_equal", "loc": ["body", "confidence_score"],
                 "msg": "Input should be less than or equal to 1", "input": "1.5",
                 "ctx": {"le": 1.0}},
                {"type": "literal_error", "loc": ["body", "belief_type"],
                 "msg": "Input should be 'fact', 'belief', 'preference' or 'tenet'",
                 "input": "guess",
                 "ctx": {"expected": "'fact', 'belief', 'preference' or 'tenet'"}},
            ])
        );
        assert_eq!(
            errors_of::<UpdateBelief>(json!({"confidence": "0.5"})),
            Value::Null
        );
    }

    /// The document states date-times as a pattern; the reader parses them. They agree.
    #[test]
    fn the_date_time_pattern_is_what_the_reader_parses() {
        let pattern = regex::Regex::new(crate::memgraph::openapi::DATE_TIME_PATTERN).unwrap();
        for read in [
            "2026-03-01",
            "2026-03-01T12:00:00",
            "2026-03-01T12:00:00Z",
            "2026-03-01T12:00:00.123456Z",
            "2026-03-01T12:00:00+05:30",
            "0000-01-01T00:00:00-12:00",
        ] {
            assert!(pattern.is_match(read), "{read}");
            assert!(parse_datetime(read).is_some(), "{read}");
        }
        for refused in [
            "",
            "2026",
            "2026-13-01",
            "2026-03-01T25:00:00Z",
            "yesterday",
        ] {
            assert!(!pattern.is_match(refused), "{refused}");
            assert!(parse_datetime(refused).is_none(), "{refused}");
        }
    }

    #[test]
    fn every_pattern_in_the_document_is_one_the_reader_checks() {
        fn patterns(value: &Value, found: &mut Vec<String>) {
            match value {
                Value::Object(map) => {
                    if let Some(Value::String(p)) = map.get("pattern") {
                        found.push(p.clone());
                    }
                    map.values().for_each(|v| patterns(v, found));
                }
                Value::Array(items) => items.iter().for_each(|v| patterns(v, found)),
                _ => {}
            }
        }
        let doc = serde_json::to_value(crate::memgraph::openapi()).unwrap();
        let mut found = Vec::new();
        patterns(&doc, &mut found);
        assert!(!found.is_empty());
        let date_time = crate::memgraph::openapi::DATE_TIME_PATTERN;
        for pattern in found.into_iter().filter(|p| p != date_time) {
            let literal = pattern.trim_start_matches('^').trim_end_matches('$');
            assert!(
                pattern.starts_with('^')
                    && pattern.ends_with('$')
                    && !literal.contains(|c: char| "\\.[]()*+?{}|^$".contains(c)),
                "`de.rs` only checks anchored literal patterns, not {pattern}"
            );
        }
    }
}
