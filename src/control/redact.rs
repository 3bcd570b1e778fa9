//! What the request journal never shows: every redaction rule in one place.
//!
//! Headers are redacted when a request is recorded; bodies and query strings when the journal is
//! read (parsing them on every request would cost the hot path for nothing).

use axum::http::HeaderMap;
use serde_json::Value;

pub use crate::secrets::REDACTED;

/// Headers that carry credentials, lowercase.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "dg-auth",
    "x-auth-token",
    "x-dgraph-accesstoken",
    "x-hasura-admin-secret",
    "cookie",
    "set-cookie",
];

pub fn is_secret_header(name: &str) -> bool {
    SECRET_HEADERS.iter().any(|h| name.eq_ignore_ascii_case(h))
}

/// A JSON key, form field or query parameter that holds a secret: `password`, `secret`,
/// `clientSecret`, `token`, `access_token`, `jwtToken`, `api_key`, `apiKey`, `pat`, and anything
/// containing those words (`newPassword`, `refresh_token`, …).
pub fn is_secret_key(key: &str) -> bool {
    let normal: String = key
        .chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    normal == "pat"
        || ["password", "secret", "token", "apikey"]
            .iter()
            .any(|word| normal.contains(word))
}

/// The headers as recorded: name → value, secrets replaced (their presence stays visible).
pub fn headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = if is_secret_header(name.as_str()) {
                REDACTED.to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name.as_str().to_owned(), value)
        })
        .collect()
}

/// Replaces the value of every secret key, at any depth.
pub fn json(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                if is_secret_key(key) && !inner.is_null() {
                    *inner = Value::String(REDACTED.to_owned());
                } else {
                    json(inner);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(json),
        _ => {}
    }
}

/// A body that claims to be JSON but does not parse (a client's bug, or a test's bad input) is
/// still scanned: the value after every secret key is replaced, whatever surrounds it.
pub fn loose_json(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0; // `text[..copied]` is already in `out`
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'"' {
            i += 1;
            continue;
        }
        let key_end = string_end(bytes, i);
        let key = &text[i + 1..key_end.saturating_sub(1).max(i + 1)];
        let colon = skip_spaces(bytes, key_end);
        if bytes.get(colon) != Some(&b':') || !is_secret_key(key) {
            i = key_end;
            continue;
        }
        let value_start = skip_spaces(bytes, colon + 1);
        let value_end = match bytes.get(value_start) {
            Some(b'"') => string_end(bytes, value_start),
            // An object or array: its own keys are scanned as the loop goes on.
            Some(b'{' | b'[') | None => value_start,
            Some(_) => (value_start..bytes.len())
                .find(|&j| matches!(bytes[j], b',' | b'}' | b']' | b'\n'))
                .unwrap_or(bytes.len()),
        };
        if value_end > value_start {
            out.push_str(&text[copied..value_start]);
            out.push('"');
            out.push_str(REDACTED);
            out.push('"');
            copied = value_end;
        }
        i = value_end.max(colon + 1);
    }
    out.push_str(&text[copied..]);
    out
}

/// The index just past the JSON string starting at `start` (its closing quote, or the end).
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut j = start + 1;
    while j < bytes.len() {
        match bytes[j] {
            b'\\' => j += 2,
            b'"' => return j + 1,
            _ => j += 1,
        }
    }
    bytes.len()
}

fn skip_spaces(bytes: &[u8], mut j: usize) -> usize {
    while bytes.get(j).is_some_and(u8::is_ascii_whitespace) {
        j += 1;
    }
    j
}

/// Plain text with every JSON Web Token in it replaced: TypeDB's `POST /api/v1/auth` answers
/// with the bare access token as `text/plain`, and a JWT is a credential wherever it appears.
pub fn text(text: &str) -> String {
    let is_part = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("eyJ") {
        let candidate = &rest[start..];
        let end = candidate
            .find(|c: char| !is_part(c) && c != '.')
            .unwrap_or(candidate.len());
        let token = &candidate[..end];
        let parts: Vec<&str> = token.split('.').collect();
        let at_word_start = !rest[..start].ends_with(is_part);
        out.push_str(&rest[..start]);
        if at_word_start && parts.len() == 3 && parts[..2].iter().all(|p| !p.is_empty()) {
            out.push_str(REDACTED);
        } else {
            out.push_str(token);
        }
        rest = &candidate[end.max(3)..];
    }
    out.push_str(rest);
    out
}

