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
    fn forms_are_redacted() {
        assert_eq!(
            form("username=a%40b&password=pw&grant_type=password"),
            "username=a%40b&password=[redacted]&grant_type=password"
        );
    }
}
