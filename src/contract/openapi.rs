//! A service's REST operations, read from its OpenAPI document, and the check of one request
//! against the operation its router matched: credentials (the operation's `security`), query and
//! header parameters, and the body against the schema of its content type.

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use serde_json::{Map, Value};

use super::schema::{self, Problem, Schemas};
use super::{Finding, Rule};

const METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "options"];

/// The REST operations of one OpenAPI document.
pub struct Api {
    pub operations: Vec<Operation>,
    schemas: Schemas,
}

/// One operation: `METHOD /path/template`.
pub struct Operation {
    /// `GET /v1/beliefs`, as coverage and violations name it.
    pub name: Arc<str>,
    pub method: String,
    pub template: String,
    params: Vec<Param>,
    /// Alternatives, each a set of credentials given together; none means no credentials.
    security: Vec<Vec<Credential>>,
    body: Option<RequestBody>,
    /// Why it is deprecated (its description's first line), when it is.
    deprecated: Option<String>,
}

struct Param {
    name: String,
    in_query: bool,
    required: bool,
    deprecated: bool,
    /// A query array written `a,b` rather than `x=a&x=b`.
    comma_separated: bool,
    schema: Value,
}

struct RequestBody {
    required: bool,
    /// By media type.
    content: Vec<(String, Value)>,
}

/// One credential a security scheme asks for.
#[derive(Debug, Clone, PartialEq)]
enum Credential {
    Bearer,
    Basic,
    /// The header's name, lowercase, and as the document writes it.
    Header(String, String),
}

impl Credential {
    fn given(&self, headers: &HeaderMap) -> bool {
        match self {
            Credential::Bearer | Credential::Basic => {
                let scheme = if *self == Credential::Bearer {
                    "bearer "
                } else {
                    "basic "
                };
                headers
                    .get(header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| {
                        v.len() > scheme.len() && v[..scheme.len()].eq_ignore_ascii_case(scheme)
                    })
            }
            Credential::Header(name, _) => headers.contains_key(name.as_str()),
        }
    }

    fn describe(&self) -> String {
        match self {
            Credential::Bearer => "`Authorization: Bearer ...`".to_owned(),
            Credential::Basic => "`Authorization: Basic ...`".to_owned(),
            Credential::Header(_, shown) => format!("`{shown}`"),
        }
    }
}

impl Api {
    pub fn from_document(doc: &Value) -> Api {
        let components = doc.get("components").cloned().unwrap_or(Value::Null);
        let schemes = components
            .get("securitySchemes")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let schemas = Schemas::new(components);
        let mut operations = Vec::new();
        for (template, item) in doc["paths"].as_object().into_iter().flatten() {
            for method in METHODS {
                let Some(op) = item.get(method) else {
                    continue;
                };
                operations.push(Operation::read(
                    method, template, op, item, &schemes, &schemas,
                ));
            }
        }
        Api {
            operations,
            schemas,
        }
    }

    pub fn find(&self, method: &str, template: &str) -> Option<&Operation> {
        self.operations
            .iter()
            .find(|op| op.method.eq_ignore_ascii_case(method) && op.template == template)
    }

    /// The problems of a request to `op`, and its body when it was read as JSON (see
    /// [`crate::contract::ParsedJson`]). `anonymous` names the flag that lets requests without
    /// credentials in, when it is on.
    pub fn check(
        &self,
        op: &Operation,
        parts: &Parts,
        body: Option<&Bytes>,
        anonymous: Option<&str>,
    ) -> (Vec<Finding>, Option<Value>) {
        let mut problems = Vec::new();
        if let Some(why) = &op.deprecated {
            problems.push(Problem {
                rule: Rule::Deprecated,
                message: format!("{} is deprecated{why}", op.name),
            });
        }
        self.credentials(op, &parts.headers, anonymous, &mut problems);
        self.query(op, parts.uri.query().unwrap_or_default(), &mut problems);
        for param in op.params.iter().filter(|p| !p.in_query && p.required) {
            if !parts.headers.contains_key(param.name.as_str()) {
                problems.push(Problem {
                    rule: Rule::MissingRequired,
                    message: format!("the `{}` header is required", param.name),
                });
            }
        }
        let json = self.body(op, &parts.headers, body, &mut problems);
        let findings = problems
            .into_iter()
            .map(|p| Finding {
                operation: Some(op.name.clone()),
                rule: p.rule,
                message: p.message,
            })
            .collect();
        (findings, json)
    }

