//! Events: log, ingest (form and multipart, with a file), list with filters and pages, read,
//! delete.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::json;

use super::{id_of, log_event};
use crate::support::{Auth, TestServer, detail, send, str_of};

#[tokio::test]
async fn a_logged_event_is_returned_with_its_payload_and_episode() {
    let s = TestServer::start().await;
    let a = s.onboard("ev@example.com").await;
    let (status, event) = s
        .post(
            "/v1/events",
            a.key(),
            json!({"user_id": "alice", "agent_id": "bot", "thread_id": "t1",
                   "event_type": "tool_call", "content": {"tool": "search", "args": [1]},
                   "tenant_id": "whatever-the-sdk-sends"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{event}");
    assert_eq!(event["tenant_id"], a.tenant_id.as_str());
    assert_eq!(event["user_id"], "alice");
    assert_eq!(event["agent_id"], "bot");
    assert_eq!(event["thread_id"], "t1");
    assert_eq!(event["event_type"], "tool_call");
    assert_eq!(
        event["content_payload"],
        json!({"tool": "search", "args": [1]})
    );
    assert!(event["episode_id"].is_string());
    assert!(str_of(&event["timestamp"]).ends_with('Z'));

    let read = s
        .get(&format!("/v1/events/{}", id_of(&event)), a.key())
        .await;
    assert_eq!(read, (StatusCode::OK, event));
}

#[tokio::test]
async fn events_list_newest_first_with_filters_and_pages() {
    let s = TestServer::start().await;
    let a = s.onboard("evlist@example.com").await;
    let e1 = log_event(&s, a.key(), "alice", Some("t1"), "one").await;
    let e2 = log_event(&s, a.key(), "alice", Some("t2"), "two").await;
    let e3 = log_event(&s, a.key(), "bob", None, "three").await;

    let (status, all) = s.get("/v1/events", a.key()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all, json!([e3, e2, e1]), "a bare list, newest first");

    let (_, alice) = s
        .get("/v1/events?user_id=alice&limit=10&tenant_id=x", a.key())
        .await;
    assert_eq!(alice, json!([e2, e1]));
    let (_, t1) = s.get("/v1/events?thread_id=t1", a.key()).await;
    assert_eq!(t1, json!([e1]));
    let (_, by_type) = s.get("/v1/events?event_type=agent_response", a.key()).await;
    assert_eq!(by_type, json!([]));
    let episode = str_of(&e3["episode_id"]);
    let (_, by_episode) = s
        .get(&format!("/v1/events?episode_id={episode}"), a.key())
        .await;
    assert_eq!(by_episode, json!([e3]));

    // Pages: exact, last, past the end.
    let (_, page1) = s.get("/v1/events?limit=2", a.key()).await;
    assert_eq!(page1, json!([e3, e2]));
    let (_, page2) = s.get("/v1/events?limit=2&offset=2", a.key()).await;
    assert_eq!(page2, json!([e1]));
    let (_, empty) = s.get("/v1/events?limit=2&offset=3", a.key()).await;
    assert_eq!(empty, json!([]));
}

#[tokio::test]
async fn event_list_parameters_are_validated_like_fastapi() {
    let s = TestServer::start().await;
    let a = s.onboard("evq@example.com").await;
    let (status, body) = s.get("/v1/events?limit=1000", a.key()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        json!({"detail": [{"type": "less_than_equal", "loc": ["query", "limit"],
            "msg": "Input should be less than or equal to 200", "input": "1000", "ctx": {"le": 200}}]})
    );
    let (status, body) = s.get("/v1/events?limit=abc&offset=-1", a.key()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        json!({"detail": [
            {"type": "int_parsing", "loc": ["query", "limit"],
             "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "abc"},
            {"type": "greater_than_equal", "loc": ["query", "offset"],
             "msg": "Input should be greater than or equal to 0", "input": "-1", "ctx": {"ge": 0}}]})
    );
}

#[tokio::test]
async fn a_bad_event_body_gets_every_error_at_once() {
    let s = TestServer::start().await;
    let a = s.onboard("evbad@example.com").await;
    let (status, body) = s
        .post(
            "/v1/events",
            a.key(),
            json!({"event_type": 5, "content": "text"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        json!({"detail": [
            {"type": "missing", "loc": ["body", "user_id"], "msg": "Field required",
             "input": {"event_type": 5, "content": "text"}},
            {"type": "string_type", "loc": ["body", "event_type"], "msg": "Input should be a valid string", "input": 5},
            {"type": "dict_type", "loc": ["body", "content"], "msg": "Input should be a valid dictionary", "input": "text"}]})
    );
}

#[tokio::test]
async fn deleting_an_event_removes_it_and_then_404s() {
    let s = TestServer::start().await;
    let a = s.onboard("evdel@example.com").await;
    let event = log_event(&s, a.key(), "alice", None, "bye").await;
    let path = format!("/v1/events/{}", id_of(&event));
    let deleted = s.delete(&path, a.key()).await;
    assert_eq!(
        deleted,
        (
            StatusCode::OK,
            json!({"status": "deleted", "id": id_of(&event)})
        )
    );
    assert_eq!(
        s.get(&path, a.key()).await,
        detail(StatusCode::NOT_FOUND, "Event not found")
    );
    assert_eq!(
        s.delete(&path, a.key()).await,
        detail(StatusCode::NOT_FOUND, "Event not found")
    );
    assert_eq!(s.get("/v1/events", a.key()).await.1, json!([]));
    // Its episode had no other event, so it is gone too.
    assert_eq!(s.get("/v1/episodes", a.key()).await.1, json!([]));
}

#[tokio::test]
async fn events_are_append_only() {
    let s = TestServer::start().await;
    let a = s.onboard("evappend@example.com").await;
    let event = log_event(&s, a.key(), "alice", None, "fixed").await;
    let path = format!("/v1/events/{}", id_of(&event));
    let (status, _) = s.patch(&path, a.key(), json!({"content": {}})).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let (status, _) = s.call("PUT", &path, a.key(), Some(json!({}))).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn ingest_takes_form_fields_as_the_sdk_sends_them() {
    let s = TestServer::start().await;
    let a = s.onboard("ingest@example.com").await;
    let (status, body) = send(
        s.http
            .post(s.mg("/v1/ingest"))
            .header("X-API-KEY", &a.api_key)
            .form(&[
                ("user_id", "alice"),
                ("text", "I moved to Lisbon"),
                ("tenant_id", &a.tenant_id),
            ]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "accepted");
    let event_id = str_of(&body["event_id"]);
    let (_, event) = s.get(&format!("/v1/events/{event_id}"), a.key()).await;
    assert_eq!(event["event_type"], "user_message");
    assert_eq!(event["user_id"], "alice");
    assert_eq!(
        event["content_payload"],
        json!({"text": "I moved to Lisbon"})
    );
}

#[tokio::test]
async fn ingest_takes_a_multipart_file() {
    let s = TestServer::start().await;
    let a = s.onboard("ingestfile@example.com").await;
    let form = Form::new().text("user_id", "alice").part(
        "file",
        Part::bytes(b"Notes: the deploy target is Kubernetes".to_vec())
            .file_name("notes.txt")
            .mime_str("text/plain")
            .unwrap(),
    );
    let (status, body) = send(
        s.http
            .post(s.mg("/v1/ingest"))
            .header("X-API-KEY", &a.api_key)
            .multipart(form),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, event) = s
        .get(
            &format!("/v1/events/{}", str_of(&body["event_id"])),
            a.key(),
        )
        .await;
    assert_eq!(
        event["content_payload"],
        json!({"filename": "notes.txt", "content_type": "text/plain", "size": 38,
               "text": "Notes: the deploy target is Kubernetes"})
    );

    // A binary file is recorded by name and size, next to the text.
    let form = Form::new()
        .text("user_id", "alice")
        .text("text", "see attached")
        .part(
            "file",
            Part::bytes(vec![0xff, 0xfe, 0x00]).file_name("a.pdf"),
        );
    let (status, body) = send(
        s.http
            .post(s.mg("/v1/ingest"))
            .header("X-API-KEY", &a.api_key)
            .multipart(form),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, event) = s
        .get(
            &format!("/v1/events/{}", str_of(&body["event_id"])),
            a.key(),
        )
        .await;
    assert_eq!(event["content_payload"]["text"], "see attached");
    assert_eq!(event["content_payload"]["size"], 3);
}

#[tokio::test]
async fn ingest_without_a_user_or_content_is_refused() {
    let s = TestServer::start().await;
    let a = s.onboard("ingestbad@example.com").await;
    let (status, body) = send(
        s.http
            .post(s.mg("/v1/ingest"))
            .header("X-API-KEY", &a.api_key)
            .form(&[("text", "x")]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        json!({"detail": [{"type": "missing", "loc": ["body", "user_id"], "msg": "Field required", "input": null}]})
    );
    let (status, body) = send(
        s.http
            .post(s.mg("/v1/ingest"))
            .header("X-API-KEY", &a.api_key)
            .form(&[("user_id", "a")]),
    )
    .await;
    assert_eq!(
        (status, body),
        detail(StatusCode::BAD_REQUEST, "Either text or file is required")
    );
    // JSON is not a form: no fields at all.
    let (status, _) = s
        .post("/v1/ingest", a.key(), json!({"user_id": "a", "text": "x"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn unknown_event_ids_are_404_in_fastapi_shape() {
    let s = TestServer::start().await;
    let a = s.onboard("ev404@example.com").await;
    assert_eq!(
        s.get("/v1/events/nope", Auth::Key(&a.api_key)).await,
        detail(StatusCode::NOT_FOUND, "Event not found")
    );
}
