//! Fault injection (`/_offcloud/faults`): rules, per session, that make matching requests to an
//! emulated service fail with a status and body, wait first, or lose their connection. The front
//! door consults them before the service runs.
//!
//! Emulator choices: `path` is a glob (`*` matches any run of characters, `/` included) over the
//! path the service sees (`/v1/auth/me`, whichever listener or prefix the client used); rules are
//! tried oldest first and the first match acts; a rule with `times` is removed once spent; a
//! delay alone (no `status`, no `drop`) lets the request through to the service afterwards.

use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body::Frame;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::service::{Service, Services};
use crate::session::SessionName;

/// A rule as a client writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRule {
    pub service: Option<String>,
    pub method: Option<String>,
    pub path: Option<String>,
    pub operation: Option<String>,
    pub status: Option<u16>,
    pub body: Option<Value>,
    pub delay_ms: Option<u64>,
    #[serde(default)]
    pub drop: bool,
    pub times: Option<u64>,
    pub probability: Option<f64>,
}

#[derive(Debug, Clone)]
struct Rule {
    id: String,
    session: SessionName,
    service: Option<&'static str>,
    method: Option<String>,
    path: Option<String>,
    operation: Option<String>,
    status: Option<StatusCode>,
    body: Option<Value>,
    delay_ms: u64,
    drop: bool,
    /// Matches left; `None` is forever.
    times: Option<u64>,
    probability: Option<f64>,
}

/// What a matching rule does to a request.
#[derive(Debug)]
pub struct Action {
    pub delay: Duration,
    pub outcome: Outcome,
}

#[derive(Debug)]
pub enum Outcome {
    /// Only delayed: the service answers afterwards.
    PassThrough,
    Respond(StatusCode, Option<Value>),
    Drop,
}

/// A day: longer delays are surely mistakes, and would hold a connection for ever.
const MAX_DELAY_MS: u64 = 86_400_000;

/// Rules kept at once, in all sessions: each may hold a body of up to 64 KiB, and every request
/// to a service is matched against them.
pub const MAX_RULES: usize = 1_000;

#[derive(Default)]
pub struct Faults {
    next_id: AtomicU64,
    /// How many rules exist, read without the lock: most requests meet no rule at all.
    count: AtomicUsize,
    rules: Mutex<Vec<Rule>>,
}

/// The parts of a request rules match on.
pub struct Target<'a> {
    pub session: &'a SessionName,
    pub service: &'static str,
    pub method: &'a str,
    pub path: &'a str,
}

impl Faults {
    pub fn add(
        &self,
        session: SessionName,
        new: NewRule,
        services: &Services,
    ) -> Result<Value, String> {
        let service =
            match &new.service {
                None => None,
                Some(name) => Some(services.by_name(name).map(|s| s.name()).ok_or_else(|| {
                    format!("unknown service {name:?}: use {}", services.listed())
                })?),
            };
        let status = match new.status {
            None => None,
            Some(code) => Some(
                StatusCode::from_u16(code)
                    .ok()
                    .filter(|s| (200..=599).contains(&s.as_u16()))
                    .ok_or_else(|| {
                        format!("\"status\" must be an HTTP status from 200 to 599, not {code}")
                    })?,
            ),
        };
        if new.body.is_some() && status.is_none() {
            return Err("a \"body\" needs a \"status\"".into());
        }
        if new.drop && status.is_some() {
            return Err("give \"drop\" or \"status\", not both".into());
        }
        let delay_ms = new.delay_ms.unwrap_or(0);
        if delay_ms > MAX_DELAY_MS {
            return Err("\"delay_ms\" may be at most a day (86400000)".into());
        }
        if status.is_none() && !new.drop && delay_ms == 0 {
            return Err("a fault needs an action: \"status\", \"delay_ms\" or \"drop\"".into());
        }
        if new.times == Some(0) {
            return Err("\"times\" must be at least 1 (leave it out for every time)".into());
        }
        if let Some(p) = new.probability
            && !(0.0..=1.0).contains(&p)
        {
            return Err("\"probability\" must be between 0 and 1".into());
        }
        let id = format!("fault-{}", self.next_id.fetch_add(1, Ordering::Relaxed) + 1);
        let rule = Rule {
            id,
            session,
            service,
            method: new.method.map(|m| m.to_ascii_uppercase()),
            path: new.path,
            operation: new.operation,
            status,
            body: new.body,
            delay_ms,
            drop: new.drop,
            times: new.times,
            probability: new.probability,
        };
        let view = rule.view();
        let mut rules = self.lock();
        if rules.len() >= MAX_RULES {
            return Err(format!(
                "at most {MAX_RULES} fault rules are kept at once (in all sessions): remove \
                 some first (DELETE /_offcloud/faults)"
            ));
        }
        rules.push(rule);
        self.count.store(rules.len(), Ordering::Relaxed);
        Ok(view)
    }

