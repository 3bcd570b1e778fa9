//! The SDL offcloud publishes for Hasura stays what clients and tools were generated against:
//! byte for byte the document saved in `schema.graphql` next to this file.

use reqwest::StatusCode;

use crate::support::TestServer;

#[tokio::test]
async fn the_published_sdl_is_byte_identical_to_the_saved_one() {
    let s = TestServer::start().await;
    let response = s
        .http
        .get(s.main_url("/_offcloud/schema/hasura.graphql"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let published = response.text().await.unwrap();
    assert!(
        published == include_str!("schema.graphql"),
        "the Hasura SDL changed; if on purpose, save the new one to tests/it/hasura/schema.graphql"
    );
    s.stop().await;
}
