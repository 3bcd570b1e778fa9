//! A property of snapshots (issue 7): after any sequence of API calls over the four services,
//! export → reset → import gives the same document, byte for byte, and the services answer the
//! same as before (with tokens issued before the export).
//!
//! The calls are drawn from a seeded xorshift generator: a failure prints its seed, and
//! `OFFCLOUD_PROPERTY_SEED=<seed>` replays it.

use std::time::Duration;

use offcloud::config::Ttl;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::control_state::{export, import};
use crate::support::{Account, TestServer, send, str_of};

/// xorshift64: small, fast, and the same sequence for the same seed everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        (!items.is_empty()).then(|| &items[self.below(items.len())])
    }
}

/// What the calls made so far created, to aim later calls at.
#[derive(Default)]
struct World {
    memgraph: Vec<Account>,
    api_keys: Vec<(usize, String)>,
    beliefs: Vec<(usize, String)>,
    /// (team, access token).
    typedb: Vec<(String, String)>,
    clusters: Vec<(usize, String)>,
    /// Personal access tokens.
    hasura: Vec<String>,
    tenants: Vec<(usize, String)>,
    /// Cerebro tokens.
    dgraph: Vec<String>,
    deployments: Vec<(usize, String)>,
    /// Memgraph admins of a second session.
    side: Vec<Account>,
    made: usize,
}

const SUBJECTS: &[&str] = &["alice", "bob"];
const KEYS: &[&str] = &["city", "language", "team"];

fn config() -> offcloud::Config {
    let mut config = crate::dgraph::dgraph_config();
    // Lifecycles are instant and tokens outlive the clock jumps: what the services answer then
    // depends on the state alone, not on how much real time passed between two reads.
    let year = Ttl(Duration::from_secs(365 * 86_400));
    config.memgraph.jwt_ttl = year;
    config.typedb.token_ttl = year;
    config.dgraph.token_ttl = year;
    let instant = Ttl(Duration::ZERO);
    config.typedb.starting = instant;
    config.typedb.suspending = instant;
    config.typedb.resuming = instant;
    config.typedb.destroying = instant;
    config.dgraph.deployment_creation = instant;
    config.dgraph.export_duration = instant;
    config.dgraph.restore_duration = instant;
    config
}

#[tokio::test]
async fn random_calls_then_export_reset_import_give_the_same_state_and_answers() {
    let seed = std::env::var("OFFCLOUD_PROPERTY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(1);
            u64::from(nanos) | 1
        });
    println!("property seed: {seed} (replay with OFFCLOUD_PROPERTY_SEED={seed})");
    let mut rng = Rng(seed);
    let s = TestServer::start_with(config()).await;
    let mut world = World::default();
    for _ in 0..300 {
        step(&s, &mut world, &mut rng, seed).await;
    }

    let answers = observe(&s, &world).await;
    let exported = export(&s, "").await;
    // The calls reached every service (so the comparison below is about something).
    let document: Value = serde_json::from_str(&exported).unwrap();
    let tables = document["sessions"]["default"]["tables"]
        .as_object()
        .unwrap();
    for service in ["memgraph_", "typedb_", "hasura_", "dgraph_"] {
        assert!(
            tables.keys().any(|t| t.starts_with(service)),
            "seed {seed}: no {service} rows"
        );
    }
    println!(
        "tables with rows: {:?}",
        tables
            .iter()
            .map(|(name, t)| (name.as_str(), t["rows"].as_array().map_or(0, Vec::len)))
            .collect::<Vec<_>>()
    );
    let (status, body) = send(s.http.post(s.main_url("/_offcloud/reset?all=true"))).await;
    assert_eq!(status, StatusCode::OK, "seed {seed}: {body}");
    let (status, body) = import(&s, "", exported.clone()).await;
    assert_eq!(status, StatusCode::OK, "seed {seed}: {body}");
    assert_eq!(
        export(&s, "").await,
        exported,
        "seed {seed}: export → reset → import → export"
    );
    let again = observe(&s, &world).await;
    for (before, after) in answers.iter().zip(&again) {
        assert_eq!(before, after, "seed {seed}");
    }
    assert_eq!(answers.len(), again.len());

    // The same document into another offcloud reads back the same too.
    let other = TestServer::start_with(config()).await;
    let (status, body) = import(&other, "", exported.clone()).await;
    assert_eq!(status, StatusCode::OK, "seed {seed}: {body}");
    assert_eq!(export(&other, "").await, exported, "seed {seed}");
}

