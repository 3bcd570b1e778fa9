//! The request journal: every request to an emulated service, kept in memory in a ring of
//! `--journal-size` entries (no database write per request), read with `GET /_offcloud/requests`.
//!
//! The hot path only copies: headers (secrets redacted on the spot) and the first
//! [`BODY_LIMIT`] bytes of each body, captured as the bodies stream through, so streaming
//! downloads pass untouched beyond that. Redacting bodies and finding GraphQL operation names
//! happen when the journal is read.
//!
//! Emulator choices: entries are listed oldest first (newest last, like a log; `limit` keeps the
//! newest); `time` is real wall-clock time (the journal is the emulator's, not a service's);
//! `duration_ms` runs until the response head is ready (a streamed body may go on after it).

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use http_body::{Frame, SizeHint};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::redact;
use crate::clip::clipped;
use crate::secrets::{Redactor, Secrets};
use crate::session::SessionName;

/// Bytes of each body kept; the rest passes through unrecorded.
pub const BODY_LIMIT: usize = 16 * 1024;

/// Bytes kept of a request's method, path and query and of each header value. A request's head can
/// be hundreds of KiB (hyper reads up to about 400 KiB of it) and the ring holds `--journal-size`
/// entries: what an entry keeps must not depend on what the client sends.
pub const HEAD_VALUE_LIMIT: usize = 4 * 1024;

/// Bytes kept of all the headers of a request or response together; the later ones are dropped.
const HEADERS_LIMIT: usize = 16 * 1024;

/// Headers as an entry keeps them: each value cut to [`HEAD_VALUE_LIMIT`], none once
/// [`HEADERS_LIMIT`] bytes are kept.
pub fn kept_headers(headers: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut kept = Vec::with_capacity(headers.len());
    let mut size = 0;
    for (name, value) in headers {
        let value = clipped(value, HEAD_VALUE_LIMIT);
        size += name.len() + value.len();
        if size > HEADERS_LIMIT {
            break;
        }
        kept.push((name, value));
    }
    kept
}

pub struct Journal {
    capacity: usize,
    next_id: AtomicU64,
    entries: Mutex<VecDeque<Arc<Entry>>>,
}

/// What the front door knows of a request before it runs.
pub struct Entry {
    pub id: u64,
    pub time: OffsetDateTime,
    pub session: SessionName,
    /// The service's name.
    pub service: &'static str,
    pub method: String,
    /// As the client sent it, prefixes included.
    pub path: String,
    pub query: Option<String>,
    pub request_headers: Vec<(String, String)>,
    pub request_body: Arc<Capture>,
    pub status: u16,
    pub duration: Duration,
    pub response_headers: Vec<(String, String)>,
    pub response_body: Arc<Capture>,
    /// The secret values of the request's session, redacted wherever they appear (see
    /// `crate::secrets`); kept here so they stay redacted after the session is gone.
    pub secrets: Arc<Secrets>,
}

/// The first bytes of a body, filled as it streams.
#[derive(Default)]
pub struct Capture(Mutex<Captured>);

#[derive(Default, Clone)]
struct Captured {
    bytes: Vec<u8>,
    truncated: bool,
}

impl Capture {
    fn keep(&self, chunk: &[u8]) {
        let mut captured = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let room = BODY_LIMIT.saturating_sub(captured.bytes.len());
        if chunk.len() > room {
            captured.truncated = true;
        }
        let take = chunk.len().min(room);
        captured.bytes.extend_from_slice(&chunk[..take]);
    }