    fn credentials(
        &self,
        op: &Operation,
        headers: &HeaderMap,
        anonymous: Option<&str>,
        out: &mut Vec<Problem>,
    ) {
        if op.security.is_empty()
            || op
                .security
                .iter()
                .any(|all| all.iter().all(|c| c.given(headers)))
        {
            return;
        }
        let any_given = op.security.iter().flatten().any(|c| c.given(headers));
        if let (Some(flag), false) = (anonymous, any_given) {
            out.push(Problem {
                rule: Rule::EmulatorOnly,
                message: format!(
                    "no credentials: the real API answers 401; offcloud lets this request in only because of {flag}"
                ),
            });
            return;
        }
        let alternatives: Vec<String> = op
            .security
            .iter()
            .map(|all| {
                all.iter()
                    .map(Credential::describe)
                    .collect::<Vec<_>>()
                    .join(" with ")
            })
            .collect();
        out.push(Problem {
            rule: Rule::MissingRequired,
            message: format!(
                "{} needs credentials: {}",
                op.name,
                alternatives.join(" or ")
            ),
        });
    }

    fn query(&self, op: &Operation, query: &str, out: &mut Vec<Problem>) {
        let Ok(pairs) = serde_urlencoded::from_str::<Vec<(String, String)>>(query) else {
            out.push(Problem {
                rule: Rule::WrongType,
                message: "the query string is not valid form encoding".to_owned(),
            });
            return;
        };
        let params: Vec<&Param> = op.params.iter().filter(|p| p.in_query).collect();
        let mut seen: Vec<&str> = Vec::new();
        for (name, _) in &pairs {
            if seen.contains(&name.as_str()) {
                continue;
            }
            seen.push(name);
            let place = format!("query.{name}");
            let Some(param) = params.iter().find(|p| p.name == *name) else {
                let known: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
                let mut message = schema::unknown_field(&place, name, &known);
                if known.is_empty() {
                    message = format!(
                        "`{place}` is not defined by the API: {} takes no query parameters",
                        op.name
                    );
                }
                out.push(Problem {
                    rule: Rule::UnknownField,
                    message,
                });
                continue;
            };
            if param.deprecated {
                out.push(Problem {
                    rule: Rule::Deprecated,
                    message: format!("`{place}` is deprecated"),
                });
            }
            let texts: Vec<&str> = pairs
                .iter()
                .filter(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
                .collect();
            let value = self.query_value(param, &texts);
            out.extend(self.schemas.check(&param.schema, &value, &place));
        }
        for param in params.iter().filter(|p| p.required) {
            if !seen.contains(&param.name.as_str()) {
                out.push(Problem {
                    rule: Rule::MissingRequired,
                    message: format!("`query.{}` is required", param.name),
                });
            }
        }
    }

    /// A query parameter's values as its schema reads them.
    fn query_value(&self, param: &Param, texts: &[&str]) -> Value {
        let schema = self.schemas.resolve(&param.schema);
        let is_array = schema.get("type").and_then(Value::as_str) == Some("array");
        if !is_array {
            return schema::coerce(
                &self.schemas,
                schema,
                texts.last().copied().unwrap_or_default(),
            );
        }
        let item = schema.get("items").cloned().unwrap_or(Value::Null);
        let texts: Vec<&str> = if param.comma_separated {
            texts.iter().flat_map(|t| t.split(',')).collect()
        } else {
            texts.to_vec()
        };
        Value::Array(
            texts
                .into_iter()
                .map(|t| schema::coerce(&self.schemas, &item, t))
                .collect(),
        )
    }

    /// Checks the body; answers it when it was parsed as JSON.
    fn body(
        &self,
        op: &Operation,
        headers: &HeaderMap,
        body: Option<&Bytes>,
        out: &mut Vec<Problem>,
    ) -> Option<Value> {
        let body = body.filter(|b| !b.iter().all(u8::is_ascii_whitespace));
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let media = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let (Some(body), Some(described)) = (body, &op.body) else {
            match (body, &op.body) {
                (None, Some(described)) if described.required => out.push(Problem {
                    rule: Rule::MissingRequired,
                    message: format!(
                        "{} needs a body ({})",
                        op.name,
                        described.media_types().join(" or ")
                    ),
                }),
                (Some(_), None) => out.push(Problem {
                    rule: Rule::UnknownField,
                    message: format!("{} takes no body", op.name),
                }),
                _ => {}
            }
            return None;
        };
        let schema = described.content.iter().find(|(m, _)| {
            *m == media
                || (m.ends_with("json")
                    && media.ends_with("+json")
                    && media.starts_with("application/"))
        });
        let Some((media, schema)) = schema else {
            out.push(Problem {
                rule: Rule::WrongType,
                message: format!(
                    "the body is sent as {}; {} takes {}",
                    if media.is_empty() {
                        "no Content-Type"
                    } else {
                        media.as_str()
                    },
                    op.name,
                    described.media_types().join(" or ")
                ),
            });
            return None;
        };
        let value = match read_body(media, content_type, body, &self.schemas, schema) {
            Ok(value) => value,
            Err(why) => {
                out.push(Problem {
                    rule: Rule::WrongType,
                    message: why,
                });
                return None;
            }
        };
        out.extend(self.schemas.check(schema, &value, "body"));
        media.ends_with("json").then_some(value)
    }
}

impl RequestBody {
    fn media_types(&self) -> Vec<&str> {
        self.content.iter().map(|(m, _)| m.as_str()).collect()
    }
}

/// A body as the JSON value its schema describes: JSON as is, a form's fields as an object (each
/// read as its property's type), text as a string.
fn read_body(
    media: &str,
    content_type: &str,
    body: &Bytes,
    schemas: &Schemas,
    schema: &Value,
) -> Result<Value, String> {
    if media.ends_with("json") {
        return serde_json::from_slice(body)
            .map_err(|e| format!("the body is not valid JSON: {e}"));
    }
    let fields: Vec<(String, String)> = if media == "application/x-www-form-urlencoded" {
        serde_urlencoded::from_bytes(body)
            .map_err(|_| "the body is not valid form encoding".to_owned())?
    } else if media == "multipart/form-data" {
        multipart_fields(content_type, body).ok_or("the body is not valid multipart/form-data")?
    } else {
        return Ok(Value::String(String::from_utf8_lossy(body).into_owned()));
    };
    let properties = schemas
        .resolve(schema)
        .get("properties")
        .cloned()
        .unwrap_or(Value::Null);
    let mut object = Map::new();
    for (name, text) in fields {
        let value = match properties.get(&name) {
            Some(property) => schema::coerce(schemas, property, &text),
            None => Value::String(text),
        };
        object.insert(name, value);
    }
    Ok(Value::Object(object))
}

/// The fields of a multipart body, by name; a file's content stands as an empty string.
fn multipart_fields(content_type: &str, body: &[u8]) -> Option<Vec<(String, String)>> {
    let boundary = content_type
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("boundary="))
        .next()?
        .trim_matches('"');
    let delimiter = format!("--{boundary}");
    let text = String::from_utf8_lossy(body);
    let mut fields = Vec::new();
    for part in text.split(delimiter.as_str()).skip(1) {
        if part.starts_with("--") {
            break;
        }
        let part = part.strip_prefix("\r\n").unwrap_or(part);
        let (head, content) = part.split_once("\r\n\r\n")?;
        let disposition = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition"))?;
        let param = |key: &str| {
            disposition.split(';').find_map(|p| {
                p.trim()
                    .strip_prefix(key)
                    .and_then(|v| v.strip_prefix('='))
                    .map(|v| v.trim_matches('"').to_owned())
            })
        };
        let name = param("name")?;
        let value = if param("filename").is_some() {
            String::new()
        } else {
            content.strip_suffix("\r\n").unwrap_or(content).to_owned()
        };
        fields.push((name, value));
    }
    Some(fields)
}

