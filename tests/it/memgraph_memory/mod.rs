//! Integration tests of memgraph memory: one submodule per area.

mod beliefs;
mod context;
mod episodes;
mod events;
mod export;
mod rate_limit;
mod roles;
mod search;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Auth, TestServer, str_of};

/// Stores a belief and returns it.
async fn remember(s: &TestServer, who: Auth<'_>, subject: &str, key: &str, value: &str) -> Value {
    let (status, body) = s
        .post(
            "/v1/beliefs",
            who,
            json!({"subject_id": subject, "key": key, "value": value}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

/// Logs a `user_message` event and returns it.
async fn log_event(
    s: &TestServer,
    who: Auth<'_>,
    user: &str,
    thread: Option<&str>,
    text: &str,
) -> Value {
    let mut body =
        json!({"user_id": user, "event_type": "user_message", "content": {"text": text}});
    if let Some(thread) = thread {
        body["thread_id"] = json!(thread);
    }
    let (status, event) = s.post("/v1/events", who, body).await;
    assert_eq!(status, StatusCode::CREATED, "{event}");
    event
}

fn id_of(v: &Value) -> String {
    str_of(&v["id"])
}