/// An `a=b&c=d` string (query or form body) with secret fields' values replaced.
pub fn form(text: &str) -> String {
    text.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if is_secret_key(&decode(key)) => format!("{key}={REDACTED}"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn decode(key: &str) -> String {
    serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("{key}="))
        .ok()
        .and_then(|pairs| pairs.into_iter().next())
        .map_or_else(|| key.to_owned(), |(k, _)| k)
}

/// A GraphQL argument or input field that holds a secret: any [`is_secret_key`] name, and `key`
/// (Dgraph's API keys), except an environment variable's `key`, its name.
pub fn is_secret_argument(name: &str) -> bool {
    is_secret_key(name) || name.to_ascii_lowercase().ends_with("key")
}

/// What a GraphQL document gives away, read token by token (no recursion, so any document the
/// journal kept can be read; nothing is executed).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct GraphqlSecrets {
    /// The document with every secret literal replaced by `"[redacted]"`.
    pub document: String,
    /// The secret literals, unescaped: redacted by value in the rest of the entry too.
    pub values: Vec<String>,
    /// Variables passed where a secret goes, and how much of each is secret.
    pub variables: Vec<(String, VariableUse)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VariableUse {
    /// Passed as a secret argument: all of it.
    Whole,
    /// Passed as environment variables (`envs`, `envVars`): the `value` of each.
    EnvValues,
}

/// One level of nesting in a document: a selection set, an argument list, an input object or a
/// list.
struct Frame {
    /// Inside an argument list (argument values and input objects), not a selection set.
    args: bool,
    /// Everything in it is secret (the value of a secret argument).
    secret: bool,
    /// Environment variables: their `value` fields are secret.
    env: bool,
}

/// Finds the literal values of secret arguments (`login(password: "...")`, `{key: ..., value:
/// ...}` in an environment input, any argument named like a secret at any depth of an input
/// object) and the variables passed to them.
pub fn graphql(document: &str) -> GraphqlSecrets {
    let bytes = document.as_bytes();
    let mut found = GraphqlSecrets::default();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut frames: Vec<Frame> = Vec::new();
    // The name just read, the argument or input field whose value comes next, and the field
    // whose arguments open next.
    let mut last_name: Option<&str> = None;
    let mut key: Option<&str> = None;
    let mut variable_next = false;
    let is_env = |name: &str| name.to_ascii_lowercase().contains("env");
    let mut i = 0;
    while i < bytes.len() {
        let top = frames.last();
        let in_args = top.is_some_and(|f| f.args);
        // In an environment input, the variable's name (`key`) is not secret; its `value` is.
        let in_env = top.is_some_and(|f| f.env);
        let secret_here = in_args
            && (top.is_some_and(|f| f.secret)
                || (key.is_some_and(is_secret_argument) && !(in_env && key == Some("key")))
                || (key == Some("value") && in_env));
        let env_here = in_args && (top.is_some_and(|f| f.env) || key.is_some_and(is_env));
        match bytes[i] {
            b'#' => {
                i = bytes[i..]
                    .iter()
                    .position(|b| *b == b'\n')
                    .map_or(bytes.len(), |n| i + n);
                continue;
            }
            b'"' => {
                let (end, value) = string_literal(document, i);
                if secret_here {
                    spans.push((i, end));
                    found.values.push(value);
                }
                key = None;
                last_name = None;
                i = end;
                continue;
            }
            b'-' | b'0'..=b'9' => {
                let end = bytes[i + 1..]
                    .iter()
                    .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-')))
                    .map_or(bytes.len(), |n| i + 1 + n);
                if secret_here {
                    spans.push((i, end));
                    found.values.push(document[i..end].to_owned());
                }
                key = None;
                last_name = None;
                i = end;
                continue;
            }
            b'_' | b'a'..=b'z' | b'A'..=b'Z' => {
                let end = bytes[i..]
                    .iter()
                    .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
                    .map_or(bytes.len(), |n| i + n);
                let name = &document[i..end];
                if std::mem::take(&mut variable_next) {
                    if secret_here {
                        found.variables.push((name.to_owned(), VariableUse::Whole));
                    } else if env_here {
                        found
                            .variables
                            .push((name.to_owned(), VariableUse::EnvValues));
                    }
                    key = None;
                    last_name = None;
                } else {
                    if in_args {
                        // An enum value, `true`, `null`: the value of the key before it.
                        key = None;
                    }
                    last_name = Some(name);
                }
                i = end;
                continue;
            }
            b'$' => variable_next = true,
            b':' if in_args => key = last_name.take(),
            b'(' => {
                frames.push(Frame {
                    args: true,
                    secret: false,
                    env: false,
                });
                key = None;
                last_name = None;
            }
            b'{' | b'[' => {
                frames.push(Frame {
                    args: in_args,
                    secret: secret_here,
                    env: env_here,
                });
                key = None;
                last_name = None;
            }
            b')' | b'}' | b']' => {
                frames.pop();
                key = None;
                last_name = None;
            }
            _ => {}
        }
        i += 1;
    }
    let mut out = String::with_capacity(document.len());
    let mut copied = 0;
    for (start, end) in spans {
        out.push_str(&document[copied..start]);
        out.push('"');
        out.push_str(REDACTED);
        out.push('"');
        copied = end;
    }
    out.push_str(&document[copied..]);
    found.document = out;
    found
}

/// The end (just past the closing quotes) and the value of the string literal at `start`: a
/// `"..."` string or a `"""..."""` block string. An unterminated one runs to the end.
fn string_literal(document: &str, start: usize) -> (usize, String) {
    let bytes = document.as_bytes();
    if document[start..].starts_with("\"\"\"") {
        let mut j = start + 3;
        while j < bytes.len() {
            if document[j..].starts_with("\\\"\"\"") {
                j += 4;
            } else if document[j..].starts_with("\"\"\"") {
                return (j + 3, document[start + 3..j].to_owned());
            } else {
                j += 1;
            }
        }
        return (bytes.len(), document[start + 3..].to_owned());
    }
    let end = string_end(bytes, start);
    let literal = &document[start..end];
    let value = serde_json::from_str::<String>(literal).unwrap_or_else(|_| {
        literal
            .trim_start_matches('"')
            .trim_end_matches('"')
            .to_owned()
    });
    (end, value)
}

/// A GraphQL request's body (`{"query", "variables"}`, or a batch of them) with its document's
/// secret literals and the variables passed to secret arguments redacted; the literals are added
/// to `found`.
pub fn graphql_request(value: &mut Value, found: &mut Vec<String>) {
    match value {
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| graphql_request(item, found)),
        Value::Object(map) => {
            let Some(Value::String(document)) = map.get("query") else {
                return;
            };
            let secrets = graphql(document);
            if secrets.values.is_empty() && secrets.variables.is_empty() {
                return;
            }
            found.extend(secrets.values);
            map.insert("query".to_owned(), Value::String(secrets.document));
            if let Some(Value::Object(variables)) = map.get_mut("variables") {
                redact_variables(variables, &secrets.variables);
            }
        }
        _ => {}
    }
}