    pub fn list(&self, session: &SessionName) -> Vec<Value> {
        self.lock()
            .iter()
            .filter(|r| &r.session == session)
            .map(Rule::view)
            .collect()
    }

    /// Removes one rule of the session; answers whether it existed.
    pub fn remove(&self, session: &SessionName, id: &str) -> bool {
        let mut rules = self.lock();
        let before = rules.len();
        rules.retain(|r| !(&r.session == session && r.id == id));
        self.count.store(rules.len(), Ordering::Relaxed);
        rules.len() < before
    }

    /// Removes every rule of the session; answers how many went.
    pub fn clear(&self, session: &SessionName) -> usize {
        let mut rules = self.lock();
        let before = rules.len();
        rules.retain(|r| &r.session != session);
        self.count.store(rules.len(), Ordering::Relaxed);
        before - rules.len()
    }

    /// Whether some rule could match this request before its body is known, and whether one of
    /// those needs the GraphQL operation name (so the body must be read).
    pub fn candidates(&self, target: &Target) -> Option<bool> {
        if self.count.load(Ordering::Relaxed) == 0 {
            return None;
        }
        let rules = self.lock();
        let mut found = None;
        for rule in rules.iter().filter(|r| r.matches(target)) {
            found = Some(found.unwrap_or(false) || rule.operation.is_some());
        }
        found
    }

    /// The action of the first rule matching the request, counting the match.
    pub fn take(&self, target: &Target, operation: Option<&str>) -> Option<Action> {
        let mut rules = self.lock();
        let index = rules.iter().position(|r| {
            r.matches(target)
                && r.operation
                    .as_deref()
                    .is_none_or(|op| Some(op) == operation)
                && r.probability.is_none_or(|p| rand::random::<f64>() < p)
        })?;
        let rule = &mut rules[index];
        let action = Action {
            delay: Duration::from_millis(rule.delay_ms),
            outcome: if rule.drop {
                Outcome::Drop
            } else if let Some(status) = rule.status {
                Outcome::Respond(status, rule.body.clone())
            } else {
                Outcome::PassThrough
            },
        };
        if let Some(left) = &mut rule.times {
            *left -= 1;
            if *left == 0 {
                rules.remove(index);
                self.count.store(rules.len(), Ordering::Relaxed);
            }
        }
        Some(action)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Rule>> {
        // Rules are pushed, changed and removed whole: a poisoned lock still holds valid rules.
        self.rules.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Rule {
    fn matches(&self, t: &Target) -> bool {
        &self.session == t.session
            && self.service.is_none_or(|s| s == t.service)
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(t.method))
            && self.path.as_deref().is_none_or(|p| glob(p, t.path))
    }

    fn view(&self) -> Value {
        json!({
            "id": self.id,
            "session": self.session.as_str(),
            "service": self.service,
            "method": self.method,
            "path": self.path,
            "operation": self.operation,
            "status": self.status.map(|s| s.as_u16()),
            "body": self.body,
            "delay_ms": self.delay_ms,
            "drop": self.drop,
            "times": self.times,
            "probability": self.probability,
        })
    }
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == text;
    };
    if parts.len() == 1 {
        return pattern == text;
    }
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// The answer of a fault: the given body, or the service's own error shape.
pub fn respond(service: &dyn Service, status: StatusCode, body: Option<Value>) -> Response {
    match body {
        None => service.error_response(status),
        Some(Value::String(text)) => (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            text,
        )
            .into_response(),
        Some(value) => (status, axum::Json(value)).into_response(),
    }
}

/// A response whose body fails at once: hyper then aborts the connection, and the client sees a
/// dropped connection rather than a status.
pub fn dropped() -> Response {
    Response::new(Body::new(Broken))
}

struct Broken;

impl HttpBody for Broken {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Poll::Ready(Some(Err(axum::Error::new("connection dropped by a fault"))))
    }
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs_match() {
        assert!(glob("/v1/*", "/v1/auth/me"));
        assert!(glob("*/me", "/v1/auth/me"));
        assert!(glob("/v1/*/me", "/v1/auth/me"));
        assert!(glob("*", ""));
        assert!(glob("/exact", "/exact"));
        assert!(!glob("/exact", "/exact/more"));
        assert!(!glob("/v1/*/me", "/v2/auth/me"));
        assert!(!glob("/a*a", "/a"));
    }
}