/// One random call; every answer must be a deliberate one (no 5xx), whatever the call.
async fn step(s: &TestServer, w: &mut World, rng: &mut Rng, seed: u64) {
    w.made += 1;
    let n = w.made;
    let (what, status, body): (&str, StatusCode, Value) = match rng.below(16) {
        0 if w.memgraph.len() < 3 => {
            w.memgraph
                .push(s.onboard(&format!("mg{n}@example.com")).await);
            return;
        }
        0 | 1 => {
            let Some(i) = rng
                .pick(&(0..w.memgraph.len()).collect::<Vec<_>>())
                .copied()
            else {
                return;
            };
            let a = &w.memgraph[i];
            let (status, body) = s
                .post(
                    "/v1/api-keys",
                    a.bearer(),
                    json!({"name": format!("key {n}")}),
                )
                .await;
            if status.is_success() {
                w.api_keys.push((i, str_of(&body["id"])));
            }
            ("create api key", status, body)
        }
        2 => {
            let Some((i, id)) = rng.pick(&w.api_keys).cloned() else {
                return;
            };
            let a = &w.memgraph[i];
            let (status, body) = s.delete(&format!("/v1/api-keys/{id}"), a.bearer()).await;
            ("revoke api key", status, body)
        }
        3 | 4 => {
            let Some(i) = rng
                .pick(&(0..w.memgraph.len()).collect::<Vec<_>>())
                .copied()
            else {
                return;
            };
            let a = &w.memgraph[i];
            let subject = rng.pick(SUBJECTS).copied().unwrap_or("alice");
            let key = rng.pick(KEYS).copied().unwrap_or("city");
            let (status, body) = s
                .post(
                    "/v1/beliefs",
                    a.key(),
                    json!({"subject_id": subject, "key": key, "value": format!("v{n}"),
                           "confidence": (rng.below(100) as f64) / 100.0}),
                )
                .await;
            if status.is_success() {
                w.beliefs.push((i, str_of(&body["id"])));
            }
            ("remember", status, body)
        }
        5 => {
            let Some((i, id)) = rng.pick(&w.beliefs).cloned() else {
                return;
            };
            let a = &w.memgraph[i];
            let (status, body) = s.delete(&format!("/v1/beliefs/{id}"), a.key()).await;
            ("forget", status, body)
        }
        6 if w.typedb.len() < 3 => {
            let team = format!("team{n}");
            let token = crate::typedb::bearer(s, &team, "default", "admin").await;
            w.typedb.push((team, token));
            return;
        }
        6 | 7 => {
            let Some(i) = rng.pick(&(0..w.typedb.len()).collect::<Vec<_>>()).copied() else {
                return;
            };
            let (team, token) = &w.typedb[i];
            let id = format!("cluster-{n}");
            let (status, body) = crate::typedb::call(
                s,
                "POST",
                &crate::typedb::clusters(team, "default", "/deploy"),
                Some(token),
                Some(crate::typedb::paid_cluster(&id)),
            )
            .await;
            if status.is_success() {
                w.clusters.push((i, id));
            }
            ("deploy cluster", status, body)
        }
        8 => {
            let Some((i, id)) = rng.pick(&w.clusters).cloned() else {
                return;
            };
            let (team, token) = &w.typedb[i];
            let (status, body) = crate::typedb::call(
                s,
                "DELETE",
                &crate::typedb::clusters(team, "default", &format!("/{id}")),
                Some(token),
                None,
            )
            .await;
            ("delete cluster", status, body)
        }
        9 if w.hasura.len() < 3 => {
            w.hasura
                .push(hasura_user(s, &format!("h{n}@example.com")).await);
            return;
        }
        9 | 10 => {
            let Some(i) = rng.pick(&(0..w.hasura.len()).collect::<Vec<_>>()).copied() else {
                return;
            };
            let body = hasura_gql(
                s,
                Some(&w.hasura[i]),
                "mutation($name: String, $region: String!, $cloud: String!) { createTenant(cloud: $cloud, region: $region, name: $name) { id name } }",
                json!({"name": format!("project-{n}"), "cloud": "aws", "region": "us-east-2"}),
            )
            .await;
            if let Some(id) = body["data"]["createTenant"]["id"].as_str() {
                w.tenants.push((i, id.to_owned()));
            }
            ("create project", StatusCode::OK, body)
        }
        11 => {
            let Some((i, id)) = rng.pick(&w.tenants).cloned() else {
                return;
            };
            let body = hasura_gql(
                s,
                Some(&w.hasura[i]),
                "mutation($id: uuid!) { deleteTenant(tenantId: $id) { status } }",
                json!({ "id": id }),
            )
            .await;
            ("delete project", StatusCode::OK, body)
        }
        12 if w.dgraph.len() < 2 => {
            w.dgraph
                .push(crate::dgraph::account(s, &format!("dg{n}@example.com")).await);
            return;
        }
        12 | 13 => {
            let Some(token) = rng.pick(&w.dgraph).cloned() else {
                return;
            };
            let i = w.dgraph.iter().position(|t| *t == token).unwrap_or(0);
            let (status, body) = crate::dgraph::cerebro(
                s,
                Some(&token),
                "mutation($d: NewDeployment!) { createDeployment(input: $d) { uid } }",
                json!({"d": {"name": format!("dep{n}"), "zone": "us-east-1", "deploymentType": "free"}}),
            )
            .await;
            if let Some(uid) = body["data"]["createDeployment"]["uid"].as_str() {
                w.deployments.push((i, uid.to_owned()));
            }
            ("create deployment", status, body)
        }
        14 => {
            let Some((i, uid)) = rng.pick(&w.deployments).cloned() else {
                return;
            };
            let (status, body) = crate::dgraph::cerebro(
                s,
                Some(&w.dgraph[i]),
                "mutation($id: String!) { deleteDeployment(deploymentID: $id) }",
                json!({ "id": uid }),
            )
            .await;
            ("delete deployment", status, body)
        }
        _ if rng.below(3) == 0 && w.side.len() < 2 => {
            let base = format!("{}/_session/side", s.mg(""));
            w.side
                .push(s.onboard_at(&base, &format!("side{n}@example.com")).await);
            return;
        }
        _ => {
            let by = Duration::from_secs(1 + rng.below(3600) as u64);
            s.advance("default", by).await;
            return;
        }
    };
    assert!(
        !status.is_server_error(),
        "seed {seed}, call {n} ({what}): {status} {body}"
    );
}

