//! Redaction by value: the secret values a session issued or verified (passwords checked or set,
//! API keys, personal access tokens, client secrets and backend keys issued or verified, JWTs
//! issued, environment values received), so that the request journal can blank them out wherever
//! they appear: a header, the query string, a GraphQL document's inline argument, a variable of
//! any name, a response body. Redaction by field name (`control/redact.rs`) misses a password
//! written inline in a document or a key in a field called `key`; the value itself does not.
//!
//! Secrets are remembered where they are issued or checked: [`remember`] remembers a value in the
//! session of the request being served (the front door scopes each service request with its
//! session's registry), and `crate::auth` calls it for every plaintext it wraps (`Secret::new`),
//! hashes (`sha256_hex`, how every key, token and client secret is stored and looked up) or signs
//! (`jwt::sign`); a service calls it for a secret that passes none of those (an environment
//! value), or `Session::remember_secret` outside a request. The registry is bounded per session (oldest values forgotten first) and goes
//! with its session; journal entries keep the registry of the session they belong to, so a
//! dropped session's requests stay redacted for as long as the journal shows them.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

/// What a redacted value reads as.
pub const REDACTED: &str = "[redacted]";

tokio::task_local! {
    /// The registry of the session whose request is being served.
    static CURRENT: Arc<Secrets>;
}

/// Runs a service's handling of one request with its session's registry as the current one.
pub async fn scope<F: std::future::Future>(secrets: Arc<Secrets>, f: F) -> F::Output {
    CURRENT.scope(secrets, f).await
}

/// Remembers a secret value in the session of the request being served; does nothing outside
/// one (fixtures loading at start, a unit test).
pub fn remember(value: &str) {
    let _ = CURRENT.try_with(|secrets| secrets.remember(value));
}

/// One session's remembered secret values.
#[derive(Debug, Default)]
pub struct Secrets(Mutex<Remembered>);

#[derive(Debug, Default)]
struct Remembered {
    /// Oldest first.
    values: VecDeque<Arc<str>>,
    bytes: usize,
    /// Built on first use after a change.
    matcher: Option<Arc<Matcher>>,
}

impl Secrets {
    /// Shorter values are not remembered: matching them would blank out every word that contains
    /// them, and a secret that short protects nothing.
    pub const MIN_LEN: usize = 4;
    /// Values kept per session; the oldest go first.
    pub const MAX_VALUES: usize = 512;
    /// Bytes kept per session; the oldest values go first, a longer value is not kept at all.
    pub const MAX_BYTES: usize = 64 * 1024;

    pub fn remember(&self, value: &str) {
        if value.len() < Secrets::MIN_LEN || value.len() > Secrets::MAX_BYTES {
            return;
        }
        let mut remembered = self.lock();
        // Known already: moved to the newest end, so a secret in use is the last forgotten.
        if let Some(i) = remembered.values.iter().position(|v| &**v == value) {
            if i + 1 == remembered.values.len() {
                return;
            }
            if let Some(known) = remembered.values.remove(i) {
                remembered.values.push_back(known);
            }
            return;
        }
        remembered.bytes += value.len();
        remembered.values.push_back(Arc::from(value));
        while remembered.values.len() > Secrets::MAX_VALUES || remembered.bytes > Secrets::MAX_BYTES
        {
            let Some(oldest) = remembered.values.pop_front() else {
                break;
            };
            remembered.bytes -= oldest.len();
        }
        remembered.matcher = None;
    }

    /// Remembers everything `other` remembered.
    pub fn absorb(&self, other: &Secrets) {
        let values: Vec<Arc<str>> = other.lock().values.iter().cloned().collect();
        for value in values {
            self.remember(&value);
        }
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.lock().values.is_empty()
    }