fn redact_variables(
    variables: &mut serde_json::Map<String, Value>,
    uses: &[(String, VariableUse)],
) {
    for (name, used) in uses {
        let Some(value) = variables.get_mut(name) else {
            continue;
        };
        match used {
            VariableUse::Whole if !value.is_null() => {
                *value = Value::String(REDACTED.to_owned());
            }
            VariableUse::Whole => {}
            VariableUse::EnvValues => env_values(value),
        }
    }
}

/// Every `value` field at any depth.
fn env_values(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                if key == "value" && !inner.is_null() {
                    *inner = Value::String(REDACTED.to_owned());
                } else {
                    env_values(inner);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(env_values),
        _ => {}
    }
}

/// A query string or form body: secret fields' values replaced, and a GraphQL request carried in
/// it (`?query=...&variables=...`, as GraphQL over GET sends) redacted as a body would be.
pub fn query_string(text: &str, found: &mut Vec<String>) -> String {
    let Ok(mut pairs) = serde_urlencoded::from_str::<Vec<(String, String)>>(text) else {
        return form(text);
    };
    let Some(document) = pairs.iter().find(|(k, _)| k == "query").map(|(_, v)| v) else {
        return form(text);
    };
    let secrets = graphql(document);
    if secrets.values.is_empty() && secrets.variables.is_empty() {
        return form(text);
    }
    for (key, value) in pairs.iter_mut() {
        match key.as_str() {
            "query" => *value = secrets.document.clone(),
            "variables" => {
                if let Ok(Value::Object(mut variables)) = serde_json::from_str(value) {
                    redact_variables(&mut variables, &secrets.variables);
                    *value = Value::Object(variables).to_string();
                }
            }
            _ => {}
        }
    }
    found.extend(secrets.values);
    form(&serde_urlencoded::to_string(&pairs).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_keys_are_recognised() {
        for key in [
            "password",
            "secret",
            "token",
            "api_key",
            "apiKey",
            "clientSecret",
            "pat",
            "access_token",
            "jwtToken",
            "new-password",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in ["email", "name", "path", "patch", "patterns", "id"] {
            assert!(!is_secret_key(key), "{key}");
        }
    }

    #[test]
    fn json_is_redacted_at_any_depth() {
        let mut v = json!({"email": "a@b", "password": "pw",
            "variables": {"input": [{"apiKey": "k", "name": "n"}]}, "token": null});
        json(&mut v);
        assert_eq!(
            v,
            json!({"email": "a@b", "password": "[redacted]",
                "variables": {"input": [{"apiKey": "[redacted]", "name": "n"}]}, "token": null})
        );
    }

    #[test]
    fn malformed_json_is_redacted_all_the_same() {
        assert_eq!(
            loose_json(r#"{"email": "a@b", "password" : "p\"w", "nested": {"apiKey": 12 } "#),
            r#"{"email": "a@b", "password" : "[redacted]", "nested": {"apiKey": "[redacted]"} "#
        );
        assert_eq!(loose_json(r#"{"token": "abc"#), r#"{"token": "[redacted]""#);
        assert_eq!(
            loose_json(r#"{"name": "token", "x": 1,"#),
            r#"{"name": "token", "x": 1,"#
        );
        assert_eq!(loose_json(r#"["password""#), r#"["password""#);
    }

    #[test]
    fn tokens_in_text_are_redacted() {
        assert_eq!(
            text("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"),
            "[redacted]"
        );
        assert_eq!(
            text("Bearer eyJa.eyJb.c, not eyJust.text or keyJa.b.c"),
            "Bearer [redacted], not eyJust.text or keyJa.b.c"
        );
    }

    #[test]
    fn secret_arguments_of_a_document_are_redacted_inline() {
        let found =
            graphql(r#"{ login(email:"dev@acme.test", password:"dg-test-password") { token } }"#);
        assert_eq!(
            found.document,
            r#"{ login(email:"dev@acme.test", password:"[redacted]") { token } }"#
        );
        assert_eq!(found.values, ["dg-test-password"]);

        let found = graphql(
            "mutation M($p: String!, $t: uuid!) { token: login(email: \"a\", password: $p) { token } \
             updateTenantEnv(tenantId: $t, currentHash: \"h\", envs: [{key: \"DB\", value: \"\"\"pg://x\"\"\"}]) { hash } }",
        );
        assert_eq!(found.variables, [("p".to_owned(), VariableUse::Whole)]);
        assert_eq!(found.values, ["pg://x"]);
        assert!(
            found
                .document
                .contains(r#"[{key: "DB", value: "[redacted]"}]"#)
        );
        assert!(found.document.contains(r#"currentHash: "h""#));

        let found =
            graphql("mutation($e: [UpdateEnvObject!]!) { updateTenantEnv(envs: $e) { hash } }");
        assert_eq!(found.variables, [("e".to_owned(), VariableUse::EnvValues)]);
        // Aliases and selections named like secrets are not values.
        assert_eq!(
            graphql("{ token: me { apiKey password } }").values,
            Vec::<String>::new()
        );
    }

    #[test]
    fn graphql_variables_passed_to_secrets_are_redacted_whatever_their_name() {
        let mut body = json!({
            "query": "mutation($p: String!, $envs: [E!]!) { login(email: \"a\", password: $p) { token } createTenant(envs: $envs) { id } }",
            "variables": {"p": "hunter22", "envs": [{"key": "K", "value": "v1"}]},
        });
        let mut found = Vec::new();
        graphql_request(&mut body, &mut found);
        assert_eq!(
            body["variables"],
            json!({"p": "[redacted]", "envs": [{"key": "K", "value": "[redacted]"}]})
        );
        let mut found = Vec::new();
        let query = query_string(
            "query=query(%24p%3AString)%7Blogin(password%3A%24p)%7Btoken%7D%7D&variables=%7B%22p%22%3A%22hunter22%22%7D",
            &mut found,
        );
        assert!(!query.contains("hunter22"), "{query}");
    }

    #[test]
    fn forms_are_redacted() {
        assert_eq!(
            form("username=a%40b&password=pw&grant_type=password"),
            "username=a%40b&password=[redacted]&grant_type=password"
        );
    }
}