/// What a client sees: listings of every service, with the tokens issued along the way (none of
/// these reads changes the state).
async fn observe(s: &TestServer, w: &World) -> Vec<(String, StatusCode, Value)> {
    let mut seen = Vec::new();
    for a in &w.memgraph {
        for path in [
            "/v1/auth/me".to_owned(),
            "/v1/api-keys".to_owned(),
            "/v1/users".to_owned(),
        ]
        .into_iter()
        .chain(
            SUBJECTS
                .iter()
                .map(|subject| format!("/v1/beliefs?subject_id={subject}&include_inactive=true")),
        ) {
            let (status, body) = s.get(&path, a.bearer()).await;
            seen.push((format!("memgraph {} {path}", a.email), status, body));
        }
    }
    for a in &w.side {
        let (status, body) = send(
            s.http
                .get(s.mg("/_session/side/v1/auth/me"))
                .bearer_auth(&a.token),
        )
        .await;
        seen.push((format!("side {}", a.email), status, body));
    }
    for (team, token) in &w.typedb {
        let path = crate::typedb::clusters(team, "default", "");
        let (status, body) = crate::typedb::call(s, "GET", &path, Some(token), None).await;
        seen.push((format!("typedb {path}"), status, body));
    }
    for pat in &w.hasura {
        let body = hasura_gql(
            s,
            Some(pat),
            "{ projects(order_by: {name: asc}) { id name tenant { id region } } }",
            json!({}),
        )
        .await;
        seen.push(("hasura projects".to_owned(), StatusCode::OK, body));
    }
    for token in &w.dgraph {
        let (status, body) = crate::dgraph::cerebro(
            s,
            Some(token),
            "{ deployments { uid name url jwtToken deploymentType } }",
            json!({}),
        )
        .await;
        seen.push(("dgraph deployments".to_owned(), status, body));
    }
    seen
}

/// A Hasura Cloud user made through the control API: their personal access token.
async fn hasura_user(s: &TestServer, email: &str) -> String {
    let (status, body) = send(
        s.http
            .post(s.main_url("/_offcloud/hasura/users"))
            .json(&json!({ "email": email })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    str_of(&body["pat"])
}

/// A GraphQL request to Hasura Cloud (which answers 200 whatever happens).
async fn hasura_gql(s: &TestServer, pat: Option<&str>, query: &str, variables: Value) -> Value {
    let mut request = s
        .http
        .post(format!("http://{}/v1/graphql", s.hasura))
        .json(&json!({"query": query, "variables": variables}));
    if let Some(pat) = pat {
        request = request.header("authorization", format!("pat {pat}"));
    }
    let (status, body) = send(request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}
