//! The search index behind `/v2/context`: it follows every change to the memories, memories
//! loaded without it are indexed before a search, and one tenant's memories never weigh on
//! another's scores.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{id_of, log_event, remember};
use crate::control_state::{export, import};
use crate::support::TestServer;

async fn context(s: &TestServer, who: crate::support::Auth<'_>, body: Value) -> Value {
    let (status, body) = s.post("/v2/context", who, body).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn ids(body: &Value) -> Vec<String> {
    body["memories"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect()
}

#[tokio::test]
async fn memories_loaded_without_their_words_are_found_as_before() {
    let s = TestServer::start().await;
    let a = s.onboard("idx1@example.com").await;
    remember(&s, a.key(), "alice", "drink", "Green tea, no sugar").await;
    remember(&s, a.key(), "alice", "drink", "Black tea").await;
    remember(&s, a.key(), "bob", "colour", "Green").await;
    log_event(&s, a.key(), "alice", None, "Ordered green tea again").await;
    let query = json!({"query": "green tea", "limit": 10});
    let before = context(&s, a.key(), query.clone()).await;
    assert_eq!(before["memories"].as_array().unwrap().len(), 4, "{before}");

    // A state document without the words (written by hand, or by a tool that knows only the
    // records) loads, and searches rank it as they did.
    let mut document: Value = serde_json::from_str(&export(&s, "").await).unwrap();
    for table in ["memgraph_beliefs", "memgraph_events"] {
        let table = &mut document["sessions"]["default"]["tables"][table];
        let columns = table["columns"].as_array_mut().unwrap();
        let at = columns.iter().position(|c| c == "search_bag").unwrap();
        columns.remove(at);
        for row in table["rows"].as_array_mut().unwrap() {
            row.as_array_mut().unwrap().remove(at);
        }
    }
    let (status, body) = import(&s, "", document.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(context(&s, a.key(), query).await, before);
}

#[tokio::test]
async fn a_changed_or_retracted_belief_is_searched_as_it_now_is() {
    let s = TestServer::start().await;
    let a = s.onboard("idx2@example.com").await;
    let city = remember(&s, a.key(), "alice", "city", "Lisbon").await;
    let (status, _) = s
        .patch(
            &format!("/v1/beliefs/{}", id_of(&city)),
            a.key(),
            json!({"value": "Porto"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let lisbon = context(&s, a.key(), json!({"query": "lisbon"})).await;
    assert_eq!(ids(&lisbon), Vec::<String>::new());
    let porto = context(&s, a.key(), json!({"query": "porto"})).await;
    assert_eq!(ids(&porto), vec![id_of(&city)]);

    let (status, _) = s
        .delete("/v1/beliefs?subject_id=alice&soft=true", a.key())
        .await;
    assert_eq!(status, StatusCode::OK);
    let gone = context(&s, a.key(), json!({"query": "porto"})).await;
    assert_eq!(ids(&gone), Vec::<String>::new());
}

#[tokio::test]
async fn another_tenants_memories_do_not_change_a_score() {
    let s = TestServer::start().await;
    let a = s.onboard("idx3@example.com").await;
    let b = s.onboard("idx4@example.com").await;
    let c = s.onboard("idx5@example.com").await;
    for tenant in [&a, &c] {
        remember(&s, tenant.key(), "alice", "editor", "Uses Neovim for Rust").await;
        remember(&s, tenant.key(), "alice", "food", "Likes ramen").await;
    }
    for i in 0..30 {
        let value = format!("Rust crate number {i}");
        remember(&s, b.key(), "alice", &format!("k{i}"), &value).await;
    }
    let query = json!({"query": "rust", "user_id": "alice"});
    let in_a = context(&s, a.key(), query.clone()).await;
    let in_c = context(&s, c.key(), query).await;
    assert_eq!(in_a["memories"].as_array().unwrap().len(), 1);
    assert_eq!(
        in_a["memories"][0]["score"], in_c["memories"][0]["score"],
        "{in_a} {in_c}"
    );
}
