//! What the request journal never shows: every redaction rule in one place.
//!
//! Headers are redacted when a request is recorded; bodies and query strings when the journal is
//! read (parsing them on every request would cost the hot path for nothing).

use axum::http::HeaderMap;
use serde_json::Value;

pub const REDACTED: &str = "[redacted]";

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
    fn forms_are_redacted() {
        assert_eq!(
            form("username=a%40b&password=pw&grant_type=password"),
            "username=a%40b&password=[redacted]&grant_type=password"
        );
    }
}
