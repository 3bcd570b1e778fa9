//! Bad input everywhere: always an answer in Dgraph's shapes, never a 5xx.

use reqwest::StatusCode;
use serde_json::json;

use super::*;

#[tokio::test]
async fn bad_input_never_gets_a_server_error() {
    let s = start().await;
    let token = account(&s, "sweep@example.com").await;
    let d = deployment(&s, &token, "sweep", "free").await;
    let jwt = str_of(&d["jwtToken"]);
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("application/json", b"".to_vec()),
        ("application/json", b"{".to_vec()),
        ("application/json", b"[]".to_vec()),
        ("application/json", br#"{"query": 5}"#.to_vec()),
        ("application/json", br#"{"query": "{ nope }"}"#.to_vec()),
        ("application/json", br#"{"query": "mutation { dropData { response { code } } }"}"#.to_vec()),
        ("application/json", br#"{"query": "query($r: Int!) { restoreStatus(restoreId: $r) { response { status } } }", "variables": {"r": "abc"}}"#.to_vec()),
        ("application/json", br#"{"query": "{ deployments { uid } }", "variables": null}"#.to_vec()),
        ("application/json", br#"{"set": "x"}"#.to_vec()),
        ("application/graphql", vec![0xff, 0xfe]),
        ("text/plain", b"hello".to_vec()),
    ];
    let paths = [
        dg(&s, "/graphql"),
        dg(&s, "/deployments/create"),
        dg(&s, "/command-line/access-token"),
        dg(&s, "/command-line/access-token/refresh"),
        s.main_url("/_offcloud/dgraph/accounts"),
        backend_url(&d, "/admin"),
        backend_url(&d, "/admin/slash"),
        backend_url(&d, "/graphql"),
        backend_url(&d, "/query"),
        backend_url(&d, "/mutate"),
        backend_url(&d, "/alter"),
        backend_url(&d, "/nowhere"),
        backend_url(&d, "/exports/bad/g01.json.gz"),
    ];
    for path in &paths {
        for (content_type, body) in &bodies {
            let response = s
                .http
                .post(path)
                .bearer_auth(&token)
                .header("X-Auth-Token", &jwt)
                .header("Content-Type", *content_type)
                .body(body.clone())
                .send()
                .await
                .unwrap();
            let status = response.status();
            let text = response.text().await.unwrap();
            assert!(
                !status.is_server_error(),
                "{path} {content_type} {body:?}: {status} {text}"
            );
            assert!(
                serde_json::from_str::<serde_json::Value>(&text).is_ok()
                    || status == StatusCode::METHOD_NOT_ALLOWED,
                "{path}: {text}"
            );
        }
    }
    let (status, _) = send(
        s.http
            .patch(dg(&s, "/deployment/0x1"))
            .bearer_auth(&token)
            .body("{"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = send(s.http.get(dg(&s, "/graphql"))).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body, json!({"error": "Method Not Allowed"}));
    let (status, body) = send(s.http.get(backend_url(&d, "/admin"))).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body, json!({"errors": [{"message": "Method Not Allowed"}]}));
    let (status, body) = send(s.http.get(dg(&s, "/nowhere"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({"error": "Not Found"}));
}