impl Operation {
    fn read(
        method: &str,
        template: &str,
        op: &Value,
        item: &Value,
        schemes: &Map<String, Value>,
        schemas: &Schemas,
    ) -> Operation {
        let method = method.to_ascii_uppercase();
        let mut params = Vec::new();
        let declared = item
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .chain(
                op.get("parameters")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten(),
            );
        for param in declared {
            let param = schemas.resolve(param);
            let location = param.get("in").and_then(Value::as_str).unwrap_or_default();
            if location != "query" && location != "header" {
                continue;
            }
            let name = param
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            params.push(Param {
                name: if location == "header" {
                    name.to_ascii_lowercase()
                } else {
                    name.to_owned()
                },
                in_query: location == "query",
                required: param.get("required") == Some(&Value::Bool(true)),
                deprecated: param.get("deprecated") == Some(&Value::Bool(true)),
                comma_separated: param.get("explode") == Some(&Value::Bool(false)),
                schema: param.get("schema").cloned().unwrap_or(Value::Null),
            });
        }
        let security = op
            .get("security")
            .and_then(Value::as_array)
            .map(|alternatives| {
                alternatives
                    .iter()
                    .map(|all| {
                        all.as_object()
                            .into_iter()
                            .flatten()
                            .filter_map(|(scheme, _)| credential(schemes.get(scheme)?))
                            .collect()
                    })
                    .collect()
            })
            .unwrap_or_default();
        let body = op.get("requestBody").map(|rb| RequestBody {
            required: rb.get("required") == Some(&Value::Bool(true)),
            content: rb
                .get("content")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(media, m)| {
                    (
                        media.to_ascii_lowercase(),
                        m.get("schema").cloned().unwrap_or(Value::Null),
                    )
                })
                .collect(),
        });
        let deprecated = (op.get("deprecated") == Some(&Value::Bool(true))).then(|| {
            op.get("description")
                .and_then(Value::as_str)
                .and_then(|d| d.lines().next())
                .map(|line| format!(": {line}"))
                .unwrap_or_default()
        });
        Operation {
            name: format!("{method} {template}").into(),
            method,
            template: template.to_owned(),
            params,
            security,
            body,
            deprecated,
        }
    }
}

fn credential(scheme: &Value) -> Option<Credential> {
    match scheme.get("type")?.as_str()? {
        "http" => match scheme
            .get("scheme")?
            .as_str()?
            .to_ascii_lowercase()
            .as_str()
        {
            "bearer" => Some(Credential::Bearer),
            "basic" => Some(Credential::Basic),
            _ => None,
        },
        "apiKey" if scheme.get("in")?.as_str()? == "header" => {
            let name = scheme.get("name")?.as_str()?;
            Some(Credential::Header(
                name.to_ascii_lowercase(),
                name.to_owned(),
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_fields_are_read_by_name() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"user_id\"\r\n\r\nu1\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XyZ--\r\n";
        assert_eq!(
            multipart_fields("multipart/form-data; boundary=XyZ", body),
            Some(vec![
                ("user_id".into(), "u1".into()),
                ("file".into(), String::new())
            ])
        );
    }
}
