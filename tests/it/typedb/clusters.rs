//! Deploy, get, list, update and clone, with the catalogue and free-tier rules.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{
    BAD, OK, assert_error, bearer, call, clusters, free_cluster, listed_ids, paid_cluster,
};
use crate::support::{TestServer, send};

const ORDER: [&str; 14] = [
    "id",
    "serverCount",
    "storageSizeGB",
    "isFree",
    "status",
    "createdAt",
    "teamID",
    "spaceID",
    "version",
    "provider",
    "region",
    "machineType",
    "storageType",
    "servers",
];

#[tokio::test]
async fn deploying_the_docs_example_answers_a_starting_cluster_in_the_documented_shape() {
    let s = TestServer::start().await;
    let token = bearer(&s, "new-team", "default", "write").await;
    let before = s.session("default").await.clock().now().unix_timestamp() * 1000;
    let body: Value = serde_json::from_str(r#"{"id":"api-cluster","serverCount":1,"storageSizeGB":10,"provider":"gcp","region":"europe-west2","isFree":true,"machineType":"c2d-highcpu-2","storageType":"standard-rwo","version":"latest"}"#).unwrap();
    let (status, cluster) = call(
        &s,
        "POST",
        &clusters("new-team", "default", "/deploy"),
        Some(&token),
        Some(body),
    )
    .await;
    assert_eq!(status, OK, "{cluster}");
    let keys: Vec<&str> = cluster
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ORDER);
    let created_at = cluster["createdAt"].as_i64().unwrap();
    assert!(created_at >= before && created_at < before + 60_000);
    let address = cluster["servers"][0]["address"].as_str().unwrap();
    let prefix = address.strip_suffix("-0.cluster.typedb.com:80").unwrap();
    assert!(prefix.len() == 6 && prefix.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(
        cluster,
        json!({
            "id": "api-cluster", "serverCount": 1, "storageSizeGB": 10, "isFree": true,
            "status": "starting", "createdAt": created_at, "teamID": "new-team",
            "spaceID": "default", "version": "3.5.5", "provider": "gcp",
            "region": "europe-west2", "machineType": "c2d-highcpu-2",
            "storageType": "standard-rwo",
            "servers": [{"address": address, "status": "pending"}]
        })
    );
    let got = call(
        &s,
        "GET",
        &clusters("new-team", "default", "/api-cluster"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(got, (OK, cluster.clone()));
    let listed = call(
        &s,
        "GET",
        &clusters("new-team", "default", ""),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(listed, (OK, json!([cluster])));
}

#[tokio::test]
async fn the_list_is_in_creation_order_with_addresses_per_server() {
    let s = TestServer::start().await;
    let token = bearer(&s, "t", "default", "write").await;
    let path = clusters("t", "default", "/deploy");
    let deploy = |body: Value| call(&s, "POST", &path, Some(&token), Some(body));
    assert_eq!(deploy(paid_cluster("zeta")).await.0, OK);
    s.advance("default", Duration::from_millis(5)).await;
    let mut three = paid_cluster("alpha");
    three["serverCount"] = json!(3);
    three["version"] = json!("2.29.3");
    let (status, alpha) = deploy(three).await;
    assert_eq!(status, OK, "{alpha}");
    let servers = alpha["servers"].as_array().unwrap();
    assert_eq!(servers.len(), 3);
    let prefix = servers[0]["address"]
        .as_str()
        .unwrap()
        .split('-')
        .next()
        .unwrap()
        .to_owned();
    for (i, server) in servers.iter().enumerate() {
        assert_eq!(
            server["address"],
            format!("{prefix}-{i}.cluster.typedb.com:80")
        );
    }
    let ids = listed_ids(&s, &token).await;
    assert_eq!(ids, ["zeta", "alpha"]);
}

#[tokio::test]
async fn clusters_made_in_the_same_moment_list_in_the_order_made_even_renamed() {
    // Deployed back to back, several land on the same millisecond of `createdAt`; ids run
    // backwards so that an order by id would show. CI once saw a renamed cluster jump ahead.
    let s = TestServer::start().await;
    let token = bearer(&s, "t", "default", "write").await;
    let path = clusters("t", "default", "/deploy");
    let made: Vec<String> = (0..12).rev().map(|i| format!("c{i:02}")).collect();
    for id in &made {
        let (status, body) = call(&s, "POST", &path, Some(&token), Some(paid_cluster(id))).await;
        assert_eq!(status, OK, "{body}");
    }
    let (status, body) = call(
        &s,
        "PATCH",
        &clusters("t", "default", "/c11"),
        Some(&token),
        Some(json!({"id": "z-renamed"})),
    )
    .await;
    assert_eq!(status, OK, "{body}");
    let ids = listed_ids(&s, &token).await;
    let mut expected = made;
    expected[0] = "z-renamed".to_owned();
    assert_eq!(ids, expected);
}

#[tokio::test]
async fn a_duplicate_id_in_the_space_is_409_and_another_space_may_reuse_it() {
    let s = TestServer::start().await;
    let token = bearer(&s, "t", "default", "write").await;
    let other = bearer(&s, "t", "staging", "write").await;
    let path = clusters("t", "default", "/deploy");
    assert_eq!(
        call(&s, "POST", &path, Some(&token), Some(paid_cluster("c")))
            .await
            .0,
        OK
    );
    let again = call(&s, "POST", &path, Some(&token), Some(paid_cluster("c"))).await;
    assert_error(&again, StatusCode::CONFLICT, "ALREADY_EXISTS");
    // The docs' free example twice: the id clash is what the client hears
    // (docs/spec/typedb.md §13.5).
    assert_eq!(
        call(
            &s,
            "POST",
            &path,
            Some(&token),
            Some(free_cluster("api-cluster"))
        )
        .await
        .0,
        OK
    );
    let twice = call(
        &s,
        "POST",
        &path,
        Some(&token),
        Some(free_cluster("api-cluster")),
    )
    .await;
    assert_error(&twice, StatusCode::CONFLICT, "ALREADY_EXISTS");
    let elsewhere = call(
        &s,
        "POST",
        &clusters("t", "staging", "/deploy"),
        Some(&other),
        Some(paid_cluster("c")),
    )
    .await;
    assert_eq!(elsewhere.0, OK);
    assert_eq!(elsewhere.1["spaceID"], "staging");
}

#[tokio::test]
async fn deploy_checks_every_field_against_the_catalogue() {
    let s = TestServer::start().await;
    let token = bearer(&s, "t", "default", "write").await;
    let path = clusters("t", "default", "/deploy");
    let with = |field: &str, value: Value| {
        let mut body = paid_cluster("c");
        body[field] = value;
        body
    };
    let without = |field: &str| {
        let mut body = paid_cluster("c");
        body.as_object_mut().unwrap().remove(field);
        body
    };
    let cases = [
        (with("id", json!("Bad_ID")), "id"),
        (with("id", json!("-a")), "id"),
        (with("id", json!("a--b")), "id"),
        (with("id", json!("deploy")), "deploy"),
        (with("id", json!("a".repeat(64))), "id"),
        (with("id", json!(7)), "id"),
        (with("serverCount", json!(2)), "serverCount"),
        (with("serverCount", json!(11)), "serverCount"),
        (with("serverCount", json!(0)), "serverCount"),
        (with("serverCount", json!("1")), "serverCount"),
        (with("serverCount", json!(1.5)), "serverCount"),
        (with("serverCount", json!(3)), "serverCount"), // 3.x runs one server
        (with("storageSizeGB", json!(5)), "storageSizeGB"),
        (with("storageSizeGB", json!(1001)), "storageSizeGB"),
        (with("provider", json!("azure")), "provider"),
        (with("region", json!("eu-west-2")), "region"),
        (with("machineType", json!("c7g.large")), "machineType"),
        (with("storageType", json!("gp2-csi")), "storageType"),
        (with("isFree", json!("false")), "isFree"),
        (with("version", json!("3.0.0")), "version"),
        (with("version", json!("LATEST")), "version"),
        (
            with("backupConfiguration", json!({"frequency": "weekly"})),
            "frequency",
        ),
        (
            with("backupConfiguration", json!({"retentionDays": 14})),
            "retentionDays",
        ),
        (
            with("backupConfiguration", json!("daily")),
            "backupConfiguration",
        ),
        (without("id"), "id"),
        (without("serverCount"), "serverCount"),
        (without("storageSizeGB"), "storageSizeGB"),
        (without("provider"), "provider"),
        (without("region"), "region"),
        (without("isFree"), "isFree"),
        (without("machineType"), "machineType"),
        (without("storageType"), "storageType"),
        (without("version"), "version"),
    ];
    for (body, word) in cases {
        let answer = call(&s, "POST", &path, Some(&token), Some(body.clone())).await;
        assert_error(&answer, BAD, "INVALID_ARGUMENT");
        let message = answer.1["message"].as_str().unwrap();
        assert!(message.contains(word), "{body}: {message}");
    }
    // AWS machines run only in their regions; gp2 (the pre-2025-07 name) is echoed back.
    let aws = json!({"id": "aws1", "serverCount": 1, "storageSizeGB": 20, "provider": "aws",
        "region": "us-west-2", "isFree": false, "machineType": "c7g.large",
        "storageType": "gp2-csi", "version": "3.5.5"});
    let answer = call(&s, "POST", &path, Some(&token), Some(aws.clone())).await;
    assert_error(&answer, BAD, "INVALID_ARGUMENT");
    let mut ok = aws;
    ok["machineType"] = json!("c8g.xlarge");
    ok["storageType"] = json!("gp2");
    let answer = call(&s, "POST", &path, Some(&token), Some(ok)).await;
    assert_eq!(answer.0, OK, "{}", answer.1);
    assert_eq!(answer.1["storageType"], "gp2");
    assert_eq!(
        call(&s, "GET", &clusters("t", "default", ""), Some(&token), None)
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        1,
        "nothing half-written"
    );
}

#[tokio::test]
async fn the_free_tier_rules_hold() {
    let s = TestServer::start().await;
    let token = bearer(&s, "t", "default", "write").await;
    let path = clusters("t", "default", "/deploy");
    let free_with = |field: &str, value: Value| {
        let mut body = free_cluster("f2");
        body[field] = value;
        body
    };
    for body in [
        free_with("machineType", json!("c2d-highcpu-4")),
        free_with("storageSizeGB", json!(20)),
        free_with("backupConfiguration", json!({"frequency": "daily"})),
        {
            let mut b = free_with("serverCount", json!(3));
            b["version"] = json!("2.29.3");
            b
        },
    ] {
        let answer = call(&s, "POST", &path, Some(&token), Some(body.clone())).await;
        assert_error(&answer, BAD, "INVALID_ARGUMENT");
    }
    assert_eq!(
        call(&s, "POST", &path, Some(&token), Some(free_cluster("f1")))
            .await
            .0,
        OK
    );
    // One free cluster per team, in any of its spaces.
    let second = call(&s, "POST", &path, Some(&token), Some(free_cluster("f2"))).await;
    assert_error(&second, BAD, "INVALID_ARGUMENT");
    let other_space = bearer(&s, "t", "dev", "write").await;
    let elsewhere = call(
        &s,
        "POST",
        &clusters("t", "dev", "/deploy"),
        Some(&other_space),
        Some(free_cluster("f2")),
    )
    .await;
    assert_error(&elsewhere, BAD, "INVALID_ARGUMENT");
    // Another team has its own.
    let other_team = bearer(&s, "u", "default", "write").await;
    let theirs = call(
        &s,
        "POST",
        &clusters("u", "default", "/deploy"),
        Some(&other_team),
        Some(free_cluster("f1")),
    )
    .await;
    assert_eq!(theirs.0, OK);
    // AWS free machines work too.
    let aws_free = json!({"id": "a", "serverCount": 1, "storageSizeGB": 10, "provider": "aws",
        "region": "eu-west-2", "isFree": true, "machineType": "c7g.large",
        "storageType": "gp2-csi", "version": "latest"});
    let third = bearer(&s, "v", "default", "write").await;
    let answer = call(
        &s,
        "POST",
        &clusters("v", "default", "/deploy"),
        Some(&third),
        Some(aws_free),
    )
    .await;
    assert_eq!(answer.0, OK, "{}", answer.1);
}

#[tokio::test]
async fn a_team_without_a_payment_method_can_only_have_a_free_cluster() {
    let s = TestServer::start().await;
    let token = bearer(&s, "t", "default", "write").await;
    let (status, _) = send(
        s.http
            .post(s.main_url("/_offcloud/typedb/teams"))
            .json(&json!({"id": "t", "hasPaymentMethod": false})),
    )
    .await;
    assert_eq!(status, OK);
    let path = clusters("t", "default", "/deploy");
    let paid = call(&s, "POST", &path, Some(&token), Some(paid_cluster("p"))).await;
    assert_error(&paid, BAD, "INVALID_ARGUMENT");
    assert!(
        paid.1["message"]
            .as_str()
            .unwrap()
            .contains("payment method")
    );
    assert_eq!(
        call(&s, "POST", &path, Some(&token), Some(free_cluster("f")))
            .await
            .0,
        OK
    );
    // Changing more than the id of a free cluster needs a payment method too
    // (docs/spec/typedb.md §7.4).
    let cluster = clusters("t", "default", "/f");
    let storage = call(
        &s,
        "PATCH",
        &cluster,
        Some(&token),
        Some(json!({"storageSizeGB": 20})),
    )
    .await;
    assert_error(&storage, BAD, "INVALID_ARGUMENT");
    let renamed = call(
        &s,
        "PATCH",
        &cluster,
        Some(&token),
        Some(json!({"id": "g"})),
    )
    .await;
    assert_eq!(renamed.0, OK);
    assert_eq!(renamed.1["id"], "g");
}

#[tokio::test]
async fn patch_renames_and_the_old_id_is_gone() {
    let s = TestServer::start().await;
    let token = bearer(&s, "t", "default", "write").await;
    call(
        &s,
        "POST",
        &clusters("t", "default", "/deploy"),
        Some(&token),
        Some(free_cluster("api-cluster")),
    )
    .await;
    call(
        &s,
        "POST",
        &clusters("t", "default", "/deploy"),
        Some(&token),
        Some(paid_cluster("taken")),
    )
    .await;
    s.advance("default", Duration::from_secs(3)).await;
    let old = clusters("t", "default", "/api-cluster");
    let (_, before) = call(&s, "GET", &old, Some(&token), None).await;
    let (status, renamed) = call(
        &s,
        "PATCH",
        &old,
        Some(&token),
        Some(json!({"id": "new-id"})),
    )
    .await;
    assert_eq!(status, OK, "{renamed}");
    let mut expected = before.clone();
    expected["id"] = json!("new-id");
    assert_eq!(
        renamed, expected,
        "only the id changes; status stays running"
    );
    assert_error(
        &call(&s, "GET", &old, Some(&token), None).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    );
    let new = clusters("t", "default", "/new-id");
    assert_eq!(
        call(&s, "GET", &new, Some(&token), None).await,
        (OK, expected)
    );
    let clash = call(
        &s,
        "PATCH",
        &new,
        Some(&token),
        Some(json!({"id": "taken"})),
    )
    .await;
    assert_error(&clash, StatusCode::CONFLICT, "ALREADY_EXISTS");
    for body in [
        json!({}),
        json!({"unknown": 1}),
        json!({"id": "Bad"}),
        json!({"id": "deploy"}),
        json!({"storageSizeGB": 9}),
        json!({"machineType": "c7g.large"}),
        json!({"version": "9.9.9"}),
        json!({"backupConfiguration": {"frequency": "never"}}),
    ] {
        let answer = call(&s, "PATCH", &new, Some(&token), Some(body.clone())).await;
        assert_error(&answer, BAD, "INVALID_ARGUMENT");
    }
    assert_error(
        &call(
            &s,
            "PATCH",
            &clusters("t", "default", "/nope"),
            Some(&token),
            Some(json!({"id": "x"})),
        )
        .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    );
}

#[tokio::test]
async fn patch_changes_storage_machine_version_and_backups() {
    let s = TestServer::start().await;
    let token = bearer(&s, "t", "default", "write").await;
    let mut body = paid_cluster("c");
    body["version"] = json!("2.29.3");
    body["serverCount"] = json!(3);
    call(
        &s,
        "POST",
        &clusters("t", "default", "/deploy"),
        Some(&token),
        Some(body),
    )
    .await;
    let path = clusters("t", "default", "/c");
    let (status, changed) = call(
        &s,
        "PATCH",
        &path,
        Some(&token),
        Some(json!({
            "storageSizeGB": 100, "machineType": "c2d-highcpu-8",
            "backupConfiguration": {"frequency": "hourly"}
        })),
    )
    .await;
    assert_eq!(status, OK, "{changed}");
    assert_eq!(changed["storageSizeGB"], 100);
    assert_eq!(changed["machineType"], "c2d-highcpu-8");
    assert_eq!(changed["status"], "starting", "the status is left alone");
    assert!(
        changed.get("backupConfiguration").is_none(),
        "never shown, as in the docs"
    );
    // 3.x runs one server: this three-server cluster cannot move there.
    let upgrade = call(
        &s,
        "PATCH",
        &path,
        Some(&token),
        Some(json!({"version": "latest"})),
    )
    .await;
    assert_error(&upgrade, BAD, "INVALID_ARGUMENT");
    // The docs' update example: id plus a partial backupConfiguration.
    let docs = call(
        &s,
        "PATCH",
        &path,
        Some(&token),
        Some(json!({"id": "c", "backupConfiguration": {"frequency": "daily"}})),
    )
    .await;
    assert_eq!(docs.0, OK, "{}", docs.1);
}

#[tokio::test]
async fn a_free_cluster_leaving_the_free_limits_becomes_paid() {
    let s = TestServer::start().await;
    let token = bearer(&s, "t", "default", "write").await;
    call(
        &s,
        "POST",
        &clusters("t", "default", "/deploy"),
        Some(&token),
        Some(free_cluster("f")),
    )
    .await;
    let path = clusters("t", "default", "/f");
    let same = call(
        &s,
        "PATCH",
        &path,
        Some(&token),
        Some(json!({"version": "2.29.3"})),
    )
    .await;
    assert_eq!(
        (same.0, &same.1["isFree"], &same.1["version"]),
        (OK, &json!(true), &json!("2.29.3"))
    );
    let bigger = call(
        &s,
        "PATCH",
        &path,
        Some(&token),
        Some(json!({"storageSizeGB": 50})),
    )
    .await;
    assert_eq!((bigger.0, &bigger.1["isFree"]), (OK, &json!(false)));
    // The team's free slot is open again.
    let again = call(
        &s,
        "POST",
        &clusters("t", "default", "/deploy"),
        Some(&token),
        Some(free_cluster("f2")),
    )
    .await;
    assert_eq!(again.0, OK);
}

#[tokio::test]
async fn clone_makes_a_starting_copy_in_the_same_space() {
    let s = TestServer::start().await;
    let token = bearer(&s, "t", "default", "write").await;
    let (_, source) = call(
        &s,
        "POST",
        &clusters("t", "default", "/deploy"),
        Some(&token),
        Some(free_cluster("api-cluster")),
    )
    .await;
    s.advance("default", Duration::from_secs(10)).await;
    let (status, clone) = call(
        &s,
        "POST",
        &clusters("t", "default", "/api-cluster/clone"),
        Some(&token),
        Some(json!({"id": "api-cluster-clone"})),
    )
    .await;
    assert_eq!(status, OK, "{clone}");
    for field in [
        "serverCount",
        "storageSizeGB",
        "isFree",
        "version",
        "provider",
        "region",
        "machineType",
        "storageType",
        "teamID",
        "spaceID",
    ] {
        assert_eq!(clone[field], source[field], "{field}");
    }
    assert_eq!(clone["id"], "api-cluster-clone");
    assert_eq!(clone["status"], "starting");
    assert_eq!(clone["servers"][0]["status"], "pending");
    assert!(clone["createdAt"].as_i64() > source["createdAt"].as_i64());
    assert_ne!(
        clone["servers"][0]["address"],
        source["servers"][0]["address"]
    );
    let dup = call(
        &s,
        "POST",
        &clusters("t", "default", "/api-cluster/clone"),
        Some(&token),
        Some(json!({"id": "api-cluster"})),
    )
    .await;
    assert_error(&dup, StatusCode::CONFLICT, "ALREADY_EXISTS");
    for body in [json!({}), json!({"id": 1}), json!({"id": "A"})] {
        let bad = call(
            &s,
            "POST",
            &clusters("t", "default", "/api-cluster/clone"),
            Some(&token),
            Some(body),
        )
        .await;
        assert_error(&bad, BAD, "INVALID_ARGUMENT");
    }
    let missing = call(
        &s,
        "POST",
        &clusters("t", "default", "/nope/clone"),
        Some(&token),
        Some(json!({"id": "x"})),
    )
    .await;
    assert_error(&missing, StatusCode::NOT_FOUND, "NOT_FOUND");
}

#[tokio::test]
async fn backup_configuration_shows_only_behind_its_flag() {
    let mut config = crate::support::test_config();
    config.typedb.show_backup_configuration = true;
    let s = TestServer::start_with(config).await;
    let token = bearer(&s, "t", "default", "write").await;
    let deploy = clusters("t", "default", "/deploy");
    let (_, free) = call(&s, "POST", &deploy, Some(&token), Some(free_cluster("f"))).await;
    assert_eq!(
        free["backupConfiguration"],
        json!({"frequency": "disabled", "retentionDays": 7})
    );
    let (_, paid) = call(&s, "POST", &deploy, Some(&token), Some(paid_cluster("p"))).await;
    assert_eq!(
        paid["backupConfiguration"],
        json!({"frequency": "daily", "retentionDays": 7})
    );
    let (_, patched) = call(
        &s,
        "PATCH",
        &clusters("t", "default", "/p"),
        Some(&token),
        Some(json!({"backupConfiguration": {"retentionDays": 30}})),
    )
    .await;
    assert_eq!(
        patched["backupConfiguration"],
        json!({"frequency": "daily", "retentionDays": 30})
    );
}

#[tokio::test]
async fn strict_mode_takes_the_stricter_readings() {
    let mut config = crate::support::test_config();
    config.typedb.strict = true;
    let s = TestServer::start_with(config).await;
    let token = bearer(&s, "t", "default", "write").await;
    let deploy = clusters("t", "default", "/deploy");
    let no_backup = call(&s, "POST", &deploy, Some(&token), Some(paid_cluster("p"))).await;
    assert_error(&no_backup, BAD, "INVALID_ARGUMENT");
    let mut body = paid_cluster("p");
    body["backupConfiguration"] = json!({"frequency": "hourly", "retentionDays": 30});
    assert_eq!(
        call(&s, "POST", &deploy, Some(&token), Some(body)).await.0,
        OK
    );
    let shrink = call(
        &s,
        "PATCH",
        &clusters("t", "default", "/p"),
        Some(&token),
        Some(json!({"storageSizeGB": 20})),
    )
    .await;
    assert_error(&shrink, BAD, "INVALID_ARGUMENT");
    let grow = call(
        &s,
        "PATCH",
        &clusters("t", "default", "/p"),
        Some(&token),
        Some(json!({"storageSizeGB": 60})),
    )
    .await;
    assert_eq!(grow.0, OK);
    assert_eq!(
        call(&s, "POST", &deploy, Some(&token), Some(free_cluster("f")))
            .await
            .0,
        OK
    );
    let clone = call(
        &s,
        "POST",
        &clusters("t", "default", "/f/clone"),
        Some(&token),
        Some(json!({"id": "g"})),
    )
    .await;
    assert_error(&clone, BAD, "INVALID_ARGUMENT");
}