    /// A matcher of every remembered value (and the forms it takes in JSON and URL encoding).
    pub fn matcher(&self) -> Option<Arc<Matcher>> {
        let mut remembered = self.lock();
        if remembered.values.is_empty() {
            return None;
        }
        if remembered.matcher.is_none() {
            let values: Vec<&str> = remembered.values.iter().map(|v| &**v).collect();
            remembered.matcher = Matcher::new(&values).map(Arc::new);
        }
        remembered.matcher.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Remembered> {
        // Changed only by whole steps: a poisoned lock still holds a valid registry.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Finds secret values in text and replaces them with [`REDACTED`].
#[derive(Debug)]
pub struct Matcher(AhoCorasick);

impl Matcher {
    /// `None` when there is nothing to find.
    pub fn new(values: &[&str]) -> Option<Matcher> {
        let mut patterns: Vec<String> = Vec::with_capacity(values.len() * 2);
        for value in values {
            patterns.push((*value).to_owned());
            // As it reads inside a JSON or GraphQL string literal, and in a query string or form.
            let json = serde_json::to_string(value).unwrap_or_default();
            let json = json
                .strip_prefix('"')
                .and_then(|j| j.strip_suffix('"'))
                .unwrap_or_default();
            if json != *value {
                patterns.push(json.to_owned());
            }
            let form = serde_urlencoded::to_string([("", value)]).unwrap_or_default();
            let form = form.trim_start_matches('=');
            if form != *value {
                patterns.push(form.to_owned());
                patterns.push(form.replace('+', "%20"));
            }
        }
        patterns.retain(|p| !p.is_empty());
        if patterns.is_empty() {
            return None;
        }
        // A contiguous NFA: a DFA costs time quadratic in a long value to build (9 s for a
        // 40 KiB password), and secrets are matched only when the journal is read.
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .build(&patterns)
            .ok()
            .map(Matcher)
    }

    pub fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        if !self.0.is_match(text) {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        self.0.replace_all_with(text, &mut out, |_, _, out| {
            out.push_str(REDACTED);
            true
        });
        Cow::Owned(out)
    }
}

/// Every matcher that applies to one journal entry: its session's, and the values found in the
/// entry itself (a GraphQL argument named like a secret).
#[derive(Default)]
pub struct Redactor(Vec<Arc<Matcher>>);

impl Redactor {
    pub fn new(session: Option<&Secrets>, found: &[String]) -> Redactor {
        let mut matchers: Vec<Arc<Matcher>> =
            session.and_then(Secrets::matcher).into_iter().collect();
        let found: Vec<&str> = found
            .iter()
            .map(String::as_str)
            .filter(|v| v.len() >= Secrets::MIN_LEN)
            .collect();
        if let Some(local) = Matcher::new(&found) {
            matchers.push(Arc::new(local));
        }
        Redactor(matchers)
    }

    pub fn redact(&self, text: &str) -> String {
        let mut text = Cow::Borrowed(text);
        for matcher in &self.0 {
            if let Cow::Owned(changed) = matcher.redact(&text) {
                text = Cow::Owned(changed);
            }
        }
        text.into_owned()
    }

    /// Redacts every string of a JSON value, object keys included.
    pub fn json(&self, value: &mut serde_json::Value) {
        if self.0.is_empty() {
            return;
        }
        match value {
            serde_json::Value::String(s) => {
                let redacted = self.redact(s);
                if redacted != *s {
                    *s = redacted;
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| self.json(v)),
            serde_json::Value::Object(map) => {
                let keyed_by_secret = map.keys().any(|k| self.redact(k) != *k);
                if keyed_by_secret {
                    let old = std::mem::take(map);
                    for (k, v) in old {
                        map.insert(self.redact(&k), v);
                    }
                }
                map.values_mut().for_each(|v| self.json(v));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn remembered_values_are_redacted_wherever_they_appear() {
        let secrets = Secrets::default();
        secrets.remember("dg-test-password");
        secrets.remember("abc"); // too short to match by value
        let redactor = Redactor::new(Some(&secrets), &[]);
        assert_eq!(
            redactor.redact(r#"{ login(email:"a@b", password:"dg-test-password") { token } }"#),
            r#"{ login(email:"a@b", password:"[redacted]") { token } }"#
        );
        assert_eq!(redactor.redact("abc"), "abc");
        let mut body = json!({"data": {"key": "dg-test-password", "n": 1}});
        redactor.json(&mut body);
        assert_eq!(body, json!({"data": {"key": "[redacted]", "n": 1}}));
    }

    #[test]
    fn encoded_forms_are_redacted_too() {
        let secrets = Secrets::default();
        secrets.remember("p@ss \"word\"");
        let redactor = Redactor::new(Some(&secrets), &[]);
        assert_eq!(
            redactor.redact(r#"{"password":"p@ss \"word\""}"#),
            r#"{"password":"[redacted]"}"#
        );
        assert_eq!(
            redactor.redact("username=a&password=p%40ss+%22word%22"),
            "username=a&password=[redacted]"
        );
    }

    #[test]
    fn the_registry_is_bounded_and_keeps_what_is_in_use() {
        let secrets = Secrets::default();
        secrets.remember("first-secret");
        for i in 0..Secrets::MAX_VALUES {
            secrets.remember(&format!("secret-{i:04}"));
            if i % 100 == 0 {
                secrets.remember("first-secret");
            }
        }
        let redactor = Redactor::new(Some(&secrets), &[]);
        assert_eq!(redactor.redact("first-secret"), REDACTED);
        assert_eq!(redactor.redact("secret-0000"), "secret-0000");
        assert_eq!(secrets.lock().values.len(), Secrets::MAX_VALUES);
        secrets.remember(&"x".repeat(Secrets::MAX_BYTES + 1));
        assert_eq!(secrets.lock().values.len(), Secrets::MAX_VALUES);
    }
}