    fn snapshot(&self) -> Captured {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Wraps a body so that what streams through it is also kept here.
    pub fn tee(self: &Arc<Self>, body: Body) -> Body {
        Body::new(Tee {
            inner: body,
            capture: self.clone(),
        })
    }
}

struct Tee {
    inner: Body,
    capture: Arc<Capture>,
}

impl HttpBody for Tee {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
        {
            self.capture.keep(data);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Journal {
    pub fn new(capacity: usize) -> Journal {
        Journal {
            capacity,
            next_id: AtomicU64::new(1),
            entries: Mutex::default(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.capacity > 0
    }

    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    pub fn push(&self, entry: Entry) {
        let mut entries = self.lock();
        while entries.len() >= self.capacity {
            entries.pop_front();
        }
        entries.push_back(Arc::new(entry));
    }

    /// Entries matching the filter, oldest first, at most `limit` (the newest ones).
    pub fn list(&self, filter: &Filter) -> Vec<Value> {
        let entries: Vec<Arc<Entry>> = self.lock().iter().cloned().collect();
        let mut found: Vec<Value> = entries
            .iter()
            .filter(|e| filter.matches_head(e))
            .filter_map(|e| {
                let view = e.view();
                filter.matches_operation(&view).then_some(view)
            })
            .collect();
        if let Some(limit) = filter.limit {
            let skip = found.len().saturating_sub(limit);
            found.drain(..skip);
        }
        found
    }

    /// Forgets every entry, or those of one session; answers how many went.
    pub fn clear(&self, session: Option<&SessionName>) -> usize {
        let mut entries = self.lock();
        let before = entries.len();
        match session {
            None => entries.clear(),
            Some(name) => entries.retain(|e| &e.session != name),
        }
        before - entries.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Arc<Entry>>> {
        // Entries are pushed and popped whole: a poisoned lock still holds a valid ring.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// `GET /_offcloud/requests` filters; all optional.
#[derive(Default, serde::Deserialize)]
pub struct Filter {
    pub session: Option<String>,
    pub service: Option<String>,
    pub method: Option<String>,
    /// A prefix of the path as the client sent it.
    pub path: Option<String>,
    pub status: Option<u16>,
    pub operation: Option<String>,
    pub limit: Option<usize>,
}

impl Filter {
    fn matches_head(&self, e: &Entry) -> bool {
        self.session
            .as_deref()
            .is_none_or(|s| s == e.session.as_str())
            && self.service.as_deref().is_none_or(|s| s == e.service)
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(&e.method))
            && self.path.as_deref().is_none_or(|p| e.path.starts_with(p))
            && self.status.is_none_or(|s| s == e.status)
    }

    fn matches_operation(&self, view: &Value) -> bool {
        self.operation
            .as_deref()
            .is_none_or(|op| view["operation"].as_str() == Some(op))
    }
}

impl Entry {
    /// The entry as the control API shows it, secrets redacted: by name (headers, fields and
    /// GraphQL arguments named like secrets), then by value (everything the session remembered,
    /// and the values of secret GraphQL arguments found in this entry) in every string shown.
    fn view(&self) -> Value {
        let request = self.request_body.snapshot();
        let request_type = header(&self.request_headers, "content-type");
        let operation = operation_name(
            request_type,
            (!request.truncated).then_some(request.bytes.as_slice()),
            self.query.as_deref(),
        );
        let mut found = Vec::new();
        let query = self
            .query
            .as_deref()
            .map(|q| redact::query_string(q, &mut found));
        let request = part(&self.request_headers, &request, &mut found);
        let response = part(
            &self.response_headers,
            &self.response_body.snapshot(),
            &mut found,
        );
        let redactor = Redactor::new(Some(&self.secrets), &found);
        let mut view = json!({
            "id": self.id,
            "time": crate::clock::iso(self.time),
            "session": self.session.as_str(),
            "service": self.service,
            "method": self.method,
            "path": self.path,
            "query": query,
            "operation": operation,
            "status": self.status,
            "duration_ms": self.duration.as_secs_f64() * 1000.0,
            "request": request,
            "response": response,
        });
        for field in ["path", "query", "request", "response"] {
            redactor.json(&mut view[field]);
        }
        view
    }
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn part(headers: &[(String, String)], body: &Captured, found: &mut Vec<String>) -> Value {
    let headers: Map<String, Value> = headers
        .iter()
        .map(|(n, v)| (n.clone(), Value::String(v.clone())))
        .collect();
    json!({
        "headers": headers,
        "body": body_view(header_of(&headers, "content-type"), body, found),
        "body_truncated": body.truncated,
    })
}

fn header_of<'m>(headers: &'m Map<String, Value>, name: &str) -> Option<&'m str> {
    headers.get(name).and_then(Value::as_str)
}

/// JSON bodies as JSON, form bodies and text as text, secrets redacted by name (JSON that does
/// not parse and text too, see `redact::loose_json` and `redact::text`; GraphQL documents by
/// their arguments, see `redact::graphql`). A truncated JSON or form body cannot be parsed to
/// find its secrets, so it is not shown (`body_truncated` says why). The values of secret
/// GraphQL arguments are added to `found`.
fn body_view(content_type: Option<&str>, body: &Captured, found: &mut Vec<String>) -> Value {
    if body.bytes.is_empty() {
        return Value::Null;
    }
    let content_type = content_type.unwrap_or_default().to_ascii_lowercase();
    let is_form = content_type.starts_with("application/x-www-form-urlencoded");
    if let Ok(mut value) = serde_json::from_slice::<Value>(&body.bytes) {
        redact::graphql_request(&mut value, found);
        redact::json(&mut value);
        return value;
    }
    if body.truncated
        && (is_form || content_type.contains("json") || content_type.contains("graphql"))
    {
        return Value::Null;
    }
    let text = String::from_utf8_lossy(&body.bytes);
    if is_form {
        return Value::String(redact::query_string(&text, found));
    }
    if content_type.contains("graphql") {
        let secrets = redact::graphql(&text);
        found.extend(secrets.values);
        return Value::String(redact::text(&secrets.document));
    }
    let trimmed = text.trim_start();
    if content_type.contains("json") || trimmed.starts_with('{') || trimmed.starts_with('[') {
        return Value::String(redact::text(&redact::loose_json(&text)));
    }
    Value::String(redact::text(&text))
}

/// The GraphQL operation a request runs: the body's `operationName`, else the name of the first
/// operation of its document (parsed, never matched as text); GET requests carry both in the
/// query string.
pub fn operation_name(
    content_type: Option<&str>,
    body: Option<&[u8]>,
    query: Option<&str>,
) -> Option<String> {
    let from_body = || -> Option<(Option<String>, Option<String>)> {
        let body = body.filter(|b| !b.is_empty())?;
        if content_type.is_some_and(|t| t.contains("form-urlencoded")) {
            return None;
        }
        let value: Value = serde_json::from_slice(body).ok()?;
        // A batch: the first request names the operation.
        let value = match value {
            Value::Array(mut items) if !items.is_empty() => items.swap_remove(0),
            other => other,
        };
        Some((
            value["operationName"].as_str().map(str::to_owned),
            value["query"].as_str().map(str::to_owned),
        ))
    };
    let from_query = || -> Option<(Option<String>, Option<String>)> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query?).ok()?;
        let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        Some((get("operationName"), get("query")))
    };
    let (name, document) = from_body().or_else(from_query)?;
    if let Some(name) = name.filter(|n| !n.is_empty()) {
        return Some(name);
    }
    let document = document?;
    // The parser recurses: a document nested deeper than any service accepts is not parsed here
    // either (a stack overflow would take the process down).
    crate::graphql_limits::GraphqlLimits::default()
        .check_text(&document)
        .ok()?;
    let document = async_graphql::parser::parse_query(document).ok()?;
    document
        .operations
        .iter()
        .next()
        .and_then(|(name, _)| name.map(|n| n.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_come_from_the_field_or_the_document() {
        let body = br#"{"query":"query Mine { a } query Other { b }","operationName":"Other"}"#;
        assert_eq!(
            operation_name(Some("application/json"), Some(body), None).as_deref(),
            Some("Other")
        );
        let body = br##"{"query":"# query Fake\nmutation Real($x: Int) { a(x: $x) }"}"##;
        assert_eq!(
            operation_name(None, Some(body), None).as_deref(),
            Some("Real")
        );
        assert_eq!(
            operation_name(None, Some(br#"{"query":"{ a }"}"#), None),
            None
        );
        assert_eq!(
            operation_name(None, None, Some("query=query%20Q%20%7B%20a%20%7D")).as_deref(),
            Some("Q")
        );
        assert_eq!(operation_name(None, Some(b"not json"), None), None);
        let deep = format!(
            r#"{{"query":"query Deep {{ a(x: {}1{}) }}"}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert_eq!(operation_name(None, Some(deep.as_bytes()), None), None);
    }

    #[test]
    fn captures_keep_the_first_bytes_only() {
        let capture = Capture::default();
        capture.keep(&[b'a'; BODY_LIMIT - 1]);
        capture.keep(b"bc");
        let kept = capture.snapshot();
        assert_eq!(kept.bytes.len(), BODY_LIMIT);
        assert!(kept.truncated);
    }

    #[test]
    fn headers_keep_a_bounded_prefix_whatever_the_client_sends() {
        let headers: Vec<(String, String)> = (0..100)
            .map(|i| (format!("x-pad-{i}"), "h".repeat(100 * 1024)))
            .collect();
        let kept = kept_headers(headers);
        let size: usize = kept.iter().map(|(n, v)| n.len() + v.len()).sum();
        assert!(size <= HEADERS_LIMIT, "{size} bytes kept");
        assert!(!kept.is_empty());
        assert!(kept[0].1.starts_with("hhh") && kept[0].1.ends_with("more characters)"));
        let few = vec![("accept".to_owned(), "application/json".to_owned())];
        assert_eq!(kept_headers(few.clone()), few);
    }
}
