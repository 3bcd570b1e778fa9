//! Integration tests of Memgraph's v2 records and the SDK's extras (docs/spec/memgraph.md §7.3):
//! knowledge graph, decisions, contradictions, sidecar, intelligence, and how they show in
//! stats, export/import, state and fixtures. Exact bodies; one submodule per area.

mod contradictions;
mod decisions;
mod graph;
mod intelligence;
mod records;
mod sidecar;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Auth, TestServer, str_of};

/// Creates an entity and returns it.
async fn entity(s: &TestServer, who: Auth<'_>, body: Value) -> Value {
    let (status, e) = s.post("/v2/entities", who, body).await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    e
}

/// Creates a relationship and returns it.
async fn relate(s: &TestServer, who: Auth<'_>, from: &Value, to: &Value, kind: &str) -> Value {
    let body = json!({"source_entity_id": from["id"], "target_entity_id": to["id"],
                      "relation_type": kind});
    let (status, r) = s.post("/v2/relationships", who, body).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    r
}

/// Stores a belief and returns it.
async fn believe(s: &TestServer, who: Auth<'_>, subject: &str, key: &str, value: &str) -> Value {
    let body = json!({"subject_id": subject, "key": key, "value": value});
    let (status, b) = s.post("/v1/beliefs", who, body).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    b
}

/// Records a decision and returns it.
async fn decide(s: &TestServer, who: Auth<'_>, body: Value) -> Value {
    let (status, d) = s.post("/v2/decisions", who, body).await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    d
}

fn id(v: &Value) -> String {
    str_of(&v["id"])
}

/// The ids of a list, in order.
fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("expected a list, got {list}"))
        .iter()
        .map(id)
        .collect()
}
