//! TypeDB fixtures follow the API's own rules: what the deploy route refuses, a fixture document
//! cannot create either.

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{TestServer, send, str_of};

async fn post_document(s: &TestServer, yaml: &str) -> (StatusCode, Value) {
    send(
        s.http
            .post(s.main_url("/_offcloud/fixtures"))
            .header("Content-Type", "application/yaml")
            .body(yaml.to_owned()),
    )
    .await
}

#[tokio::test]
async fn a_team_gets_one_free_cluster_and_paid_ones_only_with_a_payment_method() {
    let s = TestServer::start().await;
    let two_free = "typedb:
  teams:
    - id: acme
  clusters:
    - {team: acme, space: default, id: one, isFree: true}
    - {team: acme, space: default, id: two, isFree: true}
";
    let (status, body) = post_document(&s, two_free).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        str_of(&body["error"]),
        "request body:6: typedb.clusters[1].isFree: Team 'acme' already has a free cluster"
    );
    let unpaid = "typedb:
  teams:
    - {id: thrifty, hasPaymentMethod: false}
  clusters:
    - {team: thrifty, space: default, id: free, isFree: true}
    - {team: thrifty, space: default, id: paid}
";
    let (status, body) = post_document(&s, unpaid).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        str_of(&body["error"]),
        "request body:6: typedb.clusters[1].isFree: Team 'thrifty' has no valid payment method: \
         only a free cluster can be deployed or kept"
    );
    // Nothing of either document was applied.
    let (status, body) =
        post_document(&s, "typedb:\n  teams:\n    - id: acme\n    - id: thrifty\n").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}
